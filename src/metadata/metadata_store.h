// MetadataStore: the metadata plane of fluss-cpp — databases, tables (ids, schema versions, bucket
// assignment) and idempotent-writer ids. One interface, two implementations: the embedded store of a
// standalone server (embedded_metadata_store.h) and the ZooKeeper store of cluster mode
// (zk_metadata_store.h).
//
// Shared contract of every implementation:
// - Thread-safe. Reads are served from memory and never wait on disk or network.
// - A mutation returns OK only once it is durable (it survives a crash of the process).
// - Every database and table record carries a version: 0 when created, +1 on every update of that
//   record. Updates that take an `expected_version` are compare-and-set: a mismatch changes nothing
//   and returns INVALID_UPDATE_VERSION.
// - Table ids are allocated monotonically from 1 and never reused, also after drops and restarts;
//   partition ids likewise from 0, from one sequence for every table of the store.
// - Watchers are called after a change is durable, outside the store's locks, one event at a time
//   in commit order (see AddWatcher).
// - JSON arguments (database_json, table_json, schema_json) must be JSON objects; they are stored in
//   nlohmann::json's compact dump() form, so reads return that normalized text.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "types/table_path.h"

namespace fluss {

struct DatabaseRecord {
  std::string name;
  std::string database_json;  // {"comment":..,"custom_properties":{..}}, or "{}"
  int64_t created_time_ms = 0;
  int64_t modified_time_ms = 0;
  int32_t version = 0;
  bool operator==(const DatabaseRecord&) const = default;
};

struct TableRecord {
  TablePath path;
  int64_t table_id = -1;
  int32_t schema_id = 0;   // the latest schema; the first is 1
  std::string table_json;  // TableDescriptorToJson(descriptor).dump() with bucket_count filled in
  int32_t bucket_count = 0;
  int64_t created_time_ms = 0;
  int64_t modified_time_ms = 0;
  int32_t version = 0;  // +1 on AddSchema and UpdateAssignment
  bool operator==(const TableRecord&) const = default;
};

// Where one bucket of a table lives. Replica and leader ids are tablet-server ids.
struct BucketAssignment {
  int32_t bucket_id = 0;
  std::vector<int32_t> replicas;
  int32_t leader = -1;  // -1: no leader
  int32_t leader_epoch = 0;
  int32_t bucket_epoch = 0;
  bool operator==(const BucketAssignment&) const = default;
};

// The record a drop leaves behind (a tombstone): what tablet servers need to delete the data of a
// table that was dropped while they were down, or that a crash stopped them deleting. Only data whose
// directory names exactly this path and id is deleted because of it; data no record explains is moved
// aside, never deleted (docs/formats/data-dir.md).
struct DroppedTableRecord {
  TablePath path;
  int64_t table_id = -1;
  int64_t dropped_time_ms = 0;
  bool operator==(const DroppedTableRecord&) const = default;
};

// How long a store keeps a DroppedTableRecord (and a DroppedPartitionRecord). A tablet server that
// comes back later finds its data of such a table unexplained, and moves it aside instead of
// deleting it.
inline constexpr int64_t kDroppedTableRetentionMs = 7LL * 24 * 3600 * 1000;

// One partition of a partitioned table. It has the table's bucket count; its name is the partition
// values joined by '$' (types/partition_spec.h), each value 1..200 characters of [A-Za-z0-9_-].
struct PartitionRecord {
  TablePath path;  // the table
  int64_t table_id = -1;
  int64_t partition_id = -1;
  std::string partition_name;
  bool operator==(const PartitionRecord&) const = default;
};

// The record a partition drop leaves behind, for kDroppedTableRetentionMs: what a tablet server needs
// to delete the data of a partition dropped while it was down (as DroppedTableRecord for tables).
// Dropping a table drops its partitions with it and leaves only the table's record.
struct DroppedPartitionRecord {
  TablePath path;
  int64_t table_id = -1;
  int64_t partition_id = -1;
  std::string partition_name;
  int64_t dropped_time_ms = 0;
  bool operator==(const DroppedPartitionRecord&) const = default;
};

enum class MetadataEvent {
  kDatabaseCreated,
  kDatabaseDropped,
  kTableCreated,
  kTableDropped,
  kTableAltered,            // AddSchema: new schema id and table_json
  kTableAssignmentChanged,  // UpdateAssignment
  kPartitionCreated,        // name: "db.table/partition_name"
  kPartitionDropped,        // name: "db.table/partition_name" (not sent for the partitions of a dropped table)
};

std::string_view MetadataEventName(MetadataEvent event);  // "TABLE_CREATED", ...

// `name` is the database name for database events, "db.table" for table events and
// "db.table/partition_name" for partition events.
using MetadataWatcher = std::function<void(MetadataEvent event, const std::string& name)>;

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // ---- databases ----
  // Names are checked with TablePath::ValidateName (INVALID_DATABASE). An empty database_json means
  // "{}". DATABASE_ALREADY_EXIST "database 'x' already exists" unless ignore_if_exists (then OK,
  // nothing changes and no event fires).
  virtual Status CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) = 0;
  // DATABASE_NOT_EXIST unless ignore_if_not_exists (then OK with no tables). DATABASE_NOT_EMPTY when
  // the database has tables and !cascade; with cascade its tables are dropped in the same durable
  // step (a kTableDropped event for each, then kDatabaseDropped), each leaving a DroppedTableRecord.
  // Returns the dropped tables, so the caller can delete their data.
  virtual Result<std::vector<TableRecord>> DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                        bool cascade) = 0;
  virtual Result<DatabaseRecord> GetDatabase(const std::string& name) const = 0;  // DATABASE_NOT_EXIST
  virtual std::vector<std::string> ListDatabases() const = 0;                     // sorted
  virtual bool DatabaseExists(const std::string& name) const = 0;

  // ---- tables ----
  // Allocates the next table id and schema id 1, and stores schema 1 and the bucket assignment.
  // bucket_count must be 1..4096 (INVALID_TABLE); `assignment` is empty (not assigned yet) or has
  // exactly one entry per bucket 0..bucket_count-1 in any order (INVALID_TABLE otherwise).
  // TABLE_ALREADY_EXIST "table 'db.t' already exists" unless ignore_if_exists (then the existing
  // record is returned, unchanged, and no event fires); DATABASE_NOT_EXIST.
  virtual Result<TableRecord> CreateTable(const TablePath& path, std::string table_json, std::string schema_json,
                                          int32_t bucket_count, std::vector<BucketAssignment> assignment,
                                          bool ignore_if_exists) = 0;
  // Returns the dropped record (the caller deletes the table's data) and keeps a DroppedTableRecord of
  // it, in the same durable step, for kDroppedTableRetentionMs (older ones go with later drops). The
  // table's partitions go in the same step (no partition events, no partition drop records: the
  // table's data holds theirs). TABLE_NOT_EXIST "table 'db.t' does not exist" unless
  // ignore_if_not_exists, in which case the result is a TableRecord with table_id -1.
  virtual Result<TableRecord> DropTable(const TablePath& path, bool ignore_if_not_exists) = 0;
  virtual Result<TableRecord> GetTable(const TablePath& path) const = 0;  // TABLE_NOT_EXIST
  virtual Result<TableRecord> GetTableById(int64_t table_id) const = 0;   // TABLE_NOT_EXIST
  virtual bool TableExists(const TablePath& path) const = 0;
  // Sorted table names of one database; DATABASE_NOT_EXIST.
  virtual Result<std::vector<std::string>> ListTables(const std::string& database) const = 0;
  // Every table of every database, ordered by path (e.g. to open all buckets at server start).
  virtual std::vector<TableRecord> ListAllTables() const = 0;
  // The records of tables dropped within kDroppedTableRetentionMs, ordered by table id.
  virtual std::vector<DroppedTableRecord> ListDroppedTables() const = 0;

  // ---- schemas ----
  // SCHEMA_NOT_EXIST "schema 3 of table id 7 does not exist" (also when the table does not exist).
  virtual Result<std::string> GetSchema(int64_t table_id, int32_t schema_id) const = 0;
  // Adds a schema version (schema evolution) and replaces table_json. `expected_version` must equal
  // the table's version (INVALID_UPDATE_VERSION otherwise). Returns the new schema id (latest + 1);
  // the table's version goes up by one. Event kTableAltered.
  virtual Result<int32_t> AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                                    int32_t expected_version) = 0;

  // ---- bucket assignment ----
  // Ordered by bucket id; empty when not assigned yet. TABLE_NOT_EXIST.
  virtual Result<std::vector<BucketAssignment>> GetAssignment(int64_t table_id) const = 0;
  // Replaces the assignment (same rules as CreateTable; empty is not allowed) if the table's version
  // equals `expected_version` (INVALID_UPDATE_VERSION otherwise); the version goes up by one.
  // Returns the new version. Event kTableAssignmentChanged.
  virtual Result<int32_t> UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                           int32_t expected_version) = 0;

  // ---- partitions ----
  // Registers partition `partition_name` of table `path` (whose id must be `table_id`: a table dropped
  // and created again meanwhile is TABLE_NOT_EXIST) with the next partition id and `assignment` (empty:
  // not assigned yet; else one entry per bucket of the table, as for CreateTable). Whether the table
  // is partitioned and the name is its caller's: the store checks that each '$'-separated value is a
  // valid name (ValidatePartitionValue, PARTITION_SPEC_INVALID). PARTITION_ALREADY_EXISTS "partition
  // 'x' of table 'db.t' already exists" unless ignore_if_exists (then the existing record is returned
  // and nothing changes); PARTITION_MAX_NUM when the table has `max_partitions` partitions already.
  // Event kPartitionCreated.
  virtual Result<PartitionRecord> CreatePartition(const TablePath& path, int64_t table_id,
                                                  const std::string& partition_name,
                                                  std::vector<BucketAssignment> assignment, int32_t max_partitions,
                                                  bool ignore_if_exists) = 0;
  // Removes the partition and keeps a DroppedPartitionRecord of it in the same durable step; returns
  // its record (the caller stops its replicas and deletes its data). TABLE_NOT_EXIST; PARTITION_NOT_EXISTS
  // "partition 'x' of table 'db.t' does not exist" unless ignore_if_not_exists (then the result has
  // partition_id -1). Event kPartitionDropped.
  virtual Result<PartitionRecord> DropPartition(const TablePath& path, const std::string& partition_name,
                                                bool ignore_if_not_exists) = 0;
  // The partitions of a table ordered by name; TABLE_NOT_EXIST.
  virtual Result<std::vector<PartitionRecord>> ListPartitions(const TablePath& path) const = 0;
  // PARTITION_NOT_EXISTS (TABLE_NOT_EXIST when the table is missing).
  virtual Result<PartitionRecord> GetPartition(const TablePath& path, const std::string& partition_name) const = 0;
  // PARTITION_NOT_EXISTS "partition id 5 does not exist".
  virtual Result<PartitionRecord> GetPartitionById(int64_t partition_id) const = 0;
  // Ordered by bucket id; empty when not assigned. PARTITION_NOT_EXISTS.
  virtual Result<std::vector<BucketAssignment>> GetPartitionAssignment(int64_t partition_id) const = 0;
  // The records of partitions dropped within kDroppedTableRetentionMs, ordered by partition id.
  virtual std::vector<DroppedPartitionRecord> ListDroppedPartitions() const = 0;

  // ---- idempotent writers ----
  // A writer id never handed out before by this store, also across restarts and crashes; ids grow
  // monotonically (from 0) but may skip values after a restart.
  virtual Result<int64_t> AllocateWriterId() = 0;

  // ---- watches ----
  // Registers `watcher` for every later change; returns its id. Events are delivered one at a time in
  // commit order, after the change is durable and outside the store's locks, so a watcher may call
  // the store (a mutation made from inside a watcher has its events delivered after the current
  // callback returns). A single-threaded caller has seen its mutation's events when it returns; with
  // concurrent mutators, the thread already delivering events delivers them. A watcher must not
  // throw.
  virtual int64_t AddWatcher(MetadataWatcher watcher) = 0;
  // After this returns the watcher is not running on another thread and is never called again.
  // Unknown ids are ignored. May be called from inside a watcher (then the current call completes).
  virtual void RemoveWatcher(int64_t watcher_id) = 0;
};

}  // namespace fluss
