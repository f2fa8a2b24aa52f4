// ColumnVector: one column of a record batch in Arrow's physical layout for the Arrow type its Fluss
// type maps to (docs/formats/arrow.md), ready to be written as IPC body buffers without conversion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fluss/data_type.h"
#include "fluss/row.h"
#include "fluss/status.h"

namespace fluss::arrow {

// The buffers hold values as Arrow stores them:
//   BOOLEAN            values: bit-packed, LSB first, ceil(length / 8) bytes
//   TINYINT..BIGINT    values: int8/16/32/64 LE;  FLOAT/DOUBLE: IEEE 754 LE;  DATE: int32 days
//   DECIMAL(p, s)      values: 16-byte LE two's-complement unscaled integers
//   BINARY(n)          values: n bytes per row
//   CHAR/STRING/BYTES  offsets: length + 1 int32 LE, offsets[0] = 0, non-decreasing; values: the bytes
//   TIME(p)            values: int32 seconds (p = 0) / int32 ms (1-3) / int64 us (4-6) / int64 ns (7-9)
//   TIMESTAMP[_LTZ](p) values: int64 since the epoch in s / ms / us / ns by the same precision bands
// Null slots hold zeros (zero-length for variable-width types).
struct ColumnVector {
  explicit ColumnVector(DataType type);

  DataType type;
  size_t length = 0;
  size_t null_count = 0;
  // Bit i set = row i is valid. Either empty (all rows valid; null_count == 0) or ceil(length / 8) bytes.
  std::vector<uint8_t> validity;
  std::vector<uint8_t> offsets;  // variable-width types only
  std::vector<uint8_t> values;

  bool IsNull(size_t i) const { return !validity.empty() && ((validity[i >> 3] >> (i & 7)) & 1) == 0; }

  // Whether `d` can be appended: ValidateDatum (text aside: TextCheck::kNone), plus the Arrow-side limits (a TIMESTAMP(7..9) must fit
  // int64 nanoseconds, TIMESTAMP(4..6) int64 microseconds, variable-width data at most 2^31 - 1 bytes).
  Status CheckAppend(const Datum& d, std::string_view column_name) const;
  // Appends `d` after CheckAppend; on error nothing is appended.
  Status Append(const Datum& d, std::string_view column_name = "");
  // REQUIRES: CheckAppend(d).ok().
  void AppendUnchecked(const Datum& d);
  void AppendNull();

  // The row-form value of row i: the inverse of Append (precision beyond the type's is dropped).
  // REQUIRES: i < length and Validate().ok().
  Datum Get(size_t i) const;

  // Checks the invariants above: buffer sizes for `length`, offsets, null_count against the bitmap,
  // NOT NULL types without nulls, and that every valid value converts to a valid Datum (DECIMAL within
  // its precision, TIME within a day, timestamps within int64 milliseconds).
  Status Validate(std::string_view column_name = "") const;
  // For CHAR and STRING columns, ValidateText of every valid value (UTF-8, CHAR(n) length), naming the
  // row. REQUIRES: Validate().ok(). Writers check this; encoding and decoding take text as it is.
  Status ValidateText(std::string_view column_name = "") const;

  // Bytes the column's buffers take, unpadded.
  size_t BufferBytes() const { return validity.size() + offsets.size() + values.size(); }
};

// The rows of equally long columns (row i = the i-th value of every column).
Result<std::vector<GenericRow>> ColumnsToRows(std::span<const ColumnVector> columns);

}  // namespace fluss::arrow
