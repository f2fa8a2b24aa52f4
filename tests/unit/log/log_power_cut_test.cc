// Power cuts on the fault-injecting file system (fs/fault_injection_file_system.h): at every write,
// fsync, rename, truncate and allocation of a segment roll, of a checkpoint write and of a clean
// close, that step and all after it fail, then everything not made durable is undone on disk. The
// log reopened with the real file system must open, hold every batch acknowledged (flushed) before
// the cut, intact (CRC-checked reads) and at its offsets, serve nothing past its end, and go on.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "fs/fault_injection_file_system.h"
#include "log/checkpoint_file.h"
#include "log/log_manager.h"
#include "log/log_tablet.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::MakeBatch;
using testing::ReadAll;
using testing::TempDir;

namespace sfs = std::filesystem;

constexpr int64_t kPowerCutWriter = 7;

// A copy of a directory taken once and put back before every power cut.
class PowerCutSnapshot {
 public:
  PowerCutSnapshot(std::string dir, std::string saved) : dir_(std::move(dir)), saved_(std::move(saved)) {
    sfs::copy(dir_, saved_, sfs::copy_options::recursive);
  }
  void Restore() const {
    sfs::remove_all(dir_);
    sfs::copy(saved_, dir_, sfs::copy_options::recursive);
  }

 private:
  std::string dir_;
  std::string saved_;
};

// Checks a reopened log: batches at contiguous offsets from 0, each CRC-checked by the read and
// written by kPowerCutWriter with sequence = its index; at least `acknowledged`, at most `written`.
void ExpectWholeLog(const LogTablet& log, size_t acknowledged, size_t written) {
  const std::vector<LogRecordBatch> batches = ReadAll(log);
  ASSERT_GE(batches.size(), acknowledged) << "a flushed batch was lost";
  ASSERT_LE(batches.size(), written) << "the log holds batches nobody wrote";
  int64_t next = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(batches[i].base_offset(), next) << "batch " << i;
    EXPECT_EQ(batches[i].writer_id(), kPowerCutWriter);
    EXPECT_EQ(batches[i].batch_sequence(), static_cast<int32_t>(i));
    next = batches[i].next_offset();
  }
  EXPECT_EQ(log.log_end_offset(), next) << "the log end is not the end of its last whole batch";
  for (const EpochEntry& e : log.leader_epochs()) EXPECT_LE(e.start_offset, log.log_end_offset());
}

// Small segments: a handful of batches fill one, the next append rolls.
LogConfig PowerCutConfig() {
  LogConfig c = testing::SmallConfig();
  c.segment_bytes = 2048;
  return c;
}

Buffer PowerCutBatch(int32_t seq) { return MakeBatch(2, kPowerCutWriter, seq, 100, seq * 2); }

TEST(LogPowerCutTest, APowerCutAtEveryStepOfASegmentRollKeepsEveryFlushedBatch) {
  TempDir dir;
  const std::string log_dir = dir.Sub("log-0");
  const LogConfig config = PowerCutConfig();
  // A segment filled to just below the roll, flushed, then a crash (no close).
  size_t filled = 0;
  {
    auto log = std::move(LogTablet::Open(log_dir, config)).value();
    const uint64_t batch_bytes = PowerCutBatch(0).size();
    while (log->size_in_bytes() + batch_bytes <= static_cast<uint64_t>(config.segment_bytes)) {
      ASSERT_OK(log->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(filled)), /*leader_epoch=*/1));
      ++filled;
    }
    ASSERT_OK(log->Flush());
    ASSERT_EQ(log->num_segments(), 1u);
  }
  ASSERT_GE(filled, 3u);
  const PowerCutSnapshot saved(log_dir, dir.Sub("saved"));

  // The step under test: the append that rolls (index trim, writer snapshot, new segment files, the
  // leader epoch checkpoint, the write) and the flush that acknowledges it.
  auto open_faulty = [&](FaultInjectionFileSystem& fs) {
    LogTabletOptions o;
    o.file_system = &fs;
    return LogTablet::Open(log_dir, config, o);
  };
  auto roll_and_flush = [&](LogTablet& log) {
    auto appended = log.AppendAsLeader(PowerCutBatch(static_cast<int32_t>(filled)), /*leader_epoch=*/2);
    return appended.ok() && log.Flush().ok();
  };
  int64_t opened_at = 0;
  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting(FileSystem::Local(), /*real_syncs=*/false);
    auto log = std::move(open_faulty(counting)).value();
    opened_at = counting.operations();
    ASSERT_TRUE(roll_and_flush(*log));
    ASSERT_EQ(log->num_segments(), 2u);
    steps = counting.operations() - opened_at;
  }
  ASSERT_GE(steps, 20);

  int acknowledged_rolls = 0;
  for (int64_t k = 1; k <= steps + 1; ++k) {
    SCOPED_TRACE(fmt::format("power cut at step {} of {}", k, steps));
    saved.Restore();
    FaultInjectionFileSystem faulty(FileSystem::Local(), /*real_syncs=*/false);
    bool acknowledged = false;
    {
      auto log = open_faulty(faulty);
      ASSERT_OK(log);
      ASSERT_EQ(faulty.operations(), opened_at) << "opening the same files took other steps";
      faulty.FailFrom(opened_at + k);
      acknowledged = roll_and_flush(**log);
    }
    EXPECT_EQ(acknowledged, k > steps);
    acknowledged_rolls += acknowledged ? 1 : 0;
    ASSERT_OK(faulty.PowerCut());

    auto log = LogTablet::Open(log_dir, config);
    ASSERT_TRUE(log.ok()) << "the log does not open after the cut: " << log.status().ToString();
    ExpectWholeLog(**log, acknowledged ? filled + 1 : filled, filled + 1);
    // It goes on: the writer's retry of the rolling batch is answered once, then the next one follows.
    const bool kept = (*log)->log_end_offset() > static_cast<int64_t>(2 * filled);
    auto retry = (*log)->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(filled)));
    ASSERT_OK(retry);
    EXPECT_EQ(retry->duplicate, kept);
    EXPECT_EQ(retry->first_offset, static_cast<int64_t>(2 * filled));
    ASSERT_OK((*log)->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(filled + 1))));
    ExpectWholeLog(**log, filled + 2, filled + 2);
  }
  EXPECT_EQ(acknowledged_rolls, 1);
}

TEST(LogPowerCutTest, APowerCutAtEveryStepOfACheckpointWriteLeavesTheOldOrTheNewCheckpoint) {
  TempDir dir;
  const std::string path = dir.Sub("recovery-point-offset-checkpoint");
  const std::map<std::string, int64_t> before = {{"db/t-1/log-0", 10}, {"db/t-1/log-1", 20}};
  const std::map<std::string, int64_t> after = {{"db/t-1/log-0", 30}, {"db/t-1/log-1", 40}, {"db/u-2/log-0", 5}};
  ASSERT_OK(OffsetCheckpointFile(path).Write(before));
  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting(FileSystem::Local(), /*real_syncs=*/false);
    ASSERT_OK(OffsetCheckpointFile(path, counting).Write(after));
    steps = counting.operations();
    ASSERT_OK(OffsetCheckpointFile(path).Write(before));
  }
  ASSERT_EQ(steps, 6);  // create, write, fsync, close, rename, fsync of the directory
  for (int64_t k = 1; k <= steps + 1; ++k) {
    SCOPED_TRACE(fmt::format("power cut at step {} of {}", k, steps));
    FaultInjectionFileSystem faulty(FileSystem::Local(), /*real_syncs=*/false);
    faulty.FailFrom(k);
    const bool written = OffsetCheckpointFile(path, faulty).Write(after).ok();
    EXPECT_EQ(written, k > steps);
    ASSERT_OK(faulty.PowerCut());
    auto read = OffsetCheckpointFile(path).Read();
    ASSERT_OK(read);
    if (written) {
      EXPECT_EQ(*read, after);
    } else {
      EXPECT_TRUE(*read == before || *read == after);
    }
    // LogManager::Open removes what an interrupted write left; here: nothing but the checkpoint.
    auto manager = LogManager::Open(dir.path(), LogConfig{}, LogManagerOptions{.background = false});
    ASSERT_OK(manager);
    manager->reset();
    std::vector<std::string> names;
    for (const auto& e : sfs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    std::erase(names, std::string(kHighWatermarkCheckpointFile));
    std::erase(names, std::string(kCleanShutdownFile));
    EXPECT_EQ(names, std::vector<std::string>{"recovery-point-offset-checkpoint"}) << "a temporary file was left";
    ASSERT_OK(OffsetCheckpointFile(path).Write(before));
    sfs::remove(dir.Sub(std::string(kCleanShutdownFile)));
  }
}

TEST(LogPowerCutTest, APowerCutAtEveryStepOfACleanCloseLeavesADataDirThatOpensWithEveryFlushedBatch) {
  TempDir dir;
  const std::string data_dir = dir.Sub("data");
  const LogConfig config = PowerCutConfig();
  const std::vector<std::string> buckets = {"db/t-1/log-0"};
  LogManagerOptions local{.background = false};
  constexpr size_t kFlushed = 3;
  {
    auto m = std::move(LogManager::Open(data_dir, config, local)).value();
    for (const auto& b : buckets) {
      auto log = m->GetOrCreateLog(b).value();
      for (size_t i = 0; i < kFlushed; ++i) ASSERT_OK(log->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(i))));
    }
    ASSERT_OK(m->Close());
  }
  const PowerCutSnapshot saved(data_dir, dir.Sub("saved"));

  // The step under test: open (which removes the clean shutdown marker), two unflushed appends,
  // then Close (flush, writer snapshots synced at once with syncfs, checkpoints, the marker).
  constexpr size_t kWritten = kFlushed + 2;
  auto open_and_append = [&](FaultInjectionFileSystem& fs) -> std::unique_ptr<LogManager> {
    LogManagerOptions o{.background = false, .file_system = &fs};
    auto m = LogManager::Open(data_dir, config, o);
    EXPECT_OK(m);
    if (!m.ok()) return nullptr;
    EXPECT_OK((*m)->OpenLogs(buckets));
    for (const auto& b : buckets) {
      auto log = (*m)->GetLog(b);
      for (size_t i = kFlushed; i < kWritten; ++i) EXPECT_OK(log->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(i))));
    }
    return std::move(m).value();
  };
  int64_t opened_at = 0;
  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting(FileSystem::Local(), /*real_syncs=*/false);
    auto m = open_and_append(counting);
    ASSERT_NE(m, nullptr);
    opened_at = counting.operations();
    ASSERT_OK(m->Close());
    steps = counting.operations() - opened_at;
  }
  ASSERT_GE(steps, 10);
  for (int64_t k = 1; k <= steps + 1; ++k) {
    SCOPED_TRACE(fmt::format("power cut at step {} of {}", k, steps));
    saved.Restore();
    FaultInjectionFileSystem faulty(FileSystem::Local(), /*real_syncs=*/false);
    bool closed = false;
    {
      auto m = open_and_append(faulty);
      ASSERT_NE(m, nullptr);
      ASSERT_EQ(faulty.operations(), opened_at);
      faulty.FailFrom(opened_at + k);
      closed = m->Close().ok();
    }
    EXPECT_EQ(closed, k > steps);
    ASSERT_OK(faulty.PowerCut());

    // Reopened on a file system that only skips the disk's fsyncs (the power cut is over).
    FaultInjectionFileSystem after(FileSystem::Local(), /*real_syncs=*/false);
    auto m = LogManager::Open(data_dir, config, LogManagerOptions{.background = false, .file_system = &after});
    ASSERT_TRUE(m.ok()) << "the data dir does not open after the cut: " << m.status().ToString();
    // The marker vouches for everything Close made durable before it.
    const bool clean = (*m)->opened_after_clean_shutdown();
    if (closed) {
      EXPECT_TRUE(clean);
    }
    Status opened = (*m)->OpenLogs(buckets);
    ASSERT_OK(opened);
    for (const auto& b : buckets) {
      SCOPED_TRACE(b);
      ExpectWholeLog(*(*m)->GetLog(b), clean ? kWritten : kFlushed, kWritten);
    }
  }
}

// The same at every step of two appends and their flush, with a power cut that keeps half of what a
// file gained since its last sync: the .log ends in a torn batch, which recovery cuts.
TEST(LogPowerCutTest, ATornTailLeftByAPowerCutAtEveryStepOfAnAppendIsCutAndNeverServed) {
  TempDir dir;
  const std::string log_dir = dir.Sub("log-0");
  LogConfig config = PowerCutConfig();
  config.segment_bytes = 1 << 20;  // no roll here
  const uint64_t batch_bytes = PowerCutBatch(0).size();
  constexpr size_t kFlushed = 3;
  constexpr size_t kWritten = kFlushed + 2;
  for (size_t i = 0; i < kWritten; ++i) ASSERT_EQ(PowerCutBatch(static_cast<int32_t>(i)).size(), batch_bytes);
  {
    auto log = std::move(LogTablet::Open(log_dir, config)).value();
    for (size_t i = 0; i < kFlushed; ++i) ASSERT_OK(log->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(i))));
    ASSERT_OK(log->Flush());
  }
  const PowerCutSnapshot saved(log_dir, dir.Sub("saved"));
  auto open_faulty = [&](FaultInjectionFileSystem& fs) {
    LogTabletOptions o;
    o.file_system = &fs;
    return LogTablet::Open(log_dir, config, o);
  };
  auto append_and_flush = [&](LogTablet& log) {
    for (size_t i = kFlushed; i < kWritten; ++i) {
      if (!log.AppendAsLeader(PowerCutBatch(static_cast<int32_t>(i))).ok()) return false;
    }
    return log.Flush().ok();
  };
  int64_t opened_at = 0;
  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting(FileSystem::Local(), /*real_syncs=*/false);
    auto log = std::move(open_faulty(counting)).value();
    opened_at = counting.operations();
    ASSERT_TRUE(append_and_flush(*log));
    steps = counting.operations() - opened_at;
  }
  ASSERT_GE(steps, 4);
  const std::string segment = testing::SegmentPath(log_dir, 0, ".log");
  int torn = 0;
  for (int64_t k = 1; k <= steps + 1; ++k) {
    SCOPED_TRACE(fmt::format("power cut at step {} of {}", k, steps));
    saved.Restore();
    FaultInjectionFileSystem faulty(FileSystem::Local(), /*real_syncs=*/false);
    bool acknowledged = false;
    {
      auto log = open_faulty(faulty);
      ASSERT_OK(log);
      ASSERT_EQ(faulty.operations(), opened_at);
      faulty.FailFrom(opened_at + k);
      acknowledged = append_and_flush(**log);
    }
    EXPECT_EQ(acknowledged, k > steps);
    ASSERT_OK(faulty.PowerCut(FaultInjectionFileSystem::PowerCutTail::kTorn));
    torn += sfs::file_size(segment) % batch_bytes != 0 ? 1 : 0;

    auto log = LogTablet::Open(log_dir, config);
    ASSERT_TRUE(log.ok()) << "the log does not open after the cut: " << log.status().ToString();
    ExpectWholeLog(**log, acknowledged ? kWritten : kFlushed, kWritten);
    const int64_t end = (*log)->log_end_offset();
    EXPECT_EQ(sfs::file_size(segment), static_cast<uint64_t>(end / 2) * batch_bytes) << "the torn tail was not cut";
    ASSERT_OK((*log)->AppendAsLeader(PowerCutBatch(static_cast<int32_t>(end / 2))));
    ExpectWholeLog(**log, static_cast<size_t>(end / 2) + 1, static_cast<size_t>(end / 2) + 1);
  }
  EXPECT_GT(torn, 0) << "no power cut left a torn batch: the test does not test the cut";
}

}  // namespace
}  // namespace fluss
