// ZkMetadataStore against a real ZooKeeper server (zk_server.h, one per binary, a fresh chroot per
// test): the MetadataStore contract (the same typed tests as the embedded store), then what only a
// shared store has: two stores seeing each other's changes, CAS conflicts between stores, ephemeral
// tablet-server nodes, coordinator election, leader-and-ISR records and session expiry.
#include "metadata/zk_metadata_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "unit/metadata/metadata_store_contract.h"
#include "unit/metadata/metadata_test_support.h"
#include "zk_server.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using metadata_testing::Assign;
using metadata_testing::CreateOrDie;
using metadata_testing::MakeTableJson;
using metadata_testing::MetadataStoreContractTest;
using metadata_testing::Path;
using zk_testing::ZkServer;

std::string NewChroot() {
  static std::atomic<int> counter{0};
  return fmt::format("/test-{}", ++counter);
}

std::unique_ptr<ZkMetadataStore> OpenZk(const std::string& chroot, MetadataClock clock = nullptr,
                                        int session_timeout_ms = 6000) {
  ZkOptions options;
  options.address = ZkServer::Get().address() + chroot;
  options.session_timeout_ms = session_timeout_ms;
  options.connect_timeout_ms = 10000;
  auto store = ZkMetadataStore::Open(options, std::move(clock));
  EXPECT_OK(store);
  return store.ok() ? std::move(store).value() : nullptr;
}

struct ZkEnv {
  static bool Available(std::string* why) { return ZkServer::Get().Available(why); }
  std::unique_ptr<MetadataStore> Open(MetadataClock clock) { return OpenZk(chroot, std::move(clock)); }
  std::string chroot = NewChroot();
};


// Polls `done` for up to 60 s (generous: a loaded machine is slow, not wrong).
template <typename Pred>
bool Eventually(Pred done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Thread-safe event log of a watcher or listener.
template <typename T>
class Log {
 public:
  void Add(T v) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(v));
  }
  std::vector<T> Items() const {
    std::lock_guard lock(mu_);
    return items_;
  }
  bool Contains(const T& v) const {
    std::lock_guard lock(mu_);
    return std::find(items_.begin(), items_.end(), v) != items_.end();
  }

 private:
  mutable std::mutex mu_;
  std::vector<T> items_;
};

class ZkMetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!ZkServer::Get().Available(&why)) GTEST_SKIP() << why;
    a_ = OpenZk(chroot_);
    b_ = OpenZk(chroot_);
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }

  std::string chroot_ = NewChroot();
  // What the stores' watchers and listeners record: declared before the stores, so it outlives them
  // (their background threads may call a listener until they are destroyed).
  Log<std::string> seen_;
  Log<std::vector<int32_t>> lists_;
  Log<std::pair<bool, int64_t>> la_, lb_;
  std::unique_ptr<ZkMetadataStore> a_;
  std::unique_ptr<ZkMetadataStore> b_;
};

TEST_F(ZkMetadataStoreTest, TwoStoresSeeEachOthersChangesThroughWatches) {
  auto& seen = seen_;
  b_->AddWatcher([&](MetadataEvent e, const std::string& name) {
    seen.Add(fmt::format("{} {}", MetadataEventName(e), name));
  });
  ASSERT_OK(a_->CreateDatabase("db", R"({"comment":"shared"})", false));
  TableRecord t = CreateOrDie(*a_, Path("db", "t"), 2);
  ASSERT_TRUE(Eventually([&] { return b_->TableExists(Path("db", "t")); }));
  EXPECT_EQ(*b_->GetTable(t.path), t);
  EXPECT_EQ(*b_->GetDatabase("db"), *a_->GetDatabase("db"));
  EXPECT_EQ(*b_->GetSchema(t.table_id, 1), MakeTableJson(2).schema);
  EXPECT_TRUE(Eventually([&] { return seen.Contains("TABLE_CREATED db.t"); }));
  EXPECT_EQ(seen.Items().front(), "DATABASE_CREATED db");

  auto moved = Assign(2, 7);
  ASSERT_OK(a_->UpdateAssignment(t.table_id, moved, 0));
  EXPECT_TRUE(Eventually([&] { return seen.Contains("TABLE_ASSIGNMENT_CHANGED db.t"); }));
  EXPECT_EQ(*b_->GetAssignment(t.table_id), moved);
  EXPECT_EQ(b_->GetTable(t.path)->version, 1);

  // And the other way round.
  ASSERT_OK(b_->DropDatabase("db", false, true));
  EXPECT_TRUE(Eventually([&] { return !a_->DatabaseExists("db"); }));
  EXPECT_EQ(a_->GetTableById(t.table_id).status().code(), ErrorCode::kTableNotExist);
  auto items = seen.Items();
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items[items.size() - 2], "TABLE_DROPPED db.t");
  EXPECT_EQ(items.back(), "DATABASE_DROPPED db");
}

TEST_F(ZkMetadataStoreTest, CompareAndSetConflictsBetweenStores) {
  ASSERT_OK(a_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*a_, Path("db", "t"), 1);
  ASSERT_TRUE(Eventually([&] { return b_->TableExists(t.path); }));
  // Both read version 0; the first writer wins, the second is refused although its cache may lag.
  ASSERT_OK(a_->UpdateAssignment(t.table_id, Assign(1, 1), 0));
  auto lost = b_->UpdateAssignment(t.table_id, Assign(1, 2), 0);
  EXPECT_EQ(lost.status().code(), ErrorCode::kInvalidUpdateVersion) << lost.status().ToString();
  auto v2 = MakeTableJson(1, "id INT NOT NULL, v STRING, x INT");
  EXPECT_EQ(b_->AddSchema(t.path, v2.schema, v2.table, 0).status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_OK(b_->AddSchema(t.path, v2.schema, v2.table, 1));
  EXPECT_TRUE(Eventually([&] { return a_->GetTable(t.path)->schema_id == 2; }));
  EXPECT_EQ(*a_->GetAssignment(t.table_id), Assign(1, 1));

  // Creating the same table from both stores: one wins, the other sees it exists.
  TableRecord again;
  auto j = MakeTableJson(1);
  auto r1 = a_->CreateTable(Path("db", "race"), j.table, j.schema, 1, {}, false);
  auto r2 = b_->CreateTable(Path("db", "race"), j.table, j.schema, 1, {}, false);
  EXPECT_OK(r1);
  EXPECT_EQ(r2.status().code(), ErrorCode::kTableAlreadyExist);

  // Table ids taken concurrently from two stores never collide.
  std::mutex mu;
  std::set<int64_t> ids;
  std::vector<std::thread> threads;
  for (ZkMetadataStore* s : {a_.get(), b_.get()}) {
    threads.emplace_back([&, s] {
      for (int k = 0; k < 8; ++k) {
        TableRecord r = CreateOrDie(*s, Path("db", fmt::format("t{}_{}", s == a_.get() ? "a" : "b", k)), 1);
        std::lock_guard lock(mu);
        EXPECT_TRUE(ids.insert(r.table_id).second) << r.table_id;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ids.size(), 16u);
  EXPECT_GT(*ids.begin(), r1->table_id);
  // Writer ids from both stores are distinct blocks.
  int64_t wa = *a_->AllocateWriterId(), wb = *b_->AllocateWriterId();
  EXPECT_EQ(std::abs(wa - wb), ZkMetadataStore::kWriterIdBlock);
}

TEST_F(ZkMetadataStoreTest, EphemeralServerNodeGoesWithItsSession) {
  auto& lists = lists_;
  a_->SetLiveServersListener([&](const std::vector<TabletServerInfo>& live) {
    std::vector<int32_t> ids;
    for (const auto& s : live) ids.push_back(s.id);
    lists.Add(ids);
  });
  ASSERT_OK(a_->RegisterTabletServer(1, "FLUSS://127.0.0.1:9001", "rack-a"));
  ASSERT_OK(b_->RegisterTabletServer(2, "FLUSS://127.0.0.1:9002"));
  ASSERT_TRUE(Eventually([&] { return a_->LiveTabletServers().size() == 2; }));
  auto live = a_->LiveTabletServers();
  EXPECT_EQ(live[0].id, 1);
  EXPECT_EQ(live[0].listeners, "FLUSS://127.0.0.1:9001");
  EXPECT_EQ(live[0].rack, "rack-a");
  EXPECT_EQ(live[1].id, 2);
  EXPECT_TRUE(Eventually([&] { return lists.Contains({1, 2}); }));

  // A second live registration of the same id is refused; re-registering one's own is fine.
  Status dup = b_->RegisterTabletServer(1, "FLUSS://127.0.0.1:9999");
  EXPECT_FALSE(dup.ok());
  EXPECT_NE(dup.message().find("already registered"), std::string::npos) << dup.ToString();
  EXPECT_OK(a_->RegisterTabletServer(1, "FLUSS://127.0.0.1:9001", "rack-a"));

  b_.reset();  // closes b's session: server 2's node goes at once
  EXPECT_TRUE(Eventually([&] { return a_->LiveTabletServers().size() == 1; }));
  EXPECT_EQ(a_->LiveTabletServers()[0].id, 1);
  EXPECT_TRUE(Eventually([&] { return !lists.Items().empty() && lists.Items().back() == std::vector<int32_t>{1}; }));

  ASSERT_OK(a_->UnregisterTabletServer(1));
  EXPECT_TRUE(a_->LiveTabletServers().empty());
}

TEST_F(ZkMetadataStoreTest, CoordinatorElectionHandsOverWhenTheLeaderGoes) {
  auto& la = la_;
  auto& lb = lb_;
  ASSERT_OK(a_->StartCoordinatorElection(10, "FLUSS://127.0.0.1:9123", [&](bool l, int64_t e) { la.Add({l, e}); }));
  ASSERT_TRUE(Eventually([&] { return a_->IsCoordinatorLeader(); }));
  EXPECT_EQ(a_->StartCoordinatorElection(10, "", nullptr).code(), ErrorCode::kInvalidCoordinator);
  ASSERT_OK(b_->StartCoordinatorElection(11, "FLUSS://127.0.0.1:9124", [&](bool l, int64_t e) { lb.Add({l, e}); }));
  EXPECT_EQ(*b_->CoordinatorLeaderId(), 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // b must stay a follower: nothing to wait on
  EXPECT_FALSE(b_->IsCoordinatorLeader());
  // Only the leader writes leader-and-ISR records.
  ASSERT_OK(a_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*a_, Path("db", "t"), 1);
  EXPECT_EQ(*a_->SetLeaderAndIsr(t.table_id, 0, LeaderAndIsr{1, 0, {1}, 1, 0}, -1), 0);
  EXPECT_EQ(b_->SetLeaderAndIsr(t.table_id, 0, LeaderAndIsr{2, 1, {2}, 1, 0}, 0).status().code(),
            ErrorCode::kInvalidCoordinator);
  ASSERT_EQ(la.Items().size(), 1u);
  int64_t first_epoch = la.Items()[0].second;
  EXPECT_TRUE(la.Items()[0].first);

  a_.reset();  // the leader's session ends: b takes over with a higher epoch
  ASSERT_TRUE(Eventually([&] { return b_->IsCoordinatorLeader(); }));
  EXPECT_EQ(*b_->CoordinatorLeaderId(), 11);
  ASSERT_TRUE(Eventually([&] { return lb.Items().size() == 1; }));
  EXPECT_EQ(lb.Items()[0], std::make_pair(true, first_epoch + 1));
  EXPECT_EQ(*b_->SetLeaderAndIsr(t.table_id, 0, LeaderAndIsr{2, 1, {2}, 2, 0}, 0), 1);

  b_->ResignCoordinator();
  EXPECT_FALSE(b_->IsCoordinatorLeader());
  EXPECT_EQ(*b_->CoordinatorLeaderId(), -1);
  EXPECT_TRUE(Eventually([&] { return lb.Items().size() == 2; }));
  EXPECT_EQ(lb.Items()[1], std::make_pair(false, first_epoch + 1));
}

TEST_F(ZkMetadataStoreTest, SessionExpiryFencesThenReRegisters) {
  // A session timeout shorter than the default, long enough that a loaded machine does not end the
  // new session as well (the test expects exactly one expiry).
  a_ = OpenZk(chroot_, nullptr, 6000);
  ASSERT_NE(a_, nullptr);
  auto& events = seen_;
  a_->SetSessionListener([&](ZkSessionEvent e) {
    events.Add(e == ZkSessionEvent::kExpired ? "expired" : "reestablished");
  });
  ASSERT_OK(a_->RegisterTabletServer(5, "FLUSS://127.0.0.1:9005"));
  ASSERT_TRUE(a_->StartCoordinatorElection(1, "FLUSS://127.0.0.1:9123", [&](bool l, int64_t e) {
                    events.Add(fmt::format("{} {}", l ? "leader" : "fenced", e));
                  }).ok());
  ASSERT_TRUE(Eventually([&] { return a_->IsCoordinatorLeader(); }));
  ASSERT_OK(a_->CreateDatabase("before", "{}", false));
  EXPECT_EQ(a_->session_generation(), 1);

  ASSERT_OK(a_->ExpireSessionForTesting());
  // Changed while a's session is gone: a's reload on the new session must bring it in.
  ASSERT_OK(b_->CreateDatabase("during", "{}", false));
  ASSERT_TRUE(Eventually([&] { return a_->session_generation() == 2; }));
  ASSERT_TRUE(Eventually([&] { return events.Items().size() >= 5; }));
  std::vector<std::string> expected{"leader 1", "fenced 1", "expired", "leader 2", "reestablished"};
  EXPECT_EQ(events.Items(), expected);
  EXPECT_TRUE(a_->IsCoordinatorLeader());
  EXPECT_EQ(*b_->CoordinatorLeaderId(), 1);
  // The ephemeral registration is back, seen by the other store too.
  EXPECT_TRUE(Eventually([&] {
    auto live = b_->LiveTabletServers();
    return live.size() == 1 && live[0].id == 5;
  }));
  // The store works on the new session, in both directions.
  ASSERT_OK(a_->CreateDatabase("after", "{}", false));
  EXPECT_TRUE(Eventually([&] { return b_->DatabaseExists("after"); }));
  ASSERT_OK(b_->CreateDatabase("from_b", "{}", false));
  EXPECT_TRUE(Eventually([&] { return a_->DatabaseExists("from_b"); }));
  EXPECT_TRUE(a_->DatabaseExists("before"));
  EXPECT_TRUE(a_->DatabaseExists("during"));
  // The new leadership's writes pass the epoch fence.
  TableRecord t = CreateOrDie(*a_, Path("during", "t"), 1);
  EXPECT_EQ(*a_->SetLeaderAndIsr(t.table_id, 0, LeaderAndIsr{5, 0, {5}, 2, 0}, -1), 0);
}

TEST_F(ZkMetadataStoreTest, EveryCoordinatorCandidateIsRegisteredActiveOrStandby) {
  using Registered = std::vector<std::pair<int32_t, std::string>>;
  auto registered = [](const ZkMetadataStore& s) {
    Registered out;
    auto list = s.RegisteredCoordinators();
    EXPECT_OK(list);
    if (list.ok()) {
      for (const auto& c : *list) out.emplace_back(c.id, c.listeners);
    }
    return out;
  };
  auto& la = la_;
  auto& lb = lb_;
  ASSERT_OK(a_->StartCoordinatorElection(10, "FLUSS://127.0.0.1:9123", [&](bool l, int64_t e) { la.Add({l, e}); }));
  ASSERT_TRUE(Eventually([&] { return a_->IsCoordinatorLeader(); }));
  ASSERT_OK(b_->StartCoordinatorElection(11, "FLUSS://127.0.0.1:9124", [&](bool l, int64_t e) { lb.Add({l, e}); }));
  EXPECT_EQ(registered(*a_), (Registered{{10, "FLUSS://127.0.0.1:9123"}, {11, "FLUSS://127.0.0.1:9124"}}));
  EXPECT_FALSE(b_->IsCoordinatorLeader());

  // Coordinator 11 restarted after a crash: its old session still lives, the new one takes the
  // registration over, and the old session's end leaves it in place.
  auto restarted = OpenZk(chroot_);
  ASSERT_NE(restarted, nullptr);
  ASSERT_OK(restarted->StartCoordinatorElection(11, "FLUSS://127.0.0.1:9125", nullptr));
  EXPECT_EQ(registered(*a_), (Registered{{10, "FLUSS://127.0.0.1:9123"}, {11, "FLUSS://127.0.0.1:9125"}}));
  b_.reset();
  EXPECT_EQ(registered(*a_), (Registered{{10, "FLUSS://127.0.0.1:9123"}, {11, "FLUSS://127.0.0.1:9125"}}));

  // Resigning unregisters.
  restarted->ResignCoordinator();
  EXPECT_EQ(registered(*a_), (Registered{{10, "FLUSS://127.0.0.1:9123"}}));

  // A session that expires registers again with the new one.
  ASSERT_OK(a_->ExpireSessionForTesting());
  ASSERT_TRUE(Eventually([&] { return a_->session_generation() == 2; }));
  EXPECT_TRUE(Eventually([&] { return registered(*restarted) == Registered{{10, "FLUSS://127.0.0.1:9123"}}; }));
}

TEST_F(ZkMetadataStoreTest, CoordinatorElectionIsAQueueAndAnExpiredLeaderRejoinsAtTheBack) {
  auto c = OpenZk(chroot_);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(a_->StartCoordinatorElection(10, "FLUSS://127.0.0.1:9010", nullptr));
  ASSERT_TRUE(Eventually([&] { return a_->IsCoordinatorLeader(); }));
  ASSERT_OK(b_->StartCoordinatorElection(11, "FLUSS://127.0.0.1:9011", nullptr));
  // Wait until b is queued (registered) before c joins, so the queue's order is a, b, c.
  ASSERT_TRUE(Eventually([&] {
    auto list = a_->RegisteredCoordinators();
    return list.ok() && list->size() == 2;
  }));
  ASSERT_OK(c->StartCoordinatorElection(12, "FLUSS://127.0.0.1:9012", nullptr));
  ASSERT_TRUE(Eventually([&] {
    auto list = a_->RegisteredCoordinators();
    return list.ok() && list->size() == 3;
  }));

  // The leader's session ends as if its process hung: the standby that waited longest (b) takes over,
  // whatever the order in which the three stores' threads run; a joins again behind c.
  ASSERT_OK(a_->ExpireSessionForTesting());
  ASSERT_TRUE(Eventually([&] { return a_->session_generation() == 2; }));
  ASSERT_TRUE(Eventually([&] { return b_->IsCoordinatorLeader(); }));
  EXPECT_EQ(*c->CoordinatorLeaderId(), 11);
  EXPECT_FALSE(a_->IsCoordinatorLeader());
  EXPECT_FALSE(c->IsCoordinatorLeader());
  // a is registered again in its new session, as a standby.
  EXPECT_TRUE(Eventually([&] {
    auto list = c->RegisteredCoordinators();
    return list.ok() && list->size() == 3;
  }));

  // b resigns: c (queued before a's new node) is next.
  b_->ResignCoordinator();
  ASSERT_TRUE(Eventually([&] { return c->IsCoordinatorLeader(); }));
  EXPECT_FALSE(a_->IsCoordinatorLeader());
  EXPECT_EQ(*a_->CoordinatorLeaderId(), 12);
  // c goes: a is the last one left.
  c.reset();
  ASSERT_TRUE(Eventually([&] { return a_->IsCoordinatorLeader(); }));
}

TEST_F(ZkMetadataStoreTest, LeaderAndIsrUpdatesAreVersionChecked) {
  ASSERT_OK(a_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*a_, Path("db", "t"), 2);
  LeaderAndIsr v{1, 0, {1, 2}, 3, 0};
  ASSERT_EQ(*a_->SetLeaderAndIsr(t.table_id, 0, v, -1), 0);
  EXPECT_EQ(b_->SetLeaderAndIsr(t.table_id, 0, v, -1).status().code(), ErrorCode::kInvalidUpdateVersion);
  LeaderAndIsr next{2, 1, {2}, 3, 0};
  ASSERT_EQ(*b_->SetLeaderAndIsr(t.table_id, 0, next, 0), 1);
  auto stale = a_->SetLeaderAndIsr(t.table_id, 0, v, 0);
  EXPECT_EQ(stale.status().code(), ErrorCode::kInvalidUpdateVersion);
  auto got = a_->GetLeaderAndIsr(t.table_id, 0);
  ASSERT_OK(got);
  EXPECT_EQ(got->first, next);
  EXPECT_EQ(got->second, 1);
  EXPECT_EQ(a_->GetLeaderAndIsr(t.table_id, 1).status().code(), ErrorCode::kUnknownTableOrBucket);
  EXPECT_EQ(a_->SetLeaderAndIsr(t.table_id, 1, v, 4).status().code(), ErrorCode::kUnknownTableOrBucket);

  // Dropping the table removes its leader-and-ISR records.
  ASSERT_OK(a_->DropTable(t.path, false));
  EXPECT_EQ(a_->GetLeaderAndIsr(t.table_id, 0).status().code(), ErrorCode::kUnknownTableOrBucket);
  EXPECT_EQ(a_->SetLeaderAndIsr(t.table_id, 0, v, -1).status().code(), ErrorCode::kTableNotExist);
}

// Reads and writes the znode at `path` with a client of its own.
std::string GetRaw(const std::string& path) {
  zhandle_t* zh = zookeeper_init(ZkServer::Get().address().c_str(), nullptr, 6000, nullptr, nullptr, 0);
  std::string buf(65536, '\0');
  int len = 0, rc = ZCONNECTIONLOSS;
  for (int i = 0; i < 500 && rc == ZCONNECTIONLOSS; ++i) {
    len = static_cast<int>(buf.size());
    rc = zoo_get(zh, path.c_str(), 0, buf.data(), &len, nullptr);
    if (rc == ZCONNECTIONLOSS) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  zookeeper_close(zh);
  EXPECT_EQ(rc, ZOK) << path << ": " << zerror(rc);
  buf.resize(rc == ZOK ? static_cast<size_t>(len) : 0);
  return buf;
}

void SetRaw(const std::string& path, const std::string& data) {
  zhandle_t* zh = zookeeper_init(ZkServer::Get().address().c_str(), nullptr, 6000, nullptr, nullptr, 0);
  ASSERT_NE(zh, nullptr);
  int rc = ZCONNECTIONLOSS;
  for (int i = 0; i < 500 && rc == ZCONNECTIONLOSS; ++i) {
    rc = zoo_set(zh, path.c_str(), data.data(), static_cast<int>(data.size()), -1);
    if (rc == ZCONNECTIONLOSS) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  zookeeper_close(zh);
  ASSERT_EQ(rc, ZOK) << zerror(rc);
}

TEST_F(ZkMetadataStoreTest, DamagedZnodesAreErrorsNotCrashes) {
  ASSERT_OK(a_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*a_, Path("db", "t"), 2);
  const std::string base = a_->base_path();
  EXPECT_EQ(base, chroot_ + "/fluss");
  for (const auto& [path, data] : std::vector<std::pair<std::string, std::string>>{
           {"/metadata/databases/db/tables/t", "not json"},
           {"/metadata/databases/db/tables/t", R"({"version":1,"table_id":"x"})"},
           {fmt::format("/tabletservers/tables/{}", t.table_id), R"({"version":1,"buckets":[{"bucket_id":0}]})"},
           {"/metadata/databases/db", "[]"}}) {
    const std::string good = GetRaw(base + path);
    SetRaw(base + path, data);
    auto opened = ZkMetadataStore::Open(ZkOptions{ZkServer::Get().address() + chroot_});
    ASSERT_FALSE(opened.ok()) << path;
    EXPECT_EQ(opened.status().code(), ErrorCode::kCorruptRecord) << opened.status().ToString();
    EXPECT_NE(opened.status().message().find(base + path), std::string::npos) << opened.status().ToString();
    SetRaw(base + path, good);  // repaired: opens again
    EXPECT_TRUE(ZkMetadataStore::Open(ZkOptions{ZkServer::Get().address() + chroot_}).ok()) << path;
  }
  // A running store keeps serving what it had.
  EXPECT_TRUE(a_->TableExists(t.path));
  SetRaw(base + "/metadata/table_seqid", "seven");
  auto j = MakeTableJson(1);
  EXPECT_EQ(a_->CreateTable(Path("db", "u"), j.table, j.schema, 1, {}, false).status().code(),
            ErrorCode::kCorruptRecord);
}

TEST(ZkMetadataStoreOpenTest, UnreachableEnsembleIsAnError) {
  ZkOptions options;
  options.address = "127.0.0.1:1/x";
  options.connect_timeout_ms = 500;
  auto start = std::chrono::steady_clock::now();
  auto store = ZkMetadataStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kStorageException);
  EXPECT_NE(store.status().message().find("127.0.0.1:1"), std::string::npos) << store.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));  // bounded by the connect timeout
  options.address = "";
  EXPECT_EQ(ZkMetadataStore::Open(options).status().code(), ErrorCode::kInvalidConfig);
}

}  // namespace

namespace metadata_testing {
using ZooKeeperImplementations = ::testing::Types<ZkEnv>;
INSTANTIATE_TYPED_TEST_SUITE_P(ZkMetadataStore, MetadataStoreContractTest, ZooKeeperImplementations);
}  // namespace metadata_testing
}  // namespace fluss
