// FakeTabletServer: a Fluss server stand-in on a loopback port for client tests that need to see the
// exact requests a client sends and to script the answers (errors, retries, pages). It answers the
// handshake, metadata (one table, every bucket led by node 0 = this server, which is also the
// coordinator, unless SetCluster says otherwise), schemas and InitWriter itself; the data APIs go to
// handlers a test sets. Requests are recorded in arrival order.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "fluss_api.pb.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_server.h"
#include "types/schema_parser.h"
#include "types/table_descriptor.h"

namespace fluss::testing {

class FakeTabletServer {
 public:
  // Answers a data request: the response body, or an error sent as an error frame.
  using Handler = std::function<Result<std::string>(const rpc::RpcRequest&)>;

  static constexpr int64_t kTableId = 42;
  static constexpr int64_t kWriterId = 7;

  // Serves table db.<name> with `descriptor` (its bucket count must be set) as schema `schema_id`;
  // older schemas may be added with AddSchema.
  FakeTabletServer(std::string name, TableDescriptor descriptor, int32_t schema_id = 1)
      : path_(TablePath::Make("db", name).value()), descriptor_(std::move(descriptor)), schema_id_(schema_id) {
    schemas_[schema_id] = descriptor_.schema();
    auto server = rpc::RpcServer::Start({}, [this](rpc::RpcRequest req, std::shared_ptr<rpc::RpcResponder> r) {
      auto body = Answer(req);
      if (body.ok()) {
        r->SendSuccess(std::move(body).value());
      } else {
        r->SendError(body.status());
      }
    });
    server_ = std::move(server).value();
  }
  ~FakeTabletServer() { server_->Stop(); }

  void AddSchema(int32_t id, Schema schema) {
    std::lock_guard<std::mutex> lock(mu_);
    schemas_[id] = std::move(schema);
  }
  void On(rpc::ApiKey key, Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handlers_[static_cast<int16_t>(key)] = std::move(handler);
  }
  // Every request of `key` received so far.
  std::vector<rpc::RpcRequest> Requests(rpc::ApiKey key) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rpc::RpcRequest> out;
    for (const auto& r : requests_) {
      if (r.api_key == static_cast<int16_t>(key)) out.push_back(r);
    }
    return out;
  }

  // What GetMetadata answers from now on: these tablet servers (node id -> port on 127.0.0.1), this
  // coordinator (none: no coordinator_server) and these bucket leaders (a bucket not named: -1, no
  // leader). The default is {0: this server}, coordinator node 0, every bucket led by node 0.
  struct Cluster {
    std::map<int32_t, uint16_t> tablet_servers;
    std::optional<std::pair<int32_t, uint16_t>> coordinator;
    std::map<int32_t, int32_t> leaders;
  };
  void SetCluster(Cluster cluster) {
    std::lock_guard<std::mutex> lock(mu_);
    cluster_ = std::move(cluster);
  }
  uint16_t port() const { return server_->port(); }

  Configuration ClientConfig() const {
    Configuration c;
    c.bootstrap_servers = "127.0.0.1:" + std::to_string(server_->port());
    c.writer_batch_timeout = std::chrono::milliseconds(5);
    c.request_timeout = std::chrono::seconds(60);  // generous: a scripted answer may be held back
    return c;
  }
  const TablePath& path() const { return path_; }

 private:
  Result<std::string> Answer(const rpc::RpcRequest& req) {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      auto it = handlers_.find(req.api_key);
      if (it != handlers_.end()) handler = it->second;
    }
    if (handler) return handler(req);
    switch (static_cast<rpc::ApiKey>(req.api_key)) {
      case rpc::ApiKey::kApiVersions: {
        proto::ApiVersionsResponse resp;
        for (const auto& api : rpc::kServedApis) {
          auto* v = resp.add_api_versions();
          v->set_api_key(static_cast<int32_t>(api.key));
          v->set_min_version(api.min_version);
          v->set_max_version(api.max_version);
        }
        resp.set_server_type(rpc::kServerTypeTabletServer);
        return resp.SerializeAsString();
      }
      case rpc::ApiKey::kGetMetadata: {
        Cluster cluster;
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (cluster_) {
            cluster = *cluster_;
          } else {
            cluster.tablet_servers[0] = server_->port();
            cluster.coordinator = std::make_pair(0, server_->port());
            for (int b = 0; b < *descriptor_.bucket_count(); ++b) cluster.leaders[b] = 0;
          }
        }
        proto::MetadataResponse resp;
        for (const auto& [id, port] : cluster.tablet_servers) {
          auto* node = resp.add_tablet_servers();
          node->set_node_id(id);
          node->set_host("127.0.0.1");
          node->set_port(port);
        }
        if (cluster.coordinator) {
          auto* c = resp.mutable_coordinator_server();
          c->set_node_id(cluster.coordinator->first);
          c->set_host("127.0.0.1");
          c->set_port(cluster.coordinator->second);
        }
        auto* t = resp.add_table_metadata();
        t->mutable_table_path()->set_database_name(path_.database());
        t->mutable_table_path()->set_table_name(path_.table());
        t->set_table_id(kTableId);
        t->set_schema_id(schema_id_);
        t->set_table_json(TableDescriptorToJson(descriptor_).dump());
        t->set_created_time(0);
        t->set_modified_time(0);
        for (int b = 0; b < *descriptor_.bucket_count(); ++b) {
          auto* bm = t->add_bucket_metadata();
          bm->set_bucket_id(b);
          auto it = cluster.leaders.find(b);
          if (it != cluster.leaders.end() && it->second >= 0) bm->set_leader_id(it->second);
        }
        return resp.SerializeAsString();
      }
      case rpc::ApiKey::kGetTableSchema: {
        proto::GetTableSchemaRequest r;
        r.ParseFromString(req.body);
        std::lock_guard<std::mutex> lock(mu_);
        auto it = schemas_.find(r.schema_id());
        if (it == schemas_.end()) return Status(ErrorCode::kSchemaNotExist, "no such schema");
        proto::GetTableSchemaResponse resp;
        resp.set_schema_id(it->first);
        resp.set_schema_json(SchemaToJson(it->second).dump());
        return resp.SerializeAsString();
      }
      case rpc::ApiKey::kInitWriter: {
        proto::InitWriterResponse resp;
        resp.set_writer_id(kWriterId);
        return resp.SerializeAsString();
      }
      default:
        return Status(ErrorCode::kUnsupportedVersion, "the fake server does not serve this api");
    }
  }

  const TablePath path_;
  const TableDescriptor descriptor_;
  const int32_t schema_id_;
  mutable std::mutex mu_;
  std::map<int32_t, Schema> schemas_;
  std::optional<Cluster> cluster_;
  std::map<int16_t, Handler> handlers_;
  std::vector<rpc::RpcRequest> requests_;
  std::unique_ptr<rpc::RpcServer> server_;
};

}  // namespace fluss::testing
