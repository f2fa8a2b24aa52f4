// Retention (ttl, size, high watermark, retention holds) and truncation of a bucket log.
#include <gtest/gtest.h>

#include "log/log_tablet.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeClock;
using testing::MakeBatch;
using testing::ReadAll;
using testing::SmallConfig;
using testing::TempDir;

struct RetentionTest : ::testing::Test {
  TempDir dir;
  FakeClock clock;
  LogConfig config = SmallConfig();

  std::unique_ptr<LogTablet> Open() {
    LogTabletOptions o;
    o.clock = clock.fn();
    auto log = LogTablet::Open(dir.Sub("log-0"), config, o);
    EXPECT_OK(log);
    return std::move(log).value();
  }
  // Appends until `segments` segments exist, advancing the clock 1 s per batch.
  void FillSegments(LogTablet& log, size_t segments) {
    int i = 0;
    while (log.num_segments() < segments) {
      ASSERT_OK(log.AppendAsLeader(MakeBatch(1, -1, -1, 100, i++)));
      clock.Advance(1000);
    }
    log.UpdateHighWatermark(log.log_end_offset());
  }
};

TEST_F(RetentionTest, DeletesSegmentsWhoseNewestBatchIsOlderThanTtl) {
  config.retention_ms = 60'000;
  const int64_t t0 = *clock.now;
  auto log = Open();
  FillSegments(*log, 4);
  const auto bases = log->segment_base_offsets();
  // Batch i has timestamp t0 + i s: move to 5 s past the ttl of segment 0's newest batch, which is
  // still 5 s before that of segment 1's.
  const int64_t newest_of_first = t0 + (bases[1] - 1) * 1000;
  ASSERT_EQ(bases[2] - bases[1], 10);
  *clock.now = newest_of_first + 60'000 + 5'000;
  auto deleted = log->DeleteExpiredSegments();
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(log->log_start_offset(), bases[1]);
  EXPECT_FALSE(std::filesystem::exists(testing::SegmentPath(log->dir(), 0, ".log")));
  EXPECT_EQ(log->Read(0, 100).status().code(), ErrorCode::kLogOffsetOutOfRange);
  EXPECT_EQ(ReadAll(*log).front().base_offset(), bases[1]);
}

TEST_F(RetentionTest, NeverDeletesTheActiveSegment) {
  config.retention_ms = 1000;
  auto log = Open();
  FillSegments(*log, 3);
  clock.Advance(1'000'000);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 2);
  EXPECT_EQ(log->num_segments(), 1u);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 0);
  EXPECT_EQ(log->num_segments(), 1u);
  EXPECT_LT(log->log_start_offset(), log->log_end_offset());
}

TEST_F(RetentionTest, SizeLimitDeletesOldestSegmentsUntilUnderIt) {
  config.retention_ms = 0;  // ttl off
  config.retention_bytes = 8000;
  auto log = Open();
  FillSegments(*log, 6);
  EXPECT_GT(log->size_in_bytes(), 8000u);
  auto deleted = log->DeleteExpiredSegments();
  ASSERT_OK(deleted);
  EXPECT_GT(*deleted, 0);
  EXPECT_LE(log->size_in_bytes(), 8000u + 4096u);
  EXPECT_GE(log->size_in_bytes(), 8000u - 4096u);
}

TEST_F(RetentionTest, KeepsSegmentsAboveTheHighWatermark) {
  config.retention_ms = 1000;
  auto log = Open();
  FillSegments(*log, 4);
  const auto bases = log->segment_base_offsets();
  log->UpdateHighWatermark(bases[1] + 1);
  clock.Advance(1'000'000);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 1);
  EXPECT_EQ(log->log_start_offset(), bases[1]);
}

TEST_F(RetentionTest, KeepsSegmentsHoldingTheRetentionFloor) {
  config.retention_ms = 1000;
  auto log = Open();
  FillSegments(*log, 4);
  const auto bases = log->segment_base_offsets();
  log->SetRetentionHold(RetentionHold::kKvApplied, bases[2]);
  clock.Advance(1'000'000);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 2);
  EXPECT_EQ(log->log_start_offset(), bases[2]);
}

TEST_F(RetentionTest, TheSmallestHoldWinsAndClearingOneReleasesIt) {
  config.retention_ms = 1000;
  auto log = Open();
  FillSegments(*log, 5);
  const auto bases = log->segment_base_offsets();
  log->SetRetentionHold(RetentionHold::kKvApplied, bases[3]);
  // A hold inside a segment keeps that segment: the floor is an offset, not a segment boundary.
  log->SetRetentionHold(RetentionHold::kLakeTiered, bases[1] + 1);
  EXPECT_EQ(log->retention_floor(), bases[1] + 1);
  clock.Advance(1'000'000);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 1);
  EXPECT_EQ(log->log_start_offset(), bases[1]);
  // A hold at 0 keeps everything.
  log->SetRetentionHold(RetentionHold::kLakeTiered, 0);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 0);
  log->SetRetentionHold(RetentionHold::kLakeTiered, -1);
  EXPECT_EQ(log->retention_hold(RetentionHold::kLakeTiered), -1);
  EXPECT_EQ(log->retention_floor(), bases[3]);
  EXPECT_EQ(*log->DeleteExpiredSegments(), 2);
  EXPECT_EQ(log->log_start_offset(), bases[3]);
}

TEST_F(RetentionTest, LogStartSurvivesRestartAfterRetention) {
  config.retention_ms = 1000;
  int64_t start = 0;
  {
    auto log = Open();
    FillSegments(*log, 3);
    clock.Advance(1'000'000);
    ASSERT_EQ(*log->DeleteExpiredSegments(), 2);
    start = log->log_start_offset();
    ASSERT_OK(log->Close());
  }
  auto log = Open();
  EXPECT_EQ(log->log_start_offset(), start);
}

TEST(TruncateTest, TruncateToRemovesLaterOffsetsAndSegments) {
  TempDir dir;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
  std::vector<int64_t> firsts;
  for (int i = 0; i < 40; ++i) firsts.push_back(log->AppendAsLeader(MakeBatch(2, -1, -1, 40))->first_offset);
  ASSERT_GE(log->num_segments(), 3u);
  const int64_t target = firsts[12];
  ASSERT_OK(log->TruncateTo(target));
  EXPECT_EQ(log->log_end_offset(), target);
  for (int64_t base : log->segment_base_offsets()) EXPECT_LE(base, target);
  EXPECT_EQ(ReadAll(*log).size(), 12u);
  auto r = log->AppendAsLeader(MakeBatch(1));
  ASSERT_OK(r);
  EXPECT_EQ(r->first_offset, target);
  EXPECT_EQ(ReadAll(*log).size(), 13u);
}

TEST(TruncateTest, TruncateIntoABatchRemovesTheWholeBatch) {
  TempDir dir;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(3)));  // 0..2
  ASSERT_OK(log->AppendAsLeader(MakeBatch(3)));  // 3..5
  ASSERT_OK(log->TruncateTo(4));
  EXPECT_EQ(log->log_end_offset(), 3);
}

TEST(TruncateTest, TruncationSurvivesReopen) {
  TempDir dir;
  int64_t end = 0;
  {
    auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
    for (int i = 0; i < 40; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 40)));
    ASSERT_OK(log->TruncateTo(17));
    ASSERT_OK(log->AppendAsLeader(MakeBatch(1)));
    end = log->log_end_offset();
  }
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();  // unclean
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(ReadAll(*log).size(), 18u);
}

TEST(TruncateTest, TruncateForgetsWriterStateOfRemovedBatches) {
  TempDir dir;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
  for (int seq = 0; seq < 4; ++seq) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, seq)));
  ASSERT_OK(log->TruncateTo(2));
  EXPECT_EQ(log->writer_state(7)->last_sequence(), 1);
  auto again = log->AppendAsLeader(MakeBatch(1, 7, 2));
  ASSERT_OK(again);
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->first_offset, 2);
}

TEST(TruncateTest, TruncateFullyAndStartAtRestartsTheLogEmpty) {
  TempDir dir;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
  for (int i = 0; i < 20; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, i, 40)));
  ASSERT_OK(log->TruncateFullyAndStartAt(1000));
  EXPECT_EQ(log->log_start_offset(), 1000);
  EXPECT_EQ(log->log_end_offset(), 1000);
  EXPECT_EQ(log->segment_base_offsets(), std::vector<int64_t>{1000});
  EXPECT_EQ(log->writer_count(), 0u);
  EXPECT_EQ(log->AppendAsLeader(MakeBatch(2))->first_offset, 1000);
  log.reset();
  auto reopened = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
  EXPECT_EQ(reopened->log_start_offset(), 1000);
  EXPECT_EQ(reopened->log_end_offset(), 1002);
}

TEST(TruncateTest, TruncateBelowLogStartRestartsAtTheOffset) {
  TempDir dir;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), SmallConfig())).value();
  ASSERT_OK(log->TruncateFullyAndStartAt(50));
  ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
  ASSERT_OK(log->TruncateTo(10));
  EXPECT_EQ(log->log_start_offset(), 10);
  EXPECT_EQ(log->log_end_offset(), 10);
}

}  // namespace
}  // namespace fluss
