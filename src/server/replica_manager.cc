#include "server/replica_manager.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rpc/api_keys.h"
#include "server/data_dir_layout.h"
#include "server/replica/replica_fetcher.h"
#include "server/wire_error.h"
#include "types/table_descriptor.h"

namespace fluss {

namespace {

template <typename Resp>
void SetBucketError(Resp* resp, const Status& st) {
  SetResponseError(resp, st);
}

Status UnknownTableError(int64_t table_id) {
  return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("unknown table id {}", table_id));
}

Status UnknownBucketError(const TableBucket& id) {
  if (id.partition_id) return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("unknown {}", id.ToString()));
  return Status(ErrorCode::kUnknownTableOrBucket,
                fmt::format("unknown bucket {} of table id {}", id.bucket, id.table_id));
}

// "db/orders-7/log-0" -> "db/orders-7/kv-0": the KV tablet sits beside the bucket's log.
std::string KvDirBesideLog(const std::string& log_dir) {
  const size_t slash = log_dir.rfind('/');
  return log_dir.substr(0, slash + 1) + "kv-" + log_dir.substr(slash + 1 + 4);
}

// The bucket a PbXxxReqForBucket of table `table_id` names.
template <typename Req>
TableBucket BucketOfRequest(int64_t table_id, const Req& req) {
  return TableBucket(table_id, req.has_partition_id() ? std::optional<int64_t>(req.partition_id()) : std::nullopt,
                     req.bucket_id());
}

TableBucket BucketOfPb(const proto::PbTableBucket& tb) {
  return TableBucket(tb.table_id(), tb.has_partition_id() ? std::optional<int64_t>(tb.partition_id()) : std::nullopt,
                     tb.bucket_id());
}

std::vector<ServerId> ServerIdsOf(const google::protobuf::RepeatedField<int32_t>& ids) {
  std::vector<ServerId> out;
  out.reserve(ids.size());
  for (int32_t id : ids) out.push_back(ServerId(id));
  return out;
}

}  // namespace

ReplicaManager::ReplicaManager(LogManager* logs, std::shared_ptr<KvResources> kv_resources,
                               std::function<void(TableBucket)> on_append)
    : logs_(logs) {
  context_.kv_resources = kv_resources != nullptr ? std::move(kv_resources) : KvResources::Create(KvOptions{});
  context_.scans = &scans_;
  if (on_append) context_.on_append = [on_append = std::move(on_append)](const TableBucket& b) { on_append(b); };
}

ReplicaManager::~ReplicaManager() { StopReplication(); }

// ---- the map ------------------------------------------------------------------------------------

Status ReplicaManager::AddTable(const TableRecord& table, std::map<int32_t, Schema> schemas) {
  if (schemas.empty()) return Status::Internal(fmt::format("table '{}' has no schema", table.path.ToString()));
  auto served = std::make_shared<ServedTable>();
  served->record = table;
  served->schemas = std::move(schemas);
  auto json = nlohmann::json::parse(table.table_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status(ErrorCode::kInvalidTable, "stored table_json is not valid JSON");
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, TableDescriptorFromJson(json));
  {
    auto lake = descriptor.properties().find("table.datalake.enabled");
    served->lake_enabled = lake != descriptor.properties().end() && lake->second == "true";
  }
  served->partitioned = descriptor.is_partitioned();
  served->primary_key = served->latest_schema().has_primary_key();
  if (served->primary_key) {
    served->kv_options.bucket_count = table.bucket_count;
    served->kv_options.bucket_keys = descriptor.bucket_keys();
    served->kv_options.partition_keys = descriptor.partition_keys();
    served->kv_options.properties = descriptor.properties();
    // Cluster mode: a new leader rebuilds its KV state from the changelog, so all of it stays.
    served->kv_options.hold_whole_log = cluster_;
  }
  if (served->partitioned) {
    // No buckets of its own. Partitions added from now on get the new table; those added before (a
    // new schema) are handed it (outside the map's lock, as the replicas of a table are).
    std::vector<std::shared_ptr<Replica>> previous;
    {
      std::unique_lock lock(mu_);
      tables_[table.table_id] = served;
      for (const auto& [id, replica] : replicas_) {
        if (id.table_id == table.table_id) previous.push_back(replica);
      }
    }
    for (const auto& replica : previous) replica->UpdateTable(served);
    return Status::OK();
  }
  // A table added again (a new schema) keeps its replicas and their state.
  const std::vector<std::shared_ptr<Replica>> previous = ReplicasOf(table.table_id);
  FLUSS_ASSIGN_OR_RETURN(auto replicas, OpenBuckets(served, nullptr, previous));
  std::unique_lock lock(mu_);
  tables_[table.table_id] = std::move(served);
  for (auto& replica : replicas) replicas_[replica->id()] = std::move(replica);
  return Status::OK();
}

Result<std::vector<std::shared_ptr<Replica>>> ReplicaManager::OpenBuckets(
    const std::shared_ptr<const ServedTable>& served, const PartitionRecord* partition,
    const std::vector<std::shared_ptr<Replica>>& previous) {
  const TableRecord& table = served->record;
  std::optional<std::pair<std::string, int64_t>> part;
  std::optional<int64_t> partition_id;
  if (partition != nullptr) {
    part.emplace(partition->partition_name, partition->partition_id);
    partition_id = partition->partition_id;
  }
  // Bucket logs this call creates: a failure part way removes them again (and their KV stores and
  // the table's or partition's directory when this call made it), so a failed create leaves nothing
  // for the next start.
  const std::string container_dir =
      logs_->data_dir() + "/" +
      std::filesystem::path(LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id, 0, part))
          .parent_path()
          .string();
  const std::string table_dir = logs_->data_dir() + "/" + DataDirLayout::TableDir(table.path, table.table_id);
  const bool container_existed = std::filesystem::exists(container_dir);
  const bool table_dir_existed = std::filesystem::exists(table_dir);
  std::vector<std::string> created_dirs;
  std::vector<std::shared_ptr<Replica>> replicas;
  std::vector<std::shared_ptr<Replica>> created_replicas;  // on created logs
  auto add_buckets = [&]() -> Status {
    // The new buckets' logs first, all at once: their directories cost one fsync of the container
    // (partition or table) directory and one of its parent, not one per log (LogManager::CreateLogs).
    std::set<std::string> fresh;
    for (int32_t b = static_cast<int32_t>(previous.size()); b < table.bucket_count; ++b) {
      std::string dir = LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id, b, part);
      if (logs_->GetLog(dir) == nullptr) fresh.insert(std::move(dir));
    }
    created_dirs.assign(fresh.begin(), fresh.end());
    FLUSS_RETURN_NOT_OK(logs_->CreateLogs(created_dirs));
    for (int32_t b = 0; b < table.bucket_count; ++b) {
      if (b < static_cast<int32_t>(previous.size())) {
        previous[b]->UpdateTable(served);
        replicas.push_back(previous[b]);
        continue;
      }
      const std::string dir =
          LogManager::BucketDir(table.path.database(), table.path.table(), table.table_id, b, part);
      const bool created = fresh.contains(dir);
      FLUSS_ASSIGN_OR_RETURN(auto log, logs_->GetOrCreateLog(dir));
      // Nothing of a lake table goes before the lake has it; a hold set earlier stays.
      if (served->lake_enabled && log->retention_hold(RetentionHold::kLakeTiered) < 0) {
        log->SetRetentionHold(RetentionHold::kLakeTiered, 0);
      }
      if (served->primary_key && served->kv_options.hold_whole_log) log->SetRetentionHold(RetentionHold::kKvApplied, 0);
      auto replica = std::make_shared<Replica>(TableBucket(table.table_id, partition_id, b), served, std::move(log),
                                               logs_->data_dir() + "/" + KvDirBesideLog(dir), &context_);
      replicas.push_back(replica);
      if (created) created_replicas.push_back(replica);
      if (!cluster_) {
        // Standalone: the only replica leads, its ISR is this server (the high watermark moves with
        // every append). A primary-key bucket opens its KV state now.
        LeaderAndIsrState alone;
        alone.leader = context_.server_id;
        alone.replicas = alone.isr = {context_.server_id};
        FLUSS_RETURN_NOT_OK(replica->BecomeLeader(alone));
      }
      // Cluster mode: the replica waits for the coordinator's NotifyLeaderAndIsr; the high watermark
      // stays as checkpointed.
    }
    return Status::OK();
  };
  if (Status st = add_buckets(); !st.ok()) {
    for (const auto& replica : created_replicas) replica->Delete();
    for (const std::string& dir : created_dirs) {
      if (logs_->GetLog(dir) != nullptr) (void)logs_->DropLog(dir);
      std::error_code ec;
      std::filesystem::remove_all(logs_->data_dir() + "/" + KvDirBesideLog(dir), ec);
    }
    std::error_code ec;
    if (!container_existed && std::filesystem::is_empty(container_dir, ec)) std::filesystem::remove(container_dir, ec);
    if (!table_dir_existed && std::filesystem::is_empty(table_dir, ec)) std::filesystem::remove(table_dir, ec);
    return st;
  }
  return replicas;
}

Status ReplicaManager::DeleteReplicas(const std::vector<std::shared_ptr<Replica>>& replicas,
                                      const std::vector<std::string>& log_dirs, const std::string& dir) {
  for (const auto& replica : replicas) {
    if (fetchers_) fetchers_->RemoveBucket(replica->id());
    scans_.EndBucket(replica->id());
    replica->Delete();  // its KV state
  }
  Status first;
  for (const std::string& log_dir : log_dirs) {
    if (logs_->GetLog(log_dir) == nullptr) continue;
    Status st = logs_->DropLog(log_dir);
    if (!st.ok() && first.ok()) first = st;
  }
  std::error_code ec;
  const std::string abs = logs_->data_dir() + "/" + dir;
  std::filesystem::remove_all(abs, ec);
  if (ec && first.ok()) first = Status::IOError(fmt::format("cannot remove '{}': {}", abs, ec.message()));
  return first;
}

Status ReplicaManager::DropTable(int64_t table_id) {
  std::shared_ptr<const ServedTable> table;
  std::vector<std::shared_ptr<Replica>> replicas;
  std::vector<std::string> log_dirs;
  {
    std::unique_lock lock(mu_);
    auto it = tables_.find(table_id);
    if (it == tables_.end()) return Status::OK();
    table = it->second;
    tables_.erase(it);
    const auto& path = table->record.path;
    // The table's own buckets, or those of each of its partitions.
    std::vector<std::optional<std::pair<std::string, int64_t>>> containers;
    if (table->partitioned) {
      for (auto p = partitions_.begin(); p != partitions_.end();) {
        if (p->second.table_id != table_id) {
          ++p;
          continue;
        }
        containers.emplace_back(std::make_pair(p->second.name, p->first));
        p = partitions_.erase(p);
      }
    } else {
      containers.emplace_back(std::nullopt);
    }
    for (const auto& part : containers) {
      for (int32_t b = 0; b < table->bucket_count(); ++b) {
        log_dirs.push_back(LogManager::BucketDir(path.database(), path.table(), table_id, b, part));
        auto r = replicas_.find(TableBucket(table_id, part ? std::optional<int64_t>(part->second) : std::nullopt, b));
        if (r == replicas_.end()) continue;
        replicas.push_back(std::move(r->second));
        replicas_.erase(r);
      }
    }
  }
  lake_holds_.Forget(table_id);
  scans_.EndTable(table_id);
  // The table's own directory ({db}/{table}-{id}, named by this record) goes with everything in it.
  return DeleteReplicas(replicas, log_dirs, DataDirLayout::TableDir(table->record.path, table_id));
}

Status ReplicaManager::AddPartition(const PartitionRecord& partition) {
  auto served = GetTable(partition.table_id);
  if (served == nullptr) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("cannot open partition '{}' (id {}): table id {} is not open on this server",
                              partition.partition_name, partition.partition_id, partition.table_id));
  }
  const std::string path = served->record.path.ToString();
  if (!served->partitioned) {
    return Status(ErrorCode::kTableNotPartitioned,
                  fmt::format("cannot open partition '{}' (id {}): table '{}' is not partitioned",
                              partition.partition_name, partition.partition_id, path));
  }
  {
    std::shared_lock lock(mu_);
    auto it = partitions_.find(partition.partition_id);
    if (it != partitions_.end()) {
      if (it->second.table_id == partition.table_id && it->second.name == partition.partition_name) {
        return Status::OK();
      }
      return Status::Internal(fmt::format("partition id {} is open here as '{}' of table id {}, not as '{}' of '{}'",
                                          partition.partition_id, it->second.name, it->second.table_id,
                                          partition.partition_name, path));
    }
  }
  FLUSS_ASSIGN_OR_RETURN(auto replicas, OpenBuckets(served, &partition, {}));
  std::unique_lock lock(mu_);
  auto t = tables_.find(partition.table_id);
  if (t == tables_.end()) {
    // The table was dropped meanwhile: what was just opened goes too.
    lock.unlock();
    std::vector<std::string> log_dirs;
    for (const auto& r : replicas) {
      log_dirs.push_back(LogManager::BucketDir(served->record.path.database(), served->record.path.table(),
                                               partition.table_id, r->id().bucket,
                                               std::make_pair(partition.partition_name, partition.partition_id)));
    }
    (void)DeleteReplicas(replicas, log_dirs, DataDirLayout::TableDir(served->record.path, partition.table_id));
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("table '{}' was dropped while its partition '{}' opened", path,
                              partition.partition_name));
  }
  partitions_[partition.partition_id] = ServedPartition{partition.table_id, partition.partition_name};
  for (auto& replica : replicas) replicas_[replica->id()] = std::move(replica);
  return Status::OK();
}

Status ReplicaManager::DropPartition(int64_t partition_id) {
  std::shared_ptr<const ServedTable> table;
  ServedPartition partition;
  std::vector<std::shared_ptr<Replica>> replicas;
  {
    std::unique_lock lock(mu_);
    auto it = partitions_.find(partition_id);
    if (it == partitions_.end()) return Status::OK();
    partition = it->second;
    partitions_.erase(it);
    auto t = tables_.find(partition.table_id);
    if (t == tables_.end()) return Status::OK();  // went with its table
    table = t->second;
    for (int32_t b = 0; b < table->bucket_count(); ++b) {
      auto r = replicas_.find(TableBucket(partition.table_id, partition_id, b));
      if (r == replicas_.end()) continue;
      replicas.push_back(std::move(r->second));
      replicas_.erase(r);
    }
  }
  const auto& path = table->record.path;
  const auto part = std::make_pair(partition.name, partition_id);
  std::vector<std::string> log_dirs;
  for (int32_t b = 0; b < table->bucket_count(); ++b) {
    log_dirs.push_back(LogManager::BucketDir(path.database(), path.table(), partition.table_id, b, part));
  }
  const std::string dir = std::filesystem::path(log_dirs.front()).parent_path().string();
  return DeleteReplicas(replicas, log_dirs, dir);
}

std::vector<int64_t> ReplicaManager::PartitionsOf(int64_t table_id) const {
  std::shared_lock lock(mu_);
  std::vector<int64_t> out;
  for (const auto& [id, p] : partitions_) {
    if (p.table_id == table_id) out.push_back(id);
  }
  return out;
}

std::shared_ptr<const ServedTable> ReplicaManager::GetTable(int64_t table_id) const {
  std::shared_lock lock(mu_);
  auto it = tables_.find(table_id);
  return it == tables_.end() ? nullptr : it->second;
}

std::shared_ptr<Replica> ReplicaManager::GetReplica(const TableBucket& bucket) const {
  std::shared_lock lock(mu_);
  auto it = replicas_.find(bucket);
  return it == replicas_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<Replica>> ReplicaManager::FindReplica(const TableBucket& bucket) const {
  std::shared_lock lock(mu_);
  auto it = replicas_.find(bucket);
  if (it != replicas_.end()) return it->second;
  auto t = tables_.find(bucket.table_id);
  if (t == tables_.end()) return UnknownTableError(bucket.table_id);
  // Upstream answers every bucket this server has no replica of UNKNOWN_TABLE_OR_BUCKET; the
  // message says which part of the name is wrong.
  const ServedTable& table = *t->second;
  const std::string path = table.record.path.ToString();
  if (table.partitioned && !bucket.partition_id) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("table '{}' (id {}) is partitioned: bucket {} needs a partition id", path,
                              bucket.table_id, bucket.bucket));
  }
  if (!table.partitioned && bucket.partition_id) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("table '{}' (id {}) is not partitioned: bucket {} has partition id {}", path,
                              bucket.table_id, bucket.bucket, *bucket.partition_id));
  }
  if (bucket.partition_id) {
    auto p = partitions_.find(*bucket.partition_id);
    if (p == partitions_.end() || p->second.table_id != bucket.table_id) {
      return Status(ErrorCode::kUnknownTableOrBucket,
                    fmt::format("unknown partition id {} of table '{}' (id {})", *bucket.partition_id, path,
                                bucket.table_id));
    }
  }
  return UnknownBucketError(bucket);
}

std::vector<std::shared_ptr<Replica>> ReplicaManager::ReplicasOf(int64_t table_id,
                                                                 std::optional<int64_t> partition_id) const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Replica>> out;
  auto t = tables_.find(table_id);
  if (t == tables_.end()) return out;
  for (int32_t b = 0; b < t->second->bucket_count(); ++b) {
    auto it = replicas_.find(TableBucket(table_id, partition_id, b));
    if (it == replicas_.end()) break;
    out.push_back(it->second);
  }
  return out;
}

template <typename Reqs, typename Resps, typename BucketOf, typename Serve, typename Missing>
bool ReplicaManager::ForEachBucket(const Reqs& reqs, Resps* resps, BucketOf bucket_of, const Status& request_error,
                                   Serve serve, Missing missing) const {
  bool failed = false;
  for (const auto& req : reqs) {
    const TableBucket id = bucket_of(req);
    auto* resp = resps->Add();
    using Resp = std::remove_pointer_t<decltype(resp)>;
    if constexpr (requires(Resp& r) { r.mutable_table_bucket(); }) {
      auto* tb = resp->mutable_table_bucket();
      tb->set_table_id(id.table_id);
      if (id.partition_id) tb->set_partition_id(*id.partition_id);
      tb->set_bucket_id(id.bucket);
    } else {
      resp->set_bucket_id(id.bucket);
      if constexpr (requires(Resp& r) { r.set_partition_id(int64_t{0}); }) {
        if (id.partition_id) resp->set_partition_id(*id.partition_id);
      }
    }
    Status st = request_error;
    if (st.ok()) {
      auto replica = FindReplica(id);
      st = replica.ok() ? serve(req, **replica, resp) : missing(req, replica.status());
    }
    if (!st.ok()) {
      SetBucketError(resp, st);
      failed = true;
    }
  }
  return failed;
}

template <typename Reqs, typename Resps, typename BucketOf, typename Serve>
bool ReplicaManager::ForEachBucket(const Reqs& reqs, Resps* resps, BucketOf bucket_of, const Status& request_error,
                                   Serve serve) const {
  return ForEachBucket(reqs, resps, bucket_of, request_error, serve,
                       [](const auto&, const Status& not_found) { return not_found; });
}

// ---- client requests ----------------------------------------------------------------------------

proto::ProduceLogResponse ReplicaManager::Produce(const std::shared_ptr<proto::ProduceLogRequest>& request,
                                                  std::vector<PendingAck>* pending) {
  proto::ProduceLogResponse response;
  const int64_t table_id = request->table_id();
  ForEachBucket(
      request->buckets_req(), response.mutable_buckets_resp(),
      [table_id](const auto& req) { return BucketOfRequest(table_id, req); }, Status::OK(),
      [&](const proto::PbProduceLogReqForBucket& req, Replica& replica, proto::PbProduceLogRespForBucket* resp) {
        // The records stay in the request message: the log appends from them without a copy.
        Buffer records =
            Buffer::Wrap(request, reinterpret_cast<const uint8_t*>(req.records().data()), req.records().size());
        auto appended = replica.Produce(records, request->acks());
        if (!appended.ok()) return appended.status();
        resp->set_base_offset(appended->base_offset.value());
        if (appended->awaits_high_watermark && pending != nullptr) {
          pending->push_back(PendingAck{static_cast<size_t>(response.buckets_resp_size() - 1), replica.id(),
                                        appended->leader_epoch, *appended->awaits_high_watermark});
        }
        return Status::OK();
      });
  return response;
}

FetchResult ReplicaManager::Fetch(const proto::FetchLogRequest& request) const {
  FetchResult result;
  int64_t budget = std::max<int64_t>(request.max_bytes(), 1);
  // Only a cluster leader serves followers: they read up to the log end, clients up to the high
  // watermark.
  const bool follower_fetch = cluster_ && request.follower_server_id() >= 0;
  for (const auto& table_req : request.tables_req()) {
    auto* table_resp = result.response.add_tables_resp();
    const int64_t table_id = table_req.table_id();
    table_resp->set_table_id(table_id);
    auto table = GetTable(table_id);
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
    const std::vector<size_t>* projection = table_req.projection_pushdown_enabled() ? &columns : nullptr;
    const bool failed = ForEachBucket(
        table_req.buckets_req(), table_resp->mutable_buckets_resp(),
        [table_id](const auto& req) { return BucketOfRequest(table_id, req); }, Status::OK(),
        [&](const proto::PbFetchLogReqForBucket& req, Replica& replica, proto::PbFetchLogRespForBucket* resp) {
          if (!projection_check.ok()) return projection_check;
          bool answer_now = false;
          Status st = replica.Fetch(req, follower_fetch, projection, budget, resp, &answer_now);
          if (answer_now) result.has_error = true;
          if (!st.ok()) {
            resp->clear_records();
            return st;
          }
          budget -= static_cast<int64_t>(resp->records().size());
          result.bytes += static_cast<int64_t>(resp->records().size());
          return Status::OK();
        });
    if (failed) result.has_error = true;
  }
  return result;
}

proto::ListOffsetsResponse ReplicaManager::ListOffsets(const proto::ListOffsetsRequest& request) const {
  proto::ListOffsetsResponse response;
  const int64_t table_id = request.table_id();
  const std::optional<int64_t> partition =
      request.has_partition_id() ? std::optional<int64_t>(request.partition_id()) : std::nullopt;
  const std::optional<int64_t> timestamp =
      request.has_starttimestamp() ? std::optional<int64_t>(request.starttimestamp()) : std::nullopt;
  ForEachBucket(
      request.bucket_id(), response.mutable_buckets_resp(),
      [&](int32_t bucket) { return TableBucket(table_id, partition, bucket); }, Status::OK(),
      [&](int32_t, Replica& replica, proto::PbListOffsetsRespForBucket* resp) {
        auto offset = replica.ListOffset(request.offset_type(), timestamp);
        if (!offset.ok()) return offset.status();
        resp->set_offset(offset->value());
        return Status::OK();
      });
  return response;
}

proto::PutKvResponse ReplicaManager::PutKv(const proto::PutKvRequest& request, std::vector<PendingAck>* pending) {
  proto::PutKvResponse response;
  const int64_t table_id = request.table_id();
  const std::vector<int32_t> targets(request.target_columns().begin(), request.target_columns().end());
  Status request_error;
  if (request.has_agg_mode() && request.agg_mode() != 0) {
    request_error = Status(ErrorCode::kInvalidConfig,
                           fmt::format("agg_mode {} is not supported (only 0, through the merge engine)",
                                       request.agg_mode()));
  }
  ForEachBucket(
      request.buckets_req(), response.mutable_buckets_resp(),
      [table_id](const auto& req) { return BucketOfRequest(table_id, req); }, request_error,
      [&](const proto::PbPutKvReqForBucket& req, Replica& replica, proto::PbPutKvRespForBucket* resp) {
        auto put = replica.PutKv(req.records(), targets, request.acks());
        if (!put.ok()) return put.status();
        resp->set_log_end_offset(put->log_end_offset.value());
        if (put->awaits_high_watermark && pending != nullptr) {
          pending->push_back(PendingAck{static_cast<size_t>(response.buckets_resp_size() - 1), replica.id(),
                                        put->leader_epoch, *put->awaits_high_watermark});
        }
        return Status::OK();
      });
  return response;
}

proto::LookupResponse ReplicaManager::Lookup(const proto::LookupRequest& request) const {
  proto::LookupResponse response;
  const int64_t table_id = request.table_id();
  const Status request_error =
      request.insert_if_not_exists()
          ? Status::NotSupported("insert_if_not_exists needs auto-increment columns, which fluss-cpp does not have yet")
          : Status::OK();
  ForEachBucket(
      request.buckets_req(), response.mutable_buckets_resp(),
      [table_id](const auto& req) { return BucketOfRequest(table_id, req); }, request_error,
      [&](const proto::PbLookupReqForBucket& req, Replica& replica, proto::PbLookupRespForBucket* resp) {
        auto values = replica.Lookup(std::vector<std::string>(req.keys().begin(), req.keys().end()));
        if (!values.ok()) return values.status();
        for (auto& v : *values) {
          auto* pv = resp->add_values();
          if (v) pv->set_values(std::move(*v));
        }
        return Status::OK();
      });
  return response;
}

proto::PrefixLookupResponse ReplicaManager::PrefixLookup(const proto::PrefixLookupRequest& request) const {
  proto::PrefixLookupResponse response;
  const int64_t table_id = request.table_id();
  ForEachBucket(
      request.buckets_req(), response.mutable_buckets_resp(),
      [table_id](const auto& req) { return BucketOfRequest(table_id, req); }, Status::OK(),
      [&](const proto::PbPrefixLookupReqForBucket& req, Replica& replica, proto::PbPrefixLookupRespForBucket* resp) {
        auto lists = replica.PrefixLookup(std::vector<std::string>(req.keys().begin(), req.keys().end()));
        if (!lists.ok()) return lists.status();
        for (auto& values : *lists) {
          auto* list = resp->add_value_lists();
          for (auto& v : values) list->add_values(std::move(v));
        }
        return Status::OK();
      });
  return response;
}

proto::ScanKvResponse ReplicaManager::ScanKv(const proto::ScanKvRequest& request) {
  return scans_.Scan(request, [this](const TableBucket& bucket) -> Result<std::shared_ptr<KvTablet>> {
    FLUSS_ASSIGN_OR_RETURN(auto replica, FindReplica(bucket));
    return replica->LeaderKv();
  });
}

Status ReplicaManager::FlushKv() {
  std::vector<std::shared_ptr<Replica>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, replica] : replicas_) all.push_back(replica);
  }
  Status first;
  for (const auto& replica : all) {
    Status st = replica->FlushKv();
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

// ---- lake retention -----------------------------------------------------------------------------

void ReplicaManager::SetTieredOffsetsProvider(TieredOffsetsProvider provider) {
  lake_holds_.SetProvider(std::move(provider));
}

void ReplicaManager::UpdateLakeRetentionHolds() {
  lake_holds_.Update([this] {
    std::vector<LakeRetentionHolds::LakeTable> lake_tables;
    std::vector<std::shared_ptr<const ServedTable>> tables;
    {
      std::shared_lock lock(mu_);
      for (const auto& [id, t] : tables_) {
        if (t->lake_enabled) tables.push_back(t);
      }
    }
    for (const auto& t : tables) {
      const int64_t table_id = t->record.table_id;
      LakeRetentionHolds::LakeTable lt{t->record, {}};
      auto add = [&lt](const std::vector<std::shared_ptr<Replica>>& replicas) {
        for (const auto& replica : replicas) lt.logs.emplace_back(replica->id(), replica->log());
      };
      if (t->partitioned) {
        for (int64_t partition_id : PartitionsOf(table_id)) add(ReplicasOf(table_id, partition_id));
      } else {
        add(ReplicasOf(table_id));
      }
      lake_tables.push_back(std::move(lt));
    }
    return lake_tables;
  });
}

// ---- replication --------------------------------------------------------------------------------

void ReplicaManager::EnableReplication(ReplicationOptions options) {
  cluster_ = true;
  repl_ = std::move(options);
  context_.server_id = repl_.server_id;
  context_.min_insync_replicas = repl_.min_insync_replicas;
  if (repl_.on_high_watermark) {
    context_.on_high_watermark = [f = repl_.on_high_watermark](const TableBucket& b) { f(b); };
  }
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

Status ReplicaManager::AcceptCoordinatorEpoch(CoordinatorEpoch epoch) {
  if (!cluster_) return Status(ErrorCode::kInvalidCoordinator, "this server is standalone: it has no coordinator");
  CoordinatorEpoch seen = coordinator_epoch_.load();
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
  FLUSS_RETURN_NOT_OK(AcceptCoordinatorEpoch(CoordinatorEpoch(request.coordinator_epoch())));
  proto::NotifyLeaderAndIsrResponse response;
  ForEachBucket(
      request.notify_buckets_leader_req(), response.mutable_notify_buckets_leader_resp(),
      [](const auto& req) { return BucketOfPb(req.table_bucket()); }, Status::OK(),
      [&](const proto::PbNotifyLeaderAndIsrReqForBucket& req, Replica& replica,
          proto::PbNotifyLeaderAndIsrRespForBucket*) -> Status {
        if (unknown_tables.count(replica.id().table_id) != 0) return UnknownTableError(replica.id().table_id);
        LeaderAndIsrState state;
        state.leader = ServerId(req.leader());
        state.leader_epoch = LeaderEpoch(req.leader_epoch());
        state.bucket_epoch = BucketEpoch(req.bucket_epoch());
        state.replicas = ServerIdsOf(req.replicas());
        state.isr = ServerIdsOf(req.isr());
        FLUSS_ASSIGN_OR_RETURN(const bool unchanged, replica.UpdateLeadership(state));
        if (unchanged) return Status::OK();
        if (state.leader == repl_.server_id) {
          fetchers_->RemoveBucket(replica.id());
          return replica.BecomeLeader(state);
        }
        FLUSS_RETURN_NOT_OK(replica.BecomeFollower(state));
        fetchers_->AddBucket(replica.id(), state.leader, state.leader_epoch);
        return Status::OK();
      });
  return response;
}

Result<proto::StopReplicaResponse> ReplicaManager::StopReplica(const proto::StopReplicaRequest& request) {
  FLUSS_RETURN_NOT_OK(AcceptCoordinatorEpoch(CoordinatorEpoch(request.coordinator_epoch())));
  proto::StopReplicaResponse response;
  // (table id, partition id) of buckets deleted here.
  std::set<std::pair<int64_t, std::optional<int64_t>>> deleted;
  ForEachBucket(
      request.stop_replicas_req(), response.mutable_stop_replicas_resp(),
      [](const auto& req) { return BucketOfPb(req.table_bucket()); }, Status::OK(),
      [&](const proto::PbStopReplicaReqForBucket& req, Replica& replica, proto::PbStopReplicaRespForBucket*) {
        fetchers_->RemoveBucket(replica.id());
        // A negative leader epoch names none (the coordinator of a dropped table may not know it).
        std::optional<LeaderEpoch> epoch;
        if (req.leader_epoch() >= 0) epoch = LeaderEpoch(req.leader_epoch());
        Status st = replica.Stop(epoch, req.delete_());
        if (req.delete_() && replica.deleted()) deleted.emplace(replica.id().table_id, replica.id().partition_id);
        return st;
      },
      [&](const proto::PbStopReplicaReqForBucket& req, const Status& not_found) {
        // Deleting a table, or a partition, that is not here is done.
        if (!req.delete_()) return not_found;
        const TableBucket bucket = BucketOfPb(req.table_bucket());
        if (GetTable(bucket.table_id) == nullptr) return Status::OK();
        if (bucket.partition_id) {
          const auto here = PartitionsOf(bucket.table_id);
          if (std::find(here.begin(), here.end(), *bucket.partition_id) == here.end()) return Status::OK();
        }
        return not_found;
      });
  // Parked acks=-1 writes and fetches of these buckets answer now (NOT_LEADER_OR_FOLLOWER).
  if (repl_.on_high_watermark) {
    for (const auto& req : request.stop_replicas_req()) repl_.on_high_watermark(BucketOfPb(req.table_bucket()));
  }
  // A table (or partition) whose every bucket here was deleted goes entirely (its directories too).
  for (const auto& [table_id, partition_id] : deleted) {
    const auto replicas = ReplicasOf(table_id, partition_id);
    if (replicas.empty()) continue;
    if (std::all_of(replicas.begin(), replicas.end(), [](const auto& r) { return r->deleted(); })) {
      Status st = partition_id ? DropPartition(*partition_id) : DropTable(table_id);
      if (!st.ok()) {
        spdlog::warn("deleting the stopped replicas of {}: {}",
                     partition_id ? fmt::format("partition id {} of table id {}", *partition_id, table_id)
                                  : fmt::format("table id {}", table_id),
                     st.ToString());
      }
    }
  }
  return response;
}

std::optional<ReplicaManager::ReplicaInfo> ReplicaManager::GetReplicaInfo(const TableBucket& bucket) const {
  auto replica = GetReplica(bucket);
  if (replica == nullptr) return std::nullopt;
  return replica->info();
}

ReplicaManager::AckState ReplicaManager::CheckAck(const PendingAck& ack) const {
  auto replica = GetReplica(ack.bucket);
  if (replica == nullptr) return AckState::kNotLeader;
  return replica->CheckAck(ack.leader_epoch, ack.required_offset);
}

void ReplicaManager::RecordFollowerFetch(const proto::FetchLogRequest& request) {
  if (!cluster_ || request.follower_server_id() < 0) return;
  const ServerId follower(request.follower_server_id());
  const auto now = std::chrono::steady_clock::now();
  bool wake_isr = false;
  for (const auto& table_req : request.tables_req()) {
    for (const auto& req : table_req.buckets_req()) {
      if (req.has_truncation_epoch()) continue;
      auto replica = GetReplica(BucketOfRequest(table_req.table_id(), req));
      if (replica == nullptr) continue;
      std::optional<LeaderEpoch> epoch;
      if (req.has_current_leader_epoch()) epoch = LeaderEpoch(req.current_leader_epoch());
      if (replica->RecordFollowerFetch(follower, LogOffset(req.fetch_offset()), epoch, now)) wake_isr = true;
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

std::optional<ReplicaManager::FollowerPosition> ReplicaManager::FollowerFetchPosition(const TableBucket& bucket,
                                                                                      LeaderEpoch leader_epoch) const {
  auto replica = GetReplica(bucket);
  if (replica == nullptr) return std::nullopt;
  return replica->FollowerFetchPosition(leader_epoch);
}

Status ReplicaManager::TruncateFollower(const TableBucket& bucket, LeaderEpoch leader_epoch,
                                        const proto::PbFetchLogRespForBucket& resp) {
  auto replica = GetReplica(bucket);
  return replica == nullptr ? Status::OK() : replica->TruncateFollower(leader_epoch, resp);
}

Status ReplicaManager::ApplyFetched(const TableBucket& bucket, LeaderEpoch leader_epoch, LogOffset fetch_offset,
                                    const proto::PbFetchLogRespForBucket& resp) {
  auto replica = GetReplica(bucket);
  return replica == nullptr ? Status::OK() : replica->ApplyFetched(leader_epoch, fetch_offset, resp);
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
  std::vector<std::shared_ptr<Replica>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, replica] : replicas_) all.push_back(replica);
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  const auto now = std::chrono::steady_clock::now();
  const auto max_lag = std::chrono::milliseconds(repl_.max_lag_ms);
  proto::AdjustIsrRequest request;
  request.set_server_id(repl_.server_id.value());
  std::map<TableBucket, std::pair<std::shared_ptr<Replica>, Replica::IsrProposal>> sent;
  for (const auto& replica : all) {
    auto proposal = replica->ProposeIsr(now, max_lag);
    if (!proposal) continue;
    const TableBucket& id = replica->id();
    auto* req = request.add_buckets_req();
    req->mutable_table_bucket()->set_table_id(id.table_id);
    if (id.partition_id) req->mutable_table_bucket()->set_partition_id(*id.partition_id);
    req->mutable_table_bucket()->set_bucket_id(id.bucket);
    req->set_leader_epoch(proposal->leader_epoch.value());
    for (ServerId member : proposal->isr) req->add_new_isr(member.value());
    req->set_coordinator_epoch(std::max(coordinator_epoch_.load().value(), 0));
    req->set_bucket_epoch(proposal->bucket_epoch.value());
    sent.emplace(id, std::make_pair(replica, std::move(*proposal)));
  }
  if (sent.empty()) return;
  auto response = repl_.adjust_isr(request);
  if (!response.ok()) {
    spdlog::warn("AdjustIsr to the coordinator failed (retrying): {}", response.status().ToString());
    return;
  }
  for (const auto& resp : response->buckets_resp()) {
    auto it = sent.find(BucketOfPb(resp.table_bucket()));
    if (it == sent.end()) continue;
    it->second.first->ApplyIsrResponse(it->second.second, resp);
  }
}

}  // namespace fluss
