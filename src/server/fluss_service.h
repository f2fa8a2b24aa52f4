// FlussService: answers every request of a standalone server — the coordinator's APIs (DDL,
// metadata) and the tablet server's (produce, fetch, list offsets, writer ids) — by api key. Bodies
// are parsed as the proto2 messages of src/rpc/proto (required fields checked); a body that does not
// parse is answered CORRUPT_MESSAGE, an unknown api key or version UNSUPPORTED_VERSION, and the
// connection stays open. Handlers run on the worker pool, except ProduceLog and PutKv, which run on
// the connection's network thread so that pipelined writes of one connection keep their order.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metadata/metadata_store.h"
#include "rpc/rpc_server.h"
#include "server/delayed_fetch.h"
#include "server/replica_manager.h"
#include "server/server_config.h"
#include "server/worker_pool.h"
#include "types/table_descriptor.h"

namespace fluss {

// Cluster mode: what the coordinator or a cluster tablet server plugs in (server/cluster/). A
// standalone server leaves them empty.
struct FlussServiceHooks {
  // Sees every request first; a value is the answer, nullopt leaves it to the built-in handlers.
  std::function<std::optional<Result<std::string>>(const rpc::RpcRequest&)> intercept;
  // CreateTable: the bucket assignment of a new table; an error is the answer and nothing is created.
  // Empty: every bucket on this server.
  std::function<Result<std::vector<BucketAssignment>>(const TablePath&, const TableDescriptor&, int32_t buckets)>
      assign;
  // After the metadata store created / dropped a table: replaces opening / deleting local logs.
  std::function<Status(const TableRecord&)> table_created;
  std::function<void(const TableRecord&)> table_dropped;
};

// Adds the table part of a GET_METADATA answer (path, id, schema id, JSON, times) and returns it;
// the caller adds the bucket entries (from its own view of leaders).
proto::PbTableMetadata* AddTableMetadata(proto::MetadataResponse& resp, const proto::PbTablePath& path,
                                         const TableRecord& table);

class FlussService {
 public:
  // `delayed_produces` (cluster mode): where acks=-1 writes wait for the high watermark.
  FlussService(const ServerConfig& config, MetadataStore* metadata, ReplicaManager* replicas,
               DelayedFetchQueue* delayed_fetches, WorkerPool* workers, DelayedFetchQueue* delayed_produces = nullptr);

  // The RpcHandler: queues the request on the worker pool (ProduceLog: runs it in place).
  void Handle(rpc::RpcRequest request, std::shared_ptr<rpc::RpcResponder> responder);
  // Answers on the calling thread (tests, and the worker pool).
  void Process(const rpc::RpcRequest& request, const std::shared_ptr<rpc::RpcResponder>& responder);

  // Opens the logs of every table in the metadata store.
  Status LoadTables();
  // Before the first request.
  void SetHooks(FlussServiceHooks hooks) { hooks_ = std::move(hooks); }

 private:
  Result<std::string> CreateDatabase(const std::string& body);
  Result<std::string> DropDatabase(const std::string& body);
  Result<std::string> ListDatabases(const std::string& body);
  Result<std::string> DatabaseExists(const std::string& body);
  Result<std::string> GetDatabaseInfo(const std::string& body);
  Result<std::string> CreateTable(const std::string& body);
  Result<std::string> DropTable(const std::string& body);
  Result<std::string> GetTableInfo(const std::string& body);
  Result<std::string> ListTables(const std::string& body);
  Result<std::string> TableExists(const std::string& body);
  Result<std::string> GetTableSchema(const std::string& body);
  Result<std::string> GetMetadata(const std::string& body);
  Result<std::string> ApiVersions(const std::string& body);
  Result<std::string> InitWriter(const std::string& body);
  // Cluster mode: acks=-1 writes may answer later (once the high watermark covers them).
  void ProduceLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder);
  Result<std::string> ListOffsets(const std::string& body);
  void PutKv(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder);
  // Cluster mode (coordinator -> tablet server).
  Result<std::string> NotifyLeaderAndIsr(const std::string& body);
  Result<std::string> StopReplica(const std::string& body);
  // Answers `response` once every pending bucket is acknowledged (or fails / times out).
  template <typename Response>
  void AwaitAcks(std::shared_ptr<Response> response, std::vector<ReplicaManager::PendingAck> pending,
                 int64_t timeout_ms, const std::shared_ptr<rpc::RpcResponder>& responder);
  Result<std::string> Lookup(const std::string& body);
  Result<std::string> PrefixLookup(const std::string& body);
  Result<std::string> ScanKv(const std::string& body);
  // Fetch may answer later (long poll), so it takes the responder.
  void FetchLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder);

  Status OpenTable(const TableRecord& record);
  // table.datalake.enabled (true only with a lake configured) and table.datalake.freshness.
  Status CheckLakeProperties(const TablePath& path, const TableDescriptor& descriptor) const;

  const ServerConfig& config_;
  MetadataStore* metadata_;
  ReplicaManager* replicas_;
  DelayedFetchQueue* delayed_fetches_;
  WorkerPool* workers_;
  DelayedFetchQueue* delayed_produces_;
  FlussServiceHooks hooks_;
};

}  // namespace fluss
