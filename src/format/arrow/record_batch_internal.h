// Shared by the RecordBatch encoder/decoder and the projection: a validated view of a RecordBatch
// message's metadata, and the writer of RecordBatch metadata.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "format/arrow/compression.h"
#include "format/arrow/ipc_message_internal.h"
#include "types/schema.h"

namespace fluss::arrow {

struct RecordBatchView {
  ParsedMessage parsed;
  const fb::RecordBatch* batch = nullptr;
  int64_t length = 0;
  CompressionCodec codec = CompressionCodec::kNone;
  std::vector<size_t> first_buffer;  // per column: index of its first buffer in batch->buffers()

  const fb::FieldNode& node(size_t column) const { return *batch->nodes()->Get(static_cast<flatbuffers::uoffset_t>(column)); }
  const fb::Buffer& buffer(size_t index) const { return *batch->buffers()->Get(static_cast<flatbuffers::uoffset_t>(index)); }
  // The stored (possibly compressed) bytes of buffer `index`; validated to lie inside the body.
  std::span<const uint8_t> stored(size_t index) const {
    const fb::Buffer& b = buffer(index);
    return parsed.body.subspan(static_cast<size_t>(b.offset()), static_cast<size_t>(b.length()));
  }
};

// Parses a RecordBatch message written for `schema` and checks its metadata against the schema: one
// field node per column with the batch's length and 0 <= null_count <= length, the schema's number of
// buffers, every buffer inside the body, a known compression codec and method. Buffer contents are not
// inspected.
Result<RecordBatchView> ParseRecordBatch(const Schema& schema, std::span<const uint8_t> message);

// Finishes `fbb` with a V5 Message whose header is a RecordBatch.
void BuildRecordBatchMetadata(flatbuffers::FlatBufferBuilder& fbb, int64_t length, const std::vector<fb::FieldNode>& nodes,
                              const std::vector<fb::Buffer>& buffers, CompressionCodec codec, int64_t body_length);

}  // namespace fluss::arrow
