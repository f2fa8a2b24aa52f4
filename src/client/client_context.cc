#include "client/client_context.h"

#include <algorithm>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/config_value.h"
#include "fluss_api.pb.h"
#include "types/table_descriptor.h"

namespace fluss {

spdlog::logger& ClientLog() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("fluss-client")) return existing;
    return spdlog::stderr_color_mt("fluss-client");
  }();
  return *logger;
}

bool IsRetriable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNetworkException:
    case ErrorCode::kRequestTimeOut:
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kUnknownTableOrBucket:
    case ErrorCode::kLeaderNotAvailable:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kNotEnoughReplicasAfterAppend:
    case ErrorCode::kStorageBackpressure:
      return true;
    default:
      return false;
  }
}

bool IsCoordinatorRetriable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNetworkException:
    case ErrorCode::kRequestTimeOut:
    case ErrorCode::kInvalidCoordinator:
      return true;
    default:
      return false;
  }
}

Result<std::vector<std::pair<std::string, uint16_t>>> ParseBootstrapServers(const std::string& text) {
  std::vector<std::pair<std::string, uint16_t>> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = TrimSpace(std::string_view(text).substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t scheme = item.find("://");
    if (scheme != std::string::npos) item = item.substr(scheme + 3);
    const size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::Invalid(fmt::format("bootstrap server '{}' is not host:port", item));
    }
    auto port = ParseIntOption("bootstrap.servers", item.substr(colon + 1));
    if (!port.ok() || *port <= 0 || *port > 65535) {
      return Status::Invalid(fmt::format("bootstrap server '{}' has an invalid port", item));
    }
    out.emplace_back(item.substr(0, colon), static_cast<uint16_t>(*port));
  }
  if (out.empty()) return Status::Invalid("bootstrap.servers is empty");
  return out;
}

Result<std::shared_ptr<ClientContext>> ClientContext::Make(Configuration config) {
  auto ctx = std::make_shared<ClientContext>();
  FLUSS_ASSIGN_OR_RETURN(ctx->bootstrap, ParseBootstrapServers(config.bootstrap_servers));
  ctx->config = std::move(config);
  ctx->io = rpc::RpcClientIo::Create();
  return ctx;
}

Result<std::shared_ptr<rpc::RpcClient>> ClientContext::Client(const std::string& host, uint16_t port) {
  const std::string key = fmt::format("{}:{}", host, port);
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (closed) return Status(ErrorCode::kNetworkException, "the connection was closed");
    auto it = clients.find(key);
    if (it != clients.end() && it->second->is_open()) return it->second;
    auto failed = timed_out.find(key);
    if (failed != timed_out.end()) {
      if (start < failed->second.until) return failed->second.status;
      timed_out.erase(failed);
    }
  }
  // One deadline for the TCP connect and the handshake together: client.connect-timeout is the
  // whole of connecting.
  const auto deadline = start + config.connect_timeout;
  auto fail = [&](Status st) {
    if (std::chrono::steady_clock::now() >= start + std::min(config.connect_timeout, config.request_timeout)) {
      // The server let the whole wait pass (no TCP answer, or no handshake answer): asking it again
      // at once (discovery, then the fallback) would only wait as long again.
      std::lock_guard<std::mutex> lock(mu);
      timed_out[key] = TimedOut{st, std::chrono::steady_clock::now() + config.connect_timeout};
    }
    return st;
  };
  rpc::RpcClientOptions options;
  options.connect_timeout = config.connect_timeout;
  auto connected = rpc::RpcClient::Connect(io, host, port, options);
  if (!connected.ok()) return fail(connected.status());
  auto client = std::move(connected).value();
  // Handshake: the server lists the APIs it serves.
  proto::ApiVersionsRequest req;
  req.set_client_software_name("fluss-cpp");
  req.set_client_software_version("0.1.0");
  // The handshake is part of connecting: a server that accepts but does not answer (hung, stopped)
  // fails within what is left of connect_timeout, as "cannot connect to host:port: ...".
  const auto left = std::max(std::chrono::milliseconds(1),
                             std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  auto body = client->CallSync(static_cast<int16_t>(rpc::ApiKey::kApiVersions), 0, req.SerializeAsString(),
                               std::min(left, config.request_timeout));
  if (!body.ok()) {
    client->Close();
    return fail(Status(ErrorCode::kNetworkException,
                       fmt::format("cannot connect to {}: no answer to the ApiVersions handshake ({})", key,
                                   body.status().message())));
  }
  proto::ApiVersionsResponse resp;
  if (!resp.ParseFromString(*body)) {
    client->Close();
    return Status(ErrorCode::kCorruptMessage, fmt::format("cannot parse ApiVersionsResponse from {}", key));
  }
  bool has_produce = false;
  for (const auto& v : resp.api_versions()) {
    if (v.api_key() == static_cast<int32_t>(rpc::ApiKey::kProduceLog) && v.min_version() <= 0) has_produce = true;
  }
  // Each server lists only the APIs of its role: a cluster's coordinator (server_type 1) serves no
  // data APIs; any other server must serve ProduceLog v0.
  const bool coordinator = resp.has_server_type() && resp.server_type() == rpc::kServerTypeCoordinator;
  if (!has_produce && !coordinator) {
    return Status(ErrorCode::kUnsupportedVersion, fmt::format("server {} does not serve ProduceLog version 0", key));
  }
  std::lock_guard<std::mutex> lock(mu);
  if (closed) {
    client->Close();
    return Status(ErrorCode::kNetworkException, "the connection was closed");
  }
  auto& slot = clients[key];
  if (slot && slot->is_open()) {
    client->Close();  // another thread connected first
    return slot;
  }
  slot = client;
  return client;
}

Result<std::shared_ptr<rpc::RpcClient>> ClientContext::AdminClient() {
  std::optional<ServerNode> coord;
  {
    std::lock_guard<std::mutex> lock(mu);
    coord = coordinator;
  }
  if (coord) {
    auto c = Client(coord->host, coord->port);
    if (c.ok()) return c;
    ClientLog().debug("coordinator {}:{} is unreachable ({}); looking for the coordinator again", coord->host,
                     coord->port, c.status().ToString());
    ForgetCoordinator();
  }
  auto found = DiscoverCoordinator();
  if (found.ok()) return found;
  // Servers that name no coordinator (none elected yet): the first reachable bootstrap server.
  Status last = found.status();
  for (const auto& [host, port] : bootstrap) {
    auto c = Client(host, port);
    if (c.ok()) return c;
    last = c.status();
  }
  return last;
}

void ClientContext::ForgetCoordinator() {
  std::lock_guard<std::mutex> lock(mu);
  coordinator.reset();
}

std::vector<std::pair<std::string, uint16_t>> ClientContext::DiscoveryCandidates() {
  std::vector<std::pair<std::string, uint16_t>> out = bootstrap;
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [id, n] : nodes) {
    std::pair<std::string, uint16_t> hp{n.host, n.port};
    if (std::find(out.begin(), out.end(), hp) == out.end()) out.push_back(std::move(hp));
  }
  return out;
}

void ClientContext::RememberServers(const proto::MetadataResponse& resp) {
  std::lock_guard<std::mutex> lock(mu);
  if (resp.tablet_servers_size() > 0) {
    nodes.clear();
    for (const auto& n : resp.tablet_servers()) {
      nodes[n.node_id()] = ServerNode{n.node_id(), n.host(), static_cast<uint16_t>(n.port())};
    }
  }
  if (resp.has_coordinator_server()) {
    const auto& c = resp.coordinator_server();
    coordinator = ServerNode{c.node_id(), c.host(), static_cast<uint16_t>(c.port())};
  }
}

Result<std::shared_ptr<rpc::RpcClient>> ClientContext::DiscoverCoordinator() {
  Status last(ErrorCode::kNetworkException, "no server answered");
  for (const auto& [host, port] : DiscoveryCandidates()) {
    auto c = Client(host, port);
    if (!c.ok()) {
      last = c.status();
      continue;
    }
    auto resp = Call<proto::MetadataResponse>(*c, rpc::ApiKey::kGetMetadata, proto::MetadataRequest{});
    if (!resp.ok()) {
      last = resp.status();
      continue;
    }
    if (!resp->has_coordinator_server()) {
      last = Status(ErrorCode::kNetworkException, fmt::format("{}:{} knows no active coordinator", host, port));
      continue;
    }
    const auto& n = resp->coordinator_server();
    auto coord = Client(n.host(), static_cast<uint16_t>(n.port()));
    if (!coord.ok()) {
      last = coord.status().WithContext(fmt::format("the coordinator {}:{} that {}:{} names", n.host(), n.port(),
                                                    host, port));
      continue;
    }
    RememberServers(*resp);
    return coord;
  }
  return Status(ErrorCode::kNetworkException, fmt::format("cannot find the coordinator: {}", last.message()));
}

Result<std::string> ClientContext::AdminCallBody(rpc::ApiKey key, const std::string& body) {
  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  const auto start = Clock::now();
  const auto deadline = start + config.request_timeout;
  milliseconds pause(100);
  Status last;
  int attempts = 0;
  while (true) {
    ++attempts;
    auto client = AdminClient();
    if (client.ok()) {
      // Each attempt may use what is left of the request timeout (at least 100 ms).
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      const milliseconds timeout = std::min(config.request_timeout, std::max(left, milliseconds(100)));
      auto answer = (*client)->CallSync(static_cast<int16_t>(key), 0, body, timeout);
      if (answer.ok() || !IsCoordinatorRetriable(answer.status().code())) return answer;
      last = answer.status().WithContext((*client)->address());
    } else {
      if (!IsCoordinatorRetriable(client.status().code())) return client.status();
      last = client.status();
    }
    // The coordinator is gone, a standby answered, or none is elected yet: look it up again.
    ForgetCoordinator();
    const auto now = Clock::now();
    if (now >= deadline) break;
    if (attempts == 1) {
      ClientLog().info("admin call {} failed ({}); looking for the active coordinator again for up to {} ms",
                       static_cast<int>(key), last.ToString(), config.request_timeout.count());
    } else {
      ClientLog().debug("admin call {}, attempt {}: {}", static_cast<int>(key), attempts, last.ToString());
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, milliseconds(1000));
    if (Clock::now() >= deadline) break;
  }
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return last.WithContext(fmt::format("no active coordinator served admin call {} within {} ms ({} attempts)",
                                      static_cast<int>(key), took.count(), attempts));
}

Result<proto::MetadataResponse> ClientContext::GetMetadata(const proto::MetadataRequest& req) {
  // The coordinator first (its view is the freshest); when it does not answer, any live server,
  // at once: every server answers GetMetadata, so metadata does not wait for a failover.
  auto client = AdminClient();
  Result<proto::MetadataResponse> resp =
      client.ok() ? Call<proto::MetadataResponse>(*client, rpc::ApiKey::kGetMetadata, req)
                  : Result<proto::MetadataResponse>(client.status());
  if (!resp.ok() && IsRetriable(resp.status().code())) {
    ForgetCoordinator();
    for (const auto& [host, port] : DiscoveryCandidates()) {
      auto c = Client(host, port);
      if (!c.ok()) continue;
      auto other = Call<proto::MetadataResponse>(*c, rpc::ApiKey::kGetMetadata, req);
      if (other.ok()) {
        resp = std::move(other);
        break;
      }
    }
  }
  if (resp.ok()) RememberServers(*resp);
  return resp;
}

Result<std::shared_ptr<rpc::RpcClient>> ClientContext::NodeClient(int32_t node_id) {
  std::optional<ServerNode> node;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = nodes.find(node_id);
    if (it != nodes.end()) node = it->second;
  }
  if (!node) return Status(ErrorCode::kLeaderNotAvailable, fmt::format("server {} is not known", node_id));
  return Client(node->host, node->port);
}

Result<int32_t> ClientContext::LeaderNode(const TablePath& path, int32_t bucket) {
  FLUSS_ASSIGN_OR_RETURN(auto meta, GetTableMetadata(path));
  auto it = meta.bucket_leaders.find(bucket);
  if (it == meta.bucket_leaders.end() || it->second < 0) {
    FLUSS_ASSIGN_OR_RETURN(meta, GetTableMetadata(path, /*refresh=*/true));
    it = meta.bucket_leaders.find(bucket);
    if (it == meta.bucket_leaders.end()) {
      return Status(ErrorCode::kUnknownTableOrBucket,
                    fmt::format("table '{}' has no bucket {} (it has {})", path.ToString(), bucket,
                                meta.info.num_buckets));
    }
    if (it->second < 0) {
      return Status(ErrorCode::kLeaderNotAvailable,
                    fmt::format("bucket {} of table '{}' has no leader", bucket, path.ToString()));
    }
  }
  return it->second;
}

Result<std::shared_ptr<rpc::RpcClient>> ClientContext::LeaderClient(const TablePath& path, int32_t bucket) {
  FLUSS_ASSIGN_OR_RETURN(int32_t node, LeaderNode(path, bucket));
  return NodeClient(node);
}

Result<int32_t> ClientContext::LeaderNode(const TablePath& path, const PartitionBucket& bucket) {
  if (bucket.partition_id == kNoPartition) return LeaderNode(path, bucket.bucket);
  FLUSS_ASSIGN_OR_RETURN(auto meta, GetPartitionMetadata(path, bucket.partition_id));
  auto it = meta.bucket_leaders.find(bucket.bucket);
  if (it == meta.bucket_leaders.end() || it->second < 0) {
    FLUSS_ASSIGN_OR_RETURN(meta, GetPartitionMetadata(path, bucket.partition_id, /*refresh=*/true));
    it = meta.bucket_leaders.find(bucket.bucket);
    if (it == meta.bucket_leaders.end()) {
      return Status(ErrorCode::kUnknownTableOrBucket,
                    fmt::format("partition '{}' of table '{}' has no bucket {}", meta.partition_name, path.ToString(),
                                bucket.bucket));
    }
    if (it->second < 0) {
      return Status(ErrorCode::kLeaderNotAvailable,
                    fmt::format("bucket {} of partition '{}' of table '{}' has no leader", bucket.bucket,
                                meta.partition_name, path.ToString()));
    }
  }
  return it->second;
}

Result<std::shared_ptr<rpc::RpcClient>> ClientContext::LeaderClient(const TablePath& path,
                                                                    const PartitionBucket& bucket) {
  FLUSS_ASSIGN_OR_RETURN(int32_t node, LeaderNode(path, bucket));
  return NodeClient(node);
}

Result<PartitionMetadata> ClientContext::GetPartitionMetadata(const TablePath& path, const std::string& partition_name,
                                                              bool refresh) {
  if (!refresh) {
    std::lock_guard<std::mutex> lock(mu);
    auto id = partition_ids.find({path, partition_name});
    if (id != partition_ids.end()) {
      auto it = partitions.find(id->second);
      if (it != partitions.end()) return it->second;
    }
  }
  proto::MetadataRequest req;
  auto* p = req.add_partitions_path();
  p->set_database_name(path.database());
  p->set_table_name(path.table());
  p->set_partition_name(partition_name);
  return FetchPartitionMetadata(path, req, fmt::format("partition '{}'", partition_name));
}

Result<PartitionMetadata> ClientContext::GetPartitionMetadata(const TablePath& path, int64_t partition_id,
                                                              bool refresh) {
  if (!refresh) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = partitions.find(partition_id);
    if (it != partitions.end() && it->second.path == path) return it->second;
  }
  proto::MetadataRequest req;
  req.add_partitions_id(partition_id);
  return FetchPartitionMetadata(path, req, fmt::format("partition id {}", partition_id));
}

Result<PartitionMetadata> ClientContext::FetchPartitionMetadata(const TablePath& path,
                                                                const proto::MetadataRequest& req,
                                                                const std::string& what) {
  FLUSS_ASSIGN_OR_RETURN(auto table, GetTableMetadata(path));
  auto resp = GetMetadata(req);
  if (!resp.ok()) {
    if (resp.status().code() == ErrorCode::kPartitionNotExists) {
      // Gone (dropped, expired) or never made: forget what the cache knew of it.
      std::lock_guard<std::mutex> lock(mu);
      for (auto it = partitions.begin(); it != partitions.end();) {
        const bool named = req.partitions_id_size() > 0 ? it->first == req.partitions_id(0)
                                                        : it->second.partition_name == req.partitions_path(0).partition_name();
        if (it->second.path == path && named) {
          partition_ids.erase({path, it->second.partition_name});
          it = partitions.erase(it);
        } else {
          ++it;
        }
      }
      if (req.partitions_path_size() > 0) partition_ids.erase({path, req.partitions_path(0).partition_name()});
      return Status(ErrorCode::kPartitionNotExists,
                    fmt::format("table '{}' has no {}", path.ToString(), what));
    }
    return resp.status();
  }
  for (const auto& pm : resp->partition_metadata()) {
    if (pm.table_id() != table.info.table_id) continue;
    PartitionMetadata meta;
    meta.path = path;
    meta.table_id = pm.table_id();
    meta.partition_id = pm.partition_id();
    meta.partition_name = pm.partition_name();
    for (const auto& b : pm.bucket_metadata()) {
      meta.bucket_leaders[b.bucket_id()] = b.has_leader_id() ? b.leader_id() : -1;
    }
    std::lock_guard<std::mutex> lock(mu);
    partitions[meta.partition_id] = meta;
    partition_ids[{path, meta.partition_name}] = meta.partition_id;
    return meta;
  }
  return Status(ErrorCode::kPartitionNotExists, fmt::format("table '{}' has no {}", path.ToString(), what));
}

Result<TableMetadata> ClientContext::GetTableMetadata(const TablePath& path, bool refresh) {
  if (!refresh) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = tables.find(path);
    if (it != tables.end()) return it->second;
  }
  proto::MetadataRequest req;
  auto* p = req.add_table_path();
  p->set_database_name(path.database());
  p->set_table_name(path.table());
  FLUSS_ASSIGN_OR_RETURN(auto resp, GetMetadata(req));
  TableMetadata meta;
  bool found = false;
  for (const auto& tm : resp.table_metadata()) {
    if (tm.table_path().database_name() != path.database() || tm.table_path().table_name() != path.table()) continue;
    auto j = nlohmann::json::parse(tm.table_json(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Status(ErrorCode::kCorruptMessage, fmt::format("table '{}': table_json is not JSON", path.ToString()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto descriptor, TableDescriptorFromJson(j));
    meta.info.path = path;
    meta.info.table_id = tm.table_id();
    meta.info.schema_id = tm.schema_id();
    meta.info.num_buckets = descriptor.bucket_count().value_or(tm.bucket_metadata_size());
    meta.info.descriptor = std::move(descriptor);
    meta.info.created_time_ms = tm.created_time();
    meta.info.modified_time_ms = tm.modified_time();
    for (const auto& b : tm.bucket_metadata()) meta.bucket_leaders[b.bucket_id()] = b.has_leader_id() ? b.leader_id() : -1;
    found = true;
  }
  if (!found) return Status(ErrorCode::kTableNotExist, fmt::format("table '{}' does not exist", path.ToString()));
  std::lock_guard<std::mutex> lock(mu);
  tables[path] = meta;
  schemas[{meta.info.table_id, meta.info.schema_id}] = meta.info.schema();
  return meta;
}

void ClientContext::InvalidateTable(const TablePath& path) {
  std::lock_guard<std::mutex> lock(mu);
  tables.erase(path);
  for (auto it = partitions.begin(); it != partitions.end();) {
    if (it->second.path == path) {
      partition_ids.erase({path, it->second.partition_name});
      it = partitions.erase(it);
    } else {
      ++it;
    }
  }
}

Result<Schema> ClientContext::GetSchema(const TablePath& path, int64_t table_id, int32_t schema_id) {
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = schemas.find({table_id, schema_id});
    if (it != schemas.end()) return it->second;
  }
  proto::GetTableSchemaRequest req;
  req.mutable_table_path()->set_database_name(path.database());
  req.mutable_table_path()->set_table_name(path.table());
  req.set_schema_id(schema_id);
  FLUSS_ASSIGN_OR_RETURN(auto resp, AdminCall<proto::GetTableSchemaResponse>(rpc::ApiKey::kGetTableSchema, req));
  auto j = nlohmann::json::parse(resp.schema_json(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("schema {} of '{}' is not JSON", schema_id, path.ToString()));
  }
  FLUSS_ASSIGN_OR_RETURN(auto schema, SchemaFromJson(j));
  std::lock_guard<std::mutex> lock(mu);
  schemas[{table_id, schema_id}] = schema;
  return schema;
}

Status RequireUnpartitioned(const TableInfo& info, std::string_view what, std::string_view instead) {
  if (!info.descriptor.is_partitioned()) return Status::OK();
  return Status(ErrorCode::kPartitionSpecInvalid,
                fmt::format("table '{}' is partitioned (by {}): {} needs a partition ({})", info.path.ToString(),
                            fmt::join(info.descriptor.partition_keys(), ", "), what, instead));
}

Status RequirePartitioned(const TableInfo& info) {
  if (info.descriptor.is_partitioned()) return Status::OK();
  return Status(ErrorCode::kTableNotPartitioned,
                fmt::format("table '{}' is not partitioned: it has no partitions to name", info.path.ToString()));
}

Result<int64_t> InitWriter(ClientContext& ctx, const TablePath& path) {
  if (!ctx.config.writer_enable_idempotence) return int64_t{-1};
  proto::InitWriterRequest req;
  auto* p = req.add_table_path();
  p->set_database_name(path.database());
  p->set_table_name(path.table());
  FLUSS_ASSIGN_OR_RETURN(auto resp, ctx.AdminCall<proto::InitWriterResponse>(rpc::ApiKey::kInitWriter, req));
  return resp.writer_id();
}

Result<std::map<int32_t, int64_t>> ListBucketOffsets(ClientContext& ctx, const TablePath& path, int64_t table_id,
                                                     int64_t partition_id, const std::vector<int32_t>& buckets,
                                                     int32_t offset_type, int64_t timestamp_ms) {
  std::map<int32_t, int64_t> out;
  std::set<int32_t> pending(buckets.begin(), buckets.end());
  const auto deadline = std::chrono::steady_clock::now() + ctx.config.request_timeout;
  while (true) {
    Status last;
    std::map<int32_t, std::vector<int32_t>> by_leader;
    for (int32_t b : pending) {
      auto leader = ctx.LeaderNode(path, PartitionBucket{partition_id, b});
      if (!leader.ok()) {
        if (!IsRetriable(leader.status().code())) return leader.status();
        last = leader.status();
        continue;
      }
      by_leader[*leader].push_back(b);
    }
    for (const auto& [leader, bs] : by_leader) {
      proto::ListOffsetsRequest req;
      req.set_follower_server_id(-1);
      req.set_table_id(table_id);
      if (partition_id != kNoPartition) req.set_partition_id(partition_id);
      req.set_offset_type(offset_type);
      if (offset_type == rpc::kListOffsetsTimestamp) req.set_starttimestamp(timestamp_ms);
      for (int32_t b : bs) req.add_bucket_id(b);
      auto client = ctx.NodeClient(leader);
      auto resp = client.ok() ? ctx.Call<proto::ListOffsetsResponse>(*client, rpc::ApiKey::kListOffsets, req)
                              : Result<proto::ListOffsetsResponse>(client.status());
      if (!resp.ok()) {
        if (!IsRetriable(resp.status().code())) return resp.status();
        last = resp.status();
        continue;
      }
      for (const auto& r : resp->buckets_resp()) {
        if (!pending.count(r.bucket_id())) continue;
        if (r.has_error_code() && r.error_code() != 0) {
          const auto code = static_cast<ErrorCode>(r.error_code());
          Status st(code, fmt::format("bucket {} of '{}': {}", r.bucket_id(), path.ToString(), r.error_message()));
          if (!IsRetriable(code)) return st;
          last = st;
          continue;
        }
        out[r.bucket_id()] = r.offset();
        pending.erase(r.bucket_id());
      }
    }
    if (pending.empty()) return out;
    if (last.ok()) {
      return Status(ErrorCode::kCorruptMessage,
                    fmt::format("ListOffsets of '{}' gave no answer for bucket {}", path.ToString(), *pending.begin()));
    }
    if (std::chrono::steady_clock::now() >= deadline) return last;
    ClientLog().debug("offsets of '{}' will be asked again: {}", path.ToString(), last.ToString());
    ctx.InvalidateTable(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ClientContext::Close() {
  std::map<std::string, std::shared_ptr<rpc::RpcClient>> all;
  {
    std::lock_guard<std::mutex> lock(mu);
    closed = true;
    all.swap(clients);
  }
  for (auto& [k, c] : all) c->Close();
}

}  // namespace fluss
