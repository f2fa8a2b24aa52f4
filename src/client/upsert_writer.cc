// UpsertWriterImpl: rows → per-bucket KvRecordBatches → PutKv requests. Batching, the sender,
// memory bounds and idempotent retries are BucketBatchWriter's; rows are checked and encoded
// (KvWriteEncoder) before they reach it, so a bad row queues nothing (see UpsertWriter in
// include/fluss/client.h for the contract).
#include "client/bucket_batch_writer.h"
#include "client/client_context.h"
#include "client/kv_encoding.h"
#include "client/partition_router.h"
#include "client/produce_request.h"
#include "fluss_api.pb.h"
#include "format/kv_record_batch.h"

namespace fluss {

namespace {

class KvBatchBuilder final : public BatchBuilder {
 public:
  explicit KvBatchBuilder(KvRecordBatchBuilderOptions options) : builder_(options) {}
  size_t num_records() const override { return builder_.num_records(); }
  size_t size_in_bytes() const override { return builder_.size_in_bytes(); }
  Result<Buffer> Build() override { return builder_.Build(); }
  KvRecordBatchBuilder& builder() { return builder_; }

 private:
  KvRecordBatchBuilder builder_;
};

// KvRecordBatches in PutKv requests (version 1: keys are CompactedKeys whatever the bucket key).
class KvBatchProtocol final : public BatchProtocol {
 public:
  KvBatchProtocol(std::shared_ptr<ClientContext> ctx, const TableInfo& info, int64_t writer_id,
                  std::vector<int32_t> target_columns)
      : ctx_(std::move(ctx)), schema_id_(static_cast<int16_t>(info.schema_id)), table_id_(info.table_id),
        writer_id_(writer_id), target_columns_(std::move(target_columns)) {}

  std::unique_ptr<BatchBuilder> NewBatch(int32_t sequence) const override {
    KvRecordBatchBuilderOptions o;
    o.schema_id = schema_id_;
    o.writer_id = writer_id_;
    o.batch_sequence = writer_id_ >= 0 ? sequence : kv_batch::kNoBatchSequence;
    return std::make_unique<KvBatchBuilder>(o);
  }
  rpc::ApiKey api_key() const override { return rpc::ApiKey::kPutKv; }
  int16_t api_version() const override { return 1; }
  std::string EncodeRequest(const std::vector<ProduceBucketBatch>& batches) const override {
    return EncodePutKvRequest(ctx_->config.writer_acks, table_id_,
                              static_cast<int32_t>(ctx_->config.request_timeout.count()), target_columns_, batches);
  }
  Result<std::map<PartitionBucket, BucketAck>> DecodeResponse(const std::string& body) const override {
    proto::PutKvResponse resp;
    if (!resp.ParseFromString(body)) return Status(ErrorCode::kCorruptMessage, "cannot parse PutKvResponse");
    std::map<PartitionBucket, BucketAck> out;
    for (const auto& r : resp.buckets_resp()) {
      BucketAck& ack = out[PartitionBucket{r.has_partition_id() ? r.partition_id() : kNoPartition, r.bucket_id()}];
      if (r.has_error_code() && r.error_code() != 0) {
        ack.status = Status(static_cast<ErrorCode>(r.error_code()), r.error_message());
      } else {
        ack.offset = r.has_log_end_offset() ? r.log_end_offset() : -1;
      }
    }
    return out;
  }
  bool per_record_offsets() const override { return false; }
  std::string_view action() const override { return "writing to"; }
  bool idempotent() const override { return writer_id_ >= 0; }

 private:
  const std::shared_ptr<ClientContext> ctx_;
  const int16_t schema_id_;
  const int64_t table_id_;
  const int64_t writer_id_;
  const std::vector<int32_t> target_columns_;
};

class UpsertWriterImpl final : public UpsertWriter {
 public:
  UpsertWriterImpl(std::shared_ptr<ClientContext> ctx, const TableInfo& info, KvWriteEncoder encoder,
                   int64_t writer_id)
      : encoder_(std::move(encoder)), batch_size_(static_cast<size_t>(ctx->config.writer_batch_size)) {
    if (info.descriptor.is_partitioned()) router_ = NewWriterPartitionRouter(ctx, info);
    auto protocol = std::make_unique<KvBatchProtocol>(ctx, info, writer_id, encoder_.target_columns());
    writer_ = std::make_unique<BucketBatchWriter>(std::move(ctx), info, std::move(protocol), /*sticky=*/false);
    if (router_) writer_->SetPartitionGoneHandler([router = router_.get()](int64_t id) { router->Forget(id); });
  }

  ~UpsertWriterImpl() override { (void)Close(); }

  Result<WriteResult> Upsert(const GenericRow& row) override {
    FLUSS_ASSIGN_OR_RETURN(auto w, encoder_.EncodeUpsert(row));
    FLUSS_ASSIGN_OR_RETURN(int64_t partition_id, PartitionOf(row));
    return Queue(partition_id, w);
  }

  Result<WriteResult> Delete(const GenericRow& row) override {
    FLUSS_ASSIGN_OR_RETURN(auto w, encoder_.EncodeDelete(row));
    FLUSS_ASSIGN_OR_RETURN(int64_t partition_id, PartitionOf(row));
    return Queue(partition_id, w);
  }

  Status Flush() override { return writer_->Flush(); }
  Status Close() override { return writer_->Close(); }
  WriterStats stats() const override {
    WriterStats s = writer_->stats();
    if (router_) s.partitions_created = router_->created();
    return s;
  }

 private:
  // The partition of a checked row (its primary key holds the partition keys); kNoPartition for a
  // table without partitions.
  Result<int64_t> PartitionOf(const GenericRow& row) {
    if (!router_) return kNoPartition;
    return router_->PartitionOf(row);
  }

  Result<WriteResult> Queue(int64_t partition_id, const EncodedKvWrite& w) {
    const size_t record_size =
        KvRecordBatchBuilder::RecordSize(w.key.size(), w.row ? std::optional<size_t>(w.row->size()) : std::nullopt);
    return writer_->Add(
        PartitionBucket{partition_id, w.bucket}, [&](const BatchBuilder& b) { return b.size_in_bytes() + record_size <= batch_size_; },
        [&](BatchBuilder* b) {
          auto& builder = static_cast<KvBatchBuilder*>(b)->builder();
          return w.row ? builder.AppendUpsert(w.key, *w.row) : builder.AppendDelete(w.key);
        });
  }

  const KvWriteEncoder encoder_;
  const size_t batch_size_;
  std::unique_ptr<PartitionRouter> router_;  // partitioned tables only
  std::unique_ptr<BucketBatchWriter> writer_;
};

}  // namespace

Result<std::unique_ptr<UpsertWriter>> Table::NewUpsertWriter(const UpsertOptions& options) {
  FLUSS_ASSIGN_OR_RETURN(auto encoder, KvWriteEncoder::Make(info_, options.columns));
  FLUSS_ASSIGN_OR_RETURN(int64_t writer_id, InitWriter(*ctx_, info_.path));
  return std::unique_ptr<UpsertWriter>(new UpsertWriterImpl(ctx_, info_, std::move(encoder), writer_id));
}

}  // namespace fluss
