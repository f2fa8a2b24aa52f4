#include "common/time_zone.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/byte_io.h"

namespace fluss {
namespace {

constexpr int32_t kMaxFixedOffset = 18 * 3600;

int64_t FloorDivide(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

Status UnknownZone(std::string_view name) {
  return Status(ErrorCode::kInvalidConfig,
                fmt::format("unknown time zone '{}' (an IANA name such as Asia/Shanghai, UTC, or an offset such as "
                            "+08:00)",
                            name));
}

// "[+-]hh[:mm[:ss]]" or "[+-]hhmm" of a fixed zone name; seconds east of UTC. nullopt: not one.
std::optional<int32_t> ParseFixedOffset(std::string_view text) {
  if (text.empty() || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const int sign = text[0] == '-' ? -1 : 1;
  text.remove_prefix(1);
  std::vector<int> parts;
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c == ':' && !digits.empty()) {
      parts.push_back(std::stoi(digits));
      digits.clear();
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty() || digits.size() > 4) return std::nullopt;
  if (parts.empty() && digits.size() > 2) {  // hhmm
    if (digits.size() != 4) return std::nullopt;
    parts = {std::stoi(digits.substr(0, 2)), std::stoi(digits.substr(2))};
  } else {
    if (digits.size() > 2) return std::nullopt;
    parts.push_back(std::stoi(digits));
  }
  if (parts.size() > 3 || parts[0] > 18 || (parts.size() > 1 && parts[1] > 59) || (parts.size() > 2 && parts[2] > 59)) {
    return std::nullopt;
  }
  int32_t seconds = parts[0] * 3600 + (parts.size() > 1 ? parts[1] * 60 : 0) + (parts.size() > 2 ? parts[2] : 0);
  if (seconds > kMaxFixedOffset) return std::nullopt;
  return sign * seconds;
}

// A POSIX TZ offset or time: [+-]h[h][:mm[:ss]], hours up to 167. Advances `text`.
std::optional<int32_t> ParsePosixTime(std::string_view& text) {
  int sign = 1;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    sign = text[0] == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  int32_t total = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (text.empty() || text[0] != ':') break;
      text.remove_prefix(1);
    }
    int value = 0, digits = 0;
    while (!text.empty() && text[0] >= '0' && text[0] <= '9' && digits < 3) {
      value = value * 10 + (text[0] - '0');
      text.remove_prefix(1);
      ++digits;
    }
    if (digits == 0 || (part == 0 && value > 167) || (part > 0 && value > 59)) return std::nullopt;
    total += value * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  return sign * total;
}

// A zone abbreviation: <...> or at least three letters.
bool SkipPosixName(std::string_view& text) {
  if (!text.empty() && text[0] == '<') {
    size_t end = text.find('>');
    if (end == std::string_view::npos) return false;
    text.remove_prefix(end + 1);
    return true;
  }
  size_t n = 0;
  while (n < text.size() && ((text[n] >= 'a' && text[n] <= 'z') || (text[n] >= 'A' && text[n] <= 'Z'))) ++n;
  if (n < 3) return false;
  text.remove_prefix(n);
  return true;
}

std::optional<int> ParseSmallInt(std::string_view& text) {
  int value = 0, digits = 0;
  while (!text.empty() && text[0] >= '0' && text[0] <= '9' && digits < 4) {
    value = value * 10 + (text[0] - '0');
    text.remove_prefix(1);
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return value;
}

std::optional<TimeZone::PosixRule::When> ParsePosixWhen(std::string_view& text) {
  TimeZone::PosixRule::When w;
  if (!text.empty() && text[0] == 'M') {
    text.remove_prefix(1);
    auto m = ParseSmallInt(text);
    if (!m || text.empty() || text[0] != '.') return std::nullopt;
    text.remove_prefix(1);
    auto week = ParseSmallInt(text);
    if (!week || text.empty() || text[0] != '.') return std::nullopt;
    text.remove_prefix(1);
    auto d = ParseSmallInt(text);
    if (!d || *m < 1 || *m > 12 || *week < 1 || *week > 5 || *d > 6) return std::nullopt;
    w.kind = 'M';
    w.month = *m;
    w.week = *week;
    w.weekday = *d;
  } else if (!text.empty() && text[0] == 'J') {
    text.remove_prefix(1);
    auto n = ParseSmallInt(text);
    if (!n || *n < 1 || *n > 365) return std::nullopt;
    w.kind = 'J';
    w.day = *n;
  } else {
    auto n = ParseSmallInt(text);
    if (!n || *n > 365) return std::nullopt;
    w.kind = 'N';
    w.day = *n;
  }
  if (!text.empty() && text[0] == '/') {
    text.remove_prefix(1);
    auto t = ParsePosixTime(text);
    if (!t) return std::nullopt;
    w.time = *t;
  }
  return w;
}

// Days since the epoch of the local date a rule names in `year`.
int64_t RuleDay(const TimeZone::PosixRule::When& w, int64_t year) {
  const int64_t jan1 = DaysFromCivil(year, 1, 1);
  switch (w.kind) {
    case 'J': return jan1 + w.day - 1 + (IsLeapYear(year) && w.day >= 60 ? 1 : 0);
    case 'N': return jan1 + w.day;
    default: break;
  }
  const int64_t first = DaysFromCivil(year, w.month, 1);
  const int first_weekday = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  int day = 1 + (w.weekday - first_weekday + 7) % 7 + (w.week - 1) * 7;
  while (day > DaysInMonth(year, w.month)) day -= 7;
  return first + day - 1;
}

uint32_t Be32(const std::string& data, size_t at) {
  return LoadBE<uint32_t>(reinterpret_cast<const uint8_t*>(data.data()) + at);
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = FloorDivide(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilTime CivilFromSeconds(int64_t seconds) {
  const int64_t days = FloorDivide(seconds, 86400);
  const int64_t sod = seconds - days * 86400;
  const int64_t z = days + 719468;
  const int64_t era = FloorDivide(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilTime t;
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = yoe + era * 400 + (t.month <= 2 ? 1 : 0);
  t.hour = static_cast<int>(sod / 3600);
  t.minute = static_cast<int>(sod / 60 % 60);
  t.second = static_cast<int>(sod % 60);
  return t;
}

int64_t SecondsFromCivil(const CivilTime& t) {
  return DaysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

Result<TimeZone::PosixRule> TimeZone::ParsePosixRule(std::string_view text) {
  const std::string original(text);
  auto bad = [&] { return Status::Corruption(fmt::format("time-zone rule '{}' does not parse", original)); };
  PosixRule rule;
  if (!SkipPosixName(text)) return bad();
  auto std_offset = ParsePosixTime(text);
  if (!std_offset) return bad();
  rule.std_offset = -*std_offset;  // POSIX counts west of UTC
  if (text.empty()) return rule;
  if (!SkipPosixName(text)) return bad();
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (!text.empty() && text[0] != ',') {
    auto dst = ParsePosixTime(text);
    if (!dst) return bad();
    rule.dst_offset = -*dst;
  }
  if (text.empty()) {
    text = ",M3.2.0,M11.1.0";  // POSIX's default rule
  }
  if (text[0] != ',') return bad();
  text.remove_prefix(1);
  auto start = ParsePosixWhen(text);
  if (!start || text.empty() || text[0] != ',') return bad();
  text.remove_prefix(1);
  auto end = ParsePosixWhen(text);
  if (!end || !text.empty()) return bad();
  rule.start = *start;
  rule.end = *end;
  return rule;
}

int32_t TimeZone::PosixRule::OffsetAt(int64_t t) const {
  if (!has_dst) return std_offset;
  const int64_t year = CivilFromSeconds(t + std_offset).year;
  // Start times are local standard time, end times local daylight time.
  const int64_t begins = RuleDay(start, year) * 86400 + start.time - std_offset;
  const int64_t ends = RuleDay(end, year) * 86400 + end.time - dst_offset;
  const bool dst = begins < ends ? (t >= begins && t < ends) : !(t >= ends && t < begins);
  return dst ? dst_offset : std_offset;
}

TimeZone TimeZone::Utc() {
  TimeZone z;
  z.name_ = "UTC";
  return z;
}

Result<TimeZone> TimeZone::Load(std::string_view name) {
  if (name == "UTC" || name == "GMT" || name == "Z" || name == "UT" || name == "Etc/UTC" || name == "Etc/GMT") {
    TimeZone z = Utc();
    z.name_ = std::string(name);
    return z;
  }
  std::string_view offset_text = name;
  for (std::string_view prefix : {"UTC", "GMT", "UT"}) {
    if (name.starts_with(prefix) && name.size() > prefix.size() &&
        (name[prefix.size()] == '+' || name[prefix.size()] == '-')) {
      offset_text = name.substr(prefix.size());
      break;
    }
  }
  if (auto offset = ParseFixedOffset(offset_text)) {
    TimeZone z;
    z.name_ = std::string(name);
    z.initial_offset_ = *offset;
    return z;
  }
  // An IANA name: letters, digits, '_', '-', '+' and '/' between non-empty parts, none "." or "..".
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return UnknownZone(name);
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '+' || c == '/';
    if (!ok) return UnknownZone(name);
  }
  if (name.find("//") != std::string_view::npos) return UnknownZone(name);
  const char* dir = std::getenv("TZDIR");
  const std::string path = fmt::format("{}/{}", dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return UnknownZone(name);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 4 || data.compare(0, 4, "TZif") != 0) return UnknownZone(name);
  return ParseTzif(std::string(name), data);
}

TimeZone TimeZone::System() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    std::string_view name(tz);
    if (name.front() == ':') name.remove_prefix(1);
    if (auto z = Load(name); z.ok()) return *z;
  }
  std::ifstream timezone("/etc/timezone");
  std::string line;
  if (timezone && std::getline(timezone, line)) {
    if (auto z = Load(line); z.ok()) return *z;
  }
  std::ifstream local("/etc/localtime", std::ios::binary);
  if (local) {
    std::string data((std::istreambuf_iterator<char>(local)), std::istreambuf_iterator<char>());
    if (auto z = ParseTzif("localtime", data); z.ok()) return *z;
  }
  return Utc();
}

int32_t TimeZone::OffsetAt(int64_t t) const {
  if (transitions_.empty() || t < transitions_.front()) {
    if (transitions_.empty() && rule_) return rule_->OffsetAt(t);
    return initial_offset_;
  }
  if (t >= transitions_.back() && rule_) return rule_->OffsetAt(t);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

// RFC 8536: the version 2+ block (64-bit times) when there is one, else the version 1 block; the
// footer's POSIX rule covers instants after the last transition.
Result<TimeZone> TimeZone::ParseTzif(const std::string& name, const std::string& data) {
  TimeZone zone;
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("time-zone file of '{}': {}", name, why));
  };
  struct Counts {
    uint32_t isut, isstd, leap, time, type, chars;
  };
  auto header = [&](size_t at) -> std::optional<Counts> {
    if (data.size() < at + 44 || data.compare(at, 4, "TZif") != 0) return std::nullopt;
    return Counts{Be32(data, at + 20), Be32(data, at + 24), Be32(data, at + 28),
                  Be32(data, at + 32), Be32(data, at + 36), Be32(data, at + 40)};
  };
  auto block_size = [](const Counts& c, size_t time_size) {
    return static_cast<size_t>(c.time) * time_size + c.time + static_cast<size_t>(c.type) * 6 + c.chars +
           static_cast<size_t>(c.leap) * (time_size + 4) + c.isstd + c.isut;
  };
  auto v1 = header(0);
  if (!v1) return bad("no TZif header");
  const char version = data[4];
  size_t at = 44;
  size_t time_size = 4;
  Counts c = *v1;
  if (version >= '2') {
    at = 44 + block_size(*v1, 4);
    auto v2 = header(at);
    if (!v2) return bad("no second TZif header");
    c = *v2;
    at += 44;
    time_size = 8;
  }
  if (c.type == 0 || data.size() < at + block_size(c, time_size)) return bad("truncated");
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data.data()) + at;
  std::vector<int64_t> times(c.time);
  for (uint32_t i = 0; i < c.time; ++i) {
    times[i] = time_size == 8 ? LoadBE<int64_t>(p + i * 8) : LoadBE<int32_t>(p + i * 4);
  }
  const uint8_t* index = p + static_cast<size_t>(c.time) * time_size;
  const uint8_t* types = index + c.time;
  std::vector<int32_t> type_offsets(c.type);
  for (uint32_t i = 0; i < c.type; ++i) type_offsets[i] = LoadBE<int32_t>(types + i * 6);
  zone.name_ = name;
  zone.initial_offset_ = type_offsets[0];
  for (uint32_t i = 0; i < c.time; ++i) {
    if (index[i] >= c.type) return bad("a transition names a missing type");
    if (i > 0 && times[i] <= times[i - 1]) return bad("transitions out of order");
    zone.transitions_.push_back(times[i]);
    zone.offsets_.push_back(type_offsets[index[i]]);
  }
  if (version >= '2') {
    const size_t footer = at + block_size(c, time_size);
    if (footer < data.size() && data[footer] == '\n') {
      const size_t end = data.find('\n', footer + 1);
      if (end != std::string::npos && end > footer + 1) {
        auto rule = TimeZone::ParsePosixRule(std::string_view(data).substr(footer + 1, end - footer - 1));
        if (!rule.ok()) return bad(rule.status().message());
        zone.rule_ = *rule;
      }
    }
  }
  return zone;
}

}  // namespace fluss
