// Arrow IPC RecordBatch messages for a Fluss schema: encoding from rows or column vectors, decoding
// back. Byte layout: docs/formats/arrow.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "format/arrow/column_vector.h"
#include "format/arrow/compression.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::arrow {

// Incremental builder of one RecordBatch message from rows; keeps one ColumnVector per column.
// Not thread-safe: REQUIRES external synchronization.
class RecordBatchBuilder {
 public:
  RecordBatchBuilder(const Schema& schema, CompressionOptions options);

  // Validates arity, types and nullability (ValidateDatum) and the Arrow limits of every field, then
  // appends the row. On error nothing is appended.
  Status Append(const GenericRow& row);

  size_t num_rows() const { return num_rows_; }

  // An upper bound of the uncompressed size of the message Finish() would return now (compression
  // only makes it smaller). O(1).
  size_t EstimatedSizeInBytes() const;

  // Returns the encapsulated RecordBatch message of the rows appended so far (zero rows is a valid
  // message) and resets the builder to empty.
  Result<std::vector<uint8_t>> Finish();

 private:
  void Reset();

  Schema schema_;
  CompressionOptions options_;
  std::vector<ColumnVector> columns_;
  size_t num_rows_ = 0;
  // For EstimatedSizeInBytes: bytes per row of the fixed-width columns, count of bitmaps per row
  // (nullable validity + BOOLEAN values), variable-width columns, data bytes of variable-width values.
  size_t fixed_bytes_per_row_ = 0;
  size_t bitmaps_per_row_ = 0;
  size_t variable_columns_ = 0;
  size_t variable_bytes_ = 0;
  size_t metadata_bound_ = 0;
};

Result<std::vector<uint8_t>> EncodeRecordBatch(const Schema& schema, std::span<const GenericRow> rows,
                                               CompressionOptions options = {});

// Encodes equally long columns, one per schema column in order, each of the schema column's type
// (nullability aside: a NOT NULL schema column must have no nulls). Every column is Validate()d; text
// is encoded as given (writers check it first: ColumnVector::ValidateText).
Result<std::vector<uint8_t>> EncodeColumns(const Schema& schema, std::span<const ColumnVector> columns,
                                           CompressionOptions options = {});

// Decodes one RecordBatch message written for `schema` into column vectors (buffers decompressed and
// copied). Validates the framing, the flatbuffer, node and buffer counts against the schema, every
// buffer range inside the body, compressed lengths, offsets and values (ColumnVector::Validate);
// malformed input is a Corruption error (kCorruptRecord), never a crash. Bytes after the message are
// ignored.
Result<std::vector<ColumnVector>> DecodeColumns(const Schema& schema, std::span<const uint8_t> message);

// DecodeColumns, then the rows.
Result<std::vector<GenericRow>> DecodeRecordBatch(const Schema& schema, std::span<const uint8_t> message);

}  // namespace fluss::arrow
