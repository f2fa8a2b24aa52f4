// MetadataState: everything the embedded store knows, as plain values; the JSON form of each of its
// objects (a database, a table with its schemas and assignment, the counters), used by the record
// log (metadata_records.h) and by the legacy whole-file body of metadata.json; and the rules every
// state obeys (bucket assignments, JSON arguments, references between objects).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metadata/metadata_store.h"
#include "types/table_path.h"

namespace fluss {

struct TableEntry {
  TableRecord record;
  std::map<int32_t, std::string> schemas;    // schema id -> schema JSON (compact dump)
  std::vector<BucketAssignment> assignment;  // ordered by bucket id; empty: not assigned
  bool operator==(const TableEntry&) const = default;
};

struct PartitionEntry {
  PartitionRecord record;
  std::vector<BucketAssignment> assignment;  // ordered by bucket id; empty: not assigned
  bool operator==(const PartitionEntry&) const = default;
};

struct MetadataState {
  std::map<std::string, DatabaseRecord> databases;
  std::map<TablePath, TableEntry> tables;
  std::map<int64_t, TablePath> table_ids;  // index of `tables` by table id
  std::map<int64_t, DroppedTableRecord> dropped_tables;  // by table id; see DroppedTableRecord
  std::map<int64_t, PartitionEntry> partitions;          // by partition id
  // Index of `partitions`: table id -> partition name -> partition id. Change both with
  // AddPartition / RemovePartition.
  std::map<int64_t, std::map<std::string, int64_t>> partition_names;
  std::map<int64_t, DroppedPartitionRecord> dropped_partitions;  // by partition id
  int64_t next_table_id = 1;               // never decreases, so ids are never reused
  int64_t writer_id_limit = 0;             // writer ids below this may have been handed out
  int64_t next_partition_id = 0;           // never decreases
  bool operator==(const MetadataState&) const = default;
};

// Adds `entry` to `state` and its index (replacing a partition with the same id).
void AddPartition(MetadataState* state, PartitionEntry entry);
// Removes a partition and its index entry; false when there is none with that id.
bool RemovePartition(MetadataState* state, int64_t partition_id);
// Removes every partition of a table.
void RemoveTablePartitions(MetadataState* state, int64_t table_id);
// The partitions of a table, by name (nullptr when it has none).
const std::map<std::string, int64_t>* TablePartitions(const MetadataState& state, int64_t table_id);

// One object of the state as a compact JSON object (docs/formats/metadata-store.md). REQUIRES: the
// JSON texts in the records are compact JSON objects (as NormalizeJsonObject returns them).
std::string EncodeDatabaseObject(const DatabaseRecord& database);
std::string EncodeTableObject(const TableEntry& table);
std::string EncodeDroppedTableObject(const DroppedTableRecord& dropped);
std::string EncodePartitionObject(const PartitionEntry& partition);
std::string EncodeDroppedPartitionObject(const DroppedPartitionRecord& dropped);
// next_table_id, writer_id_limit, and next_partition_id when it is not 0 (so a store that never had a
// partition writes what earlier versions wrote).
std::string EncodeCountersObject(const MetadataState& state);
// Parse and check one object; failures are CORRUPT_RECORD "<where> <what>" (`where` names the file
// and the record). A table's own rules are checked (bucket count, schemas, assignment); references
// to other objects are ValidateMetadataState's.
Result<DatabaseRecord> DecodeDatabaseObject(std::string_view json, std::string_view where);
Result<TableEntry> DecodeTableObject(std::string_view json, std::string_view where);
Result<DroppedTableRecord> DecodeDroppedTableObject(std::string_view json, std::string_view where);
Result<PartitionEntry> DecodePartitionObject(std::string_view json, std::string_view where);
Result<DroppedPartitionRecord> DecodeDroppedPartitionObject(std::string_view json, std::string_view where);
// next_partition_id is optional (absent: 0, as in stores written before partitions existed).
Status DecodeCountersObject(std::string_view json, std::string_view where, MetadataState* state);
// The rules between objects: every table's database exists, table ids are in 1..next_table_id-1 and
// unique, `table_ids` indexes `tables` exactly, a dropped table's id is in range and not in use;
// every partition belongs to a live table of that path, has an id in 0..next_partition_id-1, a
// name unique in its table and an assignment of the table's bucket count (or none), and
// `partition_names` indexes `partitions` exactly; a dropped partition's id is in range and not in
// use. CORRUPT_RECORD "<where> table 'db.t' <what>".
Status ValidateMetadataState(const MetadataState& state, std::string_view where);

// The legacy whole-file JSON body of metadata.json (format v1, read to migrate it; written only by
// tests). REQUIRES as above.
std::string EncodeMetadataState(const MetadataState& state);
// Parses and checks a body; failures are CORRUPT_RECORD "metadata file '<path>': <what>".
Result<MetadataState> DecodeMetadataState(std::string_view json, const std::string& path);

// `text` parsed as a JSON object and returned in compact dump() form; otherwise `code` with
// "<what> is not a JSON object". An empty text is "{}" when `empty_is_object`.
Result<std::string> NormalizeJsonObject(std::string_view text, std::string_view what, ErrorCode code,
                                        bool empty_is_object);

// Records in `state` the drop of `table` at `now_ms` and forgets drop records (of tables and
// partitions) older than kDroppedTableRetentionMs. (Removing the table itself is the caller's.)
void RecordTableDrop(MetadataState* state, const TableRecord& table, int64_t now_ms);
// The same for a partition.
void RecordPartitionDrop(MetadataState* state, const PartitionRecord& partition, int64_t now_ms);

// Sorts `assignment` by bucket id and checks it has exactly one entry for each bucket
// 0..bucket_count-1 and that a leader, when set, is one of the replicas. INVALID_TABLE naming `table`.
Status NormalizeAssignment(std::string_view table, int32_t bucket_count, std::vector<BucketAssignment>* assignment);

}  // namespace fluss
