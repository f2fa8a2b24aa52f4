// The RLE / bit-packed hybrid encoding of Parquet (definition levels, dictionary indices):
//   <run> := <rle-run> | <bit-packed-run>
//   rle-run: varint (count << 1), then the value in ceil(bit_width / 8) little-endian bytes
//   bit-packed-run: varint (groups << 1 | 1), then groups * 8 values packed LSB first, bit_width bits each
// No length prefix here: data pages V1 put a 4-byte little-endian length in front of definition levels,
// dictionary indices are preceded by one byte of bit width.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace fluss::parquet {

// Bits needed for values 0..max_value (0 for max_value 0).
int BitWidthFor(uint32_t max_value);

// Appends `values` (each < 2^bit_width) in the hybrid encoding: runs of 8 or more equal values as RLE
// runs, the rest in bit-packed groups of 8 (the last group zero-padded). REQUIRES: bit_width 0..32.
void EncodeRleHybrid(std::span<const uint32_t> values, int bit_width, std::vector<uint8_t>* out);

// Decodes exactly `count` values from `in` (trailing bytes of the last bit-packed group are allowed;
// extra runs are not read). Errors on truncation, bit_width out of 0..32, or a run header that lies.
Status DecodeRleHybrid(std::span<const uint8_t> in, int bit_width, size_t count, std::vector<uint32_t>* out);

}  // namespace fluss::parquet
