#include "lake/iceberg/partition_spec.h"

#include <set>

#include <fmt/format.h>

#include "lake/iceberg/iceberg_schema.h"
#include "lake/iceberg/single_value.h"

namespace fluss::iceberg {

using nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

namespace {

Status BadSpec(std::string_view why) { return Status::Corruption(fmt::format("iceberg partition spec: {}", why)); }

// The Avro type of an Iceberg primitive type usable as an identity partition value.
Result<OrderedJson> PartitionAvroType(const std::string& type) {
  if (type == "boolean" || type == "int" || type == "long" || type == "float" || type == "double" ||
      type == "string") {
    return OrderedJson(type);
  }
  if (type == "binary") return OrderedJson("bytes");
  if (type == "date") return OrderedJson{{"type", "int"}, {"logicalType", "date"}};
  if (type == "time") return OrderedJson{{"type", "long"}, {"logicalType", "time-micros"}};
  if (type == "timestamp" || type == "timestamptz") {
    return OrderedJson{{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", type == "timestamptz"}};
  }
  int64_t size = 0;
  if (std::sscanf(type.c_str(), "fixed[%ld]", &size) == 1 && size > 0) {
    return OrderedJson{{"type", "fixed"}, {"name", fmt::format("fixed_{}", size)}, {"size", size}};
  }
  return Status::NotSupported(fmt::format("iceberg: '{}' cannot be an identity partition field here", type));
}

// Which AvroValue alternative carries a value of `type`, and (fixed) its size.
bool FitsType(const avro::AvroValue& v, const std::string& type) {
  if (v.is_null()) return true;
  if (type == "boolean") return v.is<bool>();
  if (type == "int" || type == "date") return v.is<int32_t>();
  if (type == "long" || type == "time" || type == "timestamp" || type == "timestamptz") return v.is<int64_t>();
  if (type == "float") return v.is<float>();
  if (type == "double") return v.is<double>();
  if (type == "string") return v.is<std::string>();
  if (type == "binary") return v.is<avro::AvroBytes>();
  int64_t size = 0;
  if (std::sscanf(type.c_str(), "fixed[%ld]", &size) == 1) {
    const auto* f = v.get_if<avro::AvroFixed>();
    return f != nullptr && static_cast<int64_t>(f->data.size()) == size;
  }
  return false;
}

int64_t MicrosOf(const TimestampValue& t) { return t.millis * 1000 + t.nanos_of_milli / 1000; }

}  // namespace

int32_t PartitionSpec::HighestFieldId() const {
  int32_t highest = kFirstPartitionFieldId - 1;
  for (const auto& f : fields) highest = std::max(highest, f.field_id);
  return highest;
}

bool PartitionSpec::SamePartitioning(const PartitionSpec& other) const {
  if (fields.size() != other.fields.size()) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& a = fields[i];
    const auto& b = other.fields[i];
    if (a.source_id != b.source_id || a.name != b.name || a.transform != b.transform) return false;
  }
  return true;
}

json PartitionSpec::FieldsJson() const {
  json out = json::array();
  for (const auto& f : fields) {
    out.push_back({{"name", f.name}, {"transform", f.transform}, {"source-id", f.source_id}, {"field-id", f.field_id}});
  }
  return out;
}

json PartitionSpec::ToJson() const { return {{"spec-id", spec_id}, {"fields", FieldsJson()}}; }

Result<PartitionSpec> PartitionSpec::FromFieldsJson(const json& fields, int32_t spec_id) {
  if (!fields.is_array()) return BadSpec(fmt::format("spec {}: 'fields' is not an array", spec_id));
  PartitionSpec spec;
  spec.spec_id = spec_id;
  std::set<std::string> names;
  std::set<int32_t> ids;
  for (const auto& f : fields) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("transform") ||
        !f["transform"].is_string() || !f.contains("source-id") || !f["source-id"].is_number_integer() ||
        !f.contains("field-id") || !f["field-id"].is_number_integer()) {
      return BadSpec(fmt::format("spec {}: a field without name, transform, source-id or field-id", spec_id));
    }
    PartitionField pf;
    pf.name = f["name"].get<std::string>();
    pf.transform = f["transform"].get<std::string>();
    pf.source_id = f["source-id"].get<int32_t>();
    pf.field_id = f["field-id"].get<int32_t>();
    if (pf.field_id < kFirstPartitionFieldId) {
      return BadSpec(fmt::format("spec {}: field '{}' has field-id {} (partition field ids start at {})", spec_id,
                                 pf.name, pf.field_id, kFirstPartitionFieldId));
    }
    if (!names.insert(pf.name).second || !ids.insert(pf.field_id).second) {
      return BadSpec(fmt::format("spec {}: field '{}' (id {}) given twice", spec_id, pf.name, pf.field_id));
    }
    spec.fields.push_back(std::move(pf));
  }
  return spec;
}

Result<PartitionSpec> PartitionSpec::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("spec-id") || !j["spec-id"].is_number_integer() || !j.contains("fields")) {
    return BadSpec("a spec without spec-id or fields");
  }
  return FromFieldsJson(j["fields"], j["spec-id"].get<int32_t>());
}

Result<PartitionSpec> PartitionSpec::Identity(const Schema& schema, const std::vector<std::string>& columns,
                                              int32_t spec_id, int32_t first_field_id) {
  PartitionSpec spec;
  spec.spec_id = spec_id;
  int32_t id = std::max(first_field_id, kFirstPartitionFieldId);
  for (const auto& name : columns) {
    auto index = schema.IndexOf(name);
    if (!index) return Status::Invalid(fmt::format("iceberg: partition column '{}' is not in the schema", name));
    const Column& c = schema.column(*index);
    if (c.id < 0) return Status::Invalid(fmt::format("iceberg: partition column '{}' has no id", name));
    for (const auto& f : spec.fields) {
      if (f.name == name) return Status::Invalid(fmt::format("iceberg: partition column '{}' given twice", name));
    }
    spec.fields.push_back(PartitionField{c.id, id++, name, "identity"});
  }
  return spec;
}

Result<std::vector<std::string>> PartitionFieldTypes(const PartitionSpec& spec, const json& table_schema) {
  std::vector<std::string> types;
  const auto fields = table_schema.find("fields");
  for (const auto& pf : spec.fields) {
    if (pf.transform != "identity") {
      return Status::NotSupported(fmt::format("iceberg: partition field '{}' has transform '{}' (only identity is "
                                              "supported)",
                                              pf.name, pf.transform));
    }
    const json* source = nullptr;
    if (fields != table_schema.end() && fields->is_array()) {
      for (const auto& f : *fields) {
        if (f.is_object() && f.value("id", -1) == pf.source_id) source = &f;
      }
    }
    if (source == nullptr || !(*source).contains("type") || !(*source)["type"].is_string()) {
      return Status::Corruption(fmt::format("iceberg: partition field '{}' has source-id {}, which the schema has "
                                            "not as a primitive field",
                                            pf.name, pf.source_id));
    }
    types.push_back((*source)["type"].get<std::string>());
  }
  return types;
}

Result<OrderedJson> PartitionStructAvroSchema(const PartitionSpec& spec, const std::vector<std::string>& field_types) {
  if (field_types.size() != spec.fields.size()) {
    return Status::Invalid(fmt::format("iceberg: {} partition field types for {} fields", field_types.size(),
                                       spec.fields.size()));
  }
  OrderedJson fields = OrderedJson::array();
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    FLUSS_ASSIGN_OR_RETURN(OrderedJson type, PartitionAvroType(field_types[i]));
    fields.push_back(OrderedJson{{"name", spec.fields[i].name},
                                 {"type", OrderedJson::array({"null", std::move(type)})},
                                 {"default", nullptr},
                                 {"field-id", spec.fields[i].field_id}});
  }
  return OrderedJson{{"type", "record"}, {"name", "r102"}, {"fields", std::move(fields)}};
}

Status CheckPartitionTuple(const PartitionTuple& tuple, const std::vector<std::string>& field_types,
                           std::string_view what) {
  if (tuple.size() != field_types.size()) {
    return Status::Invalid(fmt::format("iceberg: {} has {} partition values, the spec {} fields", what, tuple.size(),
                                       field_types.size()));
  }
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (!FitsType(tuple[i], field_types[i])) {
      return Status::Invalid(fmt::format("iceberg: {}: partition value {} is not of type {}", what, i, field_types[i]));
    }
  }
  return Status::OK();
}

Result<avro::AvroValue> IdentityPartitionValue(const Datum& value, const DataType& type, std::string_view column) {
  if (std::holds_alternative<std::monostate>(value)) return avro::AvroValue::Null();
  auto wrong = [&] {
    return Status::Invalid(fmt::format("iceberg: partition column '{}' ({}) has a value of another type", column,
                                       type.ToString()));
  };
  switch (type.root()) {
    case TypeRoot::kBoolean:
      if (const auto* b = std::get_if<bool>(&value)) return avro::AvroValue(*b);
      return wrong();
    case TypeRoot::kTinyInt:
      if (const auto* v = std::get_if<int8_t>(&value)) return avro::AvroValue(static_cast<int32_t>(*v));
      return wrong();
    case TypeRoot::kSmallInt:
      if (const auto* v = std::get_if<int16_t>(&value)) return avro::AvroValue(static_cast<int32_t>(*v));
      return wrong();
    case TypeRoot::kInt:
    case TypeRoot::kDate:
      if (const auto* v = std::get_if<int32_t>(&value)) return avro::AvroValue(*v);
      return wrong();
    case TypeRoot::kTime:
      if (const auto* v = std::get_if<int32_t>(&value)) return avro::AvroValue(static_cast<int64_t>(*v) * 1000);
      return wrong();
    case TypeRoot::kBigInt:
      if (const auto* v = std::get_if<int64_t>(&value)) return avro::AvroValue(*v);
      return wrong();
    case TypeRoot::kFloat:
      if (const auto* v = std::get_if<float>(&value)) return avro::AvroValue(*v);
      return wrong();
    case TypeRoot::kDouble:
      if (const auto* v = std::get_if<double>(&value)) return avro::AvroValue(*v);
      return wrong();
    case TypeRoot::kChar:
    case TypeRoot::kString:
      if (const auto* v = std::get_if<std::string>(&value)) return avro::AvroValue(*v);
      return wrong();
    case TypeRoot::kBytes:
      if (const auto* v = std::get_if<std::string>(&value)) {
        return avro::AvroValue::Bytes(std::vector<uint8_t>(v->begin(), v->end()));
      }
      return wrong();
    case TypeRoot::kBinary:
      if (const auto* v = std::get_if<std::string>(&value)) {
        return avro::AvroValue(avro::AvroFixed{std::vector<uint8_t>(v->begin(), v->end())});
      }
      return wrong();
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (const auto* v = std::get_if<TimestampValue>(&value)) return avro::AvroValue(MicrosOf(*v));
      return wrong();
    case TypeRoot::kDecimal:
      break;
  }
  return Status::NotSupported(fmt::format("iceberg: partition column '{}' has type {}, which cannot be a partition key",
                                          column, type.ToString()));
}

std::optional<std::vector<uint8_t>> SerializePartitionValue(const avro::AvroValue& value) {
  if (const auto* b = value.get_if<bool>()) return SerializeBoolean(*b);
  if (const auto* i = value.get_if<int32_t>()) return SerializeInt(*i);
  if (const auto* l = value.get_if<int64_t>()) return SerializeLong(*l);
  if (const auto* f = value.get_if<float>()) return SerializeFloat(*f);
  if (const auto* d = value.get_if<double>()) return SerializeDouble(*d);
  if (const auto* s = value.get_if<std::string>()) return SerializeString(*s);
  if (const auto* b = value.get_if<avro::AvroBytes>()) return b->data;
  if (const auto* f = value.get_if<avro::AvroFixed>()) return f->data;
  return std::nullopt;
}

}  // namespace fluss::iceberg
