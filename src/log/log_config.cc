#include "log/log_config.h"

#include "common/config_value.h"

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
  if (open_files_max < 0) {
    return Status::Invalid(fmt::format("log.open-files.max {} is negative (0 = auto)", open_files_max));
  }
  return Status::OK();
}

namespace {

struct Field {
  const char* key;
  int64_t LogConfig::*field;
  bool is_duration;
};
const Field kFields[] = {
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
}  // namespace

bool LogConfig::IsLogOption(std::string_view key) {
  if (key == "log.recovery.thread-num" || key == "log.open-files.max") return true;
  for (const Field& f : kFields) {
    if (key == f.key) return true;
  }
  return false;
}

std::vector<std::string_view> LogConfig::OptionNames() {
  std::vector<std::string_view> names = {"log.recovery.thread-num", "log.open-files.max"};
  for (const Field& f : kFields) names.push_back(f.key);
  return names;
}

Result<LogConfig> LogConfig::FromOptions(const std::map<std::string, std::string>& options) {
  LogConfig c;
  for (const auto& [key, value] : options) {
    if (key == "log.recovery.thread-num") {
      FLUSS_ASSIGN_OR_RETURN(auto nu, ParseIntOption(key, value));
      c.recovery_threads = static_cast<int32_t>(nu);
      continue;
    }
    if (key == "log.open-files.max") {
      FLUSS_ASSIGN_OR_RETURN(c.open_files_max, ParseIntOption(key, value));
      continue;
    }
    const Field* found = nullptr;
    for (const Field& f : kFields) {
      if (key == f.key) found = &f;
    }
    if (found == nullptr) return Status::Invalid(fmt::format("unknown log option '{}'", key));
    FLUSS_ASSIGN_OR_RETURN(int64_t v, found->is_duration ? ParseDurationOption(key, value) : ParseSizeOption(key, value));
    c.*(found->field) = v;
  }
  FLUSS_RETURN_NOT_OK(c.Validate());
  return c;
}

}  // namespace fluss
