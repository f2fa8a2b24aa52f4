// Append, read, offsets and timestamps of one bucket log.
#include "log/log_tablet.h"

#include <gtest/gtest.h>

#include "common/byte_io.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeClock;
using testing::MakeBatch;
using testing::ReadAll;
using testing::SmallConfig;
using testing::TempDir;

std::unique_ptr<LogTablet> OpenLog(const TempDir& dir, LogConfig config = SmallConfig(), ClockMs clock = nullptr) {
  LogTabletOptions o;
  if (clock) o.clock = clock;
  auto log = LogTablet::Open(dir.Sub("log-0"), config, o);
  EXPECT_OK(log);
  return std::move(log).value();
}

TEST(LogTabletTest, NewLogIsEmptyAtOffsetZero) {
  TempDir dir;
  auto log = OpenLog(dir);
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->num_segments(), 1u);
  EXPECT_TRUE(std::filesystem::exists(testing::SegmentPath(log->dir(), 0, ".log")));
}

TEST(LogTabletTest, AppendAssignsConsecutiveOffsetsAndOneCommitTimestamp) {
  TempDir dir;
  FakeClock clock;
  auto log = OpenLog(dir, SmallConfig(), clock.fn());
  auto a = log->AppendAsLeader(MakeBatch(3));
  ASSERT_OK(a);
  EXPECT_EQ(a->first_offset, 0);
  EXPECT_EQ(a->last_offset, 2);
  EXPECT_EQ(a->commit_timestamp, *clock.now);
  auto b = log->AppendAsLeader(testing::Concat({MakeBatch(2), MakeBatch(1)}));
  ASSERT_OK(b);
  EXPECT_EQ(b->first_offset, 3);
  EXPECT_EQ(b->last_offset, 5);
  EXPECT_EQ(b->batch_count, 2);
  EXPECT_EQ(log->log_end_offset(), 6);

  auto batches = ReadAll(*log);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].base_offset(), 0);
  EXPECT_EQ(batches[1].base_offset(), 3);
  EXPECT_EQ(batches[2].base_offset(), 5);
  for (const auto& batch : batches) EXPECT_EQ(batch.commit_timestamp(), *clock.now);
}

TEST(LogTabletTest, ReadBackRecordsEqualWhatWasAppended) {
  TempDir dir;
  auto log = OpenLog(dir);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(4, -1, -1, 8, 100)));
  auto batches = ReadAll(*log);
  ASSERT_EQ(batches.size(), 1u);
  auto records = batches[0].ReadRecords(testing::TestSchema());
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*records)[i].offset, i);
    EXPECT_EQ((*records)[i].row.GetInt(0), 100 + i);
  }
}

TEST(LogTabletTest, AppendAndReadAcrossSegmentRolls) {
  TempDir dir;
  auto log = OpenLog(dir);
  std::vector<int64_t> bases;
  for (int i = 0; i < 60; ++i) {
    auto r = log->AppendAsLeader(MakeBatch(2, -1, -1, 40, i * 2));
    ASSERT_OK(r);
    bases.push_back(r->first_offset);
  }
  EXPECT_GT(log->num_segments(), 3u);
  for (int64_t base : log->segment_base_offsets()) {
    EXPECT_TRUE(std::find(bases.begin(), bases.end(), base) != bases.end()) << "segment base " << base;
  }
  auto batches = ReadAll(*log);
  ASSERT_EQ(batches.size(), 60u);
  for (size_t i = 0; i < batches.size(); ++i) EXPECT_EQ(batches[i].base_offset(), bases[i]);
}

TEST(LogTabletTest, ReadFromEveryOffsetStartsWithTheBatchHoldingIt) {
  // Dense index (an entry every 256 bytes) and rolls every ~4 KiB: this walks every index entry
  // boundary and every segment boundary.
  TempDir dir;
  auto log = OpenLog(dir);
  for (int i = 0; i < 40; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(1 + i % 3, -1, -1, 30)));
  const auto all = ReadAll(*log);
  for (const auto& batch : all) {
    for (int64_t off = batch.base_offset(); off <= batch.last_offset(); ++off) {
      auto data = log->Read(off, 1);  // max 1 byte: exactly the one batch holding `off`
      ASSERT_OK(data);
      auto bytes = data->ReadRecords();
      ASSERT_OK(bytes);
      auto got = ParseLogRecordBatches(*bytes, true, false);
      ASSERT_OK(got);
      ASSERT_EQ(got->size(), 1u) << "offset " << off;
      EXPECT_EQ((*got)[0].base_offset(), batch.base_offset()) << "offset " << off;
    }
  }
}

TEST(LogTabletTest, ReadReturnsOnlyWholeBatchesWithinMaxBytes) {
  TempDir dir;
  LogConfig config = SmallConfig();
  config.segment_bytes = 1 << 20;
  auto log = OpenLog(dir, config);
  for (int i = 0; i < 20; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 100)));
  const size_t batch_size = ReadAll(*log)[0].size_in_bytes();
  auto data = log->Read(0, batch_size * 5 + batch_size / 2);
  ASSERT_OK(data);
  EXPECT_EQ(data->region.size, batch_size * 5);
  auto parsed = ParseLogRecordBatches(*data->ReadRecords(), true, false);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->size(), 5u);
}

TEST(LogTabletTest, ReadReturnsOneBatchLargerThanMaxBytes) {
  TempDir dir;
  auto log = OpenLog(dir);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(5, -1, -1, 200)));
  auto data = log->Read(0, 10);
  ASSERT_OK(data);
  EXPECT_GT(data->region.size, 10u);
  EXPECT_EQ(ParseLogRecordBatches(*data->ReadRecords(), true, false)->size(), 1u);
}

TEST(LogTabletTest, ReadAtLogEndIsEmptyAndBeyondIsOutOfRange) {
  TempDir dir;
  auto log = OpenLog(dir);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
  auto at_end = log->Read(2, 1024);
  ASSERT_OK(at_end);
  EXPECT_TRUE(at_end->region.empty());
  EXPECT_EQ(at_end->log_end_offset, 2);
  auto beyond = log->Read(3, 1024);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), ErrorCode::kLogOffsetOutOfRange);
  EXPECT_EQ(log->Read(-1, 1024).status().code(), ErrorCode::kLogOffsetOutOfRange);
}

TEST(LogTabletTest, HighWatermarkIsolationServesOnlyBatchesBelowIt) {
  TempDir dir;
  auto log = OpenLog(dir);
  for (int i = 0; i < 5; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));  // offsets 0..9
  EXPECT_EQ(log->high_watermark(), 0);
  EXPECT_TRUE(log->Read(0, 1 << 20, FetchIsolation::kHighWatermark)->region.empty());
  EXPECT_EQ(log->UpdateHighWatermark(6), 6);
  auto data = log->Read(0, 1 << 20, FetchIsolation::kHighWatermark);
  ASSERT_OK(data);
  auto batches = ParseLogRecordBatches(*data->ReadRecords(), true, false);
  ASSERT_EQ(batches->size(), 3u);
  EXPECT_EQ(batches->back().last_offset(), 5);
  EXPECT_EQ(data->high_watermark, 6);
  EXPECT_EQ(log->UpdateHighWatermark(100), 10);  // clamped to the log end
}

TEST(LogTabletTest, OffsetForTimestampFindsFirstBatchAtOrAfterIt) {
  TempDir dir;
  FakeClock clock;
  auto log = OpenLog(dir, SmallConfig(), clock.fn());
  const int64_t t0 = *clock.now;
  std::vector<int64_t> first_offsets;
  for (int i = 0; i < 50; ++i) {
    auto r = log->AppendAsLeader(MakeBatch(2, -1, -1, 30));
    ASSERT_OK(r);
    first_offsets.push_back(r->first_offset);
    clock.Advance(10);  // batch i has timestamp t0 + 10 i
  }
  ASSERT_GT(log->num_segments(), 2u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(*log->OffsetForTimestamp(t0 + 10 * i), first_offsets[i]) << i;
    EXPECT_EQ(*log->OffsetForTimestamp(t0 + 10 * i - 5), first_offsets[i]) << i;
  }
  EXPECT_EQ(*log->OffsetForTimestamp(0), 0);
  EXPECT_EQ(*log->OffsetForTimestamp(t0 + 10'000), log->log_end_offset());
}

TEST(LogTabletTest, RollsSegmentOlderThanRollTime) {
  TempDir dir;
  FakeClock clock;
  LogConfig config = SmallConfig();
  config.segment_bytes = 1 << 20;
  config.segment_roll_ms = 1000;
  auto log = OpenLog(dir, config, clock.fn());
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1)));
  clock.Advance(500);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1)));
  EXPECT_EQ(log->num_segments(), 1u);
  clock.Advance(600);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1)));
  EXPECT_EQ(log->segment_base_offsets(), (std::vector<int64_t>{0, 2}));
}

TEST(LogTabletTest, BatchWithWrongCrcIsRefusedAndLogUnchanged) {
  TempDir dir;
  auto log = OpenLog(dir);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
  const uint64_t size_before = log->size_in_bytes();
  auto bad = MakeBatch(3).ToVector();
  bad[bad.size() - 1] ^= 0xff;  // a byte under the CRC
  auto r = log->AppendAsLeader(testing::Concat({MakeBatch(1), Buffer::FromVector(bad)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_NE(r.status().message().find("CRC"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(log->log_end_offset(), 2);
  EXPECT_EQ(log->size_in_bytes(), size_before);
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

TEST(LogTabletTest, BatchWithWrongLengthIsRefusedAndLogUnchanged) {
  TempDir dir;
  auto log = OpenLog(dir);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
  const uint64_t size_before = log->size_in_bytes();
  for (int32_t delta : {+7, -5}) {
    auto bad = MakeBatch(3).ToVector();
    StoreLE<int32_t>(bad.data() + log_batch::kLengthOffset, LoadLE<int32_t>(bad.data() + log_batch::kLengthOffset) + delta);
    auto r = log->AppendAsLeader(Buffer::FromVector(bad));
    ASSERT_FALSE(r.ok()) << delta;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord) << delta;
  }
  auto tiny = log->AppendAsLeader(Buffer::Copy(std::string_view("short")));
  EXPECT_EQ(tiny.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_EQ(log->AppendAsLeader(Buffer()).status().code(), ErrorCode::kCorruptRecord);
  EXPECT_EQ(log->log_end_offset(), 2);
  EXPECT_EQ(log->size_in_bytes(), size_before);
}

TEST(LogTabletTest, BatchLargerThanSegmentSizeIsRefused) {
  TempDir dir;
  auto log = OpenLog(dir);
  auto r = log->AppendAsLeader(MakeBatch(10, -1, -1, 1000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kRecordTooLarge);
  EXPECT_EQ(log->log_end_offset(), 0);
}

TEST(LogTabletTest, FollowerAppendKeepsOffsetsAndRequiresContinuity) {
  TempDir leader_dir, follower_dir;
  auto leader = OpenLog(leader_dir);
  auto follower = OpenLog(follower_dir);
  for (int i = 0; i < 3; ++i) ASSERT_OK(leader->AppendAsLeader(MakeBatch(2, 9, i)));
  auto fetched = leader->Read(0, 1 << 20);
  auto bytes = *fetched->ReadRecords();
  auto r = follower->AppendAsFollower(bytes);
  ASSERT_OK(r);
  EXPECT_EQ(follower->log_end_offset(), 6);
  EXPECT_EQ(follower->writer_state(9)->last_sequence(), 2);
  EXPECT_FALSE(follower->AppendAsFollower(bytes).ok());  // offsets 0.. again: not at the log end
}

TEST(LogTabletTest, FlushAdvancesRecoveryPointToLogEnd) {
  TempDir dir;
  auto log = OpenLog(dir);
  ASSERT_OK(log->AppendAsLeader(MakeBatch(3)));
  EXPECT_TRUE(log->HasUnflushed());
  EXPECT_EQ(log->recovery_point(), 0);
  ASSERT_OK(log->Flush());
  EXPECT_EQ(log->recovery_point(), 3);
  EXPECT_FALSE(log->HasUnflushed());
}

TEST(LogTabletTest, FlushIntervalMessagesOneFsyncsEveryAppend) {
  TempDir dir;
  LogConfig config = SmallConfig();
  config.flush_interval_messages = 1;
  auto log = OpenLog(dir, config);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
    EXPECT_EQ(log->recovery_point(), 2 * i);
  }
}

TEST(LogTabletTest, ReopenAfterCloseKeepsEverything) {
  TempDir dir;
  FakeClock clock;
  std::vector<int64_t> ends;
  {
    auto log = OpenLog(dir, SmallConfig(), clock.fn());
    for (int i = 0; i < 30; ++i) {
      ASSERT_OK(log->AppendAsLeader(MakeBatch(2, -1, -1, 40)));
      clock.Advance(5);
    }
    ASSERT_OK(log->Close());
  }
  LogTabletOptions o;
  o.clean_shutdown = true;
  o.recovery_point = 60;
  o.clock = clock.fn();
  auto log = LogTablet::Open(dir.Sub("log-0"), SmallConfig(), o);
  ASSERT_OK(log);
  EXPECT_EQ((*log)->log_end_offset(), 60);
  EXPECT_EQ(ReadAll(**log).size(), 30u);
  auto r = (*log)->AppendAsLeader(MakeBatch(1));
  ASSERT_OK(r);
  EXPECT_EQ(r->first_offset, 60);
}

}  // namespace
}  // namespace fluss
