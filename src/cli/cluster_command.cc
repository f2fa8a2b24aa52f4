// fluss cluster status: the servers (the active coordinator marked), and per bucket of every table
// its leader, replicas and in-sync replicas; under-replicated (ISR smaller than the replicas) and
// offline (no leader) buckets are counted, and make the exit code kExitDegraded.
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"

namespace fluss::cli {

namespace {

std::string Ids(const std::vector<int32_t>& ids) { return ids.empty() ? "-" : fmt::format("{}", fmt::join(ids, ",")); }

}  // namespace

int RunClusterStatus(const GlobalOptions& g, const ClusterStatusArgs& a) {
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto status = (*conn)->GetAdmin().DescribeCluster();
  if (!status.ok()) return Fail(status.status());

  std::vector<std::vector<std::string>> servers;
  if (status->coordinator) {
    const auto& c = *status->coordinator;
    servers.push_back({std::to_string(c.id), fmt::format("{}:{}", c.host, c.port), "coordinator (active)"});
  }
  for (const auto& n : status->tablet_servers) {
    servers.push_back({std::to_string(n.id), fmt::format("{}:{}", n.host, n.port), "tablet"});
  }
  std::string out = RenderTable({"id", "address", "role"}, servers, {true, false, false});

  int buckets = 0;
  int under_replicated = 0;
  int offline = 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : status->tables) {
    if (!a.table.empty() && t.path.ToString() != a.table) continue;
    for (const auto& b : t.buckets) {
      ++buckets;
      std::string state = "ok";
      if (b.leader < 0) {
        ++offline;
        state = "OFFLINE";
      } else if (!b.isr.empty() && b.isr.size() < b.replicas.size()) {
        ++under_replicated;
        state = "UNDER-REPLICATED";
      }
      rows.push_back({t.path.ToString(), std::to_string(b.bucket), b.leader < 0 ? "-" : std::to_string(b.leader),
                      b.leader_epoch < 0 ? "-" : std::to_string(b.leader_epoch), Ids(b.replicas), Ids(b.isr),
                      state});
    }
  }
  if (!a.table.empty() && buckets == 0) return Fail(fmt::format("table '{}' does not exist", a.table));
  out += "\n";
  out += RenderTable({"table", "bucket", "leader", "epoch", "replicas", "isr", "state"}, rows,
                     {false, true, true, true, false, false, false});
  out += fmt::format("\n{} tablet server(s), coordinator {}, {} bucket(s): {} under-replicated, {} offline\n",
                     status->tablet_servers.size(), status->coordinator ? std::to_string(status->coordinator->id) : "none",
                     buckets, under_replicated, offline);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!status->coordinator || under_replicated > 0 || offline > 0) {
    Fail(fmt::format("cluster degraded: {} under-replicated bucket(s), {} offline bucket(s){}", under_replicated,
                     offline, status->coordinator ? "" : ", no active coordinator"));
    return kExitDegraded;
  }
  return kExitOk;
}

}  // namespace fluss::cli
