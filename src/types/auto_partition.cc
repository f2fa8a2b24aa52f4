#include "types/auto_partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "common/ascii.h"
#include "common/config_value.h"

namespace fluss {
namespace {

Status InvalidTable(std::string message) { return Status(ErrorCode::kInvalidTable, std::move(message)); }

struct FieldInfo {
  char field;
  const char* name;
  size_t width;
};

// The fields a pattern letter stands for (upstream's TimeFormatField); nullptr for any other letter.
const FieldInfo* FieldOf(char letter) {
  static constexpr FieldInfo kYear{'y', "year", 4}, kQuarter{'Q', "quarter", 1}, kMonth{'M', "month", 2},
      kDay{'d', "day", 2}, kHour{'H', "hour", 2};
  switch (letter) {
    case 'y':
    case 'u': return &kYear;
    case 'Q':
    case 'q': return &kQuarter;
    case 'M':
    case 'L': return &kMonth;
    case 'd': return &kDay;
    case 'H': return &kHour;
    default: return nullptr;
  }
}

std::vector<char> ExpectedFields(AutoPartitionTimeUnit unit) {
  switch (unit) {
    case AutoPartitionTimeUnit::kYear: return {'y'};
    case AutoPartitionTimeUnit::kQuarter: return {'y', 'Q'};
    case AutoPartitionTimeUnit::kMonth: return {'y', 'M'};
    case AutoPartitionTimeUnit::kDay: return {'y', 'M', 'd'};
    case AutoPartitionTimeUnit::kHour: return {'y', 'M', 'd', 'H'};
  }
  return {};
}

std::string FieldNames(const std::vector<char>& fields) {
  std::vector<std::string> names;
  for (char f : fields) names.push_back(FieldOf(f)->name);
  return fmt::format("[{}]", fmt::join(names, ", "));
}

const char* DefaultPattern(AutoPartitionTimeUnit unit) {
  switch (unit) {
    case AutoPartitionTimeUnit::kYear: return "yyyy";
    case AutoPartitionTimeUnit::kQuarter: return "yyyyQ";
    case AutoPartitionTimeUnit::kMonth: return "yyyyMM";
    case AutoPartitionTimeUnit::kDay: return "yyyyMMdd";
    case AutoPartitionTimeUnit::kHour: return "yyyyMMddHH";
  }
  return "yyyyMMdd";
}

std::optional<AutoPartitionTimeUnit> ParseUnit(std::string_view text) {
  const std::string upper = AsciiUpper(TrimSpace(text));
  for (auto unit : {AutoPartitionTimeUnit::kYear, AutoPartitionTimeUnit::kQuarter, AutoPartitionTimeUnit::kMonth,
                    AutoPartitionTimeUnit::kDay, AutoPartitionTimeUnit::kHour}) {
    if (upper == AutoPartitionTimeUnitName(unit)) return unit;
  }
  return std::nullopt;
}

int64_t FloorDivision(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

// The value of the time key in a partition name, or nullopt when the name has another shape.
std::optional<std::string> TimeValue(const std::string& name, size_t key_index, size_t key_count) {
  if (key_count == 1) return name;
  auto spec = ResolvedPartitionSpec::FromName(std::vector<std::string>(key_count), name);
  if (!spec.ok()) return std::nullopt;
  return spec->values()[key_index];
}

}  // namespace

std::string_view AutoPartitionTimeUnitName(AutoPartitionTimeUnit unit) {
  switch (unit) {
    case AutoPartitionTimeUnit::kYear: return "YEAR";
    case AutoPartitionTimeUnit::kQuarter: return "QUARTER";
    case AutoPartitionTimeUnit::kMonth: return "MONTH";
    case AutoPartitionTimeUnit::kDay: return "DAY";
    case AutoPartitionTimeUnit::kHour: return "HOUR";
  }
  return "DAY";
}

// ---- time formats --------------------------------------------------------------------------------

Result<AutoPartitionTimeFormat> AutoPartitionTimeFormat::Make(std::string_view pattern, AutoPartitionTimeUnit unit) {
  AutoPartitionTimeFormat out;
  out.pattern_ = std::string(pattern);
  std::vector<char> fields;
  bool in_literal = false;
  auto literal = [&](std::string_view text) {
    if (out.parts_.empty() || out.parts_.back().field != 0) out.parts_.push_back(Part{});
    out.parts_.back().literal += text;
  };
  for (size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    if (c == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
        literal("'");
        i += 2;
      } else {
        in_literal = !in_literal;
        ++i;
      }
      continue;
    }
    if (!in_literal && (c == '[' || c == ']')) {
      return InvalidTable(
          fmt::format("Time format '{}' must not contain optional sections ('[' or ']').", pattern));
    }
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (in_literal || !letter) {
      literal(std::string_view(&c, 1));
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < pattern.size() && pattern[end] == c) ++end;
    const FieldInfo* field = FieldOf(c);
    if (field == nullptr) {
      return InvalidTable(fmt::format("Time format '{}' contains unsupported time field '{}'.", pattern, c));
    }
    if (end - i != field->width) {
      return InvalidTable(fmt::format("Time field '{}' in format '{}' must have fixed width {}, but found {}.",
                                      field->name, pattern, field->width, end - i));
    }
    fields.push_back(field->field);
    out.parts_.push_back(Part{field->field, {}});
    i = end;
  }
  if (in_literal) return InvalidTable(fmt::format("Time format '{}' has an unclosed quote.", pattern));
  const std::vector<char> expected = ExpectedFields(unit);
  if (fields != expected) {
    return InvalidTable(fmt::format("Time format '{}' must contain fields {} in this order for time unit '{}', but "
                                    "found {}.",
                                    pattern, FieldNames(expected), AutoPartitionTimeUnitName(unit),
                                    FieldNames(fields)));
  }
  // A representative time must give a valid partition value (upstream formats 2024-11-11 11:00).
  const std::string sample = out.Format(CivilTime{2024, 11, 11, 11, 0, 0});
  Status valid = ValidatePartitionValue(sample, /*is_create=*/true);
  if (!valid.ok()) {
    std::string reason = valid.message();
    const std::string prefix = fmt::format("The partition value {} is invalid: ", sample);
    if (reason.starts_with(prefix)) reason = reason.substr(prefix.size());
    return InvalidTable(
        fmt::format("Time format '{}' generates invalid partition value '{}': {}.", pattern, sample, reason));
  }
  return out;
}

AutoPartitionTimeFormat AutoPartitionTimeFormat::Default(AutoPartitionTimeUnit unit) {
  return *Make(DefaultPattern(unit), unit);
}

std::string AutoPartitionTimeFormat::Format(const CivilTime& t) const {
  std::string out;
  for (const Part& p : parts_) {
    switch (p.field) {
      case 0: out += p.literal; break;
      case 'y': out += fmt::format("{:04d}", t.year); break;
      case 'Q': out += std::to_string((t.month - 1) / 3 + 1); break;
      case 'M': out += fmt::format("{:02d}", t.month); break;
      case 'd': out += fmt::format("{:02d}", t.day); break;
      case 'H': out += fmt::format("{:02d}", t.hour); break;
    }
  }
  return out;
}

bool AutoPartitionTimeFormat::Matches(std::string_view text) const {
  for (const Part& p : parts_) {
    if (p.field == 0) {
      if (!text.starts_with(p.literal)) return false;
      text.remove_prefix(p.literal.size());
      continue;
    }
    const size_t width = FieldOf(p.field)->width;
    if (text.size() < width) return false;
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + width, value);
    if (ec != std::errc() || end != text.data() + width || text[0] == '-' || text[0] == '+') return false;
    text.remove_prefix(width);
    switch (p.field) {
      case 'Q':
        if (value < 1 || value > 4) return false;
        break;
      case 'M':
        if (value < 1 || value > 12) return false;
        break;
      case 'd':
        if (value < 1 || value > 31) return false;
        break;
      case 'H':
        if (value > 23) return false;
        break;
      default: break;
    }
  }
  return text.empty();
}

// ---- the strategy ----------------------------------------------------------------------------------

Result<AutoPartitionStrategy> AutoPartitionStrategy::FromProperties(const std::map<std::string, std::string>& props) {
  AutoPartitionStrategy s;
  auto get = [&](const char* key) -> const std::string* {
    auto it = props.find(key);
    return it == props.end() ? nullptr : &it->second;
  };
  if (const std::string* v = get("table.auto-partition.enabled")) {
    FLUSS_ASSIGN_OR_RETURN(s.enabled, ParseBoolOption("table.auto-partition.enabled", *v));
  }
  if (const std::string* v = get("table.auto-partition.key")) s.key = TrimSpace(*v);
  if (const std::string* v = get("table.auto-partition.time-unit")) {
    auto unit = ParseUnit(*v);
    if (!unit) {
      return Status(ErrorCode::kInvalidConfig, fmt::format("table property 'table.auto-partition.time-unit': '{}' is "
                                                           "not one of YEAR, QUARTER, MONTH, DAY, HOUR",
                                                           *v));
    }
    s.time_unit = *unit;
  }
  if (const std::string* v = get("table.auto-partition.time-format")) s.time_format = *v;
  if (const std::string* v = get("table.auto-partition.time-zone")) s.time_zone = TrimSpace(*v);
  if (const std::string* v = get("table.auto-partition.num-precreate")) {
    FLUSS_ASSIGN_OR_RETURN(int64_t n, ParseIntOption("table.auto-partition.num-precreate", *v));
    s.num_precreate = static_cast<int32_t>(n);
    s.num_precreate_given = true;
  }
  if (const std::string* v = get("table.auto-partition.num-retention")) {
    FLUSS_ASSIGN_OR_RETURN(int64_t n, ParseIntOption("table.auto-partition.num-retention", *v));
    s.num_retention = static_cast<int32_t>(n);
  }
  return s;
}

std::string AutoPartitionStrategy::TimeKey(const std::vector<std::string>& partition_keys) const {
  if (!key.empty()) return key;
  return partition_keys.empty() ? std::string() : partition_keys.front();
}

Result<AutoPartitionTimeFormat> AutoPartitionStrategy::Format() const {
  if (time_format.empty()) return AutoPartitionTimeFormat::Default(time_unit);
  return AutoPartitionTimeFormat::Make(time_format, time_unit);
}

Result<TimeZone> AutoPartitionStrategy::Zone() const {
  if (time_zone.empty()) return TimeZone::System();
  return TimeZone::Load(time_zone);
}

std::string AutoPartitionTime(const AutoPartitionStrategy& strategy, const AutoPartitionTimeFormat& format,
                              const TimeZone& zone, int64_t now_ms, int offset) {
  const int64_t now_s = FloorDivision(now_ms, 1000);
  CivilTime t = zone.ToCivil(now_s);
  switch (strategy.time_unit) {
    case AutoPartitionTimeUnit::kHour: t = zone.ToCivil(now_s + int64_t{offset} * 3600); break;
    case AutoPartitionTimeUnit::kDay: {
      const CivilTime moved = CivilFromSeconds((DaysFromCivil(t.year, t.month, t.day) + offset) * 86400);
      t.year = moved.year;
      t.month = moved.month;
      t.day = moved.day;
      break;
    }
    case AutoPartitionTimeUnit::kMonth:
    case AutoPartitionTimeUnit::kQuarter: {
      const int64_t months = t.year * 12 + (t.month - 1) +
                             int64_t{offset} * (strategy.time_unit == AutoPartitionTimeUnit::kQuarter ? 3 : 1);
      t.year = FloorDivision(months, 12);
      t.month = static_cast<int>(months - t.year * 12) + 1;
      t.day = 1;
      break;
    }
    case AutoPartitionTimeUnit::kYear: t.year += offset; break;
  }
  return format.Format(t);
}

AutoPartitionPlan PlanAutoPartitions(const AutoPartitionStrategy& strategy, const AutoPartitionTimeFormat& format,
                                     const TimeZone& zone, const std::vector<std::string>& partition_keys,
                                     const std::vector<std::string>& existing, int64_t now_ms, int64_t create_now_ms) {
  AutoPartitionPlan plan;
  const std::string time_key = strategy.TimeKey(partition_keys);
  auto key_it = std::find(partition_keys.begin(), partition_keys.end(), time_key);
  if (key_it == partition_keys.end()) return plan;
  const size_t key_index = static_cast<size_t>(key_it - partition_keys.begin());
  std::vector<std::string> kept = existing;
  if (strategy.num_retention >= 0) {
    const std::string oldest_kept = AutoPartitionTime(strategy, format, zone, now_ms, -strategy.num_retention);
    kept.clear();
    for (const std::string& name : existing) {
      auto value = TimeValue(name, key_index, partition_keys.size());
      if (value && *value < oldest_kept && *value != kHistoricalPartitionValue) {
        plan.to_drop.push_back(name);
      } else {
        kept.push_back(name);
      }
    }
    std::sort(plan.to_drop.begin(), plan.to_drop.end());
  }
  if (partition_keys.size() == 1) {
    for (int i = 0; i < strategy.num_precreate; ++i) {
      std::string name = AutoPartitionTime(strategy, format, zone, create_now_ms, i);
      if (std::find(kept.begin(), kept.end(), name) == kept.end() &&
          std::find(plan.to_create.begin(), plan.to_create.end(), name) == plan.to_create.end()) {
        plan.to_create.push_back(std::move(name));
      }
    }
  }
  return plan;
}

Status ValidateAutoPartitionTime(const AutoPartitionStrategy& strategy, const std::vector<std::string>& partition_keys,
                                 const ResolvedPartitionSpec& spec, int64_t now_ms) {
  if (!strategy.enabled && strategy.time_format.empty()) return Status::OK();
  const std::string key = strategy.TimeKey(partition_keys);
  std::optional<std::string> value;
  for (size_t i = 0; i < spec.keys().size(); ++i) {
    if (spec.keys()[i] == key) value = spec.values()[i];
  }
  FLUSS_ASSIGN_OR_RETURN(AutoPartitionTimeFormat format, strategy.Format());
  if (!value || !format.Matches(*value)) {
    return Status(ErrorCode::kPartitionSpecInvalid,
                  fmt::format("Partition value '{}' does not match the expected format '{}' for auto-partition time "
                              "unit '{}'.",
                              value.value_or("null"), format.pattern(), AutoPartitionTimeUnitName(strategy.time_unit)));
  }
  if (!strategy.enabled) return Status::OK();
  FLUSS_ASSIGN_OR_RETURN(TimeZone zone, strategy.Zone());
  const std::string oldest_kept = AutoPartitionTime(strategy, format, zone, now_ms, -strategy.num_retention);
  if (strategy.num_retention >= 0 && *value < oldest_kept) {
    return Status(ErrorCode::kPartitionSpecInvalid,
                  fmt::format("Partition value '{}' is out-of-date. The earliest retained partition is '{}'.", *value,
                              oldest_kept));
  }
  return Status::OK();
}

Status CheckAutoPartitionOptions(const TableDescriptor& descriptor) {
  FLUSS_ASSIGN_OR_RETURN(AutoPartitionStrategy s, AutoPartitionStrategy::FromProperties(descriptor.properties()));
  const std::vector<std::string>& keys = descriptor.partition_keys();
  if (!descriptor.is_partitioned()) {
    if (s.enabled) {
      return Status(ErrorCode::kInvalidConfig,
                    "Currently, auto partition is only supported for partitioned table, please set table property "
                    "'table.auto-partition.enabled' to false.");
    }
    return Status::OK();
  }
  if (!s.time_format.empty()) {
    auto format = AutoPartitionTimeFormat::Make(s.time_format, s.time_unit);
    if (!format.ok()) {
      return InvalidTable(fmt::format("Invalid table property 'table.auto-partition.time-format': {}",
                                      format.status().message()));
    }
  }
  if (!s.time_zone.empty()) {
    auto zone = TimeZone::Load(s.time_zone);
    if (!zone.ok()) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("table property 'table.auto-partition.time-zone': {}", zone.status().message()));
    }
  }
  if (!s.enabled) return Status::OK();
  if (keys.size() > 1) {
    if (s.key.empty()) {
      return InvalidTable(
          "Currently, auto partitioned table must set one auto partition key when it has multiple partition keys. "
          "Please set table property 'table.auto-partition.key'.");
    }
    if (s.num_precreate_given && s.num_precreate > 0) {  // not given: the server stores 0
      return InvalidTable(fmt::format("For a partitioned table with multiple partition keys, auto pre-create is "
                                      "unsupported and this value must be set to 0, but is {}",
                                      s.num_precreate));
    }
  }
  if (!s.key.empty() && std::find(keys.begin(), keys.end(), s.key) == keys.end()) {
    return InvalidTable(fmt::format("The specified key for auto partitioned table is not a partition key. Your key "
                                    "'{}' is not in key list [{}]",
                                    s.key, fmt::join(keys, ", ")));
  }
  const std::string time_key = s.TimeKey(keys);
  auto index = descriptor.schema().IndexOf(time_key);
  if (index && descriptor.schema().column(*index).type.root() == TypeRoot::kDate) {
    if (s.time_unit != AutoPartitionTimeUnit::kDay) {
      return InvalidTable(fmt::format("Table property 'table.auto-partition.time-unit' must be 'DAY' when auto "
                                      "partition key '{}' has DATE type.",
                                      time_key));
    }
    if (s.time_format != "yyyy-MM-dd") {
      return InvalidTable(fmt::format("Table property 'table.auto-partition.time-format' must be 'yyyy-MM-dd' when "
                                      "auto partition key '{}' has DATE type.",
                                      time_key));
    }
  }
  return Status::OK();
}

}  // namespace fluss
