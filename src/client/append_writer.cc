// AppendWriterImpl: rows → per-bucket Arrow log batches → ProduceLog requests, with a background
// sender, bounded memory, in-flight limits and idempotent retries (see AppendWriter in
// include/fluss/client.h for the contract).
//
// Batches of one bucket carry consecutive batch sequences, assigned when the batch opens; they are
// sent in sequence order and a failed batch goes back in front of the later ones, so the server's
// writer state (last five sequences per writer and bucket) drops the retries it already has.
#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "client/client_context.h"
#include "client/produce_request.h"
#include "fluss_api.pb.h"
#include "format/arrow/record_batch.h"
#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/log_record_batch.h"

namespace fluss {

struct WriteResult::State {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status status;
  int32_t bucket = -1;
  int64_t base_offset = -1;

  void Complete(Status st, int64_t offset) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (done) return;
      done = true;
      status = std::move(st);
      base_offset = offset;
    }
    cv.notify_all();
  }
};

Status WriteResult::Wait() const {
  if (!state_) return Status::Invalid("empty WriteResult");
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait(lock, [this] { return state_->done; });
  return state_->status;
}

bool WriteResult::done() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->done;
}

int32_t WriteResult::bucket() const { return state_ ? state_->bucket : -1; }

int64_t WriteResult::offset() const {
  if (!state_) return -1;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->base_offset < 0 ? -1 : state_->base_offset + index_;
}

namespace {

using Clock = std::chrono::steady_clock;

struct Batch {
  int32_t bucket = 0;
  int32_t sequence = -1;
  std::unique_ptr<LogRecordBatchBuilder> builder;  // while open
  Buffer bytes;                                    // once closed
  int32_t rows = 0;
  int64_t memory = 0;  // bytes charged against the buffer memory
  std::shared_ptr<WriteResult::State> state;
  Clock::time_point created;
  Clock::time_point retry_at;
  int attempts = 0;
};

struct BucketQueue {
  std::shared_ptr<Batch> open;
  std::deque<std::shared_ptr<Batch>> ready;  // closed, in sequence order
  int inflight = 0;
  int32_t next_sequence = 0;
  std::set<int32_t> unacknowledged;  // sequences of batches not yet acknowledged nor failed
};

class AppendWriterImpl final : public AppendWriter {
 public:
  AppendWriterImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, int64_t writer_id)
      : ctx_(std::move(ctx)), info_(std::move(info)), writer_id_(writer_id), queues_(info_.num_buckets) {
    compression_ = arrow::TableLogCompression(info_.descriptor.properties());
    for (const auto& key : info_.descriptor.bucket_keys()) {
      auto idx = info_.schema().IndexOf(key);
      if (idx) bucket_key_indexes_.push_back(*idx);
    }
    sender_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "fluss-sender");
      SendLoop();
    });
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
    std::unique_lock<std::mutex> lock(mu_);
    FLUSS_RETURN_NOT_OK(WaitForMemory(lock));
    int32_t bucket = sticky_bucket_;
    if (!bucket_key_indexes_.empty()) {
      FLUSS_ASSIGN_OR_RETURN(bucket, BucketOf(row));
    }
    BucketQueue& q = queues_[bucket];
    if (q.open && !q.open->builder->HasRoomFor(row)) FLUSS_RETURN_NOT_OK(CloseOpenBatch(bucket));
    if (!q.open) OpenBatch(bucket);
    Batch& b = *q.open;
    const size_t before = b.builder->EstimatedSizeInBytes();
    FLUSS_RETURN_NOT_OK(b.builder->Append(row));
    const int64_t grown = static_cast<int64_t>(b.builder->EstimatedSizeInBytes() - before);
    b.memory += grown;
    used_memory_ += grown;
    WriteResult result(b.state, b.rows);
    ++b.rows;
    if (b.builder->EstimatedSizeInBytes() >= static_cast<size_t>(ctx_->config.writer_batch_size)) {
      FLUSS_RETURN_NOT_OK(CloseOpenBatch(bucket));
    }
    return result;
  }

  Result<WriteResult> AppendColumns(std::vector<arrow::ColumnVector> columns) override {
    const Schema& schema = info_.schema();
    if (columns.size() != schema.num_columns()) {
      return Status::Invalid(fmt::format("{} columns given; table '{}' has {}", columns.size(), info_.path.ToString(),
                                         schema.num_columns()));
    }
    if (!bucket_key_indexes_.empty()) {
      // Rows go to the buckets of their keys.
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
    FLUSS_ASSIGN_OR_RETURN(auto message, arrow::EncodeColumns(schema, columns, compression_));
    std::unique_lock<std::mutex> lock(mu_);
    FLUSS_RETURN_NOT_OK(WaitForMemory(lock));
    const int32_t bucket = sticky_bucket_;
    // Close what is open so sequences stay in order, then add this one as its own batch.
    if (queues_[bucket].open) FLUSS_RETURN_NOT_OK(CloseOpenBatch(bucket));
    auto b = MakeBatch(bucket);
    LogRecordBatchBuilderOptions options = BatchOptions(b->sequence);
    FLUSS_ASSIGN_OR_RETURN(b->bytes, WrapArrowMessage(message, static_cast<int32_t>(n), {}, options));
    b->rows = static_cast<int32_t>(n);
    b->memory = static_cast<int64_t>(b->bytes.size());
    used_memory_ += b->memory;
    queues_[bucket].ready.push_back(b);
    AdvanceStickyBucket();
    cv_.notify_all();
    return WriteResult(b->state, 0);
  }

  Status Flush() override {
    std::unique_lock<std::mutex> lock(mu_);
    ++flush_waiters_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return closed_sender_ || Idle(); });
    --flush_waiters_;
    Status st = first_error_;
    first_error_ = Status::OK();
    if (closed_sender_ && !Idle() && st.ok()) st = Status(ErrorCode::kNetworkException, "writer closed");
    return st;
  }

  Status Close() override {
    Status st;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (closing_) return Status::OK();
    }
    st = Flush();
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (sender_.joinable()) sender_.join();
    return st;
  }

  AppendWriterStats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  LogRecordBatchBuilderOptions BatchOptions(int32_t sequence) const {
    LogRecordBatchBuilderOptions o;
    o.schema_id = static_cast<int16_t>(info_.schema_id);
    o.compression = compression_;
    o.max_batch_bytes = static_cast<size_t>(ctx_->config.writer_batch_size);
    o.writer_id = writer_id_;
    o.batch_sequence = writer_id_ >= 0 ? sequence : log_batch::kNoBatchSequence;
    return o;
  }

  std::shared_ptr<Batch> MakeBatch(int32_t bucket) {
    auto b = std::make_shared<Batch>();
    b->bucket = bucket;
    b->sequence = queues_[bucket].next_sequence++;
    queues_[bucket].unacknowledged.insert(b->sequence);
    b->state = std::make_shared<WriteResult::State>();
    b->state->bucket = bucket;
    b->created = Clock::now();
    return b;
  }

  void OpenBatch(int32_t bucket) {
    auto b = MakeBatch(bucket);
    b->builder = std::make_unique<LogRecordBatchBuilder>(info_.schema(), BatchOptions(b->sequence));
    queues_[bucket].open = std::move(b);
    cv_.notify_all();  // the sender times this batch's linger from now
  }

  // REQUIRES: mu_ held and the bucket has an open batch.
  Status CloseOpenBatch(int32_t bucket) {
    BucketQueue& q = queues_[bucket];
    auto b = std::move(q.open);
    auto bytes = b->builder->Build();
    b->builder.reset();
    if (!bytes.ok()) {
      used_memory_ -= b->memory;
      q.unacknowledged.erase(b->sequence);
      b->state->Complete(bytes.status(), -1);
      return bytes.status();
    }
    b->bytes = std::move(bytes).value();
    // Charge the encoded size (smaller when compressed).
    used_memory_ += static_cast<int64_t>(b->bytes.size()) - b->memory;
    b->memory = static_cast<int64_t>(b->bytes.size());
    q.ready.push_back(std::move(b));
    if (bucket_key_indexes_.empty() && bucket == sticky_bucket_) AdvanceStickyBucket();
    cv_.notify_all();
    return Status::OK();
  }

  void AdvanceStickyBucket() { sticky_bucket_ = (sticky_bucket_ + 1) % info_.num_buckets; }

  // Fluss's bucketing: the bucket-key columns as a CompactedKey, hashed (MurmurHash, seed 42).
  // A NULL bucket-key value is an error naming the column.
  Result<int32_t> BucketOf(const GenericRow& row) const {
    FLUSS_ASSIGN_OR_RETURN(auto key, EncodeCompactedKey(info_.schema(), bucket_key_indexes_, row));
    return BucketForKey(key, info_.num_buckets);
  }

  // Back-pressure: blocks while unacknowledged data fills the buffer memory.
  Status WaitForMemory(std::unique_lock<std::mutex>& lock) {
    if (closing_) return Status::Invalid("the writer is closed");
    if (used_memory_ >= ctx_->config.writer_buffer_memory) {
      cv_.notify_all();  // let the sender take what is open
      ++memory_waiters_;
      cv_.wait(lock, [this] { return closing_ || used_memory_ < ctx_->config.writer_buffer_memory; });
      --memory_waiters_;
      if (closing_) return Status::Invalid("the writer is closed");
    }
    return Status::OK();
  }

  bool Idle() const {
    for (const auto& q : queues_) {
      if (q.open || !q.ready.empty() || q.inflight > 0) return false;
    }
    return true;
  }

  // ---- sender ----

  struct Request {
    int32_t leader = -1;
    std::vector<std::shared_ptr<Batch>> batches;
    int64_t bytes = 0;
  };

  void SendLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      const auto now = Clock::now();
      const bool flushing = flush_waiters_ > 0 || memory_waiters_ > 0 || closing_;
      auto next_wake = now + std::chrono::milliseconds(50);
      // Close batches that lingered long enough (all of them when someone waits).
      for (int32_t b = 0; b < static_cast<int32_t>(queues_.size()); ++b) {
        auto& q = queues_[b];
        if (!q.open) continue;
        const auto due = q.open->created + ctx_->config.writer_batch_timeout;
        if (flushing || due <= now) {
          (void)CloseOpenBatch(b);
        } else {
          next_wake = std::min(next_wake, due);
        }
      }
      auto requests = DrainReady(now, &next_wake);
      if (requests.empty()) {
        if (closing_ && Idle()) break;
        if (closing_ && closed_sender_) break;
        cv_.wait_until(lock, next_wake);
        continue;
      }
      lock.unlock();
      for (auto& r : requests) Send(std::move(r));
      lock.lock();
    }
    closed_sender_ = true;
    cv_.notify_all();
  }

  // Takes sendable batches: per bucket in sequence order while under the in-flight limit. A request
  // holds at most one batch per bucket (the response answers per bucket, as Fluss's protocol has
  // it), so the k-th batch of every bucket goes into the k-th round of requests; a round is split
  // by leader and by client.writer.request-max-size.
  std::vector<Request> DrainReady(Clock::time_point now, Clock::time_point* next_wake) {
    std::vector<std::vector<std::shared_ptr<Batch>>> rounds;
    for (int32_t b = 0; b < static_cast<int32_t>(queues_.size()); ++b) {
      auto& q = queues_[b];
      size_t round = 0;
      while (!q.ready.empty() && q.inflight < ctx_->config.writer_max_inflight_per_bucket) {
        auto& front = q.ready.front();
        if (front->retry_at > now) {
          *next_wake = std::min(*next_wake, front->retry_at);
          break;
        }
        if (rounds.size() <= round) rounds.emplace_back();
        rounds[round++].push_back(front);
        q.ready.pop_front();
        ++q.inflight;
      }
    }
    std::vector<Request> out;
    for (auto& batches : rounds) {
      std::map<int32_t, Request> open;  // by leader
      for (auto& batch : batches) {
        const int32_t leader = leader_cache_.count(batch->bucket) ? leader_cache_[batch->bucket] : -2;
        Request& r = open[leader];
        if (!r.batches.empty() &&
            r.bytes + static_cast<int64_t>(batch->bytes.size()) > ctx_->config.writer_request_max_size) {
          out.push_back(std::move(r));
          r = Request{};
        }
        r.leader = leader;
        r.bytes += static_cast<int64_t>(batch->bytes.size());
        r.batches.push_back(std::move(batch));
      }
      for (auto& [leader, r] : open) {
        if (!r.batches.empty()) out.push_back(std::move(r));
      }
    }
    return out;
  }

  // Runs on the sender thread without mu_.
  void Send(Request request) {
    // Find the leaders (one bucket may have moved; group again by the fresh answer).
    std::map<int32_t, std::vector<std::shared_ptr<Batch>>> groups;
    for (auto& b : request.batches) {
      auto leader = ctx_->LeaderNode(info_.path, b->bucket);
      if (!leader.ok()) {
        OnBatchDone(b, leader.status(), -1);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        leader_cache_[b->bucket] = *leader;
      }
      groups[*leader].push_back(b);
    }
    for (auto& [leader, batches] : groups) {
      auto client = ctx_->NodeClient(leader);
      if (!client.ok()) {
        for (auto& b : batches) OnBatchDone(b, client.status(), -1);
        continue;
      }
      std::vector<ProduceBucketBatch> parts;
      int64_t bytes = 0;
      int64_t rows = 0;
      for (auto& b : batches) {
        parts.push_back({b->bucket, &b->bytes});
        bytes += static_cast<int64_t>(b->bytes.size());
        rows += b->rows;
        ++b->attempts;
      }
      std::string body = EncodeProduceLogRequest(ctx_->config.writer_acks, info_.table_id,
                                                 static_cast<int32_t>(ctx_->config.request_timeout.count()), parts);
      {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.requests_sent += 1;
        stats_.batches_sent += static_cast<int64_t>(batches.size());
        stats_.bytes_sent += bytes;
        stats_.records_sent += rows;
      }
      auto shared = std::make_shared<std::vector<std::shared_ptr<Batch>>>(std::move(batches));
      (*client)->Call(static_cast<int16_t>(rpc::ApiKey::kProduceLog), 0, std::move(body),
                      ctx_->config.request_timeout, [this, shared](Result<std::string> body) {
                        OnResponse(*shared, std::move(body));
                      });
    }
  }

  // Runs on the io thread.
  void OnResponse(const std::vector<std::shared_ptr<Batch>>& batches, Result<std::string> body) {
    if (!body.ok()) {
      for (const auto& b : batches) OnBatchDone(b, body.status(), -1);
      return;
    }
    proto::ProduceLogResponse resp;
    if (!resp.ParseFromString(*body)) {
      for (const auto& b : batches) OnBatchDone(b, Status(ErrorCode::kCorruptMessage, "cannot parse ProduceLogResponse"), -1);
      return;
    }
    std::map<int32_t, const proto::PbProduceLogRespForBucket*> by_bucket;
    for (const auto& r : resp.buckets_resp()) by_bucket[r.bucket_id()] = &r;
    for (const auto& b : batches) {
      auto it = by_bucket.find(b->bucket);
      if (it == by_bucket.end()) {
        OnBatchDone(b, Status(ErrorCode::kUnknownServerError, "no answer for the bucket"), -1);
      } else if (it->second->has_error_code() && it->second->error_code() != 0) {
        OnBatchDone(b, Status(static_cast<ErrorCode>(it->second->error_code()), it->second->error_message()), -1);
      } else {
        OnBatchDone(b, Status::OK(), it->second->base_offset());
      }
    }
  }

  void OnBatchDone(const std::shared_ptr<Batch>& b, Status st, int64_t base_offset) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& q = queues_[b->bucket];
    --q.inflight;
    if (st.code() == ErrorCode::kDuplicateSequence) st = Status::OK();  // the server has it already
    // Out of order while an earlier batch of the bucket is still being retried (it failed on a
    // broken connection and this one went through a new one): retry after it.
    const bool earlier_pending = !q.unacknowledged.empty() && *q.unacknowledged.begin() < b->sequence;
    const bool retriable = IsRetriable(st.code()) || (st.code() == ErrorCode::kOutOfOrderSequence && earlier_pending);
    if (!st.ok() && retriable && !closed_sender_ && b->attempts <= ctx_->config.writer_retries &&
        Clock::now() - b->created < ctx_->config.writer_delivery_timeout) {
      // Back in front of the later batches of its bucket, in sequence order.
      b->retry_at = Clock::now() + std::chrono::milliseconds(100);
      auto pos = std::find_if(q.ready.begin(), q.ready.end(),
                              [&](const std::shared_ptr<Batch>& o) { return o->sequence > b->sequence; });
      q.ready.insert(pos, b);
      leader_cache_.erase(b->bucket);
      ++stats_.retries;
      if (st.code() == ErrorCode::kNotLeaderOrFollower || st.code() == ErrorCode::kUnknownTableOrBucket) {
        ctx_->InvalidateTable(info_.path);
      }
      ClientLog().debug("retrying batch {} of bucket {} of '{}': {}", b->sequence, b->bucket, info_.path.ToString(),
                    st.ToString());
      cv_.notify_all();
      return;
    }
    used_memory_ -= b->memory;
    q.unacknowledged.erase(b->sequence);
    if (!st.ok()) {
      st = st.WithContext(fmt::format("appending to bucket {} of '{}'", b->bucket, info_.path.ToString()));
      if (first_error_.ok()) first_error_ = st;
    }
    b->state->Complete(st, base_offset);
    cv_.notify_all();
  }

  std::shared_ptr<ClientContext> ctx_;
  TableInfo info_;
  const int64_t writer_id_;
  arrow::CompressionOptions compression_;
  std::vector<size_t> bucket_key_indexes_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<BucketQueue> queues_;
  std::map<int32_t, int32_t> leader_cache_;
  int32_t sticky_bucket_ = 0;
  int64_t used_memory_ = 0;
  int flush_waiters_ = 0;
  int memory_waiters_ = 0;
  bool closing_ = false;
  bool closed_sender_ = false;
  Status first_error_;
  AppendWriterStats stats_;
  std::thread sender_;
};

}  // namespace

Result<std::unique_ptr<AppendWriter>> Table::NewAppendWriter() {
  if (info_.descriptor.has_primary_key()) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("'{}' has a primary key; append writers are for log tables", info_.path.ToString()));
  }
  int64_t writer_id = log_batch::kNoWriterId;
  if (ctx_->config.writer_enable_idempotence) {
    proto::InitWriterRequest req;
    auto* p = req.add_table_path();
    p->set_database_name(info_.path.database());
    p->set_table_name(info_.path.table());
    FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->AdminCall<proto::InitWriterResponse>(rpc::ApiKey::kInitWriter, req));
    writer_id = resp.writer_id();
  }
  return std::unique_ptr<AppendWriter>(new AppendWriterImpl(ctx_, info_, writer_id));
}

}  // namespace fluss
