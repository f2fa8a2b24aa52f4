// Corrupt and truncated files: every failure is a Status, never a crash or an out-of-bounds read
// (these tests run under ASan in `make asan-test`).
#include <gtest/gtest.h>

#include <cstring>

#include "parquet_test_support.h"
#include "support/status_macros.h"

namespace fluss::parquet {
namespace {

using testing::AllTypesSchema;
using testing::MakeRows;

std::vector<uint8_t> SmallFile(Codec codec, bool dictionary = true) {
  Schema schema = AllTypesSchema();
  ParquetWriterOptions options;
  options.compression = codec;
  options.row_group_max_rows = 20;
  options.page_max_bytes = 64;
  options.dictionary = dictionary;
  auto rows = MakeRows(schema, 40);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].SetField(11, Datum(std::string(i % 2 ? "x" : "y")));
  return WriteParquet(schema, rows, options).value();
}

// Opens and reads everything; returns the first error (or OK).
Status OpenAndRead(std::vector<uint8_t> bytes) {
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(bytes)));
  if (!reader.ok()) return reader.status();
  return (*reader)->ReadAll().status();
}

size_t FooterStart(const std::vector<uint8_t>& f) {
  uint32_t len;
  std::memcpy(&len, f.data() + f.size() - 8, 4);
  return f.size() - 8 - len;
}

TEST(ParquetCorruptionTest, EveryTruncationIsAnError) {
  auto file = SmallFile(Codec::kZstd);
  ASSERT_OK(OpenAndRead(file));
  for (size_t n = 0; n < file.size(); ++n) {
    Status st = OpenAndRead(std::vector<uint8_t>(file.begin(), file.begin() + static_cast<long>(n)));
    ASSERT_FALSE(st.ok()) << "truncated to " << n << " bytes";
    EXPECT_EQ(st.code(), ErrorCode::kCorruptRecord) << st.ToString();
  }
}

TEST(ParquetCorruptionTest, BadMagicIsAnError) {
  auto file = SmallFile(Codec::kUncompressed);
  auto head = file;
  head[0] = 'X';
  EXPECT_EQ(OpenAndRead(head).code(), ErrorCode::kCorruptRecord);
  auto tail = file;
  tail[tail.size() - 1] = '2';
  EXPECT_EQ(OpenAndRead(tail).code(), ErrorCode::kCorruptRecord);
}

TEST(ParquetCorruptionTest, BadFooterLengthIsAnError) {
  auto file = SmallFile(Codec::kUncompressed);
  for (uint32_t len : {0u, 1u, 0xFFFFFFFFu, static_cast<uint32_t>(file.size() - 11),
                       static_cast<uint32_t>(file.size() - 12 - FooterStart(file) + 1)}) {
    auto f = file;
    std::memcpy(f.data() + f.size() - 8, &len, 4);
    Status st = OpenAndRead(f);
    EXPECT_FALSE(st.ok()) << "footer length " << len;
  }
}

TEST(ParquetCorruptionTest, FlippedPageHeaderBytesAreErrors) {
  auto file = SmallFile(Codec::kUncompressed);
  auto reader = ParquetReader::Open(Buffer::Copy(std::span<const uint8_t>(file)));
  ASSERT_OK(reader);
  const auto& meta = *(*reader)->metadata().row_groups[0].columns[3].meta_data;
  // The page header's first byte (field 1 header, type i32) flipped to an invalid type nibble.
  auto f = file;
  f[static_cast<size_t>(meta.data_page_offset)] = 0x1F;
  EXPECT_EQ(OpenAndRead(f).code(), ErrorCode::kCorruptRecord);
  // compressed_page_size made huge.
  f = file;
  f[static_cast<size_t>(meta.data_page_offset) + 5] = 0x7E;
  EXPECT_FALSE(OpenAndRead(f).ok());
}

// A file small enough to flip every byte of: an optional INT, a dictionary STRING, a PLAIN BYTES, a
// FIXED_LEN_BYTE_ARRAY decimal, a BOOLEAN and a required TIMESTAMP; two row groups, several pages.
std::vector<uint8_t> FlipFile(Codec codec, bool dictionary) {
  auto schema = Schema::Make({Column{"i", DataType::Int(), 1, ""}, Column{"s", DataType::String(), 2, ""},
                              Column{"b", DataType::Bytes(), 3, ""}, Column{"d", DataType::Decimal(20, 2), 4, ""},
                              Column{"f", DataType::Boolean(), 5, ""},
                              Column{"t", DataType::Timestamp(6).NotNull(), 6, ""}})
                    .value();
  std::vector<GenericRow> rows;
  for (int r = 0; r < 24; ++r) {
    GenericRow row(6);
    if (r % 4 != 1) row.SetField(0, Datum(int32_t{r * 1000}));
    if (r % 5 != 2) row.SetField(1, Datum(std::string(r % 2 ? "left" : "right")));
    if (r % 3 != 0) row.SetField(2, Datum(std::string(static_cast<size_t>(r % 4), 'x')));
    row.SetField(3, Datum(DecimalValue{static_cast<__int128>(r) * -123456789}));
    row.SetField(4, Datum(r % 3 == 0));
    row.SetField(5, Datum(TimestampValue{int64_t{r} * 1000, 0}));
    rows.push_back(std::move(row));
  }
  ParquetWriterOptions options;
  options.compression = codec;
  options.dictionary = dictionary;
  options.row_group_max_rows = 12;
  options.page_max_bytes = 32;
  return WriteParquet(schema, rows, options).value();
}

// Every single-byte flip in [begin, end): an error or (for value bytes of uncompressed pages)
// different values, never a crash. Returns the number of flips that were errors.
int FlipEveryByte(const std::vector<uint8_t>& file, size_t begin, size_t end) {
  int errors = 0;
  for (size_t i = begin; i < end; ++i) {
    for (uint8_t mask : {0x01, 0xFF}) {
      auto f = file;
      f[i] ^= mask;
      if (!OpenAndRead(f).ok()) ++errors;
    }
  }
  return errors;
}

TEST(ParquetCorruptionTest, FlippedBytesInZstdPagesAreErrors) {
  auto file = FlipFile(Codec::kZstd, true);
  EXPECT_GT(FlipEveryByte(file, 4, FooterStart(file)), 0);
}

TEST(ParquetCorruptionTest, FlippedBytesInSnappyAndPlainPagesNeverCrash) {
  for (bool dict : {true, false}) {
    auto file = FlipFile(Codec::kSnappy, dict);
    EXPECT_GT(FlipEveryByte(file, 4, FooterStart(file)), 0);
  }
}

TEST(ParquetCorruptionTest, FlippedFooterBytesNeverCrash) {
  auto file = FlipFile(Codec::kUncompressed, true);
  EXPECT_GT(FlipEveryByte(file, FooterStart(file), file.size() - 8), 0);
}

TEST(ParquetCorruptionTest, DictionaryIndexOutOfRangeIsAnError) {
  // One STRING column with a 2-entry dictionary; rewrite the data page's indices to point past it.
  auto schema = Schema::Make({Column{"s", DataType::String().NotNull(), 1, ""}}).value();
  std::vector<GenericRow> rows;
  for (int i = 0; i < 64; ++i) rows.emplace_back(std::vector<Datum>{Datum(std::string(i % 2 ? "aaaa" : "bbbb"))});
  ParquetWriterOptions options;
  options.compression = Codec::kUncompressed;
  auto file = WriteParquet(schema, rows, options).value();
  auto reader = ParquetReader::Open(Buffer::Copy(std::span<const uint8_t>(file)));
  ASSERT_OK(reader);
  const auto& meta = *(*reader)->metadata().row_groups[0].columns[0].meta_data;
  ASSERT_TRUE(meta.dictionary_page_offset);
  // Data page: header, then bit width 1, then a bit-packed run of 8 groups (0x11) of alternating bits.
  auto f = file;
  size_t pos = static_cast<size_t>(meta.data_page_offset);
  size_t header = 0;
  ASSERT_OK(DecodePageHeader(std::span(f).subspan(pos), &header));
  ASSERT_EQ(f[pos + header], 1);  // bit width
  f[pos + header] = 2;            // same bits read 2 at a time: index 2 and 3 appear
  Status st = OpenAndRead(f);
  EXPECT_EQ(st.code(), ErrorCode::kCorruptRecord) << st.ToString();
}

}  // namespace
}  // namespace fluss::parquet
