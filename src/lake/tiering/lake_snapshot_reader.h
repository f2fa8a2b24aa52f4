// Reads a table's lake snapshot: every row of the Iceberg table's current snapshot, and — from the
// same snapshot — the log offset per bucket it holds rows up to. A union read serves these rows and
// then each bucket's log from that offset on: every row once, with no gap (docs/lake.md).
//
// A primary-key table's snapshot has equality-delete files (docs/lake.md "Primary-key tables"): a
// data row is left out when a delete file with a strictly greater data sequence number holds its
// key (Iceberg's rule; a delete never removes a row committed with it or later).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "fluss/client.h"
#include "lake/avro/avro_value.h"

namespace fluss::parquet {
class ParquetReader;
}

namespace fluss::lake {

struct LakeSnapshotInfo {
  int64_t snapshot_id = -1;            // -1: no snapshot yet (no rows; offsets all 0)
  std::map<int32_t, int64_t> offsets;  // per bucket: the first offset not in the snapshot (no partitions)
  // Per (partition, bucket) — for a table without partitions its buckets with kNoPartition — and
  // the names of the partitions the snapshot records (TieredOffsets).
  std::map<PartitionBucket, int64_t> partition_offsets;
  std::map<int64_t, std::string> partition_names;
  int64_t rows = 0;                    // rows returned (after deletes)
  int64_t deleted_rows = 0;            // data rows an equality delete removed
};

// Pulls the rows of the current lake snapshot of a table, at most kMaxRecords at a time (a row
// group is decoded column by column, then handed out in such slices). The delete files
// (primary-key tables) are read when it opens; memory: the deleted keys plus one row group.
class LakeSnapshotReader {
 public:
  // Opens the current snapshot of `table`'s lake table under `warehouse` (none yet: no rows, all
  // offsets 0). `columns`: the columns to return, in that order (empty: all). A partitioned table:
  // `partitions` (names, "v1$v2") keeps only the data files of those partitions, chosen by the
  // partition tuples in the manifests (empty: every file, also of partitions dropped from Fluss);
  // each record's partition_id is its partition's id as the snapshot records it (kNoPartition for
  // a partition the snapshot no longer names: dropped from Fluss, its rows kept in the lake).
  // Errors: columns not in the table, a snapshot without Fluss's offsets, a delete file that is not
  // an equality delete on the primary key, a partition spec that is not identity on the partition
  // keys, a file that does not read.
  static Result<std::unique_ptr<LakeSnapshotReader>> Open(const std::string& warehouse, const TableInfo& table,
                                                          const std::vector<std::string>& columns,
                                                          const std::vector<std::string>& partitions = {});
  ~LakeSnapshotReader();
  static constexpr size_t kMaxRecords = 8192;  // records per Next() at most
  // The next rows as ScanRecords (bucket, offset, timestamp from the system columns; change type +A
  // for a log table, +I for a primary-key table); nullopt after the last.
  Result<std::optional<std::vector<ScanRecord>>> Next();
  // The snapshot, its offsets and the rows returned so far.
  const LakeSnapshotInfo& info() const { return info_; }

 private:
  LakeSnapshotReader() = default;

  struct DataFileRef {
    std::string path;
    int64_t sequence_number = 0;
    int64_t partition_id = kNoPartition;
  };
  // Decodes row group `group` of the open file `f` into cols_ and checks its system columns.
  Status LoadGroup(const DataFileRef& f, int group);

  TableInfo table_;
  LakeSnapshotInfo info_;
  std::vector<size_t> picked_;       // table column indexes returned
  std::vector<size_t> read_;         // file column indexes read: picked, key columns, system columns
  std::vector<size_t> key_in_read_;  // positions of the key columns within read_
  std::unordered_map<std::string, int64_t> deletes_;  // key -> highest delete sequence number
  std::vector<DataFileRef> files_;
  size_t file_ = 0;
  int group_ = 0;
  std::unique_ptr<parquet::ParquetReader> reader_;  // the open file files_[file_]
  std::vector<std::vector<Datum>> cols_;  // the loaded row group's columns (read_ order)
  size_t group_rows_ = 0;                 // rows in cols_
  size_t row_ = 0;                        // the next row of cols_ to hand out
  int64_t group_sequence_number_ = 0;     // of the file cols_ came from
  int64_t group_partition_id_ = kNoPartition;
};

// The partition name ("v1$v2", upstream's text of each value) of an identity partition tuple of a
// table partitioned by `keys` (in that order; the tuple's values have the Avro kinds
// iceberg::IdentityPartitionValue gives them).
Result<std::string> PartitionNameOfTuple(const Schema& schema, const std::vector<std::string>& keys,
                                         const std::vector<avro::AvroValue>& tuple);

// Calls `visit` with every row of the snapshot (LakeSnapshotReader::Next's records). `visit`
// returns false to stop early.
Result<LakeSnapshotInfo> ReadLakeSnapshot(const std::string& warehouse, const TableInfo& table,
                                          const std::vector<std::string>& columns,
                                          const std::function<bool(ScanRecord&&)>& visit);

}  // namespace fluss::lake
