#include "lake/tiering/data_file_stats.h"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "lake/iceberg/single_value.h"
#include "lake/parquet/parquet_schema.h"
#include "lake/parquet/parquet_stats.h"

namespace fluss::lake {

namespace {

// Decodes valid UTF-8 into code points; nullopt for anything else (overlong forms, surrogates,
// values above U+10FFFF, truncated sequences).
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    size_t n;
    char32_t cp;
    if (b0 < 0x80) {
      n = 1, cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      n = 2, cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      n = 3, cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      n = 4, cp = b0 & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += n;
  }
  return out;
}

void EncodeUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Microseconds of a timestamp, rounded down (or up); nullopt outside int64.
std::optional<int64_t> Micros(const TimestampValue& ts, bool round_up) {
  int64_t micros;
  const int64_t sub = ts.nanos_of_milli / 1000 + (round_up && ts.nanos_of_milli % 1000 != 0 ? 1 : 0);
  if (__builtin_mul_overflow(ts.millis, int64_t{1000}, &micros) || __builtin_add_overflow(micros, sub, &micros)) {
    return std::nullopt;
  }
  return micros;
}

// The bound of one value of `type`; nullopt when no correct bound can be given.
std::optional<std::vector<uint8_t>> Bound(const DataType& type, const Datum& v, bool upper, size_t truncate) {
  switch (type.root()) {
    case TypeRoot::kBoolean:
      if (const auto* b = std::get_if<bool>(&v)) return iceberg::SerializeBoolean(*b);
      break;
    case TypeRoot::kTinyInt:
      if (const auto* x = std::get_if<int8_t>(&v)) return iceberg::SerializeInt(*x);
      break;
    case TypeRoot::kSmallInt:
      if (const auto* x = std::get_if<int16_t>(&v)) return iceberg::SerializeInt(*x);
      break;
    case TypeRoot::kInt:
    case TypeRoot::kDate:
      if (const auto* x = std::get_if<int32_t>(&v)) return iceberg::SerializeInt(*x);
      break;
    case TypeRoot::kBigInt:
      if (const auto* x = std::get_if<int64_t>(&v)) return iceberg::SerializeLong(*x);
      break;
    case TypeRoot::kFloat:
      if (const auto* x = std::get_if<float>(&v); x && !std::isnan(*x)) return iceberg::SerializeFloat(*x);
      break;
    case TypeRoot::kDouble:
      if (const auto* x = std::get_if<double>(&v); x && !std::isnan(*x)) return iceberg::SerializeDouble(*x);
      break;
    case TypeRoot::kDecimal:
      if (const auto* x = std::get_if<DecimalValue>(&v)) return iceberg::SerializeDecimal(x->unscaled);
      break;
    case TypeRoot::kTime:
      if (const auto* x = std::get_if<int32_t>(&v)) return iceberg::SerializeLong(int64_t{*x} * 1000);
      break;
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (const auto* x = std::get_if<TimestampValue>(&v)) {
        if (auto micros = Micros(*x, upper)) return iceberg::SerializeLong(*micros);
      }
      break;
    case TypeRoot::kChar:
    case TypeRoot::kString:
      if (const auto* x = std::get_if<std::string>(&v)) {
        auto t = upper ? TruncateStringUpper(*x, truncate) : TruncateStringLower(*x, truncate);
        if (t) return Bytes(*t);
      }
      break;
    case TypeRoot::kBinary:
      if (const auto* x = std::get_if<std::string>(&v)) return Bytes(*x);
      break;
    case TypeRoot::kBytes:
      if (const auto* x = std::get_if<std::string>(&v)) {
        if (!upper) return Bytes(TruncateBinaryLower(*x, truncate));
        if (auto t = TruncateBinaryUpper(*x, truncate)) return Bytes(*t);
      }
      break;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> TruncateStringLower(std::string_view utf8, size_t code_points) {
  auto cps = DecodeUtf8(utf8);
  if (!cps) return std::nullopt;
  if (cps->size() <= code_points) return std::string(utf8);
  std::string out;
  for (size_t i = 0; i < code_points; ++i) EncodeUtf8((*cps)[i], &out);
  return out;
}

std::optional<std::string> TruncateStringUpper(std::string_view utf8, size_t code_points) {
  auto cps = DecodeUtf8(utf8);
  if (!cps) return std::nullopt;
  if (cps->size() <= code_points) return std::string(utf8);
  // The prefix with its last code point incremented is greater than every string with that prefix
  // (UTF-8 byte order is code point order); a code point that cannot grow is dropped.
  for (size_t n = code_points; n > 0; --n) {
    char32_t last = (*cps)[n - 1] + 1;
    if (last >= 0xD800 && last <= 0xDFFF) last = 0xE000;
    if (last > 0x10FFFF) continue;
    std::string out;
    for (size_t i = 0; i + 1 < n; ++i) EncodeUtf8((*cps)[i], &out);
    EncodeUtf8(last, &out);
    return out;
  }
  return std::nullopt;
}

std::string TruncateBinaryLower(std::string_view bytes, size_t length) {
  return std::string(bytes.substr(0, std::min(bytes.size(), length)));
}

std::optional<std::string> TruncateBinaryUpper(std::string_view bytes, size_t length) {
  if (bytes.size() <= length) return std::string(bytes);
  std::string out(bytes.substr(0, length));
  while (!out.empty()) {
    auto& last = reinterpret_cast<uint8_t&>(out.back());
    if (last != 0xFF) {
      ++last;
      return out;
    }
    out.pop_back();
  }
  return std::nullopt;
}

Status FillDataFileStats(const parquet::FileMetaData& metadata, const Schema& schema,
                         std::span<const int64_t> nan_counts, iceberg::DataFile* file, size_t truncate_length) {
  if (!nan_counts.empty() && nan_counts.size() != schema.num_columns()) {
    return Status::Invalid(fmt::format("data file statistics: {} NaN counts for {} columns", nan_counts.size(),
                                       schema.num_columns()));
  }
  if (truncate_length == 0) return Status::Invalid("data file statistics: the truncate length must be positive");
  // Statistics decode against the file's own schema (its time units), not the Fluss precisions.
  FLUSS_ASSIGN_OR_RETURN(Schema file_schema, parquet::FromParquetSchema(metadata.schema));
  if (file_schema.num_columns() != schema.num_columns()) {
    return Status::Invalid(fmt::format("data file statistics: the file has {} columns, the schema {}",
                                       file_schema.num_columns(), schema.num_columns()));
  }
  for (size_t c = 0; c < schema.num_columns(); ++c) {
    if (file_schema.column(c).id != schema.column(c).id) {
      return Status::Invalid(fmt::format("data file statistics: column '{}' has field id {} in the file, {} in the "
                                         "schema",
                                         schema.column(c).name, file_schema.column(c).id, schema.column(c).id));
    }
  }
  FLUSS_ASSIGN_OR_RETURN(std::vector<parquet::ColumnFileStats> stats,
                         parquet::FileColumnStats(metadata, file_schema));
  file->column_sizes.clear();
  file->value_counts.clear();
  file->null_value_counts.clear();
  file->nan_value_counts.clear();
  file->lower_bounds.clear();
  file->upper_bounds.clear();
  for (size_t c = 0; c < stats.size(); ++c) {
    const Column& column = schema.column(c);
    const parquet::ColumnFileStats& st = stats[c];
    if (column.id < 0) return Status::Invalid(fmt::format("data file statistics: column '{}' has no id", column.name));
    const int32_t id = column.id;
    file->column_sizes[id] = st.column_size;
    file->value_counts[id] = st.value_count;
    if (st.null_count) file->null_value_counts[id] = *st.null_count;
    const bool floating = column.type.root() == TypeRoot::kFloat || column.type.root() == TypeRoot::kDouble;
    if (floating && !nan_counts.empty()) file->nan_value_counts[id] = nan_counts[c];
    if (st.min && st.max) {
      // Datums as the file's schema decodes them; the bound's form by the column's Fluss type (a
      // BINARY(n) column reads back as BYTES, a TIMESTAMP(3) one as TIMESTAMP(6): same Datum kinds).
      const DataType& type = column.type;
      auto lo = Bound(type, *st.min, /*upper=*/false, truncate_length);
      auto hi = Bound(type, *st.max, /*upper=*/true, truncate_length);
      if (lo) file->lower_bounds[id] = std::move(*lo);
      if (hi) file->upper_bounds[id] = std::move(*hi);
    }
  }
  return Status::OK();
}

}  // namespace fluss::lake
