// Cluster mode against a real ZooKeeper (zk_server.h): in-process coordinators
// (cluster::CoordinatorServer) and tablet servers (cluster::ClusterTabletServer) on free 127.0.0.1
// ports, driven over RPC. The coordinator's decisions are checked through the leader-and-ISR znodes
// and what each tablet server was told (NOTIFY_LEADER_AND_ISR).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "fluss_api.pb.h"
#include "format/log_record_batch.h"
#include "common/time_zone.h"
#include "metadata/zk_client.h"
#include "metadata/zk_metadata_store.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "server/cluster/coordinator_server.h"
#include "server/cluster/tablet_cluster.h"
#include "types/schema_parser.h"
#include "types/table_descriptor.h"
#include "zk_server.h"
#include "support/status_macros.h"

namespace fluss::cluster {
namespace {

using zk_testing::ZkServer;
namespace fs = std::filesystem;

// Polls `done` with a generous deadline (a loaded machine is slow, not wrong).
template <typename Pred>
bool Eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

Result<std::string> Call(uint16_t port, rpc::ApiKey key, const google::protobuf::Message& msg) {
  FLUSS_ASSIGN_OR_RETURN(auto client, rpc::RpcClient::Connect("127.0.0.1", port));
  return client->CallSync(static_cast<int16_t>(key), 0, msg.SerializeAsString(), std::chrono::seconds(15));
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!ZkServer::Get().Available(&why)) GTEST_SKIP() << why;
    static std::atomic<int> counter{0};
    chroot_ = fmt::format("/cluster-{}-{}", ::getpid(), ++counter);
    dir_ = fs::temp_directory_path() / fmt::format("fluss-cluster-test-{}-{}", ::getpid(), counter.load());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    tablets_.clear();
    coordinators_.clear();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  ServerConfig Config(ServerRole role, int32_t id, const std::string& chroot = "") {
    ServerConfig c;
    c.role = role;
    c.server_id = id;
    c.zookeeper_address = ZkServer::Get().address() + (chroot.empty() ? chroot_ : chroot);
    c.zookeeper_session_timeout_ms = 4000;
    c.bind.host = "127.0.0.1";
    c.bind.port = 0;
    c.advertised_host = "127.0.0.1";
    c.advertised_port = 0;
    c.data_dir = (dir_ / fmt::format("ts-{}", id)).string();
    c.network_threads = 1;
    c.worker_threads = 2;
    return c;
  }

  CoordinatorServer* StartCoordinator(int32_t id) { return StartCoordinator(Config(ServerRole::kCoordinator, id)); }
  CoordinatorServer* StartCoordinator(ServerConfig config) {
    const int32_t id = config.server_id;
    auto c = CoordinatorServer::Start(std::move(config));
    EXPECT_OK(c);
    if (!c.ok()) return nullptr;
    coordinators_[id] = std::move(c).value();
    return coordinators_[id].get();
  }
  Result<ClusterTabletServer*> StartTablet(int32_t id) {
    FLUSS_ASSIGN_OR_RETURN(auto t, ClusterTabletServer::Start(Config(ServerRole::kTablet, id)));
    tablets_[id] = std::move(t);
    return tablets_[id].get();
  }
  // One coordinator (active) and `n` tablet servers 1..n the coordinator sees live.
  CoordinatorServer* StartCluster(int n) { return StartCluster(n, Config(ServerRole::kCoordinator, 100)); }
  CoordinatorServer* StartCluster(int n, ServerConfig coordinator) {
    CoordinatorServer* c = StartCoordinator(std::move(coordinator));
    if (!c) return nullptr;
    EXPECT_TRUE(Eventually([&] { return c->active(); }));
    for (int id = 1; id <= n; ++id) {
      auto t = StartTablet(id);
      EXPECT_OK(t);
    }
    EXPECT_TRUE(Eventually([&] { return c->store().LiveTabletServers().size() == static_cast<size_t>(n); }));
    return c;
  }

  static Status CreateDatabase(uint16_t port, const std::string& db) {
    proto::CreateDatabaseRequest req;
    req.set_database_name(db);
    req.set_ignore_if_exists(true);
    return Call(port, rpc::ApiKey::kCreateDatabase, req).status();
  }
  static Status CreateTable(uint16_t port, const std::string& table, int buckets,
                            std::optional<int> replication_factor) {
    proto::CreateTableRequest req;
    req.mutable_table_path()->set_database_name("db");
    req.mutable_table_path()->set_table_name(table);
    TableDescriptor d(*ParseSchema("id INT NOT NULL, v STRING"));
    d.DistributedBy(buckets);
    if (replication_factor) d.Property("table.replication.factor", std::to_string(*replication_factor));
    req.set_table_json(TableDescriptorToJson(d).dump());
    req.set_ignore_if_exists(false);
    return Call(port, rpc::ApiKey::kCreateTable, req).status();
  }
  static Status DropTable(uint16_t port, const std::string& table) {
    proto::DropTableRequest req;
    req.mutable_table_path()->set_database_name("db");
    req.mutable_table_path()->set_table_name(table);
    req.set_ignore_if_not_exists(false);
    return Call(port, rpc::ApiKey::kDropTable, req).status();
  }

  // The leader and ISR znodes of every bucket of db.<table>, with the assignment.
  struct BucketView {
    std::vector<int32_t> replicas;
    LeaderAndIsr lai;
  };
  std::map<int32_t, BucketView> Buckets(ZkMetadataStore& store, const std::string& table) {
    std::map<int32_t, BucketView> out;
    auto t = store.GetTable(*TablePath::Make("db", table));
    EXPECT_OK(t);
    if (!t.ok()) return out;
    auto assignment = store.GetAssignment(t->table_id);
    for (const auto& a : *assignment) {
      auto lai = store.GetLeaderAndIsr(t->table_id, a.bucket_id);
      EXPECT_OK(lai);
      out[a.bucket_id] = {a.replicas, lai.ok() ? lai->first : LeaderAndIsr{}};
    }
    return out;
  }
  int64_t TableId(ZkMetadataStore& store, const std::string& table) {
    auto t = store.GetTable(*TablePath::Make("db", table));
    return t.ok() ? t->table_id : -1;
  }
  // True when tablet server `id` was told the current record of every bucket of `table` it replicates.
  bool ToldCurrentState(ZkMetadataStore& store, int32_t id, const std::string& table) {
    const int64_t table_id = TableId(store, table);
    auto told = tablets_.at(id)->member().notified();
    for (const auto& [bucket, view] : Buckets(store, table)) {
      if (std::find(view.replicas.begin(), view.replicas.end(), id) == view.replicas.end()) continue;
      auto it = told.find({table_id, bucket});
      if (it == told.end()) return false;
      const auto& e = it->second;
      // ISR and bucket epoch are compared only while no ISR change came from a leader: an ADJUST_ISR
      // (a follower caught up) is answered to the leader and not pushed to the replicas.
      const bool isr_adjusted = view.lai.leader_epoch == e.leader_epoch() && view.lai.bucket_epoch > e.bucket_epoch();
      if (e.leader() != view.lai.leader || e.leader_epoch() != view.lai.leader_epoch ||
          (!isr_adjusted && (e.bucket_epoch() != view.lai.bucket_epoch ||
                           std::vector<int32_t>(e.isr().begin(), e.isr().end()) != view.lai.isr)) ||
          std::vector<int32_t>(e.replicas().begin(), e.replicas().end()) != view.replicas) {
        return false;
      }
    }
    return true;
  }

  std::string chroot_;
  fs::path dir_;
  std::map<int32_t, std::unique_ptr<ClusterTabletServer>> tablets_;
  std::map<int32_t, std::unique_ptr<CoordinatorServer>> coordinators_;
};

TEST(AssignReplicasTest, SpreadsReplicasAndLeadersEvenly) {
  const std::vector<int32_t> servers = {1, 2, 3};
  for (int start = 0; start < 3; ++start) {
    for (int shift = 0; shift < 3; ++shift) {
      auto a = AssignReplicas(servers, 6, 2, start, shift);
      ASSERT_EQ(a.size(), 6u);
      std::map<int32_t, int> leaders, replicas;
      for (const auto& b : a) {
        ASSERT_EQ(b.replicas.size(), 2u);
        EXPECT_NE(b.replicas[0], b.replicas[1]) << "bucket " << b.bucket_id;
        ++leaders[b.replicas[0]];
        for (int32_t r : b.replicas) ++replicas[r];
      }
      for (int32_t s : servers) {
        EXPECT_EQ(leaders[s], 2) << "server " << s << " start " << start << " shift " << shift;
        EXPECT_EQ(replicas[s], 4) << "server " << s << " start " << start << " shift " << shift;
      }
    }
  }
  auto full = AssignReplicas(servers, 3, 3, 1, 2);
  for (const auto& b : full) EXPECT_EQ(std::set<int32_t>(b.replicas.begin(), b.replicas.end()).size(), 3u);
}

// The keys a cluster role advertises in ApiVersions (exactly once each) and its server_type.
std::pair<std::set<int32_t>, int32_t> AdvertisedApis(uint16_t port) {
  proto::ApiVersionsRequest req;
  req.set_client_software_name("cluster-test");
  req.set_client_software_version("0");
  auto body = Call(port, rpc::ApiKey::kApiVersions, req);
  EXPECT_OK(body);
  proto::ApiVersionsResponse resp;
  if (body.ok()) {
    EXPECT_TRUE(resp.ParseFromString(*body));
  }
  std::set<int32_t> keys;
  for (const auto& v : resp.api_versions()) EXPECT_TRUE(keys.insert(v.api_key()).second) << v.api_key();
  return {keys, resp.has_server_type() ? resp.server_type() : -1};
}

TEST_F(ClusterTest, EachRoleAdvertisesAndServesExactlyItsApis) {
  CoordinatorServer* c = StartCluster(1);
  ASSERT_NE(c, nullptr);
  // Written out here: the metadata reads every role answers, the DDL, the coordinator's control APIs
  // and the tablet server's data and replica APIs.
  const std::set<int32_t> reads = {1000, 1003, 1004, 1035, 1007, 1008, 1009, 1010, 1011, 1012, 1026};
  const std::set<int32_t> ddl = {1001, 1002, 1005, 1006, 1036, 1037};
  const std::set<int32_t> control = {1020, 1043};
  const std::set<int32_t> data = {1014, 1015, 1021, 1016, 1017, 1034, 1061, 1018, 1019};
  auto with = [](std::set<int32_t> a, const std::set<int32_t>& b) {
    a.insert(b.begin(), b.end());
    return a;
  };
  // Any key with a served range that `served` lacks is UNSUPPORTED_VERSION naming who serves it.
  auto expect_refused = [](uint16_t port, const std::set<int32_t>& served, const std::string& who) {
    for (const auto& api : rpc::kServedApis) {
      if (served.count(static_cast<int32_t>(api.key)) != 0) continue;
      auto client = rpc::RpcClient::Connect("127.0.0.1", port);
      ASSERT_OK(client);
      auto r = (*client)->CallSync(static_cast<int16_t>(api.key), api.max_version, "", std::chrono::seconds(15));
      ASSERT_FALSE(r.ok()) << api.name;
      EXPECT_EQ(r.status().code(), ErrorCode::kUnsupportedVersion) << api.name << ": " << r.status().ToString();
      EXPECT_NE(r.status().message().find(who), std::string::npos) << r.status().ToString();
    }
  };

  const auto [coordinator_keys, coordinator_type] = AdvertisedApis(c->port());
  EXPECT_EQ(coordinator_type, rpc::kServerTypeCoordinator);
  EXPECT_EQ(coordinator_keys, with(with(reads, ddl), control));
  expect_refused(c->port(), coordinator_keys, "served by tablet servers");

  const uint16_t tablet = tablets_.at(1)->port();
  const auto [tablet_keys, tablet_type] = AdvertisedApis(tablet);
  EXPECT_EQ(tablet_type, rpc::kServerTypeTabletServer);
  EXPECT_EQ(tablet_keys, with(with(reads, ddl), data));
  expect_refused(tablet, tablet_keys, "served by the coordinator");
  // The tablet server's DDL reaches the active coordinator.
  ASSERT_OK(CreateDatabase(tablet, "db"));
  EXPECT_TRUE(c->store().DatabaseExists("db"));
}

TEST_F(ClusterTest, CreateTableSpreadsReplicasStoresThemAndTellsTheReplicas) {
  CoordinatorServer* c = StartCluster(3);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 6, 2));
  auto buckets = Buckets(c->store(), "t");
  ASSERT_EQ(buckets.size(), 6u);
  std::map<int32_t, int> leaders, replicas;
  for (const auto& [b, v] : buckets) {
    ASSERT_EQ(v.replicas.size(), 2u);
    EXPECT_NE(v.replicas[0], v.replicas[1]);
    EXPECT_EQ(v.lai.leader, v.replicas[0]) << "bucket " << b;
    EXPECT_EQ(v.lai.isr, v.replicas) << "bucket " << b;
    EXPECT_EQ(v.lai.leader_epoch, 0);
    EXPECT_EQ(v.lai.bucket_epoch, 0);
    EXPECT_EQ(v.lai.coordinator_epoch, c->controller().epoch().value());
    ++leaders[v.lai.leader];
    for (int32_t r : v.replicas) ++replicas[r];
  }
  for (int32_t s : {1, 2, 3}) {
    EXPECT_EQ(leaders[s], 2) << "server " << s;
    EXPECT_EQ(replicas[s], 4) << "server " << s;
  }
  for (int32_t s : {1, 2, 3}) EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), s, "t"); })) << s;

  // DDL through a tablet server is forwarded to the coordinator; metadata from any server.
  ASSERT_OK(CreateTable(tablets_[2]->port(), "via_tablet", 3, 3));
  EXPECT_EQ(Buckets(c->store(), "via_tablet").size(), 3u);
  proto::MetadataRequest mreq;
  mreq.add_table_path()->set_database_name("db");
  mreq.mutable_table_path(0)->set_table_name("t");
  for (uint16_t port : {c->port(), tablets_[3]->port()}) {
    auto body = Call(port, rpc::ApiKey::kGetMetadata, mreq);
    ASSERT_OK(body);
    proto::MetadataResponse resp;
    ASSERT_TRUE(resp.ParseFromString(*body));
    EXPECT_EQ(resp.coordinator_server().node_id(), 100);
    EXPECT_EQ(resp.coordinator_server().port(), c->port());
    EXPECT_EQ(resp.tablet_servers_size(), 3);
    ASSERT_EQ(resp.table_metadata_size(), 1);
    ASSERT_EQ(resp.table_metadata(0).bucket_metadata_size(), 6);
    for (const auto& bm : resp.table_metadata(0).bucket_metadata()) {
      const auto& v = buckets[bm.bucket_id()];
      EXPECT_EQ(bm.leader_id(), v.lai.leader);
      EXPECT_EQ(std::vector<int32_t>(bm.isr_id().begin(), bm.isr_id().end()), v.lai.isr);
      EXPECT_EQ(std::vector<int32_t>(bm.replica_id().begin(), bm.replica_id().end()), v.replicas);
    }
  }

  // Drop: every replica is told to stop (and delete) its buckets.
  const int64_t id = TableId(c->store(), "t");
  ASSERT_OK(DropTable(c->port(), "t"));
  for (int32_t s : {1, 2, 3}) {
    EXPECT_TRUE(Eventually([&] {
      int n = 0;
      for (const auto& b : tablets_[s]->member().stopped()) n += b.table_id == id;
      return n == 4;
    })) << s;
  }
}

TEST_F(ClusterTest, ReplicationFactorAboveLiveServersIsRefusedAndCreatesNothing) {
  CoordinatorServer* c = StartCluster(2);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  Status st = CreateTable(c->port(), "t", 3, 3);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidReplicationFactor) << st.ToString();
  EXPECT_NE(st.message().find("replication factor 3 is larger than the 2 live tablet servers"), std::string::npos)
      << st.message();
  EXPECT_FALSE(c->store().TableExists(*TablePath::Make("db", "t")));
  EXPECT_TRUE(c->store().ListAllTables().empty());
  EXPECT_OK(CreateTable(c->port(), "t", 3, 2));
}

TEST_F(ClusterTest, DeadTabletServerLosesLeadershipToAnIsrMember) {
  CoordinatorServer* c = StartCluster(3);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 3, 3));
  auto before = Buckets(c->store(), "t");
  const int32_t victim = before[0].lai.leader;
  ASSERT_OK(tablets_[victim]->Stop(/*controlled=*/false));
  tablets_.erase(victim);
  ASSERT_TRUE(Eventually([&] {
    for (const auto& [b, v] : Buckets(c->store(), "t")) {
      if (std::find(v.lai.isr.begin(), v.lai.isr.end(), victim) != v.lai.isr.end()) return false;
    }
    return true;
  }));
  for (const auto& [b, v] : Buckets(c->store(), "t")) {
    const auto& old = before[b].lai;
    EXPECT_NE(v.lai.leader, victim);
    EXPECT_NE(std::find(old.isr.begin(), old.isr.end(), v.lai.leader), old.isr.end()) << "bucket " << b;
    if (old.leader == victim) {
      // The first replica in assignment order that is live and in the ISR.
      int32_t expected = -1;
      for (int32_t r : before[b].replicas) {
        if (r != victim) {
          expected = r;
          break;
        }
      }
      EXPECT_EQ(v.lai.leader, expected) << "bucket " << b;
      EXPECT_EQ(v.lai.leader_epoch, old.leader_epoch + 1) << "bucket " << b;
    } else {
      EXPECT_EQ(v.lai.leader, old.leader) << "bucket " << b;
      EXPECT_EQ(v.lai.leader_epoch, old.leader_epoch) << "bucket " << b;
    }
    EXPECT_EQ(v.lai.bucket_epoch, old.bucket_epoch + 1) << "bucket " << b;
    EXPECT_EQ(v.lai.isr.size(), 2u);
  }
  for (const auto& [id, t] : tablets_) {
    EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), id, "t"); })) << id;
  }
  // Back with the same data dir: registered again and told the state of its buckets (a follower now,
  // outside the ISR until its leader adds it back).
  auto back = StartTablet(victim);
  ASSERT_OK(back);
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), victim, "t"); }));
  // A second server with a live id is refused.
  auto config = Config(ServerRole::kTablet, victim);
  config.data_dir = (dir_ / "other").string();
  auto dup = ClusterTabletServer::Start(config);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("already registered"), std::string::npos) << dup.status().ToString();
}

// Preferred-leader election: a server that died and came back leads its preferred buckets (the first
// replica of their assignment) again once it is back in their ISR, by an ordinary leader change.
TEST_F(ClusterTest, LeadershipMovesBackToThePreferredReplicaOnceItIsInSyncAgain) {
  ServerConfig coordinator = Config(ServerRole::kCoordinator, 100);
  coordinator.leader_imbalance_check_interval_ms = 200;
  CoordinatorServer* c = StartCluster(3, coordinator);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 3, 3));
  auto before = Buckets(c->store(), "t");
  std::map<int32_t, int> led;
  for (const auto& [b, v] : before) {
    EXPECT_EQ(v.lai.leader, v.replicas.front()) << "bucket " << b;  // created with its preferred leader
    ++led[v.lai.leader];
  }
  EXPECT_EQ(led, (std::map<int32_t, int>{{1, 1}, {2, 1}, {3, 1}}));
  const int32_t victim = before[0].lai.leader;
  ASSERT_OK(tablets_[victim]->Stop(/*controlled=*/false));
  tablets_.erase(victim);
  ASSERT_TRUE(Eventually([&] {
    for (const auto& [b, v] : Buckets(c->store(), "t")) {
      if (v.lai.leader == victim || std::count(v.lai.isr.begin(), v.lai.isr.end(), victim) != 0) return false;
    }
    return true;
  }));
  ASSERT_OK(StartTablet(victim));
  // Back in every ISR (its leaders add it once it caught up), then its preferred bucket again.
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& [b, v] : Buckets(c->store(), "t")) {
          if (v.lai.leader != v.replicas.front() || v.lai.isr.size() != 3) return false;
        }
        return true;
      },
      std::chrono::seconds(30)))
      << "leaders: " << [&] {
           std::string out;
           for (const auto& [b, v] : Buckets(c->store(), "t")) {
             out += fmt::format(" bucket {} leader {} replicas {} isr {};", b, v.lai.leader, fmt::join(v.replicas, ","),
                                fmt::join(v.lai.isr, ","));
           }
           return out;
         }();
  for (const auto& [b, v] : Buckets(c->store(), "t")) {
    const auto& old = before[b].lai;
    // The victim's bucket changed leader twice (away at its death, back now); the others never.
    EXPECT_EQ(v.lai.leader_epoch, old.leader_epoch + (old.leader == victim ? 2 : 0)) << "bucket " << b;
  }
  for (const auto& [id, t] : tablets_) {
    EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), id, "t"); })) << id;
  }
}

TEST_F(ClusterTest, BucketGoesOfflineWithoutIsrMemberAndComesBackWithIt) {
  CoordinatorServer* c = StartCluster(2);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 1, 1));
  const int32_t owner = Buckets(c->store(), "t")[0].lai.leader;
  ASSERT_OK(tablets_[owner]->Stop(false));
  tablets_.erase(owner);
  ASSERT_TRUE(Eventually([&] { return Buckets(c->store(), "t")[0].lai.leader == -1; }));
  EXPECT_EQ(Buckets(c->store(), "t")[0].lai.isr, std::vector<int32_t>{owner});  // kept as it was
  ASSERT_OK(StartTablet(owner));
  ASSERT_TRUE(Eventually([&] { return Buckets(c->store(), "t")[0].lai.leader == owner; }));
  EXPECT_EQ(Buckets(c->store(), "t")[0].lai.leader_epoch, 2);
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), owner, "t"); }));
}

TEST_F(ClusterTest, TabletServerDeletesOnRestartTheTablesDroppedWhileItWasDown) {
  CoordinatorServer* c = StartCluster(2);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "gone", 2, 2));
  ASSERT_OK(CreateTable(c->port(), "kept", 2, 2));
  const std::string gone_dir = fmt::format("{}/db/gone-{}/log-0", Config(ServerRole::kTablet, 1).data_dir,
                                           TableId(c->store(), "gone"));
  const std::string kept_dir = fmt::format("{}/db/kept-{}/log-0", Config(ServerRole::kTablet, 1).data_dir,
                                           TableId(c->store(), "kept"));
  // Restarted once, server 1 has both tables' buckets on disk.
  tablets_.erase(1);
  ASSERT_OK(StartTablet(1));
  ASSERT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), 1, "gone"); }));
  ASSERT_TRUE(Eventually([&] { return fs::exists(gone_dir) && fs::exists(kept_dir); }));
  ASSERT_OK(tablets_[1]->Stop(false));
  tablets_.erase(1);
  ASSERT_OK(DropTable(c->port(), "gone"));
  ASSERT_OK(StartTablet(1));
  EXPECT_FALSE(fs::exists(gone_dir));
  EXPECT_TRUE(fs::exists(kept_dir));
}

TEST_F(ClusterTest, AdjustIsrIsCompareAndSetOnLeaderAndBucketEpochs) {
  CoordinatorServer* c = StartCluster(3);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 1, 3));
  const int64_t table_id = TableId(c->store(), "t");
  auto v = Buckets(c->store(), "t")[0];
  const int32_t leader = v.lai.leader;
  std::vector<int32_t> followers;
  for (int32_t r : v.replicas) {
    if (r != leader) followers.push_back(r);
  }
  auto request = [&](int32_t server, int32_t leader_epoch, int32_t bucket_epoch, std::vector<int32_t> isr) {
    proto::AdjustIsrRequest req;
    req.set_server_id(server);
    auto* b = req.add_buckets_req();
    b->mutable_table_bucket()->set_table_id(table_id);
    b->mutable_table_bucket()->set_bucket_id(0);
    b->set_leader_epoch(leader_epoch);
    b->set_bucket_epoch(bucket_epoch);
    b->set_coordinator_epoch(c->controller().epoch().value());
    for (int32_t r : isr) b->add_new_isr(r);
    return req;
  };
  // The sender the tablet servers use finds the active coordinator in ZooKeeper.
  AdjustIsrSender send = MakeZkAdjustIsrSender(tablets_[leader]->member().store());
  auto answer = [&](const proto::AdjustIsrRequest& req) {
    auto resp = send(req);
    EXPECT_OK(resp);
    EXPECT_EQ(resp->buckets_resp_size(), 1);
    return resp->buckets_resp(0);
  };
  // Not the leader / an old leader epoch: fenced, with the current record.
  auto r = answer(request(followers[0], 0, 0, {followers[0]}));
  EXPECT_EQ(r.error_code(), static_cast<int>(ErrorCode::kFencedLeaderEpoch));
  EXPECT_EQ(r.leader_id(), leader);
  r = answer(request(leader, 5, 0, {leader}));
  EXPECT_EQ(r.error_code(), static_cast<int>(ErrorCode::kFencedLeaderEpoch));
  // A stale bucket epoch.
  r = answer(request(leader, 0, 7, {leader}));
  EXPECT_EQ(r.error_code(), static_cast<int>(ErrorCode::kInvalidUpdateVersion));
  EXPECT_EQ(r.bucket_epoch(), 0);
  // An ISR without the leader, or with a non-replica, is never accepted.
  r = answer(request(leader, 0, 0, followers));
  EXPECT_NE(r.error_code(), 0);
  EXPECT_NE(r.error_message().find("does not contain its leader"), std::string::npos) << r.error_message();
  r = answer(request(leader, 0, 0, {leader, 42}));
  EXPECT_NE(r.error_code(), 0);
  EXPECT_EQ(Buckets(c->store(), "t")[0].lai, v.lai);  // nothing changed so far
  // The right epochs: accepted, stored with bucket_epoch + 1.
  r = answer(request(leader, 0, 0, {leader, followers[0]}));
  EXPECT_EQ(r.error_code(), 0) << r.error_message();
  EXPECT_EQ(r.bucket_epoch(), 1);
  EXPECT_EQ(std::vector<int32_t>(r.isr().begin(), r.isr().end()), (std::vector<int32_t>{leader, followers[0]}));
  auto stored = Buckets(c->store(), "t")[0].lai;
  EXPECT_EQ(stored.isr, (std::vector<int32_t>{leader, followers[0]}));
  EXPECT_EQ(stored.bucket_epoch, 1);
  EXPECT_EQ(stored.leader_epoch, 0);
  // Replaying the same request: its bucket epoch is stale now.
  r = answer(request(leader, 0, 0, {leader, followers[0]}));
  EXPECT_EQ(r.error_code(), static_cast<int>(ErrorCode::kInvalidUpdateVersion));
  EXPECT_EQ(r.bucket_epoch(), 1);
  // Grow back.
  r = answer(request(leader, 0, 1, v.replicas));
  EXPECT_EQ(r.error_code(), 0) << r.error_message();
  EXPECT_EQ(Buckets(c->store(), "t")[0].lai.bucket_epoch, 2);
  // A dead follower leaves the ISR and cannot be added back while it is down.
  ASSERT_OK(tablets_[followers[1]]->Stop(false));
  tablets_.erase(followers[1]);
  ASSERT_TRUE(Eventually([&] { return Buckets(c->store(), "t")[0].lai.bucket_epoch == 3; }));
  EXPECT_EQ(Buckets(c->store(), "t")[0].lai.isr, (std::vector<int32_t>{leader, followers[0]}));
  r = answer(request(leader, 0, 3, v.replicas));
  EXPECT_EQ(r.error_code(), static_cast<int>(ErrorCode::kIneligibleReplica)) << r.error_message();
  EXPECT_EQ(Buckets(c->store(), "t")[0].lai.bucket_epoch, 3);
}

TEST_F(ClusterTest, TabletServerWhoseSessionEndsLosesItsLeadershipsAndIsToldAgain) {
  CoordinatorServer* c = StartCluster(2);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 2, 2));
  auto before = Buckets(c->store(), "t");
  // Server 1's ZooKeeper session ends (a long pause); its store registers it again at once.
  ASSERT_OK(tablets_[1]->member().store()->ExpireSessionForTesting());
  ASSERT_TRUE(Eventually([&] {
    for (const auto& [b, v] : Buckets(c->store(), "t")) {
      if (before[b].lai.leader == 1 && v.lai.leader_epoch == before[b].lai.leader_epoch) return false;
    }
    return true;
  }));
  for (const auto& [b, v] : Buckets(c->store(), "t")) {
    EXPECT_EQ(v.lai.leader, 2) << "bucket " << b;
    // Server 1 left the ISR; having registered again it may already be back (the leader's ADJUST_ISR
    // once it caught up), after the leader.
    EXPECT_TRUE(v.lai.isr == std::vector<int32_t>{2} || v.lai.isr == (std::vector<int32_t>{2, 1}))
        << "bucket " << b << ": isr " << fmt::format("{}", fmt::join(v.lai.isr, ","));
  }
  EXPECT_TRUE(Eventually([&] { return c->store().LiveTabletServers().size() == 2; }));
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), 1, "t"); }));
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), 2, "t"); }));
}

TEST_F(ClusterTest, StandbyCoordinatorTakesOverAndKeepsServingDdl) {
  CoordinatorServer* first = StartCoordinator(100);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(Eventually([&] { return first->active(); }));
  CoordinatorServer* second = StartCoordinator(101);
  ASSERT_NE(second, nullptr);
  for (int id = 1; id <= 2; ++id) ASSERT_OK(StartTablet(id));
  ASSERT_TRUE(Eventually([&] { return first->store().LiveTabletServers().size() == 2; }));
  ASSERT_OK(CreateDatabase(first->port(), "db"));
  ASSERT_OK(CreateTable(first->port(), "before", 2, 2));
  // The standby refuses DDL and names the active one.
  EXPECT_FALSE(second->active());
  Status st = CreateTable(second->port(), "refused", 1, 1);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidCoordinator) << st.ToString();
  EXPECT_NE(st.message().find("ZooKeeper names coordinator 100 as the active one"), std::string::npos)
      << st.message();
  const CoordinatorEpoch old_epoch = first->controller().epoch();

  const auto stopped_at = std::chrono::steady_clock::now();
  coordinators_.erase(100);  // stops it
  ASSERT_TRUE(Eventually([&] { return second->active(); }));
  const auto took = std::chrono::steady_clock::now() - stopped_at;
  EXPECT_LT(took, std::chrono::seconds(30));  // a generous bound: no session has to expire here
  std::printf("standby serving %lld ms after the active coordinator stopped\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_GT(second->controller().epoch(), old_epoch);
  // Serves DDL; new records carry the new epoch; tablet servers hear from it (also about old tables).
  ASSERT_OK(CreateTable(second->port(), "after", 2, 2));
  for (const auto& [b, v] : Buckets(second->store(), "after")) {
    EXPECT_EQ(v.lai.coordinator_epoch, second->controller().epoch().value());
  }
  for (int32_t s : {1, 2}) {
    EXPECT_TRUE(Eventually([&] { return ToldCurrentState(second->store(), s, "after"); })) << s;
    EXPECT_TRUE(Eventually([&] { return ToldCurrentState(second->store(), s, "before"); })) << s;
  }
  // And it still handles failures: a tablet server dies, its leaderships move.
  ASSERT_OK(tablets_[1]->Stop(false));
  tablets_.erase(1);
  EXPECT_TRUE(Eventually([&] {
    for (const auto& [b, v] : Buckets(second->store(), "after")) {
      if (v.lai.leader != 2) return false;
    }
    return true;
  }));
}

TEST_F(ClusterTest, StandbyTakesOverWhenTheActiveCoordinatorsSessionEndsAndFencesIt) {
  CoordinatorServer* first = StartCoordinator(100);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(Eventually([&] { return first->active(); }));
  CoordinatorServer* second = StartCoordinator(101);
  ASSERT_NE(second, nullptr);
  ASSERT_OK(StartTablet(1));
  ASSERT_TRUE(Eventually([&] { return first->store().LiveTabletServers().size() == 1; }));
  ASSERT_OK(CreateDatabase(first->port(), "db"));
  ASSERT_OK(CreateTable(first->port(), "t", 1, 1));
  const int64_t table_id = TableId(first->store(), "t");
  // The active coordinator's session ends as if it had died (its process hung or crashed).
  const auto died_at = std::chrono::steady_clock::now();
  ASSERT_OK(first->store().ExpireSessionForTesting());
  ASSERT_TRUE(Eventually([&] { return second->active(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - died_at, std::chrono::seconds(30));  // generous
  EXPECT_TRUE(Eventually([&] { return !first->active(); }));
  // The deposed one's writes are fenced; DDL goes to the new one.
  auto current = second->store().GetLeaderAndIsr(table_id, 0);
  ASSERT_OK(current);
  auto stale = first->store().SetLeaderAndIsr(table_id, 0, current->first, current->second);
  EXPECT_EQ(stale.status().code(), ErrorCode::kInvalidCoordinator) << stale.status().ToString();
  EXPECT_EQ(CreateTable(first->port(), "refused", 1, 1).code(), ErrorCode::kInvalidCoordinator);
  ASSERT_OK(CreateTable(second->port(), "after", 1, 1));
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(second->store(), 1, "after"); }));
}

TEST_F(ClusterTest, TabletServerRefusesADataDirOfAnotherClusterOrServer) {
  CoordinatorServer* c = StartCluster(1);
  ASSERT_NE(c, nullptr);
  const std::string dir1 = Config(ServerRole::kTablet, 1).data_dir;
  tablets_.clear();  // stop server 1; its data dir now belongs to this cluster as server 1
  // Another cluster (another ZooKeeper root) with the same data dir.
  auto other = Config(ServerRole::kTablet, 1, chroot_ + "-other");
  auto refused = ClusterTabletServer::Start(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("belongs to cluster"), std::string::npos) << refused.status().ToString();
  // Another server id with the same data dir.
  auto as_two = Config(ServerRole::kTablet, 2);
  as_two.data_dir = dir1;
  refused = ClusterTabletServer::Start(as_two);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("belongs to tablet server 1, not to tablet server 2"), std::string::npos)
      << refused.status().ToString();
  // A standalone server's data dir.
  const std::string standalone = (dir_ / "standalone").string();
  fs::create_directories(standalone + "/.metadata");
  auto as_three = Config(ServerRole::kTablet, 3);
  as_three.data_dir = standalone;
  refused = ClusterTabletServer::Start(as_three);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("standalone"), std::string::npos) << refused.status().ToString();
  // A corrupt identity file is an error, not a crash.
  { std::ofstream(dir1 + "/.cluster") << "{not json"; }
  refused = ClusterTabletServer::Start(Config(ServerRole::kTablet, 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kCorruptRecord) << refused.status().ToString();
  // The right cluster and id: starts.
  fs::remove(dir1 + "/.cluster");
  EXPECT_OK(StartTablet(1));
}

TEST_F(ClusterTest, ControlledShutdownMovesLeadershipFirst) {
  CoordinatorServer* c = StartCluster(2);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreateTable(c->port(), "t", 4, 2));
  ASSERT_OK(CreateTable(c->port(), "single", 2, 1));
  const int32_t leaving = 1, staying = 2;
  auto remaining = tablets_[leaving]->member().ControlledShutdown();
  ASSERT_OK(remaining);
  // Still registered, but no longer leads a bucket that has another in-sync replica.
  EXPECT_EQ(c->store().LiveTabletServers().size(), 2u);
  for (const auto& [b, v] : Buckets(c->store(), "t")) {
    EXPECT_EQ(v.lai.leader, staying) << "bucket " << b;
    EXPECT_EQ(v.lai.isr, std::vector<int32_t>{staying}) << "bucket " << b;
  }
  // Single-replica buckets it leads have nowhere to go: they are what the answer lists.
  const int64_t single = TableId(c->store(), "single");
  size_t expected = 0;
  for (const auto& [b, v] : Buckets(c->store(), "single")) {
    if (v.lai.leader != leaving) continue;
    ++expected;
    EXPECT_NE(std::find(remaining->begin(), remaining->end(), TableBucket{single, b}), remaining->end());
  }
  EXPECT_EQ(remaining->size(), expected);
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), staying, "t"); }));
  EXPECT_TRUE(Eventually([&] { return ToldCurrentState(c->store(), leaving, "t"); }));
  EXPECT_OK(tablets_[leaving]->Stop(/*controlled=*/true));
}

// ---- partitioned tables ---------------------------------------------------------------------------

proto::PbPartitionSpec Spec(const std::string& key, const std::string& value) {
  proto::PbPartitionSpec spec;
  auto* kv = spec.add_partition_key_values();
  kv->set_key(key);
  kv->set_value(value);
  return spec;
}

Status CreatePartitionedTable(uint16_t port, const std::string& table,
                              const std::map<std::string, std::string>& properties) {
  proto::CreateTableRequest req;
  req.mutable_table_path()->set_database_name("db");
  req.mutable_table_path()->set_table_name(table);
  TableDescriptor d(*ParseSchema("id INT NOT NULL, dt STRING NOT NULL, v STRING"));
  d.DistributedBy(2).PartitionedBy({"dt"});
  for (const auto& [k, v] : properties) d.Property(k, v);
  req.set_table_json(TableDescriptorToJson(d).dump());
  req.set_ignore_if_exists(false);
  return Call(port, rpc::ApiKey::kCreateTable, req).status();
}

Status CreatePartition(uint16_t port, const std::string& table, const std::string& dt) {
  proto::CreatePartitionRequest req;
  req.mutable_table_path()->set_database_name("db");
  req.mutable_table_path()->set_table_name(table);
  *req.mutable_partition_spec() = Spec("dt", dt);
  req.set_ignore_if_not_exists(false);
  return Call(port, rpc::ApiKey::kCreatePartition, req).status();
}

Result<std::vector<std::string>> ListPartitions(uint16_t port, const std::string& table) {
  proto::ListPartitionInfosRequest req;
  req.mutable_table_path()->set_database_name("db");
  req.mutable_table_path()->set_table_name(table);
  FLUSS_ASSIGN_OR_RETURN(auto body, Call(port, rpc::ApiKey::kListPartitionInfos, req));
  proto::ListPartitionInfosResponse resp;
  if (!resp.ParseFromString(body)) return Status::Corruption("bad ListPartitionInfosResponse");
  std::vector<std::string> out;
  for (const auto& p : resp.partitions_info()) {
    out.push_back(fmt::format("{}:{}", p.partition_id(), p.partition_spec().partition_key_values(0).value()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The raw znode at `path` under the cluster's root (/fluss), or nullopt.
std::optional<std::string> Znode(const std::string& chroot, const std::string& path) {
  ZkOptions options;
  options.address = ZkServer::Get().address() + chroot;
  auto zk = ZkClient::Connect(options, [](ZkEvent) {});
  EXPECT_OK(zk);
  if (!zk.ok()) return std::nullopt;
  auto node = (*zk)->Get((*zk)->Path(path), false);
  EXPECT_OK(node);
  if (!node.ok() || !*node) return std::nullopt;
  return (*node)->first;
}

TEST_F(ClusterTest, PartitionsAreMadeByTheCoordinatorUnderUpstreamsZnodesAndSeenByEveryServer) {
  CoordinatorServer* c = StartCluster(3);
  ASSERT_NE(c, nullptr);
  const uint16_t t1 = tablets_.at(1)->port(), t2 = tablets_.at(2)->port(), t3 = tablets_.at(3)->port();
  ASSERT_OK(CreateDatabase(t1, "db"));
  ASSERT_OK(CreatePartitionedTable(t1, "events", {{"table.replication.factor", "2"}}));  // forwarded
  ASSERT_OK(CreatePartition(t2, "events", "2026-12-07"));                                  // forwarded
  ASSERT_OK(CreatePartition(c->port(), "events", "2026-12-08"));
  EXPECT_EQ(CreatePartition(t3, "events", "2026-12-08").code(), ErrorCode::kPartitionAlreadyExists);
  // Every server lists them from its own view of ZooKeeper.
  for (uint16_t port : {t1, t2, t3, c->port()}) {
    EXPECT_TRUE(Eventually([&] {
      auto names = ListPartitions(port, "events");
      return names.ok() && *names == std::vector<std::string>{"0:2026-12-07", "1:2026-12-08"};
    })) << port;
  }
  // Upstream's znodes and bodies: the registration and the assignment, written together.
  const int64_t table_id = TableId(c->store(), "events");
  EXPECT_EQ(Znode(chroot_, "/metadata/databases/db/tables/events/partitions/2026-12-07"),
            fmt::format(R"({{"version":1,"table_id":{},"partition_id":0}})", table_id));
  auto assignment = Znode(chroot_, "/tabletservers/partitions/0");
  ASSERT_TRUE(assignment.has_value());
  auto j = nlohmann::json::parse(*assignment);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["table_id"], table_id);
  ASSERT_EQ(j["buckets"].size(), 2u);
  for (const auto& [bucket, replicas] : j["buckets"].items()) {
    ASSERT_EQ(replicas.size(), 2u) << bucket;  // table.replication.factor 2 over servers 1..3
    EXPECT_NE(replicas[0], replicas[1]);
  }
  EXPECT_EQ(Znode(chroot_, "/metadata/partition_seqid"), "2");
  // GetMetadata by partition name, through a tablet server: the buckets and their replicas.
  proto::MetadataRequest req;
  auto* pp = req.add_partitions_path();
  pp->set_database_name("db");
  pp->set_table_name("events");
  pp->set_partition_name("2026-12-08");
  auto body = Call(t3, rpc::ApiKey::kGetMetadata, req);
  ASSERT_OK(body);
  proto::MetadataResponse resp;
  ASSERT_TRUE(resp.ParseFromString(*body));
  ASSERT_EQ(resp.partition_metadata_size(), 1);
  EXPECT_EQ(resp.partition_metadata(0).partition_id(), 1);
  EXPECT_EQ(resp.partition_metadata(0).bucket_metadata_size(), 2);
  EXPECT_EQ(resp.partition_metadata(0).bucket_metadata(0).replica_id_size(), 2);

  // A drop removes both znodes and leaves a drop record; dropping the table removes the rest.
  proto::DropPartitionRequest drop;
  drop.mutable_table_path()->set_database_name("db");
  drop.mutable_table_path()->set_table_name("events");
  *drop.mutable_partition_spec() = Spec("dt", "2026-12-07");
  drop.set_ignore_if_not_exists(false);
  ASSERT_OK(Call(t1, rpc::ApiKey::kDropPartition, drop).status());
  EXPECT_FALSE(Znode(chroot_, "/metadata/databases/db/tables/events/partitions/2026-12-07").has_value());
  EXPECT_FALSE(Znode(chroot_, "/tabletservers/partitions/0").has_value());
  EXPECT_TRUE(Znode(chroot_, "/metadata/dropped_partitions/0").has_value());
  auto again = Call(t1, rpc::ApiKey::kDropPartition, drop);
  EXPECT_EQ(again.status().code(), ErrorCode::kPartitionNotExists);
  ASSERT_OK(DropTable(t2, "events"));
  EXPECT_FALSE(Znode(chroot_, "/tabletservers/partitions/1").has_value());
  EXPECT_FALSE(Znode(chroot_, "/metadata/databases/db/tables/events").has_value());
}

TEST_F(ClusterTest, TheActiveCoordinatorAutoPartitions) {
  CoordinatorServer* c = StartCluster(1);
  ASSERT_NE(c, nullptr);
  const uint16_t t1 = tablets_.at(1)->port();
  ASSERT_OK(CreateDatabase(t1, "db"));
  ASSERT_OK(CreatePartitionedTable(t1, "daily", {{"table.auto-partition.enabled", "true"},
                                                 {"table.auto-partition.time-unit", "DAY"},
                                                 {"table.auto-partition.time-zone", "UTC"}}));
  // Created with the table: today's partition and tomorrow's (the clock may pass midnight meanwhile).
  std::vector<std::string> names;
  ASSERT_TRUE(Eventually([&] {
    auto listed = ListPartitions(t1, "daily");
    if (listed.ok()) names = *listed;
    return names.size() == 2;
  }));
  auto day = [](const std::string& entry) {
    const std::string v = entry.substr(entry.find(':') + 1);
    return DaysFromCivil(std::stoi(v.substr(0, 4)), std::stoi(v.substr(4, 2)), std::stoi(v.substr(6, 2)));
  };
  std::vector<int64_t> days = {day(names[0]), day(names[1])};
  std::sort(days.begin(), days.end());
  EXPECT_EQ(days[1], days[0] + 1);
  const auto now_days = std::chrono::duration_cast<std::chrono::hours>(
                            std::chrono::system_clock::now().time_since_epoch()).count() / 24;
  EXPECT_LE(days[0], now_days);
  EXPECT_GE(days[0] + 1, now_days);
}

// The data path of partitions in a cluster: a partition's buckets are assigned over the tablet
// servers like a table's (replication factor 3 here), get leader-and-ISR records under upstream's
// /tabletservers/partitions/<id>/buckets/<b>/leader_isr, are replicated by the followers' fetchers,
// and fail over when their leader dies with every acks=-1 write it acknowledged; a drop stops the
// partition's replicas everywhere and deletes their directories, and a server that was down deletes
// its copy on restart.
TEST_F(ClusterTest, PartitionBucketsReplicateFailOverWithoutLosingAcknowledgedRowsAndDropEverywhere) {
  CoordinatorServer* c = StartCluster(3);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(CreateDatabase(c->port(), "db"));
  ASSERT_OK(CreatePartitionedTable(c->port(), "events", {{"table.replication.factor", "3"}}));
  ASSERT_OK(CreatePartition(c->port(), "events", "a"));
  ASSERT_OK(CreatePartition(tablets_.at(2)->port(), "events", "b"));
  const int64_t table_id = TableId(c->store(), "events");
  auto a = c->store().GetPartition(*TablePath::Make("db", "events"), "a");
  ASSERT_OK(a);
  const int64_t pa = a->partition_id;
  const TableBucket bucket(table_id, pa, 1);
  // The record at upstream's path, the ISR every replica.
  ASSERT_TRUE(Znode(chroot_, fmt::format("/tabletservers/partitions/{}/buckets/1/leader_isr", pa)).has_value());
  auto lai = c->store().GetLeaderAndIsr(bucket);
  ASSERT_OK(lai);
  const int32_t victim = lai->first.leader;
  EXPECT_EQ(lai->first.isr.size(), 3u);
  for (int32_t s : {1, 2, 3}) {
    EXPECT_TRUE(Eventually([&] { return tablets_.at(s)->member().notified().count(bucket) == 1; })) << s;
  }
  const Schema schema = *ParseSchema("id INT NOT NULL, dt STRING NOT NULL, v STRING");
  const std::string dt_dir = fmt::format("db/events-{}/a-p{}", table_id, pa);
  for (int32_t s : {1, 2, 3}) EXPECT_TRUE(fs::is_directory(dir_ / fmt::format("ts-{}", s) / dt_dir / "log-1")) << s;

  // acks=-1 writes to the partition's bucket 1, each with new ids; the acknowledged ones are kept.
  std::set<int32_t> acked;
  int32_t next_id = 0;
  auto produce = [&](uint16_t port) -> Status {
    LogRecordBatchBuilder builder(schema, {.schema_id = 1});
    const int32_t first = next_id;
    for (int i = 0; i < 10; ++i) {
      GenericRow row(3);
      row.SetField(0, int32_t{next_id++});
      row.SetField(1, std::string("a"));
      row.SetField(2, std::string("v"));
      FLUSS_RETURN_NOT_OK(builder.Append(row));
    }
    FLUSS_ASSIGN_OR_RETURN(auto batch, builder.Build());
    proto::ProduceLogRequest req;
    req.set_acks(-1);
    req.set_table_id(table_id);
    req.set_timeout_ms(10000);
    auto* b = req.add_buckets_req();
    b->set_partition_id(pa);
    b->set_bucket_id(1);
    b->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
    FLUSS_ASSIGN_OR_RETURN(auto body, Call(port, rpc::ApiKey::kProduceLog, req));
    proto::ProduceLogResponse resp;
    if (!resp.ParseFromString(body) || resp.buckets_resp_size() != 1) return Status::Corruption("bad response");
    const auto& r = resp.buckets_resp(0);
    if (r.has_error_code() && r.error_code() != 0) return Status(static_cast<ErrorCode>(r.error_code()), r.error_message());
    if (r.partition_id() != pa) return Status::Corruption("the answer does not name the partition");
    for (int32_t id = first; id < next_id; ++id) acked.insert(id);
    return Status::OK();
  };
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(Eventually([&] { return produce(tablets_.at(victim)->port()).ok(); })) << round;
  }
  ASSERT_EQ(acked.size(), 50u);

  // The leader dies (no controlled shutdown): an ISR member takes over, a new leader epoch.
  ASSERT_OK(tablets_.at(victim)->Stop(/*controlled=*/false));
  tablets_.erase(victim);
  int32_t leader = -1;
  ASSERT_TRUE(Eventually([&] {
    auto now = c->store().GetLeaderAndIsr(bucket);
    if (!now.ok() || now->first.leader < 0 || now->first.leader == victim) return false;
    leader = now->first.leader;
    return now->first.leader_epoch == lai->first.leader_epoch + 1;
  }));
  // GetMetadata from ZooKeeper names the new leader of the partition's bucket.
  proto::MetadataRequest mreq;
  mreq.add_partitions_id(pa);
  ASSERT_TRUE(Eventually([&] {
    auto body = Call(tablets_.begin()->second->port(), rpc::ApiKey::kGetMetadata, mreq);
    proto::MetadataResponse resp;
    if (!body.ok() || !resp.ParseFromString(*body) || resp.partition_metadata_size() != 1) return false;
    for (const auto& bm : resp.partition_metadata(0).bucket_metadata()) {
      if (bm.bucket_id() == 1) return bm.leader_id() == leader;
    }
    return false;
  }));
  // Every acknowledged row is on the new leader, once each; writes go on there.
  std::map<int32_t, int> seen;
  ASSERT_TRUE(Eventually([&] {
    proto::FetchLogRequest req;
    req.set_follower_server_id(-1);
    req.set_max_bytes(1 << 20);
    auto* t = req.add_tables_req();
    t->set_table_id(table_id);
    t->set_projection_pushdown_enabled(false);
    auto* b = t->add_buckets_req();
    b->set_partition_id(pa);
    b->set_bucket_id(1);
    b->set_fetch_offset(0);
    b->set_max_fetch_bytes(1 << 20);
    auto body = Call(tablets_.at(leader)->port(), rpc::ApiKey::kFetchLog, req);
    proto::FetchLogResponse resp;
    if (!body.ok() || !resp.ParseFromString(*body)) return false;
    const auto& rb = resp.tables_resp(0).buckets_resp(0);
    if (rb.has_error_code() && rb.error_code() != 0) return false;  // not told it leads yet
    if (rb.partition_id() != pa) return false;
    auto batches = ParseLogRecordBatches(Buffer::Copy(std::string_view(rb.records())));
    if (!batches.ok()) return false;
    seen.clear();
    for (const auto& batch : *batches) {
      auto records = batch.ReadRecords(schema);
      if (!records.ok()) return false;
      for (const auto& r : *records) ++seen[r.row.GetInt(0)];
    }
    for (int32_t id : acked) {
      if (seen[id] != 1) return false;
    }
    return true;
  })) << "rows seen on the new leader " << leader << ": " << seen.size();
  ASSERT_TRUE(Eventually([&] { return produce(tablets_.at(leader)->port()).ok(); }));

  // Drop: every live replica stops the partition's buckets and deletes its directory.
  proto::DropPartitionRequest drop;
  drop.mutable_table_path()->set_database_name("db");
  drop.mutable_table_path()->set_table_name("events");
  *drop.mutable_partition_spec() = Spec("dt", "a");
  drop.set_ignore_if_not_exists(false);
  ASSERT_OK(Call(c->port(), rpc::ApiKey::kDropPartition, drop).status());
  for (const auto& [id, t] : tablets_) {
    EXPECT_TRUE(Eventually([&, id = id] {
      auto stopped = tablets_.at(id)->member().stopped();
      return std::count(stopped.begin(), stopped.end(), bucket) == 1 &&
             !fs::exists(dir_ / fmt::format("ts-{}", id) / dt_dir);
    })) << id;
  }
  // The server that was down still has its copy; on restart the drop record deletes it, and the
  // other partition opens.
  const fs::path victim_dir = dir_ / fmt::format("ts-{}", victim);
  EXPECT_TRUE(fs::exists(victim_dir / dt_dir));
  auto back = StartTablet(victim);
  ASSERT_OK(back);
  EXPECT_FALSE(fs::exists(victim_dir / dt_dir));
  auto b = c->store().GetPartition(*TablePath::Make("db", "events"), "b");
  ASSERT_OK(b);
  EXPECT_TRUE(fs::is_directory(victim_dir / fmt::format("db/events-{}/b-p{}", table_id, b->partition_id) / "log-0"));

  // A new coordinator loads the partition's leaderships from ZooKeeper and goes on deciding them.
  coordinators_.clear();
  CoordinatorServer* next = StartCoordinator(101);
  ASSERT_NE(next, nullptr);
  ASSERT_TRUE(Eventually([&] { return next->active(); }));
  const TableBucket b0(table_id, b->partition_id, 0);
  auto stored = next->store().GetLeaderAndIsr(b0);
  ASSERT_OK(stored);
  auto loaded = next->controller().BucketState(b0);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->leader.value(), stored->first.leader);
  EXPECT_EQ(loaded->leader_epoch.value(), stored->first.leader_epoch);
  EXPECT_FALSE(next->controller().BucketState(bucket).has_value());  // dropped with partition a
  const int32_t b_leader = stored->first.leader;
  ASSERT_OK(tablets_.at(b_leader)->Stop(/*controlled=*/false));
  tablets_.erase(b_leader);
  EXPECT_TRUE(Eventually([&] {
    auto now = next->store().GetLeaderAndIsr(b0);
    return now.ok() && now->first.leader >= 0 && now->first.leader != b_leader &&
           now->first.coordinator_epoch == next->controller().epoch().value();
  }));
}

}  // namespace
}  // namespace fluss::cluster
