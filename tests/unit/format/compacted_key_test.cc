#include "format/compacted_key.h"

#include <gtest/gtest.h>

#include <random>

#include "format/compacted_row.h"
#include "kv_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using kv_test::Bytes;
using kv_test::MakeSchema;

// orders(region STRING, id BIGINT, day DATE, amount DECIMAL(20, 2), PRIMARY KEY (region, id)).
Schema OrdersSchema() {
  return MakeSchema({{"region", DataType::String()},
                     {"id", DataType::BigInt()},
                     {"day", DataType::Date()},
                     {"amount", DataType::Decimal(20, 2)}},
                    {"region", "id"});
}

GenericRow Order(std::string region, int64_t id) {
  return GenericRow(std::vector<Datum>{std::move(region), id, int32_t{19000}, DecimalValue{12345}});
}

const std::vector<size_t> kPk = {0, 1};

TEST(CompactedKeyTest, KeyColumnsWithoutNullBitsetMatchHandBuiltBytes) {
  // Hand-built from the layout: no null bitset, then each key column's compacted field.
  auto key = EncodeCompactedKey(OrdersSchema(), kPk, Order("eu", 300));
  ASSERT_OK(key);
  EXPECT_EQ(Bytes(*key), Bytes({0x02, 0x65, 0x75,  // region 'eu': length 2 + bytes
                                0xac, 0x02}));     // id BIGINT 300 = 2*128 + 44
  // A negative BIGINT takes all 10 varint bytes in a key too.
  key = EncodeCompactedKey(OrdersSchema(), kPk, Order("", -1));
  ASSERT_OK(key);
  EXPECT_EQ(Bytes(*key), Bytes({0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(CompactedKeyTest, KeyOrderIsTheIndexOrderNotTheColumnOrder) {
  const std::vector<size_t> reversed = {1, 0};
  auto key = EncodeCompactedKey(OrdersSchema(), reversed, Order("eu", 300));
  ASSERT_OK(key);
  EXPECT_EQ(Bytes(*key), Bytes({0xac, 0x02, 0x02, 0x65, 0x75}));
}

TEST(CompactedKeyTest, BucketKeyIsAPrefixOfThePrimaryKey) {
  // Why kv format v2 encodes the PK in Compacted form: the bucket key (region) is a byte prefix of the
  // primary key (region, id), so a prefix lookup finds the bucket from the prefix alone.
  const std::vector<size_t> bucket_key = {0};
  auto pk = EncodeCompactedKey(OrdersSchema(), kPk, Order("asia", 7));
  auto bk = EncodeCompactedKey(OrdersSchema(), bucket_key, Order("asia", 7));
  ASSERT_TRUE(pk.ok() && bk.ok());
  ASSERT_LT(bk->size(), pk->size());
  EXPECT_TRUE(std::equal(bk->begin(), bk->end(), pk->begin()));
}

TEST(CompactedKeyTest, EveryTypeEncodesLikeItsRowField) {
  // A key field is byte-for-byte the row's field encoding: a one-column NOT NULL row is the 1-byte
  // null bitset (0x00) followed by exactly the key bytes.
  std::mt19937_64 rng(11);
  for (const DataType& t : kv_test::EveryType()) {
    for (int i = 0; i < 50; ++i) {
      GenericRow row(std::vector<Datum>{kv_test::RandomDatum(t, rng)});
      std::vector<DataType> types = {t.NotNull()};
      auto key = EncodeCompactedKey(types, row);
      auto as_row = EncodeCompactedRow(types, row);
      ASSERT_TRUE(key.ok() && as_row.ok()) << t.ToString();
      ASSERT_EQ((*as_row)[0], 0x00);
      ASSERT_EQ(Bytes(std::span<const uint8_t>(*as_row).subspan(1)), Bytes(*key)) << t.ToString();
      auto decoded = DecodeCompactedKey(types, *key);
      ASSERT_OK(decoded);
      ASSERT_EQ(*decoded, row) << t.ToString();
    }
  }
}

TEST(CompactedKeyTest, DecodesBackToTheKeyColumns) {
  auto key = EncodeCompactedKey(OrdersSchema(), kPk, Order("eu", 300));
  ASSERT_OK(key);
  auto decoded = DecodeCompactedKey(OrdersSchema(), kPk, *key);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, GenericRow(std::vector<Datum>{std::string("eu"), int64_t{300}}));
}

TEST(CompactedKeyTest, NullKeyColumnIsAnErrorNamingTheColumn) {
  // A bucket key of a log table may be a nullable column; a null value still cannot be encoded.
  Schema schema = MakeSchema({{"a", DataType::Int()}, {"tag", DataType::String()}});
  GenericRow row(std::vector<Datum>{int32_t{1}, std::monostate{}});
  const std::vector<size_t> key_indexes = {0, 1};
  auto key = EncodeCompactedKey(schema, key_indexes, row);
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("'tag'"), std::string::npos) << key.status().message();
  EXPECT_NE(key.status().message().find("null"), std::string::npos);
}

TEST(CompactedKeyTest, RejectsBadKeyDefinitionsAndValues) {
  Schema schema = OrdersSchema();
  const std::vector<size_t> none;
  const std::vector<size_t> out_of_range = {0, 4};
  EXPECT_FALSE(EncodeCompactedKey(schema, none, Order("eu", 1)).ok());
  EXPECT_FALSE(EncodeCompactedKey(schema, out_of_range, Order("eu", 1)).ok());
  EXPECT_FALSE(EncodeCompactedKey(schema, kPk, GenericRow(2)).ok());  // wrong arity
  GenericRow wrong_type = Order("eu", 1);
  wrong_type.SetField(1, int32_t{1});
  auto r = EncodeCompactedKey(schema, kPk, wrong_type);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'id'"), std::string::npos) << r.status().message();
}

TEST(CompactedKeyTest, DecodeRejectsTruncationAndTrailingBytes) {
  const std::vector<uint8_t> key = {0x02, 0x65, 0x75, 0xac, 0x02};
  for (size_t n = 0; n < key.size(); ++n) {
    auto r = DecodeCompactedKey(OrdersSchema(), kPk, std::span<const uint8_t>(key.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  }
  std::vector<uint8_t> longer = key;
  longer.push_back(0x00);
  auto r = DecodeCompactedKey(OrdersSchema(), kPk, longer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
}

TEST(CompactedKeyTest, MutatedKeysNeverCrashTheDecoder) {
  std::mt19937_64 rng(5);
  std::vector<DataType> types = kv_test::EveryType();
  for (auto& t : types) t = t.NotNull();
  for (int iter = 0; iter < 3000; ++iter) {
    GenericRow row(types.size());
    for (size_t i = 0; i < types.size(); ++i) row.SetField(i, kv_test::RandomDatum(types[i], rng));
    auto key = EncodeCompactedKey(types, row);
    ASSERT_OK(key);
    auto r = DecodeCompactedKey(types, kv_test::Mutate(*key, rng));
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
    }
  }
}

}  // namespace
}  // namespace fluss
