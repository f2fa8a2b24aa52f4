#include "server/cluster/coordinator_controller.h"

#include <algorithm>
#include <future>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rpc/api_keys.h"
#include "server/cluster/cluster_common.h"
#include "server/wire_error.h"

namespace fluss::cluster {

namespace {

bool Contains(const std::vector<ServerId>& v, ServerId x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string Ids(const std::vector<ServerId>& v) { return fmt::format("[{}]", fmt::join(v, ",")); }

std::vector<ServerId> ServerIds(const std::vector<int32_t>& ids) {
  std::vector<ServerId> out;
  out.reserve(ids.size());
  for (int32_t id : ids) out.push_back(ServerId(id));
  return out;
}

std::vector<ServerId> ServerIds(const google::protobuf::RepeatedField<int32_t>& ids) {
  return ServerIds(std::vector<int32_t>(ids.begin(), ids.end()));
}

void FillBucket(proto::PbTableBucket* tb, const TableBucket& id) {
  tb->set_table_id(id.table_id);
  if (id.partition_id) tb->set_partition_id(*id.partition_id);
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

BucketLeadership BucketLeadership::FromRecord(const LeaderAndIsr& record) {
  BucketLeadership out;
  out.leader = ServerId(record.leader);
  out.leader_epoch = LeaderEpoch(record.leader_epoch);
  out.isr = ServerIds(record.isr);
  out.coordinator_epoch = CoordinatorEpoch(record.coordinator_epoch);
  out.bucket_epoch = BucketEpoch(record.bucket_epoch);
  return out;
}

LeaderAndIsr BucketLeadership::ToRecord() const {
  LeaderAndIsr record;
  record.leader = leader.value();
  record.leader_epoch = leader_epoch.value();
  for (ServerId id : isr) record.isr.push_back(id.value());
  record.coordinator_epoch = coordinator_epoch.value();
  record.bucket_epoch = bucket_epoch.value();
  return record;
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
  auto on_election = [gate = gate_](bool leader, int64_t zk_epoch) {
    std::lock_guard lock(gate->mu);
    CoordinatorController* self = gate->self;
    if (!self) return;
    if (leader) {
      // ZooKeeper's counter; the wire's coordinator_epoch fields are 32 bits.
      const CoordinatorEpoch epoch(static_cast<int32_t>(zk_epoch));
      self->Post([self, epoch] { self->OnBecameActive(epoch); });
    } else {
      self->active_ = false;  // at once: stop accepting requests as the leader
      self->Post([self] { self->OnResigned(); });
    }
  };
  return store_->StartCoordinatorElection(options_.server_id.value(), listeners, std::move(on_election));
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

void CoordinatorController::OnBecameActive(CoordinatorEpoch epoch) {
  epoch_ = epoch;
  is_active_ = true;
  buckets_.clear();
  shutting_down_.clear();
  live_.clear();
  for (const auto& s : store_->LiveTabletServers()) live_[ServerId(s.id)] = s;
  // Load every bucket's state; buckets without a record (a coordinator died between creating the
  // table and its records) get one now.
  for (const auto& table : store_->ListAllTables()) {
    auto assignment = store_->GetAssignment(table.table_id);
    if (!assignment.ok()) continue;  // dropped meanwhile
    LoadBuckets(table.table_id, std::nullopt, *assignment);
    // A partitioned table's buckets are its partitions' (its own assignment has none).
    auto partitions = store_->ListPartitions(table.path);
    if (!partitions.ok()) continue;
    for (const auto& partition : *partitions) {
      if (partition.table_id != table.table_id) continue;
      auto pa = store_->GetPartitionAssignment(partition.partition_id);
      if (!pa.ok()) continue;  // dropped meanwhile
      LoadBuckets(table.table_id, partition.partition_id, *pa);
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
  std::map<ServerId, TabletServerInfo> now;
  for (auto& s : servers) now[ServerId(s.id)] = s;
  std::vector<ServerId> joined;
  std::vector<ServerId> restarted;  // registered again without this coordinator seeing it go
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
  for (ServerId id : joined) {
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
    for (ServerId id : restarted) live_.erase(id);
    changed = ReconcileAll();
  }
  live_ = std::move(now);
  for (const auto& id : ReconcileAll()) changed.push_back(id);
  PushToReplicas(changed);
  for (ServerId id : joined) PushAll(id);
}

std::optional<BucketLeadership> CoordinatorController::Decide(const Bucket& b) const {
  const BucketLeadership& cur = b.lai;
  BucketLeadership next = cur;
  const bool leader_ok = cur.leader != kNoServer && Live(cur.leader) && !ShuttingDown(cur.leader);
  if (!leader_ok) {
    ServerId pick = kNoServer;
    for (ServerId r : b.replicas) {
      if (Live(r) && !ShuttingDown(r) && Contains(cur.isr, r)) {
        pick = r;
        break;
      }
    }
    if (pick != kNoServer) {
      next.leader = pick;
      next.leader_epoch = Next(cur.leader_epoch);
    } else if (cur.leader != kNoServer && Live(cur.leader)) {
      // A leader that is shutting down and has no successor keeps leading.
    } else if (cur.leader != kNoServer) {
      next.leader = kNoServer;  // offline until an ISR member returns
      next.leader_epoch = Next(cur.leader_epoch);
    }
  }
  if (next.leader != kNoServer) {
    std::vector<ServerId> isr;
    for (ServerId r : cur.isr) {
      if (r == next.leader || (Live(r) && !ShuttingDown(r))) isr.push_back(r);
    }
    if (!Contains(isr, next.leader)) isr.insert(isr.begin(), next.leader);
    next.isr = std::move(isr);
  }
  if (next == cur) return std::nullopt;
  next.bucket_epoch = Next(cur.bucket_epoch);
  return next;
}

std::vector<TableBucket> CoordinatorController::ReconcileAll() {
  std::vector<TableBucket> changed;
  for (auto& [id, b] : buckets_) {
    auto next = Decide(b);
    if (!next) continue;
    const BucketLeadership before = b.lai;
    Status st = Write(id, b, *next);
    if (!st.ok()) {
      spdlog::warn("coordinator: {}: {}", id.ToString(), st.ToString());
      continue;
    }
    spdlog::info("coordinator: {}: leader {} -> {} (epoch {}), isr {} -> {}", id.ToString(), before.leader, b.lai.leader, b.lai.leader_epoch, Ids(before.isr), Ids(b.lai.isr));
    changed.push_back(id);
  }
  return changed;
}

Status CoordinatorController::Write(const TableBucket& id, Bucket& b, BucketLeadership next) {
  next.coordinator_epoch = epoch_.load();
  auto version = store_->SetLeaderAndIsr(id, next.ToRecord(), b.version);
  if (version.ok()) {
    b.lai = std::move(next);
    b.version = *version;
    return Status::OK();
  }
  if (version.status().code() == ErrorCode::kInvalidUpdateVersion) {
    // Someone else wrote (should not happen while this coordinator is active): take the stored one.
    auto stored = store_->GetLeaderAndIsr(id);
    if (stored.ok()) {
      b.lai = BucketLeadership::FromRecord(stored->first);
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

void CoordinatorController::LoadBuckets(int64_t table_id, std::optional<int64_t> partition_id,
                                        const std::vector<BucketAssignment>& assignment) {
  bool missing = false;
  for (const auto& a : assignment) {
    const TableBucket id(table_id, partition_id, a.bucket_id);
    auto lai = store_->GetLeaderAndIsr(id);
    if (!lai.ok()) {
      missing = true;
      continue;
    }
    Bucket& b = buckets_[id];
    b.replicas = ServerIds(a.replicas);
    b.lai = BucketLeadership::FromRecord(lai->first);
    b.version = lai->second;
  }
  if (missing) {
    Status st = CreateBucketRecords(table_id, partition_id, assignment);
    if (!st.ok()) {
      spdlog::warn("coordinator: leader and ISR of {}: {}",
                   partition_id ? fmt::format("partition id {} of table id {}", *partition_id, table_id)
                                : fmt::format("table id {}", table_id),
                   st.ToString());
    }
  }
}

Status CoordinatorController::CreateBucketRecords(int64_t table_id, std::optional<int64_t> partition_id,
                                                  const std::vector<BucketAssignment>& assignment) {
  for (const auto& a : assignment) {
    const TableBucket id(table_id, partition_id, a.bucket_id);
    auto existing = store_->GetLeaderAndIsr(id);
    Bucket b;
    b.replicas = ServerIds(a.replicas);
    if (existing.ok()) {
      b.lai = BucketLeadership::FromRecord(existing->first);
      b.version = existing->second;
    } else {
      BucketLeadership lai;
      for (ServerId r : b.replicas) {
        if (Live(r)) lai.isr.push_back(r);
      }
      if (lai.isr.empty()) lai.isr = b.replicas;  // none live: offline until one comes
      lai.leader = Live(lai.isr.front()) ? lai.isr.front() : kNoServer;
      lai.coordinator_epoch = epoch_.load();
      FLUSS_ASSIGN_OR_RETURN(b.version, store_->SetLeaderAndIsr(id, lai.ToRecord(), -1));
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
    FLUSS_ASSIGN_OR_RETURN(auto assignment, store_->GetAssignment(record.table_id));
    FLUSS_RETURN_NOT_OK(CreateBucketRecords(record.table_id, std::nullopt, assignment));
    std::vector<TableBucket> ids;
    for (const auto& [id, b] : buckets_) {
      if (id.table_id == record.table_id && !id.partition_id) ids.push_back(id);
    }
    PushToReplicas(ids);
    return true;
  });
  return r.status();
}

void CoordinatorController::TableDropped(const TableRecord& record) {
  Post([this, table_id = record.table_id] {
    StopAndForget([table_id](const TableBucket& id) { return id.table_id == table_id; });
  });
}

Status CoordinatorController::PartitionCreated(const TableRecord& table, const PartitionRecord& partition) {
  auto r = Run<bool>([this, table, partition]() -> Result<bool> {
    if (!is_active_) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("coordinator {} is not the active coordinator", options_.server_id));
    }
    FLUSS_ASSIGN_OR_RETURN(auto assignment, store_->GetPartitionAssignment(partition.partition_id));
    FLUSS_RETURN_NOT_OK(CreateBucketRecords(table.table_id, partition.partition_id, assignment));
    std::vector<TableBucket> ids;
    for (const auto& [id, b] : buckets_) {
      if (id.table_id == table.table_id && id.partition_id == partition.partition_id) ids.push_back(id);
    }
    PushToReplicas(ids);
    return true;
  });
  return r.status();
}

void CoordinatorController::PartitionDropped(const TableRecord& table, const PartitionRecord& partition) {
  Post([this, table_id = table.table_id, partition_id = partition.partition_id] {
    StopAndForget([table_id, partition_id](const TableBucket& id) {
      return id.table_id == table_id && id.partition_id == partition_id;
    });
  });
}

void CoordinatorController::StopAndForget(const std::function<bool(const TableBucket&)>& which) {
  if (!is_active_) return;
  std::map<ServerId, proto::StopReplicaRequest> requests;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (!which(it->first)) {
      ++it;
      continue;
    }
    for (ServerId r : it->second.replicas) {
      auto& req = requests[r];
      req.set_coordinator_epoch(epoch_.load().value());
      auto* s = req.add_stop_replicas_req();
      FillBucket(s->mutable_table_bucket(), it->first);
      s->set_delete_(true);
      s->set_leader_epoch(it->second.lai.leader_epoch.value());
    }
    it = buckets_.erase(it);
  }
  for (auto& [server, req] : requests) {
    if (Live(server)) SendStopReplica(server, std::move(req), 0);
  }
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
      const TableBucket id = TableBucketOf(req.table_bucket());
      auto it = buckets_.find(id);
      if (it == buckets_.end()) {
        out->set_error_code(static_cast<int32_t>(ErrorCode::kUnknownTableOrBucket));
        out->set_error_message(fmt::format("{} is unknown", id.ToString()));
        continue;
      }
      Bucket& b = it->second;
      auto fill = [&](const BucketLeadership& lai) {
        out->set_leader_id(lai.leader.value());
        out->set_leader_epoch(lai.leader_epoch.value());
        out->clear_isr();
        for (ServerId r : lai.isr) out->add_isr(r.value());
        out->set_coordinator_epoch(lai.coordinator_epoch.value());
        out->set_bucket_epoch(lai.bucket_epoch.value());
      };
      auto fail = [&](ErrorCode code, std::string message) {
        SetResponseError(out, Status(code, std::move(message)));
        fill(b.lai);
      };
      const ServerId asking(request.server_id());
      const LeaderEpoch asked_epoch(req.leader_epoch());
      if (asking != b.lai.leader || asked_epoch != b.lai.leader_epoch) {
        fail(ErrorCode::kFencedLeaderEpoch,
             fmt::format("server {} at leader epoch {} is not the leader of {} (leader {}, "
                         "epoch {})",
                         asking, asked_epoch, id.ToString(), b.lai.leader, b.lai.leader_epoch));
        continue;
      }
      if (BucketEpoch(req.bucket_epoch()) != b.lai.bucket_epoch) {
        fail(ErrorCode::kInvalidUpdateVersion,
             fmt::format("{} is at bucket epoch {}, not {}", id.ToString(),
                         b.lai.bucket_epoch, req.bucket_epoch()));
        continue;
      }
      std::vector<ServerId> isr = ServerIds(req.new_isr());
      if (!Contains(isr, b.lai.leader)) {
        fail(ErrorCode::kIneligibleReplica,
             fmt::format("the new ISR {} of {} does not contain its leader {}", Ids(isr),
                         id.ToString(), b.lai.leader));
        continue;
      }
      bool valid = true;
      for (ServerId r : isr) {
        if (!Contains(b.replicas, r) || std::count(isr.begin(), isr.end(), r) != 1) valid = false;
      }
      std::vector<ServerId> unavailable;
      for (ServerId r : isr) {
        if (!Contains(b.lai.isr, r) && (!Live(r) || ShuttingDown(r))) unavailable.push_back(r);
      }
      if (valid && !unavailable.empty()) {
        fail(ErrorCode::kIneligibleReplica,
             fmt::format("the new ISR {} of {} adds {}, not live or shutting down", Ids(isr),
                         id.ToString(), Ids(unavailable)));
        continue;
      }
      if (!valid) {
        fail(ErrorCode::kIneligibleReplica,
             fmt::format("the new ISR {} of {} is not a set of its replicas {}", Ids(isr),
                         id.ToString(), Ids(b.replicas)));
        continue;
      }
      BucketLeadership next = b.lai;
      next.isr = std::move(isr);
      next.bucket_epoch = Next(b.lai.bucket_epoch);
      Status st = Write(id, b, next);
      if (!st.ok()) {
        SetResponseError(out, st);  // ZooKeeper's failure, as the service layer maps it
        fill(b.lai);
        continue;
      }
      spdlog::info("coordinator: {}: isr is now {} (bucket epoch {})", id.ToString(),
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
    const ServerId server(request.tablet_server_id());
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

std::optional<BucketLeadership> CoordinatorController::BucketState(const TableBucket& bucket) {
  auto r = Run<BucketLeadership>([this, bucket]() -> Result<BucketLeadership> {
    auto it = buckets_.find(bucket);
    if (it == buckets_.end()) return Status(ErrorCode::kUnknownTableOrBucket, "unknown bucket");
    return it->second.lai;
  });
  if (!r.ok()) return std::nullopt;
  return *r;
}

// ---- pushing ----------------------------------------------------------------------------------

std::shared_ptr<rpc::RpcClient> CoordinatorController::Client(ServerId server) {
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

void CoordinatorController::DropClient(ServerId server, const std::shared_ptr<rpc::RpcClient>& client) {
  auto it = clients_.find(server);
  if (it != clients_.end() && it->second == client) {
    client->Close();
    clients_.erase(it);
  }
}

void CoordinatorController::PushToReplicas(const std::vector<TableBucket>& buckets) {
  std::map<ServerId, std::set<TableBucket>> per_server;
  for (const auto& id : buckets) {
    auto it = buckets_.find(id);
    if (it == buckets_.end()) continue;
    for (ServerId r : it->second.replicas) {
      if (Live(r)) per_server[r].insert(id);
    }
  }
  for (auto& [server, ids] : per_server) Push(server, std::vector<TableBucket>(ids.begin(), ids.end()), 0);
}

void CoordinatorController::PushAll(ServerId server) {
  std::vector<TableBucket> ids;
  for (const auto& [id, b] : buckets_) {
    if (Contains(b.replicas, server)) ids.push_back(id);
  }
  if (!ids.empty()) Push(server, std::move(ids), 0);
}

void CoordinatorController::Push(ServerId server, std::vector<TableBucket> buckets, int attempt) {
  if (!is_active_ || !Live(server)) return;
  proto::NotifyLeaderAndIsrRequest req;
  req.set_coordinator_epoch(epoch_.load().value());
  std::vector<TableBucket> sent;
  for (const auto& id : buckets) {
    auto it = buckets_.find(id);
    if (it == buckets_.end() || !Contains(it->second.replicas, server)) continue;
    const Bucket& b = it->second;
    auto* e = req.add_notify_buckets_leader_req();
    FillBucket(e->mutable_table_bucket(), id);
    e->set_leader(b.lai.leader.value());
    e->set_leader_epoch(b.lai.leader_epoch.value());
    for (ServerId r : b.replicas) e->add_replicas(r.value());
    for (ServerId r : b.lai.isr) e->add_isr(r.value());
    e->set_bucket_epoch(b.lai.bucket_epoch.value());
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
  const CoordinatorEpoch epoch = epoch_.load();
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
                       failed.push_back(TableBucketOf(r.table_bucket()));
                     }
                   }
                   if (!failed.empty()) retry(std::move(failed), attempt + 1);
                 });
               });
}

// ---- preferred-leader election -----------------------------------------------------------------

bool CoordinatorController::PreferredLeaderEligible(const Bucket& b) const {
  if (b.replicas.empty() || b.lai.leader == kNoServer) return false;  // no leader: the ordinary election's case
  const ServerId preferred = b.replicas.front();
  return b.lai.leader != preferred && Live(preferred) && !ShuttingDown(preferred) && Contains(b.lai.isr, preferred);
}

void CoordinatorController::SchedulePreferredLeaderCheck(CoordinatorEpoch epoch) {
  if (!options_.auto_leader_rebalance) return;
  Post([this, epoch] { CheckPreferredLeaders(epoch); }, options_.leader_imbalance_check_interval);
}

void CoordinatorController::CheckPreferredLeaders(CoordinatorEpoch epoch) {
  if (!is_active_ || epoch != epoch_.load()) return;  // a later activation runs its own check
  std::set<ServerId> servers;
  for (const auto& [id, b] : buckets_) {
    if (PreferredLeaderEligible(b)) servers.insert(b.replicas.front());
  }
  for (ServerId server : servers) {
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

void CoordinatorController::MovePreferredLeaders(ServerId server, CoordinatorEpoch epoch) {
  if (!is_active_ || epoch != epoch_.load()) return;
  std::vector<TableBucket> changed;
  for (auto& [id, b] : buckets_) {
    if (b.replicas.empty() || b.replicas.front() != server || !PreferredLeaderEligible(b)) continue;
    BucketLeadership next = b.lai;
    next.leader = server;
    next.leader_epoch = Next(b.lai.leader_epoch);
    next.bucket_epoch = Next(b.lai.bucket_epoch);
    const ServerId before = b.lai.leader;
    Status st = Write(id, b, next);
    if (!st.ok()) {
      spdlog::warn("coordinator: preferred leader of {}: {}", id.ToString(),
                   st.ToString());
      continue;
    }
    spdlog::info("coordinator: {}: leader {} -> {} (epoch {}), back to its preferred replica",
                 id.ToString(), before, b.lai.leader, b.lai.leader_epoch);
    changed.push_back(id);
  }
  PushToReplicas(changed);
}

void CoordinatorController::SendStopReplica(ServerId server, proto::StopReplicaRequest request, int attempt) {
  if (!is_active_ || !Live(server) || attempt >= options_.push_attempts) return;
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
