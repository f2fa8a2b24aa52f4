#include "server/cluster/tablet_cluster.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "fs/file_system.h"
#include "rpc/api_keys.h"

namespace fluss::cluster {

namespace fs = std::filesystem;
using nlohmann::json;

ServerResolver MakeZkServerResolver(std::shared_ptr<ZkMetadataStore> store) {
  return [store = std::move(store)](ServerId server_id) -> std::optional<std::pair<std::string, uint16_t>> {
    for (const auto& s : store->LiveTabletServers()) {
      if (ServerId(s.id) == server_id) return ListenerAddress(s.listeners);
    }
    return std::nullopt;
  };
}

AdjustIsrSender MakeZkAdjustIsrSender(std::shared_ptr<ZkMetadataStore> store) {
  auto channel = std::make_shared<CoordinatorChannel>(std::move(store));
  return [channel](const proto::AdjustIsrRequest& request) -> Result<proto::AdjustIsrResponse> {
    FLUSS_ASSIGN_OR_RETURN(auto body,
                           channel->Call(static_cast<int16_t>(rpc::ApiKey::kAdjustIsr), request.SerializeAsString()));
    proto::AdjustIsrResponse resp;
    if (!resp.ParseFromString(body)) return Status(ErrorCode::kCorruptMessage, "cannot parse AdjustIsrResponse");
    return resp;
  };
}

namespace {

std::string NewClusterId() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", rd());
  return id;
}

}  // namespace

Status ClaimDataDir(const std::string& data_dir, const std::string& cluster_id, int32_t server_id) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create data dir '{}': {}", data_dir, ec.message()));
  const std::string path = data_dir + "/.cluster";
  if (fs::exists(path, ec)) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("cluster_id") || !j["cluster_id"].is_string() ||
        !j.contains("server_id") || !j["server_id"].is_number_integer()) {
      return Status::Corruption(fmt::format("'{}' is not a cluster identity file (corrupt?)", path));
    }
    const std::string theirs = j["cluster_id"].get<std::string>();
    const int64_t their_server = j["server_id"].get<int64_t>();
    if (theirs != cluster_id) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("data dir '{}' belongs to cluster {}, not to this ZooKeeper's cluster {}; "
                                "use an empty data dir (or the right zookeeper.address/zookeeper.path.root)",
                                data_dir, theirs, cluster_id));
    }
    if (their_server != server_id) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("data dir '{}' belongs to tablet server {}, not to tablet server {} "
                                "(tablet-server.id)",
                                data_dir, their_server, server_id));
    }
    return Status::OK();
  }
  if (fs::exists(data_dir + "/.metadata", ec)) {
    return Status(ErrorCode::kInvalidConfig,
                  fmt::format("data dir '{}' holds a standalone server's data; a tablet server needs its own data dir",
                              data_dir));
  }
  const std::string text = json{{"version", 1}, {"cluster_id", cluster_id}, {"server_id", server_id}}.dump() + "\n";
  return WriteFileDurably(FileSystem::Local(), path, text);
}

// ---- TabletClusterMember ----------------------------------------------------------------------

TabletClusterMember::TabletClusterMember(ServerConfig config, std::shared_ptr<ZkMetadataStore> store,
                                         std::string cluster_id)
    : config_(std::move(config)), store_(std::move(store)), cluster_id_(std::move(cluster_id)), coordinator_(store_) {}

TabletClusterMember::~TabletClusterMember() = default;

Result<std::unique_ptr<TabletClusterMember>> TabletClusterMember::Join(const ServerConfig& config) {
  ZkOptions zk;
  zk.address = config.zookeeper_address;
  zk.root = config.zookeeper_root;
  zk.session_timeout_ms = static_cast<int>(config.zookeeper_session_timeout_ms);
  FLUSS_ASSIGN_OR_RETURN(auto opened, ZkMetadataStore::Open(zk));
  std::shared_ptr<ZkMetadataStore> store(std::move(opened));
  FLUSS_ASSIGN_OR_RETURN(auto cluster_id, store->EnsureClusterId(NewClusterId()));
  for (const auto& s : store->LiveTabletServers()) {
    if (s.id == config.server_id) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("tablet server id {} is already registered by a live server ({}); "
                                "tablet-server.id must be unique in the cluster",
                                s.id, s.listeners));
    }
  }
  FLUSS_RETURN_NOT_OK(ClaimDataDir(config.data_dir, cluster_id, config.server_id));
  return std::unique_ptr<TabletClusterMember>(new TabletClusterMember(config, std::move(store), cluster_id));
}

ServerHooks TabletClusterMember::Hooks() {
  ServerHooks hooks;
  hooks.metadata = store_;
  hooks.resolve_server = MakeZkServerResolver(store_);
  hooks.adjust_isr = MakeZkAdjustIsrSender(store_);
  hooks.cluster_metadata = [store = store_](const proto::MetadataRequest& req) { return ClusterMetadata(*store, req); };
  hooks.add_apis = [this](ApiTable& table) { return AddForwardedApis(table); };
  hooks.replica_observers.notify_leader_and_isr = [this](const proto::NotifyLeaderAndIsrRequest& r) {
    RecordNotify(r);
  };
  hooks.replica_observers.stop_replica = [this](const proto::StopReplicaRequest& r) { RecordStop(r); };
  return hooks;
}

Status TabletClusterMember::Register(const std::string& listeners) {
  return store_->RegisterTabletServer(config_.server_id, listeners);
}

Status TabletClusterMember::AddForwardedApis(ApiTable& table) {
  using rpc::ApiKey;
  for (ApiKey key : {ApiKey::kCreateDatabase, ApiKey::kDropDatabase, ApiKey::kCreateTable, ApiKey::kDropTable,
                     ApiKey::kCreatePartition, ApiKey::kDropPartition}) {
    FLUSS_RETURN_NOT_OK(table.AddBody(key, [this, key](const std::string& body) {
      return coordinator_.Call(static_cast<int16_t>(key), body, /*attempts=*/3);
    }));
  }
  return Status::OK();
}

void TabletClusterMember::RecordNotify(const proto::NotifyLeaderAndIsrRequest& request) {
  std::lock_guard lock(mu_);
  for (const auto& e : request.notify_buckets_leader_req()) {
    notified_[TableBucketOf(e.table_bucket())] = e;
  }
}

void TabletClusterMember::RecordStop(const proto::StopReplicaRequest& request) {
  std::lock_guard lock(mu_);
  for (const auto& e : request.stop_replicas_req()) {
    const TableBucket id = TableBucketOf(e.table_bucket());
    notified_.erase(id);
    stopped_.push_back(id);
  }
}

Result<std::vector<TableBucket>> TabletClusterMember::ControlledShutdown(int retries,
                                                                           std::chrono::milliseconds backoff) {
  proto::ControlledShutdownRequest req;
  req.set_tablet_server_id(config_.server_id);
  req.set_tablet_server_epoch(0);
  FLUSS_ASSIGN_OR_RETURN(auto body, coordinator_.Call(static_cast<int16_t>(rpc::ApiKey::kControlledShutdown),
                                                      req.SerializeAsString(), retries, backoff));
  proto::ControlledShutdownResponse resp;
  if (!resp.ParseFromString(body)) return Status(ErrorCode::kCorruptMessage, "cannot parse ControlledShutdownResponse");
  std::vector<TableBucket> remaining;
  for (const auto& b : resp.remaining_leader_buckets()) remaining.push_back(TableBucketOf(b));
  return remaining;
}

std::map<TableBucket, proto::PbNotifyLeaderAndIsrReqForBucket> TabletClusterMember::notified() const {
  std::lock_guard lock(mu_);
  return notified_;
}

std::vector<TableBucket> TabletClusterMember::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

// ---- ClusterTabletServer ----------------------------------------------------------------------

Result<std::unique_ptr<ClusterTabletServer>> ClusterTabletServer::Start(ServerConfig config, ServerHooks extra) {
  FLUSS_RETURN_NOT_OK(config.Validate());
  if (config.role != ServerRole::kTablet) return Status::Invalid("ClusterTabletServer needs --role tablet");
  auto server = std::unique_ptr<ClusterTabletServer>(new ClusterTabletServer());
  FLUSS_ASSIGN_OR_RETURN(server->member_, TabletClusterMember::Join(config));
  ServerHooks hooks = server->member_->Hooks();
  if (extra.tiered_offsets) hooks.tiered_offsets = std::move(extra.tiered_offsets);
  if (extra.resolve_server) hooks.resolve_server = std::move(extra.resolve_server);
  if (extra.adjust_isr) hooks.adjust_isr = std::move(extra.adjust_isr);
  FLUSS_ASSIGN_OR_RETURN(server->server_, FlussServer::Start(std::move(config), std::move(hooks)));
  const ServerConfig& c = server->server_->config();
  Status st = server->member_->Register(fmt::format("{}://{}:{}", c.bind.name, c.advertised_host, c.advertised_port));
  if (!st.ok()) {
    (void)server->server_->Stop();
    return st;
  }
  spdlog::info("tablet server {} of cluster {} registered", c.server_id, server->member_->cluster_id());
  return server;
}

ClusterTabletServer::~ClusterTabletServer() { (void)Stop(false); }

Status ClusterTabletServer::Stop(bool controlled) {
  if (stopped_) return Status::OK();
  stopped_ = true;
  if (controlled && member_ && server_) {
    auto remaining = member_->ControlledShutdown();
    if (!remaining.ok()) {
      spdlog::warn("controlled shutdown: {} (stopping anyway)", remaining.status().ToString());
    } else if (!remaining->empty()) {
      spdlog::warn("controlled shutdown: still the leader of {} buckets (no other in-sync replica)", remaining->size());
    }
  }
  Status st = server_ ? server_->Stop() : Status::OK();
  server_.reset();
  member_.reset();  // closes the ZooKeeper session: the registration goes
  return st;
}

}  // namespace fluss::cluster
