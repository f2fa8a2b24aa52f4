#include "server/tablet_service.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "server/metadata_service.h"
#include "server/wire_error.h"
#include "types/schema.h"

namespace fluss {

TabletService::TabletService(const ServerConfig& config, MetadataStore* metadata, ReplicaManager* replicas,
                             DelayedFetchQueue* delayed_fetches, DelayedFetchQueue* delayed_produces,
                             Observers observers)
    : config_(config),
      metadata_(metadata),
      replicas_(replicas),
      delayed_fetches_(delayed_fetches),
      delayed_produces_(delayed_produces),
      observers_(std::move(observers)) {}

Status TabletService::Register(ApiTable& table) {
  using rpc::ApiKey;
  auto responding = [this](void (TabletService::*method)(const std::string&,
                                                          const std::shared_ptr<rpc::RpcResponder>&)) {
    return [this, method](const rpc::RpcRequest& request, const std::shared_ptr<rpc::RpcResponder>& responder) {
      (this->*method)(request.body, responder);
    };
  };
  // Appends run on the connection's network thread, in arrival order: a writer pipelines several
  // requests per bucket on one connection and relies on them being applied in the order sent. An
  // append is a write into the page cache; a KV put adds RocksDB reads and a memtable write (no
  // RocksDB WAL).
  FLUSS_RETURN_NOT_OK(table.Add(ApiKey::kProduceLog, responding(&TabletService::ProduceLog), ApiThread::kNetwork));
  FLUSS_RETURN_NOT_OK(table.Add(ApiKey::kPutKv, responding(&TabletService::PutKv), ApiThread::kNetwork));
  FLUSS_RETURN_NOT_OK(table.Add(ApiKey::kFetchLog, responding(&TabletService::FetchLog)));
  const std::pair<ApiKey, Result<std::string> (TabletService::*)(const std::string&)> handlers[] = {
      {ApiKey::kListOffsets, &TabletService::ListOffsets},
      {ApiKey::kLookup, &TabletService::Lookup},
      {ApiKey::kPrefixLookup, &TabletService::PrefixLookup},
      {ApiKey::kScanKv, &TabletService::ScanKv},
      {ApiKey::kNotifyLeaderAndIsr, &TabletService::NotifyLeaderAndIsr},
      {ApiKey::kStopReplica, &TabletService::StopReplica},
  };
  for (const auto& [key, method] : handlers) {
    FLUSS_RETURN_NOT_OK(table.AddBody(key, [this, method = method](const std::string& body) {
      return (this->*method)(body);
    }));
  }
  return Status::OK();
}

// ---- tables -----------------------------------------------------------------------------------

Status TabletService::OpenTable(const TableRecord& record) {
  std::map<int32_t, Schema> schemas;
  for (int32_t id = 1; id <= record.schema_id; ++id) {
    FLUSS_ASSIGN_OR_RETURN(auto text, metadata_->GetSchema(record.table_id, id));
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Status(ErrorCode::kSchemaNotExist,
                    fmt::format("schema {} of table '{}' is not valid JSON", id, record.path.ToString()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto schema, SchemaFromJson(j));
    schemas.emplace(id, std::move(schema));
  }
  FLUSS_RETURN_NOT_OK(replicas_->AddTable(record, std::move(schemas)));
  auto served = replicas_->GetTable(record.table_id);
  if (served == nullptr || !served->partitioned) return Status::OK();
  // A partitioned table's replicas are its partitions'.
  FLUSS_ASSIGN_OR_RETURN(auto partitions, metadata_->ListPartitions(record.path));
  for (const auto& partition : partitions) {
    if (partition.table_id != record.table_id) continue;  // the table was dropped and created again
    FLUSS_RETURN_NOT_OK(replicas_->AddPartition(partition).WithContext(
        fmt::format("opening partition '{}' (id {})", partition.partition_name, partition.partition_id)));
  }
  return Status::OK();
}

Status TabletService::PartitionCreated(const TableRecord& table, const PartitionRecord& partition) {
  if (replicas_->GetTable(table.table_id) == nullptr) FLUSS_RETURN_NOT_OK(OpenTable(table));
  return replicas_->AddPartition(partition);
}

void TabletService::PartitionDropped(const TableRecord& table, const PartitionRecord& partition) {
  Status st = replicas_->DropPartition(partition.partition_id);
  if (!st.ok()) {
    spdlog::warn("deleting the data of dropped partition '{}' (id {}) of table '{}': {}", partition.partition_name,
                 partition.partition_id, table.path.ToString(), st.ToString());
  }
}

Status TabletService::LoadTables() {
  for (const auto& record : metadata_->ListAllTables()) {
    FLUSS_RETURN_NOT_OK(OpenTable(record).WithContext(fmt::format("opening table '{}'", record.path.ToString())));
  }
  return Status::OK();
}

void TabletService::ProduceLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto parsed = ParseRequest<proto::ProduceLogRequest>(body);
  if (!parsed.ok()) {
    SendWireError(*responder, parsed.status(), rpc::ApiKey::kProduceLog);
    return;
  }
  if (parsed->acks() != 0 && parsed->acks() != 1 && parsed->acks() != -1) {
    SendWireError(*responder,
                  Status(ErrorCode::kInvalidRequiredAcks,
                         fmt::format("acks must be 0, 1 or -1 (all), not {}", parsed->acks())),
                  rpc::ApiKey::kProduceLog);
    return;
  }
  const int64_t timeout_ms = parsed->timeout_ms();
  auto req = std::make_shared<proto::ProduceLogRequest>(std::move(parsed).value());
  std::vector<ReplicaManager::PendingAck> pending;
  auto resp = std::make_shared<proto::ProduceLogResponse>(replicas_->Produce(req, &pending));
  AwaitAcks(std::move(resp), std::move(pending), timeout_ms, responder);
}

template <typename Response>
void TabletService::AwaitAcks(std::shared_ptr<Response> response, std::vector<ReplicaManager::PendingAck> pending,
                             int64_t timeout_ms, const std::shared_ptr<rpc::RpcResponder>& responder) {
  if (pending.empty() || delayed_produces_ == nullptr) {
    responder->SendSuccess(response->SerializeAsString());
    return;
  }
  // Parked until the high watermark covers every bucket's write (acks=-1), the wait runs out
  // (REQUEST_TIME_OUT) or this server stops leading the bucket (NOT_LEADER_OR_FOLLOWER). Responses
  // are matched by request id, so a later request of the connection may be answered first.
  std::set<TableBucket> buckets;
  for (const auto& p : pending) buckets.insert(p.bucket);
  auto waiting = std::make_shared<std::vector<ReplicaManager::PendingAck>>(std::move(pending));
  ReplicaManager* replicas = replicas_;
  const auto deadline = DelayedFetchQueue::Clock::now() + std::chrono::milliseconds(std::clamp<int64_t>(
                                                              timeout_ms, 0, config_.fetch_max_wait_cap_ms * 10));
  delayed_produces_->Add(std::move(buckets), deadline, [replicas, response, waiting, responder](bool expired) {
    if (!responder->connection_open()) return true;
    auto set_error = [&](size_t index, const Status& st) {
      SetResponseError(response->mutable_buckets_resp(static_cast<int>(index)), st);
    };
    for (auto it = waiting->begin(); it != waiting->end();) {
      switch (replicas->CheckAck(*it)) {
        case ReplicaManager::AckState::kDone:
          it = waiting->erase(it);
          break;
        case ReplicaManager::AckState::kNotLeader:
          set_error(it->index, Status(ErrorCode::kNotLeaderOrFollower,
                                      fmt::format("this server stopped leading {} before the write was replicated",
                                                  it->bucket.ToString())));
          it = waiting->erase(it);
          break;
        case ReplicaManager::AckState::kPending:
          ++it;
          break;
      }
    }
    if (!waiting->empty() && !expired) return false;
    for (const auto& p : *waiting) {
      set_error(p.index, Status(ErrorCode::kRequestTimeOut,
                                fmt::format("{}: the in-sync replicas did not acknowledge the write (acks=-1) "
                                            "within the request timeout",
                                            p.bucket.ToString())));
    }
    waiting->clear();
    responder->SendSuccess(response->SerializeAsString());
    return true;
  });
}

Result<std::string> TabletService::ListOffsets(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ListOffsetsRequest>(body));
  return replicas_->ListOffsets(req).SerializeAsString();
}

void TabletService::FetchLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto parsed = ParseRequest<proto::FetchLogRequest>(body);
  if (!parsed.ok()) {
    SendWireError(*responder, parsed.status(), rpc::ApiKey::kFetchLog);
    return;
  }
  auto req = std::make_shared<proto::FetchLogRequest>(std::move(parsed).value());
  const int64_t min_bytes = req->has_min_bytes() ? std::max(req->min_bytes(), 0) : 1;
  const int64_t max_wait_ms =
      req->has_max_wait_ms() ? std::clamp<int64_t>(req->max_wait_ms(), 0, config_.fetch_max_wait_cap_ms) : 0;
  replicas_->RecordFollowerFetch(*req);  // cluster mode: a follower's fetch offset is its log end
  FetchResult first = replicas_->Fetch(*req);
  if (first.has_error || first.bytes >= min_bytes || max_wait_ms == 0) {
    responder->SendSuccess(first.response.SerializeAsString());
    return;
  }
  std::set<TableBucket> buckets;
  for (const auto& t : req->tables_req()) {
    for (const auto& b : t.buckets_req()) {
      buckets.insert(TableBucket(t.table_id(), b.has_partition_id() ? std::optional<int64_t>(b.partition_id())
                                                                    : std::nullopt,
                                 b.bucket_id()));
    }
  }
  ReplicaManager* replicas = replicas_;
  delayed_fetches_->Add(std::move(buckets),
                        DelayedFetchQueue::Clock::now() + std::chrono::milliseconds(max_wait_ms),
                        [replicas, req, responder, min_bytes](bool expired) {
                          if (!responder->connection_open()) return true;  // nobody is waiting
                          FetchResult r = replicas->Fetch(*req);
                          if (!expired && !r.has_error && r.bytes < min_bytes) return false;
                          responder->SendSuccess(r.response.SerializeAsString());
                          return true;
                        });
}

// ---- primary-key tables --------------------------------------------------------------------

void TabletService::PutKv(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto req = ParseRequest<proto::PutKvRequest>(body);
  if (!req.ok()) {
    SendWireError(*responder, req.status(), rpc::ApiKey::kPutKv);
    return;
  }
  if (req->acks() != 0 && req->acks() != 1 && req->acks() != -1) {
    SendWireError(*responder,
                  Status(ErrorCode::kInvalidRequiredAcks,
                         fmt::format("acks must be 0, 1 or -1 (all), not {}", req->acks())),
                  rpc::ApiKey::kPutKv);
    return;
  }
  std::vector<ReplicaManager::PendingAck> pending;
  auto resp = std::make_shared<proto::PutKvResponse>(replicas_->PutKv(*req, &pending));
  AwaitAcks(std::move(resp), std::move(pending), req->timeout_ms(), responder);
}

Result<std::string> TabletService::NotifyLeaderAndIsr(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::NotifyLeaderAndIsrRequest>(body));
  if (observers_.notify_leader_and_isr) observers_.notify_leader_and_isr(req);
  // Tables this server has not opened yet come from the metadata store (the coordinator resends
  // buckets answered UNKNOWN_TABLE_OR_BUCKET).
  std::set<int64_t> unknown;
  for (const auto& b : req.notify_buckets_leader_req()) {
    const int64_t id = b.table_bucket().table_id();
    if (unknown.count(id) != 0 || replicas_->GetTable(id) != nullptr) continue;
    auto record = metadata_->GetTableById(id);
    Status st = record.ok() ? OpenTable(*record) : record.status();
    if (!st.ok()) {
      spdlog::warn("NotifyLeaderAndIsr for table id {}: {}", id, st.ToString());
      unknown.insert(id);
    }
  }
  // Likewise partitions created after their table was opened here (a partition the store does not
  // have yet answers UNKNOWN_TABLE_OR_BUCKET, and the coordinator resends).
  std::set<int64_t> opened_partitions;
  for (const auto& b : req.notify_buckets_leader_req()) {
    const auto& tb = b.table_bucket();
    if (!tb.has_partition_id() || unknown.count(tb.table_id()) != 0 ||
        !opened_partitions.insert(tb.partition_id()).second) {
      continue;
    }
    if (replicas_->GetReplica(TableBucket(tb.table_id(), tb.partition_id(), tb.bucket_id())) != nullptr) continue;
    auto partition = metadata_->GetPartitionById(tb.partition_id());
    Status st = partition.ok() ? replicas_->AddPartition(*partition) : partition.status();
    if (!st.ok()) spdlog::warn("NotifyLeaderAndIsr for partition id {}: {}", tb.partition_id(), st.ToString());
  }
  FLUSS_ASSIGN_OR_RETURN(auto resp, replicas_->BecomeLeaderOrFollower(req, unknown));
  return resp.SerializeAsString();
}

Result<std::string> TabletService::StopReplica(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::StopReplicaRequest>(body));
  if (observers_.stop_replica) observers_.stop_replica(req);
  FLUSS_ASSIGN_OR_RETURN(auto resp, replicas_->StopReplica(req));
  return resp.SerializeAsString();
}

Result<std::string> TabletService::Lookup(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::LookupRequest>(body));
  return replicas_->Lookup(req).SerializeAsString();
}

Result<std::string> TabletService::PrefixLookup(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::PrefixLookupRequest>(body));
  return replicas_->PrefixLookup(req).SerializeAsString();
}

Result<std::string> TabletService::ScanKv(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ScanKvRequest>(body));
  return replicas_->ScanKv(req).SerializeAsString();
}

}  // namespace fluss
