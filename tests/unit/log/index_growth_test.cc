// The lazily grown index: an index costs what it holds — no disk and no mapping while empty, growth
// in allocated steps as entries come, entries intact across steps, releases and crashes, and a step
// the disk cannot take refused with an error (never SIGBUS).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>

#include "log/offset_index.h"
#include "log/time_index.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FileSizeLimit;
using testing::TempDir;

constexpr int64_t kTenMiB = 10 * 1024 * 1024;
constexpr uint64_t kStep = MappedIndexFile::kFirstGrowthBytes;


std::unique_ptr<OffsetIndex> OpenOffsetIndex(const std::string& path, bool writable, int64_t max_bytes = kTenMiB) {
  auto index = OffsetIndex::Open(path, 0, writable, max_bytes);
  EXPECT_OK(index);
  return index.ok() ? std::move(index).value() : nullptr;
}

TEST(IndexGrowthTest, EmptyWritableIndexTakesNoDiskAndNoMapping) {
  TempDir dir;
  auto offsets = OpenOffsetIndex(dir.Sub("0.index"), true);
  auto times = std::move(TimeIndex::Open(dir.Sub("0.timeindex"), 0, true, kTenMiB)).value();
  EXPECT_EQ(std::filesystem::file_size(dir.Sub("0.index")), 0u);
  EXPECT_EQ(std::filesystem::file_size(dir.Sub("0.timeindex")), 0u);
  EXPECT_EQ(offsets->mapped_bytes(), 0u);
  EXPECT_EQ(times->mapped_bytes(), 0u);
  EXPECT_EQ(offsets->max_entries(), static_cast<size_t>(kTenMiB / OffsetIndex::kEntrySize));
}

TEST(IndexGrowthTest, EntriesAcrossGrowthStepsReadBackAndTheFileGrowsInSteps) {
  TempDir dir;
  const std::string path = dir.Sub("0.index");
  auto index = OpenOffsetIndex(path, true);
  const size_t per_step = kStep / OffsetIndex::kEntrySize;  // 512 entries in the first step
  const size_t n = 3 * per_step + 7;                        // into the third step (4K, 8K, 16K)
  for (size_t i = 1; i <= n; ++i) {
    ASSERT_TRUE(index->Append(static_cast<int64_t>(i * 3), static_cast<uint32_t>(i * 100)).ok()) << i;
    const uint64_t size = std::filesystem::file_size(path);
    if (i <= per_step) {
      ASSERT_EQ(size, kStep) << i;
    } else if (i <= 2 * per_step) {
      ASSERT_EQ(size, 2 * kStep) << i;
    } else {
      ASSERT_EQ(size, 4 * kStep) << i;
    }
    ASSERT_EQ(index->mapped_bytes(), size);
  }
  for (size_t i = 1; i <= n; ++i) {
    EXPECT_EQ(index->EntryAt(i - 1).offset, static_cast<int64_t>(i * 3));
    EXPECT_EQ(index->Lookup(static_cast<int64_t>(i * 3 + 1)).position, i * 100);
  }
  ASSERT_OK(index->TrimToEntries());
  EXPECT_EQ(std::filesystem::file_size(path), n * OffsetIndex::kEntrySize);
  index.reset();
  auto reopened = OpenOffsetIndex(path, false);
  ASSERT_EQ(reopened->entries(), n);
  EXPECT_EQ(reopened->LastEntry().offset, static_cast<int64_t>(n * 3));
}

TEST(IndexGrowthTest, GrowthStopsAtTheConfiguredSize) {
  TempDir dir;
  const std::string path = dir.Sub("0.index");
  auto index = OpenOffsetIndex(path, true, 6000);  // 750 entries: steps 4096, then 6000
  for (int i = 1; i <= 750; ++i) ASSERT_TRUE(index->Append(i, static_cast<uint32_t>(i * 10)).ok()) << i;
  EXPECT_EQ(std::filesystem::file_size(path), 6000u);
  EXPECT_TRUE(index->full());
  EXPECT_FALSE(index->Append(751, 7510).ok());
  EXPECT_EQ(index->entries(), 750u);
}

TEST(IndexGrowthTest, CrashLeavesAnUntrimmedFileThatReopensWithItsEntries) {
  TempDir dir;
  const std::string path = dir.Sub("0.index");
  {
    auto index = OpenOffsetIndex(path, true);
    for (int i = 1; i <= 10; ++i) ASSERT_OK(index->Append(i, static_cast<uint32_t>(i * 10)));
    // Destroyed without a trim, as a crash leaves it: the entries, then zeros to the end of the step.
  }
  EXPECT_EQ(std::filesystem::file_size(path), kStep);
  {
    auto index = OpenOffsetIndex(path, false);
    EXPECT_EQ(index->entries(), 10u);
    EXPECT_TRUE(index->untrimmed());
    EXPECT_FALSE(index->had_trailing_garbage());
  }
  // Reopened for appends (the last segment after a restart): the room after the entries is cut,
  // appends grow it again.
  auto index = OpenOffsetIndex(path, true);
  EXPECT_EQ(std::filesystem::file_size(path), 10 * OffsetIndex::kEntrySize);
  ASSERT_OK(index->Append(11, 110));
  EXPECT_EQ(std::filesystem::file_size(path), kStep);
  EXPECT_EQ(index->entries(), 11u);
  EXPECT_EQ(index->EntryAt(9).offset, 10);
}

TEST(IndexGrowthTest, ReleasedIndexMapsAgainWithItsEntries) {
  TempDir dir;
  auto index = std::move(TimeIndex::Open(dir.Sub("0.timeindex"), 100, true, kTenMiB)).value();
  for (int i = 1; i <= 20; ++i) ASSERT_OK(index->MaybeAppend(1000 + i, 100 + i));
  index->Release();
  EXPECT_FALSE(index->mapped());
  EXPECT_EQ(index->mapped_bytes(), 0u);
  EXPECT_EQ(index->entries(), 20u);
  ASSERT_OK(index->Flush());  // syncs through the file while released
  ASSERT_OK(index->EnsureMapped());
  EXPECT_EQ(index->LastEntry()->timestamp, 1020);
  ASSERT_OK(index->MaybeAppend(2000, 200));
  EXPECT_EQ(index->entries(), 21u);
}

TEST(IndexGrowthTest, IndexCutShortWhileReleasedIsRefusedRatherThanMapped) {
  TempDir dir;
  const std::string path = dir.Sub("0.index");
  auto index = OpenOffsetIndex(path, true);
  for (int i = 1; i <= 10; ++i) ASSERT_OK(index->Append(i, static_cast<uint32_t>(i * 10)));
  index->Release();
  std::filesystem::resize_file(path, 16);  // someone else cut it: mapping 4096 bytes would fault
  Status st = index->EnsureMapped();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("shrank"), std::string::npos) << st.ToString();
}

TEST(IndexGrowthTest, GrowthStepTheDiskCannotTakeIsAnErrorAndChangesNothing) {
  TempDir dir;
  const std::string path = dir.Sub("0.index");
  auto index = OpenOffsetIndex(path, true);
  const size_t per_step = kStep / OffsetIndex::kEntrySize;
  for (size_t i = 1; i <= per_step; ++i) ASSERT_OK(index->Append(i, static_cast<uint32_t>(i * 10)));
  {
    FileSizeLimit limit(kStep + 100);  // the next step (to 8 KiB) cannot be allocated
    Status st = index->Append(per_step + 1, static_cast<uint32_t>((per_step + 1) * 10));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.kind(), StatusCode::kIOError) << st.ToString();
    EXPECT_NE(st.message().find("File too large"), std::string::npos) << st.ToString();
    EXPECT_EQ(index->entries(), per_step);
    EXPECT_EQ(std::filesystem::file_size(path), kStep);
    EXPECT_EQ(index->LastEntry().offset, static_cast<int64_t>(per_step));
  }
  ASSERT_OK(index->Append(per_step + 1, static_cast<uint32_t>((per_step + 1) * 10)));
  EXPECT_EQ(std::filesystem::file_size(path), 2 * kStep);
  EXPECT_EQ(index->entries(), per_step + 1);
}

TEST(IndexGrowthTest, EmptyLogCostsNoIndexBytesAndALogWithRowsOnlyWhatItsEntriesTake) {
  TempDir dir;
  LogConfig config;  // the defaults: 10 MiB indexes, an entry per 4 KiB of batches
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  EXPECT_EQ(log->index_file_bytes(), 0u);
  EXPECT_EQ(log->index_mapped_bytes(), 0u);
  ASSERT_OK(log->AppendAsLeader(testing::MakeBatch(1)));  // one small row: no entry yet
  EXPECT_EQ(log->index_file_bytes(), 0u);
  for (int i = 0; i < 40; ++i) ASSERT_OK(log->AppendAsLeader(testing::MakeBatch(4, -1, -1, 200)));
  // ~36 KiB of batches: a few entries, one step per index.
  EXPECT_EQ(log->index_file_bytes(), 2 * kStep);
  ASSERT_OK(log->Close());
  EXPECT_LT(log->index_file_bytes(), 200u);  // trimmed to the entries
}

}  // namespace
}  // namespace fluss
