// AppendWriterImpl: rows → per-bucket Arrow log batches → ProduceLog requests. The batching, the
// background sender, memory bounds and idempotent retries are BucketBatchWriter's; this file holds
// what is particular to log tables: the Arrow batch format, the ProduceLog messages, sticky
// bucketing and columnar appends (see AppendWriter in include/fluss/client.h for the contract).
#include <spdlog/spdlog.h>

#include "client/bucket_batch_writer.h"
#include "client/client_context.h"
#include "client/partition_router.h"
#include "client/produce_request.h"
#include "fluss_api.pb.h"
#include "format/arrow/record_batch.h"
#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/log_record_batch.h"

namespace fluss {

namespace {

class LogBatchBuilder final : public BatchBuilder {
 public:
  LogBatchBuilder(const Schema& schema, LogRecordBatchBuilderOptions options) : builder_(schema, options) {}
  size_t num_records() const override { return builder_.num_records(); }
  size_t size_in_bytes() const override { return builder_.EstimatedSizeInBytes(); }
  Result<Buffer> Build() override { return builder_.Build(); }
  LogRecordBatchBuilder& builder() { return builder_; }
  const LogRecordBatchBuilder& builder() const { return builder_; }

 private:
  LogRecordBatchBuilder builder_;
};

// Arrow log batches in ProduceLog requests.
class LogBatchProtocol final : public BatchProtocol {
 public:
  LogBatchProtocol(std::shared_ptr<ClientContext> ctx, const TableInfo& info, int64_t writer_id)
      : ctx_(std::move(ctx)), schema_(info.schema()), schema_id_(static_cast<int16_t>(info.schema_id)),
        table_id_(info.table_id), writer_id_(writer_id),
        compression_(arrow::TableLogCompression(info.descriptor.properties())) {}

  LogRecordBatchBuilderOptions BatchOptions(int32_t sequence) const {
    LogRecordBatchBuilderOptions o;
    o.schema_id = schema_id_;
    o.compression = compression_;
    o.max_batch_bytes = static_cast<size_t>(ctx_->config.writer_batch_size);
    o.writer_id = writer_id_;
    o.batch_sequence = writer_id_ >= 0 ? sequence : log_batch::kNoBatchSequence;
    return o;
  }

  std::unique_ptr<BatchBuilder> NewBatch(int32_t sequence) const override {
    return std::make_unique<LogBatchBuilder>(schema_, BatchOptions(sequence));
  }
  rpc::ApiKey api_key() const override { return rpc::ApiKey::kProduceLog; }
  int16_t api_version() const override { return 0; }
  std::string EncodeRequest(const std::vector<ProduceBucketBatch>& batches) const override {
    return EncodeProduceLogRequest(ctx_->config.writer_acks, table_id_,
                                   static_cast<int32_t>(ctx_->config.request_timeout.count()), batches);
  }
  Result<std::map<PartitionBucket, BucketAck>> DecodeResponse(const std::string& body) const override {
    proto::ProduceLogResponse resp;
    if (!resp.ParseFromString(body)) return Status(ErrorCode::kCorruptMessage, "cannot parse ProduceLogResponse");
    std::map<PartitionBucket, BucketAck> out;
    for (const auto& r : resp.buckets_resp()) {
      BucketAck& ack = out[PartitionBucket{r.has_partition_id() ? r.partition_id() : kNoPartition, r.bucket_id()}];
      if (r.has_error_code() && r.error_code() != 0) {
        ack.status = Status(static_cast<ErrorCode>(r.error_code()), r.error_message());
      } else {
        ack.offset = r.base_offset();
      }
    }
    return out;
  }
  bool per_record_offsets() const override { return true; }
  std::string_view action() const override { return "appending to"; }
  bool idempotent() const override { return writer_id_ >= 0; }
  const arrow::CompressionOptions& compression() const { return compression_; }

 private:
  const std::shared_ptr<ClientContext> ctx_;
  const Schema schema_;  // the batches' builders refer to it
  const int16_t schema_id_;
  const int64_t table_id_;
  const int64_t writer_id_;
  const arrow::CompressionOptions compression_;
};

class AppendWriterImpl final : public AppendWriter {
 public:
  AppendWriterImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, int64_t writer_id) : info_(std::move(info)) {
    for (const auto& key : info_.descriptor.bucket_keys()) {
      auto idx = info_.schema().IndexOf(key);
      if (idx) bucket_key_indexes_.push_back(*idx);
    }
    if (info_.descriptor.is_partitioned()) router_ = NewWriterPartitionRouter(ctx, info_);
    auto protocol = std::make_unique<LogBatchProtocol>(ctx, info_, writer_id);
    protocol_ = protocol.get();
    writer_ = std::make_unique<BucketBatchWriter>(std::move(ctx), info_, std::move(protocol),
                                                  /*sticky=*/bucket_key_indexes_.empty());
    if (router_) writer_->SetPartitionGoneHandler([router = router_.get()](int64_t id) { router->Forget(id); });
  }

  ~AppendWriterImpl() override { (void)Close(); }

  Result<WriteResult> Append(const GenericRow& row) override {
    const Schema& schema = info_.schema();
    if (row.arity() != schema.num_columns()) {
      return Status::Invalid(fmt::format("row has {} fields; table '{}' has {} columns", row.arity(),
                                         info_.path.ToString(), schema.num_columns()));
    }
    for (size_t i = 0; i < row.arity(); ++i) {
      FLUSS_RETURN_NOT_OK(ValidateDatum(row.field(i), schema.column(i).type, schema.column(i).name));
    }
    PartitionBucket bucket{kNoPartition, BucketBatchWriter::kStickyBucket};
    if (!bucket_key_indexes_.empty()) {
      FLUSS_ASSIGN_OR_RETURN(bucket.bucket, BucketOf(row));
    }
    // Last: the partition, which may be created now (after every check of the row).
    if (router_) {
      FLUSS_ASSIGN_OR_RETURN(bucket.partition_id, router_->PartitionOf(row));
    }
    return writer_->Add(
        bucket, [&](const BatchBuilder& b) { return static_cast<const LogBatchBuilder&>(b).builder().HasRoomFor(row); },
        [&](BatchBuilder* b) { return static_cast<LogBatchBuilder*>(b)->builder().Append(row); });
  }

  Result<WriteResult> AppendColumns(std::vector<arrow::ColumnVector> columns) override {
    const Schema& schema = info_.schema();
    if (columns.size() != schema.num_columns()) {
      return Status::Invalid(fmt::format("{} columns given; table '{}' has {}", columns.size(), info_.path.ToString(),
                                         schema.num_columns()));
    }
    if (!bucket_key_indexes_.empty() || router_) {
      // Rows go to the buckets of their keys, or to their partitions.
      FLUSS_ASSIGN_OR_RETURN(auto rows, arrow::ColumnsToRows(columns));
      WriteResult first;
      for (size_t i = 0; i < rows.size(); ++i) {
        FLUSS_ASSIGN_OR_RETURN(auto r, Append(rows[i]));
        if (i == 0) first = r;
      }
      return first;
    }
    const size_t n = columns.empty() ? 0 : columns[0].length;
    if (n == 0) return Status::Invalid("no rows to append");
    // EncodeColumns checks the buffers; the text is checked here, as Append checks a row's.
    for (size_t i = 0; i < columns.size(); ++i) {
      FLUSS_RETURN_NOT_OK(columns[i].Validate(schema.column(i).name));
      FLUSS_RETURN_NOT_OK(columns[i].ValidateText(schema.column(i).name));
    }
    FLUSS_ASSIGN_OR_RETURN(auto message, arrow::EncodeColumns(schema, columns, protocol_->compression()));
    return writer_->AddEncoded(static_cast<int32_t>(n), [&](int32_t sequence) {
      return WrapArrowMessage(message, static_cast<int32_t>(n), {}, protocol_->BatchOptions(sequence));
    });
  }

  Status Flush() override { return writer_->Flush(); }
  Status Close() override { return writer_->Close(); }
  WriterStats stats() const override {
    WriterStats s = writer_->stats();
    if (router_) s.partitions_created = router_->created();
    return s;
  }

 private:
  // Fluss's bucketing: the bucket-key columns as a CompactedKey, hashed (MurmurHash, seed 42).
  // A NULL bucket-key value is an error naming the column.
  Result<int32_t> BucketOf(const GenericRow& row) const {
    FLUSS_ASSIGN_OR_RETURN(auto key, EncodeCompactedKey(info_.schema(), bucket_key_indexes_, row));
    return BucketForKey(key, info_.num_buckets);
  }

  const TableInfo info_;
  std::vector<size_t> bucket_key_indexes_;
  std::unique_ptr<PartitionRouter> router_;    // partitioned tables only
  const LogBatchProtocol* protocol_ = nullptr;  // owned by writer_
  std::unique_ptr<BucketBatchWriter> writer_;
};

}  // namespace

Result<std::unique_ptr<AppendWriter>> Table::NewAppendWriter() {
  if (info_.descriptor.has_primary_key()) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("'{}' has a primary key: write it with NewUpsertWriter (append writers are for log "
                              "tables)",
                              info_.path.ToString()));
  }
  FLUSS_ASSIGN_OR_RETURN(int64_t writer_id, InitWriter(*ctx_, info_.path));
  return std::unique_ptr<AppendWriter>(new AppendWriterImpl(ctx_, info_, writer_id));
}

}  // namespace fluss
