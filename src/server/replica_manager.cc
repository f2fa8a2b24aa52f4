#include "server/replica_manager.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "format/log_record_batch.h"
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

}  // namespace

ReplicaManager::ReplicaManager(LogManager* logs, std::function<void(TableBucketId)> on_append)
    : logs_(logs), on_append_(std::move(on_append)) {}

Status ReplicaManager::AddTable(const TableRecord& table, std::map<int32_t, Schema> schemas) {
  if (schemas.empty()) return Status::Internal(fmt::format("table '{}' has no schema", table.path.ToString()));
  auto served = std::make_shared<ServedTable>();
  served->record = table;
  served->schemas = std::move(schemas);
  for (int32_t b = 0; b < table.bucket_count; ++b) {
    const std::string dir = LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id, b);
    FLUSS_ASSIGN_OR_RETURN(auto log, logs_->GetOrCreateLog(dir));
    // One replica: everything appended is committed.
    log->UpdateHighWatermark(log->log_end_offset());
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
  Status first;
  for (int32_t b = 0; b < static_cast<int32_t>(table->buckets.size()); ++b) {
    const auto& path = table->record.path;
    Status st = logs_->DropLog(LogManager::BucketDir(path.database(), path.table(), table_id, b));
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
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
    // The records stay in the request message: the log appends from them without a copy.
    Buffer records = Buffer::Wrap(request, reinterpret_cast<const uint8_t*>(req.records().data()), req.records().size());
    // Every batch must name a schema of this table (checked on headers; the log checks CRCs).
    auto batches = ParseLogRecordBatches(records, /*verify_crc=*/false);
    if (!batches.ok()) {
      SetError(resp, batches.status());
      continue;
    }
    Status schema_check;
    for (const auto& batch : *batches) {
      if (table->schemas.count(batch.schema_id()) == 0) {
        schema_check = Status(ErrorCode::kSchemaNotExist,
                              fmt::format("batch at position {} of bucket {} names schema id {}, which table '{}' "
                                          "does not have",
                                          0, req.bucket_id(), batch.schema_id(), table->record.path.ToString()));
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

}  // namespace fluss
