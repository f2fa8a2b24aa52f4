#include "support/local_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "zk/zk_server.h"

namespace fluss::testing {

namespace {

std::string LogTail(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

}  // namespace

std::string LocalCluster::Unavailable() {
  std::string why;
  if (zk_testing::ZkServer::Get().Available(&why)) return "";
  return why;
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options) {
  const std::string why = Unavailable();
  if (!why.empty()) return Status::IOError("no ZooKeeper for the cluster: " + why);
  static std::atomic<int> counter{0};
  if (options.zookeeper_root.empty()) {
    options.zookeeper_root = fmt::format("/fluss-test-{}-{}", ::getpid(), ++counter);
  }
  std::unique_ptr<LocalCluster> c(new LocalCluster(std::move(options)));
  c->zookeeper_address_ = zk_testing::ZkServer::Get().address();
  for (int i = 0; i < c->options_.coordinators; ++i) {
    auto p = ServerProcess::Start(c->CoordinatorOptions(kFirstCoordinatorId + i));
    if (!p.ok()) return p.status().WithContext(fmt::format("starting coordinator {}", kFirstCoordinatorId + i));
    c->coordinators_.push_back(std::move(p).value());
  }
  for (int i = 0; i < c->options_.tablet_servers; ++i) {
    FLUSS_RETURN_NOT_OK(c->AddTablet().status());
  }
  return c;
}

LocalCluster::~LocalCluster() {
  for (auto* group : {&tablets_, &coordinators_}) {
    for (auto& p : *group) {
      p->Signal(SIGCONT);
      (void)p->Kill();
    }
  }
}

ServerProcessOptions LocalCluster::CoordinatorOptions(int32_t id) const {
  ServerProcessOptions o;
  o.args = {"--role", "coordinator"};
  o.log_level = options_.log_level;
  o.sets = {"zookeeper.address=" + zookeeper_address_, "zookeeper.path.root=" + options_.zookeeper_root,
            fmt::format("tablet-server.id={}", id)};
  o.sets.insert(o.sets.end(), options_.sets.begin(), options_.sets.end());
  o.sets.insert(o.sets.end(), options_.coordinator_sets.begin(), options_.coordinator_sets.end());
  return o;
}

ServerProcessOptions LocalCluster::TabletOptions(int32_t id) const {
  ServerProcessOptions o;
  o.args = {"--role", "tablet"};
  o.log_level = options_.log_level;
  o.sets = {"zookeeper.address=" + zookeeper_address_, "zookeeper.path.root=" + options_.zookeeper_root,
            fmt::format("tablet-server.id={}", id)};
  o.sets.insert(o.sets.end(), options_.sets.begin(), options_.sets.end());
  o.sets.insert(o.sets.end(), options_.tablet_sets.begin(), options_.tablet_sets.end());
  return o;
}

Result<ServerProcess*> LocalCluster::AddTablet() {
  const int32_t id = kFirstTabletId + static_cast<int32_t>(tablets_.size());
  auto p = ServerProcess::Start(TabletOptions(id));
  if (!p.ok()) return p.status().WithContext(fmt::format("starting tablet server {}", id));
  tablets_.push_back(std::move(p).value());
  return tablets_.back().get();
}

ServerProcess* LocalCluster::ById(int32_t id) {
  const int c = id - kFirstCoordinatorId;
  if (c >= 0 && c < num_coordinators()) return coordinators_[c].get();
  const int t = id - kFirstTabletId;
  if (t >= 0 && t < num_tablets()) return tablets_[t].get();
  return nullptr;
}

std::string LocalCluster::bootstrap() const {
  std::string out;
  for (const auto* group : {&coordinators_, &tablets_}) {
    for (const auto& p : *group) {
      if (!out.empty()) out += ",";
      out += p->address();
    }
  }
  return out;
}

std::string LocalCluster::Logs() const {
  std::string out;
  int i = 0;
  for (const auto& p : coordinators_) {
    out += fmt::format("---- coordinator {} ----\n{}\n", kFirstCoordinatorId + i++, LogTail(p->ReadLog(), 6000));
  }
  i = 0;
  for (const auto& p : tablets_) {
    out += fmt::format("---- tablet server {} ----\n{}\n", kFirstTabletId + i++, LogTail(p->ReadLog(), 6000));
  }
  return out;
}

}  // namespace fluss::testing
