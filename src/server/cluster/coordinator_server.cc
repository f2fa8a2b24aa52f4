#include "server/cluster/coordinator_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rpc/api_keys.h"
#include "rpc/rpc_server.h"
#include "server/api_table.h"
#include "server/auto_partition_manager.h"
#include "server/cluster/cluster_common.h"
#include "server/coordinator_service.h"
#include "server/metadata_service.h"
#include "server/worker_pool.h"

namespace fluss::cluster {

// The coordinator's side of CoordinatorService: the controller's assignment, table events and
// replica control, served only while this coordinator is the active one.
class ControllerCoordination : public TablePlacement, public ClusterControl {
 public:
  ControllerCoordination(ZkMetadataStore* store, CoordinatorController* controller, int32_t server_id)
      : store_(store), controller_(controller), server_id_(server_id) {}

  Status CheckActive() const override {
    if (controller_->active()) return Status::OK();
    auto active = store_->CoordinatorLeaderId();
    if (!active.ok() || *active < 0) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("coordinator {} is a standby; no active coordinator is elected yet", server_id_));
    }
    // ZooKeeper's view: a crashed coordinator stays registered as active until its session expires,
    // and this standby takes over then. Clients retry until their request timeout.
    return Status(ErrorCode::kInvalidCoordinator,
                  fmt::format("coordinator {} is a standby; ZooKeeper names coordinator {} as the active one "
                              "(a crashed coordinator is replaced when its ZooKeeper session expires)",
                              server_id_, *active));
  }
  // The controller checks the replication factor against the live servers when it assigns.
  Status CheckReplicationFactor(const TablePath&, const TableDescriptor&) const override { return Status::OK(); }
  Result<std::vector<BucketAssignment>> Assign(const TablePath& path, const TableDescriptor& descriptor,
                                               int32_t buckets) override {
    return controller_->Assign(path, descriptor, buckets);
  }
  Status TableCreated(const TableRecord& record) override { return controller_->TableCreated(record); }
  void TableDropped(const TableRecord& record) override { controller_->TableDropped(record); }
  Status PartitionCreated(const TableRecord& table, const PartitionRecord& partition) override {
    return controller_->PartitionCreated(table, partition);
  }
  void PartitionDropped(const TableRecord& table, const PartitionRecord& partition) override {
    controller_->PartitionDropped(table, partition);
  }
  Result<proto::AdjustIsrResponse> AdjustIsr(const proto::AdjustIsrRequest& request) override {
    return controller_->AdjustIsr(request);
  }
  Result<proto::ControlledShutdownResponse> ControlledShutdown(
      const proto::ControlledShutdownRequest& request) override {
    return controller_->ControlledShutdown(request);
  }

 private:
  ZkMetadataStore* store_;
  CoordinatorController* controller_;
  const int32_t server_id_;
};

struct CoordinatorServer::Parts {
  ServerConfig config;
  std::shared_ptr<ZkMetadataStore> store;
  std::unique_ptr<CoordinatorController> controller;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<ControllerCoordination> coordination;
  std::unique_ptr<MetadataService> metadata_service;
  std::unique_ptr<CoordinatorService> coordinator_service;
  std::unique_ptr<AutoPartitionManager> auto_partitions;
  std::unique_ptr<ApiTable> apis;
  std::unique_ptr<rpc::RpcServer> rpc;
  bool stopped = false;
};

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
  options.server_id = ServerId(c.server_id);
  options.default_replication_factor = c.default_replication_factor;
  options.auto_leader_rebalance = c.auto_leader_rebalance;
  options.leader_imbalance_check_interval = std::chrono::milliseconds(c.leader_imbalance_check_interval_ms);
  // Set below, once the manager exists; the controller only calls it after Start.
  auto became_active = std::make_shared<std::function<void()>>();
  options.became_active = [became_active] {
    if (*became_active) (*became_active)();
  };
  p.controller = std::make_unique<CoordinatorController>(p.store, options);
  p.workers = std::make_unique<WorkerPool>(c.worker_threads, "fluss-coord");
  ZkMetadataStore* zs = p.store.get();
  p.coordination = std::make_unique<ControllerCoordination>(zs, p.controller.get(), c.server_id);
  // What the coordinator answers: the metadata reads (GET_METADATA from ZooKeeper) and the
  // CoordinatorService (DDL, ADJUST_ISR, CONTROLLED_SHUTDOWN; only while active). The data APIs are
  // the tablet servers'.
  WorkerPool* workers = p.workers.get();
  p.apis = std::make_unique<ApiTable>(
      [workers](std::function<void()> task) { workers->Submit(std::move(task)); },
      [](int16_t key) { return fmt::format("api key {} is served by tablet servers, not by the coordinator", key); });
  p.metadata_service = std::make_unique<MetadataService>(
      p.config, zs, [zs](const proto::MetadataRequest& req) { return ClusterMetadata(*zs, req); });
  p.coordinator_service =
      std::make_unique<CoordinatorService>(p.config, zs, p.coordination.get(), p.coordination.get());
  FLUSS_RETURN_NOT_OK(p.metadata_service->Register(*p.apis));
  FLUSS_RETURN_NOT_OK(p.coordinator_service->Register(*p.apis));
  FLUSS_RETURN_NOT_OK(p.apis->AddApiVersions(rpc::kServerTypeCoordinator));
  // Auto-partitioning, while this coordinator is the active one.
  CoordinatorService* coordinator = p.coordinator_service.get();
  CoordinatorController* controller = p.controller.get();
  AutoPartitionManager::Options auto_options;
  auto_options.check_interval_ms = c.auto_partition_check_interval_ms;
  auto_options.is_active = [controller] { return controller->active(); };
  p.auto_partitions = coordinator->StartAutoPartitioning(zs, std::move(auto_options));
  AutoPartitionManager* auto_partitions = p.auto_partitions.get();
  *became_active = [auto_partitions] { auto_partitions->CheckAllSoon(); };

  rpc::RpcServerOptions ro;
  ro.host = c.bind.host;
  ro.port = c.bind.port;
  ro.io_threads = c.network_threads;
  ro.max_request_size = static_cast<size_t>(c.max_request_size);
  ro.idle_timeout = std::chrono::milliseconds(c.connection_max_idle_ms);
  const ApiTable* apis = p.apis.get();
  FLUSS_ASSIGN_OR_RETURN(p.rpc, rpc::RpcServer::Start(ro, [apis](rpc::RpcRequest req,
                                                                   std::shared_ptr<rpc::RpcResponder> resp) {
    apis->Handle(std::move(req), std::move(resp));
  }));
  if (c.bind.port == 0) {
    c.bind.port = p.rpc->port();
    if (c.advertised_port == 0) c.advertised_port = p.rpc->port();
  }
  const std::string listeners = fmt::format("{}://{}:{}", c.bind.name, c.advertised_host, c.advertised_port);
  FLUSS_RETURN_NOT_OK(p.controller->Start(listeners));
  p.auto_partitions->Start();
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
  if (p.auto_partitions) p.auto_partitions->Stop();
  if (p.controller) p.controller->Stop();  // resigns: a standby takes over at once
  if (p.rpc) p.rpc->Stop();
  if (p.workers) p.workers->Stop();
  p.apis.reset();
  p.auto_partitions.reset();
  p.coordinator_service.reset();
  p.metadata_service.reset();
  p.coordination.reset();
  p.controller.reset();
  p.workers.reset();
  p.rpc.reset();
  p.store.reset();  // closes the session
}

}  // namespace fluss::cluster
