#include "server/metadata_service.h"

#include <fmt/format.h>

#include <set>

#include <nlohmann/json.hpp>

#include "types/partition_spec.h"

namespace fluss {

namespace {

Result<TablePath> ToTablePath(const proto::PbTablePath& p) { return TablePath::Make(p.database_name(), p.table_name()); }

void AddPartition(proto::MetadataResponse& resp, const PartitionRecord& partition,
                  const std::vector<BucketAssignment>& assignment) {
  auto* pm = resp.add_partition_metadata();
  pm->set_table_id(partition.table_id);
  pm->set_partition_name(partition.partition_name);
  pm->set_partition_id(partition.partition_id);
  for (const auto& a : assignment) {
    auto* bm = pm->add_bucket_metadata();
    bm->set_bucket_id(a.bucket_id);
    if (a.leader >= 0) {
      bm->set_leader_id(a.leader);
      bm->set_leader_epoch(a.leader_epoch);
    }
    for (int32_t r : a.replicas) bm->add_replica_id(r);
  }
}

}  // namespace

Result<TableDescriptor> StoredDescriptor(const TableRecord& table) {
  auto json = nlohmann::json::parse(table.table_json, nullptr, /*allow_exceptions=*/false);
  auto descriptor = json.is_discarded() ? Result<TableDescriptor>(Status::Invalid("not JSON"))
                                        : TableDescriptorFromJson(json);
  if (!descriptor.ok()) {
    return Status::Corruption(fmt::format("table '{}': stored descriptor does not parse: {}", table.path.ToString(),
                                          descriptor.status().message()));
  }
  return descriptor;
}

Result<PartitionSpec> PartitionSpecFromProto(const proto::PbPartitionSpec& spec) {
  PartitionSpec out;
  for (const auto& kv : spec.partition_key_values()) {
    if (!out.emplace(kv.key(), kv.value()).second) {
      return Status(ErrorCode::kPartitionSpecInvalid, fmt::format("the partition spec names key '{}' twice", kv.key()));
    }
  }
  return out;
}

Status AddRequestedPartitions(proto::MetadataResponse& resp, const MetadataStore& metadata,
                              const proto::MetadataRequest& req) {
  std::set<int64_t> added;
  auto add = [&](const PartitionRecord& p) -> Status {
    if (!added.insert(p.partition_id).second) return Status::OK();
    FLUSS_ASSIGN_OR_RETURN(auto assignment, metadata.GetPartitionAssignment(p.partition_id));
    AddPartition(resp, p, assignment);
    return Status::OK();
  };
  for (const auto& pp : req.partitions_path()) {
    FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(pp.database_name(), pp.table_name()));
    if (!pp.has_partition_name()) {
      return Status(ErrorCode::kPartitionNotExists,
                    fmt::format("a partition of table '{}' is asked for without a partition name", path.ToString()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto partition, metadata.GetPartition(path, pp.partition_name()));
    FLUSS_RETURN_NOT_OK(add(partition));
  }
  for (int64_t id : req.partitions_id()) {
    FLUSS_ASSIGN_OR_RETURN(auto partition, metadata.GetPartitionById(id));
    FLUSS_RETURN_NOT_OK(add(partition));
  }
  return Status::OK();
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

MetadataService::MetadataService(const ServerConfig& config, MetadataStore* metadata, ClusterMetadataView cluster_view)
    : config_(config), metadata_(metadata), cluster_view_(std::move(cluster_view)) {}

Status MetadataService::Register(ApiTable& table) {
  using rpc::ApiKey;
  const std::pair<ApiKey, Result<std::string> (MetadataService::*)(const std::string&)> handlers[] = {
      {ApiKey::kListDatabases, &MetadataService::ListDatabases},
      {ApiKey::kDatabaseExists, &MetadataService::DatabaseExists},
      {ApiKey::kGetDatabaseInfo, &MetadataService::GetDatabaseInfo},
      {ApiKey::kGetTableInfo, &MetadataService::GetTableInfo},
      {ApiKey::kListTables, &MetadataService::ListTables},
      {ApiKey::kTableExists, &MetadataService::TableExists},
      {ApiKey::kGetTableSchema, &MetadataService::GetTableSchema},
      {ApiKey::kListPartitionInfos, &MetadataService::ListPartitionInfos},
      {ApiKey::kGetMetadata, &MetadataService::GetMetadata},
      {ApiKey::kInitWriter, &MetadataService::InitWriter},
  };
  for (const auto& [key, method] : handlers) {
    FLUSS_RETURN_NOT_OK(table.AddBody(key, [this, method = method](const std::string& body) {
      return (this->*method)(body);
    }));
  }
  return Status::OK();
}

// ---- databases --------------------------------------------------------------------------------

Result<std::string> MetadataService::ListDatabases(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ListDatabasesRequest>(body));
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

Result<std::string> MetadataService::DatabaseExists(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::DatabaseExistsRequest>(body));
  proto::DatabaseExistsResponse resp;
  resp.set_exists(metadata_->DatabaseExists(req.database_name()));
  return resp.SerializeAsString();
}

Result<std::string> MetadataService::GetDatabaseInfo(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::GetDatabaseInfoRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto db, metadata_->GetDatabase(req.database_name()));
  proto::GetDatabaseInfoResponse resp;
  resp.set_database_json(db.database_json);
  resp.set_created_time(db.created_time_ms);
  resp.set_modified_time(db.modified_time_ms);
  return resp.SerializeAsString();
}

// ---- tables -----------------------------------------------------------------------------------

Result<std::string> MetadataService::GetTableInfo(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::GetTableInfoRequest>(body));
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

Result<std::string> MetadataService::ListTables(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ListTablesRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto names, metadata_->ListTables(req.database_name()));
  proto::ListTablesResponse resp;
  for (auto& n : names) resp.add_table_name(std::move(n));
  return resp.SerializeAsString();
}

Result<std::string> MetadataService::TableExists(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::TableExistsRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  proto::TableExistsResponse resp;
  resp.set_exists(metadata_->TableExists(path));
  return resp.SerializeAsString();
}

Result<std::string> MetadataService::GetTableSchema(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::GetTableSchemaRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  FLUSS_ASSIGN_OR_RETURN(auto t, metadata_->GetTable(path));
  const int32_t id = req.has_schema_id() ? req.schema_id() : t.schema_id;
  FLUSS_ASSIGN_OR_RETURN(auto schema, metadata_->GetSchema(t.table_id, id));
  proto::GetTableSchemaResponse resp;
  resp.set_schema_id(id);
  resp.set_schema_json(std::move(schema));
  return resp.SerializeAsString();
}

Result<std::string> MetadataService::ListPartitionInfos(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ListPartitionInfosRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, ToTablePath(req.table_path()));
  FLUSS_ASSIGN_OR_RETURN(auto table, metadata_->GetTable(path));
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, StoredDescriptor(table));
  if (!descriptor.is_partitioned()) {
    return Status(ErrorCode::kTableNotPartitioned, fmt::format("table '{}' is not partitioned", path.ToString()));
  }
  const std::vector<std::string>& keys = descriptor.partition_keys();
  ResolvedPartitionSpec filter;
  if (req.has_partial_partition_spec()) {
    FLUSS_ASSIGN_OR_RETURN(auto spec, PartitionSpecFromProto(req.partial_partition_spec()));
    FLUSS_ASSIGN_OR_RETURN(filter, ResolvedPartitionSpec::FromPartialSpec(path, keys, spec));
  }
  FLUSS_ASSIGN_OR_RETURN(auto partitions, metadata_->ListPartitions(path));
  proto::ListPartitionInfosResponse resp;
  for (const auto& p : partitions) {
    auto spec = ResolvedPartitionSpec::FromName(keys, p.partition_name);
    if (!spec.ok()) return spec.status().WithContext(fmt::format("table '{}'", path.ToString()));
    // Upstream hides its system partition from this list.
    if (p.partition_name == kHistoricalPartitionValue || !spec->Matches(filter)) continue;
    auto* info = resp.add_partitions_info();
    info->set_partition_id(p.partition_id);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto* kv = info->mutable_partition_spec()->add_partition_key_values();
      kv->set_key(keys[i]);
      kv->set_value(spec->values()[i]);
    }
  }
  return resp.SerializeAsString();
}

// ---- cluster metadata and writer ids -----------------------------------------------------------

Result<std::string> MetadataService::GetMetadata(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::MetadataRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto resp, cluster_view_ ? cluster_view_(req) : LocalMetadata(req));
  return resp.SerializeAsString();
}

Result<proto::MetadataResponse> MetadataService::LocalMetadata(const proto::MetadataRequest& req) {
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
  FLUSS_RETURN_NOT_OK(AddRequestedPartitions(resp, *metadata_, req));
  return resp;
}

Result<std::string> MetadataService::InitWriter(const std::string& body) {
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::InitWriterRequest>(body));
  (void)req;
  FLUSS_ASSIGN_OR_RETURN(int64_t id, metadata_->AllocateWriterId());
  proto::InitWriterResponse resp;
  resp.set_writer_id(id);
  return resp.SerializeAsString();
}

}  // namespace fluss
