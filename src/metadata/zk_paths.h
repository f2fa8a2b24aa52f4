// Every znode of the ZooKeeper metadata store, relative to its base (<chroot><zookeeper.path.root>,
// ZkClient::Path prepends it). Layout and bodies: docs/formats/metadata-store.md#zookeeper-layout;
// the bodies are zk_znodes.h's. The names are part of the format: change none of them.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "types/table_bucket.h"

namespace fluss::zk_paths {

// ---- the catalog ----
// {"version":1,"database":{..},"created_time":..,"modified_time":..}; children: tables.
inline std::string Databases() { return "/metadata/databases"; }
inline std::string Database(std::string_view db) { return fmt::format("/metadata/databases/{}", db); }
inline std::string Tables(std::string_view db) { return Database(db) + "/tables"; }
// The table registration; children: schemas.
inline std::string Table(std::string_view db, std::string_view table) {
  return fmt::format("{}/{}", Tables(db), table);
}
inline std::string Schemas(std::string_view db, std::string_view table) { return Table(db, table) + "/schemas"; }
inline std::string Schema(std::string_view db, std::string_view table, int32_t schema_id) {
  return fmt::format("{}/{}", Schemas(db, table), schema_id);
}
// A partitioned table's partitions (upstream's PartitionsZNode), and one partition's registration
// (PartitionZNode): {"version":1,"table_id":..,"partition_id":..}.
inline std::string Partitions(std::string_view db, std::string_view table) { return Table(db, table) + "/partitions"; }
inline std::string Partition(std::string_view db, std::string_view table, std::string_view partition_name) {
  return fmt::format("{}/{}", Partitions(db, table), partition_name);
}
// Drop records of tables whose data servers still delete: /metadata/dropped_tables/<table id>.
inline std::string DroppedTables() { return "/metadata/dropped_tables"; }
inline std::string DroppedTable(int64_t table_id) { return fmt::format("/metadata/dropped_tables/{}", table_id); }
// Decimal counters: the next table id (starts at 1) and the end of the writer ids handed out (at 0).
inline std::string TableSeqId() { return "/metadata/table_seqid"; }
// The next partition id (starts at 0), one sequence for every table.
inline std::string PartitionSeqId() { return "/metadata/partition_seqid"; }
// Drop records of partitions: /metadata/dropped_partitions/<partition id>.
inline std::string DroppedPartitions() { return "/metadata/dropped_partitions"; }
inline std::string DroppedPartition(int64_t partition_id) {
  return fmt::format("/metadata/dropped_partitions/{}", partition_id);
}
inline std::string WriterId() { return "/metadata/writer_id"; }

// ---- tablet servers and bucket state ----
// Ephemeral registrations /tabletservers/ids/<server id>.
inline std::string TabletServerIds() { return "/tabletservers/ids"; }
inline std::string TabletServer(int32_t id) { return fmt::format("/tabletservers/ids/{}", id); }
inline std::string TabletServerTables() { return "/tabletservers/tables"; }
// A table's bucket assignment; children: buckets/<bucket>/leader_isr.
inline std::string TableAssignment(int64_t table_id) { return fmt::format("/tabletservers/tables/{}", table_id); }
inline std::string Buckets(int64_t table_id) { return TableAssignment(table_id) + "/buckets"; }
inline std::string Bucket(int64_t table_id, std::string_view bucket) {
  return fmt::format("{}/{}", Buckets(table_id), bucket);
}
inline std::string Bucket(int64_t table_id, int32_t bucket) { return fmt::format("{}/{}", Buckets(table_id), bucket); }
inline std::string LeaderAndIsr(int64_t table_id, int32_t bucket) { return Bucket(table_id, bucket) + "/leader_isr"; }
// A partition's bucket assignment (upstream's PartitionIdZNode): {"version":1,"table_id":..,"buckets":
// {"0":[1,2],..}}; children: buckets/<bucket>/leader_isr, as a table's.
inline std::string TabletServerPartitions() { return "/tabletservers/partitions"; }
inline std::string PartitionAssignment(int64_t partition_id) {
  return fmt::format("/tabletservers/partitions/{}", partition_id);
}
inline std::string PartitionBuckets(int64_t partition_id) { return PartitionAssignment(partition_id) + "/buckets"; }
// The bucket znode of a table's bucket or of a partition's (upstream's
// /tabletservers/partitions/<partition id>/buckets/<b>), and its leader_isr child.
inline std::string Bucket(const TableBucket& b) {
  return b.partition_id ? fmt::format("{}/{}", PartitionBuckets(*b.partition_id), b.bucket) : Bucket(b.table_id, b.bucket);
}
inline std::string LeaderAndIsr(const TableBucket& b) { return Bucket(b) + "/leader_isr"; }

// ---- coordinators ----
inline std::string Coordinators() { return "/coordinators"; }
// Ephemeral registrations of every candidate, active or standby.
inline std::string CoordinatorIds() { return "/coordinators/ids"; }
inline std::string Coordinator(int32_t id) { return fmt::format("/coordinators/ids/{}", id); }
// The ephemeral leader znode, and the decimal epoch the winner bumps (the fencing token).
inline std::string ActiveCoordinator() { return "/coordinators/active"; }
inline std::string CoordinatorEpoch() { return "/coordinators/epoch"; }
// The election queue (a leader latch): each candidate's ephemeral sequential node; the lowest
// sequence number leads, the others watch the node just before theirs.
inline std::string CoordinatorElection() { return "/coordinators/election"; }
// The prefix ZooKeeper appends the 10-digit sequence number to; `guid` names the candidate's store,
// so a candidate finds its own node again after a create whose reply was lost.
inline std::string CoordinatorLatchPrefix(std::string_view guid) {
  return fmt::format("/coordinators/election/_c_{}-latch-", guid);
}

// ---- cluster identity ----
inline std::string Cluster() { return "/cluster"; }
inline std::string ClusterId() { return "/cluster/id"; }

}  // namespace fluss::zk_paths
