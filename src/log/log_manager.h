// LogManager: the bucket logs under one data dir. It opens the logs its owner names — never by
// scanning the data dir for names that look like logs, which a user's table name could spell (the
// server decides what is a bucket log from its metadata: server/data_dir_layout.h) — recovering them
// in parallel on log.recovery.thread-num threads (OpenLogs), owns the background work — flush on
// log.flush.interval, recovery-point and high-watermark checkpoints, retention and writer expiry —
// and closes cleanly.
//
// Per data dir (reference/fluss.md §3.1): `recovery-point-offset-checkpoint`,
// `high-watermark-checkpoint` and, present only between a clean Close and the next Open,
// `.fluss_cleanshutdown`. Without the marker each log is checked from its recovery point on (only
// the segments after the last flush), never from its start.
// Segment files of all logs share one budget of open files (log.open-files.max, open_segment_cache.h),
// and the background thread closes those unused for a minute: idle buckets hold no descriptor and no
// mapped page. Open fails, naming the numbers, when the process's open-file limit
// cannot cover that budget plus a reserve.
// Bucket logs live at `{db}/{table}-{table_id}[/{partition}-p{partition_id}]/log-{bucket}`.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "log/log_config.h"
#include "log/log_tablet.h"
#include "log/open_segment_cache.h"

namespace fluss {

inline constexpr std::string_view kCleanShutdownFile = ".fluss_cleanshutdown";
inline constexpr std::string_view kRecoveryPointCheckpointFile = "recovery-point-offset-checkpoint";
inline constexpr std::string_view kHighWatermarkCheckpointFile = "high-watermark-checkpoint";

struct LogManagerOptions {
  ClockMs clock = SystemClockMs;
  // Run flush / checkpoint / retention on a background thread from Open on. Off: call the steps
  // yourself, or StartBackground() once the logs' owners have set their retention holds.
  bool background = true;
  // The file system of the data dir and every log in it (tests: a FaultInjectionFileSystem). Null:
  // the local one. REQUIRES: outlives the manager.
  FileSystem* file_system = nullptr;
};

class LogManager {
 public:
  // Reads the data dir's checkpoints; opens no log yet (OpenLogs, GetOrCreateLog).
  static Result<std::unique_ptr<LogManager>> Open(std::string data_dir, LogConfig config, LogManagerOptions options = {});
  // Closes (as Close) if not closed yet; errors are logged.
  ~LogManager();
  LogManager(const LogManager&) = delete;
  LogManager& operator=(const LogManager&) = delete;

  // The bucket log directory relative to the data dir, e.g. "db/orders-7/log-0".
  static std::string BucketDir(std::string_view database, std::string_view table, int64_t table_id, int32_t bucket,
                               std::optional<std::pair<std::string, int64_t>> partition = std::nullopt);

  const std::string& data_dir() const { return data_dir_; }
  // The budget of open segment files shared by every log here (log.open-files.max).
  const OpenSegmentCache& open_segments() const { return *open_segments_; }
  bool opened_after_clean_shutdown() const { return clean_start_; }

  // Opens the existing logs in `relative_dirs` (those not open yet) in parallel, each recovered from
  // its checkpointed recovery point (all of it after an unclean shutdown without one). An error names
  // the first log that failed; the logs opened stay open.
  Status OpenLogs(const std::vector<std::string>& relative_dirs);
  // The log in `relative_dir`: open already, else opened (and recovered) when its directory exists,
  // else created empty. A log that fails to be created leaves no directory behind (nor the parent
  // directories the call created).
  Result<std::shared_ptr<LogTablet>> GetOrCreateLog(const std::string& relative_dir);
  // Creates the empty logs in `relative_dirs` whose directories do not exist yet (the others are
  // left to GetOrCreateLog) at the cost of one directory fsync per directory that gained names
  // rather than one per log: every missing directory is made first, then each parent that got a new
  // name is synced once, and only then are the logs opened. So the logs of a new partition cost one
  // fsync of the partition directory and one of the table directory. When this returns OK every
  // directory it made is durable. On error nothing it made is left (directories or open logs).
  Status CreateLogs(const std::vector<std::string>& relative_dirs);
  std::shared_ptr<LogTablet> GetLog(const std::string& relative_dir) const;
  std::vector<std::string> LogDirs() const;
  // Deletes the log and its directory.
  Status DropLog(const std::string& relative_dir);

  // Background steps (public for tests and for callers without the thread):
  // fsyncs logs whose oldest unflushed append is older than log.flush.interval (all with `force`).
  Status FlushLogs(bool force);
  Status CheckpointRecoveryPoints();
  Status CheckpointHighWatermarks();
  // One retention pass: runs the before-retention hook (if set), then every log's
  // DeleteExpiredSegments. Returns how many segments were deleted.
  Result<int> ApplyRetention();
  size_t ExpireWriters();

  // Called at the start of every retention pass, before any segment is deleted, on the thread that
  // runs the pass: lets the logs' owners refresh their retention holds (LogTablet::SetRetentionHold)
  // once per pass. Replaces any hook set before; an empty function removes it.
  void SetBeforeRetention(std::function<void()> hook);
  // Starts the background thread (no-op when it runs, or after Close).
  void StartBackground();

  // Stops the background thread, closes every log, writes both checkpoints and the clean shutdown
  // marker. Idempotent.
  Status Close();

 private:
  LogManager(std::string data_dir, LogConfig config, LogManagerOptions options);
  // Removes what WriteFileDurably leaves of the data dir's files when a crash interrupts it.
  Status RemoveInterruptedWrites();
  // Options to open the existing log in `relative_dir` with, from the checkpoints read at Open.
  LogTabletOptions ExistingLogOptions(const std::string& relative_dir) const;
  // Options to open a log created empty now with.
  LogTabletOptions NewLogOptions() const;
  void BackgroundLoop();
  std::vector<std::pair<std::string, std::shared_ptr<LogTablet>>> Snapshot() const;

  const std::string data_dir_;
  const LogConfig config_;
  const LogManagerOptions options_;
  FileSystem& fs_;
  bool clean_start_ = false;
  std::shared_ptr<OpenSegmentCache> open_segments_;
  std::map<std::string, int64_t> recovery_points_;  // as checkpointed when Open ran
  std::map<std::string, int64_t> high_watermarks_;

  mutable std::mutex lock_;
  std::map<std::string, std::shared_ptr<LogTablet>> logs_;
  bool closed_ = false;
  std::function<void()> before_retention_;
  std::mutex retention_lock_;  // one retention pass at a time

  std::mutex bg_lock_;
  std::condition_variable bg_cv_;
  bool stop_ = false;
  std::thread background_;
};

}  // namespace fluss
