#include "format/kv_record_batch.h"

#include <fmt/format.h>

#include <cassert>
#include <climits>

#include "common/byte_io.h"
#include "common/crc32c.h"
#include "common/varint.h"

namespace fluss {

using namespace kv_batch;  // NOLINT: the layout constants

namespace {

constexpr size_t kRecordLengthSize = 4;

// Reads the record at the front of `in`: its view and its total size (length field included).
Result<KvRecordView> ReadRecord(std::span<const uint8_t> in, size_t* record_size) {
  if (in.size() < kRecordLengthSize) {
    return Status::Corruption(fmt::format("kv record truncated: {} bytes left, need 4 for its length", in.size()));
  }
  const int32_t length = LoadLE<int32_t>(in.data());
  if (length < 0 || static_cast<size_t>(length) > in.size() - kRecordLengthSize) {
    return Status::Corruption(
        fmt::format("kv record length {} does not fit the {} bytes left", length, in.size() - kRecordLengthSize));
  }
  std::span<const uint8_t> body = in.subspan(kRecordLengthSize, static_cast<size_t>(length));
  size_t varint_size = 0;
  auto key_length = varint::GetVarint32(body, &varint_size);
  if (!key_length.ok()) return key_length.status().WithContext("kv record key length");
  if (*key_length == 0) return Status::Corruption("kv record has an empty key");
  if (*key_length > body.size() - varint_size) {
    return Status::Corruption(
        fmt::format("kv record key length {} exceeds the {} bytes left in the record", *key_length,
                    body.size() - varint_size));
  }
  KvRecordView view;
  view.key = body.subspan(varint_size, *key_length);
  const size_t row_offset = varint_size + *key_length;
  if (row_offset < body.size()) view.row = body.subspan(row_offset);
  *record_size = kRecordLengthSize + static_cast<size_t>(length);
  return view;
}

}  // namespace

// ---- KvRecordBatch ----

Result<size_t> KvRecordBatch::PeekSize(std::span<const uint8_t> data) {
  if (data.size() < kLengthFieldSize) {
    return Status::Corruption(fmt::format("kv batch truncated: {} bytes, need at least 4 for the length", data.size()));
  }
  const int32_t length = LoadLE<int32_t>(data.data() + kLengthOffset);
  if (length < static_cast<int32_t>(kHeaderSize - kLengthFieldSize)) {
    return Status::Corruption(
        fmt::format("kv batch length {} is below the header size {}", length, kHeaderSize - kLengthFieldSize));
  }
  return static_cast<size_t>(length) + kLengthFieldSize;
}

Result<KvRecordBatch> KvRecordBatch::Parse(const Buffer& data) {
  FLUSS_ASSIGN_OR_RETURN(size_t size, PeekSize(data.span()));
  if (data.size() < size) {
    return Status::Corruption(fmt::format("kv batch truncated: length says {} bytes, {} present", size, data.size()));
  }
  const auto magic = static_cast<int8_t>(data[kMagicOffset]);
  if (magic != kMagicV0) return Status::Corruption(fmt::format("kv batch: unsupported magic {}", magic));
  KvRecordBatch batch(data.Slice(0, size));
  const uint32_t stored = batch.checksum();
  const uint32_t computed = batch.ComputeChecksum();
  if (stored != computed) {
    return Status::Corruption(
        fmt::format("kv batch: CRC mismatch (stored {:#010x}, computed {:#010x})", stored, computed));
  }
  const int32_t count = batch.record_count();
  if (count < 0) return Status::Corruption(fmt::format("kv batch: negative record count {}", count));
  std::span<const uint8_t> records = batch.bytes_.span().subspan(kHeaderSize);
  size_t pos = 0;
  for (int32_t i = 0; i < count; ++i) {
    size_t record_size = 0;
    auto record = ReadRecord(records.subspan(pos), &record_size);
    if (!record.ok()) {
      return record.status().WithContext(fmt::format("kv batch record {} of {} at byte {}", i, count, kHeaderSize + pos));
    }
    pos += record_size;
  }
  if (pos != records.size()) {
    return Status::Corruption(
        fmt::format("kv batch: {} bytes after the last of {} records", records.size() - pos, count));
  }
  return batch;
}

int8_t KvRecordBatch::magic() const { return static_cast<int8_t>(bytes_[kMagicOffset]); }
uint32_t KvRecordBatch::checksum() const { return LoadLE<uint32_t>(bytes_.data() + kCrcOffset); }
uint32_t KvRecordBatch::ComputeChecksum() const {
  return crc32c::Value(bytes_.data() + kSchemaIdOffset, bytes_.size() - kSchemaIdOffset);
}
int16_t KvRecordBatch::schema_id() const { return LoadLE<int16_t>(bytes_.data() + kSchemaIdOffset); }
uint8_t KvRecordBatch::attributes() const { return bytes_[kAttributesOffset]; }
int64_t KvRecordBatch::writer_id() const { return LoadLE<int64_t>(bytes_.data() + kWriterIdOffset); }
int32_t KvRecordBatch::batch_sequence() const { return LoadLE<int32_t>(bytes_.data() + kBatchSequenceOffset); }
int32_t KvRecordBatch::record_count() const { return LoadLE<int32_t>(bytes_.data() + kRecordCountOffset); }

KvRecordView KvRecordBatch::Iterator::operator*() const {
  size_t record_size = 0;
  auto record = ReadRecord({p_, static_cast<size_t>(end_ - p_)}, &record_size);
  assert(record.ok() && "records were validated by Parse");
  return record.ok() ? *record : KvRecordView{};
}

KvRecordBatch::Iterator& KvRecordBatch::Iterator::operator++() {
  p_ += kRecordLengthSize + static_cast<size_t>(LoadLE<int32_t>(p_));
  return *this;
}

// ---- KvRecordBatchBuilder ----

KvRecordBatchBuilder::KvRecordBatchBuilder(KvRecordBatchBuilderOptions options) : options_(options) {
  bytes_.assign(kHeaderSize, uint8_t{0});
}

size_t KvRecordBatchBuilder::RecordSize(size_t key_size, std::optional<size_t> row_size) {
  return kRecordLengthSize + static_cast<size_t>(varint::EncodedLength64(key_size)) + key_size + row_size.value_or(0);
}

void KvRecordBatchBuilder::SetWriterState(int64_t writer_id, int32_t batch_sequence) {
  options_.writer_id = writer_id;
  options_.batch_sequence = batch_sequence;
}

Status KvRecordBatchBuilder::AppendUpsert(std::span<const uint8_t> key, std::span<const uint8_t> row) {
  if (row.empty()) return Status::Invalid("kv batch: an upsert needs a non-empty row (no row bytes means delete)");
  return Append(key, row);
}

Status KvRecordBatchBuilder::AppendDelete(std::span<const uint8_t> key) { return Append(key, std::nullopt); }

Status KvRecordBatchBuilder::Append(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> row) {
  if (key.empty()) return Status::Invalid("kv batch: a record needs a non-empty key");
  const size_t record_size = RecordSize(key.size(), row ? std::optional<size_t>(row->size()) : std::nullopt);
  if (record_size - kRecordLengthSize > static_cast<size_t>(INT32_MAX) ||
      bytes_.size() + record_size - kLengthFieldSize > static_cast<size_t>(INT32_MAX)) {
    return Status(ErrorCode::kRecordTooLarge,
                  fmt::format("kv batch: a record of {} bytes does not fit a batch of {} bytes", record_size,
                              bytes_.size()));
  }
  if (count_ == INT32_MAX) return Status::Invalid("kv batch: record count overflow");
  ByteWriter w(&bytes_);
  w.WriteLE<int32_t>(static_cast<int32_t>(record_size - kRecordLengthSize));
  varint::PutVarint32(&bytes_, static_cast<uint32_t>(key.size()));
  w.WriteBytes(key);
  if (row) w.WriteBytes(*row);
  ++count_;
  return Status::OK();
}

Result<Buffer> KvRecordBatchBuilder::Build() {
  uint8_t* h = bytes_.data();
  StoreLE<int32_t>(h + kLengthOffset, static_cast<int32_t>(bytes_.size() - kLengthFieldSize));
  StoreLE<int8_t>(h + kMagicOffset, kMagicV0);
  StoreLE<int16_t>(h + kSchemaIdOffset, options_.schema_id);
  StoreLE<uint8_t>(h + kAttributesOffset, 0);
  StoreLE<int64_t>(h + kWriterIdOffset, options_.writer_id);
  StoreLE<int32_t>(h + kBatchSequenceOffset, options_.batch_sequence);
  StoreLE<int32_t>(h + kRecordCountOffset, count_);
  StoreLE<uint32_t>(h + kCrcOffset, crc32c::Value(h + kSchemaIdOffset, bytes_.size() - kSchemaIdOffset));
  Buffer out = Buffer::FromVector(std::move(bytes_));
  bytes_.assign(kHeaderSize, 0);
  count_ = 0;
  return out;
}

}  // namespace fluss
