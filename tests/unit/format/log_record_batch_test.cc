#include "format/log_record_batch.h"

#include <gtest/gtest.h>

#include <random>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

Schema TestSchema() { return *ParseSchema("id INT NOT NULL, name STRING, price DECIMAL(10, 2)"); }

GenericRow Row(int32_t id, std::optional<std::string> name, int64_t cents) {
  GenericRow r(3);
  r.SetField(0, id);
  if (name) r.SetField(1, *name);
  r.SetField(2, DecimalValue{cents});
  return r;
}

// Appends little-endian fields exactly as reference/fluss.md §3.2 lays the V0 header out.
std::vector<uint8_t> HandBuiltHeader(int32_t length, int16_t schema_id, uint8_t attributes, int32_t last_offset_delta,
                                     int64_t writer_id, int32_t batch_sequence, int32_t record_count) {
  std::vector<uint8_t> h;
  ByteWriter w(&h);
  w.WriteLE<int64_t>(0);       // BaseOffset @0
  w.WriteLE<int32_t>(length);  // Length @8
  w.WriteLE<int8_t>(0);        // Magic @12
  w.WriteLE<int64_t>(0);       // CommitTimestamp @13
  w.WriteLE<uint32_t>(0);      // CRC @21 (filled by the caller)
  w.WriteLE<int16_t>(schema_id);
  w.WriteLE<uint8_t>(attributes);
  w.WriteLE<int32_t>(last_offset_delta);
  w.WriteLE<int64_t>(writer_id);
  w.WriteLE<int32_t>(batch_sequence);
  w.WriteLE<int32_t>(record_count);
  return h;
}

TEST(LogRecordBatchTest, EmptyBatchMatchesHandBuiltBytes) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {.schema_id = 7, .writer_id = 42, .batch_sequence = 3});
  auto built = builder.Build();
  ASSERT_OK(built);
  const std::vector<uint8_t> expected = {
      0, 0, 0, 0, 0, 0, 0, 0,     // BaseOffset 0
      36, 0, 0, 0,                // Length = 48 - 12
      0,                          // Magic V0
      0, 0, 0, 0, 0, 0, 0, 0,     // CommitTimestamp 0
      0x6c, 0xf6, 0xc7, 0x99,     // CRC-32C of bytes 25..47 (checked below)
      7, 0,                       // SchemaId 7
      1,                          // Attributes: append-only
      0, 0, 0, 0,                 // LastOffsetDelta 0
      42, 0, 0, 0, 0, 0, 0, 0,    // WriterId 42
      3, 0, 0, 0,                 // BatchSequence 3
      0, 0, 0, 0,                 // RecordCount 0
  };
  ASSERT_EQ(expected.size(), 48u);
  EXPECT_EQ(crc32c::Value(expected.data() + 25, 23), LoadLE<uint32_t>(expected.data() + 21));
  EXPECT_EQ(built->ToVector(), expected);
}

TEST(LogRecordBatchTest, ChangelogBatchMatchesHandBuiltLayout) {
  Schema schema = TestSchema();
  std::vector<GenericRow> rows = {Row(1, "a", 100), Row(1, "b", 250)};
  LogRecordBatchBuilder builder(schema, {.schema_id = 1, .append_only = false});
  ASSERT_OK(builder.Append(ChangeType::kUpdateBefore, rows[0]));
  ASSERT_OK(builder.Append(ChangeType::kUpdateAfter, rows[1]));
  auto built = builder.Build();
  ASSERT_OK(built);

  auto arrow_message = arrow::EncodeRecordBatch(schema, rows);
  ASSERT_OK(arrow_message);
  int32_t total = static_cast<int32_t>(48 + 2 + arrow_message->size());
  std::vector<uint8_t> expected = HandBuiltHeader(total - 12, 1, 0, 1, -1, -1, 2);
  expected.push_back(2);  // -U
  expected.push_back(3);  // +U
  expected.insert(expected.end(), arrow_message->begin(), arrow_message->end());
  StoreLE<uint32_t>(expected.data() + 21, crc32c::Value(expected.data() + 25, expected.size() - 25));
  EXPECT_EQ(built->ToVector(), expected);
}

TEST(LogRecordBatchTest, RoundTripsRowsAndChangeTypes) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {.append_only = false});
  ASSERT_OK(builder.Append(ChangeType::kInsert, Row(1, "x", 1)));
  ASSERT_OK(builder.Append(ChangeType::kDelete, Row(2, std::nullopt, -5)));
  auto bytes = builder.Build();
  ASSERT_OK(bytes);
  auto batch = LogRecordBatch::Parse(*bytes);
  ASSERT_OK(batch);
  EXPECT_EQ(batch->record_count(), 2);
  EXPECT_EQ(batch->last_offset_delta(), 1);
  EXPECT_FALSE(batch->is_append_only());
  auto records = batch->ReadRecords(schema);
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].change_type, ChangeType::kInsert);
  EXPECT_EQ((*records)[1].change_type, ChangeType::kDelete);
  EXPECT_EQ((*records)[1].row, Row(2, std::nullopt, -5));
  EXPECT_EQ((*records)[1].offset, 1);
}

TEST(LogRecordBatchTest, AssignedOffsetAndTimestampKeepTheCrcValid) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {});
  ASSERT_OK(builder.Append(Row(1, "x", 1)));
  ASSERT_OK(builder.Append(Row(2, "y", 2)));
  std::vector<uint8_t> bytes = builder.Build()->ToVector();
  AssignOffsetAndTimestamp(bytes, 1000, 1700000000123);
  auto batch = LogRecordBatch::Parse(Buffer::FromVector(bytes));
  ASSERT_OK(batch);
  EXPECT_EQ(batch->base_offset(), 1000);
  EXPECT_EQ(batch->last_offset(), 1001);
  EXPECT_EQ(batch->commit_timestamp(), 1700000000123);
  auto records = batch->ReadRecords(schema);
  ASSERT_OK(records);
  EXPECT_EQ((*records)[1].offset, 1001);
  EXPECT_EQ((*records)[1].timestamp, 1700000000123);
  EXPECT_EQ((*records)[0].change_type, ChangeType::kAppendOnly);
}

TEST(LogRecordBatchTest, AppendOnlyBuilderRejectsChangelogRecords) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {});
  EXPECT_FALSE(builder.Append(ChangeType::kInsert, Row(1, "x", 1)).ok());
  GenericRow null_id(3);
  EXPECT_FALSE(builder.Append(null_id).ok());
  EXPECT_EQ(builder.num_records(), 0u);
}

TEST(LogRecordBatchTest, BuilderStopsAtTheSizeLimit) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {.max_batch_bytes = 4096});
  std::string name(100, 'n');
  int appended = 0;
  while (builder.HasRoomFor(Row(appended, name, 1))) {
    ASSERT_OK(builder.Append(Row(appended, name, 1)));
    ++appended;
  }
  EXPECT_GT(appended, 10);
  auto bytes = builder.Build();
  ASSERT_OK(bytes);
  EXPECT_LE(bytes->size(), 4096u);
  EXPECT_EQ(LogRecordBatch::Parse(*bytes)->record_count(), appended);
  EXPECT_EQ(builder.num_records(), 0u);  // reset for the next batch
}

TEST(LogRecordBatchTest, FirstRowAlwaysFitsEvenWhenLargerThanTheLimit) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {.max_batch_bytes = 64});
  GenericRow big = Row(1, std::string(1000, 'x'), 1);
  EXPECT_TRUE(builder.HasRoomFor(big));
  ASSERT_OK(builder.Append(big));
  EXPECT_FALSE(builder.HasRoomFor(big));
}

Buffer TwoRowBatch(const Schema& schema) {
  LogRecordBatchBuilder builder(schema, {});
  EXPECT_OK(builder.Append(Row(1, "x", 1)));
  EXPECT_OK(builder.Append(Row(2, "y", 2)));
  return *builder.Build();
}

TEST(LogRecordBatchTest, ParseRejectsABitFlipAnywhereInTheCrcRange) {
  Schema schema = TestSchema();
  std::vector<uint8_t> good = TwoRowBatch(schema).ToVector();
  for (size_t i = log_batch::kSchemaIdOffset; i < good.size(); ++i) {
    std::vector<uint8_t> bad = good;
    bad[i] ^= 0x10;
    auto r = LogRecordBatch::Parse(Buffer::FromVector(bad));
    ASSERT_FALSE(r.ok()) << "flip at " << i;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  }
}

TEST(LogRecordBatchTest, ParseRejectsBadLengthAndMagic) {
  Schema schema = TestSchema();
  std::vector<uint8_t> good = TwoRowBatch(schema).ToVector();
  auto truncated = LogRecordBatch::Parse(Buffer::Copy(std::span(good).first(good.size() - 1)));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);
  std::vector<uint8_t> bad_len = good;
  StoreLE<int32_t>(bad_len.data() + 8, 5);
  EXPECT_FALSE(LogRecordBatch::Parse(Buffer::FromVector(bad_len)).ok());
  std::vector<uint8_t> bad_magic = good;
  bad_magic[12] = 9;
  auto m = LogRecordBatch::Parse(Buffer::FromVector(bad_magic));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("magic"), std::string::npos);
  EXPECT_FALSE(LogRecordBatch::Parse(Buffer::Copy(std::span(good).first(11))).ok());
}

TEST(LogRecordBatchTest, ParsesConcatenatedBatchesAndAPartialTail) {
  Schema schema = TestSchema();
  std::vector<uint8_t> all = TwoRowBatch(schema).ToVector();
  std::vector<uint8_t> second = TwoRowBatch(schema).ToVector();
  AssignOffsetAndTimestamp(second, 2, 0);
  all.insert(all.end(), second.begin(), second.end());
  auto batches = ParseLogRecordBatches(Buffer::Copy(all));
  ASSERT_OK(batches);
  ASSERT_EQ(batches->size(), 2u);
  EXPECT_EQ((*batches)[1].base_offset(), 2);
  Buffer cut = Buffer::Copy(std::span(all).first(all.size() - 10));
  EXPECT_FALSE(ParseLogRecordBatches(cut).ok());
  auto partial = ParseLogRecordBatches(cut, true, /*allow_partial_tail=*/true);
  ASSERT_OK(partial);
  EXPECT_EQ(partial->size(), 1u);
}

TEST(LogRecordBatchTest, ProjectionKeepsHeaderAndChangeTypes) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {.schema_id = 3, .append_only = false});
  ASSERT_OK(builder.Append(ChangeType::kInsert, Row(1, "x", 1)));
  ASSERT_OK(builder.Append(ChangeType::kUpdateAfter, Row(2, std::nullopt, 2)));
  std::vector<uint8_t> bytes = builder.Build()->ToVector();
  AssignOffsetAndTimestamp(bytes, 77, 5);
  auto batch = *LogRecordBatch::Parse(Buffer::FromVector(bytes));
  std::vector<size_t> cols = {2, 1};
  auto projected = ProjectLogRecordBatch(batch, schema, cols);
  ASSERT_OK(projected);
  EXPECT_LT(projected->size(), batch.size_in_bytes());
  auto pb = LogRecordBatch::Parse(*projected, /*verify_crc=*/false);
  ASSERT_OK(pb);
  EXPECT_EQ(pb->base_offset(), 77);
  EXPECT_EQ(pb->schema_id(), 3);
  EXPECT_EQ(pb->checksum(), batch.checksum());
  auto records = pb->ReadRecords(*schema.Project({2, 1}));
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].change_type, ChangeType::kUpdateAfter);
  EXPECT_EQ((*records)[0].row, GenericRow({DecimalValue{1}, std::string("x")}));
  EXPECT_TRUE((*records)[1].row.IsNullAt(1));
  std::vector<size_t> bad = {5};
  EXPECT_EQ(ProjectLogRecordBatch(batch, schema, bad).status().code(), ErrorCode::kInvalidColumnProjection);
}

TEST(LogRecordBatchTest, CompressedBatchesRoundTrip) {
  Schema schema = TestSchema();
  for (auto codec : {arrow::CompressionCodec::kNone, arrow::CompressionCodec::kLz4Frame, arrow::CompressionCodec::kZstd}) {
    LogRecordBatchBuilder builder(schema, {.compression = {.codec = codec}});
    for (int i = 0; i < 500; ++i) ASSERT_OK(builder.Append(Row(i, "name-" + std::to_string(i % 7), i)));
    auto bytes = builder.Build();
    ASSERT_OK(bytes);
    auto records = LogRecordBatch::Parse(*bytes)->ReadRecords(schema);
    ASSERT_OK(records);
    ASSERT_EQ(records->size(), 500u);
    EXPECT_EQ((*records)[499].row, Row(499, "name-" + std::to_string(499 % 7), 499));
  }
}

// Fuzz-style: 10,000 mutated batches (bit flips, truncations, lying lengths) must give errors or
// valid results, never a crash (run under ASan/UBSan by `make asan-test`).
TEST(LogRecordBatchTest, MutatedBatchesNeverCrashTheReader) {
  Schema schema = TestSchema();
  LogRecordBatchBuilder builder(schema, {.append_only = false});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(builder.Append(ChangeType::kInsert, Row(i, i % 3 ? "v" : std::optional<std::string>{}, i)).ok());
  const std::vector<uint8_t> good = builder.Build()->ToVector();
  std::mt19937 rng(12345);
  int rejected = 0;
  for (int iter = 0; iter < 10000; ++iter) {
    std::vector<uint8_t> bad = good;
    switch (iter % 4) {
      case 0: bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      case 1: bad.resize(rng() % bad.size()); break;
      case 2: StoreLE<int32_t>(bad.data() + 8, static_cast<int32_t>(rng())); break;
      case 3:
        for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
        break;
    }
    // Without the CRC check the Arrow decoder sees the corrupt bytes too.
    for (bool verify : {true, false}) {
      auto batch = LogRecordBatch::Parse(Buffer::Copy(bad), verify);
      if (!batch.ok()) {
        ++rejected;
        continue;
      }
      auto records = batch->ReadRecords(schema);
      if (!records.ok()) ++rejected;
    }
  }
  EXPECT_GT(rejected, 10000);
}

}  // namespace
}  // namespace fluss
