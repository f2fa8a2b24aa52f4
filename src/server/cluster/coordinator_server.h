// CoordinatorServer: `fluss-server --role coordinator`. Opens the ZooKeeper metadata store, listens
// on bind.listeners and enters the coordinator election; the winner (the active coordinator) runs the
// CoordinatorController, the others are standbys that take over when the active one's ZooKeeper
// session ends (at once on a clean stop, after zookeeper.client.session-timeout on a crash).
//
// It serves: DDL (only while active; a standby answers INVALID_COORDINATOR naming itself), the
// metadata reads and GET_METADATA from ZooKeeper (active or not), INIT_WRITER, ADJUST_ISR and
// CONTROLLED_SHUTDOWN (active only). The data APIs are tablet servers' (UNSUPPORTED_VERSION).
#pragma once

#include <memory>

#include "common/status.h"
#include "server/cluster/coordinator_controller.h"
#include "server/server_config.h"

namespace fluss::cluster {

class CoordinatorServer {
 public:
  static Result<std::unique_ptr<CoordinatorServer>> Start(ServerConfig config);
  ~CoordinatorServer();  // Stop()
  CoordinatorServer(const CoordinatorServer&) = delete;
  CoordinatorServer& operator=(const CoordinatorServer&) = delete;

  uint16_t port() const;
  const ServerConfig& config() const;
  bool active() const;
  CoordinatorController& controller();
  ZkMetadataStore& store();
  // Leaves the election, stops serving and closes the ZooKeeper session. Idempotent.
  void Stop();

  struct Parts;

 private:
  explicit CoordinatorServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace fluss::cluster
