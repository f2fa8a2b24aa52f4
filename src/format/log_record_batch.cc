#include "format/log_record_batch.h"

#include <fmt/format.h>

#include "common/byte_io.h"
#include "common/crc32c.h"

namespace fluss {

using namespace log_batch;  // NOLINT: the layout constants

// ---- LogRecordBatch ----

Result<size_t> LogRecordBatch::PeekSize(std::span<const uint8_t> data) {
  if (data.size() < kLogOverhead) {
    return Status::Corruption(fmt::format("log batch truncated: {} bytes, need at least {} for offset and length",
                                          data.size(), kLogOverhead));
  }
  int32_t length = LoadLE<int32_t>(data.data() + kLengthOffset);
  if (length < static_cast<int32_t>(kHeaderSizeV0 - kLogOverhead)) {
    return Status::Corruption(fmt::format("log batch length {} is below the header size {}", length,
                                          kHeaderSizeV0 - kLogOverhead));
  }
  return static_cast<size_t>(length) + kLogOverhead;
}

Result<LogRecordBatch> LogRecordBatch::Parse(const Buffer& data, bool verify_crc) {
  FLUSS_ASSIGN_OR_RETURN(size_t size, PeekSize(data.span()));
  const int64_t base_offset = LoadLE<int64_t>(data.data());
  if (data.size() < size) {
    return Status::Corruption(fmt::format("log batch at offset {} truncated: length says {} bytes, {} present",
                                          base_offset, size, data.size()));
  }
  const int8_t magic = static_cast<int8_t>(data[kMagicOffset]);
  size_t records_offset = kHeaderSizeV0;
  if (magic == kMagicV1) {
    if (size < kHeaderSizeV1) {
      return Status::Corruption(fmt::format("V1 log batch at offset {} is {} bytes, below its header size", base_offset, size));
    }
    int32_t stats_len = LoadLE<int32_t>(data.data() + kStatisticsLengthOffsetV1);
    if (stats_len < 0 || static_cast<size_t>(stats_len) > size - kHeaderSizeV1) {
      return Status::Corruption(fmt::format("log batch at offset {}: statistics length {} out of range", base_offset, stats_len));
    }
    records_offset = kHeaderSizeV1 + static_cast<size_t>(stats_len);
  } else if (magic != kMagicV0) {
    return Status::Corruption(fmt::format("log batch at offset {}: unsupported magic {}", base_offset, magic));
  }
  LogRecordBatch batch(data.Slice(0, size), records_offset);
  if (verify_crc) {
    uint32_t stored = batch.checksum();
    uint32_t computed = batch.ComputeChecksum();
    if (stored != computed) {
      return Status::Corruption(fmt::format("log batch at offset {}: CRC mismatch (stored {:#010x}, computed {:#010x})",
                                            base_offset, stored, computed));
    }
  }
  const int32_t count = batch.record_count();
  const int32_t delta = batch.last_offset_delta();
  if (count < 0 || delta < 0 || (count > 0 && delta != count - 1) || (count == 0 && delta != 0)) {
    return Status::Corruption(fmt::format("log batch at offset {}: record count {} and last offset delta {} disagree",
                                          base_offset, count, delta));
  }
  if (!batch.is_append_only() && static_cast<size_t>(count) > size - records_offset) {
    return Status::Corruption(fmt::format("log batch at offset {}: {} change types do not fit in {} record bytes",
                                          base_offset, count, size - records_offset));
  }
  return batch;
}

int64_t LogRecordBatch::base_offset() const { return LoadLE<int64_t>(bytes_.data() + kBaseOffsetOffset); }
int8_t LogRecordBatch::magic() const { return static_cast<int8_t>(bytes_[kMagicOffset]); }
int64_t LogRecordBatch::commit_timestamp() const { return LoadLE<int64_t>(bytes_.data() + kCommitTimestampOffset); }
uint32_t LogRecordBatch::checksum() const { return LoadLE<uint32_t>(bytes_.data() + kCrcOffset); }
uint32_t LogRecordBatch::ComputeChecksum() const {
  return crc32c::Value(bytes_.data() + kSchemaIdOffset, bytes_.size() - kSchemaIdOffset);
}
int16_t LogRecordBatch::schema_id() const { return LoadLE<int16_t>(bytes_.data() + kSchemaIdOffset); }
uint8_t LogRecordBatch::attributes() const { return bytes_[kAttributesOffset]; }
int32_t LogRecordBatch::last_offset_delta() const { return LoadLE<int32_t>(bytes_.data() + kLastOffsetDeltaOffset); }
int64_t LogRecordBatch::writer_id() const { return LoadLE<int64_t>(bytes_.data() + kWriterIdOffset); }
int32_t LogRecordBatch::batch_sequence() const { return LoadLE<int32_t>(bytes_.data() + kBatchSequenceOffset); }
int32_t LogRecordBatch::record_count() const { return LoadLE<int32_t>(bytes_.data() + kRecordCountOffset); }

Buffer LogRecordBatch::change_type_bytes() const {
  if (is_append_only()) return Buffer();
  return bytes_.Slice(records_offset_, static_cast<size_t>(record_count()));
}

Buffer LogRecordBatch::arrow_message() const {
  if (record_count() == 0) return Buffer();
  size_t start = records_offset_ + (is_append_only() ? 0 : static_cast<size_t>(record_count()));
  return bytes_.Slice(start);
}

Result<std::vector<LogRecord>> LogRecordBatch::ReadRecords(const Schema& schema) const {
  std::vector<LogRecord> out;
  const int32_t count = record_count();
  if (count == 0) return out;
  Buffer message = arrow_message();
  FLUSS_ASSIGN_OR_RETURN(std::vector<GenericRow> rows, arrow::DecodeRecordBatch(schema, message.span()));
  if (rows.size() != static_cast<size_t>(count)) {
    return Status::Corruption(fmt::format("log batch at offset {}: header says {} records, Arrow batch has {} rows",
                                          base_offset(), count, rows.size()));
  }
  Buffer change_types = change_type_bytes();
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ChangeType ct = ChangeType::kAppendOnly;
    if (!change_types.empty()) {
      FLUSS_ASSIGN_OR_RETURN(ct, ChangeTypeFromByte(change_types[i]));
    }
    out.push_back(LogRecord{base_offset() + static_cast<int64_t>(i), commit_timestamp(), ct, std::move(rows[i])});
  }
  return out;
}

Result<std::vector<LogRecordBatch>> ParseLogRecordBatches(const Buffer& data, bool verify_crc,
                                                          bool allow_partial_tail) {
  std::vector<LogRecordBatch> out;
  size_t pos = 0;
  while (pos < data.size()) {
    Buffer rest = data.Slice(pos);
    if (allow_partial_tail) {
      if (rest.size() < kLogOverhead) break;
      auto size = LogRecordBatch::PeekSize(rest.span());
      if (size.ok() && *size > rest.size()) break;
    }
    auto batch = LogRecordBatch::Parse(rest, verify_crc);
    if (!batch.ok()) return batch.status().WithContext(fmt::format("at byte {}", pos));
    pos += batch->size_in_bytes();
    out.push_back(std::move(batch).value());
  }
  return out;
}

// ---- LogRecordBatchBuilder ----

namespace {

// A cheap upper-bound-ish guess of the Arrow bytes one row adds.
size_t EstimateRowSize(const GenericRow& row) {
  size_t n = 0;
  for (const auto& d : row.fields()) {
    if (const auto* s = std::get_if<std::string>(&d)) {
      n += s->size() + 4;
    } else if (std::holds_alternative<DecimalValue>(d)) {
      n += 16;
    } else {
      n += 8;
    }
    n += 1;  // validity bit, rounded up generously
  }
  return n;
}

}  // namespace

LogRecordBatchBuilder::LogRecordBatchBuilder(const Schema& schema, LogRecordBatchBuilderOptions options)
    : schema_(schema), options_(options), arrow_builder_(schema, options.compression) {}

size_t LogRecordBatchBuilder::EstimatedSizeInBytes() const {
  return kHeaderSizeV0 + (options_.append_only ? 0 : change_types_.size()) +
         (change_types_.empty() ? 0 : arrow_builder_.EstimatedSizeInBytes());
}

bool LogRecordBatchBuilder::HasRoomFor(const GenericRow& row) const {
  if (change_types_.empty()) return true;
  return EstimatedSizeInBytes() + EstimateRowSize(row) + 1 <= options_.max_batch_bytes;
}

Status LogRecordBatchBuilder::Append(ChangeType change_type, const GenericRow& row) {
  if (options_.append_only && change_type != ChangeType::kAppendOnly) {
    return Status::Invalid(fmt::format("append-only batch cannot hold a {} record", ChangeTypeShortString(change_type)));
  }
  if (!options_.append_only && change_type == ChangeType::kAppendOnly) {
    return Status::Invalid("changelog batch records need a change type other than +A");
  }
  if (change_types_.size() >= static_cast<size_t>(INT32_MAX)) return Status::Invalid("log batch record count overflow");
  FLUSS_RETURN_NOT_OK(arrow_builder_.Append(row));
  change_types_.push_back(static_cast<uint8_t>(change_type));
  return Status::OK();
}

Result<Buffer> LogRecordBatchBuilder::Build() {
  const int32_t count = static_cast<int32_t>(change_types_.size());
  std::vector<uint8_t> arrow_message;
  if (count > 0) {
    FLUSS_ASSIGN_OR_RETURN(arrow_message, arrow_builder_.Finish());
  }
  auto out = WrapArrowMessage(arrow_message, count, options_.append_only ? std::span<const uint8_t>() : change_types_,
                              options_);
  change_types_.clear();
  return out;
}

Result<Buffer> WrapArrowMessage(std::span<const uint8_t> arrow_message, int32_t count,
                                std::span<const uint8_t> change_types, const LogRecordBatchBuilderOptions& options) {
  if (!options.append_only && change_types.size() != static_cast<size_t>(count)) {
    return Status::Invalid(fmt::format("changelog batch of {} rows has {} change types", count, change_types.size()));
  }
  std::vector<uint8_t> out;
  out.reserve(kHeaderSizeV0 + (options.append_only ? 0 : change_types.size()) + arrow_message.size());
  ByteWriter w(&out);
  w.WriteLE<int64_t>(0);  // base offset: assigned by the server
  w.WriteLE<int32_t>(0);  // length: patched below
  w.WriteLE<int8_t>(kMagicV0);
  w.WriteLE<int64_t>(0);   // commit timestamp: assigned by the server
  w.WriteLE<uint32_t>(0);  // CRC: patched below
  w.WriteLE<int16_t>(options.schema_id);
  w.WriteLE<uint8_t>(options.append_only ? kAppendOnlyFlag : 0);
  w.WriteLE<int32_t>(count > 0 ? count - 1 : 0);
  w.WriteLE<int64_t>(options.writer_id);
  w.WriteLE<int32_t>(options.batch_sequence);
  w.WriteLE<int32_t>(count);
  if (!options.append_only) w.WriteBytes(change_types.data(), change_types.size());
  if (count > 0) w.WriteBytes(arrow_message.data(), arrow_message.size());
  if (out.size() - kLogOverhead > static_cast<size_t>(INT32_MAX)) {
    return Status(ErrorCode::kRecordTooLarge, fmt::format("log batch of {} bytes is too large", out.size()));
  }
  StoreLE<int32_t>(out.data() + kLengthOffset, static_cast<int32_t>(out.size() - kLogOverhead));
  StoreLE<uint32_t>(out.data() + kCrcOffset, crc32c::Value(out.data() + kSchemaIdOffset, out.size() - kSchemaIdOffset));
  return Buffer::FromVector(std::move(out));
}

// ---- server-side helpers ----

void AssignOffsetAndTimestamp(std::span<uint8_t> batch, int64_t base_offset, int64_t commit_timestamp) {
  StoreLE<int64_t>(batch.data() + kBaseOffsetOffset, base_offset);
  StoreLE<int64_t>(batch.data() + kCommitTimestampOffset, commit_timestamp);
}

Result<Buffer> ProjectLogRecordBatch(const LogRecordBatch& batch, const Schema& schema,
                                     std::span<const size_t> columns) {
  std::vector<uint8_t> projected_arrow;
  if (batch.record_count() > 0) {
    FLUSS_ASSIGN_OR_RETURN(projected_arrow, arrow::ProjectRecordBatch(schema, batch.arrow_message().span(), columns));
  } else {
    // Validate the projection even when there is nothing to cut.
    std::vector<size_t> cols(columns.begin(), columns.end());
    FLUSS_RETURN_NOT_OK(schema.Project(cols).status());
  }
  Buffer change_types = batch.change_type_bytes();
  std::vector<uint8_t> out;
  out.reserve(kHeaderSizeV0 + change_types.size() + projected_arrow.size());
  // The V0 header, whatever the input magic: statistics are dropped by projection.
  out.insert(out.end(), batch.bytes().data(), batch.bytes().data() + kHeaderSizeV0);
  out[kMagicOffset] = static_cast<uint8_t>(kMagicV0);
  out.insert(out.end(), change_types.data(), change_types.data() + change_types.size());
  out.insert(out.end(), projected_arrow.begin(), projected_arrow.end());
  StoreLE<int32_t>(out.data() + kLengthOffset, static_cast<int32_t>(out.size() - kLogOverhead));
  return Buffer::FromVector(std::move(out));
}

}  // namespace fluss
