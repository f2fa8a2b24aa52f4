// Buffer: an immutable, reference-counted view of bytes. Slicing shares the storage (no copy), so a
// batch read from a file can be handed to the network, projected or decoded without re-encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fluss {

class Buffer {
 public:
  Buffer() = default;

  // Takes ownership of `bytes`.
  static Buffer FromVector(std::vector<uint8_t> bytes);
  // Copies `bytes`.
  static Buffer Copy(std::span<const uint8_t> bytes);
  static Buffer Copy(std::string_view bytes);
  // Views memory owned by `owner` (kept alive as long as any slice lives).
  static Buffer Wrap(std::shared_ptr<const void> owner, const uint8_t* data, size_t size);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  uint8_t operator[](size_t i) const { return data_[i]; }

  // A view of [offset, offset + length) sharing this buffer's storage.
  // REQUIRES: offset + length <= size().
  Buffer Slice(size_t offset, size_t length) const;
  Buffer Slice(size_t offset) const { return Slice(offset, size_ - offset); }

  std::vector<uint8_t> ToVector() const { return {data_, data_ + size_}; }

  bool operator==(const Buffer& o) const {
    return size_ == o.size_ && (size_ == 0 || std::memcmp(data_, o.data_, size_) == 0);
  }

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace fluss
