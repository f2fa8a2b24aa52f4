#include "common/config_value.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include <fmt/format.h>

#include "common/ascii.h"

namespace fluss {

std::string TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

namespace {

// Splits "12 mb" into 12 and "mb" (lower case).
Result<std::pair<int64_t, std::string>> SplitNumber(std::string_view key, std::string_view text) {
  std::string s = TrimSpace(text);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || s.empty()) {
    return Status::Invalid(fmt::format("option '{}': '{}' is not a number", key, text));
  }
  std::string unit = TrimSpace(std::string_view(end, s.data() + s.size() - end));
  unit = AsciiLower(unit);
  return std::make_pair(v, unit);
}

}  // namespace

Result<int64_t> ParseSizeOption(std::string_view key, std::string_view text) {
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

Result<int64_t> ParseDurationOption(std::string_view key, std::string_view text) {
  FLUSS_ASSIGN_OR_RETURN(auto nu, SplitNumber(key, text));
  const std::string& u = nu.second;
  // Fluss's (Flink's) duration units, long and short forms; below a millisecond rounds down.
  auto is = [&u](std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (u == n) return true;
    }
    return false;
  };
  if (is({"ns", "nano", "nanos", "nanosecond", "nanoseconds"})) return nu.first / 1000000;
  if (is({"us", "\u00b5s", "micro", "micros", "microsecond", "microseconds"})) return nu.first / 1000;
  int64_t mult = 1;
  if (u.empty() || is({"ms", "milli", "millis", "millisecond", "milliseconds"})) mult = 1;
  else if (is({"s", "sec", "secs", "second", "seconds"})) mult = 1000;
  else if (is({"m", "min", "mins", "minute", "minutes"})) mult = 60 * 1000;
  else if (is({"h", "hour", "hours"})) mult = 3600LL * 1000;
  else if (is({"d", "day", "days"})) mult = 24LL * 3600 * 1000;
  else return Status::Invalid(fmt::format("option '{}': unknown duration unit '{}'", key, u));
  if (nu.first > INT64_MAX / mult || nu.first < INT64_MIN / mult) {
    return Status::Invalid(fmt::format("option '{}': '{}' is too long a duration", key, text));
  }
  return nu.first * mult;
}

Result<int64_t> ParseIntOption(std::string_view key, std::string_view text) {
  FLUSS_ASSIGN_OR_RETURN(auto nu, SplitNumber(key, text));
  if (!nu.second.empty()) return Status::Invalid(fmt::format("option '{}': '{}' is not an integer", key, text));
  return nu.first;
}

Result<bool> ParseBoolOption(std::string_view key, std::string_view text) {
  std::string s = TrimSpace(text);
  s = AsciiLower(s);
  if (s == "true") return true;
  if (s == "false") return false;
  return Status::Invalid(fmt::format("option '{}': '{}' is not true or false", key, text));
}

}  // namespace fluss
