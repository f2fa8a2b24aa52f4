// ReplicaManager: the tablet-server data plane of a standalone server. It holds the bucket logs of
// every table (one replica each, this server the leader), appends produced batches, serves fetches
// (with server-side column projection on the stored Arrow batches) and lists offsets. In standalone
// mode the single replica is the whole ISR, so the high watermark moves with every append.
// Primary-key tables also get a KvTablet per bucket (RocksDB at `{db}/{table}-{id}/kv-{bucket}`,
// beside the log, which is the table's changelog): PutKv, Lookup, PrefixLookup and ScanKv sessions
// (a paged scan of a RocksDB snapshot that tells the changelog offset it reflects).
//
// Lake-enabled tables (table.datalake.enabled=true): each bucket's log carries a retention hold at
// the lake's tiered offset (RetentionHold::kLakeTiered), so table.log.ttl and
// table.log.retention-size delete only segments the lake already holds. The hold starts at 0
// (nothing is deleted) and moves when UpdateLakeRetentionHolds hears from the TieredOffsetsProvider.
//
// Cluster mode (EnableReplication; `fluss-server --role tablet`): buckets start with no role and
// wait for the coordinator's NotifyLeaderAndIsr (BecomeLeaderOrFollower). A leader serves clients,
// tracks its followers' log end offsets from their fetches, moves the high watermark to the smallest
// log end of the ISR, shrinks/expands the ISR (AdjustIsr to the coordinator) and answers acks=-1
// writes once the high watermark covers them. A follower fetches from its leader (ReplicaFetcher),
// truncating first to where its latest leader epoch ends on the leader (never to the high watermark
// alone, which can drop acknowledged records); it answers clients NOT_LEADER_OR_FOLLOWER. Primary-key
// tables: only the leader has a KvTablet, rebuilt from the log when it becomes leader; a follower's
// RocksDB is deleted. README.md of this directory and docs/formats/replication.md describe it.
//
// Thread-safety: all methods are thread-safe. Appends to one bucket are serialized by its LogTablet.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <condition_variable>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "kv/kv_tablet.h"
#include "log/log_manager.h"
#include "metadata/metadata_store.h"
#include "server/delayed_fetch.h"
#include "server/tiered_offsets.h"
#include "types/schema.h"

namespace fluss {

class ReplicaFetcherManager;

// Cluster mode: host:port of a tablet server by id (nullopt: not known / not alive).
using ServerResolver = std::function<std::optional<std::pair<std::string, uint16_t>>(int32_t server_id)>;
// Cluster mode: sends ADJUST_ISR to the coordinator and returns its answer.
using AdjustIsrSender = std::function<Result<proto::AdjustIsrResponse>(const proto::AdjustIsrRequest&)>;

enum class ReplicaRole { kNone, kLeader, kFollower };

// What a cluster-mode tablet server needs for replication (ReplicaManager::EnableReplication).
struct ReplicationOptions {
  int32_t server_id = 0;
  int64_t max_lag_ms = 30 * 1000;          // log.replica.max-lag-time
  int32_t min_insync_replicas = 1;         // log.replica.min-in-sync-replicas-number
  int64_t fetch_max_bytes = 16LL << 20;    // log.replica.fetch.max-bytes
  int64_t fetch_wait_max_ms = 500;         // log.replica.fetch.wait-max-time
  int64_t fetch_backoff_ms = 1000;         // log.replica.fetch.backoff-interval
  ServerResolver resolve_server;
  AdjustIsrSender adjust_isr;
  // The high watermark of a bucket moved, or its leadership ended (wakes parked client fetches and
  // acks=-1 writes).
  std::function<void(TableBucketId)> on_high_watermark;
};

// The replication state of one bucket on this server. Standalone: always leader, ISR = itself.
struct BucketReplica {
  struct Follower {
    int64_t log_end_offset = -1;  // from its last fetch; -1 unknown
    std::chrono::steady_clock::time_point last_caught_up;
    std::chrono::steady_clock::time_point last_fetch;
    int64_t leader_end_at_last_fetch = -1;
  };
  mutable std::mutex mu;  // guards everything below
  ReplicaRole role = ReplicaRole::kNone;
  int32_t leader_id = -1;
  int32_t leader_epoch = -1;
  int32_t bucket_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::map<int32_t, Follower> followers;  // leader: every other replica
  bool isr_fenced = false;                // the coordinator refused an ISR change: wait for its next notify
  bool deleted = false;                   // StopReplica with delete
  int64_t epoch_start_offset = 0;         // leader: the log end when it became leader
  std::shared_ptr<KvTablet> kv;           // primary-key leader, once rebuilt (cluster mode)
};

// What the data plane knows of one table.
struct ServedTable {
  TableRecord record;
  std::map<int32_t, Schema> schemas;  // every schema id the table had
  std::vector<std::shared_ptr<LogTablet>> buckets;
  std::vector<std::shared_ptr<KvTablet>> kv;  // standalone primary-key tables: one per bucket; else empty
  std::vector<std::shared_ptr<BucketReplica>> replica;  // one per bucket
  bool primary_key = false;
  KvTabletOptions kv_options;                 // primary-key tables (bucket_id set per bucket)
  bool lake_enabled = false;                  // table.datalake.enabled=true
  bool has_primary_key() const { return primary_key; }
  const Schema& latest_schema() const { return schemas.rbegin()->second; }
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
                 std::function<void(TableBucketId)> on_append);
  ~ReplicaManager();

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
  struct ReplicaInfo {
    ReplicaRole role = ReplicaRole::kNone;
    int32_t leader_id = -1, leader_epoch = -1, bucket_epoch = -1;
    std::vector<int32_t> isr;
    int64_t high_watermark = -1, log_end_offset = -1;
  };
  std::optional<ReplicaInfo> GetReplicaInfo(TableBucketId bucket) const;
  int32_t coordinator_epoch() const { return coordinator_epoch_.load(); }

  // acks=-1: a write that waits for the high watermark (Produce / PutKv fill these).
  struct PendingAck {
    size_t index = 0;            // of the bucket in the response
    TableBucketId bucket;
    int32_t leader_epoch = -1;
    int64_t required_offset = 0;  // the high watermark that acknowledges it
  };
  enum class AckState { kPending, kDone, kNotLeader };
  AckState CheckAck(const PendingAck& ack) const;

  // A follower's FETCH_LOG (follower_server_id >= 0): records each bucket's fetch offset as that
  // follower's log end, moves the high watermark and notes ISR candidates. Before Fetch.
  void RecordFollowerFetch(const proto::FetchLogRequest& request);

  // ---- for the ReplicaFetcher (a follower's side) ----
  // The follower's log end offset and latest local epoch while it still follows `leader_epoch`.
  struct FollowerPosition {
    int64_t log_end_offset = 0;
    int32_t latest_epoch = -1;
  };
  std::optional<FollowerPosition> FollowerFetchPosition(TableBucketId bucket, int32_t leader_epoch) const;
  // Truncates after a truncation_epoch answer (see docs/formats/replication.md).
  Status TruncateFollower(TableBucketId bucket, int32_t leader_epoch, const proto::PbFetchLogRespForBucket& resp);
  // Appends fetched records (AppendAsFollower), follows the leader's epoch cache and high watermark.
  Status ApplyFetched(TableBucketId bucket, int32_t leader_epoch, int64_t fetch_offset,
                      const proto::PbFetchLogRespForBucket& resp);

  // Opens (creating when absent) the logs of every bucket of `table`; idempotent.
  Status AddTable(const TableRecord& table, std::map<int32_t, Schema> schemas);
  // Forgets the table and deletes its logs.
  Status DropTable(int64_t table_id);
  std::shared_ptr<const ServedTable> GetTable(int64_t table_id) const;

  // PRODUCE_LOG: appends each bucket's batches; per-bucket errors in the response. Cluster mode with
  // acks=-1: `pending` gets the buckets still waiting for the high watermark.
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
  // Asks the provider once per lake-enabled table and moves the table's bucket holds to the offsets
  // it answers. A failed read, or an offset past the bucket's log end (a lake that is not this
  // table's log), holds the whole bucket (hold 0) and logs a warning at most once a minute per
  // table. Run before each retention pass (LogManager::SetBeforeRetention).
  void UpdateLakeRetentionHolds();

 private:
  // The KV tablet of a bucket, or the error to answer.
  Result<std::shared_ptr<KvTablet>> KvBucket(int64_t table_id, bool has_partition, int32_t bucket) const;
  // Cluster mode: NOT_LEADER_OR_FOLLOWER unless this server leads the bucket. OK in standalone.
  Status CheckLeader(const ServedTable& table, int32_t bucket) const;
  // Cluster mode, REQUIRES replica.mu: moves the high watermark to the smallest log end of the ISR.
  void MaybeAdvanceHighWatermarkLocked(TableBucketId id, BucketReplica& replica, LogTablet& log);
  Status MakeLeader(const std::shared_ptr<ServedTable>& table, int32_t bucket,
                    const proto::PbNotifyLeaderAndIsrReqForBucket& req);
  Status MakeFollower(const std::shared_ptr<ServedTable>& table, int32_t bucket,
                      const proto::PbNotifyLeaderAndIsrReqForBucket& req);
  // Remembers the highest coordinator epoch seen; INVALID_COORDINATOR for an older one (a deposed
  // coordinator) or on a standalone server.
  Status AcceptCoordinatorEpoch(int32_t epoch);
  // Ends the scan sessions of a bucket (-1: all buckets) of a table.
  void EndScanSessions(int64_t table_id, int32_t bucket);
  // Closes (and deletes) the bucket's KV state. REQUIRES replica.mu.
  void DropKvLocked(const ServedTable& table, int32_t bucket, BucketReplica& replica);
  void IsrLoop();
  void MaintainIsr();
  std::string KvDir(const ServedTable& table, int32_t bucket) const;
  KvTabletOptions KvOptionsFor(const ServedTable& table, int32_t bucket) const;

  bool cluster_ = false;
  ReplicationOptions repl_;
  std::atomic<int32_t> coordinator_epoch_{-1};
  std::unique_ptr<ReplicaFetcherManager> fetchers_;
  std::mutex isr_mu_;
  std::condition_variable isr_cv_;
  bool isr_stop_ = false;
  bool isr_wake_ = false;
  std::thread isr_thread_;

  LogManager* logs_;
  std::shared_ptr<KvResources> kv_resources_;
  std::function<void(TableBucketId)> on_append_;
  mutable std::shared_mutex mu_;
  std::map<int64_t, std::shared_ptr<ServedTable>> tables_;

  std::mutex lake_mu_;  // guards the two below
  TieredOffsetsProvider tiered_offsets_;
  std::map<int64_t, std::chrono::steady_clock::time_point> lake_warned_;  // table id -> last warning

  struct ScanSession;
  std::mutex scan_mu_;
  std::map<std::string, std::shared_ptr<ScanSession>> scanners_;
  int64_t next_scanner_id_ = 1;
};

}  // namespace fluss
