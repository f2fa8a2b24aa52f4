#include "cli/progress.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace fluss::cli {
namespace {

void PrintLine(const std::string& line) {
  const std::string text = line + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

std::string Rates(int64_t rows, int64_t bytes, double seconds) {
  const double s = std::max(seconds, 1e-6);
  return fmt::format("{:.0f} rows/s, {:.2f} MB/s", rows / s, bytes / s / 1e6);
}

}  // namespace

std::string RowCount(int64_t rows) { return fmt::format("{} row{}", rows, rows == 1 ? "" : "s"); }

std::string ProgressLine(std::string_view verb, int64_t rows, int64_t bytes, std::optional<int64_t> total_bytes,
                         double seconds) {
  if (!total_bytes || *total_bytes <= 0) {
    return fmt::format("{} {} ({})", verb, RowCount(rows), Rates(rows, bytes, seconds));
  }
  const double fraction = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(*total_bytes));
  std::string left;
  if (bytes > 0 && seconds > 0) {
    const double remaining = seconds * static_cast<double>(*total_bytes - std::min(bytes, *total_bytes)) / bytes;
    left = fmt::format(", {:.0f} s left", remaining);
  }
  return fmt::format("{} {}, {:.0f}% of {:.1f} MB ({}{})", verb, RowCount(rows), fraction * 100,
                     *total_bytes / 1e6, Rates(rows, bytes, seconds), left);
}

std::string SummaryLine(std::string_view verb, int64_t rows, int64_t bytes, std::string_view table, double seconds,
                        int64_t partitions_created) {
  const char* preposition = verb == "deleted" ? "from" : verb == "upserted" ? "into" : "to";
  std::string line = fmt::format("{} {} {} {} in {:.2f} s ({})", verb, RowCount(rows), preposition, table, seconds,
                                 Rates(rows, bytes, seconds));
  if (partitions_created > 0) {
    line += fmt::format("; created {} partition{}", partitions_created, partitions_created == 1 ? "" : "s");
  }
  return line;
}

void Progress::Tick(int64_t rows, int64_t bytes) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  PrintLine(ProgressLine(verb_, rows, bytes, total_bytes_, Seconds()));
}

void Progress::Summary(int64_t rows, int64_t bytes, std::string_view table, int64_t partitions_created) {
  if (quiet_) return;
  PrintLine(SummaryLine(verb_, rows, bytes, table, Seconds(), partitions_created));
}

}  // namespace fluss::cli
