// The client in a cluster, against scripted servers: bootstrap skips an unreachable server, admin
// calls follow the coordinator (found again through any live server when it dies or steps down,
// until the request timeout: a failover takes a ZooKeeper session timeout),
// and writes outlive a leader that dies or a bucket that is briefly without enough replicas,
// bounded by the delivery timeout rather than a retry count.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "fake_tablet_server.h"
#include "format/kv_record_batch.h"
#include "support/eventually.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeTabletServer;
using Clock = std::chrono::steady_clock;

TableDescriptor PkTable(int buckets) {
  TableDescriptor d(ParseSchema("id BIGINT, name STRING, PRIMARY KEY (id)").value());
  d.DistributedBy(buckets);
  return d;
}

GenericRow Row(int64_t id) { return GenericRow({Datum(id), Datum(std::string("n") + std::to_string(id))}); }

// A loopback port nothing listens on (bound, then closed).
uint16_t DeadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string AckPutKv(const rpc::RpcRequest& req) {
  proto::PutKvRequest put;
  EXPECT_TRUE(put.ParseFromString(req.body));
  proto::PutKvResponse resp;
  for (const auto& b : put.buckets_req()) {
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(b.bucket_id());
    r->set_log_end_offset(1);
  }
  return resp.SerializeAsString();
}

std::string PutKvError(const rpc::RpcRequest& req, ErrorCode code) {
  proto::PutKvRequest put;
  EXPECT_TRUE(put.ParseFromString(req.body));
  proto::PutKvResponse resp;
  for (const auto& b : put.buckets_req()) {
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(b.bucket_id());
    r->set_error_code(static_cast<int32_t>(code));
    r->set_error_message(std::string(ErrorCodeName(code)));
  }
  return resp.SerializeAsString();
}

// (writer id, sequence) of every PutKv batch a server received.
std::vector<std::pair<int64_t, int32_t>> Sequences(const FakeTabletServer& server) {
  std::vector<std::pair<int64_t, int32_t>> out;
  for (const auto& req : server.Requests(rpc::ApiKey::kPutKv)) {
    proto::PutKvRequest put;
    EXPECT_TRUE(put.ParseFromString(req.body));
    for (const auto& b : put.buckets_req()) {
      auto batch = KvRecordBatch::Parse(Buffer::Copy(b.records()));
      EXPECT_OK(batch);
      if (batch.ok()) out.emplace_back(batch->writer_id(), batch->batch_sequence());
    }
  }
  return out;
}

Result<std::string> ListDatabasesAnswer(const std::string& name) {
  proto::ListDatabasesResponse resp;
  resp.add_database_name(name);
  return resp.SerializeAsString();
}

TEST(ClientFailoverTest, BootstrapSkipsAnUnreachableServer) {
  FakeTabletServer server("t", PkTable(1));
  Configuration config = server.ClientConfig();
  config.bootstrap_servers = "127.0.0.1:" + std::to_string(DeadPort()) + "," + config.bootstrap_servers;
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  auto table = (*conn)->GetTable(server.path());
  ASSERT_OK(table);
  EXPECT_EQ(table->info().table_id, FakeTabletServer::kTableId);

  // Every bootstrap server unreachable: a clear error.
  Configuration none = server.ClientConfig();
  none.bootstrap_servers = "127.0.0.1:" + std::to_string(DeadPort());
  none.connect_timeout = std::chrono::milliseconds(1000);
  auto failed = Connection::Create(none);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kNetworkException) << failed.status().ToString();
}

TEST(ClientFailoverTest, AdminCallsGoToTheCoordinatorAndFollowItWhenItDies) {
  auto coordinator = std::make_unique<FakeTabletServer>("t", PkTable(1));
  FakeTabletServer tablet("t", PkTable(1));
  FakeTabletServer standby("t", PkTable(1));
  const uint16_t coordinator_port = coordinator->port();
  FakeTabletServer::Cluster cluster;
  cluster.tablet_servers = {{1, tablet.port()}};
  cluster.coordinator = std::make_pair(100, coordinator_port);
  cluster.leaders = {{0, 1}};
  coordinator->SetCluster(cluster);
  tablet.SetCluster(cluster);
  coordinator->On(rpc::ApiKey::kListDatabases, [](const rpc::RpcRequest&) { return ListDatabasesAnswer("first"); });
  standby.On(rpc::ApiKey::kListDatabases, [](const rpc::RpcRequest&) { return ListDatabasesAnswer("second"); });

  // Bootstrap from a tablet server only: the admin calls still reach the coordinator it names.
  Configuration config = tablet.ClientConfig();
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  auto admin = (*conn)->GetAdmin();
  auto dbs = admin.ListDatabases();
  ASSERT_OK(dbs);
  EXPECT_EQ(*dbs, std::vector<std::string>{"first"});
  EXPECT_EQ(coordinator->Requests(rpc::ApiKey::kListDatabases).size(), 1u);
  EXPECT_TRUE(tablet.Requests(rpc::ApiKey::kListDatabases).empty());

  // The coordinator dies; the tablet server now names the standby. The next call fails on the
  // dead one, finds the standby through the tablet server and is answered there.
  coordinator.reset();
  cluster.coordinator = std::make_pair(101, standby.port());
  tablet.SetCluster(cluster);
  standby.SetCluster(cluster);
  dbs = admin.ListDatabases();
  ASSERT_OK(dbs);
  EXPECT_EQ(*dbs, std::vector<std::string>{"second"});
  EXPECT_EQ(standby.Requests(rpc::ApiKey::kListDatabases).size(), 1u);
  (void)coordinator_port;
}

TEST(ClientFailoverTest, AStandbyThatRefusesMakesTheClientAskAgainOnlyForRetriableErrors) {
  FakeTabletServer old_coordinator("t", PkTable(1));
  FakeTabletServer new_coordinator("t", PkTable(1));
  FakeTabletServer::Cluster cluster;
  cluster.tablet_servers = {{1, old_coordinator.port()}};
  cluster.coordinator = std::make_pair(100, old_coordinator.port());
  old_coordinator.SetCluster(cluster);
  Configuration config = old_coordinator.ClientConfig();
  config.request_timeout = std::chrono::milliseconds(1000);
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  auto admin = (*conn)->GetAdmin();

  // Fenced: it answers INVALID_COORDINATOR and now names the new coordinator.
  cluster.coordinator = std::make_pair(101, new_coordinator.port());
  old_coordinator.SetCluster(cluster);
  new_coordinator.SetCluster(cluster);
  old_coordinator.On(rpc::ApiKey::kListDatabases, [](const rpc::RpcRequest&) -> Result<std::string> {
    return Status(ErrorCode::kInvalidCoordinator, "not the active coordinator");
  });
  new_coordinator.On(rpc::ApiKey::kListDatabases, [](const rpc::RpcRequest&) { return ListDatabasesAnswer("new"); });
  auto dbs = admin.ListDatabases();
  ASSERT_OK(dbs);
  EXPECT_EQ(*dbs, std::vector<std::string>{"new"});
  EXPECT_EQ(old_coordinator.Requests(rpc::ApiKey::kListDatabases).size(), 1u);

  // A non-retriable error is the answer: asked once, not again.
  new_coordinator.On(rpc::ApiKey::kDropDatabase, [](const rpc::RpcRequest&) -> Result<std::string> {
    return Status(ErrorCode::kDatabaseNotExist, "no such database");
  });
  Status st = admin.DropDatabase("nope");
  EXPECT_EQ(st.code(), ErrorCode::kDatabaseNotExist) << st.ToString();
  EXPECT_EQ(new_coordinator.Requests(rpc::ApiKey::kDropDatabase).size(), 1u);

  // Retriable and never better: asked again with growing pauses (100, 200, 400 ms, ...) until the
  // request timeout (1 s) has passed, then the last error, saying so.
  new_coordinator.On(rpc::ApiKey::kListDatabases, [](const rpc::RpcRequest&) -> Result<std::string> {
    return Status(ErrorCode::kInvalidCoordinator, "stepping down");
  });
  const size_t before = new_coordinator.Requests(rpc::ApiKey::kListDatabases).size();
  const auto start = Clock::now();
  dbs = admin.ListDatabases();
  const auto took = Clock::now() - start;
  ASSERT_FALSE(dbs.ok());
  EXPECT_EQ(dbs.status().code(), ErrorCode::kInvalidCoordinator);
  EXPECT_NE(dbs.status().message().find("no active coordinator served"), std::string::npos)
      << dbs.status().ToString();
  EXPECT_NE(dbs.status().message().find("stepping down"), std::string::npos) << dbs.status().ToString();
  EXPECT_GE(took, std::chrono::milliseconds(1000));
  EXPECT_LT(took, std::chrono::milliseconds(10000));
  const size_t asked = new_coordinator.Requests(rpc::ApiKey::kListDatabases).size() - before;
  EXPECT_GE(asked, 3u);   // at 0, 100, 300, 700 ms: four while nothing is slow
  EXPECT_LE(asked, 10u);  // the pauses alone bound it
}

// The issue-16 failover: the active coordinator died, and for a while (its ZooKeeper session has not
// expired) every server still names it while the standby refuses DDL naming the dead one as active.
// The DDL call waits that out and succeeds on the standby once it is active.
TEST(ClientFailoverTest, DdlDuringACoordinatorFailoverSucceedsOnceTheStandbyTakesOver) {
  FakeTabletServer standby("t", PkTable(1));
  FakeTabletServer tablet("t", PkTable(1));
  const uint16_t dead = DeadPort();
  FakeTabletServer::Cluster cluster;
  cluster.tablet_servers = {{1, tablet.port()}};
  cluster.coordinator = std::make_pair(101, dead);  // the dead one, until its session ends
  cluster.leaders = {{0, 1}};
  standby.SetCluster(cluster);
  tablet.SetCluster(cluster);

  // The standby refuses three times, then takes over: from then on every server names it.
  std::atomic<int> refused{0};
  standby.On(rpc::ApiKey::kCreateDatabase, [&](const rpc::RpcRequest&) -> Result<std::string> {
    if (refused < 3) {
      if (++refused == 3) {
        FakeTabletServer::Cluster now = cluster;
        now.coordinator = std::make_pair(100, standby.port());
        standby.SetCluster(now);
        tablet.SetCluster(now);
      }
      return Status(ErrorCode::kInvalidCoordinator, "coordinator 100 is a standby; the active coordinator is 101");
    }
    return proto::CreateDatabaseResponse().SerializeAsString();
  });
  Configuration config = standby.ClientConfig();
  config.bootstrap_servers = fmt::format("127.0.0.1:{},127.0.0.1:{},127.0.0.1:{}", dead, standby.port(), tablet.port());
  config.request_timeout = std::chrono::milliseconds(30000);
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  Status st = (*conn)->GetAdmin().CreateDatabase("during_failover");
  ASSERT_OK(st);
  EXPECT_EQ(refused.load(), 3);
  EXPECT_EQ(standby.Requests(rpc::ApiKey::kCreateDatabase).size(), 4u);  // three refusals, then the answer
  // Once the standby is known to be active, the next call goes straight to it.
  st = (*conn)->GetAdmin().CreateDatabase("after_failover");
  ASSERT_OK(st);
  EXPECT_EQ(standby.Requests(rpc::ApiKey::kCreateDatabase).size(), 5u);
}

TEST(ClientFailoverTest, WritesOutliveALeaderThatDiesWithTheSameWriterIdAndSequences) {
  FakeTabletServer coordinator("t", PkTable(1));
  auto old_leader = std::make_unique<FakeTabletServer>("t", PkTable(1));
  FakeTabletServer new_leader("t", PkTable(1));
  FakeTabletServer::Cluster cluster;
  cluster.tablet_servers = {{1, old_leader->port()}, {2, new_leader.port()}};
  cluster.coordinator = std::make_pair(100, coordinator.port());
  cluster.leaders = {{0, 1}};
  coordinator.SetCluster(cluster);
  old_leader->On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest& req) -> Result<std::string> { return AckPutKv(req); });
  new_leader.On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest& req) -> Result<std::string> { return AckPutKv(req); });

  Configuration config = coordinator.ClientConfig();
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  auto table = (*conn)->GetTable(coordinator.path());
  ASSERT_OK(table);
  auto writer = table->NewUpsertWriter().value();
  std::vector<WriteResult> results;
  for (int i = 0; i < 5; ++i) results.push_back(writer->Upsert(Row(i)).value());
  ASSERT_OK(writer->Flush());
  ASSERT_EQ(Sequences(*old_leader).size(), 1u);

  // The leader dies. For a while the metadata still names it (the ZooKeeper session has not
  // expired): the writer's sends fail; then there is no leader, and more tries fail; then node 2 leads.
  old_leader.reset();
  for (int i = 5; i < 10; ++i) results.push_back(writer->Upsert(Row(i)).value());
  ASSERT_TRUE(testing::Eventually([&] { return writer->stats().retries >= 2; }));
  cluster.leaders = {};
  coordinator.SetCluster(cluster);
  const int64_t retries_before = writer->stats().retries;
  ASSERT_TRUE(testing::Eventually([&] { return writer->stats().retries >= retries_before + 2; }));
  cluster.tablet_servers.erase(1);
  cluster.leaders = {{0, 2}};
  coordinator.SetCluster(cluster);
  Status flushed = writer->Flush();
  EXPECT_OK(flushed);
  for (const auto& r : results) EXPECT_OK(r.Wait());
  auto sent = Sequences(new_leader);
  ASSERT_EQ(sent.size(), 1u);  // the second batch, once
  EXPECT_EQ(sent[0], std::make_pair(FakeTabletServer::kWriterId, 1));
  EXPECT_GT(writer->stats().retries, 3);
}

TEST(ClientFailoverTest, NotEnoughReplicasAndNoLeaderAreRetriedUntilTheDeliveryTimeout) {
  FakeTabletServer server("t", PkTable(1));
  std::atomic<int> calls{0};
  server.On(rpc::ApiKey::kPutKv, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    switch (calls++) {
      case 0: return PutKvError(req, ErrorCode::kNotEnoughReplicas);
      case 1: return PutKvError(req, ErrorCode::kLeaderNotAvailable);
      case 2: return Status(ErrorCode::kRequestTimeOut, "slow");
      default: return AckPutKv(req);
    }
  });
  Configuration config = server.ClientConfig();
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  auto table = (*conn)->GetTable(server.path()).value();
  auto writer = table.NewUpsertWriter().value();
  auto r = writer->Upsert(Row(1)).value();
  ASSERT_OK(writer->Flush());
  EXPECT_OK(r.Wait());
  EXPECT_EQ(writer->stats().retries, 3);
  auto sent = Sequences(server);
  ASSERT_EQ(sent.size(), 4u);
  for (const auto& s : sent) EXPECT_EQ(s.second, 0);

  // Never enough replicas: the write fails with that error once the delivery timeout passed, not before.
  server.On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest& req) -> Result<std::string> {
    return PutKvError(req, ErrorCode::kNotEnoughReplicas);
  });
  config.writer_delivery_timeout = std::chrono::milliseconds(800);
  auto conn2 = Connection::Create(config).value();
  auto writer2 = conn2->GetTable(server.path()).value().NewUpsertWriter().value();
  const auto start = Clock::now();
  auto failed = writer2->Upsert(Row(2)).value();
  Status st = failed.Wait();
  const auto took = Clock::now() - start;
  EXPECT_EQ(st.code(), ErrorCode::kNotEnoughReplicas) << st.ToString();
  EXPECT_GE(took, std::chrono::milliseconds(800));
  EXPECT_LT(took, std::chrono::seconds(30));  // generous: without the delivery timeout it would retry for ever
}

TEST(ClientFailoverTest, ScannerWaitsForABucketWithoutLeaderInsteadOfFailing) {
  FakeTabletServer server("t", PkTable(1));
  FakeTabletServer::Cluster cluster;
  cluster.tablet_servers = {{0, server.port()}};
  cluster.coordinator = std::make_pair(0, server.port());
  cluster.leaders = {};  // no leader (an election is running)
  server.SetCluster(cluster);
  server.On(rpc::ApiKey::kFetchLog, [](const rpc::RpcRequest&) -> Result<std::string> {
    proto::FetchLogResponse resp;
    auto* t = resp.add_tables_resp();
    t->set_table_id(FakeTabletServer::kTableId);
    auto* b = t->add_buckets_resp();
    b->set_bucket_id(0);
    b->set_high_watermark(0);
    return resp.SerializeAsString();
  });
  auto conn = Connection::Create(server.ClientConfig()).value();
  auto table = conn->GetTable(server.path()).value();
  auto scanner = table.NewLogScanner().value();
  ASSERT_OK(scanner->Subscribe(0, int64_t{0}));
  auto polled = scanner->Poll(std::chrono::milliseconds(300));
  ASSERT_OK(polled);
  EXPECT_TRUE(polled->empty());
  EXPECT_TRUE(server.Requests(rpc::ApiKey::kFetchLog).empty());
  // The leader is back: the scanner fetches from it.
  cluster.leaders = {{0, 0}};
  server.SetCluster(cluster);
  EXPECT_TRUE(testing::Eventually([&] {
    polled = scanner->Poll(std::chrono::milliseconds(50));
    EXPECT_OK(polled);
    return !server.Requests(rpc::ApiKey::kFetchLog).empty();
  }));
}

TEST(ClientFailoverTest, ListOffsetsAsksAgainWhileTheBucketIsNotYetOnItsLeader) {
  FakeTabletServer server("t", PkTable(2));
  std::atomic<int> calls{0};
  server.On(rpc::ApiKey::kListOffsets, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    proto::ListOffsetsRequest list;
    EXPECT_TRUE(list.ParseFromString(req.body));
    proto::ListOffsetsResponse resp;
    const bool known = calls++ >= 2;  // a new table: the leader learns of it a moment later
    for (int32_t b : list.bucket_id()) {
      auto* r = resp.add_buckets_resp();
      r->set_bucket_id(b);
      if (known) {
        r->set_offset(10 + b);
      } else {
        r->set_error_code(static_cast<int32_t>(ErrorCode::kUnknownTableOrBucket));
        r->set_error_message("unknown table id 42");
      }
    }
    return resp.SerializeAsString();
  });
  auto conn = Connection::Create(server.ClientConfig()).value();
  auto admin = conn->GetAdmin();
  auto offsets = admin.ListOffsets(server.path(), OffsetSpec::Latest());
  ASSERT_OK(offsets);
  EXPECT_EQ(*offsets, (std::map<int32_t, int64_t>{{0, 10}, {1, 11}}));
  EXPECT_EQ(calls.load(), 3);
  // A bucket the table does not have is an error at once.
  auto bad = admin.ListOffsets(server.path(), OffsetSpec::Latest(), {5});
  EXPECT_EQ(bad.status().code(), ErrorCode::kUnknownTableOrBucket);
  // A refusal that is not retriable is the answer.
  server.On(rpc::ApiKey::kListOffsets, [](const rpc::RpcRequest&) -> Result<std::string> {
    return Status(ErrorCode::kLogStorageException, "disk gone");
  });
  auto failed = admin.ListOffsets(server.path(), OffsetSpec::Latest());
  EXPECT_EQ(failed.status().code(), ErrorCode::kLogStorageException);
}

}  // namespace
}  // namespace fluss
