#include "server/fluss_server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "log/log_manager.h"
#include "metadata/embedded_metadata_store.h"
#include "rpc/rpc_server.h"
#include "server/data_dir_layout.h"
#include "common/config_value.h"
#include "rpc/api_keys.h"
#include "server/coordinator_service.h"
#include "server/delayed_fetch.h"
#include "server/replica_manager.h"
#include "server/worker_pool.h"
#include "types/table_descriptor.h"

namespace fluss {

namespace fs = std::filesystem;

struct FlussServer::Parts {
  ServerConfig config;
  int lock_fd = -1;
  std::shared_ptr<MetadataStore> metadata;
  std::unique_ptr<LogManager> logs;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<DelayedFetchQueue> delayed_fetches;
  std::unique_ptr<DelayedFetchQueue> delayed_produces;  // cluster mode: acks=-1 writes
  std::unique_ptr<ReplicaManager> replicas;
  std::unique_ptr<TabletService> tablet_service;
  std::unique_ptr<MetadataService> metadata_service;
  std::unique_ptr<TablePlacement> placement;  // standalone
  std::unique_ptr<CoordinatorService> coordinator_service;  // standalone
  std::unique_ptr<AutoPartitionManager> auto_partitions;    // standalone
  std::unique_ptr<ApiTable> apis;
  std::unique_ptr<rpc::RpcServer> rpc;
  bool stopped = false;
};

namespace {

// The live tables as the data dir layout needs them (a primary-key table keeps kv-{b} directories).
Result<std::vector<LocalTable>> LocalTables(const MetadataStore& metadata) {
  std::vector<LocalTable> out;
  for (const TableRecord& r : metadata.ListAllTables()) {
    auto json = nlohmann::json::parse(r.table_json, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return Status::Corruption(fmt::format("table '{}': stored descriptor is not valid JSON", r.path.ToString()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto descriptor, TableDescriptorFromJson(json));
    LocalTable t{r.path, r.table_id, r.bucket_count, descriptor.has_primary_key()};
    if (descriptor.is_partitioned()) {
      // Its buckets are its partitions' ({partition_name}-p{partition_id}/log-{b}).
      t.partitioned = true;
      FLUSS_ASSIGN_OR_RETURN(auto partitions, metadata.ListPartitions(r.path));
      for (const auto& p : partitions) {
        if (p.table_id == r.table_id) t.partitions.push_back({p.partition_id, p.partition_name});
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One server per data dir: a second one would interleave appends into the same segments.
Result<int> LockDataDir(const std::string& dir) {
  const std::string path = dir + "/.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::IOError(fmt::format("data dir '{}' is in use by another fluss-server", dir));
    }
    return Status::IOError(fmt::format("cannot lock '{}': {}", path, std::strerror(err)));
  }
  return fd;
}

// A standalone server's table placement: every bucket has one replica, on this server, which leads it.
class LocalTablePlacement : public TablePlacement {
 public:
  LocalTablePlacement(const ServerConfig& config, ReplicaManager* replicas, TabletService* tablets)
      : config_(config), replicas_(replicas), tablets_(tablets) {}

  Status CheckActive() const override { return Status::OK(); }

  Status CheckReplicationFactor(const TablePath& path, const TableDescriptor& descriptor) const override {
    auto factor = descriptor.properties().find("table.replication.factor");
    if (factor != descriptor.properties().end() && ParseIntOption(factor->first, factor->second).ValueOr(1) != 1) {
      return Status(ErrorCode::kInvalidReplicationFactor,
                    fmt::format("cannot create '{}': table.replication.factor {} needs a cluster; a standalone "
                                "server has one replica",
                                path.ToString(), factor->second));
    }
    return Status::OK();
  }

  Result<std::vector<BucketAssignment>> Assign(const TablePath&, const TableDescriptor&, int32_t buckets) override {
    std::vector<BucketAssignment> assignment;
    for (int32_t b = 0; b < buckets; ++b) {
      BucketAssignment a;
      a.bucket_id = b;
      a.replicas = {config_.server_id};
      a.leader = config_.server_id;
      assignment.push_back(std::move(a));
    }
    return assignment;
  }

  Status TableCreated(const TableRecord& record) override {
    Status st = tablets_->OpenTable(record);
    if (!st.ok()) (void)replicas_->DropTable(record.table_id);  // leave no half-created logs behind
    return st;
  }

  void TableDropped(const TableRecord& record) override {
    Status st = replicas_->DropTable(record.table_id);
    if (!st.ok()) spdlog::warn("deleting the data of dropped table '{}': {}", record.path.ToString(), st.ToString());
    spdlog::info("dropped table '{}' (id {})", record.path.ToString(), record.table_id);
  }

  Status PartitionCreated(const TableRecord& table, const PartitionRecord& partition) override {
    return tablets_->PartitionCreated(table, partition);
  }

  void PartitionDropped(const TableRecord& table, const PartitionRecord& partition) override {
    tablets_->PartitionDropped(table, partition);
  }

 private:
  const ServerConfig& config_;
  ReplicaManager* replicas_;
  TabletService* tablets_;
};

}  // namespace

Result<std::unique_ptr<FlussServer>> FlussServer::Start(ServerConfig config, ServerHooks hooks) {
  FLUSS_RETURN_NOT_OK(config.Validate());
  auto parts = std::make_unique<Parts>();
  parts->config = std::move(config);
  const ServerConfig& c = parts->config;
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create data dir '{}': {}", c.data_dir, ec.message()));
  FLUSS_ASSIGN_OR_RETURN(parts->lock_fd, LockDataDir(c.data_dir));
  // From here on the destructor of `server` releases what was opened.
  std::unique_ptr<FlussServer> server(new FlussServer(std::move(parts)));
  Parts& p = *server->parts_;

  if (hooks.metadata != nullptr) {
    p.metadata = std::move(hooks.metadata);
  } else {
    FLUSS_ASSIGN_OR_RETURN(auto embedded, EmbeddedMetadataStore::Open(c.data_dir + "/.metadata"));
    p.metadata = std::move(embedded);
  }
  // The background thread (and so retention) starts once every table's retention holds are set.
  FLUSS_ASSIGN_OR_RETURN(p.logs, LogManager::Open(c.data_dir, c.log, LogManagerOptions{.background = false}));
  // What is in the data dir, from the metadata: the live tables' bucket logs are recovered (in
  // parallel), dropped tables' leftovers deleted, anything unexplained moved aside.
  {
    FLUSS_ASSIGN_OR_RETURN(auto tables, LocalTables(*p.metadata));
    FLUSS_ASSIGN_OR_RETURN(auto report,
                           DataDirLayout::Reconcile(c.data_dir, tables, p.metadata->ListDroppedTables(), NowMs(),
                                                    p.metadata->ListDroppedPartitions()));
    if (!report.quarantined.empty()) {
      spdlog::warn("data dir '{}': {} entries the metadata does not explain were moved aside to '{}' (nothing was "
                   "deleted; inspect them, then remove or restore them)",
                   c.data_dir, report.quarantined.size(), report.quarantine_dir);
    }
    if (!report.deleted.empty()) {
      spdlog::info("data dir '{}': deleted the data of {} dropped tables and partitions", c.data_dir,
                   report.deleted.size());
    }
    FLUSS_RETURN_NOT_OK(p.logs->OpenLogs(report.bucket_logs));
  }
  p.workers = std::make_unique<WorkerPool>(c.worker_threads, "fluss-worker");
  WorkerPool* workers = p.workers.get();
  p.delayed_fetches = std::make_unique<DelayedFetchQueue>([workers](std::function<void()> task) {
    workers->Submit(std::move(task));
  });
  DelayedFetchQueue* delayed = p.delayed_fetches.get();
  p.replicas = std::make_unique<ReplicaManager>(p.logs.get(), KvResources::Create(c.kv),
                                                [delayed](TableBucket b) { delayed->OnAppend(b); });
  if (c.role == ServerRole::kTablet) {
    // Cluster mode: buckets wait for the coordinator's NotifyLeaderAndIsr; followers fetch from
    // their leaders; acks=-1 writes wait for the high watermark.
    p.delayed_produces = std::make_unique<DelayedFetchQueue>([workers](std::function<void()> task) {
      workers->Submit(std::move(task));
    });
    DelayedFetchQueue* produces = p.delayed_produces.get();
    ReplicationOptions repl;
    repl.server_id = ServerId(c.server_id);
    repl.max_lag_ms = c.replica_max_lag_ms;
    repl.min_insync_replicas = c.min_in_sync_replicas;
    repl.fetch_max_bytes = c.replica_fetch_max_bytes;
    repl.fetch_wait_max_ms = c.replica_fetch_wait_max_ms;
    repl.fetch_backoff_ms = c.replica_fetch_backoff_ms;
    repl.resolve_server = std::move(hooks.resolve_server);
    repl.adjust_isr = std::move(hooks.adjust_isr);
    repl.on_high_watermark = [delayed, produces](TableBucket b) {
      delayed->OnAppend(b);
      produces->OnAppend(b);
    };
    p.replicas->EnableReplication(std::move(repl));
  }
  // What this role answers: the tablet server's APIs and the metadata reads everywhere; the
  // coordinator's DDL in a standalone server, or what the cluster role adds (add_apis).
  const bool standalone = c.role != ServerRole::kTablet;
  ApiTable::NotServedMessage not_served;
  if (standalone) {
    not_served = [](int16_t key) {
      return fmt::format("{} (api key {}) is served by the coordinator of a cluster, not by a standalone server",
                         rpc::FindServedApi(key)->name, key);
    };
  } else {
    not_served = [id = c.server_id](int16_t key) {
      return fmt::format("api key {} is served by the coordinator, not by tablet server {}", key, id);
    };
  }
  p.apis = std::make_unique<ApiTable>([workers](std::function<void()> task) { workers->Submit(std::move(task)); },
                                      std::move(not_served));
  p.tablet_service = std::make_unique<TabletService>(p.config, p.metadata.get(), p.replicas.get(), delayed,
                                                     p.delayed_produces.get(), std::move(hooks.replica_observers));
  p.metadata_service = std::make_unique<MetadataService>(p.config, p.metadata.get(), std::move(hooks.cluster_metadata));
  FLUSS_RETURN_NOT_OK(p.tablet_service->Register(*p.apis));
  FLUSS_RETURN_NOT_OK(p.metadata_service->Register(*p.apis));
  if (standalone) {
    p.placement = std::make_unique<LocalTablePlacement>(p.config, p.replicas.get(), p.tablet_service.get());
    p.coordinator_service = std::make_unique<CoordinatorService>(p.config, p.metadata.get(), p.placement.get(),
                                                                 nullptr, hooks.clock);
    FLUSS_RETURN_NOT_OK(p.coordinator_service->Register(*p.apis));
    CoordinatorService* coordinator = p.coordinator_service.get();
    AutoPartitionManager::Options auto_options;
    auto_options.check_interval_ms = c.auto_partition_check_interval_ms;
    auto_options.clock = hooks.clock;
    p.auto_partitions = coordinator->StartAutoPartitioning(p.metadata.get(), std::move(auto_options));
  }
  if (hooks.add_apis) FLUSS_RETURN_NOT_OK(hooks.add_apis(*p.apis));
  // A standalone server is coordinator and tablet server at once, so server_type is left unset.
  FLUSS_RETURN_NOT_OK(
      p.apis->AddApiVersions(standalone ? std::nullopt : std::optional<int32_t>(rpc::kServerTypeTabletServer)));
  FLUSS_RETURN_NOT_OK(p.tablet_service->LoadTables());

  if (hooks.tiered_offsets) p.replicas->SetTieredOffsetsProvider(std::move(hooks.tiered_offsets));
  ReplicaManager* replicas = p.replicas.get();
  p.logs->SetBeforeRetention([replicas] { replicas->UpdateLakeRetentionHolds(); });
  p.logs->StartBackground();

  rpc::RpcServerOptions options;
  options.host = c.bind.host;
  options.port = c.bind.port;
  options.io_threads = c.network_threads;
  options.max_request_size = static_cast<size_t>(c.max_request_size);
  options.idle_timeout = std::chrono::milliseconds(c.connection_max_idle_ms);
  const ApiTable* apis = p.apis.get();
  FLUSS_ASSIGN_OR_RETURN(p.rpc, rpc::RpcServer::Start(options, [apis](rpc::RpcRequest req,
                                                                        std::shared_ptr<rpc::RpcResponder> resp) {
    apis->Handle(std::move(req), std::move(resp));
  }));
  if (p.config.bind.port == 0) {
    p.config.bind.port = p.rpc->port();
    if (p.config.advertised_port == 0) p.config.advertised_port = p.rpc->port();
  }
  if (p.auto_partitions) p.auto_partitions->Start();
  return server;
}

FlussServer::FlussServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

FlussServer::~FlussServer() {
  Status st = Stop();
  if (!st.ok()) spdlog::error("stopping fluss-server: {}", st.ToString());
}

uint16_t FlussServer::port() const { return parts_->config.bind.port; }
const ServerConfig& FlussServer::config() const { return parts_->config; }
ReplicaManager* FlussServer::replicas() const { return parts_->replicas.get(); }

AutoPartitionManager* FlussServer::auto_partitions() const { return parts_->auto_partitions.get(); }

size_t FlussServer::waiting_fetches() const {
  return parts_->delayed_fetches ? parts_->delayed_fetches->waiting() : 0;
}

Status FlussServer::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return Status::OK();
  p.stopped = true;
  if (p.auto_partitions) p.auto_partitions->Stop();
  if (p.rpc) p.rpc->Stop();
  if (p.replicas) p.replicas->StopReplication();  // fetchers and the ISR thread, before the logs close
  if (p.delayed_fetches) p.delayed_fetches->Stop();
  if (p.delayed_produces) p.delayed_produces->Stop();
  if (p.workers) p.workers->Stop();
  Status st;
  if (p.replicas) {
    Status kv = p.replicas->FlushKv();
    if (!kv.ok()) spdlog::warn("flushing KV state on shutdown (the changelog replays it on start): {}", kv.ToString());
  }
  if (p.logs) st = p.logs->Close();
  p.apis.reset();
  p.auto_partitions.reset();
  p.coordinator_service.reset();
  p.placement.reset();
  p.metadata_service.reset();
  p.tablet_service.reset();
  p.replicas.reset();
  p.delayed_fetches.reset();
  p.delayed_produces.reset();
  p.workers.reset();
  p.logs.reset();
  p.metadata.reset();
  if (p.lock_fd >= 0) {
    ::close(p.lock_fd);
    p.lock_fd = -1;
  }
  return st;
}

}  // namespace fluss
