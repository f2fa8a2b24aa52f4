// ClientContext: what every client object of one Connection shares — options, the io thread, one
// RpcClient per server (connected lazily, ApiVersions handshake first, replaced when it closed),
// and the metadata cache (servers, table infos, bucket leaders, partitions by name and id with their
// bucket leaders, schemas by id), refreshed when a server says NOT_LEADER_OR_FOLLOWER /
// UNKNOWN_TABLE_OR_BUCKET / PARTITION_NOT_EXISTS.
//
// Cluster mode: bootstrap.servers may list several servers; an unreachable one is skipped. Admin
// calls go to the active coordinator that GetMetadata names (coordinator_server); while a call fails
// with an error that says the coordinator is gone or is not the active one (IsCoordinatorRetriable:
// it died, a standby answered, the election is still running), the coordinator is found again by
// asking any live server (bootstrap servers, then the tablet servers last seen) and the call is
// repeated, with a growing pause, until client.request-timeout has passed. Metadata reads
// (GetMetadata) fall back to any live server at once when the coordinator does not answer.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "fluss/client.h"
#include "fluss_api.pb.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"

namespace fluss {

// Table info plus where each bucket's leader is.
struct TableMetadata {
  TableInfo info;
  std::map<int32_t, int32_t> bucket_leaders;  // bucket -> node id (-1: none)
};

// One partition of a partitioned table and where each of its buckets' leader is (GetMetadata's
// PbPartitionMetadata).
struct PartitionMetadata {
  TablePath path;
  int64_t table_id = -1;
  int64_t partition_id = -1;
  std::string partition_name;
  std::map<int32_t, int32_t> bucket_leaders;  // bucket -> node id (-1: none)
};

// The client library's logger: "fluss-client", to stderr (an application's stdout may carry data).
// spdlog::set_level applies to it like to every registered logger.
spdlog::logger& ClientLog();

// True for errors after which a write or read may succeed when retried (after a metadata refresh).
bool IsRetriable(ErrorCode code);
// True for errors of an admin call after which the coordinator should be looked up again and the
// call repeated: the coordinator is unreachable (NETWORK_EXCEPTION, REQUEST_TIME_OUT) or is not the
// active one (INVALID_COORDINATOR, a standby or a fenced one).
bool IsCoordinatorRetriable(ErrorCode code);

struct ClientContext {
  Configuration config;
  std::shared_ptr<rpc::RpcClientIo> io;
  std::vector<std::pair<std::string, uint16_t>> bootstrap;

  std::mutex mu;
  bool closed = false;
  std::map<int32_t, ServerNode> nodes;
  std::optional<ServerNode> coordinator;
  std::map<std::string, std::shared_ptr<rpc::RpcClient>> clients;  // by "host:port"
  // Servers whose last connect attempt timed out (it waited its whole time: client.connect-timeout,
  // or client.request-timeout when shorter), by "host:port": Client() answers with that failure until
  // `until` (one connect timeout later) instead of waiting again. Refused connects are not kept.
  struct TimedOut {
    Status status;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, TimedOut> timed_out;
  std::map<TablePath, TableMetadata> tables;
  std::map<int64_t, PartitionMetadata> partitions;                     // by partition id
  std::map<std::pair<TablePath, std::string>, int64_t> partition_ids;  // (table, name) -> id
  std::map<std::pair<int64_t, int32_t>, Schema> schemas;  // (table id, schema id)

  static Result<std::shared_ptr<ClientContext>> Make(Configuration config);

  // The connection to host:port, made (and handshaken) when there is none or it closed. Connecting
  // (TCP connect and ApiVersions handshake together) gives up after client.connect-timeout; a server
  // that let it pass is not tried again for as long (see timed_out).
  Result<std::shared_ptr<rpc::RpcClient>> Client(const std::string& host, uint16_t port);
  // A server for admin calls: the coordinator when known and reachable, else the one a live server
  // names (DiscoverCoordinator), else (servers that name none) the first reachable bootstrap server.
  Result<std::shared_ptr<rpc::RpcClient>> AdminClient();
  // Asks the live servers (bootstrap, then the tablet servers last seen) for GetMetadata until one
  // names a reachable coordinator; remembers and returns it. NETWORK_EXCEPTION when none does.
  Result<std::shared_ptr<rpc::RpcClient>> DiscoverCoordinator();
  // Forgets the coordinator (the next admin call discovers it again).
  void ForgetCoordinator();
  // GetMetadata on the coordinator; when that fails with a retriable error, on any live server.
  // Remembers the servers and the coordinator the answer names.
  Result<proto::MetadataResponse> GetMetadata(const proto::MetadataRequest& req);
  // The leader of a bucket (from the cache; refreshed when unknown).
  Result<std::shared_ptr<rpc::RpcClient>> LeaderClient(const TablePath& path, int32_t bucket);
  Result<int32_t> LeaderNode(const TablePath& path, int32_t bucket);
  // The leader of a bucket of a table (partition_id kNoPartition) or of one of its partitions (from
  // the cache; refreshed when unknown). PARTITION_NOT_EXISTS when the partition is gone.
  Result<int32_t> LeaderNode(const TablePath& path, const PartitionBucket& bucket);
  Result<std::shared_ptr<rpc::RpcClient>> LeaderClient(const TablePath& path, const PartitionBucket& bucket);
  Result<std::shared_ptr<rpc::RpcClient>> NodeClient(int32_t node_id);

  // Table metadata, from the cache unless `refresh` or absent.
  Result<TableMetadata> GetTableMetadata(const TablePath& path, bool refresh = false);
  // Forgets the table's metadata and that of every partition of it seen so far.
  void InvalidateTable(const TablePath& path);
  // A partition of a table by name, from the cache unless `refresh` or absent (GetMetadata with
  // partitions_path). PARTITION_NOT_EXISTS when the table has no such partition.
  Result<PartitionMetadata> GetPartitionMetadata(const TablePath& path, const std::string& partition_name,
                                                 bool refresh = false);
  // The same by partition id (GetMetadata with partitions_id).
  Result<PartitionMetadata> GetPartitionMetadata(const TablePath& path, int64_t partition_id, bool refresh = false);
  // A schema of a table by id (cached; fetched with GetTableSchema).
  Result<Schema> GetSchema(const TablePath& path, int64_t table_id, int32_t schema_id);

  void Close();

  // One request/response exchange with a typed request and response.
  template <typename Resp, typename Req>
  Result<Resp> Call(const std::shared_ptr<rpc::RpcClient>& client, rpc::ApiKey key, const Req& req,
                    int16_t version = 0) {
    FLUSS_ASSIGN_OR_RETURN(std::string body, client->CallSync(static_cast<int16_t>(key), version,
                                                              req.SerializeAsString(), config.request_timeout));
    Resp resp;
    if (!resp.ParseFromString(body)) {
      return Status(ErrorCode::kCorruptMessage,
                    fmt::format("cannot parse {} from {}", Resp::descriptor()->name(), client->address()));
    }
    return resp;
  }
  // Call on the admin server (the coordinator), repeated through a coordinator failover: while it
  // fails with IsCoordinatorRetriable, the coordinator is looked up again (DiscoverCoordinator, else
  // a bootstrap server) and the call made again after a pause (100 ms, doubling up to 1 s), until
  // client.request-timeout has passed since the first attempt; then the last error, saying how
  // long and how often it tried. Any other error is the answer, returned at once. (A DDL call whose
  // answer was lost may so run twice: its second answer is then e.g. TABLE_ALREADY_EXIST.)
  template <typename Resp, typename Req>
  Result<Resp> AdminCall(rpc::ApiKey key, const Req& req) {
    FLUSS_ASSIGN_OR_RETURN(std::string body, AdminCallBody(key, req.SerializeAsString()));
    Resp resp;
    if (!resp.ParseFromString(body)) {
      return Status(ErrorCode::kCorruptMessage,
                    fmt::format("cannot parse {} from the coordinator", Resp::descriptor()->name()));
    }
    return resp;
  }
  // AdminCall's exchange of bytes.
  Result<std::string> AdminCallBody(rpc::ApiKey key, const std::string& body);

 private:
  // Servers to ask for the coordinator: bootstrap servers, then the tablet servers last seen.
  std::vector<std::pair<std::string, uint16_t>> DiscoveryCandidates();
  // Remembers the servers and the coordinator a GetMetadata answer names.
  void RememberServers(const proto::MetadataResponse& resp);
  // Asks GetMetadata for one partition of `path` (by name or by id) and caches the answer.
  Result<PartitionMetadata> FetchPartitionMetadata(const TablePath& path, const proto::MetadataRequest& req,
                                                   const std::string& what);
};

// A writer id for an idempotent writer of `path` (InitWriter), or kNoWriterId (-1) when
// client.writer.enable-idempotence is off.
Result<int64_t> InitWriter(ClientContext& ctx, const TablePath& path);

// PARTITION_SPEC_INVALID when `info` is partitioned: `what` ("list the offsets of") needs a partition;
// `instead` names the call that takes one.
Status RequireUnpartitioned(const TableInfo& info, std::string_view what, std::string_view instead);
// TABLE_NOT_PARTITIONED when `info` has no partition keys (a partition was named).
Status RequirePartitioned(const TableInfo& info);

// The offsets of `buckets` of a table, or of one partition of it when `partition_id` is not
// kNoPartition (ListOffsets to each bucket's leader, one request per leader;
// `offset_type` rpc::kListOffsets*, `timestamp_ms` for the timestamp kind). Buckets whose leader is
// unknown, moving or unreachable (a new table not yet on its servers, a failover) are asked again
// after a metadata refresh until client.request-timeout passes; other errors are returned at once.
Result<std::map<int32_t, int64_t>> ListBucketOffsets(ClientContext& ctx, const TablePath& path, int64_t table_id,
                                                     int64_t partition_id, const std::vector<int32_t>& buckets,
                                                     int32_t offset_type, int64_t timestamp_ms = 0);

// "host:port" list parsing ("localhost:9123,10.0.0.2:9123").
Result<std::vector<std::pair<std::string, uint16_t>>> ParseBootstrapServers(const std::string& text);

}  // namespace fluss
