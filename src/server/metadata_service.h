// MetadataService: the read-only APIs every role answers (as upstream's servers all do) — the
// catalog reads (LIST_DATABASES, DATABASE_EXISTS, GET_DATABASE_INFO, GET_TABLE_INFO, LIST_TABLES,
// TABLE_EXISTS, GET_TABLE_SCHEMA), GET_METADATA and INIT_WRITER (a writer id from the metadata
// store). Requests are parsed and answers built here; the MetadataStore does the rest.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "metadata/metadata_store.h"
#include "server/api_table.h"
#include "server/server_config.h"

namespace fluss {

// GET_METADATA of a cluster: the servers, and per requested table its buckets' replicas, leaders and
// ISR. Called with a parsed request that names no partitions.
using ClusterMetadataView = std::function<Result<proto::MetadataResponse>(const proto::MetadataRequest&)>;

// Adds the table part of a GET_METADATA answer (path, id, schema id, JSON, times) and returns it;
// the caller adds the bucket entries (from its own view of leaders).
proto::PbTableMetadata* AddTableMetadata(proto::MetadataResponse& resp, const proto::PbTablePath& path,
                                         const TableRecord& table);

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
  Result<std::string> GetMetadata(const std::string& body);
  Result<std::string> InitWriter(const std::string& body);
  // GET_METADATA of a standalone server.
  Result<proto::MetadataResponse> LocalMetadata(const proto::MetadataRequest& req);

  const ServerConfig& config_;
  MetadataStore* metadata_;
  ClusterMetadataView cluster_view_;
};

}  // namespace fluss
