#include "format/bucketing.h"

#include <gtest/gtest.h>

#include <climits>
#include <string_view>
#include <vector>

#include "format/compacted_key.h"
#include "kv_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

// How the literals were obtained: tests/unit/format/bucketing_golden.py models the algorithm
// independently (Python integers masked to 32 bits as Java ints; trailing bytes sign-extended as Java
// bytes) from its description in reference/fluss.md §2.3 and Fluss's MurmurHashUtils /
// MathUtils.murmurHash(int) / FlussBucketingFunction. Its printed output is pasted here. The four
// "Fluss's own" vectors are the inputs and expected buckets of Fluss's BucketingFunctionTest, which
// the Python model also reproduces.

std::span<const uint8_t> AsBytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(BucketingTest, HashOfOneByteWorkedStepByStep) {
  // Key bytes {0x01} (the CompactedKey of INT 1). No full word; the one trailing byte k = 1:
  //   k *= 0xcc9e2d51 -> 0xcc9e2d51; rotl 15 -> 0x16a8e64f; *= 0x1b873593 -> 0xc3539a5d
  //   h = 42 ^ k -> 0xc3539a77; rotl 13 -> 0x734ef86a; h * 5 + 0xe6546b64 -> 0x26df4576
  //   h ^= length 1 -> 0x26df4577; fmix32 -> 0xe8f30d16 = -386724586
  // MurmurHashInt(-386724586): one round with seed 0, ^ 4, fmix32 -> 0x425bb96c = 1113307500 (>= 0).
  const std::vector<uint8_t> key = {0x01};
  EXPECT_EQ(MurmurHashBytes(key), -386724586);
  EXPECT_EQ(MurmurHashInt(-386724586), 1113307500);
  EXPECT_EQ(*BucketForKey(key, 7), 1113307500 % 7);
  EXPECT_EQ(*BucketForKey(key, 7), 4);
  EXPECT_EQ(*BucketForKey(key, 12), 0);
  EXPECT_EQ(*BucketForKey(key, 16), 12);
}

TEST(BucketingTest, HashesMatchTheIndependentModel) {
  struct Case {
    const char* what;
    std::vector<uint8_t> key;
    int32_t hash;    // MurmurHashBytes
    int32_t mixed;   // MurmurHashInt(hash)
    int32_t b7, b3;  // buckets for 7 and 3 buckets
  };
  const std::vector<Case> cases = {
      {"STRING 'hello' key: one word + 2 tail bytes", {0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f}, 636232302, 162278591, 6, 2},
      {"INT 200 key: tail bytes >= 0x80 are sign-extended", {0xc8, 0x01}, 1454026796, 1791329318, 2, 2},
      {"BIGINT 2^32 key: one word + 1 tail byte", {0x80, 0x80, 0x80, 0x80, 0x10}, -1017930109, 1208773349, 0, 2},
      {"two words, no tail", {1, 2, 3, 4, 5, 6, 7, 8}, 1184650953, 678903097, 5, 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MurmurHashBytes(c.key), c.hash) << c.what;
    EXPECT_EQ(MurmurHashInt(c.hash), c.mixed) << c.what;
    EXPECT_EQ(*BucketForKey(c.key, 7), c.b7) << c.what;
    EXPECT_EQ(*BucketForKey(c.key, 3), c.b3) << c.what;
  }
  EXPECT_EQ(MurmurHashInt(0), 593689054);
  EXPECT_EQ(MurmurHashInt(1), 68075478);
  EXPECT_EQ(MurmurHashInt(2), 1085422463);
}

TEST(BucketingTest, MatchesFlussOwnTestVectors) {
  const std::vector<uint8_t> a = {0, 10};
  const std::vector<uint8_t> b = {0, 10, 10, 10};
  EXPECT_EQ(*BucketForKey(a, 7), 1);
  EXPECT_EQ(*BucketForKey(b, 12), 0);
  EXPECT_EQ(*BucketForKey(AsBytes("2bb87d68-baf9-4e64-90f9-f80910419fa6"), 16), 6);
  EXPECT_EQ(*BucketForKey(AsBytes("The quick brown fox jumps over the lazy dog"), 8), 6);
  // The model's intermediate values for the same inputs.
  EXPECT_EQ(MurmurHashBytes(a), 1530214680);
  EXPECT_EQ(MurmurHashBytes(b), 1248044039);
  EXPECT_EQ(MurmurHashBytes(AsBytes("2bb87d68-baf9-4e64-90f9-f80910419fa6")), -1627959308);
  EXPECT_EQ(MurmurHashBytes(AsBytes("The quick brown fox jumps over the lazy dog")), 466024576);
}

TEST(BucketingTest, MixedIntMinMapsToZeroNotJavaMathAbs) {
  // MathUtils.murmurHash(int) returns 0 when the mixed value is Integer.MIN_VALUE (Java's Math.abs
  // would return MIN_VALUE itself, and MIN_VALUE % 7 = -2: a negative bucket). The model finds the
  // inputs by inverting each bijective step: murmurHash(-2089875627) mixes to exactly 0x80000000, and
  // the 4-byte key 29 ff f0 2c hashes to -2089875627, so its bucket is 0 for every bucket count.
  EXPECT_EQ(MurmurHashInt(-2089875627), 0);
  const std::vector<uint8_t> key = {0x29, 0xff, 0xf0, 0x2c};
  EXPECT_EQ(MurmurHashBytes(key), -2089875627);
  for (int32_t n : {1, 2, 3, 7, 13, 4096}) EXPECT_EQ(*BucketForKey(key, n), 0) << n;
}

TEST(BucketingTest, BucketOfAnEncodedPrimaryKey) {
  // The path a writer takes: CompactedKey of the bucket key, then the hash.
  Schema schema = kv_test::MakeSchema({{"id", DataType::Int()}, {"v", DataType::String()}}, {"id"});
  const std::vector<size_t> key_indexes = {0};
  auto key = EncodeCompactedKey(schema, key_indexes, GenericRow(std::vector<Datum>{int32_t{1}, std::string("x")}));
  ASSERT_OK(key);
  ASSERT_EQ(*key, std::vector<uint8_t>{0x01});
  EXPECT_EQ(*BucketForKey(*key, 7), 4);
}

TEST(BucketingTest, EveryBucketIsInRange) {
  for (int32_t i = 0; i < 5000; ++i) {
    const std::vector<uint8_t> key = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), 0x5a};
    auto b = BucketForKey(key, 13);
    ASSERT_OK(b);
    ASSERT_GE(*b, 0);
    ASSERT_LT(*b, 13);
  }
}

TEST(BucketingTest, RejectsEmptyKeyAndNonPositiveBucketCount) {
  const std::vector<uint8_t> key = {0x01};
  EXPECT_FALSE(BucketForKey({}, 3).ok());
  EXPECT_FALSE(BucketForKey(key, 0).ok());
  EXPECT_FALSE(BucketForKey(key, -1).ok());
}

}  // namespace
}  // namespace fluss
