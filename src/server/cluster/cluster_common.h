// Pieces both cluster roles use: the address of a registration's listeners, GetMetadata answered
// from ZooKeeper, and a channel to the active coordinator that follows it across fail-overs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "types/table_bucket.h"
#include "metadata/zk_metadata_store.h"
#include "rpc/rpc_client.h"

namespace fluss::cluster {

// The bucket a PbTableBucket names (with its partition id when it has one).
TableBucket TableBucketOf(const proto::PbTableBucket& tb);

// host:port of the first listener of "NAME://host:port[,...]"; nullopt when it does not parse.
std::optional<std::pair<std::string, uint16_t>> ListenerAddress(const std::string& listeners);

// GET_METADATA in cluster mode (MetadataService's ClusterMetadataView): tablet servers from the
// live registrations, the coordinator from /coordinators/active, and per bucket the replicas
// (assignment) and leader, leader epoch and ISR (the bucket's leader-and-ISR znode; a bucket without
// one has no leader yet). With the fluss-cpp request field include_coordinators, also every
// registered coordinator (/coordinators/ids).
Result<proto::MetadataResponse> ClusterMetadata(const ZkMetadataStore& store, const proto::MetadataRequest& req);

// Calls the active coordinator: resolves it from /coordinators/active, keeps the connection, and on
// a network error, a timeout or an INVALID_COORDINATOR answer (a standby or a deposed leader)
// drops it, re-resolves and tries again, `attempts` times in all with `backoff` between them.
// Thread-safe.
class CoordinatorChannel {
 public:
  explicit CoordinatorChannel(std::shared_ptr<ZkMetadataStore> store) : store_(std::move(store)) {}
  Result<std::string> Call(int16_t api_key, std::string body, int attempts = 5,
                           std::chrono::milliseconds backoff = std::chrono::milliseconds(200),
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

 private:
  Result<std::shared_ptr<rpc::RpcClient>> Connected();
  std::shared_ptr<ZkMetadataStore> store_;
  std::mutex mu_;
  std::shared_ptr<rpc::RpcClient> client_;
};

}  // namespace fluss::cluster
