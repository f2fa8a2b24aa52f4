// FrameAssembler: cuts a TCP byte stream into frames (internal to src/rpc).
//
// The owner reads from its socket into ReadBuffer() and reports the byte count to OnRead(), which
// hands out each complete frame as (header, body). Small frames arrive many per read in a staging
// buffer and are copied out once; a frame larger than the staging buffer is read straight into its
// body string, so a large body costs no copy beyond the kernel's.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/byte_io.h"
#include "common/status.h"
#include "rpc/frame.h"

namespace fluss::rpc {

class FrameAssembler {
 public:
  struct Limits {
    size_t min_length;   // smallest valid length prefix
    size_t header_size;  // bytes of a frame handed out as `header`; the rest is the body
    size_t max_length;   // largest valid length prefix
    std::string_view what;        // "request" or "response", for messages
    std::string_view limit_name;  // the option setting max_length, for messages
  };

  explicit FrameAssembler(Limits limits, size_t staging_size = 64 << 10);
  FrameAssembler(const FrameAssembler&) = delete;
  FrameAssembler& operator=(const FrameAssembler&) = delete;

  // Where the next read must land; never empty.
  std::span<uint8_t> ReadBuffer();

  // Accounts for `n` bytes read into the last ReadBuffer() and calls
  // `Status on_frame(std::span<const uint8_t> header, std::string body)` for every frame completed,
  // in order. `header` holds min(length, header_size) bytes and is valid during the call only.
  // Returns the first error: a bad length prefix (CORRUPT_MESSAGE, after which the stream is
  // unusable) or the first non-OK status of on_frame (parsing stops there).
  template <typename OnFrame>
  Status OnRead(size_t n, OnFrame&& on_frame);

  // True when bytes of an unfinished frame are buffered (an EOF now truncates a frame).
  bool mid_frame() const { return direct_ || wpos_ > rpos_; }

 private:
  size_t Available() const { return wpos_ - rpos_; }

  Limits limits_;
  size_t staging_size_;
  std::unique_ptr<uint8_t[]> staging_;  // allocated at the first read
  size_t rpos_ = 0;                     // start of unparsed bytes in staging_
  size_t wpos_ = 0;                     // end of bytes read into staging_
  size_t need_ = 0;                     // bytes from rpos_ the current frame needs in staging_

  // Direct mode: a large frame whose body is read straight into body_.
  bool direct_ = false;
  std::array<uint8_t, 16> header_{};
  size_t header_len_ = 0;
  std::string body_;
  size_t body_filled_ = 0;
};

template <typename OnFrame>
Status FrameAssembler::OnRead(size_t n, OnFrame&& on_frame) {
  if (direct_) {
    body_filled_ += n;
    if (body_filled_ < body_.size()) return Status::OK();
    direct_ = false;
    std::string body = std::move(body_);
    body_ = std::string();
    return on_frame(std::span<const uint8_t>(header_.data(), header_len_), std::move(body));
  }
  wpos_ += n;
  while (Available() >= kFrameLengthSize) {
    const uint8_t* p = staging_.get() + rpos_;
    auto length = LoadBE<int32_t>(p);
    FLUSS_RETURN_NOT_OK(
        CheckFrameLength(length, limits_.min_length, limits_.max_length, limits_.what, limits_.limit_name));
    size_t len = static_cast<size_t>(length);
    size_t hdr = std::min(len, limits_.header_size);
    if (Available() >= kFrameLengthSize + len) {
      std::span<const uint8_t> header(p + kFrameLengthSize, hdr);
      std::string body(reinterpret_cast<const char*>(p + kFrameLengthSize + hdr), len - hdr);
      rpos_ += kFrameLengthSize + len;
      FLUSS_RETURN_NOT_OK(on_frame(header, std::move(body)));
      continue;
    }
    if (kFrameLengthSize + len <= staging_size_) {
      need_ = kFrameLengthSize + len;  // fits in staging: read more into it
      return Status::OK();
    }
    if (Available() < kFrameLengthSize + hdr) {
      need_ = kFrameLengthSize + hdr;
      return Status::OK();
    }
    // Large frame: keep the header, move the buffered body prefix into body_, read the rest there.
    std::memcpy(header_.data(), p + kFrameLengthSize, hdr);
    header_len_ = hdr;
    size_t have = Available() - kFrameLengthSize - hdr;
    body_.resize(len - hdr);
    std::memcpy(body_.data(), p + kFrameLengthSize + hdr, have);
    body_filled_ = have;
    rpos_ = wpos_ = 0;
    direct_ = true;
    return Status::OK();
  }
  need_ = kFrameLengthSize;
  if (rpos_ == wpos_) rpos_ = wpos_ = 0;
  return Status::OK();
}

}  // namespace fluss::rpc
