#include "client/bucket_batch_writer.h"

#include <pthread.h>

#include <algorithm>
#include <deque>
#include <set>

#include "client/client_context.h"

namespace fluss {

// ---- WriteResult --------------------------------------------------------------------------------

struct WriteResult::State {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status status;
  int32_t bucket = -1;
  int64_t offset = -1;
  bool per_record_offsets = true;

  void Complete(Status st, int64_t at) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (done) return;
      done = true;
      status = std::move(st);
      offset = at;
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
  if (state_->offset < 0) return -1;
  return state_->per_record_offsets ? state_->offset + index_ : state_->offset;
}

// ---- batches and queues -------------------------------------------------------------------------

struct BucketBatchWriter::Batch {
  PartitionBucket bucket;
  int32_t sequence = -1;
  std::unique_ptr<BatchBuilder> builder;  // while open
  Buffer bytes;                           // once closed
  int32_t records = 0;
  int64_t memory = 0;  // bytes charged against the buffer memory
  std::shared_ptr<WriteResult::State> state;
  Clock::time_point created;
  Clock::time_point retry_at;
  int attempts = 0;
  bool filler = false;  // the empty stand-in for a failed batch (nobody waits for it)
};

struct BucketBatchWriter::BucketQueue {
  std::shared_ptr<Batch> open;
  std::deque<std::shared_ptr<Batch>> ready;  // closed, in sequence order
  int inflight = 0;
  int32_t next_sequence = 0;
  std::set<int32_t> unacknowledged;  // sequences of batches not yet acknowledged nor failed
};

struct BucketBatchWriter::Request {
  int32_t leader = -1;
  std::vector<std::shared_ptr<Batch>> batches;
  int64_t bytes = 0;
};

BucketBatchWriter::BucketBatchWriter(std::shared_ptr<ClientContext> ctx, TableInfo info,
                                     std::unique_ptr<BatchProtocol> protocol, bool sticky)
    : ctx_(std::move(ctx)), info_(std::move(info)), protocol_(std::move(protocol)), sticky_(sticky) {
  sender_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fluss-sender");
    SendLoop();
  });
}

BucketBatchWriter::~BucketBatchWriter() { (void)Close(); }

std::string BucketBatchWriter::Describe(const PartitionBucket& bucket) const {
  if (bucket.partition_id == kNoPartition) return fmt::format("bucket {} of '{}'", bucket.bucket, info_.path.ToString());
  return fmt::format("bucket {} of partition id {} of '{}'", bucket.bucket, bucket.partition_id, info_.path.ToString());
}

Result<WriteResult> BucketBatchWriter::Add(PartitionBucket bucket, const std::function<bool(const BatchBuilder&)>& fits,
                                           const std::function<Status(BatchBuilder*)>& append) {
  std::unique_lock<std::mutex> lock(mu_);
  FLUSS_RETURN_NOT_OK(WaitForMemory(lock));
  if (bucket.bucket == kStickyBucket && sticky_) bucket.bucket = sticky_bucket_[bucket.partition_id];
  if (bucket.bucket < 0 || bucket.bucket >= std::max(info_.num_buckets, 1)) {
    return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("table '{}' has no bucket {} (it has {})",
                                                                info_.path.ToString(), bucket.bucket, info_.num_buckets));
  }
  BucketQueue& q = queues_[bucket];
  if (q.open && q.open->records > 0 && !fits(*q.open->builder)) FLUSS_RETURN_NOT_OK(CloseOpenBatch(bucket));
  const bool opened = !q.open;
  if (opened) OpenBatch(bucket);
  Batch& b = *q.open;
  const size_t before = b.builder->size_in_bytes();
  Status st = append(b.builder.get());
  if (!st.ok()) {
    if (opened) {
      // Nothing went in: forget the batch and give its sequence back, so no empty batch is sent and
      // the bucket's sequences stay gapless.
      q.unacknowledged.erase(b.sequence);
      --q.next_sequence;
      q.open.reset();
    }
    return st;
  }
  const int64_t grown = static_cast<int64_t>(b.builder->size_in_bytes()) - static_cast<int64_t>(before);
  b.memory += grown;
  used_memory_ += grown;
  WriteResult result(b.state, b.records);
  ++b.records;
  if (b.builder->size_in_bytes() >= static_cast<size_t>(ctx_->config.writer_batch_size)) {
    FLUSS_RETURN_NOT_OK(CloseOpenBatch(bucket));
  }
  return result;
}

Result<WriteResult> BucketBatchWriter::AddEncoded(int32_t records,
                                                  const std::function<Result<Buffer>(int32_t sequence)>& encode) {
  std::unique_lock<std::mutex> lock(mu_);
  FLUSS_RETURN_NOT_OK(WaitForMemory(lock));
  const PartitionBucket bucket{kNoPartition, sticky_bucket_[kNoPartition]};
  // Close what is open so sequences stay in order, then add this one as its own batch.
  if (queues_[bucket].open) FLUSS_RETURN_NOT_OK(CloseOpenBatch(bucket));
  BucketQueue& q = queues_[bucket];
  auto b = MakeBatch(bucket);
  auto bytes = encode(b->sequence);
  if (!bytes.ok()) {
    q.unacknowledged.erase(b->sequence);
    --q.next_sequence;
    return bytes.status();
  }
  b->bytes = std::move(bytes).value();
  b->records = records;
  b->memory = static_cast<int64_t>(b->bytes.size());
  used_memory_ += b->memory;
  q.ready.push_back(b);
  AdvanceStickyBucket(kNoPartition);
  cv_.notify_all();
  return WriteResult(b->state, 0);
}

Status BucketBatchWriter::Flush() {
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

Status BucketBatchWriter::Close() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (closing_) return Status::OK();
  }
  Status st = Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  return st;
}

WriterStats BucketBatchWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::shared_ptr<BucketBatchWriter::Batch> BucketBatchWriter::MakeBatch(const PartitionBucket& bucket) {
  auto b = std::make_shared<Batch>();
  b->bucket = bucket;
  b->sequence = queues_[bucket].next_sequence++;
  queues_[bucket].unacknowledged.insert(b->sequence);
  b->state = std::make_shared<WriteResult::State>();
  b->state->bucket = bucket.bucket;
  b->state->per_record_offsets = protocol_->per_record_offsets();
  b->created = Clock::now();
  return b;
}

void BucketBatchWriter::OpenBatch(const PartitionBucket& bucket) {
  auto b = MakeBatch(bucket);
  b->builder = protocol_->NewBatch(b->sequence);
  queues_[bucket].open = std::move(b);
  cv_.notify_all();  // the sender times this batch's linger from now
}

// REQUIRES: mu_ held and the bucket has an open batch.
Status BucketBatchWriter::CloseOpenBatch(const PartitionBucket& bucket) {
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
  if (sticky_ && bucket.bucket == sticky_bucket_[bucket.partition_id]) AdvanceStickyBucket(bucket.partition_id);
  cv_.notify_all();
  return Status::OK();
}

void BucketBatchWriter::AdvanceStickyBucket(int64_t partition_id) {
  int32_t& sticky = sticky_bucket_[partition_id];
  sticky = (sticky + 1) % std::max(info_.num_buckets, 1);
}

// Back-pressure: blocks while unacknowledged data fills the buffer memory.
Status BucketBatchWriter::WaitForMemory(std::unique_lock<std::mutex>& lock) {
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

bool BucketBatchWriter::Idle() const {
  for (const auto& [bucket, q] : queues_) {
    if (q.open || !q.ready.empty() || q.inflight > 0) return false;
  }
  return true;
}

// ---- sender -------------------------------------------------------------------------------------

void BucketBatchWriter::SendLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const auto now = Clock::now();
    const bool flushing = flush_waiters_ > 0 || memory_waiters_ > 0 || closing_;
    auto next_wake = now + std::chrono::milliseconds(50);
    // Close batches that lingered long enough (all of them when someone waits).
    for (auto& [b, q] : queues_) {
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
// holds at most one batch per bucket (the response answers per bucket, as Fluss's protocol has it),
// so the k-th batch of every bucket goes into the k-th round of requests; a round is split by leader
// and by client.writer.request-max-size.
std::vector<BucketBatchWriter::Request> BucketBatchWriter::DrainReady(Clock::time_point now,
                                                                      Clock::time_point* next_wake) {
  std::vector<std::vector<std::shared_ptr<Batch>>> rounds;
  for (auto& [b, q] : queues_) {
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
void BucketBatchWriter::Send(Request request) {
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
    int64_t records = 0;
    for (auto& b : batches) {
      parts.push_back({b->bucket.bucket, &b->bytes, b->bucket.partition_id});
      bytes += static_cast<int64_t>(b->bytes.size());
      records += b->records;
      ++b->attempts;
    }
    std::string body = protocol_->EncodeRequest(parts);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.requests_sent += 1;
      stats_.batches_sent += static_cast<int64_t>(batches.size());
      stats_.bytes_sent += bytes;
      stats_.records_sent += records;
    }
    auto shared = std::make_shared<std::vector<std::shared_ptr<Batch>>>(std::move(batches));
    (*client)->Call(static_cast<int16_t>(protocol_->api_key()), protocol_->api_version(), std::move(body),
                    ctx_->config.request_timeout,
                    [this, shared](Result<std::string> body) { OnResponse(*shared, std::move(body)); });
  }
}

// Runs on the io thread.
void BucketBatchWriter::OnResponse(const std::vector<std::shared_ptr<Batch>>& batches, Result<std::string> body) {
  if (!body.ok()) {
    for (const auto& b : batches) OnBatchDone(b, body.status(), -1);
    return;
  }
  auto acks = protocol_->DecodeResponse(*body);
  if (!acks.ok()) {
    for (const auto& b : batches) OnBatchDone(b, acks.status(), -1);
    return;
  }
  for (const auto& b : batches) {
    auto it = acks->find(b->bucket);
    if (it == acks->end()) {
      OnBatchDone(b, Status(ErrorCode::kUnknownServerError, "no answer for the bucket"), -1);
    } else {
      OnBatchDone(b, it->second.status, it->second.offset);
    }
  }
}

void BucketBatchWriter::OnBatchDone(const std::shared_ptr<Batch>& b, Status st, int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& q = queues_[b->bucket];
  --q.inflight;
  if (st.code() == ErrorCode::kDuplicateSequence) st = Status::OK();  // the server has it already
  // Out of order while an earlier batch of the bucket is still being retried (it failed on a broken
  // connection and this one went through a new one): retry after it.
  const bool earlier_pending = !q.unacknowledged.empty() && *q.unacknowledged.begin() < b->sequence;
  const bool retriable = IsRetriable(st.code()) || (st.code() == ErrorCode::kOutOfOrderSequence && earlier_pending);
  if (!st.ok() && retriable && !closed_sender_ && b->attempts <= ctx_->config.writer_retries &&
      Clock::now() - b->created < ctx_->config.writer_delivery_timeout) {
    // Back in front of the later batches of its bucket, in sequence order, after a pause that
    // doubles with each failed send of the batch (100 ms up to 1 s): a failover takes seconds, and
    // the delivery timeout, not a count, bounds the retries.
    const int doublings = std::clamp(b->attempts - 1, 0, 4);
    b->retry_at = Clock::now() + std::min(std::chrono::milliseconds(100) * (1 << doublings),
                                          std::chrono::milliseconds(1000));
    auto pos = std::find_if(q.ready.begin(), q.ready.end(),
                            [&](const std::shared_ptr<Batch>& o) { return o->sequence > b->sequence; });
    q.ready.insert(pos, b);
    leader_cache_.erase(b->bucket);
    ++stats_.retries;
    // The leader may have moved or died (NOT_LEADER_OR_FOLLOWER, a lost connection, no leader yet):
    // ask the metadata again before the retry.
    if (st.code() != ErrorCode::kStorageBackpressure && st.code() != ErrorCode::kOutOfOrderSequence) {
      ctx_->InvalidateTable(info_.path);
    }
    ClientLog().debug("retrying batch {} of {}: {}", b->sequence, Describe(b->bucket), st.ToString());
    cv_.notify_all();
    return;
  }
  used_memory_ -= b->memory;
  q.unacknowledged.erase(b->sequence);
  if (st.code() == ErrorCode::kPartitionNotExists && b->bucket.partition_id != kNoPartition && partition_gone_) {
    partition_gone_(b->bucket.partition_id);
  }
  if (!st.ok()) {
    st = st.WithContext(fmt::format("{} {}", protocol_->action(), Describe(b->bucket)));
    if (b->filler) {
      ClientLog().warn("the stand-in for failed batch {} of {} failed too: {}", b->sequence, Describe(b->bucket),
                       st.ToString());
    } else {
      if (first_error_.ok()) first_error_ = st;
      // A sequence gap (OUT_OF_ORDER_SEQUENCE, an unknown writer) is not ours to fill, and a dropped
      // partition's buckets take no more batches.
      const bool gap = st.code() == ErrorCode::kOutOfOrderSequence || st.code() == ErrorCode::kUnknownWriterId ||
                       st.code() == ErrorCode::kPartitionNotExists;
      if (protocol_->idempotent() && b->attempts > 0 && !gap && !closed_sender_) QueueFiller(*b);
    }
  }
  b->state->Complete(st, offset);
  cv_.notify_all();
}

// REQUIRES: mu_ held. See the header: an empty batch takes the failed batch's sequence, in front of
// the later batches of its bucket (those in flight come back OUT_OF_ORDER_SEQUENCE and are retried
// after it, as `earlier_pending` allows).
void BucketBatchWriter::QueueFiller(const Batch& failed) {
  auto bytes = protocol_->NewBatch(failed.sequence)->Build();
  if (!bytes.ok()) return;
  auto f = std::make_shared<Batch>();
  f->bucket = failed.bucket;
  f->sequence = failed.sequence;
  f->filler = true;
  f->bytes = std::move(bytes).value();
  f->memory = static_cast<int64_t>(f->bytes.size());
  f->state = std::make_shared<WriteResult::State>();
  f->created = Clock::now();
  used_memory_ += f->memory;
  BucketQueue& q = queues_[failed.bucket];
  q.unacknowledged.insert(f->sequence);
  auto pos = std::find_if(q.ready.begin(), q.ready.end(),
                          [&](const std::shared_ptr<Batch>& o) { return o->sequence > f->sequence; });
  q.ready.insert(pos, std::move(f));
}

}  // namespace fluss
