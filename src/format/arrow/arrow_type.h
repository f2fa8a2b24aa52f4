// The mapping between Fluss data types and Arrow types (Fluss ArrowUtils), and the physical layout of
// each mapped type's Arrow array. Internal to src/format/arrow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "format/arrow/fbs/Schema_generated.h"
#include "types/data_type.h"
#include "types/schema.h"

namespace fluss::arrow {

namespace fb = ::org::apache::arrow::flatbuf;

// How a column's values sit in memory.
enum class ArrowLayout : uint8_t {
  kBitmap,    // BOOLEAN: validity + bit-packed values (LSB first)
  kFixed,     // validity + values of value_width bytes each
  kVariable,  // CHAR/STRING/BYTES: validity + int32 offsets (length + 1) + data
};

ArrowLayout LayoutOf(const DataType& type);
// Bytes per value for kFixed layouts (TIME(0..3) 4, TIME(4..9) 8, DECIMAL 16, BINARY(n) n, ...); 0 otherwise.
size_t ValueWidthOf(const DataType& type);
// Number of body buffers of one column: 2, or 3 for kVariable.
inline size_t BufferCountOf(const DataType& type) { return LayoutOf(type) == ArrowLayout::kVariable ? 3 : 2; }

// Arrow's time unit for TIME(p) / TIMESTAMP(p) / TIMESTAMP_LTZ(p): 0 -> s, 1-3 -> ms, 4-6 -> us, 7-9 -> ns.
fb::TimeUnit TimeUnitForPrecision(int precision);

// The Arrow type a Fluss type maps to, in a comparable form (timezone not included).
struct ArrowTypeDesc {
  fb::Type id = fb::Type::NONE;
  int32_t bit_width = 0;   // Int, Time, Decimal
  bool is_signed = false;  // Int
  fb::Precision float_precision = fb::Precision::HALF;
  fb::TimeUnit time_unit = fb::TimeUnit::SECOND;  // Time, Timestamp
  fb::DateUnit date_unit = fb::DateUnit::DAY;
  int32_t byte_width = 0;  // FixedSizeBinary
  int32_t precision = 0;   // Decimal
  int32_t scale = 0;       // Decimal
  bool operator==(const ArrowTypeDesc&) const = default;
};

ArrowTypeDesc ArrowTypeOf(const DataType& type);

// Describes an Arrow field's type; errors for a missing type table.
Result<ArrowTypeDesc> DescribeFieldType(const fb::Field& field);

// Writes the Arrow Field for a Fluss column: name, nullable, type, and custom metadata
// "fluss.data_type" (the DataType as Fluss JSON) and "fluss.column_id".
flatbuffers::Offset<fb::Field> BuildField(flatbuffers::FlatBufferBuilder& fbb, const Column& column);

// The Fluss column an Arrow field describes. Uses the field's fluss.* metadata when present and
// consistent with the Arrow type; otherwise derives the type from Arrow's (Timestamp with a timezone
// -> TIMESTAMP_LTZ, without -> TIMESTAMP; Time/Timestamp precision 0/3/6/9 from the unit). Arrow types
// without a Fluss counterpart (unsigned ints, half floats, Date64, nested, dictionary-encoded, ...)
// are NotSupported.
Result<Column> ColumnFromField(const fb::Field& field, size_t index);

}  // namespace fluss::arrow
