#include "types/row.h"

#include <fmt/format.h>

#include "common/utf8.h"

#include <algorithm>
#include <cmath>

namespace fluss {
namespace {

// 10^n for n in 0..38 as 128-bit integers.
__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

std::string U128ToString(unsigned __int128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

// Civil date from days since 1970-01-01 (proleptic Gregorian).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2 ? 1 : 0);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string FormatTimeOfDay(int64_t millis_of_day) {
  return fmt::format("{:02}:{:02}:{:02}.{:03}", millis_of_day / 3600000, (millis_of_day / 60000) % 60,
                     (millis_of_day / 1000) % 60, millis_of_day % 1000);
}

}  // namespace

std::string DecimalValue::ToString(int scale) const {
  const bool negative = unscaled < 0;
  unsigned __int128 mag = negative ? static_cast<unsigned __int128>(-(unscaled + 1)) + 1
                                   : static_cast<unsigned __int128>(unscaled);
  std::string digits = U128ToString(mag);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) digits.insert(0, scale - digits.size() + 1, '0');
    digits.insert(digits.size() - scale, 1, '.');
  }
  return negative ? "-" + digits : digits;
}

Result<DecimalValue> DecimalValue::Parse(std::string_view text, int precision, int scale) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string int_part, frac_part;
  size_t dot = s.find('.');
  int_part = std::string(s.substr(0, dot));
  if (dot != std::string_view::npos) frac_part = std::string(s.substr(dot + 1));
  if (int_part.empty() && frac_part.empty()) return Status::Invalid(fmt::format("'{}' is not a decimal number", text));
  for (char c : int_part + frac_part) {
    if (c < '0' || c > '9') return Status::Invalid(fmt::format("'{}' is not a decimal number", text));
  }
  if (frac_part.size() > static_cast<size_t>(scale)) {
    return Status::Invalid(fmt::format("'{}' has more than {} fractional digits", text, scale));
  }
  frac_part.append(scale - frac_part.size(), '0');
  std::string all = int_part + frac_part;
  all.erase(0, std::min(all.find_first_not_of('0'), all.size()));
  if (all.size() > static_cast<size_t>(precision)) {
    return Status::Invalid(fmt::format("'{}' does not fit DECIMAL({}, {})", text, precision, scale));
  }
  __int128 v = 0;
  for (char c : all) v = v * 10 + (c - '0');
  return DecimalValue{negative ? -v : v};
}

bool DatumMatchesType(const Datum& d, const DataType& type) {
  if (std::holds_alternative<std::monostate>(d)) return true;
  switch (type.root()) {
    case TypeRoot::kBoolean: return std::holds_alternative<bool>(d);
    case TypeRoot::kTinyInt: return std::holds_alternative<int8_t>(d);
    case TypeRoot::kSmallInt: return std::holds_alternative<int16_t>(d);
    case TypeRoot::kInt:
    case TypeRoot::kDate:
    case TypeRoot::kTime: return std::holds_alternative<int32_t>(d);
    case TypeRoot::kBigInt: return std::holds_alternative<int64_t>(d);
    case TypeRoot::kFloat: return std::holds_alternative<float>(d);
    case TypeRoot::kDouble: return std::holds_alternative<double>(d);
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: return std::holds_alternative<std::string>(d);
    case TypeRoot::kDecimal: return std::holds_alternative<DecimalValue>(d);
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: return std::holds_alternative<TimestampValue>(d);
  }
  return false;
}

Status ValidateTextBytes(std::string_view text, const DataType& type, std::string_view column) {
  if (type.root() != TypeRoot::kChar && type.root() != TypeRoot::kString) return Status::OK();
  const Utf8Scan scan = ScanUtf8(text);
  if (!scan.valid) {
    return Status::Invalid(fmt::format("column '{}' ({}): the value is not valid UTF-8 (byte {:#04x} at offset {})",
                                       column, type.ToString(), static_cast<uint8_t>(text[scan.error_offset]),
                                       scan.error_offset));
  }
  if (type.root() == TypeRoot::kChar && scan.code_points > static_cast<size_t>(type.length())) {
    return Status::Invalid(fmt::format("column '{}' is {} but the value has {} characters", column,
                                       type.WithNullable(true).ToString(), scan.code_points));
  }
  return Status::OK();
}

Status ValidateText(const Datum& d, const DataType& type, std::string_view column) {
  const auto* s = std::get_if<std::string>(&d);
  return s == nullptr ? Status::OK() : ValidateTextBytes(*s, type, column);
}

Status ValidateDatum(const Datum& d, const DataType& type, std::string_view column, TextCheck text) {
  if (std::holds_alternative<std::monostate>(d)) {
    if (!type.nullable()) return Status::Invalid(fmt::format("column '{}' is NOT NULL but the value is null", column));
    return Status::OK();
  }
  if (!DatumMatchesType(d, type)) {
    return Status::Invalid(fmt::format("column '{}' of type {} got a value of another type", column, type.ToString()));
  }
  switch (type.root()) {
    case TypeRoot::kChar:
    case TypeRoot::kString:
      if (text == TextCheck::kFull) return ValidateTextBytes(std::get<std::string>(d), type, column);
      break;
    case TypeRoot::kBinary: {
      size_t n = std::get<std::string>(d).size();
      if (n != static_cast<size_t>(type.length())) {
        return Status::Invalid(fmt::format("column '{}' is {} but the value has {} bytes", column, type.ToString(), n));
      }
      break;
    }
    case TypeRoot::kDecimal: {
      __int128 v = std::get<DecimalValue>(d).unscaled;
      __int128 limit = Pow10(type.precision());
      if (v >= limit || v <= -limit) {
        return Status::Invalid(fmt::format("column '{}': value {} does not fit {}", column,
                                           std::get<DecimalValue>(d).ToString(type.scale()), type.ToString()));
      }
      break;
    }
    case TypeRoot::kTime: {
      int32_t ms = std::get<int32_t>(d);
      if (ms < 0 || ms >= 86400000) {
        return Status::Invalid(fmt::format("column '{}': time {} ms is outside 0..86399999", column, ms));
      }
      break;
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      int32_t n = std::get<TimestampValue>(d).nanos_of_milli;
      if (n < 0 || n > 999999) {
        return Status::Invalid(fmt::format("column '{}': nanos_of_milli {} is outside 0..999999", column, n));
      }
      break;
    }
    default:
      break;
  }
  return Status::OK();
}

std::string DatumToString(const Datum& d, const DataType& type) {
  if (std::holds_alternative<std::monostate>(d)) return "NULL";
  switch (type.root()) {
    case TypeRoot::kBoolean: return std::get<bool>(d) ? "true" : "false";
    case TypeRoot::kTinyInt: return std::to_string(std::get<int8_t>(d));
    case TypeRoot::kSmallInt: return std::to_string(std::get<int16_t>(d));
    case TypeRoot::kInt: return std::to_string(std::get<int32_t>(d));
    case TypeRoot::kBigInt: return std::to_string(std::get<int64_t>(d));
    case TypeRoot::kFloat: return fmt::format("{}", std::get<float>(d));
    case TypeRoot::kDouble: return fmt::format("{}", std::get<double>(d));
    case TypeRoot::kChar:
    case TypeRoot::kString: return std::get<std::string>(d);
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: {
      std::string out = "x'";
      for (unsigned char c : std::get<std::string>(d)) out += fmt::format("{:02x}", c);
      return out + "'";
    }
    case TypeRoot::kDecimal: return std::get<DecimalValue>(d).ToString(type.scale());
    case TypeRoot::kDate: return FormatDate(std::get<int32_t>(d));
    case TypeRoot::kTime: return FormatTimeOfDay(std::get<int32_t>(d));
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      const auto& ts = std::get<TimestampValue>(d);
      int64_t days = FloorDiv(ts.millis, 86400000);
      int64_t ms_of_day = ts.millis - days * 86400000;
      std::string s = FormatDate(days) + " " + FormatTimeOfDay(ms_of_day);
      if (ts.nanos_of_milli != 0) s += fmt::format("{:06}", ts.nanos_of_milli);
      if (type.root() == TypeRoot::kTimestampLtz) s += "Z";
      return s;
    }
  }
  return "?";
}

}  // namespace fluss
