// How text looks in a terminal, for the `fluss` table output: the columns a string occupies (East
// Asian wide and fullwidth characters and emoji take two, combining marks none), control
// characters made visible as escapes, and cells cut to a display width.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fluss::cli {

// The terminal columns of one code point, as wcwidth(3) has them: 2 for East Asian Wide (W) and
// Fullwidth (F) characters (Unicode's EastAsianWidth.txt: CJK, Hangul, kana, fullwidth forms) and
// emoji shown as pictures, 0 for combining marks, zero-width and format characters and variation
// selectors, 1 otherwise. Control characters are not asked for (EscapeControl replaces them).
int CodePointWidth(char32_t cp);

// The terminal columns of UTF-8 text (a byte that is not valid UTF-8 counts 1).
size_t DisplayWidth(std::string_view text);

// The text with control characters replaced by visible escapes, so that one value stays on one
// line and cannot drive the terminal: \n, \r, \t, and \xNN for the other C0 controls, DEL and bytes
// that are not valid UTF-8; \u0085 for C1 controls, \u2028 and \u2029 (line and paragraph
// separators). Backslashes are kept as they are.
std::string EscapeControl(std::string_view text);

// The text cut to at most `max_width` terminal columns, ending in "…" when cut; whole code points
// only. max_width 0: no limit.
std::string TruncateToWidth(std::string_view text, size_t max_width);

}  // namespace fluss::cli
