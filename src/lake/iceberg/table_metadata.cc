#include "lake/iceberg/table_metadata.h"

#include <fmt/format.h>

namespace fluss::iceberg {

using nlohmann::json;

const Snapshot* TableMetadata::FindSnapshot(int64_t id) const {
  for (const auto& s : snapshots) {
    if (s.snapshot_id == id) return &s;
  }
  return nullptr;
}

const Snapshot* TableMetadata::CurrentSnapshot() const {
  return current_snapshot_id ? FindSnapshot(*current_snapshot_id) : nullptr;
}

const json* TableMetadata::CurrentSchema() const {
  for (const auto& s : schemas) {
    if (s.value("schema-id", -1) == current_schema_id) return &s;
  }
  return nullptr;
}

const PartitionSpec* TableMetadata::FindSpec(int32_t spec_id) const {
  for (const auto& s : partition_specs) {
    if (s.spec_id == spec_id) return &s;
  }
  return nullptr;
}

const PartitionSpec* TableMetadata::DefaultSpec() const { return FindSpec(default_spec_id); }

json TableMetadata::ToJson() const {
  json specs = json::array();
  for (const auto& s : partition_specs) specs.push_back(s.ToJson());
  json snaps = json::array();
  for (const auto& s : snapshots) {
    json sj = {{"snapshot-id", s.snapshot_id},
               {"sequence-number", s.sequence_number},
               {"timestamp-ms", s.timestamp_ms},
               {"manifest-list", s.manifest_list},
               {"summary", s.summary}};
    if (s.parent_snapshot_id) sj["parent-snapshot-id"] = *s.parent_snapshot_id;
    if (s.schema_id) sj["schema-id"] = *s.schema_id;
    snaps.push_back(std::move(sj));
  }
  json slog = json::array();
  for (const auto& e : snapshot_log) slog.push_back({{"timestamp-ms", e.timestamp_ms}, {"snapshot-id", e.snapshot_id}});
  json mlog = json::array();
  for (const auto& e : metadata_log) {
    mlog.push_back({{"timestamp-ms", e.timestamp_ms}, {"metadata-file", e.metadata_file}});
  }
  json j = {
      {"format-version", kFormatVersion},
      {"table-uuid", table_uuid},
      {"location", location},
      {"last-sequence-number", last_sequence_number},
      {"last-updated-ms", last_updated_ms},
      {"last-column-id", last_column_id},
      {"current-schema-id", current_schema_id},
      {"schemas", schemas},
      {"default-spec-id", default_spec_id},
      {"partition-specs", std::move(specs)},
      {"last-partition-id", last_partition_id},
      {"default-sort-order-id", default_sort_order_id},
      {"sort-orders", json::array({{{"order-id", 0}, {"fields", json::array()}}})},
      {"properties", properties},
      {"current-snapshot-id", current_snapshot_id ? *current_snapshot_id : -1},
      {"refs", json::object()},
      {"snapshots", std::move(snaps)},
      {"statistics", json::array()},
      {"snapshot-log", std::move(slog)},
      {"metadata-log", std::move(mlog)},
  };
  if (current_snapshot_id) j["refs"]["main"] = {{"snapshot-id", *current_snapshot_id}, {"type", "branch"}};
  return j;
}

namespace {

Status Missing(std::string_view key, std::string_view type) {
  return Status::Corruption(fmt::format("iceberg metadata: '{}' missing or not {}", key, type));
}

template <typename T>
Status GetInt(const json& j, std::string_view key, T* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return Missing(key, "an integer");
  *out = it->get<T>();
  return Status::OK();
}

Status GetString(const json& j, std::string_view key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return Missing(key, "a string");
  *out = it->get<std::string>();
  return Status::OK();
}

Result<const json*> GetArray(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return Missing(key, "an array");
  return &*it;
}

Status GetStringMap(const json& j, std::string_view key, std::map<std::string, std::string>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::OK();
  if (!it->is_object()) return Missing(key, "an object");
  for (auto kv = it->begin(); kv != it->end(); ++kv) {
    if (!kv.value().is_string()) return Missing(fmt::format("{}.{}", key, kv.key()), "a string");
    (*out)[kv.key()] = kv.value().get<std::string>();
  }
  return Status::OK();
}

}  // namespace

Result<TableMetadata> TableMetadata::FromJson(const json& j) {
  if (!j.is_object()) return Status::Corruption("iceberg metadata: not a JSON object");
  int format_version = 0;
  FLUSS_RETURN_NOT_OK(GetInt(j, "format-version", &format_version));
  if (format_version != kFormatVersion) {
    return Status::NotSupported(fmt::format("iceberg metadata: format-version {} (only 2 is supported)", format_version));
  }
  TableMetadata m;
  FLUSS_RETURN_NOT_OK(GetString(j, "table-uuid", &m.table_uuid));
  FLUSS_RETURN_NOT_OK(GetString(j, "location", &m.location));
  FLUSS_RETURN_NOT_OK(GetInt(j, "last-sequence-number", &m.last_sequence_number));
  FLUSS_RETURN_NOT_OK(GetInt(j, "last-updated-ms", &m.last_updated_ms));
  FLUSS_RETURN_NOT_OK(GetInt(j, "last-column-id", &m.last_column_id));
  FLUSS_RETURN_NOT_OK(GetInt(j, "current-schema-id", &m.current_schema_id));
  FLUSS_RETURN_NOT_OK(GetInt(j, "default-spec-id", &m.default_spec_id));
  FLUSS_RETURN_NOT_OK(GetInt(j, "last-partition-id", &m.last_partition_id));
  FLUSS_RETURN_NOT_OK(GetInt(j, "default-sort-order-id", &m.default_sort_order_id));
  FLUSS_ASSIGN_OR_RETURN(const json* schemas, GetArray(j, "schemas"));
  for (const auto& s : *schemas) {
    if (!s.is_object() || !s.contains("schema-id") || !s["schema-id"].is_number_integer() || !s.contains("fields") ||
        !s["fields"].is_array()) {
      return Status::Corruption("iceberg metadata: a schema without schema-id or fields");
    }
    m.schemas.push_back(s);
  }
  if (m.CurrentSchema() == nullptr) {
    return Status::Corruption(fmt::format("iceberg metadata: current-schema-id {} names no schema", m.current_schema_id));
  }
  FLUSS_ASSIGN_OR_RETURN(const json* specs, GetArray(j, "partition-specs"));
  m.partition_specs.clear();
  for (const auto& sj : *specs) {
    FLUSS_ASSIGN_OR_RETURN(PartitionSpec spec, PartitionSpec::FromJson(sj));
    if (m.FindSpec(spec.spec_id) != nullptr) {
      return Status::Corruption(fmt::format("iceberg metadata: partition spec {} given twice", spec.spec_id));
    }
    if (spec.HighestFieldId() > m.last_partition_id) {
      return Status::Corruption(fmt::format("iceberg metadata: partition spec {} has field id {} > last-partition-id {}",
                                            spec.spec_id, spec.HighestFieldId(), m.last_partition_id));
    }
    m.partition_specs.push_back(std::move(spec));
  }
  if (m.DefaultSpec() == nullptr) {
    return Status::Corruption(fmt::format("iceberg metadata: default-spec-id {} names no partition spec",
                                          m.default_spec_id));
  }
  FLUSS_ASSIGN_OR_RETURN(const json* orders, GetArray(j, "sort-orders"));
  (void)orders;
  FLUSS_RETURN_NOT_OK(GetStringMap(j, "properties", &m.properties));

  if (auto it = j.find("snapshots"); it != j.end()) {
    if (!it->is_array()) return Missing("snapshots", "an array");
    for (const auto& sj : *it) {
      if (!sj.is_object()) return Status::Corruption("iceberg metadata: a snapshot is not an object");
      Snapshot s;
      FLUSS_RETURN_NOT_OK(GetInt(sj, "snapshot-id", &s.snapshot_id));
      FLUSS_RETURN_NOT_OK(GetInt(sj, "sequence-number", &s.sequence_number));
      FLUSS_RETURN_NOT_OK(GetInt(sj, "timestamp-ms", &s.timestamp_ms));
      FLUSS_RETURN_NOT_OK(GetString(sj, "manifest-list", &s.manifest_list));
      if (sj.contains("parent-snapshot-id") && !sj["parent-snapshot-id"].is_null()) {
        int64_t p = 0;
        FLUSS_RETURN_NOT_OK(GetInt(sj, "parent-snapshot-id", &p));
        s.parent_snapshot_id = p;
      }
      if (sj.contains("schema-id")) {
        int32_t sid = 0;
        FLUSS_RETURN_NOT_OK(GetInt(sj, "schema-id", &sid));
        s.schema_id = sid;
      }
      if (!sj.contains("summary")) return Missing("summary", "an object");
      FLUSS_RETURN_NOT_OK(GetStringMap(sj, "summary", &s.summary));
      if (!s.summary.count("operation")) return Status::Corruption("iceberg metadata: snapshot summary has no operation");
      if (s.sequence_number > m.last_sequence_number) {
        return Status::Corruption(fmt::format("iceberg metadata: snapshot {} sequence number {} > last-sequence-number {}",
                                              s.snapshot_id, s.sequence_number, m.last_sequence_number));
      }
      m.snapshots.push_back(std::move(s));
    }
  }
  if (auto it = j.find("current-snapshot-id"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) return Missing("current-snapshot-id", "an integer");
    int64_t id = it->get<int64_t>();
    if (id != -1) {
      if (m.FindSnapshot(id) == nullptr) {
        return Status::Corruption(fmt::format("iceberg metadata: current-snapshot-id {} names no snapshot", id));
      }
      m.current_snapshot_id = id;
    }
  }
  if (auto refs = j.find("refs"); refs != j.end() && refs->is_object() && refs->contains("main")) {
    const json& main = (*refs)["main"];
    if (!main.is_object() || !main.contains("snapshot-id") || !m.current_snapshot_id ||
        main["snapshot-id"] != *m.current_snapshot_id) {
      return Status::Corruption("iceberg metadata: refs.main does not match current-snapshot-id");
    }
  }
  if (auto it = j.find("snapshot-log"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      SnapshotLogEntry le;
      FLUSS_RETURN_NOT_OK(GetInt(e, "timestamp-ms", &le.timestamp_ms));
      FLUSS_RETURN_NOT_OK(GetInt(e, "snapshot-id", &le.snapshot_id));
      m.snapshot_log.push_back(le);
    }
  }
  if (auto it = j.find("metadata-log"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      MetadataLogEntry le;
      FLUSS_RETURN_NOT_OK(GetInt(e, "timestamp-ms", &le.timestamp_ms));
      FLUSS_RETURN_NOT_OK(GetString(e, "metadata-file", &le.metadata_file));
      m.metadata_log.push_back(std::move(le));
    }
  }
  return m;
}

Result<TableMetadata> TableMetadata::Parse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption("iceberg metadata: not valid JSON");
  return FromJson(j);
}

}  // namespace fluss::iceberg
