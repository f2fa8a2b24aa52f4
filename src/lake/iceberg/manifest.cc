#include "lake/iceberg/manifest.h"

#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "lake/iceberg/avro_record_view_internal.h"

namespace fluss::iceberg {

using avro::AvroArray;
using avro::AvroRecord;
using avro::AvroValue;
using internal::Field;
using internal::IntKeyMap;
using internal::OJson;
using internal::Optional;
using internal::RecordView;

namespace {

OJson ManifestEntrySchemaJson(OJson partition_struct) {
  OJson data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       OJson::array({
           Field("content", "int", 134),
           Field("file_path", "string", 100),
           Field("file_format", "string", 101),
           Field("partition", std::move(partition_struct), 102),
           Field("record_count", "long", 103),
           Field("file_size_in_bytes", "long", 104),
           Optional("column_sizes", IntKeyMap(117, 118, "long"), 108),
           Optional("value_counts", IntKeyMap(119, 120, "long"), 109),
           Optional("null_value_counts", IntKeyMap(121, 122, "long"), 110),
           Optional("nan_value_counts", IntKeyMap(138, 139, "long"), 137),
           Optional("lower_bounds", IntKeyMap(126, 127, "bytes"), 125),
           Optional("upper_bounds", IntKeyMap(129, 130, "bytes"), 128),
           Optional("key_metadata", "bytes", 131),
           Optional("split_offsets", OJson{{"type", "array"}, {"items", "long"}, {"element-id", 133}}, 132),
           Optional("equality_ids", OJson{{"type", "array"}, {"items", "int"}, {"element-id", 136}}, 135),
           Optional("sort_order_id", "int", 140),
       })}};
  OJson entry = {{"type", "record"},
                 {"name", "manifest_entry"},
                 {"fields", OJson::array({
                                Field("status", "int", 0),
                                Optional("snapshot_id", "long", 1),
                                Optional("sequence_number", "long", 3),
                                Optional("file_sequence_number", "long", 4),
                                Field("data_file", std::move(data_file), 2),
                            })}};
  return entry;
}

}  // namespace

const std::string& ManifestEntryAvroSchema() {
  static const std::string kSchema =
      ManifestEntrySchemaJson(OJson{{"type", "record"}, {"name", "r102"}, {"fields", OJson::array()}}).dump();
  return kSchema;
}

Result<std::string> ManifestEntryAvroSchema(const PartitionSpec& spec, const std::vector<std::string>& field_types) {
  FLUSS_ASSIGN_OR_RETURN(OJson partition, PartitionStructAvroSchema(spec, field_types));
  return ManifestEntrySchemaJson(std::move(partition)).dump();
}

namespace {

AvroValue LongMap(const std::map<int32_t, int64_t>& m) {
  if (m.empty()) return AvroValue::Null();
  AvroArray a;
  for (const auto& [k, v] : m) a.items.push_back(AvroRecord{{k, v}});
  return a;
}

AvroValue BytesMap(const std::map<int32_t, std::vector<uint8_t>>& m) {
  if (m.empty()) return AvroValue::Null();
  AvroArray a;
  for (const auto& [k, v] : m) a.items.push_back(AvroRecord{{k, AvroValue::Bytes(v)}});
  return a;
}

AvroValue EntryValue(const ManifestEntry& e) {
  const DataFile& f = e.data_file;
  AvroValue split = AvroValue::Null();
  if (!f.split_offsets.empty()) {
    AvroArray a;
    for (int64_t o : f.split_offsets) a.items.emplace_back(o);
    split = std::move(a);
  }
  AvroValue equality = AvroValue::Null();
  if (!f.equality_ids.empty()) {
    AvroArray a;
    for (int32_t id : f.equality_ids) a.items.emplace_back(id);
    equality = std::move(a);
  }
  AvroRecord df{{
      static_cast<int32_t>(f.content),
      f.file_path,
      f.file_format,
      AvroRecord{f.partition},
      f.record_count,
      f.file_size_in_bytes,
      LongMap(f.column_sizes),
      LongMap(f.value_counts),
      LongMap(f.null_value_counts),
      LongMap(f.nan_value_counts),
      BytesMap(f.lower_bounds),
      BytesMap(f.upper_bounds),
      AvroValue::Null(),
      std::move(split),
      std::move(equality),
      f.sort_order_id ? AvroValue(*f.sort_order_id) : AvroValue::Null(),
  }};
  return AvroRecord{{static_cast<int32_t>(e.status), internal::OptionalLong(e.snapshot_id),
                     internal::OptionalLong(e.sequence_number), internal::OptionalLong(e.file_sequence_number),
                     std::move(df)}};
}

Result<int64_t> AsLong(const AvroValue& v) {
  if (!v.is<int64_t>()) return Status::Corruption("iceberg: map value is not a long");
  return *v.get_if<int64_t>();
}
Result<std::vector<uint8_t>> AsBytes(const AvroValue& v) {
  if (!v.is<avro::AvroBytes>()) return Status::Corruption("iceberg: map value is not bytes");
  return v.get_if<avro::AvroBytes>()->data;
}

// The partition tuple of a data_file.partition struct, in the order of `spec`'s fields, matched by
// field id.
Result<PartitionTuple> ReadPartition(const avro::AvroNode& schema, const AvroValue& value, const PartitionSpec& spec,
                                     const std::string& file) {
  const auto* record = value.get_if<AvroRecord>();
  if (record == nullptr || schema.type != avro::AvroType::kRecord || record->fields.size() != schema.fields.size()) {
    return Status::Corruption(fmt::format("iceberg: data file '{}': partition is not a struct", file));
  }
  if (schema.fields.size() != spec.fields.size()) {
    return Status::Corruption(fmt::format("iceberg: data file '{}': partition struct has {} fields, the manifest's "
                                          "partition spec {}",
                                          file, schema.fields.size(), spec.fields.size()));
  }
  PartitionTuple tuple;
  for (const auto& pf : spec.fields) {
    std::optional<size_t> at;
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      if (schema.fields[i].field_id() == pf.field_id) at = i;
    }
    if (!at) {
      return Status::Corruption(fmt::format("iceberg: data file '{}': partition struct has no field with field-id {} "
                                            "('{}')",
                                            file, pf.field_id, pf.name));
    }
    tuple.push_back(record->fields[*at]);
  }
  return tuple;
}

Result<DataFile> ReadDataFile(const RecordView& r, const PartitionSpec& spec) {
  FLUSS_RETURN_NOT_OK(r.Check());
  DataFile f;
  FLUSS_ASSIGN_OR_RETURN(int32_t content, r.Int("content", 134));
  if (content < 0 || content > 2) return Status::Corruption(fmt::format("iceberg: data_file content {}", content));
  f.content = static_cast<DataFileContent>(content);
  FLUSS_ASSIGN_OR_RETURN(f.file_path, r.String("file_path", 100));
  FLUSS_ASSIGN_OR_RETURN(f.file_format, r.String("file_format", 101));
  FLUSS_ASSIGN_OR_RETURN(const AvroValue* partition, r.Find("partition", 102, true));
  if (!partition->is<AvroRecord>()) return r.TypeError("partition", "a struct");
  FLUSS_ASSIGN_OR_RETURN(f.partition, ReadPartition(r.FieldSchema("partition"), *partition, spec, f.file_path));
  FLUSS_ASSIGN_OR_RETURN(f.record_count, r.Long("record_count", 103));
  FLUSS_ASSIGN_OR_RETURN(f.file_size_in_bytes, r.Long("file_size_in_bytes", 104));
  if (f.record_count < 0 || f.file_size_in_bytes < 0) {
    return Status::Corruption(fmt::format("iceberg: data file '{}' has negative counts", f.file_path));
  }
  FLUSS_RETURN_NOT_OK(r.IntMap("column_sizes", 108, 117, 118, &f.column_sizes, AsLong));
  FLUSS_RETURN_NOT_OK(r.IntMap("value_counts", 109, 119, 120, &f.value_counts, AsLong));
  FLUSS_RETURN_NOT_OK(r.IntMap("null_value_counts", 110, 121, 122, &f.null_value_counts, AsLong));
  FLUSS_RETURN_NOT_OK(r.IntMap("nan_value_counts", 137, 138, 139, &f.nan_value_counts, AsLong));
  FLUSS_RETURN_NOT_OK(r.IntMap("lower_bounds", 125, 126, 127, &f.lower_bounds, AsBytes));
  FLUSS_RETURN_NOT_OK(r.IntMap("upper_bounds", 128, 129, 130, &f.upper_bounds, AsBytes));
  FLUSS_ASSIGN_OR_RETURN(const AvroValue* split, r.Find("split_offsets", 132, false));
  if (split != nullptr && !split->is_null()) {
    const auto* a = split->get_if<AvroArray>();
    if (a == nullptr) return r.TypeError("split_offsets", "an array");
    for (const auto& o : a->items) {
      if (!o.is<int64_t>()) return r.TypeError("split_offsets", "an array of longs");
      f.split_offsets.push_back(*o.get_if<int64_t>());
    }
  }
  FLUSS_ASSIGN_OR_RETURN(const AvroValue* equality, r.Find("equality_ids", 135, false));
  if (equality != nullptr && !equality->is_null()) {
    const auto* a = equality->get_if<AvroArray>();
    if (a == nullptr) return r.TypeError("equality_ids", "an array");
    for (const auto& id : a->items) {
      if (!id.is<int32_t>()) return r.TypeError("equality_ids", "an array of ints");
      f.equality_ids.push_back(*id.get_if<int32_t>());
    }
  }
  if (f.content == DataFileContent::kEqualityDeletes && f.equality_ids.empty()) {
    return Status::Corruption(fmt::format("iceberg: equality delete file '{}' has no equality_ids", f.file_path));
  }
  if (f.content != DataFileContent::kEqualityDeletes && !f.equality_ids.empty()) {
    return Status::Corruption(fmt::format("iceberg: '{}' has equality_ids but is no equality delete file", f.file_path));
  }
  FLUSS_ASSIGN_OR_RETURN(f.sort_order_id, r.Opt<int32_t>("sort_order_id", 140));
  return f;
}

}  // namespace

Result<std::vector<uint8_t>> WriteManifest(const ManifestWriteOptions& options,
                                           const std::vector<ManifestEntry>& entries) {
  std::vector<std::string> field_types;
  if (!options.partition_spec.unpartitioned()) {
    auto table_schema = nlohmann::json::parse(options.table_schema_json, nullptr, /*allow_exceptions=*/false);
    if (table_schema.is_discarded()) return Status::Invalid("iceberg: manifest table schema is not valid JSON");
    FLUSS_ASSIGN_OR_RETURN(field_types, PartitionFieldTypes(options.partition_spec, table_schema));
  }
  FLUSS_ASSIGN_OR_RETURN(std::string schema_text, ManifestEntryAvroSchema(options.partition_spec, field_types));
  FLUSS_ASSIGN_OR_RETURN(auto schema, avro::AvroSchema::Parse(schema_text));
  std::map<std::string, std::string> meta = {
      {"schema", options.table_schema_json},
      {"schema-id", std::to_string(options.schema_id)},
      {"partition-spec", options.partition_spec.FieldsJson().dump()},
      {"partition-spec-id", std::to_string(options.partition_spec.spec_id)},
      {"format-version", "2"},
      {"content", options.content == ManifestContent::kDeletes ? "deletes" : "data"},
  };
  avro::AvroWriterOptions wo;
  wo.codec = options.codec;
  FLUSS_ASSIGN_OR_RETURN(auto writer, avro::AvroFileWriter::Make(std::move(schema), std::move(meta), wo));
  const bool deletes = options.content == ManifestContent::kDeletes;
  for (const auto& e : entries) {
    const DataFile& f = e.data_file;
    if ((f.content == DataFileContent::kData) == deletes) {
      return Status::Invalid(fmt::format("iceberg: '{}' is {} file and cannot go into a {} manifest", f.file_path,
                                         f.content == DataFileContent::kData ? "a data" : "a delete",
                                         deletes ? "delete" : "data"));
    }
    if ((f.content == DataFileContent::kEqualityDeletes) != !f.equality_ids.empty()) {
      return Status::Invalid(fmt::format("iceberg: '{}': equality_ids go with equality delete files (and they need "
                                         "them)",
                                         f.file_path));
    }
    FLUSS_RETURN_NOT_OK(CheckPartitionTuple(f.partition, field_types, fmt::format("data file '{}'", f.file_path)));
    FLUSS_RETURN_NOT_OK(writer.Append(EntryValue(e)));
  }
  return writer.Finish();
}

Result<Manifest> ReadManifest(std::span<const uint8_t> file) {
  FLUSS_ASSIGN_OR_RETURN(auto contents, avro::ReadAvroFile(file));
  Manifest m;
  m.metadata = contents.metadata;
  if (auto fv = m.metadata.find("format-version"); fv == m.metadata.end() || fv->second != "2") {
    return Status::Corruption("iceberg: manifest is not format-version 2");
  }
  for (const char* key : {"schema", "partition-spec"}) {
    if (!m.metadata.count(key)) return Status::Corruption(fmt::format("iceberg: manifest header has no '{}'", key));
  }
  {
    auto spec_json = nlohmann::json::parse(m.metadata["partition-spec"], nullptr, /*allow_exceptions=*/false);
    if (spec_json.is_discarded()) return Status::Corruption("iceberg: manifest header 'partition-spec' is not JSON");
    int32_t spec_id = 0;
    if (auto id = m.metadata.find("partition-spec-id"); id != m.metadata.end()) {
      char* end = nullptr;
      long v = std::strtol(id->second.c_str(), &end, 10);
      if (id->second.empty() || *end != '\0' || v < 0 || v > INT32_MAX) {
        return Status::Corruption(fmt::format("iceberg: manifest header partition-spec-id '{}'", id->second));
      }
      spec_id = static_cast<int32_t>(v);
    }
    FLUSS_ASSIGN_OR_RETURN(m.partition_spec, PartitionSpec::FromFieldsJson(spec_json, spec_id));
  }
  if (auto c = m.metadata.find("content"); c != m.metadata.end()) {
    if (c->second == "deletes") {
      m.content = ManifestContent::kDeletes;
    } else if (c->second != "data") {
      return Status::Corruption(fmt::format("iceberg: manifest content '{}' (expected data or deletes)", c->second));
    }
  }
  const avro::AvroNode& root = contents.schema.root();
  for (size_t i = 0; i < contents.records.size(); ++i) {
    RecordView r(root, contents.records[i], fmt::format("manifest_entry {}", i));
    FLUSS_RETURN_NOT_OK(r.Check());
    ManifestEntry e;
    FLUSS_ASSIGN_OR_RETURN(int32_t status, r.Int("status", 0));
    if (status < 0 || status > 2) return Status::Corruption(fmt::format("iceberg: manifest entry status {}", status));
    e.status = static_cast<ManifestEntryStatus>(status);
    FLUSS_ASSIGN_OR_RETURN(e.snapshot_id, r.Opt<int64_t>("snapshot_id", 1));
    FLUSS_ASSIGN_OR_RETURN(e.sequence_number, r.Opt<int64_t>("sequence_number", 3));
    FLUSS_ASSIGN_OR_RETURN(e.file_sequence_number, r.Opt<int64_t>("file_sequence_number", 4));
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* df, r.Find("data_file", 2, true));
    RecordView dfv(r.FieldSchema("data_file"), *df, fmt::format("manifest_entry {} data_file", i));
    FLUSS_ASSIGN_OR_RETURN(e.data_file, ReadDataFile(dfv, m.partition_spec));
    if ((e.data_file.content == DataFileContent::kData) != (m.content == ManifestContent::kData)) {
      return Status::Corruption(fmt::format("iceberg: manifest_entry {} ('{}') is a {} file in a {} manifest", i,
                                            e.data_file.file_path,
                                            e.data_file.content == DataFileContent::kData ? "data" : "delete",
                                            m.content == ManifestContent::kData ? "data" : "delete"));
    }
    m.entries.push_back(std::move(e));
  }
  return m;
}

}  // namespace fluss::iceberg
