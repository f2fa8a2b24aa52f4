#include "log/log_segment.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/byte_io.h"
#include "format/log_record_batch.h"

namespace fluss {

std::string SegmentFileName(const std::string& dir, int64_t base_offset, std::string_view suffix) {
  return fmt::format("{}/{:020d}{}", dir, base_offset, suffix);
}

Result<std::unique_ptr<LogSegment>> LogSegment::Create(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                       const LogConfig& config, std::shared_ptr<OpenSegmentCache> cache) {
  std::unique_ptr<LogSegment> seg(new LogSegment(fs, dir, base_offset, config, std::move(cache)));
  // Leftover index files of an earlier segment at this offset (deleted log, crash) are stale.
  FLUSS_RETURN_NOT_OK(fs.Remove(SegmentFileName(dir, base_offset, kIndexFileSuffix)));
  FLUSS_RETURN_NOT_OK(fs.Remove(SegmentFileName(dir, base_offset, kTimeIndexFileSuffix)));
  FLUSS_ASSIGN_OR_RETURN(seg->log_, LogFile::Open(fs, SegmentFileName(dir, base_offset, kLogFileSuffix), /*create=*/true));
  FLUSS_ASSIGN_OR_RETURN(seg->offset_index_, OffsetIndex::Open(SegmentFileName(dir, base_offset, kIndexFileSuffix),
                                                               base_offset, true, config.index_file_bytes, fs));
  FLUSS_ASSIGN_OR_RETURN(seg->time_index_, TimeIndex::Open(SegmentFileName(dir, base_offset, kTimeIndexFileSuffix),
                                                           base_offset, true, config.index_file_bytes, fs));
  seg->next_offset_ = base_offset;
  if (seg->cache_) seg->cache_->Touch(seg.get());
  return seg;
}

Result<std::unique_ptr<LogSegment>> LogSegment::Open(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                     const LogConfig& config, bool active,
                                                     std::shared_ptr<OpenSegmentCache> cache) {
  std::unique_ptr<LogSegment> seg(new LogSegment(fs, dir, base_offset, config, std::move(cache)));
  FLUSS_ASSIGN_OR_RETURN(seg->log_, LogFile::Open(fs, SegmentFileName(dir, base_offset, kLogFileSuffix), false));
  const std::string index_path = SegmentFileName(dir, base_offset, kIndexFileSuffix);
  const std::string time_index_path = SegmentFileName(dir, base_offset, kTimeIndexFileSuffix);
  FLUSS_ASSIGN_OR_RETURN(bool index_exists, fs.Exists(index_path));
  FLUSS_ASSIGN_OR_RETURN(bool time_index_exists, fs.Exists(time_index_path));
  seg->indexes_need_rebuild_ = !index_exists || !time_index_exists;
  FLUSS_ASSIGN_OR_RETURN(seg->offset_index_,
                         OffsetIndex::Open(index_path, base_offset, active, config.index_file_bytes, fs));
  FLUSS_ASSIGN_OR_RETURN(seg->time_index_,
                         TimeIndex::Open(time_index_path, base_offset, active, config.index_file_bytes, fs));
  if (!active) {
    // A crash between writing the last entries and trimming leaves zeros after them: trim now.
    if (seg->offset_index_->untrimmed() && !seg->offset_index_->had_trailing_garbage()) {
      FLUSS_RETURN_NOT_OK(seg->offset_index_->TrimToEntries());
    }
    if (seg->time_index_->untrimmed() && !seg->time_index_->had_trailing_garbage()) {
      FLUSS_RETURN_NOT_OK(seg->time_index_->TrimToEntries());
    }
  }
  seg->next_offset_ = base_offset;
  if (auto last = seg->time_index_->LastEntry()) {
    seg->max_timestamp_ = last->timestamp;
    seg->offset_of_max_timestamp_ = last->offset;
  }
  if (seg->cache_) seg->cache_->Touch(seg.get());
  return seg;
}

LogSegment::~LogSegment() {
  // First: the cache must not close (or even look at) this segment once its members start to go.
  if (cache_) cache_->Remove(this);
}

Result<LogSegment::FilesLock> LogSegment::UseFiles() const {
  FilesLock lock(files_mu_);
  if (files_closed_) {
    FLUSS_RETURN_NOT_OK(log_->Reopen());
    FLUSS_RETURN_NOT_OK(offset_index_->EnsureMapped());
    FLUSS_RETURN_NOT_OK(time_index_->EnsureMapped());
    files_closed_ = false;
  }
  if (cache_) cache_->Touch(const_cast<LogSegment*>(this));
  return lock;
}

bool LogSegment::TryClose() {
  FilesLock lock(files_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  CloseFilesLocked();
  return true;
}

void LogSegment::CloseFilesLocked() const {
  log_->Close();
  offset_index_->Release();
  time_index_->Release();
  files_closed_ = true;
}

void LogSegment::CloseFiles() {
  {
    FilesLock lock(files_mu_);
    CloseFilesLocked();
  }
  if (cache_) cache_->Remove(this);
}

bool LogSegment::files_open() const {
  FilesLock lock(files_mu_);
  return !files_closed_;
}

uint64_t LogSegment::index_mapped_bytes() const {
  FilesLock lock(files_mu_);
  return offset_index_->mapped_bytes() + time_index_->mapped_bytes();
}

bool LogSegment::CanIndex(size_t batch_count, int64_t last_offset) const {
  if (last_offset - base_offset_ > std::numeric_limits<int32_t>::max()) return false;
  // One time-index entry stays free for the final entry written on roll.
  return offset_index_->entries() + batch_count <= offset_index_->max_entries() &&
         time_index_->entries() + batch_count + 1 <= time_index_->max_entries();
}

Result<int64_t> LogSegment::FirstBatchTimestamp() {
  if (size() == 0) return int64_t{-1};
  if (first_batch_timestamp_ < 0) {
    FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
    FLUSS_ASSIGN_OR_RETURN(Buffer header, log_->ReadAt(0, log_batch::kHeaderSizeV0));
    first_batch_timestamp_ = LoadLE<int64_t>(header.data() + log_batch::kCommitTimestampOffset);
  }
  return first_batch_timestamp_;
}

Status LogSegment::IndexBatch(uint64_t position, size_t size, int64_t last_offset, int64_t timestamp) {
  if (timestamp > max_timestamp_) {
    max_timestamp_ = timestamp;
    offset_of_max_timestamp_ = last_offset;
  }
  if (position == 0) first_batch_timestamp_ = timestamp;
  const bool indexed = offset_index_->entries() > 0 && last_offset <= offset_index_->LastEntry().offset;
  if (indexed) {
    if (position == offset_index_->LastEntry().position) bytes_since_last_index_entry_ = 0;
  } else if (bytes_since_last_index_entry_ > config_.index_interval_bytes && !offset_index_->full()) {
    FLUSS_RETURN_NOT_OK(offset_index_->Append(last_offset, static_cast<uint32_t>(position)));
    if (time_index_->entries() + 1 < time_index_->max_entries()) {
      FLUSS_RETURN_NOT_OK(time_index_->MaybeAppend(max_timestamp_, offset_of_max_timestamp_));
    }
    bytes_since_last_index_entry_ = 0;
  }
  bytes_since_last_index_entry_ += static_cast<int64_t>(size);
  next_offset_ = last_offset + 1;
  return Status::OK();
}

Status LogSegment::Append(std::span<const std::span<const uint8_t>> parts, const std::vector<AppendedBatch>& batches) {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  // Room for the index entries these batches add (as IndexBatch decides them), grown before the
  // log is written: a growth step that fails (disk full) leaves the segment unchanged.
  size_t new_entries = 0;
  int64_t since_entry = bytes_since_last_index_entry_;
  for (const AppendedBatch& b : batches) {
    if (since_entry > config_.index_interval_bytes) {
      ++new_entries;
      since_entry = 0;
    }
    since_entry += static_cast<int64_t>(b.size);
  }
  FLUSS_RETURN_NOT_OK(offset_index_->Reserve(new_entries));
  FLUSS_RETURN_NOT_OK(time_index_->Reserve(new_entries));
  const uint64_t start = size();
  FLUSS_RETURN_NOT_OK(log_->AppendParts(parts));
  if (config_.writeback_interval_bytes > 0) log_->StartWriteback(static_cast<uint64_t>(config_.writeback_interval_bytes));
  for (const AppendedBatch& b : batches) {
    FLUSS_RETURN_NOT_OK(IndexBatch(start + b.position, b.size, b.last_offset, b.timestamp));
  }
  return Status::OK();
}

Result<std::optional<ScannedBatch>> LogSegment::TranslateOffset(int64_t offset) const {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  return TranslateOffsetLocked(offset);
}

Result<std::optional<ScannedBatch>> LogSegment::TranslateOffsetLocked(int64_t offset) const {
  OffsetPosition from = offset_index_->Lookup(offset);
  LogFileScanner scanner(*log_, from.position, size(), LogFileScanner::Mode::kHeaderOnly);
  ScannedBatch batch;
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(auto step, scanner.Next(&batch));
    if (step == LogFileScanner::Step::kEnd) return std::optional<ScannedBatch>();
    if (step == LogFileScanner::Step::kInvalid) {
      return Status::Corruption(fmt::format("segment '{}': {}", log_->path(), scanner.invalid_reason()));
    }
    if (batch.last_offset >= offset) return std::optional<ScannedBatch>(batch);
  }
}

Result<FileRegion> LogSegment::Read(int64_t offset, size_t max_bytes, int64_t max_offset, bool min_one_batch) const {
  FileRegion region{log_, nullptr, 0, 0};
  if (offset >= max_offset) return region;
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  region.open_file = log_->open_file();
  FLUSS_ASSIGN_OR_RETURN(auto first, TranslateOffsetLocked(offset));
  if (!first || first->base_offset >= max_offset) return region;
  uint64_t limit = size();
  if (max_offset < next_offset_ || next_offset_ <= base_offset_) {
    FLUSS_ASSIGN_OR_RETURN(auto bound, TranslateOffsetLocked(max_offset));
    if (bound) limit = bound->position;
  }
  const uint64_t start = first->position;
  region.position = start;
  if (limit - start <= max_bytes) {
    region.size = static_cast<size_t>(limit - start);
    return region;
  }
  // Find the last whole batch that fits: start from the index entry nearest below the byte limit.
  uint64_t p = start;
  const uint64_t target = start + max_bytes;
  for (size_t lo = 0, hi = offset_index_->entries(); lo < hi;) {  // last entry with position <= target
    size_t mid = (lo + hi) / 2;
    if (offset_index_->EntryAt(mid).position <= target) {
      p = std::max<uint64_t>(p, offset_index_->EntryAt(mid).position);
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  LogFileScanner scanner(*log_, p, limit, LogFileScanner::Mode::kHeaderOnly);
  ScannedBatch batch;
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(auto step, scanner.Next(&batch));
    if (step != LogFileScanner::Step::kBatch) break;
    if (batch.position + batch.size - start > max_bytes) break;
    p = batch.position + batch.size;
  }
  if (p == start && min_one_batch) p = start + first->size;
  region.size = static_cast<size_t>(p - start);
  return region;
}

Result<std::optional<int64_t>> LogSegment::FindOffsetByTimestamp(int64_t timestamp) const {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  std::optional<TimestampOffset> before = time_index_->LastEntryBefore(timestamp);
  const int64_t from_offset = before ? before->offset + 1 : base_offset_;
  FLUSS_ASSIGN_OR_RETURN(auto from, TranslateOffsetLocked(from_offset));
  if (!from) return std::optional<int64_t>();
  LogFileScanner scanner(*log_, from->position, size(), LogFileScanner::Mode::kHeaderOnly);
  ScannedBatch batch;
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(auto step, scanner.Next(&batch));
    if (step != LogFileScanner::Step::kBatch) return std::optional<int64_t>();
    if (batch.commit_timestamp >= timestamp) return std::optional<int64_t>(std::max(batch.base_offset, from_offset));
  }
}

Status LogSegment::ScanBatchHeaders(int64_t from_offset, const std::function<bool(const ScannedBatch&)>& visit) const {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  uint64_t start = 0;
  if (from_offset > base_offset_) {
    FLUSS_ASSIGN_OR_RETURN(auto at, TranslateOffsetLocked(from_offset));
    if (!at) return Status::OK();
    start = at->position;
  }
  LogFileScanner scanner(*log_, start, size(), LogFileScanner::Mode::kHeaderOnly);
  ScannedBatch batch;
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(auto step, scanner.Next(&batch));
    if (step != LogFileScanner::Step::kBatch || !visit(batch)) return Status::OK();
  }
}

Result<SegmentRecovery> LogSegment::Recover(int64_t recovery_point, bool full) {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  size_t keep = 0;
  if (!full) {
    while (keep < offset_index_->entries() && offset_index_->EntryAt(keep).offset < recovery_point) ++keep;
  }
  std::optional<OffsetPosition> anchor;
  if (keep > 0) anchor = offset_index_->EntryAt(keep - 1);
  while (true) {
    uint64_t start = 0;
    offset_index_->TruncateToEntries(keep);
    if (anchor) {
      time_index_->TruncateTo(anchor->offset + 1);
      start = anchor->position;
    } else {
      time_index_->Reset();
    }
    auto last_time = time_index_->LastEntry();
    max_timestamp_ = last_time ? last_time->timestamp : -1;
    offset_of_max_timestamp_ = last_time ? last_time->offset : -1;
    bytes_since_last_index_entry_ = 0;
    next_offset_ = base_offset_;

    LogFileScanner scanner(*log_, start, size(), LogFileScanner::Mode::kVerify);
    ScannedBatch batch;
    int64_t expected = -1;
    std::string reason;
    uint64_t cut_at = 0;
    bool anchor_mismatch = false;
    while (true) {
      FLUSS_ASSIGN_OR_RETURN(auto step, scanner.Next(&batch));
      if (step == LogFileScanner::Step::kEnd) break;
      if (step == LogFileScanner::Step::kInvalid) {
        reason = scanner.invalid_reason();
        cut_at = scanner.position();
        break;
      }
      cut_at = batch.position;  // where a batch rejected below starts
      if (expected < 0 && anchor && batch.last_offset != anchor->offset) {
        anchor_mismatch = true;
        break;
      }
      if (expected < 0 && !anchor && batch.base_offset < base_offset_) {
        reason = fmt::format("first batch at offset {} lies below the segment base offset {}", batch.base_offset, base_offset_);
        break;
      }
      if (expected >= 0 && batch.base_offset != expected) {
        reason = fmt::format("batch at position {} has base offset {}, expected {}", batch.position, batch.base_offset,
                             expected);
        break;
      }
      if (batch.last_offset - base_offset_ > std::numeric_limits<int32_t>::max()) {
        reason = fmt::format("batch at position {} has offset {} too far above the base offset", batch.position,
                             batch.last_offset);
        break;
      }
      FLUSS_RETURN_NOT_OK(IndexBatch(batch.position, batch.size, batch.last_offset, batch.commit_timestamp));
      expected = batch.last_offset + 1;
    }
    if (anchor_mismatch || (anchor && expected < 0)) {
      // The index entry we meant to resume from does not name a valid batch: rescan everything.
      const OffsetPosition a = *anchor;
      spdlog::warn("segment '{}': index entry ({}, {}) does not match the log, rebuilding the index from the start",
                   log_->path(), a.offset, a.position);
      anchor.reset();
      keep = 0;
      continue;
    }
    SegmentRecovery result;
    const uint64_t valid = reason.empty() ? size() : cut_at;
    result.valid_bytes = valid;
    result.truncated_bytes = size() - valid;
    result.reason = reason;
    if (result.truncated_bytes > 0) FLUSS_RETURN_NOT_OK(log_->TruncateTo(valid));
    result.next_offset = next_offset_;
    indexes_need_rebuild_ = false;
    return result;
  }
}

Status LogSegment::LoadTail() {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  return LoadTailLocked();
}

Status LogSegment::LoadTailLocked() {
  OffsetPosition last = offset_index_->LastEntry();
  auto last_time = time_index_->LastEntry();
  max_timestamp_ = last_time ? last_time->timestamp : -1;
  offset_of_max_timestamp_ = last_time ? last_time->offset : -1;
  bytes_since_last_index_entry_ = 0;
  next_offset_ = base_offset_;
  LogFileScanner scanner(*log_, last.position, size(), LogFileScanner::Mode::kHeaderOnly);
  ScannedBatch batch;
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(auto step, scanner.Next(&batch));
    if (step == LogFileScanner::Step::kEnd) return Status::OK();
    if (step == LogFileScanner::Step::kInvalid) {
      return Status::Corruption(fmt::format("segment '{}': {}", log_->path(), scanner.invalid_reason()));
    }
    if (next_offset_ != base_offset_ && batch.base_offset != next_offset_) {
      return Status::Corruption(fmt::format("segment '{}': batch at position {} has base offset {}, expected {}",
                                            log_->path(), batch.position, batch.base_offset, next_offset_));
    }
    FLUSS_RETURN_NOT_OK(IndexBatch(batch.position, batch.size, batch.last_offset, batch.commit_timestamp));
  }
}

Status LogSegment::SanityCheck() const {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  if (offset_index_->had_trailing_garbage()) {
    return Status::Corruption(fmt::format("offset index '{}' has bytes after its last valid entry", offset_index_->path()));
  }
  if (time_index_->had_trailing_garbage()) {
    return Status::Corruption(fmt::format("time index '{}' has bytes after its last valid entry", time_index_->path()));
  }
  if (offset_index_->entries() > 0) {
    OffsetPosition last = offset_index_->LastEntry();
    if (last.position + log_batch::kHeaderSizeV0 > size()) {
      return Status::Corruption(fmt::format("offset index '{}': last entry position {} is beyond the log size {}",
                                            offset_index_->path(), last.position, size()));
    }
    FLUSS_ASSIGN_OR_RETURN(Buffer header, log_->ReadAt(last.position, log_batch::kHeaderSizeV0));
    int64_t base = LoadLE<int64_t>(header.data() + log_batch::kBaseOffsetOffset);
    int64_t last_offset = base + LoadLE<int32_t>(header.data() + log_batch::kLastOffsetDeltaOffset);
    if (last_offset != last.offset) {
      return Status::Corruption(fmt::format("offset index '{}': last entry ({}, {}) names a batch ending at offset {}",
                                            offset_index_->path(), last.offset, last.position, last_offset));
    }
  }
  if (auto t = time_index_->LastEntry(); t && t->offset < base_offset_) {
    return Status::Corruption(fmt::format("time index '{}': offset {} below the base offset", time_index_->path(), t->offset));
  }
  return Status::OK();
}

Result<uint64_t> LogSegment::TruncateTo(int64_t offset) {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  FLUSS_RETURN_NOT_OK(MakeActiveLocked());
  FLUSS_ASSIGN_OR_RETURN(auto at, TranslateOffsetLocked(offset));
  if (!at) return uint64_t{0};
  const uint64_t removed = size() - at->position;
  offset_index_->TruncateTo(at->base_offset);
  time_index_->TruncateTo(at->base_offset);
  FLUSS_RETURN_NOT_OK(log_->TruncateTo(at->position));
  if (at->position == 0) first_batch_timestamp_ = -1;
  FLUSS_RETURN_NOT_OK(LoadTailLocked());
  // The time index may still name a timestamp of a removed batch only if its entry offset was
  // removed too, which TruncateTo above did; max_timestamp_ now reflects what remains.
  return removed;
}

Status LogSegment::OnBecomeInactive() {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  if (max_timestamp_ >= 0 && time_index_->writable()) {
    FLUSS_RETURN_NOT_OK(time_index_->MaybeAppend(max_timestamp_, offset_of_max_timestamp_));
  }
  FLUSS_RETURN_NOT_OK(offset_index_->TrimToEntries());
  return time_index_->TrimToEntries();
}

Status LogSegment::MakeActive() {
  FLUSS_ASSIGN_OR_RETURN(FilesLock lock, UseFiles());
  return MakeActiveLocked();
}

Status LogSegment::MakeActiveLocked() {
  if (!offset_index_->writable()) FLUSS_RETURN_NOT_OK(offset_index_->MakeWritable(config_.index_file_bytes));
  if (!time_index_->writable()) FLUSS_RETURN_NOT_OK(time_index_->MakeWritable(config_.index_file_bytes));
  return Status::OK();
}

Status LogSegment::FlushIndexes() const {
  // No reopen: a released index is synced through its file.
  FilesLock lock(files_mu_);
  return FlushIndexesLocked();
}

Status LogSegment::FlushIndexesLocked() const {
  FLUSS_RETURN_NOT_OK(offset_index_->Flush());
  return time_index_->Flush();
}

Status LogSegment::Flush() const {
  FLUSS_RETURN_NOT_OK(log_->Flush());
  return FlushIndexes();
}

Status LogSegment::Delete() {
  FilesLock lock(files_mu_);
  const std::string log_path = log_->path();
  FLUSS_RETURN_NOT_OK(log_->RenameTo(log_path + std::string(kDeletedFileSuffix)));
  FLUSS_RETURN_NOT_OK(offset_index_->RenameTo(offset_index_->path() + std::string(kDeletedFileSuffix)));
  FLUSS_RETURN_NOT_OK(time_index_->RenameTo(time_index_->path() + std::string(kDeletedFileSuffix)));
  FLUSS_RETURN_NOT_OK(fs_.Remove(log_->path()));
  FLUSS_RETURN_NOT_OK(fs_.Remove(offset_index_->path()));
  return fs_.Remove(time_index_->path());
}

}  // namespace fluss
