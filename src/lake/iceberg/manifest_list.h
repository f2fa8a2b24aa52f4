// Iceberg v2 manifest lists: Avro container files of `manifest_file` records (table spec "Manifest
// Lists"); header keys snapshot-id, parent-snapshot-id, sequence-number, format-version "2".
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

struct PartitionFieldSummary {
  bool contains_null = false;
  std::optional<bool> contains_nan;
  std::optional<std::vector<uint8_t>> lower_bound;
  std::optional<std::vector<uint8_t>> upper_bound;
  bool operator==(const PartitionFieldSummary&) const = default;
};

struct ManifestFile {
  std::string manifest_path;
  int64_t manifest_length = 0;
  int32_t partition_spec_id = 0;
  int32_t content = 0;  // 0 data, 1 deletes
  int64_t sequence_number = 0;
  int64_t min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int32_t added_files_count = 0;
  int32_t existing_files_count = 0;
  int32_t deleted_files_count = 0;
  int64_t added_rows_count = 0;
  int64_t existing_rows_count = 0;
  int64_t deleted_rows_count = 0;
  std::vector<PartitionFieldSummary> partitions;
  bool operator==(const ManifestFile&) const = default;
};

// The `partitions` summaries of a manifest holding files with `tuples` (partition tuples of one
// spec whose fields have `field_types`): per field whether a value is null, whether one is NaN
// (floating types; false for others), and the lowest and highest value that is neither, in the
// single-value serialization (absent when there is none). Empty for an unpartitioned spec.
std::vector<PartitionFieldSummary> SummarizePartitions(const std::vector<std::string>& field_types,
                                                       const std::vector<const PartitionTuple*>& tuples);

// The Avro schema of manifest_file with the spec's field ids, as JSON text.
const std::string& ManifestFileAvroSchema();

struct ManifestListWriteOptions {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;
  int64_t sequence_number = 0;
  avro::AvroCodec codec = avro::AvroCodec::kDeflate;
};

Result<std::vector<uint8_t>> WriteManifestList(const ManifestListWriteOptions& options,
                                               const std::vector<ManifestFile>& manifests);

struct ManifestList {
  std::map<std::string, std::string> metadata;
  std::vector<ManifestFile> manifests;
};

// Reads a manifest list; required fields are found by name and their field ids checked.
Result<ManifestList> ReadManifestList(std::span<const uint8_t> file);

}  // namespace fluss::iceberg
