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
  s->buckets_.insert(buckets.begin(), buckets.end());
  FLUSS_ASSIGN_OR_RETURN(s->log_, table.NewLogScanner(ScanOptions{.columns = options.columns}));
  // The log end first, then the lake: a round committed in between only moves the lake's offsets
  // further, never leaves a gap.
  Admin admin = connection.GetAdmin();
  std::map<PartitionBucket, int64_t> latest;
  std::vector<std::string> partition_names;
  if (!info.descriptor.is_partitioned()) {
    if (!options.partitions.empty()) {
      return Status(ErrorCode::kTableNotPartitioned,
                    fmt::format("table '{}' is not partitioned: no partitions to choose", path.ToString()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto ends, admin.ListOffsets(path, OffsetSpec::Latest(), buckets));
    for (int32_t b : buckets) latest[PartitionBucket{kNoPartition, b}] = ends.count(b) ? ends.at(b) : 0;
  } else {
    FLUSS_ASSIGN_OR_RETURN(auto partitions, admin.ListPartitionInfos(path));
    std::map<std::string, int64_t> ids;
    for (const auto& p : partitions) ids[p.partition_name] = p.partition_id;
    std::vector<std::string> chosen = options.partitions;
    if (chosen.empty()) {
      for (const auto& p : partitions) chosen.push_back(p.partition_name);
    } else {
      partition_names = chosen;  // the lake rows of these only
    }
    for (const auto& name : chosen) {
      auto id = ids.find(name);
      if (id == ids.end()) {
        return Status(ErrorCode::kPartitionNotExists,
                      fmt::format("table '{}' has no partition '{}'", path.ToString(), name));
      }
      FLUSS_ASSIGN_OR_RETURN(auto ends, admin.ListPartitionOffsets(path, name, OffsetSpec::Latest(), buckets));
      for (int32_t b : buckets) latest[PartitionBucket{id->second, b}] = ends.count(b) ? ends.at(b) : 0;
    }
  }
  FLUSS_ASSIGN_OR_RETURN(s->lake_, LakeSnapshotReader::Open(options.warehouse, info, options.columns, partition_names));
  s->info_ = s->lake_->info();
  for (const auto& [pb, end] : latest) {
    auto recorded = s->info_.partition_offsets.find(pb);
    const int64_t from = recorded == s->info_.partition_offsets.end() ? 0 : recorded->second;
    s->ranges_[pb] = {from, options.follow ? INT64_MAX : std::max(end, from)};
    s->open_.insert(pb);
  }
  return s;
}

std::map<int32_t, std::pair<int64_t, int64_t>> LakeSnapshotScanner::log_ranges() const {
  std::map<int32_t, std::pair<int64_t, int64_t>> out;
  for (const auto& [pb, range] : ranges_) {
    if (pb.partition_id == kNoPartition) out[pb.bucket] = range;
  }
  return out;
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
    if (it->partition_id == kNoPartition) {
      FLUSS_RETURN_NOT_OK(log_->Subscribe(it->bucket, from));
    } else {
      FLUSS_RETURN_NOT_OK(log_->Subscribe(it->partition_id, it->bucket, from));
    }
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
        // The reader returns the partitions asked for only; keep the buckets asked for.
        if (buckets_.contains(r.bucket)) out.push_back(std::move(r));
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
    auto range = ranges_.find(PartitionBucket{r.partition_id, r.bucket});
    if (range == ranges_.end() || r.offset < range->second.first || r.offset >= range->second.second) continue;
    out.push_back(std::move(r));
  }
  // A bucket whose position reached its end is done (its changelog may end in empty batches).
  // A bucket of a partition dropped meanwhile is no longer in the positions: done as well (its
  // rows in the lake were returned; the log has no more).
  const auto positions = log_->bucket_positions();
  for (auto it = open_.begin(); it != open_.end();) {
    auto p = positions.find(*it);
    if (p == positions.end() && it->partition_id != kNoPartition) {
      it = open_.erase(it);
    } else if (p != positions.end() && p->second >= ranges_.at(*it).second) {
      FLUSS_RETURN_NOT_OK(it->partition_id == kNoPartition ? log_->Unsubscribe(it->bucket)
                                                           : log_->Unsubscribe(it->partition_id, it->bucket));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace fluss::lake
