#include "types/strong_value.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <concepts>
#include <map>
#include <sstream>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "types/epochs.h"
#include "types/log_offset.h"
#include "types/server_id.h"

namespace fluss {
namespace {

// What the compiler must refuse: a raw integer where a kind is expected (or back), and one kind
// where another is.
static_assert(std::is_constructible_v<LogOffset, int64_t>);
static_assert(!std::is_convertible_v<int64_t, LogOffset>);
static_assert(!std::is_convertible_v<LogOffset, int64_t>);
static_assert(!std::is_convertible_v<int32_t, LeaderEpoch>);
static_assert(!std::is_convertible_v<LeaderEpoch, BucketEpoch>);
static_assert(!std::is_constructible_v<LeaderEpoch, ServerId>);
static_assert(!std::equality_comparable_with<LeaderEpoch, BucketEpoch>);
static_assert(!std::equality_comparable_with<LeaderEpoch, CoordinatorEpoch>);
static_assert(!std::equality_comparable_with<ServerId, int32_t>);
static_assert(!std::totally_ordered_with<LogOffset, int64_t>);
// Arithmetic only where the kind has it.
template <typename T>
concept Addable = requires(T a) {
  a + int64_t{1};
};
static_assert(Addable<LogOffset>);
static_assert(!Addable<ServerId>);
static_assert(!Addable<LeaderEpoch>);
template <typename T>
concept HasNext = requires(T a) {
  Next(a);
};
static_assert(HasNext<LeaderEpoch> && HasNext<BucketEpoch> && HasNext<CoordinatorEpoch>);
static_assert(!HasNext<ServerId> && !HasNext<LogOffset>);
// As cheap to pass as the integer.
static_assert(sizeof(LogOffset) == sizeof(int64_t) && std::is_trivially_copyable_v<LogOffset>);

TEST(StrongValueTest, ComparesWithinItsKind) {
  EXPECT_EQ(LogOffset(5), LogOffset(5));
  EXPECT_NE(LogOffset(5), LogOffset(6));
  EXPECT_LT(LogOffset(-1), LogOffset(0));
  EXPECT_GE(LeaderEpoch(3), LeaderEpoch(3));
  EXPECT_GT(ServerId(2), kNoServer);
  EXPECT_EQ(std::min(LogOffset(9), LogOffset(4)), LogOffset(4));
  EXPECT_EQ(LogOffset(), LogOffset(0));
  EXPECT_EQ(kNoLeaderEpoch.value(), -1);
}

TEST(StrongValueTest, OffsetsMoveByRecordCountsAndDifferByOne) {
  const LogOffset start(100);
  EXPECT_EQ(start + 20, LogOffset(120));
  EXPECT_EQ(start - 1, LogOffset(99));
  EXPECT_EQ(LogOffset(120) - start, 20);
  EXPECT_EQ(start - LogOffset(120), -20);
}

TEST(StrongValueTest, EpochsMoveOnByOne) {
  EXPECT_EQ(Next(LeaderEpoch(4)), LeaderEpoch(5));
  EXPECT_EQ(Next(kNoBucketEpoch), BucketEpoch(0));
  EXPECT_EQ(Next(CoordinatorEpoch(0)), CoordinatorEpoch(1));
}

TEST(StrongValueTest, FormatsAsTheBareNumber) {
  EXPECT_EQ(fmt::format("{}", LogOffset(1234567890123)), "1234567890123");
  EXPECT_EQ(fmt::format("epoch {} of leader {}", LeaderEpoch(7), kNoServer), "epoch 7 of leader -1");
  EXPECT_EQ(fmt::format("[{:>3}]", ServerId(4)), "[  4]");  // the integer's format specs apply
  EXPECT_EQ(fmt::format("[{}]", fmt::join(std::vector<ServerId>{ServerId(1), ServerId(3)}, ",")), "[1,3]");
  std::ostringstream out;
  out << BucketEpoch(12);
  EXPECT_EQ(out.str(), "12");
}

TEST(StrongValueTest, KeysOrderedAndHashedMaps) {
  std::map<ServerId, int> by_server{{ServerId(3), 3}, {ServerId(1), 1}, {ServerId(2), 2}};
  std::vector<int> order;
  for (const auto& [id, v] : by_server) order.push_back(v);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  std::unordered_set<LogOffset> offsets{LogOffset(1), LogOffset(1), LogOffset(2)};
  EXPECT_EQ(offsets.size(), 2u);
  EXPECT_EQ(std::hash<ServerId>{}(ServerId(9)), std::hash<int32_t>{}(9));
}

}  // namespace
}  // namespace fluss
