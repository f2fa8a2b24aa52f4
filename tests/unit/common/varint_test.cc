#include "common/varint.h"
#include "support/status_macros.h"

#include <gtest/gtest.h>

#include <limits>

namespace fluss {
namespace {

TEST(VarintTest, RoundTripsBoundaryValues) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, 0xFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull}) {
    std::vector<uint8_t> buf;
    int n = varint::PutVarint64(&buf, v);
    EXPECT_EQ(static_cast<size_t>(n), buf.size());
    EXPECT_EQ(n, varint::EncodedLength64(v));
    size_t consumed = 0;
    auto r = varint::GetVarint64(buf, &consumed);
    ASSERT_OK(r);
    EXPECT_EQ(*r, v);
    EXPECT_EQ(consumed, buf.size());
  }
}

TEST(VarintTest, EncodesLeb128Bytes) {
  std::vector<uint8_t> buf;
  varint::PutVarint32(&buf, 300);
  EXPECT_EQ(buf, (std::vector<uint8_t>{0xAC, 0x02}));
  buf.clear();
  varint::PutVarint32(&buf, static_cast<uint32_t>(-1));  // negative ints take 5 bytes
  EXPECT_EQ(buf, (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
}

TEST(VarintTest, TruncatedInputIsAnError) {
  std::vector<uint8_t> buf{0x80, 0x80};
  size_t consumed = 0;
  EXPECT_FALSE(varint::GetVarint32(buf, &consumed).ok());
  EXPECT_FALSE(varint::GetVarint64({}, &consumed).ok());
}

TEST(VarintTest, OverlongInputIsAnError) {
  std::vector<uint8_t> five{0xFF, 0xFF, 0xFF, 0xFF, 0x1F};  // 33 bits
  size_t consumed = 0;
  EXPECT_FALSE(varint::GetVarint32(five, &consumed).ok());
  std::vector<uint8_t> eleven(11, 0x80);
  EXPECT_FALSE(varint::GetVarint64(eleven, &consumed).ok());
}

TEST(VarintTest, ZigZagMapsSmallMagnitudesToSmallCodes) {
  EXPECT_EQ(varint::ZigZagEncode32(0), 0u);
  EXPECT_EQ(varint::ZigZagEncode32(-1), 1u);
  EXPECT_EQ(varint::ZigZagEncode32(1), 2u);
  EXPECT_EQ(varint::ZigZagEncode64(-2), 3u);
  for (int64_t v : {std::numeric_limits<int64_t>::min(), int64_t{-5}, int64_t{0}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(varint::ZigZagDecode64(varint::ZigZagEncode64(v)), v);
  }
  for (int32_t v : {std::numeric_limits<int32_t>::min(), -5, 0, std::numeric_limits<int32_t>::max()}) {
    EXPECT_EQ(varint::ZigZagDecode32(varint::ZigZagEncode32(v)), v);
  }
}

}  // namespace
}  // namespace fluss
