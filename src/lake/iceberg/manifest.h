// Iceberg v2 manifest files: Avro container files of `manifest_entry` records (table spec
// "Manifests"), with the header keys the spec requires: schema, schema-id, partition-spec,
// partition-spec-id, format-version "2", content "data" or "deletes" (a manifest holds data files
// only or delete files only). Field ids: docs/formats/iceberg.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/avro/avro_container.h"
#include "lake/iceberg/partition_spec.h"

namespace fluss::iceberg {

enum class ManifestEntryStatus : int32_t { kExisting = 0, kAdded = 1, kDeleted = 2 };
enum class DataFileContent : int32_t { kData = 0, kPositionDeletes = 1, kEqualityDeletes = 2 };

// One data file as a manifest describes it. Maps are keyed by Iceberg field id; bounds hold the
// single-value serialization (single_value.h).
struct DataFile {
  DataFileContent content = DataFileContent::kData;
  std::string file_path;            // a URI, e.g. file:///warehouse/db/t/data/00000.parquet
  std::string file_format = "PARQUET";
  // The partition tuple (data_file.partition): one value per field of the manifest's partition
  // spec, in its order; empty for an unpartitioned spec.
  PartitionTuple partition;
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::map<int32_t, int64_t> column_sizes;
  std::map<int32_t, int64_t> value_counts;
  std::map<int32_t, int64_t> null_value_counts;
  std::map<int32_t, int64_t> nan_value_counts;
  std::map<int32_t, std::vector<uint8_t>> lower_bounds;
  std::map<int32_t, std::vector<uint8_t>> upper_bounds;
  std::vector<int64_t> split_offsets;
  // Equality delete files: the field ids whose values identify the deleted rows (field 135,
  // element 136). Required for content kEqualityDeletes, absent otherwise.
  std::vector<int32_t> equality_ids;
  std::optional<int32_t> sort_order_id;

  bool operator==(const DataFile&) const = default;
};

struct ManifestEntry {
  ManifestEntryStatus status = ManifestEntryStatus::kAdded;
  std::optional<int64_t> snapshot_id;           // null: inherited from the manifest list entry
  std::optional<int64_t> sequence_number;       // null: inherited (ADDED entries only)
  std::optional<int64_t> file_sequence_number;  // null: inherited (ADDED entries only)
  DataFile data_file;

  bool operator==(const ManifestEntry&) const = default;
};

// The Avro schema of manifest_entry for an unpartitioned table (partition = empty struct), with the
// spec's field ids, as JSON text.
const std::string& ManifestEntryAvroSchema();
// The same with `data_file.partition` the struct of `spec` (PartitionStructAvroSchema) whose fields
// have `field_types`.
Result<std::string> ManifestEntryAvroSchema(const PartitionSpec& spec, const std::vector<std::string>& field_types);

// What a manifest holds (the header key "content", and manifest_file.content in the list).
enum class ManifestContent : int32_t { kData = 0, kDeletes = 1 };

struct ManifestWriteOptions {
  ManifestContent content = ManifestContent::kData;  // kDeletes: delete files only
  std::string table_schema_json;  // the Iceberg schema JSON of the table (iceberg_schema.h)
  int32_t schema_id = 0;
  // The spec of every entry's partition tuple (header keys partition-spec and partition-spec-id);
  // its fields' types come from table_schema_json. Unpartitioned by default.
  PartitionSpec partition_spec;
  avro::AvroCodec codec = avro::AvroCodec::kDeflate;
};

Result<std::vector<uint8_t>> WriteManifest(const ManifestWriteOptions& options,
                                           const std::vector<ManifestEntry>& entries);

struct Manifest {
  std::map<std::string, std::string> metadata;  // the container header keys
  ManifestContent content = ManifestContent::kData;  // from the header ("data" when absent)
  PartitionSpec partition_spec;  // from the header keys partition-spec and partition-spec-id
  std::vector<ManifestEntry> entries;
};

// Reads a manifest, locating fields by name and checking the writer schema's field ids for the
// required ones (status 0, data_file 2, file_path 100, ...). Missing required fields, wrong ids,
// wrong types or a format-version other than 2 are Corruption errors, and so are a header content
// other than "data"/"deletes", a data file in a delete manifest (or the reverse), and an equality
// delete file without equality_ids (or a data file with them). Each entry's partition tuple is read in
// the order of the header's partition spec, its fields matched by field id: a partition struct whose
// fields are not exactly the spec's is Corruption.
Result<Manifest> ReadManifest(std::span<const uint8_t> file);

}  // namespace fluss::iceberg
