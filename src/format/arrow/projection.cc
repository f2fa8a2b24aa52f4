#include "format/arrow/projection.h"

#include <fmt/format.h>

#include "format/arrow/arrow_type.h"
#include "format/arrow/record_batch_internal.h"

namespace fluss::arrow {
namespace {

Status CheckSelection(const Schema& schema, std::span<const size_t> columns) {
  if (columns.empty()) return Status(ErrorCode::kInvalidColumnProjection, "the projection selects no columns");
  std::vector<bool> seen(schema.num_columns(), false);
  for (size_t c : columns) {
    if (c >= schema.num_columns()) {
      return Status(ErrorCode::kInvalidColumnProjection,
                    fmt::format("projected column index {} is out of range for a schema of {} columns", c,
                                schema.num_columns()));
    }
    if (seen[c]) {
      return Status(ErrorCode::kInvalidColumnProjection,
                    fmt::format("projected column index {} ('{}') appears twice", c, schema.column(c).name));
    }
    seen[c] = true;
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<uint8_t>> ProjectRecordBatch(const Schema& schema, std::span<const uint8_t> message,
                                                std::span<const size_t> columns) {
  FLUSS_RETURN_NOT_OK(CheckSelection(schema, columns));
  FLUSS_ASSIGN_OR_RETURN(RecordBatchView view, ParseRecordBatch(schema, message));

  std::vector<fb::FieldNode> nodes;
  std::vector<fb::Buffer> buffers;
  std::vector<std::span<const uint8_t>> stored;
  size_t cursor = 0;
  for (size_t c : columns) {
    nodes.push_back(view.node(c));
    const size_t first = view.first_buffer[c];
    for (size_t b = first; b < first + BufferCountOf(schema.column(c).type); ++b) {
      stored.push_back(view.stored(b));
      buffers.emplace_back(static_cast<int64_t>(cursor), static_cast<int64_t>(stored.back().size()));
      cursor += PaddedTo8(stored.back().size());
    }
  }
  flatbuffers::FlatBufferBuilder fbb(256 + 32 * buffers.size());
  BuildRecordBatchMetadata(fbb, view.length, nodes, buffers, view.codec, static_cast<int64_t>(cursor));
  std::vector<uint8_t> out;
  WriteMessagePrefix(fbb, cursor, &out);
  const size_t body_start = out.size();
  for (const auto& s : stored) {
    out.insert(out.end(), s.begin(), s.end());
    out.resize(body_start + PaddedTo8(out.size() - body_start), 0);
  }
  return out;
}

}  // namespace fluss::arrow
