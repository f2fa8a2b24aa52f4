// ZkMetadataStore: the MetadataStore of cluster mode, kept in ZooKeeper (C client, multi-threaded API).
// Znode layout and JSON bodies: docs/formats/metadata-store.md ("ZooKeeper layout"), zk_paths.h and
// zk_znodes.h. The work is done by its parts: ZkClient (the session), ZkCatalog (databases, tables,
// drop records, counters) and ZkClusterRegistry (servers, election, leader/ISR); reads are
// CachedMetadataStore's.
//
// Every mutation is one ZooKeeper request (a multi-op when it touches several znodes), so it is durable
// (committed by a ZooKeeper quorum) before it returns OK, and atomic. Versions are znode versions:
// compare-and-set is a version-checked setData inside the multi. Table ids come from a CAS'd counter
// znode that is bumped in the same multi that creates the table, so ids are dense, monotonic and never
// reused, also across stores and restarts.
//
// Reads are served from an in-memory cache (the same MetadataState the embedded store keeps) that is
// reloaded (1) by the mutating thread right after its own commit, so a caller reads its own writes and
// its watchers have run when the mutation returns, and (2) by a background thread whenever a ZooKeeper
// watch fires, so changes made by other stores arrive within a round trip. A reload diffs the new state
// against the old one to produce MetadataEvents; changes made elsewhere that cancel out between two
// reloads (a table created and dropped) may therefore be coalesced, and the events of concurrent
// mutators that one reload observes together come in diff order (databases created, tables created or
// changed, tables dropped, databases dropped) rather than commit order. The reload reads the whole tree:
// O(state) ZooKeeper reads per change, like the embedded store's whole-file rewrite.
//
// Cluster-mode additions (not part of MetadataStore): ephemeral tablet-server registrations with a
// live-server listener, coordinator election with a leadership listener and an epoch (fencing token),
// per-bucket leader-and-ISR records with version-checked updates, and session handling: when the
// session expires the store calls the session listener (kExpired: ephemerals are gone, a leader must
// stop acting as one — the leadership listener is told first), opens a new session, re-registers its
// tablet servers, re-enters the coordinator election, reloads the cache and calls the listener again
// (kReestablished). All listeners run on the store's background thread, outside its locks, one at a
// time; they may call the store. Listeners and watchers may be called until the store is destroyed:
// what they reference must outlive it (or be removed first).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metadata/embedded_metadata_store.h"  // MetadataClock
#include "metadata/metadata_cache.h"
#include "metadata/metadata_store.h"
#include "metadata/zk_client.h"   // ZkOptions
#include "metadata/zk_znodes.h"
#include "types/table_bucket.h"   // TabletServerInfo, LeaderAndIsr

namespace fluss {

class ZkCatalog;
class ZkClusterRegistry;

enum class ZkSessionEvent {
  kExpired,        // the session is gone (ephemerals deleted, leadership lost): stop acting on it
  kReestablished,  // a new session is up: registrations re-created, cache reloaded
};

// The parts: ZkClient (the session), ZkCatalog (databases and tables), ZkClusterRegistry (servers,
// election, leader/ISR); reads come from CachedMetadataStore. This class composes them and runs the
// background thread that reacts to watches and session expiry.
class ZkMetadataStore final : public CachedMetadataStore {
 public:
  static constexpr int64_t kWriterIdBlock = EmbeddedMetadataStore::kWriterIdBlock;

  // Connects (waiting up to connect_timeout_ms for the session), creates the base znodes when missing
  // and loads the cache. An unreachable ensemble is Unavailable, naming the address.
  static Result<std::unique_ptr<ZkMetadataStore>> Open(ZkOptions options, MetadataClock clock = nullptr);
  ~ZkMetadataStore() override;  // closes the session: its ephemeral znodes disappear at once
  ZkMetadataStore(const ZkMetadataStore&) = delete;
  ZkMetadataStore& operator=(const ZkMetadataStore&) = delete;

  const std::string& base_path() const;

  // ---- MetadataStore (the reads are CachedMetadataStore's) ----
  Status CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) override;
  Result<std::vector<TableRecord>> DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                bool cascade) override;
  Result<TableRecord> CreateTable(const TablePath& path, std::string table_json, std::string schema_json,
                                  int32_t bucket_count, std::vector<BucketAssignment> assignment,
                                  bool ignore_if_exists) override;
  Result<TableRecord> DropTable(const TablePath& path, bool ignore_if_not_exists) override;
  Result<int32_t> AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                            int32_t expected_version) override;
  Result<int32_t> UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                   int32_t expected_version) override;
  Result<PartitionRecord> CreatePartition(const TablePath& path, int64_t table_id, const std::string& partition_name,
                                          std::vector<BucketAssignment> assignment, int32_t max_partitions,
                                          bool ignore_if_exists) override;
  Result<PartitionRecord> DropPartition(const TablePath& path, const std::string& partition_name,
                                        bool ignore_if_not_exists) override;
  Result<int64_t> AllocateWriterId() override;

  // ---- tablet servers ----
  // Creates the ephemeral /tabletservers/ids/<id>; it lives as long as this store's session and is
  // re-created after a session expiry. A live registration of `id` by another session is
  // STORAGE_EXCEPTION "tablet server id N is already registered ..."; by this store's session, OK.
  Status RegisterTabletServer(int32_t id, std::string listeners, std::string rack = "");
  Status UnregisterTabletServer(int32_t id);  // OK when not registered
  // Live servers ordered by id, from the cache (kept fresh by a watch on /tabletservers/ids).
  std::vector<TabletServerInfo> LiveTabletServers() const;
  // Called (background thread) with the new list whenever the set of live servers changes.
  void SetLiveServersListener(std::function<void(const std::vector<TabletServerInfo>&)> listener);

  // ---- coordinator election ----
  // Enters the election, a queue (an ephemeral sequential node under /coordinators/election, in the
  // queue when this returns): the first in it holds the ephemeral /coordinators/active and bumps
  // /coordinators/epoch. `listener(true, epoch)` when this store becomes leader, `(false, epoch)` when
  // it stops being leader (resigned, or its session expired: fenced, and queued again at the back).
  // Standbys watch the node before theirs. One candidacy per store; INVALID_COORDINATOR when already entered.
  // Every candidate is also registered, active or standby: the ephemeral /coordinators/ids/<id>,
  // created here and made sure of at every election attempt (so also with a new session); a
  // registration of the same id by another session — a crashed predecessor whose session has not
  // expired yet — is replaced.
  Status StartCoordinatorElection(int32_t coordinator_id, std::string listeners,
                                  std::function<void(bool is_leader, int64_t epoch)> listener);
  // Leaves the election (deleting the leader znode when held, and the registration).
  void ResignCoordinator();
  // The registered coordinators (active and standby), ordered by id, read from ZooKeeper now.
  Result<std::vector<TabletServerInfo>> RegisteredCoordinators() const;
  bool IsCoordinatorLeader() const;
  // The id in /coordinators/active right now (read from ZooKeeper), or -1 when there is none.
  Result<int32_t> CoordinatorLeaderId() const;
  // The id and listeners in /coordinators/active right now (read from ZooKeeper); nullopt when there
  // is no active coordinator.
  Result<std::optional<TabletServerInfo>> ActiveCoordinator() const;

  // ---- cluster identity ----
  // The id of the cluster this ZooKeeper root holds (<root>/cluster/id): created with `candidate` by
  // the first caller, read by every later one (all callers get the same id).
  Result<std::string> EnsureClusterId(const std::string& candidate);

  // ---- leader and ISR ----
  // expected_version -1: create (INVALID_UPDATE_VERSION when it exists); otherwise set when the znode
  // is at that version (INVALID_UPDATE_VERSION otherwise; UNKNOWN_TABLE_OR_BUCKET when there is
  // none). TABLE_NOT_EXIST when the table is gone. Returns the new znode version. A store that runs
  // for coordinator writes only while it is the leader and /coordinators/epoch is still at the
  // version it set when it won (the same multi checks it), else INVALID_COORDINATOR: a deposed
  // leader's late writes are fenced.
  // A partition's bucket (partition id set) has its record at upstream's
  // /tabletservers/partitions/<id>/buckets/<b>/leader_isr (PARTITION_NOT_EXISTS when the
  // partition's assignment is gone).
  Result<int32_t> SetLeaderAndIsr(const TableBucket& bucket, const LeaderAndIsr& value, int32_t expected_version);
  Result<int32_t> SetLeaderAndIsr(int64_t table_id, int32_t bucket, const LeaderAndIsr& value,
                                  int32_t expected_version) {
    return SetLeaderAndIsr(TableBucket(table_id, bucket), value, expected_version);
  }
  // The record and its znode version; UNKNOWN_TABLE_OR_BUCKET when there is none.
  Result<std::pair<LeaderAndIsr, int32_t>> GetLeaderAndIsr(const TableBucket& bucket) const;
  Result<std::pair<LeaderAndIsr, int32_t>> GetLeaderAndIsr(int64_t table_id, int32_t bucket) const {
    return GetLeaderAndIsr(TableBucket(table_id, bucket));
  }

  // ---- sessions ----
  void SetSessionListener(std::function<void(ZkSessionEvent)> listener);
  // Number of sessions opened so far (1 after Open; +1 per re-established session).
  int64_t session_generation() const { return session_generation_.load(); }
  // Test hook: expires this store's session from the server side (a second client takes over the
  // session id and closes it) and returns once this store's client has seen the expiry; the new
  // session is set up in the background.
  Status ExpireSessionForTesting();

 private:
  // One item for the background thread: a ZooKeeper watch or session event, or a request.
  struct Queued {
    enum Kind { kZkEvent, kElection, kLeadershipLost } kind = kZkEvent;
    ZkEvent event;
    int64_t epoch = 0;
  };
  ZkMetadataStore(MetadataClock clock);

  // The background thread's steps; a flag per step.
  struct Steps {
    bool reregister = false;  // this store's tablet-server registrations, in a new session
    bool sync = false;        // the catalog
    bool servers = false;     // the live tablet servers
    bool election = false;    // the coordinator registration and election
    bool any() const { return reregister || sync || servers || election; }
  };

  void Post(Queued item);
  void BackgroundLoop();
  // Runs the due steps; returns the ones that failed (to be tried again after a backoff).
  Steps RunSteps(Steps due);

  const MetadataClock clock_;
  std::unique_ptr<ZkClient> zk_;
  std::unique_ptr<ZkCatalog> catalog_;
  std::unique_ptr<ZkClusterRegistry> registry_;

  std::mutex listener_mu_;
  std::function<void(ZkSessionEvent)> session_listener_;  // guarded by listener_mu_
  std::atomic<int64_t> session_generation_{0};

  // Background thread and its queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread background_;
};

}  // namespace fluss
