#include "server/cluster/cluster_common.h"

#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/metadata_service.h"
#include "server/server_config.h"

namespace fluss::cluster {

TableBucket TableBucketOf(const proto::PbTableBucket& tb) {
  return TableBucket(tb.table_id(), tb.has_partition_id() ? std::optional<int64_t>(tb.partition_id()) : std::nullopt,
                     tb.bucket_id());
}

std::optional<std::pair<std::string, uint16_t>> ListenerAddress(const std::string& listeners) {
  auto parsed = ParseListeners(listeners);
  if (!parsed.ok() || parsed->empty()) return std::nullopt;
  return std::pair(parsed->front().host, parsed->front().port);
}

namespace {

void FillNode(proto::PbServerNode* node, int32_t id, const std::string& listeners, const std::string& rack) {
  auto addr = ListenerAddress(listeners);
  node->set_node_id(id);
  node->set_host(addr ? addr->first : "");
  node->set_port(addr ? addr->second : 0);
  node->set_listeners(listeners);
  if (!rack.empty()) node->set_rack(rack);
}

}  // namespace

Result<proto::MetadataResponse> ClusterMetadata(const ZkMetadataStore& store, const proto::MetadataRequest& req) {
  proto::MetadataResponse resp;
  FLUSS_ASSIGN_OR_RETURN(auto coordinator, store.ActiveCoordinator());
  if (coordinator) FillNode(resp.mutable_coordinator_server(), coordinator->id, coordinator->listeners, "");
  if (req.include_coordinators()) {
    FLUSS_ASSIGN_OR_RETURN(auto registered, store.RegisteredCoordinators());
    bool active_listed = false;
    for (const auto& c : registered) {
      FillNode(resp.add_registered_coordinators(), c.id, c.listeners, "");
      if (coordinator && c.id == coordinator->id) active_listed = true;
    }
    // The active one registered before coordinators registered under /coordinators/ids.
    if (coordinator && !active_listed) {
      FillNode(resp.add_registered_coordinators(), coordinator->id, coordinator->listeners, "");
    }
  }
  for (const auto& s : store.LiveTabletServers()) FillNode(resp.add_tablet_servers(), s.id, s.listeners, s.rack);
  for (const auto& p : req.table_path()) {
    FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(p.database_name(), p.table_name()));
    FLUSS_ASSIGN_OR_RETURN(auto table, store.GetTable(path));
    FLUSS_ASSIGN_OR_RETURN(auto assignment, store.GetAssignment(table.table_id));
    auto* tm = AddTableMetadata(resp, p, table);
    for (const auto& a : assignment) {
      auto* bm = tm->add_bucket_metadata();
      bm->set_bucket_id(a.bucket_id);
      for (int32_t r : a.replicas) bm->add_replica_id(r);
      auto lai = store.GetLeaderAndIsr(table.table_id, a.bucket_id);
      if (lai.ok()) {
        if (lai->first.leader >= 0) bm->set_leader_id(lai->first.leader);
        bm->set_leader_epoch(lai->first.leader_epoch);
        for (int32_t r : lai->first.isr) bm->add_isr_id(r);
      } else if (lai.status().code() != ErrorCode::kUnknownTableOrBucket) {
        return lai.status();
      }
    }
  }
  FLUSS_RETURN_NOT_OK(AddRequestedPartitions(resp, store, req));
  // The partitions' bucket leaders, from their leader-and-ISR records.
  for (auto& pm : *resp.mutable_partition_metadata()) {
    for (auto& bm : *pm.mutable_bucket_metadata()) {
      auto lai = store.GetLeaderAndIsr(TableBucket(pm.table_id(), pm.partition_id(), bm.bucket_id()));
      bm.clear_leader_id();
      bm.clear_leader_epoch();
      bm.clear_isr_id();
      if (lai.ok()) {
        if (lai->first.leader >= 0) bm.set_leader_id(lai->first.leader);
        bm.set_leader_epoch(lai->first.leader_epoch);
        for (int32_t r : lai->first.isr) bm.add_isr_id(r);
      } else if (lai.status().code() != ErrorCode::kUnknownTableOrBucket) {
        return lai.status();
      }
    }
  }
  return resp;
}

Result<std::shared_ptr<rpc::RpcClient>> CoordinatorChannel::Connected() {
  std::lock_guard lock(mu_);
  if (client_ && client_->is_open()) return client_;
  client_.reset();
  FLUSS_ASSIGN_OR_RETURN(auto active, store_->ActiveCoordinator());
  if (!active) return Status(ErrorCode::kNetworkException, "there is no active coordinator");
  auto addr = ListenerAddress(active->listeners);
  if (!addr) {
    return Status(ErrorCode::kNetworkException,
                  fmt::format("the active coordinator {} has no usable listener '{}'", active->id, active->listeners));
  }
  rpc::RpcClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  FLUSS_ASSIGN_OR_RETURN(client_, rpc::RpcClient::Connect(addr->first, addr->second, options));
  return client_;
}

Result<std::string> CoordinatorChannel::Call(int16_t api_key, std::string body, int attempts,
                                             std::chrono::milliseconds backoff, std::chrono::milliseconds timeout) {
  Status last = Status(ErrorCode::kNetworkException, "no attempt made");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(backoff);
    auto client = Connected();
    if (!client.ok()) {
      last = client.status();
      continue;
    }
    auto result = (*client)->CallSync(api_key, 0, body, timeout);
    if (result.ok()) return result;
    last = result.status();
    const ErrorCode code = last.code();
    if (code != ErrorCode::kNetworkException && code != ErrorCode::kRequestTimeOut &&
        code != ErrorCode::kInvalidCoordinator) {
      return last;  // the coordinator's answer
    }
    std::lock_guard lock(mu_);
    if (client_ == *client) client_.reset();
  }
  return last.WithContext(fmt::format("calling the active coordinator ({} attempts)", attempts));
}

}  // namespace fluss::cluster
