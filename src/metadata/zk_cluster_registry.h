// ZkClusterRegistry: the cluster half of the ZooKeeper metadata store — who is alive and who leads:
// ephemeral tablet-server registrations and the live-server list, the coordinator election (a queue
// of candidates, the leader znode, the epoch as fencing token, every candidate registered), the cluster id, and the per-bucket
// leader-and-ISR records. Znodes: zk_paths.h; bodies: zk_znodes.h.
//
// It runs no thread: ZkMetadataStore's background thread calls SyncServers() and TryBecomeLeader()
// when the matching watches fire (and again after a backoff when they failed), and tells it about
// session expiry (FenceOnExpiry, then ReRegisterTabletServers after the new session is up). Thread-safety: every method may be called
// from any thread; listeners are called by the caller of the method that detects the change, outside
// the registry's lock.
#pragma once

#include "types/table_bucket.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metadata/embedded_metadata_store.h"  // MetadataClock
#include "metadata/zk_client.h"
#include "metadata/zk_znodes.h"

namespace fluss {

class ZkClusterRegistry {
 public:
  using ServersListener = std::function<void(const std::vector<TabletServerInfo>&)>;
  using LeadershipListener = std::function<void(bool is_leader, int64_t epoch)>;

  ZkClusterRegistry(ZkClient& zk, MetadataClock clock);

  // Creates the registry's parent znodes and the epoch counter when missing.
  Status EnsureZnodes();

  // ---- tablet servers (see ZkMetadataStore) ----
  Status RegisterTabletServer(int32_t id, std::string listeners, std::string rack);
  Status UnregisterTabletServer(int32_t id);
  // Creates again, in the current session, the registrations this registry made (after an expiry).
  // An error when one of them is not in place yet: the caller tries again later.
  Status ReRegisterTabletServers();
  // Reloads the live servers (setting a child watch on /tabletservers/ids).
  Status SyncServers();
  std::vector<TabletServerInfo> LiveTabletServers() const;
  void SetLiveServersListener(ServersListener listener);
  // The live servers and the listener to tell, read together.
  std::pair<std::vector<TabletServerInfo>, ServersListener> LiveServersAndListener() const;

  // ---- coordinator election (see ZkMetadataStore) ----
  // Records the candidacy, registers it and joins the election queue (so candidates started one after
  // the other are queued in that order); the caller then runs TryBecomeLeader (on its thread).
  Status StartCandidacy(int32_t coordinator_id, std::string listeners, LeadershipListener listener);
  // Registers the candidate again if needed, joins the election queue (an ephemeral sequential node
  // under /coordinators/election, once per session) and, when first in it, takes /coordinators/active,
  // bumps the epoch and calls the leadership listener; a later candidate watches the node before its
  // own. No-op without a candidacy. OK when the candidate is registered and the attempt settled (won,
  // leading already, or a standby with its watch set); an error otherwise (ZooKeeper timed out, the
  // connection dropped...): the caller tries again later, since no watch will bring another attempt.
  Status TryBecomeLeader();
  // Leaves the election. Returns the epoch when this registry was the leader (the caller tells the
  // leadership listener, on its thread), nullopt otherwise.
  std::optional<int64_t> Resign();
  // The session is gone: stops leading and tells the leadership listener (on this thread) if it was.
  void FenceOnExpiry();
  LeadershipListener leadership_listener() const;
  bool IsLeader() const { return is_leader_.load(); }
  Result<std::vector<TabletServerInfo>> RegisteredCoordinators() const;
  Result<int32_t> CoordinatorLeaderId() const;
  Result<std::optional<TabletServerInfo>> ActiveCoordinator() const;

  // ---- cluster identity and leader/ISR (see ZkMetadataStore) ----
  Result<std::string> EnsureClusterId(const std::string& candidate);
  Result<int32_t> SetLeaderAndIsr(const TableBucket& bucket, const LeaderAndIsr& value, int32_t expected_version);
  Result<std::pair<LeaderAndIsr, int32_t>> GetLeaderAndIsr(const TableBucket& bucket) const;

 private:
  // Creates /coordinators/ids/<id> for this session (replacing another session's); deletes it.
  Status RegisterCoordinator(const TabletServerInfo& me);
  // This store's node in the election queue in the current session, created when missing.
  Result<std::string> EnsureLatchNode(const TabletServerInfo& me);
  void UnregisterCoordinator(int32_t id);

  ZkClient& zk_;
  const MetadataClock clock_;

  mutable std::mutex mu_;
  std::map<int32_t, TabletServerInfo> registered_;  // servers this registry registered
  std::vector<TabletServerInfo> live_servers_;
  ServersListener servers_listener_;
  std::optional<TabletServerInfo> candidacy_;  // id + listeners of this store's coordinator candidacy
  LeadershipListener leadership_listener_;
  int64_t coordinator_epoch_ = 0;
  int32_t coordinator_epoch_version_ = -1;  // znode version of /coordinators/epoch this leader set
  std::atomic<bool> is_leader_{false};
  const std::string latch_guid_;  // names this store's election node (see zk_paths::CoordinatorLatchPrefix)
  std::string latch_node_;        // its full path in the current session; empty when none
  std::mutex latch_mu_;           // serialises EnsureLatchNode (taken before mu_)
};

}  // namespace fluss
