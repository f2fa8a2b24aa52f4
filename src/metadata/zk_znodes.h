// The bodies of the ZooKeeper store's znodes (zk_paths.h names them): compact JSON objects, counters
// as decimal ASCII. Bytes: docs/formats/metadata-store.md#zookeeper-layout. Every Parse* checks the
// body before use and fails with CORRUPT_RECORD naming the znode (`path`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "metadata/metadata_store.h"

namespace fluss {

// A tablet server's ephemeral registration (/tabletservers/ids/<id>); also a coordinator's (id and
// listeners only).
struct TabletServerInfo {
  int32_t id = -1;
  std::string listeners;  // "NAME://host:port[,...]", as bind/advertised.listeners
  std::string rack;       // "" when none
  int64_t register_timestamp_ms = 0;
  bool operator==(const TabletServerInfo&) const = default;
};

// The leader and in-sync replicas of one bucket (/tabletservers/tables/<table id>/buckets/<b>/leader_isr).
struct LeaderAndIsr {
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  std::vector<int32_t> isr;
  int32_t coordinator_epoch = 0;
  int32_t bucket_epoch = 0;
  bool operator==(const LeaderAndIsr&) const = default;
};

namespace zk_znodes {

// A decimal counter (>= 0).
Result<int64_t> ParseCounter(const std::string& data, const std::string& path);
// Any JSON object, returned in compact form (a table's schema).
Result<std::string> ParseCompactObject(const std::string& data, const std::string& path);

std::string DatabaseBody(const DatabaseRecord& db);
// `name` and `version` come from the znode's name and stat.
Result<DatabaseRecord> ParseDatabase(const std::string& name, const std::string& data, int32_t version,
                                     const std::string& path);

std::string TableBody(const TableRecord& table);
Result<TableRecord> ParseTable(const TablePath& table, const std::string& data, int32_t version,
                               const std::string& path);

std::string AssignmentBody(const std::vector<BucketAssignment>& assignment);
// Checked against `table` (NormalizeAssignment): one entry per bucket, sorted.
Result<std::vector<BucketAssignment>> ParseAssignment(const std::string& data, const std::string& path,
                                                      const TableRecord& table);

// A partition's registration, upstream's PartitionRegistration v1: {"version":1,"table_id":7,
// "partition_id":3} (fluss-cpp has no remote_data_dir yet; upstream writes it when it has one).
std::string PartitionRegistrationBody(int64_t table_id, int64_t partition_id);
struct PartitionRegistration {
  int64_t table_id = -1;
  int64_t partition_id = -1;
};
Result<PartitionRegistration> ParsePartitionRegistration(const std::string& data, const std::string& path);

// A partition's bucket assignment, upstream's PartitionAssignment v1: {"version":1,"table_id":7,
// "buckets":{"0":[1,2],"1":[2,3]}} (replicas only; leaders live in leader_isr).
std::string PartitionAssignmentBody(int64_t table_id, const std::vector<BucketAssignment>& assignment);
// Checked against the table's bucket count (NormalizeAssignment); leader -1 in every entry.
Result<std::pair<int64_t, std::vector<BucketAssignment>>> ParsePartitionAssignment(const std::string& data,
                                                                                    const std::string& path,
                                                                                    const TableRecord& table);

std::string DroppedPartitionBody(const PartitionRecord& partition, int64_t now_ms);
Result<DroppedPartitionRecord> ParseDroppedPartition(int64_t partition_id, const std::string& data,
                                                     const std::string& path);

std::string DroppedTableBody(const TableRecord& table, int64_t now_ms);
Result<DroppedTableRecord> ParseDroppedTable(int64_t table_id, const std::string& data, const std::string& path);

// Tablet server registration; `id` comes from the znode's name.
std::string TabletServerBody(const TabletServerInfo& server);
Result<TabletServerInfo> ParseTabletServer(int32_t id, const std::string& data, const std::string& path);

// /coordinators/active (version 1) and /coordinators/ids/<id> (version 2): id and listeners.
std::string ActiveCoordinatorBody(const TabletServerInfo& coordinator);
std::string CoordinatorRegistrationBody(const TabletServerInfo& coordinator);
// Either of them.
Result<TabletServerInfo> ParseCoordinator(const std::string& data, const std::string& path);
// Only the id of /coordinators/active.
Result<int32_t> ParseCoordinatorId(const std::string& data, const std::string& path);

std::string LeaderAndIsrBody(const LeaderAndIsr& value);
Result<LeaderAndIsr> ParseLeaderAndIsr(const std::string& data, const std::string& path);

}  // namespace zk_znodes
}  // namespace fluss
