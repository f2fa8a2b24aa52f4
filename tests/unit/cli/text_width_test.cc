// Terminal widths, control-character escapes and cutting of the `fluss` table output.
#include "cli/text_width.h"

#include <gtest/gtest.h>

namespace fluss::cli {
namespace {

TEST(TextWidthTest, AsciiAndLatinTakeOneColumnEach) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("apple"), 5u);
  EXPECT_EQ(DisplayWidth("crème brûlée"), 12u);
  EXPECT_EQ(DisplayWidth("Ωμέγα"), 5u);
}

TEST(TextWidthTest, EastAsianWideAndEmojiTakeTwo) {
  EXPECT_EQ(DisplayWidth("日本語"), 6u);
  EXPECT_EQ(DisplayWidth("한국어"), 6u);        // Hangul syllables
  EXPECT_EQ(DisplayWidth("カタカナ"), 8u);
  EXPECT_EQ(DisplayWidth("ＡＢ"), 4u);          // fullwidth forms
  EXPECT_EQ(DisplayWidth("\u3000"), 2u);        // ideographic space
  EXPECT_EQ(DisplayWidth("😀"), 2u);
  EXPECT_EQ(DisplayWidth("🚀x"), 3u);
  EXPECT_EQ(DisplayWidth("\U00020000"), 2u);    // CJK extension B (plane 2)
  EXPECT_EQ(DisplayWidth("\u2603"), 1u);        // a snowman is not wide by default
  EXPECT_EQ(DisplayWidth("\uFF61"), 1u);        // halfwidth katakana punctuation
}

TEST(TextWidthTest, CombiningMarksAndZeroWidthCharactersTakeNone) {
  EXPECT_EQ(DisplayWidth("e\u0301"), 1u);       // e + combining acute
  EXPECT_EQ(DisplayWidth("a\u200Bb"), 2u);      // zero-width space
  EXPECT_EQ(DisplayWidth("\u2764\uFE0F"), 1u);  // variation selector
  EXPECT_EQ(DisplayWidth("\u1100\u1161"), 2u);  // a leading Jamo and a vowel that joins it
  EXPECT_EQ(CodePointWidth(0x3099), 0);         // combining kana voicing mark, inside the kana block
}

TEST(TextWidthTest, InvalidUtf8CountsOneColumnPerByte) {
  EXPECT_EQ(DisplayWidth("a\xff" "b"), 3u);
  EXPECT_EQ(DisplayWidth("\xe6\x97"), 2u);      // a cut 3-byte sequence
  EXPECT_EQ(DisplayWidth("\xc0\xaf"), 2u);      // an overlong '/'
  EXPECT_EQ(DisplayWidth("\xed\xa0\x80"), 3u);  // a surrogate
}

TEST(TextWidthTest, ControlCharactersBecomeVisibleEscapes) {
  EXPECT_EQ(EscapeControl("two\nlines"), "two\\nlines");
  EXPECT_EQ(EscapeControl("a\tb\r"), "a\\tb\\r");
  EXPECT_EQ(EscapeControl("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(EscapeControl(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeControl("del\x7f"), "del\\x7f");
  EXPECT_EQ(EscapeControl("c1\u0085 ls\u2028"), "c1\\u0085 ls\\u2028");
  EXPECT_EQ(EscapeControl("bad\xff"), "bad\\xff");
  EXPECT_EQ(EscapeControl("C:\\path 日本"), "C:\\path 日本");  // backslashes and text as they are
}

TEST(TextWidthTest, TruncateCutsWholeCodePointsToTheWidthWithAnEllipsis) {
  EXPECT_EQ(TruncateToWidth("abcdef", 6), "abcdef");
  EXPECT_EQ(TruncateToWidth("abcdefg", 6), "abcde…");
  EXPECT_EQ(DisplayWidth(TruncateToWidth("abcdefg", 6)), 6u);
  EXPECT_EQ(TruncateToWidth("日本語テキスト", 6), "日本…");  // 5 columns: a wide char does not fit in the 6th
  EXPECT_EQ(TruncateToWidth("日本語テキスト", 7), "日本語…");
  EXPECT_EQ(TruncateToWidth("abcdefg", 0), "abcdefg");      // 0: no limit
  EXPECT_EQ(TruncateToWidth("abc", 1), "…");
}

}  // namespace
}  // namespace fluss::cli
