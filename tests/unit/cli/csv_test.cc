// The CLI's CSV reader and field quoting (RFC 4180).
#include "cli/csv.h"
#include "support/status_macros.h"

#include <sstream>

#include <gtest/gtest.h>

namespace fluss::cli {
namespace {

std::vector<std::vector<CsvField>> ReadAll(const std::string& text, char delimiter = ',') {
  std::istringstream in(text);
  CsvReader reader(in, delimiter);
  std::vector<std::vector<CsvField>> out;
  std::vector<CsvField> fields;
  while (true) {
    auto more = reader.Next(&fields);
    EXPECT_OK(more);
    if (!more.ok() || !*more) break;
    out.push_back(fields);
  }
  return out;
}

TEST(CsvReaderTest, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  auto rows = ReadAll("1,\"a,b\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",x\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1].text, "a,b");
  EXPECT_EQ(rows[0][2].text, "say \"hi\"");
  EXPECT_EQ(rows[1][1].text, "two\nlines");
  EXPECT_EQ(rows[1][2].text, "x");
}

TEST(CsvReaderTest, EmptyUnquotedDiffersFromEmptyQuoted) {
  auto rows = ReadAll("1,,\"\"\n");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), 3u);
  EXPECT_FALSE(rows[0][1].quoted);
  EXPECT_TRUE(rows[0][2].quoted);
  EXPECT_EQ(rows[0][2].text, "");
}

TEST(CsvReaderTest, RecordLineIsWhereTheRecordStarts) {
  std::istringstream in("a\n\n\"b\nc\"\nd");
  CsvReader reader(in, ',');
  std::vector<CsvField> f;
  ASSERT_TRUE(reader.Next(&f).value());
  EXPECT_EQ(reader.record_line(), 1);
  ASSERT_TRUE(reader.Next(&f).value());
  EXPECT_EQ(reader.record_line(), 3);
  ASSERT_TRUE(reader.Next(&f).value());
  EXPECT_EQ(reader.record_line(), 5);
  EXPECT_EQ(f[0].text, "d");
  EXPECT_FALSE(reader.Next(&f).value());
}

TEST(CsvReaderTest, UnclosedQuoteAndTextAfterQuoteAreErrors) {
  std::istringstream a("1,\"open\n2,3\n");
  CsvReader ra(a, ',');
  std::vector<CsvField> f;
  auto r = ra.Next(&f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 1"), std::string::npos);
  std::istringstream b("ok\n\"x\"y,1\n");
  CsvReader rb(b, ',');
  ASSERT_OK(rb.Next(&f));
  r = rb.Next(&f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
}

TEST(CsvReaderTest, OtherDelimiter) {
  auto rows = ReadAll("a\tb,c\n", '\t');
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1].text, "b,c");
}

TEST(CsvReaderTest, AByteOrderMarkAtTheStartIsDropped) {
  auto rows = ReadAll("\xEF\xBB\xBFid,name\n1,\xEF\xBB\xBFkept\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].text, "id");
  EXPECT_EQ(rows[1][1].text, "\xEF\xBB\xBFkept");  // only at the start of the input
  auto quoted = ReadAll("\xEF\xBB\xBF\"a\",b\n");
  ASSERT_EQ(quoted.size(), 1u);
  EXPECT_EQ(quoted[0][0].text, "a");
  EXPECT_TRUE(quoted[0][0].quoted);
}

TEST(CsvWriterTest, QuotesOnlyWhenNeeded) {
  std::string out;
  AppendCsvField(&out, "plain", ',');
  out += '|';
  AppendCsvField(&out, "a,b", ',');
  out += '|';
  AppendCsvField(&out, "say \"x\"", ',');
  out += '|';
  AppendCsvField(&out, "", ',');
  out += '|';
  AppendCsvField(&out, "two\nlines", ',');
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"x\"\"\"|\"\"|\"two\nlines\"");
}

}  // namespace
}  // namespace fluss::cli
