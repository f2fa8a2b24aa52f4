// LocalCluster: a fluss-cpp cluster of real processes on loopback for tests and benchmarks — the
// ZooKeeper of this process (tests/zk/zk_server.h, started on first use), `coordinators`
// `fluss-server --role coordinator` processes (the first to start becomes active, the others are
// standbys) and `tablet_servers` `fluss-server --role tablet` processes, each on a free 127.0.0.1
// port with its own data dir (ServerProcess). Every cluster gets its own zookeeper.path.root, so
// clusters of one process share the ZooKeeper server without seeing each other.
//
//   fluss::testing::LocalClusterOptions options;
//   options.sets = {"zookeeper.client.session-timeout=2s"};
//   auto cluster = fluss::testing::LocalCluster::Start(options);
//   ASSERT_OK(cluster);
//   config.bootstrap_servers = (*cluster)->bootstrap();
//   (*cluster)->tablet(1).Kill();   // kill -9 tablet server id 2 (ids are index + 1)
//
// Coordinator ids are 100 + index, tablet server ids 1 + index (`tablet-server.id`). The destructor
// kills every process (SIGCONT first, in case a test stopped one). Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "support/server_process.h"

namespace fluss::testing {

struct LocalClusterOptions {
  int coordinators = 2;
  int tablet_servers = 3;
  // "key=value" options for every server (after the ones LocalCluster sets, so they may override).
  std::vector<std::string> sets;
  // Extra options for the coordinators only / the tablet servers only.
  std::vector<std::string> coordinator_sets;
  std::vector<std::string> tablet_sets;
  // zookeeper.path.root; empty: a fresh "/fluss-test-<pid>-<n>".
  std::string zookeeper_root;
  std::string log_level = "info";
};

class LocalCluster {
 public:
  static constexpr int32_t kFirstCoordinatorId = 100;
  static constexpr int32_t kFirstTabletId = 1;

  // Starts ZooKeeper (once per process), the coordinators (the first one waited for until it
  // listens, so it wins the election), then the tablet servers. Error: ZooKeeper is not available
  // (no java / libzookeeper-java: the caller should skip) or a server did not start.
  static Result<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options = {});
  // Why Start cannot work here (java or the ZooKeeper jar missing), or empty.
  static std::string Unavailable();

  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  ServerProcess& coordinator(int index) { return *coordinators_.at(index); }
  ServerProcess& tablet(int index) { return *tablets_.at(index); }
  int num_coordinators() const { return static_cast<int>(coordinators_.size()); }
  int num_tablets() const { return static_cast<int>(tablets_.size()); }
  // The process of a server id (coordinator or tablet), or nullptr.
  ServerProcess* ById(int32_t id);
  // "host:port,..." of every server, coordinators first (the client skips the dead ones).
  std::string bootstrap() const;
  const std::string& zookeeper_address() const { return zookeeper_address_; }
  const std::string& zookeeper_root() const { return options_.zookeeper_root; }
  // The options a server of this cluster starts with (role and id included): to start another one,
  // e.g. on a foreign data dir.
  ServerProcessOptions TabletOptions(int32_t id) const;
  ServerProcessOptions CoordinatorOptions(int32_t id) const;
  // Starts one more tablet server with the next id.
  Result<ServerProcess*> AddTablet();
  // Everything the servers logged (for failure messages).
  std::string Logs() const;

 private:
  explicit LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}

  LocalClusterOptions options_;
  std::string zookeeper_address_;
  std::vector<std::unique_ptr<ServerProcess>> coordinators_;
  std::vector<std::unique_ptr<ServerProcess>> tablets_;
};

}  // namespace fluss::testing
