#include "types/partition_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <type_traits>

namespace fluss {
namespace {

Status InvalidPartition(std::string message) { return Status(ErrorCode::kPartitionSpecInvalid, std::move(message)); }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Upstream's TablePath.detectInvalidName: the reason a value is not a valid name, or "" when it is.
std::string InvalidNameReason(std::string_view value) {
  if (value.empty()) return "the empty string is not allowed";
  if (value == ".") return "'.' is not allowed";
  if (value == "..") return "'..' is not allowed";
  if (value.size() > kMaxPartitionValueLength) {
    return fmt::format("the length of '{}' is longer than the max allowed length {}", value, kMaxPartitionValueLength);
  }
  if (!std::all_of(value.begin(), value.end(), IsNameChar)) {
    return fmt::format("'{}' contains one or more characters other than ASCII alphanumerics, '_' and '-'", value);
  }
  return "";
}

int64_t PartitionFloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }
int64_t PartitionFloorMod(int64_t a, int64_t b) { return a - PartitionFloorDiv(a, b) * b; }

struct PartitionCivil {
  int64_t year;
  unsigned month;
  unsigned day;
};

PartitionCivil PartitionCivilFromDays(int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return PartitionCivil{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())};
}

// Java's "yyyy" (year of era, at least 4 digits, '+' once it needs more).
std::string YearOfEra(int64_t year) {
  const int64_t yoe = year >= 1 ? year : 1 - year;
  std::string text = fmt::format("{:04d}", yoe);
  return yoe > 9999 ? "+" + text : text;
}

// Java's Float.toString / Double.toString (the shortest digits that read back to the same value):
// "5.73", "100.0", "0.001", "1.0E7", "1.234E-5", "-0.0".
template <typename F>
std::string JavaFloatingText(F value) {
  static_assert(std::is_floating_point_v<F>);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string_view sci(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
  std::string out;
  if (!sci.empty() && sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  // sci is "d[.ddd]e[+-]xx".
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  const F magnitude = std::fabs(value);
  if (magnitude == 0 || (magnitude >= F(1e-3) && magnitude < F(1e7))) {
    if (magnitude == 0) return out + "0.0";
    if (exponent >= 0) {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    } else {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : std::string("0"));
  return out + "E" + std::to_string(exponent);
}

template <typename F>
std::string FloatingPartitionText(F value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  std::string text = JavaFloatingText(value);
  std::replace(text.begin(), text.end(), '.', '_');
  return text;
}

std::string HexText(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

// PartitionNameConverters.dayToString: the proleptic year with at least 4 digits ("-001" before year 0).
std::string DateText(int64_t days) {
  const PartitionCivil c = PartitionCivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

// PartitionNameConverters.milliToString.
std::string TimeText(int64_t millis) {
  constexpr int64_t kHour = 3600 * 1000, kMinute = 60 * 1000;
  const int64_t hour = PartitionFloorDiv(millis, kHour);
  const int64_t minute = PartitionFloorDiv(PartitionFloorMod(millis, kHour), kMinute);
  const int64_t second = PartitionFloorDiv(PartitionFloorMod(PartitionFloorMod(millis, kHour), kMinute), 1000);
  return fmt::format("{:02d}-{:02d}-{:02d}_{:03d}", hour, minute, second, PartitionFloorMod(millis, 1000));
}

// PartitionNameConverters.timestampToString: "yyyy-MM-dd-HH-mm-ss_" + the nanoseconds of the second
// with trailing zeros dropped (none at all when 0).
std::string TimestampText(const TimestampValue& ts) {
  const int64_t seconds = PartitionFloorDiv(ts.millis, 1000);
  const int64_t nanos = PartitionFloorMod(ts.millis, 1000) * 1'000'000 + ts.nanos_of_milli;
  const int64_t days = PartitionFloorDiv(seconds, 86400);
  const int64_t second_of_day = PartitionFloorMod(seconds, 86400);
  const PartitionCivil c = PartitionCivilFromDays(days);
  std::string out = fmt::format("{}-{:02d}-{:02d}-{:02d}-{:02d}-{:02d}_", YearOfEra(c.year), c.month, c.day,
                                second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
  if (nanos != 0) {
    std::string fraction = fmt::format("{:09d}", nanos);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    out += fraction;
  }
  return out;
}

}  // namespace

// ---- public (include/fluss/partition.h) ----------------------------------------------------------

std::string PartitionInfo::QualifiedName() const {
  std::string out;
  for (const auto& [key, value] : spec) {
    if (!out.empty()) out += '/';
    out += key + "=" + value;
  }
  return out;
}

Result<PartitionSpec> ParsePartitionSpec(std::string_view text) {
  PartitionSpec spec;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of("/,", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidPartition(fmt::format("partition spec '{}': '{}' is not key=value", text, pair));
    }
    std::string key(pair.substr(0, eq));
    if (!spec.emplace(key, std::string(pair.substr(eq + 1))).second) {
      return InvalidPartition(fmt::format("partition spec '{}': key '{}' is given twice", text, key));
    }
  }
  return spec;
}

// ---- values -----------------------------------------------------------------------------------

Status ValidatePartitionValue(std::string_view value, bool is_create) {
  std::string reason = InvalidNameReason(value);
  if (reason.empty() && is_create && value.starts_with("__")) {
    reason = "'__' is not allowed as prefix, since it is reserved for internal databases/internal tables/internal "
             "partitions in Fluss server";
  }
  if (reason.empty()) return Status::OK();
  return InvalidPartition(fmt::format("The partition value {} is invalid: {}", value, reason));
}

Status ValidatePartitionName(std::string_view name) {
  size_t pos = 0;
  while (true) {
    const size_t end = name.find(kPartitionSeparator, pos);
    Status st = ValidatePartitionValue(name.substr(pos, end == std::string_view::npos ? end : end - pos), false);
    if (!st.ok()) return st.WithContext(fmt::format("partition name '{}'", name));
    if (end == std::string_view::npos) return Status::OK();
    pos = end + 1;
  }
}

Result<std::string> PartitionValueToString(const Datum& value, const DataType& type, std::string_view column) {
  if (std::holds_alternative<std::monostate>(value)) {
    return InvalidPartition(fmt::format("partition key '{}' is null; a row needs a value for every partition key",
                                        column));
  }
  if (!DatumMatchesType(value, type)) {
    return InvalidPartition(
        fmt::format("partition key '{}' is {} but the value is of another type", column, type.ToString()));
  }
  switch (type.root()) {
    case TypeRoot::kChar:
    case TypeRoot::kString: return std::get<std::string>(value);
    case TypeRoot::kBoolean: return std::string(std::get<bool>(value) ? "true" : "false");
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: return HexText(std::get<std::string>(value));
    case TypeRoot::kTinyInt: return std::to_string(std::get<int8_t>(value));
    case TypeRoot::kSmallInt: return std::to_string(std::get<int16_t>(value));
    case TypeRoot::kInt: return std::to_string(std::get<int32_t>(value));
    case TypeRoot::kBigInt: return std::to_string(std::get<int64_t>(value));
    case TypeRoot::kFloat: return FloatingPartitionText(std::get<float>(value));
    case TypeRoot::kDouble: return FloatingPartitionText(std::get<double>(value));
    case TypeRoot::kDate: return DateText(std::get<int32_t>(value));
    case TypeRoot::kTime: return TimeText(std::get<int32_t>(value));
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: return TimestampText(std::get<TimestampValue>(value));
    case TypeRoot::kDecimal: break;
  }
  return InvalidPartition(fmt::format("partition key '{}' is {}, which cannot be a partition key", column,
                                      type.ToString()));
}

// ---- specs ------------------------------------------------------------------------------------

ResolvedPartitionSpec::ResolvedPartitionSpec(std::vector<std::string> keys, std::vector<std::string> values)
    : keys_(std::move(keys)), values_(std::move(values)) {}

Result<ResolvedPartitionSpec> ResolvedPartitionSpec::FromSpec(const TablePath& table,
                                                              const std::vector<std::string>& keys,
                                                              const PartitionSpec& spec, bool is_create) {
  if (keys.size() != spec.size()) {
    return InvalidPartition(
        fmt::format("PartitionSpec size is not equal to partition keys size for partitioned table {}: the partition "
                    "keys are {}, the spec names {}",
                    table.ToString(), fmt::join(keys, ", "), spec.size()));
  }
  std::vector<std::string> values;
  for (const auto& key : keys) {
    auto it = spec.find(key);
    if (it == spec.end()) {
      std::vector<std::string> given;
      for (const auto& [k, v] : spec) given.push_back(k + "=" + v);
      return InvalidPartition(fmt::format("PartitionSpec {{{}}} does not contain partition key '{}' for partitioned "
                                          "table {}.",
                                          fmt::join(given, ", "), key, table.ToString()));
    }
    values.push_back(it->second);
  }
  for (const auto& v : values) FLUSS_RETURN_NOT_OK(ValidatePartitionValue(v, is_create));
  return ResolvedPartitionSpec(keys, std::move(values));
}

Result<ResolvedPartitionSpec> ResolvedPartitionSpec::FromPartialSpec(const TablePath& table,
                                                                     const std::vector<std::string>& keys,
                                                                     const PartitionSpec& spec) {
  for (const auto& [key, value] : spec) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return InvalidPartition(fmt::format("table {} has no partition key '{}' (its partition keys are {})",
                                          table.ToString(), key, fmt::join(keys, ", ")));
    }
  }
  std::vector<std::string> out_keys, out_values;
  for (const auto& key : keys) {
    auto it = spec.find(key);
    if (it == spec.end()) continue;
    out_keys.push_back(key);
    out_values.push_back(it->second);
  }
  return ResolvedPartitionSpec(std::move(out_keys), std::move(out_values));
}

Result<ResolvedPartitionSpec> ResolvedPartitionSpec::FromName(const std::vector<std::string>& keys,
                                                              std::string_view name) {
  std::vector<std::string> values;
  size_t pos = 0;
  while (true) {
    const size_t end = name.find(kPartitionSeparator, pos);
    values.emplace_back(name.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (values.size() != keys.size()) {
    return InvalidPartition(fmt::format("partition name '{}' has {} values for {} partition keys ({})", name,
                                        values.size(), keys.size(), fmt::join(keys, ", ")));
  }
  return ResolvedPartitionSpec(keys, std::move(values));
}

Result<ResolvedPartitionSpec> ResolvedPartitionSpec::FromRow(const Schema& schema, const std::vector<std::string>& keys,
                                                             const GenericRow& row) {
  std::vector<std::string> values;
  for (const auto& key : keys) {
    auto index = schema.IndexOf(key);
    if (!index || *index >= row.arity()) {
      return InvalidPartition(fmt::format("partition key '{}' is not a column of the row", key));
    }
    FLUSS_ASSIGN_OR_RETURN(std::string text, PartitionValueToString(row.field(*index), schema.column(*index).type, key));
    Status valid = ValidatePartitionValue(text, /*is_create=*/true);
    if (!valid.ok()) return valid.WithContext(fmt::format("partition key '{}'", key));
    values.push_back(std::move(text));
  }
  return ResolvedPartitionSpec(keys, std::move(values));
}

std::string ResolvedPartitionSpec::Name() const {
  return fmt::format("{}", fmt::join(values_, std::string_view(&kPartitionSeparator, 1)));
}

std::string ResolvedPartitionSpec::QualifiedName() const { return ToInfo(-1).QualifiedName(); }

bool ResolvedPartitionSpec::Matches(const ResolvedPartitionSpec& partial) const {
  for (size_t i = 0; i < partial.keys_.size(); ++i) {
    auto it = std::find(keys_.begin(), keys_.end(), partial.keys_[i]);
    if (it == keys_.end() || values_[static_cast<size_t>(it - keys_.begin())] != partial.values_[i]) return false;
  }
  return true;
}

PartitionInfo ResolvedPartitionSpec::ToInfo(int64_t partition_id) const {
  PartitionInfo info;
  info.partition_id = partition_id;
  info.partition_name = Name();
  for (size_t i = 0; i < keys_.size(); ++i) info.spec.emplace_back(keys_[i], values_[i]);
  return info;
}

}  // namespace fluss
