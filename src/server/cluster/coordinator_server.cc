#include "server/cluster/coordinator_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rpc/api_keys.h"
#include "rpc/rpc_server.h"
#include "server/cluster/cluster_common.h"
#include "server/fluss_service.h"
#include "server/worker_pool.h"

namespace fluss::cluster {

struct CoordinatorServer::Parts {
  ServerConfig config;
  std::shared_ptr<ZkMetadataStore> store;
  std::unique_ptr<CoordinatorController> controller;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<FlussService> service;
  std::unique_ptr<rpc::RpcServer> rpc;
  bool stopped = false;
};

namespace {

template <typename M>
Result<M> ParseBody(const std::string& body) {
  M m;
  if (!m.ParseFromString(body)) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("cannot parse {}", M::descriptor()->name()));
  }
  return m;
}

}  // namespace

Result<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(ServerConfig config) {
  FLUSS_RETURN_NOT_OK(config.Validate());
  if (config.role != ServerRole::kCoordinator) return Status::Invalid("CoordinatorServer needs --role coordinator");
  auto parts = std::make_unique<Parts>();
  parts->config = std::move(config);
  ServerConfig& c = parts->config;
  ZkOptions zk;
  zk.address = c.zookeeper_address;
  zk.root = c.zookeeper_root;
  zk.session_timeout_ms = static_cast<int>(c.zookeeper_session_timeout_ms);
  FLUSS_ASSIGN_OR_RETURN(auto store, ZkMetadataStore::Open(zk));
  parts->store = std::shared_ptr<ZkMetadataStore>(std::move(store));
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer(std::move(parts)));
  Parts& p = *server->parts_;

  CoordinatorOptions options;
  options.server_id = c.server_id;
  options.default_replication_factor = c.default_replication_factor;
  options.auto_leader_rebalance = c.auto_leader_rebalance;
  options.leader_imbalance_check_interval = std::chrono::milliseconds(c.leader_imbalance_check_interval_ms);
  p.controller = std::make_unique<CoordinatorController>(p.store, options);
  p.workers = std::make_unique<WorkerPool>(c.worker_threads, "fluss-coord");
  p.service = std::make_unique<FlussService>(p.config, p.store.get(), nullptr, nullptr, p.workers.get());
  CoordinatorController* controller = p.controller.get();
  ZkMetadataStore* zs = p.store.get();
  const int32_t id = c.server_id;
  auto standby = [zs, id]() -> Status {
    auto active = zs->CoordinatorLeaderId();
    if (!active.ok() || *active < 0) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("coordinator {} is a standby; no active coordinator is elected yet", id));
    }
    // ZooKeeper's view: a crashed coordinator stays registered as active until its session expires,
    // and this standby takes over then. Clients retry until their request timeout.
    return Status(ErrorCode::kInvalidCoordinator,
                  fmt::format("coordinator {} is a standby; ZooKeeper names coordinator {} as the active one "
                              "(a crashed coordinator is replaced when its ZooKeeper session expires)",
                              id, *active));
  };
  FlussServiceHooks hooks;
  hooks.intercept = [controller, zs, standby](const rpc::RpcRequest& req) -> std::optional<Result<std::string>> {
    using rpc::ApiKey;
    switch (static_cast<ApiKey>(req.api_key)) {
      case ApiKey::kApiVersions: return ClusterApiVersions(rpc::kServerTypeCoordinator);
      case ApiKey::kGetMetadata: return ClusterMetadata(*zs, req.body);
      case ApiKey::kCreateDatabase:
      case ApiKey::kDropDatabase:
      case ApiKey::kCreateTable:
      case ApiKey::kDropTable:
        if (!controller->active()) return Result<std::string>(standby());
        return std::nullopt;
      case ApiKey::kAdjustIsr: {
        if (!controller->active()) return Result<std::string>(standby());
        auto r = ParseBody<proto::AdjustIsrRequest>(req.body);
        if (!r.ok()) return Result<std::string>(r.status());
        auto resp = controller->AdjustIsr(*r);
        if (!resp.ok()) return Result<std::string>(resp.status());
        return resp->SerializeAsString();
      }
      case ApiKey::kControlledShutdown: {
        if (!controller->active()) return Result<std::string>(standby());
        auto r = ParseBody<proto::ControlledShutdownRequest>(req.body);
        if (!r.ok()) return Result<std::string>(r.status());
        auto resp = controller->ControlledShutdown(*r);
        if (!resp.ok()) return Result<std::string>(resp.status());
        return resp->SerializeAsString();
      }
      case ApiKey::kProduceLog:
      case ApiKey::kFetchLog:
      case ApiKey::kListOffsets:
      case ApiKey::kPutKv:
      case ApiKey::kLookup:
      case ApiKey::kPrefixLookup:
      case ApiKey::kScanKv:
      case ApiKey::kNotifyLeaderAndIsr:
      case ApiKey::kStopReplica:
        return Result<std::string>(Status(
            ErrorCode::kUnsupportedVersion,
            fmt::format("api key {} is served by tablet servers, not by the coordinator", req.api_key)));
      default:
        return std::nullopt;
    }
  };
  hooks.assign = [controller](const TablePath& path, const TableDescriptor& d, int32_t buckets) {
    return controller->Assign(path, d, buckets);
  };
  hooks.table_created = [controller](const TableRecord& r) { return controller->TableCreated(r); };
  hooks.table_dropped = [controller](const TableRecord& r) { controller->TableDropped(r); };
  p.service->SetHooks(std::move(hooks));

  rpc::RpcServerOptions ro;
  ro.host = c.bind.host;
  ro.port = c.bind.port;
  ro.io_threads = c.network_threads;
  ro.max_request_size = static_cast<size_t>(c.max_request_size);
  ro.idle_timeout = std::chrono::milliseconds(c.connection_max_idle_ms);
  FlussService* service = p.service.get();
  FLUSS_ASSIGN_OR_RETURN(p.rpc, rpc::RpcServer::Start(ro, [service](rpc::RpcRequest req,
                                                                      std::shared_ptr<rpc::RpcResponder> resp) {
    service->Handle(std::move(req), std::move(resp));
  }));
  if (c.bind.port == 0) {
    c.bind.port = p.rpc->port();
    if (c.advertised_port == 0) c.advertised_port = p.rpc->port();
  }
  const std::string listeners = fmt::format("{}://{}:{}", c.bind.name, c.advertised_host, c.advertised_port);
  FLUSS_RETURN_NOT_OK(p.controller->Start(listeners));
  spdlog::info("coordinator {} listening on {}, in the election", c.server_id, listeners);
  return server;
}

CoordinatorServer::CoordinatorServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
CoordinatorServer::~CoordinatorServer() { Stop(); }

uint16_t CoordinatorServer::port() const { return parts_->config.bind.port; }
const ServerConfig& CoordinatorServer::config() const { return parts_->config; }
bool CoordinatorServer::active() const { return parts_->controller && parts_->controller->active(); }
CoordinatorController& CoordinatorServer::controller() { return *parts_->controller; }
ZkMetadataStore& CoordinatorServer::store() { return *parts_->store; }

void CoordinatorServer::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  if (p.controller) p.controller->Stop();  // resigns: a standby takes over at once
  if (p.rpc) p.rpc->Stop();
  if (p.workers) p.workers->Stop();
  p.service.reset();
  p.controller.reset();
  p.workers.reset();
  p.rpc.reset();
  p.store.reset();  // closes the session
}

}  // namespace fluss::cluster
