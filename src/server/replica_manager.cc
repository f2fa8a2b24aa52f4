#include "server/replica_manager.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "format/kv_record_batch.h"
#include "format/log_record_batch.h"
#include "format/value_encoding.h"
#include "types/table_descriptor.h"
#include "rpc/api_keys.h"

namespace fluss {

namespace {

template <typename Resp>
void SetError(Resp* resp, const Status& st) {
  resp->set_error_code(static_cast<int32_t>(st.code()));
  resp->set_error_message(st.message());
}

Status UnknownBucket(int64_t table_id, int32_t bucket) {
  return Status(ErrorCode::kUnknownTableOrBucket,
                fmt::format("unknown bucket {} of table id {}", bucket, table_id));
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
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, TableDescriptor::FromJson(json));
  {
    auto lake = descriptor.properties().find("table.datalake.enabled");
    served->lake_enabled = lake != descriptor.properties().end() && lake->second == "true";
  }
  KvTabletOptions kv_options;
  if (has_pk) {
    kv_options.bucket_count = table.bucket_count;
    kv_options.bucket_keys = descriptor.bucket_keys();
    kv_options.properties = descriptor.properties();
  }
  for (int32_t b = 0; b < table.bucket_count; ++b) {
    const std::string dir = LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id, b);
    FLUSS_ASSIGN_OR_RETURN(auto log, logs_->GetOrCreateLog(dir));
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
  Status first;
  if (table->has_primary_key()) {
    // End the table's scan sessions (their snapshots pin the stores), then delete the stores.
    std::vector<std::shared_ptr<ScanSession>> ended;
    {
      std::lock_guard lock(scan_mu_);
      for (auto it = scanners_.begin(); it != scanners_.end();) {
        if (it->second->table_id == table_id) {
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

std::vector<std::string> ReplicaManager::ServedLogDirs() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, t] : tables_) {
    for (int32_t b = 0; b < static_cast<int32_t>(t->buckets.size()); ++b) {
      out.push_back(LogManager::BucketDir(t->record.path.database(), t->record.path.table(), id, b));
    }
  }
  return out;
}

proto::ProduceLogResponse ReplicaManager::Produce(const std::shared_ptr<proto::ProduceLogRequest>& request) {
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
      const int64_t offset = req.fetch_offset() == rpc::kEarliestOffset ? log->log_start_offset() : req.fetch_offset();
      resp->set_high_watermark(log->high_watermark());
      resp->set_log_start_offset(log->log_start_offset());
      if (budget <= 0 && offset >= 0 && offset <= log->high_watermark()) continue;  // answered in a later fetch
      const size_t max_bytes = static_cast<size_t>(std::max<int64_t>(1, std::min<int64_t>(req.max_fetch_bytes(), budget)));
      auto data = log->Read(offset, max_bytes, FetchIsolation::kHighWatermark);
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
  if (has_partition || bucket < 0 || bucket >= static_cast<int32_t>(table->kv.size())) {
    return UnknownBucket(table_id, bucket);
  }
  return table->kv[bucket];
}

proto::PutKvResponse ReplicaManager::PutKv(const proto::PutKvRequest& request) {
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
    resp.set_error_code(static_cast<int32_t>(st.code()));
    resp.set_error_message(st.message());
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
    for (const auto& [id, t] : tables_) all.insert(all.end(), t->kv.begin(), t->kv.end());
  }
  Status first;
  for (auto& kv : all) {
    Status st = kv->Flush();
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

}  // namespace fluss
