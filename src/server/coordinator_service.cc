#include "server/coordinator_service.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/config_value.h"
#include "kv/row_merger.h"
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

}  // namespace

CoordinatorService::CoordinatorService(const ServerConfig& config, MetadataStore* metadata, TablePlacement* placement,
                                       ClusterControl* control)
    : config_(config), metadata_(metadata), placement_(placement), control_(control) {}

Status CoordinatorService::Register(ApiTable& table) {
  using rpc::ApiKey;
  using Method = Result<std::string> (CoordinatorService::*)(const std::string&);
  std::vector<std::pair<ApiKey, Method>> handlers = {
      {ApiKey::kCreateDatabase, &CoordinatorService::CreateDatabase},
      {ApiKey::kDropDatabase, &CoordinatorService::DropDatabase},
      {ApiKey::kCreateTable, &CoordinatorService::CreateTable},
      {ApiKey::kDropTable, &CoordinatorService::DropTable},
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
  if (descriptor.is_partitioned()) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("cannot create '{}': partitioned tables are not supported yet", path.ToString()));
  }
  const int32_t buckets = *descriptor.bucket_count();
  if (buckets > config_.max_bucket_num) {
    return Status(ErrorCode::kBucketMaxNum, fmt::format("table '{}' asks for {} buckets; max.bucket.num is {}",
                                                        path.ToString(), buckets, config_.max_bucket_num));
  }
  FLUSS_ASSIGN_OR_RETURN(auto assignment, placement_->Assign(path, descriptor, buckets));
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
    spdlog::info("created table '{}' (id {}, {} buckets)", path.ToString(), record.table_id, buckets);
    if (!property_check.not_implemented.empty()) {
      spdlog::warn("table '{}': {} {} of Apache Fluss that fluss-cpp does not implement; accepted and ignored",
                   path.ToString(), property_check.not_implemented.size() == 1 ? "property" : "properties",
                   fmt::join(property_check.not_implemented, ", "));
    }
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
