#include "metadata/zk_catalog.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "metadata/metadata_errors_internal.h"
#include "metadata/zk_paths.h"
#include "metadata/zk_znodes.h"
#include "types/partition_spec.h"
#include "types/table_descriptor.h"

namespace fluss {
namespace {

using CatalogEvents = std::vector<WatcherRegistry::Event>;

constexpr int kCatalogMaxRetries = 50;  // CAS / multi retries against concurrent stores before giving up

using metadata_internal::DatabaseNotExist;
using metadata_internal::PartitionAlreadyExists;
using metadata_internal::PartitionNotExist;
using metadata_internal::TableIdNotExist;
using metadata_internal::TooManyPartitions;
using metadata_internal::TableNotExist;
using metadata_internal::ValidatePath;
using metadata_internal::VersionMismatch;

// Whether a stored descriptor (compact JSON) has partition keys.
bool IsPartitionedDescriptor(const std::string& table_json) {
  auto j = nlohmann::json::parse(table_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto keys = j.find("partition_key");
  return keys != j.end() && keys->is_array() && !keys->empty();
}

std::string PartitionEventName(const PartitionRecord& r) { return r.path.ToString() + "/" + r.partition_name; }

// Decimal ids (>= 0) of znode names; other names (not ours) are left out.
std::vector<int64_t> IdNames(const std::optional<std::vector<std::string>>& names) {
  std::vector<int64_t> ids;
  for (const std::string& name : names ? *names : std::vector<std::string>()) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec == std::errc() && end == name.data() + name.size() && id >= 0) ids.push_back(id);
  }
  return ids;
}

// Events that turn `before` into `after`, in the order a single change would produce them.
CatalogEvents DiffForEvents(const MetadataState& before, const MetadataState& after) {
  CatalogEvents events;
  for (const auto& [name, db] : after.databases) {
    if (!before.databases.contains(name)) events.push_back({MetadataEvent::kDatabaseCreated, name});
  }
  for (const auto& [path, entry] : after.tables) {
    auto it = before.tables.find(path);
    const std::string name = path.ToString();
    if (it == before.tables.end() || it->second.record.table_id != entry.record.table_id) {
      if (it != before.tables.end()) events.push_back({MetadataEvent::kTableDropped, name});
      events.push_back({MetadataEvent::kTableCreated, name});
      continue;
    }
    const TableEntry& old = it->second;
    if (old.record.version == entry.record.version) continue;
    bool altered = old.record.schema_id != entry.record.schema_id;
    if (altered) events.push_back({MetadataEvent::kTableAltered, name});
    if (old.assignment != entry.assignment || !altered) {
      events.push_back({MetadataEvent::kTableAssignmentChanged, name});
    }
  }
  for (const auto& [id, p] : after.partitions) {
    if (!before.partitions.contains(id)) events.push_back({MetadataEvent::kPartitionCreated, PartitionEventName(p.record)});
  }
  for (const auto& [id, p] : before.partitions) {
    // The partitions of a dropped table go with it, without events of their own.
    if (!after.partitions.contains(id) && after.table_ids.contains(p.record.table_id)) {
      events.push_back({MetadataEvent::kPartitionDropped, PartitionEventName(p.record)});
    }
  }
  for (const auto& [path, entry] : before.tables) {
    if (!after.tables.contains(path)) events.push_back({MetadataEvent::kTableDropped, path.ToString()});
  }
  for (const auto& [name, db] : before.databases) {
    if (!after.databases.contains(name)) events.push_back({MetadataEvent::kDatabaseDropped, name});
  }
  return events;
}

}  // namespace

Status ZkCatalog::EnsureZnodes() {
  for (const std::string& p : {zk_paths::Databases(), zk_paths::DroppedTables(), zk_paths::DroppedPartitions(),
                               zk_paths::TabletServerTables(), zk_paths::TabletServerPartitions()}) {
    FLUSS_RETURN_NOT_OK(zk_.EnsurePath(zk_.Path(p)));
  }
  for (const auto& [counter, initial] : {std::pair{zk_paths::TableSeqId(), "1"}, std::pair{zk_paths::WriterId(), "0"},
                                         std::pair{zk_paths::PartitionSeqId(), "0"}}) {
    int rc = zk_.Create(zk_.Path(counter), initial, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return zk_.Error(rc, fmt::format("create '{}'", zk_.Path(counter)));
  }
  return Status::OK();
}

// ---- the cache ----

Result<MetadataState> ZkCatalog::LoadState(const MetadataState& previous) const {
  MetadataState state;
  const std::string dbs_path = zk_.Path(zk_paths::Databases());
  FLUSS_ASSIGN_OR_RETURN(auto dbs, zk_.Children(dbs_path, true));
  if (!dbs) return Status::IOError(fmt::format("znode '{}' is missing", dbs_path));
  for (const std::string& db : *dbs) {
    const std::string db_path = zk_.Path(zk_paths::Database(db));
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(db_path, true));
    if (!node) continue;  // dropped meanwhile; the children watch brings the next reload
    FLUSS_ASSIGN_OR_RETURN(DatabaseRecord record, zk_znodes::ParseDatabase(db, node->first, node->second, db_path));
    state.databases.emplace(db, std::move(record));
    FLUSS_ASSIGN_OR_RETURN(auto tables, zk_.Children(zk_.Path(zk_paths::Tables(db)), true));
    if (!tables) continue;
    for (const std::string& t : *tables) {
      auto table_path = TablePath::Make(db, t);
      if (!table_path.ok()) return Status::Corruption(fmt::format("znode '{}/tables/{}': bad name", db_path, t));
      const std::string path = zk_.Path(zk_paths::Table(db, t));
      TableEntry entry;
      bool found = false;
      // Read the table, its assignment, then the table's version again: every assignment change bumps
      // the table's version in the same multi, so equal versions mean a consistent pair.
      for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
        FLUSS_ASSIGN_OR_RETURN(auto tnode, zk_.Get(path, true));
        if (!tnode) break;
        FLUSS_ASSIGN_OR_RETURN(entry.record, zk_znodes::ParseTable(*table_path, tnode->first, tnode->second, path));
        const std::string apath = zk_.Path(zk_paths::TableAssignment(entry.record.table_id));
        FLUSS_ASSIGN_OR_RETURN(auto anode, zk_.Get(apath, false));
        if (!anode) return Status::Corruption(fmt::format("table '{}' has no znode '{}'", path, apath));
        FLUSS_ASSIGN_OR_RETURN(entry.assignment, zk_znodes::ParseAssignment(anode->first, apath, entry.record));
        FLUSS_ASSIGN_OR_RETURN(auto again, zk_.Get(path, false));
        if (!again) break;
        if (again->second == tnode->second) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      // Schemas never change once written: reuse the cached ones of the same table id.
      auto prev = previous.tables.find(*table_path);
      if (prev != previous.tables.end() && prev->second.record.table_id == entry.record.table_id) {
        entry.schemas = prev->second.schemas;
      }
      for (int32_t id = 1; id <= entry.record.schema_id; ++id) {
        if (entry.schemas.contains(id)) continue;
        const std::string spath = zk_.Path(zk_paths::Schema(db, t, id));
        FLUSS_ASSIGN_OR_RETURN(auto snode, zk_.Get(spath, false));
        if (!snode) continue;  // the table was dropped meanwhile
        FLUSS_ASSIGN_OR_RETURN(std::string schema, zk_znodes::ParseCompactObject(snode->first, spath));
        entry.schemas.emplace(id, std::move(schema));
      }
      if (!entry.schemas.contains(entry.record.schema_id)) continue;
      std::vector<PartitionEntry> partitions;
      if (IsPartitionedDescriptor(entry.record.table_json)) {
        FLUSS_ASSIGN_OR_RETURN(partitions, LoadPartitions(*table_path, entry.record, previous));
      }
      const int64_t table_id = entry.record.table_id;
      state.table_ids.emplace(table_id, *table_path);
      state.tables.emplace(*table_path, std::move(entry));
      for (PartitionEntry& p : partitions) AddPartition(&state, std::move(p));
    }
  }
  // Drop records never change once written: only new ones are read.
  const std::string dropped_path = zk_.Path(zk_paths::DroppedTables());
  FLUSS_ASSIGN_OR_RETURN(auto dropped, zk_.Children(dropped_path, false));
  for (const std::string& name : dropped ? *dropped : std::vector<std::string>()) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || end != name.data() + name.size() || id < 1) continue;  // not ours
    if (auto prev = previous.dropped_tables.find(id); prev != previous.dropped_tables.end()) {
      state.dropped_tables.emplace(id, prev->second);
      continue;
    }
    const std::string path = zk_.Path(zk_paths::DroppedTable(id));
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
    if (!node) continue;  // pruned meanwhile
    FLUSS_ASSIGN_OR_RETURN(DroppedTableRecord record, zk_znodes::ParseDroppedTable(id, node->first, path));
    state.dropped_tables.emplace(id, std::move(record));
  }
  FLUSS_ASSIGN_OR_RETURN(auto dropped_partitions, zk_.Children(zk_.Path(zk_paths::DroppedPartitions()), false));
  for (int64_t id : IdNames(dropped_partitions)) {
    if (auto prev = previous.dropped_partitions.find(id); prev != previous.dropped_partitions.end()) {
      state.dropped_partitions.emplace(id, prev->second);
      continue;
    }
    const std::string path = zk_.Path(zk_paths::DroppedPartition(id));
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
    if (!node) continue;  // pruned meanwhile
    FLUSS_ASSIGN_OR_RETURN(DroppedPartitionRecord record, zk_znodes::ParseDroppedPartition(id, node->first, path));
    state.dropped_partitions.emplace(id, std::move(record));
  }
  return state;
}

Result<std::vector<PartitionEntry>> ZkCatalog::LoadPartitions(const TablePath& path, const TableRecord& table,
                                                              const MetadataState& previous) const {
  std::vector<PartitionEntry> out;
  const std::string parent = zk_.Path(zk_paths::Partitions(path.database(), path.table()));
  FLUSS_ASSIGN_OR_RETURN(auto names, zk_.Children(parent, true));
  if (!names) {
    // Not there (yet): watch for its creation.
    ZkStat stat;
    int rc = zk_.Exists(parent, true, &stat);
    if (rc != ZOK && rc != ZNONODE) return zk_.Error(rc, fmt::format("watch '{}'", parent));
    return out;
  }
  const auto* known = TablePartitions(previous, table.table_id);
  for (const std::string& name : *names) {
    // A partition never changes once registered: reuse what the last load read.
    if (known != nullptr) {
      if (auto it = known->find(name); it != known->end()) {
        out.push_back(previous.partitions.at(it->second));
        continue;
      }
    }
    const std::string rpath = parent + "/" + name;
    Status valid = ValidatePartitionName(name);
    if (!valid.ok()) return Status::Corruption(fmt::format("znode '{}': {}", rpath, valid.message()));
    FLUSS_ASSIGN_OR_RETURN(auto rnode, zk_.Get(rpath, false));
    if (!rnode) continue;  // dropped meanwhile
    FLUSS_ASSIGN_OR_RETURN(auto reg, zk_znodes::ParsePartitionRegistration(rnode->first, rpath));
    if (reg.table_id != table.table_id) {
      return Status::Corruption(
          fmt::format("znode '{}' names table id {}, not {}", rpath, reg.table_id, table.table_id));
    }
    const std::string apath = zk_.Path(zk_paths::PartitionAssignment(reg.partition_id));
    FLUSS_ASSIGN_OR_RETURN(auto anode, zk_.Get(apath, false));
    if (!anode) {
      FLUSS_ASSIGN_OR_RETURN(auto again, zk_.Get(rpath, false));
      if (!again) continue;  // dropped between the two reads
      return Status::Corruption(fmt::format("partition '{}' has no znode '{}'", rpath, apath));
    }
    FLUSS_ASSIGN_OR_RETURN(auto assignment, zk_znodes::ParsePartitionAssignment(anode->first, apath, table));
    if (assignment.first != table.table_id) {
      return Status::Corruption(
          fmt::format("znode '{}' names table id {}, not {}", apath, assignment.first, table.table_id));
    }
    out.push_back(PartitionEntry{PartitionRecord{path, table.table_id, reg.partition_id, name},
                                 std::move(assignment.second)});
  }
  return out;
}

void ZkCatalog::PruneDroppedTables() {
  const int64_t cutoff = clock_() - kDroppedTableRetentionMs;
  auto prune = [&](const std::string& path) {
    int rc = zk_.Delete(path, -1);
    if (rc != ZOK && rc != ZNONODE) {
      spdlog::warn("metadata: cannot remove the expired record '{}': {}", path, ZkClient::ErrorText(rc));
    }
  };
  auto state = cache_.Snapshot();
  for (const auto& [id, record] : state->dropped_tables) {
    if (record.dropped_time_ms < cutoff) prune(zk_.Path(zk_paths::DroppedTable(id)));
  }
  for (const auto& [id, record] : state->dropped_partitions) {
    if (record.dropped_time_ms < cutoff) prune(zk_.Path(zk_paths::DroppedPartition(id)));
  }
}

void ZkCatalog::DeleteDroppedPartitionAssignments() {
  auto state = cache_.Snapshot();
  auto children = zk_.Children(zk_.Path(zk_paths::TabletServerPartitions()), false);
  if (!children.ok()) {
    spdlog::warn("metadata: listing partition assignments failed: {}", children.status().ToString());
    return;
  }
  for (int64_t id : IdNames(*children)) {
    if (state->partitions.contains(id)) continue;
    const std::string apath = zk_.Path(zk_paths::PartitionAssignment(id));
    auto node = zk_.Get(apath, false);
    if (!node.ok() || !*node) continue;
    auto table_id = [&]() -> int64_t {
      auto j = nlohmann::json::parse((*node)->first, nullptr, /*allow_exceptions=*/false);
      return j.is_object() && j.contains("table_id") && j["table_id"].is_number_integer() ? j["table_id"].get<int64_t>()
                                                                                          : -1;
    }();
    // Only what a drop record explains: a partition created a moment ago by another store is not in
    // this cache yet, but neither is a drop record of it or of its table.
    if (!state->dropped_tables.contains(table_id) && !state->dropped_partitions.contains(id)) continue;
    ZkMultiOps ops;
    Status st = AddAssignmentDelete(apath, zk_.Path(zk_paths::PartitionBuckets(id)), &ops);
    ZkMultiFailure f;
    int rc = st.ok() ? zk_.Multi(ops, &f) : ZOK;
    if (!st.ok() || (rc != ZOK && f.rc != ZNONODE)) {
      spdlog::warn("metadata: deleting the assignment of dropped partition id {} failed (retried at the next drop "
                   "or start): {}",
                   id, st.ok() ? ZkClient::ErrorText(f.rc) : st.ToString());
    }
  }
}

Status ZkCatalog::Sync() {
  std::lock_guard lock(sync_mu_);
  auto previous = cache_.Snapshot();
  FLUSS_ASSIGN_OR_RETURN(MetadataState next, LoadState(*previous));
  CatalogEvents events = DiffForEvents(*previous, next);
  cache_.Publish(std::make_shared<const MetadataState>(std::move(next)));
  if (!events.empty()) watchers_.Enqueue(std::move(events));
  return Status::OK();
}

template <typename Change>
auto ZkCatalog::Mutate(Change&& change) -> decltype(change()) {
  auto result = change();
  Status st = Sync();  // read our own write (and whatever else changed) before returning
  if (!st.ok()) spdlog::warn("metadata: reloading from ZooKeeper after a change failed: {}", st.ToString());
  watchers_.DeliverAndWait();
  return result;
}

// ---- databases ----

Status ZkCatalog::CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(TablePath::ValidateNewDatabaseName(name));
  FLUSS_ASSIGN_OR_RETURN(std::string json_text,
                         NormalizeJsonObject(database_json, fmt::format("descriptor of database '{}'", name),
                                             ErrorCode::kInvalidDatabase, /*empty_is_object=*/true));
  return Mutate([&]() -> Status {
    int64_t now = clock_();
    ZkMultiOps ops;
    ops.Create(zk_.Path(zk_paths::Database(name)), zk_znodes::DatabaseBody(DatabaseRecord{name, json_text, now, now, 0}));
    ops.Create(zk_.Path(zk_paths::Tables(name)), "");
    ZkMultiFailure f;
    int rc = zk_.Multi(ops, &f);
    if (rc == ZOK) return Status::OK();
    if (f.rc == ZNODEEXISTS && f.index == 0) {
      if (ignore_if_exists) return Status::OK();
      return Status(ErrorCode::kDatabaseAlreadyExist, fmt::format("database '{}' already exists", name));
    }
    return zk_.Error(f.rc, fmt::format("create database '{}'", name));
  });
}

Status ZkCatalog::AddAssignmentDelete(const std::string& assignment_path, const std::string& buckets_path,
                                      ZkMultiOps* ops) const {
  FLUSS_ASSIGN_OR_RETURN(auto buckets, zk_.Children(buckets_path, false));
  for (const std::string& b : buckets ? *buckets : std::vector<std::string>()) {
    const std::string bpath = buckets_path + "/" + b;
    FLUSS_ASSIGN_OR_RETURN(auto leaves, zk_.Children(bpath, false));
    for (const std::string& leaf : leaves ? *leaves : std::vector<std::string>()) ops->Delete(bpath + "/" + leaf, -1);
    ops->Delete(bpath, -1);
  }
  if (buckets) ops->Delete(buckets_path, -1);
  ops->Delete(assignment_path, -1);
  return Status::OK();
}

Status ZkCatalog::AddTableDrop(const TableRecord& r, int32_t version, ZkMultiOps* ops) const {
  const std::string& db = r.path.database();
  const std::string& t = r.path.table();
  const std::string tpath = zk_.Path(zk_paths::Table(db, t));
  FLUSS_ASSIGN_OR_RETURN(auto schemas, zk_.Children(zk_.Path(zk_paths::Schemas(db, t)), false));
  for (const std::string& s : schemas ? *schemas : std::vector<std::string>()) {
    ops->Delete(zk_.Path(zk_paths::Schemas(db, t)) + "/" + s, -1);
  }
  ops->Delete(zk_.Path(zk_paths::Schemas(db, t)), -1);
  const std::string partitions_path = zk_.Path(zk_paths::Partitions(db, t));
  FLUSS_ASSIGN_OR_RETURN(auto partitions, zk_.Children(partitions_path, false));
  if (partitions) {
    for (const std::string& p : *partitions) ops->Delete(partitions_path + "/" + p, -1);
    ops->Delete(partitions_path, -1);
  }
  ops->Delete(tpath, version);
  FLUSS_RETURN_NOT_OK(AddAssignmentDelete(zk_.Path(zk_paths::TableAssignment(r.table_id)),
                                          zk_.Path(zk_paths::Buckets(r.table_id)), ops));
  ops->Create(zk_.Path(zk_paths::DroppedTable(r.table_id)), zk_znodes::DroppedTableBody(r, clock_()));
  return Status::OK();
}

Result<std::vector<TableRecord>> ZkCatalog::DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                         bool cascade) {
  auto dropped = DropDatabaseCatalog(name, ignore_if_not_exists, cascade);
  if (dropped.ok() && !dropped->empty()) DeleteDroppedPartitionAssignments();
  return dropped;
}

Result<std::vector<TableRecord>> ZkCatalog::DropDatabaseCatalog(const std::string& name, bool ignore_if_not_exists,
                                                                bool cascade) {
  return Mutate([&]() -> Result<std::vector<TableRecord>> {
    const std::string db_path = zk_.Path(zk_paths::Database(name));
    for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto db, zk_.Get(db_path, false));
      if (!db) {
        if (ignore_if_not_exists) return std::vector<TableRecord>();
        return DatabaseNotExist(name);
      }
      FLUSS_ASSIGN_OR_RETURN(auto tables, zk_.Children(zk_.Path(zk_paths::Tables(name)), false));
      std::vector<std::string> names = tables ? *tables : std::vector<std::string>();
      if (!names.empty() && !cascade) {
        return Status(ErrorCode::kDatabaseNotEmpty,
                      fmt::format("database '{}' is not empty: it has {} table(s), e.g. '{}'; drop them first or use "
                                  "cascade",
                                  name, names.size(), names.front()));
      }
      ZkMultiOps ops;
      std::vector<TableRecord> dropped;
      bool raced = false;
      for (const std::string& t : names) {
        const std::string tpath = zk_.Path(zk_paths::Table(name, t));
        FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(tpath, false));
        if (!node) {
          raced = true;
          break;
        }
        FLUSS_ASSIGN_OR_RETURN(TableRecord r,
                               zk_znodes::ParseTable(*TablePath::Make(name, t), node->first, node->second, tpath));
        FLUSS_RETURN_NOT_OK(AddTableDrop(r, node->second, &ops));
        dropped.push_back(std::move(r));
      }
      if (raced) continue;
      ops.Delete(zk_.Path(zk_paths::Tables(name)), -1);
      ops.Delete(db_path, db->second);
      ZkMultiFailure f;
      int rc = zk_.Multi(ops, &f);
      if (rc == ZOK) {
        PruneDroppedTables();
        return dropped;
      }
      if (f.rc == ZNOTEMPTY || f.rc == ZBADVERSION || f.rc == ZNONODE) continue;  // changed meanwhile: again
      return zk_.Error(f.rc, fmt::format("drop database '{}'", name));
    }
    return Status::IOError(fmt::format("drop database '{}': the database kept changing; try again", name));
  });
}

// ---- tables ----

Result<TableRecord> ZkCatalog::CreateTable(const TablePath& path, std::string table_json, std::string schema_json,
                                           int32_t bucket_count, std::vector<BucketAssignment> assignment,
                                           bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(ValidatePath(path));
  const std::string name = path.ToString();
  if (bucket_count < 1 || bucket_count > TableDescriptor::kMaxBucketCount) {
    return Status(ErrorCode::kInvalidTable, fmt::format("table '{}': bucket count {} is outside 1..{}", name,
                                                        bucket_count, TableDescriptor::kMaxBucketCount));
  }
  FLUSS_ASSIGN_OR_RETURN(
      std::string table,
      NormalizeJsonObject(table_json, fmt::format("descriptor of table '{}'", name), ErrorCode::kInvalidTable, false));
  FLUSS_ASSIGN_OR_RETURN(std::string schema, NormalizeJsonObject(schema_json, fmt::format("schema of table '{}'", name),
                                                                 ErrorCode::kInvalidTable, false));
  if (!assignment.empty()) FLUSS_RETURN_NOT_OK(NormalizeAssignment(name, bucket_count, &assignment));
  const bool partitioned = IsPartitionedDescriptor(table);

  return Mutate([&]() -> Result<TableRecord> {
    const std::string db_path = zk_.Path(zk_paths::Database(path.database()));
    const std::string tpath = zk_.Path(zk_paths::Table(path.database(), path.table()));
    const std::string seq_path = zk_.Path(zk_paths::TableSeqId());
    for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto seq, zk_.Get(seq_path, false));
      if (!seq) return Status::IOError(fmt::format("znode '{}' is missing", seq_path));
      FLUSS_ASSIGN_OR_RETURN(int64_t id, zk_znodes::ParseCounter(seq->first, seq_path));
      if (id < 1) return Status::Corruption(fmt::format("znode '{}' holds table id {}", seq_path, id));
      int64_t now = clock_();
      TableRecord record{path, id, 1, table, bucket_count, now, now, 0};
      ZkMultiOps ops;
      ops.Check(db_path, -1);                                                              // 0
      ops.Create(tpath, zk_znodes::TableBody(record));                                     // 1
      ops.Create(zk_.Path(zk_paths::Schemas(path.database(), path.table())), "");          // 2
      ops.Create(zk_.Path(zk_paths::Schema(path.database(), path.table(), 1)), schema);    // 3
      ops.Set(seq_path, std::to_string(id + 1), seq->second);                              // 4
      ops.Create(zk_.Path(zk_paths::TableAssignment(id)), zk_znodes::AssignmentBody(assignment));
      ops.Create(zk_.Path(zk_paths::Buckets(id)), "");
      // Watched by every store's reload, so it exists from the start.
      if (partitioned) ops.Create(zk_.Path(zk_paths::Partitions(path.database(), path.table())), "");
      ZkMultiFailure f;
      int rc = zk_.Multi(ops, &f);
      if (rc == ZOK) return record;
      if (f.index == 0 && f.rc == ZNONODE) return DatabaseNotExist(path.database());
      if (f.index == 1 && f.rc == ZNONODE) return DatabaseNotExist(path.database());
      if (f.index == 1 && f.rc == ZNODEEXISTS) {
        if (!ignore_if_exists) return Status(ErrorCode::kTableAlreadyExist, fmt::format("table '{}' already exists", name));
        FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(tpath, false));
        if (!node) continue;  // dropped meanwhile: try to create it again
        return zk_znodes::ParseTable(path, node->first, node->second, tpath);
      }
      if (f.index == 4 && f.rc == ZBADVERSION) continue;  // another store took this id: take the next
      return zk_.Error(f.rc, fmt::format("create table '{}'", name));
    }
    return Status::IOError(fmt::format("create table '{}': table ids kept being taken; try again", name));
  });
}

Result<TableRecord> ZkCatalog::DropTable(const TablePath& path, bool ignore_if_not_exists) {
  auto dropped = DropTableCatalog(path, ignore_if_not_exists);
  if (dropped.ok() && dropped->table_id >= 0) DeleteDroppedPartitionAssignments();
  return dropped;
}

Result<TableRecord> ZkCatalog::DropTableCatalog(const TablePath& path, bool ignore_if_not_exists) {
  return Mutate([&]() -> Result<TableRecord> {
    if (!ValidatePath(path).ok()) {
      if (ignore_if_not_exists) return TableRecord{};
      return TableNotExist(path);
    }
    const std::string tpath = zk_.Path(zk_paths::Table(path.database(), path.table()));
    for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(tpath, false));
      if (!node) {
        if (ignore_if_not_exists) return TableRecord{};
        return TableNotExist(path);
      }
      FLUSS_ASSIGN_OR_RETURN(TableRecord r, zk_znodes::ParseTable(path, node->first, node->second, tpath));
      ZkMultiOps ops;
      FLUSS_RETURN_NOT_OK(AddTableDrop(r, node->second, &ops));
      ZkMultiFailure f;
      int rc = zk_.Multi(ops, &f);
      if (rc == ZOK) {
        PruneDroppedTables();
        return r;
      }
      if (f.rc == ZNOTEMPTY || f.rc == ZBADVERSION || f.rc == ZNONODE) continue;
      return zk_.Error(f.rc, fmt::format("drop table '{}'", path.ToString()));
    }
    return Status::IOError(fmt::format("drop table '{}': the table kept changing; try again", path.ToString()));
  });
}

// ---- schemas ----

Result<int32_t> ZkCatalog::AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                                     int32_t expected_version) {
  const std::string name = path.ToString();
  FLUSS_ASSIGN_OR_RETURN(std::string schema, NormalizeJsonObject(schema_json, fmt::format("schema of table '{}'", name),
                                                                 ErrorCode::kInvalidTable, false));
  FLUSS_ASSIGN_OR_RETURN(std::string table,
                         NormalizeJsonObject(new_table_json, fmt::format("descriptor of table '{}'", name),
                                             ErrorCode::kInvalidTable, false));
  return Mutate([&]() -> Result<int32_t> {
    if (!ValidatePath(path).ok()) return TableNotExist(path);
    const std::string tpath = zk_.Path(zk_paths::Table(path.database(), path.table()));
    for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(tpath, false));
      if (!node) return TableNotExist(path);
      FLUSS_ASSIGN_OR_RETURN(TableRecord r, zk_znodes::ParseTable(path, node->first, node->second, tpath));
      if (r.version != expected_version) return VersionMismatch(name, expected_version, r.version);
      r.schema_id++;
      r.table_json = table;
      r.modified_time_ms = clock_();
      ZkMultiOps ops;
      ops.Set(tpath, zk_znodes::TableBody(r), expected_version);
      ops.Create(zk_.Path(zk_paths::Schema(path.database(), path.table(), r.schema_id)), schema);
      ZkMultiFailure f;
      int rc = zk_.Multi(ops, &f);
      if (rc == ZOK) return r.schema_id;
      if (f.rc == ZBADVERSION || f.rc == ZNONODE) continue;  // re-read: reports the mismatch or the drop
      return zk_.Error(f.rc, fmt::format("add a schema to table '{}'", name));
    }
    return Status::IOError(fmt::format("add a schema to table '{}': the table kept changing", name));
  });
}

// ---- bucket assignment ----

Result<int32_t> ZkCatalog::UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                            int32_t expected_version) {
  return Mutate([&]() -> Result<int32_t> {
    auto state = cache_.Snapshot();
    if (!state->table_ids.contains(table_id)) {
      FLUSS_RETURN_NOT_OK(Sync());  // perhaps created by another store a moment ago
      state = cache_.Snapshot();
    }
    auto id = state->table_ids.find(table_id);
    if (id == state->table_ids.end()) return TableIdNotExist(table_id);
    const TablePath path = id->second;
    const std::string name = path.ToString();
    const std::string tpath = zk_.Path(zk_paths::Table(path.database(), path.table()));
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(tpath, false));
    if (!node) return TableIdNotExist(table_id);
    FLUSS_ASSIGN_OR_RETURN(TableRecord r, zk_znodes::ParseTable(path, node->first, node->second, tpath));
    if (r.table_id != table_id) return TableIdNotExist(table_id);
    FLUSS_RETURN_NOT_OK(NormalizeAssignment(name, r.bucket_count, &assignment));
    if (r.version != expected_version) return VersionMismatch(name, expected_version, r.version);
    r.modified_time_ms = clock_();
    ZkMultiOps ops;
    ops.Set(tpath, zk_znodes::TableBody(r), expected_version);
    ops.Set(zk_.Path(zk_paths::TableAssignment(table_id)), zk_znodes::AssignmentBody(assignment), -1);
    ZkMultiFailure f;
    int rc = zk_.Multi(ops, &f);
    if (rc == ZOK) return expected_version + 1;
    if (f.index == 0 && f.rc == ZBADVERSION) {
      FLUSS_ASSIGN_OR_RETURN(auto now, zk_.Get(tpath, false));
      return VersionMismatch(name, expected_version, now ? now->second : -1);
    }
    if (f.rc == ZNONODE) return TableIdNotExist(table_id);
    return zk_.Error(f.rc, fmt::format("update the assignment of table '{}'", name));
  });
}

// ---- partitions ----

Result<PartitionRecord> ZkCatalog::CreatePartition(const TablePath& path, int64_t table_id,
                                                   const std::string& partition_name,
                                                   std::vector<BucketAssignment> assignment, int32_t max_partitions,
                                                   bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(ValidatePath(path));
  FLUSS_RETURN_NOT_OK(ValidatePartitionName(partition_name));
  return Mutate([&]() -> Result<PartitionRecord> {
    const std::string tpath = zk_.Path(zk_paths::Table(path.database(), path.table()));
    const std::string parent = zk_.Path(zk_paths::Partitions(path.database(), path.table()));
    const std::string rpath = zk_.Path(zk_paths::Partition(path.database(), path.table(), partition_name));
    const std::string seq_path = zk_.Path(zk_paths::PartitionSeqId());
    bool normalized = assignment.empty();
    for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto tnode, zk_.Get(tpath, false));
      if (!tnode) return TableNotExist(path);
      FLUSS_ASSIGN_OR_RETURN(TableRecord table, zk_znodes::ParseTable(path, tnode->first, tnode->second, tpath));
      if (table.table_id != table_id) return TableNotExist(path);
      if (!normalized) {
        FLUSS_RETURN_NOT_OK(NormalizeAssignment(fmt::format("{} partition '{}'", path.ToString(), partition_name),
                                                table.bucket_count, &assignment));
        normalized = true;
      }
      FLUSS_ASSIGN_OR_RETURN(auto names, zk_.Children(parent, false));
      if (names && std::find(names->begin(), names->end(), partition_name) != names->end()) {
        if (!ignore_if_exists) return PartitionAlreadyExists(path, partition_name);
        FLUSS_ASSIGN_OR_RETURN(auto rnode, zk_.Get(rpath, false));
        if (!rnode) continue;  // dropped meanwhile: create it again
        FLUSS_ASSIGN_OR_RETURN(auto reg, zk_znodes::ParsePartitionRegistration(rnode->first, rpath));
        return PartitionRecord{path, table_id, reg.partition_id, partition_name};
      }
      const size_t count = names ? names->size() : 0;
      if (count >= static_cast<size_t>(std::max(max_partitions, 0))) {
        return TooManyPartitions(path, count, max_partitions);
      }
      FLUSS_ASSIGN_OR_RETURN(auto seq, zk_.Get(seq_path, false));
      if (!seq) return Status::IOError(fmt::format("znode '{}' is missing", seq_path));
      FLUSS_ASSIGN_OR_RETURN(int64_t id, zk_znodes::ParseCounter(seq->first, seq_path));
      ZkMultiOps ops;
      ops.Check(tpath, tnode->second);  // the table is still there, unchanged
      if (!names) ops.Create(parent, "");
      ops.Set(seq_path, std::to_string(id + 1), seq->second);
      ops.Create(zk_.Path(zk_paths::PartitionAssignment(id)), zk_znodes::PartitionAssignmentBody(table_id, assignment));
      ops.Create(zk_.Path(zk_paths::PartitionBuckets(id)), "");
      ops.Create(rpath, zk_znodes::PartitionRegistrationBody(table_id, id));
      ZkMultiFailure f;
      int rc = zk_.Multi(ops, &f);
      if (rc == ZOK) return PartitionRecord{path, table_id, id, partition_name};
      // A changed or dropped table, a taken id or name, a parent created meanwhile: read again.
      if (f.rc == ZBADVERSION || f.rc == ZNONODE || f.rc == ZNODEEXISTS) continue;
      return zk_.Error(f.rc, fmt::format("create partition '{}' of table '{}'", partition_name, path.ToString()));
    }
    return Status::IOError(fmt::format("create partition '{}' of table '{}': the table kept changing; try again",
                                       partition_name, path.ToString()));
  });
}

Result<PartitionRecord> ZkCatalog::DropPartition(const TablePath& path, const std::string& partition_name,
                                                 bool ignore_if_not_exists) {
  return Mutate([&]() -> Result<PartitionRecord> {
    if (!ValidatePath(path).ok()) return TableNotExist(path);
    const std::string tpath = zk_.Path(zk_paths::Table(path.database(), path.table()));
    if (!ValidatePartitionName(partition_name).ok()) {
      if (!zk_.Get(tpath, false).ValueOr(std::nullopt)) return TableNotExist(path);
      if (ignore_if_not_exists) return PartitionRecord{};
      return PartitionNotExist(path, partition_name);
    }
    const std::string rpath = zk_.Path(zk_paths::Partition(path.database(), path.table(), partition_name));
    for (int attempt = 0; attempt < kCatalogMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto tnode, zk_.Get(tpath, false));
      if (!tnode) return TableNotExist(path);
      FLUSS_ASSIGN_OR_RETURN(TableRecord table, zk_znodes::ParseTable(path, tnode->first, tnode->second, tpath));
      FLUSS_ASSIGN_OR_RETURN(auto rnode, zk_.Get(rpath, false));
      if (!rnode) {
        if (ignore_if_not_exists) return PartitionRecord{};
        return PartitionNotExist(path, partition_name);
      }
      FLUSS_ASSIGN_OR_RETURN(auto reg, zk_znodes::ParsePartitionRegistration(rnode->first, rpath));
      PartitionRecord record{path, table.table_id, reg.partition_id, partition_name};
      ZkMultiOps ops;
      ops.Delete(rpath, rnode->second);
      FLUSS_RETURN_NOT_OK(AddAssignmentDelete(zk_.Path(zk_paths::PartitionAssignment(reg.partition_id)),
                                              zk_.Path(zk_paths::PartitionBuckets(reg.partition_id)), &ops));
      ops.Create(zk_.Path(zk_paths::DroppedPartition(reg.partition_id)),
                 zk_znodes::DroppedPartitionBody(record, clock_()));
      ZkMultiFailure f;
      int rc = zk_.Multi(ops, &f);
      if (rc == ZOK) {
        PruneDroppedTables();
        return record;
      }
      if (f.rc == ZNOTEMPTY || f.rc == ZBADVERSION || f.rc == ZNONODE) continue;  // changed meanwhile: again
      return zk_.Error(f.rc, fmt::format("drop partition '{}' of table '{}'", partition_name, path.ToString()));
    }
    return Status::IOError(fmt::format("drop partition '{}' of table '{}': it kept changing; try again",
                                       partition_name, path.ToString()));
  });
}

// ---- writer ids ----

Result<int64_t> ZkCatalog::AllocateWriterId() {
  std::lock_guard lock(writer_mu_);
  if (next_writer_id_ >= writer_id_limit_) {
    const std::string path = zk_.Path(zk_paths::WriterId());
    for (int attempt = 0;; ++attempt) {
      if (attempt == kCatalogMaxRetries) return Status::IOError("allocate writer ids: the counter kept changing");
      FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
      if (!node) return Status::IOError(fmt::format("znode '{}' is missing", path));
      FLUSS_ASSIGN_OR_RETURN(int64_t limit, zk_znodes::ParseCounter(node->first, path));
      const std::string next = std::to_string(limit + EmbeddedMetadataStore::kWriterIdBlock);
      int rc = zk_.Set(path, next, node->second);
      if (rc == ZBADVERSION) continue;
      if (rc != ZOK) return zk_.Error(rc, fmt::format("set '{}'", path));
      next_writer_id_ = limit;
      writer_id_limit_ = limit + EmbeddedMetadataStore::kWriterIdBlock;
      break;
    }
  }
  return next_writer_id_++;
}

}  // namespace fluss
