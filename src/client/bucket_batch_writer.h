// BucketBatchWriter: what AppendWriter and UpsertWriter share — records collected per bucket into
// batches (closed at client.writer.batch-size, or client.writer.batch-timeout after they opened), a
// background sender that keeps at most max-inflight-requests-per-bucket batches of a bucket in
// flight, unacknowledged memory bounded by client.writer.buffer.memory-size (Add blocks while it is
// full), and idempotent retries.
//
// Batches of one bucket carry consecutive batch sequences, assigned when the batch opens; they are
// sent in sequence order and a failed batch goes back in front of the later ones, so the server's
// writer state (last five sequences per writer and bucket) drops the retries it already has. The
// batch format and the RPC that carries it come from a BatchProtocol: Arrow log batches in
// ProduceLog for log tables, KvRecordBatches in PutKv for primary-key tables.
//
// A batch that fails for good (the server refused it, or retries ran out) would leave a gap in its
// bucket's sequences, and the server answers OUT_OF_ORDER_SEQUENCE to every later batch. So an
// idempotent writer sends an empty batch with the failed batch's sequence in its place: the server
// appends it (one empty log batch) when the failed batch is not there, or answers DUPLICATE when it
// is, and either way the later batches fit again. The failed rows stay failed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/produce_request.h"
#include "common/buffer.h"
#include "common/status.h"
#include "fluss/client.h"
#include "rpc/api_keys.h"

namespace fluss {

struct ClientContext;

// The open (still growing) batch of one bucket, in the format of the protocol that made it.
class BatchBuilder {
 public:
  virtual ~BatchBuilder() = default;
  virtual size_t num_records() const = 0;
  // Bytes of the batch so far (an estimate where the format compresses on Build).
  virtual size_t size_in_bytes() const = 0;
  virtual Result<Buffer> Build() = 0;
};

// The answer for one bucket's batch.
struct BucketAck {
  Status status;
  int64_t offset = -1;
};

// How a writer's batches are made and carried.
class BatchProtocol {
 public:
  virtual ~BatchProtocol() = default;
  // An empty batch stamped with the writer's id and `sequence` (the protocol leaves the sequence out
  // when the writer is not idempotent).
  virtual std::unique_ptr<BatchBuilder> NewBatch(int32_t sequence) const = 0;
  virtual rpc::ApiKey api_key() const = 0;
  virtual int16_t api_version() const = 0;
  // One request carrying `batches`, at most one per (partition, bucket).
  virtual std::string EncodeRequest(const std::vector<ProduceBucketBatch>& batches) const = 0;
  // The answer per (partition, bucket); an error when the body does not parse.
  virtual Result<std::map<PartitionBucket, BucketAck>> DecodeResponse(const std::string& body) const = 0;
  // True when an answer's offset is the first record's (ProduceLog's base offset), false when it
  // belongs to the batch as a whole (PutKv's changelog end offset). WriteResult::offset follows it.
  virtual bool per_record_offsets() const = 0;
  // What the writer does, for error messages: "appending to", "writing to".
  virtual std::string_view action() const = 0;
  // True when batches carry a writer id and sequences (client.writer.enable-idempotence).
  virtual bool idempotent() const = 0;
};

// Queues, sequences and batches are per (partition, bucket): a partitioned table's writer keeps one
// queue for each bucket of each partition it wrote to (partition_id kNoPartition otherwise).
class BucketBatchWriter {
 public:
  // Add's bucket for sticky writers: the bucket being filled now (per partition), which moves on
  // when its batch closes.
  static constexpr int32_t kStickyBucket = -1;

  // `sticky`: records without a bucket of their own fill one bucket a batch at a time, round-robin
  // (log tables without bucket keys). Starts the sender thread.
  BucketBatchWriter(std::shared_ptr<ClientContext> ctx, TableInfo info, std::unique_ptr<BatchProtocol> protocol,
                    bool sticky);
  ~BucketBatchWriter();
  BucketBatchWriter(const BucketBatchWriter&) = delete;
  BucketBatchWriter& operator=(const BucketBatchWriter&) = delete;

  // Adds one record to the open batch of `bucket` (bucket kStickyBucket on a sticky writer). `fits` says
  // whether the record still fits a non-empty open batch (if not, that batch closes and a new one
  // opens); `append` adds it and must add nothing when it fails, in which case nothing is queued.
  // Blocks while the buffer memory is full. Both run under the writer's lock: keep them cheap.
  Result<WriteResult> Add(PartitionBucket bucket, const std::function<bool(const BatchBuilder&)>& fits,
                          const std::function<Status(BatchBuilder*)>& append);
  // Queues a batch of `records` records that `encode(sequence)` makes whole, on its own, into the
  // sticky bucket of a table without partitions (AppendColumns: no row conversion).
  Result<WriteResult> AddEncoded(int32_t records, const std::function<Result<Buffer>(int32_t sequence)>& encode);

  // Sends everything queued and waits for every acknowledgement; returns the first error of a batch
  // that failed since the last Flush.
  Status Flush();
  // Flushes and stops the sender; later Adds fail.
  Status Close();
  WriterStats stats() const;
  // Called (on the sender or io thread, under the writer's lock: keep it cheap, do not call back)
  // with the id of a partition a batch failed for because it no longer exists (PARTITION_NOT_EXISTS),
  // so the rows after it find (or make) the partition again. Set before the first Add.
  void SetPartitionGoneHandler(std::function<void(int64_t partition_id)> handler) {
    partition_gone_ = std::move(handler);
  }

 private:
  struct Batch;
  struct BucketQueue;
  struct Request;
  using Clock = std::chrono::steady_clock;

  std::shared_ptr<Batch> MakeBatch(const PartitionBucket& bucket);
  void QueueFiller(const Batch& failed);
  void OpenBatch(const PartitionBucket& bucket);
  Status CloseOpenBatch(const PartitionBucket& bucket);
  void AdvanceStickyBucket(int64_t partition_id);
  // "bucket 3 of 'db.t'", "bucket 3 of partition id 7 of 'db.t'".
  std::string Describe(const PartitionBucket& bucket) const;
  Status WaitForMemory(std::unique_lock<std::mutex>& lock);
  bool Idle() const;

  void SendLoop();
  std::vector<Request> DrainReady(Clock::time_point now, Clock::time_point* next_wake);
  void Send(Request request);
  void OnResponse(const std::vector<std::shared_ptr<Batch>>& batches, Result<std::string> body);
  void OnBatchDone(const std::shared_ptr<Batch>& b, Status st, int64_t offset);

  const std::shared_ptr<ClientContext> ctx_;
  const TableInfo info_;
  const std::unique_ptr<BatchProtocol> protocol_;
  const bool sticky_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<PartitionBucket, BucketQueue> queues_;  // made on a bucket's first record
  std::map<PartitionBucket, int32_t> leader_cache_;
  std::map<int64_t, int32_t> sticky_bucket_;  // per partition
  int64_t used_memory_ = 0;
  int flush_waiters_ = 0;
  int memory_waiters_ = 0;
  bool closing_ = false;
  bool closed_sender_ = false;
  Status first_error_;
  WriterStats stats_;
  std::function<void(int64_t)> partition_gone_;
  std::thread sender_;
};

}  // namespace fluss
