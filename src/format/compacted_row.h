// COMPACTED row encoding, bit-compatible with Fluss's CompactedRowWriter / CompactedRowReader: the
// row format of KV values, of the records in a KvRecordBatch and of COMPACTED log records
// (docs/formats/kv-formats.md has the bytes).
//
//   null bitset, ceil(arity / 8) bytes: field i is null iff bit (i % 8) of byte (i / 8) is set, least
//   significant bit first; unused high bits of the last byte are 0. (reference/fluss.md §3.3 only says
//   "bit i set = field i null"; the byte and bit order are those of Fluss's UnsafeUtils.bitSet /
//   BinarySegmentUtils.bitGet: byte i >>> 3, mask 1 << (i & 7).) Null fields have no payload. Then
//   each non-null field in order:
//     BOOLEAN 1 byte (0/1) | TINYINT 1 byte | SMALLINT 2 bytes LE | FLOAT / DOUBLE 4 / 8 raw LE bytes
//     INT, DATE (days), TIME (ms of day): unsigned LEB128 of the 32-bit two's-complement value (no
//       zig-zag: a negative value takes 5 bytes)
//     BIGINT: unsigned LEB128 of the 64-bit value (negative: 10 bytes)
//     CHAR / STRING / BINARY / BYTES: varint length + bytes (CHAR(n) and BINARY(n) carry a length too)
//     DECIMAL(p, s): p <= 18 -> varint-long of the unscaled value; else varint length + the unscaled
//       value as minimal big-endian two's-complement bytes (Java BigInteger.toByteArray)
//     TIMESTAMP(p) / TIMESTAMP_LTZ(p): p <= 3 -> varint-long epoch millis; else varint-long millis +
//       varint-int nano-of-millisecond
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "types/data_type.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss {

namespace compacted {

constexpr int kMaxCompactDecimalPrecision = 18;   // Decimal.isCompact: unscaled value as a varint-long
constexpr int kMaxCompactTimestampPrecision = 3;  // TimestampNtz/Ltz.isCompact: millis only
constexpr size_t kMaxDecimalBytes = 16;           // 10^38 fits in 16 two's-complement bytes

constexpr size_t NullBitsetSize(size_t arity) { return (arity + 7) / 8; }

// The field-level codec shared by CompactedRow and CompactedKey.
//
// Appends a non-null `value` of `type`. REQUIRES: ValidateDatum(value, type, ...) is OK and value is
// not null. Nanoseconds of a TIMESTAMP with precision <= 3 are dropped, as Fluss drops them.
void AppendField(const DataType& type, const Datum& value, std::vector<uint8_t>* out);

// Reads one non-null field of `type` from `in` at `*pos` and advances `*pos`. Every length and varint
// is checked against the bytes left; the value is checked against the type (BOOLEAN 0/1, DECIMAL
// within its precision, TIME within the day, nanos 0..999999, BINARY(n) exactly n bytes); text is
// returned as stored (ValidateText is the writers' check). Errors are CORRUPT_RECORD naming `column`.
Result<Datum> ReadField(const DataType& type, std::span<const uint8_t> in, size_t* pos, std::string_view column);

}  // namespace compacted

// Encodes `row` (validated against the column types first: alternatives, NOT NULL, ranges; text is
// encoded as given, see ValidateText). Errors name the column. The `types` overloads name fields by position ("#2").
Result<std::vector<uint8_t>> EncodeCompactedRow(const Schema& schema, const GenericRow& row);
Result<std::vector<uint8_t>> EncodeCompactedRow(std::span<const DataType> types, const GenericRow& row);
// Appends the encoding to `out`; nothing is appended on error.
Status AppendCompactedRow(const Schema& schema, const GenericRow& row, std::vector<uint8_t>* out);

// Decodes a row of exactly `bytes`: the null bitset (no bit set for a NOT NULL column or past the
// arity), every field checked, no trailing bytes. Errors are CORRUPT_RECORD.
Result<GenericRow> DecodeCompactedRow(const Schema& schema, std::span<const uint8_t> bytes);
Result<GenericRow> DecodeCompactedRow(std::span<const DataType> types, std::span<const uint8_t> bytes);

}  // namespace fluss
