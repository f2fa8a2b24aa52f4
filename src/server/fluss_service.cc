#include "server/fluss_service.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/config_value.h"
#include "fluss_api.pb.h"
#include "kv/kv_tablet.h"
#include "kv/row_merger.h"
#include "rpc/api_keys.h"
#include "types/table_descriptor.h"
#include "types/table_properties.h"

namespace fluss {

namespace {

template <typename M>
Result<M> Parse(const std::string& body) {
  M m;
  if (!m.ParsePartialFromString(body)) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("cannot parse {}: malformed protobuf", M::descriptor()->name()));
  }
  if (!m.IsInitialized()) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("cannot parse {}: missing required fields: {}",
                                                          M::descriptor()->name(), m.InitializationErrorString()));
  }
  return m;
}

Result<TablePath> ToTablePath(const proto::PbTablePath& p) { return TablePath::Make(p.database_name(), p.table_name()); }

Status CheckJsonObject(const std::string& text, ErrorCode code, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(code, fmt::format("{} is not a JSON object", what));
  }
  return Status::OK();
}

}  // namespace

FlussService::FlussService(const ServerConfig& config, MetadataStore* metadata, ReplicaManager* replicas,
                           DelayedFetchQueue* delayed_fetches, WorkerPool* workers,
                           DelayedFetchQueue* delayed_produces)
    : config_(config),
      metadata_(metadata),
      replicas_(replicas),
      delayed_fetches_(delayed_fetches),
      workers_(workers),
      delayed_produces_(delayed_produces) {}

void FlussService::Handle(rpc::RpcRequest request, std::shared_ptr<rpc::RpcResponder> responder) {
  if (request.api_key == static_cast<int16_t>(rpc::ApiKey::kProduceLog) ||
      request.api_key == static_cast<int16_t>(rpc::ApiKey::kPutKv)) {
    // Appends run on the connection's network thread, in arrival order: a writer pipelines several
    // requests per bucket on one connection and relies on them being applied in the order sent
    // (the worker pool could run them out of order). An append is a write into the page cache; a
    // KV put adds RocksDB reads and a memtable write (no RocksDB WAL).
    Process(request, responder);
    return;
  }
  auto req = std::make_shared<rpc::RpcRequest>(std::move(request));
  workers_->Submit([this, req, responder = std::move(responder)] { Process(*req, responder); });
}

void FlussService::Process(const rpc::RpcRequest& request, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto api = rpc::FindServedApi(request.api_key);
  if (!api) {
    spdlog::warn("request {} from {}: unknown api key {}", request.request_id, request.peer, request.api_key);
    responder->SendError(Status(ErrorCode::kUnsupportedVersion,
                                fmt::format("api key {} is not supported by this server", request.api_key)));
    return;
  }
  if (request.api_version < api->min_version || request.api_version > api->max_version) {
    responder->SendError(Status(ErrorCode::kUnsupportedVersion,
                                fmt::format("{} version {} is not supported (this server serves {}..{})", api->name,
                                            request.api_version, api->min_version, api->max_version)));
    return;
  }
  using rpc::ApiKey;
  Result<std::string> result = Status::Internal("unreachable");
  const std::string& body = request.body;
  std::optional<Result<std::string>> taken;
  if (hooks_.intercept) taken = hooks_.intercept(request);
  if (taken) {
    result = std::move(*taken);
  } else switch (api->key) {
    case ApiKey::kApiVersions: result = ApiVersions(body); break;
    case ApiKey::kCreateDatabase: result = CreateDatabase(body); break;
    case ApiKey::kDropDatabase: result = DropDatabase(body); break;
    case ApiKey::kListDatabases: result = ListDatabases(body); break;
    case ApiKey::kDatabaseExists: result = DatabaseExists(body); break;
    case ApiKey::kGetDatabaseInfo: result = GetDatabaseInfo(body); break;
    case ApiKey::kCreateTable: result = CreateTable(body); break;
    case ApiKey::kDropTable: result = DropTable(body); break;
    case ApiKey::kGetTableInfo: result = GetTableInfo(body); break;
    case ApiKey::kListTables: result = ListTables(body); break;
    case ApiKey::kTableExists: result = TableExists(body); break;
    case ApiKey::kGetTableSchema: result = GetTableSchema(body); break;
    case ApiKey::kGetMetadata: result = GetMetadata(body); break;
    case ApiKey::kInitWriter: result = InitWriter(body); break;
    case ApiKey::kProduceLog: ProduceLog(body, responder); return;
    case ApiKey::kListOffsets: result = ListOffsets(body); break;
    case ApiKey::kPutKv: PutKv(body, responder); return;
    case ApiKey::kNotifyLeaderAndIsr: result = NotifyLeaderAndIsr(body); break;
    case ApiKey::kStopReplica: result = StopReplica(body); break;
    case ApiKey::kLookup: result = Lookup(body); break;
    case ApiKey::kPrefixLookup: result = PrefixLookup(body); break;
    case ApiKey::kScanKv: result = ScanKv(body); break;
    case ApiKey::kFetchLog: FetchLog(body, responder); return;
    default:
      result = Status(ErrorCode::kUnsupportedVersion, fmt::format("{} is not implemented", api->name));
  }
  if (result.ok()) {
    responder->SendSuccess(std::move(result).value());
  } else {
    spdlog::debug("{} from {} failed: {}", api->name, request.peer, result.status().ToString());
    responder->SendError(result.status());
  }
}

// ---- handshake and metadata -------------------------------------------------------------------

Result<std::string> FlussService::ApiVersions(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::ApiVersionsRequest>(body));
  proto::ApiVersionsResponse resp;
  for (const auto& api : rpc::kServedApis) {
    auto* v = resp.add_api_versions();
    v->set_api_key(static_cast<int32_t>(api.key));
    v->set_min_version(api.min_version);
    v->set_max_version(api.max_version);
  }
  // A standalone server is coordinator and tablet server at once, so server_type is left unset:
  // clients that check it only do so when it is present.
  return resp.SerializeAsString();
}

proto::PbTableMetadata* AddTableMetadata(proto::MetadataResponse& resp, const proto::PbTablePath& path,
                                         const TableRecord& table) {
  auto* tm = resp.add_table_metadata();
  *tm->mutable_table_path() = path;
  tm->set_table_id(table.table_id);
  tm->set_schema_id(table.schema_id);
  tm->set_table_json(table.table_json);
  tm->set_created_time(table.created_time_ms);
  tm->set_modified_time(table.modified_time_ms);
  return tm;
}

Result<std::string> FlussService::GetMetadata(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::MetadataRequest>(body));
  if (req.partitions_path_size() > 0 || req.partitions_id_size() > 0) {
    return Status(ErrorCode::kTableNotPartitioned, "partitioned tables are not supported yet");
  }
  proto::MetadataResponse resp;
  auto fill_node = [this](proto::PbServerNode* node) {
    node->set_node_id(config_.server_id);
    node->set_host(config_.advertised_host);
    node->set_port(config_.advertised_port);
    node->set_listeners(fmt::format("{}://{}:{}", config_.bind.name, config_.advertised_host, config_.advertised_port));
  };
  fill_node(resp.mutable_coordinator_server());
  fill_node(resp.add_tablet_servers());
  for (const auto& p : req.table_path()) {
    FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(p));
    FLUSS_ASSIGN_OR_RETURN(auto table, metadata_->GetTable(path));
    FLUSS_ASSIGN_OR_RETURN(auto assignment, metadata_->GetAssignment(table.table_id));
    auto* tm = AddTableMetadata(resp, p, table);
    for (const auto& a : assignment) {
      auto* bm = tm->add_bucket_metadata();
      bm->set_bucket_id(a.bucket_id);
      if (a.leader >= 0) bm->set_leader_id(a.leader);
      for (int32_t r : a.replicas) bm->add_replica_id(r);
      bm->set_leader_epoch(a.leader_epoch);
    }
  }
  return resp.SerializeAsString();
}

// ---- databases --------------------------------------------------------------------------------

Result<std::string> FlussService::CreateDatabase(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::CreateDatabaseRequest>(body));
  std::string json = req.has_database_json() && !req.database_json().empty() ? req.database_json() : "{}";
  FLUSS_RETURN_NOT_OK(CheckJsonObject(json, ErrorCode::kInvalidDatabase, "database_json"));
  FLUSS_RETURN_NOT_OK(metadata_->CreateDatabase(req.database_name(), std::move(json), req.ignore_if_exists()));
  return proto::CreateDatabaseResponse().SerializeAsString();
}

Result<std::string> FlussService::DropDatabase(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::DropDatabaseRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto dropped,
                         metadata_->DropDatabase(req.database_name(), req.ignore_if_not_exists(), req.cascade()));
  for (const auto& t : dropped) {
    if (hooks_.table_dropped) {
      hooks_.table_dropped(t);
      continue;
    }
    Status st = replicas_->DropTable(t.table_id);
    if (!st.ok()) spdlog::warn("deleting the data of dropped table '{}': {}", t.path.ToString(), st.ToString());
  }
  return proto::DropDatabaseResponse().SerializeAsString();
}

Result<std::string> FlussService::ListDatabases(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::ListDatabasesRequest>(body));
  proto::ListDatabasesResponse resp;
  for (const auto& name : metadata_->ListDatabases()) {
    resp.add_database_name(name);
    if (req.include_summary()) {
      auto db = metadata_->GetDatabase(name);
      auto tables = metadata_->ListTables(name);
      if (!db.ok() || !tables.ok()) continue;  // dropped meanwhile
      auto* s = resp.add_database_summary();
      s->set_database_name(name);
      s->set_created_time(db->created_time_ms);
      s->set_table_count(static_cast<int32_t>(tables->size()));
    }
  }
  return resp.SerializeAsString();
}

Result<std::string> FlussService::DatabaseExists(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::DatabaseExistsRequest>(body));
  proto::DatabaseExistsResponse resp;
  resp.set_exists(metadata_->DatabaseExists(req.database_name()));
  return resp.SerializeAsString();
}

Result<std::string> FlussService::GetDatabaseInfo(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::GetDatabaseInfoRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto db, metadata_->GetDatabase(req.database_name()));
  proto::GetDatabaseInfoResponse resp;
  resp.set_database_json(db.database_json);
  resp.set_created_time(db.created_time_ms);
  resp.set_modified_time(db.modified_time_ms);
  return resp.SerializeAsString();
}

// ---- tables -----------------------------------------------------------------------------------

Status FlussService::CheckLakeProperties(const TablePath& path, const TableDescriptor& descriptor) const {
  const auto& props = descriptor.properties();
  auto enabled = props.find("table.datalake.enabled");
  if (enabled != props.end() && ParseBoolOption(enabled->first, enabled->second).ValueOr(false) &&
      config_.datalake_format.empty()) {
    return Status(ErrorCode::kLakeStorageNotConfigured,
                  fmt::format("cannot create '{}' with table.datalake.enabled=true: this server has no lake "
                              "(start it with --set datalake.format=iceberg --set datalake.iceberg.warehouse=<dir>)",
                              path.ToString()));
  }
  return Status::OK();
}

Result<std::string> FlussService::CreateTable(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::CreateTableRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  auto json = nlohmann::json::parse(req.table_json(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status(ErrorCode::kInvalidTable, "table_json is not valid JSON");
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, TableDescriptorFromJson(json));
  if (!descriptor.bucket_count()) descriptor.DistributedBy(config_.default_bucket_number, descriptor.bucket_keys());
  FLUSS_RETURN_NOT_OK(descriptor.Validate());
  // Every property by type, range and the kind of table (types/table_properties.h).
  FLUSS_ASSIGN_OR_RETURN(auto property_check, CheckTablePropertiesForCreate(path, descriptor));
  if (descriptor.has_primary_key()) {
    // The merge engine's per-column functions are checked now, not at the first write.
    auto merger = RowMerger::Create(descriptor.schema(), descriptor.properties());
    if (!merger.ok()) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("cannot create '{}': {}", path.ToString(), merger.status().message()));
    }
  }
  FLUSS_RETURN_NOT_OK(CheckLakeProperties(path, descriptor));
  if (!hooks_.assign) {
    // Standalone: one replica per bucket.
    auto factor = descriptor.properties().find("table.replication.factor");
    if (factor != descriptor.properties().end() && ParseIntOption(factor->first, factor->second).ValueOr(1) != 1) {
      return Status(ErrorCode::kInvalidReplicationFactor,
                    fmt::format("cannot create '{}': table.replication.factor {} needs a cluster; a standalone "
                                "server has one replica",
                                path.ToString(), factor->second));
    }
  }
  if (descriptor.is_partitioned()) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("cannot create '{}': partitioned tables are not supported yet", path.ToString()));
  }
  const int32_t buckets = *descriptor.bucket_count();
  if (buckets > config_.max_bucket_num) {
    return Status(ErrorCode::kBucketMaxNum, fmt::format("table '{}' asks for {} buckets; max.bucket.num is {}",
                                                        path.ToString(), buckets, config_.max_bucket_num));
  }
  std::vector<BucketAssignment> assignment;
  if (hooks_.assign) {
    FLUSS_ASSIGN_OR_RETURN(assignment, hooks_.assign(path, descriptor, buckets));
  } else for (int32_t b = 0; b < buckets; ++b) {
    BucketAssignment a;
    a.bucket_id = b;
    a.replicas = {config_.server_id};
    a.leader = config_.server_id;
    assignment.push_back(std::move(a));
  }
  const bool existed = metadata_->TableExists(path);
  FLUSS_ASSIGN_OR_RETURN(auto record, metadata_->CreateTable(path, TableDescriptorToJson(descriptor).dump(),
                                                             SchemaToJson(descriptor.schema()).dump(), buckets,
                                                             std::move(assignment), req.ignore_if_exists()));
  if (!existed) {
    Status st = hooks_.table_created ? hooks_.table_created(record) : OpenTable(record);
    if (!st.ok()) {
      // Leave no half-created table behind.
      (void)metadata_->DropTable(path, /*ignore_if_not_exists=*/true);
      if (!hooks_.table_created) (void)replicas_->DropTable(record.table_id);
      return st.WithContext(fmt::format("creating the logs of table '{}'", path.ToString()));
    }
    spdlog::info("created table '{}' (id {}, {} buckets)", path.ToString(), record.table_id, buckets);
    if (!property_check.not_implemented.empty()) {
      spdlog::warn("table '{}': {} {} of Apache Fluss that fluss-cpp does not implement; accepted and ignored",
                   path.ToString(), property_check.not_implemented.size() == 1 ? "property" : "properties",
                   fmt::join(property_check.not_implemented, ", "));
    }
  }
  return proto::CreateTableResponse().SerializeAsString();
}

Result<std::string> FlussService::DropTable(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::DropTableRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  FLUSS_ASSIGN_OR_RETURN(auto record, metadata_->DropTable(path, req.ignore_if_not_exists()));
  if (record.table_id >= 0 && hooks_.table_dropped) {
    hooks_.table_dropped(record);
  } else if (record.table_id >= 0) {
    Status st = replicas_->DropTable(record.table_id);
    if (!st.ok()) spdlog::warn("deleting the data of dropped table '{}': {}", path.ToString(), st.ToString());
    spdlog::info("dropped table '{}' (id {})", path.ToString(), record.table_id);
  }
  return proto::DropTableResponse().SerializeAsString();
}

Result<std::string> FlussService::GetTableInfo(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::GetTableInfoRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  FLUSS_ASSIGN_OR_RETURN(auto t, metadata_->GetTable(path));
  proto::GetTableInfoResponse resp;
  resp.set_table_id(t.table_id);
  resp.set_schema_id(t.schema_id);
  resp.set_table_json(t.table_json);
  resp.set_created_time(t.created_time_ms);
  resp.set_modified_time(t.modified_time_ms);
  return resp.SerializeAsString();
}

Result<std::string> FlussService::ListTables(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::ListTablesRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto names, metadata_->ListTables(req.database_name()));
  proto::ListTablesResponse resp;
  for (auto& n : names) resp.add_table_name(std::move(n));
  return resp.SerializeAsString();
}

Result<std::string> FlussService::TableExists(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::TableExistsRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  proto::TableExistsResponse resp;
  resp.set_exists(metadata_->TableExists(path));
  return resp.SerializeAsString();
}

Result<std::string> FlussService::GetTableSchema(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::GetTableSchemaRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  FLUSS_ASSIGN_OR_RETURN(auto t, metadata_->GetTable(path));
  const int32_t id = req.has_schema_id() ? req.schema_id() : t.schema_id;
  FLUSS_ASSIGN_OR_RETURN(auto schema, metadata_->GetSchema(t.table_id, id));
  proto::GetTableSchemaResponse resp;
  resp.set_schema_id(id);
  resp.set_schema_json(std::move(schema));
  return resp.SerializeAsString();
}

Status FlussService::OpenTable(const TableRecord& record) {
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
  return replicas_->AddTable(record, std::move(schemas));
}

Status FlussService::LoadTables() {
  for (const auto& record : metadata_->ListAllTables()) {
    FLUSS_RETURN_NOT_OK(OpenTable(record).WithContext(fmt::format("opening table '{}'", record.path.ToString())));
  }
  return Status::OK();
}

// ---- data path --------------------------------------------------------------------------------

Result<std::string> FlussService::InitWriter(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::InitWriterRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(int64_t id, metadata_->AllocateWriterId());
  proto::InitWriterResponse resp;
  resp.set_writer_id(id);
  return resp.SerializeAsString();
}

void FlussService::ProduceLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto parsed = Parse<proto::ProduceLogRequest>(body);
  if (!parsed.ok()) {
    responder->SendError(parsed.status());
    return;
  }
  if (parsed->acks() != 0 && parsed->acks() != 1 && parsed->acks() != -1) {
    responder->SendError(Status(ErrorCode::kInvalidRequiredAcks,
                                fmt::format("acks must be 0, 1 or -1 (all), not {}", parsed->acks())));
    return;
  }
  const int64_t timeout_ms = parsed->timeout_ms();
  auto req = std::make_shared<proto::ProduceLogRequest>(std::move(parsed).value());
  std::vector<ReplicaManager::PendingAck> pending;
  auto resp = std::make_shared<proto::ProduceLogResponse>(replicas_->Produce(req, &pending));
  AwaitAcks(std::move(resp), std::move(pending), timeout_ms, responder);
}

template <typename Response>
void FlussService::AwaitAcks(std::shared_ptr<Response> response, std::vector<ReplicaManager::PendingAck> pending,
                             int64_t timeout_ms, const std::shared_ptr<rpc::RpcResponder>& responder) {
  if (pending.empty() || delayed_produces_ == nullptr) {
    responder->SendSuccess(response->SerializeAsString());
    return;
  }
  // Parked until the high watermark covers every bucket's write (acks=-1), the wait runs out
  // (REQUEST_TIME_OUT) or this server stops leading the bucket (NOT_LEADER_OR_FOLLOWER). Responses
  // are matched by request id, so a later request of the connection may be answered first.
  std::set<TableBucketId> buckets;
  for (const auto& p : pending) buckets.insert(p.bucket);
  auto waiting = std::make_shared<std::vector<ReplicaManager::PendingAck>>(std::move(pending));
  ReplicaManager* replicas = replicas_;
  const auto deadline = DelayedFetchQueue::Clock::now() + std::chrono::milliseconds(std::clamp<int64_t>(
                                                              timeout_ms, 0, config_.fetch_max_wait_cap_ms * 10));
  delayed_produces_->Add(std::move(buckets), deadline, [replicas, response, waiting, responder](bool expired) {
    if (!responder->connection_open()) return true;
    auto set_error = [&](size_t index, const Status& st) {
      auto* b = response->mutable_buckets_resp(static_cast<int>(index));
      b->set_error_code(static_cast<int32_t>(st.code()));
      b->set_error_message(st.message());
    };
    for (auto it = waiting->begin(); it != waiting->end();) {
      switch (replicas->CheckAck(*it)) {
        case ReplicaManager::AckState::kDone:
          it = waiting->erase(it);
          break;
        case ReplicaManager::AckState::kNotLeader:
          set_error(it->index, Status(ErrorCode::kNotLeaderOrFollower,
                                      fmt::format("this server stopped leading bucket {} of table id {} before the "
                                                  "write was replicated",
                                                  it->bucket.bucket, it->bucket.table_id)));
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
                                fmt::format("bucket {} of table id {}: the in-sync replicas did not acknowledge the "
                                            "write (acks=-1) within the request timeout",
                                            p.bucket.bucket, p.bucket.table_id)));
    }
    waiting->clear();
    responder->SendSuccess(response->SerializeAsString());
    return true;
  });
}

Result<std::string> FlussService::ListOffsets(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::ListOffsetsRequest>(body));
  return replicas_->ListOffsets(req).SerializeAsString();
}

void FlussService::FetchLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto parsed = Parse<proto::FetchLogRequest>(body);
  if (!parsed.ok()) {
    responder->SendError(parsed.status());
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
  std::set<TableBucketId> buckets;
  for (const auto& t : req->tables_req()) {
    for (const auto& b : t.buckets_req()) buckets.insert({t.table_id(), b.bucket_id()});
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

void FlussService::PutKv(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder) {
  auto req = Parse<proto::PutKvRequest>(body);
  if (!req.ok()) {
    responder->SendError(req.status());
    return;
  }
  if (req->acks() != 0 && req->acks() != 1 && req->acks() != -1) {
    responder->SendError(
        Status(ErrorCode::kInvalidRequiredAcks, fmt::format("acks must be 0, 1 or -1 (all), not {}", req->acks())));
    return;
  }
  std::vector<ReplicaManager::PendingAck> pending;
  auto resp = std::make_shared<proto::PutKvResponse>(replicas_->PutKv(*req, &pending));
  AwaitAcks(std::move(resp), std::move(pending), req->timeout_ms(), responder);
}

// ---- cluster mode: coordinator -> tablet server -------------------------------------------

Result<std::string> FlussService::NotifyLeaderAndIsr(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::NotifyLeaderAndIsrRequest>(body));
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
  FLUSS_ASSIGN_OR_RETURN(auto resp, replicas_->BecomeLeaderOrFollower(req, unknown));
  return resp.SerializeAsString();
}

Result<std::string> FlussService::StopReplica(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::StopReplicaRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto resp, replicas_->StopReplica(req));
  return resp.SerializeAsString();
}

Result<std::string> FlussService::Lookup(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::LookupRequest>(body));
  return replicas_->Lookup(req).SerializeAsString();
}

Result<std::string> FlussService::PrefixLookup(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::PrefixLookupRequest>(body));
  return replicas_->PrefixLookup(req).SerializeAsString();
}

Result<std::string> FlussService::ScanKv(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, Parse<proto::ScanKvRequest>(body));
  return replicas_->ScanKv(req).SerializeAsString();
}

}  // namespace fluss
