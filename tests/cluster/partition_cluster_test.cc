// Partitions in a cluster of real processes (LocalCluster: ZooKeeper, one coordinator, three tablet
// servers): a partition of a table with replication factor 3 takes acks=-1 writes (raw PRODUCE_LOG
// requests with its partition id: the test speaks the wire as any client would) while its bucket's
// leader is killed with SIGKILL, twice, each time right after that leader acknowledged writes; a
// follower takes over and every acknowledged row is read back from the new leader exactly once. Then
// dropping the partition stops its replicas on every server and deletes its directories.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fluss/client.h"
#include "fluss_api.pb.h"
#include "format/log_record_batch.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "support/eventually.h"
#include "support/local_cluster.h"
#include "support/status_macros.h"

// A named namespace: this file is compiled together with the other cluster tests (unity build).
namespace fluss::partition_cluster_test {

using testing::LocalCluster;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

// Polls `done` every 50 ms until it holds or `limit` passed (an RPC per poll: not every millisecond).
template <typename F>
bool Within(seconds limit, F&& done) {
  return testing::Eventually(std::forward<F>(done), limit, milliseconds(50));
}

Result<std::string> CallServer(uint16_t port, rpc::ApiKey key, const google::protobuf::Message& msg) {
  rpc::RpcClientOptions options;
  options.connect_timeout = seconds(30);  // generous: a loaded machine; a dead server refuses at once
  FLUSS_ASSIGN_OR_RETURN(auto client, rpc::RpcClient::Connect("127.0.0.1", port, options));
  return client->CallSync(static_cast<int16_t>(key), 0, msg.SerializeAsString(), seconds(20));
}

class PartitionClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = LocalCluster::Unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    testing::LocalClusterOptions o;
    o.coordinators = 1;
    o.sets = {"zookeeper.client.session-timeout=2s", "log.replica.max-lag-time=2s",
              "log.replica.fetch.wait-max-time=100ms", "log.replica.fetch.backoff-interval=100ms",
              "default.replication.factor=3"};
    auto cluster = LocalCluster::Start(o);
    ASSERT_OK(cluster);
    cluster_ = std::move(cluster).value();
    Configuration c;
    c.bootstrap_servers = cluster_->bootstrap();
    c.request_timeout = milliseconds(10000);
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    conn_ = *conn;
    ASSERT_TRUE(Within(seconds(60), [&] {
      auto s = conn_->GetAdmin().DescribeCluster();
      return s.ok() && s->tablet_servers.size() == 3 && s->coordinator.has_value();
    })) << cluster_->Logs();
    // The ports stay across restarts; the writer thread reads this copy, not the processes.
    for (int i = 0; i < cluster_->num_tablets(); ++i) ports_[LocalCluster::kFirstTabletId + i] = cluster_->tablet(i).port();
  }

  // GET_METADATA of the partition from any live tablet server.
  Result<proto::MetadataResponse> Metadata() {
    proto::MetadataRequest req;
    req.add_partitions_id(partition_id_);
    Status last = Status::IOError("no tablet server answered");
    for (const auto& [id, port] : ports_) {
      auto body = CallServer(port, rpc::ApiKey::kGetMetadata, req);
      if (!body.ok()) {
        last = body.status();
        continue;
      }
      proto::MetadataResponse resp;
      if (!resp.ParseFromString(*body)) return Status::Corruption("bad MetadataResponse");
      return resp;
    }
    return last;
  }
  // The leader id of the partition's bucket 0 and the size of its ISR (-1, 0 when unknown).
  std::pair<int32_t, int> Leader() {
    auto resp = Metadata();
    if (!resp.ok() || resp->partition_metadata_size() != 1) return {-1, 0};
    for (const auto& bm : resp->partition_metadata(0).bucket_metadata()) {
      if (bm.bucket_id() == 0) return {bm.has_leader_id() ? bm.leader_id() : -1, bm.isr_id_size()};
    }
    return {-1, 0};
  }
  bool Registered(int32_t id) {
    auto resp = Metadata();
    if (!resp.ok()) return true;
    for (const auto& n : resp->tablet_servers()) {
      if (n.node_id() == id) return true;
    }
    return false;
  }

  // One acks=-1 write of ids [first, first + n) to bucket 0 of the partition on `port`.
  Status Produce(uint16_t port, int64_t first, int n) {
    LogRecordBatchBuilder builder(schema_, {.schema_id = 1});
    for (int64_t id = first; id < first + n; ++id) {
      GenericRow row(2);
      row.SetField(0, id);
      row.SetField(1, std::string("a"));
      FLUSS_RETURN_NOT_OK(builder.Append(row));
    }
    FLUSS_ASSIGN_OR_RETURN(auto batch, builder.Build());
    proto::ProduceLogRequest req;
    req.set_acks(-1);
    req.set_table_id(table_id_);
    req.set_timeout_ms(10000);
    auto* b = req.add_buckets_req();
    b->set_partition_id(partition_id_);
    b->set_bucket_id(0);
    b->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
    FLUSS_ASSIGN_OR_RETURN(auto body, CallServer(port, rpc::ApiKey::kProduceLog, req));
    proto::ProduceLogResponse resp;
    if (!resp.ParseFromString(body) || resp.buckets_resp_size() != 1) return Status::Corruption("bad response");
    const auto& r = resp.buckets_resp(0);
    if (r.has_error_code() && r.error_code() != 0) return Status(static_cast<ErrorCode>(r.error_code()), r.error_message());
    return Status::OK();
  }

  // Every id in bucket 0 of the partition on `port`, with how often it is there.
  Result<std::map<int64_t, int>> ReadAll(uint16_t port) {
    std::map<int64_t, int> out;
    int64_t offset = 0;
    while (true) {
      proto::FetchLogRequest req;
      req.set_follower_server_id(-1);
      req.set_max_bytes(1 << 20);
      auto* t = req.add_tables_req();
      t->set_table_id(table_id_);
      t->set_projection_pushdown_enabled(false);
      auto* b = t->add_buckets_req();
      b->set_partition_id(partition_id_);
      b->set_bucket_id(0);
      b->set_fetch_offset(offset);
      b->set_max_fetch_bytes(1 << 20);
      FLUSS_ASSIGN_OR_RETURN(auto body, CallServer(port, rpc::ApiKey::kFetchLog, req));
      proto::FetchLogResponse resp;
      if (!resp.ParseFromString(body)) return Status::Corruption("bad FetchLogResponse");
      const auto& rb = resp.tables_resp(0).buckets_resp(0);
      if (rb.has_error_code() && rb.error_code() != 0) {
        return Status(static_cast<ErrorCode>(rb.error_code()), rb.error_message());
      }
      FLUSS_ASSIGN_OR_RETURN(auto batches, ParseLogRecordBatches(Buffer::Copy(std::string_view(rb.records()))));
      if (batches.empty()) return out;
      for (const auto& batch : batches) {
        FLUSS_ASSIGN_OR_RETURN(auto records, batch.ReadRecords(schema_));
        for (const auto& r : records) ++out[r.row.GetBigInt(0)];
        offset = batch.next_offset();
      }
    }
  }

  std::unique_ptr<LocalCluster> cluster_;
  std::shared_ptr<Connection> conn_;
  Schema schema_ = ParseSchema("id BIGINT, dt STRING").value();
  int64_t table_id_ = -1;
  int64_t partition_id_ = -1;
  std::map<int32_t, uint16_t> ports_;  // tablet server id -> port
};

TEST_F(PartitionClusterTest, KillingAPartitionLeaderLosesNoAcknowledgedRowAndDropStopsEveryReplica) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("db", true));
  const TablePath path = *TablePath::Make("db", "events");
  TableDescriptor d(schema_);
  d.DistributedBy(2).PartitionedBy({"dt"});
  ASSERT_OK(admin.CreateTable(path, d));
  ASSERT_OK(admin.CreatePartition(path, {{"dt", "a"}}));
  table_id_ = admin.GetTableInfo(path)->table_id;
  auto partitions = admin.ListPartitionInfos(path);
  ASSERT_OK(partitions);
  ASSERT_EQ(partitions->size(), 1u);
  partition_id_ = partitions->at(0).partition_id;
  ASSERT_TRUE(Within(seconds(60), [&] { return Leader().second == 3; })) << cluster_->Logs();

  // The writer: acks=-1 writes of new ids to whichever server leads now; the acknowledged ids kept.
  std::mutex mu;
  std::set<int64_t> acked;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked_count{0};
  std::thread writer([&] {
    int64_t next = 0;
    int32_t leader = -1;
    while (!stop) {
      if (leader < 0) {
        leader = Leader().first;
        if (leader < 0) {
          std::this_thread::sleep_for(milliseconds(50));
          continue;
        }
      }
      const int64_t first = next;
      next += 10;
      if (ports_.count(leader) == 0 || !Produce(ports_.at(leader), first, 10).ok()) {
        leader = -1;  // ask again: leadership moved, or the server is down
        continue;
      }
      std::lock_guard lock(mu);
      for (int64_t id = first; id < first + 10; ++id) acked.insert(id);
      acked_count = static_cast<int64_t>(acked.size());
    }
  });
  struct StopWriter {
    std::atomic<bool>& stop;
    std::thread& writer;
    ~StopWriter() {
      stop = true;
      if (writer.joinable()) writer.join();
    }
  } stop_writer{stop, writer};

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const int32_t victim = Leader().first;
    ASSERT_GT(victim, 0);
    // Killed right after it acknowledged more writes.
    const int64_t before = acked_count;
    ASSERT_TRUE(Within(seconds(60), [&] { return acked_count >= before + 30; })) << cluster_->Logs();
    ASSERT_OK(cluster_->ById(victim)->Kill());
    const int64_t at_kill = acked_count;
    // A follower (in the ISR) leads once the dead server's session ended; writes go on there.
    ASSERT_TRUE(Within(seconds(60), [&] {
      const int32_t now = Leader().first;
      return now > 0 && now != victim;
    })) << cluster_->Logs();
    ASSERT_TRUE(Within(seconds(60), [&] { return acked_count >= at_kill + 30; })) << cluster_->Logs();
    // Back, once unregistered, and in sync again.
    ASSERT_TRUE(Within(seconds(60), [&] { return !Registered(victim); }));
    ASSERT_OK(cluster_->ById(victim)->Restart());
    ASSERT_TRUE(Within(seconds(60), [&] { return Leader().second == 3; })) << cluster_->Logs();
  }
  stop = true;
  writer.join();

  // Every acknowledged row, once, on the leader now.
  const int32_t leader = Leader().first;
  ASSERT_GT(leader, 0);
  std::map<int64_t, int> seen;
  ASSERT_TRUE(Within(seconds(60), [&] {
    auto all = ReadAll(ports_.at(leader));
    if (!all.ok()) return false;
    seen = std::move(*all);
    return true;
  }));
  std::lock_guard lock(mu);
  ASSERT_GE(acked.size(), 120u);
  size_t missing = 0, twice = 0;
  for (int64_t id : acked) {
    if (seen[id] == 0) ++missing;
    if (seen[id] > 1) ++twice;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged rows";
  EXPECT_EQ(twice, 0u) << "of " << acked.size() << " acknowledged rows";

  // Dropped: every server stops the partition's replicas and deletes its directory.
  const std::string partition_dir = fmt::format("db/events-{}/a-p{}", table_id_, partition_id_);
  for (int i = 0; i < cluster_->num_tablets(); ++i) {
    EXPECT_TRUE(fs::is_directory(fs::path(cluster_->tablet(i).data_dir()) / partition_dir / "log-0")) << i;
  }
  ASSERT_OK(admin.DropPartition(path, {{"dt", "a"}}));
  for (int i = 0; i < cluster_->num_tablets(); ++i) {
    EXPECT_TRUE(Within(seconds(60), [&] {
      return !fs::exists(fs::path(cluster_->tablet(i).data_dir()) / partition_dir);
    })) << "tablet server " << i + 1 << " kept " << partition_dir;
  }
  auto metadata = Metadata();
  EXPECT_EQ(metadata.status().code(), ErrorCode::kPartitionNotExists) << metadata.status().ToString();
}

}  // namespace fluss::partition_cluster_test
