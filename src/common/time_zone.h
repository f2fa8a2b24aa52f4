// TimeZone: a region's offset from UTC over time, for turning an instant into the local date and
// hour that auto-partitioning names partitions after (table.auto-partition.time-zone).
//
// Names: an IANA zone ("Asia/Shanghai", "Europe/Berlin") read from the system's time-zone database
// (TZif files under $TZDIR, else /usr/share/zoneinfo: the transitions, then the file's POSIX TZ rule
// for instants after the last one); "UTC", "GMT", "Z"; or a fixed offset written "+08:00", "-0530",
// "UTC+8", "GMT-05:30" (as Java's ZoneId accepts them). An unknown name is an error, never UTC in
// disguise. Immutable once loaded; copies share nothing mutable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fluss {

// A calendar date and time of day (no zone): what a clock on the wall shows.
struct CivilTime {
  int64_t year = 1970;
  int month = 1;   // 1..12
  int day = 1;     // 1..31
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
  int second = 0;  // 0..59
  bool operator==(const CivilTime&) const = default;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, int month, int day);
CivilTime CivilFromSeconds(int64_t seconds_since_epoch);  // as UTC
int64_t SecondsFromCivil(const CivilTime& t);             // as UTC

class TimeZone {
 public:
  // INVALID_CONFIG "unknown time zone 'X' (an IANA name such as Asia/Shanghai, UTC, or an offset such
  // as +08:00)"; CORRUPT_RECORD for a TZif file that does not parse.
  static Result<TimeZone> Load(std::string_view name);
  static TimeZone Utc();
  // The zone of this machine: $TZ when it names a zone, else /etc/timezone or /etc/localtime, else UTC.
  static TimeZone System();

  const std::string& name() const { return name_; }
  // Seconds to add to UTC to get local time at the instant `epoch_seconds`.
  int32_t OffsetAt(int64_t epoch_seconds) const;
  // The local date and time at an instant.
  CivilTime ToCivil(int64_t epoch_seconds) const { return CivilFromSeconds(epoch_seconds + OffsetAt(epoch_seconds)); }

  // A POSIX TZ rule (the footer of a TZif file, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), public for tests.
  struct PosixRule {
    int32_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    int32_t dst_offset = 0;
    // A rule date: kind 'M' (month, week 1..5, weekday 0..6), 'J' (day 1..365, no Feb 29), 'N' (day 0..365).
    struct When {
      char kind = 'M';
      int month = 0, week = 0, weekday = 0, day = 0;
      int32_t time = 7200;  // seconds after local midnight (may be negative or beyond 24h)
    };
    When start, end;
    int32_t OffsetAt(int64_t epoch_seconds) const;
  };
  static Result<PosixRule> ParsePosixRule(std::string_view rule);

 private:
  // A TZif file's contents (RFC 8536).
  static Result<TimeZone> ParseTzif(const std::string& name, const std::string& data);

  std::string name_;
  int32_t initial_offset_ = 0;          // before the first transition
  std::vector<int64_t> transitions_;    // ascending, epoch seconds
  std::vector<int32_t> offsets_;        // offsets_[i] applies from transitions_[i]
  std::optional<PosixRule> rule_;       // after the last transition
};

}  // namespace fluss
