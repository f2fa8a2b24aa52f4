// Arrow IPC streams for interop: a Schema message, RecordBatch messages, and an optional end-of-stream
// marker. Fluss log batches carry no Schema message; these are for files other Arrow readers open and
// for reading what other Arrow writers produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "format/arrow/compression.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::arrow {

// 0xFFFFFFFF followed by a zero metadata length.
inline constexpr uint8_t kEndOfStream[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};

// The encapsulated Schema message (V5, little-endian, no body) for `schema`. Each field carries custom
// metadata "fluss.data_type" (the column's DataType as Fluss JSON) and "fluss.column_id", which
// DecodeSchemaMessage uses to restore CHAR(n), TIME(p), TIMESTAMP_LTZ and column ids exactly.
std::vector<uint8_t> EncodeSchemaMessage(const Schema& schema);

// Decodes the Schema message at the front of `message` into a Fluss schema (no primary key) and sets
// *consumed (if not null) to the message's size. Arrow types without a Fluss counterpart, dictionary
// encoding, nested types and big-endian schemas are NotSupported.
Result<Schema> DecodeSchemaMessage(std::span<const uint8_t> message, size_t* consumed);

struct DecodedStream {
  Schema schema;
  std::vector<GenericRow> rows;
};

// Reads a whole stream: a Schema message, then RecordBatch messages until the end of the data or an
// end-of-stream marker (0xFFFFFFFF 00000000, or the pre-1.0 four zero bytes). DictionaryBatch messages
// are NotSupported.
Result<DecodedStream> ReadStream(std::span<const uint8_t> stream);

// Schema message + one RecordBatch message of `rows` + end-of-stream marker.
Result<std::vector<uint8_t>> WriteStream(const Schema& schema, std::span<const GenericRow> rows,
                                         CompressionOptions options = {});

}  // namespace fluss::arrow
