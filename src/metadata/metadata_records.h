// The embedded store's state as keyed objects, and the changes that turn one state into another:
// what the record log (metadata_log.h) writes and replays. Every object has a kind (one byte), a key
// and a value (its JSON, metadata_state.h); a change puts or deletes one object.
//
// Adding a kind of object to MetadataState (as the records of dropped tables were) is: a new
// MetadataObjectKind, one line in DiffMetadataState and SnapshotMetadataState, one case in
// ApplyMetadataChange, and its row in docs/formats/metadata-store.md. Nothing else changes: the log
// stores changes without knowing what they mean.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metadata/metadata_state.h"

namespace fluss {

enum class MetadataObjectKind : uint8_t {
  kCounters = 1,  // key "": {"next_table_id":..,"writer_id_limit":..}
  kDatabase = 2,  // key: the database name; value: EncodeDatabaseObject
  kTable = 3,     // key: "db.table"; value: EncodeTableObject (record, schemas, assignment)
  kDroppedTable = 4,  // key: the table id in decimal; value: EncodeDroppedTableObject
  kPartition = 5,     // key: the partition id in decimal; value: EncodePartitionObject (record, assignment)
  kDroppedPartition = 6,  // key: the partition id in decimal; value: EncodeDroppedPartitionObject
};
// "counters", "database", "table"; "kind <n>" for a kind this build does not know.
std::string MetadataObjectKindName(MetadataObjectKind kind);

struct MetadataChange {
  enum class Op : uint8_t { kPut = 1, kDelete = 2 };
  Op op = Op::kPut;
  MetadataObjectKind kind = MetadataObjectKind::kCounters;
  std::string key;
  std::string value;  // kPut: the object's JSON; kDelete: empty
  bool operator==(const MetadataChange&) const = default;
};

// The changes that turn `from` into `to`: a put for every object added or changed, a delete for every
// object removed (counters first, then databases, tables, dropped tables, partitions and dropped
// partitions, each in key order).
// Empty when the states are equal.
std::vector<MetadataChange> DiffMetadataState(const MetadataState& from, const MetadataState& to);
// Every object of `state` as a put: applied to an empty state, they give `state`.
std::vector<MetadataChange> SnapshotMetadataState(const MetadataState& state);
// Applies one change to `state`. Errors, prefixed with `where` (the file and record): CORRUPT_RECORD
// for a value that does not decode or does not match its key, a delete of an object that does not
// exist, a table id used by another table; UNSUPPORTED_VERSION for a kind this build does not know.
// References between objects are checked once all changes are applied (ValidateMetadataState).
Status ApplyMetadataChange(const MetadataChange& change, std::string_view where, MetadataState* state);

}  // namespace fluss
