// OffsetIndex and TimeIndex: bytes on disk, lookups at every boundary, crash-left files.
#include <gtest/gtest.h>

#include "common/byte_io.h"
#include "log/offset_index.h"
#include "log/time_index.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::TempDir;

TEST(OffsetIndexTest, EntryIsBigEndianRelativeOffsetThenPosition) {
  TempDir dir;
  auto index = std::move(OffsetIndex::Open(dir.Sub("00000000000000000100.index"), 100, true, 1024)).value();
  ASSERT_OK(index->Append(105, 4200));
  ASSERT_OK(index->TrimToEntries());
  auto bytes = testing::ReadFileBytes(dir.Sub("00000000000000000100.index"));
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 0, 0, 5, 0, 0, 0x10, 0x68}));
}

TEST(OffsetIndexTest, LookupReturnsLargestEntryAtOrBelowTargetAtEveryBoundary) {
  TempDir dir;
  auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 1000, true, 1024)).value();
  // Entries at offsets 1010, 1020, 1030 -> positions 100, 200, 300.
  for (int i = 1; i <= 3; ++i) ASSERT_OK(index->Append(1000 + 10 * i, 100 * i));
  struct Case {
    int64_t target;
    int64_t offset;
    uint32_t position;
  } cases[] = {{999, 1000, 0},  {1000, 1000, 0}, {1009, 1000, 0}, {1010, 1010, 100}, {1011, 1010, 100},
               {1019, 1010, 100}, {1020, 1020, 200}, {1029, 1020, 200}, {1030, 1030, 300}, {5000, 1030, 300}};
  for (const Case& c : cases) {
    OffsetPosition got = index->Lookup(c.target);
    EXPECT_EQ(got.offset, c.offset) << c.target;
    EXPECT_EQ(got.position, c.position) << c.target;
  }
}

TEST(OffsetIndexTest, AppendRejectsEntriesThatDoNotIncrease) {
  TempDir dir;
  auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, true, 1024)).value();
  ASSERT_OK(index->Append(10, 100));
  EXPECT_FALSE(index->Append(10, 200).ok());
  EXPECT_FALSE(index->Append(11, 100).ok());
  EXPECT_EQ(index->entries(), 1u);
}

TEST(OffsetIndexTest, FullIndexRefusesAppends) {
  TempDir dir;
  auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, true, 16)).value();  // two entries
  ASSERT_OK(index->Append(1, 10));
  ASSERT_OK(index->Append(2, 20));
  EXPECT_TRUE(index->full());
  EXPECT_FALSE(index->Append(3, 30).ok());
}

TEST(OffsetIndexTest, UntrimmedFileLeftByCrashReopensWithItsEntries) {
  TempDir dir;
  {
    auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, true, 4096)).value();
    ASSERT_OK(index->Append(5, 50));
    ASSERT_OK(index->Append(9, 90));
    // No trim: the file stays preallocated, as after a crash.
  }
  EXPECT_EQ(std::filesystem::file_size(dir.Sub("i.index")), 4096u);
  auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, false, 4096)).value();
  EXPECT_EQ(index->entries(), 2u);
  EXPECT_FALSE(index->had_trailing_garbage());
  EXPECT_TRUE(index->untrimmed());
}

TEST(OffsetIndexTest, TruncateZeroesRemovedEntriesSoACrashCannotResurrectThem) {
  TempDir dir;
  {
    auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, true, 4096)).value();
    for (int i = 1; i <= 4; ++i) ASSERT_OK(index->Append(i * 10, i * 100));
    index->TruncateTo(25);  // keeps 10, 20
    EXPECT_EQ(index->entries(), 2u);
    ASSERT_OK(index->Append(22, 250));
  }
  auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, false, 4096)).value();
  ASSERT_EQ(index->entries(), 3u);
  EXPECT_EQ(index->LastEntry().offset, 22);
}

TEST(OffsetIndexTest, NonZeroBytesAfterTheEntriesAreReportedAsGarbage) {
  TempDir dir;
  {
    auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, true, 64)).value();
    for (int i = 1; i <= 4; ++i) ASSERT_OK(index->Append(i * 10, i * 100));
    ASSERT_OK(index->TrimToEntries());
  }
  testing::FlipByte(dir.Sub("i.index"), 8 + 3);  // second entry's relative offset: 20 -> 78
  auto index = std::move(OffsetIndex::Open(dir.Sub("i.index"), 0, false, 64)).value();
  EXPECT_TRUE(index->had_trailing_garbage());
}

TEST(TimeIndexTest, EntryIsBigEndianTimestampThenRelativeOffset) {
  TempDir dir;
  auto index = std::move(TimeIndex::Open(dir.Sub("t.timeindex"), 100, true, 1200)).value();
  ASSERT_OK(index->MaybeAppend(0x0102030405060708, 103));
  ASSERT_OK(index->TrimToEntries());
  EXPECT_EQ(testing::ReadFileBytes(dir.Sub("t.timeindex")),
            (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 3}));
}

TEST(TimeIndexTest, MaybeAppendSkipsTimestampsThatDoNotGrow) {
  TempDir dir;
  auto index = std::move(TimeIndex::Open(dir.Sub("t.timeindex"), 0, true, 1200)).value();
  ASSERT_OK(index->MaybeAppend(1000, 5));
  ASSERT_OK(index->MaybeAppend(1000, 9));
  ASSERT_OK(index->MaybeAppend(900, 12));
  EXPECT_EQ(index->entries(), 1u);
  ASSERT_OK(index->MaybeAppend(1100, 12));
  EXPECT_EQ(index->entries(), 2u);
}

TEST(TimeIndexTest, LastEntryBeforeFindsTheEntryBelowEveryTimestamp) {
  TempDir dir;
  auto index = std::move(TimeIndex::Open(dir.Sub("t.timeindex"), 0, true, 1200)).value();
  ASSERT_OK(index->MaybeAppend(100, 10));
  ASSERT_OK(index->MaybeAppend(200, 20));
  EXPECT_FALSE(index->LastEntryBefore(50).has_value());
  EXPECT_FALSE(index->LastEntryBefore(100).has_value());
  EXPECT_EQ(index->LastEntryBefore(101)->offset, 10);
  EXPECT_EQ(index->LastEntryBefore(200)->offset, 10);
  EXPECT_EQ(index->LastEntryBefore(201)->offset, 20);
}

}  // namespace
}  // namespace fluss
