// Progress and summary lines of the write commands.
#include "cli/progress.h"

#include <gtest/gtest.h>

namespace fluss::cli {
namespace {

TEST(ProgressTest, RowCountsAreSingularForOne) {
  EXPECT_EQ(RowCount(0), "0 rows");
  EXPECT_EQ(RowCount(1), "1 row");
  EXPECT_EQ(RowCount(2), "2 rows");
  EXPECT_EQ(SummaryLine("produced", 1, 10, "shop.orders", 2.0), "produced 1 row to shop.orders in 2.00 s (0 rows/s, 0.00 MB/s)");
  EXPECT_EQ(SummaryLine("upserted", 3, 0, "shop.users", 1.0), "upserted 3 rows into shop.users in 1.00 s (3 rows/s, 0.00 MB/s)");
  EXPECT_EQ(SummaryLine("deleted", 2, 0, "shop.users", 1.0), "deleted 2 rows from shop.users in 1.00 s (2 rows/s, 0.00 MB/s)");
}

TEST(ProgressTest, SummaryNamesThePartitionsAWriterCreated) {
  EXPECT_EQ(SummaryLine("produced", 4, 0, "shop.events", 1.0, 2),
            "produced 4 rows to shop.events in 1.00 s (4 rows/s, 0.00 MB/s); created 2 partitions");
  EXPECT_EQ(SummaryLine("upserted", 1, 0, "shop.events", 1.0, 1),
            "upserted 1 row into shop.events in 1.00 s (1 rows/s, 0.00 MB/s); created 1 partition");
}

TEST(ProgressTest, AFileOfKnownSizeShowsPercentageAndTimeLeft) {
  // 25 MB of 100 MB in 2 s: 25%, 6 s left at that rate.
  EXPECT_EQ(ProgressLine("produced", 500000, 25000000, 100000000, 2.0),
            "produced 500000 rows, 25% of 100.0 MB (250000 rows/s, 12.50 MB/s, 6 s left)");
  // stdin: no size.
  EXPECT_EQ(ProgressLine("produced", 500000, 25000000, std::nullopt, 2.0),
            "produced 500000 rows (250000 rows/s, 12.50 MB/s)");
  EXPECT_EQ(ProgressLine("upserted", 1, 100, 100, 1.0), "upserted 1 row, 100% of 0.0 MB (1 rows/s, 0.00 MB/s, 0 s left)");
}

}  // namespace
}  // namespace fluss::cli
