// Shared fixtures of the Parquet tests: a schema with every Fluss type (nullable and NOT NULL) and
// rows with edge values.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lake/parquet/parquet_reader.h"
#include "lake/parquet/parquet_writer.h"
#include "types/schema.h"

namespace fluss::parquet::testing {

inline std::vector<DataType> AllTypes() {
  return {DataType::Boolean(),      DataType::TinyInt(),      DataType::SmallInt(),    DataType::Int(),
          DataType::BigInt(),       DataType::Float(),        DataType::Double(),      DataType::Decimal(9, 2),
          DataType::Decimal(18, 4), DataType::Decimal(38, 10), DataType::Char(3),       DataType::String(),
          DataType::Binary(4),      DataType::Bytes(),        DataType::Date(),        DataType::Time(3),
          DataType::Timestamp(6),   DataType::TimestampLtz(6)};
}

// Columns c0..cN-1 of AllTypes(), then n0..nN-1 the same types NOT NULL; ids 1.. in order.
inline Schema AllTypesSchema() {
  std::vector<Column> cols;
  auto types = AllTypes();
  int id = 1;
  for (size_t i = 0; i < types.size(); ++i) cols.push_back(Column{fmt::format("c{}", i), types[i], id++, ""});
  for (size_t i = 0; i < types.size(); ++i) {
    cols.push_back(Column{fmt::format("n{}", i), types[i].NotNull(), id++, ""});
  }
  return Schema::Make(std::move(cols)).value();
}

// A value of `type` for row `r`; edge values for the first rows, then varied ones.
inline Datum ValueFor(const DataType& type, int64_t r) {
  const int k = static_cast<int>(r % 5);
  const bool edge_lo = k == 0, edge_hi = k == 1;
  const __int128 p38 = [] { __int128 v = 1; for (int i = 0; i < 38; ++i) v *= 10; return v - 1; }();
  switch (type.root()) {
    case TypeRoot::kBoolean: return Datum(r % 3 == 0);
    case TypeRoot::kTinyInt: return Datum(static_cast<int8_t>(edge_lo ? INT8_MIN : edge_hi ? INT8_MAX : r % 100));
    case TypeRoot::kSmallInt: return Datum(static_cast<int16_t>(edge_lo ? INT16_MIN : edge_hi ? INT16_MAX : r * 7 % 1000));
    case TypeRoot::kInt: return Datum(static_cast<int32_t>(edge_lo ? INT32_MIN : edge_hi ? INT32_MAX : r * 13));
    case TypeRoot::kBigInt: return Datum(edge_lo ? INT64_MIN : edge_hi ? INT64_MAX : r * 1000003);
    case TypeRoot::kFloat:
      return Datum(edge_lo ? -std::numeric_limits<float>::max() : edge_hi ? std::numeric_limits<float>::denorm_min()
                                                                          : static_cast<float>(r) * 0.5f);
    case TypeRoot::kDouble:
      return Datum(edge_lo ? -0.0 : edge_hi ? std::numeric_limits<double>::max() : static_cast<double>(r) / 3);
    case TypeRoot::kDecimal: {
      __int128 max = type.precision() == 38 ? p38 : type.precision() == 18 ? 999999999999999999 : 999999999;
      return Datum(DecimalValue{edge_lo ? -max : edge_hi ? max : static_cast<__int128>(r) * 12345 - 600000});
    }
    case TypeRoot::kChar: return Datum(std::string(edge_lo ? "   " : edge_hi ? "\xE2\x82\xAC" : fmt::format("ab{}", r % 10)));
    case TypeRoot::kString:
      return Datum(edge_lo ? std::string() : edge_hi ? std::string("h\xC3\xA9llo\0x", 8) : fmt::format("s{}", r % 7));
    case TypeRoot::kBinary: return Datum(std::string(edge_lo ? std::string(4, '\0') : std::string(4, static_cast<char>(r))));
    case TypeRoot::kBytes: return Datum(edge_lo ? std::string() : edge_hi ? std::string(300, '\xFF') : std::to_string(r));
    case TypeRoot::kDate: return Datum(static_cast<int32_t>(edge_lo ? -719162 : edge_hi ? 2932896 : r));
    case TypeRoot::kTime: return Datum(static_cast<int32_t>(edge_lo ? 0 : edge_hi ? 86399999 : r * 1000 % 86400000));
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (edge_lo) return Datum(TimestampValue{-62135596800000, 0});   // 0001-01-01
      if (edge_hi) return Datum(TimestampValue{253402300799999, 999000});  // 9999-12-31 23:59:59.999999
      return Datum(TimestampValue{1700000000000 + r * 1001, static_cast<int32_t>((r % 1000) * 1000)});
  }
  return Datum();
}

// `n` rows for `schema`; nullable columns are null in every 4th row (shifted by column).
inline std::vector<GenericRow> MakeRows(const Schema& schema, int64_t n) {
  std::vector<GenericRow> rows;
  for (int64_t r = 0; r < n; ++r) {
    GenericRow row(schema.num_columns());
    for (size_t c = 0; c < schema.num_columns(); ++c) {
      const DataType& t = schema.column(c).type;
      if (t.nullable() && (r + static_cast<int64_t>(c)) % 4 == 3) continue;
      row.SetField(c, ValueFor(t, r));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace fluss::parquet::testing
