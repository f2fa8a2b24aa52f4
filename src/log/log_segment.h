// LogSegment: one `{base_offset:020d}.log` file of record batches with its sparse `.index` and
// `.timeindex` (docs/formats/log-segments.md). Only the last segment of a log (the active one) takes
// appends; its indexes grow as entries are added, mapped writable, and are trimmed when it rolls.
//
// Its files go through the file-system layer given at creation (fs/file_system.h; only the index
// mappings are made here, over the layer's files). They (the .log file, the index maps) are open
// only while the segment is in use: the OpenSegmentCache given at creation closes the least
// recently used segments past its budget, and every method below reopens what was closed. An idle segment holds no descriptor and no mapping.
// Thread-safety: REQUIRES external synchronization of all calls (the owning LogTablet's lock); the
// cache may close the files from another thread, which each call excludes with the segment's own
// files lock. FileRegions handed out pin their descriptor and may be read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "log/log_file_scanner.h"
#include "log/file_io.h"
#include "log/log_config.h"
#include "log/open_segment_cache.h"
#include "log/offset_index.h"
#include "log/time_index.h"

namespace fluss {

// File names of a segment: "{dir}/{base:020d}{suffix}".
std::string SegmentFileName(const std::string& dir, int64_t base_offset, std::string_view suffix);
inline constexpr std::string_view kLogFileSuffix = ".log";
inline constexpr std::string_view kIndexFileSuffix = ".index";
inline constexpr std::string_view kTimeIndexFileSuffix = ".timeindex";
inline constexpr std::string_view kDeletedFileSuffix = ".deleted";

// One batch of an append, already carrying its assigned offsets, at `position` within the bytes
// handed to LogSegment::Append.
struct AppendedBatch {
  size_t position = 0;
  size_t size = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t timestamp = 0;
};

// What recovery found in a segment.
struct SegmentRecovery {
  int64_t next_offset = 0;      // offset after the last valid batch
  uint64_t valid_bytes = 0;     // the file was cut to this size
  uint64_t truncated_bytes = 0; // bytes removed from the tail
  std::string reason;           // why the tail was cut (empty when nothing was)
};

class LogSegment final : private OpenSegmentCache::Entry {
 public:
  // Creates the files of a new, empty, active segment on `fs` (which must outlive the segment).
  // `cache` (null: no budget) counts its files.
  static Result<std::unique_ptr<LogSegment>> Create(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                    const LogConfig& config,
                                                    std::shared_ptr<OpenSegmentCache> cache = nullptr);
  // Opens an existing segment; `active` maps its indexes writable. A missing index file is created
  // empty and flagged in indexes_need_rebuild().
  static Result<std::unique_ptr<LogSegment>> Open(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                  const LogConfig& config, bool active,
                                                  std::shared_ptr<OpenSegmentCache> cache = nullptr);
  ~LogSegment();

  int64_t base_offset() const { return base_offset_; }
  uint64_t size() const { return log_->size(); }
  const std::shared_ptr<LogFile>& log_file() const { return log_; }
  // The offset after the last batch. Known for the active segment (and after Recover/LoadTail).
  int64_t next_offset() const { return next_offset_; }
  // For an inactive segment opened without a scan: its next offset is the next segment's base.
  void set_next_offset(int64_t offset) { next_offset_ = offset; }
  // Largest commit timestamp in the segment, -1 when empty or unknown.
  int64_t max_timestamp() const { return max_timestamp_; }
  bool indexes_need_rebuild() const { return indexes_need_rebuild_; }
  // Entries of the indexes (known while the files are closed).
  size_t offset_index_entries() const { return offset_index_->entries(); }
  size_t time_index_entries() const { return time_index_->entries(); }
  // Bytes the two index files occupy on disk, and are mapped now.
  uint64_t index_file_bytes() const { return offset_index_->file_size() + time_index_->file_size(); }
  uint64_t index_mapped_bytes() const;
  // True while the .log descriptor is open (the budget has not closed the segment).
  bool files_open() const;
  // Closes the files now (they reopen on the next call), e.g. when the log closes.
  void CloseFiles();

  // True when `batch_count` more batches fit the indexes and `last_offset` fits a relative offset.
  bool CanIndex(size_t batch_count, int64_t last_offset) const;
  // Commit timestamp of the first batch (for roll by age), -1 when empty.
  Result<int64_t> FirstBatchTimestamp();

  // Appends the bytes of `parts` (whole batches with offsets assigned, described by `batches`, whose
  // positions count from the first byte of parts[0]) and indexes them. The indexes are grown for the
  // batches first: on a growth or write error (disk full) the segment is unchanged.
  Status Append(std::span<const std::span<const uint8_t>> parts, const std::vector<AppendedBatch>& batches);

  // Position of the first batch whose last offset >= `offset`, searching from the index; nullopt
  // when the segment holds no such batch.
  Result<std::optional<ScannedBatch>> TranslateOffset(int64_t offset) const;

  // The whole batches from the one holding `offset`, up to `max_bytes` (at least one batch when
  // `min_one_batch`), stopping before the batch holding `max_offset`. Empty when none qualifies.
  // The region pins the .log descriptor.
  Result<FileRegion> Read(int64_t offset, size_t max_bytes, int64_t max_offset, bool min_one_batch) const;

  // Base offset of the first batch with commit timestamp >= `timestamp`, if any.
  Result<std::optional<int64_t>> FindOffsetByTimestamp(int64_t timestamp) const;

  // Calls `visit` with the header of every batch from the one holding `from_offset` on, in order,
  // until it returns false or the segment ends. An invalid batch ends the scan quietly.
  Status ScanBatchHeaders(int64_t from_offset, const std::function<bool(const ScannedBatch&)>& visit) const;

  // Scans from the last index entry below `recovery_point` (from the start when `full`), checking
  // every batch (length, CRC, contiguous offsets); rebuilds the index entries past that point and
  // cuts the file at the first invalid batch.
  Result<SegmentRecovery> Recover(int64_t recovery_point, bool full);
  // Clean open of the last segment: learns next_offset / max_timestamp from the tail after the last
  // index entry (header mode). An invalid tail is an error (the caller then runs Recover).
  Status LoadTail();
  // Checks the indexes against the .log (entries increase, positions inside the file, the last
  // entry names a batch ending at its offset). An error describes the inconsistency.
  Status SanityCheck() const;

  // Removes batches with offsets >= `offset` (the batch holding `offset` goes whole); makes the
  // segment active again. Returns the bytes removed.
  Result<uint64_t> TruncateTo(int64_t offset);

  // On roll: appends the final time-index entry and trims both indexes.
  Status OnBecomeInactive();
  // Maps the indexes writable again (a truncation made this the last segment).
  Status MakeActive();
  Status Flush() const;  // fdatasync of the .log and of the indexes
  Status FlushIndexes() const;
  // Renames the files to *.deleted and removes them; open FileRegions stay readable.
  Status Delete();

 private:
  // The files lock, held for one call, with every file open again.
  using FilesLock = std::unique_lock<std::mutex>;

  LogSegment(FileSystem& fs, std::string dir, int64_t base_offset, const LogConfig& config,
             std::shared_ptr<OpenSegmentCache> cache)
      : fs_(fs), dir_(std::move(dir)), base_offset_(base_offset), config_(config), cache_(std::move(cache)) {}
  // Locks the files, reopens what the cache closed and marks the segment used.
  Result<FilesLock> UseFiles() const;
  bool TryClose() override;
  // Closes the files. REQUIRES files_mu_.
  void CloseFilesLocked() const;

  // The *Locked variants REQUIRE the files lock (UseFiles).
  // Updates max timestamp and adds index entries for one batch at `position`, as append does.
  Status IndexBatch(uint64_t position, size_t size, int64_t last_offset, int64_t timestamp);
  Result<std::optional<ScannedBatch>> TranslateOffsetLocked(int64_t offset) const;
  Status LoadTailLocked();
  Status MakeActiveLocked();
  Status FlushIndexesLocked() const;

  FileSystem& fs_;
  std::string dir_;
  int64_t base_offset_;
  LogConfig config_;
  std::shared_ptr<OpenSegmentCache> cache_;
  mutable std::mutex files_mu_;  // the open state of log_ and the index maps (see UseFiles)
  mutable bool files_closed_ = false;
  std::shared_ptr<LogFile> log_;
  std::unique_ptr<OffsetIndex> offset_index_;
  std::unique_ptr<TimeIndex> time_index_;
  int64_t next_offset_ = 0;
  int64_t max_timestamp_ = -1;
  int64_t offset_of_max_timestamp_ = -1;
  int64_t bytes_since_last_index_entry_ = 0;
  int64_t first_batch_timestamp_ = -1;
  bool indexes_need_rebuild_ = false;
};

}  // namespace fluss
