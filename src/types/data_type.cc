#include "types/data_type.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace fluss {
namespace {

struct RootInfo {
  TypeRoot root;
  std::string_view json_name;  // Fluss DataTypeRoot name
  std::string_view sql_name;
};

constexpr RootInfo kRoots[] = {
    {TypeRoot::kBoolean, "BOOLEAN", "BOOLEAN"},
    {TypeRoot::kTinyInt, "TINYINT", "TINYINT"},
    {TypeRoot::kSmallInt, "SMALLINT", "SMALLINT"},
    {TypeRoot::kInt, "INTEGER", "INT"},
    {TypeRoot::kBigInt, "BIGINT", "BIGINT"},
    {TypeRoot::kFloat, "FLOAT", "FLOAT"},
    {TypeRoot::kDouble, "DOUBLE", "DOUBLE"},
    {TypeRoot::kDecimal, "DECIMAL", "DECIMAL"},
    {TypeRoot::kChar, "CHAR", "CHAR"},
    {TypeRoot::kString, "STRING", "STRING"},
    {TypeRoot::kBinary, "BINARY", "BINARY"},
    {TypeRoot::kBytes, "BYTES", "BYTES"},
    {TypeRoot::kDate, "DATE", "DATE"},
    {TypeRoot::kTime, "TIME_WITHOUT_TIME_ZONE", "TIME"},
    {TypeRoot::kTimestamp, "TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP"},
    {TypeRoot::kTimestampLtz, "TIMESTAMP_WITH_LOCAL_TIME_ZONE", "TIMESTAMP_LTZ"},
};

const RootInfo& Info(TypeRoot root) { return kRoots[static_cast<size_t>(root)]; }

bool HasPrecision(TypeRoot r) {
  return r == TypeRoot::kDecimal || r == TypeRoot::kTime || r == TypeRoot::kTimestamp ||
         r == TypeRoot::kTimestampLtz;
}
bool HasLength(TypeRoot r) { return r == TypeRoot::kChar || r == TypeRoot::kBinary; }

}  // namespace

Status DataType::Validate() const {
  switch (root_) {
    case TypeRoot::kDecimal:
      if (precision_ < 1 || precision_ > kMaxDecimalPrecision) {
        return Status::Invalid(fmt::format("DECIMAL precision must be between 1 and {}, got {}",
                                           kMaxDecimalPrecision, precision_));
      }
      if (scale_ < 0 || scale_ > precision_) {
        return Status::Invalid(
            fmt::format("DECIMAL scale must be between 0 and the precision {}, got {}", precision_, scale_));
      }
      break;
    case TypeRoot::kChar:
    case TypeRoot::kBinary:
      if (length_ < 1) {
        return Status::Invalid(fmt::format("{} length must be at least 1, got {}", Info(root_).sql_name, length_));
      }
      break;
    case TypeRoot::kTime:
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (precision_ < 0 || precision_ > kMaxTimePrecision) {
        return Status::Invalid(fmt::format("{} precision must be between 0 and {}, got {}", Info(root_).sql_name,
                                           kMaxTimePrecision, precision_));
      }
      break;
    default:
      break;
  }
  return Status::OK();
}

std::string_view DataType::RootName() const { return Info(root_).json_name; }

std::string DataType::ToString() const {
  std::string s(Info(root_).sql_name);
  if (root_ == TypeRoot::kDecimal) {
    s += fmt::format("({}, {})", precision_, scale_);
  } else if (HasLength(root_)) {
    s += fmt::format("({})", length_);
  } else if (HasPrecision(root_)) {
    s += fmt::format("({})", precision_);
  }
  if (!nullable_) s += " NOT NULL";
  return s;
}

// Friend of DataType: the JSON form reads and writes its fields.
struct internal::DataTypeJson {
  static nlohmann::json ToJson(const DataType& t);
  static Result<DataType> FromJson(const nlohmann::json& j);
};

nlohmann::json DataTypeToJson(const DataType& type) { return internal::DataTypeJson::ToJson(type); }
Result<DataType> DataTypeFromJson(const nlohmann::json& j) { return internal::DataTypeJson::FromJson(j); }

nlohmann::json internal::DataTypeJson::ToJson(const DataType& t) {
  nlohmann::json j;
  j["type"] = std::string(t.RootName());
  if (!t.nullable_) j["nullable"] = false;
  if (HasLength(t.root_)) j["length"] = t.length_;
  if (HasPrecision(t.root_)) j["precision"] = t.precision_;
  if (t.root_ == TypeRoot::kDecimal) j["scale"] = t.scale_;
  return j;
}

Result<DataType> internal::DataTypeJson::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return Status::Invalid("data type JSON must be an object with a string 'type'");
  }
  const std::string name = j["type"].get<std::string>();
  const RootInfo* info = nullptr;
  for (const auto& r : kRoots) {
    if (r.json_name == name) info = &r;
  }
  if (info == nullptr) return Status::Invalid(fmt::format("unsupported data type '{}'", name));
  auto get_int = [&](const char* key, int fallback) -> Result<int> {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number_integer()) return Status::Invalid(fmt::format("data type field '{}' must be an integer", key));
    return j[key].get<int>();
  };
  FLUSS_ASSIGN_OR_RETURN(int length, get_int("length", 1));
  FLUSS_ASSIGN_OR_RETURN(int precision, get_int("precision", info->root == TypeRoot::kDecimal ? 10
                                                               : info->root == TypeRoot::kTime ? 0
                                                                                               : DataType::kDefaultTimestampPrecision));
  FLUSS_ASSIGN_OR_RETURN(int scale, get_int("scale", 0));
  DataType t(info->root, HasLength(info->root) ? length : 0, HasPrecision(info->root) ? precision : 0,
             info->root == TypeRoot::kDecimal ? scale : 0);
  if (j.contains("nullable")) {
    if (!j["nullable"].is_boolean()) return Status::Invalid("data type field 'nullable' must be a boolean");
    t.nullable_ = j["nullable"].get<bool>();
  }
  FLUSS_RETURN_NOT_OK(t.Validate());
  return t;
}

}  // namespace fluss
