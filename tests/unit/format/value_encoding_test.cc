#include "format/value_encoding.h"

#include <gtest/gtest.h>

#include <random>

#include "common/byte_io.h"
#include "format/compacted_row.h"
#include "kv_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using kv_test::Bytes;

Schema KvUsersSchema() {
  return kv_test::MakeSchema({{"id", DataType::Int()}, {"name", DataType::String()}}, {"id"});
}

// Hand-built: schema id 5 as int16 LE, then the compacted row (1, 'a') = 00 01 01 61.
const std::vector<uint8_t> kGoldenValue = {0x05, 0x00, 0x00, 0x01, 0x01, 0x61};

// Two records: (1, 'a') of schema 5; (2, NULL) of schema 6 (null bitset 0x02: field 1 null).
const std::vector<uint8_t> kGoldenValueBatch = {
    0x17, 0x00, 0x00, 0x00,              // Length 23 = 27 - 4
    0x00,                                // Magic 0
    0x02, 0x00, 0x00, 0x00,              // RecordCount 2
    0x06, 0x00, 0x00, 0x00,              // record 0: length 6 = 2 (schema id) + 4 (row)
    0x05, 0x00,                          //   SchemaId 5
    0x00, 0x01, 0x01, 0x61,              //   row (1, 'a')
    0x04, 0x00, 0x00, 0x00,              // record 1: length 4
    0x06, 0x00,                          //   SchemaId 6
    0x02, 0x02,                          //   row (2, NULL)
};

TEST(KvValueTest, MatchesHandBuiltBytes) {
  auto value = EncodeKvValue(5, KvUsersSchema(), GenericRow(std::vector<Datum>{int32_t{1}, std::string("a")}));
  ASSERT_OK(value);
  EXPECT_EQ(Bytes(*value), Bytes(kGoldenValue));
  const std::vector<uint8_t> row = {0x00, 0x01, 0x01, 0x61};
  EXPECT_EQ(Bytes(EncodeKvValue(5, row)), Bytes(kGoldenValue));
  // A negative schema id is written as its 16-bit two's complement.
  EXPECT_EQ(Bytes(EncodeKvValue(-2, row)), Bytes({0xfe, 0xff, 0x00, 0x01, 0x01, 0x61}));
}

TEST(KvValueTest, ParsesAndDecodesHandBuiltBytes) {
  auto view = ParseKvValue(kGoldenValue);
  ASSERT_OK(view);
  EXPECT_EQ(view->schema_id, 5);
  EXPECT_EQ(Bytes(view->row), Bytes({0x00, 0x01, 0x01, 0x61}));
  auto row = DecodeKvValue(kGoldenValue, KvUsersSchema());
  ASSERT_OK(row);
  EXPECT_EQ(*row, GenericRow(std::vector<Datum>{int32_t{1}, std::string("a")}));
}

TEST(KvValueTest, RejectsValuesWithoutARow) {
  for (size_t n = 0; n <= 2; ++n) {
    auto r = ParseKvValue(std::span<const uint8_t>(kGoldenValue.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  }
  // Truncated rows fail in the row decoder, with the schema id as context.
  for (size_t n = 3; n < kGoldenValue.size(); ++n) {
    auto r = DecodeKvValue(std::span<const uint8_t>(kGoldenValue.data(), n), KvUsersSchema());
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
    EXPECT_NE(r.status().message().find("schema 5"), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(EncodeKvValue(1, KvUsersSchema(), GenericRow(2)).ok());  // id is NOT NULL
}

TEST(ValueRecordBatchTest, BuilderMatchesHandBuiltBytes) {
  ASSERT_EQ(kGoldenValueBatch.size(), 27u);
  ValueRecordBatchBuilder builder;
  const std::vector<uint8_t> row0 = {0x00, 0x01, 0x01, 0x61};
  ASSERT_OK(builder.Append(5, row0));
  // The server's path: a stored value straight from the KV store.
  const std::vector<uint8_t> value1 = {0x06, 0x00, 0x02, 0x02};
  ASSERT_OK(builder.AppendValue(value1));
  EXPECT_EQ(builder.num_records(), 2u);
  EXPECT_EQ(builder.size_in_bytes(), 27u);
  EXPECT_EQ(Bytes(builder.Build().span()), Bytes(kGoldenValueBatch));
}

TEST(ValueRecordBatchTest, EmptyBatchIsTheHeaderOnly) {
  ValueRecordBatchBuilder builder;
  Buffer built = builder.Build();
  EXPECT_EQ(Bytes(built.span()), Bytes({0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
  auto batch = ValueRecordBatch::Parse(built);
  ASSERT_OK(batch);
  EXPECT_EQ(batch->begin(), batch->end());
}

TEST(ValueRecordBatchTest, ParsesHandBuiltBytes) {
  auto batch = ValueRecordBatch::Parse(Buffer::Copy(kGoldenValueBatch));
  ASSERT_OK(batch);
  EXPECT_EQ(batch->magic(), 0);
  EXPECT_EQ(batch->record_count(), 2);
  std::vector<KvValueView> values(batch->begin(), batch->end());
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].schema_id, 5);
  EXPECT_EQ(Bytes(values[0].row), Bytes({0x00, 0x01, 0x01, 0x61}));
  EXPECT_EQ(values[1].schema_id, 6);
  auto row1 = DecodeCompactedRow(KvUsersSchema(), values[1].row);
  ASSERT_OK(row1);
  EXPECT_EQ(*row1, GenericRow(std::vector<Datum>{int32_t{2}, std::monostate{}}));
}

TEST(ValueRecordBatchTest, ParseRejectsEveryTruncation) {
  for (size_t n = 0; n < kGoldenValueBatch.size(); ++n) {
    auto r = ValueRecordBatch::Parse(Buffer::Copy(std::span<const uint8_t>(kGoldenValueBatch.data(), n)));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  }
}

TEST(ValueRecordBatchTest, ParseRejectsHeadersAndRecordsThatDoNotAddUp) {
  auto with = [](size_t offset, auto value) {
    std::vector<uint8_t> b = kGoldenValueBatch;
    StoreLE(b.data() + offset, value);
    return b;
  };
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
  };
  const std::vector<Case> cases = {
      {"length below the header", with(0, int32_t{4})},
      {"length past the data", with(0, int32_t{24})},
      {"magic 1", with(4, int8_t{1})},
      {"negative record count", with(5, int32_t{-1})},
      {"more records than bytes", with(5, int32_t{3})},
      {"bytes after the last record", with(5, int32_t{1})},
      {"record length past the batch", with(9, int32_t{100})},
      {"negative record length", with(9, int32_t{-1})},
      {"record with only a schema id", with(19, int32_t{2})},
  };
  for (const Case& c : cases) {
    auto r = ValueRecordBatch::Parse(Buffer::Copy(c.bytes));
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord) << c.what;
  }
}

TEST(ValueRecordBatchTest, BuilderRejectsValuesWithoutARow) {
  ValueRecordBatchBuilder builder;
  EXPECT_FALSE(builder.Append(1, {}).ok());
  const std::vector<uint8_t> schema_id_only = {0x01, 0x00};
  EXPECT_FALSE(builder.AppendValue(schema_id_only).ok());
  EXPECT_EQ(builder.num_records(), 0u);
}

TEST(ValueRecordBatchTest, RandomRowsRoundTrip) {
  std::mt19937_64 rng(23);
  std::vector<DataType> types = kv_test::EveryType();
  ValueRecordBatchBuilder builder;
  std::vector<GenericRow> rows;
  for (int i = 0; i < 300; ++i) {
    GenericRow row(types.size());
    for (size_t f = 0; f < types.size(); ++f) {
      if (rng() % 3 != 0) row.SetField(f, kv_test::RandomDatum(types[f], rng));
    }
    auto encoded = EncodeCompactedRow(types, row);
    ASSERT_OK(encoded);
    ASSERT_OK(builder.Append(static_cast<int16_t>(i % 4), *encoded));
    rows.push_back(std::move(row));
  }
  auto batch = ValueRecordBatch::Parse(builder.Build());
  ASSERT_OK(batch);
  size_t i = 0;
  for (const KvValueView& v : *batch) {
    ASSERT_LT(i, rows.size());
    EXPECT_EQ(v.schema_id, static_cast<int16_t>(i % 4));
    auto row = DecodeCompactedRow(types, v.row);
    ASSERT_OK(row);
    EXPECT_EQ(*row, rows[i]);
    ++i;
  }
  EXPECT_EQ(i, rows.size());
}

TEST(ValueRecordBatchTest, MutatedBatchesNeverCrashTheReader) {
  std::mt19937_64 rng(29);
  for (int iter = 0; iter < 10000; ++iter) {
    auto batch = ValueRecordBatch::Parse(Buffer::Copy(kv_test::Mutate(kGoldenValueBatch, rng)));
    if (!batch.ok()) {
      EXPECT_EQ(batch.status().code(), ErrorCode::kCorruptRecord);
      continue;
    }
    size_t total = 0;
    for (const KvValueView& v : *batch) total += v.row.size();
    EXPECT_LE(total, batch->size_in_bytes());
  }
}

}  // namespace
}  // namespace fluss
