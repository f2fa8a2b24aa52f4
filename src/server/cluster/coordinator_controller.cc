#include "server/cluster/coordinator_controller.h"

#include <algorithm>
#include <future>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rpc/api_keys.h"
#include "server/cluster/cluster_common.h"

namespace fluss::cluster {

namespace {

bool Contains(const std::vector<int32_t>& v, int32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string Ids(const std::vector<int32_t>& v) { return fmt::format("[{}]", fmt::join(v, ",")); }

void FillBucket(proto::PbTableBucket* tb, const TableBucket& id) {
  tb->set_table_id(id.table_id);
  tb->set_bucket_id(id.bucket);
}

}  // namespace

std::vector<BucketAssignment> AssignReplicas(const std::vector<int32_t>& servers, int32_t buckets,
                                             int32_t replication_factor, int32_t start, int32_t shift) {
  const int32_t n = static_cast<int32_t>(servers.size());
  std::vector<BucketAssignment> out;
  int32_t next_shift = shift;
  for (int32_t b = 0; b < buckets; ++b) {
    if (b > 0 && b % n == 0) ++next_shift;
    const int32_t first = (b + start) % n;
    BucketAssignment a;
    a.bucket_id = b;
    a.replicas.push_back(servers[first]);
    for (int32_t j = 0; j < replication_factor - 1; ++j) {
      const int32_t index = (first + 1 + (next_shift + j) % (n - 1)) % n;
      a.replicas.push_back(servers[index]);
    }
    a.leader = a.replicas.front();
    out.push_back(std::move(a));
  }
  return out;
}

CoordinatorController::CoordinatorController(std::shared_ptr<ZkMetadataStore> store, CoordinatorOptions options)
    : store_(std::move(store)), options_(options), io_(rpc::RpcClientIo::Create()) {
  gate_->self = this;
  thread_ = std::thread([this] { Loop(); });
}

CoordinatorController::~CoordinatorController() { Stop(); }

Status CoordinatorController::Start(const std::string& listeners) {
  // The store's listeners may run until the store is gone, which can be after this controller.
  store_->SetLiveServersListener([gate = gate_](const std::vector<TabletServerInfo>& servers) {
    std::lock_guard lock(gate->mu);
    if (gate->self) gate->self->Post([self = gate->self, servers] { self->OnLiveServers(servers); });
  });
  return store_->StartCoordinatorElection(options_.server_id, listeners, [gate = gate_](bool leader, int64_t epoch) {
    std::lock_guard lock(gate->mu);
    CoordinatorController* self = gate->self;
    if (!self) return;
    if (leader) {
      self->Post([self, epoch] { self->OnBecameActive(epoch); });
    } else {
      self->active_ = false;  // at once: stop accepting requests as the leader
      self->Post([self] { self->OnResigned(); });
    }
  });
}

void CoordinatorController::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && !thread_.joinable()) return;
  }
  {
    std::lock_guard lock(gate_->mu);
    gate_->self = nullptr;
  }
  store_->SetLiveServersListener(nullptr);
  store_->ResignCoordinator();
  active_ = false;
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
    queue_.clear();
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [id, client] : clients_) client->Close();
  clients_.clear();
}

void CoordinatorController::Post(std::function<void()> event, std::chrono::milliseconds delay) {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    queue_.emplace(Clock::now() + delay, std::move(event));
  }
  queue_cv_.notify_all();
}

void CoordinatorController::PostVia(const std::shared_ptr<Gate>& gate, std::function<void()> event) {
  std::lock_guard lock(gate->mu);
  if (gate->self) gate->self->Post(std::move(event));
}

template <typename T>
Result<T> CoordinatorController::Run(std::function<Result<T>()> fn) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  Post([promise, fn = std::move(fn)] { promise->set_value(fn()); });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return Status(ErrorCode::kRequestTimeOut, "the coordinator's event thread did not answer within 30 s");
  }
  try {
    return future.get();
  } catch (const std::future_error&) {
    return Status(ErrorCode::kInvalidCoordinator, "the coordinator is stopping");
  }
}

void CoordinatorController::Loop() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      queue_cv_.wait(lock);
      continue;
    }
    auto first = queue_.begin();
    const Clock::time_point due = first->first;  // a copy: the entry may go while waiting
    if (due > Clock::now()) {
      queue_cv_.wait_until(lock, due);
      continue;
    }
    auto event = std::move(first->second);
    queue_.erase(first);
    lock.unlock();
    event();
    event = nullptr;  // release captured promises outside the lock
    lock.lock();
  }
}

// ---- leadership -------------------------------------------------------------------------------

void CoordinatorController::OnBecameActive(int64_t epoch) {
  epoch_ = epoch;
  is_active_ = true;
  buckets_.clear();
  shutting_down_.clear();
  live_.clear();
  for (const auto& s : store_->LiveTabletServers()) live_[s.id] = s;
  // Load every bucket's state; buckets without a record (a coordinator died between creating the
  // table and its records) get one now.
  for (const auto& table : store_->ListAllTables()) {
    auto assignment = store_->GetAssignment(table.table_id);
    if (!assignment.ok()) continue;  // dropped meanwhile
    bool missing = false;
    for (const auto& a : *assignment) {
      auto lai = store_->GetLeaderAndIsr(table.table_id, a.bucket_id);
      if (!lai.ok()) {
        missing = true;
        continue;
      }
      Bucket& b = buckets_[{table.table_id, a.bucket_id}];
      b.replicas = a.replicas;
      b.lai = lai->first;
      b.version = lai->second;
    }
    if (missing) {
      Status st = CreateBucketRecords(table);
      if (!st.ok()) spdlog::warn("coordinator: leader and ISR of '{}': {}", table.path.ToString(), st.ToString());
    }
  }
  ReconcileAll();
  active_ = true;
  spdlog::info("coordinator {}: active (epoch {}), {} buckets, {} live tablet servers", options_.server_id, epoch,
               buckets_.size(), live_.size());
  for (const auto& [id, info] : live_) PushAll(id);
  SchedulePreferredLeaderCheck(epoch);
  if (options_.became_active) options_.became_active();
}

void CoordinatorController::OnResigned() {
  if (!is_active_) return;
  spdlog::info("coordinator {}: no longer active (epoch {})", options_.server_id, epoch_.load());
  is_active_ = false;
  buckets_.clear();
  live_.clear();
  shutting_down_.clear();
  for (auto& [id, client] : clients_) client->Close();
  clients_.clear();
}

// ---- tablet servers ---------------------------------------------------------------------------

void CoordinatorController::OnLiveServers(std::vector<TabletServerInfo> servers) {
  if (!is_active_) return;
  std::map<int32_t, TabletServerInfo> now;
  for (auto& s : servers) now[s.id] = s;
  std::vector<int32_t> joined;
  std::vector<int32_t> restarted;  // registered again without this coordinator seeing it go
  for (const auto& [id, info] : now) {
    auto old = live_.find(id);
    if (old == live_.end()) {
      joined.push_back(id);
    } else if (old->second.register_timestamp_ms != info.register_timestamp_ms ||
               old->second.listeners != info.listeners) {
      joined.push_back(id);
      restarted.push_back(id);
    }
  }
  for (const auto& [id, info] : live_) {
    if (now.count(id) == 0) {
      spdlog::info("coordinator: tablet server {} is gone", id);
      shutting_down_.erase(id);
      auto c = clients_.find(id);
      if (c != clients_.end()) {
        c->second->Close();
        clients_.erase(c);
      }
    }
  }
  for (int32_t id : joined) {
    spdlog::info("coordinator: tablet server {} registered ({})", id, now[id].listeners);
    shutting_down_.erase(id);
    auto c = clients_.find(id);
    if (c != clients_.end()) {
      c->second->Close();
      clients_.erase(c);
    }
  }
  std::vector<TableBucket> changed;
  if (!restarted.empty()) {
    // A restart is a failure: its leaderships move first (it lost whatever it had in memory).
    for (int32_t id : restarted) live_.erase(id);
    changed = ReconcileAll();
  }
  live_ = std::move(now);
  for (const auto& id : ReconcileAll()) changed.push_back(id);
  PushToReplicas(changed);
  for (int32_t id : joined) PushAll(id);
}

std::optional<LeaderAndIsr> CoordinatorController::Decide(const Bucket& b) const {
  const LeaderAndIsr& cur = b.lai;
  auto alive = [&](int32_t id) { return live_.count(id) != 0; };
  auto leaving = [&](int32_t id) { return shutting_down_.count(id) != 0; };
  LeaderAndIsr next = cur;
  const bool leader_ok = cur.leader >= 0 && alive(cur.leader) && !leaving(cur.leader);
  if (!leader_ok) {
    int32_t pick = -1;
    for (int32_t r : b.replicas) {
      if (alive(r) && !leaving(r) && Contains(cur.isr, r)) {
        pick = r;
        break;
      }
    }
    if (pick >= 0) {
      next.leader = pick;
      next.leader_epoch = cur.leader_epoch + 1;
    } else if (cur.leader >= 0 && alive(cur.leader)) {
      // A leader that is shutting down and has no successor keeps leading.
    } else if (cur.leader != -1) {
      next.leader = -1;  // offline until an ISR member returns
      next.leader_epoch = cur.leader_epoch + 1;
    }
  }
  if (next.leader >= 0) {
    std::vector<int32_t> isr;
    for (int32_t r : cur.isr) {
      if (r == next.leader || (alive(r) && !leaving(r))) isr.push_back(r);
    }
    if (!Contains(isr, next.leader)) isr.insert(isr.begin(), next.leader);
    next.isr = std::move(isr);
  }
  if (next == cur) return std::nullopt;
  next.bucket_epoch = cur.bucket_epoch + 1;
  return next;
}

std::vector<TableBucket> CoordinatorController::ReconcileAll() {
  std::vector<TableBucket> changed;
  for (auto& [id, b] : buckets_) {
    auto next = Decide(b);
    if (!next) continue;
    const LeaderAndIsr before = b.lai;
    Status st = Write(id, b, *next);
    if (!st.ok()) {
      spdlog::warn("coordinator: bucket {} of table {}: {}", id.bucket, id.table_id, st.ToString());
      continue;
    }
    spdlog::info("coordinator: bucket {} of table {}: leader {} -> {} (epoch {}), isr {} -> {}", id.bucket,
                 id.table_id, before.leader, b.lai.leader, b.lai.leader_epoch, Ids(before.isr), Ids(b.lai.isr));
    changed.push_back(id);
  }
  return changed;
}

Status CoordinatorController::Write(const TableBucket& id, Bucket& b, LeaderAndIsr next) {
  next.coordinator_epoch = static_cast<int32_t>(epoch_.load());
  auto version = store_->SetLeaderAndIsr(id.table_id, id.bucket, next, b.version);
  if (version.ok()) {
    b.lai = std::move(next);
    b.version = *version;
    return Status::OK();
  }
  if (version.status().code() == ErrorCode::kInvalidUpdateVersion) {
    // Someone else wrote (should not happen while this coordinator is active): take the stored one.
    auto stored = store_->GetLeaderAndIsr(id.table_id, id.bucket);
    if (stored.ok()) {
      b.lai = stored->first;
      b.version = stored->second;
    }
  }
  return version.status();
}

// ---- tables -----------------------------------------------------------------------------------

Result<std::vector<BucketAssignment>> CoordinatorController::Assign(const TablePath& path,
                                                                    const TableDescriptor& descriptor,
                                                                    int32_t buckets) {
  if (!active_) {
    return Status(ErrorCode::kInvalidCoordinator,
                  fmt::format("coordinator {} is not the active coordinator", options_.server_id));
  }
  int32_t rf = options_.default_replication_factor;
  auto prop = descriptor.properties().find("table.replication.factor");
  if (prop != descriptor.properties().end()) {
    char* end = nullptr;
    const long v = std::strtol(prop->second.c_str(), &end, 10);
    if (prop->second.empty() || *end != '\0' || v < 1 || v > 1000) {
      return Status(ErrorCode::kInvalidReplicationFactor,
                    fmt::format("cannot create '{}': table.replication.factor '{}' is not a positive number",
                                path.ToString(), prop->second));
    }
    rf = static_cast<int32_t>(v);
  }
  std::vector<int32_t> servers;
  for (const auto& s : store_->LiveTabletServers()) servers.push_back(s.id);
  if (rf < 1) {
    return Status(ErrorCode::kInvalidReplicationFactor,
                  fmt::format("cannot create '{}': replication factor {} is not positive", path.ToString(), rf));
  }
  if (static_cast<size_t>(rf) > servers.size()) {
    return Status(ErrorCode::kInvalidReplicationFactor,
                  fmt::format("cannot create '{}': replication factor {} is larger than the {} live tablet servers",
                              path.ToString(), rf, servers.size()));
  }
  std::random_device rd;
  const auto n = static_cast<int32_t>(servers.size());
  return AssignReplicas(servers, buckets, rf, static_cast<int32_t>(rd() % n), static_cast<int32_t>(rd() % n));
}

Status CoordinatorController::CreateBucketRecords(const TableRecord& record) {
  FLUSS_ASSIGN_OR_RETURN(auto assignment, store_->GetAssignment(record.table_id));
  for (const auto& a : assignment) {
    const TableBucket id{record.table_id, a.bucket_id};
    auto existing = store_->GetLeaderAndIsr(record.table_id, a.bucket_id);
    Bucket b;
    b.replicas = a.replicas;
    if (existing.ok()) {
      b.lai = existing->first;
      b.version = existing->second;
    } else {
      LeaderAndIsr lai;
      for (int32_t r : a.replicas) {
        if (live_.count(r) != 0) lai.isr.push_back(r);
      }
      if (lai.isr.empty()) lai.isr = a.replicas;  // none live: offline until one comes
      lai.leader = live_.count(lai.isr.front()) != 0 ? lai.isr.front() : -1;
      lai.coordinator_epoch = static_cast<int32_t>(epoch_.load());
      FLUSS_ASSIGN_OR_RETURN(b.version, store_->SetLeaderAndIsr(record.table_id, a.bucket_id, lai, -1));
      b.lai = std::move(lai);
    }
    buckets_[id] = std::move(b);
  }
  return Status::OK();
}

Status CoordinatorController::TableCreated(const TableRecord& record) {
  auto r = Run<bool>([this, record]() -> Result<bool> {
    if (!is_active_) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("coordinator {} is not the active coordinator", options_.server_id));
    }
    FLUSS_RETURN_NOT_OK(CreateBucketRecords(record));
    std::vector<TableBucket> ids;
    for (const auto& [id, b] : buckets_) {
      if (id.table_id == record.table_id) ids.push_back(id);
    }
    PushToReplicas(ids);
    return true;
  });
  return r.status();
}

void CoordinatorController::TableDropped(const TableRecord& record) {
  Post([this, record] {
    if (!is_active_) return;
    std::map<int32_t, proto::StopReplicaRequest> requests;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (it->first.table_id != record.table_id) {
        ++it;
        continue;
      }
      for (int32_t r : it->second.replicas) {
        auto& req = requests[r];
        req.set_coordinator_epoch(static_cast<int32_t>(epoch_.load()));
        auto* s = req.add_stop_replicas_req();
        FillBucket(s->mutable_table_bucket(), it->first);
        s->set_delete_(true);
        s->set_leader_epoch(it->second.lai.leader_epoch);
      }
      it = buckets_.erase(it);
    }
    for (auto& [server, req] : requests) {
      if (live_.count(server) != 0) SendStopReplica(server, std::move(req), 0);
    }
  });
}

// ---- requests of tablet servers ---------------------------------------------------------------

Result<proto::AdjustIsrResponse> CoordinatorController::AdjustIsr(const proto::AdjustIsrRequest& request) {
  return Run<proto::AdjustIsrResponse>([this, request]() -> Result<proto::AdjustIsrResponse> {
    if (!is_active_) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("coordinator {} is not the active coordinator", options_.server_id));
    }
    proto::AdjustIsrResponse resp;
    for (const auto& req : request.buckets_req()) {
      auto* out = resp.add_buckets_resp();
      *out->mutable_table_bucket() = req.table_bucket();
      const TableBucket id{req.table_bucket().table_id(), req.table_bucket().bucket_id()};
      auto it = buckets_.find(id);
      if (it == buckets_.end()) {
        out->set_error_code(static_cast<int32_t>(ErrorCode::kUnknownTableOrBucket));
        out->set_error_message(fmt::format("bucket {} of table id {} is unknown", id.bucket, id.table_id));
        continue;
      }
      Bucket& b = it->second;
      auto fill = [&](const LeaderAndIsr& lai) {
        out->set_leader_id(lai.leader);
        out->set_leader_epoch(lai.leader_epoch);
        out->clear_isr();
        for (int32_t r : lai.isr) out->add_isr(r);
        out->set_coordinator_epoch(lai.coordinator_epoch);
        out->set_bucket_epoch(lai.bucket_epoch);
      };
      auto fail = [&](ErrorCode code, std::string message) {
        out->set_error_code(static_cast<int32_t>(code));
        out->set_error_message(std::move(message));
        fill(b.lai);
      };
      if (request.server_id() != b.lai.leader || req.leader_epoch() != b.lai.leader_epoch) {
        fail(ErrorCode::kFencedLeaderEpoch,
             fmt::format("server {} at leader epoch {} is not the leader of bucket {} of table id {} (leader {}, "
                         "epoch {})",
                         request.server_id(), req.leader_epoch(), id.bucket, id.table_id, b.lai.leader,
                         b.lai.leader_epoch));
        continue;
      }
      if (req.bucket_epoch() != b.lai.bucket_epoch) {
        fail(ErrorCode::kInvalidUpdateVersion,
             fmt::format("bucket {} of table id {} is at bucket epoch {}, not {}", id.bucket, id.table_id,
                         b.lai.bucket_epoch, req.bucket_epoch()));
        continue;
      }
      std::vector<int32_t> isr(req.new_isr().begin(), req.new_isr().end());
      if (!Contains(isr, b.lai.leader)) {
        fail(ErrorCode::kIneligibleReplica,
             fmt::format("the new ISR {} of bucket {} of table id {} does not contain its leader {}", Ids(isr),
                         id.bucket, id.table_id, b.lai.leader));
        continue;
      }
      bool valid = true;
      for (int32_t r : isr) {
        if (!Contains(b.replicas, r) || std::count(isr.begin(), isr.end(), r) != 1) valid = false;
      }
      std::vector<int32_t> unavailable;
      for (int32_t r : isr) {
        if (!Contains(b.lai.isr, r) && (live_.count(r) == 0 || shutting_down_.count(r) != 0)) unavailable.push_back(r);
      }
      if (valid && !unavailable.empty()) {
        fail(ErrorCode::kIneligibleReplica,
             fmt::format("the new ISR {} of bucket {} of table id {} adds {}, not live or shutting down", Ids(isr),
                         id.bucket, id.table_id, Ids(unavailable)));
        continue;
      }
      if (!valid) {
        fail(ErrorCode::kIneligibleReplica,
             fmt::format("the new ISR {} of bucket {} of table id {} is not a set of its replicas {}", Ids(isr),
                         id.bucket, id.table_id, Ids(b.replicas)));
        continue;
      }
      LeaderAndIsr next = b.lai;
      next.isr = std::move(isr);
      next.bucket_epoch = b.lai.bucket_epoch + 1;
      Status st = Write(id, b, next);
      if (!st.ok()) {
        fail(st.code(), std::string(st.message()));
        continue;
      }
      spdlog::info("coordinator: bucket {} of table {}: isr is now {} (bucket epoch {})", id.bucket, id.table_id,
                   Ids(b.lai.isr), b.lai.bucket_epoch);
      fill(b.lai);
    }
    return resp;
  });
}

Result<proto::ControlledShutdownResponse> CoordinatorController::ControlledShutdown(
    const proto::ControlledShutdownRequest& request) {
  return Run<proto::ControlledShutdownResponse>([this, request]() -> Result<proto::ControlledShutdownResponse> {
    if (!is_active_) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("coordinator {} is not the active coordinator", options_.server_id));
    }
    const int32_t server = request.tablet_server_id();
    spdlog::info("coordinator: controlled shutdown of tablet server {}", server);
    shutting_down_.insert(server);
    PushToReplicas(ReconcileAll());
    proto::ControlledShutdownResponse resp;
    for (const auto& [id, b] : buckets_) {
      if (b.lai.leader == server) FillBucket(resp.add_remaining_leader_buckets(), id);
    }
    return resp;
  });
}

std::optional<LeaderAndIsr> CoordinatorController::BucketState(int64_t table_id, int32_t bucket) {
  auto r = Run<LeaderAndIsr>([this, table_id, bucket]() -> Result<LeaderAndIsr> {
    auto it = buckets_.find({table_id, bucket});
    if (it == buckets_.end()) return Status(ErrorCode::kUnknownTableOrBucket, "unknown bucket");
    return it->second.lai;
  });
  if (!r.ok()) return std::nullopt;
  return *r;
}

// ---- pushing ----------------------------------------------------------------------------------

std::shared_ptr<rpc::RpcClient> CoordinatorController::Client(int32_t server) {
  auto it = clients_.find(server);
  if (it != clients_.end() && it->second->is_open()) return it->second;
  auto live = live_.find(server);
  if (live == live_.end()) return nullptr;
  auto addr = ListenerAddress(live->second.listeners);
  if (!addr) return nullptr;
  rpc::RpcClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  auto client = rpc::RpcClient::Connect(io_, addr->first, addr->second, options);
  if (!client.ok()) {
    spdlog::debug("coordinator: cannot connect to tablet server {}: {}", server, client.status().ToString());
    return nullptr;
  }
  clients_[server] = *client;
  return *client;
}

void CoordinatorController::DropClient(int32_t server, const std::shared_ptr<rpc::RpcClient>& client) {
  auto it = clients_.find(server);
  if (it != clients_.end() && it->second == client) {
    client->Close();
    clients_.erase(it);
  }
}

void CoordinatorController::PushToReplicas(const std::vector<TableBucket>& buckets) {
  std::map<int32_t, std::set<TableBucket>> per_server;
  for (const auto& id : buckets) {
    auto it = buckets_.find(id);
    if (it == buckets_.end()) continue;
    for (int32_t r : it->second.replicas) {
      if (live_.count(r) != 0) per_server[r].insert(id);
    }
  }
  for (auto& [server, ids] : per_server) Push(server, std::vector<TableBucket>(ids.begin(), ids.end()), 0);
}

void CoordinatorController::PushAll(int32_t server) {
  std::vector<TableBucket> ids;
  for (const auto& [id, b] : buckets_) {
    if (Contains(b.replicas, server)) ids.push_back(id);
  }
  if (!ids.empty()) Push(server, std::move(ids), 0);
}

void CoordinatorController::Push(int32_t server, std::vector<TableBucket> buckets, int attempt) {
  if (!is_active_ || live_.count(server) == 0) return;
  proto::NotifyLeaderAndIsrRequest req;
  req.set_coordinator_epoch(static_cast<int32_t>(epoch_.load()));
  std::vector<TableBucket> sent;
  for (const auto& id : buckets) {
    auto it = buckets_.find(id);
    if (it == buckets_.end() || !Contains(it->second.replicas, server)) continue;
    const Bucket& b = it->second;
    auto* e = req.add_notify_buckets_leader_req();
    FillBucket(e->mutable_table_bucket(), id);
    e->set_leader(b.lai.leader);
    e->set_leader_epoch(b.lai.leader_epoch);
    for (int32_t r : b.replicas) e->add_replicas(r);
    for (int32_t r : b.lai.isr) e->add_isr(r);
    e->set_bucket_epoch(b.lai.bucket_epoch);
    sent.push_back(id);
  }
  if (sent.empty()) return;
  auto retry = [this, server](std::vector<TableBucket> ids, int attempt) {
    if (attempt >= options_.push_attempts) {
      spdlog::warn("coordinator: gave up telling tablet server {} the state of {} buckets", server, ids.size());
      return;
    }
    Post([this, server, ids = std::move(ids), attempt]() mutable { Push(server, std::move(ids), attempt); },
         options_.push_retry);
  };
  auto client = Client(server);
  if (!client) {
    retry(std::move(sent), attempt + 1);
    return;
  }
  const int64_t epoch = epoch_.load();
  client->Call(static_cast<int16_t>(rpc::ApiKey::kNotifyLeaderAndIsr), 0, req.SerializeAsString(),
               std::chrono::milliseconds(10000),
               [this, gate = gate_, server, sent, attempt, retry, client, epoch](Result<std::string> body) {
                 PostVia(gate, [this, server, sent, attempt, retry, client, epoch, body = std::move(body)]() mutable {
                   if (!is_active_ || epoch != epoch_.load()) return;
                   if (!body.ok()) {
                     spdlog::debug("coordinator: NotifyLeaderAndIsr to tablet server {}: {}", server,
                                   body.status().ToString());
                     if (body.status().code() == ErrorCode::kNetworkException) DropClient(server, client);
                     retry(std::move(sent), attempt + 1);
                     return;
                   }
                   proto::NotifyLeaderAndIsrResponse resp;
                   if (!resp.ParseFromString(*body)) {
                     retry(std::move(sent), attempt + 1);
                     return;
                   }
                   std::vector<TableBucket> failed;
                   for (const auto& r : resp.notify_buckets_leader_resp()) {
                     if (r.has_error_code() && r.error_code() != 0) {
                       spdlog::debug("coordinator: tablet server {} bucket {} of table {}: {} {}", server,
                                     r.table_bucket().bucket_id(), r.table_bucket().table_id(), r.error_code(),
                                     r.error_message());
                       failed.push_back({r.table_bucket().table_id(), r.table_bucket().bucket_id()});
                     }
                   }
                   if (!failed.empty()) retry(std::move(failed), attempt + 1);
                 });
               });
}

// ---- preferred-leader election -----------------------------------------------------------------

bool CoordinatorController::PreferredLeaderEligible(const Bucket& b) const {
  if (b.replicas.empty() || b.lai.leader < 0) return false;  // no leader: the ordinary election's case
  const int32_t preferred = b.replicas.front();
  return b.lai.leader != preferred && live_.count(preferred) != 0 && shutting_down_.count(preferred) == 0 &&
         Contains(b.lai.isr, preferred);
}

void CoordinatorController::SchedulePreferredLeaderCheck(int64_t epoch) {
  if (!options_.auto_leader_rebalance) return;
  Post([this, epoch] { CheckPreferredLeaders(epoch); }, options_.leader_imbalance_check_interval);
}

void CoordinatorController::CheckPreferredLeaders(int64_t epoch) {
  if (!is_active_ || epoch != epoch_.load()) return;  // a later activation runs its own check
  std::set<int32_t> servers;
  for (const auto& [id, b] : buckets_) {
    if (PreferredLeaderEligible(b)) servers.insert(b.replicas.front());
  }
  for (int32_t server : servers) {
    // Probe first: a server killed a moment ago is still registered and may still be in the ISR.
    auto client = Client(server);
    if (!client) {
      spdlog::info("coordinator: tablet server {} is registered but cannot be reached; its preferred leaderships "
                   "stay where they are for now",
                   server);
      continue;
    }
    proto::ApiVersionsRequest probe;
    probe.set_client_software_name("fluss-cpp-coordinator");
    probe.set_client_software_version("0.1.0");
    client->Call(static_cast<int16_t>(rpc::ApiKey::kApiVersions), 0, probe.SerializeAsString(),
                 options_.preferred_probe_timeout,
                 [this, gate = gate_, server, epoch, client](Result<std::string> body) {
                   PostVia(gate, [this, server, epoch, client, body = std::move(body)] {
                     if (!body.ok()) {
                       spdlog::info("coordinator: tablet server {} did not answer the probe ({}); its preferred "
                                    "leaderships stay where they are for now",
                                    server, body.status().ToString());
                       if (body.status().code() == ErrorCode::kNetworkException) DropClient(server, client);
                       return;
                     }
                     MovePreferredLeaders(server, epoch);
                   });
                 });
  }
  SchedulePreferredLeaderCheck(epoch);
}

void CoordinatorController::MovePreferredLeaders(int32_t server, int64_t epoch) {
  if (!is_active_ || epoch != epoch_.load()) return;
  std::vector<TableBucket> changed;
  for (auto& [id, b] : buckets_) {
    if (b.replicas.empty() || b.replicas.front() != server || !PreferredLeaderEligible(b)) continue;
    LeaderAndIsr next = b.lai;
    next.leader = server;
    next.leader_epoch = b.lai.leader_epoch + 1;
    next.bucket_epoch = b.lai.bucket_epoch + 1;
    const int32_t before = b.lai.leader;
    Status st = Write(id, b, next);
    if (!st.ok()) {
      spdlog::warn("coordinator: preferred leader of bucket {} of table {}: {}", id.bucket, id.table_id,
                   st.ToString());
      continue;
    }
    spdlog::info("coordinator: bucket {} of table {}: leader {} -> {} (epoch {}), back to its preferred replica",
                 id.bucket, id.table_id, before, b.lai.leader, b.lai.leader_epoch);
    changed.push_back(id);
  }
  PushToReplicas(changed);
}

void CoordinatorController::SendStopReplica(int32_t server, proto::StopReplicaRequest request, int attempt) {
  if (!is_active_ || live_.count(server) == 0 || attempt >= options_.push_attempts) return;
  auto again = [this, server, request, attempt] {
    Post([this, server, request, attempt] { SendStopReplica(server, request, attempt + 1); }, options_.push_retry);
  };
  auto client = Client(server);
  if (!client) {
    again();
    return;
  }
  client->Call(static_cast<int16_t>(rpc::ApiKey::kStopReplica), 0, request.SerializeAsString(),
               std::chrono::milliseconds(10000), [this, gate = gate_, server, client, again](Result<std::string> body) {
                 if (body.ok()) return;
                 PostVia(gate, [this, server, client, again, code = body.status().code()] {
                   if (code == ErrorCode::kNetworkException) DropClient(server, client);
                   again();
                 });
               });
}

}  // namespace fluss::cluster
