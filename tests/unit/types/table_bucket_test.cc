#include "types/table_bucket.h"

#include <gtest/gtest.h>

#include <map>
#include <unordered_set>

namespace fluss {
namespace {

TEST(TableBucketTest, TwoNumbersAreTableAndBucketNeverAPartition) {
  const TableBucket b{7, 2};
  EXPECT_EQ(b.table_id, 7);
  EXPECT_EQ(b.bucket, 2);
  EXPECT_FALSE(b.partition_id.has_value());
  const TableBucket p(7, 3, 2);
  EXPECT_EQ(p.partition_id, 3);
  EXPECT_NE(b, p);
  EXPECT_EQ(b, TableBucket(7, std::nullopt, 2));
}

TEST(TableBucketTest, OrdersByTableThenPartitionThenBucket) {
  std::map<TableBucket, int> m;
  m[TableBucket(2, 0)] = 4;
  m[TableBucket(1, 5, 0)] = 3;
  m[TableBucket(1, 1)] = 2;
  m[TableBucket(1, 0)] = 1;
  std::vector<int> order;
  for (const auto& [k, v] : m) order.push_back(v);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));  // no partition before any partition
  EXPECT_LT(TableBucket(1, 4, 9), TableBucket(1, 5, 0));
}

TEST(TableBucketTest, HashesEqualBucketsAlikeAndTellPartitionsApart) {
  std::unordered_set<TableBucket> s{TableBucket(1, 0), TableBucket(1, 0), TableBucket(1, 0, 0), TableBucket(1, 1)};
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.count(TableBucket(1, 0, 0)), 1u);
  EXPECT_EQ(std::hash<TableBucket>{}(TableBucket(9, 3)), std::hash<TableBucket>{}(TableBucket(9, 3)));
}

TEST(TableBucketTest, ToStringNamesBucketPartitionAndTable) {
  EXPECT_EQ(TableBucket(7, 2).ToString(), "bucket 2 of table id 7");
  EXPECT_EQ(TableBucket(7, 3, 2).ToString(), "bucket 2 of partition 3 of table id 7");
}

}  // namespace
}  // namespace fluss
