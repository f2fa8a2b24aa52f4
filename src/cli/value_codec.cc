#include "cli/value_codec.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "common/utf8.h"
#include "format/arrow/column_vector.h"

namespace fluss::cli {
namespace {

constexpr int64_t kMillisPerDay = 86400000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Reads exactly `n` digits at *pos.
bool Digits(std::string_view s, size_t* pos, size_t n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// YYYY-MM-DD at *pos -> days since the epoch.
bool ParseDatePart(std::string_view s, size_t* pos, int64_t* days) {
  int64_t y, m, d;
  if (!Digits(s, pos, 4, &y) || !Expect(s, pos, '-') || !Digits(s, pos, 2, &m) || !Expect(s, pos, '-') ||
      !Digits(s, pos, 2, &d)) {
    return false;
  }
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, static_cast<unsigned>(m))) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// HH:MM[:SS[.f{1,9}]] at *pos -> nanoseconds of the day and the number of fractional digits.
bool ParseTimePart(std::string_view s, size_t* pos, int64_t* nanos_of_day, int* frac_digits) {
  int64_t h, m, sec = 0, frac = 0;
  *frac_digits = 0;
  if (!Digits(s, pos, 2, &h) || !Expect(s, pos, ':') || !Digits(s, pos, 2, &m)) return false;
  if (*pos < s.size() && s[*pos] == ':') {
    ++*pos;
    if (!Digits(s, pos, 2, &sec)) return false;
    if (*pos < s.size() && s[*pos] == '.') {
      ++*pos;
      int n = 0;
      while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
        if (n == 9) return false;
        frac = frac * 10 + (s[*pos] - '0');
        ++n;
        ++*pos;
      }
      if (n == 0) return false;
      *frac_digits = n;
      for (int i = n; i < 9; ++i) frac *= 10;
    }
  }
  if (h > 23 || m > 59 || sec > 59) return false;
  *nanos_of_day = ((h * 60 + m) * 60 + sec) * 1000000000LL + frac;
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// The number of trailing fractional digits of `nanos_of_second` that are not zero, as a precision.
int FractionDigitsUsed(int64_t nanos_of_second) {
  if (nanos_of_second == 0) return 0;
  int digits = 9;
  while (nanos_of_second % 10 == 0) {
    nanos_of_second /= 10;
    --digits;
  }
  return digits;
}

Status NotA(std::string_view text, const DataType& type, std::string_view why = {}) {
  if (why.empty()) return Status::Invalid(fmt::format("'{}' is not a{} {}", text,
                                                      type.root() == TypeRoot::kInt ? "n" : "", TypeName(type)));
  return Status::Invalid(fmt::format("'{}' is not a{} {}: {}", text, type.root() == TypeRoot::kInt ? "n" : "",
                                     TypeName(type), why));
}

template <typename T>
Result<Datum> ParseIntegral(std::string_view text, std::string_view t, const DataType& type) {
  int64_t v;
  if (!ParseInt64(t, &v)) {
    // Distinguish "too big for int64" from "not a number".
    std::string_view digits = t;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    bool all_digits = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    return all_digits ? NotA(text, type, "out of range") : NotA(text, type);
  }
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return NotA(text, type, "out of range");
  return Datum(static_cast<T>(v));
}

template <typename T>
Result<Datum> ParseFloating(std::string_view text, std::string_view t, const DataType& type) {
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  T v{};
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc::result_out_of_range) return NotA(text, type, "out of range");
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return NotA(text, type);
  return Datum(v);
}

Result<TimestampValue> ParseTimestampText(std::string_view text, std::string_view t, const DataType& type,
                                          int precision) {
  int64_t millis;
  if (ParseInt64(t, &millis)) return TimestampValue{millis, 0};
  size_t pos = 0;
  int64_t days = 0, nanos_of_day = 0;
  int frac_digits = 0;
  if (!ParseDatePart(t, &pos, &days)) return NotA(text, type);
  if (pos < t.size() && (t[pos] == ' ' || t[pos] == 'T')) {
    ++pos;
    if (!ParseTimePart(t, &pos, &nanos_of_day, &frac_digits)) return NotA(text, type);
  }
  if (pos < t.size() && t[pos] == 'Z') ++pos;
  if (pos != t.size()) return NotA(text, type);
  if (FractionDigitsUsed(nanos_of_day % 1000000000LL) > precision) {
    return NotA(text, type, fmt::format("more than {} fractional digits", precision));
  }
  const int64_t ms_of_day = nanos_of_day / 1000000;
  return TimestampValue{days * kMillisPerDay + ms_of_day, static_cast<int32_t>(nanos_of_day % 1000000)};
}

// Checks a converted value against the type's limits and the Arrow column's.
Result<Datum> Checked(Datum d, std::string_view text, const DataType& type) {
  Status st = arrow::ColumnVector(type.WithNullable(true)).CheckAppend(d, "");
  if (!st.ok()) {
    std::string why = st.message();
    for (std::string_view prefix : {"column '': ", "column '' "}) {
      if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    }
    return NotA(text, type, why);
  }
  return d;
}

std::string Pad(int64_t v, int width) { return fmt::format("{:0{}}", v, width); }

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

// HH:MM:SS plus `precision` fractional digits of `nanos_of_day`.
std::string FormatTimeOfDay(int64_t nanos_of_day, int precision) {
  const int64_t secs = nanos_of_day / 1000000000LL;
  std::string s = fmt::format("{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60);
  if (precision > 0) {
    int64_t frac = nanos_of_day % 1000000000LL;
    for (int i = precision; i < 9; ++i) frac /= 10;
    s += '.';
    s += Pad(frac, precision);
  }
  return s;
}

template <typename T>
std::string FormatFloating(T v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, p);
}

constexpr char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string TypeName(const DataType& type) { return type.WithNullable(true).ToString(); }

Result<Datum> ParseValue(std::string_view text, const DataType& type) {
  const std::string_view t = Trim(text);
  switch (type.root()) {
    case TypeRoot::kBoolean: {
      if (t.size() == 4 && strncasecmp(t.data(), "true", 4) == 0) return Datum(true);
      if (t.size() == 5 && strncasecmp(t.data(), "false", 5) == 0) return Datum(false);
      return NotA(text, type);
    }
    case TypeRoot::kTinyInt: return ParseIntegral<int8_t>(text, t, type);
    case TypeRoot::kSmallInt: return ParseIntegral<int16_t>(text, t, type);
    case TypeRoot::kInt: return ParseIntegral<int32_t>(text, t, type);
    case TypeRoot::kBigInt: return ParseIntegral<int64_t>(text, t, type);
    case TypeRoot::kFloat: return ParseFloating<float>(text, t, type);
    case TypeRoot::kDouble: return ParseFloating<double>(text, t, type);
    case TypeRoot::kDecimal: {
      std::string_view body = t;
      if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
      const size_t dot = body.find('.');
      const bool syntax_ok = !body.empty() && body != "." && body.find_first_not_of("0123456789.") == std::string_view::npos &&
                             (dot == std::string_view::npos || body.find('.', dot + 1) == std::string_view::npos);
      if (!syntax_ok) return NotA(text, type);
      auto d = DecimalValue::Parse(t, type.precision(), type.scale());
      if (!d.ok()) {
        const bool too_many_frac = dot != std::string_view::npos && body.size() - dot - 1 > static_cast<size_t>(type.scale());
        return NotA(text, type, too_many_frac ? fmt::format("more than {} fractional digits", type.scale())
                                              : fmt::format("more than {} digits", type.precision()));
      }
      return Checked(*d, text, type);
    }
    case TypeRoot::kChar:
    case TypeRoot::kString: {
      // The rules of ValidateText (types/row.h), in this file's words. Invalid text is not repeated
      // in the message: it may not be printable.
      const Utf8Scan scan = ScanUtf8(text);
      if (!scan.valid) {
        return Status::Invalid(fmt::format("the text is not valid UTF-8 (byte {:#04x} at offset {})",
                                           static_cast<uint8_t>(text[scan.error_offset]), scan.error_offset));
      }
      if (type.root() == TypeRoot::kChar && scan.code_points > static_cast<size_t>(type.length())) {
        return NotA(text, type, fmt::format("{} characters, at most {}", scan.code_points, type.length()));
      }
      return Datum(std::string(text));
    }
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: {
      auto bytes = Base64Decode(t);
      if (!bytes.ok()) return NotA(text, type, "not base64");
      if (type.root() == TypeRoot::kBinary && bytes->size() != static_cast<size_t>(type.length())) {
        return NotA(text, type, fmt::format("{} bytes, expected {}", bytes->size(), type.length()));
      }
      return Datum(std::move(bytes).value());
    }
    case TypeRoot::kDate: {
      size_t pos = 0;
      int64_t days;
      if (!ParseDatePart(t, &pos, &days) || pos != t.size()) return NotA(text, type);
      return Datum(static_cast<int32_t>(days));
    }
    case TypeRoot::kTime: {
      size_t pos = 0;
      int64_t nanos;
      int frac_digits;
      if (!ParseTimePart(t, &pos, &nanos, &frac_digits) || pos != t.size()) return NotA(text, type);
      if (nanos % 1000000 != 0) return NotA(text, type, "TIME values hold milliseconds");
      return Checked(Datum(static_cast<int32_t>(nanos / 1000000)), text, type);
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      FLUSS_ASSIGN_OR_RETURN(auto ts, ParseTimestampText(text, t, type, type.precision()));
      return Checked(Datum(ts), text, type);
    }
  }
  return NotA(text, type);
}

Result<Datum> JsonToDatum(const nlohmann::json& v, const DataType& type) {
  if (v.is_null()) return Datum();
  if (v.is_string()) return ParseValue(v.get_ref<const std::string&>(), type);
  const std::string shown = v.dump();
  auto wrong = [&]() { return NotA(shown, type); };
  switch (type.root()) {
    case TypeRoot::kBoolean:
      if (v.is_boolean()) return Datum(v.get<bool>());
      return wrong();
    case TypeRoot::kTinyInt:
    case TypeRoot::kSmallInt:
    case TypeRoot::kInt:
    case TypeRoot::kBigInt:
      if (v.is_number_integer()) return ParseValue(shown, type);
      return wrong();
    case TypeRoot::kFloat:
    case TypeRoot::kDouble:
    case TypeRoot::kDecimal:
      if (v.is_number()) return ParseValue(shown, type);
      return wrong();
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (v.is_number_integer()) return ParseValue(shown, type);
      return wrong();
    default:
      return wrong();
  }
}

std::string FormatValue(const Datum& d, const DataType& type, BinaryForm binary) {
  if (std::holds_alternative<std::monostate>(d)) return "NULL";
  switch (type.root()) {
    case TypeRoot::kFloat: return FormatFloating(std::get<float>(d));
    case TypeRoot::kDouble: return FormatFloating(std::get<double>(d));
    case TypeRoot::kBinary:
    case TypeRoot::kBytes:
      if (binary == BinaryForm::kBase64) return Base64Encode(std::get<std::string>(d));
      return DatumToString(d, type);
    case TypeRoot::kDate: return FormatDate(std::get<int32_t>(d));
    case TypeRoot::kTime:
      return FormatTimeOfDay(static_cast<int64_t>(std::get<int32_t>(d)) * 1000000, type.precision());
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      const auto& ts = std::get<TimestampValue>(d);
      const int64_t days = FloorDiv(ts.millis, kMillisPerDay);
      const int64_t nanos_of_day = (ts.millis - days * kMillisPerDay) * 1000000 + ts.nanos_of_milli;
      std::string s = FormatDate(days) + " " + FormatTimeOfDay(nanos_of_day, type.precision());
      if (type.root() == TypeRoot::kTimestampLtz) s += "Z";
      return s;
    }
    default: return DatumToString(d, type);
  }
}

nlohmann::ordered_json DatumToJson(const Datum& d, const DataType& type) {
  if (std::holds_alternative<std::monostate>(d)) return nullptr;
  switch (type.root()) {
    case TypeRoot::kBoolean: return std::get<bool>(d);
    case TypeRoot::kTinyInt: return std::get<int8_t>(d);
    case TypeRoot::kSmallInt: return std::get<int16_t>(d);
    case TypeRoot::kInt: return std::get<int32_t>(d);
    case TypeRoot::kBigInt: return std::get<int64_t>(d);
    case TypeRoot::kFloat: {
      const float f = std::get<float>(d);
      if (!std::isfinite(f)) return FormatFloating(f);
      // The shortest text that reads back as this float, as a double, prints as that text.
      return std::strtod(FormatFloating(f).c_str(), nullptr);
    }
    case TypeRoot::kDouble: {
      const double v = std::get<double>(d);
      if (!std::isfinite(v)) return FormatFloating(v);
      return v;
    }
    default: return FormatValue(d, type, BinaryForm::kBase64);
  }
}

Result<int64_t> ParseEpochMillis(std::string_view text) {
  const std::string_view t = Trim(text);
  auto ts = ParseTimestampText(text, t, DataType::Timestamp(9), 9);
  if (!ts.ok()) {
    return Status::Invalid(fmt::format("'{}' is not a timestamp (epoch milliseconds or 'YYYY-MM-DD HH:MM:SS' UTC)", text));
  }
  return ts->millis;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += kBase64Chars[(v >> 6) & 63];
    out += kBase64Chars[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kBase64Chars[(v >> 18) & 63];
    out += kBase64Chars[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64Chars[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return Status::Invalid("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return Status::Invalid("base64 padding in the middle");
      v[k] = value(c);
      if (v[k] < 0) return Status::Invalid("not a base64 character");
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

}  // namespace fluss::cli
