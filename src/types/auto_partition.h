// Auto-partitioning as Apache Fluss defines it (its AutoPartitionStrategy, PartitionUtils and
// AutoPartitionManager): the table.auto-partition.* options of a table, the partition time of an
// instant ("20241111" for DAY), which partitions a check creates and which it drops, and the checks
// at table creation and at CreatePartition. Pure functions of the options, the partitions and the
// time: the server's AutoPartitionManager runs them on a timer (src/server/auto_partition_manager.h).
//
// Options (docs/configuration.md):
//   table.auto-partition.enabled        false
//   table.auto-partition.key            the time partition key; required with several partition keys
//   table.auto-partition.time-unit      HOUR (yyyyMMddHH), DAY (yyyyMMdd; default), MONTH (yyyyMM),
//                                       QUARTER (yyyyQ), YEAR (yyyy)
//   table.auto-partition.time-format    another pattern for the unit: the unit's fields (y, Q, M, d,
//                                       H) largest first at fixed width, quoted literals, no [ ]
//   table.auto-partition.time-zone      the zone "now" is read in (default: the server's zone)
//   table.auto-partition.num-precreate  2: partitions created ahead (the current one included); only
//                                       for a single partition key (0 with several)
//   table.auto-partition.num-retention  7: past partitions kept; older ones are dropped; negative
//                                       keeps all
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_zone.h"
#include "types/partition_spec.h"
#include "types/table_descriptor.h"

namespace fluss {

enum class AutoPartitionTimeUnit { kYear, kQuarter, kMonth, kDay, kHour };

// "YEAR", "QUARTER", ...
std::string_view AutoPartitionTimeUnitName(AutoPartitionTimeUnit unit);

// A partition time pattern: the subset of Java's DateTimeFormatter patterns that upstream allows
// (PartitionUtils.validateTimeFormat): y or u (year, 4 digits), Q or q (quarter, 1), M or L (month,
// 2), d (day, 2), H (hour, 2), literals in '...' ('' is a quote), and other non-letters as they are.
class AutoPartitionTimeFormat {
 public:
  // Checks `pattern` for `unit` as upstream does: exactly the unit's fields in order, each at its
  // fixed width, no optional sections, no other letters. INVALID_TABLE with upstream's reason, e.g.
  // "Time format 'MM-yyyy' must contain fields [year, month] in this order for time unit 'MONTH',
  // but found [month, year]."
  static Result<AutoPartitionTimeFormat> Make(std::string_view pattern, AutoPartitionTimeUnit unit);
  // The unit's default pattern.
  static AutoPartitionTimeFormat Default(AutoPartitionTimeUnit unit);

  const std::string& pattern() const { return pattern_; }
  std::string Format(const CivilTime& t) const;
  // Whether `text` is a time in this pattern (each field its width in digits and in range, the
  // literals as written): upstream's isValidPartitionTime.
  bool Matches(std::string_view text) const;

 private:
  struct Part {
    char field = 0;  // 'y', 'Q', 'M', 'd', 'H'; 0 for a literal
    std::string literal;
  };
  std::string pattern_;
  std::vector<Part> parts_;
};

struct AutoPartitionStrategy {
  bool enabled = false;
  std::string key;  // as given (empty: not given)
  AutoPartitionTimeUnit time_unit = AutoPartitionTimeUnit::kDay;
  std::string time_format;  // as given (empty: the unit's default)
  std::string time_zone;    // as given (empty: the server's zone)
  int32_t num_precreate = 2;
  bool num_precreate_given = false;
  int32_t num_retention = 7;

  // From a table's properties (values as CheckTableProperties accepts them; others are errors).
  static Result<AutoPartitionStrategy> FromProperties(const std::map<std::string, std::string>& properties);

  // The time partition key: `key`, else the first partition key.
  std::string TimeKey(const std::vector<std::string>& partition_keys) const;
  // The pattern in use (INVALID_TABLE for a bad custom one).
  Result<AutoPartitionTimeFormat> Format() const;
  // The zone "now" is read in: time_zone, else TimeZone::System().
  Result<TimeZone> Zone() const;
};

// The partition time `offset` units after the unit containing `now_ms` (upstream's
// generateAutoPartitionTime): HOUR moves along the instant time line, the other units along the
// local calendar.
std::string AutoPartitionTime(const AutoPartitionStrategy& strategy, const AutoPartitionTimeFormat& format,
                              const TimeZone& zone, int64_t now_ms, int offset);

// What one auto-partition check of a table does (upstream's AutoPartitionManager.doAutoPartition).
struct AutoPartitionPlan {
  std::vector<std::string> to_drop;    // partition names, ascending
  std::vector<std::string> to_create;  // partition names, in time order
};
// `existing`: the table's partition names. Drops (unless num_retention < 0) every partition whose
// time-key value sorts before the time `num_retention` units before now (the system partition
// "__historical__" excepted); creates (one partition key only) the partitions of the
// `num_precreate` units from `create_now_ms` on that do not exist. `create_now_ms` is `now_ms`
// moved back by the jitter of a DAY table's periodic check (upstream spreads them over the day).
AutoPartitionPlan PlanAutoPartitions(const AutoPartitionStrategy& strategy, const AutoPartitionTimeFormat& format,
                                     const TimeZone& zone, const std::vector<std::string>& partition_keys,
                                     const std::vector<std::string>& existing, int64_t now_ms, int64_t create_now_ms);

// The check of a CreatePartition (upstream's validateAutoPartitionTime): with auto-partitioning on
// or a time format set, the time key's value must match the pattern; with auto-partitioning on it
// must not be older than the oldest partition retention keeps. PARTITION_SPEC_INVALID with
// upstream's reason, e.g. "Partition value '20240101' is out-of-date. The earliest retained
// partition is '20241104'."
Status ValidateAutoPartitionTime(const AutoPartitionStrategy& strategy, const std::vector<std::string>& partition_keys,
                                 const ResolvedPartitionSpec& spec, int64_t now_ms);

// The rules between the auto-partition options and the table at creation (upstream's
// TableDescriptorValidation.checkPartition): auto-partitioning needs partition keys
// (INVALID_CONFIG); with several partition keys `key` is required and must be one of them and
// num-precreate, when given, must be 0; a DATE time key needs DAY and the format yyyy-MM-dd; a time format must
// suit the unit; the time zone must be known (INVALID_TABLE, INVALID_CONFIG for the zone).
Status CheckAutoPartitionOptions(const TableDescriptor& descriptor);

}  // namespace fluss
