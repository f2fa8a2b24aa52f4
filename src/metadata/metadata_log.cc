#include "metadata/metadata_log.h"

#include <fmt/format.h>

#include <limits>
#include <optional>

#include "common/byte_io.h"
#include "common/crc32c.h"

namespace fluss {
namespace {

constexpr std::string_view kHeaderVersionPrefix = "fluss-metadata-log v";

const uint8_t* Bytes(std::string_view s, size_t at = 0) { return reinterpret_cast<const uint8_t*>(s.data()) + at; }

uint32_t Crc(std::string_view s, size_t at, size_t n) { return crc32c::Value(Bytes(s, at), n); }

template <typename T>
void Put(std::string* out, T v) {
  uint8_t b[sizeof(T)];
  StoreLE<T>(b, v);
  out->append(reinterpret_cast<const char*>(b), sizeof(T));
}

// The record at `pos` if its header checks out and its whole body is present with a matching CRC:
// the body's length. Otherwise why not, in `why`.
std::optional<uint32_t> WholeRecordAt(std::string_view bytes, size_t pos, std::string* why) {
  const size_t left = bytes.size() - pos;
  if (left < kMetadataRecordHeaderSize) {
    if (why) *why = fmt::format("only {} bytes, less than a record header", left);
    return std::nullopt;
  }
  const uint32_t length = LoadLE<uint32_t>(Bytes(bytes, pos));
  const uint32_t body_crc = LoadLE<uint32_t>(Bytes(bytes, pos + 4));
  const uint32_t header_crc = LoadLE<uint32_t>(Bytes(bytes, pos + 8));
  if (Crc(bytes, pos, 8) != header_crc) {
    if (why) *why = "record header CRC mismatch";
    return std::nullopt;
  }
  if (length < kMetadataRecordMinBody) {
    if (why) *why = fmt::format("body length {} is below the minimum {}", length, kMetadataRecordMinBody);
    return std::nullopt;
  }
  if (length > left - kMetadataRecordHeaderSize) {
    if (why) *why = fmt::format("body of {} bytes runs past the end of the file ({} present)", length,
                                left - kMetadataRecordHeaderSize);
    return std::nullopt;
  }
  if (Crc(bytes, pos + kMetadataRecordHeaderSize, length) != body_crc) {
    if (why) *why = "body CRC mismatch";
    return std::nullopt;
  }
  return length;
}

// Decodes a body whose CRC matched. Errors are plain reasons; the caller adds file and offset.
Result<MetadataLogRecord> DecodeBody(std::string_view body) {
  MetadataLogRecord record;
  record.sequence = LoadLE<uint64_t>(Bytes(body));
  const uint32_t count = LoadLE<uint32_t>(Bytes(body, 8));
  size_t p = kMetadataRecordMinBody;
  auto need = [&](size_t n) { return body.size() - p >= n; };
  for (uint32_t i = 0; i < count; ++i) {
    if (!need(4)) return Status::Corruption(fmt::format("change #{} of {} is cut short", i, count));
    MetadataChange change;
    const uint8_t op = static_cast<uint8_t>(body[p]);
    change.kind = static_cast<MetadataObjectKind>(static_cast<uint8_t>(body[p + 1]));
    const uint16_t key_length = LoadLE<uint16_t>(Bytes(body, p + 2));
    p += 4;
    if (op != static_cast<uint8_t>(MetadataChange::Op::kPut) && op != static_cast<uint8_t>(MetadataChange::Op::kDelete)) {
      return Status::Corruption(fmt::format("change #{} has unknown op {}", i, op));
    }
    change.op = static_cast<MetadataChange::Op>(op);
    if (!need(key_length)) return Status::Corruption(fmt::format("change #{}: key is cut short", i));
    change.key.assign(body.substr(p, key_length));
    p += key_length;
    if (change.op == MetadataChange::Op::kPut) {
      if (!need(4)) return Status::Corruption(fmt::format("change #{}: value length is cut short", i));
      const uint32_t value_length = LoadLE<uint32_t>(Bytes(body, p));
      p += 4;
      if (!need(value_length)) return Status::Corruption(fmt::format("change #{}: value is cut short", i));
      change.value.assign(body.substr(p, value_length));
      p += value_length;
    }
    record.changes.push_back(std::move(change));
  }
  if (p != body.size()) return Status::Corruption(fmt::format("{} bytes follow the last change", body.size() - p));
  return record;
}

}  // namespace

std::string EncodeMetadataLogRecord(uint64_t sequence, const std::vector<MetadataChange>& changes) {
  std::string body;
  Put<uint64_t>(&body, sequence);
  Put<uint32_t>(&body, static_cast<uint32_t>(changes.size()));
  for (const MetadataChange& c : changes) {
    body += static_cast<char>(c.op);
    body += static_cast<char>(c.kind);
    Put<uint16_t>(&body, static_cast<uint16_t>(c.key.size()));
    body += c.key;
    if (c.op == MetadataChange::Op::kPut) {
      Put<uint32_t>(&body, static_cast<uint32_t>(c.value.size()));
      body += c.value;
    }
  }
  std::string out;
  out.reserve(kMetadataRecordHeaderSize + body.size());
  Put<uint32_t>(&out, static_cast<uint32_t>(body.size()));
  Put<uint32_t>(&out, Crc(body, 0, body.size()));
  Put<uint32_t>(&out, Crc(out, 0, 8));
  out += body;
  return out;
}

Result<DecodedMetadataLog> DecodeMetadataLog(std::string_view bytes, const std::string& path) {
  const size_t newline = bytes.substr(0, 64).find('\n');
  if (newline == std::string_view::npos) {
    return Status::Corruption(fmt::format("metadata log '{}': {}", path,
                                          bytes.empty() ? "file is empty" : "no header line (expected 'fluss-metadata-log v1')"));
  }
  const std::string_view line = bytes.substr(0, newline + 1);
  if (line != kMetadataLogHeader) {
    if (line.starts_with(kHeaderVersionPrefix)) {
      return Status::NotSupported(fmt::format("metadata log '{}': version 'v{}' is not supported (this build reads v1)",
                                              path, line.substr(kHeaderVersionPrefix.size(),
                                                                line.size() - kHeaderVersionPrefix.size() - 1)));
    }
    return Status::Corruption(fmt::format("metadata log '{}': malformed header '{}'", path, line.substr(0, newline)));
  }
  DecodedMetadataLog out;
  size_t pos = line.size();
  while (pos < bytes.size()) {
    std::string why;
    auto length = WholeRecordAt(bytes, pos, &why);
    if (!length) {
      // Damaged. A valid record after it means the damage is in the middle: never skipped.
      for (size_t q = pos + 1; q + kMetadataRecordHeaderSize <= bytes.size(); ++q) {
        if (WholeRecordAt(bytes, q, nullptr)) {
          return Status::Corruption(fmt::format(
              "metadata log '{}': record at offset {} is damaged ({}) and a valid record follows at offset {}: the "
              "file is corrupt, not cut short by a crash",
              path, pos, why, q));
        }
      }
      out.torn_tail = fmt::format("the last {} bytes, from offset {}, are not a whole record ({})",
                                  bytes.size() - pos, pos, why);
      break;
    }
    auto record = DecodeBody(bytes.substr(pos + kMetadataRecordHeaderSize, *length));
    if (!record.ok()) {
      return Status::Corruption(
          fmt::format("metadata log '{}': record at offset {}: {}", path, pos, record.status().message()));
    }
    record->offset = pos;
    if (record->sequence == 0 ||
        (!out.records.empty() && record->sequence != out.records.back().sequence + 1)) {
      return Status::Corruption(fmt::format("metadata log '{}': record at offset {} has sequence {} where {} was expected",
                                            path, pos, record->sequence,
                                            out.records.empty() ? uint64_t{1} : out.records.back().sequence + 1));
    }
    out.records.push_back(std::move(record).value());
    pos += kMetadataRecordHeaderSize + *length;
  }
  out.valid_bytes = pos;
  return out;
}

MetadataLog::MetadataLog(FileSystem& fs, std::string path, std::unique_ptr<WritableFile> file, uint64_t size,
                         uint64_t next_sequence, uint64_t snapshot_size)
    : fs_(fs),
      path_(std::move(path)),
      file_(std::move(file)),
      size_(size),
      next_sequence_(next_sequence),
      snapshot_size_(snapshot_size) {}

MetadataLog::~MetadataLog() {
  if (file_) (void)file_->Close();
}

Result<std::unique_ptr<WritableFile>> MetadataLog::Install(FileSystem& fs, const std::string& path,
                                                           std::string_view content, bool* replaced) {
  *replaced = false;
  const std::string tmp = path + ".tmp";
  FLUSS_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, fs.NewWritableFile(tmp));
  Status st = file->Append(std::span(reinterpret_cast<const uint8_t*>(content.data()), content.size()));
  if (st.ok()) st = file->Sync();
  if (st.ok()) st = fs.Rename(tmp, path);
  if (!st.ok()) {
    (void)file->Close();
    (void)fs.Remove(tmp);
    return st;
  }
  *replaced = true;
  FLUSS_RETURN_NOT_OK(fs.SyncDirectory(ParentDirectory(path)));
  return file;
}

Result<std::unique_ptr<MetadataLog>> MetadataLog::Open(FileSystem& fs, const std::string& path,
                                                       std::string_view bytes, const DecodedMetadataLog& decoded) {
  if (decoded.valid_bytes > bytes.size()) {
    return Status::Invalid(fmt::format("metadata log '{}': {} valid bytes of {}", path, decoded.valid_bytes,
                                       bytes.size()));
  }
  bool replaced = false;
  FLUSS_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                         Install(fs, path, bytes.substr(0, decoded.valid_bytes), &replaced));
  const uint64_t next = decoded.records.empty() ? 1 : decoded.records.back().sequence + 1;
  const uint64_t snapshot_size =
      decoded.records.size() > 1 ? decoded.records[1].offset : static_cast<uint64_t>(decoded.valid_bytes);
  return std::unique_ptr<MetadataLog>(
      new MetadataLog(fs, path, std::move(file), decoded.valid_bytes, next, snapshot_size));
}

Status MetadataLog::Restore() {
  FLUSS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, fs_.ReadFile(path_));
  if (bytes.size() < size_) {
    return Status::IOError(
        fmt::format("metadata log '{}' holds {} bytes, fewer than the {} written", path_, bytes.size(), size_));
  }
  bool replaced = false;
  auto file = Install(fs_, path_, std::string_view(reinterpret_cast<const char*>(bytes.data()), size_), &replaced);
  if (!file.ok()) return file.status();
  (void)file_->Close();
  file_ = std::move(file).value();
  return Status::OK();
}

Status MetadataLog::Append(const std::vector<MetadataChange>& changes) {
  if (!broken_.ok()) return broken_;
  const std::string record = EncodeMetadataLogRecord(next_sequence_, changes);
  Status st = file_->Append(std::span(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
  if (!st.ok()) {
    // Part of the record may be in the file: put it back as it was, so the next append starts here.
    Status restored = Restore();
    if (!restored.ok()) {
      broken_ = restored.WithContext(fmt::format(
          "metadata log '{}': after a failed append the file could not be put back; it refuses changes until the "
          "store is opened again",
          path_));
    }
    return Status::IOError(
        fmt::format("append of {} bytes at offset {} to '{}': {}", record.size(), size_, path_, st.message()));
  }
  st = file_->Sync();
  if (!st.ok()) {
    // The record may or may not reach the disk: nothing later may be appended after it.
    broken_ = Status::IOError(fmt::format("fsync of the metadata log '{}': {}", path_, st.message()))
                  .WithContext("the metadata log refuses changes until the store is opened again");
    return broken_;
  }
  size_ += record.size();
  ++next_sequence_;
  return Status::OK();
}

Status MetadataLog::Compact(const std::vector<MetadataChange>& snapshot) {
  if (!broken_.ok()) return broken_;
  std::string content(kMetadataLogHeader);
  content += EncodeMetadataLogRecord(next_sequence_, snapshot);
  bool replaced = false;
  auto file = Install(fs_, path_, content, &replaced);
  if (!file.ok()) {
    if (replaced) {
      // The new file is in place but its name may not be durable: appends to either file could be lost.
      broken_ = file.status().WithContext(
          "compaction replaced the file but failed; the metadata log refuses changes until the store is opened "
          "again");
    }
    return file.status();
  }
  (void)file_->Close();
  file_ = std::move(file).value();
  size_ = content.size();
  snapshot_size_ = size_;
  ++next_sequence_;
  return Status::OK();
}

}  // namespace fluss
