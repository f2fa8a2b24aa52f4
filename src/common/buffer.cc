#include "common/buffer.h"

#include <cassert>

namespace fluss {

Buffer Buffer::FromVector(std::vector<uint8_t> bytes) {
  auto owner = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  Buffer b;
  b.data_ = owner->data();
  b.size_ = owner->size();
  b.owner_ = std::move(owner);
  return b;
}

Buffer Buffer::Copy(std::span<const uint8_t> bytes) {
  return FromVector(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Buffer Buffer::Copy(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  return FromVector(std::vector<uint8_t>(p, p + bytes.size()));
}

Buffer Buffer::Wrap(std::shared_ptr<const void> owner, const uint8_t* data, size_t size) {
  Buffer b;
  b.owner_ = std::move(owner);
  b.data_ = data;
  b.size_ = size;
  return b;
}

Buffer Buffer::Slice(size_t offset, size_t length) const {
  assert(offset <= size_ && length <= size_ - offset);
  Buffer b;
  b.owner_ = owner_;
  b.data_ = data_ + offset;
  b.size_ = length;
  return b;
}

}  // namespace fluss
