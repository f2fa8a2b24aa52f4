// LogTablet: the log of one table bucket on local disk — an ordered map of LogSegments, the last one
// active — with offset assignment, idempotent-writer dedup, reads as file regions, offset listing,
// flush policy, crash recovery, retention and truncation (the Fluss LogTablet, reference/fluss.md
// §3.1, §3.8, §5). The bucket directory also holds writer snapshots and `leader-epoch-checkpoint`.
//
// Thread-safety: every method may be called from any thread. Appends and truncations are serialized
// by the tablet's lock; reads take it only to find the region (index lookups and a few header reads),
// and return a FileRegion that is read without it. Flush holds a separate lock, so fsync does not
// stall appends or reads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"
#include "log/file_io.h"
#include "log/leader_epoch_cache.h"
#include "log/log_config.h"
#include "log/log_segment.h"
#include "log/open_segment_cache.h"
#include "log/writer_state.h"
#include "fs/file_system.h"

namespace fluss {

struct LogAppendInfo {
  int64_t first_offset = -1;     // base offset of the first batch
  int64_t last_offset = -1;      // last offset of the last batch
  int64_t commit_timestamp = -1; // assigned to every batch of the append
  int32_t batch_count = 0;
  int64_t valid_bytes = 0;
  bool duplicate = false;        // a retried batch: nothing was written, offsets are the original's
  int64_t log_end_offset = -1;   // after the append
};

enum class FetchIsolation { kLogEnd, kHighWatermark };

// Who may hold a bucket's log back from retention (LogTablet::SetRetentionHold).
enum class RetentionHold : uint8_t {
  // A primary-key bucket's KV state: the changelog offset it applied and flushed (a restart replays
  // the log from there).
  kKvApplied = 0,
  // A lake-enabled table: the first offset of the bucket not yet in the lake (the lake's tiered
  // offset); set by the server from the lake's snapshots.
  kLakeTiered = 1,
};
inline constexpr size_t kRetentionHoldKinds = 2;

// The result of a read: whole batches as a region of one segment file (possibly empty when the
// offset is at the end), with the log's offsets at the time of the read.
struct FetchData {
  int64_t fetch_offset = 0;
  FileRegion region;
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  // Reads the region into memory (pread).
  Result<Buffer> ReadRecords() const { return region.Read(); }
};

struct LogTabletOptions {
  // Offset up to which the log was known flushed (recovery-point-offset-checkpoint).
  int64_t recovery_point = 0;
  // True after a clean shutdown: no segment is scanned beyond the tail of the last one.
  bool clean_shutdown = false;
  // Initial high watermark (high-watermark-checkpoint); clamped to the recovered log.
  int64_t high_watermark = 0;
  ClockMs clock = SystemClockMs;
  // The budget of open segment files this log shares with others (a LogManager's). Null: the log
  // gets a budget of its own, sized by log.open-files.max.
  std::shared_ptr<OpenSegmentCache> open_segments;
  // The file system every file of the log goes through (tests: a FaultInjectionFileSystem). Null:
  // the local one. REQUIRES: outlives the log.
  FileSystem* file_system = nullptr;
};

class LogTablet {
 public:
  // Opens (creating when absent) the log in `dir` and recovers it: removes leftovers of interrupted
  // deletes, rebuilds missing or inconsistent indexes, and after an unclean shutdown checks every
  // batch from the recovery point on (length, CRC, offsets), cutting a torn or corrupt tail (and any
  // later segment) and logging what was cut. Writer state and the leader epoch cache follow the
  // recovered log end.
  static Result<std::unique_ptr<LogTablet>> Open(std::string dir, LogConfig config, LogTabletOptions options = {});
  ~LogTablet();
  LogTablet(const LogTablet&) = delete;
  LogTablet& operator=(const LogTablet&) = delete;

  // Appends the batches in `records` (one or more, as a client sent them): every batch is checked
  // first (length, magic, CRC; else CORRUPT_RECORD and nothing is written), then offsets from the log
  // end and one commit timestamp are assigned, the batches written, and the indexes updated. A retried
  // idempotent batch returns its original offsets with `duplicate` set (see writer_state.h for the
  // sequence rule). A failed write (disk full) returns an IOError and leaves the log as it was. `leader_epoch` >= 0 records the epoch's start offset in the leader epoch cache.
  Result<LogAppendInfo> AppendAsLeader(const Buffer& records, int32_t leader_epoch = -1);
  // Appends batches that already carry offsets (replication): checked like above, and their base
  // offset must be the log end offset; writer state is updated without sequence checks.
  Result<LogAppendInfo> AppendAsFollower(const Buffer& records);

  // Whole batches from the one holding `offset`, at most `max_bytes` (but at least one batch), from
  // a single segment, up to the log end or the high watermark. LOG_OFFSET_OUT_OF_RANGE when `offset`
  // is below the log start or above the log end.
  Result<FetchData> Read(int64_t offset, size_t max_bytes, FetchIsolation isolation = FetchIsolation::kLogEnd) const;

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  int64_t high_watermark() const;
  int64_t recovery_point() const;
  // Sets the high watermark, clamped to [log start, log end]. Returns the value set.
  int64_t UpdateHighWatermark(int64_t offset);
  // Base offset of the first batch whose commit timestamp >= `timestamp`; the log end offset when
  // there is none (a reader starting there sees only what comes later).
  Result<int64_t> OffsetForTimestamp(int64_t timestamp) const;

  // fsyncs every segment up to the current log end (and indexes, and the directory when segments
  // were created) and advances the recovery point to it.
  Status Flush();
  // True when data was appended since the last flush; how long ago the oldest unflushed append was.
  bool HasUnflushed() const { return unflushed_since_ms_.load() >= 0; }
  int64_t UnflushedSinceMs() const { return unflushed_since_ms_.load(); }

  // Removes offsets >= `offset` (a batch holding it goes whole); no-op when `offset` >= log end.
  Status TruncateTo(int64_t offset);
  // Deletes every segment and restarts the log, empty, at `offset`.
  Status TruncateFullyAndStartAt(int64_t offset);
  // Retention: deletes the oldest inactive segments whose newest batch is older than table.log.ttl,
  // then while the log exceeds table.log.retention-size; never the active segment, nor a segment
  // holding offsets >= the retention floor (so the log start never passes the floor). Returns how
  // many were deleted.
  Result<int> DeleteExpiredSegments();
  // Retention holds: a holder that still needs the log from `offset` on sets it here, and retention
  // keeps every segment holding an offset >= the smallest hold set (the retention floor), whatever
  // table.log.ttl and table.log.retention-size say. -1 clears the holder's hold.
  void SetRetentionHold(RetentionHold holder, int64_t offset);
  // The holder's hold, -1 when it has none.
  int64_t retention_hold(RetentionHold holder) const;
  // The smallest hold set, -1 when there is none (retention then goes by ttl and size alone).
  int64_t retention_floor() const;
  // Forgets idempotent writers idle for longer than server.writer-id.expiration-time.
  size_t RemoveExpiredWriters();

  // Flushes, writes a writer snapshot at the log end (unless one is there already), trims the active
  // segment's indexes and closes the segments' files. After Close the tablet takes no appends.
  Status Close();
  // Closes the files and removes the bucket directory.
  Status Delete();

  const std::string& dir() const { return dir_; }
  const LogConfig& config() const { return config_; }
  size_t num_segments() const;
  // Segments whose files are open now (the others were closed by the open-segment budget).
  size_t open_segment_count() const;
  // Bytes of the index files on disk, and mapped into memory now, over all segments.
  uint64_t index_file_bytes() const;
  uint64_t index_mapped_bytes() const;
  std::vector<int64_t> segment_base_offsets() const;
  uint64_t size_in_bytes() const;
  size_t writer_count() const;
  std::optional<WriterStateEntry> writer_state(int64_t writer_id) const;
  std::vector<EpochEntry> leader_epochs() const;
  // Leader-epoch end offset query for follower truncation (see LeaderEpochCache::EndOffsetFor).
  EpochEntry EndOffsetForEpoch(int32_t epoch) const;
  // Records the start offset of a new leader epoch (followers; leaders via AppendAsLeader).
  Status AssignLeaderEpoch(int32_t epoch, int64_t start_offset);

 private:
  LogTablet(std::string dir, LogConfig config, LogTabletOptions options, LeaderEpochCache epochs);

  Status LoadSegments();
  Status RecoverSegments(int64_t recovery_point, bool clean_shutdown);
  Status RebuildWriterState(int64_t log_end);
  Status ReplayWriterState(int64_t from_offset, int64_t to_offset);
  // REQUIRES lock_. Rolls when the active segment cannot take `bytes` / `batches` more.
  Status MaybeRoll(size_t bytes, size_t batches, int64_t last_offset, int64_t now);
  Status RollLocked();
  Result<LogAppendInfo> AppendLocked(const Buffer& records, bool as_leader, int32_t leader_epoch);
  Status MaybeFlushAfterAppend(int64_t records, int64_t bytes);
  // REQUIRES flush_lock_ and lock_.
  Status TruncateFullyLocked(int64_t offset);
  Status DeleteSegmentLocked(std::map<int64_t, std::shared_ptr<LogSegment>>::iterator it);
  LogSegment& active() const { return *segments_.rbegin()->second; }
  int64_t LogEndLocked() const { return active().next_offset(); }
  int64_t LogStartLocked() const { return segments_.begin()->second->base_offset(); }
  int64_t RetentionFloorLocked() const;

  FileSystem& fs_;
  const std::string dir_;
  const LogConfig config_;
  const ClockMs clock_;
  const std::shared_ptr<OpenSegmentCache> open_segments_;

  mutable std::mutex lock_;  // segments_, writer state, epochs, offsets below
  std::map<int64_t, std::shared_ptr<LogSegment>> segments_;  // by base offset; never empty once open
  WriterStateManager writers_;
  LeaderEpochCache epochs_;
  int64_t high_watermark_ = 0;
  int64_t recovery_point_ = 0;
  std::array<int64_t, kRetentionHoldKinds> retention_holds_{-1, -1};  // by RetentionHold; -1: none
  bool dir_dirty_ = false;  // segments created or deleted since the last flush
  bool closed_ = false;

  std::mutex flush_lock_;  // one flush at a time; taken before lock_ when both are held
  std::atomic<int64_t> unflushed_records_{0};
  std::atomic<int64_t> unflushed_bytes_{0};
  std::atomic<int64_t> unflushed_since_ms_{-1};
};

}  // namespace fluss
