// Tables named like a tablet server's own directories (`log`, `kv`, `log-0`, `kv-1`, `t-1`, `x_9`) in
// a 3-server cluster (real ZooKeeper and processes, replication factor 3): every tablet server killed
// with -9 at once and started again, then all stopped cleanly and started again. With no replica left
// to copy from, a server that took one of these tables for something else and deleted it would lose
// acknowledged rows for good; every row and key must be there after each round.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "fluss/client.h"
#include "support/local_cluster.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::LocalCluster;
using testing::LocalClusterOptions;
using namespace std::chrono_literals;

const std::vector<std::string> kNames = {"log", "kv", "log-0", "kv-1", "t-1", "x_9"};
constexpr int64_t kRows = 30;

class DataDirIdentityClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = LocalCluster::Unavailable(); !why.empty()) GTEST_SKIP() << why;
    LocalClusterOptions o;
    o.coordinators = 1;
    o.sets = {"zookeeper.client.session-timeout=2s", "log.replica.fetch.wait-max-time=100ms",
              "log.replica.fetch.backoff-interval=100ms", "default.replication.factor=3", "default.bucket.number=2"};
    auto cluster = LocalCluster::Start(o);
    ASSERT_OK(cluster);
    cluster_ = std::move(cluster).value();
    Connect();
  }

  void TearDown() override {
    conn_.reset();
    if (HasFailure() && cluster_) std::cerr << "---- cluster logs ----\n" << cluster_->Logs() << "\n";
  }

  void Connect() {
    Configuration c;
    c.bootstrap_servers = cluster_->bootstrap();
    c.writer_acks = -1;
    c.writer_batch_timeout = 5ms;
    c.writer_delivery_timeout = 60s;
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    conn_ = *conn;
  }

  // Every bucket of every table has a leader and its three replicas in sync.
  bool FullyReplicated() {
    auto status = conn_->GetAdmin().DescribeCluster();
    if (!status.ok()) return false;
    size_t tables = 0;
    for (const auto& t : status->tables) {
      ++tables;
      for (const auto& b : t.buckets) {
        if (b.leader < 0 || b.isr.size() != 3) return false;
      }
    }
    return tables == 2 * kNames.size();
  }

  void WaitFullyReplicated() {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!FullyReplicated()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the cluster did not recover";
      std::this_thread::sleep_for(100ms);
    }
  }

  void Check() {
    for (const auto& name : kNames) {
      auto log = conn_->GetTable(TablePath::Make("lt", name).value());
      ASSERT_OK(log);
      auto scanner = log->NewLogScanner().value();
      for (int b = 0; b < 2; ++b) ASSERT_OK(scanner->Subscribe(b, kEarliestOffset));
      std::set<int64_t> ids;
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (ids.size() < kRows && std::chrono::steady_clock::now() < deadline) {
        auto recs = scanner->Poll(200ms);
        if (!recs.ok()) continue;  // a leader may still be moving
        for (const auto& r : *recs) ASSERT_TRUE(ids.insert(r.row.GetBigInt(0)).second) << "lt." << name;
      }
      EXPECT_EQ(ids.size(), static_cast<size_t>(kRows)) << "lt." << name << " lost acknowledged rows";

      auto pk = conn_->GetTable(TablePath::Make("pk", name).value());
      ASSERT_OK(pk);
      auto lookuper = pk->NewLookuper().value();
      for (int64_t i = 0; i < kRows; ++i) {
        auto row = lookuper->Lookup(GenericRow({Datum(i)}));
        ASSERT_OK(row);
        ASSERT_TRUE(row->has_value()) << "pk." << name << ": key " << i << " is lost";
        EXPECT_EQ((*row)->GetBigInt(1), i + 100) << "pk." << name;
      }
    }
  }

  std::unique_ptr<LocalCluster> cluster_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(DataDirIdentityClusterTest, EveryTabletServerRestartedKeepsTablesNamedLikeItsDirectories) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("lt", true));
  ASSERT_OK(admin.CreateDatabase("pk", true));
  for (const auto& name : kNames) {
    TableDescriptor log(ParseSchema("id BIGINT NOT NULL, msg STRING").value());
    ASSERT_OK(admin.CreateTable(TablePath::Make("lt", name).value(), log));
    TableDescriptor pk(ParseSchema("id BIGINT NOT NULL, v BIGINT, PRIMARY KEY (id)").value());
    ASSERT_OK(admin.CreateTable(TablePath::Make("pk", name).value(), pk));
  }
  WaitFullyReplicated();
  for (const auto& name : kNames) {
    auto log = conn_->GetTable(TablePath::Make("lt", name).value()).value();
    auto appender = log.NewAppendWriter().value();
    for (int64_t i = 0; i < kRows; ++i) ASSERT_OK(appender->Append(GenericRow({Datum(i), Datum(name)})));
    Status st = appender->Flush();
    ASSERT_OK(st);
    auto pk = conn_->GetTable(TablePath::Make("pk", name).value()).value();
    auto upserter = pk.NewUpsertWriter().value();
    for (int64_t i = 0; i < kRows; ++i) ASSERT_OK(upserter->Upsert(GenericRow({Datum(i), Datum(i + 100)})));
    st = upserter->Flush();
    ASSERT_OK(st);
  }
  Check();

  for (bool kill : {true, false}) {
    SCOPED_TRACE(kill ? "every tablet server killed with -9" : "every tablet server stopped cleanly");
    conn_.reset();
    for (int i = 0; i < cluster_->num_tablets(); ++i) {
      Status st = kill ? cluster_->tablet(i).Kill() : cluster_->tablet(i).Stop();
      ASSERT_OK(st);
    }
    // A killed server's registration lives until its ZooKeeper session expires; its id cannot
    // register again before that.
    Connect();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (true) {
      auto status = conn_->GetAdmin().DescribeCluster();
      if (status.ok() && status->tablet_servers.empty()) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the killed servers stay registered";
      std::this_thread::sleep_for(100ms);
    }
    conn_.reset();
    for (int i = 0; i < cluster_->num_tablets(); ++i) {
      Status st = cluster_->tablet(i).Restart();
      ASSERT_OK(st);
    }
    Connect();
    WaitFullyReplicated();
    Check();
  }
}

}  // namespace
}  // namespace fluss
