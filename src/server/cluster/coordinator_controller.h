// CoordinatorController: the decisions of the active coordinator, made on one event thread (Fluss's
// CoordinatorEventProcessor idea): every change of cluster state — leadership won or lost, the set of
// live tablet servers, tables created or dropped, ADJUST_ISR and CONTROLLED_SHUTDOWN requests, the
// answers of pushed requests — is an event handled there in order, so the state needs no locks.
//
// State: per bucket — of a table, or of a partition (TableBucket with the partition id) — its
// replicas (the assignment) and its leader-and-ISR record with the znode version, loaded from
// ZooKeeper when this coordinator becomes active. Every change is written to
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
#include "types/epochs.h"
#include "types/server_id.h"
#include "types/table_bucket.h"
#include "types/table_descriptor.h"

namespace fluss::cluster {

struct CoordinatorOptions {
  ServerId server_id{0};
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
// The result is the metadata store's record (raw server ids, as ZooKeeper keeps them).
std::vector<BucketAssignment> AssignReplicas(const std::vector<int32_t>& servers, int32_t buckets,
                                             int32_t replication_factor, int32_t start, int32_t shift);

// A bucket's leader-and-ISR record as the controller decides it: zk_znodes.h's LeaderAndIsr (raw
// integers, as ZooKeeper stores them) in the replication vocabulary. Converted only where the
// record is read from or written to the store.
struct BucketLeadership {
  ServerId leader = kNoServer;  // none: offline
  LeaderEpoch leader_epoch{0};
  std::vector<ServerId> isr;
  CoordinatorEpoch coordinator_epoch{0};  // of the coordinator that wrote it
  BucketEpoch bucket_epoch{0};
  bool operator==(const BucketLeadership&) const = default;

  static BucketLeadership FromRecord(const LeaderAndIsr& record);
  LeaderAndIsr ToRecord() const;
};

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
  // The epoch of this coordinator's latest activation.
  CoordinatorEpoch epoch() const { return epoch_.load(); }

  // ---- DDL (request threads) ----
  // The assignment of a new table: table.replication.factor or default.replication.factor replicas
  // per bucket over the live tablet servers. INVALID_REPLICATION_FACTOR when there are fewer live
  // servers; INVALID_COORDINATOR when this coordinator is not the active one.
  Result<std::vector<BucketAssignment>> Assign(const TablePath& path, const TableDescriptor& descriptor,
                                               int32_t buckets);
  // After the table is in ZooKeeper: creates each bucket's leader-and-ISR record and pushes it
  // (waits for the records; the pushes go on in the background).
  Status TableCreated(const TableRecord& record);
  // After the table left ZooKeeper: STOP_REPLICA (delete) to its replicas (its partitions' too).
  void TableDropped(const TableRecord& record);
  // A partition's buckets, like a table's: after its registration and assignment are in ZooKeeper,
  // creates each bucket's leader-and-ISR record at /tabletservers/partitions/<id>/buckets/<b>/
  // leader_isr and pushes it (waits for the records); after its drop, STOP_REPLICA (delete) to its
  // replicas.
  Status PartitionCreated(const TableRecord& table, const PartitionRecord& partition);
  void PartitionDropped(const TableRecord& table, const PartitionRecord& partition);

  // ---- tablet server requests ----
  Result<proto::AdjustIsrResponse> AdjustIsr(const proto::AdjustIsrRequest& request);
  Result<proto::ControlledShutdownResponse> ControlledShutdown(const proto::ControlledShutdownRequest& request);

  // The in-memory record of a bucket (nullopt: unknown). For tests and status.
  std::optional<BucketLeadership> BucketState(const TableBucket& bucket);

 private:
  struct Bucket {
    std::vector<ServerId> replicas;
    BucketLeadership lai;
    int32_t version = -1;  // of the record in ZooKeeper
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
  void OnBecameActive(CoordinatorEpoch epoch);
  void OnResigned();
  void OnLiveServers(std::vector<TabletServerInfo> servers);
  // Loads the records of `assignment`'s buckets (of the table, or of its partition); creates the
  // missing ones.
  void LoadBuckets(int64_t table_id, std::optional<int64_t> partition_id,
                   const std::vector<BucketAssignment>& assignment);
  Status CreateBucketRecords(int64_t table_id, std::optional<int64_t> partition_id,
                             const std::vector<BucketAssignment>& assignment);
  // STOP_REPLICA (delete) to the replicas of the buckets `which` selects, which are forgotten.
  void StopAndForget(const std::function<bool(const TableBucket&)>& which);
  std::optional<BucketLeadership> Decide(const Bucket& b) const;
  // Decides and writes every bucket; returns the changed ones.
  std::vector<TableBucket> ReconcileAll();
  Status Write(const TableBucket& id, Bucket& b, BucketLeadership next);
  void Push(ServerId server, std::vector<TableBucket> buckets, int attempt);
  void PushToReplicas(const std::vector<TableBucket>& buckets);
  void PushAll(ServerId server);
  void SendStopReplica(ServerId server, proto::StopReplicaRequest request, int attempt);
  bool Live(ServerId server) const { return live_.count(server) != 0; }
  bool ShuttingDown(ServerId server) const { return shutting_down_.count(server) != 0; }
  // Preferred-leader election (event thread): the periodic check of this activation (`epoch`), and
  // the move of the buckets whose preferred replica is `server`, once it answered the probe.
  void SchedulePreferredLeaderCheck(CoordinatorEpoch epoch);
  void CheckPreferredLeaders(CoordinatorEpoch epoch);
  void MovePreferredLeaders(ServerId server, CoordinatorEpoch epoch);
  // True when `b`'s leadership should move to its first replica now.
  bool PreferredLeaderEligible(const Bucket& b) const;
  std::shared_ptr<rpc::RpcClient> Client(ServerId server);
  void DropClient(ServerId server, const std::shared_ptr<rpc::RpcClient>& client);

  const std::shared_ptr<ZkMetadataStore> store_;
  const CoordinatorOptions options_;
  std::shared_ptr<rpc::RpcClientIo> io_;

  std::atomic<bool> active_{false};
  std::atomic<CoordinatorEpoch> epoch_{CoordinatorEpoch(0)};

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::multimap<Clock::time_point, std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;

  // Event-thread state.
  bool is_active_ = false;
  std::map<TableBucket, Bucket> buckets_;
  std::map<ServerId, TabletServerInfo> live_;
  std::set<ServerId> shutting_down_;
  std::map<ServerId, std::shared_ptr<rpc::RpcClient>> clients_;
};

}  // namespace fluss::cluster
