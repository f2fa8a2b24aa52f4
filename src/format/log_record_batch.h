// The log record batch: the unit a log stores on disk and ships on the wire, bit-compatible with
// Fluss (docs/formats/log-record-batch.md has the bytes).
//
// V0 header, 48 little-endian bytes:
//   BaseOffset int64 @0 | Length int32 @8 (= batch size - 12) | Magic int8 @12 | CommitTimestamp int64 @13
//   CRC uint32 @21 (CRC-32C of bytes SchemaId..end) | SchemaId int16 @25 | Attributes int8 @27 (bit 0 append-only)
//   LastOffsetDelta int32 @28 | WriterId int64 @32 | BatchSequence int32 @40 | RecordCount int32 @44
// V1 adds StatisticsLength int32 @48 and the statistics bytes before the records.
// Records of an ARROW batch: a change-type byte per row unless append-only, then one Arrow IPC
// RecordBatch message (no schema message). A zero-row batch has no Arrow message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"
#include "format/arrow/arrow_ipc.h"
#include "format/change_type.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss {

namespace log_batch {
constexpr size_t kBaseOffsetOffset = 0;
constexpr size_t kLengthOffset = 8;
constexpr size_t kMagicOffset = 12;
constexpr size_t kCommitTimestampOffset = 13;
constexpr size_t kCrcOffset = 21;
constexpr size_t kSchemaIdOffset = 25;
constexpr size_t kAttributesOffset = 27;
constexpr size_t kLastOffsetDeltaOffset = 28;
constexpr size_t kWriterIdOffset = 32;
constexpr size_t kBatchSequenceOffset = 40;
constexpr size_t kRecordCountOffset = 44;
constexpr size_t kHeaderSizeV0 = 48;
constexpr size_t kStatisticsLengthOffsetV1 = 48;
constexpr size_t kHeaderSizeV1 = 52;
constexpr size_t kLogOverhead = 12;  // BaseOffset + Length: the bytes Length does not count
constexpr int8_t kMagicV0 = 0;
constexpr int8_t kMagicV1 = 1;
constexpr uint8_t kAppendOnlyFlag = 0x01;
constexpr int64_t kNoWriterId = -1;
constexpr int32_t kNoBatchSequence = -1;
constexpr size_t kDefaultMaxBatchBytes = 2 * 1024 * 1024;  // client.writer.batch-size
}  // namespace log_batch

// One record read back from a batch.
struct LogRecord {
  int64_t offset = 0;
  int64_t timestamp = 0;  // the batch's commit timestamp
  ChangeType change_type = ChangeType::kAppendOnly;
  GenericRow row;
};

// A validated, immutable view of one batch. Parse checks the header, the length, the magic and the
// CRC before anything else reads the batch.
class LogRecordBatch {
 public:
  // Parses the batch at the front of `data` (which may hold more batches after it). With
  // `verify_crc` false the CRC is not checked (projected batches carry the original CRC).
  static Result<LogRecordBatch> Parse(const Buffer& data, bool verify_crc = true);

  // Total size of the batch at the front of `data` from its Length field, without validating the
  // rest; an error when fewer than 12 bytes are there or the length is below the header size.
  static Result<size_t> PeekSize(std::span<const uint8_t> data);

  int64_t base_offset() const;
  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  int64_t next_offset() const { return last_offset() + 1; }
  size_t size_in_bytes() const { return bytes_.size(); }
  int8_t magic() const;
  int64_t commit_timestamp() const;
  uint32_t checksum() const;          // stored CRC
  uint32_t ComputeChecksum() const;   // CRC-32C of SchemaId..end
  int16_t schema_id() const;
  uint8_t attributes() const;
  bool is_append_only() const { return (attributes() & log_batch::kAppendOnlyFlag) != 0; }
  int32_t last_offset_delta() const;
  int64_t writer_id() const;
  int32_t batch_sequence() const;
  int32_t record_count() const;

  const Buffer& bytes() const { return bytes_; }
  // Change-type bytes, or empty for an append-only batch.
  Buffer change_type_bytes() const;
  // The Arrow RecordBatch message, empty for a zero-row batch.
  Buffer arrow_message() const;

  // Decodes every record; `schema` must be the schema of schema_id(). The Arrow row count must
  // equal the record count.
  Result<std::vector<LogRecord>> ReadRecords(const Schema& schema) const;

 private:
  explicit LogRecordBatch(Buffer bytes, size_t records_offset) : bytes_(std::move(bytes)), records_offset_(records_offset) {}

  Buffer bytes_;
  size_t records_offset_ = log_batch::kHeaderSizeV0;
};

// Splits a buffer of concatenated batches (a segment region or a fetch response) into batches,
// validating each. A partial batch at the end is an error unless `allow_partial_tail`, in which case
// it is left out (a fetch may cut the last batch at max bytes).
Result<std::vector<LogRecordBatch>> ParseLogRecordBatches(const Buffer& data, bool verify_crc = true,
                                                          bool allow_partial_tail = false);

struct LogRecordBatchBuilderOptions {
  int16_t schema_id = 0;
  arrow::CompressionOptions compression;
  size_t max_batch_bytes = log_batch::kDefaultMaxBatchBytes;
  bool append_only = true;  // false: a change-type byte per row (primary-key changelogs)
  int64_t writer_id = log_batch::kNoWriterId;
  int32_t batch_sequence = log_batch::kNoBatchSequence;
};

// Builds one V0 ARROW batch from rows. Base offset and commit timestamp are written as 0: the
// server assigns them on append (they are outside the CRC).
class LogRecordBatchBuilder {
 public:
  LogRecordBatchBuilder(const Schema& schema, LogRecordBatchBuilderOptions options);

  // True when `row` fits under max_batch_bytes (estimated); the first row always fits, so a row
  // larger than the limit makes a batch of its own.
  bool HasRoomFor(const GenericRow& row) const;
  // Appends the row as +A (append-only builders) or with `change_type`. Nothing is appended on error.
  Status Append(const GenericRow& row) { return Append(ChangeType::kAppendOnly, row); }
  Status Append(ChangeType change_type, const GenericRow& row);

  size_t num_records() const { return change_types_.size(); }
  size_t EstimatedSizeInBytes() const;

  // Encodes the batch and resets the builder for the next one (same options).
  Result<Buffer> Build();

 private:
  const Schema& schema_;
  LogRecordBatchBuilderOptions options_;
  arrow::RecordBatchBuilder arrow_builder_;
  std::vector<uint8_t> change_types_;
};

// Wraps an encoded Arrow RecordBatch message of `count` rows (e.g. from arrow::EncodeColumns) into a
// V0 batch with `options`' schema id, writer id and sequence; `change_types` (one byte per row) only
// for non-append-only batches. A zero-row batch carries no Arrow message.
Result<Buffer> WrapArrowMessage(std::span<const uint8_t> arrow_message, int32_t count,
                                std::span<const uint8_t> change_types, const LogRecordBatchBuilderOptions& options);

// Server side: rewrites BaseOffset and CommitTimestamp in place (outside the CRC, so the CRC stays
// valid). REQUIRES: `batch` holds at least the V0 header.
void AssignOffsetAndTimestamp(std::span<uint8_t> batch, int64_t base_offset, int64_t commit_timestamp);

// Column projection on the encoded batch: header and change-type vector copied, the Arrow message
// cut down to `columns` (Arrow buffers copied, no row decoding), Length patched, statistics dropped.
// The CRC is not recomputed: readers parse projected batches with verify_crc = false.
Result<Buffer> ProjectLogRecordBatch(const LogRecordBatch& batch, const Schema& schema,
                                     std::span<const size_t> columns);

}  // namespace fluss
