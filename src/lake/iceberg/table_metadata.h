// Iceberg v2 table metadata (table spec "Table Metadata"), to and from its JSON file
// `<table>/metadata/v<N>.metadata.json`. Unsorted tables (one sort order, id 0, no fields); partition
// specs as partition_spec.h describes (a table starts with spec 0; unpartitioned: no fields).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "lake/iceberg/partition_spec.h"

namespace fluss::iceberg {

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;                   // URI of the manifest list
  std::map<std::string, std::string> summary;  // "operation" plus counters and user keys
  std::optional<int32_t> schema_id;

  bool operator==(const Snapshot&) const = default;
};

struct SnapshotLogEntry {
  int64_t timestamp_ms = 0;
  int64_t snapshot_id = 0;
  bool operator==(const SnapshotLogEntry&) const = default;
};

struct MetadataLogEntry {
  int64_t timestamp_ms = 0;
  std::string metadata_file;
  bool operator==(const MetadataLogEntry&) const = default;
};

struct TableMetadata {
  static constexpr int kFormatVersion = 2;

  std::string table_uuid;
  std::string location;
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int32_t last_column_id = 0;
  std::vector<nlohmann::json> schemas;  // Iceberg schema JSON objects, each with "schema-id"
  int32_t current_schema_id = 0;
  std::vector<PartitionSpec> partition_specs = {PartitionSpec{}};  // "partition-specs"
  int32_t default_spec_id = 0;
  int32_t last_partition_id = kFirstPartitionFieldId - 1;  // the highest partition field id ever assigned
  int32_t default_sort_order_id = 0;
  std::map<std::string, std::string> properties;
  std::optional<int64_t> current_snapshot_id;
  std::vector<Snapshot> snapshots;
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;

  const Snapshot* FindSnapshot(int64_t id) const;
  const Snapshot* CurrentSnapshot() const;
  const nlohmann::json* CurrentSchema() const;
  // The spec `default_spec_id` names (FromJson checks that it exists).
  const PartitionSpec* DefaultSpec() const;
  const PartitionSpec* FindSpec(int32_t spec_id) const;

  // The v2 JSON: every required field, plus partition-specs, sort-orders, refs {"main": current}.
  nlohmann::json ToJson() const;
  // Validates the required v2 fields and their types, that current ids name an existing schema,
  // partition spec and snapshot, that spec ids are unique and no partition field id exceeds
  // last-partition-id, and that refs.main (if present) matches current-snapshot-id.
  static Result<TableMetadata> FromJson(const nlohmann::json& j);
  static Result<TableMetadata> Parse(std::string_view text);

  bool operator==(const TableMetadata&) const = default;
};

}  // namespace fluss::iceberg
