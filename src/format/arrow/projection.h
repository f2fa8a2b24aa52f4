// Column projection of an encoded Arrow RecordBatch message, without decoding rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "types/schema.h"

namespace fluss::arrow {

// Returns a RecordBatch message holding only `columns` (indexes into `schema`, in the given order) of
// `message`: their field nodes and buffers, the buffers' stored bytes copied as they are (compressed
// ones stay compressed under the same BodyCompression) at new contiguous 8-aligned offsets. Decoding
// the result with schema.Project(columns) gives the projected rows. An empty, out-of-range or
// duplicated selection is ErrorCode::kInvalidColumnProjection; a malformed message is Corruption.
Result<std::vector<uint8_t>> ProjectRecordBatch(const Schema& schema, std::span<const uint8_t> message,
                                                std::span<const size_t> columns);

}  // namespace fluss::arrow
