// The cluster side of `fluss-server --role tablet`: joining the cluster (ZooKeeper store, the data
// dir's cluster identity), registering, the replication hooks that need ZooKeeper (server address
// resolver, ADJUST_ISR sender), DDL forwarded to the active coordinator, and controlled shutdown.
//
// Data dir identity: `<data.dir>/.cluster` holds {"version":1,"cluster_id":...,"server_id":...}.
// The cluster id lives in ZooKeeper (<root>/cluster/id, created by the first server that joins). A
// data dir with another cluster's id or another server id, or one that holds a standalone server's
// metadata, is refused before anything in it is opened.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "metadata/zk_metadata_store.h"
#include "server/cluster/cluster_common.h"
#include "server/delayed_fetch.h"  // TableBucket
#include "server/fluss_server.h"

namespace fluss::cluster {

// resolve_server: the live server's first listener (nullopt: not registered right now).
ServerResolver MakeZkServerResolver(std::shared_ptr<ZkMetadataStore> store);
// adjust_isr: ADJUST_ISR to the active coordinator, re-resolving it on failure (5 tries, 200 ms apart).
AdjustIsrSender MakeZkAdjustIsrSender(std::shared_ptr<ZkMetadataStore> store);

// Checks `<data_dir>/.cluster` against `cluster_id` and `server_id`, writing it when missing.
Status ClaimDataDir(const std::string& data_dir, const std::string& cluster_id, int32_t server_id);

class TabletClusterMember {
 public:
  // Opens the ZooKeeper store, gets the cluster id and claims the data dir; refuses when the server
  // id is already registered by a live server.
  static Result<std::unique_ptr<TabletClusterMember>> Join(const ServerConfig& config);
  ~TabletClusterMember();

  const std::shared_ptr<ZkMetadataStore>& store() const { return store_; }
  const std::string& cluster_id() const { return cluster_id_; }
  // The hooks of FlussServer for this member: metadata, resolve_server, adjust_isr, GET_METADATA from
  // ZooKeeper, the DDL APIs forwarded to the active coordinator, and the observers that record the
  // coordinator's requests (notified(), stopped()).
  ServerHooks Hooks();
  // The ephemeral registration, once the server listens.
  Status Register(const std::string& listeners);
  // CONTROLLED_SHUTDOWN to the active coordinator (`retries` attempts, `backoff` apart); returns the
  // buckets this server still leads.
  Result<std::vector<TableBucket>> ControlledShutdown(int retries = 3,
                                                        std::chrono::milliseconds backoff = std::chrono::seconds(1));

  // What the coordinator told this server (the latest entry per bucket), and the buckets it was told
  // to stop (recorded for tests and status, whoever answers the requests).
  std::map<TableBucket, proto::PbNotifyLeaderAndIsrReqForBucket> notified() const;
  std::vector<TableBucket> stopped() const;

 private:
  TabletClusterMember(ServerConfig config, std::shared_ptr<ZkMetadataStore> store, std::string cluster_id);
  // CREATE/DROP DATABASE and CREATE/DROP TABLE: forwarded to the active coordinator, so a client may
  // talk to any server of the cluster.
  Status AddForwardedApis(ApiTable& table);
  void RecordNotify(const proto::NotifyLeaderAndIsrRequest& request);
  void RecordStop(const proto::StopReplicaRequest& request);

  const ServerConfig config_;
  std::shared_ptr<ZkMetadataStore> store_;
  std::string cluster_id_;
  CoordinatorChannel coordinator_;
  mutable std::mutex mu_;
  std::map<TableBucket, proto::PbNotifyLeaderAndIsrReqForBucket> notified_;
  std::vector<TableBucket> stopped_;
};

// A tablet server of a cluster: TabletClusterMember + FlussServer, in start-up order (join, start,
// register). What `fluss-server --role tablet` runs, and what tests start in-process.
class ClusterTabletServer {
 public:
  // `extra`: hooks to add (tiered offsets; the replication hooks are filled in unless set).
  static Result<std::unique_ptr<ClusterTabletServer>> Start(ServerConfig config, ServerHooks extra = {});
  ~ClusterTabletServer();  // Stop(false)
  FlussServer& server() { return *server_; }
  TabletClusterMember& member() { return *member_; }
  uint16_t port() const { return server_->port(); }
  // With `controlled`, first asks the coordinator to move this server's leaderships away. Then stops
  // the server and closes the ZooKeeper session (the registration goes). Idempotent.
  Status Stop(bool controlled = true);

 private:
  std::unique_ptr<TabletClusterMember> member_;
  std::unique_ptr<FlussServer> server_;
  bool stopped_ = false;
};

}  // namespace fluss::cluster
