// FlussServer: a server with data. Standalone (the default role): coordinator and tablet server in
// one process, metadata in the embedded store under the data dir, no ZooKeeper; its ApiTable holds
// TabletService, CoordinatorService (every bucket on this server) and MetadataService. Role kTablet
// (a cluster's tablet server, server/cluster/): TabletService and MetadataService, and what
// ServerHooks::add_apis adds. Owns, in start order: the data dir lock, the metadata store, the
// LogManager, the worker pool, the delayed-fetch queue, the services and the RPC server.
//
// Data dir layout: `.lock` (held while running), `.metadata/` (EmbeddedMetadataStore), and the
// bucket logs at `{db}/{table}-{table_id}/log-{bucket}` as Fluss lays them out, with the RocksDB of a
// primary-key bucket beside its log at `{db}/{table}-{table_id}/kv-{bucket}`. At start the data dir is
// reconciled with the metadata before any log opens (data_dir_layout.h, docs/formats/data-dir.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "metadata/metadata_store.h"
#include "server/api_table.h"
#include "server/auto_partition_manager.h"
#include "server/metadata_service.h"
#include "server/replica_manager.h"
#include "server/server_config.h"
#include "server/tablet_service.h"
#include "server/tiered_offsets.h"

namespace fluss {

// What the composition root (fluss-server's main.cc, or a test) plugs into the server.
struct ServerHooks {
  // The lake's tiered offsets, for the retention holds of lake-enabled tables (replica_manager.h).
  // Empty: lake-enabled tables keep every log segment.
  TieredOffsetsProvider tiered_offsets;
  // The metadata store to use instead of opening the embedded one under the data dir (tests run
  // several tablet-role servers over one shared store; a tablet server gets its ZooKeeper store).
  std::shared_ptr<MetadataStore> metadata;
  // Cluster mode (role kTablet): host:port of the other tablet servers by id (the leaders a follower
  // fetches from), and the way ADJUST_ISR reaches the coordinator. Both required for replication.
  ServerResolver resolve_server;
  AdjustIsrSender adjust_isr;
  // Cluster mode (role kTablet, server/cluster/): GET_METADATA from the cluster's view (empty: this
  // server's own), the APIs the role adds beside TabletService and MetadataService (the DDL it
  // forwards to the active coordinator), and observers of the coordinator's replica requests.
  ClusterMetadataView cluster_metadata;
  std::function<Status(ApiTable&)> add_apis;
  TabletService::Observers replica_observers;
  // The wall clock (milliseconds since the Unix epoch) auto-partitioning names partitions after and
  // checks retention against (standalone; empty: the system clock). Tests move it.
  std::function<int64_t()> clock;
};

class FlussServer {
 public:
  // Opens everything and starts listening on config.bind (port 0: a free port, see port()).
  static Result<std::unique_ptr<FlussServer>> Start(ServerConfig config, ServerHooks hooks = {});
  ~FlussServer();  // Stop()
  FlussServer(const FlussServer&) = delete;
  FlussServer& operator=(const FlussServer&) = delete;

  uint16_t port() const;
  const ServerConfig& config() const;
  // The data plane (tests inspect replica state through it).
  ReplicaManager* replicas() const;
  // Fetches (clients' and followers') parked until data arrives or their max wait ends: a test of
  // long polling waits for its fetch to be parked here before it appends.
  size_t waiting_fetches() const;
  // Standalone: the auto-partition manager (null in the tablet role). Tests run a check with it.
  AutoPartitionManager* auto_partitions() const;
  // Stops accepting, answers waiting fetches, finishes running requests, closes every log cleanly
  // (checkpoints and the clean-shutdown marker) and releases the data dir. Idempotent.
  Status Stop();

  struct Parts;

 private:
  explicit FlussServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace fluss
