#include "format/arrow/ipc_message.h"

#include <fmt/format.h>

#include <cstring>

#include "common/byte_io.h"
#include "format/arrow/ipc_message_internal.h"

namespace fluss::arrow {

Result<ParsedMessage> ParseMessage(std::span<const uint8_t> data) {
  if (data.size() < kMessagePrefixSize) {
    return Status::Corruption(fmt::format("Arrow message of {} bytes is shorter than its 8-byte prefix", data.size()));
  }
  const uint32_t marker = LoadLE<uint32_t>(data.data());
  if (marker != kContinuationMarker) {
    return Status::Corruption(fmt::format("Arrow message starts with 0x{:08x}, not the continuation marker", marker));
  }
  const int32_t metadata_length = LoadLE<int32_t>(data.data() + 4);
  if (metadata_length == 0) return Status::Corruption("Arrow end-of-stream marker where a message was expected");
  if (metadata_length < 0 || static_cast<size_t>(metadata_length) > data.size() - kMessagePrefixSize) {
    return Status::Corruption(fmt::format("Arrow metadata length {} exceeds the {} bytes after the prefix",
                                          metadata_length, data.size() - kMessagePrefixSize));
  }
  ParsedMessage parsed;
  parsed.metadata.assign(data.begin() + kMessagePrefixSize, data.begin() + kMessagePrefixSize + metadata_length);
  flatbuffers::Verifier verifier(parsed.metadata.data(), parsed.metadata.size());
  if (!fb::VerifyMessageBuffer(verifier)) {
    return Status::Corruption("Arrow message metadata fails flatbuffer verification");
  }
  parsed.message = fb::GetMessage(parsed.metadata.data());
  const fb::MetadataVersion version = parsed.message->version();
  if (version != fb::MetadataVersion::V4 && version != fb::MetadataVersion::V5) {
    return Status::Corruption(
        fmt::format("unsupported Arrow metadata version {} (only V4 and V5 are read)", static_cast<int>(version)));
  }
  const int64_t body_length = parsed.message->bodyLength();
  const size_t body_start = kMessagePrefixSize + static_cast<size_t>(metadata_length);
  if (body_length < 0 || static_cast<uint64_t>(body_length) > data.size() - body_start) {
    return Status::Corruption(fmt::format("Arrow body length {} exceeds the {} bytes after the metadata", body_length,
                                          data.size() - body_start));
  }
  parsed.body = data.subspan(body_start, static_cast<size_t>(body_length));
  parsed.size = body_start + static_cast<size_t>(body_length);
  return parsed;
}

Result<size_t> MessageSize(std::span<const uint8_t> data) {
  FLUSS_ASSIGN_OR_RETURN(ParsedMessage parsed, ParseMessage(data));
  return parsed.size;
}

void WriteMessagePrefix(const flatbuffers::FlatBufferBuilder& fbb, size_t body_size, std::vector<uint8_t>* out) {
  const size_t flatbuffer_size = fbb.GetSize();
  const size_t metadata_length = PaddedTo8(kMessagePrefixSize + flatbuffer_size) - kMessagePrefixSize;
  out->reserve(out->size() + kMessagePrefixSize + metadata_length + body_size);
  ByteWriter w(out);
  w.WriteLE<uint32_t>(kContinuationMarker);
  w.WriteLE<int32_t>(static_cast<int32_t>(metadata_length));
  w.WriteBytes(fbb.GetBufferPointer(), flatbuffer_size);
  w.WriteZeros(metadata_length - flatbuffer_size);
}

}  // namespace fluss::arrow
