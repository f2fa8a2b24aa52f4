// LogScannerImpl: FetchLog long polls against the bucket leaders, decoding the returned batches
// into rows or columns of the projected schema.
#include <algorithm>
#include <deque>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "client/client_context.h"
#include "fluss_api.pb.h"
#include "format/arrow/record_batch.h"
#include "format/log_record_batch.h"

namespace fluss {

namespace {

using Clock = std::chrono::steady_clock;

class LogScannerImpl final : public LogScanner {
 public:
  LogScannerImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, std::vector<size_t> user_columns)
      : ctx_(std::move(ctx)), info_(std::move(info)) {
    const size_t n = info_.schema().num_columns();
    projected_ = !user_columns.empty() && user_columns.size() < n;
    if (user_columns.empty()) {
      for (size_t i = 0; i < n; ++i) user_columns.push_back(i);
    }
    sorted_ = user_columns;
    std::sort(sorted_.begin(), sorted_.end());
    sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
    if (sorted_.size() == n) projected_ = false;
    for (size_t c : user_columns) {
      order_.push_back(static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), c) - sorted_.begin()));
    }
    output_schema_ = info_.schema().Project(user_columns).value();
  }

  Status Subscribe(int32_t bucket, int64_t offset) override {
    FLUSS_RETURN_NOT_OK(RequireUnpartitioned(info_, "subscribing", "Subscribe(partition_id, bucket, ...)"));
    return SubscribeAt(PartitionBucket{kNoPartition, bucket}, offset);
  }

  Status Subscribe(int32_t bucket, const OffsetSpec& spec) override {
    FLUSS_RETURN_NOT_OK(RequireUnpartitioned(info_, "subscribing", "Subscribe(partition_id, bucket, ...)"));
    return SubscribeAt(PartitionBucket{kNoPartition, bucket}, spec);
  }

  Status Unsubscribe(int32_t bucket) override {
    FLUSS_RETURN_NOT_OK(RequireUnpartitioned(info_, "unsubscribing", "Unsubscribe(partition_id, bucket)"));
    return UnsubscribeFrom(PartitionBucket{kNoPartition, bucket});
  }

  Status Subscribe(int64_t partition_id, int32_t bucket, int64_t offset) override {
    FLUSS_RETURN_NOT_OK(CheckPartition(partition_id));
    return SubscribeAt(PartitionBucket{partition_id, bucket}, offset);
  }

  Status Subscribe(int64_t partition_id, int32_t bucket, const OffsetSpec& spec) override {
    FLUSS_RETURN_NOT_OK(CheckPartition(partition_id));
    return SubscribeAt(PartitionBucket{partition_id, bucket}, spec);
  }

  Status Unsubscribe(int64_t partition_id, int32_t bucket) override {
    FLUSS_RETURN_NOT_OK(RequirePartitioned(info_));
    return UnsubscribeFrom(PartitionBucket{partition_id, bucket});
  }

  // Records fetched but not yet returned by Poll are not read: a bucket holding some is at the first
  // of them, so a position saved and subscribed to later delivers them again rather than never.
  std::map<PartitionBucket, int64_t> bucket_positions() const override {
    std::map<PartitionBucket, int64_t> out = positions_;
    std::set<PartitionBucket> seen;
    for (const auto& r : pending_records_) {
      const PartitionBucket pb{r.partition_id, r.bucket};
      if (seen.insert(pb).second) out[pb] = r.offset;
    }
    return out;
  }

  std::map<int32_t, int64_t> positions() const override {
    std::map<int32_t, int64_t> out;
    for (const auto& [pb, offset] : bucket_positions()) {
      if (pb.partition_id == kNoPartition) out[pb.bucket] = offset;
    }
    return out;
  }
  const Schema& schema() const override { return output_schema_; }

  Result<std::vector<ScanRecord>> Poll(std::chrono::milliseconds timeout) override {
    if (pending_records_.empty()) {
      FLUSS_ASSIGN_OR_RETURN(auto batches, FetchBatches(timeout));
      for (const auto& fb : batches) FLUSS_RETURN_NOT_OK(DecodeRows(fb));
    }
    std::vector<ScanRecord> out;
    const size_t n = std::min<size_t>(pending_records_.size(), ctx_->config.scanner_max_poll_records);
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      out.push_back(std::move(pending_records_.front()));
      pending_records_.pop_front();
    }
    return out;
  }

  Result<std::vector<ScanBatch>> PollBatches(std::chrono::milliseconds timeout) override {
    std::vector<ScanBatch> out;
    // Rows buffered by an earlier Poll come first, as one batch per bucket run.
    if (!pending_records_.empty()) return Status::Invalid("mixing Poll and PollBatches on one scanner is not supported");
    FLUSS_ASSIGN_OR_RETURN(auto batches, FetchBatches(timeout));
    for (const auto& fb : batches) {
      FLUSS_ASSIGN_OR_RETURN(auto sb, DecodeColumns(fb));
      if (sb.num_rows() > 0) out.push_back(std::move(sb));
    }
    return out;
  }

 private:
  struct FetchedBatch {
    PartitionBucket bucket;
    int64_t skip_before;  // records below this offset were read before
    LogRecordBatch batch;
  };

  std::string Describe(const PartitionBucket& pb) const {
    if (pb.partition_id == kNoPartition) return fmt::format("bucket {} of '{}'", pb.bucket, info_.path.ToString());
    return fmt::format("bucket {} of partition id {} of '{}'", pb.bucket, pb.partition_id, info_.path.ToString());
  }

  // The table is partitioned and has a partition with this id.
  Status CheckPartition(int64_t partition_id) {
    FLUSS_RETURN_NOT_OK(RequirePartitioned(info_));
    return ctx_->GetPartitionMetadata(info_.path, partition_id).status();
  }

  Status SubscribeAt(const PartitionBucket& pb, int64_t offset) {
    if (pb.bucket < 0 || pb.bucket >= info_.num_buckets) {
      return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("table '{}' has no bucket {} (it has {})",
                                                                  info_.path.ToString(), pb.bucket, info_.num_buckets));
    }
    if (offset < 0 && offset != kEarliestOffset) {
      return Status::Invalid(fmt::format("offset {} is not valid (use an offset >= 0 or kEarliestOffset)", offset));
    }
    positions_[pb] = offset;
    DropBuffered(pb);
    return Status::OK();
  }

  Status SubscribeAt(const PartitionBucket& pb, const OffsetSpec& spec) {
    if (spec.kind == OffsetSpec::Kind::kEarliest) return SubscribeAt(pb, kEarliestOffset);
    if (pb.bucket < 0 || pb.bucket >= info_.num_buckets) return SubscribeAt(pb, int64_t{0});  // the error
    const int32_t type = spec.kind == OffsetSpec::Kind::kLatest ? rpc::kListOffsetsLatest : rpc::kListOffsetsTimestamp;
    FLUSS_ASSIGN_OR_RETURN(auto offsets, ListBucketOffsets(*ctx_, info_.path, info_.table_id, pb.partition_id,
                                                           {pb.bucket}, type, spec.timestamp_ms));
    return SubscribeAt(pb, offsets.at(pb.bucket));
  }

  Status UnsubscribeFrom(const PartitionBucket& pb) {
    positions_.erase(pb);
    DropBuffered(pb);
    return Status::OK();
  }

  // The partition is gone (dropped, expired): its buckets leave the subscription. Records already
  // fetched from it are still returned.
  void DropPartition(int64_t partition_id) {
    ClientLog().info("partition id {} of '{}' no longer exists: its buckets are unsubscribed", partition_id,
                     info_.path.ToString());
    dropped_partitions_ = true;
    for (auto it = positions_.begin(); it != positions_.end();) {
      it = it->first.partition_id == partition_id ? positions_.erase(it) : std::next(it);
    }
  }

  void DropBuffered(const PartitionBucket& pb) {
    pending_records_.erase(std::remove_if(pending_records_.begin(), pending_records_.end(),
                                          [&pb](const ScanRecord& r) {
                                            return r.partition_id == pb.partition_id && r.bucket == pb.bucket;
                                          }),
                           pending_records_.end());
  }

  Result<Schema> ProjectedSchemaFor(int32_t schema_id) {
    auto it = projected_schemas_.find(schema_id);
    if (it != projected_schemas_.end()) return it->second;
    FLUSS_ASSIGN_OR_RETURN(auto full, ctx_->GetSchema(info_.path, info_.table_id, schema_id));
    Schema s = full;
    if (projected_) {
      FLUSS_ASSIGN_OR_RETURN(s, full.Project(sorted_));
    }
    projected_schemas_.emplace(schema_id, s);
    return s;
  }

  // One or more FetchLog rounds until some batches arrive or `timeout` passes.
  Result<std::vector<FetchedBatch>> FetchBatches(std::chrono::milliseconds timeout) {
    if (positions_.empty()) {
      if (!dropped_partitions_) return Status::Invalid("the scanner has no subscribed bucket");
      // Every subscribed partition was dropped: nothing can come; wait as a poll without data would.
      std::this_thread::sleep_for(timeout);
      return std::vector<FetchedBatch>{};
    }
    const auto deadline = Clock::now() + timeout;
    while (true) {
      // Every subscribed partition was dropped: nothing more can come (not an error).
      if (positions_.empty()) return std::vector<FetchedBatch>{};
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      const auto wait = std::max(std::chrono::milliseconds(0), std::min(remaining, ctx_->config.scanner_fetch_wait_max));
      FLUSS_ASSIGN_OR_RETURN(auto batches, FetchRound(wait));
      if (!batches.empty() || Clock::now() >= deadline) return batches;
    }
  }

  Result<std::vector<FetchedBatch>> FetchRound(std::chrono::milliseconds wait) {
    std::map<int32_t, std::vector<PartitionBucket>> by_leader;
    // A bucket whose leader is unknown or unreachable (a failover) is skipped this round and asked
    // again after a metadata refresh and a short pause.
    bool retry_later = false;
    std::set<int64_t> gone;  // partitions that no longer exist
    for (const auto& [bucket, offset] : positions_) {
      if (gone.count(bucket.partition_id)) continue;
      auto leader = ctx_->LeaderNode(info_.path, bucket);
      if (!leader.ok()) {
        if (leader.status().code() == ErrorCode::kPartitionNotExists) {
          gone.insert(bucket.partition_id);
          continue;
        }
        if (!IsRetriable(leader.status().code())) return leader.status();
        ClientLog().debug("{} has no reachable leader yet: {}", Describe(bucket), leader.status().ToString());
        ctx_->InvalidateTable(info_.path);
        retry_later = true;
        continue;
      }
      by_leader[*leader].push_back(bucket);
    }
    for (int64_t id : gone) DropPartition(id);
    std::vector<FetchedBatch> out;
    for (const auto& [leader, buckets] : by_leader) {
      proto::FetchLogRequest req;
      req.set_follower_server_id(-1);
      req.set_max_bytes(ctx_->config.scanner_fetch_max_bytes);
      req.set_max_wait_ms(static_cast<int32_t>(wait.count()));
      req.set_min_bytes(ctx_->config.scanner_fetch_min_bytes);
      auto* t = req.add_tables_req();
      t->set_table_id(info_.table_id);
      t->set_projection_pushdown_enabled(projected_);
      if (projected_) {
        for (size_t c : sorted_) t->add_projected_fields(static_cast<int32_t>(c));
      }
      for (const PartitionBucket& b : buckets) {
        auto* br = t->add_buckets_req();
        if (b.partition_id != kNoPartition) br->set_partition_id(b.partition_id);
        br->set_bucket_id(b.bucket);
        br->set_fetch_offset(positions_[b]);
        br->set_max_fetch_bytes(ctx_->config.scanner_fetch_max_bytes_for_bucket);
      }
      auto client = ctx_->NodeClient(leader);
      Result<std::string> body = client.ok() ? (*client)->CallSync(static_cast<int16_t>(rpc::ApiKey::kFetchLog), 0,
                                                                   req.SerializeAsString(),
                                                                   ctx_->config.request_timeout + wait)
                                             : Result<std::string>(client.status());
      if (!body.ok()) {
        if (IsRetriable(body.status().code())) {
          ctx_->InvalidateTable(info_.path);
          ClientLog().debug("fetch from server {} failed, will retry: {}", leader, body.status().ToString());
          retry_later = true;
          continue;
        }
        return body.status();
      }
      auto resp = std::make_shared<proto::FetchLogResponse>();
      if (!resp->ParseFromString(*body)) return Status(ErrorCode::kCorruptMessage, "cannot parse FetchLogResponse");
      for (const auto& tr : resp->tables_resp()) {
        for (const auto& br : tr.buckets_resp()) {
          const PartitionBucket bucket{br.has_partition_id() ? br.partition_id() : kNoPartition, br.bucket_id()};
          auto pos = positions_.find(bucket);
          if (pos == positions_.end()) continue;
          if (br.has_error_code() && br.error_code() != 0) {
            const auto code = static_cast<ErrorCode>(br.error_code());
            if (IsRetriable(code) || (code == ErrorCode::kPartitionNotExists && bucket.partition_id != kNoPartition)) {
              // A partition the server no longer has: the metadata says next round whether it is
              // gone (then it is unsubscribed) or only moved.
              ctx_->InvalidateTable(info_.path);
              retry_later = true;
              continue;
            }
            return Status(code, fmt::format("reading {} at offset {}: {}", Describe(bucket), pos->second,
                                            br.error_message()));
          }
          if (pos->second == kEarliestOffset && br.has_log_start_offset()) pos->second = br.log_start_offset();
          if (!br.has_records() || br.records().empty()) continue;
          // The batches stay in the parsed response; the buffer keeps it alive.
          Buffer data = Buffer::Wrap(resp, reinterpret_cast<const uint8_t*>(br.records().data()), br.records().size());
          const bool verify = ctx_->config.scanner_check_crc && !projected_;
          FLUSS_ASSIGN_OR_RETURN(auto batches, ParseLogRecordBatches(data, verify, /*allow_partial_tail=*/true));
          for (auto& batch : batches) {
            if (batch.next_offset() <= pos->second) continue;
            const int64_t skip = pos->second;
            pos->second = batch.next_offset();
            out.push_back(FetchedBatch{bucket, skip, std::move(batch)});
          }
        }
      }
    }
    if (out.empty() && retry_later) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return out;
  }

  Status DecodeRows(const FetchedBatch& fb) {
    FLUSS_ASSIGN_OR_RETURN(auto schema, ProjectedSchemaFor(fb.batch.schema_id()));
    FLUSS_ASSIGN_OR_RETURN(auto records, fb.batch.ReadRecords(schema));
    for (auto& r : records) {
      if (r.offset < fb.skip_before) continue;
      ScanRecord sr;
      sr.partition_id = fb.bucket.partition_id;
      sr.bucket = fb.bucket.bucket;
      sr.offset = r.offset;
      sr.timestamp = r.timestamp;
      sr.change_type = r.change_type;
      if (IsIdentityOrder()) {
        sr.row = std::move(r.row);
      } else {
        GenericRow row(order_.size());
        for (size_t i = 0; i < order_.size(); ++i) row.SetField(i, r.row.field(order_[i]));
        sr.row = std::move(row);
      }
      pending_records_.push_back(std::move(sr));
    }
    return Status::OK();
  }

  Result<ScanBatch> DecodeColumns(const FetchedBatch& fb) {
    FLUSS_ASSIGN_OR_RETURN(auto schema, ProjectedSchemaFor(fb.batch.schema_id()));
    ScanBatch sb;
    sb.partition_id = fb.bucket.partition_id;
    sb.bucket = fb.bucket.bucket;
    sb.base_offset = fb.batch.base_offset();
    sb.timestamp = fb.batch.commit_timestamp();
    if (fb.batch.record_count() == 0) return sb;
    Buffer message = fb.batch.arrow_message();
    FLUSS_ASSIGN_OR_RETURN(auto columns, arrow::DecodeColumns(schema, message.span()));
    if (!fb.batch.is_append_only()) {
      Buffer ct = fb.batch.change_type_bytes();
      for (size_t i = 0; i < ct.size(); ++i) sb.change_types.push_back(static_cast<ChangeType>(ct[i]));
    }
    if (fb.skip_before > sb.base_offset) {
      // The batch holds rows read before: keep the rest (rare: a subscription moved inside a batch).
      FLUSS_ASSIGN_OR_RETURN(auto rows, arrow::ColumnsToRows(columns));
      const size_t skip = static_cast<size_t>(fb.skip_before - sb.base_offset);
      std::vector<arrow::ColumnVector> kept;
      for (const auto& c : columns) kept.emplace_back(c.type);
      for (size_t r = skip; r < rows.size(); ++r) {
        for (size_t c = 0; c < kept.size(); ++c) kept[c].AppendUnchecked(rows[r].field(c));
      }
      columns = std::move(kept);
      sb.base_offset = fb.skip_before;
      if (!sb.change_types.empty()) sb.change_types.erase(sb.change_types.begin(), sb.change_types.begin() + skip);
    }
    if (!IsIdentityOrder()) {
      std::vector<arrow::ColumnVector> ordered;
      for (size_t i : order_) ordered.push_back(columns[i]);
      columns = std::move(ordered);
    }
    sb.columns = std::move(columns);
    return sb;
  }

  bool IsIdentityOrder() const {
    if (order_.size() != sorted_.size()) return false;
    for (size_t i = 0; i < order_.size(); ++i) {
      if (order_[i] != i) return false;
    }
    return true;
  }

  std::shared_ptr<ClientContext> ctx_;
  TableInfo info_;
  bool projected_ = false;
  std::vector<size_t> sorted_;  // projected column indexes, ascending (what the server gets)
  std::vector<size_t> order_;   // output position -> index within sorted_
  Schema output_schema_;
  std::map<int32_t, Schema> projected_schemas_;
  std::map<PartitionBucket, int64_t> positions_;
  bool dropped_partitions_ = false;  // a subscribed partition was found dropped (and unsubscribed)
  std::deque<ScanRecord> pending_records_;
};

}  // namespace

Result<std::unique_ptr<LogScanner>> Table::NewLogScanner(const ScanOptions& options) {
  std::vector<size_t> columns;
  for (const auto& name : options.columns) {
    auto idx = info_.schema().IndexOf(name);
    if (!idx) {
      return Status(ErrorCode::kInvalidColumnProjection,
                    fmt::format("table '{}' has no column '{}' (columns: {})", info_.path.ToString(), name,
                                fmt::join(info_.schema().column_names(), ", ")));
    }
    if (std::find(columns.begin(), columns.end(), *idx) != columns.end()) {
      return Status(ErrorCode::kInvalidColumnProjection, fmt::format("column '{}' is asked for twice", name));
    }
    columns.push_back(*idx);
  }
  return std::unique_ptr<LogScanner>(new LogScannerImpl(ctx_, info_, std::move(columns)));
}

}  // namespace fluss
