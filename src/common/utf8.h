// UTF-8 text checks for CHAR and STRING values: validity as RFC 3629 defines it (no overlong forms,
// no surrogates U+D800..U+DFFF, nothing above U+10FFFF) and the length in code points, which is how
// Fluss and Flink count the n of CHAR(n).
#pragma once

#include <cstddef>
#include <string_view>

namespace fluss {

struct Utf8Scan {
  bool valid = true;
  // Code points before the first invalid byte (all of them when valid).
  size_t code_points = 0;
  // Byte offset of the first invalid sequence; text.size() when valid.
  size_t error_offset = 0;
};

// Scans `text` once. ASCII runs take a fast path.
Utf8Scan ScanUtf8(std::string_view text);

}  // namespace fluss
