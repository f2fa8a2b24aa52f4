#include "server/replica/replica.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "format/log_record_batch.h"
#include "rpc/api_keys.h"
#include "server/replica/kv_scan_sessions.h"

namespace fluss {

namespace {

Status StaleLeaderEpochError(const TableBucket& id, LeaderEpoch asked, LeaderEpoch known) {
  return Status(ErrorCode::kFencedLeaderEpoch,
                fmt::format("{}: leader epoch {} is older than {}", id.ToString(), asked, known));
}

// Follows the leader's epoch cache up to the follower's log end (our batch headers carry no epoch).
void FollowLeaderEpochCache(LogTablet& log, const proto::PbFetchLogRespForBucket& resp) {
  const int64_t end = log.log_end_offset();
  for (const auto& e : resp.leader_epochs()) {
    if (e.start_offset() > end) break;
    Status st = log.AssignLeaderEpoch(e.epoch(), e.start_offset());
    if (!st.ok()) {
      spdlog::warn("recording leader epoch {} at {} in '{}': {}", e.epoch(), e.start_offset(), log.dir(),
                   st.ToString());
    }
  }
}

bool ContainsServer(const std::vector<ServerId>& v, ServerId x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

Replica::Replica(TableBucket id, std::shared_ptr<const ServedTable> table, std::shared_ptr<LogTablet> log,
                 std::string kv_dir, const ReplicaContext* context)
    : id_(id), log_(std::move(log)), kv_dir_(std::move(kv_dir)), context_(context), table_(std::move(table)) {}

Replica::~Replica() = default;

std::shared_ptr<const ServedTable> Replica::table() const {
  std::lock_guard lock(mu_);
  return table_;
}

void Replica::UpdateTable(std::shared_ptr<const ServedTable> table) {
  std::lock_guard lock(mu_);
  if (kv_ != nullptr) {
    for (const auto& [id, schema] : table->schemas) {
      if (table_->schemas.count(id) == 0) kv_->AddSchema(id, schema);
    }
  }
  table_ = std::move(table);
}

Status Replica::NotLeader() const {
  return Status(ErrorCode::kNotLeaderOrFollower,
                fmt::format("this server is not the leader of {}", id_.ToString()));
}

void Replica::NotifyHighWatermark() const {
  if (context_->on_high_watermark) context_->on_high_watermark(id_);
}

// ---- leadership ---------------------------------------------------------------------------------

Result<bool> Replica::UpdateLeadership(const LeaderAndIsrState& state) {
  const bool lead = state.leader == context_->server_id;
  bool moved = false;
  {
    std::lock_guard lock(mu_);
    if (state.leader_epoch < leader_epoch_) return StaleLeaderEpochError(id_, state.leader_epoch, leader_epoch_);
    if (state.leader_epoch != leader_epoch_ || deleted_ ||
        role_ != (lead ? ReplicaRole::kLeader : ReplicaRole::kFollower)) {
      return false;
    }
    // The same leadership: the ISR (and its version) only.
    if (state.bucket_epoch >= bucket_epoch_) {
      bucket_epoch_ = state.bucket_epoch;
      isr_ = state.isr;
      replicas_ = state.replicas;
      isr_fenced_ = false;
      if (lead) {
        for (ServerId member : replicas_) {
          if (member != context_->server_id && followers_.count(member) == 0) {
            followers_[member].last_caught_up = std::chrono::steady_clock::now();
          }
        }
        moved = AdvanceHighWatermarkLocked();
      }
    }
  }
  if (moved) NotifyHighWatermark();
  return true;
}

void Replica::TakeLeadershipLocked(const LeaderAndIsrState& state, ReplicaRole role) {
  role_ = role;
  leader_id_ = state.leader;
  leader_epoch_ = state.leader_epoch;
  bucket_epoch_ = state.bucket_epoch;
  replicas_ = state.replicas;
  isr_ = state.isr;
  isr_fenced_ = false;
  deleted_ = false;
  followers_.clear();
}

Status Replica::BecomeLeader(const LeaderAndIsrState& state) {
  std::shared_ptr<const ServedTable> table;
  {
    std::lock_guard write_lock(write_mu_);
    std::lock_guard lock(mu_);
    if (state.leader_epoch < leader_epoch_) {
      return StaleLeaderEpochError(id_, state.leader_epoch, leader_epoch_);  // raced
    }
    TakeLeadershipLocked(state, ReplicaRole::kLeader);
    epoch_start_offset_ = LogEnd();
    if (state.leader_epoch != kNoLeaderEpoch) {
      FLUSS_RETURN_NOT_OK(log_->AssignLeaderEpoch(state.leader_epoch.value(), epoch_start_offset_.value()));
    }
    const auto now = std::chrono::steady_clock::now();
    for (ServerId member : replicas_) {
      if (member != context_->server_id) followers_[member].last_caught_up = now;
    }
    if (kv_ != nullptr) {  // (cannot happen: a leader change passes through follower)
      if (context_->scans) context_->scans->EndBucket(id_);
      kv_.reset();
    }
    AdvanceHighWatermarkLocked();
    table = table_;
  }
  if (state.leader_epoch != kNoLeaderEpoch) {
    spdlog::info("leader of bucket {} of '{}' at epoch {} (log end {}, high watermark {}, isr [{}])", id_.bucket,
                 table->record.path.ToString(), state.leader_epoch, log_->log_end_offset(), log_->high_watermark(),
                 fmt::join(state.isr, ","));
  }
  NotifyHighWatermark();
  if (!table->has_primary_key()) return Status::OK();
  // The KV state is rebuilt from the log (KvTablet's catch-up) before puts and lookups are served.
  KvTabletOptions options = table->kv_options;
  options.bucket_id = id_.bucket;
  auto kv = KvTablet::Open(kv_dir_, log_, table->schemas, options, context_->kv_resources);
  if (!kv.ok()) {
    spdlog::error("rebuilding the KV state of bucket {} of '{}': {}", id_.bucket, table->record.path.ToString(),
                  kv.status().ToString());
    return kv.status();
  }
  std::shared_ptr<KvTablet> tablet(kv->release());
  std::lock_guard write_lock(write_mu_);
  std::lock_guard lock(mu_);
  if (role_ != ReplicaRole::kLeader || leader_epoch_ != state.leader_epoch) {
    (void)tablet->Destroy();  // it stopped leading meanwhile
    return Status::OK();
  }
  for (const auto& [schema_id, schema] : table_->schemas) {
    if (table->schemas.count(schema_id) == 0) tablet->AddSchema(schema_id, schema);  // a schema added meanwhile
  }
  kv_ = std::move(tablet);
  return Status::OK();
}

Status Replica::BecomeFollower(const LeaderAndIsrState& state) {
  std::string path;
  {
    std::lock_guard write_lock(write_mu_);
    std::lock_guard lock(mu_);
    if (state.leader_epoch < leader_epoch_) {
      return StaleLeaderEpochError(id_, state.leader_epoch, leader_epoch_);  // raced
    }
    TakeLeadershipLocked(state, ReplicaRole::kFollower);
    DropKvLocked();
    path = table_->record.path.ToString();
  }
  spdlog::info("follower of bucket {} of '{}' at epoch {} (leader {})", id_.bucket, path, state.leader_epoch,
               state.leader);
  NotifyHighWatermark();  // parked acks=-1 writes answer NOT_LEADER_OR_FOLLOWER
  return Status::OK();
}

Status Replica::Stop(std::optional<LeaderEpoch> leader_epoch, bool delete_data) {
  std::lock_guard write_lock(write_mu_);
  std::lock_guard lock(mu_);
  if (leader_epoch && *leader_epoch < leader_epoch_) return StaleLeaderEpochError(id_, *leader_epoch, leader_epoch_);
  role_ = ReplicaRole::kNone;
  followers_.clear();
  if (delete_data) {
    DropKvLocked();
    Status st = log_->TruncateFullyAndStartAt(0);
    deleted_ = true;
    leader_epoch_ = kNoLeaderEpoch;
    bucket_epoch_ = kNoBucketEpoch;
    return st;
  }
  if (kv_ != nullptr) {
    if (context_->scans) context_->scans->EndBucket(id_);
    kv_.reset();  // closes the store; it stays on disk
  }
  return Status::OK();
}

void Replica::Delete() {
  std::lock_guard write_lock(write_mu_);
  std::lock_guard lock(mu_);
  role_ = ReplicaRole::kNone;
  deleted_ = true;
  followers_.clear();
  DropKvLocked();
}

bool Replica::deleted() const {
  std::lock_guard lock(mu_);
  return deleted_;
}

void Replica::DropKvLocked() {
  if (!table_->has_primary_key()) return;
  if (context_->scans) context_->scans->EndBucket(id_);
  if (kv_ != nullptr) {
    Status st = kv_->Destroy();
    if (!st.ok()) {
      spdlog::warn("deleting the KV state of bucket {} of '{}': {}", id_.bucket, table_->record.path.ToString(),
                   st.ToString());
    }
    kv_.reset();
    return;
  }
  // A store left from an earlier run as leader: its state may hold records a truncation removes.
  std::error_code ec;
  std::filesystem::remove_all(kv_dir_, ec);
  if (ec) spdlog::warn("deleting '{}': {}", kv_dir_, ec.message());
}

Replica::Info Replica::info() const {
  std::lock_guard lock(mu_);
  Info info;
  info.role = role_;
  info.leader_id = leader_id_;
  info.leader_epoch = leader_epoch_;
  info.bucket_epoch = bucket_epoch_;
  info.isr = isr_;
  info.high_watermark = HighWatermark();
  info.log_end_offset = LogEnd();
  return info;
}

bool Replica::AdvanceHighWatermarkLocked() {
  if (role_ != ReplicaRole::kLeader) return false;
  LogOffset hw = LogEnd();
  for (ServerId member : isr_) {
    if (member == context_->server_id) continue;
    auto it = followers_.find(member);
    if (it == followers_.end() || !it->second.log_end_offset) return false;  // not heard from yet
    hw = std::min(hw, *it->second.log_end_offset);
  }
  if (hw <= HighWatermark()) return false;
  log_->UpdateHighWatermark(hw.value());
  return true;
}

Status Replica::CheckHighWatermarkCaughtUpLocked() const {
  const LogOffset hw = HighWatermark();
  if (hw >= epoch_start_offset_) return Status::OK();
  return Status(ErrorCode::kLeaderNotAvailable,
                fmt::format("{}: the leader of epoch {} has not yet learned what earlier leaders committed (high "
                            "watermark {}, its epoch starts at {}); ask again once its followers fetched",
                            id_.ToString(), leader_epoch_, hw, epoch_start_offset_));
}

Status Replica::CheckMinIsrLocked(int32_t acks) const {
  if (acks != -1 || static_cast<int32_t>(isr_.size()) >= context_->min_insync_replicas) return Status::OK();
  return Status(ErrorCode::kNotEnoughReplicas,
                fmt::format("bucket {} of table '{}' has {} in-sync replicas; acks=-1 needs at least {} "
                            "(log.replica.min-in-sync-replicas-number)",
                            id_.bucket, table_->record.path.ToString(), isr_.size(), context_->min_insync_replicas));
}

AckState Replica::CheckAck(LeaderEpoch leader_epoch, LogOffset required_offset) const {
  std::lock_guard lock(mu_);
  if (role_ != ReplicaRole::kLeader || leader_epoch_ != leader_epoch) return AckState::kNotLeader;
  return HighWatermark() >= required_offset ? AckState::kDone : AckState::kPending;
}

// ---- clients ------------------------------------------------------------------------------------

Result<Replica::Appended> Replica::Produce(const Buffer& records, int32_t acks) {
  const auto table = this->table();
  if (table->has_primary_key()) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("table '{}' has a primary key: write it with PutKv (an UpsertWriter), its log is the "
                              "changelog",
                              table->record.path.ToString()));
  }
  // Every batch must name a schema of this table (checked on headers; the log checks CRCs).
  FLUSS_ASSIGN_OR_RETURN(auto batches, ParseLogRecordBatches(records, /*verify_crc=*/false));
  for (size_t position = 0; position < batches.size(); ++position) {
    const auto& batch = batches[position];
    if (table->schemas.count(batch.schema_id()) == 0) {
      return Status(ErrorCode::kSchemaNotExist,
                    fmt::format("batch at position {} of bucket {} names schema id {}, which table '{}' does not have",
                                position, id_.bucket, batch.schema_id(), table->record.path.ToString()));
    }
  }
  // The append happens under write_mu_, so it cannot interleave with a change to follower (which
  // truncates).
  std::lock_guard write_lock(write_mu_);
  Appended out;
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kLeader) return NotLeader();
    FLUSS_RETURN_NOT_OK(CheckMinIsrLocked(acks));
    out.leader_epoch = leader_epoch_;
  }
  FLUSS_ASSIGN_OR_RETURN(auto info, log_->AppendAsLeader(records));
  out.base_offset = LogOffset(info.first_offset);
  bool moved;
  {
    std::lock_guard lock(mu_);
    moved = AdvanceHighWatermarkLocked();
    // Decided while the append's leadership holds (write_mu_): once it is released a change to
    // follower may truncate this write and a fetch from the new leader move the high watermark past it.
    const LogOffset required = LogOffset(info.last_offset) + 1;
    if (acks == -1 && HighWatermark() < required) out.awaits_high_watermark = required;
  }
  if (!info.duplicate && context_->on_append) context_->on_append(id_);
  if (moved) NotifyHighWatermark();
  return out;
}

Status Replica::Fetch(const proto::PbFetchLogReqForBucket& req, bool follower_fetch,
                      const std::vector<size_t>* projection, int64_t budget, proto::PbFetchLogRespForBucket* resp,
                      bool* answer_now) const {
  std::shared_ptr<const ServedTable> table;
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kLeader) return NotLeader();
    const LeaderEpoch asked(req.current_leader_epoch());
    if (follower_fetch && req.has_current_leader_epoch() && asked != leader_epoch_) {
      return Status(asked < leader_epoch_ ? ErrorCode::kFencedLeaderEpoch : ErrorCode::kNotLeaderOrFollower,
                    fmt::format("follower fetch of {} at leader epoch {}; the leader is at {}", id_.ToString(),
                                asked, leader_epoch_));
    }
    table = table_;
  }
  const LogTablet& log = *log_;
  if (follower_fetch) {
    for (const auto& e : log.leader_epochs()) {
      auto* pe = resp->add_leader_epochs();
      pe->set_epoch(e.epoch);
      pe->set_start_offset(e.start_offset);
    }
    if (req.has_truncation_epoch()) {
      // Where the follower's latest epoch ends here (docs/formats/replication.md); no records.
      resp->set_high_watermark(log.high_watermark());
      resp->set_log_start_offset(log.log_start_offset());
      const EpochEntry end =
          req.truncation_epoch() >= 0 ? log.EndOffsetForEpoch(req.truncation_epoch()) : EpochEntry{-1, -1};
      resp->set_truncation_epoch(end.epoch);
      resp->set_truncation_end_offset(end.start_offset);
      *answer_now = true;
      return Status::OK();
    }
  }
  const int64_t offset = req.fetch_offset() == rpc::kEarliestOffset ? log.log_start_offset() : req.fetch_offset();
  resp->set_high_watermark(log.high_watermark());
  resp->set_log_start_offset(log.log_start_offset());
  const int64_t readable_end = follower_fetch ? log.log_end_offset() : log.high_watermark();
  if (budget <= 0 && offset >= 0 && offset <= readable_end) return Status::OK();  // answered in a later fetch
  const size_t max_bytes =
      static_cast<size_t>(std::max<int64_t>(1, std::min<int64_t>(req.max_fetch_bytes(), budget)));
  const FetchIsolation isolation = follower_fetch ? FetchIsolation::kLogEnd : FetchIsolation::kHighWatermark;
  FLUSS_ASSIGN_OR_RETURN(auto data, log.Read(offset, max_bytes, isolation));
  resp->set_high_watermark(data.high_watermark);
  resp->set_log_start_offset(data.log_start_offset);
  if (data.region.empty()) return Status::OK();
  FLUSS_ASSIGN_OR_RETURN(auto bytes, data.ReadRecords());
  if (projection == nullptr) {
    resp->mutable_records()->assign(bytes.view());
    return Status::OK();
  }
  FLUSS_ASSIGN_OR_RETURN(auto batches, ParseLogRecordBatches(bytes, /*verify_crc=*/false));
  std::string records;
  for (const auto& batch : batches) {
    auto schema_it = table->schemas.find(batch.schema_id());
    if (schema_it == table->schemas.end()) {
      return Status(ErrorCode::kSchemaNotExist, fmt::format("stored batch at offset {} has unknown schema id {}",
                                                            batch.base_offset(), batch.schema_id()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto projected, ProjectLogRecordBatch(batch, schema_it->second, *projection));
    records.append(projected.view());
  }
  *resp->mutable_records() = std::move(records);
  return Status::OK();
}

Result<LogOffset> Replica::ListOffset(int32_t offset_type, std::optional<int64_t> timestamp) const {
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kLeader) return NotLeader();
    if (offset_type != rpc::kListOffsetsEarliest) FLUSS_RETURN_NOT_OK(CheckHighWatermarkCaughtUpLocked());
  }
  switch (offset_type) {
    case rpc::kListOffsetsEarliest:
      return LogOffset(log_->log_start_offset());
    case rpc::kListOffsetsLatest:
      return HighWatermark();
    case rpc::kListOffsetsTimestamp: {
      if (!timestamp) return Status(ErrorCode::kInvalidTimestamp, "offset type TIMESTAMP needs startTimestamp");
      FLUSS_ASSIGN_OR_RETURN(int64_t offset, log_->OffsetForTimestamp(*timestamp));
      return std::min(LogOffset(offset), HighWatermark());
    }
    default:
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("unknown offset type {} (0 earliest, 1 latest, 2 timestamp)", offset_type));
  }
}

Result<std::shared_ptr<KvTablet>> Replica::LeaderKv() const {
  std::lock_guard lock(mu_);
  if (!table_->has_primary_key()) {
    return Status(ErrorCode::kNonPrimaryKeyTable,
                  fmt::format("table '{}' has no primary key", table_->record.path.ToString()));
  }
  if (role_ != ReplicaRole::kLeader) return NotLeader();
  if (kv_ == nullptr) {
    return Status(ErrorCode::kLeaderNotAvailable,
                  fmt::format("{}: the new leader is still rebuilding its KV state", id_.ToString()));
  }
  return kv_;
}

Result<Replica::Put> Replica::PutKv(std::string_view records, const std::vector<int32_t>& target_columns,
                                    int32_t acks) {
  FLUSS_ASSIGN_OR_RETURN(auto kv, LeaderKv());
  FLUSS_ASSIGN_OR_RETURN(auto batch, KvRecordBatch::Parse(Buffer::Copy(records)));
  std::lock_guard write_lock(write_mu_);
  Put out;
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kLeader || kv_ != kv) return NotLeader();  // the leadership changed meanwhile
    FLUSS_RETURN_NOT_OK(CheckMinIsrLocked(acks));
    out.leader_epoch = leader_epoch_;
  }
  FLUSS_ASSIGN_OR_RETURN(auto result, kv->Put(batch, target_columns));
  out.log_end_offset = LogOffset(result.log_end_offset);
  bool moved;
  {
    std::lock_guard lock(mu_);
    moved = AdvanceHighWatermarkLocked();
    // As in Produce: decided before the leadership can change.
    if (acks == -1 && HighWatermark() < out.log_end_offset) out.awaits_high_watermark = out.log_end_offset;
  }
  if (!result.duplicate && context_->on_append) context_->on_append(id_);
  if (moved) NotifyHighWatermark();
  return out;
}

Result<std::vector<std::optional<std::string>>> Replica::Lookup(const std::vector<std::string>& keys) const {
  FLUSS_ASSIGN_OR_RETURN(auto kv, LeaderKv());
  return kv->Lookup(keys);
}

Result<std::vector<std::vector<std::string>>> Replica::PrefixLookup(const std::vector<std::string>& prefixes) const {
  FLUSS_ASSIGN_OR_RETURN(auto kv, LeaderKv());
  std::vector<std::vector<std::string>> out;
  out.reserve(prefixes.size());
  for (const auto& prefix : prefixes) {
    if (prefix.empty()) return Status(ErrorCode::kCorruptRecord, "an empty prefix-lookup key");
    FLUSS_ASSIGN_OR_RETURN(auto values, kv->PrefixLookup(prefix));
    out.push_back(std::move(values));
  }
  return out;
}

Status Replica::FlushKv() const {
  std::shared_ptr<KvTablet> kv;
  {
    std::lock_guard lock(mu_);
    kv = kv_;
  }
  return kv == nullptr ? Status::OK() : kv->Flush();
}

// ---- replication, leader side -------------------------------------------------------------------

bool Replica::RecordFollowerFetch(ServerId follower, LogOffset fetch_offset,
                                  std::optional<LeaderEpoch> current_leader_epoch,
                                  std::chrono::steady_clock::time_point now) {
  bool moved = false;
  bool candidate = false;
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kLeader) return false;
    if (current_leader_epoch && *current_leader_epoch != leader_epoch_) return false;
    auto it = followers_.find(follower);
    if (it == followers_.end()) return false;  // not a replica of the bucket
    auto& f = it->second;
    const LogOffset leader_end = LogEnd();
    const LogOffset offset = std::min(fetch_offset, leader_end);
    // Caught up: at the log end now, or at least where the log ended at its previous fetch.
    if (offset >= leader_end) {
      f.last_caught_up = now;
    } else if (f.leader_end_at_last_fetch && offset >= *f.leader_end_at_last_fetch) {
      f.last_caught_up = std::max(f.last_caught_up, f.last_fetch);
    }
    f.leader_end_at_last_fetch = leader_end;
    f.last_fetch = now;
    f.log_end_offset = offset;
    moved = AdvanceHighWatermarkLocked();
    candidate =
        !ContainsServer(isr_, follower) && !isr_fenced_ && offset >= HighWatermark() && offset >= epoch_start_offset_;
  }
  if (moved) NotifyHighWatermark();
  return candidate;
}

std::optional<Replica::IsrProposal> Replica::ProposeIsr(std::chrono::steady_clock::time_point now,
                                                        std::chrono::milliseconds max_lag) const {
  std::lock_guard lock(mu_);
  if (role_ != ReplicaRole::kLeader || isr_fenced_) return std::nullopt;
  IsrProposal proposal;
  for (ServerId member : isr_) {
    auto it = followers_.find(member);
    if (member != context_->server_id && it != followers_.end() && now - it->second.last_caught_up > max_lag) {
      continue;  // shrink: has not caught up for log.replica.max-lag-time
    }
    proposal.isr.push_back(member);
  }
  for (const auto& [member, f] : followers_) {
    if (ContainsServer(proposal.isr, member) || ContainsServer(isr_, member)) continue;  // in, or just shrunk
    if (f.log_end_offset && *f.log_end_offset >= HighWatermark() && *f.log_end_offset >= epoch_start_offset_ &&
        now - f.last_caught_up <= max_lag) {
      proposal.isr.push_back(member);  // expand: caught up to the high watermark
    }
  }
  if (proposal.isr == isr_) return std::nullopt;
  proposal.leader_epoch = leader_epoch_;
  proposal.bucket_epoch = bucket_epoch_;
  spdlog::info("bucket {} of '{}': proposing isr [{}] (was [{}])", id_.bucket, table_->record.path.ToString(),
               fmt::join(proposal.isr, ","), fmt::join(isr_, ","));
  return proposal;
}

void Replica::ApplyIsrResponse(const IsrProposal& proposal, const proto::PbAdjustIsrRespForBucket& resp) {
  bool moved;
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kLeader || leader_epoch_ != proposal.leader_epoch ||
        bucket_epoch_ != proposal.bucket_epoch) {
      return;  // a notify came meanwhile
    }
    if (resp.has_error_code() && resp.error_code() != 0) {
      const auto code = static_cast<ErrorCode>(resp.error_code());
      spdlog::warn("AdjustIsr of bucket {} of '{}' refused: {} {}", id_.bucket, table_->record.path.ToString(),
                   resp.error_code(), resp.error_message());
      if (code == ErrorCode::kInvalidUpdateVersion || code == ErrorCode::kFencedLeaderEpoch) {
        isr_fenced_ = true;  // wait for the coordinator's next NotifyLeaderAndIsr
      }
      return;
    }
    isr_.clear();
    for (int32_t member : resp.isr()) isr_.push_back(ServerId(member));
    if (resp.has_bucket_epoch()) bucket_epoch_ = BucketEpoch(resp.bucket_epoch());
    moved = AdvanceHighWatermarkLocked();
  }
  if (moved) NotifyHighWatermark();
}

// ---- replication, follower side -----------------------------------------------------------------

std::optional<Replica::FollowerPosition> Replica::FollowerFetchPosition(LeaderEpoch leader_epoch) const {
  std::lock_guard lock(mu_);
  if (role_ != ReplicaRole::kFollower || leader_epoch_ != leader_epoch) return std::nullopt;
  FollowerPosition pos;
  pos.log_end_offset = LogEnd();
  auto epochs = log_->leader_epochs();
  pos.latest_epoch = epochs.empty() ? kNoLeaderEpoch : LeaderEpoch(epochs.back().epoch);
  return pos;
}

Status Replica::TruncateFollower(LeaderEpoch leader_epoch, const proto::PbFetchLogRespForBucket& resp) {
  // Role and epoch change only under write_mu_: held, they stay as checked.
  std::lock_guard write_lock(write_mu_);
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kFollower || leader_epoch_ != leader_epoch) return Status::OK();
    path = table_->record.path.ToString();
  }
  LogTablet& log = *log_;
  const int64_t end = log.log_end_offset();
  int64_t target;
  const char* why;
  if (!resp.has_truncation_epoch() || resp.truncation_epoch() < 0 || resp.truncation_end_offset() < 0) {
    // Neither side knows a common epoch: the high watermark is what is known committed.
    target = log.high_watermark();
    why = "the high watermark (no common leader epoch)";
  } else {
    // KIP-101/279: the leader's end of the largest epoch <= ours; if that epoch is older than our
    // latest, no further than where it ends here either.
    target = resp.truncation_end_offset();
    auto epochs = log.leader_epochs();
    if (!epochs.empty() && epochs.back().epoch != resp.truncation_epoch()) {
      const EpochEntry local = log.EndOffsetForEpoch(resp.truncation_epoch());
      target = local.epoch >= 0 ? std::min(target, local.start_offset) : std::min(target, log.high_watermark());
    }
    why = "the end of its leader epoch on the leader";
  }
  if (resp.has_log_start_offset() && std::min(target, end) < resp.log_start_offset()) {
    // The leader no longer has the offsets we would continue from: start over at its log start.
    spdlog::info("follower of bucket {} of '{}': restarting its log at the leader's log start {}", id_.bucket, path,
                 resp.log_start_offset());
    FLUSS_RETURN_NOT_OK(log.TruncateFullyAndStartAt(resp.log_start_offset()));
  } else if (target < end) {
    spdlog::info("follower of bucket {} of '{}' at epoch {}: truncating from {} to {}, {}", id_.bucket, path,
                 leader_epoch, end, target, why);
    FLUSS_RETURN_NOT_OK(log.TruncateTo(target));
  }
  FollowLeaderEpochCache(log, resp);
  return Status::OK();
}

Status Replica::ApplyFetched(LeaderEpoch leader_epoch, LogOffset fetch_offset,
                             const proto::PbFetchLogRespForBucket& resp) {
  std::lock_guard write_lock(write_mu_);
  {
    std::lock_guard lock(mu_);
    if (role_ != ReplicaRole::kFollower || leader_epoch_ != leader_epoch) return Status::OK();
  }
  LogTablet& log = *log_;
  if (LogEnd() != fetch_offset) return Status::OK();  // changed meanwhile; the next round refetches
  if (!resp.records().empty()) {
    FLUSS_RETURN_NOT_OK(log.AppendAsFollower(Buffer::Copy(std::string_view(resp.records()))).status());
  }
  FollowLeaderEpochCache(log, resp);
  if (resp.has_high_watermark()) {
    const int64_t hw = std::min(resp.high_watermark(), log.log_end_offset());
    if (hw > log.high_watermark()) log.UpdateHighWatermark(hw);
  }
  return Status::OK();
}

}  // namespace fluss
