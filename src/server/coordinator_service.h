// CoordinatorService: the coordinator's APIs — CREATE_DATABASE, DROP_DATABASE, CREATE_TABLE,
// DROP_TABLE and, in a cluster, ADJUST_ISR and CONTROLLED_SHUTDOWN. It checks requests (JSON, table
// properties, merge engine, lake, bucket count) and writes the catalog in the MetadataStore; where
// buckets go and what a new or dropped table does to replicas is the TablePlacement's: every bucket
// on this server in a standalone server, the CoordinatorController's assignment and leader election
// in a cluster (server/cluster/).
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "metadata/metadata_store.h"
#include "server/api_table.h"
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
  // After the catalog dropped the table.
  virtual void TableDropped(const TableRecord& record) = 0;
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

class CoordinatorService {
 public:
  // `control` null: ADJUST_ISR and CONTROLLED_SHUTDOWN are not served (a standalone server). Every
  // pointer outlives the service.
  CoordinatorService(const ServerConfig& config, MetadataStore* metadata, TablePlacement* placement,
                     ClusterControl* control = nullptr);

  // Adds the APIs above to `table`.
  Status Register(ApiTable& table);

 private:
  Result<std::string> CreateDatabase(const std::string& body);
  Result<std::string> DropDatabase(const std::string& body);
  Result<std::string> CreateTable(const std::string& body);
  Result<std::string> DropTable(const std::string& body);
  Result<std::string> AdjustIsr(const std::string& body);
  Result<std::string> ControlledShutdown(const std::string& body);
  // table.datalake.enabled (true only with a lake configured).
  Status CheckLakeProperties(const TablePath& path, const TableDescriptor& descriptor) const;

  const ServerConfig& config_;
  MetadataStore* metadata_;
  TablePlacement* placement_;
  ClusterControl* control_;
};

}  // namespace fluss
