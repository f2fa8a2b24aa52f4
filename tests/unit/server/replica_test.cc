// Replica on its own (no server, no RPC): one bucket's log and KV state, its role, ISR and high
// watermark. The test plays both the coordinator (the leadership it hands out) and the followers
// (the offsets they fetch from).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "format/value_encoding.h"
#include "rpc/api_keys.h"
#include "server/replica/kv_scan_sessions.h"
#include "server/replica/replica.h"
#include "support/status_macros.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"

namespace fluss {
namespace {

using testing::MakeBatch;
using testing::TestSchema;
using Clock = std::chrono::steady_clock;

constexpr int32_t kSelf = 1;

LeaderAndIsrState Leadership(int32_t leader, int32_t epoch, std::vector<int32_t> replicas, std::vector<int32_t> isr) {
  LeaderAndIsrState s;
  s.leader = leader;
  s.leader_epoch = epoch;
  s.bucket_epoch = 0;
  s.replicas = std::move(replicas);
  s.isr = std::move(isr);
  return s;
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KvOptions kv;
    kv.shared_write_buffer_bytes = 8 << 20;
    kv.block_cache_bytes = 8 << 20;
    kv.write_buffer_bytes = 1 << 20;
    context_.server_id = kSelf;
    context_.kv_resources = KvResources::Create(kv);
    context_.scans = &scans_;
    context_.on_append = [this](const TableBucket& b) { appended_.push_back(b); };
    context_.on_high_watermark = [this](const TableBucket&) { ++high_watermark_calls_; };
  }

  // A replica of bucket 0 of table id 7: a log table (TestSchema), or with `primary_key` a table
  // keyed by `id`.
  void MakeReplica(bool primary_key = false) {
    auto table = std::make_shared<ServedTable>();
    table->record.path = TablePath::Make("db", primary_key ? "users" : "events").value();
    table->record.table_id = 7;
    table->record.schema_id = 1;
    table->record.bucket_count = 1;
    table->schemas.emplace(1, primary_key ? pk_schema_ : TestSchema());
    table->primary_key = primary_key;
    table->kv_options.bucket_count = 1;
    auto log = LogTablet::Open(dir_.Sub("log-0"), LogConfig{});
    ASSERT_OK(log);
    log_ = std::shared_ptr<LogTablet>(std::move(log).value());
    replica_ = std::make_unique<Replica>(TableBucket(7, 0), table, log_, dir_.Sub("kv-0"), &context_);
  }

  // A client's fetch from `offset`: the records of the answer (or the error).
  Result<std::vector<LogRecordBatch>> ClientFetch(int64_t offset) {
    proto::PbFetchLogReqForBucket req;
    req.set_bucket_id(0);
    req.set_fetch_offset(offset);
    req.set_max_fetch_bytes(1 << 20);
    proto::PbFetchLogRespForBucket resp;
    bool answer_now = false;
    FLUSS_RETURN_NOT_OK(replica_->Fetch(req, /*follower_fetch=*/false, nullptr, 1 << 20, &resp, &answer_now));
    EXPECT_FALSE(answer_now);
    fetched_high_watermark_ = resp.high_watermark();
    if (resp.records().empty()) return std::vector<LogRecordBatch>{};
    return ParseLogRecordBatches(Buffer::Copy(std::string_view(resp.records())), /*verify_crc=*/true);
  }

  std::string Key(int32_t id) const {
    GenericRow r(2);
    r.SetField(0, id);
    auto k = EncodeCompactedKey(pk_schema_, pk_schema_.primary_key_indexes(), r).value();
    return std::string(k.begin(), k.end());
  }

  // A KvRecordBatch upserting (id, v) for each entry, or deleting id when v is empty.
  std::string Upserts(const std::vector<std::pair<int32_t, std::optional<std::string>>>& ops) const {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    for (const auto& [id, v] : ops) {
      const std::string k = Key(id);
      std::span<const uint8_t> key(reinterpret_cast<const uint8_t*>(k.data()), k.size());
      if (v) {
        GenericRow row(2);
        row.SetField(0, id);
        row.SetField(1, *v);
        EXPECT_OK(b.AppendUpsert(key, EncodeCompactedRow(pk_schema_, row).value()));
      } else {
        EXPECT_OK(b.AppendDelete(key));
      }
    }
    return std::string(b.Build().value().view());
  }

  // The `v` column stored under `id`, or nullopt.
  std::optional<std::string> LookupValue(int32_t id) {
    auto values = replica_->Lookup({Key(id)});
    EXPECT_TRUE(values.ok()) << values.status().ToString();
    if (!values.ok() || !(*values)[0]) return std::nullopt;
    const std::string& bytes = *(*values)[0];
    auto row = DecodeKvValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                             pk_schema_);
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() ? std::optional<std::string>(std::get<std::string>(row->field(1))) : std::nullopt;
  }

  testing::TempDir dir_;
  KvScanSessions scans_;
  ReplicaContext context_;
  const Schema pk_schema_ = *ParseSchema("id INT NOT NULL, v STRING, PRIMARY KEY (id)");
  std::shared_ptr<LogTablet> log_;
  std::unique_ptr<Replica> replica_;
  std::vector<TableBucket> appended_;
  int high_watermark_calls_ = 0;
  int64_t fetched_high_watermark_ = -1;
};

TEST_F(ReplicaTest, LeaderAloneAppendsAndServesEverythingItAppended) {
  MakeReplica();
  // A standalone server's leadership: no coordinator epoch, the ISR is this server.
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, -1, {kSelf}, {kSelf})));
  auto first = replica_->Produce(MakeBatch(3), /*acks=*/-1);
  ASSERT_OK(first);
  auto second = replica_->Produce(MakeBatch(2, -1, -1, 16, 3), /*acks=*/1);
  ASSERT_OK(second);
  EXPECT_EQ(first->base_offset, 0);
  EXPECT_EQ(second->base_offset, 3);
  EXPECT_EQ(first->awaits_high_watermark, 0);  // acks=-1 with an ISR of one: acknowledged at once
  EXPECT_EQ(log_->high_watermark(), 5);
  EXPECT_EQ(appended_, (std::vector<TableBucket>{TableBucket(7, 0), TableBucket(7, 0)}));
  EXPECT_TRUE(log_->leader_epochs().empty());  // no coordinator, no epoch recorded

  auto batches = ClientFetch(0);
  ASSERT_OK(batches);
  ASSERT_EQ(batches->size(), 2u);
  EXPECT_EQ((*batches)[0].base_offset(), 0);
  EXPECT_EQ((*batches)[1].base_offset(), 3);
  EXPECT_EQ((*batches)[1].record_count(), 2);
  EXPECT_EQ(fetched_high_watermark_, 5);
  EXPECT_EQ(replica_->ListOffset(rpc::kListOffsetsLatest, std::nullopt).value(), 5);
  EXPECT_EQ(replica_->ListOffset(rpc::kListOffsetsEarliest, std::nullopt).value(), 0);
  EXPECT_EQ(replica_->info().role, ReplicaRole::kLeader);
}

TEST_F(ReplicaTest, HighWatermarkIsTheSmallestLogEndOfTheIsr) {
  MakeReplica();
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, 5, {kSelf, 2, 3}, {kSelf, 2, 3})));
  EXPECT_EQ(log_->leader_epochs(), (std::vector<EpochEntry>{{5, 0}}));
  auto a = replica_->Produce(MakeBatch(4), /*acks=*/-1);
  auto b = replica_->Produce(MakeBatch(4, -1, -1, 16, 4), /*acks=*/-1);
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(log_->log_end_offset(), 8);
  EXPECT_EQ(log_->high_watermark(), 0);  // no follower has fetched yet
  EXPECT_EQ(b->awaits_high_watermark, 8);
  EXPECT_EQ(b->leader_epoch, 5);
  EXPECT_EQ(replica_->CheckAck(5, 8), AckState::kPending);
  ASSERT_TRUE(ClientFetch(0).value().empty());  // clients read below the high watermark only

  const auto now = Clock::now();
  replica_->RecordFollowerFetch(2, 8, 5, now);
  EXPECT_EQ(log_->high_watermark(), 0);  // follower 3 of the ISR not heard from
  replica_->RecordFollowerFetch(3, 4, 5, now);
  EXPECT_EQ(log_->high_watermark(), 4);
  auto visible = ClientFetch(0);
  ASSERT_OK(visible);
  ASSERT_EQ(visible->size(), 1u);
  EXPECT_EQ(visible->back().next_offset(), 4);
  EXPECT_EQ(replica_->CheckAck(5, 4), AckState::kDone);
  EXPECT_EQ(replica_->CheckAck(5, 8), AckState::kPending);
  // A fetch that names another leader epoch says nothing of this leadership's log.
  replica_->RecordFollowerFetch(3, 8, 4, now);
  EXPECT_EQ(log_->high_watermark(), 4);
  replica_->RecordFollowerFetch(3, 8, 5, now);
  EXPECT_EQ(log_->high_watermark(), 8);
  EXPECT_EQ(replica_->CheckAck(5, 8), AckState::kDone);
  EXPECT_EQ(replica_->CheckAck(4, 8), AckState::kNotLeader);  // another leadership's write

  // Both followers stop fetching: past the max lag the leader proposes an ISR of itself; once the
  // coordinator agrees, the high watermark moves with the leader's appends alone.
  auto c = replica_->Produce(MakeBatch(2, -1, -1, 16, 8), /*acks=*/1);
  ASSERT_OK(c);
  EXPECT_EQ(log_->high_watermark(), 8);
  EXPECT_FALSE(replica_->ProposeIsr(now, std::chrono::seconds(10)).has_value());  // nobody lags yet
  auto proposal = replica_->ProposeIsr(now + std::chrono::seconds(30), std::chrono::seconds(10));
  ASSERT_TRUE(proposal.has_value());
  EXPECT_EQ(proposal->isr, (std::vector<int32_t>{kSelf}));
  EXPECT_EQ(proposal->leader_epoch, 5);
  proto::PbAdjustIsrRespForBucket answer;
  answer.add_isr(kSelf);
  answer.set_bucket_epoch(1);
  replica_->ApplyIsrResponse(*proposal, answer);
  EXPECT_EQ(replica_->info().isr, (std::vector<int32_t>{kSelf}));
  EXPECT_EQ(replica_->info().bucket_epoch, 1);
  EXPECT_EQ(log_->high_watermark(), 10);
  // A follower that catches up to the high watermark is proposed back into the ISR.
  EXPECT_TRUE(replica_->RecordFollowerFetch(2, 10, 5, now + std::chrono::seconds(31)));
  auto expand = replica_->ProposeIsr(now + std::chrono::seconds(31), std::chrono::seconds(10));
  ASSERT_TRUE(expand.has_value());
  EXPECT_EQ(expand->isr, (std::vector<int32_t>{kSelf, 2}));
}

TEST_F(ReplicaTest, NotEnoughInSyncReplicasRefusesAcksAllBeforeAppending) {
  context_.min_insync_replicas = 2;
  MakeReplica();
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, 1, {kSelf, 2}, {kSelf})));
  auto all = replica_->Produce(MakeBatch(1), /*acks=*/-1);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), ErrorCode::kNotEnoughReplicas);
  EXPECT_EQ(log_->log_end_offset(), 0);
  EXPECT_OK(replica_->Produce(MakeBatch(1), /*acks=*/1));
  EXPECT_EQ(log_->log_end_offset(), 1);
}

TEST_F(ReplicaTest, FollowerRefusesClientsAndAppendsWhatItFetches) {
  MakeReplica();
  ASSERT_OK(replica_->BecomeFollower(Leadership(2, 3, {2, kSelf}, {2, kSelf})));
  const int before = high_watermark_calls_;
  auto produce = replica_->Produce(MakeBatch(1), /*acks=*/1);
  ASSERT_FALSE(produce.ok());
  EXPECT_EQ(produce.status().code(), ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(ClientFetch(0).status().code(), ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(replica_->ListOffset(rpc::kListOffsetsLatest, std::nullopt).status().code(),
            ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(log_->log_end_offset(), 0);
  EXPECT_EQ(high_watermark_calls_, before);

  // What the fetcher does: ask where it stands at its leader's epoch, then append what came.
  EXPECT_FALSE(replica_->FollowerFetchPosition(2).has_value());  // not the epoch it follows
  auto position = replica_->FollowerFetchPosition(3);
  ASSERT_TRUE(position.has_value());
  EXPECT_EQ(position->log_end_offset, 0);
  Buffer batch = MakeBatch(3);
  proto::PbFetchLogRespForBucket fetched;
  fetched.set_bucket_id(0);
  fetched.set_records(std::string(batch.view()));
  fetched.set_high_watermark(2);
  auto* epoch = fetched.add_leader_epochs();
  epoch->set_epoch(3);
  epoch->set_start_offset(0);
  ASSERT_OK(replica_->ApplyFetched(3, 0, fetched));
  EXPECT_EQ(log_->log_end_offset(), 3);
  EXPECT_EQ(log_->high_watermark(), 2);
  EXPECT_EQ(log_->leader_epochs(), (std::vector<EpochEntry>{{3, 0}}));
  // A stale answer (fetched at another offset, or for an older epoch) is dropped.
  ASSERT_OK(replica_->ApplyFetched(3, 0, fetched));
  ASSERT_OK(replica_->ApplyFetched(2, 3, fetched));
  EXPECT_EQ(log_->log_end_offset(), 3);
}

// A follower's high watermark trails its leader's by a fetch. Elected, it must not report that
// trailing value as the latest offset: writes the old leader acknowledged lie above it. LIST_OFFSETS
// waits (LEADER_NOT_AVAILABLE, which clients retry) until the followers' fetches carried the high
// watermark to the start of the new epoch.
TEST_F(ReplicaTest, NewLeaderListsOffsetsOnlyOnceItsHighWatermarkReachesItsEpochStart) {
  MakeReplica();
  ASSERT_OK(replica_->BecomeFollower(Leadership(2, 1, {2, kSelf, 3}, {2, kSelf, 3})));
  Buffer batch = MakeBatch(6);
  proto::PbFetchLogRespForBucket fetched;
  fetched.set_bucket_id(0);
  fetched.set_records(std::string(batch.view()));
  fetched.set_high_watermark(4);  // the leader's, as of this fetch; it acknowledged all 6 later
  auto* epoch = fetched.add_leader_epochs();
  epoch->set_epoch(1);
  epoch->set_start_offset(0);
  ASSERT_OK(replica_->ApplyFetched(1, 0, fetched));
  ASSERT_EQ(log_->high_watermark(), 4);

  // Server 2 died; this server leads epoch 2 with server 3 still in the ISR.
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, 2, {2, kSelf, 3}, {kSelf, 3})));
  EXPECT_EQ(log_->high_watermark(), 4);
  auto latest = replica_->ListOffset(rpc::kListOffsetsLatest, std::nullopt);
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), ErrorCode::kLeaderNotAvailable);
  EXPECT_NE(latest.status().message().find("high watermark 4"), std::string::npos) << latest.status().ToString();
  EXPECT_EQ(replica_->ListOffset(rpc::kListOffsetsTimestamp, int64_t{0}).status().code(),
            ErrorCode::kLeaderNotAvailable);
  EXPECT_EQ(replica_->ListOffset(rpc::kListOffsetsEarliest, std::nullopt).value(), 0);

  // Server 3 fetches from the new leader at its log end (6): the high watermark reaches the epoch
  // start and the latest offset covers every acknowledged write.
  replica_->RecordFollowerFetch(3, 6, 2, Clock::now());
  EXPECT_EQ(log_->high_watermark(), 6);
  EXPECT_EQ(replica_->ListOffset(rpc::kListOffsetsLatest, std::nullopt).value(), 6);
}

TEST_F(ReplicaTest, OlderLeaderEpochIsFencedAndTheSameEpochOnlyUpdatesTheIsr) {
  MakeReplica();
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, 5, {kSelf, 2}, {kSelf, 2})));
  auto older = replica_->UpdateLeadership(Leadership(kSelf, 4, {kSelf, 2}, {kSelf}));
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), ErrorCode::kFencedLeaderEpoch);
  EXPECT_EQ(replica_->BecomeFollower(Leadership(2, 4, {kSelf, 2}, {2})).code(), ErrorCode::kFencedLeaderEpoch);

  LeaderAndIsrState same = Leadership(kSelf, 5, {kSelf, 2}, {kSelf});
  same.bucket_epoch = 2;
  auto unchanged = replica_->UpdateLeadership(same);
  ASSERT_OK(unchanged);
  EXPECT_TRUE(*unchanged);
  EXPECT_EQ(replica_->info().isr, (std::vector<int32_t>{kSelf}));
  EXPECT_EQ(replica_->info().bucket_epoch, 2);
  auto newer = replica_->UpdateLeadership(Leadership(2, 6, {kSelf, 2}, {2}));
  ASSERT_OK(newer);
  EXPECT_FALSE(*newer);  // a change of leadership: BecomeFollower's turn
  EXPECT_EQ(replica_->info().role, ReplicaRole::kLeader);
}

TEST_F(ReplicaTest, PrimaryKeyLeaderPutsAndLooksUpThroughItsKvState) {
  MakeReplica(/*primary_key=*/true);
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, -1, {kSelf}, {kSelf})));
  // Log writes to a primary-key table are refused: its log is the changelog.
  auto produce = replica_->Produce(MakeBatch(1), /*acks=*/1);
  ASSERT_FALSE(produce.ok());
  EXPECT_EQ(produce.status().code(), ErrorCode::kInvalidTable);

  auto put = replica_->PutKv(Upserts({{1, "one"}, {2, "two"}}), {}, /*acks=*/-1);
  ASSERT_OK(put);
  EXPECT_EQ(put->log_end_offset, 2);  // two +I changelog records
  EXPECT_EQ(put->awaits_high_watermark, 0);
  EXPECT_EQ(log_->high_watermark(), 2);
  EXPECT_EQ(LookupValue(1), "one");
  EXPECT_EQ(LookupValue(2), "two");
  EXPECT_FALSE(LookupValue(3).has_value());

  put = replica_->PutKv(Upserts({{1, std::nullopt}, {2, "deux"}}), {}, /*acks=*/1);
  ASSERT_OK(put);
  EXPECT_EQ(put->log_end_offset, 5);  // -D, -U, +U
  EXPECT_FALSE(LookupValue(1).has_value());
  EXPECT_EQ(LookupValue(2), "deux");
  auto prefix = replica_->PrefixLookup({Key(2)});
  ASSERT_OK(prefix);
  ASSERT_EQ(prefix->size(), 1u);
  EXPECT_EQ((*prefix)[0].size(), 1u);
  EXPECT_EQ(replica_->PrefixLookup({""}).status().code(), ErrorCode::kCorruptRecord);
  EXPECT_OK(replica_->FlushKv());

  // Following another leader: lookups are refused and the KV state is gone from disk.
  ASSERT_TRUE(std::filesystem::exists(dir_.Sub("kv-0")));
  ASSERT_OK(replica_->BecomeFollower(Leadership(2, 1, {kSelf, 2}, {kSelf, 2})));
  EXPECT_EQ(replica_->Lookup({Key(2)}).status().code(), ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(replica_->PutKv(Upserts({{3, "three"}}), {}, 1).status().code(), ErrorCode::kNotLeaderOrFollower);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("kv-0")));

  // Leading again rebuilds the state from the changelog.
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, 2, {kSelf}, {kSelf})));
  EXPECT_FALSE(LookupValue(1).has_value());
  EXPECT_EQ(LookupValue(2), "deux");
}

TEST_F(ReplicaTest, LogTableHasNoKvState) {
  MakeReplica();
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, -1, {kSelf}, {kSelf})));
  EXPECT_EQ(replica_->Lookup({"k"}).status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_EQ(replica_->PutKv("", {}, 1).status().code(), ErrorCode::kNonPrimaryKeyTable);
}

TEST_F(ReplicaTest, DeletedReplicaServesNothingAndLosesItsKvState) {
  MakeReplica(/*primary_key=*/true);
  ASSERT_OK(replica_->BecomeLeader(Leadership(kSelf, -1, {kSelf}, {kSelf})));
  ASSERT_OK(replica_->PutKv(Upserts({{1, "one"}}), {}, 1));
  replica_->Delete();
  EXPECT_TRUE(replica_->deleted());
  EXPECT_EQ(replica_->Lookup({Key(1)}).status().code(), ErrorCode::kNotLeaderOrFollower);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("kv-0")));
}

}  // namespace
}  // namespace fluss
