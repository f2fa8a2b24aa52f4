// LogManager: opening every bucket of a data dir, checkpoints, clean shutdown marker, background flush.
#include "log/log_manager.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "fs/fault_injection_file_system.h"
#include "log_test_support.h"
#include "support/eventually.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::MakeBatch;
using testing::ReadAll;
using testing::TempDir;

LogManagerOptions NoBackground() {
  LogManagerOptions o;
  o.background = false;
  return o;
}

std::string FileText(const std::string& path) {
  auto bytes = testing::ReadFileBytes(path);
  return {bytes.begin(), bytes.end()};
}

TEST(LogManagerTest, BucketDirFollowsFlussLayout) {
  EXPECT_EQ(LogManager::BucketDir("db", "orders", 7, 3), "db/orders-7/log-3");
  EXPECT_EQ(LogManager::BucketDir("db", "orders", 7, 3, std::make_pair(std::string("2024"), int64_t{12})),
            "db/orders-7/2024-p12/log-3");
}

TEST(LogManagerTest, ReopenOpensTheNamedBucketsAfterCleanShutdown) {
  TempDir dir;
  const std::vector<std::string> buckets = {LogManager::BucketDir("db", "a", 1, 0), LogManager::BucketDir("db", "a", 1, 1),
                                            LogManager::BucketDir("db", "b", 2, 0, std::make_pair(std::string("x"), int64_t{5}))};
  {
    auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), NoBackground())).value();
    EXPECT_FALSE(m->opened_after_clean_shutdown());
    for (size_t i = 0; i < buckets.size(); ++i) {
      auto log = *m->GetOrCreateLog(buckets[i]);
      for (size_t j = 0; j <= i; ++j) ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
      log->UpdateHighWatermark(log->log_end_offset());
    }
    ASSERT_OK(m->Close());
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/.fluss_cleanshutdown"));
  EXPECT_EQ(FileText(dir.path() + "/recovery-point-offset-checkpoint"),
            "0\n3\ndb/a-1/log-0 2\ndb/a-1/log-1 4\ndb/b-2/x-p5/log-0 6\n");
  EXPECT_EQ(FileText(dir.path() + "/high-watermark-checkpoint"),
            "0\n3\ndb/a-1/log-0 2\ndb/a-1/log-1 4\ndb/b-2/x-p5/log-0 6\n");

  auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), NoBackground())).value();
  EXPECT_TRUE(m->opened_after_clean_shutdown());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/.fluss_cleanshutdown"));  // until the next Close
  // Nothing is opened by looking at directory names: the owner names its logs.
  EXPECT_TRUE(m->LogDirs().empty());
  ASSERT_OK(m->OpenLogs(buckets));
  auto dirs = m->LogDirs();
  EXPECT_EQ(dirs, buckets);
  for (size_t i = 0; i < buckets.size(); ++i) {
    auto log = m->GetLog(buckets[i]);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->log_end_offset(), static_cast<int64_t>(2 * (i + 1)));
    EXPECT_EQ(log->high_watermark(), static_cast<int64_t>(2 * (i + 1)));
  }
}

TEST(LogManagerTest, UncleanStartRecoversFromCheckpointedRecoveryPoint) {
  TempDir dir;
  const std::string bucket = LogManager::BucketDir("db", "t", 1, 0);
  int64_t end = 0;
  {
    auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), NoBackground())).value();
    auto log = *m->GetOrCreateLog(bucket);
    for (int i = 0; i < 30; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 40)));
    ASSERT_OK(m->FlushLogs(/*force=*/true));
    ASSERT_OK(m->CheckpointRecoveryPoints());
    end = log->log_end_offset();
    ASSERT_OK(log->AppendAsLeader(MakeBatch(1)));
    // A crash at this point: copy the files as they are now (the manager's destructor would close
    // cleanly), without a clean shutdown marker.
    std::filesystem::create_directories(dir.path() + "/crash");
    std::filesystem::copy(dir.path() + "/db", dir.path() + "/crash/db", std::filesystem::copy_options::recursive);
    std::filesystem::copy(dir.path() + "/recovery-point-offset-checkpoint", dir.path() + "/crash/");
  }
  auto m = std::move(LogManager::Open(dir.path() + "/crash", testing::SmallConfig(), NoBackground())).value();
  EXPECT_FALSE(m->opened_after_clean_shutdown());
  auto opened = m->GetOrCreateLog(bucket);  // an existing directory: opened and recovered, not created
  ASSERT_OK(opened);
  auto log = *opened;
  EXPECT_EQ(log->log_end_offset(), end + 1);
  EXPECT_EQ(ReadAll(*log).size(), 31u);
}

TEST(LogManagerTest, BackgroundThreadFlushesOnInterval) {
  TempDir dir;
  LogConfig config = testing::SmallConfig();
  config.flush_interval_ms = 20;
  auto m = std::move(LogManager::Open(dir.path(), config)).value();
  auto log = *m->GetOrCreateLog(LogManager::BucketDir("db", "t", 1, 0));
  ASSERT_OK(log->AppendAsLeader(MakeBatch(3)));
  EXPECT_TRUE(testing::Eventually([&] { return log->recovery_point() >= 3; }));
  EXPECT_EQ(log->recovery_point(), 3);
}

TEST(LogManagerTest, DropLogRemovesItsDirectory) {
  TempDir dir;
  auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), NoBackground())).value();
  const std::string bucket = LogManager::BucketDir("db", "t", 1, 0);
  ASSERT_OK(m->GetOrCreateLog(bucket));
  ASSERT_OK(m->DropLog(bucket));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + bucket));
  EXPECT_EQ(m->GetLog(bucket), nullptr);
}

std::vector<std::string> PartitionBuckets(int n) {
  std::vector<std::string> out;
  for (int b = 0; b < n; ++b) {
    out.push_back(LogManager::BucketDir("db", "t", 1, b, std::make_pair(std::string("2026"), int64_t{5})));
  }
  return out;
}

TEST(LogManagerTest, CreateLogsOpensEmptyLogsAndLeavesExistingOnesAlone) {
  TempDir dir;
  auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), NoBackground())).value();
  const auto buckets = PartitionBuckets(4);
  auto first = *m->GetOrCreateLog(buckets[0]);
  ASSERT_OK(first->AppendAsLeader(MakeBatch(3)));
  ASSERT_OK(m->CreateLogs(buckets));
  EXPECT_EQ(m->GetLog(buckets[0]), first);  // open already: untouched
  EXPECT_EQ(first->log_end_offset(), 3);
  for (size_t b = 1; b < buckets.size(); ++b) {
    auto log = m->GetLog(buckets[b]);
    ASSERT_NE(log, nullptr) << buckets[b];
    EXPECT_EQ(log->log_end_offset(), 0);
    ASSERT_OK(log->AppendAsLeader(MakeBatch(2)));
    EXPECT_EQ(log->log_end_offset(), 2);
  }
}

// The directories of the new logs are durable when CreateLogs returns (one sync of the partition
// directory and one of the table directory stand in for a sync per log).
TEST(LogManagerTest, CreateLogsMakesTheNewDirectoriesDurableBeforeItReturns) {
  TempDir dir;
  FaultInjectionFileSystem faulty(FileSystem::Local(), /*real_syncs=*/false);
  LogManagerOptions o = NoBackground();
  o.file_system = &faulty;
  const auto buckets = PartitionBuckets(4);
  {
    auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), o)).value();
    ASSERT_OK(m->CreateLogs(buckets));
    for (const auto& b : buckets) ASSERT_NE(m->GetLog(b), nullptr) << b;
    // The machine stops right after the call: nothing later (closing the logs) reaches the disk.
    faulty.FailFrom(faulty.operations() + 1);
  }
  ASSERT_OK(faulty.PowerCut());
  for (const auto& b : buckets) EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/" + b)) << b;
}

TEST(LogManagerTest, CreateLogsThatFailsLeavesNoDirectoryAndNoLog) {
  TempDir dir;
  auto m = std::move(LogManager::Open(dir.path(), testing::SmallConfig(), NoBackground())).value();
  auto buckets = PartitionBuckets(3);
  // The last log cannot be made: its parent is a file.
  { std::ofstream(dir.path() + "/blocker") << "x"; }
  buckets.push_back("blocker/log-0");
  Status st = m->CreateLogs(buckets);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("blocker/log-0"), std::string::npos) << st.ToString();
  for (const auto& b : buckets) EXPECT_EQ(m->GetLog(b), nullptr) << b;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/db"));
  EXPECT_TRUE(m->LogDirs().empty());
}

TEST(LogConfigTest, FromOptionsParsesFlussNamesAndUnits) {
  auto c = LogConfig::FromOptions({{"log.segment.file-size", "512 mb"},
                                   {"log.index.interval-size", "8kb"},
                                   {"table.log.ttl", "3 d"},
                                   {"log.flush.interval", "100ms"},
                                   {"server.writer-id.expiration-time", "12 h"}});
  ASSERT_OK(c);
  EXPECT_EQ(c->segment_bytes, 512 * 1024 * 1024);
  EXPECT_EQ(c->index_interval_bytes, 8192);
  EXPECT_EQ(c->retention_ms, 3 * LogConfig::kDayMs);
  EXPECT_EQ(c->flush_interval_ms, 100);
  EXPECT_EQ(c->writer_expiration_ms, 12 * LogConfig::kHourMs);
  EXPECT_FALSE(LogConfig::FromOptions({{"log.no-such-option", "1"}}).ok());
  EXPECT_FALSE(LogConfig::FromOptions({{"table.log.ttl", "3 fortnights"}}).ok());
}

TEST(LogConfigTest, DefaultsAreFlussDefaults) {
  LogConfig c;
  EXPECT_EQ(c.segment_bytes, 1024LL * 1024 * 1024);
  EXPECT_EQ(c.index_file_bytes, 10LL * 1024 * 1024);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.retention_ms, 7 * LogConfig::kDayMs);
  EXPECT_OK(c.Validate());
}

}  // namespace
}  // namespace fluss
