// Progress and summary lines of the write commands (`produce`, `upsert`, `delete`), on stderr:
//
//   produced 360000 rows, 37% of 52.4 MB (351772 rows/s, 14.56 MB/s, 6 s left)     every second
//   produced 1000000 rows to shop.orders in 3.05 s (327388 rows/s, 13.68 MB/s)     at the end
//
// The percentage and the time left appear when the input's size is known (a regular file).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fluss::cli {

// "1 row", "2 rows".
std::string RowCount(int64_t rows);

// One progress line (without the newline): `verb` ("produced"), the rows and input bytes so far,
// the input's size when known, and the seconds since the start (rates use at least 1 µs).
std::string ProgressLine(std::string_view verb, int64_t rows, int64_t bytes, std::optional<int64_t> total_bytes,
                         double seconds);

// The summary line (without the newline): "produced 3 rows to shop.orders in 0.01 s (...)"; the
// preposition follows the verb (upserted into, deleted from).
// `partitions_created` > 0 (a partitioned table's writer made missing partitions) adds
// "; created 2 partitions".
std::string SummaryLine(std::string_view verb, int64_t rows, int64_t bytes, std::string_view table, double seconds,
                        int64_t partitions_created = 0);

// Prints progress lines at most once a second (when enabled) and the summary (unless quiet).
class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  Progress(bool enabled, bool quiet, std::string verb, std::optional<int64_t> total_bytes)
      : enabled_(enabled && !quiet), quiet_(quiet), verb_(std::move(verb)), total_bytes_(total_bytes) {}

  void Tick(int64_t rows, int64_t bytes);
  void Summary(int64_t rows, int64_t bytes, std::string_view table, int64_t partitions_created = 0);
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  const std::string& verb() const { return verb_; }

 private:
  bool enabled_;
  bool quiet_;
  std::string verb_;
  std::optional<int64_t> total_bytes_;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
};

}  // namespace fluss::cli
