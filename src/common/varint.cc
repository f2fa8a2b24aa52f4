#include "common/varint.h"

#include <fmt/format.h>

namespace fluss::varint {

int PutVarint32(std::vector<uint8_t>* out, uint32_t v) { return PutVarint64(out, v); }

int PutVarint64(std::vector<uint8_t>* out, uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
    ++n;
  }
  out->push_back(static_cast<uint8_t>(v));
  return n;
}

int EncodedLength64(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

namespace {
template <typename T, int kMax>
Result<T> Decode(std::span<const uint8_t> in, size_t* consumed) {
  T result = 0;
  for (int i = 0; i < kMax; ++i) {
    if (static_cast<size_t>(i) >= in.size()) {
      return Status::Corruption(fmt::format("truncated varint after {} bytes", i));
    }
    uint8_t b = in[i];
    if (i == kMax - 1) {
      // The last byte may only carry the bits the type has left.
      constexpr int kBitsLeft = static_cast<int>(sizeof(T) * 8) - 7 * (kMax - 1);
      if ((b & 0x80) != 0 || (b >> kBitsLeft) != 0) {
        return Status::Corruption(fmt::format("varint longer than {} bits", sizeof(T) * 8));
      }
    }
    result |= static_cast<T>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      *consumed = static_cast<size_t>(i) + 1;
      return result;
    }
  }
  return Status::Corruption("malformed varint");  // unreachable
}
}  // namespace

Result<uint32_t> GetVarint32(std::span<const uint8_t> in, size_t* consumed) {
  return Decode<uint32_t, kMaxLen32>(in, consumed);
}
Result<uint64_t> GetVarint64(std::span<const uint8_t> in, size_t* consumed) {
  return Decode<uint64_t, kMaxLen64>(in, consumed);
}

}  // namespace fluss::varint
