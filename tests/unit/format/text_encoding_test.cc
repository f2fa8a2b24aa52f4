// Text in the formats: encoders and decoders take CHAR and STRING bytes as they are (stored data is
// re-encoded and read back unchanged), and ColumnVector::ValidateText is the writers' check.
#include <gtest/gtest.h>

#include "format/arrow/column_vector.h"
#include "format/arrow/record_batch.h"
#include "format/compacted_row.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TEST(TextEncodingTest, ColumnValidateTextNamesTheRow) {
  arrow::ColumnVector c(DataType::Char(3));
  for (const char* s : {"abc", "日本語", "abcd"}) ASSERT_OK(c.Append(Datum(std::string(s)), "code"));
  c.AppendNull();
  ASSERT_OK(c.Validate("code"));
  Status st = c.ValidateText("code");
  EXPECT_EQ(st.message(), "row 2: column 'code' is CHAR(3) but the value has 4 characters");

  arrow::ColumnVector s(DataType::String());
  for (const char* v : {"ok", "bad\xC3", "fine"}) ASSERT_OK(s.Append(Datum(std::string(v)), "name"));
  st = s.ValidateText("name");
  EXPECT_EQ(st.message(), "row 1: column 'name' (STRING): the value is not valid UTF-8 (byte 0xc3 at offset 3)");
  arrow::ColumnVector bytes(DataType::Bytes());
  ASSERT_OK(bytes.Append(Datum(std::string("\xFF")), "b"));
  EXPECT_OK(bytes.ValidateText("b"));
}

TEST(TextEncodingTest, StoredTextRoundTripsAsItIs) {
  // A row written before text was checked (or by another writer) still encodes and decodes: readers,
  // changelog building and recovery must not lose it.
  const Schema schema = ParseSchema("id INT NOT NULL, c CHAR(2), s STRING").value();
  GenericRow row(3);
  row.SetField(0, int32_t{1});
  row.SetField(1, std::string("long"));
  row.SetField(2, std::string("x\xFFy"));
  auto encoded = EncodeCompactedRow(schema, row);
  ASSERT_OK(encoded);
  auto decoded = DecodeCompactedRow(schema, *encoded);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, row);
  auto message = arrow::EncodeRecordBatch(schema, std::vector<GenericRow>{row});
  ASSERT_OK(message);
  auto rows = arrow::DecodeRecordBatch(schema, *message);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0], row);
}

}  // namespace
}  // namespace fluss
