// MetadataService: the read-only APIs every role answers (as upstream's servers all do) — the
// catalog reads (LIST_DATABASES, DATABASE_EXISTS, GET_DATABASE_INFO, GET_TABLE_INFO, LIST_TABLES,
// TABLE_EXISTS, GET_TABLE_SCHEMA, LIST_PARTITION_INFOS), GET_METADATA and INIT_WRITER (a writer id
// from the metadata store). Requests are parsed and answers built here; the MetadataStore does the
// rest.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "fluss/partition.h"
#include "fluss_api.pb.h"
#include "metadata/metadata_store.h"
#include "server/api_table.h"
#include "server/server_config.h"
#include "types/table_descriptor.h"

namespace fluss {

// GET_METADATA of a cluster: the servers, and per requested table and partition its buckets'
// replicas, leaders and ISR.
using ClusterMetadataView = std::function<Result<proto::MetadataResponse>(const proto::MetadataRequest&)>;

// Adds the table part of a GET_METADATA answer (path, id, schema id, JSON, times) and returns it;
// the caller adds the bucket entries (from its own view of leaders). A partitioned table has none:
// its buckets are its partitions'.
proto::PbTableMetadata* AddTableMetadata(proto::MetadataResponse& resp, const proto::PbTablePath& path,
                                         const TableRecord& table);

// Adds a PbPartitionMetadata for each partition `req` names — by path (partitions_path) or by id
// (partitions_id), each once — with its buckets' replicas from the assignment and the leader and
// leader epoch the assignment records (none yet in a cluster: partitions' leaders come with their
// replicas). PARTITION_NOT_EXISTS naming the first one that does not exist, TABLE_NOT_EXIST.
Status AddRequestedPartitions(proto::MetadataResponse& resp, const MetadataStore& metadata,
                              const proto::MetadataRequest& req);

// The descriptor of a stored table (its table_json). CORRUPT_RECORD naming the table when it does
// not parse.
Result<TableDescriptor> StoredDescriptor(const TableRecord& table);

// A PbPartitionSpec as a PartitionSpec; a key given twice is PARTITION_SPEC_INVALID.
Result<PartitionSpec> PartitionSpecFromProto(const proto::PbPartitionSpec& spec);

class MetadataService {
 public:
  // `cluster_view` empty: this server alone is the cluster (standalone: coordinator and the only
  // tablet server; bucket leaders from the assignment). `config` and `metadata` outlive the service.
  MetadataService(const ServerConfig& config, MetadataStore* metadata, ClusterMetadataView cluster_view = {});

  // Adds the APIs above to `table`.
  Status Register(ApiTable& table);

 private:
  Result<std::string> ListDatabases(const std::string& body);
  Result<std::string> DatabaseExists(const std::string& body);
  Result<std::string> GetDatabaseInfo(const std::string& body);
  Result<std::string> GetTableInfo(const std::string& body);
  Result<std::string> ListTables(const std::string& body);
  Result<std::string> TableExists(const std::string& body);
  Result<std::string> GetTableSchema(const std::string& body);
  Result<std::string> ListPartitionInfos(const std::string& body);
  Result<std::string> GetMetadata(const std::string& body);
  Result<std::string> InitWriter(const std::string& body);
  // GET_METADATA of a standalone server.
  Result<proto::MetadataResponse> LocalMetadata(const proto::MetadataRequest& req);

  const ServerConfig& config_;
  MetadataStore* metadata_;
  ClusterMetadataView cluster_view_;
};

}  // namespace fluss
