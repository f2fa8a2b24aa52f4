#include "rpc/outbound_queue.h"

#include <cassert>
#include <cstring>

namespace fluss::rpc {

void OutFrame::SetPrefix(std::span<const uint8_t> bytes) {
  assert(bytes.size() <= prefix.size());
  std::memcpy(prefix.data(), bytes.data(), bytes.size());
  prefix_size = static_cast<uint8_t>(bytes.size());
}

size_t OutFrame::body_size() const {
  size_t n = body.size();
  for (const Buffer& b : parts) n += b.size();
  return n;
}

void OutboundQueue::MoveQueuedToBatch() {
  assert(batch_.empty());
  batch_.swap(queued_);
}

void OutboundQueue::AppendCopied(const void* data, size_t size) {
  if (size == 0) return;
  if (segments_.empty() || segments_.back().data != nullptr) {
    segments_.push_back(Segment{nullptr, staging_.size(), 0});
  }
  staging_.append(static_cast<const char*>(data), size);
  segments_.back().size += size;
}

void OutboundQueue::AppendReferenced(const void* data, size_t size) {
  if (size == 0) return;
  segments_.push_back(Segment{static_cast<const uint8_t*>(data), 0, size});
}

const std::vector<asio::const_buffer>& OutboundQueue::BatchBuffers() {
  staging_.clear();
  segments_.clear();
  buffers_.clear();
  for (const OutFrame& f : batch_) {
    AppendCopied(f.prefix.data(), f.prefix_size);
    if (f.body.size() <= kCopyThreshold) {
      AppendCopied(f.body.data(), f.body.size());
    } else {
      AppendReferenced(f.body.data(), f.body.size());
    }
    for (const Buffer& part : f.parts) {
      if (part.size() <= kCopyThreshold) {
        AppendCopied(part.data(), part.size());
      } else {
        AppendReferenced(part.data(), part.size());
      }
    }
  }
  // staging_ no longer grows: its addresses are stable until the next batch.
  buffers_.reserve(segments_.size());
  for (const Segment& s : segments_) {
    buffers_.emplace_back(s.data != nullptr ? s.data : reinterpret_cast<const uint8_t*>(staging_.data()) + s.offset,
                          s.size);
  }
  return buffers_;
}

void OutboundQueue::ReleaseBatch() {
  batch_.clear();
  buffers_.clear();
  segments_.clear();
  // Keep a moderate coalescing buffer for the next batch, not the largest one ever built.
  if (staging_.capacity() > (1u << 20)) {
    std::string().swap(staging_);
  } else {
    staging_.clear();
  }
}

}  // namespace fluss::rpc
