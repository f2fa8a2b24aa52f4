// RecordBatch messages: round trips of every type, nulls, NOT NULL, empty batches, big values, the
// TIME/TIMESTAMP precision bands, every codec, the builder's contract and the byte layout.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "arrow_test_support.h"
#include "common/byte_io.h"
#include "support/status_macros.h"

namespace fluss::arrow {
namespace {

using testing::AllTypesSchema;
using testing::CodecName;
using testing::EditableBatch;
using testing::MustParse;
using testing::RoundTrip;
using testing::SampleRows;

__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

using testing::Row;

// ---- Every codec ----------------------------------------------------------------------------------

class ArrowCodecTest : public ::testing::TestWithParam<CompressionCodec> {
 protected:
  CompressionOptions options() const { return {.codec = GetParam()}; }
};

INSTANTIATE_TEST_SUITE_P(Arrow, ArrowCodecTest,
                         ::testing::Values(CompressionCodec::kNone, CompressionCodec::kLz4Frame, CompressionCodec::kZstd),
                         [](const auto& info) { return CodecName(info.param); });

TEST_P(ArrowCodecTest, RoundTripsEveryTypeWithNulls) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 300, /*null_every=*/4);
  EXPECT_EQ(RoundTrip(schema, rows, options()), rows);
}

TEST_P(ArrowCodecTest, RoundTripsEveryTypeWithoutNulls) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 300, /*null_every=*/0);
  EXPECT_EQ(RoundTrip(schema, rows, options()), rows);
}

TEST_P(ArrowCodecTest, RoundTripsAllNullColumns) {
  Schema schema = MustParse("a INT, b STRING, c BOOLEAN, d DECIMAL(20, 3), e TIMESTAMP(9)");
  std::vector<GenericRow> rows(17, GenericRow(5));
  EXPECT_EQ(RoundTrip(schema, rows, options()), rows);
}

TEST_P(ArrowCodecTest, RoundTripsEmptyBatch) {
  Schema schema = AllTypesSchema();
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, {}, options());
  ASSERT_OK(encoded);
  Result<std::vector<GenericRow>> decoded = DecodeRecordBatch(schema, *encoded);
  ASSERT_OK(decoded);
  EXPECT_TRUE(decoded->empty());
}

TEST_P(ArrowCodecTest, RoundTripsOneMiBString) {
  Schema schema = MustParse("k INT, s STRING, b BYTES");
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i);
  std::vector<GenericRow> rows = {Row({int32_t{1}, big, std::string("\0\1", 2)}), Row({int32_t{2}, std::string(), big}),
                                  Row({int32_t{3}, std::monostate{}, std::monostate{}})};
  EXPECT_EQ(RoundTrip(schema, rows, options()), rows);
}

TEST_P(ArrowCodecTest, WritesTheCodecInBodyCompression) {
  Schema schema = MustParse("a BIGINT");
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, SampleRows(schema, 10), options());
  ASSERT_OK(encoded);
  Result<ParsedMessage> parsed = ParseMessage(*encoded);
  ASSERT_OK(parsed);
  const fb::BodyCompression* c = parsed->message->header_as_RecordBatch()->compression();
  switch (GetParam()) {
    case CompressionCodec::kNone: EXPECT_EQ(c, nullptr); break;
    case CompressionCodec::kLz4Frame:
      ASSERT_NE(c, nullptr);
      EXPECT_EQ(c->codec(), fb::CompressionType::LZ4_FRAME);
      break;
    case CompressionCodec::kZstd:
      ASSERT_NE(c, nullptr);
      EXPECT_EQ(c->codec(), fb::CompressionType::ZSTD);
      break;
  }
}

TEST_P(ArrowCodecTest, MessageIsFramedAndEveryBufferEightByteAligned) {
  Schema schema = AllTypesSchema();
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, SampleRows(schema, 37), options());
  ASSERT_OK(encoded);
  const std::vector<uint8_t>& m = *encoded;
  ASSERT_GE(m.size(), 8u);
  EXPECT_EQ(LoadLE<uint32_t>(m.data()), 0xFFFFFFFFu);
  const int32_t metadata_length = LoadLE<int32_t>(m.data() + 4);
  EXPECT_EQ((8 + metadata_length) % 8, 0);
  EXPECT_EQ(m.size() % 8, 0u);
  Result<ParsedMessage> parsed = ParseMessage(m);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->message->version(), fb::MetadataVersion::V5);
  EXPECT_EQ(parsed->message->header_type(), fb::MessageHeader::RecordBatch);
  EXPECT_EQ(static_cast<size_t>(parsed->message->bodyLength()), m.size() - 8 - static_cast<size_t>(metadata_length));
  const fb::RecordBatch* rb = parsed->message->header_as_RecordBatch();
  EXPECT_EQ(rb->length(), 37);
  EXPECT_EQ(rb->nodes()->size(), schema.num_columns());
  for (const fb::Buffer* b : *rb->buffers()) EXPECT_EQ(b->offset() % 8, 0);
  Result<size_t> size = MessageSize(m);
  ASSERT_OK(size);
  EXPECT_EQ(*size, m.size());
}

TEST_P(ArrowCodecTest, EncodeColumnsGivesTheSameBytesAsRows) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 50);
  std::vector<ColumnVector> columns;
  for (const auto& c : schema.columns()) columns.emplace_back(c.type);
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) ASSERT_OK(columns[i].Append(row.field(i)));
  }
  Result<std::vector<uint8_t>> from_columns = EncodeColumns(schema, columns, options());
  Result<std::vector<uint8_t>> from_rows = EncodeRecordBatch(schema, rows, options());
  ASSERT_OK(from_columns);
  ASSERT_OK(from_rows);
  EXPECT_EQ(*from_columns, *from_rows);
}

TEST_P(ArrowCodecTest, DecodeColumnsReturnsValidatedColumnsOfTheRows) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 40);
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows, options());
  ASSERT_OK(encoded);
  Result<std::vector<ColumnVector>> columns = DecodeColumns(schema, *encoded);
  ASSERT_OK(columns);
  ASSERT_EQ(columns->size(), schema.num_columns());
  for (const auto& c : *columns) EXPECT_OK(c.Validate());
  Result<std::vector<GenericRow>> back = ColumnsToRows(*columns);
  ASSERT_OK(back);
  EXPECT_EQ(*back, rows);
}

// ---- Values and layout ----------------------------------------------------------------------------

TEST(ArrowRecordBatchTest, NotNullColumnsRoundTrip) {
  Schema schema = MustParse("a INT NOT NULL, b STRING NOT NULL, c BOOLEAN NOT NULL, d BINARY(2) NOT NULL");
  std::vector<GenericRow> rows = SampleRows(schema, 64);
  EXPECT_EQ(RoundTrip(schema, rows), rows);
}

TEST(ArrowRecordBatchTest, SmallBatchMatchesGoldenBytes) {
  // docs/formats/arrow.md section 8: framing, flatbuffer metadata and the 40-byte body.
  Schema schema = MustParse("id INT NOT NULL, name STRING");
  Result<std::vector<uint8_t>> encoded =
      EncodeRecordBatch(schema, std::vector<GenericRow>{Row({int32_t{1}, std::string("a")}), Row({int32_t{2}, std::monostate{}})});
  ASSERT_OK(encoded);
  const std::vector<uint8_t> expected = {
      0xff, 0xff, 0xff, 0xff, 0xc8, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x0c, 0x00, 0x16, 0x00, 0x06, 0x00, 0x05, 0x00, 0x08, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x00, 0x00,
      0x00, 0x03, 0x04, 0x00, 0x18, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x0a, 0x00, 0x18, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x08, 0x00, 0x0a, 0x00, 0x00, 0x00,
      0x6c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(*encoded, expected);
}

TEST(ArrowRecordBatchTest, OmitsTheValidityBufferOfColumnsWithoutNulls) {
  Schema schema = MustParse("a INT, b INT NOT NULL");
  std::vector<GenericRow> rows = {Row({int32_t{1}, int32_t{2}}), Row({int32_t{3}, int32_t{4}})};
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows);
  ASSERT_OK(encoded);
  EditableBatch e = EditableBatch::From(*encoded);
  ASSERT_EQ(e.buffers.size(), 4u);
  EXPECT_EQ(e.buffers[0].length(), 0);
  EXPECT_EQ(e.buffers[2].length(), 0);
  EXPECT_EQ(e.nodes[0].null_count(), 0);
}

TEST(ArrowRecordBatchTest, WritesValidityBitmapLsbFirst) {
  Schema schema = MustParse("a INT");
  std::vector<GenericRow> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(i % 3 == 0 ? GenericRow(1) : Row({int32_t{i}}));
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows);
  ASSERT_OK(encoded);
  EditableBatch e = EditableBatch::From(*encoded);
  EXPECT_EQ(e.nodes[0].null_count(), 4);
  ASSERT_EQ(e.buffers[0].length(), 2);
  // Rows 0, 3, 6, 9 null: bits 0b10110110 then 0b00000001 (row 8 valid, row 9 null).
  EXPECT_EQ(e.stored(0)[0], 0b10110110);
  EXPECT_EQ(e.stored(0)[1], 0b00000001);
  // Null slots hold zeros.
  EXPECT_EQ(LoadLE<int32_t>(e.stored(1).data()), 0);
  EXPECT_EQ(LoadLE<int32_t>(e.stored(1).data() + 4), 1);
}

TEST(ArrowRecordBatchTest, PacksBooleansLsbFirst) {
  Schema schema = MustParse("a BOOLEAN NOT NULL");
  std::vector<GenericRow> rows;
  for (bool v : {true, false, true, true, false, false, false, false, true}) rows.push_back(Row({v}));
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows);
  ASSERT_OK(encoded);
  EditableBatch e = EditableBatch::From(*encoded);
  ASSERT_EQ(e.buffers[1].length(), 2);
  EXPECT_EQ(e.stored(1)[0], 0b00001101);
  EXPECT_EQ(e.stored(1)[1], 0b00000001);
}

TEST(ArrowRecordBatchTest, WritesStringsAsInt32OffsetsAndData) {
  Schema schema = MustParse("s STRING");
  std::vector<GenericRow> rows = {Row({std::string("a")}), GenericRow(1), Row({std::string("xyz")})};
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows);
  ASSERT_OK(encoded);
  EditableBatch e = EditableBatch::From(*encoded);
  ASSERT_EQ(e.buffers.size(), 3u);
  ASSERT_EQ(e.buffers[1].length(), 16);
  std::vector<int32_t> offsets;
  for (int i = 0; i < 4; ++i) offsets.push_back(LoadLE<int32_t>(e.stored(1).data() + 4 * i));
  EXPECT_EQ(offsets, (std::vector<int32_t>{0, 1, 1, 4}));
  ASSERT_EQ(e.buffers[2].length(), 4);
  EXPECT_EQ(std::memcmp(e.stored(2).data(), "axyz", 4), 0);
}

TEST(ArrowRecordBatchTest, DecimalExtremesRoundTripAtEveryScale) {
  const __int128 max = Pow10(38) - 1;
  for (int scale : {0, 5, 18, 38}) {
    Schema schema = MustParse(fmt::format("d DECIMAL(38, {})", scale));
    std::vector<GenericRow> rows = {Row({DecimalValue{max}}), Row({DecimalValue{-max}}), Row({DecimalValue{0}}),
                                    Row({DecimalValue{-1}}), Row({DecimalValue{1}})};
    EXPECT_EQ(RoundTrip(schema, rows), rows) << "scale " << scale;
  }
}

TEST(ArrowRecordBatchTest, WritesDecimalsAsSixteenByteLittleEndianTwosComplement) {
  Schema schema = MustParse("d DECIMAL(38, 2) NOT NULL");
  const __int128 max = Pow10(38) - 1;
  Result<std::vector<uint8_t>> encoded =
      EncodeRecordBatch(schema, std::vector<GenericRow>{Row({DecimalValue{-1}}), Row({DecimalValue{-max}})});
  ASSERT_OK(encoded);
  EditableBatch e = EditableBatch::From(*encoded);
  ASSERT_EQ(e.buffers[1].length(), 32);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(e.stored(1)[i], 0xFF);
  // -(10^38 - 1) = 0xB4C4B357A5793B85F675DDC000000001 in two's complement, stored low byte first.
  const uint8_t expected[16] = {0x01, 0x00, 0x00, 0x00, 0xC0, 0xDD, 0x75, 0xF6,
                                0x85, 0x3B, 0x79, 0xA5, 0x57, 0xB3, 0xC4, 0xB4};
  EXPECT_EQ(std::memcmp(e.stored(1).data() + 16, expected, 16), 0);
}

TEST(ArrowRecordBatchTest, RejectsDecimalBeyondItsPrecision) {
  RecordBatchBuilder builder(MustParse("d DECIMAL(38, 0)"), {});
  EXPECT_FALSE(builder.Append(Row({DecimalValue{Pow10(38)}})).ok());
  EXPECT_EQ(builder.num_rows(), 0u);
}

TEST(ArrowRecordBatchTest, TimeEveryPrecisionRoundTrips) {
  for (int p = 0; p <= 9; ++p) {
    Schema schema = MustParse(fmt::format("t TIME({})", p));
    std::vector<GenericRow> rows = {Row({int32_t{0}}), Row({int32_t{86399000}}), GenericRow(1),
                                    Row({int32_t{p == 0 ? 3723000 : 3723456}})};
    EXPECT_EQ(RoundTrip(schema, rows), rows) << "TIME(" << p << ")";
  }
}

TEST(ArrowRecordBatchTest, TimeUsesTheArrowUnitOfItsPrecisionBand) {
  // 01:02:03.456 as ms of day.
  const int32_t ms = 3723456;
  struct Band {
    int precision;
    size_t width;
    int64_t value;
  };
  for (Band band : {Band{0, 4, 3723}, Band{1, 4, ms}, Band{3, 4, ms}, Band{4, 8, int64_t{ms} * 1000},
                    Band{6, 8, int64_t{ms} * 1000}, Band{7, 8, int64_t{ms} * 1000000}, Band{9, 8, int64_t{ms} * 1000000}}) {
    Schema schema = MustParse(fmt::format("t TIME({}) NOT NULL", band.precision));
    Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, std::vector<GenericRow>{Row({ms})});
    ASSERT_OK(encoded);
    EditableBatch e = EditableBatch::From(*encoded);
    ASSERT_EQ(static_cast<size_t>(e.buffers[1].length()), band.width) << "TIME(" << band.precision << ")";
    const int64_t stored = band.width == 4 ? LoadLE<int32_t>(e.stored(1).data()) : LoadLE<int64_t>(e.stored(1).data());
    EXPECT_EQ(stored, band.value) << "TIME(" << band.precision << ")";
  }
}

TEST(ArrowRecordBatchTest, TimestampEveryPrecisionRoundTripsIncludingBeforeEpoch) {
  for (const char* kind : {"TIMESTAMP", "TIMESTAMP_LTZ"}) {
    for (int p = 0; p <= 9; ++p) {
      Schema schema = MustParse(fmt::format("ts {}({})", kind, p));
      const int32_t nanos = p <= 3 ? 0 : p <= 6 ? 123000 : 123456;
      const int64_t millis = p == 0 ? 1700000000000 : 1700000000123;
      std::vector<GenericRow> rows = {Row({TimestampValue{millis, nanos}}), Row({TimestampValue{-millis, nanos}}),
                                      Row({TimestampValue{p == 0 ? -1000 : -1, p <= 3 ? 0 : 999000}}),
                                      Row({TimestampValue{0, 0}}), GenericRow(1)};
      EXPECT_EQ(RoundTrip(schema, rows), rows) << kind << "(" << p << ")";
    }
  }
}

TEST(ArrowRecordBatchTest, TimestampUsesTheArrowUnitOfItsPrecisionBand) {
  const TimestampValue ts{1700000000123, 456789};
  struct Band {
    int precision;
    int64_t value;
  };
  for (Band band : {Band{0, 1700000000}, Band{2, 1700000000123}, Band{3, 1700000000123}, Band{5, 1700000000123456},
                    Band{6, 1700000000123456}, Band{8, 1700000000123456789}, Band{9, 1700000000123456789}}) {
    Schema schema = MustParse(fmt::format("ts TIMESTAMP({}) NOT NULL", band.precision));
    Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, std::vector<GenericRow>{Row({ts})});
    ASSERT_OK(encoded);
    EditableBatch e = EditableBatch::From(*encoded);
    ASSERT_EQ(e.buffers[1].length(), 8);
    EXPECT_EQ(LoadLE<int64_t>(e.stored(1).data()), band.value) << "TIMESTAMP(" << band.precision << ")";
  }
}

TEST(ArrowRecordBatchTest, TimestampDropsDigitsBeyondItsPrecision) {
  const TimestampValue ts{-1500, 456789};
  auto decode_at = [&](int p) {
    Schema schema = MustParse(fmt::format("ts TIMESTAMP({})", p));
    return RoundTrip(schema, {Row({ts})}).at(0).GetTimestamp(0);
  };
  EXPECT_EQ(decode_at(0), (TimestampValue{-1000, 0}));  // seconds truncate toward zero, as Fluss's writer does
  EXPECT_EQ(decode_at(3), (TimestampValue{-1500, 0}));
  EXPECT_EQ(decode_at(6), (TimestampValue{-1500, 456000}));
  EXPECT_EQ(decode_at(9), (TimestampValue{-1500, 456789}));
}

TEST(ArrowRecordBatchTest, RejectsTimestampOutsideInt64Nanoseconds) {
  RecordBatchBuilder builder(MustParse("ts TIMESTAMP(9), x INT"), {});
  const int64_t far = std::numeric_limits<int64_t>::max() / 1000;
  EXPECT_FALSE(builder.Append(Row({TimestampValue{far, 0}, int32_t{1}})).ok());
  EXPECT_OK(builder.Append(Row({TimestampValue{far / 1000, 0}, int32_t{1}})));
}

TEST(ArrowRecordBatchTest, FloatSpecialValuesRoundTripBitExactly) {
  Schema schema = MustParse("f FLOAT, d DOUBLE");
  std::vector<GenericRow> rows = {
      Row({std::numeric_limits<float>::infinity(), -std::numeric_limits<double>::infinity()}),
      Row({-0.0f, std::numeric_limits<double>::denorm_min()}),
      Row({std::numeric_limits<float>::max(), std::numeric_limits<double>::lowest()})};
  EXPECT_EQ(RoundTrip(schema, rows), rows);
}

// ---- Builder contract -----------------------------------------------------------------------------

TEST(ArrowRecordBatchTest, AppendRejectsNullInNotNullColumnAndAppendsNothing) {
  Schema schema = MustParse("a INT NOT NULL, b STRING");
  RecordBatchBuilder builder(schema, {});
  ASSERT_OK(builder.Append(Row({int32_t{1}, std::string("one")})));
  EXPECT_FALSE(builder.Append(Row({std::monostate{}, std::string("two")})).ok());
  EXPECT_EQ(builder.num_rows(), 1u);
  Result<std::vector<uint8_t>> encoded = builder.Finish();
  ASSERT_OK(encoded);
  Result<std::vector<GenericRow>> decoded = DecodeRecordBatch(schema, *encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, (std::vector<GenericRow>{Row({int32_t{1}, std::string("one")})}));
}

TEST(ArrowRecordBatchTest, AppendRejectsWrongArity) {
  RecordBatchBuilder builder(MustParse("a INT, b INT"), {});
  EXPECT_FALSE(builder.Append(Row({int32_t{1}})).ok());
  EXPECT_FALSE(builder.Append(Row({int32_t{1}, int32_t{2}, int32_t{3}})).ok());
  EXPECT_EQ(builder.num_rows(), 0u);
}

TEST(ArrowRecordBatchTest, AppendRejectsDatumOfAnotherType) {
  RecordBatchBuilder builder(MustParse("a INT, b STRING"), {});
  EXPECT_FALSE(builder.Append(Row({int32_t{1}, int64_t{2}})).ok());
  EXPECT_FALSE(builder.Append(Row({std::string("x"), std::string("y")})).ok());
  EXPECT_EQ(builder.num_rows(), 0u);
}

TEST(ArrowRecordBatchTest, AppendRejectsBinaryOfTheWrongLength) {
  RecordBatchBuilder builder(MustParse("b BINARY(3)"), {});
  EXPECT_FALSE(builder.Append(Row({std::string("ab")})).ok());
  EXPECT_OK(builder.Append(Row({std::string("abc")})));
}

TEST(ArrowRecordBatchTest, FinishResetsTheBuilder) {
  Schema schema = MustParse("a INT, s STRING");
  RecordBatchBuilder builder(schema, {});
  const size_t empty_estimate = builder.EstimatedSizeInBytes();
  for (const auto& row : SampleRows(schema, 10)) ASSERT_OK(builder.Append(row));
  ASSERT_OK(builder.Finish());
  EXPECT_EQ(builder.num_rows(), 0u);
  EXPECT_EQ(builder.EstimatedSizeInBytes(), empty_estimate);
  std::vector<GenericRow> second = {Row({int32_t{7}, std::string("seven")})};
  ASSERT_OK(builder.Append(second[0]));
  Result<std::vector<uint8_t>> encoded = builder.Finish();
  ASSERT_OK(encoded);
  Result<std::vector<GenericRow>> decoded = DecodeRecordBatch(schema, *encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, second);
}

TEST(ArrowRecordBatchTest, EstimatedSizeIsAnUpperBoundOfTheMessage) {
  for (CompressionCodec codec : {CompressionCodec::kNone, CompressionCodec::kLz4Frame, CompressionCodec::kZstd}) {
    Schema schema = AllTypesSchema();
    for (size_t n : {0, 1, 7, 8, 9, 100, 1000}) {
      RecordBatchBuilder builder(schema, {.codec = codec});
      for (const auto& row : SampleRows(schema, n)) ASSERT_OK(builder.Append(row));
      const size_t estimate = builder.EstimatedSizeInBytes();
      Result<std::vector<uint8_t>> encoded = builder.Finish();
      ASSERT_OK(encoded);
      EXPECT_GE(estimate, encoded->size()) << CodecName(codec) << " " << n << " rows";
      if (codec == CompressionCodec::kNone) {
        EXPECT_LE(estimate, encoded->size() + 16 * schema.num_columns() * 3) << n << " rows";
      }
    }
  }
}

TEST(ArrowRecordBatchTest, EstimatedSizeGrowsWithVariableWidthData) {
  RecordBatchBuilder builder(MustParse("s STRING"), {});
  const size_t before = builder.EstimatedSizeInBytes();
  ASSERT_OK(builder.Append(Row({std::string(1000, 'a')})));
  EXPECT_GE(builder.EstimatedSizeInBytes(), before + 1000);
}

// ---- Column vectors -------------------------------------------------------------------------------

TEST(ArrowColumnVectorTest, EncodeColumnsRejectsColumnsOfDifferentLengths) {
  Schema schema = MustParse("a INT, b INT");
  std::vector<ColumnVector> columns = {ColumnVector(DataType::Int()), ColumnVector(DataType::Int())};
  ASSERT_OK(columns[0].Append(int32_t{1}));
  EXPECT_FALSE(EncodeColumns(schema, columns).ok());
}

TEST(ArrowColumnVectorTest, EncodeColumnsRejectsAColumnOfAnotherType) {
  Schema schema = MustParse("a INT");
  std::vector<ColumnVector> columns = {ColumnVector(DataType::BigInt())};
  EXPECT_FALSE(EncodeColumns(schema, columns).ok());
}

TEST(ArrowColumnVectorTest, EncodeColumnsRejectsNullsForANotNullColumn) {
  Schema schema = MustParse("a INT NOT NULL");
  std::vector<ColumnVector> columns = {ColumnVector(DataType::Int())};
  columns[0].AppendNull();
  EXPECT_FALSE(EncodeColumns(schema, columns).ok());
}

TEST(ArrowColumnVectorTest, EncodeColumnsRejectsDecreasingOffsets) {
  Schema schema = MustParse("s STRING");
  std::vector<ColumnVector> columns = {ColumnVector(DataType::String())};
  ASSERT_OK(columns[0].Append(std::string("abc")));
  ASSERT_OK(columns[0].Append(std::string("d")));
  // Offsets 0, 3, 4 become 0, 4, 2: row 1 would end before it starts.
  StoreLE<int32_t>(columns[0].offsets.data() + 4, 4);
  StoreLE<int32_t>(columns[0].offsets.data() + 8, 2);
  EXPECT_FALSE(EncodeColumns(schema, columns).ok());
}

TEST(ArrowColumnVectorTest, ValidateRejectsANullCountThatDisagreesWithTheBitmap) {
  ColumnVector c(DataType::Int());
  ASSERT_OK(c.Append(int32_t{1}));
  c.AppendNull();
  c.null_count = 2;
  EXPECT_FALSE(c.Validate().ok());
}

TEST(ArrowColumnVectorTest, ColumnBuiltFromArrowBuffersEncodes) {
  // A caller that already holds Arrow data fills the buffers directly: TIME(6) as int64 microseconds.
  Schema schema = MustParse("t TIME(6), s STRING");
  ColumnVector t(schema.column(0).type);
  t.length = 2;
  for (int64_t us : {int64_t{1000000}, int64_t{86399999999}}) {
    t.values.resize(t.values.size() + 8);
    StoreLE<int64_t>(t.values.data() + t.values.size() - 8, us);
  }
  ColumnVector s(schema.column(1).type);
  ASSERT_OK(s.Append(std::string("x")));
  ASSERT_OK(s.Append(std::string("yz")));
  Result<std::vector<uint8_t>> encoded = EncodeColumns(schema, std::vector<ColumnVector>{t, s});
  ASSERT_OK(encoded);
  Result<std::vector<GenericRow>> rows = DecodeRecordBatch(schema, *encoded);
  ASSERT_OK(rows);
  EXPECT_EQ(*rows, (std::vector<GenericRow>{Row({int32_t{1000}, std::string("x")}),
                                            Row({int32_t{86399999}, std::string("yz")})}));
}

}  // namespace
}  // namespace fluss::arrow
