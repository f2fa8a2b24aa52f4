// BatchScannerImpl: pages through a snapshot of one bucket's KV state with ScanKv. The first request
// opens a scanner on the bucket's leader (retried while the leader is unknown or moving: nothing is
// open yet); later requests name the scanner and number themselves, on that same server.
#include <thread>

#include "client/client_context.h"
#include "client/kv_encoding.h"
#include "fluss_api.pb.h"
#include "format/value_encoding.h"

namespace fluss {

namespace {

using Clock = std::chrono::steady_clock;

class BatchScannerImpl final : public BatchScanner {
 public:
  BatchScannerImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, PartitionBucket bucket,
                   std::vector<size_t> columns, Schema output_schema)
      : ctx_(std::move(ctx)), info_(std::move(info)), bucket_(bucket), columns_(std::move(columns)),
        output_schema_(std::move(output_schema)),
        decoder_(info_.schema(), info_.schema_id,
                 [ctx = ctx_, path = info_.path, table_id = info_.table_id](int32_t schema_id) {
                   return ctx->GetSchema(path, table_id, schema_id);
                 }) {
    for (size_t i = 0; i < columns_.size(); ++i) identity_ = identity_ && columns_[i] == i;
    identity_ = identity_ && columns_.size() == info_.schema().num_columns();
  }

  ~BatchScannerImpl() override { (void)Close(); }

  Result<std::optional<std::vector<GenericRow>>> PollBatch() override {
    if (!failed_.ok()) return failed_;
    while (!done_) {
      auto resp = Next();
      if (!resp.ok()) {
        // The server's scanner cannot be resumed after a failed call: the scan is over, and every
        // later poll says so (an empty answer would pass for the end of the snapshot).
        done_ = true;
        failed_ = resp.status().WithContext(Describe());
        return failed_;
      }
      if (!(*resp)->has_more_results()) done_ = true;
      FLUSS_ASSIGN_OR_RETURN(auto rows, Decode(*resp));
      if (!rows.empty()) return std::optional<std::vector<GenericRow>>(std::move(rows));
    }
    return std::optional<std::vector<GenericRow>>();
  }

  int64_t snapshot_log_offset() const override { return snapshot_log_offset_; }
  const Schema& schema() const override { return output_schema_; }

  Status Close() override {
    if (done_ || scanner_id_.empty() || !client_) {
      done_ = true;
      return Status::OK();
    }
    done_ = true;
    proto::ScanKvRequest req;
    req.set_scanner_id(scanner_id_);
    req.set_close_scanner(true);
    auto resp = ctx_->Call<proto::ScanKvResponse>(client_, rpc::ApiKey::kScanKv, req);
    if (!resp.ok()) return resp.status();
    return ResponseStatus(*resp);
  }

 private:
  std::string Describe() const {
    if (bucket_.partition_id == kNoPartition) {
      return fmt::format("scanning bucket {} of '{}'", bucket_.bucket, info_.path.ToString());
    }
    return fmt::format("scanning bucket {} of partition id {} of '{}'", bucket_.bucket, bucket_.partition_id,
                       info_.path.ToString());
  }

  Status ResponseStatus(const proto::ScanKvResponse& resp) const {
    if (!resp.has_error_code() || resp.error_code() == 0) return Status::OK();
    return Status(static_cast<ErrorCode>(resp.error_code()), resp.error_message());
  }

  // The next page: the opening request the first time, then the scanner's continuations.
  Result<std::shared_ptr<proto::ScanKvResponse>> Next() {
    proto::ScanKvRequest req;
    req.set_batch_size_bytes(ctx_->config.scanner_kv_fetch_max_bytes);
    if (!client_) return Open(req);
    req.set_scanner_id(scanner_id_);
    req.set_call_seq_id(next_call_seq_id_++);
    FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->Call<proto::ScanKvResponse>(client_, rpc::ApiKey::kScanKv, req));
    FLUSS_RETURN_NOT_OK(ResponseStatus(resp));
    return std::make_shared<proto::ScanKvResponse>(std::move(resp));
  }

  Result<std::shared_ptr<proto::ScanKvResponse>> Open(proto::ScanKvRequest req) {
    auto* b = req.mutable_bucket_scan_req();
    b->set_table_id(info_.table_id);
    if (bucket_.partition_id != kNoPartition) b->set_partition_id(bucket_.partition_id);
    b->set_bucket_id(bucket_.bucket);
    const auto deadline = Clock::now() + ctx_->config.request_timeout;
    while (true) {
      Status st;
      auto client = ctx_->LeaderClient(info_.path, bucket_);
      if (client.ok()) {
        auto resp = ctx_->Call<proto::ScanKvResponse>(*client, rpc::ApiKey::kScanKv, req);
        st = resp.ok() ? ResponseStatus(*resp) : resp.status();
        if (st.ok()) {
          client_ = *client;
          scanner_id_ = resp->scanner_id();
          if (resp->has_log_offset()) snapshot_log_offset_ = resp->log_offset();
          return std::make_shared<proto::ScanKvResponse>(std::move(resp).value());
        }
      } else {
        st = client.status();
      }
      if (!IsRetriable(st.code()) || Clock::now() >= deadline) return st;
      ClientLog().debug("{} will be retried: {}", Describe(), st.ToString());
      ctx_->InvalidateTable(info_.path);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Result<std::vector<GenericRow>> Decode(const std::shared_ptr<proto::ScanKvResponse>& resp) {
    std::vector<GenericRow> out;
    if (!resp->has_records() || resp->records().empty()) return out;
    // The records stay in the parsed response; the buffer keeps it alive.
    Buffer data = Buffer::Wrap(resp, reinterpret_cast<const uint8_t*>(resp->records().data()), resp->records().size());
    FLUSS_ASSIGN_OR_RETURN(auto batch, ValueRecordBatch::Parse(data));
    out.reserve(static_cast<size_t>(batch.record_count()));
    for (const KvValueView& v : batch) {
      FLUSS_ASSIGN_OR_RETURN(auto row, decoder_.DecodeRow(v.schema_id, v.row));
      if (identity_) {
        out.push_back(std::move(row));
        continue;
      }
      GenericRow projected(columns_.size());
      for (size_t i = 0; i < columns_.size(); ++i) projected.SetField(i, row.field(columns_[i]));
      out.push_back(std::move(projected));
    }
    return out;
  }

  const std::shared_ptr<ClientContext> ctx_;
  const TableInfo info_;
  const PartitionBucket bucket_;
  const std::vector<size_t> columns_;
  const Schema output_schema_;
  KvValueDecoder decoder_;
  bool identity_ = true;

  std::shared_ptr<rpc::RpcClient> client_;  // the server holding the scanner, once open
  std::string scanner_id_;
  int32_t next_call_seq_id_ = 0;
  int64_t snapshot_log_offset_ = -1;
  bool done_ = false;
  Status failed_;
};

}  // namespace

namespace {

Result<std::unique_ptr<BatchScanner>> MakeBatchScanner(const std::shared_ptr<ClientContext>& ctx_,
                                                       const TableInfo& info_, PartitionBucket bucket,
                                                       const ScanOptions& options) {
  if (!info_.schema().has_primary_key()) {
    return Status(ErrorCode::kNonPrimaryKeyTable,
                  fmt::format("table '{}' has no primary key: batch scans read the state of primary-key tables (read "
                              "a log table with NewLogScanner)",
                              info_.path.ToString()));
  }
  if (bucket.bucket < 0 || bucket.bucket >= info_.num_buckets) {
    return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("table '{}' has no bucket {} (it has {})",
                                                                info_.path.ToString(), bucket.bucket, info_.num_buckets));
  }
  FLUSS_ASSIGN_OR_RETURN(auto columns, ResolveColumns(info_, options.columns));
  FLUSS_ASSIGN_OR_RETURN(auto schema, info_.schema().Project(columns));
  return std::unique_ptr<BatchScanner>(new BatchScannerImpl(ctx_, info_, bucket, std::move(columns), std::move(schema)));
}

}  // namespace

Result<std::unique_ptr<BatchScanner>> Table::NewBatchScanner(int32_t bucket, const ScanOptions& options) {
  FLUSS_RETURN_NOT_OK(RequireUnpartitioned(info_, "a batch scan", "NewBatchScanner(partition_id, bucket)"));
  return MakeBatchScanner(ctx_, info_, PartitionBucket{kNoPartition, bucket}, options);
}

Result<std::unique_ptr<BatchScanner>> Table::NewBatchScanner(int64_t partition_id, int32_t bucket,
                                                             const ScanOptions& options) {
  FLUSS_RETURN_NOT_OK(RequirePartitioned(info_));
  FLUSS_RETURN_NOT_OK(ctx_->GetPartitionMetadata(info_.path, partition_id).status());
  return MakeBatchScanner(ctx_, info_, PartitionBucket{partition_id, bucket}, options);
}

}  // namespace fluss
