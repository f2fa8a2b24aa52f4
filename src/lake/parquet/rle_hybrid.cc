#include "lake/parquet/rle_hybrid.h"

#include <fmt/format.h>

#include <algorithm>

namespace fluss::parquet {
namespace {

void PutVarint(uint64_t v, std::vector<uint8_t>* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

size_t RunLength(std::span<const uint32_t> values, size_t i) {
  size_t j = i + 1;
  while (j < values.size() && values[j] == values[i]) ++j;
  return j - i;
}

void PutBitPacked(std::span<const uint32_t> values, int bit_width, size_t groups, std::vector<uint8_t>* out) {
  PutVarint((static_cast<uint64_t>(groups) << 1) | 1, out);
  const size_t start = out->size();
  out->resize(start + groups * static_cast<size_t>(bit_width), 0);  // 8 values * w bits = w bytes
  uint8_t* p = out->data() + start;
  // LSB first: each value's low bit_width bits after the previous value's, flushed a byte at a time.
  const uint64_t mask = bit_width >= 32 ? 0xFFFFFFFFull : (uint64_t{1} << bit_width) - 1;
  uint64_t acc = 0;
  int bits = 0;
  for (size_t k = 0; k < groups * 8; ++k) {
    const uint64_t v = k < values.size() ? values[k] & mask : 0;
    acc |= v << bits;
    bits += bit_width;
    while (bits >= 8) {
      *p++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

}  // namespace

int BitWidthFor(uint32_t max_value) {
  int w = 0;
  while (w < 32 && (max_value >> w) != 0) ++w;
  return w;
}

void EncodeRleHybrid(std::span<const uint32_t> values, int bit_width, std::vector<uint8_t>* out) {
  const size_t value_bytes = static_cast<size_t>((bit_width + 7) / 8);
  size_t i = 0;
  while (i < values.size()) {
    size_t run = RunLength(values, i);
    if (run >= 8) {
      PutVarint(static_cast<uint64_t>(run) << 1, out);
      for (size_t b = 0; b < value_bytes; ++b) out->push_back(static_cast<uint8_t>(values[i] >> (8 * b)));
      i += run;
      continue;
    }
    // Literal groups of 8 until a run of 8+ starts at a group boundary (or the values end).
    size_t j = i;
    while (j < values.size()) {
      j = std::min(values.size(), j + 8);
      if (j < values.size() && RunLength(values, j) >= 8) break;
    }
    size_t n = j - i;
    PutBitPacked(values.subspan(i, n), bit_width, (n + 7) / 8, out);
    i = j;
  }
}

Status DecodeRleHybrid(std::span<const uint8_t> in, int bit_width, size_t count, std::vector<uint32_t>* out) {
  if (bit_width < 0 || bit_width > 32) {
    return Status::Corruption(fmt::format("RLE/bit-packed hybrid: bit width {} out of range", bit_width));
  }
  const size_t value_bytes = static_cast<size_t>((bit_width + 7) / 8);
  const uint64_t mask = bit_width == 32 ? 0xFFFFFFFFu : ((uint64_t{1} << bit_width) - 1);
  out->reserve(out->size() + count);
  size_t pos = 0, produced = 0;
  while (produced < count) {
    uint64_t header = 0;
    int shift = 0;
    while (true) {
      if (pos >= in.size()) return Status::Corruption("RLE/bit-packed hybrid: truncated run header");
      uint8_t b = in[pos++];
      header |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
      shift += 7;
      if (shift > 35) return Status::Corruption("RLE/bit-packed hybrid: run header too long");
    }
    const size_t want = count - produced;
    if (header & 1) {
      uint64_t groups = header >> 1;
      if (groups == 0) return Status::Corruption("RLE/bit-packed hybrid: empty bit-packed run");
      uint64_t bytes = groups * static_cast<uint64_t>(bit_width);
      // The last run may be cut short by the writer only in its padding: the values we need must exist.
      size_t take = static_cast<size_t>(std::min<uint64_t>(groups * 8, want));
      size_t need_bits = take * static_cast<size_t>(bit_width);
      if ((need_bits + 7) / 8 > in.size() - pos) {
        return Status::Corruption("RLE/bit-packed hybrid: truncated bit-packed run");
      }
      const uint8_t* p = in.data() + pos;
      size_t bit = 0;
      for (size_t k = 0; k < take; ++k) {
        uint64_t v = 0;
        for (int b = 0; b < bit_width; ++b, ++bit) v |= static_cast<uint64_t>((p[bit / 8] >> (bit % 8)) & 1) << b;
        out->push_back(static_cast<uint32_t>(v));
      }
      produced += take;
      pos += static_cast<size_t>(std::min<uint64_t>(bytes, in.size() - pos));
    } else {
      uint64_t run = header >> 1;
      if (run == 0) return Status::Corruption("RLE/bit-packed hybrid: empty RLE run");
      if (value_bytes > in.size() - pos) return Status::Corruption("RLE/bit-packed hybrid: truncated RLE value");
      uint64_t v = 0;
      for (size_t b = 0; b < value_bytes; ++b) v |= static_cast<uint64_t>(in[pos + b]) << (8 * b);
      pos += value_bytes;
      if ((v & ~mask) != 0) return Status::Corruption("RLE/bit-packed hybrid: RLE value wider than the bit width");
      size_t take = static_cast<size_t>(std::min<uint64_t>(run, want));
      out->insert(out->end(), take, static_cast<uint32_t>(v));
      produced += take;
    }
  }
  return Status::OK();
}

}  // namespace fluss::parquet
