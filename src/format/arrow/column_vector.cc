#include "format/arrow/column_vector.h"

#include <fmt/format.h>

#include <bit>
#include <limits>

#include "common/byte_io.h"
#include "format/arrow/arrow_type.h"

namespace fluss::arrow {
namespace {

constexpr int64_t kMillisPerDay = 86400000;
constexpr size_t kMaxVariableBytes = std::numeric_limits<int32_t>::max();

size_t BitmapBytes(size_t bits) { return (bits + 7) / 8; }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }
int64_t FloorMod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

void SetBit(std::vector<uint8_t>* bitmap, size_t i, bool value) {
  if (bitmap->size() < BitmapBytes(i + 1)) bitmap->resize(BitmapBytes(i + 1), 0);
  if (value) {
    (*bitmap)[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  } else {
    (*bitmap)[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
  }
}

template <typename T>
void AppendLE(std::vector<uint8_t>* out, T v) {
  size_t n = out->size();
  out->resize(n + sizeof(T));
  StoreLE<T>(out->data() + n, v);
}

bool Int128ToInt64(__int128 v, int64_t* out) {
  if (v < std::numeric_limits<int64_t>::min() || v > std::numeric_limits<int64_t>::max()) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

// The Arrow value of a TIMESTAMP(p) for `ts`; false when it does not fit int64 in the unit.
bool TimestampToArrow(const TimestampValue& ts, int precision, int64_t* out) {
  switch (TimeUnitForPrecision(precision)) {
    case fb::TimeUnit::SECOND:
      *out = ts.millis / 1000;  // truncated toward zero, as Fluss's Java writer does
      return true;
    case fb::TimeUnit::MILLISECOND:
      *out = ts.millis;
      return true;
    // In 128 bits: millis * unit alone may leave int64 while the sum is back inside it (int64 min ns
    // is -9223372036855 ms + 224192 ns), and such values must round-trip with TimestampFromArrow.
    case fb::TimeUnit::MICROSECOND:
      return Int128ToInt64(__int128{ts.millis} * 1000 + ts.nanos_of_milli / 1000, out);
    case fb::TimeUnit::NANOSECOND:
      return Int128ToInt64(__int128{ts.millis} * 1000000 + ts.nanos_of_milli, out);
  }
  return false;
}

// The Datum of an Arrow timestamp value; false when the milliseconds overflow int64.
bool TimestampFromArrow(int64_t v, int precision, TimestampValue* out) {
  switch (TimeUnitForPrecision(precision)) {
    case fb::TimeUnit::SECOND:
      out->nanos_of_milli = 0;
      return !__builtin_mul_overflow(v, int64_t{1000}, &out->millis);
    case fb::TimeUnit::MILLISECOND:
      *out = {v, 0};
      return true;
    case fb::TimeUnit::MICROSECOND:
      *out = {FloorDiv(v, 1000), static_cast<int32_t>(FloorMod(v, 1000) * 1000)};
      return true;
    case fb::TimeUnit::NANOSECOND:
      *out = {FloorDiv(v, 1000000), static_cast<int32_t>(FloorMod(v, 1000000))};
      return true;
  }
  return false;
}

// Milliseconds of the day of an Arrow TIME value read as int64 (int32 units widened).
int64_t TimeMillisFromArrow(int64_t v, int precision) {
  switch (TimeUnitForPrecision(precision)) {
    case fb::TimeUnit::SECOND: return v * 1000;  // v is an int32: cannot overflow
    case fb::TimeUnit::MILLISECOND: return v;
    case fb::TimeUnit::MICROSECOND: return FloorDiv(v, 1000);
    case fb::TimeUnit::NANOSECOND: return FloorDiv(v, 1000000);
  }
  return -1;
}

int64_t LoadTimeValue(const uint8_t* p, int precision) {
  return precision <= 3 ? int64_t{LoadLE<int32_t>(p)} : LoadLE<int64_t>(p);
}

}  // namespace

ColumnVector::ColumnVector(DataType t) : type(std::move(t)) {
  if (LayoutOf(type) == ArrowLayout::kVariable) AppendLE<int32_t>(&offsets, 0);
}

Status ColumnVector::CheckAppend(const Datum& d, std::string_view column_name) const {
  // Text is encoded as given: the format layer also re-encodes stored rows (changelogs, recovery),
  // and what a writer sends is checked where it enters (ValidateText).
  FLUSS_RETURN_NOT_OK(ValidateDatum(d, type, column_name, TextCheck::kNone));
  if (std::holds_alternative<std::monostate>(d)) return Status::OK();
  if (type.root() == TypeRoot::kTimestamp || type.root() == TypeRoot::kTimestampLtz) {
    int64_t v;
    if (!TimestampToArrow(std::get<TimestampValue>(d), type.precision(), &v)) {
      return Status::Invalid(fmt::format("column '{}': timestamp {} ms does not fit the int64 Arrow unit of {}",
                                         column_name, std::get<TimestampValue>(d).millis, type.ToString()));
    }
  }
  if (LayoutOf(type) == ArrowLayout::kVariable) {
    const size_t n = std::get<std::string>(d).size();
    if (n > kMaxVariableBytes - values.size()) {
      return Status::Invalid(fmt::format("column '{}': {} more bytes exceed the 2 GiB of an Arrow int32-offset column",
                                         column_name, n));
    }
  }
  return Status::OK();
}

Status ColumnVector::Append(const Datum& d, std::string_view column_name) {
  FLUSS_RETURN_NOT_OK(CheckAppend(d, column_name));
  AppendUnchecked(d);
  return Status::OK();
}

void ColumnVector::AppendNull() {
  if (validity.empty()) {
    validity.assign(BitmapBytes(length), 0xFF);
    if (length % 8 != 0) validity.back() = static_cast<uint8_t>((1u << (length % 8)) - 1);
  }
  SetBit(&validity, length, false);
  ++null_count;
  switch (LayoutOf(type)) {
    case ArrowLayout::kBitmap: SetBit(&values, length, false); break;
    case ArrowLayout::kFixed: values.resize(values.size() + ValueWidthOf(type), 0); break;
    case ArrowLayout::kVariable: AppendLE<int32_t>(&offsets, static_cast<int32_t>(values.size())); break;
  }
  ++length;
}

void ColumnVector::AppendUnchecked(const Datum& d) {
  if (std::holds_alternative<std::monostate>(d)) {
    AppendNull();
    return;
  }
  if (!validity.empty()) SetBit(&validity, length, true);
  switch (type.root()) {
    case TypeRoot::kBoolean: SetBit(&values, length, std::get<bool>(d)); break;
    case TypeRoot::kTinyInt: AppendLE<int8_t>(&values, std::get<int8_t>(d)); break;
    case TypeRoot::kSmallInt: AppendLE<int16_t>(&values, std::get<int16_t>(d)); break;
    case TypeRoot::kInt:
    case TypeRoot::kDate: AppendLE<int32_t>(&values, std::get<int32_t>(d)); break;
    case TypeRoot::kBigInt: AppendLE<int64_t>(&values, std::get<int64_t>(d)); break;
    case TypeRoot::kFloat: AppendLE<float>(&values, std::get<float>(d)); break;
    case TypeRoot::kDouble: AppendLE<double>(&values, std::get<double>(d)); break;
    case TypeRoot::kDecimal: AppendLE<__int128>(&values, std::get<DecimalValue>(d).unscaled); break;
    case TypeRoot::kTime: {
      const int32_t ms = std::get<int32_t>(d);
      switch (TimeUnitForPrecision(type.precision())) {
        case fb::TimeUnit::SECOND: AppendLE<int32_t>(&values, ms / 1000); break;
        case fb::TimeUnit::MILLISECOND: AppendLE<int32_t>(&values, ms); break;
        case fb::TimeUnit::MICROSECOND: AppendLE<int64_t>(&values, int64_t{ms} * 1000); break;
        case fb::TimeUnit::NANOSECOND: AppendLE<int64_t>(&values, int64_t{ms} * 1000000); break;
      }
      break;
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      int64_t v = 0;
      TimestampToArrow(std::get<TimestampValue>(d), type.precision(), &v);
      AppendLE<int64_t>(&values, v);
      break;
    }
    case TypeRoot::kBinary: {
      const std::string& s = std::get<std::string>(d);
      values.insert(values.end(), s.begin(), s.end());
      break;
    }
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes: {
      const std::string& s = std::get<std::string>(d);
      values.insert(values.end(), s.begin(), s.end());
      AppendLE<int32_t>(&offsets, static_cast<int32_t>(values.size()));
      break;
    }
  }
  ++length;
}

Datum ColumnVector::Get(size_t i) const {
  if (IsNull(i)) return std::monostate{};
  const size_t w = ValueWidthOf(type);
  const uint8_t* p = values.data() + i * w;
  switch (type.root()) {
    case TypeRoot::kBoolean: return ((values[i >> 3] >> (i & 7)) & 1) != 0;
    case TypeRoot::kTinyInt: return LoadLE<int8_t>(p);
    case TypeRoot::kSmallInt: return LoadLE<int16_t>(p);
    case TypeRoot::kInt:
    case TypeRoot::kDate: return LoadLE<int32_t>(p);
    case TypeRoot::kBigInt: return LoadLE<int64_t>(p);
    case TypeRoot::kFloat: return LoadLE<float>(p);
    case TypeRoot::kDouble: return LoadLE<double>(p);
    case TypeRoot::kDecimal: return DecimalValue{LoadLE<__int128>(p)};
    case TypeRoot::kTime:
      return static_cast<int32_t>(TimeMillisFromArrow(LoadTimeValue(p, type.precision()), type.precision()));
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      TimestampValue ts;
      TimestampFromArrow(LoadLE<int64_t>(p), type.precision(), &ts);
      return ts;
    }
    case TypeRoot::kBinary: return std::string(reinterpret_cast<const char*>(p), w);
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes: {
      const int32_t begin = LoadLE<int32_t>(offsets.data() + i * 4);
      const int32_t end = LoadLE<int32_t>(offsets.data() + (i + 1) * 4);
      return std::string(reinterpret_cast<const char*>(values.data()) + begin, static_cast<size_t>(end - begin));
    }
  }
  return std::monostate{};
}

Status ColumnVector::ValidateText(std::string_view column_name) const {
  if (type.root() != TypeRoot::kChar && type.root() != TypeRoot::kString) return Status::OK();
  for (size_t i = 0; i < length; ++i) {
    if (IsNull(i)) continue;
    const int32_t begin = LoadLE<int32_t>(offsets.data() + i * 4);
    const int32_t end = LoadLE<int32_t>(offsets.data() + (i + 1) * 4);
    const std::string_view text(reinterpret_cast<const char*>(values.data()) + begin, static_cast<size_t>(end - begin));
    Status st = ValidateTextBytes(text, type, column_name);
    if (!st.ok()) return st.WithContext(fmt::format("row {}", i));
  }
  return Status::OK();
}

Status ColumnVector::Validate(std::string_view column_name) const {
  auto fail = [&](std::string what) {
    return Status::Invalid(fmt::format("column '{}' ({}): {}", column_name, type.ToString(), what));
  };
  // Validity.
  if (validity.empty()) {
    if (null_count != 0) return fail(fmt::format("null count {} without a validity bitmap", null_count));
  } else {
    if (validity.size() < BitmapBytes(length)) {
      return fail(fmt::format("validity bitmap of {} bytes for {} rows", validity.size(), length));
    }
    size_t valid = 0;
    const size_t full = length / 8;
    for (size_t b = 0; b < full; ++b) valid += static_cast<size_t>(std::popcount(validity[b]));
    if (length % 8 != 0) {
      valid += static_cast<size_t>(std::popcount(static_cast<uint8_t>(validity[full] & ((1u << (length % 8)) - 1))));
    }
    if (length - valid != null_count) {
      return fail(fmt::format("null count {} but the validity bitmap has {} nulls", null_count, length - valid));
    }
  }
  if (null_count > 0 && !type.nullable()) return fail(fmt::format("{} nulls in a NOT NULL column", null_count));

  // Values.
  switch (LayoutOf(type)) {
    case ArrowLayout::kBitmap:
      if (values.size() < BitmapBytes(length)) {
        return fail(fmt::format("{} value bytes for {} booleans", values.size(), length));
      }
      return Status::OK();
    case ArrowLayout::kVariable: {
      if (offsets.size() != (length + 1) * 4) {
        return fail(fmt::format("{} offset bytes for {} rows (need {})", offsets.size(), length, (length + 1) * 4));
      }
      int64_t prev = LoadLE<int32_t>(offsets.data());
      if (prev != 0) return fail(fmt::format("first offset is {}, not 0", prev));
      for (size_t i = 1; i <= length; ++i) {
        const int64_t cur = LoadLE<int32_t>(offsets.data() + i * 4);
        if (cur < prev) return fail(fmt::format("offset {} of row {} is below the previous {}", cur, i - 1, prev));
        prev = cur;
      }
      if (static_cast<uint64_t>(prev) > values.size()) {
        return fail(fmt::format("last offset {} is past the {} data bytes", prev, values.size()));
      }
      return Status::OK();
    }
    case ArrowLayout::kFixed:
      break;
  }
  const size_t w = ValueWidthOf(type);
  if (w == 0 || values.size() / w < length) {
    return fail(fmt::format("{} value bytes for {} values of {} bytes", values.size(), length, w));
  }
  switch (type.root()) {
    case TypeRoot::kDecimal: {
      const __int128 limit = Pow10(type.precision());
      for (size_t i = 0; i < length; ++i) {
        if (IsNull(i)) continue;
        const __int128 v = LoadLE<__int128>(values.data() + i * 16);
        if (v >= limit || v <= -limit) {
          return fail(fmt::format("row {}: value {} exceeds the precision", i, DecimalValue{v}.ToString(type.scale())));
        }
      }
      break;
    }
    case TypeRoot::kTime:
      for (size_t i = 0; i < length; ++i) {
        if (IsNull(i)) continue;
        const int64_t raw = LoadTimeValue(values.data() + i * w, type.precision());
        const int64_t ms = TimeMillisFromArrow(raw, type.precision());
        if (ms < 0 || ms >= kMillisPerDay) return fail(fmt::format("row {}: time value {} is outside a day", i, raw));
      }
      break;
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (TimeUnitForPrecision(type.precision()) == fb::TimeUnit::SECOND) {
        for (size_t i = 0; i < length; ++i) {
          if (IsNull(i)) continue;
          TimestampValue ts;
          const int64_t raw = LoadLE<int64_t>(values.data() + i * 8);
          if (!TimestampFromArrow(raw, type.precision(), &ts)) {
            return fail(fmt::format("row {}: {} seconds overflow int64 milliseconds", i, raw));
          }
        }
      }
      break;
    default:
      break;
  }
  return Status::OK();
}

Result<std::vector<GenericRow>> ColumnsToRows(std::span<const ColumnVector> columns) {
  const size_t rows = columns.empty() ? 0 : columns[0].length;
  for (const auto& c : columns) {
    if (c.length != rows) {
      return Status::Invalid(fmt::format("columns of {} and {} rows cannot form one batch", rows, c.length));
    }
  }
  std::vector<GenericRow> out;
  out.reserve(rows);
  for (size_t r = 0; r < rows; ++r) {
    std::vector<Datum> fields;
    fields.reserve(columns.size());
    for (const auto& c : columns) fields.push_back(c.Get(r));
    out.emplace_back(std::move(fields));
  }
  return out;
}

}  // namespace fluss::arrow
