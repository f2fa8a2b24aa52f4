// Little- and big-endian fixed-width encoding, and bounds-checked readers. Every decoder of on-disk or
// on-wire bytes reads through ByteReader so a lying length is an error, never an out-of-bounds read.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/status.h"

namespace fluss {

static_assert(std::endian::native == std::endian::little, "fluss-cpp assumes a little-endian host");

template <typename T>
inline T LoadLE(const uint8_t* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void StoreLE(uint8_t* p, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::memcpy(p, &v, sizeof(T));
}

template <typename T>
inline T LoadBE(const uint8_t* p) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (sizeof(T) == 2) v = __builtin_bswap16(v);
  if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
  if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
  return static_cast<T>(v);
}

template <typename T>
inline void StoreBE(uint8_t* p, T v) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  if constexpr (sizeof(T) == 2) u = __builtin_bswap16(u);
  if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
  if constexpr (sizeof(T) == 8) u = __builtin_bswap64(u);
  std::memcpy(p, &u, sizeof(T));
}

// Appends to a growable byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>* out) : out_(out) {}

  template <typename T>
  void WriteLE(T v) {
    size_t n = out_->size();
    out_->resize(n + sizeof(T));
    StoreLE(out_->data() + n, v);
  }
  template <typename T>
  void WriteBE(T v) {
    size_t n = out_->size();
    out_->resize(n + sizeof(T));
    StoreBE(out_->data() + n, v);
  }
  void WriteBytes(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_->insert(out_->end(), p, p + n);
  }
  void WriteBytes(std::span<const uint8_t> s) { WriteBytes(s.data(), s.size()); }
  void WriteZeros(size_t n) { out_->resize(out_->size() + n, 0); }
  size_t size() const { return out_->size(); }

 private:
  std::vector<uint8_t>* out_;
};

// Reads from a span with bounds checks; every read past the end is a Corruption error naming `what`.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool AtEnd() const { return pos_ == data_.size(); }

  template <typename T>
  Result<T> ReadLE(std::string_view what) {
    if (remaining() < sizeof(T)) return Truncated(what, sizeof(T));
    T v = LoadLE<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  Result<T> ReadBE(std::string_view what) {
    if (remaining() < sizeof(T)) return Truncated(what, sizeof(T));
    T v = LoadBE<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  Result<std::span<const uint8_t>> ReadBytes(size_t n, std::string_view what) {
    if (remaining() < n) return Truncated(what, n);
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Status Skip(size_t n, std::string_view what) {
    if (remaining() < n) return Truncated(what, n);
    pos_ += n;
    return Status::OK();
  }

 private:
  Status Truncated(std::string_view what, size_t need) const;

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace fluss
