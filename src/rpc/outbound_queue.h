// OutboundQueue: frames waiting to be written to one socket, sent as gathered writes (internal to
// src/rpc). Frames queued while a write is in flight go out together in the next write: their
// prefixes and small bodies are coalesced into one contiguous buffer, large bodies are referenced
// where they lie, so one writev carries many frames and a large body is never copied.
//
// Not thread-safe: the owner serializes access.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <asio/buffer.hpp>

#include "common/buffer.h"

namespace fluss::rpc {

struct OutFrame {
  std::array<uint8_t, 16> prefix{};  // length prefix + header
  uint8_t prefix_size = 0;
  std::string body;
  std::vector<Buffer> parts;  // written after `body`

  void SetPrefix(std::span<const uint8_t> bytes);
  size_t body_size() const;
};

class OutboundQueue {
 public:
  // Bodies up to this size are copied into the coalescing buffer; larger ones are referenced.
  static constexpr size_t kCopyThreshold = 8 << 10;

  void Push(OutFrame frame) { queued_.push_back(std::move(frame)); }
  bool has_queued() const { return !queued_.empty(); }
  size_t queued_count() const { return queued_.size(); }
  void ClearQueued() { queued_.clear(); }

  // Moves every queued frame into the batch. REQUIRES: no batch in flight.
  void MoveQueuedToBatch();
  // The buffers of the batch, valid until ReleaseBatch().
  const std::vector<asio::const_buffer>& BatchBuffers();
  // Frees the batch after its write completed (or failed).
  void ReleaseBatch();

 private:
  struct Segment {
    const uint8_t* data;  // nullptr: `offset` into staging_
    size_t offset;
    size_t size;
  };
  void AppendCopied(const void* data, size_t size);
  void AppendReferenced(const void* data, size_t size);

  std::vector<OutFrame> queued_;
  std::vector<OutFrame> batch_;
  std::string staging_;
  std::vector<Segment> segments_;
  std::vector<asio::const_buffer> buffers_;
};

}  // namespace fluss::rpc
