#include "common/utf8.h"

#include <cstdint>
#include <cstring>

namespace fluss {

Utf8Scan ScanUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  Utf8Scan scan;
  size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        scan.code_points += 8;
        continue;
      }
    }
    const uint8_t b = p[i];
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;       // no overlong 3-byte forms
      else if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;       // no overlong 4-byte forms
      else if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    }
    bool ok = len != 0 && i + len <= n;
    if (ok && len > 1) {
      ok = p[i + 1] >= lo && p[i + 1] <= hi;
      for (size_t k = 2; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    }
    if (!ok) {
      scan.valid = false;
      scan.error_offset = i;
      return scan;
    }
    i += len;
    ++scan.code_points;
  }
  scan.error_offset = n;
  return scan;
}

}  // namespace fluss
