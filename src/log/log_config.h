// LogConfig: the options of the log storage engine, named and defaulted as Fluss names them where
// Fluss has the option (reference/fluss.md §9); fluss-cpp additions are marked. docs/configuration.md
// lists every one with its default.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fluss {

// Milliseconds since the Unix epoch. Injected so tests control commit timestamps and expiry.
using ClockMs = std::function<int64_t()>;
// The system clock (std::chrono::system_clock) in milliseconds.
int64_t SystemClockMs();

struct LogConfig {
  static constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();
  static constexpr int64_t kMiB = 1024 * 1024;
  static constexpr int64_t kHourMs = 3600 * 1000;
  static constexpr int64_t kDayMs = 24 * kHourMs;

  // log.segment.file-size: roll to a new segment before the .log file passes this size.
  int64_t segment_bytes = 1024 * kMiB;
  // log.segment.roll-time (fluss-cpp): roll a non-empty active segment this long after its first
  // batch, so time retention can delete the data of a quiet bucket.
  int64_t segment_roll_ms = 7 * kDayMs;
  // log.index.file-size: the most bytes each .index / .timeindex of the active segment may grow to
  // (the files grow in steps as entries are added, and are trimmed on roll). A segment also rolls
  // when either index is full.
  int64_t index_file_bytes = 10 * kMiB;
  // log.index.interval-size: bytes of batches between two sparse index entries.
  int64_t index_interval_bytes = 4096;

  // log.flush.interval-messages: fsync once this many records were appended since the last flush
  // (1 = fsync every append). Fluss's default: never from the append path.
  int64_t flush_interval_messages = kNoLimit;
  // log.flush.interval-bytes (fluss-cpp): fsync once this many bytes were appended since the last flush.
  int64_t flush_interval_bytes = kNoLimit;
  // log.flush.interval (fluss-cpp): the LogManager's background thread fsyncs every log with
  // unflushed data this often. The loss window on power failure / kernel crash is this interval plus
  // one fsync; a process crash alone loses nothing written (the page cache survives). 0 = off.
  int64_t flush_interval_ms = 1000;
  // log.writeback.interval-size (fluss-cpp): after this many appended bytes, start the kernel's
  // writeback of them without waiting (sync_file_range), so disk writes overlap appends and an
  // fsync finds little left to write. 0 = off. Does not change durability.
  int64_t writeback_interval_bytes = 1 * kMiB;
  // log.flush.offset.checkpoint-interval: how often recovery-point-offset-checkpoint is written.
  int64_t recovery_point_checkpoint_interval_ms = 60 * 1000;
  // log.replica.high-watermark.checkpoint-interval: how often high-watermark-checkpoint is written.
  int64_t high_watermark_checkpoint_interval_ms = 5 * 1000;

  // table.log.ttl: delete segments whose newest batch is older than this. <= 0 keeps them forever.
  int64_t retention_ms = 7 * kDayMs;
  // table.log.retention-size (fluss-cpp): delete the oldest segments while the log is larger than
  // this. <= 0 or kNoLimit = no size limit.
  int64_t retention_bytes = kNoLimit;
  // log.retention.check-interval: how often the LogManager applies retention and writer expiry.
  int64_t retention_check_interval_ms = 5 * 60 * 1000;

  // server.writer-id.expiration-time: forget an idempotent writer this long after its last batch.
  int64_t writer_expiration_ms = 7 * kDayMs;
  // server.writer-id.expiration-check-interval: how often expired writers are removed.
  int64_t writer_expiration_check_interval_ms = 10 * 60 * 1000;

  // log.recovery.thread-num (fluss-cpp): threads that open bucket logs at LogManager start.
  int32_t recovery_threads = 2;

  // log.open-files.max (fluss-cpp): the most segments whose files (one .log descriptor, up to two
  // index maps) are open at once across all logs of a LogManager; the least recently used are
  // closed and reopen on their next use (open_segment_cache.h). 0 = auto: half the process's soft
  // open-file limit, at most 16384.
  int64_t open_files_max = 0;

  // Checks ranges (positive sizes, index entries fit, ...).
  Status Validate() const;

  // Applies "key" -> "value" options by their names above. Sizes accept a unit suffix
  // (b, kb, mb, gb), durations one of ms, s, min, h, d ("7 d", "100ms"); unknown keys are an error.
  static Result<LogConfig> FromOptions(const std::map<std::string, std::string>& options);
  // True for the keys FromOptions knows.
  static bool IsLogOption(std::string_view key);
  // Those keys.
  static std::vector<std::string_view> OptionNames();
};

}  // namespace fluss
