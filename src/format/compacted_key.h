// CompactedKey: the encoding of primary keys and bucket keys, bit-compatible with Fluss's
// CompactedKeyEncoder / CompactedKeyWriter. The key columns, in key order, each in the COMPACTED field
// encoding (format/compacted_row.h) with no null bitset; key columns are never null. These bytes are
// the RocksDB key of a primary-key table and the input of the bucketing hash (format/bucketing.h).
// docs/formats/kv-formats.md has the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "types/data_type.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss {

// Encodes the columns `key_indexes` (into `schema`, in key order) of a full-schema `row`. Errors name
// the column: a null key value, a value of the wrong type or out of range, an index out of range.
Result<std::vector<uint8_t>> EncodeCompactedKey(const Schema& schema, std::span<const size_t> key_indexes,
                                                const GenericRow& row);
// Encodes `key_row`, which holds only the key values, in key order, typed `key_types`.
Result<std::vector<uint8_t>> EncodeCompactedKey(std::span<const DataType> key_types, const GenericRow& key_row);

// Decodes exactly `key` into a row of the key columns only (arity key_indexes.size(), key order).
// Every length and varint is checked; trailing bytes are an error. Errors are CORRUPT_RECORD.
Result<GenericRow> DecodeCompactedKey(const Schema& schema, std::span<const size_t> key_indexes,
                                      std::span<const uint8_t> key);
Result<GenericRow> DecodeCompactedKey(std::span<const DataType> key_types, std::span<const uint8_t> key);

}  // namespace fluss
