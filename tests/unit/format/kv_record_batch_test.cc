#include "format/kv_record_batch.h"

#include <gtest/gtest.h>

#include <random>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "kv_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using kv_test::Bytes;

// users(id INT NOT NULL, name STRING, PRIMARY KEY (id)): upsert (1, 'a'), then delete id 2.
// Key of id 1 = 01; row (1, 'a') = 00 (bitset) 01 (id) 01 61 (name) - hand-built per §3.3.
// CRC = CRC-32C of bytes 9..43, computed by an independent bitwise CRC-32C (poly 0x82f63b78) in
// Python; the test below also recomputes it.
const std::vector<uint8_t> kGoldenBatch = {
    0x28, 0x00, 0x00, 0x00,                          // Length 40 = 44 - 4
    0x00,                                            // Magic 0
    0xc4, 0x94, 0x67, 0xea,                          // CRC 0xea6794c4
    0x03, 0x00,                                      // SchemaId 3
    0x00,                                            // Attributes
    0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // WriterId 7
    0x05, 0x00, 0x00, 0x00,                          // BatchSequence 5
    0x02, 0x00, 0x00, 0x00,                          // RecordCount 2
    // record 0: upsert
    0x06, 0x00, 0x00, 0x00,  // length 6 = 1 (key length varint) + 1 (key) + 4 (row)
    0x01,                    // key length 1
    0x01,                    // key: INT 1
    0x00, 0x01, 0x01, 0x61,  // row (1, 'a')
    // record 1: delete
    0x02, 0x00, 0x00, 0x00,  // length 2: no row bytes
    0x01,                    // key length 1
    0x02,                    // key: INT 2
};

Schema UsersSchema() {
  return kv_test::MakeSchema({{"id", DataType::Int()}, {"name", DataType::String()}}, {"id"});
}

// A batch with a valid header and CRC around arbitrary record bytes, for structural corruption tests.
std::vector<uint8_t> BatchAround(int32_t record_count, const std::vector<uint8_t>& records) {
  std::vector<uint8_t> b;
  ByteWriter w(&b);
  w.WriteLE<int32_t>(static_cast<int32_t>(28 - 4 + records.size()));
  w.WriteLE<int8_t>(0);
  w.WriteLE<uint32_t>(0);
  w.WriteLE<int16_t>(1);
  w.WriteLE<int8_t>(0);
  w.WriteLE<int64_t>(-1);
  w.WriteLE<int32_t>(-1);
  w.WriteLE<int32_t>(record_count);
  w.WriteBytes(records);
  StoreLE<uint32_t>(b.data() + 5, crc32c::Value(b.data() + 9, b.size() - 9));
  return b;
}

TEST(KvRecordBatchTest, BuilderMatchesHandBuiltBytes) {
  ASSERT_EQ(kGoldenBatch.size(), 44u);
  EXPECT_EQ(crc32c::Value(kGoldenBatch.data() + 9, kGoldenBatch.size() - 9), 0xea6794c4u);

  Schema schema = UsersSchema();
  const std::vector<size_t> pk = {0};
  auto key1 = EncodeCompactedKey(schema, pk, GenericRow(std::vector<Datum>{int32_t{1}, std::string("a")}));
  auto row1 = EncodeCompactedRow(schema, GenericRow(std::vector<Datum>{int32_t{1}, std::string("a")}));
  auto key2 = EncodeCompactedKey(schema, pk, GenericRow(std::vector<Datum>{int32_t{2}, std::monostate{}}));
  ASSERT_TRUE(key1.ok() && row1.ok() && key2.ok());

  KvRecordBatchBuilder builder({.schema_id = 3, .writer_id = 7, .batch_sequence = 5});
  ASSERT_OK(builder.AppendUpsert(*key1, *row1));
  ASSERT_OK(builder.AppendDelete(*key2));
  EXPECT_EQ(builder.num_records(), 2u);
  EXPECT_EQ(builder.size_in_bytes(), 44u);
  auto built = builder.Build();
  ASSERT_OK(built);
  EXPECT_EQ(Bytes(built->span()), Bytes(kGoldenBatch));
}

TEST(KvRecordBatchTest, EmptyBatchMatchesHandBuiltBytes) {
  const std::vector<uint8_t> expected = {
      0x18, 0x00, 0x00, 0x00,                          // Length 24
      0x00,                                            // Magic
      0x78, 0x41, 0x6f, 0x16,                          // CRC 0x166f4178 of bytes 9..27
      0x01, 0x00,                                      // SchemaId 1
      0x00,                                            // Attributes
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // WriterId -1 (none)
      0xff, 0xff, 0xff, 0xff,                          // BatchSequence -1 (none)
      0x00, 0x00, 0x00, 0x00,                          // RecordCount 0
  };
  EXPECT_EQ(crc32c::Value(expected.data() + 9, expected.size() - 9), 0x166f4178u);
  KvRecordBatchBuilder builder({.schema_id = 1});
  auto built = builder.Build();
  ASSERT_OK(built);
  EXPECT_EQ(Bytes(built->span()), Bytes(expected));
  auto parsed = KvRecordBatch::Parse(*built);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->begin(), parsed->end());
}

TEST(KvRecordBatchTest, ParsesHandBuiltBytes) {
  auto batch = KvRecordBatch::Parse(Buffer::Copy(kGoldenBatch));
  ASSERT_OK(batch);
  EXPECT_EQ(batch->size_in_bytes(), 44u);
  EXPECT_EQ(batch->magic(), 0);
  EXPECT_EQ(batch->checksum(), 0xea6794c4u);
  EXPECT_EQ(batch->schema_id(), 3);
  EXPECT_EQ(batch->attributes(), 0);
  EXPECT_EQ(batch->writer_id(), 7);
  EXPECT_EQ(batch->batch_sequence(), 5);
  EXPECT_EQ(batch->record_count(), 2);

  std::vector<KvRecordView> records(batch->begin(), batch->end());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(Bytes(records[0].key), Bytes({0x01}));
  ASSERT_FALSE(records[0].is_delete());
  EXPECT_EQ(Bytes(*records[0].row), Bytes({0x00, 0x01, 0x01, 0x61}));
  auto row = DecodeCompactedRow(UsersSchema(), *records[0].row);
  ASSERT_OK(row);
  EXPECT_EQ(*row, GenericRow(std::vector<Datum>{int32_t{1}, std::string("a")}));
  EXPECT_EQ(Bytes(records[1].key), Bytes({0x02}));
  EXPECT_TRUE(records[1].is_delete());
}

TEST(KvRecordBatchTest, ParseTakesOnlyTheFirstBatch) {
  std::vector<uint8_t> two = kGoldenBatch;
  two.insert(two.end(), kGoldenBatch.begin(), kGoldenBatch.end());
  auto size = KvRecordBatch::PeekSize(two);
  ASSERT_OK(size);
  EXPECT_EQ(*size, 44u);
  auto batch = KvRecordBatch::Parse(Buffer::Copy(two));
  ASSERT_OK(batch);
  EXPECT_EQ(batch->size_in_bytes(), 44u);
}

TEST(KvRecordBatchTest, ParseRejectsEveryTruncation) {
  for (size_t n = 0; n < kGoldenBatch.size(); ++n) {
    auto r = KvRecordBatch::Parse(Buffer::Copy(std::span<const uint8_t>(kGoldenBatch.data(), n)));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  }
}

TEST(KvRecordBatchTest, ParseRejectsAnyChangedByte) {
  // Length and Magic are checked directly, the CRC field and everything from SchemaId on by the CRC.
  for (size_t i = 0; i < kGoldenBatch.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bytes = kGoldenBatch;
      bytes[i] ^= mask;
      auto r = KvRecordBatch::Parse(Buffer::Copy(bytes));
      ASSERT_FALSE(r.ok()) << "byte " << i << " ^ " << int{mask};
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
    }
  }
}

TEST(KvRecordBatchTest, ParseRejectsRecordsThatDoNotAddUp) {
  const std::vector<uint8_t> upsert = {0x03, 0x00, 0x00, 0x00, 0x01, 0x07, 0x00};  // key 07, row 00
  struct Case {
    const char* what;
    int32_t count;
    std::vector<uint8_t> records;
  };
  std::vector<uint8_t> twice = upsert;
  twice.insert(twice.end(), upsert.begin(), upsert.end());
  const std::vector<Case> cases = {
      {"negative record count", -1, {}},
      {"more records than bytes", 2, upsert},
      {"bytes after the last record", 1, twice},
      {"record length past the batch", 1, {0x09, 0x00, 0x00, 0x00, 0x01, 0x07, 0x00}},
      {"negative record length", 1, {0xff, 0xff, 0xff, 0xff, 0x01, 0x07, 0x00}},
      {"record length cut", 1, {0x03, 0x00}},
      {"key longer than its record", 1, {0x03, 0x00, 0x00, 0x00, 0x05, 0x07, 0x00}},
      {"empty key", 1, {0x02, 0x00, 0x00, 0x00, 0x00, 0x00}},
      {"empty record", 1, {0x00, 0x00, 0x00, 0x00}},
      {"key length varint unterminated", 1, {0x02, 0x00, 0x00, 0x00, 0x80, 0x80}},
      {"key length varint of 6 bytes", 1, {0x06, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}},
  };
  ASSERT_OK(KvRecordBatch::Parse(Buffer::Copy(BatchAround(1, upsert))));
  for (const Case& c : cases) {
    auto r = KvRecordBatch::Parse(Buffer::Copy(BatchAround(c.count, c.records)));
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord) << c.what;
  }
}

TEST(KvRecordBatchTest, ParseRejectsBadLengthAndMagic) {
  std::vector<uint8_t> bytes = kGoldenBatch;
  StoreLE<int32_t>(bytes.data(), 23);  // below the header
  EXPECT_FALSE(KvRecordBatch::Parse(Buffer::Copy(bytes)).ok());
  StoreLE<int32_t>(bytes.data(), -5);
  EXPECT_FALSE(KvRecordBatch::Parse(Buffer::Copy(bytes)).ok());
  bytes = kGoldenBatch;
  bytes[4] = 1;  // magic
  auto r = KvRecordBatch::Parse(Buffer::Copy(bytes));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("magic"), std::string::npos);
}

TEST(KvRecordBatchTest, BuilderRejectsEmptyKeysAndRowsAndResetsAfterBuild) {
  KvRecordBatchBuilder builder({.schema_id = 2});
  const std::vector<uint8_t> key = {0x01};
  const std::vector<uint8_t> row = {0x00, 0x01};
  EXPECT_FALSE(builder.AppendUpsert({}, row).ok());
  EXPECT_FALSE(builder.AppendDelete({}).ok());
  EXPECT_FALSE(builder.AppendUpsert(key, {}).ok());  // would read back as a delete
  EXPECT_EQ(builder.num_records(), 0u);
  ASSERT_OK(builder.AppendUpsert(key, row));
  EXPECT_EQ(builder.size_in_bytes(), 28 + KvRecordBatchBuilder::RecordSize(1, 2));
  builder.SetWriterState(9, 0);
  auto first = builder.Build();
  ASSERT_OK(first);
  auto parsed = KvRecordBatch::Parse(*first);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->writer_id(), 9);
  EXPECT_EQ(parsed->batch_sequence(), 0);
  EXPECT_EQ(parsed->record_count(), 1);
  EXPECT_EQ(builder.num_records(), 0u);
  auto second = builder.Build();
  ASSERT_OK(second);
  EXPECT_EQ(second->size(), 28u);
}

TEST(KvRecordBatchTest, RandomBatchesRoundTrip) {
  std::mt19937_64 rng(3);
  for (int iter = 0; iter < 200; ++iter) {
    KvRecordBatchBuilder builder({.schema_id = static_cast<int16_t>(rng() % 100)});
    std::vector<std::pair<std::string, std::optional<std::string>>> expected;
    const int n = static_cast<int>(rng() % 50);
    for (int i = 0; i < n; ++i) {
      std::string key = kv_test::RandomBytes(rng, 1 + rng() % (rng() % 8 == 0 ? 300 : 10));
      auto k = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size());
      if (rng() % 3 == 0) {
        ASSERT_OK(builder.AppendDelete(k));
        expected.emplace_back(key, std::nullopt);
      } else {
        std::string row = kv_test::RandomBytes(rng, 1 + rng() % 40);
        ASSERT_OK(builder.AppendUpsert(k, {reinterpret_cast<const uint8_t*>(row.data()), row.size()}));
        expected.emplace_back(key, row);
      }
    }
    auto built = builder.Build();
    ASSERT_OK(built);
    auto batch = KvRecordBatch::Parse(*built);
    ASSERT_OK(batch);
    size_t i = 0;
    for (const KvRecordView& r : *batch) {
      ASSERT_LT(i, expected.size());
      EXPECT_EQ(std::string(r.key.begin(), r.key.end()), expected[i].first);
      ASSERT_EQ(r.row.has_value(), expected[i].second.has_value());
      if (r.row) {
        EXPECT_EQ(std::string(r.row->begin(), r.row->end()), *expected[i].second);
      }
      ++i;
    }
    EXPECT_EQ(i, expected.size());
  }
}

// Fuzz-style: mutated batches, CRC fixed up so the structural checks are reached, parse or fail
// cleanly; what parses iterates within bounds (the sanitizer build checks).
TEST(KvRecordBatchTest, MutatedBatchesNeverCrashTheReader) {
  std::mt19937_64 rng(17);
  for (int iter = 0; iter < 10000; ++iter) {
    std::vector<uint8_t> bytes = kv_test::Mutate(kGoldenBatch, rng);
    if (rng() % 2 == 0 && bytes.size() >= 9) {
      StoreLE<uint32_t>(bytes.data() + 5, crc32c::Value(bytes.data() + 9, bytes.size() - 9));
    }
    auto batch = KvRecordBatch::Parse(Buffer::Copy(bytes));
    if (!batch.ok()) {
      EXPECT_EQ(batch.status().code(), ErrorCode::kCorruptRecord);
      continue;
    }
    size_t total = 0;
    for (const KvRecordView& r : *batch) total += r.key.size() + (r.row ? r.row->size() : 0);
    EXPECT_LE(total, batch->size_in_bytes());
  }
}

}  // namespace
}  // namespace fluss
