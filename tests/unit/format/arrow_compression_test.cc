// Body-buffer compression: the [int64 uncompressed length][frame] layout, the -1 raw form, and the
// decompressor's checks.
#include <gtest/gtest.h>

#include <random>

#include "arrow_test_support.h"
#include "common/byte_io.h"
#include "support/status_macros.h"

namespace fluss::arrow {
namespace {

using testing::CodecName;

std::vector<uint8_t> Compressible(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i / 64) % 7);
  return v;
}

std::vector<uint8_t> Random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

class ArrowCompressionTest : public ::testing::TestWithParam<CompressionCodec> {
 protected:
  std::vector<uint8_t> Compress(std::span<const uint8_t> raw) {
    BufferCompressor compressor({.codec = GetParam()});
    std::vector<uint8_t> out;
    EXPECT_OK(compressor.Compress(raw, &out));
    return out;
  }
  Result<std::vector<uint8_t>> Decompress(std::span<const uint8_t> stored) {
    BufferDecompressor decompressor(GetParam());
    std::vector<uint8_t> scratch;
    Result<std::span<const uint8_t>> r = decompressor.Decompress(stored, &scratch);
    if (!r.ok()) return r.status();
    return std::vector<uint8_t>(r->begin(), r->end());
  }
};

INSTANTIATE_TEST_SUITE_P(Arrow, ArrowCompressionTest,
                         ::testing::Values(CompressionCodec::kLz4Frame, CompressionCodec::kZstd),
                         [](const auto& info) { return CodecName(info.param); });

TEST_P(ArrowCompressionTest, PrefixesTheFrameWithTheUncompressedLength) {
  std::vector<uint8_t> raw = Compressible(100000);
  std::vector<uint8_t> stored = Compress(raw);
  ASSERT_GT(stored.size(), 8u);
  EXPECT_LT(stored.size(), raw.size());
  EXPECT_EQ(LoadLE<int64_t>(stored.data()), 100000);
  Result<std::vector<uint8_t>> back = Decompress(stored);
  ASSERT_OK(back);
  EXPECT_EQ(*back, raw);
}

TEST_P(ArrowCompressionTest, StoresIncompressibleBuffersRawBehindMinusOne) {
  std::vector<uint8_t> raw = Random(1000, 1);
  std::vector<uint8_t> stored = Compress(raw);
  ASSERT_EQ(stored.size(), raw.size() + 8);
  EXPECT_EQ(LoadLE<int64_t>(stored.data()), -1);
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), stored.begin() + 8));
  Result<std::vector<uint8_t>> back = Decompress(stored);
  ASSERT_OK(back);
  EXPECT_EQ(*back, raw);
}

TEST_P(ArrowCompressionTest, EmptyBufferStaysEmpty) {
  EXPECT_TRUE(Compress({}).empty());
  Result<std::vector<uint8_t>> back = Decompress({});
  ASSERT_OK(back);
  EXPECT_TRUE(back->empty());
}

TEST_P(ArrowCompressionTest, AcceptsAZeroLengthPrefixWithoutFrame) {
  // Arrow Java writes an empty buffer as just an 8-byte zero prefix.
  std::vector<uint8_t> stored(8, 0);
  Result<std::vector<uint8_t>> back = Decompress(stored);
  ASSERT_OK(back);
  EXPECT_TRUE(back->empty());
}

TEST_P(ArrowCompressionTest, InflatesFarBeyondTheInitialCapacity) {
  std::vector<uint8_t> raw(16 << 20, 0);
  raw[12345] = 1;
  std::vector<uint8_t> stored = Compress(raw);
  Result<std::vector<uint8_t>> back = Decompress(stored);
  ASSERT_OK(back);
  EXPECT_EQ(*back, raw);
}

TEST_P(ArrowCompressionTest, RejectsADeclaredLengthLargerThanTheFrameYields) {
  std::vector<uint8_t> stored = Compress(Compressible(5000));
  StoreLE<int64_t>(stored.data(), 5001);
  EXPECT_EQ(Decompress(stored).status().code(), ErrorCode::kCorruptRecord);
}

TEST_P(ArrowCompressionTest, RejectsADeclaredLengthSmallerThanTheFrameYields) {
  std::vector<uint8_t> stored = Compress(Compressible(5000));
  StoreLE<int64_t>(stored.data(), 4999);
  EXPECT_EQ(Decompress(stored).status().code(), ErrorCode::kCorruptRecord);
}

TEST_P(ArrowCompressionTest, RejectsBytesAfterTheFrame) {
  std::vector<uint8_t> stored = Compress(Compressible(5000));
  stored.push_back(0);
  EXPECT_EQ(Decompress(stored).status().code(), ErrorCode::kCorruptRecord);
}

TEST_P(ArrowCompressionTest, RejectsATruncatedFrame) {
  std::vector<uint8_t> stored = Compress(Compressible(5000));
  for (size_t n = 1; n < stored.size(); ++n) {
    EXPECT_FALSE(Decompress(std::span<const uint8_t>(stored).first(n)).ok()) << n << " bytes";
  }
}

TEST_P(ArrowCompressionTest, RejectsNegativeAndHugeDeclaredLengths) {
  std::vector<uint8_t> stored = Compress(Compressible(5000));
  for (int64_t declared : {int64_t{-2}, std::numeric_limits<int64_t>::min(), kMaxDecompressedBufferSize + 1,
                           std::numeric_limits<int64_t>::max()}) {
    StoreLE<int64_t>(stored.data(), declared);
    EXPECT_EQ(Decompress(stored).status().code(), ErrorCode::kCorruptRecord) << declared;
  }
}

TEST_P(ArrowCompressionTest, RejectsAFrameOfTheOtherCodec) {
  const CompressionCodec other =
      GetParam() == CompressionCodec::kZstd ? CompressionCodec::kLz4Frame : CompressionCodec::kZstd;
  BufferCompressor compressor({.codec = other});
  std::vector<uint8_t> stored;
  ASSERT_OK(compressor.Compress(Compressible(5000), &stored));
  EXPECT_EQ(Decompress(stored).status().code(), ErrorCode::kCorruptRecord);
}

TEST_P(ArrowCompressionTest, DecompressorIsReusableAfterAnError) {
  std::vector<uint8_t> good = Compress(Compressible(3000));
  std::vector<uint8_t> bad = good;
  bad.resize(bad.size() / 2);
  BufferDecompressor decompressor(GetParam());
  std::vector<uint8_t> scratch;
  EXPECT_FALSE(decompressor.Decompress(bad, &scratch).ok());
  Result<std::span<const uint8_t>> r = decompressor.Decompress(good, &scratch);
  ASSERT_OK(r);
  EXPECT_EQ(std::vector<uint8_t>(r->begin(), r->end()), Compressible(3000));
}

TEST(ArrowCompressionPrefixTest, RejectsAPrefixShorterThanEightBytes) {
  BufferDecompressor decompressor(CompressionCodec::kZstd);
  std::vector<uint8_t> scratch;
  std::vector<uint8_t> stored = {1, 2, 3};
  EXPECT_EQ(decompressor.Decompress(stored, &scratch).status().code(), ErrorCode::kCorruptRecord);
}

}  // namespace
}  // namespace fluss::arrow
