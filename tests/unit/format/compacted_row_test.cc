#include "format/compacted_row.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kv_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using kv_test::Bytes;
using kv_test::MakeSchema;
using kv_test::RandomDatum;

// The expected bytes below are written by hand from the layout in reference/fluss.md §3.3 (and
// docs/formats/kv-formats.md): varints worked out base-128, low group first, continuation bit 0x80.

Schema AllTypesSchema() {
  return MakeSchema({
      {"b", DataType::Boolean()},
      {"t", DataType::TinyInt()},
      {"s", DataType::SmallInt()},
      {"i", DataType::Int()},
      {"ineg", DataType::Int()},
      {"l", DataType::BigInt()},
      {"lneg", DataType::BigInt()},
      {"f", DataType::Float()},
      {"d", DataType::Double()},
      {"c", DataType::Char(3)},
      {"str", DataType::String()},
      {"bin", DataType::Binary(2)},
      {"by", DataType::Bytes()},
      {"dec", DataType::Decimal(10, 2)},
      {"bigdec", DataType::Decimal(20, 2)},
      {"dt", DataType::Date()},
      {"tm", DataType::Time(3)},
      {"ts", DataType::Timestamp(3)},
      {"ts6", DataType::Timestamp(6)},
      {"ltz9", DataType::TimestampLtz(9)},
  });
}

GenericRow AllTypesRow() {
  return GenericRow(std::vector<Datum>{
      true,
      int8_t{-2},
      int16_t{300},
      int32_t{300},
      int32_t{-1},
      int64_t{300},
      int64_t{-1},
      1.5f,
      -2.0,
      std::string("abc"),
      std::string("h\xc3\xa9llo"),  // "héllo": 6 UTF-8 bytes
      std::string("\x00\xff", 2),
      std::string(),
      DecimalValue{-123},                  // -1.23
      DecimalValue{1234567890123456789},   // 12345678901234567.89
      int32_t{19000},                      // 2022-01-08
      int32_t{3723004},                    // 01:02:03.004
      TimestampValue{1700000000123, 0},
      TimestampValue{1700000000123, 456000},
      TimestampValue{-1, 999999},
  });
}

const std::vector<uint8_t> kAllTypesBytes = {
    0x00, 0x00, 0x00,                                            // null bitset: 20 fields -> 3 bytes, none null
    0x01,                                                        // b    BOOLEAN true
    0xfe,                                                        // t    TINYINT -2
    0x2c, 0x01,                                                  // s    SMALLINT 300, 2 bytes LE
    0xac, 0x02,                                                  // i    INT 300 = 2*128 + 44: 0x2c|0x80, 0x02
    0xff, 0xff, 0xff, 0xff, 0x0f,                                // ineg INT -1: 0xffffffff, 5 groups
    0xac, 0x02,                                                  // l    BIGINT 300
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,  // lneg BIGINT -1: 64 bits, 10 groups
    0x00, 0x00, 0xc0, 0x3f,                                      // f    FLOAT 1.5 = 0x3fc00000 LE
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0,              // d    DOUBLE -2.0 = 0xc000000000000000 LE
    0x03, 0x61, 0x62, 0x63,                                      // c    CHAR(3) 'abc': length 3 + bytes
    0x06, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f,                    // str  STRING 'héllo': 6 UTF-8 bytes
    0x02, 0x00, 0xff,                                            // bin  BINARY(2) x'00ff'
    0x00,                                                        // by   BYTES x'' (length 0)
    0x85, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,  // dec  DECIMAL(10,2) -1.23: varint-long of -123
    0x08, 0x11, 0x22, 0x10, 0xf4, 0x7d, 0xe9, 0x81, 0x15,        // bigdec DECIMAL(20,2): 8 BE bytes of 0x112210f47de98115
    0xb8, 0x94, 0x01,                                            // dt   DATE 19000 = 1*16384 + 20*128 + 56
    0xfc, 0x9d, 0xe3, 0x01,                                      // tm   TIME 3723004 ms = 0x38cefc
    0xfb, 0xd0, 0x95, 0xff, 0xbc, 0x31,                          // ts   TIMESTAMP(3): millis 1700000000123 only
    0xfb, 0xd0, 0x95, 0xff, 0xbc, 0x31, 0xc0, 0xea, 0x1b,        // ts6  TIMESTAMP(6): millis, nanos 456000
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,  // ltz9 TIMESTAMP_LTZ(9): millis -1 (10 bytes)
    0xbf, 0x84, 0x3d,                                            //      nanos 999999 = 61*16384 + 4*128 + 63
};

TEST(CompactedRowTest, EveryTypeMatchesHandBuiltBytes) {
  ASSERT_EQ(kAllTypesBytes.size(), 107u);
  auto encoded = EncodeCompactedRow(AllTypesSchema(), AllTypesRow());
  ASSERT_OK(encoded);
  EXPECT_EQ(Bytes(*encoded), Bytes(kAllTypesBytes));
}

TEST(CompactedRowTest, EveryTypeDecodesFromHandBuiltBytes) {
  auto decoded = DecodeCompactedRow(AllTypesSchema(), kAllTypesBytes);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, AllTypesRow());
}

TEST(CompactedRowTest, NullBitsAreLeastSignificantFirstWithinEachByte) {
  // Field i null <=> bit (i % 8) of byte (i / 8): fields 0 and 3 -> byte 0 = 0b00001001, field 9 ->
  // byte 1 = 0b00000010. Null fields have no payload.
  std::vector<DataType> types = {DataType::Int(),     DataType::String(),   DataType::BigInt(), DataType::Int(),
                                 DataType::Boolean(), DataType::TinyInt(),  DataType::SmallInt(),
                                 DataType::Double(),  DataType::Bytes(),    DataType::Int()};
  GenericRow row(std::vector<Datum>{std::monostate{}, std::string("x"), int64_t{5}, std::monostate{}, false,
                                    int8_t{7}, int16_t{-1}, 0.0, std::string("\x01"), std::monostate{}});
  const std::vector<uint8_t> expected = {
      0x09, 0x02,                                      // null bitset
      0x01, 0x78,                                      // 'x'
      0x05,                                            // BIGINT 5
      0x00,                                            // false
      0x07,                                            // TINYINT 7
      0xff, 0xff,                                      // SMALLINT -1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // DOUBLE 0.0
      0x01, 0x01,                                      // BYTES x'01'
  };
  auto encoded = EncodeCompactedRow(types, row);
  ASSERT_OK(encoded);
  EXPECT_EQ(Bytes(*encoded), Bytes(expected));
  auto decoded = DecodeCompactedRow(types, expected);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, row);
}

TEST(CompactedRowTest, NullBitsCrossTheByteBoundary) {
  // Nine nullable INT fields, all null: byte 0 = 0xff, byte 1 = bit 0 only (the 7 padding bits stay 0).
  std::vector<DataType> types(9, DataType::Int());
  auto encoded = EncodeCompactedRow(types, GenericRow(9));
  ASSERT_OK(encoded);
  EXPECT_EQ(Bytes(*encoded), Bytes({0xff, 0x01}));
  // Only field 7 and field 8 null: bit 7 of byte 0, bit 0 of byte 1.
  GenericRow row(std::vector<Datum>(9, Datum(int32_t{0})));
  row.SetNull(7);
  row.SetNull(8);
  encoded = EncodeCompactedRow(types, row);
  ASSERT_OK(encoded);
  EXPECT_EQ(Bytes(*encoded), Bytes({0x80, 0x01, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(CompactedRowTest, NegativeIntegersTakeFiveAndTenBytes) {
  std::vector<DataType> types = {DataType::Int(), DataType::BigInt()};
  auto enc = [&](int32_t i, int64_t l) { return EncodeCompactedRow(types, GenericRow(std::vector<Datum>{i, l})); };
  // INT_MIN = 0x80000000: groups 0,0,0,0 then 0x08; INT64_MIN: nine 0 groups then 0x01.
  auto min = enc(INT32_MIN, INT64_MIN);
  ASSERT_OK(min);
  EXPECT_EQ(Bytes(*min), Bytes({0x00, 0x80, 0x80, 0x80, 0x80, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                0x01}));
  // 127 is one byte, 128 two; INT_MAX 0x7fffffff is 5 bytes ending 0x07.
  auto small = enc(127, 128);
  ASSERT_OK(small);
  EXPECT_EQ(Bytes(*small), Bytes({0x00, 0x7f, 0x80, 0x01}));
  auto max = enc(INT32_MAX, INT64_MAX);
  ASSERT_OK(max);
  EXPECT_EQ(Bytes(*max), Bytes({0x00, 0xff, 0xff, 0xff, 0xff, 0x07, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}));
}

TEST(CompactedRowTest, WideDecimalsAreMinimalBigEndianTwosComplement) {
  // As Java's BigInteger.toByteArray: the fewest bytes that still carry the sign bit.
  struct Case {
    int precision;
    __int128 unscaled;
    std::vector<uint8_t> bytes;  // after the null bitset: varint length + big-endian bytes
  };
  // 10^38 - 1 = 0x4b3b4ca85a86c47a098a223fffffffff
  const __int128 max38 = (static_cast<__int128>(0x4b3b4ca85a86c47aLL) << 64) | static_cast<__int128>(0x098a223fffffffffULL);
  const std::vector<Case> cases = {
      {20, 0, {0x01, 0x00}},
      {20, 127, {0x01, 0x7f}},
      {20, 128, {0x02, 0x00, 0x80}},  // 0x80 alone would read as -128
      {20, -128, {0x01, 0x80}},
      {20, -129, {0x02, 0xff, 0x7f}},
      {20, -1234567890123456789, {0x08, 0xee, 0xdd, 0xef, 0x0b, 0x82, 0x16, 0x7e, 0xeb}},
      // 10^19 = 0x8ac7230489e80000: top bit set, so a leading 0x00 -> 9 bytes.
      {20, static_cast<__int128>(10000000000000000000ULL), {0x09, 0x00, 0x8a, 0xc7, 0x23, 0x04, 0x89, 0xe8, 0x00, 0x00}},
      {38, max38, {0x10, 0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a, 0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff}},
      {38, -max38, {0x10, 0xb4, 0xc4, 0xb3, 0x57, 0xa5, 0x79, 0x3b, 0x85, 0xf6, 0x75, 0xdd, 0xc0, 0x00, 0x00, 0x00, 0x01}},
      // Precision 18 is still compact: a varint-long (10^18 - 1 = 0x0de0b6b3a763ffff, 9 groups).
      {18, 999999999999999999, {0xff, 0xff, 0x8f, 0xbb, 0xba, 0xd6, 0xad, 0xf0, 0x0d}},
  };
  for (const Case& c : cases) {
    std::vector<DataType> types = {DataType::Decimal(c.precision, 0).NotNull()};
    GenericRow row(std::vector<Datum>{DecimalValue{c.unscaled}});
    std::vector<uint8_t> expected = {0x00};
    expected.insert(expected.end(), c.bytes.begin(), c.bytes.end());
    auto encoded = EncodeCompactedRow(types, row);
    ASSERT_OK(encoded);
    EXPECT_EQ(Bytes(*encoded), Bytes(expected)) << DecimalValue{c.unscaled}.ToString(0);
    auto decoded = DecodeCompactedRow(types, expected);
    ASSERT_OK(decoded);
    EXPECT_EQ(*decoded, row) << DecimalValue{c.unscaled}.ToString(0);
  }
}

TEST(CompactedRowTest, TimestampsUpToMillisecondPrecisionDropNanos) {
  // TIMESTAMP(3) is compact: the nanos of a value are not written (as Fluss's writer), so they read back 0.
  std::vector<DataType> types = {DataType::Timestamp(3), DataType::TimestampLtz(0)};
  GenericRow row(std::vector<Datum>{TimestampValue{1, 5}, TimestampValue{128, 999}});
  auto encoded = EncodeCompactedRow(types, row);
  ASSERT_OK(encoded);
  EXPECT_EQ(Bytes(*encoded), Bytes({0x00, 0x01, 0x80, 0x01}));
  auto decoded = DecodeCompactedRow(types, *encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, GenericRow(std::vector<Datum>{TimestampValue{1, 0}, TimestampValue{128, 0}}));
}

TEST(CompactedRowTest, FloatsKeepTheirExactBits) {
  std::vector<DataType> types = {DataType::Float(), DataType::Double()};
  GenericRow row(std::vector<Datum>{std::numeric_limits<float>::quiet_NaN(), -0.0});
  auto encoded = EncodeCompactedRow(types, row);
  ASSERT_OK(encoded);
  EXPECT_EQ(Bytes(*encoded), Bytes({0x00, 0x00, 0x00, 0xc0, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x80}));
  auto decoded = DecodeCompactedRow(types, *encoded);
  ASSERT_OK(decoded);
  EXPECT_TRUE(std::isnan(decoded->GetFloat(0)));
  EXPECT_TRUE(std::signbit(decoded->GetDouble(1)));
}

TEST(CompactedRowTest, EncodeValidatesTheRowFirst) {
  Schema schema = MakeSchema({{"id", DataType::Int().NotNull()}, {"price", DataType::Decimal(5, 2)}});
  auto wrong_arity = EncodeCompactedRow(schema, GenericRow(1));
  EXPECT_FALSE(wrong_arity.ok());
  auto null_id = EncodeCompactedRow(schema, GenericRow(2));
  ASSERT_FALSE(null_id.ok());
  EXPECT_NE(null_id.status().message().find("'id'"), std::string::npos) << null_id.status().message();
  auto wrong_type = EncodeCompactedRow(schema, GenericRow(std::vector<Datum>{int64_t{1}, std::monostate{}}));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("'id'"), std::string::npos);
  auto too_wide = EncodeCompactedRow(schema, GenericRow(std::vector<Datum>{int32_t{1}, DecimalValue{100000}}));
  ASSERT_FALSE(too_wide.ok());
  EXPECT_NE(too_wide.status().message().find("'price'"), std::string::npos);
  // By type list, fields are named by position.
  std::vector<DataType> types = {DataType::Int().NotNull()};
  auto by_position = EncodeCompactedRow(types, GenericRow(1));
  ASSERT_FALSE(by_position.ok());
  EXPECT_NE(by_position.status().message().find("'#0'"), std::string::npos) << by_position.status().message();
  // Nothing is appended on error.
  std::vector<uint8_t> out = {0xaa};
  EXPECT_FALSE(AppendCompactedRow(schema, GenericRow(2), &out).ok());
  EXPECT_EQ(out, std::vector<uint8_t>{0xaa});
}

TEST(CompactedRowTest, DecodeRejectsTrailingBytes) {
  std::vector<uint8_t> bytes = kAllTypesBytes;
  bytes.push_back(0x00);
  auto r = DecodeCompactedRow(AllTypesSchema(), bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos) << r.status().message();
}

TEST(CompactedRowTest, DecodeRejectsEveryTruncation) {
  for (size_t n = 0; n < kAllTypesBytes.size(); ++n) {
    auto r = DecodeCompactedRow(AllTypesSchema(), std::span<const uint8_t>(kAllTypesBytes.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  }
}

TEST(CompactedRowTest, DecodeRejectsMalformedFields) {
  struct Case {
    const char* what;
    std::vector<DataType> types;
    std::vector<uint8_t> bytes;
  };
  const std::vector<Case> cases = {
      {"null bit on a NOT NULL column", {DataType::Int().NotNull()}, {0x01}},
      {"padding bit set", {DataType::Int()}, {0x02, 0x00}},
      {"BOOLEAN byte 2", {DataType::Boolean()}, {0x00, 0x02}},
      {"INT varint with a 6th byte", {DataType::Int()}, {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
      {"INT varint carrying bits past 32", {DataType::Int()}, {0x00, 0xff, 0xff, 0xff, 0xff, 0x1f}},
      {"BIGINT varint of 11 bytes",
       {DataType::BigInt()},
       {0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
      {"string longer than the row", {DataType::String()}, {0x00, 0x05, 0x61}},
      {"negative string length", {DataType::String()}, {0x00, 0xff, 0xff, 0xff, 0xff, 0x0f}},
      {"BINARY(2) of 1 byte", {DataType::Binary(2)}, {0x00, 0x01, 0x61}},
      {"compact DECIMAL beyond its precision", {DataType::Decimal(2, 0)}, {0x00, 0x64}},  // 100
      {"wide DECIMAL of 0 bytes", {DataType::Decimal(20, 0)}, {0x00, 0x00}},
      {"wide DECIMAL of 17 bytes", {DataType::Decimal(38, 0)},
       {0x00, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"wide DECIMAL beyond its precision", {DataType::Decimal(20, 0)},  // 10^20 = 0x056bc75e2d63100000
       {0x00, 0x09, 0x05, 0x6b, 0xc7, 0x5e, 0x2d, 0x63, 0x10, 0x00, 0x00}},
      {"TIME past the day", {DataType::Time()}, {0x00, 0x80, 0xb8, 0x99, 0x29}},  // 86400000
      {"nanos of a millisecond >= 10^6", {DataType::Timestamp(6)}, {0x00, 0x00, 0xc0, 0x84, 0x3d}},  // 1000000
      {"nanos missing", {DataType::TimestampLtz(9)}, {0x00, 0x00}},
  };
  for (const Case& c : cases) {
    auto r = DecodeCompactedRow(c.types, c.bytes);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord) << c.what;
  }
}

TEST(CompactedRowTest, DecodeErrorsNameTheColumn) {
  Schema schema = MakeSchema({{"id", DataType::Int().NotNull()}, {"name", DataType::String()}});
  auto r = DecodeCompactedRow(schema, std::vector<uint8_t>{0x00, 0x01, 0x09, 0x61});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'name'"), std::string::npos) << r.status().message();
  r = DecodeCompactedRow(schema, std::vector<uint8_t>{0x01, 0x01});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'id'"), std::string::npos) << r.status().message();
}

TEST(CompactedRowTest, RandomRowsOfEveryTypeRoundTrip) {
  std::mt19937_64 rng(20240611);
  std::vector<DataType> types = kv_test::EveryType();
  for (int iter = 0; iter < 2000; ++iter) {
    GenericRow row(types.size());
    for (size_t i = 0; i < types.size(); ++i) {
      if (rng() % 5 != 0) row.SetField(i, RandomDatum(types[i], rng));
    }
    auto encoded = EncodeCompactedRow(types, row);
    ASSERT_OK(encoded);
    auto decoded = DecodeCompactedRow(types, *encoded);
    ASSERT_OK(decoded);
    ASSERT_EQ(*decoded, row) << "iteration " << iter;
  }
}

// Fuzz-style: flipped, overwritten, truncated and extended encodings give a row or an error, never a
// crash or an out-of-bounds read (the sanitizer build checks).
TEST(CompactedRowTest, MutatedRowsNeverCrashTheDecoder) {
  std::mt19937_64 rng(7);
  std::vector<DataType> types = kv_test::EveryType();
  for (int iter = 0; iter < 5000; ++iter) {
    GenericRow row(types.size());
    for (size_t i = 0; i < types.size(); ++i) {
      if (rng() % 4 != 0) row.SetField(i, RandomDatum(types[i], rng));
    }
    auto encoded = EncodeCompactedRow(types, row);
    ASSERT_OK(encoded);
    std::vector<uint8_t> bytes = kv_test::Mutate(*encoded, rng);
    auto decoded = DecodeCompactedRow(types, bytes);
    if (decoded.ok()) {
      EXPECT_EQ(decoded->arity(), types.size());
    } else {
      EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruptRecord);
    }
  }
  // Every single-byte change of the hand-built row.
  for (size_t i = 0; i < kAllTypesBytes.size(); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::vector<uint8_t> bytes = kAllTypesBytes;
      bytes[i] = static_cast<uint8_t>(v);
      auto decoded = DecodeCompactedRow(AllTypesSchema(), bytes);
      if (!decoded.ok()) {
        EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruptRecord);
      }
    }
  }
}

}  // namespace
}  // namespace fluss
