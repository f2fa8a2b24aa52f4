// Avro binary encoding of datums (Avro 1.11 specification, "Binary Encoding"): int and long as
// zig-zag varints, float/double little-endian, bytes/string as long length + bytes, unions as the
// branch index + value, arrays and maps as blocks (count, items; a negative count is followed by the
// block's byte size; a zero count ends the value), fixed as raw bytes, records as their fields in order.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/byte_io.h"
#include "common/status.h"
#include "lake/avro/avro_schema.h"
#include "lake/avro/avro_value.h"

namespace fluss::avro {

// Appends the encoding of `value` as `schema` to `out`. Errors when the value does not fit the schema
// (wrong kind, record field count, fixed size, enum index, no union branch for the value's kind).
// Arrays and maps are written as one block (count, items, 0) when non-empty, else a single 0.
Status EncodeDatum(const AvroNode& schema, const AvroValue& value, std::vector<uint8_t>* out);

// Limits on what a decoder accepts, so that a lying count or length is an error rather than an
// allocation of gigabytes.
struct DecodeLimits {
  int64_t max_items = int64_t{1} << 22;  // array items + map entries, per call
  int max_depth = 64;
};

// Decodes one datum of `schema` from the front of `in`. Every length and count is checked against the
// bytes left; truncated input, a bad union index, an enum index out of range, a varint too long, or an
// invalid boolean byte is a Corruption error.
Result<AvroValue> DecodeDatum(const AvroNode& schema, ByteReader* in, const DecodeLimits& limits = {});

// Raw primitive encodings, shared with the container file code.
void PutLong(std::vector<uint8_t>* out, int64_t v);
void PutString(std::vector<uint8_t>* out, std::string_view s);
Result<int64_t> ReadLong(ByteReader* in, std::string_view what);
Result<int32_t> ReadInt(ByteReader* in, std::string_view what);

}  // namespace fluss::avro
