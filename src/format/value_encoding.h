// Values of a primary-key table as Fluss stores them in RocksDB and returns them from lookups, and the
// ValueRecordBatch that carries them in LimitScan / ScanKv responses (Fluss's ValueEncoder /
// ValueDecoder, DefaultValueRecordBatch, DefaultValueRecord; kv format versions 1 and 2).
// docs/formats/kv-formats.md has the bytes.
//
// Value: SchemaId int16 LE | row bytes (COMPACTED row of that schema).
// ValueRecordBatch, little-endian: Length int32 @0 (= batch size - 4) | Magic int8 @4 (0) |
//   RecordCount int32 @5 | records @9; each ValueRecord: Length int32 (bytes after it) | a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss {

namespace kv_value {
constexpr size_t kSchemaIdSize = 2;
}  // namespace kv_value

// A parsed value; `row` points into the value's bytes.
struct KvValueView {
  int16_t schema_id = 0;
  std::span<const uint8_t> row;
};

// schema id + row bytes. REQUIRES: `row` is a non-empty encoded row.
std::vector<uint8_t> EncodeKvValue(int16_t schema_id, std::span<const uint8_t> row);
// Encodes `row` as a COMPACTED row of `schema` (validated) behind `schema_id`.
Result<std::vector<uint8_t>> EncodeKvValue(int16_t schema_id, const Schema& schema, const GenericRow& row);

// Splits a value into schema id and row bytes; CORRUPT_RECORD when it has no row bytes.
Result<KvValueView> ParseKvValue(std::span<const uint8_t> value);
// Parses and decodes the row with `schema`, which must be the schema of the value's schema id
// (the caller looks it up from ParseKvValue(value)->schema_id when schemas evolve).
Result<GenericRow> DecodeKvValue(std::span<const uint8_t> value, const Schema& schema);

namespace value_batch {
constexpr size_t kLengthOffset = 0;
constexpr size_t kMagicOffset = 4;
constexpr size_t kRecordCountOffset = 5;
constexpr size_t kHeaderSize = 9;
constexpr size_t kLengthFieldSize = 4;
constexpr int8_t kMagicV0 = 0;
}  // namespace value_batch

// A validated, immutable view of one ValueRecordBatch: Parse checks the length, magic, record count
// and every record's length and schema id field, so iterating cannot fail.
class ValueRecordBatch {
 public:
  // Parses the batch at the front of `data` (more bytes may follow). Errors are CORRUPT_RECORD.
  static Result<ValueRecordBatch> Parse(const Buffer& data);

  size_t size_in_bytes() const { return bytes_.size(); }
  int8_t magic() const;
  int32_t record_count() const;
  const Buffer& bytes() const { return bytes_; }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = KvValueView;
    using difference_type = std::ptrdiff_t;
    using pointer = const KvValueView*;
    using reference = KvValueView;

    Iterator() = default;
    KvValueView operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator it = *this;
      ++*this;
      return it;
    }
    bool operator==(const Iterator& o) const { return p_ == o.p_; }

   private:
    friend class ValueRecordBatch;
    explicit Iterator(const uint8_t* p) : p_(p) {}
    const uint8_t* p_ = nullptr;
  };
  Iterator begin() const { return Iterator(bytes_.data() + value_batch::kHeaderSize); }
  Iterator end() const { return Iterator(bytes_.data() + bytes_.size()); }

 private:
  explicit ValueRecordBatch(Buffer bytes) : bytes_(std::move(bytes)) {}
  Buffer bytes_;
};

// Builds one ValueRecordBatch. Not thread-safe.
class ValueRecordBatchBuilder {
 public:
  ValueRecordBatchBuilder();

  // Appends a record of `schema_id` and encoded `row` (non-empty).
  Status Append(int16_t schema_id, std::span<const uint8_t> row);
  // Appends a stored value (schema id + row, e.g. straight from RocksDB), checked by ParseKvValue.
  Status AppendValue(std::span<const uint8_t> value);

  size_t num_records() const { return static_cast<size_t>(count_); }
  size_t size_in_bytes() const { return bytes_.size(); }

  // Writes the header and returns the batch; the builder is then empty again.
  Buffer Build();

 private:
  Status Reserve(size_t value_size);

  std::vector<uint8_t> bytes_;
  int32_t count_ = 0;
};

}  // namespace fluss
