#include "types/table_descriptor.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace fluss {
namespace {

constexpr std::string_view kSystemColumns[] = {"__offset", "__timestamp", "__bucket"};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Result<std::vector<std::string>> StringArray(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return Status::Invalid(fmt::format("table JSON '{}' must be an array", key));
  for (const auto& e : j[key]) {
    if (!e.is_string()) return Status::Invalid(fmt::format("table JSON '{}' entries must be strings", key));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> StringMap(const nlohmann::json& j, const char* key) {
  std::map<std::string, std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_object()) return Status::Invalid(fmt::format("table JSON '{}' must be an object", key));
  for (const auto& [k, v] : j[key].items()) {
    if (!v.is_string()) return Status::Invalid(fmt::format("table JSON '{}.{}' must be a string", key, k));
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

bool IsPartitionKeyType(TypeRoot root) {
  switch (root) {
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBoolean:
    case TypeRoot::kBinary:
    case TypeRoot::kBytes:
    case TypeRoot::kTinyInt:
    case TypeRoot::kSmallInt:
    case TypeRoot::kInt:
    case TypeRoot::kBigInt:
    case TypeRoot::kFloat:
    case TypeRoot::kDouble:
    case TypeRoot::kDate:
    case TypeRoot::kTime:
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      return true;
    case TypeRoot::kDecimal:
      return false;
  }
  return false;
}

TableDescriptor& TableDescriptor::DistributedBy(std::optional<int> bucket_count, std::vector<std::string> bucket_keys) {
  bucket_count_ = bucket_count;
  bucket_keys_ = std::move(bucket_keys);
  return *this;
}
TableDescriptor& TableDescriptor::PartitionedBy(std::vector<std::string> keys) {
  partition_keys_ = std::move(keys);
  return *this;
}
TableDescriptor& TableDescriptor::Property(std::string key, std::string value) {
  properties_[std::move(key)] = std::move(value);
  return *this;
}
TableDescriptor& TableDescriptor::CustomProperty(std::string key, std::string value) {
  custom_properties_[std::move(key)] = std::move(value);
  return *this;
}
TableDescriptor& TableDescriptor::Comment(std::string comment) {
  comment_ = std::move(comment);
  return *this;
}

std::vector<std::string> TableDescriptor::bucket_keys() const {
  if (!bucket_keys_.empty() || !schema_.has_primary_key()) return bucket_keys_;
  std::vector<std::string> keys;
  for (const auto& k : schema_.primary_key()) {
    if (!Contains(partition_keys_, k)) keys.push_back(k);
  }
  return keys;
}

Status TableDescriptor::Validate() const {
  auto invalid = [](std::string msg) { return Status(ErrorCode::kInvalidTable, std::move(msg)); };
  if (schema_.num_columns() == 0) return invalid("a table needs at least one column");
  for (const auto& c : schema_.columns()) {
    for (auto sys : kSystemColumns) {
      if (c.name == sys) {
        return invalid(fmt::format("column name '{}' is reserved for the lake system columns", c.name));
      }
    }
  }
  if (bucket_count_ && (*bucket_count_ < 1 || *bucket_count_ > kMaxBucketCount)) {
    return Status(ErrorCode::kBucketMaxNum,
                  fmt::format("bucket count must be between 1 and {}, got {}", kMaxBucketCount, *bucket_count_));
  }
  for (size_t i = 0; i < partition_keys_.size(); ++i) {
    const std::string& k = partition_keys_[i];
    auto index = schema_.IndexOf(k);
    if (!index) return invalid(fmt::format("partition key '{}' is not a column of the table", k));
    if (std::find(partition_keys_.begin(), partition_keys_.begin() + static_cast<std::ptrdiff_t>(i), k) !=
        partition_keys_.begin() + static_cast<std::ptrdiff_t>(i)) {
      return invalid(fmt::format("partition key '{}' is given twice", k));
    }
    const DataType& type = schema_.column(*index).type;
    if (!IsPartitionKeyType(type.root())) {
      return invalid(fmt::format(
          "partition key '{}' is {}; a partition key must be CHAR, STRING, BOOLEAN, BINARY, BYTES, TINYINT, "
          "SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ",
          k, type.ToString()));
    }
  }
  for (const auto& k : bucket_keys_) {
    if (!schema_.IndexOf(k)) return invalid(fmt::format("bucket key '{}' is not a column of the table", k));
    if (Contains(partition_keys_, k)) {
      return invalid(fmt::format("bucket key '{}' is a partition key; bucket keys must not include partition keys "
                                 "(each partition has its own buckets)",
                                 k));
    }
  }
  if (schema_.has_primary_key()) {
    for (const auto& k : partition_keys_) {
      if (!Contains(schema_.primary_key(), k)) {
        return invalid(fmt::format("partitioned primary-key table: partition key '{}' must be part of the primary key", k));
      }
    }
    std::vector<std::string> physical_pk;
    for (const auto& k : schema_.primary_key()) {
      if (!Contains(partition_keys_, k)) physical_pk.push_back(k);
    }
    if (physical_pk.empty()) return invalid("the primary key must have a column that is not a partition key");
    for (const auto& k : bucket_keys_) {
      if (!Contains(physical_pk, k)) {
        return invalid(fmt::format(
            "bucket key '{}' must be a primary-key column that is not a partition key in a primary-key table", k));
      }
    }
  }
  return Status::OK();
}

// Friend of TableDescriptor: the JSON form reads and writes its fields (the bucket keys as given).
struct internal::TableDescriptorJson {
  static nlohmann::json ToJson(const TableDescriptor& d);
  static Result<TableDescriptor> FromJson(const nlohmann::json& j);
};

nlohmann::json TableDescriptorToJson(const TableDescriptor& descriptor) {
  return internal::TableDescriptorJson::ToJson(descriptor);
}
Result<TableDescriptor> TableDescriptorFromJson(const nlohmann::json& j) {
  return internal::TableDescriptorJson::FromJson(j);
}

nlohmann::json internal::TableDescriptorJson::ToJson(const TableDescriptor& d) {
  nlohmann::json j;
  j["version"] = 1;
  j["schema"] = SchemaToJson(d.schema_);
  if (!d.comment_.empty()) j["comment"] = d.comment_;
  j["partition_key"] = d.partition_keys_;
  j["bucket_key"] = d.bucket_keys_;
  if (d.bucket_count_) j["bucket_count"] = *d.bucket_count_;
  j["properties"] = d.properties_;
  j["custom_properties"] = d.custom_properties_;
  return j;
}

Result<TableDescriptor> internal::TableDescriptorJson::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("schema")) return Status::Invalid("table JSON must be an object with 'schema'");
  TableDescriptor d;
  FLUSS_ASSIGN_OR_RETURN(d.schema_, SchemaFromJson(j["schema"]));
  if (j.contains("comment")) {
    if (!j["comment"].is_string()) return Status::Invalid("table JSON 'comment' must be a string");
    d.comment_ = j["comment"].get<std::string>();
  }
  FLUSS_ASSIGN_OR_RETURN(d.partition_keys_, StringArray(j, "partition_key"));
  FLUSS_ASSIGN_OR_RETURN(d.bucket_keys_, StringArray(j, "bucket_key"));
  if (j.contains("bucket_count")) {
    if (!j["bucket_count"].is_number_integer()) return Status::Invalid("table JSON 'bucket_count' must be an integer");
    d.bucket_count_ = j["bucket_count"].get<int>();
  }
  FLUSS_ASSIGN_OR_RETURN(d.properties_, StringMap(j, "properties"));
  FLUSS_ASSIGN_OR_RETURN(d.custom_properties_, StringMap(j, "custom_properties"));
  return d;
}

}  // namespace fluss
