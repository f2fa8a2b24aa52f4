#include "common/closest_name.h"

#include <gtest/gtest.h>

namespace fluss {
namespace {

TEST(ClosestNameTest, EditDistanceCountsOneEditPerTypo) {
  EXPECT_EQ(EditDistance("data.dir", "data.dir"), 0u);
  EXPECT_EQ(EditDistance("data.dirr", "data.dir"), 1u);      // insertion
  EXPECT_EQ(EditDistance("bind.listener", "bind.listeners"), 1u);  // deletion
  EXPECT_EQ(EditDistance("data.dur", "data.dir"), 1u);       // substitution
  EXPECT_EQ(EditDistance("tabel.log.ttl", "table.log.ttl"), 1u);  // two adjacent letters swapped
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(ClosestNameTest, SuggestsOnlyANearName) {
  const std::vector<std::string_view> names = {"data.dir", "data.dirs", "bind.listeners", "table.log.ttl"};
  EXPECT_EQ(ClosestName("data.dirr", names), "data.dir");
  EXPECT_EQ(ClosestName("bind.listener", names), "bind.listeners");
  EXPECT_EQ(ClosestName("table.log.tll", names), "table.log.ttl");
  EXPECT_EQ(ClosestName("nonsense", names), std::nullopt);
  EXPECT_EQ(ClosestName("zz", names), std::nullopt);
  EXPECT_EQ(DidYouMean("data.dirr", names), "; did you mean 'data.dir'?");
  EXPECT_EQ(DidYouMean("nonsense", names), "");
}

}  // namespace
}  // namespace fluss
