// Fluss API keys (the int16 in every request header) and the versions fluss-cpp serves.
// Numbers are Apache Fluss's (reference/fluss.md §7.3), so official clients and this server agree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace fluss::rpc {

enum class ApiKey : int16_t {
  kApiVersions = 1000,
  kCreateDatabase = 1001,
  kDropDatabase = 1002,
  kListDatabases = 1003,
  kDatabaseExists = 1004,
  kCreateTable = 1005,
  kDropTable = 1006,
  kGetTableInfo = 1007,
  kListTables = 1008,
  kListPartitionInfos = 1009,
  kTableExists = 1010,
  kGetTableSchema = 1011,
  kGetMetadata = 1012,
  kUpdateMetadata = 1013,
  kProduceLog = 1014,
  kFetchLog = 1015,
  kPutKv = 1016,
  kLookup = 1017,
  kNotifyLeaderAndIsr = 1018,
  kStopReplica = 1019,
  kAdjustIsr = 1020,
  kListOffsets = 1021,
  kInitWriter = 1026,
  kPrefixLookup = 1034,
  kGetDatabaseInfo = 1035,
  kCreatePartition = 1036,
  kDropPartition = 1037,
  kControlledShutdown = 1043,
  kScanKv = 1061,
};

// ApiVersionsResponse.server_type.
inline constexpr int32_t kServerTypeCoordinator = 1;
inline constexpr int32_t kServerTypeTabletServer = 2;

// ListOffsetsRequest.offset_type.
inline constexpr int32_t kListOffsetsEarliest = 0;
inline constexpr int32_t kListOffsetsLatest = 1;
inline constexpr int32_t kListOffsetsTimestamp = 2;

// FetchLogRequest bucket fetch_offset meaning "the log start offset".
inline constexpr int64_t kEarliestOffset = -2;

struct ApiVersionRange {
  ApiKey key;
  int16_t min_version;
  int16_t max_version;
  std::string_view name;
};

// Every API this server answers, with exactly the versions implemented (clients pick
// min(server max, client max), so advertising more than we serve would break them).
inline constexpr ApiVersionRange kServedApis[] = {
    {ApiKey::kApiVersions, 0, 0, "ApiVersions"},
    {ApiKey::kCreateDatabase, 0, 0, "CreateDatabase"},
    {ApiKey::kDropDatabase, 0, 0, "DropDatabase"},
    {ApiKey::kListDatabases, 0, 0, "ListDatabases"},
    {ApiKey::kDatabaseExists, 0, 0, "DatabaseExists"},
    {ApiKey::kCreateTable, 0, 0, "CreateTable"},
    {ApiKey::kDropTable, 0, 0, "DropTable"},
    {ApiKey::kGetTableInfo, 0, 0, "GetTableInfo"},
    {ApiKey::kListTables, 0, 0, "ListTables"},
    {ApiKey::kTableExists, 0, 0, "TableExists"},
    {ApiKey::kListPartitionInfos, 0, 0, "ListPartitionInfos"},
    {ApiKey::kCreatePartition, 0, 0, "CreatePartition"},
    {ApiKey::kDropPartition, 0, 0, "DropPartition"},
    {ApiKey::kGetTableSchema, 0, 0, "GetTableSchema"},
    {ApiKey::kGetMetadata, 0, 0, "GetMetadata"},
    {ApiKey::kProduceLog, 0, 0, "ProduceLog"},
    {ApiKey::kFetchLog, 0, 0, "FetchLog"},
    {ApiKey::kListOffsets, 0, 0, "ListOffsets"},
    {ApiKey::kInitWriter, 0, 0, "InitWriter"},
    {ApiKey::kGetDatabaseInfo, 0, 0, "GetDatabaseInfo"},
    // Key-value APIs at v1: keys are CompactedKey bytes whatever the bucket key (v0 differed there).
    {ApiKey::kPutKv, 1, 1, "PutKv"},
    {ApiKey::kLookup, 1, 1, "Lookup"},
    {ApiKey::kPrefixLookup, 1, 1, "PrefixLookup"},
    {ApiKey::kScanKv, 0, 0, "ScanKv"},
    // Cluster mode (private: only fluss-cpp servers send these).
    {ApiKey::kNotifyLeaderAndIsr, 0, 0, "NotifyLeaderAndIsr"},
    {ApiKey::kStopReplica, 0, 0, "StopReplica"},
    {ApiKey::kAdjustIsr, 0, 0, "AdjustIsr"},
    {ApiKey::kControlledShutdown, 0, 0, "ControlledShutdown"},
};

// The served range of `key`, or nullopt for an API this server does not answer.
inline std::optional<ApiVersionRange> FindServedApi(int16_t key) {
  for (const auto& api : kServedApis) {
    if (static_cast<int16_t>(api.key) == key) return api;
  }
  return std::nullopt;
}

}  // namespace fluss::rpc
