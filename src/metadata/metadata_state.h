// MetadataState: everything the embedded store knows, as plain values, with its JSON form (the body
// of metadata.json) and the rules every state obeys (bucket assignments, JSON arguments).
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

struct MetadataState {
  std::map<std::string, DatabaseRecord> databases;
  std::map<TablePath, TableEntry> tables;
  std::map<int64_t, TablePath> table_ids;  // index of `tables` by table id
  std::map<int64_t, DroppedTableRecord> dropped_tables;  // by table id; see DroppedTableRecord
  int64_t next_table_id = 1;               // never decreases, so ids are never reused
  int64_t writer_id_limit = 0;             // writer ids below this may have been handed out
  bool operator==(const MetadataState&) const = default;
};

// The JSON body of metadata.json (docs/formats/metadata-store.md). REQUIRES: the JSON texts in
// `state` are compact JSON objects (as NormalizeJsonObject returns them).
std::string EncodeMetadataState(const MetadataState& state);
// Parses and checks a body; failures are CORRUPT_RECORD "metadata file '<path>': <what>".
Result<MetadataState> DecodeMetadataState(std::string_view json, const std::string& path);

// `text` parsed as a JSON object and returned in compact dump() form; otherwise `code` with
// "<what> is not a JSON object". An empty text is "{}" when `empty_is_object`.
Result<std::string> NormalizeJsonObject(std::string_view text, std::string_view what, ErrorCode code,
                                        bool empty_is_object);

// Records in `state` the drop of `table` at `now_ms` and forgets drop records older than
// kDroppedTableRetentionMs. (Removing the table itself is the caller's.)
void RecordTableDrop(MetadataState* state, const TableRecord& table, int64_t now_ms);

// Sorts `assignment` by bucket id and checks it has exactly one entry for each bucket
// 0..bucket_count-1 and that a leader, when set, is one of the replicas. INVALID_TABLE naming `table`.
Status NormalizeAssignment(std::string_view table, int32_t bucket_count, std::vector<BucketAssignment>* assignment);

}  // namespace fluss
