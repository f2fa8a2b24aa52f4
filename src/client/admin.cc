// Admin and Connection: DDL and metadata calls, each one request to the coordinator.
#include <algorithm>
#include <future>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "client/client_context.h"
#include "fluss_api.pb.h"
#include "types/table_properties.h"
#include "types/table_descriptor.h"

namespace fluss {

namespace {

void SetPath(proto::PbTablePath* p, const TablePath& path) {
  p->set_database_name(path.database());
  p->set_table_name(path.table());
}

// The "host:port" of `servers` that do not answer ApiVersions within the connect timeout, asked of
// all at once: a crashed server stays registered until its ZooKeeper session ends.
std::set<std::string> Unreachable(const std::shared_ptr<ClientContext>& ctx, const std::vector<ServerNode>& servers) {
  std::map<std::string, std::future<bool>> probes;
  for (const auto& n : servers) {
    const std::string address = fmt::format("{}:{}", n.host, n.port);
    if (probes.count(address) != 0) continue;
    probes[address] = std::async(std::launch::async, [ctx, host = n.host, port = n.port] {
      auto client = ctx->Client(host, port);
      if (!client.ok()) return false;
      proto::ApiVersionsRequest probe;
      probe.set_client_software_name("fluss-cpp");
      probe.set_client_software_version("0.1.0");
      auto answer = (*client)->CallSync(static_cast<int16_t>(rpc::ApiKey::kApiVersions), 0, probe.SerializeAsString(),
                                        std::min(ctx->config.connect_timeout, ctx->config.request_timeout));
      return answer.ok();
    });
  }
  std::set<std::string> out;
  for (auto& [address, probe] : probes) {
    if (!probe.get()) out.insert(address);
  }
  return out;
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
  // The server checks the properties too (it is the authority); checking here first gives the same
  // message without a round trip.
  FLUSS_ASSIGN_OR_RETURN(auto property_check, CheckTablePropertiesForCreate(path, descriptor));
  if (!property_check.not_implemented.empty()) {
    ClientLog().warn("table '{}': {} of Apache Fluss that fluss-cpp does not implement (accepted and ignored)",
                     path.ToString(), fmt::join(property_check.not_implemented, ", "));
  }
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

bool ClusterStatus::Reachable(const ServerNode& n) const {
  return unreachable.count(fmt::format("{}:{}", n.host, n.port)) == 0;
}

Result<ClusterStatus> Admin::DescribeCluster(bool probe_servers) {
  proto::MetadataRequest req;
  req.set_include_coordinators(true);
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
  auto by_id = [](const ServerNode& a, const ServerNode& b) { return a.id < b.id; };
  if (resp.has_coordinator_server()) out.coordinator = node(resp.coordinator_server());
  for (const auto& n : resp.registered_coordinators()) out.coordinators.push_back(node(n));
  std::sort(out.coordinators.begin(), out.coordinators.end(), by_id);
  for (const auto& n : resp.tablet_servers()) out.tablet_servers.push_back(node(n));
  std::sort(out.tablet_servers.begin(), out.tablet_servers.end(), by_id);
  if (probe_servers) {
    std::vector<ServerNode> listed = out.tablet_servers;
    listed.insert(listed.end(), out.coordinators.begin(), out.coordinators.end());
    if (out.coordinator) listed.push_back(*out.coordinator);
    out.unreachable = Unreachable(ctx_, listed);
  }
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

// ---- partitions ---------------------------------------------------------------------------------

namespace {

void SetSpec(proto::PbPartitionSpec* out, const PartitionSpec& spec) {
  for (const auto& [key, value] : spec) {
    auto* kv = out->add_partition_key_values();
    kv->set_key(key);
    kv->set_value(value);
  }
}

}  // namespace

Result<std::vector<PartitionInfo>> Admin::ListPartitionInfos(const TablePath& path, const PartitionSpec& partial_spec) {
  proto::ListPartitionInfosRequest req;
  SetPath(req.mutable_table_path(), path);
  if (!partial_spec.empty()) SetSpec(req.mutable_partial_partition_spec(), partial_spec);
  FLUSS_ASSIGN_OR_RETURN(auto resp,
                         ctx_->AdminCall<proto::ListPartitionInfosResponse>(rpc::ApiKey::kListPartitionInfos, req));
  std::vector<PartitionInfo> out;
  for (const auto& p : resp.partitions_info()) {
    PartitionInfo info;
    info.partition_id = p.partition_id();
    for (const auto& kv : p.partition_spec().partition_key_values()) {
      if (!info.partition_name.empty() || !info.spec.empty()) info.partition_name += '$';
      info.partition_name += kv.value();
      info.spec.emplace_back(kv.key(), kv.value());
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition_name < b.partition_name; });
  return out;
}

Status Admin::CreatePartition(const TablePath& path, const PartitionSpec& spec, bool ignore_if_exists) {
  proto::CreatePartitionRequest req;
  SetPath(req.mutable_table_path(), path);
  SetSpec(req.mutable_partition_spec(), spec);
  req.set_ignore_if_not_exists(ignore_if_exists);  // upstream's name for "ignore if it exists"
  return ctx_->AdminCall<proto::CreatePartitionResponse>(rpc::ApiKey::kCreatePartition, req).status();
}

Status Admin::DropPartition(const TablePath& path, const PartitionSpec& spec, bool ignore_if_not_exists) {
  proto::DropPartitionRequest req;
  SetPath(req.mutable_table_path(), path);
  SetSpec(req.mutable_partition_spec(), spec);
  req.set_ignore_if_not_exists(ignore_if_not_exists);
  return ctx_->AdminCall<proto::DropPartitionResponse>(rpc::ApiKey::kDropPartition, req).status();
}

namespace {

int32_t OffsetType(const OffsetSpec& spec) {
  if (spec.kind == OffsetSpec::Kind::kLatest) return rpc::kListOffsetsLatest;
  if (spec.kind == OffsetSpec::Kind::kTimestamp) return rpc::kListOffsetsTimestamp;
  return rpc::kListOffsetsEarliest;
}

// All buckets when `buckets` is empty; each one checked against the bucket count.
Status ResolveBuckets(const TableInfo& info, std::vector<int32_t>* buckets) {
  if (buckets->empty()) {
    for (int32_t b = 0; b < info.num_buckets; ++b) buckets->push_back(b);
  }
  for (int32_t b : *buckets) {
    if (b < 0 || b >= info.num_buckets) {
      return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("table '{}' has no bucket {} (it has {})",
                                                                  info.path.ToString(), b, info.num_buckets));
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::map<int32_t, int64_t>> Admin::ListOffsets(const TablePath& path, const OffsetSpec& spec,
                                                      std::vector<int32_t> buckets) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, ctx_->GetTableMetadata(path, /*refresh=*/true));
  FLUSS_RETURN_NOT_OK(RequireUnpartitioned(meta.info, "listing offsets", "Admin::ListPartitionOffsets"));
  FLUSS_RETURN_NOT_OK(ResolveBuckets(meta.info, &buckets));
  return ListBucketOffsets(*ctx_, path, meta.info.table_id, kNoPartition, buckets, OffsetType(spec),
                           spec.timestamp_ms);
}

Result<std::map<int32_t, int64_t>> Admin::ListPartitionOffsets(const TablePath& path,
                                                               const std::string& partition_name,
                                                               const OffsetSpec& spec, std::vector<int32_t> buckets) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, ctx_->GetTableMetadata(path, /*refresh=*/true));
  FLUSS_RETURN_NOT_OK(RequirePartitioned(meta.info));
  FLUSS_ASSIGN_OR_RETURN(auto partition, ctx_->GetPartitionMetadata(path, partition_name, /*refresh=*/true));
  FLUSS_RETURN_NOT_OK(ResolveBuckets(meta.info, &buckets));
  return ListBucketOffsets(*ctx_, path, meta.info.table_id, partition.partition_id, buckets, OffsetType(spec),
                           spec.timestamp_ms);
}

}  // namespace fluss
