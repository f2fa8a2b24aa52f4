// Arrow IPC encapsulated messages: framing shared by RecordBatch and Schema messages.
//
//   uint32 0xFFFFFFFF (continuation) | int32 LE metadata length M | flatbuffer Message, zero-padded
//   so that 8 + M is a multiple of 8 | body of Message.bodyLength bytes (a multiple of 8)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/status.h"

namespace fluss::arrow {

inline constexpr uint32_t kContinuationMarker = 0xFFFFFFFFu;
inline constexpr size_t kMessagePrefixSize = 8;  // continuation marker + metadata length
inline constexpr size_t kBodyAlignment = 8;

// Size in bytes of the encapsulated message at the front of `data` (8 + metadata + body). Validates the
// framing, the flatbuffer (verifier) and that the whole message lies within `data`. An end-of-stream
// marker (0xFFFFFFFF 00000000) is a Corruption error here.
Result<size_t> MessageSize(std::span<const uint8_t> data);

}  // namespace fluss::arrow
