// LakeSnapshotScanner: a union read of one table — the rows of its current lake snapshot, then each
// bucket's log from the offsets recorded with that snapshot (docs/lake.md, docs/client.md).
//
//   auto scanner = lake::LakeSnapshotScanner::Open(*conn, path, {.warehouse = dir}).value();
//   while (!scanner->done()) for (auto& r : scanner->Poll(500ms).value()) apply(r);
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
  std::vector<int32_t> buckets;      // the buckets to read; empty: all
  bool follow = false;               // false: stop at the log end as of Open; true: follow new records
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
  // Per bucket: the log range [from, to) the scanner returns after the lake rows (to = INT64_MAX
  // with follow).
  const std::map<int32_t, std::pair<int64_t, int64_t>>& log_ranges() const { return ranges_; }
  // The schema of the returned rows.
  const Schema& schema() const { return log_->schema(); }

 private:
  LakeSnapshotScanner() = default;
  Status StartLog();
  Result<std::vector<ScanRecord>> PollLog(std::chrono::milliseconds timeout);

  std::unique_ptr<LakeSnapshotReader> lake_;
  std::unique_ptr<LogScanner> log_;
  LakeSnapshotInfo info_;
  std::map<int32_t, std::pair<int64_t, int64_t>> ranges_;
  std::set<int32_t> open_;  // buckets whose range is not fully returned
  bool log_started_ = false;
};

}  // namespace fluss::lake
