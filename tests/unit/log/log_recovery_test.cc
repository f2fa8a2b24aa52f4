// Recovery: torn tails, corrupt bytes, corrupt and missing indexes, scans bounded by the recovery point.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "log/log_tablet.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::MakeBatch;
using testing::ReadAll;
using testing::SegmentPath;
using testing::SmallConfig;
using testing::TempDir;

// Captures what the log engine reports through spdlog during a test.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)), previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string Text() const {
    std::string all;
    for (const auto& line : sink_->last_formatted()) all += line;
    return all;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

struct RecoveryTest : ::testing::Test {
  TempDir dir;
  LogConfig config = SmallConfig();
  std::string log_dir = dir.Sub("log-0");

  std::unique_ptr<LogTablet> Open(bool clean = false, int64_t recovery_point = 0) {
    LogTabletOptions o;
    o.clean_shutdown = clean;
    o.recovery_point = recovery_point;
    auto log = LogTablet::Open(log_dir, config, o);
    EXPECT_OK(log);
    return log.ok() ? std::move(log).value() : nullptr;
  }
  // Appends `n` batches of one row and returns their base offsets.
  std::vector<int64_t> Fill(LogTablet& log, int n, size_t payload = 40) {
    std::vector<int64_t> offsets;
    for (int i = 0; i < n; ++i) offsets.push_back(log.AppendAsLeader(MakeBatch(1, -1, -1, payload, i))->first_offset);
    return offsets;
  }
  // File position of the batch at `offset` in segment `base`.
  uint64_t PositionOf(LogTablet& log, int64_t offset) {
    auto data = log.Read(offset, 1);
    return data->region.position;
  }
};

TEST_F(RecoveryTest, TornTailIsCutOnUncleanOpen) {
  {
    auto log = Open();
    Fill(*log, 5);
  }  // dropped without Close: an unclean shutdown
  const std::string seg = SegmentPath(log_dir, 0, ".log");
  const uint64_t good = std::filesystem::file_size(seg);
  auto half = MakeBatch(3).ToVector();
  half.resize(half.size() / 2);
  auto bytes = testing::ReadFileBytes(seg);
  bytes.insert(bytes.end(), half.begin(), half.end());
  testing::WriteFileBytes(seg, bytes);

  CapturedLog captured;
  auto log = Open();
  EXPECT_EQ(log->log_end_offset(), 5);
  EXPECT_EQ(std::filesystem::file_size(seg), good);
  EXPECT_EQ(ReadAll(*log).size(), 5u);
  EXPECT_NE(captured.Text().find("bytes removed"), std::string::npos) << captured.Text();
  EXPECT_EQ(log->AppendAsLeader(MakeBatch(1))->first_offset, 5);
}

TEST_F(RecoveryTest, CorruptByteMidSegmentCutsFromThatBatchAndReportsIt) {
  config.segment_bytes = 1 << 20;
  std::vector<int64_t> offsets;
  uint64_t position = 0;
  {
    auto log = Open();
    offsets = Fill(*log, 10);
    position = PositionOf(*log, offsets[6]);
  }
  testing::FlipByte(SegmentPath(log_dir, 0, ".log"), position + 60);  // inside batch 6's records

  CapturedLog captured;
  auto log = Open();
  EXPECT_EQ(log->log_end_offset(), offsets[6]);
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(log_dir, 0, ".log")), position);
  auto batches = ReadAll(*log);
  ASSERT_EQ(batches.size(), 6u);
  EXPECT_NE(captured.Text().find("CRC mismatch"), std::string::npos) << captured.Text();
  EXPECT_NE(captured.Text().find(fmt::format("cut at position {}", position)), std::string::npos) << captured.Text();
}

TEST_F(RecoveryTest, CorruptByteInEarlierSegmentDropsLaterSegments) {
  std::vector<int64_t> offsets;
  std::vector<int64_t> bases;
  {
    auto log = Open();
    offsets = Fill(*log, 40);
    bases = log->segment_base_offsets();
  }
  ASSERT_GE(bases.size(), 3u);
  // Corrupt the second batch of the second segment.
  const int64_t victim = bases[1] + 1;
  const std::string seg1 = SegmentPath(log_dir, bases[1], ".log");
  auto first_size = MakeBatch(1, -1, -1, 40).size();
  testing::FlipByte(seg1, first_size + 50);

  auto log = Open(/*clean=*/false, /*recovery_point=*/0);
  EXPECT_EQ(log->log_end_offset(), victim);
  EXPECT_EQ(log->segment_base_offsets(), (std::vector<int64_t>{bases[0], bases[1]}));
  EXPECT_FALSE(std::filesystem::exists(SegmentPath(log_dir, bases[2], ".log")));
  EXPECT_EQ(ReadAll(*log).size(), static_cast<size_t>(victim));
}

TEST_F(RecoveryTest, UncleanOpenChecksOnlySegmentsFromTheRecoveryPoint) {
  std::vector<int64_t> bases;
  int64_t end = 0;
  {
    auto log = Open();
    Fill(*log, 40);
    ASSERT_OK(log->Flush());
    bases = log->segment_base_offsets();
    end = log->log_end_offset();
  }
  ASSERT_GE(bases.size(), 3u);
  // A flipped byte in the first segment, below the recovery point, is not looked at (no full
  // rescan); the CRC check of the reader would still catch it when served.
  testing::FlipByte(SegmentPath(log_dir, bases[0], ".log"), 100);
  auto log = Open(/*clean=*/false, /*recovery_point=*/end);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->num_segments(), bases.size());
}

TEST_F(RecoveryTest, UncleanOpenScansFromTheIndexEntryBelowTheRecoveryPoint) {
  config.segment_bytes = 1 << 20;
  std::vector<int64_t> offsets;
  uint64_t early = 0, late = 0;
  {
    auto log = Open();
    offsets = Fill(*log, 60);
    early = PositionOf(*log, offsets[3]);
    late = PositionOf(*log, offsets[50]);
  }
  testing::FlipByte(SegmentPath(log_dir, 0, ".log"), early + 60);
  testing::FlipByte(SegmentPath(log_dir, 0, ".log"), late + 60);
  auto log = Open(/*clean=*/false, /*recovery_point=*/offsets[40]);
  // The damage after the recovery point is found and cut; the one well before it is not scanned.
  EXPECT_EQ(log->log_end_offset(), offsets[50]);
}

TEST_F(RecoveryTest, CorruptIndexIsDetectedAndRebuiltOnCleanOpen) {
  std::vector<int64_t> bases;
  {
    auto log = Open();
    Fill(*log, 40);
    bases = log->segment_base_offsets();
    ASSERT_OK(log->Close());
  }
  const std::string index = SegmentPath(log_dir, bases[0], ".index");
  const auto original = testing::ReadFileBytes(index);
  ASSERT_GE(original.size(), 16u);
  testing::FlipByte(index, 8 + 2);  // second entry's relative offset

  CapturedLog captured;
  auto log = Open(/*clean=*/true, 1'000'000);
  EXPECT_EQ(testing::ReadFileBytes(index), original);
  EXPECT_NE(captured.Text().find("rebuilding the indexes"), std::string::npos) << captured.Text();
  EXPECT_EQ(ReadAll(*log).size(), 40u);
}

TEST_F(RecoveryTest, IndexPointingAtWrongBatchIsRebuilt) {
  std::vector<int64_t> bases;
  {
    auto log = Open();
    Fill(*log, 40);
    bases = log->segment_base_offsets();
    ASSERT_OK(log->Close());
  }
  const std::string index = SegmentPath(log_dir, bases[0], ".index");
  const auto original = testing::ReadFileBytes(index);
  auto damaged = original;
  damaged[damaged.size() - 1] += 1;  // last entry's position now points inside a batch
  testing::WriteFileBytes(index, damaged);
  auto log = Open(/*clean=*/true, 1'000'000);
  EXPECT_EQ(testing::ReadFileBytes(index), original);
  EXPECT_EQ(ReadAll(*log).size(), 40u);
}

TEST_F(RecoveryTest, MissingIndexFilesAreRebuilt) {
  std::vector<int64_t> bases;
  int64_t end = 0;
  {
    auto log = Open();
    Fill(*log, 40);
    bases = log->segment_base_offsets();
    end = log->log_end_offset();
    ASSERT_OK(log->Close());
  }
  const auto index = testing::ReadFileBytes(SegmentPath(log_dir, bases[1], ".index"));
  const auto time_index = testing::ReadFileBytes(SegmentPath(log_dir, bases[1], ".timeindex"));
  std::filesystem::remove(SegmentPath(log_dir, bases[1], ".index"));
  std::filesystem::remove(SegmentPath(log_dir, bases[1], ".timeindex"));
  auto log = Open(/*clean=*/true, end);
  EXPECT_EQ(testing::ReadFileBytes(SegmentPath(log_dir, bases[1], ".index")), index);
  EXPECT_EQ(testing::ReadFileBytes(SegmentPath(log_dir, bases[1], ".timeindex")), time_index);
  EXPECT_EQ(log->log_end_offset(), end);
}

TEST_F(RecoveryTest, UntrimmedIndexOfRolledSegmentIsTrimmedNotRebuilt) {
  std::vector<int64_t> bases;
  {
    auto log = Open();
    Fill(*log, 40);
    bases = log->segment_base_offsets();
    ASSERT_OK(log->Close());
  }
  const std::string index = SegmentPath(log_dir, bases[0], ".index");
  auto bytes = testing::ReadFileBytes(index);
  const size_t entries = bytes.size();
  bytes.resize(4096, 0);  // as if the crash came between roll and trim
  testing::WriteFileBytes(index, bytes);
  auto log = Open(/*clean=*/true, 1'000'000);
  EXPECT_EQ(std::filesystem::file_size(index), entries);
}

TEST_F(RecoveryTest, LeftoversOfInterruptedDeletesAreRemoved) {
  {
    auto log = Open();
    Fill(*log, 3);
    ASSERT_OK(log->Close());
  }
  testing::WriteFileBytes(log_dir + "/00000000000000000000.log.deleted", {1, 2, 3});
  testing::WriteFileBytes(log_dir + "/leader-epoch-checkpoint.tmp", {1});
  auto log = Open(true, 3);
  EXPECT_FALSE(std::filesystem::exists(log_dir + "/00000000000000000000.log.deleted"));
  EXPECT_FALSE(std::filesystem::exists(log_dir + "/leader-epoch-checkpoint.tmp"));
  EXPECT_EQ(log->log_end_offset(), 3);
}

TEST_F(RecoveryTest, GarbageAfterCleanShutdownIsCutByTheTailCheck) {
  {
    auto log = Open();
    Fill(*log, 3);
    ASSERT_OK(log->Close());
  }
  const std::string seg = SegmentPath(log_dir, 0, ".log");
  auto bytes = testing::ReadFileBytes(seg);
  const size_t good = bytes.size();
  bytes.resize(good + 30, 0xab);
  testing::WriteFileBytes(seg, bytes);
  auto log = Open(/*clean=*/true, 3);
  EXPECT_EQ(log->log_end_offset(), 3);
  EXPECT_EQ(std::filesystem::file_size(seg), good);
}

}  // namespace
}  // namespace fluss
