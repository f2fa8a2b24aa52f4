// Replica: one bucket of one table on this tablet server — its log (LogTablet), for a primary-key
// table its KV state (KvTablet, only while it leads), its role, leader epoch, replica set, ISR, the
// log end of each follower and so the high watermark. It answers the bucket's part of PRODUCE_LOG,
// FETCH_LOG, LIST_OFFSETS, PUT_KV, LOOKUP and PREFIX_LOOKUP, and the replication calls for it.
//
// One code path for every mode: a standalone server makes each replica a leader whose replica set
// and ISR are this server alone (leader epoch -1: no coordinator), so the high watermark moves with
// every append; in a cluster the coordinator's NOTIFY_LEADER_AND_ISR makes it leader or follower.
//
// - Leader: serves clients (fetches read below the high watermark), takes its followers' log ends
//   from their fetches, moves the high watermark to the smallest log end of the ISR, proposes ISR
//   shrinks and expansions (ReplicaManager sends them to the coordinator). A primary-key leader
//   rebuilds its KV state from the changelog when it becomes leader (LEADER_NOT_AVAILABLE until then).
// - Follower: answers clients NOT_LEADER_OR_FOLLOWER; the ReplicaFetcher truncates it to where its
//   latest leader epoch ends on the leader and appends what it fetches. Its KV state is deleted (a
//   truncation may remove records that state holds).
// README.md of this directory and docs/formats/replication.md describe the rules.
//
// Thread-safety: every method is thread-safe. Writes to the log and role changes are serialized by
// the replica (write_mu_); reads of its state take a short lock (mu_) and never wait for an append.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "format/kv_record_batch.h"
#include "kv/kv_tablet.h"
#include "log/log_tablet.h"
#include "server/replica/served_table.h"
#include "types/table_bucket.h"

namespace fluss {

class KvScanSessions;

enum class ReplicaRole { kNone, kLeader, kFollower };

// What the replicas of one server share. Owned by ReplicaManager, which outlives its replicas.
struct ReplicaContext {
  int32_t server_id = 0;            // this server (standalone: 0, its only replica)
  int32_t min_insync_replicas = 1;  // acks=-1 needs at least this many in the ISR
  std::shared_ptr<KvResources> kv_resources;
  KvScanSessions* scans = nullptr;  // sessions of a KV tablet end before it closes
  // A bucket got new data (wakes parked fetches).
  std::function<void(const TableBucket&)> on_append;
  // A bucket's high watermark moved above its log end at the last append, or its leadership
  // changed (wakes parked client fetches and acks=-1 writes). May be empty.
  std::function<void(const TableBucket&)> on_high_watermark;
};

// The leadership of a bucket as the coordinator assigns it (NOTIFY_LEADER_AND_ISR), or a standalone
// server's own (leader = this server, epochs -1, replicas = ISR = this server).
struct LeaderAndIsrState {
  int32_t leader = -1;
  int32_t leader_epoch = -1;  // -1: no coordinator; nothing is recorded in the leader-epoch cache
  int32_t bucket_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

// acks=-1: the state of a write that waits for the high watermark.
enum class AckState { kPending, kDone, kNotLeader };

class Replica {
 public:
  // `log` is the bucket's log (open); `kv_dir` where its KV state lives (primary-key tables). The
  // replica starts with no role.
  Replica(TableBucket id, std::shared_ptr<const ServedTable> table, std::shared_ptr<LogTablet> log,
          std::string kv_dir, const ReplicaContext* context);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  const TableBucket& id() const { return id_; }
  const std::shared_ptr<LogTablet>& log() const { return log_; }
  std::shared_ptr<const ServedTable> table() const;
  // A new version of the table (a new schema): the KV state learns the new schemas.
  void UpdateTable(std::shared_ptr<const ServedTable> table);

  // ---- leadership ----
  // A notify for the leadership this replica already has: FENCED_LEADER_EPOCH for an older leader
  // epoch; for the same epoch and role, the ISR and replica set (when the bucket epoch is not older)
  // are taken and true returned. False: a change of leadership (BecomeLeader / BecomeFollower next).
  Result<bool> UpdateLeadership(const LeaderAndIsrState& state);
  // Leads at `state.leader_epoch` (recorded in the log's leader-epoch cache from the log end unless
  // -1). A primary-key table's KV state is rebuilt from the changelog before puts and lookups are
  // served; its error is returned (the replica stays leader and answers LEADER_NOT_AVAILABLE).
  Status BecomeLeader(const LeaderAndIsrState& state);
  // Follows `state.leader`: clients are refused, the KV state is deleted.
  Status BecomeFollower(const LeaderAndIsrState& state);
  // STOP_REPLICA: stops serving (FENCED_LEADER_EPOCH when `leader_epoch` >= 0 is older than the
  // replica's). With `delete_data` its log is emptied and its KV state deleted.
  Status Stop(int32_t leader_epoch, bool delete_data);
  // The table is dropped: no role, KV state deleted (the log is ReplicaManager's to delete).
  void Delete();
  bool deleted() const;

  struct Info {
    ReplicaRole role = ReplicaRole::kNone;
    int32_t leader_id = -1, leader_epoch = -1, bucket_epoch = -1;
    std::vector<int32_t> isr;
    int64_t high_watermark = -1, log_end_offset = -1;
  };
  Info info() const;

  // ---- clients ----
  // What an append answers: its first offset, and for acks=-1 the high watermark that acknowledges
  // it when the high watermark does not yet (0: acknowledged now).
  struct Appended {
    int64_t base_offset = 0;
    int32_t leader_epoch = -1;
    int64_t awaits_high_watermark = 0;
  };
  // PRODUCE_LOG for this bucket: every batch must name a schema of the table; leader only; acks=-1
  // needs min_insync_replicas in the ISR (NOT_ENOUGH_REPLICAS). `records` are appended as they are.
  Result<Appended> Produce(const Buffer& records, int32_t acks);
  // FETCH_LOG for this bucket: reads from `req.fetch_offset()` below the high watermark (a
  // follower's fetch, `follower_fetch`: below the log end, with the leader-epoch cache and the
  // truncation-epoch answer), at most min(req.max_fetch_bytes, budget) bytes; `projection`
  // (ascending column indexes of the latest schema) or null. Fills `resp`; sets `answer_now` for a
  // truncation-epoch answer. An error leaves `resp` without records.
  Status Fetch(const proto::PbFetchLogReqForBucket& req, bool follower_fetch, const std::vector<size_t>* projection,
               int64_t budget, proto::PbFetchLogRespForBucket* resp, bool* answer_now) const;
  // LIST_OFFSETS for this bucket: earliest, latest (the high watermark) or by timestamp. Latest and
  // timestamp answer LEADER_NOT_AVAILABLE (retriable) while the high watermark is below the start of
  // this leader's epoch: a new leader's high watermark is where it was as a follower, possibly below
  // writes the previous leader acknowledged, until every in-sync follower has fetched from it; an
  // offset below those writes would make them look lost.
  Result<int64_t> ListOffset(int32_t offset_type, std::optional<int64_t> timestamp) const;
  // PUT_KV for this bucket (leader with KV state): parses `records` (a KvRecordBatch) and applies it;
  // the changelog end after it.
  struct Put {
    int64_t log_end_offset = 0;
    int32_t leader_epoch = -1;
    int64_t awaits_high_watermark = 0;  // as Appended
  };
  Result<Put> PutKv(std::string_view records, const std::vector<int32_t>& target_columns, int32_t acks);
  // LOOKUP / PREFIX_LOOKUP for this bucket: one value (or none) per key; every value per prefix.
  Result<std::vector<std::optional<std::string>>> Lookup(const std::vector<std::string>& keys) const;
  Result<std::vector<std::vector<std::string>>> PrefixLookup(const std::vector<std::string>& prefixes) const;
  // The KV state of a primary-key leader, or the error to answer (NON_PRIMARY_KEY_TABLE,
  // NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE while rebuilding).
  Result<std::shared_ptr<KvTablet>> LeaderKv() const;
  // acks=-1: whether the high watermark reached `required_offset` while leading at `leader_epoch`.
  AckState CheckAck(int32_t leader_epoch, int64_t required_offset) const;
  // Flushes the KV state, if open.
  Status FlushKv() const;

  // ---- replication, leader side ----
  // A follower's fetch at `fetch_offset` (its log end): moves the high watermark; true when the
  // follower is now a candidate to join the ISR (the ISR check should run).
  bool RecordFollowerFetch(int32_t follower, int64_t fetch_offset, std::optional<int32_t> current_leader_epoch,
                           std::chrono::steady_clock::time_point now);
  // An ISR change to propose to the coordinator: members that have not caught up for `max_lag` go,
  // followers caught up to the high watermark (and the epoch start) join. None when it is unchanged.
  struct IsrProposal {
    int32_t leader_epoch = -1;
    int32_t bucket_epoch = -1;
    std::vector<int32_t> isr;
  };
  std::optional<IsrProposal> ProposeIsr(std::chrono::steady_clock::time_point now,
                                        std::chrono::milliseconds max_lag) const;
  // The coordinator's answer to `proposal`: the new ISR (and bucket epoch), or an error; after
  // INVALID_UPDATE_VERSION or FENCED_LEADER_EPOCH no change is proposed until the next notify.
  void ApplyIsrResponse(const IsrProposal& proposal, const proto::PbAdjustIsrRespForBucket& resp);

  // ---- replication, follower side ----
  struct FollowerPosition {
    int64_t log_end_offset = 0;
    int32_t latest_epoch = -1;
  };
  // The log end and latest local epoch while this replica follows at `leader_epoch`.
  std::optional<FollowerPosition> FollowerFetchPosition(int32_t leader_epoch) const;
  // Truncates after the leader's truncation-epoch answer (docs/formats/replication.md).
  Status TruncateFollower(int32_t leader_epoch, const proto::PbFetchLogRespForBucket& resp);
  // Appends fetched records (fetched at `fetch_offset`), follows the leader's epochs and high watermark.
  Status ApplyFetched(int32_t leader_epoch, int64_t fetch_offset, const proto::PbFetchLogRespForBucket& resp);

 private:
  struct Follower {
    int64_t log_end_offset = -1;  // from its last fetch; -1 unknown
    std::chrono::steady_clock::time_point last_caught_up;
    std::chrono::steady_clock::time_point last_fetch;
    int64_t leader_end_at_last_fetch = -1;
  };

  Status NotLeader() const;
  // REQUIRES mu_: takes the leadership fields of `state` and resets the followers.
  void TakeLeadershipLocked(const LeaderAndIsrState& state, ReplicaRole role);
  // REQUIRES mu_: moves the high watermark to the smallest log end of the ISR; true if it moved.
  bool AdvanceHighWatermarkLocked();
  // REQUIRES write_mu_ and mu_: closes and deletes the KV state (or a store left on disk).
  void DropKvLocked();
  // REQUIRES mu_: acks=-1 with fewer in-sync replicas than required.
  Status CheckMinIsrLocked(int32_t acks) const;
  // REQUIRES mu_, leader: LEADER_NOT_AVAILABLE while the high watermark is below the epoch start.
  Status CheckHighWatermarkCaughtUpLocked() const;
  void NotifyHighWatermark() const;

  const TableBucket id_;
  const std::shared_ptr<LogTablet> log_;
  const std::string kv_dir_;
  const ReplicaContext* const context_;

  std::mutex write_mu_;  // appends, truncations and role changes, one at a time; taken before mu_
  mutable std::mutex mu_;  // guards everything below
  std::shared_ptr<const ServedTable> table_;
  ReplicaRole role_ = ReplicaRole::kNone;
  int32_t leader_id_ = -1;
  int32_t leader_epoch_ = -1;
  int32_t bucket_epoch_ = -1;
  std::vector<int32_t> replicas_;
  std::vector<int32_t> isr_;
  std::map<int32_t, Follower> followers_;  // leader: every other replica
  bool isr_fenced_ = false;  // the coordinator refused an ISR change: wait for its next notify
  bool deleted_ = false;     // StopReplica with delete, or the table dropped
  int64_t epoch_start_offset_ = 0;  // leader: the log end when it became leader
  std::shared_ptr<KvTablet> kv_;    // primary-key leader, once rebuilt
};

}  // namespace fluss
