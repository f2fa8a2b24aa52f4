#include "lake/iceberg/manifest_list.h"

#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "lake/iceberg/avro_record_view_internal.h"

namespace fluss::iceberg {

using avro::AvroArray;
using avro::AvroRecord;
using avro::AvroValue;
using internal::Field;
using internal::OJson;
using internal::Optional;
using internal::RecordView;

const std::string& ManifestFileAvroSchema() {
  static const std::string kSchema = [] {
    OJson summary = {{"type", "record"},
                     {"name", "r508"},
                     {"fields", OJson::array({
                                    Field("contains_null", "boolean", 509),
                                    Optional("contains_nan", "boolean", 518),
                                    Optional("lower_bound", "bytes", 510),
                                    Optional("upper_bound", "bytes", 511),
                                })}};
    OJson manifest_file = {
        {"type", "record"},
        {"name", "manifest_file"},
        {"fields", OJson::array({
                       Field("manifest_path", "string", 500),
                       Field("manifest_length", "long", 501),
                       Field("partition_spec_id", "int", 502),
                       Field("content", "int", 517),
                       Field("sequence_number", "long", 515),
                       Field("min_sequence_number", "long", 516),
                       Field("added_snapshot_id", "long", 503),
                       Field("added_files_count", "int", 504),
                       Field("existing_files_count", "int", 505),
                       Field("deleted_files_count", "int", 506),
                       Field("added_rows_count", "long", 512),
                       Field("existing_rows_count", "long", 513),
                       Field("deleted_rows_count", "long", 514),
                       Optional("partitions",
                                OJson{{"type", "array"}, {"items", std::move(summary)}, {"element-id", 508}}, 507),
                       Optional("key_metadata", "bytes", 519),
                   })}};
    return manifest_file.dump();
  }();
  return kSchema;
}

namespace {

// Orders two non-null partition values of one field (same alternative): numbers by value, strings,
// binary and fixed by unsigned bytes, false before true.
bool PartitionValueLess(const AvroValue& a, const AvroValue& b) {
  if (const auto* x = a.get_if<bool>()) return !*x && *b.get_if<bool>();
  if (const auto* x = a.get_if<int32_t>()) return *x < *b.get_if<int32_t>();
  if (const auto* x = a.get_if<int64_t>()) return *x < *b.get_if<int64_t>();
  if (const auto* x = a.get_if<float>()) return *x < *b.get_if<float>();
  if (const auto* x = a.get_if<double>()) return *x < *b.get_if<double>();
  auto bytes = [](const AvroValue& v) -> std::string_view {
    if (const auto* s = v.get_if<std::string>()) return *s;
    if (const auto* by = v.get_if<avro::AvroBytes>()) {
      return {reinterpret_cast<const char*>(by->data.data()), by->data.size()};
    }
    if (const auto* f = v.get_if<avro::AvroFixed>()) return {reinterpret_cast<const char*>(f->data.data()), f->data.size()};
    return {};
  };
  // std::string_view compares chars as unsigned (char_traits<char>::lt), as the spec orders bytes.
  return bytes(a) < bytes(b);
}

bool IsNaN(const AvroValue& v) {
  if (const auto* f = v.get_if<float>()) return std::isnan(*f);
  if (const auto* d = v.get_if<double>()) return std::isnan(*d);
  return false;
}

AvroValue OptionalBytes(const std::optional<std::vector<uint8_t>>& b) {
  return b ? AvroValue::Bytes(*b) : AvroValue::Null();
}

AvroValue ManifestValue(const ManifestFile& m) {
  AvroValue partitions = AvroValue::Null();
  if (!m.partitions.empty()) {
    AvroArray a;
    for (const auto& p : m.partitions) {
      a.items.push_back(AvroRecord{{p.contains_null, p.contains_nan ? AvroValue(*p.contains_nan) : AvroValue::Null(),
                                    OptionalBytes(p.lower_bound), OptionalBytes(p.upper_bound)}});
    }
    partitions = std::move(a);
  }
  return AvroRecord{{m.manifest_path, m.manifest_length, m.partition_spec_id, m.content, m.sequence_number,
                     m.min_sequence_number, m.added_snapshot_id, m.added_files_count, m.existing_files_count,
                     m.deleted_files_count, m.added_rows_count, m.existing_rows_count, m.deleted_rows_count,
                     std::move(partitions), AvroValue::Null()}};
}

Result<PartitionFieldSummary> ReadSummary(const RecordView& r) {
  FLUSS_RETURN_NOT_OK(r.Check());
  PartitionFieldSummary s;
  FLUSS_ASSIGN_OR_RETURN(const AvroValue* cn, r.Find("contains_null", 509, true));
  if (!cn->is<bool>()) return r.TypeError("contains_null", "boolean");
  s.contains_null = *cn->get_if<bool>();
  FLUSS_ASSIGN_OR_RETURN(s.contains_nan, r.OptBool("contains_nan", 518));
  FLUSS_ASSIGN_OR_RETURN(auto lower, r.Opt<avro::AvroBytes>("lower_bound", 510));
  if (lower) s.lower_bound = lower->data;
  FLUSS_ASSIGN_OR_RETURN(auto upper, r.Opt<avro::AvroBytes>("upper_bound", 511));
  if (upper) s.upper_bound = upper->data;
  return s;
}

}  // namespace

std::vector<PartitionFieldSummary> SummarizePartitions(const std::vector<std::string>& field_types,
                                                       const std::vector<const PartitionTuple*>& tuples) {
  std::vector<PartitionFieldSummary> out(field_types.size());
  for (size_t i = 0; i < field_types.size(); ++i) {
    PartitionFieldSummary& s = out[i];
    s.contains_nan = false;
    const AvroValue* lower = nullptr;
    const AvroValue* upper = nullptr;
    for (const PartitionTuple* t : tuples) {
      if (t == nullptr || i >= t->size()) continue;
      const AvroValue& v = (*t)[i];
      if (v.is_null()) {
        s.contains_null = true;
      } else if (IsNaN(v)) {
        s.contains_nan = true;
      } else {
        if (lower == nullptr || PartitionValueLess(v, *lower)) lower = &v;
        if (upper == nullptr || PartitionValueLess(*upper, v)) upper = &v;
      }
    }
    if (lower != nullptr) s.lower_bound = SerializePartitionValue(*lower);
    if (upper != nullptr) s.upper_bound = SerializePartitionValue(*upper);
  }
  return out;
}

Result<std::vector<uint8_t>> WriteManifestList(const ManifestListWriteOptions& options,
                                               const std::vector<ManifestFile>& manifests) {
  FLUSS_ASSIGN_OR_RETURN(auto schema, avro::AvroSchema::Parse(ManifestFileAvroSchema()));
  std::map<std::string, std::string> meta = {
      {"snapshot-id", std::to_string(options.snapshot_id)},
      {"parent-snapshot-id", options.parent_snapshot_id ? std::to_string(*options.parent_snapshot_id) : "null"},
      {"sequence-number", std::to_string(options.sequence_number)},
      {"format-version", "2"},
  };
  avro::AvroWriterOptions wo;
  wo.codec = options.codec;
  FLUSS_ASSIGN_OR_RETURN(auto writer, avro::AvroFileWriter::Make(std::move(schema), std::move(meta), wo));
  for (const auto& m : manifests) FLUSS_RETURN_NOT_OK(writer.Append(ManifestValue(m)));
  return writer.Finish();
}

Result<ManifestList> ReadManifestList(std::span<const uint8_t> file) {
  FLUSS_ASSIGN_OR_RETURN(auto contents, avro::ReadAvroFile(file));
  ManifestList list;
  list.metadata = contents.metadata;
  if (auto fv = list.metadata.find("format-version"); fv == list.metadata.end() || fv->second != "2") {
    return Status::Corruption("iceberg: manifest list is not format-version 2");
  }
  const avro::AvroNode& root = contents.schema.root();
  for (size_t i = 0; i < contents.records.size(); ++i) {
    RecordView r(root, contents.records[i], fmt::format("manifest_file {}", i));
    FLUSS_RETURN_NOT_OK(r.Check());
    ManifestFile m;
    FLUSS_ASSIGN_OR_RETURN(m.manifest_path, r.String("manifest_path", 500));
    FLUSS_ASSIGN_OR_RETURN(m.manifest_length, r.Long("manifest_length", 501));
    FLUSS_ASSIGN_OR_RETURN(m.partition_spec_id, r.Int("partition_spec_id", 502));
    FLUSS_ASSIGN_OR_RETURN(m.content, r.Int("content", 517));
    FLUSS_ASSIGN_OR_RETURN(m.sequence_number, r.Long("sequence_number", 515));
    FLUSS_ASSIGN_OR_RETURN(m.min_sequence_number, r.Long("min_sequence_number", 516));
    FLUSS_ASSIGN_OR_RETURN(m.added_snapshot_id, r.Long("added_snapshot_id", 503));
    FLUSS_ASSIGN_OR_RETURN(m.added_files_count, r.Int("added_files_count", 504));
    FLUSS_ASSIGN_OR_RETURN(m.existing_files_count, r.Int("existing_files_count", 505));
    FLUSS_ASSIGN_OR_RETURN(m.deleted_files_count, r.Int("deleted_files_count", 506));
    FLUSS_ASSIGN_OR_RETURN(m.added_rows_count, r.Long("added_rows_count", 512));
    FLUSS_ASSIGN_OR_RETURN(m.existing_rows_count, r.Long("existing_rows_count", 513));
    FLUSS_ASSIGN_OR_RETURN(m.deleted_rows_count, r.Long("deleted_rows_count", 514));
    if (m.manifest_length < 0 || (m.content != 0 && m.content != 1)) {
      return Status::Corruption(fmt::format("iceberg: manifest_file {} has length {} content {}", i,
                                            m.manifest_length, m.content));
    }
    FLUSS_ASSIGN_OR_RETURN(const AvroValue* parts, r.Find("partitions", 507, false));
    if (parts != nullptr && !parts->is_null()) {
      const auto* a = parts->get_if<AvroArray>();
      const avro::AvroNode* s = &r.FieldSchema("partitions");
      if (s->type == avro::AvroType::kUnion) {
        const avro::AvroNode* pick = nullptr;
        for (const auto& b : s->branches) {
          if (b->type == avro::AvroType::kArray) pick = b.get();
        }
        s = pick;
      }
      if (a == nullptr || s == nullptr || s->type != avro::AvroType::kArray) return r.TypeError("partitions", "an array");
      for (const auto& item : a->items) {
        FLUSS_ASSIGN_OR_RETURN(auto summary, ReadSummary(RecordView(*s->items, item, "field_summary")));
        m.partitions.push_back(std::move(summary));
      }
    }
    list.manifests.push_back(std::move(m));
  }
  return list;
}

}  // namespace fluss::iceberg
