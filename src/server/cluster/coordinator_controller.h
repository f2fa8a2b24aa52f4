// CoordinatorController: the decisions of the active coordinator, made on one event thread (Fluss's
// CoordinatorEventProcessor idea): every change of cluster state — leadership won or lost, the set of
// live tablet servers, tables created or dropped, ADJUST_ISR and CONTROLLED_SHUTDOWN requests, the
// answers of pushed requests — is an event handled there in order, so the state needs no locks.
//
// State: per bucket its replicas (the assignment) and its leader-and-ISR record with the znode
// version, loaded from ZooKeeper when this coordinator becomes active. Every change is written to
// ZooKeeper first (ZkMetadataStore::SetLeaderAndIsr: version-checked and fenced by the coordinator
// epoch, so a deposed coordinator cannot overwrite its successor) and then pushed to the live
// replicas as NOTIFY_LEADER_AND_ISR. A push that fails (connection, or a per-bucket error such as a
// table the tablet server's metadata cache does not have yet) is resent with the then-current state
// after 200 ms, up to 50 times while the server is live. A server that registers (also again after a
// restart) is sent the state of every bucket it replicates.
//
// Leader election (a server died, is shutting down, or an offline bucket's replica came back): the
// first replica in assignment order that is live, not shutting down and in the ISR; the new ISR is
// the old one without dead or shutting-down servers. No eligible replica: leader -1 and the ISR as
// it was (the bucket is offline until an ISR member returns; no unclean election). A leader change
// bumps leader_epoch; every change bumps bucket_epoch.
//
// Preferred-leader election (auto.leader.rebalance.enabled, every leader.imbalance.check.interval):
// the first replica of a bucket's assignment is its preferred leader (assignment spreads those
// evenly). A bucket led by another replica while its preferred one is live, not shutting down and
// in the ISR — typically after that server restarted and caught up — has its leadership moved back:
// the preferred server is first probed (ApiVersions: a crashed server stays registered until its
// session expires), then the move is an ordinary leader change (leader_epoch and bucket_epoch + 1,
// the ISR kept, written to ZooKeeper and pushed as NOTIFY_LEADER_AND_ISR). The new leader is in the
// ISR, so it holds every acknowledged acks=all write; the old one becomes a follower and answers its
// parked writes NOT_LEADER_OR_FOLLOWER, which clients resend to the new leader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "metadata/zk_metadata_store.h"
#include "rpc/rpc_client.h"
#include "types/table_bucket.h"
#include "types/table_descriptor.h"

namespace fluss::cluster {

struct CoordinatorOptions {
  int32_t server_id = 0;
  int32_t default_replication_factor = 1;  // default.replication.factor
  std::chrono::milliseconds push_retry{200};
  int push_attempts = 50;
  // auto.leader.rebalance.enabled and leader.imbalance.check.interval (see above).
  bool auto_leader_rebalance = true;
  std::chrono::milliseconds leader_imbalance_check_interval{30000};
  // How long a preferred server has to answer the probe before leadership moves to it.
  std::chrono::milliseconds preferred_probe_timeout{2000};
  // Called (event thread) each time this coordinator becomes the active one, once its state is
  // loaded (the auto-partition manager checks every table then).
  std::function<void()> became_active;
};

// Replicas of `buckets` buckets over `servers` (sorted ids), Fluss's rack-unaware assignment: the
// first replica round-robin from `start`, the others shifted by `shift` (+1 per round of servers).
std::vector<BucketAssignment> AssignReplicas(const std::vector<int32_t>& servers, int32_t buckets,
                                             int32_t replication_factor, int32_t start, int32_t shift);

class CoordinatorController {
 public:
  CoordinatorController(std::shared_ptr<ZkMetadataStore> store, CoordinatorOptions options);
  ~CoordinatorController();  // Stop()
  CoordinatorController(const CoordinatorController&) = delete;
  CoordinatorController& operator=(const CoordinatorController&) = delete;

  // Registers the live-servers listener and enters the coordinator election.
  Status Start(const std::string& listeners);
  // Leaves the election and ends the event thread.
  void Stop();

  bool active() const { return active_.load(); }
  int64_t epoch() const { return epoch_.load(); }

  // ---- DDL (request threads) ----
  // The assignment of a new table: table.replication.factor or default.replication.factor replicas
  // per bucket over the live tablet servers. INVALID_REPLICATION_FACTOR when there are fewer live
  // servers; INVALID_COORDINATOR when this coordinator is not the active one.
  Result<std::vector<BucketAssignment>> Assign(const TablePath& path, const TableDescriptor& descriptor,
                                               int32_t buckets);
  // After the table is in ZooKeeper: creates each bucket's leader-and-ISR record and pushes it
  // (waits for the records; the pushes go on in the background).
  Status TableCreated(const TableRecord& record);
  // After the table left ZooKeeper: STOP_REPLICA (delete) to its replicas.
  void TableDropped(const TableRecord& record);

  // ---- tablet server requests ----
  Result<proto::AdjustIsrResponse> AdjustIsr(const proto::AdjustIsrRequest& request);
  Result<proto::ControlledShutdownResponse> ControlledShutdown(const proto::ControlledShutdownRequest& request);

  // The in-memory record of a bucket (nullopt: unknown). For tests and status.
  std::optional<LeaderAndIsr> BucketState(int64_t table_id, int32_t bucket);

 private:
  struct Bucket {
    std::vector<int32_t> replicas;
    LeaderAndIsr lai;
    int32_t version = -1;
  };
  using Clock = std::chrono::steady_clock;

  void Post(std::function<void()> event, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // For callbacks of the io thread, which may run after this controller is gone: posts while it lives.
  struct Gate {
    std::mutex mu;
    CoordinatorController* self = nullptr;
  };
  static void PostVia(const std::shared_ptr<Gate>& gate, std::function<void()> event);
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  // Runs `fn` on the event thread and waits for its result.
  template <typename T>
  Result<T> Run(std::function<Result<T>()> fn);
  void Loop();

  // Event handlers (event thread).
  void OnBecameActive(int64_t epoch);
  void OnResigned();
  void OnLiveServers(std::vector<TabletServerInfo> servers);
  Status CreateBucketRecords(const TableRecord& record);
  std::optional<LeaderAndIsr> Decide(const Bucket& b) const;
  // Decides and writes every bucket; returns the changed ones.
  std::vector<TableBucket> ReconcileAll();
  Status Write(const TableBucket& id, Bucket& b, LeaderAndIsr next);
  void Push(int32_t server, std::vector<TableBucket> buckets, int attempt);
  void PushToReplicas(const std::vector<TableBucket>& buckets);
  void PushAll(int32_t server);
  void SendStopReplica(int32_t server, proto::StopReplicaRequest request, int attempt);
  // Preferred-leader election (event thread): the periodic check of this activation (`epoch`), and
  // the move of the buckets whose preferred replica is `server`, once it answered the probe.
  void SchedulePreferredLeaderCheck(int64_t epoch);
  void CheckPreferredLeaders(int64_t epoch);
  void MovePreferredLeaders(int32_t server, int64_t epoch);
  // True when `b`'s leadership should move to its first replica now.
  bool PreferredLeaderEligible(const Bucket& b) const;
  std::shared_ptr<rpc::RpcClient> Client(int32_t server);
  void DropClient(int32_t server, const std::shared_ptr<rpc::RpcClient>& client);

  const std::shared_ptr<ZkMetadataStore> store_;
  const CoordinatorOptions options_;
  std::shared_ptr<rpc::RpcClientIo> io_;

  std::atomic<bool> active_{false};
  std::atomic<int64_t> epoch_{0};

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::multimap<Clock::time_point, std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;

  // Event-thread state.
  bool is_active_ = false;
  std::map<TableBucket, Bucket> buckets_;
  std::map<int32_t, TabletServerInfo> live_;
  std::set<int32_t> shutting_down_;
  std::map<int32_t, std::shared_ptr<rpc::RpcClient>> clients_;
};

}  // namespace fluss::cluster
