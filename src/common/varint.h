// Unsigned LEB128 varints (as Fluss's compacted rows and Avro use them) and zig-zag mapping.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace fluss::varint {

constexpr int kMaxLen32 = 5;
constexpr int kMaxLen64 = 10;

inline uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline int32_t ZigZagDecode32(uint32_t v) { return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1)); }
inline uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode64(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Appends the varint; returns the number of bytes written.
int PutVarint32(std::vector<uint8_t>* out, uint32_t v);
int PutVarint64(std::vector<uint8_t>* out, uint64_t v);
int EncodedLength64(uint64_t v);

// Decodes from the front of `in`; on success advances `*consumed` bytes. Errors on truncation or
// on an encoding longer than the type allows.
Result<uint32_t> GetVarint32(std::span<const uint8_t> in, size_t* consumed);
Result<uint64_t> GetVarint64(std::span<const uint8_t> in, size_t* consumed);

}  // namespace fluss::varint
