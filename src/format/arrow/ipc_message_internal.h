// Parsing and writing of encapsulated Arrow IPC messages, for the encoders and decoders of this folder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "format/arrow/fbs/Message_generated.h"
#include "format/arrow/ipc_message.h"

namespace fluss::arrow {

namespace fb = ::org::apache::arrow::flatbuf;

// A verified message: the flatbuffer is copied to aligned storage (the message may sit at any address
// inside a log batch) and `message` points into that copy; `body` views the caller's bytes.
struct ParsedMessage {
  std::vector<uint8_t> metadata;  // owns the flatbuffer `message` points into
  const fb::Message* message = nullptr;
  std::span<const uint8_t> body;
  size_t size = 0;  // 8 + metadata length + body length
};

// Parses the message at the front of `data` (trailing bytes are ignored). Accepts metadata versions V4
// and V5. Every failure is a Corruption error. The result must not outlive `data`.
Result<ParsedMessage> ParseMessage(std::span<const uint8_t> data);

// Writes prefix + the finished flatbuffer of `fbb` + padding to `out`, reserving room for `body_size`
// more bytes that the caller appends. The flatbuffer's bodyLength must equal `body_size`.
void WriteMessagePrefix(const flatbuffers::FlatBufferBuilder& fbb, size_t body_size, std::vector<uint8_t>* out);

inline size_t PaddedTo8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace fluss::arrow
