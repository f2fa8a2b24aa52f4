// Admin and Connection: DDL and metadata calls, each one request to the coordinator.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/client_context.h"
#include "fluss_api.pb.h"
#include "types/table_descriptor.h"

namespace fluss {

namespace {

void SetPath(proto::PbTablePath* p, const TablePath& path) {
  p->set_database_name(path.database());
  p->set_table_name(path.table());
}

}  // namespace

// ---- Connection ---------------------------------------------------------------------------------

Result<std::shared_ptr<Connection>> Connection::Create(Configuration config) {
  FLUSS_ASSIGN_OR_RETURN(auto ctx, ClientContext::Make(std::move(config)));
  FLUSS_ASSIGN_OR_RETURN(auto client, ctx->AdminClient());
  (void)client;
  return std::shared_ptr<Connection>(new Connection(std::move(ctx)));
}

Connection::~Connection() { Close(); }

const Configuration& Connection::config() const { return ctx_->config; }

void Connection::Close() { ctx_->Close(); }

Result<Table> Connection::GetTable(const TablePath& path) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, ctx_->GetTableMetadata(path, /*refresh=*/true));
  return Table(ctx_, meta.info);
}

// ---- databases ----------------------------------------------------------------------------------

Status Admin::CreateDatabase(const std::string& name, bool ignore_if_exists, const std::string& comment) {
  FLUSS_RETURN_NOT_OK(TablePath::ValidateName(name, "database"));
  proto::CreateDatabaseRequest req;
  req.set_database_name(name);
  req.set_ignore_if_exists(ignore_if_exists);
  nlohmann::json j = {{"version", 1}, {"custom_properties", nlohmann::json::object()}};
  if (!comment.empty()) j["comment"] = comment;
  req.set_database_json(j.dump());
  return ctx_->AdminCall<proto::CreateDatabaseResponse>(rpc::ApiKey::kCreateDatabase, req).status();
}

Status Admin::DropDatabase(const std::string& name, bool ignore_if_not_exists, bool cascade) {
  proto::DropDatabaseRequest req;
  req.set_database_name(name);
  req.set_ignore_if_not_exists(ignore_if_not_exists);
  req.set_cascade(cascade);
  return ctx_->AdminCall<proto::DropDatabaseResponse>(rpc::ApiKey::kDropDatabase, req).status();
}

Result<std::vector<std::string>> Admin::ListDatabases() {
  proto::ListDatabasesRequest req;
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->AdminCall<proto::ListDatabasesResponse>(rpc::ApiKey::kListDatabases, req));
  return std::vector<std::string>(resp.database_name().begin(), resp.database_name().end());
}

Result<bool> Admin::DatabaseExists(const std::string& name) {
  proto::DatabaseExistsRequest req;
  req.set_database_name(name);
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->AdminCall<proto::DatabaseExistsResponse>(rpc::ApiKey::kDatabaseExists, req));
  return resp.exists();
}

Result<DatabaseInfo> Admin::GetDatabaseInfo(const std::string& name) {
  proto::GetDatabaseInfoRequest req;
  req.set_database_name(name);
  FLUSS_ASSIGN_OR_RETURN(auto resp,
                         ctx_->AdminCall<proto::GetDatabaseInfoResponse>(rpc::ApiKey::kGetDatabaseInfo, req));
  DatabaseInfo info;
  info.name = name;
  info.created_time_ms = resp.created_time();
  info.modified_time_ms = resp.modified_time();
  auto j = nlohmann::json::parse(resp.database_json(), nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("comment") && j["comment"].is_string()) info.comment = j["comment"];
  return info;
}

// ---- tables -------------------------------------------------------------------------------------

Status Admin::CreateTable(const TablePath& path, const TableDescriptor& descriptor, bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(descriptor.Validate());
  proto::CreateTableRequest req;
  SetPath(req.mutable_table_path(), path);
  req.set_table_json(TableDescriptorToJson(descriptor).dump());
  req.set_ignore_if_exists(ignore_if_exists);
  return ctx_->AdminCall<proto::CreateTableResponse>(rpc::ApiKey::kCreateTable, req).status();
}

Status Admin::DropTable(const TablePath& path, bool ignore_if_not_exists) {
  proto::DropTableRequest req;
  SetPath(req.mutable_table_path(), path);
  req.set_ignore_if_not_exists(ignore_if_not_exists);
  Status st = ctx_->AdminCall<proto::DropTableResponse>(rpc::ApiKey::kDropTable, req).status();
  ctx_->InvalidateTable(path);
  return st;
}

Result<std::vector<std::string>> Admin::ListTables(const std::string& database) {
  proto::ListTablesRequest req;
  req.set_database_name(database);
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->AdminCall<proto::ListTablesResponse>(rpc::ApiKey::kListTables, req));
  return std::vector<std::string>(resp.table_name().begin(), resp.table_name().end());
}

Result<bool> Admin::TableExists(const TablePath& path) {
  proto::TableExistsRequest req;
  SetPath(req.mutable_table_path(), path);
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->AdminCall<proto::TableExistsResponse>(rpc::ApiKey::kTableExists, req));
  return resp.exists();
}

Result<TableInfo> Admin::GetTableInfo(const TablePath& path) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, ctx_->GetTableMetadata(path, /*refresh=*/true));
  return meta.info;
}

Result<Schema> Admin::GetTableSchema(const TablePath& path, std::optional<int32_t> schema_id) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, ctx_->GetTableMetadata(path, /*refresh=*/!schema_id.has_value()));
  return ctx_->GetSchema(path, meta.info.table_id, schema_id.value_or(meta.info.schema_id));
}

Result<std::vector<ServerNode>> Admin::GetServerNodes() {
  proto::MetadataRequest req;
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->GetMetadata(req));
  std::vector<ServerNode> out;
  for (const auto& n : resp.tablet_servers()) out.push_back({n.node_id(), n.host(), static_cast<uint16_t>(n.port())});
  return out;
}

Result<ClusterStatus> Admin::DescribeCluster() {
  proto::MetadataRequest req;
  FLUSS_ASSIGN_OR_RETURN(auto databases, ListDatabases());
  for (const auto& db : databases) {
    FLUSS_ASSIGN_OR_RETURN(auto tables, ListTables(db));
    for (const auto& t : tables) {
      auto* p = req.add_table_path();
      p->set_database_name(db);
      p->set_table_name(t);
    }
  }
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx_->GetMetadata(req));
  ClusterStatus out;
  auto node = [](const proto::PbServerNode& n) {
    return ServerNode{n.node_id(), n.host(), static_cast<uint16_t>(n.port())};
  };
  if (resp.has_coordinator_server()) out.coordinator = node(resp.coordinator_server());
  for (const auto& n : resp.tablet_servers()) out.tablet_servers.push_back(node(n));
  std::sort(out.tablet_servers.begin(), out.tablet_servers.end(),
            [](const ServerNode& a, const ServerNode& b) { return a.id < b.id; });
  for (const auto& tm : resp.table_metadata()) {
    auto path = TablePath::Make(tm.table_path().database_name(), tm.table_path().table_name());
    if (!path.ok()) return path.status();
    ClusterStatus::Table t;
    t.path = *path;
    t.table_id = tm.table_id();
    for (const auto& b : tm.bucket_metadata()) {
      BucketReplicas r;
      r.bucket = b.bucket_id();
      r.leader = b.has_leader_id() ? b.leader_id() : -1;
      r.leader_epoch = b.has_leader_epoch() ? b.leader_epoch() : -1;
      r.replicas.assign(b.replica_id().begin(), b.replica_id().end());
      r.isr.assign(b.isr_id().begin(), b.isr_id().end());
      t.buckets.push_back(std::move(r));
    }
    std::sort(t.buckets.begin(), t.buckets.end(),
              [](const BucketReplicas& a, const BucketReplicas& b) { return a.bucket < b.bucket; });
    out.tables.push_back(std::move(t));
  }
  std::sort(out.tables.begin(), out.tables.end(), [](const ClusterStatus::Table& a, const ClusterStatus::Table& b) {
    return a.path.ToString() < b.path.ToString();
  });
  return out;
}

Result<std::map<int32_t, int64_t>> Admin::ListOffsets(const TablePath& path, const OffsetSpec& spec,
                                                      std::vector<int32_t> buckets) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, ctx_->GetTableMetadata(path, /*refresh=*/true));
  if (buckets.empty()) {
    for (int32_t b = 0; b < meta.info.num_buckets; ++b) buckets.push_back(b);
  }
  for (int32_t b : buckets) {
    if (b < 0 || b >= meta.info.num_buckets) {
      return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("table '{}' has no bucket {} (it has {})",
                                                                  path.ToString(), b, meta.info.num_buckets));
    }
  }
  int32_t type = rpc::kListOffsetsEarliest;
  if (spec.kind == OffsetSpec::Kind::kLatest) type = rpc::kListOffsetsLatest;
  if (spec.kind == OffsetSpec::Kind::kTimestamp) type = rpc::kListOffsetsTimestamp;
  return ListBucketOffsets(*ctx_, path, meta.info.table_id, buckets, type, spec.timestamp_ms);
}

}  // namespace fluss
