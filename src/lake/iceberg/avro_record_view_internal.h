// Reading Iceberg's Avro records by field name with field-id checks, and building the Avro schema
// pieces Iceberg uses (optional fields, int-keyed maps as arrays of key/value records).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "lake/avro/avro_schema.h"
#include "lake/avro/avro_value.h"

namespace fluss::iceberg::internal {

using avro::AvroValue;
using OJson = nlohmann::ordered_json;

inline OJson Field(std::string_view name, OJson type, int id) {
  return OJson{{"name", name}, {"type", std::move(type)}, {"field-id", id}};
}
inline OJson Optional(std::string_view name, OJson type, int id) {
  return OJson{{"name", name}, {"type", OJson::array({"null", std::move(type)})}, {"default", nullptr}, {"field-id", id}};
}
// An Iceberg map<int, V> as Avro: an array of records {key, value} with logicalType "map".
inline OJson IntKeyMap(int key_id, int value_id, std::string_view value_type) {
  return OJson{{"type", "array"},
               {"items", OJson{{"type", "record"},
                               {"name", fmt::format("k{}_v{}", key_id, value_id)},
                               {"fields", OJson::array({Field("key", "int", key_id), Field("value", value_type, value_id)})}}},
               {"logicalType", "map"}};
}

// A decoded record and its writer schema, read by field name.
class RecordView {
 public:
  RecordView(const avro::AvroNode& schema, const AvroValue& value, std::string what)
      : schema_(schema), value_(value), what_(std::move(what)) {}

  Status Check() const {
    if (schema_.type != avro::AvroType::kRecord || !value_.is<avro::AvroRecord>()) {
      return Status::Corruption(fmt::format("iceberg: {} is not a record", what_));
    }
    return Status::OK();
  }

  // The field's value (null for an absent optional field), after checking its field id.
  Result<const AvroValue*> Find(std::string_view name, int expected_id, bool required) const {
    auto idx = schema_.FieldIndex(name);
    if (!idx) {
      if (required) return Status::Corruption(fmt::format("iceberg: {} has no field '{}'", what_, name));
      return static_cast<const AvroValue*>(nullptr);
    }
    auto id = schema_.fields[*idx].field_id();
    if (!id || *id != expected_id) {
      return Status::Corruption(fmt::format("iceberg: {} field '{}' has field-id {}, expected {}", what_, name,
                                            id ? std::to_string(*id) : "none", expected_id));
    }
    return &value_.get_if<avro::AvroRecord>()->fields[*idx];
  }
  const avro::AvroNode& FieldSchema(std::string_view name) const {
    return *schema_.fields[*schema_.FieldIndex(name)].type;
  }

  Result<int32_t> Int(std::string_view name, int id) const {
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* v, Find(name, id, true));
    if (!v->is<int32_t>()) return TypeError(name, "int");
    return *v->get_if<int32_t>();
  }
  Result<int64_t> Long(std::string_view name, int id) const {
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* v, Find(name, id, true));
    if (!v->is<int64_t>()) return TypeError(name, "long");
    return *v->get_if<int64_t>();
  }
  Result<std::string> String(std::string_view name, int id) const {
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* v, Find(name, id, true));
    if (!v->is<std::string>()) return TypeError(name, "string");
    return *v->get_if<std::string>();
  }
  template <typename T>
  Result<std::optional<T>> Opt(std::string_view name, int id) const {
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* v, Find(name, id, false));
    if (v == nullptr || v->is_null()) return std::optional<T>();
    if (!v->is<T>()) return TypeError(name, "a different type");
    return std::optional<T>(*v->get_if<T>());
  }
  Result<std::optional<bool>> OptBool(std::string_view name, int id) const { return Opt<bool>(name, id); }

  // An optional map<int, V> stored as an array of {key, value} records.
  template <typename V, typename Convert>
  Status IntMap(std::string_view name, int id, int key_id, int value_id, std::map<int32_t, V>* out,
                Convert convert) const {
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* v, Find(name, id, false));
    if (v == nullptr || v->is_null()) return Status::OK();
    const auto* arr = v->get_if<avro::AvroArray>();
    const avro::AvroNode* s = &FieldSchema(name);
    if (s->type == avro::AvroType::kUnion) {
      const avro::AvroNode* pick = nullptr;
      for (const auto& b : s->branches) {
        if (b->type == avro::AvroType::kArray) pick = b.get();
      }
      s = pick;
    }
    if (arr == nullptr || s == nullptr || s->type != avro::AvroType::kArray) return TypeError(name, "array");
    for (const auto& item : arr->items) {
      RecordView kv(*s->items, item, fmt::format("{}.{}", what_, name));
      FLUSS_RETURN_NOT_OK(kv.Check());
      FLUSS_ASSIGN_OR_RETURN(int32_t key, kv.Int("key", key_id));
      FLUSS_ASSIGN_OR_RETURN(const AvroValue* val, kv.Find("value", value_id, true));
      FLUSS_ASSIGN_OR_RETURN(V converted, convert(*val));
      if (!out->emplace(key, std::move(converted)).second) {
        return Status::Corruption(fmt::format("iceberg: {}.{} has key {} twice", what_, name, key));
      }
    }
    return Status::OK();
  }

  Status TypeError(std::string_view name, std::string_view type) const {
    return Status::Corruption(fmt::format("iceberg: {} field '{}' is not {}", what_, name, type));
  }

 private:
  const avro::AvroNode& schema_;
  const AvroValue& value_;
  std::string what_;
};

inline AvroValue OptionalLong(const std::optional<int64_t>& v) { return v ? AvroValue(*v) : AvroValue::Null(); }

}  // namespace fluss::iceberg::internal
