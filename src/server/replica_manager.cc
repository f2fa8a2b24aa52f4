#include "server/replica_manager.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "format/kv_record_batch.h"
#include "format/log_record_batch.h"
#include "format/value_encoding.h"
#include "types/table_descriptor.h"
#include "rpc/api_keys.h"
#include "server/data_dir_layout.h"
#include "server/replica_fetcher.h"
#include "server/wire_error.h"

namespace fluss {

namespace {

template <typename Resp>
void SetError(Resp* resp, const Status& st) {
  SetResponseError(resp, st);
}

Status UnknownBucket(int64_t table_id, int32_t bucket) {
  return Status(ErrorCode::kUnknownTableOrBucket,
                fmt::format("unknown bucket {} of table id {}", bucket, table_id));
}

Status NotLeader(int64_t table_id, int32_t bucket) {
  return Status(ErrorCode::kNotLeaderOrFollower,
                fmt::format("this server is not the leader of bucket {} of table id {}", bucket, table_id));
}

Status StaleEpoch(TableBucketId id, int32_t asked, int32_t known) {
  return Status(ErrorCode::kFencedLeaderEpoch, fmt::format("bucket {} of table id {}: leader epoch {} is older than {}",
                                                           id.bucket, id.table_id, asked, known));
}

Status UnknownTable(int64_t table_id) {
  return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("unknown table id {}", table_id));
}

// "db/orders-7/log-0" -> "db/orders-7/kv-0": the KV tablet sits beside the bucket's log.
std::string KvDirOf(const std::string& log_dir) {
  const size_t slash = log_dir.rfind('/');
  return log_dir.substr(0, slash + 1) + "kv-" + log_dir.substr(slash + 1 + 4);
}

// ScanKv limits (Fluss: kv.scanner.ttl 10 min, kv.scanner.max-per-server 200,
// kv.scanner.max-batch-size 10 MiB; the client asks 4 MiB per page).
constexpr auto kScannerTtl = std::chrono::minutes(10);
constexpr size_t kMaxScanners = 200;
constexpr int32_t kMaxScanBatchBytes = 10 << 20;
constexpr int32_t kDefaultScanBatchBytes = 4 << 20;

}  // namespace

struct ReplicaManager::ScanSession {
  int64_t table_id = 0;
  int32_t bucket = 0;
  std::shared_ptr<KvTablet> tablet;  // keeps the RocksDB open under the snapshot
  std::mutex mu;                     // one page at a time; guards the fields below
  std::unique_ptr<RocksKv::Snapshot> snapshot;  // reset when the session ends
  std::optional<std::string> last_key;
  int64_t remaining = -1;  // rows still allowed by the limit; -1: no limit
  int32_t next_seq = 0;
  std::chrono::steady_clock::time_point last_used;
};

ReplicaManager::ReplicaManager(LogManager* logs, std::shared_ptr<KvResources> kv_resources,
                               std::function<void(TableBucketId)> on_append)
    : logs_(logs), kv_resources_(std::move(kv_resources)), on_append_(std::move(on_append)) {
  if (kv_resources_ == nullptr) kv_resources_ = KvResources::Create(KvOptions{});
}

ReplicaManager::~ReplicaManager() {
  StopReplication();
  // Snapshots go before the stores they read.
  std::lock_guard lock(scan_mu_);
  scanners_.clear();
}

Status ReplicaManager::AddTable(const TableRecord& table, std::map<int32_t, Schema> schemas) {
  if (schemas.empty()) return Status::Internal(fmt::format("table '{}' has no schema", table.path.ToString()));
  auto served = std::make_shared<ServedTable>();
  served->record = table;
  served->schemas = std::move(schemas);
  const bool has_pk = served->latest_schema().has_primary_key();
  auto json = nlohmann::json::parse(table.table_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status(ErrorCode::kInvalidTable, "stored table_json is not valid JSON");
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, TableDescriptorFromJson(json));
  {
    auto lake = descriptor.properties().find("table.datalake.enabled");
    served->lake_enabled = lake != descriptor.properties().end() && lake->second == "true";
  }
  KvTabletOptions kv_options;
  served->primary_key = has_pk;
  if (has_pk) {
    kv_options.bucket_count = table.bucket_count;
    kv_options.bucket_keys = descriptor.bucket_keys();
    kv_options.properties = descriptor.properties();
    kv_options.hold_whole_log = cluster_;
  }
  served->kv_options = kv_options;
  // Cluster mode: a table added again (new schema) keeps its replicas' state.
  std::shared_ptr<ServedTable> previous;
  if (cluster_) {
    std::shared_lock lock(mu_);
    auto it = tables_.find(table.table_id);
    if (it != tables_.end()) previous = it->second;
  }
  // Bucket logs this call creates: a failure part way removes them again (and their KV stores and
  // the table directory when this call made it), so a failed create leaves nothing for the next start.
  const std::string table_dir = logs_->data_dir() + "/" +
                                std::filesystem::path(LogManager::BucketDir(table.path.database(), table.path.table(),
                                                                            table.table_id, 0))
                                    .parent_path()
                                    .string();
  const bool table_dir_existed = std::filesystem::exists(table_dir);
  std::vector<std::string> created_dirs;
  auto add_buckets = [&]() -> Status {
    for (int32_t b = 0; b < table.bucket_count; ++b) {
      const std::string dir = LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id, b);
      if (logs_->GetLog(dir) == nullptr) created_dirs.push_back(dir);
      FLUSS_ASSIGN_OR_RETURN(auto log, logs_->GetOrCreateLog(dir));
      if (cluster_) {
        // The bucket waits for the coordinator's NotifyLeaderAndIsr; the high watermark stays as
        // checkpointed. The whole changelog of a primary-key table stays (a new leader rebuilds from it).
        if (previous != nullptr && b < static_cast<int32_t>(previous->replica.size())) {
          auto replica = previous->replica[b];
          {
            std::lock_guard rl(replica->mu);
            if (replica->kv != nullptr) {
              for (const auto& [id, schema] : served->schemas) {
                if (previous->schemas.count(id) == 0) replica->kv->AddSchema(id, schema);
              }
            }
          }
          served->replica.push_back(std::move(replica));
        } else {
          served->replica.push_back(std::make_shared<BucketReplica>());
        }
        if (has_pk) log->SetRetentionHold(RetentionHold::kKvApplied, 0);
        if (served->lake_enabled && log->retention_hold(RetentionHold::kLakeTiered) < 0) {
          log->SetRetentionHold(RetentionHold::kLakeTiered, 0);
        }
        served->buckets.push_back(std::move(log));
        continue;
      }
      auto replica = std::make_shared<BucketReplica>();
      replica->role = ReplicaRole::kLeader;
      served->replica.push_back(std::move(replica));
      // One replica: everything appended is committed.
      log->UpdateHighWatermark(log->log_end_offset());
      // Nothing of a lake table goes before the lake has it; a hold set earlier (the table added
      // again with a new schema) stays.
      if (served->lake_enabled && log->retention_hold(RetentionHold::kLakeTiered) < 0) {
        log->SetRetentionHold(RetentionHold::kLakeTiered, 0);
      }
      if (has_pk) {
        kv_options.bucket_id = b;
        FLUSS_ASSIGN_OR_RETURN(auto kv, KvTablet::Open(logs_->data_dir() + "/" + KvDirOf(dir), log, served->schemas,
                                                       kv_options, kv_resources_));
        served->kv.push_back(std::shared_ptr<KvTablet>(kv.release()));
      }
      served->buckets.push_back(std::move(log));
    }
    return Status::OK();
  };
  if (Status st = add_buckets(); !st.ok()) {
    for (size_t b = 0; b < served->kv.size(); ++b) {
      const std::string dir = LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id,
                                                    static_cast<int32_t>(b));
      if (std::find(created_dirs.begin(), created_dirs.end(), dir) != created_dirs.end()) (void)served->kv[b]->Destroy();
    }
    for (const std::string& dir : created_dirs) {
      if (logs_->GetLog(dir) != nullptr) (void)logs_->DropLog(dir);
      std::error_code ec;
      std::filesystem::remove_all(logs_->data_dir() + "/" + KvDirOf(dir), ec);
    }
    std::error_code ec;
    if (!table_dir_existed && std::filesystem::is_empty(table_dir, ec)) std::filesystem::remove(table_dir, ec);
    return st;
  }
  std::unique_lock lock(mu_);
  tables_[table.table_id] = std::move(served);
  return Status::OK();
}

Status ReplicaManager::DropTable(int64_t table_id) {
  std::shared_ptr<ServedTable> table;
  {
    std::unique_lock lock(mu_);
    auto it = tables_.find(table_id);
    if (it == tables_.end()) return Status::OK();
    table = it->second;
    tables_.erase(it);
  }
  {
    std::lock_guard lock(lake_mu_);
    lake_warned_.erase(table_id);
  }
  if (cluster_) {
    for (int32_t b = 0; b < static_cast<int32_t>(table->replica.size()); ++b) {
      if (fetchers_) fetchers_->RemoveBucket({table_id, b});
      auto& r = *table->replica[b];
      std::lock_guard rl(r.mu);
      r.role = ReplicaRole::kNone;
      r.deleted = true;
      DropKvLocked(*table, b, r);
    }
  }
  Status first;
  if (table->has_primary_key()) {
    // End the table's scan sessions (their snapshots pin the stores), then delete the stores.
    EndScanSessions(table_id, /*bucket=*/-1);
    for (auto& kv : table->kv) {
      Status st = kv->Destroy();
      if (!st.ok() && first.ok()) first = st;
    }
  }
  for (int32_t b = 0; b < static_cast<int32_t>(table->buckets.size()); ++b) {
    const auto& path = table->record.path;
    Status st = logs_->DropLog(LogManager::BucketDir(path.database(), path.table(), table_id, b));
    if (!st.ok() && first.ok()) first = st;
  }
  // The table's own directory ({db}/{table}-{id}, named by this record), now without buckets.
  std::error_code ec;
  const std::string table_dir = logs_->data_dir() + "/" + DataDirLayout::TableDir(table->record.path, table_id);
  std::filesystem::remove_all(table_dir, ec);
  if (ec && first.ok()) first = Status::IOError(fmt::format("cannot remove '{}': {}", table_dir, ec.message()));
  return first;
}

void ReplicaManager::SetTieredOffsetsProvider(TieredOffsetsProvider provider) {
  std::lock_guard lock(lake_mu_);
  tiered_offsets_ = std::move(provider);
}

void ReplicaManager::UpdateLakeRetentionHolds() {
  TieredOffsetsProvider provider;
  {
    std::lock_guard lock(lake_mu_);
    provider = tiered_offsets_;
  }
  if (!provider) return;  // the holds stay where they are (0 from AddTable: nothing is deleted)
  std::vector<std::shared_ptr<ServedTable>> lake_tables;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, t] : tables_) {
      if (t->lake_enabled) lake_tables.push_back(t);
    }
  }
  auto warn = [&](const ServedTable& t, const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(lake_mu_);
    auto [it, first] = lake_warned_.try_emplace(t.record.table_id, now);
    if (!first && now - it->second < std::chrono::minutes(1)) return;
    it->second = now;
    spdlog::warn("log retention of lake table '{}' keeps every segment: {}", t.record.path.ToString(), what);
  };
  for (const auto& t : lake_tables) {
    // The provider reads the lake (files): no lock is held meanwhile.
    Result<std::map<int32_t, int64_t>> offsets = provider(t->record);
    if (!offsets.ok()) {
      warn(*t, fmt::format("cannot read the lake's tiered offsets: {}", offsets.status().ToString()));
      for (const auto& log : t->buckets) log->SetRetentionHold(RetentionHold::kLakeTiered, 0);
      continue;
    }
    for (int32_t b = 0; b < static_cast<int32_t>(t->buckets.size()); ++b) {
      LogTablet& log = *t->buckets[b];
      auto it = offsets->find(b);
      int64_t hold = it == offsets->end() ? 0 : std::max<int64_t>(it->second, 0);
      if (hold > log.log_end_offset()) {
        warn(*t, fmt::format("the lake holds bucket {} up to offset {}, past its log end {} (a lake of another "
                             "table of that name?)",
                             b, hold, log.log_end_offset()));
        hold = 0;
      }
      log.SetRetentionHold(RetentionHold::kLakeTiered, hold);
    }
  }
}

std::shared_ptr<const ServedTable> ReplicaManager::GetTable(int64_t table_id) const {
  std::shared_lock lock(mu_);
  auto it = tables_.find(table_id);
  return it == tables_.end() ? nullptr : it->second;
}

proto::ProduceLogResponse ReplicaManager::Produce(const std::shared_ptr<proto::ProduceLogRequest>& request,
                                                  std::vector<PendingAck>* pending) {
  proto::ProduceLogResponse response;
  auto table = GetTable(request->table_id());
  for (const auto& req : request->buckets_req()) {
    auto* resp = response.add_buckets_resp();
    resp->set_bucket_id(req.bucket_id());
    if (req.has_partition_id()) resp->set_partition_id(req.partition_id());
    if (table == nullptr) {
      SetError(resp, UnknownTable(request->table_id()));
      continue;
    }
    if (req.has_partition_id() || req.bucket_id() < 0 ||
        req.bucket_id() >= static_cast<int32_t>(table->buckets.size())) {
      SetError(resp, UnknownBucket(request->table_id(), req.bucket_id()));
      continue;
    }
    if (table->has_primary_key()) {
      SetError(resp, Status(ErrorCode::kInvalidTable,
                            fmt::format("table '{}' has a primary key: write it with PutKv (an UpsertWriter), its "
                                        "log is the changelog",
                                        table->record.path.ToString())));
      continue;
    }
    // The records stay in the request message: the log appends from them without a copy.
    Buffer records = Buffer::Wrap(request, reinterpret_cast<const uint8_t*>(req.records().data()), req.records().size());
    // Every batch must name a schema of this table (checked on headers; the log checks CRCs).
    auto batches = ParseLogRecordBatches(records, /*verify_crc=*/false);
    if (!batches.ok()) {
      SetError(resp, batches.status());
      continue;
    }
    Status schema_check;
    for (size_t position = 0; position < batches->size(); ++position) {
      const auto& batch = (*batches)[position];
      if (table->schemas.count(batch.schema_id()) == 0) {
        schema_check = Status(ErrorCode::kSchemaNotExist,
                              fmt::format("batch at position {} of bucket {} names schema id {}, which table '{}' "
                                          "does not have",
                                          position, req.bucket_id(), batch.schema_id(), table->record.path.ToString()));
        break;
      }
    }
    if (!schema_check.ok()) {
      SetError(resp, schema_check);
      continue;
    }
    const auto& log = table->buckets[req.bucket_id()];
    if (cluster_) {
      // The append happens under the bucket's replica lock, so it cannot interleave with a change
      // to follower (which truncates).
      auto& r = *table->replica[req.bucket_id()];
      const TableBucketId id{request->table_id(), req.bucket_id()};
      std::lock_guard rl(r.mu);
      if (r.role != ReplicaRole::kLeader) {
        SetError(resp, NotLeader(id.table_id, id.bucket));
        continue;
      }
      if (request->acks() == -1 && static_cast<int32_t>(r.isr.size()) < repl_.min_insync_replicas) {
        SetError(resp, Status(ErrorCode::kNotEnoughReplicas,
                              fmt::format("bucket {} of table '{}' has {} in-sync replicas; acks=-1 needs at least {} "
                                          "(log.replica.min-in-sync-replicas-number)",
                                          id.bucket, table->record.path.ToString(), r.isr.size(),
                                          repl_.min_insync_replicas)));
        continue;
      }
      auto info = log->AppendAsLeader(records);
      if (!info.ok()) {
        SetError(resp, info.status());
        continue;
      }
      resp->set_base_offset(info->first_offset);
      if (!info->duplicate && on_append_) on_append_(id);
      MaybeAdvanceHighWatermarkLocked(id, r, *log);
      const int64_t required = info->last_offset + 1;
      if (request->acks() == -1 && pending != nullptr && log->high_watermark() < required) {
        pending->push_back(PendingAck{static_cast<size_t>(response.buckets_resp_size() - 1), id, r.leader_epoch,
                                      required});
      }
      continue;
    }
    auto info = log->AppendAsLeader(records);
    if (!info.ok()) {
      SetError(resp, info.status());
      continue;
    }
    log->UpdateHighWatermark(info->log_end_offset);
    resp->set_base_offset(info->first_offset);
    if (!info->duplicate && on_append_) on_append_({request->table_id(), req.bucket_id()});
  }
  return response;
}

FetchResult ReplicaManager::Fetch(const proto::FetchLogRequest& request) const {
  FetchResult result;
  int64_t budget = std::max<int64_t>(request.max_bytes(), 1);
  for (const auto& table_req : request.tables_req()) {
    auto* table_resp = result.response.add_tables_resp();
    table_resp->set_table_id(table_req.table_id());
    auto table = GetTable(table_req.table_id());
    // Projection: strictly ascending column indexes of the latest schema.
    Status projection_check;
    std::vector<size_t> columns;
    if (table != nullptr && table_req.projection_pushdown_enabled()) {
      const size_t n = table->latest_schema().columns().size();
      for (int i = 0; i < table_req.projected_fields_size(); ++i) {
        const int32_t f = table_req.projected_fields(i);
        if (f < 0 || static_cast<size_t>(f) >= n || (!columns.empty() && static_cast<size_t>(f) <= columns.back())) {
          projection_check = Status(ErrorCode::kInvalidColumnProjection,
                                    fmt::format("projected fields must be distinct ascending column indexes below {}; "
                                                "field {} at position {} is not",
                                                n, f, i));
          break;
        }
        columns.push_back(static_cast<size_t>(f));
      }
      if (columns.empty() && projection_check.ok()) {
        projection_check = Status(ErrorCode::kInvalidColumnProjection, "projection pushdown enabled with no fields");
      }
    }
    for (const auto& req : table_req.buckets_req()) {
      auto* resp = table_resp->add_buckets_resp();
      resp->set_bucket_id(req.bucket_id());
      if (req.has_partition_id()) resp->set_partition_id(req.partition_id());
      Status st;
      if (table == nullptr) {
        st = UnknownTable(table_req.table_id());
      } else if (req.has_partition_id() || req.bucket_id() < 0 ||
                 req.bucket_id() >= static_cast<int32_t>(table->buckets.size())) {
        st = UnknownBucket(table_req.table_id(), req.bucket_id());
      } else if (!projection_check.ok()) {
        st = projection_check;
      }
      if (!st.ok()) {
        SetError(resp, st);
        result.has_error = true;
        continue;
      }
      const auto& log = table->buckets[req.bucket_id()];
      // Cluster mode: only the leader serves fetches; a follower reads up to the log end, clients up
      // to the high watermark.
      const bool follower_fetch = cluster_ && request.follower_server_id() >= 0;
      if (cluster_) {
        auto& r = *table->replica[req.bucket_id()];
        std::unique_lock rl(r.mu);
        if (r.role != ReplicaRole::kLeader) {
          st = NotLeader(table_req.table_id(), req.bucket_id());
        } else if (follower_fetch && req.has_current_leader_epoch() && req.current_leader_epoch() != r.leader_epoch) {
          st = Status(req.current_leader_epoch() < r.leader_epoch ? ErrorCode::kFencedLeaderEpoch
                                                                  : ErrorCode::kNotLeaderOrFollower,
                      fmt::format("follower fetch of bucket {} of table id {} at leader epoch {}; the leader is at {}",
                                  req.bucket_id(), table_req.table_id(), req.current_leader_epoch(), r.leader_epoch));
        }
        rl.unlock();
        if (!st.ok()) {
          SetError(resp, st);
          result.has_error = true;
          continue;
        }
      }
      if (follower_fetch) {
        for (const auto& e : log->leader_epochs()) {
          auto* pe = resp->add_leader_epochs();
          pe->set_epoch(e.epoch);
          pe->set_start_offset(e.start_offset);
        }
        if (req.has_truncation_epoch()) {
          // Where the follower's latest epoch ends here (docs/formats/replication.md); no records.
          resp->set_high_watermark(log->high_watermark());
          resp->set_log_start_offset(log->log_start_offset());
          const EpochEntry end = req.truncation_epoch() >= 0 ? log->EndOffsetForEpoch(req.truncation_epoch())
                                                             : EpochEntry{-1, -1};
          resp->set_truncation_epoch(end.epoch);
          resp->set_truncation_end_offset(end.start_offset);
          result.has_error = true;  // answer now
          continue;
        }
      }
      const int64_t offset = req.fetch_offset() == rpc::kEarliestOffset ? log->log_start_offset() : req.fetch_offset();
      resp->set_high_watermark(log->high_watermark());
      resp->set_log_start_offset(log->log_start_offset());
      const int64_t readable_end = follower_fetch ? log->log_end_offset() : log->high_watermark();
      if (budget <= 0 && offset >= 0 && offset <= readable_end) continue;  // answered in a later fetch
      const size_t max_bytes = static_cast<size_t>(std::max<int64_t>(1, std::min<int64_t>(req.max_fetch_bytes(), budget)));
      auto data = log->Read(offset, max_bytes,
                            follower_fetch ? FetchIsolation::kLogEnd : FetchIsolation::kHighWatermark);
      if (!data.ok()) {
        SetError(resp, data.status());
        result.has_error = true;
        continue;
      }
      resp->set_high_watermark(data->high_watermark);
      resp->set_log_start_offset(data->log_start_offset);
      if (data->region.empty()) continue;
      auto bytes = data->ReadRecords();
      if (!bytes.ok()) {
        SetError(resp, bytes.status());
        result.has_error = true;
        continue;
      }
      std::string* records = resp->mutable_records();
      if (!table_req.projection_pushdown_enabled()) {
        records->assign(bytes->view());
      } else {
        auto batches = ParseLogRecordBatches(*bytes, /*verify_crc=*/false);
        Status pst = batches.status();
        if (pst.ok()) {
          for (const auto& batch : *batches) {
            auto schema_it = table->schemas.find(batch.schema_id());
            if (schema_it == table->schemas.end()) {
              pst = Status(ErrorCode::kSchemaNotExist, fmt::format("stored batch at offset {} has unknown schema id {}",
                                                                   batch.base_offset(), batch.schema_id()));
              break;
            }
            auto projected = ProjectLogRecordBatch(batch, schema_it->second, columns);
            if (!projected.ok()) {
              pst = projected.status();
              break;
            }
            records->append(projected->view());
          }
        }
        if (!pst.ok()) {
          resp->clear_records();
          SetError(resp, pst);
          result.has_error = true;
          continue;
        }
      }
      budget -= static_cast<int64_t>(records->size());
      result.bytes += static_cast<int64_t>(records->size());
    }
  }
  return result;
}

proto::ListOffsetsResponse ReplicaManager::ListOffsets(const proto::ListOffsetsRequest& request) const {
  proto::ListOffsetsResponse response;
  auto table = GetTable(request.table_id());
  for (int32_t bucket : request.bucket_id()) {
    auto* resp = response.add_buckets_resp();
    resp->set_bucket_id(bucket);
    if (table == nullptr) {
      SetError(resp, UnknownTable(request.table_id()));
      continue;
    }
    if (request.has_partition_id() || bucket < 0 || bucket >= static_cast<int32_t>(table->buckets.size())) {
      SetError(resp, UnknownBucket(request.table_id(), bucket));
      continue;
    }
    if (Status leader = CheckLeader(*table, bucket); !leader.ok()) {
      SetError(resp, leader);
      continue;
    }
    const auto& log = table->buckets[bucket];
    switch (request.offset_type()) {
      case rpc::kListOffsetsEarliest:
        resp->set_offset(log->log_start_offset());
        break;
      case rpc::kListOffsetsLatest:
        resp->set_offset(log->high_watermark());
        break;
      case rpc::kListOffsetsTimestamp: {
        if (!request.has_starttimestamp()) {
          SetError(resp, Status(ErrorCode::kInvalidTimestamp, "offset type TIMESTAMP needs startTimestamp"));
          break;
        }
        auto offset = log->OffsetForTimestamp(request.starttimestamp());
        if (!offset.ok()) {
          SetError(resp, offset.status());
        } else {
          resp->set_offset(std::min(*offset, log->high_watermark()));
        }
        break;
      }
      default:
        SetError(resp, Status(ErrorCode::kInvalidConfig,
                              fmt::format("unknown offset type {} (0 earliest, 1 latest, 2 timestamp)",
                                          request.offset_type())));
    }
  }
  return response;
}

// ---- primary-key tables --------------------------------------------------------------------

Result<std::shared_ptr<KvTablet>> ReplicaManager::KvBucket(int64_t table_id, bool has_partition, int32_t bucket) const {
  auto table = GetTable(table_id);
  if (table == nullptr) return UnknownTable(table_id);
  if (!table->has_primary_key()) {
    return Status(ErrorCode::kNonPrimaryKeyTable,
                  fmt::format("table '{}' has no primary key", table->record.path.ToString()));
  }
  if (has_partition || bucket < 0 || bucket >= static_cast<int32_t>(table->buckets.size())) {
    return UnknownBucket(table_id, bucket);
  }
  if (!cluster_) return table->kv[bucket];
  auto& r = *table->replica[bucket];
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kLeader) return NotLeader(table_id, bucket);
  if (r.kv == nullptr) {
    return Status(ErrorCode::kLeaderNotAvailable,
                  fmt::format("bucket {} of table id {}: the new leader is still rebuilding its KV state", bucket,
                              table_id));
  }
  return r.kv;
}

Status ReplicaManager::CheckLeader(const ServedTable& table, int32_t bucket) const {
  if (!cluster_) return Status::OK();
  auto& r = *table.replica[bucket];
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kLeader) return NotLeader(table.record.table_id, bucket);
  return Status::OK();
}

proto::PutKvResponse ReplicaManager::PutKv(const proto::PutKvRequest& request, std::vector<PendingAck>* pending) {
  proto::PutKvResponse response;
  const std::vector<int32_t> targets(request.target_columns().begin(), request.target_columns().end());
  for (const auto& req : request.buckets_req()) {
    auto* resp = response.add_buckets_resp();
    resp->set_bucket_id(req.bucket_id());
    if (req.has_partition_id()) resp->set_partition_id(req.partition_id());
    if (request.has_agg_mode() && request.agg_mode() != 0) {
      SetError(resp, Status(ErrorCode::kInvalidConfig,
                            fmt::format("agg_mode {} is not supported (only 0, through the merge engine)",
                                        request.agg_mode())));
      continue;
    }
    auto kv = KvBucket(request.table_id(), req.has_partition_id(), req.bucket_id());
    if (!kv.ok()) {
      SetError(resp, kv.status());
      continue;
    }
    auto batch = KvRecordBatch::Parse(Buffer::Copy(std::string_view(req.records())));
    if (!batch.ok()) {
      SetError(resp, batch.status());
      continue;
    }
    if (cluster_) {
      auto table = GetTable(request.table_id());
      if (table == nullptr) {
        SetError(resp, UnknownTable(request.table_id()));
        continue;
      }
      const TableBucketId id{request.table_id(), req.bucket_id()};
      auto& r = *table->replica[req.bucket_id()];
      std::lock_guard rl(r.mu);
      if (r.role != ReplicaRole::kLeader || r.kv != *kv) {
        SetError(resp, NotLeader(id.table_id, id.bucket));
        continue;
      }
      if (request.acks() == -1 && static_cast<int32_t>(r.isr.size()) < repl_.min_insync_replicas) {
        SetError(resp, Status(ErrorCode::kNotEnoughReplicas,
                              fmt::format("bucket {} of table '{}' has {} in-sync replicas; acks=-1 needs at least {} "
                                          "(log.replica.min-in-sync-replicas-number)",
                                          id.bucket, table->record.path.ToString(), r.isr.size(),
                                          repl_.min_insync_replicas)));
        continue;
      }
      auto result = (*kv)->Put(*batch, targets);
      if (!result.ok()) {
        SetError(resp, result.status());
        continue;
      }
      auto& log = *table->buckets[req.bucket_id()];
      resp->set_log_end_offset(result->log_end_offset);
      if (!result->duplicate && on_append_) on_append_(id);
      MaybeAdvanceHighWatermarkLocked(id, r, log);
      if (request.acks() == -1 && pending != nullptr && log.high_watermark() < result->log_end_offset) {
        pending->push_back(PendingAck{static_cast<size_t>(response.buckets_resp_size() - 1), id, r.leader_epoch,
                                      result->log_end_offset});
      }
      continue;
    }
    auto result = (*kv)->Put(*batch, targets);
    if (!result.ok()) {
      SetError(resp, result.status());
      continue;
    }
    auto table = GetTable(request.table_id());
    if (table != nullptr) table->buckets[req.bucket_id()]->UpdateHighWatermark(result->log_end_offset);
    resp->set_log_end_offset(result->log_end_offset);
    if (!result->duplicate && on_append_) on_append_({request.table_id(), req.bucket_id()});
  }
  return response;
}

proto::LookupResponse ReplicaManager::Lookup(const proto::LookupRequest& request) const {
  proto::LookupResponse response;
  for (const auto& req : request.buckets_req()) {
    auto* resp = response.add_buckets_resp();
    resp->set_bucket_id(req.bucket_id());
    if (req.has_partition_id()) resp->set_partition_id(req.partition_id());
    if (request.insert_if_not_exists()) {
      SetError(resp, Status::NotSupported("insert_if_not_exists needs auto-increment columns, which fluss-cpp "
                                          "does not have yet"));
      continue;
    }
    auto kv = KvBucket(request.table_id(), req.has_partition_id(), req.bucket_id());
    if (!kv.ok()) {
      SetError(resp, kv.status());
      continue;
    }
    std::vector<std::string> keys(req.keys().begin(), req.keys().end());
    auto values = (*kv)->Lookup(keys);
    if (!values.ok()) {
      SetError(resp, values.status());
      continue;
    }
    for (auto& v : *values) {
      auto* pv = resp->add_values();
      if (v) pv->set_values(std::move(*v));
    }
  }
  return response;
}

proto::PrefixLookupResponse ReplicaManager::PrefixLookup(const proto::PrefixLookupRequest& request) const {
  proto::PrefixLookupResponse response;
  for (const auto& req : request.buckets_req()) {
    auto* resp = response.add_buckets_resp();
    resp->set_bucket_id(req.bucket_id());
    if (req.has_partition_id()) resp->set_partition_id(req.partition_id());
    auto kv = KvBucket(request.table_id(), req.has_partition_id(), req.bucket_id());
    if (!kv.ok()) {
      SetError(resp, kv.status());
      continue;
    }
    proto::PbPrefixLookupRespForBucket out;
    Status st;
    for (const auto& key : req.keys()) {
      if (key.empty()) {
        st = Status(ErrorCode::kCorruptRecord, "an empty prefix-lookup key");
        break;
      }
      auto values = (*kv)->PrefixLookup(key);
      if (!values.ok()) {
        st = values.status();
        break;
      }
      auto* list = out.add_value_lists();
      for (auto& v : *values) list->add_values(std::move(v));
    }
    if (!st.ok()) {
      SetError(resp, st);
      continue;
    }
    resp->mutable_value_lists()->Swap(out.mutable_value_lists());
  }
  return response;
}

proto::ScanKvResponse ReplicaManager::ScanKv(const proto::ScanKvRequest& request) {
  proto::ScanKvResponse resp;
  auto fail = [&resp](const Status& st) {
    SetResponseError(&resp, st);
    resp.set_has_more_results(false);
    return resp;
  };
  if (request.has_scanner_id() == request.has_bucket_scan_req()) {
    return fail(Status(ErrorCode::kInvalidScanRequest,
                       "a ScanKv request names either a bucket (to open a scanner) or a scanner id, not both or "
                       "neither"));
  }
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<ScanSession> session;
  std::string id;
  if (request.has_bucket_scan_req()) {
    const auto& b = request.bucket_scan_req();
    auto kv = KvBucket(b.table_id(), b.has_partition_id(), b.bucket_id());
    if (!kv.ok()) return fail(kv.status());
    session = std::make_shared<ScanSession>();
    session->table_id = b.table_id();
    session->bucket = b.bucket_id();
    session->tablet = *kv;
    session->remaining = b.has_limit() ? std::max<int64_t>(b.limit(), 0) : -1;
    auto snapshot = session->tablet->TakeSnapshot();
    if (!snapshot.ok()) return fail(snapshot.status());
    session->snapshot = std::move(*snapshot);
    session->last_used = now;
    resp.set_log_offset(session->snapshot->applied_offset());
    std::lock_guard lock(scan_mu_);
    for (auto it = scanners_.begin(); it != scanners_.end();) {
      it = now - it->second->last_used > kScannerTtl ? scanners_.erase(it) : std::next(it);
    }
    if (scanners_.size() >= kMaxScanners) {
      return fail(Status(ErrorCode::kTooManyScanners,
                         fmt::format("this server has {} open KV scanners already; close some or retry later",
                                     scanners_.size())));
    }
    id = std::to_string(next_scanner_id_++);
    scanners_[id] = session;
  } else {
    id = request.scanner_id();
    std::lock_guard lock(scan_mu_);
    auto it = scanners_.find(id);
    if (it == scanners_.end()) {
      return fail(Status(ErrorCode::kUnknownScannerId,
                         "unknown KV scanner (it finished, was closed, or expired after 10 minutes idle)"));
    }
    session = it->second;
  }
  resp.set_scanner_id(id);

  std::lock_guard lock(session->mu);
  auto end_session = [&] {
    session->snapshot.reset();
    std::lock_guard l(scan_mu_);
    scanners_.erase(id);
  };
  if (session->snapshot == nullptr) {
    return fail(Status(ErrorCode::kUnknownScannerId, "the KV scanner was ended (its table was dropped)"));
  }
  if (request.has_scanner_id() && request.has_call_seq_id()) {
    if (request.call_seq_id() != session->next_seq) {
      return fail(Status(ErrorCode::kInvalidScanRequest,
                         fmt::format("call_seq_id {} out of order (expected {})", request.call_seq_id(),
                                     session->next_seq)));
    }
  }
  if (request.has_scanner_id()) ++session->next_seq;
  session->last_used = now;
  if (request.close_scanner()) {
    end_session();
    resp.set_has_more_results(false);
    return resp;
  }
  const int32_t page_bytes = request.has_batch_size_bytes() && request.batch_size_bytes() > 0
                                 ? std::min(request.batch_size_bytes(), kMaxScanBatchBytes)
                                 : kDefaultScanBatchBytes;
  ValueRecordBatchBuilder page;
  bool more = false;
  Status append_status;
  Status st = session->snapshot->Scan(
      [&](std::string_view key, std::string_view value) {
        if (session->remaining == 0 || (page.num_records() > 0 && page.size_in_bytes() >= static_cast<size_t>(page_bytes))) {
          more = session->remaining != 0;
          return false;
        }
        append_status = page.AppendValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()),
                                                                  value.size()));
        if (!append_status.ok()) return false;
        session->last_key = std::string(key);
        if (session->remaining > 0) --session->remaining;
        return true;
      },
      session->last_key ? std::optional<std::string_view>(*session->last_key) : std::nullopt);
  if (st.ok()) st = append_status;
  if (!st.ok()) {
    end_session();
    return fail(st);
  }
  if (page.num_records() > 0) {
    Buffer bytes = page.Build();
    resp.set_records(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  resp.set_has_more_results(more);
  if (!more) end_session();
  return resp;
}

Status ReplicaManager::FlushKv() {
  std::vector<std::shared_ptr<KvTablet>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, t] : tables_) {
      all.insert(all.end(), t->kv.begin(), t->kv.end());
      for (const auto& r : t->replica) {
        std::lock_guard rl(r->mu);
        if (r->kv != nullptr) all.push_back(r->kv);
      }
    }
  }
  Status first;
  for (auto& kv : all) {
    Status st = kv->Flush();
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

// ---- cluster mode: replication ---------------------------------------------------------------

void ReplicaManager::EnableReplication(ReplicationOptions options) {
  cluster_ = true;
  repl_ = std::move(options);
  fetchers_ = std::make_unique<ReplicaFetcherManager>(this, repl_);
  isr_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "replica-isr");
    IsrLoop();
  });
}

void ReplicaManager::StopReplication() {
  {
    std::lock_guard lock(isr_mu_);
    isr_stop_ = true;
  }
  isr_cv_.notify_all();
  if (isr_thread_.joinable()) isr_thread_.join();
  if (fetchers_) fetchers_->Stop();
}

std::string ReplicaManager::KvDir(const ServedTable& table, int32_t bucket) const {
  const auto& path = table.record.path;
  return logs_->data_dir() + "/" +
         KvDirOf(LogManager::BucketDir(path.database(), path.table(), table.record.table_id, bucket));
}

KvTabletOptions ReplicaManager::KvOptionsFor(const ServedTable& table, int32_t bucket) const {
  KvTabletOptions o = table.kv_options;
  o.bucket_id = bucket;
  return o;
}

void ReplicaManager::EndScanSessions(int64_t table_id, int32_t bucket) {
  std::vector<std::shared_ptr<ScanSession>> ended;
  {
    std::lock_guard lock(scan_mu_);
    for (auto it = scanners_.begin(); it != scanners_.end();) {
      if (it->second->table_id == table_id && (bucket < 0 || it->second->bucket == bucket)) {
        ended.push_back(it->second);
        it = scanners_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& session : ended) {
    std::lock_guard lock(session->mu);
    session->snapshot.reset();
  }
}

void ReplicaManager::DropKvLocked(const ServedTable& table, int32_t bucket, BucketReplica& replica) {
  if (!table.has_primary_key()) return;
  if (replica.kv != nullptr) {
    EndScanSessions(table.record.table_id, bucket);
    Status st = replica.kv->Destroy();
    if (!st.ok()) spdlog::warn("deleting the KV state of bucket {} of '{}': {}", bucket, table.record.path.ToString(),
                               st.ToString());
    replica.kv.reset();
    return;
  }
  // A store left from an earlier run as leader: its state may hold records a truncation removes.
  std::error_code ec;
  std::filesystem::remove_all(KvDir(table, bucket), ec);
  if (ec) spdlog::warn("deleting '{}': {}", KvDir(table, bucket), ec.message());
}

void ReplicaManager::MaybeAdvanceHighWatermarkLocked(TableBucketId id, BucketReplica& r, LogTablet& log) {
  if (r.role != ReplicaRole::kLeader) return;
  int64_t hw = log.log_end_offset();
  for (int32_t member : r.isr) {
    if (member == repl_.server_id) continue;
    auto it = r.followers.find(member);
    if (it == r.followers.end() || it->second.log_end_offset < 0) return;  // not heard from yet
    hw = std::min(hw, it->second.log_end_offset);
  }
  if (hw > log.high_watermark()) {
    log.UpdateHighWatermark(hw);
    if (repl_.on_high_watermark) repl_.on_high_watermark(id);
  }
}

Status ReplicaManager::AcceptCoordinatorEpoch(int32_t epoch) {
  if (!cluster_) return Status(ErrorCode::kInvalidCoordinator, "this server is standalone: it has no coordinator");
  int32_t seen = coordinator_epoch_.load();
  while (epoch > seen && !coordinator_epoch_.compare_exchange_weak(seen, epoch)) {
  }
  if (epoch < coordinator_epoch_.load()) {
    return Status(ErrorCode::kInvalidCoordinator,
                  fmt::format("coordinator epoch {} is older than {}, which this server has seen", epoch,
                              coordinator_epoch_.load()));
  }
  return Status::OK();
}

Result<proto::NotifyLeaderAndIsrResponse> ReplicaManager::BecomeLeaderOrFollower(
    const proto::NotifyLeaderAndIsrRequest& request, const std::set<int64_t>& unknown_tables) {
  FLUSS_RETURN_NOT_OK(AcceptCoordinatorEpoch(request.coordinator_epoch()));
  proto::NotifyLeaderAndIsrResponse response;
  for (const auto& req : request.notify_buckets_leader_req()) {
    auto* resp = response.add_notify_buckets_leader_resp();
    *resp->mutable_table_bucket() = req.table_bucket();
    const int64_t table_id = req.table_bucket().table_id();
    const int32_t bucket = req.table_bucket().bucket_id();
    auto table = unknown_tables.count(table_id) != 0 ? nullptr : std::const_pointer_cast<ServedTable>(GetTable(table_id));
    Status st;
    if (table == nullptr) {
      st = UnknownTable(table_id);
    } else if (req.table_bucket().has_partition_id() || bucket < 0 ||
               bucket >= static_cast<int32_t>(table->buckets.size())) {
      st = UnknownBucket(table_id, bucket);
    } else {
      auto& r = *table->replica[bucket];
      const bool lead = req.leader() == repl_.server_id;
      bool done = false;
      {
        std::lock_guard rl(r.mu);
        if (req.leader_epoch() < r.leader_epoch) {
          st = Status(ErrorCode::kFencedLeaderEpoch,
                      fmt::format("bucket {} of table id {}: leader epoch {} is older than {}", bucket, table_id,
                                  req.leader_epoch(), r.leader_epoch));
          done = true;
        } else if (req.leader_epoch() == r.leader_epoch && !r.deleted &&
                   r.role == (lead ? ReplicaRole::kLeader : ReplicaRole::kFollower)) {
          // The same leadership: the ISR (and its version) only.
          if (req.bucket_epoch() >= r.bucket_epoch) {
            r.bucket_epoch = req.bucket_epoch();
            r.isr.assign(req.isr().begin(), req.isr().end());
            r.replicas.assign(req.replicas().begin(), req.replicas().end());
            r.isr_fenced = false;
            if (lead) {
              for (int32_t member : r.replicas) {
                if (member != repl_.server_id && r.followers.count(member) == 0) {
                  r.followers[member].last_caught_up = std::chrono::steady_clock::now();
                }
              }
              MaybeAdvanceHighWatermarkLocked({table_id, bucket}, r, *table->buckets[bucket]);
            }
          }
          done = true;
        }
      }
      if (!done) st = lead ? MakeLeader(table, bucket, req) : MakeFollower(table, bucket, req);
    }
    if (!st.ok()) SetResponseError(resp, st);
  }
  return response;
}

Status ReplicaManager::MakeLeader(const std::shared_ptr<ServedTable>& table, int32_t bucket,
                                  const proto::PbNotifyLeaderAndIsrReqForBucket& req) {
  const TableBucketId id{table->record.table_id, bucket};
  auto& r = *table->replica[bucket];
  auto& log = table->buckets[bucket];
  fetchers_->RemoveBucket(id);
  {
    std::lock_guard rl(r.mu);
    if (req.leader_epoch() < r.leader_epoch) return StaleEpoch(id, req.leader_epoch(), r.leader_epoch);  // raced
    r.role = ReplicaRole::kLeader;
    r.leader_id = repl_.server_id;
    r.leader_epoch = req.leader_epoch();
    r.bucket_epoch = req.bucket_epoch();
    r.replicas.assign(req.replicas().begin(), req.replicas().end());
    r.isr.assign(req.isr().begin(), req.isr().end());
    r.isr_fenced = false;
    r.deleted = false;
    r.epoch_start_offset = log->log_end_offset();
    FLUSS_RETURN_NOT_OK(log->AssignLeaderEpoch(req.leader_epoch(), r.epoch_start_offset));
    r.followers.clear();
    const auto now = std::chrono::steady_clock::now();
    for (int32_t member : r.replicas) {
      if (member != repl_.server_id) r.followers[member].last_caught_up = now;
    }
    if (r.kv != nullptr) {  // (cannot happen: a leader change passes through follower)
      EndScanSessions(id.table_id, bucket);
      r.kv.reset();
    }
    MaybeAdvanceHighWatermarkLocked(id, r, *log);
  }
  spdlog::info("leader of bucket {} of '{}' at epoch {} (log end {}, isr [{}])", bucket,
               table->record.path.ToString(), req.leader_epoch(), log->log_end_offset(), fmt::join(req.isr(), ","));
  if (repl_.on_high_watermark) repl_.on_high_watermark(id);
  if (!table->has_primary_key()) return Status::OK();
  // The KV state is rebuilt from the log (KvTablet's catch-up) before puts and lookups are served.
  auto kv = KvTablet::Open(KvDir(*table, bucket), log, table->schemas, KvOptionsFor(*table, bucket), kv_resources_);
  if (!kv.ok()) {
    spdlog::error("rebuilding the KV state of bucket {} of '{}': {}", bucket, table->record.path.ToString(),
                  kv.status().ToString());
    return kv.status();
  }
  std::shared_ptr<KvTablet> tablet(kv->release());
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kLeader || r.leader_epoch != req.leader_epoch()) {
    (void)tablet->Destroy();  // it stopped leading meanwhile
    return Status::OK();
  }
  r.kv = std::move(tablet);
  return Status::OK();
}

Status ReplicaManager::MakeFollower(const std::shared_ptr<ServedTable>& table, int32_t bucket,
                                    const proto::PbNotifyLeaderAndIsrReqForBucket& req) {
  const TableBucketId id{table->record.table_id, bucket};
  auto& r = *table->replica[bucket];
  {
    std::lock_guard rl(r.mu);
    if (req.leader_epoch() < r.leader_epoch) return StaleEpoch(id, req.leader_epoch(), r.leader_epoch);  // raced
    r.role = ReplicaRole::kFollower;
    r.leader_id = req.leader();
    r.leader_epoch = req.leader_epoch();
    r.bucket_epoch = req.bucket_epoch();
    r.replicas.assign(req.replicas().begin(), req.replicas().end());
    r.isr.assign(req.isr().begin(), req.isr().end());
    r.isr_fenced = false;
    r.deleted = false;
    r.followers.clear();
    DropKvLocked(*table, bucket, r);
  }
  spdlog::info("follower of bucket {} of '{}' at epoch {} (leader {})", bucket, table->record.path.ToString(),
               req.leader_epoch(), req.leader());
  if (repl_.on_high_watermark) repl_.on_high_watermark(id);  // parked acks=-1 writes answer NOT_LEADER
  fetchers_->AddBucket(id, req.leader(), req.leader_epoch());
  return Status::OK();
}

Result<proto::StopReplicaResponse> ReplicaManager::StopReplica(const proto::StopReplicaRequest& request) {
  FLUSS_RETURN_NOT_OK(AcceptCoordinatorEpoch(request.coordinator_epoch()));
  proto::StopReplicaResponse response;
  std::set<int64_t> deleted_tables;
  for (const auto& req : request.stop_replicas_req()) {
    auto* resp = response.add_stop_replicas_resp();
    *resp->mutable_table_bucket() = req.table_bucket();
    const int64_t table_id = req.table_bucket().table_id();
    const int32_t bucket = req.table_bucket().bucket_id();
    auto table = GetTable(table_id);
    Status st;
    if (table == nullptr) {
      if (!req.delete_()) st = UnknownTable(table_id);  // deleting what is not here is done
    } else if (req.table_bucket().has_partition_id() || bucket < 0 ||
               bucket >= static_cast<int32_t>(table->buckets.size())) {
      st = UnknownBucket(table_id, bucket);
    } else {
      auto& r = *table->replica[bucket];
      fetchers_->RemoveBucket({table_id, bucket});
      std::lock_guard rl(r.mu);
      if (req.leader_epoch() >= 0 && req.leader_epoch() < r.leader_epoch) {
        st = Status(ErrorCode::kFencedLeaderEpoch,
                    fmt::format("bucket {} of table id {}: leader epoch {} is older than {}", bucket, table_id,
                                req.leader_epoch(), r.leader_epoch));
      } else {
        r.role = ReplicaRole::kNone;
        r.followers.clear();
        if (req.delete_()) {
          DropKvLocked(*table, bucket, r);
          st = table->buckets[bucket]->TruncateFullyAndStartAt(0);
          r.deleted = true;
          r.leader_epoch = -1;
          r.bucket_epoch = -1;
          deleted_tables.insert(table_id);
        } else if (r.kv != nullptr) {
          EndScanSessions(table_id, bucket);
          r.kv.reset();  // closes the store; it stays on disk
        }
      }
    }
    if (repl_.on_high_watermark) repl_.on_high_watermark({table_id, bucket});
    if (!st.ok()) SetResponseError(resp, st);
  }
  // A table whose every bucket here was deleted goes entirely (its directories too).
  for (int64_t table_id : deleted_tables) {
    auto table = GetTable(table_id);
    if (table == nullptr) continue;
    bool all = true;
    for (const auto& r : table->replica) {
      std::lock_guard rl(r->mu);
      all = all && r->deleted;
    }
    if (all) {
      Status st = DropTable(table_id);
      if (!st.ok()) spdlog::warn("deleting the stopped replicas of table id {}: {}", table_id, st.ToString());
    }
  }
  return response;
}

std::optional<ReplicaManager::ReplicaInfo> ReplicaManager::GetReplicaInfo(TableBucketId bucket) const {
  auto table = GetTable(bucket.table_id);
  if (table == nullptr || bucket.bucket < 0 || bucket.bucket >= static_cast<int32_t>(table->buckets.size())) {
    return std::nullopt;
  }
  auto& r = *table->replica[bucket.bucket];
  std::lock_guard rl(r.mu);
  ReplicaInfo info;
  info.role = r.role;
  info.leader_id = r.leader_id;
  info.leader_epoch = r.leader_epoch;
  info.bucket_epoch = r.bucket_epoch;
  info.isr = r.isr;
  info.high_watermark = table->buckets[bucket.bucket]->high_watermark();
  info.log_end_offset = table->buckets[bucket.bucket]->log_end_offset();
  return info;
}

ReplicaManager::AckState ReplicaManager::CheckAck(const PendingAck& ack) const {
  auto table = GetTable(ack.bucket.table_id);
  if (table == nullptr || ack.bucket.bucket >= static_cast<int32_t>(table->buckets.size())) return AckState::kNotLeader;
  auto& r = *table->replica[ack.bucket.bucket];
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kLeader || r.leader_epoch != ack.leader_epoch) return AckState::kNotLeader;
  return table->buckets[ack.bucket.bucket]->high_watermark() >= ack.required_offset ? AckState::kDone
                                                                                    : AckState::kPending;
}

void ReplicaManager::RecordFollowerFetch(const proto::FetchLogRequest& request) {
  if (!cluster_ || request.follower_server_id() < 0) return;
  const int32_t follower = request.follower_server_id();
  const auto now = std::chrono::steady_clock::now();
  bool wake_isr = false;
  for (const auto& table_req : request.tables_req()) {
    auto table = GetTable(table_req.table_id());
    if (table == nullptr) continue;
    for (const auto& req : table_req.buckets_req()) {
      if (req.has_truncation_epoch() || req.has_partition_id() || req.bucket_id() < 0 ||
          req.bucket_id() >= static_cast<int32_t>(table->buckets.size())) {
        continue;
      }
      auto& r = *table->replica[req.bucket_id()];
      auto& log = *table->buckets[req.bucket_id()];
      std::lock_guard rl(r.mu);
      if (r.role != ReplicaRole::kLeader) continue;
      if (req.has_current_leader_epoch() && req.current_leader_epoch() != r.leader_epoch) continue;
      auto it = r.followers.find(follower);
      if (it == r.followers.end()) continue;  // not a replica of the bucket
      auto& f = it->second;
      const int64_t leader_end = log.log_end_offset();
      const int64_t offset = std::min(req.fetch_offset(), leader_end);
      // Caught up: at the log end now, or at least where the log ended at its previous fetch.
      if (offset >= leader_end) {
        f.last_caught_up = now;
      } else if (f.leader_end_at_last_fetch >= 0 && offset >= f.leader_end_at_last_fetch) {
        f.last_caught_up = std::max(f.last_caught_up, f.last_fetch);
      }
      f.leader_end_at_last_fetch = leader_end;
      f.last_fetch = now;
      f.log_end_offset = offset;
      MaybeAdvanceHighWatermarkLocked({table_req.table_id(), req.bucket_id()}, r, log);
      const bool in_isr = std::find(r.isr.begin(), r.isr.end(), follower) != r.isr.end();
      if (!in_isr && !r.isr_fenced && offset >= log.high_watermark() && offset >= r.epoch_start_offset) {
        wake_isr = true;
      }
    }
  }
  if (wake_isr) {
    {
      std::lock_guard lock(isr_mu_);
      isr_wake_ = true;
    }
    isr_cv_.notify_all();
  }
}

std::optional<ReplicaManager::FollowerPosition> ReplicaManager::FollowerFetchPosition(TableBucketId bucket,
                                                                                       int32_t leader_epoch) const {
  auto table = GetTable(bucket.table_id);
  if (table == nullptr || bucket.bucket >= static_cast<int32_t>(table->buckets.size())) return std::nullopt;
  auto& r = *table->replica[bucket.bucket];
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kFollower || r.leader_epoch != leader_epoch) return std::nullopt;
  const auto& log = *table->buckets[bucket.bucket];
  FollowerPosition pos;
  pos.log_end_offset = log.log_end_offset();
  auto epochs = log.leader_epochs();
  pos.latest_epoch = epochs.empty() ? -1 : epochs.back().epoch;
  return pos;
}

namespace {

// Follows the leader's epoch cache up to the follower's log end (our batch headers carry no epoch).
void FollowLeaderEpochs(LogTablet& log, const proto::PbFetchLogRespForBucket& resp) {
  const int64_t end = log.log_end_offset();
  for (const auto& e : resp.leader_epochs()) {
    if (e.start_offset() > end) break;
    Status st = log.AssignLeaderEpoch(e.epoch(), e.start_offset());
    if (!st.ok()) spdlog::warn("recording leader epoch {} at {} in '{}': {}", e.epoch(), e.start_offset(), log.dir(),
                               st.ToString());
  }
}

}  // namespace

Status ReplicaManager::TruncateFollower(TableBucketId bucket, int32_t leader_epoch,
                                        const proto::PbFetchLogRespForBucket& resp) {
  auto table = GetTable(bucket.table_id);
  if (table == nullptr || bucket.bucket >= static_cast<int32_t>(table->buckets.size())) return Status::OK();
  auto& r = *table->replica[bucket.bucket];
  auto& log = *table->buckets[bucket.bucket];
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kFollower || r.leader_epoch != leader_epoch) return Status::OK();
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
    spdlog::info("follower of bucket {} of '{}': restarting its log at the leader's log start {}", bucket.bucket,
                 table->record.path.ToString(), resp.log_start_offset());
    FLUSS_RETURN_NOT_OK(log.TruncateFullyAndStartAt(resp.log_start_offset()));
  } else if (target < end) {
    spdlog::info("follower of bucket {} of '{}' at epoch {}: truncating from {} to {}, {}", bucket.bucket,
                 table->record.path.ToString(), leader_epoch, end, target, why);
    FLUSS_RETURN_NOT_OK(log.TruncateTo(target));
  }
  FollowLeaderEpochs(log, resp);
  return Status::OK();
}

Status ReplicaManager::ApplyFetched(TableBucketId bucket, int32_t leader_epoch, int64_t fetch_offset,
                                    const proto::PbFetchLogRespForBucket& resp) {
  auto table = GetTable(bucket.table_id);
  if (table == nullptr || bucket.bucket >= static_cast<int32_t>(table->buckets.size())) return Status::OK();
  auto& r = *table->replica[bucket.bucket];
  auto& log = *table->buckets[bucket.bucket];
  std::lock_guard rl(r.mu);
  if (r.role != ReplicaRole::kFollower || r.leader_epoch != leader_epoch) return Status::OK();
  if (log.log_end_offset() != fetch_offset) return Status::OK();  // changed meanwhile; the next round refetches
  if (!resp.records().empty()) {
    FLUSS_RETURN_NOT_OK(log.AppendAsFollower(Buffer::Copy(std::string_view(resp.records()))).status());
  }
  FollowLeaderEpochs(log, resp);
  if (resp.has_high_watermark()) {
    const int64_t hw = std::min(resp.high_watermark(), log.log_end_offset());
    if (hw > log.high_watermark()) log.UpdateHighWatermark(hw);
  }
  return Status::OK();
}

void ReplicaManager::IsrLoop() {
  const auto period = std::chrono::milliseconds(std::clamp<int64_t>(repl_.max_lag_ms / 2, 50, 5000));
  std::unique_lock lock(isr_mu_);
  while (!isr_stop_) {
    isr_cv_.wait_for(lock, period, [this] { return isr_stop_ || isr_wake_; });
    if (isr_stop_) return;
    isr_wake_ = false;
    lock.unlock();
    MaintainIsr();
    lock.lock();
  }
}

void ReplicaManager::MaintainIsr() {
  if (!repl_.adjust_isr) return;
  std::vector<std::shared_ptr<ServedTable>> tables;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, t] : tables_) tables.push_back(t);
  }
  const auto now = std::chrono::steady_clock::now();
  const auto max_lag = std::chrono::milliseconds(repl_.max_lag_ms);
  proto::AdjustIsrRequest request;
  request.set_server_id(repl_.server_id);
  struct Sent {
    std::shared_ptr<ServedTable> table;
    int32_t bucket;
    int32_t leader_epoch;
    int32_t bucket_epoch;
  };
  std::map<TableBucketId, Sent> sent;
  for (const auto& t : tables) {
    for (int32_t b = 0; b < static_cast<int32_t>(t->replica.size()); ++b) {
      auto& r = *t->replica[b];
      const auto& log = *t->buckets[b];
      std::lock_guard rl(r.mu);
      if (r.role != ReplicaRole::kLeader || r.isr_fenced) continue;
      std::vector<int32_t> isr;
      for (int32_t member : r.isr) {
        auto it = r.followers.find(member);
        if (member != repl_.server_id && it != r.followers.end() && now - it->second.last_caught_up > max_lag) {
          continue;  // shrink: has not caught up for log.replica.max-lag-time
        }
        isr.push_back(member);
      }
      for (const auto& [member, f] : r.followers) {
        if (std::find(isr.begin(), isr.end(), member) != isr.end()) continue;
        if (std::find(r.isr.begin(), r.isr.end(), member) != r.isr.end()) continue;  // just shrunk
        if (f.log_end_offset >= 0 && f.log_end_offset >= log.high_watermark() &&
            f.log_end_offset >= r.epoch_start_offset && now - f.last_caught_up <= max_lag) {
          isr.push_back(member);  // expand: caught up to the high watermark
        }
      }
      if (isr == r.isr) continue;
      auto* req = request.add_buckets_req();
      req->mutable_table_bucket()->set_table_id(t->record.table_id);
      req->mutable_table_bucket()->set_bucket_id(b);
      req->set_leader_epoch(r.leader_epoch);
      for (int32_t member : isr) req->add_new_isr(member);
      req->set_coordinator_epoch(std::max(coordinator_epoch_.load(), 0));
      req->set_bucket_epoch(r.bucket_epoch);
      spdlog::info("bucket {} of '{}': proposing isr [{}] (was [{}])", b, t->record.path.ToString(),
                   fmt::join(isr, ","), fmt::join(r.isr, ","));
      sent[{t->record.table_id, b}] = Sent{t, b, r.leader_epoch, r.bucket_epoch};
    }
  }
  if (sent.empty()) return;
  auto response = repl_.adjust_isr(request);
  if (!response.ok()) {
    spdlog::warn("AdjustIsr to the coordinator failed (retrying): {}", response.status().ToString());
    return;
  }
  for (const auto& resp : response->buckets_resp()) {
    auto it = sent.find({resp.table_bucket().table_id(), resp.table_bucket().bucket_id()});
    if (it == sent.end()) continue;
    const auto& s = it->second;
    auto& r = *s.table->replica[s.bucket];
    std::lock_guard rl(r.mu);
    if (r.role != ReplicaRole::kLeader || r.leader_epoch != s.leader_epoch || r.bucket_epoch != s.bucket_epoch) {
      continue;  // a notify came meanwhile
    }
    if (resp.has_error_code() && resp.error_code() != 0) {
      const auto code = static_cast<ErrorCode>(resp.error_code());
      spdlog::warn("AdjustIsr of bucket {} of '{}' refused: {} {}", s.bucket, s.table->record.path.ToString(),
                   resp.error_code(), resp.error_message());
      if (code == ErrorCode::kInvalidUpdateVersion || code == ErrorCode::kFencedLeaderEpoch) {
        r.isr_fenced = true;  // wait for the coordinator's next NotifyLeaderAndIsr
      }
      continue;
    }
    r.isr.assign(resp.isr().begin(), resp.isr().end());
    if (resp.has_bucket_epoch()) r.bucket_epoch = resp.bucket_epoch();
    MaybeAdvanceHighWatermarkLocked(it->first, r, *s.table->buckets[s.bucket]);
  }
}

}  // namespace fluss
