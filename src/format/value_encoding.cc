#include "format/value_encoding.h"

#include <fmt/format.h>

#include <climits>

#include "common/byte_io.h"
#include "format/compacted_row.h"

namespace fluss {

using kv_value::kSchemaIdSize;

namespace {
constexpr size_t kRecordLengthSize = 4;
}  // namespace

// ---- values ----

std::vector<uint8_t> EncodeKvValue(int16_t schema_id, std::span<const uint8_t> row) {
  std::vector<uint8_t> out;
  out.reserve(kSchemaIdSize + row.size());
  ByteWriter w(&out);
  w.WriteLE<int16_t>(schema_id);
  w.WriteBytes(row);
  return out;
}

Result<std::vector<uint8_t>> EncodeKvValue(int16_t schema_id, const Schema& schema, const GenericRow& row) {
  std::vector<uint8_t> out;
  ByteWriter(&out).WriteLE<int16_t>(schema_id);
  FLUSS_RETURN_NOT_OK(AppendCompactedRow(schema, row, &out));
  return out;
}

Result<KvValueView> ParseKvValue(std::span<const uint8_t> value) {
  if (value.size() <= kSchemaIdSize) {
    return Status::Corruption(
        fmt::format("kv value of {} bytes has no row after its 2-byte schema id", value.size()));
  }
  return KvValueView{LoadLE<int16_t>(value.data()), value.subspan(kSchemaIdSize)};
}

Result<GenericRow> DecodeKvValue(std::span<const uint8_t> value, const Schema& schema) {
  FLUSS_ASSIGN_OR_RETURN(KvValueView view, ParseKvValue(value));
  auto row = DecodeCompactedRow(schema, view.row);
  if (!row.ok()) return row.status().WithContext(fmt::format("kv value of schema {}", view.schema_id));
  return row;
}

// ---- ValueRecordBatch ----

using namespace value_batch;  // NOLINT: the layout constants

Result<ValueRecordBatch> ValueRecordBatch::Parse(const Buffer& data) {
  if (data.size() < kLengthFieldSize) {
    return Status::Corruption(
        fmt::format("value batch truncated: {} bytes, need at least 4 for the length", data.size()));
  }
  const int32_t length = LoadLE<int32_t>(data.data() + kLengthOffset);
  if (length < static_cast<int32_t>(kHeaderSize - kLengthFieldSize)) {
    return Status::Corruption(
        fmt::format("value batch length {} is below the header size {}", length, kHeaderSize - kLengthFieldSize));
  }
  const size_t size = static_cast<size_t>(length) + kLengthFieldSize;
  if (data.size() < size) {
    return Status::Corruption(fmt::format("value batch truncated: length says {} bytes, {} present", size, data.size()));
  }
  const auto magic = static_cast<int8_t>(data[kMagicOffset]);
  if (magic != kMagicV0) return Status::Corruption(fmt::format("value batch: unsupported magic {}", magic));
  ValueRecordBatch batch(data.Slice(0, size));
  const int32_t count = batch.record_count();
  if (count < 0) return Status::Corruption(fmt::format("value batch: negative record count {}", count));
  size_t pos = kHeaderSize;
  for (int32_t i = 0; i < count; ++i) {
    const size_t left = size - pos;
    if (left < kRecordLengthSize) {
      return Status::Corruption(fmt::format("value batch record {} of {} at byte {}: truncated length, {} bytes left",
                                            i, count, pos, left));
    }
    const int32_t record_length = LoadLE<int32_t>(batch.bytes_.data() + pos);
    if (record_length < 0 || static_cast<size_t>(record_length) > left - kRecordLengthSize) {
      return Status::Corruption(
          fmt::format("value batch record {} of {} at byte {}: length {} does not fit the {} bytes left", i, count,
                      pos, record_length, left - kRecordLengthSize));
    }
    auto value = ParseKvValue(batch.bytes_.span().subspan(pos + kRecordLengthSize, static_cast<size_t>(record_length)));
    if (!value.ok()) {
      return value.status().WithContext(fmt::format("value batch record {} of {} at byte {}", i, count, pos));
    }
    pos += kRecordLengthSize + static_cast<size_t>(record_length);
  }
  if (pos != size) {
    return Status::Corruption(fmt::format("value batch: {} bytes after the last of {} records", size - pos, count));
  }
  return batch;
}

int8_t ValueRecordBatch::magic() const { return static_cast<int8_t>(bytes_[kMagicOffset]); }
int32_t ValueRecordBatch::record_count() const { return LoadLE<int32_t>(bytes_.data() + kRecordCountOffset); }

KvValueView ValueRecordBatch::Iterator::operator*() const {
  const auto length = static_cast<size_t>(LoadLE<int32_t>(p_));
  return KvValueView{LoadLE<int16_t>(p_ + kRecordLengthSize),
                     {p_ + kRecordLengthSize + kSchemaIdSize, length - kSchemaIdSize}};
}

ValueRecordBatch::Iterator& ValueRecordBatch::Iterator::operator++() {
  p_ += kRecordLengthSize + static_cast<size_t>(LoadLE<int32_t>(p_));
  return *this;
}

ValueRecordBatchBuilder::ValueRecordBatchBuilder() { bytes_.resize(kHeaderSize, 0); }

Status ValueRecordBatchBuilder::Reserve(size_t value_size) {
  if (value_size > static_cast<size_t>(INT32_MAX) ||
      bytes_.size() + kRecordLengthSize + value_size - kLengthFieldSize > static_cast<size_t>(INT32_MAX)) {
    return Status(ErrorCode::kRecordTooLarge,
                  fmt::format("value batch: a value of {} bytes does not fit a batch of {} bytes", value_size,
                              bytes_.size()));
  }
  if (count_ == INT32_MAX) return Status::Invalid("value batch: record count overflow");
  return Status::OK();
}

Status ValueRecordBatchBuilder::Append(int16_t schema_id, std::span<const uint8_t> row) {
  if (row.empty()) return Status::Invalid("value batch: a record needs a non-empty row");
  FLUSS_RETURN_NOT_OK(Reserve(kSchemaIdSize + row.size()));
  ByteWriter w(&bytes_);
  w.WriteLE<int32_t>(static_cast<int32_t>(kSchemaIdSize + row.size()));
  w.WriteLE<int16_t>(schema_id);
  w.WriteBytes(row);
  ++count_;
  return Status::OK();
}

Status ValueRecordBatchBuilder::AppendValue(std::span<const uint8_t> value) {
  FLUSS_RETURN_NOT_OK(ParseKvValue(value).status());
  FLUSS_RETURN_NOT_OK(Reserve(value.size()));
  ByteWriter w(&bytes_);
  w.WriteLE<int32_t>(static_cast<int32_t>(value.size()));
  w.WriteBytes(value);
  ++count_;
  return Status::OK();
}

Buffer ValueRecordBatchBuilder::Build() {
  StoreLE<int32_t>(bytes_.data() + kLengthOffset, static_cast<int32_t>(bytes_.size() - kLengthFieldSize));
  StoreLE<int8_t>(bytes_.data() + kMagicOffset, kMagicV0);
  StoreLE<int32_t>(bytes_.data() + kRecordCountOffset, count_);
  Buffer out = Buffer::FromVector(std::move(bytes_));
  bytes_.assign(kHeaderSize, 0);
  count_ = 0;
  return out;
}

}  // namespace fluss
