// Schema messages and whole Arrow IPC streams (the interop path: files other Arrow readers open, and
// streams other Arrow writers produce).
#include <gtest/gtest.h>

#include "arrow_test_support.h"
#include "common/byte_io.h"
#include "support/status_macros.h"

namespace fluss::arrow {
namespace {

using testing::AllTypesSchema;
using testing::MustParse;
using testing::SampleRows;

using testing::Row;

const fb::Schema* SchemaOf(const ParsedMessage& parsed) { return parsed.message->header_as_Schema(); }

// A Schema message built field by field, as a foreign writer without fluss.* metadata would.
class ForeignSchema {
 public:
  template <typename MakeType>
  void Add(const char* name, bool nullable, fb::Type type, MakeType make_type) {
    auto n = fbb_.CreateString(name);
    auto t = make_type(fbb_);
    fields_.push_back(fb::CreateField(fbb_, n, nullable, type, t));
  }
  void AddDictionaryEncoded(const char* name) {
    auto n = fbb_.CreateString(name);
    auto t = fb::CreateUtf8(fbb_).Union();
    auto dict = fb::CreateDictionaryEncoding(fbb_, 0, fb::CreateInt(fbb_, 32, true));
    fields_.push_back(fb::CreateField(fbb_, n, true, fb::Type::Utf8, t, dict));
  }
  std::vector<uint8_t> Finish() {
    auto fields = fbb_.CreateVector(fields_);
    auto schema = fb::CreateSchema(fbb_, fb::Endianness::Little, fields);
    fbb_.Finish(fb::CreateMessage(fbb_, fb::MetadataVersion::V5, fb::MessageHeader::Schema, schema.Union(), 0));
    std::vector<uint8_t> out;
    WriteMessagePrefix(fbb_, 0, &out);
    return out;
  }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<flatbuffers::Offset<fb::Field>> fields_;
};

TEST(ArrowSchemaMessageTest, RoundTripsEveryTypeWithColumnIds) {
  Result<Schema> schema = AllTypesSchema().AddColumn("late", DataType::Char(7));
  ASSERT_OK(schema);
  std::vector<uint8_t> m = EncodeSchemaMessage(*schema);
  size_t consumed = 0;
  Result<Schema> back = DecodeSchemaMessage(m, &consumed);
  ASSERT_OK(back);
  EXPECT_EQ(*back, *schema);
  EXPECT_EQ(consumed, m.size());
  EXPECT_EQ(m.size() % 8, 0u);
}

TEST(ArrowSchemaMessageTest, FieldsCarryFlussArrowTypes) {
  Schema schema = MustParse(
      "i8 TINYINT NOT NULL, i64 BIGINT, f FLOAT, c CHAR(3), bin BINARY(5), by BYTES, dec DECIMAL(12, 3), d DATE, "
      "t0 TIME(0), t2 TIME(2), t5 TIME(5), t8 TIME(8), ts4 TIMESTAMP(4), ltz9 TIMESTAMP_LTZ(9)");
  Result<ParsedMessage> parsed = ParseMessage(EncodeSchemaMessage(schema));
  ASSERT_OK(parsed);
  const fb::Schema* s = SchemaOf(*parsed);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->endianness(), fb::Endianness::Little);
  const auto& f = *s->fields();
  ASSERT_EQ(f.size(), schema.num_columns());
  EXPECT_EQ(f.Get(0)->name()->str(), "i8");
  EXPECT_FALSE(f.Get(0)->nullable());
  EXPECT_EQ(f.Get(0)->type_as_Int()->bitWidth(), 8);
  EXPECT_TRUE(f.Get(0)->type_as_Int()->is_signed());
  EXPECT_TRUE(f.Get(1)->nullable());
  EXPECT_EQ(f.Get(1)->type_as_Int()->bitWidth(), 64);
  EXPECT_EQ(f.Get(2)->type_as_FloatingPoint()->precision(), fb::Precision::SINGLE);
  EXPECT_EQ(f.Get(3)->type_type(), fb::Type::Utf8);
  EXPECT_EQ(f.Get(4)->type_as_FixedSizeBinary()->byteWidth(), 5);
  EXPECT_EQ(f.Get(5)->type_type(), fb::Type::Binary);
  EXPECT_EQ(f.Get(6)->type_as_Decimal()->precision(), 12);
  EXPECT_EQ(f.Get(6)->type_as_Decimal()->scale(), 3);
  EXPECT_EQ(f.Get(6)->type_as_Decimal()->bitWidth(), 128);
  EXPECT_EQ(f.Get(7)->type_as_Date()->unit(), fb::DateUnit::DAY);
  const std::pair<fb::TimeUnit, int> times[] = {{fb::TimeUnit::SECOND, 32},
                                                 {fb::TimeUnit::MILLISECOND, 32},
                                                 {fb::TimeUnit::MICROSECOND, 64},
                                                 {fb::TimeUnit::NANOSECOND, 64}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(f.Get(8 + i)->type_as_Time()->unit(), times[i].first) << i;
    EXPECT_EQ(f.Get(8 + i)->type_as_Time()->bitWidth(), times[i].second) << i;
  }
  EXPECT_EQ(f.Get(12)->type_as_Timestamp()->unit(), fb::TimeUnit::MICROSECOND);
  EXPECT_EQ(f.Get(12)->type_as_Timestamp()->timezone(), nullptr);
  EXPECT_EQ(f.Get(13)->type_as_Timestamp()->unit(), fb::TimeUnit::NANOSECOND);
  EXPECT_EQ(f.Get(13)->type_as_Timestamp()->timezone(), nullptr);  // Fluss writes LTZ without a zone too
}

TEST(ArrowSchemaMessageTest, DerivesTypesFromAForeignSchema) {
  ForeignSchema foreign;
  foreign.Add("id", false, fb::Type::Int, [](auto& b) { return fb::CreateInt(b, 32, true).Union(); });
  foreign.Add("name", true, fb::Type::Utf8, [](auto& b) { return fb::CreateUtf8(b).Union(); });
  foreign.Add("at", true, fb::Type::Timestamp,
              [](auto& b) { return fb::CreateTimestamp(b, fb::TimeUnit::MICROSECOND, b.CreateString("UTC")).Union(); });
  foreign.Add("local", true, fb::Type::Timestamp,
              [](auto& b) { return fb::CreateTimestamp(b, fb::TimeUnit::MILLISECOND).Union(); });
  foreign.Add("t", true, fb::Type::Time,
              [](auto& b) { return fb::CreateTime(b, fb::TimeUnit::NANOSECOND, 64).Union(); });
  foreign.Add("x", true, fb::Type::FloatingPoint,
              [](auto& b) { return fb::CreateFloatingPoint(b, fb::Precision::DOUBLE).Union(); });
  foreign.Add("flag", true, fb::Type::Bool, [](auto& b) { return fb::CreateBool(b).Union(); });
  Result<Schema> schema = DecodeSchemaMessage(foreign.Finish(), nullptr);
  ASSERT_OK(schema);
  EXPECT_EQ(*schema, MustParse("id INT NOT NULL, name STRING, at TIMESTAMP_LTZ(6), local TIMESTAMP(3), t TIME(9), "
                               "x DOUBLE, flag BOOLEAN"));
}

TEST(ArrowSchemaMessageTest, ArrowTypesWithoutAFlussTypeAreNotSupported) {
  auto decode_one = [](auto add) {
    ForeignSchema foreign;
    add(foreign);
    return DecodeSchemaMessage(foreign.Finish(), nullptr).status().code();
  };
  EXPECT_EQ(decode_one([](ForeignSchema& s) {
              s.Add("u", true, fb::Type::Int, [](auto& b) { return fb::CreateInt(b, 32, false).Union(); });
            }),
            ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(decode_one([](ForeignSchema& s) {
              s.Add("d", true, fb::Type::Date, [](auto& b) { return fb::CreateDate(b, fb::DateUnit::MILLISECOND).Union(); });
            }),
            ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(decode_one([](ForeignSchema& s) {
              s.Add("l", true, fb::Type::List, [](auto& b) { return fb::CreateList(b).Union(); });
            }),
            ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(decode_one([](ForeignSchema& s) {
              s.Add("h", true, fb::Type::FloatingPoint,
                    [](auto& b) { return fb::CreateFloatingPoint(b, fb::Precision::HALF).Union(); });
            }),
            ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(decode_one([](ForeignSchema& s) { s.AddDictionaryEncoded("dict"); }), ErrorCode::kUnsupportedVersion);
}

TEST(ArrowSchemaMessageTest, IgnoresFlussMetadataThatContradictsTheArrowType) {
  // A field whose fluss.data_type says BIGINT while Arrow says Int(32): the Arrow type wins.
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::KeyValue>> kv = {
      fb::CreateKeyValue(fbb, fbb.CreateString("fluss.data_type"), fbb.CreateString(R"({"type":"BIGINT"})")),
      fb::CreateKeyValue(fbb, fbb.CreateString("fluss.column_id"), fbb.CreateString("not a number"))};
  auto field = fb::CreateField(fbb, fbb.CreateString("a"), true, fb::Type::Int, fb::CreateInt(fbb, 32, true).Union(), 0,
                               0, fbb.CreateVector(kv));
  std::vector<flatbuffers::Offset<fb::Field>> fields = {field};
  auto schema = fb::CreateSchema(fbb, fb::Endianness::Little, fbb.CreateVector(fields));
  fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::Schema, schema.Union(), 0));
  std::vector<uint8_t> m;
  WriteMessagePrefix(fbb, 0, &m);
  Result<Schema> decoded = DecodeSchemaMessage(m, nullptr);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->column(0).type, DataType::Int());
}

TEST(ArrowSchemaMessageTest, RecordBatchMessageIsNotASchema) {
  Schema schema = MustParse("a INT");
  Result<std::vector<uint8_t>> batch = EncodeRecordBatch(schema, {});
  ASSERT_OK(batch);
  EXPECT_EQ(DecodeSchemaMessage(*batch, nullptr).status().code(), ErrorCode::kCorruptRecord);
}

TEST(ArrowStreamTest, WriteStreamReadsBack) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 77);
  for (CompressionCodec codec : {CompressionCodec::kNone, CompressionCodec::kLz4Frame, CompressionCodec::kZstd}) {
    Result<std::vector<uint8_t>> stream = WriteStream(schema, rows, {.codec = codec});
    ASSERT_OK(stream);
    Result<DecodedStream> decoded = ReadStream(*stream);
    ASSERT_OK(decoded);
    EXPECT_EQ(decoded->schema, schema);
    EXPECT_EQ(decoded->rows, rows);
  }
}

TEST(ArrowStreamTest, EndsWithTheEndOfStreamMarker) {
  Schema schema = MustParse("a INT");
  Result<std::vector<uint8_t>> stream = WriteStream(schema, std::vector<GenericRow>{Row({int32_t{1}})});
  ASSERT_OK(stream);
  ASSERT_GE(stream->size(), 8u);
  EXPECT_TRUE(std::equal(stream->end() - 8, stream->end(), std::begin(kEndOfStream)));
}

TEST(ArrowStreamTest, ReadsSeveralBatchesWithoutAnEndMarker) {
  Schema schema = MustParse("a INT, s STRING");
  std::vector<uint8_t> stream = EncodeSchemaMessage(schema);
  std::vector<GenericRow> all;
  for (int b = 0; b < 3; ++b) {
    std::vector<GenericRow> rows = SampleRows(schema, 5 + b);
    Result<std::vector<uint8_t>> batch = EncodeRecordBatch(schema, rows);
    ASSERT_OK(batch);
    stream.insert(stream.end(), batch->begin(), batch->end());
    all.insert(all.end(), rows.begin(), rows.end());
  }
  Result<DecodedStream> decoded = ReadStream(stream);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->rows, all);
}

TEST(ArrowStreamTest, AcceptsTheLegacyFourZeroByteEndMarker) {
  Schema schema = MustParse("a INT");
  std::vector<uint8_t> stream = EncodeSchemaMessage(schema);
  Result<std::vector<uint8_t>> batch = EncodeRecordBatch(schema, std::vector<GenericRow>{Row({int32_t{5}})});
  ASSERT_OK(batch);
  stream.insert(stream.end(), batch->begin(), batch->end());
  stream.insert(stream.end(), {0, 0, 0, 0});
  Result<DecodedStream> decoded = ReadStream(stream);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->rows.size(), 1u);
}

TEST(ArrowStreamTest, RejectsAStreamThatStartsWithARecordBatch) {
  Schema schema = MustParse("a INT");
  Result<std::vector<uint8_t>> batch = EncodeRecordBatch(schema, std::vector<GenericRow>{Row({int32_t{5}})});
  ASSERT_OK(batch);
  EXPECT_FALSE(ReadStream(*batch).ok());
}

TEST(ArrowStreamTest, RejectsASecondSchemaMessage) {
  Schema schema = MustParse("a INT");
  std::vector<uint8_t> stream = EncodeSchemaMessage(schema);
  std::vector<uint8_t> again = EncodeSchemaMessage(schema);
  stream.insert(stream.end(), again.begin(), again.end());
  EXPECT_EQ(ReadStream(stream).status().code(), ErrorCode::kCorruptRecord);
}

TEST(ArrowStreamTest, RejectsATruncatedStream) {
  Schema schema = MustParse("a INT, s STRING");
  Result<std::vector<uint8_t>> stream = WriteStream(schema, SampleRows(schema, 4));
  ASSERT_OK(stream);
  // Cutting inside the schema or the batch is an error. (Cutting right after the schema message, or
  // just the end marker, leaves a complete stream.)
  const size_t schema_size = EncodeSchemaMessage(schema).size();
  for (size_t n = 0; n + 8 < stream->size(); ++n) {
    if (n == schema_size) continue;
    EXPECT_FALSE(ReadStream(std::span<const uint8_t>(*stream).first(n)).ok()) << n;
  }
}

TEST(ArrowMessageSizeTest, MeasuresSchemaAndBatchMessagesInAStream) {
  Schema schema = MustParse("a INT");
  Result<std::vector<uint8_t>> stream = WriteStream(schema, std::vector<GenericRow>{Row({int32_t{1}})});
  ASSERT_OK(stream);
  Result<size_t> first = MessageSize(*stream);
  ASSERT_OK(first);
  EXPECT_EQ(*first, EncodeSchemaMessage(schema).size());
  Result<size_t> second = MessageSize(std::span<const uint8_t>(*stream).subspan(*first));
  ASSERT_OK(second);
  EXPECT_EQ(*first + *second + 8, stream->size());
}

}  // namespace
}  // namespace fluss::arrow
