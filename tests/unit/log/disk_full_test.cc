// A write that fails half way (the kernel refuses to grow the file, as on a full disk) is refused
// with an error, cut back, and leaves the log readable and appendable once space returns.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include "log/log_tablet.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::MakeBatch;
using testing::ReadAll;
using testing::FileSizeLimit;
using testing::TempDir;


TEST(DiskFullTest, FailedWriteIsRefusedCutBackAndLogStaysReadable) {
  TempDir dir;
  LogConfig config = testing::SmallConfig();
  config.segment_bytes = 1 << 20;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  for (int i = 0; i < 3; ++i) ASSERT_OK(log->AppendAsLeader(MakeBatch(1, 7, i, 100)));
  const std::string seg = testing::SegmentPath(log->dir(), 0, ".log");
  const uint64_t size = std::filesystem::file_size(seg);
  {
    FileSizeLimit limit(size + 50);  // the next batch only half fits
    auto r = log->AppendAsLeader(MakeBatch(1, 7, 3, 100));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), StatusCode::kIOError);
    EXPECT_NE(r.status().message().find("File too large"), std::string::npos) << r.status().ToString();
    EXPECT_EQ(std::filesystem::file_size(seg), size);
    EXPECT_EQ(log->log_end_offset(), 3);
    EXPECT_EQ(ReadAll(*log).size(), 3u);
  }
  // Space is back: the same batch (same sequence) goes in at the next offset.
  auto r = log->AppendAsLeader(MakeBatch(1, 7, 3, 100));
  ASSERT_OK(r);
  EXPECT_EQ(r->first_offset, 3);
  log.reset();
  auto reopened = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  EXPECT_EQ(ReadAll(*reopened).size(), 4u);
}

TEST(DiskFullTest, IndexGrowthTheDiskCannotTakeRefusesTheAppendBeforeTheLogIsWritten) {
  TempDir dir;
  LogConfig config = testing::SmallConfig();
  config.index_interval_bytes = 0;  // every batch after the first adds an index entry
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 100)));  // no entry yet: no index bytes
  const std::string seg = testing::SegmentPath(log->dir(), 0, ".log");
  const uint64_t size = std::filesystem::file_size(seg);
  ASSERT_LT(size, 2048u);
  {
    FileSizeLimit limit(2048);  // the .log fits; the index's first step (4 KiB) does not
    auto r = log->AppendAsLeader(MakeBatch(1, -1, -1, 100));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), StatusCode::kIOError) << r.status().ToString();
    EXPECT_EQ(std::filesystem::file_size(seg), size);
    EXPECT_EQ(log->log_end_offset(), 1);
    EXPECT_EQ(ReadAll(*log).size(), 1u);
  }
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 100)));
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 100)));
  EXPECT_EQ(ReadAll(*log).size(), 3u);
  EXPECT_EQ(ReadAll(*log, 2).size(), 1u);  // through the index entries
  log.reset();
  auto reopened = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  EXPECT_EQ(ReadAll(*reopened).size(), 3u);
}

TEST(DiskFullTest, RollWhoseFinalIndexEntryCannotBeAllocatedIsRefusedAndOldSegmentKeepsWorking) {
  TempDir dir;
  LogConfig config = testing::SmallConfig();
  config.segment_bytes = 1000;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 500)));
  {
    FileSizeLimit limit(1024);  // the roll's final time-index entry needs a 4 KiB step
    auto r = log->AppendAsLeader(MakeBatch(1, -1, -1, 500));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), StatusCode::kIOError) << r.status().ToString();
    EXPECT_EQ(log->num_segments(), 1u);
    EXPECT_EQ(log->log_end_offset(), 1);
  }
  ASSERT_OK(log->AppendAsLeader(MakeBatch(1, -1, -1, 500)));
  EXPECT_EQ(log->num_segments(), 2u);
  EXPECT_EQ(ReadAll(*log).size(), 2u);
}

}  // namespace
}  // namespace fluss
