// The errors both MetadataStore implementations return, worded once (internal to src/metadata).
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "types/table_path.h"

namespace fluss::metadata_internal {

inline int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline Status DatabaseNotExist(const std::string& name) {
  return Status(ErrorCode::kDatabaseNotExist, fmt::format("database '{}' does not exist", name));
}

inline Status TableNotExist(const TablePath& path) {
  return Status(ErrorCode::kTableNotExist, fmt::format("table '{}' does not exist", path.ToString()));
}

inline Status TableIdNotExist(int64_t table_id) {
  return Status(ErrorCode::kTableNotExist, fmt::format("table id {} does not exist", table_id));
}

inline Status PartitionNotExist(const TablePath& path, const std::string& partition_name) {
  return Status(ErrorCode::kPartitionNotExists,
                fmt::format("partition '{}' of table '{}' does not exist", partition_name, path.ToString()));
}

inline Status PartitionIdNotExist(int64_t partition_id) {
  return Status(ErrorCode::kPartitionNotExists, fmt::format("partition id {} does not exist", partition_id));
}

inline Status PartitionAlreadyExists(const TablePath& path, const std::string& partition_name) {
  return Status(ErrorCode::kPartitionAlreadyExists,
                fmt::format("partition '{}' of table '{}' already exists", partition_name, path.ToString()));
}

inline Status TooManyPartitions(const TablePath& path, size_t partitions, int32_t max_partitions) {
  return Status(ErrorCode::kPartitionMaxNum,
                fmt::format("table '{}' has {} partitions; max.partition.num allows {}, so no more can be created",
                            path.ToString(), partitions, max_partitions));
}

inline Status VersionMismatch(const std::string& table, int32_t expected, int32_t actual) {
  return Status(
      ErrorCode::kInvalidUpdateVersion,
      fmt::format("table '{}' is at version {}, not the expected {}; re-read it and retry", table, actual, expected));
}

// A TablePath can be default-constructed with empty names; check both before using one.
inline Status ValidatePath(const TablePath& path) {
  FLUSS_RETURN_NOT_OK(TablePath::ValidateName(path.database(), "database"));
  return TablePath::ValidateName(path.table(), "table");
}

}  // namespace fluss::metadata_internal
