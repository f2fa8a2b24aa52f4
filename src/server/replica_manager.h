// ReplicaManager: the tablet server's map of bucket replicas (TableBucket -> Replica,
// replica/replica.h) and the routing of the multi-bucket requests to them. It opens a table's
// bucket logs when the table is added and makes one Replica per bucket; each request's buckets go
// through one loop (ForEachBucket) that finds the replica, answers UNKNOWN_TABLE_OR_BUCKET for a
// bucket this server has none of, and puts each replica's answer (or error) in the response.
//
// Standalone: every replica leads at once with this server as its whole ISR. Cluster mode
// (EnableReplication; `fluss-server --role tablet`): replicas wait for the coordinator's
// NOTIFY_LEADER_AND_ISR (BecomeLeaderOrFollower); this manager keeps the highest coordinator epoch
// seen, starts and stops the follower fetchers (ReplicaFetcherManager) and runs the ISR thread that
// sends the replicas' ISR proposals to the coordinator (ADJUST_ISR). Primary-key tables keep their
// whole changelog in cluster mode (a new leader rebuilds its KV state from it).
//
// Beside the map: the SCAN_KV sessions (replica/kv_scan_sessions.h) and the retention holds of
// lake-enabled tables (replica/lake_retention_holds.h). README.md of this directory and
// docs/formats/replication.md describe replication.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "kv/kv_tablet.h"
#include "log/log_manager.h"
#include "metadata/metadata_store.h"
#include "server/replica/kv_scan_sessions.h"
#include "server/replica/lake_retention_holds.h"
#include "server/replica/replica.h"
#include "server/replica/served_table.h"
#include "server/tiered_offsets.h"
#include "types/epochs.h"
#include "types/log_offset.h"
#include "types/schema.h"
#include "types/server_id.h"
#include "types/table_bucket.h"

namespace fluss {

class ReplicaFetcherManager;

// Cluster mode: host:port of a tablet server by id (nullopt: not known / not alive).
using ServerResolver = std::function<std::optional<std::pair<std::string, uint16_t>>(ServerId server_id)>;
// Cluster mode: sends ADJUST_ISR to the coordinator and returns its answer.
using AdjustIsrSender = std::function<Result<proto::AdjustIsrResponse>(const proto::AdjustIsrRequest&)>;

// What a cluster-mode tablet server needs for replication (ReplicaManager::EnableReplication).
struct ReplicationOptions {
  ServerId server_id{0};
  int64_t max_lag_ms = 30 * 1000;          // log.replica.max-lag-time
  int32_t min_insync_replicas = 1;         // log.replica.min-in-sync-replicas-number
  int64_t fetch_max_bytes = 16LL << 20;    // log.replica.fetch.max-bytes
  int64_t fetch_wait_max_ms = 500;         // log.replica.fetch.wait-max-time
  int64_t fetch_backoff_ms = 1000;         // log.replica.fetch.backoff-interval
  ServerResolver resolve_server;
  AdjustIsrSender adjust_isr;
  // The high watermark of a bucket moved, or its leadership ended (wakes parked client fetches and
  // acks=-1 writes).
  std::function<void(TableBucket)> on_high_watermark;
};

// The outcome of one fetch attempt.
struct FetchResult {
  proto::FetchLogResponse response;
  int64_t bytes = 0;        // record bytes in the response
  bool has_error = false;   // some bucket answered with an error (answer now, do not wait)
};

class ReplicaManager {
 public:
  // `on_append` is told of every bucket that got new data (wakes waiting fetches).
  ReplicaManager(LogManager* logs, std::shared_ptr<KvResources> kv_resources,
                 std::function<void(TableBucket)> on_append);
  ~ReplicaManager();
  ReplicaManager(const ReplicaManager&) = delete;
  ReplicaManager& operator=(const ReplicaManager&) = delete;

  // Cluster mode: call before AddTable. Starts the ISR maintenance thread; the fetchers start as
  // buckets become followers. Tables added afterwards wait for BecomeLeaderOrFollower.
  void EnableReplication(ReplicationOptions options);
  bool cluster_mode() const { return cluster_; }
  // Stops fetchers and the ISR thread (before the logs close). Idempotent.
  void StopReplication();

  // NOTIFY_LEADER_AND_ISR (tables must have been added; `unknown_tables` are answered
  // UNKNOWN_TABLE_OR_BUCKET). INVALID_COORDINATOR for a coordinator epoch below the highest seen.
  Result<proto::NotifyLeaderAndIsrResponse> BecomeLeaderOrFollower(const proto::NotifyLeaderAndIsrRequest& request,
                                                                   const std::set<int64_t>& unknown_tables = {});
  // STOP_REPLICA: the bucket stops serving (and with delete loses its log data and KV state).
  Result<proto::StopReplicaResponse> StopReplica(const proto::StopReplicaRequest& request);
  // The bucket's role and state (tests, status).
  using ReplicaInfo = Replica::Info;
  std::optional<ReplicaInfo> GetReplicaInfo(const TableBucket& bucket) const;
  CoordinatorEpoch coordinator_epoch() const { return coordinator_epoch_.load(); }

  // acks=-1: a write that waits for the high watermark (Produce / PutKv fill these).
  struct PendingAck {
    size_t index = 0;  // of the bucket in the response
    TableBucket bucket;
    LeaderEpoch leader_epoch = kNoLeaderEpoch;
    LogOffset required_offset;  // the high watermark that acknowledges it
  };
  using AckState = ::fluss::AckState;
  AckState CheckAck(const PendingAck& ack) const;

  // A follower's FETCH_LOG (follower_server_id >= 0): records each bucket's fetch offset as that
  // follower's log end, moves the high watermark and notes ISR candidates. Before Fetch.
  void RecordFollowerFetch(const proto::FetchLogRequest& request);

  // ---- for the ReplicaFetcher (a follower's side; see Replica) ----
  using FollowerPosition = Replica::FollowerPosition;
  std::optional<FollowerPosition> FollowerFetchPosition(const TableBucket& bucket, LeaderEpoch leader_epoch) const;
  Status TruncateFollower(const TableBucket& bucket, LeaderEpoch leader_epoch,
                          const proto::PbFetchLogRespForBucket& resp);
  Status ApplyFetched(const TableBucket& bucket, LeaderEpoch leader_epoch, LogOffset fetch_offset,
                      const proto::PbFetchLogRespForBucket& resp);

  // Opens (creating when absent) the logs of every bucket of `table` and its replicas; idempotent (a
  // table added again, with a new schema, keeps its replicas and hands them the new schema). A
  // partitioned table has no buckets of its own: it is registered here, and its partitions' buckets
  // open with AddPartition. A failure part way removes what this call created.
  Status AddTable(const TableRecord& table, std::map<int32_t, Schema> schemas);
  // Forgets the table and deletes its logs and KV state (its partitions' too).
  Status DropTable(int64_t table_id);
  std::shared_ptr<const ServedTable> GetTable(int64_t table_id) const;

  // Opens (creating when absent) the bucket logs of `partition` of its (added, partitioned) table at
  // `{db}/{table}-{table_id}/{partition_name}-p{partition_id}/log-{b}` (KV state beside them as
  // `kv-{b}`) and makes one replica per bucket, keyed by TableBucket with the partition id; they
  // lead at once on a standalone server, and wait for NOTIFY_LEADER_AND_ISR in cluster mode.
  // Idempotent. UNKNOWN_TABLE_OR_BUCKET when the table is not added here, TABLE_NOT_PARTITIONED when
  // it has no partitions; a failure part way removes what this call created.
  Status AddPartition(const PartitionRecord& partition);
  // Stops the partition's replicas and deletes its logs, KV state and directory. A partition not
  // here is done.
  Status DropPartition(int64_t partition_id);
  // The partition ids of `table_id` this server holds replicas of, ascending.
  std::vector<int64_t> PartitionsOf(int64_t table_id) const;
  // The replica of `bucket`, or null.
  std::shared_ptr<Replica> GetReplica(const TableBucket& bucket) const;

  // PRODUCE_LOG: appends each bucket's batches; per-bucket errors in the response. With acks=-1,
  // `pending` gets the buckets still waiting for the high watermark.
  proto::ProduceLogResponse Produce(const std::shared_ptr<proto::ProduceLogRequest>& request,
                                    std::vector<PendingAck>* pending = nullptr);
  // One FETCH_LOG attempt, reading what is there now.
  FetchResult Fetch(const proto::FetchLogRequest& request) const;
  // LIST_OFFSETS.
  proto::ListOffsetsResponse ListOffsets(const proto::ListOffsetsRequest& request) const;

  // PUT_KV: applies each bucket's KvRecordBatch (per-bucket errors in the response).
  proto::PutKvResponse PutKv(const proto::PutKvRequest& request, std::vector<PendingAck>* pending = nullptr);
  // LOOKUP and PREFIX_LOOKUP.
  proto::LookupResponse Lookup(const proto::LookupRequest& request) const;
  proto::PrefixLookupResponse PrefixLookup(const proto::PrefixLookupRequest& request) const;
  // SCAN_KV: opens, continues or closes a scanner session.
  proto::ScanKvResponse ScanKv(const proto::ScanKvRequest& request);
  // Flushes the RocksDB of every primary-key bucket (shutdown; the log stays the source of truth).
  Status FlushKv();

  // Where the lake's tiered offsets come from. Without one, lake-enabled tables delete nothing.
  void SetTieredOffsetsProvider(TieredOffsetsProvider provider);
  // Moves the lake retention holds of every lake-enabled table (LakeRetentionHolds::Update). Run
  // before each retention pass (LogManager::SetBeforeRetention).
  void UpdateLakeRetentionHolds();

 private:
  // The replica of `bucket`, or UNKNOWN_TABLE_OR_BUCKET naming the table or the bucket.
  Result<std::shared_ptr<Replica>> FindReplica(const TableBucket& bucket) const;
  // The per-bucket loop of every multi-bucket request: for each entry of `reqs` adds an entry to
  // `resps` naming its bucket (bucket and partition id, or a PbTableBucket), finds the replica of
  // `bucket_of(req)`, and unless `request_error` is set calls `serve(req, replica, resp)` — or, when
  // this server has no such replica, `missing(req, not_found)` (default: not_found, i.e.
  // UNKNOWN_TABLE_OR_BUCKET). A failed status is the entry's error. Returns whether any entry has one.
  template <typename Reqs, typename Resps, typename BucketOf, typename Serve, typename Missing>
  bool ForEachBucket(const Reqs& reqs, Resps* resps, BucketOf bucket_of, const Status& request_error, Serve serve,
                     Missing missing) const;
  template <typename Reqs, typename Resps, typename BucketOf, typename Serve>
  bool ForEachBucket(const Reqs& reqs, Resps* resps, BucketOf bucket_of, const Status& request_error,
                     Serve serve) const;
  // Every replica of the table, or of its partition `partition_id` (index = bucket); empty when
  // unknown.
  std::vector<std::shared_ptr<Replica>> ReplicasOf(int64_t table_id,
                                                   std::optional<int64_t> partition_id = std::nullopt) const;
  // Opens the bucket logs and replicas of `served` (of its partition `partition`, when set), reusing
  // the replicas in `previous` (index = bucket). On failure removes what it created, and
  // `container_dir` (relative) when this call made it.
  Result<std::vector<std::shared_ptr<Replica>>> OpenBuckets(const std::shared_ptr<const ServedTable>& served,
                                                            const PartitionRecord* partition,
                                                            const std::vector<std::shared_ptr<Replica>>& previous);
  // Stops and deletes `replicas` (their KV state; scan sessions and fetchers end first) and drops
  // the logs in `log_dirs`, then removes `dir` (relative) with whatever is left in it.
  Status DeleteReplicas(const std::vector<std::shared_ptr<Replica>>& replicas, const std::vector<std::string>& log_dirs,
                        const std::string& dir);
  // Remembers the highest coordinator epoch seen; INVALID_COORDINATOR for an older one (a deposed
  // coordinator) or on a standalone server.
  Status AcceptCoordinatorEpoch(CoordinatorEpoch epoch);
  void IsrLoop();
  void MaintainIsr();

  bool cluster_ = false;
  ReplicationOptions repl_;
  ReplicaContext context_;  // what every replica shares
  std::atomic<CoordinatorEpoch> coordinator_epoch_{kNoCoordinatorEpoch};
  std::unique_ptr<ReplicaFetcherManager> fetchers_;
  std::mutex isr_mu_;
  std::condition_variable isr_cv_;
  bool isr_stop_ = false;
  bool isr_wake_ = false;
  std::thread isr_thread_;

  LogManager* logs_;
  KvScanSessions scans_;  // a session keeps its KV tablet open until it ends
  LakeRetentionHolds lake_holds_;
  // A partition whose replicas are here.
  struct ServedPartition {
    int64_t table_id = -1;
    std::string name;
  };

  mutable std::shared_mutex mu_;  // guards the three maps
  std::map<int64_t, std::shared_ptr<const ServedTable>> tables_;
  std::map<int64_t, ServedPartition> partitions_;  // by partition id
  std::unordered_map<TableBucket, std::shared_ptr<Replica>> replicas_;
};

}  // namespace fluss
