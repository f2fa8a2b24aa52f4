#include "metadata/embedded_metadata_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "metadata/metadata_errors_internal.h"
#include "metadata/metadata_file.h"
#include "metadata/metadata_records.h"
#include "types/partition_spec.h"
#include "types/table_descriptor.h"

namespace fluss {
namespace {

using Events = std::vector<WatcherRegistry::Event>;

using metadata_internal::DatabaseNotExist;
using metadata_internal::PartitionAlreadyExists;
using metadata_internal::PartitionNotExist;
using metadata_internal::SystemMs;
using metadata_internal::TooManyPartitions;
using metadata_internal::TableIdNotExist;
using metadata_internal::TableNotExist;
using metadata_internal::ValidatePath;
using metadata_internal::VersionMismatch;

}  // namespace

Result<std::unique_ptr<EmbeddedMetadataStore>> EmbeddedMetadataStore::Open(std::string dir, MetadataClock clock,
                                                                           EmbeddedMetadataStoreOptions options,
                                                                           FileSystem& fs) {
  if (!clock) clock = SystemMs;
  Status created = fs.CreateDirectories(dir);
  if (!created.ok()) return Status::IOError(fmt::format("cannot create metadata dir '{}': {}", dir, created.message()));

  const std::string lock_path = (std::filesystem::path(dir) / kLockFileName).string();
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Status::IOError(fmt::format("open '{}': {}", lock_path, std::strerror(errno)));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd);
    if (err == EWOULDBLOCK) {
      return Status::IOError(
          fmt::format("metadata dir '{}' is in use: another store holds the lock on '{}'", dir, lock_path));
    }
    return Status::IOError(fmt::format("flock '{}': {}", lock_path, std::strerror(err)));
  }
  // From here on the lock fd is owned by a guard until the store takes it.
  struct LockGuard {
    int fd;
    ~LockGuard() {
      if (fd >= 0) ::close(fd);
    }
  } guard{lock_fd};

  const std::filesystem::path base(dir);
  const std::string path = (base / kFileName).string();
  const std::string legacy = (base / kLegacyFileName).string();
  // A leftover .tmp is a write that never committed (the rename did not happen): drop it.
  for (const std::string& tmp : {path + ".tmp", legacy + ".tmp"}) {
    FLUSS_ASSIGN_OR_RETURN(bool exists, fs.Exists(tmp));
    if (!exists) continue;
    FLUSS_RETURN_NOT_OK(fs.Remove(tmp));
    spdlog::warn("metadata: removed '{}' left by an interrupted write", tmp);
  }

  FLUSS_ASSIGN_OR_RETURN(std::optional<std::string> content, ReadFileIfExists(fs, path));
  FLUSS_ASSIGN_OR_RETURN(std::optional<std::string> legacy_content, ReadFileIfExists(fs, legacy));
  if (!content.has_value()) {
    // A new store, or one of the earlier whole-file format: its state becomes a new log, written below.
    MetadataState initial;
    if (legacy_content.has_value()) {
      FLUSS_ASSIGN_OR_RETURN(std::string body, DecodeMetadataEnvelope(*legacy_content, legacy));
      FLUSS_ASSIGN_OR_RETURN(initial, DecodeMetadataState(body, legacy));
      spdlog::info("metadata: migrating '{}' ({} databases, {} tables) to the record log '{}'", legacy,
                   initial.databases.size(), initial.tables.size(), path);
    }
    content = std::string(kMetadataLogHeader) + EncodeMetadataLogRecord(1, SnapshotMetadataState(initial));
  }

  FLUSS_ASSIGN_OR_RETURN(DecodedMetadataLog decoded, DecodeMetadataLog(*content, path));
  if (!decoded.torn_tail.empty()) {
    spdlog::warn("metadata log '{}': {}; dropped as a write cut short by a crash (it was never acknowledged)", path,
                 decoded.torn_tail);
  }
  MetadataState state;
  for (const MetadataLogRecord& record : decoded.records) {
    const std::string where = fmt::format("metadata log '{}': record at offset {}:", path, record.offset);
    for (const MetadataChange& change : record.changes) {
      FLUSS_RETURN_NOT_OK(ApplyMetadataChange(change, where, &state));
    }
  }
  FLUSS_RETURN_NOT_OK(ValidateMetadataState(state, fmt::format("metadata log '{}':", path)));
  // Writes the log's valid bytes (the new log) durably; a torn tail is gone from here on.
  FLUSS_ASSIGN_OR_RETURN(std::unique_ptr<MetadataLog> log, MetadataLog::Open(fs, path, *content, decoded));
  if (legacy_content.has_value()) {
    // Migrated (now, or by an open that crashed before this step): the log holds everything.
    const std::string migrated = legacy + kMigratedSuffix;
    Status renamed = fs.Rename(legacy, migrated);
    if (!renamed.ok()) return renamed;
    // Not synced: should the rename be lost in a crash, the next open renames it again.
  }
  spdlog::info("metadata: opened '{}' ({} databases, {} tables, next table id {}; {} records, {} bytes)", path,
               state.databases.size(), state.tables.size(), state.next_table_id, decoded.records.size(), log->size());
  if (log->size() > std::max(options.compaction_min_bytes, 2 * log->snapshot_size())) {
    Status st = log->Compact(SnapshotMetadataState(state));
    if (!st.ok()) spdlog::warn("metadata: compacting '{}' at open failed (it stays as it is): {}", path, st.ToString());
  }
  guard.fd = -1;
  return std::unique_ptr<EmbeddedMetadataStore>(new EmbeddedMetadataStore(
      std::move(dir), std::move(clock), options, lock_fd, std::move(log), std::move(state)));
}

EmbeddedMetadataStore::EmbeddedMetadataStore(std::string dir, MetadataClock clock, EmbeddedMetadataStoreOptions options,
                                             int lock_fd, std::unique_ptr<MetadataLog> log, MetadataState state)
    : CachedMetadataStore(state),
      dir_(std::move(dir)),
      clock_(std::move(clock)),
      options_(options),
      lock_fd_(lock_fd),
      log_(std::move(log)),
      next_writer_id_(state.writer_id_limit) {}  // ids below the persisted limit may have been handed out

EmbeddedMetadataStore::~EmbeddedMetadataStore() {
  log_.reset();
  ::close(lock_fd_);
}

std::string EmbeddedMetadataStore::file_path() const { return (std::filesystem::path(dir_) / kFileName).string(); }

uint64_t EmbeddedMetadataStore::compactions() const {
  std::lock_guard lock(mutation_mu_);
  return compactions_;
}

Status EmbeddedMetadataStore::Commit(MetadataState next) {
  const std::vector<MetadataChange> changes = DiffMetadataState(*Snapshot(), next);
  if (!changes.empty()) {
    Status st = log_->Append(changes);
    if (!st.ok()) return st.WithContext("metadata change not saved");
  }
  auto published = std::make_shared<const MetadataState>(std::move(next));
  cache_.Publish(published);
  if (log_->size() > std::max(options_.compaction_min_bytes, 2 * log_->snapshot_size())) {
    // The change is durable already: a failed compaction only leaves the log longer.
    Status st = log_->Compact(SnapshotMetadataState(*published));
    if (st.ok()) {
      ++compactions_;
    } else {
      spdlog::warn("metadata: compacting '{}' failed (the log stays as it is): {}", log_->path(), st.ToString());
    }
  }
  return Status::OK();
}

// Runs `change` (which reads Snapshot(), commits and enqueues events) under the mutation lock, then
// delivers the events with no lock held.
template <typename Change>
auto EmbeddedMetadataStore::Mutate(Change&& change) -> decltype(change()) {
  auto result = [&] {
    std::lock_guard lock(mutation_mu_);
    return change();
  }();
  watchers_.Deliver();
  return result;
}

// ---- databases ----

Status EmbeddedMetadataStore::CreateDatabase(const std::string& name, std::string database_json,
                                             bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(TablePath::ValidateNewDatabaseName(name));
  FLUSS_ASSIGN_OR_RETURN(std::string json,
                         NormalizeJsonObject(database_json, fmt::format("descriptor of database '{}'", name),
                                             ErrorCode::kInvalidDatabase, /*empty_is_object=*/true));
  return Mutate([&]() -> Status {
    auto current = Snapshot();
    if (current->databases.contains(name)) {
      if (ignore_if_exists) return Status::OK();
      return Status(ErrorCode::kDatabaseAlreadyExist, fmt::format("database '{}' already exists", name));
    }
    MetadataState next = *current;
    int64_t now = clock_();
    next.databases.emplace(name, DatabaseRecord{name, std::move(json), now, now, 0});
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kDatabaseCreated, name}});
    return Status::OK();
  });
}

Result<std::vector<TableRecord>> EmbeddedMetadataStore::DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                                     bool cascade) {
  return Mutate([&]() -> Result<std::vector<TableRecord>> {
    auto current = Snapshot();
    if (!current->databases.contains(name)) {
      if (ignore_if_not_exists) return std::vector<TableRecord>();
      return DatabaseNotExist(name);
    }
    std::vector<TableRecord> dropped;
    for (const auto& [path, entry] : current->tables) {
      if (path.database() == name) dropped.push_back(entry.record);
    }
    if (!dropped.empty() && !cascade) {
      return Status(ErrorCode::kDatabaseNotEmpty,
                    fmt::format("database '{}' is not empty: it has {} table(s), e.g. '{}'; drop them first or use "
                                "cascade",
                                name, dropped.size(), dropped.front().path.table()));
    }
    MetadataState next = *current;
    Events events;
    const int64_t now = clock_();
    for (const TableRecord& r : dropped) {
      next.tables.erase(r.path);
      next.table_ids.erase(r.table_id);
      RemoveTablePartitions(&next, r.table_id);
      RecordTableDrop(&next, r, now);
      events.push_back({MetadataEvent::kTableDropped, r.path.ToString()});
    }
    next.databases.erase(name);
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    events.push_back({MetadataEvent::kDatabaseDropped, name});
    watchers_.Enqueue(std::move(events));
    return dropped;
  });
}

// ---- tables ----

Result<TableRecord> EmbeddedMetadataStore::CreateTable(const TablePath& path, std::string table_json,
                                                       std::string schema_json, int32_t bucket_count,
                                                       std::vector<BucketAssignment> assignment,
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

  return Mutate([&]() -> Result<TableRecord> {
    auto current = Snapshot();
    if (!current->databases.contains(path.database())) return DatabaseNotExist(path.database());
    if (auto it = current->tables.find(path); it != current->tables.end()) {
      if (ignore_if_exists) return it->second.record;
      return Status(ErrorCode::kTableAlreadyExist, fmt::format("table '{}' already exists", name));
    }
    MetadataState next = *current;
    int64_t now = clock_();
    TableEntry entry;
    entry.record = TableRecord{path, next.next_table_id++, 1, std::move(table), bucket_count, now, now, 0};
    entry.schemas.emplace(1, std::move(schema));
    entry.assignment = std::move(assignment);
    TableRecord record = entry.record;
    next.table_ids.emplace(record.table_id, path);
    next.tables.emplace(path, std::move(entry));
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kTableCreated, name}});
    return record;
  });
}

Result<TableRecord> EmbeddedMetadataStore::DropTable(const TablePath& path, bool ignore_if_not_exists) {
  return Mutate([&]() -> Result<TableRecord> {
    auto current = Snapshot();
    auto it = current->tables.find(path);
    if (it == current->tables.end()) {
      if (ignore_if_not_exists) return TableRecord{};
      return TableNotExist(path);
    }
    TableRecord dropped = it->second.record;
    MetadataState next = *current;
    next.tables.erase(path);
    next.table_ids.erase(dropped.table_id);
    RemoveTablePartitions(&next, dropped.table_id);
    RecordTableDrop(&next, dropped, clock_());
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kTableDropped, path.ToString()}});
    return dropped;
  });
}

// ---- schemas ----

Result<int32_t> EmbeddedMetadataStore::AddSchema(const TablePath& path, std::string schema_json,
                                                 std::string new_table_json, int32_t expected_version) {
  const std::string name = path.ToString();
  FLUSS_ASSIGN_OR_RETURN(std::string schema, NormalizeJsonObject(schema_json, fmt::format("schema of table '{}'", name),
                                                                 ErrorCode::kInvalidTable, false));
  FLUSS_ASSIGN_OR_RETURN(std::string table,
                         NormalizeJsonObject(new_table_json, fmt::format("descriptor of table '{}'", name),
                                             ErrorCode::kInvalidTable, false));
  return Mutate([&]() -> Result<int32_t> {
    auto current = Snapshot();
    auto it = current->tables.find(path);
    if (it == current->tables.end()) return TableNotExist(path);
    const TableRecord& r = it->second.record;
    if (r.version != expected_version) return VersionMismatch(name, expected_version, r.version);
    MetadataState next = *current;
    TableEntry& entry = next.tables.at(path);
    int32_t schema_id = entry.record.schema_id + 1;
    entry.schemas.emplace(schema_id, std::move(schema));
    entry.record.schema_id = schema_id;
    entry.record.table_json = std::move(table);
    entry.record.modified_time_ms = clock_();
    entry.record.version++;
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kTableAltered, name}});
    return schema_id;
  });
}

// ---- bucket assignment ----

Result<int32_t> EmbeddedMetadataStore::UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                                        int32_t expected_version) {
  return Mutate([&]() -> Result<int32_t> {
    auto current = Snapshot();
    auto id = current->table_ids.find(table_id);
    if (id == current->table_ids.end()) return TableIdNotExist(table_id);
    const TablePath& path = id->second;
    const std::string name = path.ToString();
    const TableRecord& r = current->tables.at(path).record;
    FLUSS_RETURN_NOT_OK(NormalizeAssignment(name, r.bucket_count, &assignment));
    if (r.version != expected_version) return VersionMismatch(name, expected_version, r.version);
    MetadataState next = *current;
    TableEntry& entry = next.tables.at(path);
    entry.assignment = std::move(assignment);
    entry.record.modified_time_ms = clock_();
    int32_t version = ++entry.record.version;
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kTableAssignmentChanged, name}});
    return version;
  });
}

// ---- partitions ----

Result<PartitionRecord> EmbeddedMetadataStore::CreatePartition(const TablePath& path, int64_t table_id,
                                                               const std::string& partition_name,
                                                               std::vector<BucketAssignment> assignment,
                                                               int32_t max_partitions, bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(ValidatePath(path));
  FLUSS_RETURN_NOT_OK(ValidatePartitionName(partition_name));
  return Mutate([&]() -> Result<PartitionRecord> {
    auto current = Snapshot();
    auto table = current->tables.find(path);
    if (table == current->tables.end() || table->second.record.table_id != table_id) return TableNotExist(path);
    const auto* names = TablePartitions(*current, table_id);
    if (names != nullptr) {
      if (auto it = names->find(partition_name); it != names->end()) {
        if (ignore_if_exists) return current->partitions.at(it->second).record;
        return PartitionAlreadyExists(path, partition_name);
      }
    }
    const size_t count = names == nullptr ? 0 : names->size();
    if (count >= static_cast<size_t>(std::max(max_partitions, 0))) return TooManyPartitions(path, count, max_partitions);
    if (!assignment.empty()) {
      FLUSS_RETURN_NOT_OK(NormalizeAssignment(fmt::format("{} partition '{}'", path.ToString(), partition_name),
                                              table->second.record.bucket_count, &assignment));
    }
    MetadataState next = *current;
    PartitionEntry entry{PartitionRecord{path, table_id, next.next_partition_id++, partition_name},
                         std::move(assignment)};
    PartitionRecord record = entry.record;
    AddPartition(&next, std::move(entry));
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kPartitionCreated, path.ToString() + "/" + partition_name}});
    return record;
  });
}

Result<PartitionRecord> EmbeddedMetadataStore::DropPartition(const TablePath& path, const std::string& partition_name,
                                                             bool ignore_if_not_exists) {
  return Mutate([&]() -> Result<PartitionRecord> {
    auto current = Snapshot();
    auto table = current->tables.find(path);
    if (table == current->tables.end()) return TableNotExist(path);
    const auto* names = TablePartitions(*current, table->second.record.table_id);
    auto it = names == nullptr ? std::map<std::string, int64_t>::const_iterator() : names->find(partition_name);
    if (names == nullptr || it == names->end()) {
      if (ignore_if_not_exists) return PartitionRecord{};
      return PartitionNotExist(path, partition_name);
    }
    PartitionRecord dropped = current->partitions.at(it->second).record;
    MetadataState next = *current;
    RemovePartition(&next, dropped.partition_id);
    RecordPartitionDrop(&next, dropped, clock_());
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kPartitionDropped, path.ToString() + "/" + partition_name}});
    return dropped;
  });
}

// ---- writer ids ----

Result<int64_t> EmbeddedMetadataStore::AllocateWriterId() {
  std::lock_guard lock(mutation_mu_);
  auto current = Snapshot();
  if (next_writer_id_ >= current->writer_id_limit) {
    // Persist the end of a new block before handing out any id of it.
    MetadataState next = *current;
    next.writer_id_limit = next_writer_id_ + kWriterIdBlock;
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
  }
  return next_writer_id_++;
}

}  // namespace fluss
