// Cluster-mode replication on the tablet server: three in-process FlussServer instances with role
// kTablet over one shared EmbeddedMetadataStore (ServerHooks::metadata), the test playing the
// coordinator — it creates tables in the store, sends NOTIFY_LEADER_AND_ISR / STOP_REPLICA over RPC
// and answers ADJUST_ISR through ServerHooks::adjust_isr.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "fluss_api.pb.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "metadata/embedded_metadata_store.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "server/fluss_server.h"
#include "types/schema_parser.h"
#include "types/table_descriptor.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using rpc::ApiKey;
using testing::MakeBatch;
using testing::TestSchema;
constexpr auto kCallTimeout = std::chrono::seconds(20);
constexpr int kServers = 3;

// True once `pred` holds (polled), false after `limit` (generous: a sanitizer build on a busy machine).
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class ReplicationTest : public ::testing::Test {
 protected:
  // The test's coordinator state of one bucket.
  struct BucketState {
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    int32_t bucket_epoch = 0;
    std::vector<int32_t> replicas{0, 1, 2};
    std::vector<int32_t> isr{0, 1, 2};
  };

  void SetUp() override {
    auto store = EmbeddedMetadataStore::Open(dir_.Sub("meta"));
    ASSERT_OK(store);
    store_ = std::shared_ptr<MetadataStore>(std::move(store).value());
    ASSERT_OK(store_->CreateDatabase("db", "{}", true));
    for (int i = 0; i < kServers; ++i) StartServer(i);
  }

  void TearDown() override {
    clients_.clear();
    for (auto& s : servers_) {
      if (s) {
        EXPECT_OK(s->Stop());
      }
    }
  }

  void StartServer(int id) {
    auto config = ServerConfig::Load(
        "", {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + dir_.Sub("server-" + std::to_string(id)),
             "tablet-server.id=" + std::to_string(id), "zookeeper.address=unused:2181",
             "default.replication.factor=3", "log.replica.max-lag-time=1s", "log.replica.fetch.wait-max-time=100ms",
             "log.replica.fetch.backoff-interval=100ms", "log.replica.min-in-sync-replicas-number=2"});
    ASSERT_OK(config);
    config->role = ServerRole::kTablet;
    ServerHooks hooks;
    hooks.metadata = store_;
    hooks.resolve_server = [this](int32_t sid) -> std::optional<std::pair<std::string, uint16_t>> {
      std::lock_guard lock(mu_);
      auto it = ports_.find(sid);
      if (it == ports_.end()) return std::nullopt;
      return std::make_pair(std::string("127.0.0.1"), it->second);
    };
    hooks.adjust_isr = [this](const proto::AdjustIsrRequest& req) { return AdjustIsr(req); };
    auto server = FlussServer::Start(*config, std::move(hooks));
    ASSERT_OK(server);
    if (servers_.size() <= static_cast<size_t>(id)) servers_.resize(id + 1);
    servers_[id] = std::move(server).value();
    std::lock_guard lock(mu_);
    ports_[id] = servers_[id]->port();
    clients_.erase(id);
  }

  void StopServer(int id) {
    {
      std::lock_guard lock(mu_);
      ports_.erase(id);
    }
    clients_.erase(id);
    ASSERT_OK(servers_[id]->Stop());
    servers_[id].reset();
  }

  // The coordinator's side of ADJUST_ISR: checks leader epoch and bucket epoch, stores the new ISR.
  Result<proto::AdjustIsrResponse> AdjustIsr(const proto::AdjustIsrRequest& req) {
    std::lock_guard lock(mu_);
    ++adjust_calls_;
    proto::AdjustIsrResponse resp;
    for (const auto& b : req.buckets_req()) {
      auto* out = resp.add_buckets_resp();
      *out->mutable_table_bucket() = b.table_bucket();
      auto it = state_.find({b.table_bucket().table_id(), b.table_bucket().bucket_id()});
      if (it == state_.end()) {
        out->set_error_code(static_cast<int32_t>(ErrorCode::kUnknownTableOrBucket));
        continue;
      }
      BucketState& s = it->second;
      if (b.leader_epoch() != s.leader_epoch || req.server_id() != s.leader) {
        out->set_error_code(static_cast<int32_t>(ErrorCode::kFencedLeaderEpoch));
      } else if (b.bucket_epoch() != s.bucket_epoch) {
        out->set_error_code(static_cast<int32_t>(ErrorCode::kInvalidUpdateVersion));
      } else {
        s.isr.assign(b.new_isr().begin(), b.new_isr().end());
        ++s.bucket_epoch;
      }
      out->set_leader_id(s.leader);
      out->set_leader_epoch(s.leader_epoch);
      for (int32_t r : s.isr) out->add_isr(r);
      out->set_coordinator_epoch(1);
      out->set_bucket_epoch(s.bucket_epoch);
    }
    return resp;
  }

  std::shared_ptr<rpc::RpcClient> Client(int id) {
    auto& c = clients_[id];
    if (!c || !c->is_open()) c = rpc::RpcClient::Connect("127.0.0.1", servers_[id]->port()).value();
    return c;
  }

  template <typename Resp, typename Req>
  Resp Call(int server, ApiKey key, const Req& req) {
    const int16_t version = rpc::FindServedApi(static_cast<int16_t>(key))->max_version;
    auto body = Client(server)->CallSync(static_cast<int16_t>(key), version, req.SerializeAsString(), kCallTimeout);
    EXPECT_OK(body);
    Resp resp;
    if (body.ok()) {
      EXPECT_TRUE(resp.ParseFromString(*body));
    }
    return resp;
  }

  int64_t CreateTable(const std::string& name, bool primary_key = false) {
    const Schema schema = primary_key ? *ParseSchema("id INT NOT NULL, v STRING, PRIMARY KEY (id)") : TestSchema();
    TableDescriptor d(schema);
    d.DistributedBy(1);
    std::vector<BucketAssignment> assignment(1);
    assignment[0].replicas = {0, 1, 2};
    auto record = store_->CreateTable(TablePath::Make("db", name).value(), TableDescriptorToJson(d).dump(),
                                      SchemaToJson(schema).dump(), 1, assignment, false);
    EXPECT_OK(record);
    return record.ok() ? record->table_id : -1;
  }

  // Makes `leader` the leader (new leader epoch) with `isr`, and tells `targets` (default: every replica).
  void ElectLeader(int64_t table, int32_t leader, std::vector<int32_t> isr, std::vector<int> targets = {0, 1, 2}) {
    BucketState s;
    {
      std::lock_guard lock(mu_);
      BucketState& st = state_[{table, 0}];
      st.leader = leader;
      ++st.leader_epoch;
      ++st.bucket_epoch;
      st.isr = std::move(isr);
      s = st;
    }
    for (int t : targets) Notify(t, table, s);
  }

  void Notify(int server, int64_t table, const BucketState& s) {
    proto::NotifyLeaderAndIsrRequest req;
    req.set_coordinator_epoch(1);
    auto* b = req.add_notify_buckets_leader_req();
    b->mutable_table_bucket()->set_table_id(table);
    b->mutable_table_bucket()->set_bucket_id(0);
    b->set_leader(s.leader);
    b->set_leader_epoch(s.leader_epoch);
    for (int32_t r : s.replicas) b->add_replicas(r);
    for (int32_t r : s.isr) b->add_isr(r);
    b->set_bucket_epoch(s.bucket_epoch);
    auto resp = Call<proto::NotifyLeaderAndIsrResponse>(server, ApiKey::kNotifyLeaderAndIsr, req);
    ASSERT_EQ(resp.notify_buckets_leader_resp_size(), 1);
    EXPECT_EQ(resp.notify_buckets_leader_resp(0).error_code(), 0) << resp.notify_buckets_leader_resp(0).error_message();
  }

  void StopReplica(int server, int64_t table, bool del) {
    proto::StopReplicaRequest req;
    req.set_coordinator_epoch(1);
    auto* b = req.add_stop_replicas_req();
    b->mutable_table_bucket()->set_table_id(table);
    b->mutable_table_bucket()->set_bucket_id(0);
    b->set_delete_(del);
    b->set_leader_epoch(-1);
    auto resp = Call<proto::StopReplicaResponse>(server, ApiKey::kStopReplica, req);
    ASSERT_EQ(resp.stop_replicas_resp_size(), 1);
    EXPECT_EQ(resp.stop_replicas_resp(0).error_code(), 0);
  }

  BucketState State(int64_t table) {
    std::lock_guard lock(mu_);
    return state_[{table, 0}];
  }

  // PRODUCE_LOG of one batch of `rows` rows; the bucket's response.
  proto::PbProduceLogRespForBucket Produce(int server, int64_t table, int acks, int rows, int timeout_ms = 10000,
                                           int first_id = 0, int64_t writer_id = -1, int32_t seq = -1) {
    Buffer batch = MakeBatch(rows, writer_id, seq, 16, first_id);
    proto::ProduceLogRequest req;
    req.set_acks(acks);
    req.set_table_id(table);
    req.set_timeout_ms(timeout_ms);
    auto* b = req.add_buckets_req();
    b->set_bucket_id(0);
    b->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
    auto resp = Call<proto::ProduceLogResponse>(server, ApiKey::kProduceLog, req);
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    return resp.buckets_resp_size() == 1 ? resp.buckets_resp(0) : proto::PbProduceLogRespForBucket();
  }

  // A client FETCH_LOG of bucket 0 from `offset`.
  proto::PbFetchLogRespForBucket ClientFetch(int server, int64_t table, int64_t offset) {
    proto::FetchLogRequest req;
    req.set_follower_server_id(-1);
    req.set_max_bytes(1 << 20);
    auto* t = req.add_tables_req();
    t->set_table_id(table);
    t->set_projection_pushdown_enabled(false);
    auto* b = t->add_buckets_req();
    b->set_bucket_id(0);
    b->set_fetch_offset(offset);
    b->set_max_fetch_bytes(1 << 20);
    auto resp = Call<proto::FetchLogResponse>(server, ApiKey::kFetchLog, req);
    EXPECT_EQ(resp.tables_resp_size(), 1);
    if (resp.tables_resp_size() != 1 || resp.tables_resp(0).buckets_resp_size() != 1) return {};
    return resp.tables_resp(0).buckets_resp(0);
  }

  proto::PbListOffsetsRespForBucket ListLatest(int server, int64_t table) {
    proto::ListOffsetsRequest req;
    req.set_follower_server_id(-1);
    req.set_offset_type(rpc::kListOffsetsLatest);
    req.set_table_id(table);
    req.add_bucket_id(0);
    auto resp = Call<proto::ListOffsetsResponse>(server, ApiKey::kListOffsets, req);
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    return resp.buckets_resp_size() == 1 ? resp.buckets_resp(0) : proto::PbListOffsetsRespForBucket();
  }

  ReplicaManager::ReplicaInfo Info(int server, int64_t table) {
    auto info = servers_[server]->replicas()->GetReplicaInfo({table, 0});
    return info.value_or(ReplicaManager::ReplicaInfo{});
  }

  LogTablet& Log(int server, int64_t table) { return *servers_[server]->replicas()->GetReplica({table, 0})->log(); }

  // Every byte of the bucket's log on `server`, from offset 0 to its log end.
  std::string LogBytes(int server, int64_t table) {
    LogTablet& log = Log(server, table);
    std::string out;
    int64_t offset = log.log_start_offset();
    while (offset < log.log_end_offset()) {
      auto data = log.Read(offset, 1 << 20, FetchIsolation::kLogEnd);
      EXPECT_OK(data);
      if (!data.ok() || data->region.empty()) break;
      auto bytes = data->ReadRecords().value();
      auto batches = ParseLogRecordBatches(bytes, false).value();
      out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      offset = batches.back().last_offset() + 1;
    }
    return out;
  }

  bool CaughtUp(int server, int64_t table, int leader) {
    return Info(server, table).log_end_offset == Info(leader, table).log_end_offset &&
           LogBytes(server, table) == LogBytes(leader, table);
  }

  testing::TempDir dir_;
  std::shared_ptr<MetadataStore> store_;
  std::vector<std::unique_ptr<FlussServer>> servers_;
  std::map<int, std::shared_ptr<rpc::RpcClient>> clients_;
  std::mutex mu_;  // guards the three below (the hooks run on server threads)
  std::map<int32_t, uint16_t> ports_;
  std::map<std::pair<int64_t, int32_t>, BucketState> state_;
  int adjust_calls_ = 0;
};

TEST_F(ReplicationTest, AcksAllReplicatesByteIdenticalAndNonLeadersRefuse) {
  const int64_t table = CreateTable("events");
  // Before any NotifyLeaderAndIsr a tablet server serves nothing of the table.
  EXPECT_NE(Produce(0, table, 1, 3).error_code(), 0);
  ElectLeader(table, 0, {0, 1, 2});
  int64_t expected_end = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = Produce(0, table, -1, 4 + i, 10000, i * 100);
    ASSERT_EQ(r.error_code(), 0) << r.error_message();
    EXPECT_EQ(r.base_offset(), expected_end);
    expected_end += 4 + i;
    // acks=-1 answers once every in-sync replica has it: the high watermark covers the batch.
    EXPECT_GE(Info(0, table).high_watermark, expected_end);
  }
  EXPECT_EQ(Info(0, table).log_end_offset, expected_end);
  EXPECT_EQ(Info(0, table).high_watermark, expected_end);
  for (int f : {1, 2}) {
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(f, table, 0); })) << "follower " << f;
    EXPECT_EQ(Info(f, table).role, ReplicaRole::kFollower);
    // Followers learn the high watermark from the leader's responses.
    ASSERT_TRUE(WaitFor([&] { return Info(f, table).high_watermark == expected_end; }));
    EXPECT_EQ(Log(f, table).leader_epochs(), Log(0, table).leader_epochs());
  }
  EXPECT_EQ(LogBytes(1, table).size(), LogBytes(0, table).size());
  EXPECT_GT(LogBytes(0, table).size(), 0u);
  EXPECT_EQ(ListLatest(0, table).offset(), expected_end);

  // A client's long-poll fetch at the high watermark wakes when the high watermark moves (not at
  // the append, which the followers have not acknowledged yet, nor at its 30 s max wait).
  {
    proto::FetchLogRequest req;
    req.set_follower_server_id(-1);
    req.set_max_bytes(1 << 20);
    req.set_max_wait_ms(30000);
    req.set_min_bytes(1);
    auto* t = req.add_tables_req();
    t->set_table_id(table);
    t->set_projection_pushdown_enabled(false);
    auto* b = t->add_buckets_req();
    b->set_bucket_id(0);
    b->set_fetch_offset(expected_end);
    b->set_max_fetch_bytes(1 << 20);
    std::promise<Result<std::string>> answered;
    const auto start = std::chrono::steady_clock::now();
    Client(0)->Call(static_cast<int16_t>(ApiKey::kFetchLog), rpc::FindServedApi(1015)->max_version,
                    req.SerializeAsString(), std::chrono::seconds(60),
                    [&answered](Result<std::string> body) { answered.set_value(std::move(body)); });
    // The produce comes once the fetch is parked: beside the two followers' fetches (one each).
    ASSERT_TRUE(WaitFor([&] { return servers_[0]->waiting_fetches() >= 3; }));
    ASSERT_EQ(Produce(0, table, -1, 3, 10000, 500).error_code(), 0);
    auto body = answered.get_future().get();
    ASSERT_OK(body);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
    proto::FetchLogResponse resp;
    ASSERT_TRUE(resp.ParseFromString(*body));
    const auto& fetched = resp.tables_resp(0).buckets_resp(0);
    EXPECT_FALSE(fetched.records().empty());
    EXPECT_EQ(fetched.high_watermark(), expected_end + 3);
    expected_end += 3;
  }

  // Followers refuse client traffic so clients refresh their metadata.
  const auto not_leader = static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(Produce(1, table, 1, 1).error_code(), not_leader);
  EXPECT_EQ(ClientFetch(2, table, 0).error_code(), not_leader);
  EXPECT_EQ(ListLatest(1, table).error_code(), not_leader);
  EXPECT_EQ(Info(1, table).log_end_offset, expected_end);  // nothing appended by the refused produce

  // STOP_REPLICA with delete: server 2 drops the bucket (its only one: the table's logs go);
  // told its role again, it reopens the table from the metadata store and copies the log anew.
  const std::string dir2 = dir_.Sub("server-2") + "/db/events-" + std::to_string(table) + "/log-0";
  ASSERT_TRUE(std::filesystem::exists(dir2));
  StopReplica(2, table, true);
  EXPECT_EQ(servers_[2]->replicas()->GetTable(table), nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir2));
  Notify(2, table, State(table));
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(2, table, 0); }));
  EXPECT_EQ(Log(2, table).leader_epochs(), Log(0, table).leader_epochs());

  // A stale coordinator is refused.
  proto::NotifyLeaderAndIsrRequest stale;
  stale.set_coordinator_epoch(0);
  auto body = Client(1)->CallSync(static_cast<int16_t>(ApiKey::kNotifyLeaderAndIsr), 0, stale.SerializeAsString(),
                                  kCallTimeout);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), ErrorCode::kInvalidCoordinator);
}

TEST_F(ReplicationTest, StoppedFollowerTimesOutThenShrinksAndRejoins) {
  const int64_t table = CreateTable("events");
  ElectLeader(table, 0, {0, 1, 2});
  ASSERT_EQ(Produce(0, table, -1, 10).error_code(), 0);
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(2, table, 0); }));
  StopServer(2);

  // The ISR still holds server 2: acks=-1 cannot complete and times out; acks=1 is answered at once.
  const auto t0 = std::chrono::steady_clock::now();
  auto timed_out = Produce(0, table, -1, 5, /*timeout_ms=*/300, 10);
  EXPECT_EQ(timed_out.error_code(), static_cast<int32_t>(ErrorCode::kRequestTimeOut)) << timed_out.error_message();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
  ASSERT_EQ(Produce(0, table, 1, 5, 10000, 15).error_code(), 0);
  // Clients never read above the high watermark (10: what all three had).
  {
    const auto info = Info(0, table);
    ASSERT_EQ(info.log_end_offset, 20);
    ASSERT_EQ(info.high_watermark, 10);
    auto fetched = ClientFetch(0, table, 0);
    EXPECT_EQ(fetched.error_code(), 0);
    EXPECT_EQ(fetched.high_watermark(), 10);
    auto batches = ParseLogRecordBatches(Buffer::Copy(std::string_view(fetched.records())), false).value();
    ASSERT_FALSE(batches.empty());
    EXPECT_EQ(batches.back().last_offset(), 9);
    EXPECT_TRUE(ClientFetch(0, table, 10).records().empty());
    EXPECT_EQ(ListLatest(0, table).offset(), 10);
  }

  // After log.replica.max-lag-time the leader drops server 2 from the ISR; acks=-1 then succeeds.
  ASSERT_TRUE(WaitFor([&] { return State(table).isr == std::vector<int32_t>{0, 1}; })) << adjust_calls_;
  ASSERT_TRUE(WaitFor([&] { return Info(0, table).isr == std::vector<int32_t>{0, 1}; }));
  auto ok = Produce(0, table, -1, 5, 10000, 20);
  ASSERT_EQ(ok.error_code(), 0) << ok.error_message();
  EXPECT_EQ(ok.base_offset(), 20);
  EXPECT_EQ(Info(0, table).high_watermark, 25);
  auto all = ClientFetch(0, table, 0);
  EXPECT_EQ(all.high_watermark(), 25);
  EXPECT_EQ(all.records().size(), LogBytes(0, table).size());

  // Server 2 comes back (same data dir), is told its role, catches up and rejoins the ISR.
  StartServer(2);
  Notify(2, table, State(table));
  ASSERT_TRUE(WaitFor([&] { return State(table).isr.size() == 3; })) << adjust_calls_;
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(2, table, 0); }));
  ASSERT_TRUE(WaitFor([&] { return Info(0, table).isr.size() == 3; }));

  // Below log.replica.min-in-sync-replicas-number (2) acks=-1 is refused before appending.
  StopServer(1);
  StopServer(2);
  ASSERT_TRUE(WaitFor([&] { return Info(0, table).isr == std::vector<int32_t>{0}; }));
  const int64_t end = Info(0, table).log_end_offset;
  EXPECT_EQ(Produce(0, table, -1, 1).error_code(), static_cast<int32_t>(ErrorCode::kNotEnoughReplicas));
  EXPECT_EQ(Info(0, table).log_end_offset, end);
  EXPECT_EQ(Produce(0, table, 1, 1).error_code(), 0);
}

TEST_F(ReplicationTest, LeaderChangeTruncatesUnacknowledgedTailKeepsAcknowledged) {
  const int64_t table = CreateTable("events");
  ElectLeader(table, 0, {0, 1, 2});
  // An idempotent writer (id 7, sequences 0..2).
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Produce(0, table, -1, 4, 10000, i * 4, 7, i).error_code(), 0);
  const int64_t acked_end = 12;
  for (int f : {1, 2}) ASSERT_TRUE(WaitFor([&] { return CaughtUp(f, table, 0); }));
  const std::string acknowledged = LogBytes(0, table);

  // The followers stop fetching; the old leader takes two more batches nobody else has (acks=1).
  StopReplica(1, table, false);
  StopReplica(2, table, false);
  ASSERT_EQ(Produce(0, table, 1, 3, 10000, 100).error_code(), 0);
  ASSERT_EQ(Produce(0, table, 1, 3, 10000, 200).error_code(), 0);
  ASSERT_EQ(Info(0, table).log_end_offset, acked_end + 6);

  // Server 1 becomes leader (epoch 2) and takes a write; server 0, now a follower, must drop its
  // unreplicated tail (offsets 12..17), not the acknowledged records, then follow server 1.
  ElectLeader(table, 1, {1, 2});
  ASSERT_EQ(Info(1, table).role, ReplicaRole::kLeader);
  auto r = Produce(1, table, -1, 2, 10000, 300);
  ASSERT_EQ(r.error_code(), 0) << r.error_message();
  EXPECT_EQ(r.base_offset(), acked_end);
  EXPECT_EQ(Produce(0, table, 1, 1).error_code(), static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower));
  // The writer retries its last batch against the new leader: recognised as a duplicate (the
  // follower kept the writer state), answered with the original offset, not appended again.
  auto retry = Produce(1, table, -1, 4, 10000, 8, 7, 2);
  ASSERT_EQ(retry.error_code(), 0) << retry.error_message();
  EXPECT_EQ(retry.base_offset(), 8);
  EXPECT_EQ(Info(1, table).log_end_offset, acked_end + 2);
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(0, table, 1) && CaughtUp(2, table, 1); }));
  EXPECT_EQ(Info(0, table).log_end_offset, acked_end + 2);
  EXPECT_EQ(LogBytes(0, table).substr(0, acknowledged.size()), acknowledged);
  // Every replica has the same epoch history: epoch 1 from 0, epoch 2 from 12.
  const std::vector<EpochEntry> epochs{{1, 0}, {2, acked_end}};
  for (int s = 0; s < kServers; ++s) EXPECT_EQ(Log(s, table).leader_epochs(), epochs) << "server " << s;

  // Server 2, which followed both leaders, can lead next (epoch 3) and old server 1 follows it.
  ElectLeader(table, 2, {2, 0, 1});
  ASSERT_EQ(Produce(2, table, -1, 1, 10000, 400).error_code(), 0);
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(0, table, 2) && CaughtUp(1, table, 2); }));
  EXPECT_EQ(Info(2, table).high_watermark, acked_end + 3);
  // Client fetches see the acknowledged records, in order, from the new leader.
  auto fetched = ClientFetch(2, table, 0);
  ASSERT_EQ(fetched.error_code(), 0);
  EXPECT_EQ(fetched.records(), LogBytes(2, table));
}

// The follower's truncation rule on its own (the fetcher's probe answer given by hand): the end of
// its latest epoch on the leader, not its own (lagging) high watermark.
TEST_F(ReplicationTest, FollowerTruncatesToTheLeadersEpochEndNotItsHighWatermark) {
  const int64_t table = CreateTable("events");
  ElectLeader(table, 0, {0}, {0});  // epoch 1; only server 0 hears of it
  LogTablet& log = Log(0, table);
  for (int i = 0; i < 3; ++i) ASSERT_OK(log.AppendAsLeader(MakeBatch(4, -1, -1, 16, i * 4)));
  ASSERT_EQ(log.log_end_offset(), 12);
  log.UpdateHighWatermark(4);  // the follower-to-be learned little of the high watermark
  // Server 0 follows server 1 at epoch 2; server 1 does not serve the table, so the real fetcher's
  // probe fails and backs off, and the answers below are the only ones applied.
  ElectLeader(table, 1, {1, 0}, {0});
  ReplicaManager& rm = *servers_[0]->replicas();
  auto answer = [](int32_t epoch, int64_t end) {
    proto::PbFetchLogRespForBucket r;
    r.set_bucket_id(0);
    r.set_log_start_offset(0);
    r.set_truncation_epoch(epoch);
    r.set_truncation_end_offset(end);
    return r;
  };
  // The leader has all of epoch 1 (it ends at 12 there): nothing goes, although HW is 4.
  ASSERT_OK(rm.TruncateFollower({table, 0}, 2, answer(1, 12)));
  EXPECT_EQ(log.log_end_offset(), 12);
  // Epoch 1 ended at 8 on the leader: the batch from 8 goes.
  ASSERT_OK(rm.TruncateFollower({table, 0}, 2, answer(1, 8)));
  EXPECT_EQ(log.log_end_offset(), 8);
  // A stale leader epoch is ignored.
  ASSERT_OK(rm.TruncateFollower({table, 0}, 1, answer(1, 0)));
  EXPECT_EQ(log.log_end_offset(), 8);
  // The follower has a later epoch (3 from 8) the leader never had; the leader's epoch 1 ends at 12:
  // keep no more than where epoch 1 ends here (8).
  ASSERT_OK(log.AssignLeaderEpoch(3, 8));
  ASSERT_OK(log.AppendAsLeader(MakeBatch(4, -1, -1, 16, 100)));
  ASSERT_EQ(log.log_end_offset(), 12);
  ASSERT_OK(rm.TruncateFollower({table, 0}, 2, answer(1, 12)));
  EXPECT_EQ(log.log_end_offset(), 8);
  EXPECT_EQ(log.leader_epochs(), (std::vector<EpochEntry>{{1, 0}}));
  // No common epoch: the high watermark is what is known committed.
  ASSERT_OK(rm.TruncateFollower({table, 0}, 2, answer(-1, -1)));
  EXPECT_EQ(log.log_end_offset(), 4);
}

TEST_F(ReplicationTest, PrimaryKeyLeaderChangeRebuildsKvFromTheChangelog) {
  const int64_t table = CreateTable("users", /*primary_key=*/true);
  ElectLeader(table, 0, {0, 1, 2});
  const Schema schema = *ParseSchema("id INT NOT NULL, v STRING, PRIMARY KEY (id)");
  auto key = [&](int32_t id) {
    GenericRow r(2);
    r.SetField(0, id);
    auto k = EncodeCompactedKey(schema, schema.primary_key_indexes(), r).value();
    return std::string(k.begin(), k.end());
  };
  auto put = [&](int server, const std::vector<std::pair<int32_t, std::optional<std::string>>>& ops) {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    for (const auto& [id, v] : ops) {
      auto k = key(id);
      std::span<const uint8_t> ks(reinterpret_cast<const uint8_t*>(k.data()), k.size());
      if (v) {
        GenericRow r(2);
        r.SetField(0, id);
        r.SetField(1, *v);
        EXPECT_OK(b.AppendUpsert(ks, EncodeCompactedRow(schema, r).value()));
      } else {
        EXPECT_OK(b.AppendDelete(ks));
      }
    }
    auto batch = b.Build().value();
    proto::PutKvRequest req;
    req.set_acks(-1);
    req.set_table_id(table);
    req.set_timeout_ms(10000);
    auto* br = req.add_buckets_req();
    br->set_bucket_id(0);
    br->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
    auto resp = Call<proto::PutKvResponse>(server, ApiKey::kPutKv, req);
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    return resp.buckets_resp(0);
  };
  auto lookup = [&](int server, const std::vector<int32_t>& ids) {
    proto::LookupRequest req;
    req.set_table_id(table);
    auto* br = req.add_buckets_req();
    br->set_bucket_id(0);
    for (int32_t id : ids) br->add_keys(key(id));
    auto resp = Call<proto::LookupResponse>(server, ApiKey::kLookup, req);
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    return resp.buckets_resp(0);
  };
  auto ok = [](const auto& r) { return r.error_code() == 0; };
  // The leader rebuilds its KV state when it takes over; wait until it serves.
  ASSERT_TRUE(WaitFor([&] { return ok(lookup(0, {1})); }));
  ASSERT_TRUE(ok(put(0, {{1, "a"}, {2, "b"}, {3, "c"}})));
  ASSERT_TRUE(ok(put(0, {{2, "B"}, {3, std::nullopt}, {4, "d"}})));
  ASSERT_TRUE(ok(put(0, {{1, std::nullopt}, {5, "e"}})));
  const std::vector<int32_t> ids{1, 2, 3, 4, 5};
  auto before = lookup(0, ids);
  ASSERT_TRUE(ok(before));
  // Followers have the changelog but no KV state.
  EXPECT_EQ(lookup(1, ids).error_code(), static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower));
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(1, table, 0) && CaughtUp(2, table, 0); }));

  ElectLeader(table, 1, {1, 2, 0});
  EXPECT_EQ(lookup(0, ids).error_code(), static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower));
  ASSERT_TRUE(WaitFor([&] { return ok(lookup(1, ids)); }));
  auto after = lookup(1, ids);
  ASSERT_EQ(after.values_size(), before.values_size());
  for (int i = 0; i < after.values_size(); ++i) {
    EXPECT_EQ(after.values(i).has_values(), before.values(i).has_values()) << "id " << ids[i];
    EXPECT_EQ(after.values(i).values(), before.values(i).values()) << "id " << ids[i];
  }
  EXPECT_FALSE(before.values(0).has_values());  // 1 deleted
  EXPECT_TRUE(before.values(1).has_values());   // 2 updated
  EXPECT_FALSE(before.values(2).has_values());  // 3 deleted
  // The new leader keeps writing on the rebuilt state; the old one follows without a RocksDB.
  ASSERT_TRUE(ok(put(1, {{2, std::nullopt}, {6, "f"}})));
  auto later = lookup(1, {2, 6});
  EXPECT_FALSE(later.values(0).has_values());
  EXPECT_TRUE(later.values(1).has_values());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(0, table, 1); }));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("server-0") + "/db/users-" + std::to_string(table) + "/kv-0"));
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("server-1") + "/db/users-" + std::to_string(table) + "/kv-0"));
}

}  // namespace
}  // namespace fluss
