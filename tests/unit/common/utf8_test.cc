#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace fluss {
namespace {

TEST(Utf8Test, CountsCodePointsOfValidText) {
  EXPECT_EQ(ScanUtf8("").code_points, 0u);
  EXPECT_EQ(ScanUtf8("abc").code_points, 3u);
  EXPECT_EQ(ScanUtf8("a much longer ascii text past eight bytes").code_points, 41u);
  const Utf8Scan cjk = ScanUtf8("日本語x");  // 3 bytes each, then ASCII
  EXPECT_TRUE(cjk.valid);
  EXPECT_EQ(cjk.code_points, 4u);
  EXPECT_EQ(cjk.error_offset, std::string("日本語x").size());
  EXPECT_EQ(ScanUtf8("é€😀").code_points, 3u);  // 2, 3 and 4 bytes
  EXPECT_EQ(ScanUtf8(std::string("a\0b", 3)).code_points, 3u);  // NUL is a character
  // The largest code point and the edges around the surrogates.
  EXPECT_TRUE(ScanUtf8("\xF4\x8F\xBF\xBF").valid);  // U+10FFFF
  EXPECT_TRUE(ScanUtf8("\xED\x9F\xBF").valid);      // U+D7FF
  EXPECT_TRUE(ScanUtf8("\xEE\x80\x80").valid);      // U+E000
}

TEST(Utf8Test, FindsTheFirstInvalidSequence) {
  struct Case {
    std::string text;
    size_t offset;
  };
  for (const Case& c : std::vector<Case>{
           {"ab\xFF", 2},                  // never valid
           {"\x80", 0},                    // a lone continuation byte
           {"abcdefgh\xC3", 8},            // truncated after an ASCII run
           {"\xC3(", 0},                   // a lead byte without its continuation
           {"\xC0\xAF", 0},                // overlong '/'
           {"\xE0\x80\xAF", 0},            // overlong 3-byte form
           {"\xF0\x80\x80\xAF", 0},        // overlong 4-byte form
           {"x\xED\xA0\x80", 1},           // U+D800, a surrogate
           {"\xF4\x90\x80\x80", 0},        // above U+10FFFF
           {"\xF5\x80\x80\x80", 0},        // no such lead byte
           {"日本\xE8\xAA", 6},             // a cut 3-byte sequence at the end
       }) {
    const Utf8Scan scan = ScanUtf8(c.text);
    EXPECT_FALSE(scan.valid) << c.offset;
    EXPECT_EQ(scan.error_offset, c.offset);
  }
}

}  // namespace
}  // namespace fluss
