// Idempotent writers: retried batches, sequence errors, expiry, and dedup across restarts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log/log_tablet.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeClock;
using testing::MakeBatch;
using testing::SmallConfig;
using testing::TempDir;

struct DedupTest : ::testing::Test {
  TempDir dir;
  FakeClock clock;
  LogConfig config = SmallConfig();

  std::unique_ptr<LogTablet> Open(bool clean = false, int64_t recovery_point = 0) {
    LogTabletOptions o;
    o.clock = clock.fn();
    o.clean_shutdown = clean;
    o.recovery_point = recovery_point;
    auto log = LogTablet::Open(dir.Sub("log-0"), config, o);
    EXPECT_OK(log);
    return std::move(log).value();
  }
};

TEST_F(DedupTest, RetriedBatchReturnsOriginalOffsetsWithoutWriting) {
  auto log = Open();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(3, 7, 0)));
  auto second = log->AppendAsLeader(MakeBatch(2, 7, 1));
  ASSERT_OK(second);
  const uint64_t size = log->size_in_bytes();
  clock.Advance(1000);
  auto retry = log->AppendAsLeader(MakeBatch(2, 7, 1));
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->first_offset, second->first_offset);
  EXPECT_EQ(retry->last_offset, second->last_offset);
  EXPECT_EQ(retry->commit_timestamp, second->commit_timestamp);
  EXPECT_EQ(log->size_in_bytes(), size);
  EXPECT_EQ(log->log_end_offset(), 5);
}

TEST_F(DedupTest, RetryOfAnyOfTheLastFiveBatchesIsDeduplicated) {
  auto log = Open();
  std::vector<LogAppendInfo> infos;
  for (int seq = 0; seq < 8; ++seq) infos.push_back(*log->AppendAsLeader(MakeBatch(1, 7, seq)));
  for (int seq = 3; seq < 8; ++seq) {
    auto retry = log->AppendAsLeader(MakeBatch(1, 7, seq));
    ASSERT_OK(retry);
    EXPECT_TRUE(retry->duplicate);
    EXPECT_EQ(retry->first_offset, infos[seq].first_offset);
  }
  EXPECT_EQ(log->log_end_offset(), 8);
}

TEST_F(DedupTest, SequenceOlderThanRetainedBatchesIsDuplicateSequence) {
  auto log = Open();
  for (int seq = 0; seq < 8; ++seq) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, seq)));
  auto old = log->AppendAsLeader(MakeBatch(1, 7, 1));
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), ErrorCode::kDuplicateSequence);
  EXPECT_EQ(log->log_end_offset(), 8);
}

TEST_F(DedupTest, SequenceGapIsOutOfOrderAndNotWritten) {
  auto log = Open();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, 0)));
  auto gap = log->AppendAsLeader(MakeBatch(1, 7, 2));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().code(), ErrorCode::kOutOfOrderSequence);
  EXPECT_EQ(log->log_end_offset(), 1);
  EXPECT_OK(log->AppendAsLeader(MakeBatch(1, 7, 1)));
}

TEST_F(DedupTest, WritersAreTrackedIndependently) {
  auto log = Open();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 1, 0)));
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 2, 0)));
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 1, 1)));
  EXPECT_TRUE(log->AppendAsLeader(MakeBatch(1, 2, 0))->duplicate);
  EXPECT_EQ(log->writer_count(), 2u);
}

TEST_F(DedupTest, BatchesWithoutWriterIdAreNeverDeduplicated) {
  auto log = Open();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1)));
  auto again = log->AppendAsLeader(MakeBatch(1));
  ASSERT_OK(again);
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(log->log_end_offset(), 2);
}

TEST_F(DedupTest, UnknownWriterIsAcceptedAtAnySequence) {
  auto log = Open();
  auto first = log->AppendAsLeader(MakeBatch(1, 42, 17));
  ASSERT_OK(first);
  EXPECT_EQ(log->writer_state(42)->last_sequence(), 17);
  EXPECT_OK(log->AppendAsLeader(MakeBatch(1, 42, 18)));
}

TEST_F(DedupTest, ExpiredWriterContinuesInsteadOfLoopingOnOutOfOrder) {
  config.writer_expiration_ms = 60'000;
  auto log = Open();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, 0)));
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, 1)));
  clock.Advance(120'000);
  EXPECT_EQ(log->RemoveExpiredWriters(), 1u);
  EXPECT_EQ(log->writer_count(), 0u);
  // The idle writer comes back with its next sequence: accepted, not OUT_OF_ORDER_SEQUENCE forever.
  auto next = log->AppendAsLeader(MakeBatch(1, 7, 2));
  ASSERT_OK(next);
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(log->writer_state(7)->last_sequence(), 2);
}

TEST_F(DedupTest, DedupSurvivesCleanRestart) {
  LogAppendInfo original;
  {
    auto log = Open();
    for (int seq = 0; seq < 30; ++seq) original = *log->AppendAsLeader(MakeBatch(2, 7, seq, 40));
    ASSERT_GT(log->num_segments(), 2u);
    ASSERT_OK(log->Close());
  }
  auto log = Open(/*clean=*/true, 60);
  auto retry = log->AppendAsLeader(MakeBatch(2, 7, 29, 40));
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->first_offset, original.first_offset);
  EXPECT_EQ(log->AppendAsLeader(MakeBatch(1, 7, 31)).status().code(), ErrorCode::kOutOfOrderSequence);
}

TEST_F(DedupTest, DedupSurvivesCrashByReplayingBatchesAfterTheLastSnapshot) {
  std::vector<LogAppendInfo> infos;
  {
    auto log = Open();
    for (int seq = 0; seq < 30; ++seq) infos.push_back(*log->AppendAsLeader(MakeBatch(2, 7, seq, 40)));
    // No Close: no snapshot at the log end, only the ones written at rolls.
  }
  auto log = Open(/*clean=*/false);
  for (int seq = 25; seq < 30; ++seq) {
    auto retry = log->AppendAsLeader(MakeBatch(2, 7, seq, 40));
    ASSERT_OK(retry);
    EXPECT_TRUE(retry->duplicate) << seq;
    EXPECT_EQ(retry->first_offset, infos[seq].first_offset);
  }
  EXPECT_OK(log->AppendAsLeader(MakeBatch(1, 7, 30)));
}

TEST_F(DedupTest, WriterSnapshotIsFlussJson) {
  {
    auto log = Open();
    ASSERT_OK(log->AppendAsLeader(MakeBatch(3, 7, 4)));
    ASSERT_OK(log->Close());
  }
  const std::string path = dir.Sub("log-0") + "/00000000000000000003.writer_snapshot";
  ASSERT_TRUE(std::filesystem::exists(path));
  auto bytes = testing::ReadFileBytes(path);
  auto doc = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
  EXPECT_EQ(doc["version"], 1);
  ASSERT_EQ(doc["writer_id_entries"].size(), 1u);
  const auto& e = doc["writer_id_entries"][0];
  EXPECT_EQ(e["writer_id"], 7);
  EXPECT_EQ(e["last_batch_sequence"], 4);
  EXPECT_EQ(e["last_batch_base_offset"], 0);
  EXPECT_EQ(e["offset_delta"], 2);
  EXPECT_EQ(e["last_batch_timestamp"], *clock.now);
}

}  // namespace
}  // namespace fluss
