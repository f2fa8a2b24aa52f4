// CoordinatorService: the coordinator's APIs — CREATE_DATABASE, DROP_DATABASE, CREATE_TABLE,
// DROP_TABLE, CREATE_PARTITION, DROP_PARTITION and, in a cluster, ADJUST_ISR and
// CONTROLLED_SHUTDOWN. It checks requests (JSON, table properties, merge engine, lake, bucket count,
// partition specs, max.partition.num) and writes the catalog in the MetadataStore; where buckets go
// and what a new or dropped table or partition does to replicas is the TablePlacement's: every
// bucket on this server in a standalone server, the CoordinatorController's assignment and leader
// election in a cluster (server/cluster/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"
#include "fluss/partition.h"
#include "fluss_api.pb.h"
#include "metadata/metadata_store.h"
#include "server/api_table.h"
#include "server/auto_partition_manager.h"
#include "server/server_config.h"
#include "types/table_descriptor.h"

namespace fluss {

// Where a table's buckets live and what creating or dropping it does beyond the catalog.
class TablePlacement {
 public:
  virtual ~TablePlacement() = default;
  // OK while this server may change the catalog; else the answer to every DDL request (a standby
  // coordinator: INVALID_COORDINATOR naming the active one).
  virtual Status CheckActive() const = 0;
  // table.replication.factor of a new table, checked before its partitioning and bucket count.
  virtual Status CheckReplicationFactor(const TablePath& path, const TableDescriptor& descriptor) const = 0;
  // The replicas of each bucket of a new table; an error is the answer and nothing is created.
  virtual Result<std::vector<BucketAssignment>> Assign(const TablePath& path, const TableDescriptor& descriptor,
                                                       int32_t buckets) = 0;
  // After the catalog has the new table. An error is the answer, and the service drops the table
  // from the catalog again (the placement leaves nothing of it behind either).
  virtual Status TableCreated(const TableRecord& record) = 0;
  // After the catalog dropped the table (with its partitions).
  virtual void TableDropped(const TableRecord& record) = 0;
  // After the catalog has the new partition of `table`: the partition's replicas (the buckets of
  // the assignment it was created with). An error is the answer, and the service drops the partition
  // from the catalog again.
  virtual Status PartitionCreated(const TableRecord& table, const PartitionRecord& partition) = 0;
  // After the catalog dropped the partition: its replicas must stop and its data go.
  virtual void PartitionDropped(const TableRecord& table, const PartitionRecord& partition) = 0;
};

// The cluster's replica control, served by the active coordinator.
class ClusterControl {
 public:
  virtual ~ClusterControl() = default;
  // As TablePlacement::CheckActive.
  virtual Status CheckActive() const = 0;
  virtual Result<proto::AdjustIsrResponse> AdjustIsr(const proto::AdjustIsrRequest& request) = 0;
  virtual Result<proto::ControlledShutdownResponse> ControlledShutdown(
      const proto::ControlledShutdownRequest& request) = 0;
};

// Milliseconds since the Unix epoch; the time auto-partitioning is checked against.
using ServiceClock = std::function<int64_t()>;

class CoordinatorService {
 public:
  // `control` null: ADJUST_ISR and CONTROLLED_SHUTDOWN are not served (a standalone server). Every
  // pointer outlives the service. `clock` defaults to the system clock.
  CoordinatorService(const ServerConfig& config, MetadataStore* metadata, TablePlacement* placement,
                     ClusterControl* control = nullptr, ServiceClock clock = nullptr);

  // Adds the APIs above to `table`.
  Status Register(ApiTable& table);

  // Called with each table created with table.auto-partition.enabled (the auto-partition manager
  // checks it at once). Set before Register.
  void SetAutoPartitionTableListener(std::function<void(const TablePath&)> listener);
  // Starts an AutoPartitionManager over `metadata` whose actions are this service's CreatePartition /
  // DropPartition (idempotent: an existing or missing partition is fine) and which hears of every
  // table this service creates (SetAutoPartitionTableListener). The caller owns it; it must outlive
  // neither this service nor `metadata`.
  std::unique_ptr<AutoPartitionManager> StartAutoPartitioning(MetadataStore* metadata,
                                                              AutoPartitionManager::Options options);

  // What CREATE_PARTITION does (also for the auto-partition manager): the table must be partitioned
  // (TABLE_NOT_PARTITIONED), `spec` name exactly its partition keys with valid values
  // (PARTITION_SPEC_INVALID), the time not be past retention when auto-partitioning is on; then
  // the assignment, the catalog (PARTITION_ALREADY_EXISTS unless `ignore_if_exists`;
  // PARTITION_MAX_NUM past max.partition.num; BUCKET_MAX_NUM past max.bucket.num) and the
  // placement's PartitionCreated. Returns the partition (the existing one when it was there).
  Result<PartitionRecord> CreatePartition(const TablePath& path, const PartitionSpec& spec, bool ignore_if_exists);
  // What DROP_PARTITION does: PARTITION_NOT_EXISTS unless `ignore_if_not_exists` (then partition_id -1).
  Result<PartitionRecord> DropPartition(const TablePath& path, const PartitionSpec& spec, bool ignore_if_not_exists);

 private:
  Result<std::string> CreateDatabase(const std::string& body);
  Result<std::string> DropDatabase(const std::string& body);
  Result<std::string> CreateTable(const std::string& body);
  Result<std::string> DropTable(const std::string& body);
  Result<std::string> HandleCreatePartition(const std::string& body);
  Result<std::string> HandleDropPartition(const std::string& body);
  Result<std::string> AdjustIsr(const std::string& body);
  Result<std::string> ControlledShutdown(const std::string& body);
  // table.datalake.enabled (true only with a lake configured).
  Status CheckLakeProperties(const TablePath& path, const TableDescriptor& descriptor) const;

  const ServerConfig& config_;
  MetadataStore* metadata_;
  TablePlacement* placement_;
  ClusterControl* control_;
  ServiceClock clock_;
  std::function<void(const TablePath&)> auto_partition_listener_;
};


}  // namespace fluss
