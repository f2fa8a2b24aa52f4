// "Did you mean ...?": edit distance and the choice of the closest name.
#include "cli/suggest.h"

#include <gtest/gtest.h>

namespace fluss::cli {
namespace {

const std::vector<std::string> kCommands = {"db", "table", "produce", "upsert", "delete", "lookup",
                                            "scan", "lake", "cluster", "offsets"};

TEST(SuggestTest, EditDistanceCountsSwapsOfNeighboursAsOne) {
  EXPECT_EQ(EditDistance("table", "table"), 0u);
  EXPECT_EQ(EditDistance("tabel", "table"), 1u);
  EXPECT_EQ(EditDistance("tble", "table"), 1u);
  EXPECT_EQ(EditDistance("tablee", "table"), 1u);
  EXPECT_EQ(EditDistance("scna", "scan"), 1u);
  EXPECT_EQ(EditDistance("TABLE", "table"), 0u);
  EXPECT_EQ(EditDistance("", "db"), 2u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SuggestTest, ClosestNameForTyposAndPrefixes) {
  EXPECT_EQ(ClosestName("tabel", kCommands), "table");
  EXPECT_EQ(ClosestName("scna", kCommands), "scan");
  EXPECT_EQ(ClosestName("prod", kCommands), "produce");   // a unique prefix
  EXPECT_EQ(ClosestName("Table", kCommands), "table");
  EXPECT_EQ(ClosestName("offset", kCommands), "offsets");
  EXPECT_EQ(ClosestName("dv", kCommands), "db");
}

TEST(SuggestTest, NothingWhenNothingIsClose) {
  EXPECT_EQ(ClosestName("xyzzy", kCommands), std::nullopt);
  EXPECT_EQ(ClosestName("x", kCommands), std::nullopt);     // one letter is a guess, not a typo
  EXPECT_EQ(ClosestName("table", kCommands), std::nullopt); // a name itself
  EXPECT_EQ(ClosestName("", kCommands), std::nullopt);
  EXPECT_EQ(ClosestName("l", kCommands), std::nullopt);     // a prefix of two names
}

}  // namespace
}  // namespace fluss::cli
