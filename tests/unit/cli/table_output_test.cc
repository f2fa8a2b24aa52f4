// The table output: alignment by display width, escapes, cutting, and one header while rows fit.
#include "cli/table_output.h"

#include <gtest/gtest.h>

#include "cli/text_width.h"

namespace fluss::cli {
namespace {

TEST(TableOutputTest, RenderTableAlignsNumbersRightAndTextLeft) {
  EXPECT_EQ(RenderTable({"id", "name", "v"}, {{"1", "one", "1.5"}, {"22", "three", "-2"}}, {true, false, true}),
            "id | name  | v\n"
            "---+-------+----\n"
            " 1 | one   | 1.5\n"
            "22 | three |  -2\n");
  EXPECT_EQ(RenderTable({"bucket", "latest"}, {}, {true, true}), "bucket | latest\n-------+-------\n");
}

TEST(TableOutputTest, WideCharactersAreAlignedByDisplayWidth) {
  EXPECT_EQ(RenderTable({"name", "n"}, {{"日本語", "1"}, {"abc", "2"}, {"😀", "3"}}, {false, true}),
            "name   | n\n"
            "-------+--\n"
            "日本語 | 1\n"
            "abc    | 2\n"
            "😀     | 3\n");
}

TEST(TableOutputTest, ControlCharactersAreEscapedAndLongCellsCut) {
  TableWriter writer({"id", "text"}, {true, false}, /*max_width=*/10);
  EXPECT_EQ(writer.Add({{"1", "two\nlines"}, {"2", "a very long sentence"}, {"3", "\x1b[2J"}}),
            "id | text\n"
            "---+-----------\n"
            " 1 | two\\nlines\n"   // "two\nlines" is 10 columns once escaped: it fits
            " 2 | a very lo…\n"
            " 3 | \\x1b[2J\n");
}

TEST(TableOutputTest, LaterRowsThatFitContinueTheTableWithoutAHeader) {
  TableWriter writer({"id", "s"}, {true, false});
  EXPECT_EQ(writer.Add({{"1", "ab"}}), "id | s\n---+---\n 1 | ab\n");
  EXPECT_EQ(writer.Add({{"2", "cd"}, {"3", "e"}}), " 2 | cd\n 3 | e\n");
  // A wider cell starts a new table with the wider widths.
  EXPECT_EQ(writer.Add({{"4", "wider"}}), "\nid | s\n---+------\n 4 | wider\n");
  EXPECT_EQ(writer.Add({{"5", "x"}}), " 5 | x\n");
  EXPECT_EQ(writer.Add({}), "");
  EXPECT_EQ(writer.Finish(), "");
}

TEST(TableOutputTest, AnEmptyResultStillShowsItsHeader) {
  TableWriter writer({"id", "name"}, {true, false});
  EXPECT_EQ(writer.Add({}), "");
  EXPECT_EQ(writer.Finish(), "id | name\n---+-----\n");
}

TEST(TableOutputTest, LongStringAndBinaryValuesAreCutBeforeTheyAreFormatted) {
  const std::string big(5 * 1024 * 1024, 'x');
  const std::string cell = FormatTableCell(Datum(big), DataType::String(), 40);
  EXPECT_LT(cell.size(), 400u);
  EXPECT_EQ(TruncateToWidth(cell, 40), std::string(39, 'x') + "…");
  const std::string bytes_cell = FormatTableCell(Datum(std::string(1000, '\x0a')), DataType::Bytes(), 12);
  EXPECT_EQ(bytes_cell.substr(0, 6), "x'0a0a");
  EXPECT_EQ(bytes_cell.substr(bytes_cell.size() - 3), "…");
  EXPECT_EQ(FormatTableCell(Datum(std::string("\x0a\x0b")), DataType::Bytes(), 12), "x'0a0b'");
  EXPECT_EQ(FormatTableCell(Datum(big), DataType::String(), 0).size(), big.size());  // 0: whole
  EXPECT_EQ(FormatTableCell(Datum(), DataType::String(), 40), "NULL");
}

}  // namespace
}  // namespace fluss::cli
