#include "lake/tiering/lake_snapshot_scanner.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

namespace fluss::lake {

Result<std::unique_ptr<LakeSnapshotScanner>> LakeSnapshotScanner::Open(Connection& connection, const TablePath& path,
                                                                       LakeScanOptions options) {
  std::unique_ptr<LakeSnapshotScanner> s(new LakeSnapshotScanner());
  FLUSS_ASSIGN_OR_RETURN(Table table, connection.GetTable(path));
  const TableInfo& info = table.info();
  std::vector<int32_t> buckets = options.buckets;
  for (int32_t b : buckets) {
    if (b < 0 || b >= info.num_buckets) {
      return Status::Invalid(fmt::format("table '{}' has no bucket {} (it has {})", path.ToString(), b,
                                         info.num_buckets));
    }
  }
  if (buckets.empty()) {
    for (int32_t b = 0; b < info.num_buckets; ++b) buckets.push_back(b);
  }
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  FLUSS_ASSIGN_OR_RETURN(s->log_, table.NewLogScanner(ScanOptions{.columns = options.columns}));
  // The log end first, then the lake: a round committed in between only moves the lake's offsets
  // further, never leaves a gap.
  FLUSS_ASSIGN_OR_RETURN(auto latest, connection.GetAdmin().ListOffsets(path, OffsetSpec::Latest(), buckets));
  FLUSS_ASSIGN_OR_RETURN(s->lake_, LakeSnapshotReader::Open(options.warehouse, info, options.columns));
  s->info_ = s->lake_->info();
  for (int32_t b : buckets) {
    const int64_t from = s->info_.offsets.count(b) ? s->info_.offsets.at(b) : 0;
    const int64_t end = latest.count(b) ? latest.at(b) : 0;
    s->ranges_[b] = {from, options.follow ? INT64_MAX : std::max(end, from)};
    s->open_.insert(b);
  }
  return s;
}

bool LakeSnapshotScanner::done() const { return lake_ == nullptr && log_started_ && open_.empty(); }

Status LakeSnapshotScanner::StartLog() {
  log_started_ = true;
  for (auto it = open_.begin(); it != open_.end();) {
    const auto [from, to] = ranges_.at(*it);
    if (from >= to) {
      it = open_.erase(it);
      continue;
    }
    FLUSS_RETURN_NOT_OK(log_->Subscribe(*it, from));
    ++it;
  }
  return Status::OK();
}

Result<std::vector<ScanRecord>> LakeSnapshotScanner::Poll(std::chrono::milliseconds timeout) {
  if (lake_ != nullptr) {
    FLUSS_ASSIGN_OR_RETURN(auto batch, lake_->Next());
    info_ = lake_->info();
    if (batch) {
      std::vector<ScanRecord> out;
      out.reserve(batch->size());
      for (auto& r : *batch) {
        if (ranges_.count(r.bucket)) out.push_back(std::move(r));
      }
      return out;
    }
    lake_.reset();
  }
  if (!log_started_) FLUSS_RETURN_NOT_OK(StartLog());
  return PollLog(timeout);
}

Result<std::vector<ScanRecord>> LakeSnapshotScanner::PollLog(std::chrono::milliseconds timeout) {
  std::vector<ScanRecord> out;
  if (open_.empty()) return out;
  FLUSS_ASSIGN_OR_RETURN(auto records, log_->Poll(timeout));
  for (auto& r : records) {
    auto range = ranges_.find(r.bucket);
    if (range == ranges_.end() || r.offset < range->second.first || r.offset >= range->second.second) continue;
    out.push_back(std::move(r));
  }
  // A bucket whose position reached its end is done (its changelog may end in empty batches).
  const auto positions = log_->positions();
  for (auto it = open_.begin(); it != open_.end();) {
    auto p = positions.find(*it);
    if (p != positions.end() && p->second >= ranges_.at(*it).second) {
      FLUSS_RETURN_NOT_OK(log_->Unsubscribe(*it));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace fluss::lake
