// KvRecordBatch: the upserts and deletes a client sends for one bucket of a primary-key table
// (PutKv), bit-compatible with Fluss's DefaultKvRecordBatch / DefaultKvRecord
// (docs/formats/kv-formats.md has the bytes).
//
// Header, 28 little-endian bytes:
//   Length int32 @0 (= batch size - 4) | Magic int8 @4 (0) | CRC uint32 @5 (CRC-32C of bytes SchemaId..end)
//   SchemaId int16 @9 | Attributes int8 @11 (0) | WriterId int64 @12 (-1 if none)
//   BatchSequence int32 @20 (-1 if none) | RecordCount int32 @24 | records @28
// Each KvRecord: Length int32 (bytes after this field) | key length, unsigned varint | key bytes |
// row bytes (a row in the table's kv format, COMPACTED here) - no row bytes at all means delete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"

namespace fluss {

namespace kv_batch {
constexpr size_t kLengthOffset = 0;
constexpr size_t kMagicOffset = 4;
constexpr size_t kCrcOffset = 5;
constexpr size_t kSchemaIdOffset = 9;
constexpr size_t kAttributesOffset = 11;
constexpr size_t kWriterIdOffset = 12;
constexpr size_t kBatchSequenceOffset = 20;
constexpr size_t kRecordCountOffset = 24;
constexpr size_t kHeaderSize = 28;
constexpr size_t kLengthFieldSize = 4;  // the bytes Length does not count (KV_OVERHEAD)
constexpr int8_t kMagicV0 = 0;
constexpr int64_t kNoWriterId = -1;
constexpr int32_t kNoBatchSequence = -1;
}  // namespace kv_batch

// One record of a parsed batch; the spans point into the batch's bytes.
struct KvRecordView {
  std::span<const uint8_t> key;
  std::optional<std::span<const uint8_t>> row;  // nullopt: delete the key
  bool is_delete() const { return !row.has_value(); }
};

// A validated, immutable view of one batch. Parse checks the length, magic, CRC, record count and
// every record's lengths before anything reads the records, so iterating cannot fail.
class KvRecordBatch {
 public:
  // Parses the batch at the front of `data` (which may hold more bytes after it). Every failure is a
  // CORRUPT_RECORD error naming the reason.
  static Result<KvRecordBatch> Parse(const Buffer& data);
  // Total size from the Length field; an error when fewer than 4 bytes are there or the length is
  // below the header size.
  static Result<size_t> PeekSize(std::span<const uint8_t> data);

  size_t size_in_bytes() const { return bytes_.size(); }
  int8_t magic() const;
  uint32_t checksum() const;         // stored CRC
  uint32_t ComputeChecksum() const;  // CRC-32C of SchemaId..end
  int16_t schema_id() const;
  uint8_t attributes() const;
  int64_t writer_id() const;
  int32_t batch_sequence() const;
  int32_t record_count() const;
  const Buffer& bytes() const { return bytes_; }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = KvRecordView;
    using difference_type = std::ptrdiff_t;
    using pointer = const KvRecordView*;
    using reference = KvRecordView;

    Iterator() = default;
    KvRecordView operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator it = *this;
      ++*this;
      return it;
    }
    bool operator==(const Iterator& o) const { return p_ == o.p_; }

   private:
    friend class KvRecordBatch;
    Iterator(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
    const uint8_t* p_ = nullptr;
    const uint8_t* end_ = nullptr;
  };
  Iterator begin() const { return Iterator(bytes_.data() + kv_batch::kHeaderSize, bytes_.data() + bytes_.size()); }
  Iterator end() const { return Iterator(bytes_.data() + bytes_.size(), bytes_.data() + bytes_.size()); }

 private:
  explicit KvRecordBatch(Buffer bytes) : bytes_(std::move(bytes)) {}
  Buffer bytes_;
};

struct KvRecordBatchBuilderOptions {
  int16_t schema_id = 0;
  int64_t writer_id = kv_batch::kNoWriterId;
  int32_t batch_sequence = kv_batch::kNoBatchSequence;
};

// Builds one batch from encoded keys (CompactedKey) and rows (COMPACTED). Not thread-safe.
class KvRecordBatchBuilder {
 public:
  explicit KvRecordBatchBuilder(KvRecordBatchBuilderOptions options);

  // Bytes one record adds to the batch.
  static size_t RecordSize(size_t key_size, std::optional<size_t> row_size);

  // Appends an upsert of `key` to `row`. The key and the row must not be empty (an empty row would
  // read back as a delete). Nothing is appended on error.
  Status AppendUpsert(std::span<const uint8_t> key, std::span<const uint8_t> row);
  // Appends a delete of `key` (a record with no row bytes).
  Status AppendDelete(std::span<const uint8_t> key);

  // The writer state can be set until Build (Fluss assigns it when the batch is drained).
  void SetWriterState(int64_t writer_id, int32_t batch_sequence);

  size_t num_records() const { return static_cast<size_t>(count_); }
  size_t size_in_bytes() const { return bytes_.size(); }

  // Writes the header (length, count, CRC) and returns the batch; the builder is then empty again,
  // with the same options.
  Result<Buffer> Build();

 private:
  Status Append(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> row);

  KvRecordBatchBuilderOptions options_;
  std::vector<uint8_t> bytes_;
  int32_t count_ = 0;
};

}  // namespace fluss
