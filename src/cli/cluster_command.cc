// fluss cluster status: the servers — every registered coordinator with its role (active or
// standby), the registered tablet servers — each probed and shown SUSPECT when it does not answer
// (a crashed server stays registered until its ZooKeeper session expires); and per bucket of every
// table (of every partition of a partitioned table) its leader, replicas and in-sync replicas. Under-replicated (ISR smaller than the replicas),
// offline (no leader) and at-risk (the leader is suspect) buckets are counted; any of them, a
// suspect server or no active coordinator makes the exit code kExitDegraded.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "fluss_api.pb.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"

namespace fluss::cli {

namespace {

std::string Ids(const std::vector<int32_t>& ids) { return ids.empty() ? "-" : fmt::format("{}", fmt::join(ids, ",")); }

std::string Address(const ServerNode& n) { return fmt::format("{}:{}", n.host, n.port); }

// One partition's buckets as GET_METADATA tells them.
struct PartitionBuckets {
  std::string name;  // "dt=2026-12-07"
  std::vector<BucketReplicas> buckets;
};

// The buckets of every partition of a partitioned table: GET_METADATA by partition id to the
// bootstrap server (the client's DescribeCluster lists tables' buckets only). Empty for a table
// without partitions.
Result<std::vector<PartitionBuckets>> PartitionBucketsOf(const GlobalOptions& g, Admin& admin, const TablePath& path) {
  auto partitions = admin.ListPartitionInfos(path);
  if (!partitions.ok()) {
    if (partitions.status().code() == ErrorCode::kTableNotPartitioned) return std::vector<PartitionBuckets>{};
    return partitions.status();
  }
  if (partitions->empty()) return std::vector<PartitionBuckets>{};
  proto::MetadataRequest req;
  std::map<int64_t, std::string> names;
  for (const auto& p : *partitions) {
    req.add_partitions_id(p.partition_id);
    names[p.partition_id] = p.QualifiedName();
  }
  // Any server answers GET_METADATA: the first bootstrap server that does.
  Result<std::string> body = Status(ErrorCode::kNetworkException, "no bootstrap server");
  size_t from = 0;
  while (from <= g.bootstrap_server.size()) {
    size_t comma = g.bootstrap_server.find(',', from);
    if (comma == std::string::npos) comma = g.bootstrap_server.size();
    const std::string server = g.bootstrap_server.substr(from, comma - from);
    from = comma + 1;
    const size_t colon = server.rfind(':');
    uint16_t port = 0;
    if (colon == std::string::npos ||
        std::from_chars(server.data() + colon + 1, server.data() + server.size(), port).ec != std::errc()) {
      body = Status::InvalidArgument(fmt::format("bootstrap server '{}' has no port", server));
      continue;
    }
    rpc::RpcClientOptions options;
    options.connect_timeout = g.connect_timeout;
    auto client = rpc::RpcClient::Connect(server.substr(0, colon), port, options);
    if (!client.ok()) {
      body = client.status();
      continue;
    }
    body = (*client)->CallSync(static_cast<int16_t>(rpc::ApiKey::kGetMetadata), 0, req.SerializeAsString(),
                               g.request_timeout);
    if (body.ok()) break;
  }
  if (!body.ok()) return body.status().WithContext("asking for the partitions' buckets");
  proto::MetadataResponse resp;
  if (!resp.ParseFromString(*body)) return Status(ErrorCode::kCorruptMessage, "cannot parse the MetadataResponse");
  std::vector<PartitionBuckets> out;
  for (const auto& pm : resp.partition_metadata()) {
    PartitionBuckets p;
    p.name = names.count(pm.partition_id()) ? names[pm.partition_id()] : pm.partition_name();
    for (const auto& bm : pm.bucket_metadata()) {
      BucketReplicas b;
      b.bucket = bm.bucket_id();
      b.leader = bm.has_leader_id() ? bm.leader_id() : -1;
      b.leader_epoch = bm.has_leader_epoch() ? bm.leader_epoch() : -1;
      b.replicas.assign(bm.replica_id().begin(), bm.replica_id().end());
      b.isr.assign(bm.isr_id().begin(), bm.isr_id().end());
      p.buckets.push_back(std::move(b));
    }
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  return out;
}

}  // namespace

int RunClusterStatus(const GlobalOptions& g, const ClusterStatusArgs& a) {
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  Admin admin = (*conn)->GetAdmin();
  auto status = admin.DescribeCluster(/*probe_servers=*/true);
  if (!status.ok()) return Fail(status.status());

  // Coordinators: every registered one; a server that lists none (standalone) names the active one.
  std::vector<ServerNode> coordinators = status->coordinators;
  if (status->coordinator) {
    bool listed = false;
    for (const auto& c : coordinators) listed = listed || c.id == status->coordinator->id;
    if (!listed) coordinators.insert(coordinators.begin(), *status->coordinator);
  }
  std::vector<int32_t> standbys;
  std::vector<int32_t> suspects;
  std::vector<std::vector<std::string>> servers;
  auto state_of = [&](const ServerNode& n) {
    if (status->Reachable(n)) return std::string("ok");
    suspects.push_back(n.id);
    return std::string("SUSPECT");
  };
  for (const auto& c : coordinators) {
    const bool active = status->coordinator && status->coordinator->id == c.id;
    if (!active) standbys.push_back(c.id);
    servers.push_back({std::to_string(c.id), Address(c), active ? "coordinator (active)" : "coordinator (standby)",
                       state_of(c)});
  }
  std::set<int32_t> suspect_tablets;
  for (const auto& n : status->tablet_servers) {
    servers.push_back({std::to_string(n.id), Address(n), "tablet", state_of(n)});
    if (!status->Reachable(n)) suspect_tablets.insert(n.id);
  }
  std::string out = RenderTable({"id", "address", "role", "state"}, servers, {true, false, false, false});

  int buckets = 0;
  int under_replicated = 0;
  int offline = 0;
  int at_risk = 0;
  std::vector<std::vector<std::string>> rows;
  // (table column, bucket) of every table's buckets, and of every partition's of a partitioned one.
  std::vector<std::pair<std::string, BucketReplicas>> all;
  bool table_found = false;
  for (const auto& t : status->tables) {
    if (!a.table.empty() && t.path.ToString() != a.table) continue;
    table_found = true;
    for (const auto& b : t.buckets) all.emplace_back(t.path.ToString(), b);
    if (!t.buckets.empty()) continue;
    auto partitions = PartitionBucketsOf(g, admin, t.path);
    if (!partitions.ok()) return Fail(partitions.status());
    for (const auto& p : *partitions) {
      for (const auto& b : p.buckets) all.emplace_back(fmt::format("{} {}", t.path.ToString(), p.name), b);
    }
  }
  {
    for (const auto& [table, b] : all) {
      ++buckets;
      std::string state = "ok";
      if (b.leader < 0) {
        ++offline;
        state = "OFFLINE";
      } else if (suspect_tablets.count(b.leader) != 0) {
        ++at_risk;
        state = "AT-RISK";  // its leader does not answer: writes and reads stall until a new one is elected
      } else if (!b.isr.empty() && b.isr.size() < b.replicas.size()) {
        ++under_replicated;
        state = "UNDER-REPLICATED";
      }
      rows.push_back({table, std::to_string(b.bucket), b.leader < 0 ? "-" : std::to_string(b.leader),
                      b.leader_epoch < 0 ? "-" : std::to_string(b.leader_epoch), Ids(b.replicas), Ids(b.isr),
                      state});
    }
  }
  if (!a.table.empty() && !table_found) return Fail(fmt::format("table '{}' does not exist", a.table));
  out += "\n";
  out += RenderTable({"table", "bucket", "leader", "epoch", "replicas", "isr", "state"}, rows,
                     {false, true, true, true, false, false, false});
  out += fmt::format(
      "\n{} tablet server(s), coordinator {}, {} bucket(s): {} under-replicated, {} offline, {} at risk; "
      "standby coordinator(s): {}; suspect server(s): {}\n",
      status->tablet_servers.size(), status->coordinator ? std::to_string(status->coordinator->id) : "none", buckets,
      under_replicated, offline, at_risk, standbys.empty() ? "none" : Ids(standbys),
      suspects.empty() ? "none" : Ids(suspects));
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!status->coordinator || under_replicated > 0 || offline > 0 || at_risk > 0 || !suspects.empty()) {
    std::string why = fmt::format("{} under-replicated bucket(s), {} offline bucket(s), {} bucket(s) at risk",
                                  under_replicated, offline, at_risk);
    if (!suspects.empty()) why += fmt::format(", suspect server(s) {}", Ids(suspects));
    if (!status->coordinator) why += ", no active coordinator";
    Fail(fmt::format("cluster degraded: {}", why));
    return kExitDegraded;
  }
  return kExitOk;
}

}  // namespace fluss::cli
