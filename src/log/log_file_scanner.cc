#include "log/log_file_scanner.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/byte_io.h"
#include "format/log_record_batch.h"

namespace fluss {

namespace {
constexpr size_t kHeaderChunk = 16 * 1024;
constexpr size_t kVerifyChunk = 1024 * 1024;
}  // namespace

LogFileScanner::LogFileScanner(const LogFile& file, uint64_t start, uint64_t end, Mode mode)
    : file_(file), pos_(start), end_(end), mode_(mode) {}

Result<bool> LogFileScanner::Ensure(size_t n) {
  if (pos_ + n > end_) return false;
  if (pos_ >= chunk_pos_ && pos_ + n <= chunk_pos_ + chunk_.size()) return true;
  size_t want = std::max(n, mode_ == Mode::kVerify ? kVerifyChunk : kHeaderChunk);
  want = static_cast<size_t>(std::min<uint64_t>(want, end_ - pos_));
  std::vector<uint8_t> bytes;
  FLUSS_RETURN_NOT_OK(file_.ReadUpTo(pos_, want, &bytes));
  chunk_ = Buffer::FromVector(std::move(bytes));
  chunk_pos_ = pos_;
  return chunk_.size() >= n;
}

Result<LogFileScanner::Step> LogFileScanner::Next(ScannedBatch* out) {
  using namespace log_batch;
  if (pos_ == end_) return Step::kEnd;
  FLUSS_ASSIGN_OR_RETURN(bool have_header, Ensure(kHeaderSizeV0));
  if (!have_header) {
    reason_ = fmt::format("{} bytes at position {} are less than a batch header", end_ - pos_, pos_);
    return Step::kInvalid;
  }
  Buffer at = chunk_.Slice(pos_ - chunk_pos_);
  auto size = LogRecordBatch::PeekSize(at.span());
  if (!size.ok()) {
    reason_ = fmt::format("at position {}: {}", pos_, size.status().message());
    return Step::kInvalid;
  }
  if (*size > static_cast<size_t>(std::numeric_limits<int32_t>::max()) || pos_ + *size > end_) {
    reason_ = fmt::format("batch at position {} claims {} bytes, only {} remain (torn write)", pos_, *size, end_ - pos_);
    return Step::kInvalid;
  }
  const uint8_t* h = at.data();
  out->position = pos_;
  out->size = static_cast<uint32_t>(*size);
  out->base_offset = LoadLE<int64_t>(h + kBaseOffsetOffset);
  out->last_offset = out->base_offset + LoadLE<int32_t>(h + kLastOffsetDeltaOffset);
  out->commit_timestamp = LoadLE<int64_t>(h + kCommitTimestampOffset);
  out->writer_id = LoadLE<int64_t>(h + kWriterIdOffset);
  out->batch_sequence = LoadLE<int32_t>(h + kBatchSequenceOffset);
  out->record_count = LoadLE<int32_t>(h + kRecordCountOffset);
  out->bytes = Buffer();
  if (LoadLE<int32_t>(h + kLastOffsetDeltaOffset) < 0 || out->base_offset < 0) {
    reason_ = fmt::format("batch at position {} has negative offsets", pos_);
    return Step::kInvalid;
  }
  if (mode_ == Mode::kVerify) {
    FLUSS_ASSIGN_OR_RETURN(bool have_batch, Ensure(*size));
    if (!have_batch) {
      reason_ = fmt::format("batch at position {} is cut short", pos_);
      return Step::kInvalid;
    }
    Buffer bytes = chunk_.Slice(pos_ - chunk_pos_, *size);
    auto parsed = LogRecordBatch::Parse(bytes, /*verify_crc=*/true);
    if (!parsed.ok()) {
      reason_ = fmt::format("at position {}: {}", pos_, parsed.status().message());
      return Step::kInvalid;
    }
    out->bytes = std::move(bytes);
  }
  pos_ += *size;
  return Step::kBatch;
}

}  // namespace fluss
