#include "server/replica/replica_fetcher.h"

#include <pthread.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"

namespace fluss {

class ReplicaFetcherThread {
 public:
  using Clock = std::chrono::steady_clock;
  ReplicaFetcherThread(ReplicaManager* replicas, const ReplicationOptions& options, ServerId leader_id)
      : replicas_(replicas), options_(options), leader_id_(leader_id) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "replica-fetch");
      Run();
    });
  }
  ~ReplicaFetcherThread() { Stop(); }

  void Add(TableBucket bucket, LeaderEpoch leader_epoch) {
    bool interrupt = false;
    {
      std::lock_guard lock(mu_);
      targets_[bucket] = Target{leader_epoch, /*truncated=*/false, Clock::time_point{}};
      // A long poll in flight would hold the new bucket back for up to fetch.wait-max-time (a new
      // table's first acks=all writes wait for it): end it by closing the connection; fetching is
      // idempotent, the next round asks again from the log end.
      if (in_long_poll_ && !interrupted_) interrupt = interrupted_ = true;
    }
    cv_.notify_all();
    if (interrupt) {
      std::shared_ptr<rpc::RpcClient> client;
      {
        std::lock_guard lock(client_mu_);
        client = client_;
      }
      if (client) client->Close();
    }
  }
  void Remove(TableBucket bucket) {
    std::lock_guard lock(mu_);
    targets_.erase(bucket);
  }
  // Removes the bucket only while it is still registered at `leader_epoch` (a newer registration
  // made meanwhile stays).
  void RemoveIfAt(TableBucket bucket, LeaderEpoch leader_epoch) {
    std::lock_guard lock(mu_);
    auto it = targets_.find(bucket);
    if (it != targets_.end() && it->second.leader_epoch == leader_epoch) targets_.erase(it);
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    std::shared_ptr<rpc::RpcClient> client;
    {
      std::lock_guard lock(client_mu_);
      client = client_;
    }
    if (client) client->Close();  // ends a long poll in flight
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Target {
    LeaderEpoch leader_epoch = kNoLeaderEpoch;
    bool truncated = false;
    Clock::time_point backoff_until;
  };

  // Waits up to `d` (or until stopped / a bucket is added). False when stopping.
  bool Sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, d, [this] { return stop_; });
    return !stop_;
  }

  // Backs the bucket off fetch.backoff-interval; for the errors of a leader that has not heard of
  // the bucket's new epoch or table yet (the coordinator's notifications race), 100 ms at most.
  void Backoff(TableBucket b, LeaderEpoch epoch, bool retruncate, int32_t error_code = 0) {
    const bool transient = error_code == static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower) ||
                           error_code == static_cast<int32_t>(ErrorCode::kUnknownTableOrBucket);
    const int64_t ms = transient ? std::min<int64_t>(options_.fetch_backoff_ms, 100) : options_.fetch_backoff_ms;
    std::lock_guard lock(mu_);
    auto it = targets_.find(b);
    if (it == targets_.end() || it->second.leader_epoch != epoch) return;
    it->second.backoff_until = Clock::now() + std::chrono::milliseconds(ms);
    if (retruncate) it->second.truncated = false;
  }

  std::shared_ptr<rpc::RpcClient> Connect() {
    {
      std::lock_guard lock(client_mu_);
      if (client_ && client_->is_open()) return client_;
    }
    auto addr = options_.resolve_server ? options_.resolve_server(leader_id_) : std::nullopt;
    if (!addr) {
      spdlog::debug("replica fetcher: no address for leader server {}", leader_id_);
      return nullptr;
    }
    rpc::RpcClientOptions o;
    o.connect_timeout = std::chrono::milliseconds(std::max<int64_t>(options_.fetch_backoff_ms, 1000));
    auto c = rpc::RpcClient::Connect(addr->first, addr->second, o);
    if (!c.ok()) {
      spdlog::debug("replica fetcher: {}", c.status().ToString());
      return nullptr;
    }
    std::lock_guard lock(client_mu_);
    client_ = *c;
    return client_;
  }

  Result<proto::FetchLogResponse> Call(const std::shared_ptr<rpc::RpcClient>& client,
                                       const proto::FetchLogRequest& req, int64_t wait_ms) {
    auto body = client->CallSync(static_cast<int16_t>(rpc::ApiKey::kFetchLog), 0, req.SerializeAsString(),
                                 std::chrono::milliseconds(wait_ms + 30000));
    if (!body.ok()) return body.status();
    proto::FetchLogResponse resp;
    if (!resp.ParseFromString(*body)) return Status(ErrorCode::kCorruptMessage, "malformed FetchLogResponse");
    return resp;
  }

  void Run() {
    while (true) {
      std::map<TableBucket, Target> targets;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !targets_.empty(); });
        if (stop_) return;
        targets = targets_;
      }
      const auto now = Clock::now();
      std::vector<std::pair<TableBucket, Target>> probes, fetches;
      auto next_ready = now + std::chrono::milliseconds(options_.fetch_backoff_ms);
      bool waiting = false;  // some bucket is backing off
      for (const auto& [b, t] : targets) {
        if (t.backoff_until > now) {
          next_ready = std::min(next_ready, t.backoff_until);
          waiting = true;
          continue;
        }
        (t.truncated ? fetches : probes).emplace_back(b, t);
      }
      if (probes.empty() && fetches.empty()) {
        if (!Sleep(std::chrono::duration_cast<std::chrono::milliseconds>(next_ready - now) +
                   std::chrono::milliseconds(1))) {
          return;
        }
        continue;
      }
      auto client = Connect();
      if (client == nullptr) {
        if (!Sleep(std::chrono::milliseconds(options_.fetch_backoff_ms))) return;
        continue;
      }
      if (!probes.empty()) {
        // Then round again: the buckets just truncated join this round's fetch instead of waiting
        // for the next long poll to end.
        RunProbes(client, probes);
        continue;
      }
      // The long poll ends when a backing-off bucket may go again (a new table's bucket whose leader
      // had not heard of it yet), not a whole fetch.wait-max-time later.
      int64_t wait_ms = options_.fetch_wait_max_ms;
      if (waiting) {
        const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(next_ready - Clock::now()).count();
        wait_ms = std::clamp<int64_t>(until, 0, wait_ms);
      }
      if (!fetches.empty()) RunFetch(client, fetches, wait_ms);
    }
  }

  static proto::PbFetchLogReqForBucket* AddBucket(proto::FetchLogRequest& req, TableBucket b) {
    proto::PbFetchLogReqForTable* table = nullptr;
    for (auto& t : *req.mutable_tables_req()) {
      if (t.table_id() == b.table_id) table = &t;
    }
    if (table == nullptr) {
      table = req.add_tables_req();
      table->set_table_id(b.table_id);
      table->set_projection_pushdown_enabled(false);
    }
    auto* rb = table->add_buckets_req();
    if (b.partition_id) rb->set_partition_id(*b.partition_id);
    rb->set_bucket_id(b.bucket);
    return rb;
  }

  // Step 1: truncation. False when the connection failed.
  bool RunProbes(const std::shared_ptr<rpc::RpcClient>& client,
                 const std::vector<std::pair<TableBucket, Target>>& probes) {
    proto::FetchLogRequest req;
    req.set_follower_server_id(options_.server_id.value());
    req.set_max_bytes(0);
    std::map<TableBucket, LeaderEpoch> asked;
    for (const auto& [b, t] : probes) {
      auto pos = replicas_->FollowerFetchPosition(b, t.leader_epoch);
      if (!pos) {
        RemoveIfAt(b, t.leader_epoch);  // no longer following that epoch
        continue;
      }
      auto* rb = AddBucket(req, b);
      rb->set_fetch_offset(pos->log_end_offset.value());
      rb->set_max_fetch_bytes(0);
      rb->set_current_leader_epoch(t.leader_epoch.value());
      rb->set_truncation_epoch(pos->latest_epoch.value());
      asked[b] = t.leader_epoch;
    }
    if (asked.empty()) return true;
    auto resp = Call(client, req, 0);
    if (!resp.ok()) return ConnectionFailed(resp.status());
    for (const auto& t : resp->tables_resp()) {
      for (const auto& rb : t.buckets_resp()) {
        const TableBucket b(t.table_id(),
                            rb.has_partition_id() ? std::optional<int64_t>(rb.partition_id()) : std::nullopt,
                            rb.bucket_id());
        auto it = asked.find(b);
        if (it == asked.end()) continue;
        if (rb.has_error_code() && rb.error_code() != 0) {
          spdlog::debug("replica fetcher: truncation query for {} to leader {}: error {} {}", b.ToString(),
                        leader_id_, rb.error_code(), rb.error_message());
          Backoff(b, it->second, /*retruncate=*/true, rb.error_code());
          continue;
        }
        Status st = replicas_->TruncateFollower(b, it->second, rb);
        if (!st.ok()) {
          spdlog::warn("replica fetcher: truncating {}: {}", b.ToString(), st.ToString());
          Backoff(b, it->second, /*retruncate=*/true);
          continue;
        }
        std::lock_guard lock(mu_);
        auto target = targets_.find(b);
        if (target != targets_.end() && target->second.leader_epoch == it->second) target->second.truncated = true;
      }
    }
    return true;
  }

  // Step 2: one fetch round.
  void RunFetch(const std::shared_ptr<rpc::RpcClient>& client,
                const std::vector<std::pair<TableBucket, Target>>& fetches, int64_t wait_ms) {
    proto::FetchLogRequest req;
    req.set_follower_server_id(options_.server_id.value());
    req.set_max_bytes(static_cast<int32_t>(std::min<int64_t>(options_.fetch_max_bytes, INT32_MAX)));
    req.set_max_wait_ms(static_cast<int32_t>(wait_ms));
    req.set_min_bytes(1);
    std::map<TableBucket, std::pair<LeaderEpoch, LogOffset>> asked;  // epoch, fetch offset
    for (const auto& [b, t] : fetches) {
      auto pos = replicas_->FollowerFetchPosition(b, t.leader_epoch);
      if (!pos) {
        RemoveIfAt(b, t.leader_epoch);  // no longer following that epoch
        continue;
      }
      auto* rb = AddBucket(req, b);
      rb->set_fetch_offset(pos->log_end_offset.value());
      rb->set_max_fetch_bytes(static_cast<int32_t>(std::min<int64_t>(options_.fetch_max_bytes, INT32_MAX)));
      rb->set_current_leader_epoch(t.leader_epoch.value());
      asked[b] = {t.leader_epoch, pos->log_end_offset};
    }
    if (asked.empty()) return;
    {
      std::lock_guard lock(mu_);
      in_long_poll_ = true;
    }
    auto resp = Call(client, req, wait_ms);
    bool interrupted = false;
    {
      std::lock_guard lock(mu_);
      in_long_poll_ = false;
      std::swap(interrupted, interrupted_);
    }
    if (interrupted) {  // Add closed the connection to take a new bucket in at once
      std::lock_guard lock(client_mu_);
      if (client_ == client) client_.reset();
      return;
    }
    if (!resp.ok()) {
      ConnectionFailed(resp.status());
      return;
    }
    for (const auto& t : resp->tables_resp()) {
      for (const auto& rb : t.buckets_resp()) {
        const TableBucket b(t.table_id(),
                            rb.has_partition_id() ? std::optional<int64_t>(rb.partition_id()) : std::nullopt,
                            rb.bucket_id());
        auto it = asked.find(b);
        if (it == asked.end()) continue;
        if (rb.has_error_code() && rb.error_code() != 0) {
          spdlog::debug("replica fetcher: fetch of {} from leader {}: error {} {}", b.ToString(), leader_id_, rb.error_code(), rb.error_message());
          Backoff(b, it->second.first,
                  /*retruncate=*/rb.error_code() == static_cast<int32_t>(ErrorCode::kLogOffsetOutOfRange),
                  rb.error_code());
          continue;
        }
        Status st = replicas_->ApplyFetched(b, it->second.first, it->second.second, rb);
        if (!st.ok()) {
          spdlog::warn("replica fetcher: appending {} from leader {}: {}", b.ToString(), leader_id_, st.ToString());
          Backoff(b, it->second.first, /*retruncate=*/true);
        }
      }
    }
  }

  bool ConnectionFailed(const Status& st) {
    spdlog::debug("replica fetcher: leader {}: {}", leader_id_, st.ToString());
    {
      std::lock_guard lock(client_mu_);
      if (client_) client_->Close();
      client_.reset();
    }
    Sleep(std::chrono::milliseconds(options_.fetch_backoff_ms));
    return false;
  }

  ReplicaManager* replicas_;
  const ReplicationOptions& options_;
  const ServerId leader_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool in_long_poll_ = false;  // a FETCH_LOG with max_wait is in flight
  bool interrupted_ = false;   // Add closed its connection
  std::map<TableBucket, Target> targets_;
  std::mutex client_mu_;
  std::shared_ptr<rpc::RpcClient> client_;
  std::thread thread_;
};

ReplicaFetcherManager::ReplicaFetcherManager(ReplicaManager* replicas, ReplicationOptions options)
    : replicas_(replicas), options_(std::move(options)) {}

ReplicaFetcherManager::~ReplicaFetcherManager() { Stop(); }

void ReplicaFetcherManager::AddBucket(TableBucket bucket, ServerId leader_id, LeaderEpoch leader_epoch) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  for (auto& [id, t] : threads_) {
    if (id != leader_id) t->Remove(bucket);
  }
  auto& t = threads_[leader_id];
  if (!t) t = std::make_unique<ReplicaFetcherThread>(replicas_, options_, leader_id);
  t->Add(bucket, leader_epoch);
}

void ReplicaFetcherManager::RemoveBucket(TableBucket bucket) {
  std::lock_guard lock(mu_);
  for (auto& [id, t] : threads_) t->Remove(bucket);
}

void ReplicaFetcherManager::Stop() {
  std::map<ServerId, std::unique_ptr<ReplicaFetcherThread>> threads;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    threads.swap(threads_);
  }
  for (auto& [id, t] : threads) t->Stop();
}

}  // namespace fluss
