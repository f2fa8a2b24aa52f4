#include "metadata/zk_cluster_registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "metadata/metadata_errors_internal.h"
#include "metadata/zk_paths.h"

namespace fluss {
namespace {

constexpr int kRegistryMaxRetries = 50;  // retries against concurrent stores before giving up

using metadata_internal::TableIdNotExist;

}  // namespace

Status ZkClusterRegistry::EnsureZnodes() {
  for (const std::string& p : {zk_paths::TabletServerIds(), zk_paths::Coordinators(), zk_paths::CoordinatorIds(),
                               zk_paths::CoordinatorElection()}) {
    FLUSS_RETURN_NOT_OK(zk_.EnsurePath(zk_.Path(p)));
  }
  const std::string epoch = zk_.Path(zk_paths::CoordinatorEpoch());
  int rc = zk_.Create(epoch, "0", 0);
  if (rc != ZOK && rc != ZNODEEXISTS) return zk_.Error(rc, fmt::format("create '{}'", epoch));
  return Status::OK();
}

// ---- tablet servers ----

Status ZkClusterRegistry::RegisterTabletServer(int32_t id, std::string listeners, std::string rack) {
  if (id < 0) return Status::Invalid(fmt::format("tablet server id {} is negative", id));
  TabletServerInfo info{id, std::move(listeners), std::move(rack), clock_()};
  const std::string path = zk_.Path(zk_paths::TabletServer(id));
  int rc = zk_.Create(path, zk_znodes::TabletServerBody(info), ZOO_EPHEMERAL);
  if (rc == ZNODEEXISTS) {
    ZkStat stat;
    const int64_t owner = zk_.Exists(path, false, &stat) == ZOK ? stat.ephemeral_owner : 0;
    if (owner != zk_.SessionId()) {
      return Status::IOError(
          fmt::format("tablet server id {} is already registered by another live session ('{}')", id, path));
    }
  } else if (rc != ZOK) {
    return zk_.Error(rc, fmt::format("register tablet server {}", id));
  }
  {
    std::lock_guard lock(mu_);
    registered_[id] = info;
  }
  return SyncServers();
}

Status ZkClusterRegistry::UnregisterTabletServer(int32_t id) {
  {
    std::lock_guard lock(mu_);
    if (registered_.erase(id) == 0) return Status::OK();
  }
  int rc = zk_.Delete(zk_.Path(zk_paths::TabletServer(id)), -1);
  if (rc != ZOK && rc != ZNONODE) return zk_.Error(rc, fmt::format("unregister tablet server {}", id));
  return SyncServers();
}

Status ZkClusterRegistry::ReRegisterTabletServers() {
  std::map<int32_t, TabletServerInfo> registered;
  {
    std::lock_guard lock(mu_);
    registered = registered_;
  }
  Status first_failure;
  for (const auto& [id, info] : registered) {
    const std::string path = zk_.Path(zk_paths::TabletServer(id));
    int rc = zk_.Create(path, zk_znodes::TabletServerBody(info), ZOO_EPHEMERAL);
    if (rc == ZNODEEXISTS) {
      // Ours already (an earlier attempt whose reply was lost), or the old session's node that the
      // ensemble has not removed yet: the caller tries again.
      ZkStat stat;
      if (zk_.Exists(path, false, &stat) == ZOK && stat.ephemeral_owner == zk_.SessionId()) continue;
    } else if (rc == ZOK) {
      continue;
    }
    Status st = zk_.Error(rc, fmt::format("re-register tablet server {}", id));
    if (first_failure.ok()) first_failure = st;
  }
  return first_failure;
}

Status ZkClusterRegistry::SyncServers() {
  const std::string ids_path = zk_.Path(zk_paths::TabletServerIds());
  FLUSS_ASSIGN_OR_RETURN(auto ids, zk_.Children(ids_path, true));
  std::vector<TabletServerInfo> live;
  for (const std::string& name : ids ? *ids : std::vector<std::string>()) {
    int32_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || end != name.data() + name.size()) continue;  // not ours
    const std::string path = ids_path + "/" + name;
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
    if (!node) continue;
    FLUSS_ASSIGN_OR_RETURN(TabletServerInfo info, zk_znodes::ParseTabletServer(id, node->first, path));
    live.push_back(std::move(info));
  }
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::lock_guard lock(mu_);
  live_servers_ = std::move(live);
  return Status::OK();
}

std::vector<TabletServerInfo> ZkClusterRegistry::LiveTabletServers() const {
  std::lock_guard lock(mu_);
  return live_servers_;
}

void ZkClusterRegistry::SetLiveServersListener(ServersListener listener) {
  std::lock_guard lock(mu_);
  servers_listener_ = std::move(listener);
}

std::pair<std::vector<TabletServerInfo>, ZkClusterRegistry::ServersListener> ZkClusterRegistry::LiveServersAndListener()
    const {
  std::lock_guard lock(mu_);
  return {live_servers_, servers_listener_};
}

// ---- coordinator election ----

Status ZkClusterRegistry::StartCandidacy(int32_t coordinator_id, std::string listeners, LeadershipListener listener) {
  TabletServerInfo me{coordinator_id, std::move(listeners), "", clock_()};
  {
    std::lock_guard lock(mu_);
    if (candidacy_) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("this store already runs for coordinator as id {}", candidacy_->id));
    }
  }
  // Not fatal: every election attempt (TryBecomeLeader) registers again and joins the queue when
  // either is missing.
  Status registered = RegisterCoordinator(me);
  if (!registered.ok()) spdlog::warn("metadata: registering coordinator {}: {}", me.id, registered.ToString());
  // In the queue before this returns: candidates started one after the other are queued in that order.
  auto queued = EnsureLatchNode(me);
  if (!queued.ok()) spdlog::warn("metadata: coordinator {} joining the election: {}", me.id, queued.status().ToString());
  std::lock_guard lock(mu_);
  candidacy_ = std::move(me);
  leadership_listener_ = std::move(listener);
  return Status::OK();
}

namespace {

// The sequence number ZooKeeper appended to a latch node's name (its last 10 characters).
std::optional<int64_t> LatchSequence(std::string_view name) {
  constexpr size_t kDigits = 10;
  if (name.size() < kDigits || name.find("-latch-") == std::string_view::npos) return std::nullopt;
  int64_t seq = 0;
  const char* first = name.data() + name.size() - kDigits;
  auto [end, ec] = std::from_chars(first, name.data() + name.size(), seq);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return seq;
}

std::string NewGuid() {
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  const uint64_t hi = (uint64_t{dist(rd)} << 32) | dist(rd);
  const uint64_t lo = (uint64_t{dist(rd)} << 32) | dist(rd);
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                     lo & 0xffffffffffffULL);
}

}  // namespace

ZkClusterRegistry::ZkClusterRegistry(ZkClient& zk, MetadataClock clock)
    : zk_(zk), clock_(std::move(clock)), latch_guid_(NewGuid()) {}

Result<std::string> ZkClusterRegistry::EnsureLatchNode(const TabletServerInfo& me) {
  std::lock_guard latch_lock(latch_mu_);  // one caller at a time, so a store never queues twice
  std::string mine;
  {
    std::lock_guard lock(mu_);
    mine = latch_node_;
  }
  if (!mine.empty()) {
    ZkStat stat;
    int rc = zk_.Exists(mine, false, &stat);
    if (rc == ZOK && stat.ephemeral_owner == zk_.SessionId()) return mine;
    if (rc != ZOK && rc != ZNONODE) return zk_.Error(rc, fmt::format("coordinator election: check '{}'", mine));
  }
  // A node of this store created by an attempt whose reply was lost carries the store's guid.
  const std::string election = zk_.Path(zk_paths::CoordinatorElection());
  FLUSS_ASSIGN_OR_RETURN(auto children, zk_.Children(election, false));
  mine.clear();
  for (const std::string& name : children ? *children : std::vector<std::string>()) {
    if (name.find(latch_guid_) == std::string::npos) continue;
    ZkStat stat;
    if (zk_.Exists(election + "/" + name, false, &stat) == ZOK && stat.ephemeral_owner == zk_.SessionId()) {
      mine = election + "/" + name;
    }
  }
  if (mine.empty()) {
    const std::string prefix = zk_.Path(zk_paths::CoordinatorLatchPrefix(latch_guid_));
    int rc = zk_.Create(prefix, std::to_string(me.id), ZOO_EPHEMERAL | ZOO_SEQUENCE, &mine);
    if (rc != ZOK) return zk_.Error(rc, fmt::format("coordinator election: join the queue at '{}'", election));
  }
  std::lock_guard lock(mu_);
  latch_node_ = mine;
  return mine;
}

Status ZkClusterRegistry::TryBecomeLeader() {
  std::optional<TabletServerInfo> me;
  LeadershipListener listener;
  {
    std::lock_guard lock(mu_);
    me = candidacy_;
    listener = leadership_listener_;
  }
  if (!me) return Status::OK();
  Status registered = RegisterCoordinator(*me);
  if (!registered.ok()) spdlog::warn("metadata: registering coordinator {}: {}", me->id, registered.ToString());
  if (is_leader_.load()) return registered;
  const std::string election = zk_.Path(zk_paths::CoordinatorElection());
  const std::string active = zk_.Path(zk_paths::ActiveCoordinator());
  for (int attempt = 0; attempt < kRegistryMaxRetries; ++attempt) {
    // The queue: the candidate whose node has the lowest sequence number leads; a later one waits for
    // the node just before its own. So the standby that waited longest takes over, and a coordinator
    // whose session ended joins again at the back.
    FLUSS_ASSIGN_OR_RETURN(std::string mine, EnsureLatchNode(*me));
    FLUSS_ASSIGN_OR_RETURN(auto children, zk_.Children(election, false));
    std::vector<std::pair<int64_t, std::string>> queue;
    for (const std::string& name : children ? *children : std::vector<std::string>()) {
      if (auto seq = LatchSequence(name)) queue.emplace_back(*seq, election + "/" + name);
    }
    std::sort(queue.begin(), queue.end());
    auto it = std::find_if(queue.begin(), queue.end(), [&](const auto& e) { return e.second == mine; });
    if (it == queue.end()) {  // deleted meanwhile: join again
      std::lock_guard lock(mu_);
      latch_node_.clear();
      continue;
    }
    if (it != queue.begin()) {
      const std::string& predecessor = std::prev(it)->second;
      int rc = zk_.Exists(predecessor, /*watch=*/true, nullptr);  // try again when it goes
      if (rc == ZNONODE) continue;
      if (rc != ZOK) return zk_.Error(rc, fmt::format("coordinator election: watch '{}'", predecessor));
      return registered;  // a standby
    }
    // First in the queue: take the leader znode once the previous holder's session has let it go.
    int rc = zk_.Create(active, zk_znodes::ActiveCoordinatorBody(*me), ZOO_EPHEMERAL);
    if (rc == ZNODEEXISTS) {
      ZkStat stat;
      rc = zk_.Exists(active, /*watch=*/true, &stat);
      if (rc == ZNONODE) continue;  // it just went
      if (rc != ZOK) return zk_.Error(rc, fmt::format("coordinator election: watch '{}'", active));
      if (stat.ephemeral_owner != zk_.SessionId()) return registered;  // the watch brings the next attempt
      // Ours: an earlier attempt created it and its reply was lost.
    } else if (rc != ZOK) {
      return zk_.Error(rc, fmt::format("coordinator election: create '{}'", active));
    }
    // Won: bump the epoch, the token that fences the previous leader's writes.
    const std::string epoch_path = zk_.Path(zk_paths::CoordinatorEpoch());
    int64_t epoch = -1;
    int32_t epoch_version = -1;
    for (int cas = 0; cas < kRegistryMaxRetries && epoch < 0; ++cas) {
      auto node = zk_.Get(epoch_path, false);
      if (!node.ok() || !node->has_value()) break;
      auto value = zk_znodes::ParseCounter((*node)->first, epoch_path);
      if (!value.ok()) break;
      if (zk_.Set(epoch_path, std::to_string(*value + 1), (*node)->second, &epoch_version) == ZOK) epoch = *value + 1;
    }
    if (epoch < 0) {
      zk_.Delete(active, -1);
      return Status::IOError(
          fmt::format("coordinator election won but '{}' could not be bumped; resigned", epoch_path));
    }
    {
      std::lock_guard lock(mu_);
      coordinator_epoch_ = epoch;
      coordinator_epoch_version_ = epoch_version;
    }
    is_leader_ = true;
    spdlog::info("metadata: coordinator {} is the leader (epoch {})", me->id, epoch);
    if (listener) listener(true, epoch);
    return registered;
  }
  return Status::IOError(fmt::format("coordinator election: the queue at '{}' changed {} times in a row", election,
                                     kRegistryMaxRetries));
}

std::optional<int64_t> ZkClusterRegistry::Resign() {
  int64_t epoch;
  std::optional<TabletServerInfo> candidacy;
  {
    std::lock_guard lock(mu_);
    candidacy = std::move(candidacy_);
    candidacy_.reset();
    epoch = coordinator_epoch_;
  }
  std::string latch;
  {
    std::lock_guard lock(mu_);
    latch = std::move(latch_node_);
    latch_node_.clear();
  }
  if (candidacy) UnregisterCoordinator(candidacy->id);
  const bool was_leader = is_leader_.exchange(false);
  // The leader znode first: the next in the queue, woken by the latch node's deletion, finds it gone.
  if (was_leader) zk_.Delete(zk_.Path(zk_paths::ActiveCoordinator()), -1);
  if (!latch.empty()) zk_.Delete(latch, -1);
  if (!was_leader) return std::nullopt;
  return epoch;
}

void ZkClusterRegistry::FenceOnExpiry() {
  LeadershipListener leadership;
  int64_t epoch;
  {
    std::lock_guard lock(mu_);
    leadership = leadership_listener_;
    epoch = coordinator_epoch_;
    latch_node_.clear();  // went with the session
  }
  if (is_leader_.exchange(false) && leadership) leadership(false, epoch);
}

ZkClusterRegistry::LeadershipListener ZkClusterRegistry::leadership_listener() const {
  std::lock_guard lock(mu_);
  return leadership_listener_;
}

Status ZkClusterRegistry::RegisterCoordinator(const TabletServerInfo& me) {
  const std::string path = zk_.Path(zk_paths::Coordinator(me.id));
  const std::string body = zk_znodes::CoordinatorRegistrationBody(me);
  for (int attempt = 0; attempt < kRegistryMaxRetries; ++attempt) {
    int rc = zk_.Create(path, body, ZOO_EPHEMERAL);
    if (rc == ZOK) return Status::OK();
    if (rc != ZNODEEXISTS) return zk_.Error(rc, fmt::format("register coordinator {}", me.id));
    ZkStat stat;
    rc = zk_.Exists(path, false, &stat);
    if (rc == ZNONODE) continue;  // it just went
    if (rc != ZOK) return zk_.Error(rc, fmt::format("register coordinator {}", me.id));
    if (stat.ephemeral_owner == zk_.SessionId()) return Status::OK();
    spdlog::warn("metadata: coordinator id {} is registered by another ZooKeeper session (a crashed predecessor, "
                 "or another coordinator with the same id); replacing its registration",
                 me.id);
    rc = zk_.Delete(path, stat.version);
    if (rc != ZOK && rc != ZNONODE && rc != ZBADVERSION) {
      return zk_.Error(rc, fmt::format("replace the registration of coordinator {}", me.id));
    }
  }
  return Status::IOError(fmt::format("cannot register coordinator {} at '{}'", me.id, path));
}

void ZkClusterRegistry::UnregisterCoordinator(int32_t id) {
  const std::string path = zk_.Path(zk_paths::Coordinator(id));
  ZkStat stat;
  if (zk_.Exists(path, false, &stat) != ZOK) return;
  if (stat.ephemeral_owner != zk_.SessionId()) return;  // not ours (any more)
  int rc = zk_.Delete(path, stat.version);
  if (rc != ZOK && rc != ZNONODE) spdlog::warn("metadata: unregistering coordinator {}: {}", id, ZkClient::ErrorText(rc));
}

Result<std::vector<TabletServerInfo>> ZkClusterRegistry::RegisteredCoordinators() const {
  const std::string ids_path = zk_.Path(zk_paths::CoordinatorIds());
  FLUSS_ASSIGN_OR_RETURN(auto ids, zk_.Children(ids_path, false));
  std::vector<TabletServerInfo> out;
  for (const std::string& name : ids ? *ids : std::vector<std::string>()) {
    const std::string path = ids_path + "/" + name;
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
    if (!node) continue;  // went meanwhile
    FLUSS_ASSIGN_OR_RETURN(TabletServerInfo info, zk_znodes::ParseCoordinator(node->first, path));
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<int32_t> ZkClusterRegistry::CoordinatorLeaderId() const {
  const std::string path = zk_.Path(zk_paths::ActiveCoordinator());
  FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
  if (!node) return -1;
  return zk_znodes::ParseCoordinatorId(node->first, path);
}

Result<std::optional<TabletServerInfo>> ZkClusterRegistry::ActiveCoordinator() const {
  const std::string path = zk_.Path(zk_paths::ActiveCoordinator());
  FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
  if (!node) return std::optional<TabletServerInfo>();
  FLUSS_ASSIGN_OR_RETURN(TabletServerInfo info, zk_znodes::ParseCoordinator(node->first, path));
  return std::optional<TabletServerInfo>(std::move(info));
}

// ---- cluster identity ----

Result<std::string> ZkClusterRegistry::EnsureClusterId(const std::string& candidate) {
  const std::string path = zk_.Path(zk_paths::ClusterId());
  FLUSS_RETURN_NOT_OK(zk_.EnsurePath(zk_.Path(zk_paths::Cluster())));
  for (int attempt = 0; attempt < kRegistryMaxRetries; ++attempt) {
    FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
    if (node) {
      if (node->first.empty()) return Status::Corruption(fmt::format("znode '{}' is empty", path));
      return node->first;
    }
    int rc = zk_.Create(path, candidate, 0);
    if (rc == ZOK) return candidate;
    if (rc != ZNODEEXISTS) return zk_.Error(rc, fmt::format("create '{}'", path));
  }
  return Status::IOError(fmt::format("cannot read or create '{}'", path));
}

// ---- leader and ISR ----

Result<int32_t> ZkClusterRegistry::SetLeaderAndIsr(const TableBucket& bucket, const LeaderAndIsr& value,
                                                   int32_t expected_version) {
  const std::string bpath = zk_.Path(zk_paths::Bucket(bucket));
  const std::string path = zk_.Path(zk_paths::LeaderAndIsr(bucket));
  const std::string body = zk_znodes::LeaderAndIsrBody(value);
  const std::string epoch_path = zk_.Path(zk_paths::CoordinatorEpoch());
  // A coordinator candidate writes only as the leader, and only while /coordinators/epoch is still at
  // the version it set when it won: a deposed leader's late writes fail.
  std::optional<int32_t> fence;
  {
    std::lock_guard lock(mu_);
    if (candidacy_) {
      if (!is_leader_.load()) {
        return Status(ErrorCode::kInvalidCoordinator,
                      fmt::format("coordinator {} is not the active coordinator", candidacy_->id));
      }
      fence = coordinator_epoch_version_;
    }
  }
  ZkMultiOps ops;
  if (fence) ops.Check(epoch_path, *fence);
  const size_t first = fence ? 1 : 0;
  if (expected_version < 0) {
    ops.Create(bpath, "");
    ops.Create(path, body);
  } else {
    ops.Set(path, body, expected_version);
  }
  ZkMultiFailure f;
  int rc = zk_.Multi(ops, &f);
  if (rc == ZOK) return expected_version < 0 ? 0 : expected_version + 1;
  if (fence && f.index == 0) {
    return Status(ErrorCode::kInvalidCoordinator,
                  fmt::format("fenced: the coordinator epoch moved on ({})", ZkClient::ErrorText(f.rc)));
  }
  if (expected_version < 0) {
    if (f.rc == ZNODEEXISTS && f.index == first + 1) {
      return Status(ErrorCode::kInvalidUpdateVersion,
                    fmt::format("leader and ISR of {} already exist", bucket.ToString()));
    }
    if (f.rc == ZNODEEXISTS) {  // the bucket znode is there without a record: create the record alone
      ZkMultiOps retry;
      if (fence) retry.Check(epoch_path, *fence);
      retry.Create(path, body);
      rc = zk_.Multi(retry, &f);
      if (rc == ZOK) return 0;
      if (f.rc == ZNODEEXISTS) {
        return Status(ErrorCode::kInvalidUpdateVersion,
                      fmt::format("leader and ISR of {} already exist", bucket.ToString()));
      }
    }
    if (f.rc == ZNONODE && bucket.partition_id) {
      return Status(ErrorCode::kPartitionNotExists,
                    fmt::format("partition id {} of table id {} does not exist", *bucket.partition_id,
                                bucket.table_id));
    }
    if (f.rc == ZNONODE) return TableIdNotExist(bucket.table_id);
    return zk_.Error(f.rc, fmt::format("create '{}'", path));
  }
  if (f.rc == ZBADVERSION) {
    return Status(ErrorCode::kInvalidUpdateVersion,
                  fmt::format("leader and ISR of {} are not at version {}", bucket.ToString(), expected_version));
  }
  if (f.rc == ZNONODE) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("{} has no leader and ISR", bucket.ToString()));
  }
  return zk_.Error(f.rc, fmt::format("set '{}'", path));
}

Result<std::pair<LeaderAndIsr, int32_t>> ZkClusterRegistry::GetLeaderAndIsr(const TableBucket& bucket) const {
  const std::string path = zk_.Path(zk_paths::LeaderAndIsr(bucket));
  FLUSS_ASSIGN_OR_RETURN(auto node, zk_.Get(path, false));
  if (!node) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("{} has no leader and ISR", bucket.ToString()));
  }
  FLUSS_ASSIGN_OR_RETURN(LeaderAndIsr v, zk_znodes::ParseLeaderAndIsr(node->first, path));
  return std::pair(std::move(v), node->second);
}

}  // namespace fluss
