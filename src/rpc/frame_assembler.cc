#include "rpc/frame_assembler.h"

#include <algorithm>
#include <cstring>

namespace fluss::rpc {

FrameAssembler::FrameAssembler(Limits limits, size_t staging_size)
    : limits_(limits), staging_size_(std::max(staging_size, kFrameLengthSize + limits.header_size)) {}

std::span<uint8_t> FrameAssembler::ReadBuffer() {
  if (direct_) return {reinterpret_cast<uint8_t*>(body_.data()) + body_filled_, body_.size() - body_filled_};
  if (!staging_) staging_ = std::make_unique<uint8_t[]>(staging_size_);
  // Move the unfinished frame to the front when the rest of it would not fit behind it.
  if (rpos_ > 0 && (wpos_ == staging_size_ || staging_size_ - rpos_ < need_)) {
    std::memmove(staging_.get(), staging_.get() + rpos_, wpos_ - rpos_);
    wpos_ -= rpos_;
    rpos_ = 0;
  }
  return {staging_.get() + wpos_, staging_size_ - wpos_};
}

}  // namespace fluss::rpc
