#include "log/log_config.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <chrono>

namespace fluss {

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status LogConfig::Validate() const {
  if (segment_bytes < 64 || segment_bytes > std::numeric_limits<int32_t>::max()) {
    return Status::Invalid(fmt::format("log.segment.file-size {} must be in [64, 2 GiB)", segment_bytes));
  }
  if (index_file_bytes < 12 * 2) {
    return Status::Invalid(fmt::format("log.index.file-size {} is below two index entries", index_file_bytes));
  }
  if (index_interval_bytes < 0) {
    return Status::Invalid(fmt::format("log.index.interval-size {} is negative", index_interval_bytes));
  }
  if (flush_interval_messages <= 0 || flush_interval_bytes <= 0) {
    return Status::Invalid("log.flush.interval-messages and log.flush.interval-bytes must be positive");
  }
  if (segment_roll_ms <= 0) return Status::Invalid("log.segment.roll-time must be positive");
  if (recovery_threads <= 0) return Status::Invalid("log.recovery.thread-num must be positive");
  return Status::OK();
}

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Splits "12 mb" into 12 and "mb" (lower case).
Result<std::pair<int64_t, std::string>> SplitNumber(const std::string& key, const std::string& text) {
  std::string s = Trim(text);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) return Status::Invalid(fmt::format("option '{}': '{}' is not a number", key, text));
  std::string unit = Trim(std::string_view(end, s.data() + s.size() - end));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::make_pair(v, unit);
}

Result<int64_t> ParseBytes(const std::string& key, const std::string& text) {
  FLUSS_ASSIGN_OR_RETURN(auto nu, SplitNumber(key, text));
  const std::string& u = nu.second;
  int64_t mult = 1;
  if (u.empty() || u == "b" || u == "bytes") mult = 1;
  else if (u == "k" || u == "kb" || u == "kib") mult = 1024;
  else if (u == "m" || u == "mb" || u == "mib") mult = 1024 * 1024;
  else if (u == "g" || u == "gb" || u == "gib") mult = 1024LL * 1024 * 1024;
  else return Status::Invalid(fmt::format("option '{}': unknown size unit '{}'", key, u));
  return nu.first * mult;
}

Result<int64_t> ParseDurationMs(const std::string& key, const std::string& text) {
  FLUSS_ASSIGN_OR_RETURN(auto nu, SplitNumber(key, text));
  const std::string& u = nu.second;
  int64_t mult = 1;
  if (u.empty() || u == "ms") mult = 1;
  else if (u == "s" || u == "sec") mult = 1000;
  else if (u == "min" || u == "m") mult = 60 * 1000;
  else if (u == "h") mult = LogConfig::kHourMs;
  else if (u == "d" || u == "day" || u == "days") mult = LogConfig::kDayMs;
  else return Status::Invalid(fmt::format("option '{}': unknown duration unit '{}'", key, u));
  return nu.first * mult;
}

}  // namespace

Result<LogConfig> LogConfig::FromOptions(const std::map<std::string, std::string>& options) {
  LogConfig c;
  struct Field {
    const char* key;
    int64_t LogConfig::*field;
    bool is_duration;
  };
  static const Field kFields[] = {
      {"log.segment.file-size", &LogConfig::segment_bytes, false},
      {"log.segment.roll-time", &LogConfig::segment_roll_ms, true},
      {"log.index.file-size", &LogConfig::index_file_bytes, false},
      {"log.index.interval-size", &LogConfig::index_interval_bytes, false},
      {"log.flush.interval-messages", &LogConfig::flush_interval_messages, false},
      {"log.flush.interval-bytes", &LogConfig::flush_interval_bytes, false},
      {"log.flush.interval", &LogConfig::flush_interval_ms, true},
      {"log.writeback.interval-size", &LogConfig::writeback_interval_bytes, false},
      {"log.flush.offset.checkpoint-interval", &LogConfig::recovery_point_checkpoint_interval_ms, true},
      {"log.replica.high-watermark.checkpoint-interval", &LogConfig::high_watermark_checkpoint_interval_ms, true},
      {"table.log.ttl", &LogConfig::retention_ms, true},
      {"table.log.retention-size", &LogConfig::retention_bytes, false},
      {"log.retention.check-interval", &LogConfig::retention_check_interval_ms, true},
      {"server.writer-id.expiration-time", &LogConfig::writer_expiration_ms, true},
      {"server.writer-id.expiration-check-interval", &LogConfig::writer_expiration_check_interval_ms, true},
  };
  for (const auto& [key, value] : options) {
    if (key == "log.recovery.thread-num") {
      FLUSS_ASSIGN_OR_RETURN(auto nu, SplitNumber(key, value));
      c.recovery_threads = static_cast<int32_t>(nu.first);
      continue;
    }
    const Field* found = nullptr;
    for (const Field& f : kFields) {
      if (key == f.key) found = &f;
    }
    if (found == nullptr) return Status::Invalid(fmt::format("unknown log option '{}'", key));
    FLUSS_ASSIGN_OR_RETURN(int64_t v, found->is_duration ? ParseDurationMs(key, value) : ParseBytes(key, value));
    c.*(found->field) = v;
  }
  FLUSS_RETURN_NOT_OK(c.Validate());
  return c;
}

}  // namespace fluss
