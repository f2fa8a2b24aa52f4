// Log retention of lake-enabled tables: table.log.ttl and table.log.retention-size delete only
// segments the lake already holds (ReplicaManager's kLakeTiered holds, moved by a fake
// TieredOffsetsProvider before each LogManager retention pass, as FlussServer wires it).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log/log_manager.h"
#include "server/replica_manager.h"
#include "types/table_descriptor.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeClock;
using testing::MakeBatch;
using testing::SmallConfig;
using testing::TempDir;

// What the fake lake answers, and how often it was asked.
struct FakeLake {
  std::map<int64_t, std::map<int32_t, int64_t>> offsets;  // table id -> bucket -> tiered offset
  std::map<int64_t, std::map<TableBucket, int64_t>> partition_offsets;  // partitioned table id -> ...
  Status error;
  std::map<int64_t, int> calls;  // table id -> calls
};

class LakeRetentionTest : public ::testing::Test {
 protected:
  void Open() {
    LogManagerOptions o;
    o.clock = clock_.fn();
    o.background = false;
    auto logs = LogManager::Open(dir_.path(), config_, o);
    ASSERT_OK(logs);
    logs_ = std::move(logs).value();
    replicas_ = std::make_unique<ReplicaManager>(logs_.get(), nullptr, [](TableBucket) {});
    ReplicaManager* r = replicas_.get();
    logs_->SetBeforeRetention([r] { r->UpdateLakeRetentionHolds(); });
  }

  void AddTable(int64_t id, const std::string& name, int32_t buckets, bool lake, bool partitioned = false) {
    TableDescriptor d(testing::TestSchema());
    d.DistributedBy(buckets);
    if (partitioned) d.PartitionedBy({"v"});
    if (lake) d.Property("table.datalake.enabled", "true");
    TableRecord record;
    record.path = TablePath::Make("db", name).value();
    record.table_id = id;
    record.schema_id = 1;
    record.bucket_count = buckets;
    record.table_json = TableDescriptorToJson(d).dump();
    ASSERT_OK(replicas_->AddTable(record, {{1, testing::TestSchema()}}));
  }

  void InstallFakeLake() {
    replicas_->SetTieredOffsetsProvider([lake = lake_](const TableRecord& t) -> Result<std::map<TableBucket, int64_t>> {
      ++lake->calls[t.table_id];
      if (!lake->error.ok()) return lake->error;
      std::map<TableBucket, int64_t> out = lake->partition_offsets[t.table_id];
      for (const auto& [b, offset] : lake->offsets[t.table_id]) out[TableBucket(t.table_id, b)] = offset;
      return out;  // empty: no lake snapshot yet
    });
  }

  void AddPartition(int64_t table_id, const std::string& table, int64_t partition_id, const std::string& name) {
    PartitionRecord p;
    p.path = TablePath::Make("db", table).value();
    p.table_id = table_id;
    p.partition_id = partition_id;
    p.partition_name = name;
    ASSERT_OK(replicas_->AddPartition(p));
  }

  LogTablet& Log(const TableBucket& bucket) { return *replicas_->GetReplica(bucket)->log(); }

  LogTablet& Log(int64_t table, int32_t bucket) { return *replicas_->GetReplica({table, bucket})->log(); }

  // Appends 1 s apart until the bucket has `segments` segments; returns their base offsets.
  std::vector<int64_t> Fill(LogTablet& log, size_t segments) {
    int i = 0;
    while (log.num_segments() < segments) {
      EXPECT_OK(log.AppendAsLeader(MakeBatch(1, -1, -1, 100, i++)));
      clock_.Advance(1000);
    }
    log.UpdateHighWatermark(log.log_end_offset());
    return log.segment_base_offsets();
  }

  int Retention() {
    auto n = logs_->ApplyRetention();
    EXPECT_OK(n);
    return n.ok() ? *n : -1;
  }

  TempDir dir_;
  FakeClock clock_;
  LogConfig config_ = SmallConfig();
  std::shared_ptr<FakeLake> lake_ = std::make_shared<FakeLake>();
  std::unique_ptr<LogManager> logs_;
  std::unique_ptr<ReplicaManager> replicas_;
};

TEST_F(LakeRetentionTest, TtlDeletesOnlySegmentsTheLakeHolds) {
  config_.retention_ms = 60'000;
  Open();
  AddTable(1, "lake", 2, /*lake=*/true);
  AddTable(2, "plain", 1, /*lake=*/false);
  const auto bases = Fill(Log(1, 0), 6);
  Fill(Log(1, 1), 3);
  const auto plain_bases = Fill(Log(2, 0), 4);
  clock_.Advance(3'600'000);  // every segment is past the ttl

  // No provider yet: the lake table keeps everything; the other table goes by the ttl as before.
  EXPECT_EQ(Log(1, 0).retention_floor(), 0);
  EXPECT_EQ(Retention(), 3);
  EXPECT_EQ(Log(1, 0).log_start_offset(), 0);
  EXPECT_EQ(Log(1, 1).log_start_offset(), 0);
  EXPECT_EQ(Log(2, 0).log_start_offset(), plain_bases.back());
  EXPECT_EQ(Log(2, 0).retention_floor(), -1);

  InstallFakeLake();
  // No lake snapshot yet: still nothing.
  EXPECT_EQ(Retention(), 0);
  EXPECT_EQ(Log(1, 0).log_start_offset(), 0);
  // The lake cannot be read: nothing, also after the lake had answered.
  lake_->offsets[1] = {{0, bases[2] + 1}};
  lake_->error = Status::IOError("warehouse unreachable");
  EXPECT_EQ(Retention(), 0);
  EXPECT_EQ(Log(1, 0).log_start_offset(), 0);

  // The lake holds bucket 0 into its third segment: the two segments below go, the third stays
  // (it still has offsets the lake lacks); bucket 1, not named by the lake, keeps everything.
  lake_->error = Status::OK();
  EXPECT_EQ(Retention(), 2);
  EXPECT_EQ(Log(1, 0).log_start_offset(), bases[2]);
  EXPECT_LE(Log(1, 0).log_start_offset(), Log(1, 0).retention_floor());
  EXPECT_EQ(Log(1, 1).log_start_offset(), 0);
  // One lake read per pass per table, whatever the bucket count.
  EXPECT_EQ(lake_->calls[1], 3);
  EXPECT_EQ(lake_->calls.count(2), 0u);

  // A read error later holds everything again (nothing more goes, nothing comes back).
  lake_->offsets[1] = {{0, bases[5]}, {1, 0}};
  lake_->error = Status::IOError("warehouse unreachable");
  EXPECT_EQ(Retention(), 0);
  EXPECT_EQ(Log(1, 0).log_start_offset(), bases[2]);

  // The lake reaches the start of the active segment: every older segment goes, never past it.
  lake_->error = Status::OK();
  EXPECT_EQ(Retention(), 3);
  EXPECT_EQ(Log(1, 0).log_start_offset(), bases[5]);
  EXPECT_EQ(Log(1, 0).retention_floor(), bases[5]);
}

TEST_F(LakeRetentionTest, SizeRetentionWaitsForTheLakeToo) {
  config_.retention_ms = 0;  // ttl off
  config_.retention_bytes = 8000;
  Open();
  AddTable(1, "lake", 1, /*lake=*/true);
  InstallFakeLake();
  const auto bases = Fill(Log(1, 0), 8);
  ASSERT_GT(Log(1, 0).size_in_bytes(), 8000u);
  EXPECT_EQ(Retention(), 0);  // no snapshot yet
  lake_->offsets[1] = {{0, bases[1]}};
  EXPECT_EQ(Retention(), 1);
  EXPECT_EQ(Log(1, 0).log_start_offset(), bases[1]);
  EXPECT_GT(Log(1, 0).size_in_bytes(), 8000u);  // still over the limit, but the lake lacks the rest
  lake_->offsets[1] = {{0, Log(1, 0).log_end_offset()}};
  EXPECT_GT(Retention(), 0);
  EXPECT_LE(Log(1, 0).size_in_bytes(), 8000u + 4096u);
  EXPECT_GT(Log(1, 0).log_start_offset(), bases[1]);
}

TEST_F(LakeRetentionTest, ALakeAheadOfTheLogHoldsEverything) {
  config_.retention_ms = 1000;
  Open();
  AddTable(1, "lake", 1, /*lake=*/true);
  InstallFakeLake();
  Fill(Log(1, 0), 4);
  clock_.Advance(1'000'000);
  // Offsets past the log end are not this log's (a lake left by an older table of that name).
  lake_->offsets[1] = {{0, Log(1, 0).log_end_offset() + 100}};
  EXPECT_EQ(Retention(), 0);
  EXPECT_EQ(Log(1, 0).log_start_offset(), 0);
  EXPECT_EQ(Log(1, 0).retention_floor(), 0);
}

TEST_F(LakeRetentionTest, AKvHoldAndALakeHoldTogetherKeepTheLowerOne) {
  config_.retention_ms = 1000;
  Open();
  AddTable(1, "lake", 1, /*lake=*/true);
  InstallFakeLake();
  const auto bases = Fill(Log(1, 0), 5);
  clock_.Advance(1'000'000);
  Log(1, 0).SetRetentionHold(RetentionHold::kKvApplied, bases[1]);
  lake_->offsets[1] = {{0, bases[3]}};
  EXPECT_EQ(Retention(), 1);
  EXPECT_EQ(Log(1, 0).log_start_offset(), bases[1]);
  Log(1, 0).SetRetentionHold(RetentionHold::kKvApplied, -1);
  EXPECT_EQ(Retention(), 2);
  EXPECT_EQ(Log(1, 0).log_start_offset(), bases[3]);
}

}  // namespace
}  // namespace fluss

namespace fluss {
namespace {

// A partitioned lake table: each partition's buckets are held by the lake's offsets of that
// partition; a partition the lake does not name yet keeps everything.
TEST_F(LakeRetentionTest, EachPartitionBucketIsHeldByItsOwnTieredOffset) {
  config_.retention_ms = 60'000;
  Open();
  AddTable(1, "events", 1, /*lake=*/true, /*partitioned=*/true);
  AddPartition(1, "events", 10, "a");
  AddPartition(1, "events", 11, "b");
  const TableBucket a(1, 10, 0);
  const TableBucket b(1, 11, 0);
  const auto a_bases = Fill(Log(a), 5);
  Fill(Log(b), 5);
  clock_.Advance(3'600'000);  // every segment is past the ttl

  // No provider: nothing of either partition is deleted.
  EXPECT_EQ(Retention(), 0);
  InstallFakeLake();
  // The lake holds partition a up to its third segment and names neither partition b nor (wrongly)
  // partition a's bucket under the table without a partition.
  lake_->partition_offsets[1] = {{a, a_bases[2]}};
  lake_->offsets[1] = {{0, a_bases[4]}};
  EXPECT_EQ(Retention(), 2);
  EXPECT_EQ(Log(a).log_start_offset(), a_bases[2]);
  EXPECT_EQ(Log(b).log_start_offset(), 0);
  EXPECT_EQ(lake_->calls[1], 1);
}

}  // namespace
}  // namespace fluss
