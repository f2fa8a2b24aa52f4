#include "lake/iceberg/iceberg_schema.h"

#include <fmt/format.h>

namespace fluss::iceberg {

Result<std::string> IcebergTypeName(const DataType& type) {
  switch (type.root()) {
    case TypeRoot::kBoolean: return std::string("boolean");
    case TypeRoot::kTinyInt:
    case TypeRoot::kSmallInt:
    case TypeRoot::kInt: return std::string("int");
    case TypeRoot::kBigInt: return std::string("long");
    case TypeRoot::kFloat: return std::string("float");
    case TypeRoot::kDouble: return std::string("double");
    case TypeRoot::kDecimal: return fmt::format("decimal({}, {})", type.precision(), type.scale());
    case TypeRoot::kChar:
    case TypeRoot::kString: return std::string("string");
    case TypeRoot::kBinary: return fmt::format("fixed[{}]", type.length());
    case TypeRoot::kBytes: return std::string("binary");
    case TypeRoot::kDate: return std::string("date");
    case TypeRoot::kTime: return std::string("time");
    case TypeRoot::kTimestamp: return std::string("timestamp");
    case TypeRoot::kTimestampLtz: return std::string("timestamptz");
  }
  return Status::NotSupported(fmt::format("iceberg: no Iceberg type for {}", type.ToString()));
}

Result<nlohmann::json> IcebergSchemaJson(const Schema& schema, int32_t schema_id) {
  nlohmann::json fields = nlohmann::json::array();
  for (const Column& c : schema.columns()) {
    if (c.id < 0) return Status::Invalid(fmt::format("iceberg: column '{}' has no id", c.name));
    FLUSS_ASSIGN_OR_RETURN(std::string type, IcebergTypeName(c.type));
    nlohmann::json f = {{"id", c.id}, {"name", c.name}, {"required", !c.type.nullable()}, {"type", type}};
    if (!c.comment.empty()) f["doc"] = c.comment;
    fields.push_back(std::move(f));
  }
  nlohmann::json j = {{"type", "struct"}, {"schema-id", schema_id}, {"fields", std::move(fields)}};
  if (schema.has_primary_key()) {
    nlohmann::json ids = nlohmann::json::array();
    for (size_t i : schema.primary_key_indexes()) ids.push_back(schema.column(i).id);
    j["identifier-field-ids"] = std::move(ids);
  }
  return j;
}

int32_t HighestFieldId(const nlohmann::json& iceberg_schema) {
  int32_t highest = 0;
  auto it = iceberg_schema.find("fields");
  if (it == iceberg_schema.end() || !it->is_array()) return highest;
  for (const auto& f : *it) {
    if (f.is_object() && f.contains("id") && f["id"].is_number_integer()) {
      highest = std::max(highest, f["id"].get<int32_t>());
    }
  }
  return highest;
}

}  // namespace fluss::iceberg
