// Leader epoch cache: assignment, end offsets, truncation, and the checkpoint file.
#include "log/leader_epoch_cache.h"

#include <gtest/gtest.h>

#include "log/log_tablet.h"
#include "log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::TempDir;

TEST(LeaderEpochCacheTest, AssignPersistsEpochStartOffsetsInCheckpointFile) {
  TempDir dir;
  auto cache = *LeaderEpochCache::Load(dir.path());
  ASSERT_OK(cache.Assign(0, 0));
  ASSERT_OK(cache.Assign(2, 15));
  ASSERT_OK(cache.Assign(1, 20));  // older epoch: ignored
  auto bytes = testing::ReadFileBytes(dir.path() + "/leader-epoch-checkpoint");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "0\n2\n0 0\n2 15\n");
  auto reloaded = *LeaderEpochCache::Load(dir.path());
  EXPECT_EQ(reloaded.entries(), (std::vector<EpochEntry>{{0, 0}, {2, 15}}));
}

TEST(LeaderEpochCacheTest, EndOffsetForIsTheNextEpochStartOrLogEnd) {
  TempDir dir;
  auto cache = *LeaderEpochCache::Load(dir.path());
  ASSERT_OK(cache.Assign(1, 0));
  ASSERT_OK(cache.Assign(3, 10));
  EXPECT_EQ(cache.EndOffsetFor(0, 99), (EpochEntry{-1, -1}));
  EXPECT_EQ(cache.EndOffsetFor(1, 99), (EpochEntry{1, 10}));
  EXPECT_EQ(cache.EndOffsetFor(2, 99), (EpochEntry{1, 10}));
  EXPECT_EQ(cache.EndOffsetFor(3, 99), (EpochEntry{3, 99}));
}

TEST(LeaderEpochCacheTest, TruncateFromEndDropsEpochsStartingAtOrAfterIt) {
  TempDir dir;
  auto cache = *LeaderEpochCache::Load(dir.path());
  ASSERT_OK(cache.Assign(1, 0));
  ASSERT_OK(cache.Assign(2, 10));
  ASSERT_OK(cache.Assign(3, 20));
  ASSERT_OK(cache.TruncateFromEnd(10));
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{1, 0}}));
}

TEST(LeaderEpochCacheTest, TruncateFromStartMovesTheHoldingEpochUp) {
  TempDir dir;
  auto cache = *LeaderEpochCache::Load(dir.path());
  ASSERT_OK(cache.Assign(1, 0));
  ASSERT_OK(cache.Assign(2, 10));
  ASSERT_OK(cache.Assign(3, 20));
  ASSERT_OK(cache.TruncateFromStart(15));
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{2, 15}, {3, 20}}));
}

TEST(LeaderEpochCacheTest, LogRecordsLeaderEpochsAndTruncatesThem) {
  TempDir dir;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), testing::SmallConfig())).value();
  ASSERT_OK(log->AppendAsLeader(testing::MakeBatch(2), 0));
  ASSERT_OK(log->AppendAsLeader(testing::MakeBatch(2), 0));
  ASSERT_OK(log->AppendAsLeader(testing::MakeBatch(2), 1));
  EXPECT_EQ(log->leader_epochs(), (std::vector<EpochEntry>{{0, 0}, {1, 4}}));
  EXPECT_EQ(log->EndOffsetForEpoch(0), (EpochEntry{0, 4}));
  ASSERT_OK(log->TruncateTo(4));
  EXPECT_EQ(log->leader_epochs(), (std::vector<EpochEntry>{{0, 0}}));
}

}  // namespace
}  // namespace fluss
