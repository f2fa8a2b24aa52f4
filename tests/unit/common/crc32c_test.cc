#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace fluss {
namespace {

uint32_t Crc(std::string_view s) { return crc32c::Value(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

TEST(Crc32cTest, MatchesStandardCheckValue) { EXPECT_EQ(Crc("123456789"), 0xE3069283u); }

TEST(Crc32cTest, MatchesRfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<uint8_t>(i);
    dec[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(crc32c::Value(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c::Value(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c::Value(inc), 0x46DD794Eu);
  EXPECT_EQ(crc32c::Value(dec), 0x113FDB5Cu);
}

TEST(Crc32cTest, EmptyInputIsZero) { EXPECT_EQ(Crc(""), 0u); }

TEST(Crc32cTest, ExtendEqualsWholeValue) {
  std::string s = "The quick brown fox jumps over the lazy dog";
  auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t split = 0; split <= s.size(); ++split) {
    EXPECT_EQ(crc32c::Extend(crc32c::Value(p, split), p + split, s.size() - split), Crc(s)) << split;
  }
}

TEST(Crc32cTest, HardwareAndPortablePathsAgreeOnEveryAlignmentAndLength) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(4096 + 16);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t off = 0; off < 16; ++off) {
    for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4096u}) {
      EXPECT_EQ(crc32c::Extend(0x1234, data.data() + off, len), crc32c::ExtendPortable(0x1234, data.data() + off, len));
    }
  }
}

}  // namespace
}  // namespace fluss
