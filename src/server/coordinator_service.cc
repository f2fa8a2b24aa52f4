#include "server/coordinator_service.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "common/config_value.h"
#include "kv/row_merger.h"
#include "server/metadata_service.h"
#include "types/auto_partition.h"
#include "types/partition_spec.h"
#include "types/table_properties.h"

namespace fluss {

namespace {

Status CheckJsonObject(const std::string& text, ErrorCode code, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(code, fmt::format("{} is not a JSON object", what));
  }
  return Status::OK();
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status NotPartitioned(const TablePath& path) {
  return Status(ErrorCode::kTableNotPartitioned,
                fmt::format("table '{}' is not partitioned: only a partitioned table has partitions", path.ToString()));
}

}  // namespace

CoordinatorService::CoordinatorService(const ServerConfig& config, MetadataStore* metadata, TablePlacement* placement,
                                       ClusterControl* control, ServiceClock clock)
    : config_(config),
      metadata_(metadata),
      placement_(placement),
      control_(control),
      clock_(clock ? std::move(clock) : ServiceClock(SystemNowMs)) {}

void CoordinatorService::SetAutoPartitionTableListener(std::function<void(const TablePath&)> listener) {
  auto_partition_listener_ = std::move(listener);
}

std::unique_ptr<AutoPartitionManager> CoordinatorService::StartAutoPartitioning(MetadataStore* metadata,
                                                                                AutoPartitionManager::Options options) {
  auto manager = std::make_unique<AutoPartitionManager>(
      metadata,
      AutoPartitionManager::Actions{
          [this](const TablePath& path, const PartitionSpec& spec) {
            return CreatePartition(path, spec, /*ignore_if_exists=*/true).status();
          },
          [this](const TablePath& path, const PartitionSpec& spec) {
            return DropPartition(path, spec, /*ignore_if_not_exists=*/true).status();
          }},
      std::move(options));
  AutoPartitionManager* raw = manager.get();
  SetAutoPartitionTableListener([raw](const TablePath& path) { raw->TableCreated(path); });
  return manager;
}

Status CoordinatorService::Register(ApiTable& table) {
  using rpc::ApiKey;
  using Method = Result<std::string> (CoordinatorService::*)(const std::string&);
  std::vector<std::pair<ApiKey, Method>> handlers = {
      {ApiKey::kCreateDatabase, &CoordinatorService::CreateDatabase},
      {ApiKey::kDropDatabase, &CoordinatorService::DropDatabase},
      {ApiKey::kCreateTable, &CoordinatorService::CreateTable},
      {ApiKey::kDropTable, &CoordinatorService::DropTable},
      {ApiKey::kCreatePartition, &CoordinatorService::HandleCreatePartition},
      {ApiKey::kDropPartition, &CoordinatorService::HandleDropPartition},
  };
  if (control_ != nullptr) {
    handlers.emplace_back(ApiKey::kAdjustIsr, &CoordinatorService::AdjustIsr);
    handlers.emplace_back(ApiKey::kControlledShutdown, &CoordinatorService::ControlledShutdown);
  }
  for (const auto& [key, method] : handlers) {
    FLUSS_RETURN_NOT_OK(table.AddBody(key, [this, method = method](const std::string& body) {
      return (this->*method)(body);
    }));
  }
  return Status::OK();
}

// ---- databases --------------------------------------------------------------------------------

Result<std::string> CoordinatorService::CreateDatabase(const std::string& body) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::CreateDatabaseRequest>(body));
  std::string json = req.has_database_json() && !req.database_json().empty() ? req.database_json() : "{}";
  FLUSS_RETURN_NOT_OK(CheckJsonObject(json, ErrorCode::kInvalidDatabase, "database_json"));
  FLUSS_RETURN_NOT_OK(metadata_->CreateDatabase(req.database_name(), std::move(json), req.ignore_if_exists()));
  return proto::CreateDatabaseResponse().SerializeAsString();
}

Result<std::string> CoordinatorService::DropDatabase(const std::string& body) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::DropDatabaseRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto dropped,
                         metadata_->DropDatabase(req.database_name(), req.ignore_if_not_exists(), req.cascade()));
  for (const auto& t : dropped) placement_->TableDropped(t);
  return proto::DropDatabaseResponse().SerializeAsString();
}

// ---- tables -----------------------------------------------------------------------------------

Status CoordinatorService::CheckLakeProperties(const TablePath& path, const TableDescriptor& descriptor) const {
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

Result<std::string> CoordinatorService::CreateTable(const std::string& body) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::CreateTableRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(req.table_path().database_name(), req.table_path().table_name()));
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
  FLUSS_RETURN_NOT_OK(placement_->CheckReplicationFactor(path, descriptor));
  const int32_t buckets = *descriptor.bucket_count();
  if (buckets > config_.max_bucket_num) {
    return Status(ErrorCode::kBucketMaxNum,
                  fmt::format("table '{}' asks for {} buckets{}; max.bucket.num is {}", path.ToString(), buckets,
                              descriptor.is_partitioned() ? " per partition" : "", config_.max_bucket_num));
  }
  FLUSS_ASSIGN_OR_RETURN(auto auto_partition, AutoPartitionStrategy::FromProperties(descriptor.properties()));
  if (auto_partition.enabled && descriptor.partition_keys().size() > 1 && !auto_partition.num_precreate_given) {
    // Upstream's default for several partition keys: nothing is created ahead.
    descriptor.Property("table.auto-partition.num-precreate", "0");
  }
  // A partitioned table's buckets are its partitions' (each partition gets them when it is created).
  std::vector<BucketAssignment> assignment;
  if (!descriptor.is_partitioned()) {
    FLUSS_ASSIGN_OR_RETURN(assignment, placement_->Assign(path, descriptor, buckets));
  }
  const bool existed = metadata_->TableExists(path);
  FLUSS_ASSIGN_OR_RETURN(auto record, metadata_->CreateTable(path, TableDescriptorToJson(descriptor).dump(),
                                                             SchemaToJson(descriptor.schema()).dump(), buckets,
                                                             std::move(assignment), req.ignore_if_exists()));
  if (!existed) {
    Status st = placement_->TableCreated(record);
    if (!st.ok()) {
      // Leave no half-created table behind.
      (void)metadata_->DropTable(path, /*ignore_if_not_exists=*/true);
      return st.WithContext(fmt::format("creating the logs of table '{}'", path.ToString()));
    }
    spdlog::info("created table '{}' (id {}, {} buckets{})", path.ToString(), record.table_id, buckets,
                 descriptor.is_partitioned()
                     ? fmt::format(" per partition, partitioned by {}", fmt::join(descriptor.partition_keys(), ", "))
                     : "");
    if (!property_check.not_implemented.empty()) {
      spdlog::warn("table '{}': {} {} of Apache Fluss that fluss-cpp does not implement; accepted and ignored",
                   path.ToString(), property_check.not_implemented.size() == 1 ? "property" : "properties",
                   fmt::join(property_check.not_implemented, ", "));
    }
    if (auto_partition.enabled && auto_partition_listener_) auto_partition_listener_(path);
  }
  return proto::CreateTableResponse().SerializeAsString();
}

Result<std::string> CoordinatorService::DropTable(const std::string& body) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::DropTableRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(req.table_path().database_name(), req.table_path().table_name()));
  FLUSS_ASSIGN_OR_RETURN(auto record, metadata_->DropTable(path, req.ignore_if_not_exists()));
  if (record.table_id >= 0) placement_->TableDropped(record);
  return proto::DropTableResponse().SerializeAsString();
}

// ---- partitions -------------------------------------------------------------------------------

Result<PartitionRecord> CoordinatorService::CreatePartition(const TablePath& path, const PartitionSpec& spec,
                                                            bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto table, metadata_->GetTable(path));
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, StoredDescriptor(table));
  if (!descriptor.is_partitioned()) return NotPartitioned(path);
  const std::vector<std::string>& keys = descriptor.partition_keys();
  FLUSS_ASSIGN_OR_RETURN(auto resolved, ResolvedPartitionSpec::FromSpec(path, keys, spec, /*is_create=*/true));
  FLUSS_ASSIGN_OR_RETURN(auto strategy, AutoPartitionStrategy::FromProperties(descriptor.properties()));
  FLUSS_RETURN_NOT_OK(ValidateAutoPartitionTime(strategy, keys, resolved, clock_()));
  const std::string name = resolved.Name();
  if (ignore_if_exists) {
    if (auto existing = metadata_->GetPartition(path, name); existing.ok()) return existing;
  }
  if (table.bucket_count > config_.max_bucket_num) {
    return Status(ErrorCode::kBucketMaxNum,
                  fmt::format("partition '{}' of table '{}' would have {} buckets; max.bucket.num is {}",
                              resolved.QualifiedName(), path.ToString(), table.bucket_count, config_.max_bucket_num));
  }
  FLUSS_ASSIGN_OR_RETURN(auto assignment, placement_->Assign(path, descriptor, table.bucket_count));
  auto created = metadata_->CreatePartition(path, table.table_id, name, std::move(assignment),
                                            config_.max_partition_num, ignore_if_exists);
  if (!created.ok()) {
    if (created.status().code() == ErrorCode::kPartitionAlreadyExists) {
      return Status(ErrorCode::kPartitionAlreadyExists,
                    fmt::format("partition '{}' of table '{}' already exists", resolved.QualifiedName(),
                                path.ToString()));
    }
    return created.status();
  }
  Status st = placement_->PartitionCreated(table, *created);
  if (!st.ok()) {
    (void)metadata_->DropPartition(path, name, /*ignore_if_not_exists=*/true);
    return st.WithContext(fmt::format("creating the replicas of partition '{}' of table '{}'",
                                      resolved.QualifiedName(), path.ToString()));
  }
  spdlog::info("created partition '{}' of table '{}' (id {}, {} buckets)", resolved.QualifiedName(), path.ToString(),
               created->partition_id, table.bucket_count);
  return created;
}

Result<PartitionRecord> CoordinatorService::DropPartition(const TablePath& path, const PartitionSpec& spec,
                                                          bool ignore_if_not_exists) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto table, metadata_->GetTable(path));
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, StoredDescriptor(table));
  if (!descriptor.is_partitioned()) return NotPartitioned(path);
  FLUSS_ASSIGN_OR_RETURN(auto resolved, ResolvedPartitionSpec::FromSpec(path, descriptor.partition_keys(), spec,
                                                                        /*is_create=*/false));
  auto dropped = metadata_->DropPartition(path, resolved.Name(), ignore_if_not_exists);
  if (!dropped.ok()) {
    if (dropped.status().code() == ErrorCode::kPartitionNotExists) {
      return Status(ErrorCode::kPartitionNotExists,
                    fmt::format("partition '{}' of table '{}' does not exist", resolved.QualifiedName(),
                                path.ToString()));
    }
    return dropped.status();
  }
  if (dropped->partition_id >= 0) {
    placement_->PartitionDropped(table, *dropped);
    spdlog::info("dropped partition '{}' of table '{}' (id {})", resolved.QualifiedName(), path.ToString(),
                 dropped->partition_id);
  }
  return dropped;
}

Result<std::string> CoordinatorService::HandleCreatePartition(const std::string& body) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::CreatePartitionRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(req.table_path().database_name(), req.table_path().table_name()));
  FLUSS_ASSIGN_OR_RETURN(auto spec, PartitionSpecFromProto(req.partition_spec()));
  // Upstream's field: ignore_if_not_exists means "ignore if it already exists" here.
  FLUSS_RETURN_NOT_OK(CreatePartition(path, spec, req.ignore_if_not_exists()).status());
  return proto::CreatePartitionResponse().SerializeAsString();
}

Result<std::string> CoordinatorService::HandleDropPartition(const std::string& body) {
  FLUSS_RETURN_NOT_OK(placement_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::DropPartitionRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(req.table_path().database_name(), req.table_path().table_name()));
  FLUSS_ASSIGN_OR_RETURN(auto spec, PartitionSpecFromProto(req.partition_spec()));
  FLUSS_RETURN_NOT_OK(DropPartition(path, spec, req.ignore_if_not_exists()).status());
  return proto::DropPartitionResponse().SerializeAsString();
}

// ---- cluster control ------------------------------------------------------------------------

Result<std::string> CoordinatorService::AdjustIsr(const std::string& body) {
  FLUSS_RETURN_NOT_OK(control_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::AdjustIsrRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto resp, control_->AdjustIsr(req));
  return resp.SerializeAsString();
}

Result<std::string> CoordinatorService::ControlledShutdown(const std::string& body) {
  FLUSS_RETURN_NOT_OK(control_->CheckActive());
  FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ControlledShutdownRequest>(body));
  FLUSS_ASSIGN_OR_RETURN(auto resp, control_->ControlledShutdown(req));
  return resp.SerializeAsString();
}

}  // namespace fluss
