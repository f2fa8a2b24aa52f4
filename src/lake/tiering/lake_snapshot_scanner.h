// LakeSnapshotScanner: a union read of one table — the rows of its current lake snapshot, then each
// bucket's log from the offsets recorded with that snapshot (docs/lake.md, docs/client.md).
//
//   auto scanner = lake::LakeSnapshotScanner::Open(*conn, path, {.warehouse = dir}).value();
//   while (!scanner->done()) for (auto& r : scanner->Poll(500ms).value()) apply(r);
//
// A partitioned table is read per (partition, bucket): the partitions that exist at Open (or those
// asked for), each bucket's log from the offset the snapshot records for it (0 for a partition the
// lake has not seen yet); lake rows carry their partition's id. Partitions created after Open are
// not read, also with `follow`.
//
// Every record exactly once: the log end per bucket is taken first, then the lake snapshot is
// opened (its files and offsets come from one commit, and a round committed in between only moves
// the lake's offsets further). A log table yields its rows (+A); a primary-key table yields the
// lake rows as +I, then its changelog (+I, -U, +U, -D) — applying them in order gives the table's
// state as of the log end (or on, with `follow`). Not thread-safe: one thread polls.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss/client.h"
#include "lake/tiering/lake_snapshot_reader.h"

namespace fluss::lake {

struct LakeScanOptions {
  std::string warehouse;             // datalake.iceberg.warehouse of the table's cluster
  std::vector<std::string> columns;  // the columns to return, in that order; empty: all
  std::vector<int32_t> buckets;      // the buckets to read (of every partition read); empty: all
  bool follow = false;               // false: stop at the log end as of Open; true: follow new records
  // Partitioned tables: the partitions to read, by name ("v1$v2", PartitionInfo::partition_name);
  // empty: all of them, and also the lake rows of partitions dropped from Fluss since they were
  // tiered. A name that is not a partition now is PARTITION_NOT_EXISTS.
  std::vector<std::string> partitions;
};

class LakeSnapshotScanner {
 public:
  // Takes each bucket's log end, then opens the lake snapshot. Errors: the lake's (a file that does
  // not read, columns not in the table), an unknown bucket, and the client's.
  static Result<std::unique_ptr<LakeSnapshotScanner>> Open(Connection& connection, const TablePath& path,
                                                           LakeScanOptions options);

  // The next records: lake rows (at most 8,192 at a time) until they are used up, then the log from
  // the snapshot's offsets (waiting up to `timeout` for them). Empty when nothing came; once done(),
  // always empty. Errors: the lake's, or the log's (LOG_OFFSET_OUT_OF_RANGE when rows the lake does
  // not hold were deleted from the log: a gap).
  Result<std::vector<ScanRecord>> Poll(std::chrono::milliseconds timeout);
  // True once the lake rows and every bucket's log up to its end as of Open were returned (never
  // with `follow`).
  bool done() const;
  // Whether Poll still returns lake rows.
  bool in_lake() const { return lake_ != nullptr; }
  // The snapshot read (id, offsets per bucket, rows so far).
  const LakeSnapshotInfo& lake_info() const { return info_; }
  // Per bucket of a table without partitions: the log range [from, to) the scanner returns after the
  // lake rows (to = INT64_MAX with follow).
  std::map<int32_t, std::pair<int64_t, int64_t>> log_ranges() const;
  // The same per (partition, bucket) (partition id kNoPartition without partitions).
  const std::map<PartitionBucket, std::pair<int64_t, int64_t>>& partition_log_ranges() const { return ranges_; }
  // The schema of the returned rows.
  const Schema& schema() const { return log_->schema(); }

 private:
  LakeSnapshotScanner() = default;
  Status StartLog();
  Result<std::vector<ScanRecord>> PollLog(std::chrono::milliseconds timeout);

  std::unique_ptr<LakeSnapshotReader> lake_;
  std::unique_ptr<LogScanner> log_;
  LakeSnapshotInfo info_;
  std::map<PartitionBucket, std::pair<int64_t, int64_t>> ranges_;
  std::set<int32_t> buckets_;       // the buckets asked for
  std::set<PartitionBucket> open_;  // buckets whose range is not fully returned
  bool log_started_ = false;
};

}  // namespace fluss::lake
