// The RLE / bit-packed hybrid: golden bytes from the Parquet encoding spec's rules, round trips, and
// rejection of lying run headers.
#include <gtest/gtest.h>

#include <random>

#include "lake/parquet/rle_hybrid.h"
#include "support/status_macros.h"

namespace fluss::parquet {
namespace {

TEST(RleHybridTest, BitWidths) {
  EXPECT_EQ(BitWidthFor(0), 0);
  EXPECT_EQ(BitWidthFor(1), 1);
  EXPECT_EQ(BitWidthFor(2), 2);
  EXPECT_EQ(BitWidthFor(255), 8);
  EXPECT_EQ(BitWidthFor(256), 9);
  EXPECT_EQ(BitWidthFor(0xFFFFFFFFu), 32);
}

TEST(RleHybridTest, LongRunIsOneRleRun) {
  std::vector<uint32_t> v(100, 1);
  std::vector<uint8_t> out;
  EncodeRleHybrid(v, 1, &out);
  // header varint(100 << 1) = 200 = 0xC8 0x01, then the value in one byte.
  EXPECT_EQ(out, (std::vector<uint8_t>{0xC8, 0x01, 0x01}));
}

TEST(RleHybridTest, ShortMixIsBitPackedLsbFirst) {
  std::vector<uint32_t> v = {1, 0, 1, 1, 0, 0, 0, 1, 1};  // 9 values: 2 groups, second zero-padded
  std::vector<uint8_t> out;
  EncodeRleHybrid(v, 1, &out);
  // header (2 << 1) | 1 = 5; bits of group 1 LSB first: 1,0,1,1,0,0,0,1 -> 0b10001101 = 0x8D; then 0x01.
  EXPECT_EQ(out, (std::vector<uint8_t>{0x05, 0x8D, 0x01}));
  std::vector<uint32_t> back;
  ASSERT_OK(DecodeRleHybrid(out, 1, v.size(), &back));
  EXPECT_EQ(back, v);
}

TEST(RleHybridTest, RoundTripsRandomRunsAtEveryWidth) {
  std::mt19937 rng(7);
  for (int width = 0; width <= 32; ++width) {
    std::vector<uint32_t> v;
    const uint64_t limit = width == 32 ? 0xFFFFFFFFull : (uint64_t{1} << width) - 1;
    while (v.size() < 1000) {
      uint32_t x = static_cast<uint32_t>(rng() & limit);
      size_t run = rng() % 3 == 0 ? 1 + rng() % 40 : 1;
      v.insert(v.end(), run, x);
    }
    std::vector<uint8_t> out;
    EncodeRleHybrid(v, width, &out);
    std::vector<uint32_t> back;
    ASSERT_TRUE(DecodeRleHybrid(out, width, v.size(), &back).ok()) << width;
    EXPECT_EQ(back, v) << width;
  }
}

TEST(RleHybridTest, RejectsTruncatedAndLyingRuns) {
  std::vector<uint32_t> out;
  EXPECT_FALSE(DecodeRleHybrid({}, 1, 1, &out).ok());                                    // nothing
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0x03}, 8, 8, &out).ok());            // bit-packed, no bytes
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0x02}, 8, 1, &out).ok());            // RLE, no value
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0x00}, 1, 1, &out).ok());            // empty run
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0x02, 0x05}, 1, 1, &out).ok());      // value 5 in 1 bit
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0x02, 0x01}, 33, 1, &out).ok());     // width
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0x04, 0x01}, 1, 3, &out).ok());      // run of 2, need 3
  EXPECT_FALSE(DecodeRleHybrid(std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 1, 1, &out).ok());
}

}  // namespace
}  // namespace fluss::parquet
