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
#include "types/table_descriptor.h"

namespace fluss {
namespace {

using Events = std::vector<WatcherRegistry::Event>;

using metadata_internal::DatabaseNotExist;
using metadata_internal::SystemMs;
using metadata_internal::TableIdNotExist;
using metadata_internal::TableNotExist;
using metadata_internal::ValidatePath;
using metadata_internal::VersionMismatch;

}  // namespace

Result<std::unique_ptr<EmbeddedMetadataStore>> EmbeddedMetadataStore::Open(std::string dir, MetadataClock clock) {
  if (!clock) clock = SystemMs;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create metadata dir '{}': {}", dir, ec.message()));

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

  const std::string path = (std::filesystem::path(dir) / kFileName).string();
  // A leftover .tmp is a write that never committed (the rename did not happen): drop it.
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) == 0) {
    spdlog::warn("metadata: removed '{}' left by an interrupted write", tmp);
  } else if (errno != ENOENT) {
    return Status::IOError(fmt::format("unlink '{}': {}", tmp, std::strerror(errno)));
  }

  FLUSS_ASSIGN_OR_RETURN(std::optional<std::string> content, ReadFileIfExists(path));
  MetadataState state;
  if (content.has_value()) {
    FLUSS_ASSIGN_OR_RETURN(std::string body, DecodeMetadataEnvelope(*content, path));
    FLUSS_ASSIGN_OR_RETURN(state, DecodeMetadataState(body, path));
  } else {
    // A new store: write the empty state, so from now on a missing file is never mistaken for one.
    FLUSS_RETURN_NOT_OK(ReplaceFileDurably(path, EncodeMetadataEnvelope(EncodeMetadataState(state))));
  }
  spdlog::info("metadata: opened '{}' ({} databases, {} tables, next table id {})", path, state.databases.size(),
               state.tables.size(), state.next_table_id);
  guard.fd = -1;
  return std::unique_ptr<EmbeddedMetadataStore>(
      new EmbeddedMetadataStore(std::move(dir), std::move(clock), lock_fd, std::move(state)));
}

EmbeddedMetadataStore::EmbeddedMetadataStore(std::string dir, MetadataClock clock, int lock_fd, MetadataState state)
    : dir_(std::move(dir)),
      clock_(std::move(clock)),
      lock_fd_(lock_fd),
      next_writer_id_(state.writer_id_limit),  // ids below the persisted limit may have been handed out
      state_(std::make_shared<const MetadataState>(std::move(state))) {}

EmbeddedMetadataStore::~EmbeddedMetadataStore() { ::close(lock_fd_); }

std::string EmbeddedMetadataStore::file_path() const { return (std::filesystem::path(dir_) / kFileName).string(); }

std::shared_ptr<const MetadataState> EmbeddedMetadataStore::Snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return state_;
}

Status EmbeddedMetadataStore::Commit(MetadataState next) {
  Status st = ReplaceFileDurably(file_path(), EncodeMetadataEnvelope(EncodeMetadataState(next)));
  if (!st.ok()) return st.WithContext("metadata change not saved");
  auto published = std::make_shared<const MetadataState>(std::move(next));
  std::lock_guard lock(snapshot_mu_);
  state_ = std::move(published);
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

Result<DatabaseRecord> EmbeddedMetadataStore::GetDatabase(const std::string& name) const {
  auto state = Snapshot();
  auto it = state->databases.find(name);
  if (it == state->databases.end()) return DatabaseNotExist(name);
  return it->second;
}

std::vector<std::string> EmbeddedMetadataStore::ListDatabases() const {
  auto state = Snapshot();
  std::vector<std::string> names;
  names.reserve(state->databases.size());
  for (const auto& [name, db] : state->databases) names.push_back(name);
  return names;
}

bool EmbeddedMetadataStore::DatabaseExists(const std::string& name) const {
  return Snapshot()->databases.contains(name);
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
    RecordTableDrop(&next, dropped, clock_());
    FLUSS_RETURN_NOT_OK(Commit(std::move(next)));
    watchers_.Enqueue({{MetadataEvent::kTableDropped, path.ToString()}});
    return dropped;
  });
}

Result<TableRecord> EmbeddedMetadataStore::GetTable(const TablePath& path) const {
  auto state = Snapshot();
  auto it = state->tables.find(path);
  if (it == state->tables.end()) return TableNotExist(path);
  return it->second.record;
}

Result<TableRecord> EmbeddedMetadataStore::GetTableById(int64_t table_id) const {
  auto state = Snapshot();
  auto it = state->table_ids.find(table_id);
  if (it == state->table_ids.end()) return TableIdNotExist(table_id);
  return state->tables.at(it->second).record;
}

bool EmbeddedMetadataStore::TableExists(const TablePath& path) const { return Snapshot()->tables.contains(path); }

Result<std::vector<std::string>> EmbeddedMetadataStore::ListTables(const std::string& database) const {
  auto state = Snapshot();
  if (!state->databases.contains(database)) return DatabaseNotExist(database);
  std::vector<std::string> names;
  for (const auto& [path, entry] : state->tables) {
    if (path.database() == database) names.push_back(path.table());
  }
  return names;  // sorted: the map orders by (database, table)
}

std::vector<TableRecord> EmbeddedMetadataStore::ListAllTables() const {
  auto state = Snapshot();
  std::vector<TableRecord> records;
  records.reserve(state->tables.size());
  for (const auto& [path, entry] : state->tables) records.push_back(entry.record);
  return records;
}

std::vector<DroppedTableRecord> EmbeddedMetadataStore::ListDroppedTables() const {
  auto state = Snapshot();
  std::vector<DroppedTableRecord> records;
  records.reserve(state->dropped_tables.size());
  for (const auto& [id, record] : state->dropped_tables) records.push_back(record);
  return records;
}

// ---- schemas ----

Result<std::string> EmbeddedMetadataStore::GetSchema(int64_t table_id, int32_t schema_id) const {
  auto state = Snapshot();
  auto id = state->table_ids.find(table_id);
  if (id != state->table_ids.end()) {
    const TableEntry& entry = state->tables.at(id->second);
    if (auto it = entry.schemas.find(schema_id); it != entry.schemas.end()) return it->second;
  }
  return Status(ErrorCode::kSchemaNotExist,
                fmt::format("schema {} of table id {} does not exist{}", schema_id, table_id,
                            id == state->table_ids.end() ? " (no such table)" : ""));
}

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

Result<std::vector<BucketAssignment>> EmbeddedMetadataStore::GetAssignment(int64_t table_id) const {
  auto state = Snapshot();
  auto it = state->table_ids.find(table_id);
  if (it == state->table_ids.end()) return TableIdNotExist(table_id);
  return state->tables.at(it->second).assignment;
}

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

// ---- watches ----

int64_t EmbeddedMetadataStore::AddWatcher(MetadataWatcher watcher) { return watchers_.Add(std::move(watcher)); }

void EmbeddedMetadataStore::RemoveWatcher(int64_t watcher_id) { watchers_.Remove(watcher_id); }

}  // namespace fluss
