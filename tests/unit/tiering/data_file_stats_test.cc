// Iceberg column statistics of tiered data files from their Parquet footers: counts, NaN counts,
// and bounds per type (single-value serialization), incl. null-only and NaN-only columns, several
// row groups, and truncated string / binary bounds.
#include "lake/tiering/data_file_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "lake/parquet/parquet_stats.h"
#include "lake/parquet/parquet_writer.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss::lake {
namespace {

using Bytes = std::vector<uint8_t>;

template <typename T>
Bytes Le(T v) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));  // the test hosts are little-endian
  return b;
}
Bytes Str(std::string_view s) { return {s.begin(), s.end()}; }

// The expected single value of a (non-null, non-NaN) datum, written independently of the code under test.
Bytes Expected(const DataType& t, const Datum& d) {
  switch (t.root()) {
    case TypeRoot::kBoolean: return {static_cast<uint8_t>(std::get<bool>(d) ? 1 : 0)};
    case TypeRoot::kTinyInt: return Le<int32_t>(std::get<int8_t>(d));
    case TypeRoot::kSmallInt: return Le<int32_t>(std::get<int16_t>(d));
    case TypeRoot::kInt: case TypeRoot::kDate: return Le<int32_t>(std::get<int32_t>(d));
    case TypeRoot::kBigInt: return Le<int64_t>(std::get<int64_t>(d));
    case TypeRoot::kFloat: return Le<float>(std::get<float>(d));
    case TypeRoot::kDouble: return Le<double>(std::get<double>(d));
    case TypeRoot::kTime: return Le<int64_t>(int64_t{std::get<int32_t>(d)} * 1000);
    case TypeRoot::kTimestamp: case TypeRoot::kTimestampLtz: {
      const auto& ts = std::get<TimestampValue>(d);
      return Le<int64_t>(ts.millis * 1000 + ts.nanos_of_milli / 1000);
    }
    case TypeRoot::kDecimal: {
      // Shortest two's complement big-endian: grow until the value fits.
      const __int128 v = std::get<DecimalValue>(d).unscaled;
      for (int n = 1; n <= 16; ++n) {
        const __int128 lo = -(static_cast<__int128>(1) << (8 * n - 1));
        if (n == 16 || (v >= lo && v < -lo)) {
          Bytes b(static_cast<size_t>(n));
          auto u = static_cast<unsigned __int128>(v);
          for (int i = n - 1; i >= 0; --i, u >>= 8) b[static_cast<size_t>(i)] = static_cast<uint8_t>(u);
          return b;
        }
      }
      return {};
    }
    default: return Str(std::get<std::string>(d));
  }
}

bool IsNaN(const Datum& d) {
  if (const auto* f = std::get_if<float>(&d)) return std::isnan(*f);
  if (const auto* x = std::get_if<double>(&d)) return std::isnan(*x);
  return false;
}

struct Written {
  parquet::FileMetaData metadata;
  std::vector<int64_t> nan_counts;
};

Written Write(const Schema& schema, const std::vector<GenericRow>& rows, int64_t row_group_rows = 1'000'000) {
  parquet::ParquetWriterOptions o;
  o.row_group_max_rows = row_group_rows;
  auto w = parquet::ParquetWriter::Make(schema, o).value();
  for (const auto& r : rows) EXPECT_OK(w->Write(r));
  EXPECT_OK(w->Finish());
  return {w->metadata(), w->nan_counts()};
}

// Checks every map of `file` against the rows themselves (values not truncated: short strings).
void CheckAgainstRows(const Schema& schema, const std::vector<GenericRow>& rows, const Written& w,
                      const iceberg::DataFile& file) {
  for (size_t c = 0; c < schema.num_columns(); ++c) {
    const Column& col = schema.column(c);
    SCOPED_TRACE(col.name);
    int64_t nulls = 0, nans = 0, chunk_bytes = 0;
    std::optional<Datum> lo, hi;
    for (const auto& r : rows) {
      const Datum& d = r.field(c);
      if (std::holds_alternative<std::monostate>(d)) { ++nulls; continue; }
      if (IsNaN(d)) { ++nans; continue; }
      if (!lo || parquet::CompareDatums(d, *lo) < 0) lo = d;
      if (!hi || parquet::CompareDatums(d, *hi) > 0) hi = d;
    }
    for (const auto& rg : w.metadata.row_groups) chunk_bytes += rg.columns[c].meta_data->total_compressed_size;
    EXPECT_EQ(file.value_counts.at(col.id), static_cast<int64_t>(rows.size()));
    EXPECT_EQ(file.null_value_counts.at(col.id), nulls);
    EXPECT_EQ(file.column_sizes.at(col.id), chunk_bytes);
    EXPECT_GT(chunk_bytes, 0);
    const bool floating = col.type.root() == TypeRoot::kFloat || col.type.root() == TypeRoot::kDouble;
    if (floating) {
      EXPECT_EQ(file.nan_value_counts.at(col.id), nans);
    } else {
      EXPECT_FALSE(file.nan_value_counts.count(col.id));
    }
    if (!lo) {
      EXPECT_FALSE(file.lower_bounds.count(col.id));
      EXPECT_FALSE(file.upper_bounds.count(col.id));
      continue;
    }
    // Parquet writes a zero float minimum as -0.0 and a zero maximum as +0.0.
    if (floating && col.type.root() == TypeRoot::kFloat && std::get<float>(*lo) == 0) lo = Datum(-0.0f);
    if (floating && col.type.root() == TypeRoot::kFloat && std::get<float>(*hi) == 0) hi = Datum(0.0f);
    if (floating && col.type.root() == TypeRoot::kDouble && std::get<double>(*lo) == 0) lo = Datum(-0.0);
    if (floating && col.type.root() == TypeRoot::kDouble && std::get<double>(*hi) == 0) hi = Datum(0.0);
    ASSERT_TRUE(file.lower_bounds.count(col.id));
    ASSERT_TRUE(file.upper_bounds.count(col.id));
    EXPECT_EQ(file.lower_bounds.at(col.id), Expected(col.type, *lo));
    EXPECT_EQ(file.upper_bounds.at(col.id), Expected(col.type, *hi));
  }
}

Schema AllTypes() {
  return ParseSchema(
             "b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT NOT NULL, i64 BIGINT, f FLOAT, d DOUBLE, "
             "dec9 DECIMAL(9, 2), dec38 DECIMAL(38, 10), s STRING, c CHAR(3), bin BINARY(3), by BYTES, "
             "dt DATE, t TIME(3), ts TIMESTAMP(6), ts3 TIMESTAMP(3), ltz TIMESTAMP_LTZ(9), nul STRING")
      .value();
}

GenericRow AllTypesRow(int i) {
  const bool odd = i % 2 != 0;
  auto big = static_cast<__int128>(i - 50) * static_cast<__int128>(1'000'000'000'000'000'000LL) * 1000;
  std::vector<Datum> f = {
      Datum(odd),
      Datum(static_cast<int8_t>(i % 256 - 128)),
      Datum(static_cast<int16_t>(i * 300 - 30000)),
      Datum(static_cast<int32_t>(i * 7919 - 400000)),
      i % 5 == 0 ? Datum() : Datum(static_cast<int64_t>(i) * 1'000'000'007LL - (int64_t{1} << 40)),
      i % 3 == 0 ? Datum(std::numeric_limits<float>::quiet_NaN()) : Datum(static_cast<float>(i) * 0.5f - 20.0f),
      i % 4 == 0 ? Datum() : Datum(i == 7 ? -0.0 : static_cast<double>(i) * -1.25 + 3.0),
      Datum(DecimalValue{static_cast<__int128>(i) * 12345 - 600000}),
      Datum(DecimalValue{big}),
      Datum(i == 3 ? std::string() : "s" + std::to_string(i) + (odd ? "é" : "中")),
      Datum(std::string("c") + static_cast<char>('a' + i % 26) + "z"),
      Datum(std::string{static_cast<char>(i), '\xff', '\0'}),
      i % 6 == 0 ? Datum() : Datum(std::string{'\x80', static_cast<char>(i), '\0'}),
      Datum(static_cast<int32_t>(i * 400 - 719162)),
      Datum(static_cast<int32_t>(i * 1'000'003 % 86'400'000)),
      Datum(TimestampValue{static_cast<int64_t>(i) * 86'400'123 - 62'000'000'000'000LL, (i * 1000) % 1'000'000}),
      Datum(TimestampValue{static_cast<int64_t>(i) * 999'999'937LL, 0}),
      Datum(TimestampValue{1'700'000'000'000LL - i * 7, (i * 1'001'000) % 1'000'000}),
      Datum(),
  };
  return GenericRow(std::move(f));
}

TEST(DataFileStats, EveryTypeOverSeveralRowGroupsMatchesTheRows) {
  const Schema schema = AllTypes();
  std::vector<GenericRow> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(AllTypesRow(i));
  const Written w = Write(schema, rows, /*row_group_rows=*/30);
  ASSERT_EQ(w.metadata.row_groups.size(), 4u);
  iceberg::DataFile file;
  file.lower_bounds[999] = {1};  // replaced, not merged
  ASSERT_OK(FillDataFileStats(w.metadata, schema, w.nan_counts, &file));
  EXPECT_FALSE(file.lower_bounds.count(999));
  CheckAgainstRows(schema, rows, w, file);
  // A few bytes spelled out: INT minimum -400000, BOOLEAN false..true, the all-null column.
  const int32_t i32 = schema.column(3).id;
  EXPECT_EQ(file.lower_bounds.at(i32), (Bytes{0x80, 0xe5, 0xf9, 0xff}));
  EXPECT_EQ(file.lower_bounds.at(schema.column(0).id), Bytes{0});
  EXPECT_EQ(file.upper_bounds.at(schema.column(0).id), Bytes{1});
  const int32_t nul = schema.column(18).id;
  EXPECT_EQ(file.null_value_counts.at(nul), 100);
  EXPECT_EQ(file.value_counts.at(nul), 100);
  EXPECT_EQ(file.nan_value_counts.at(schema.column(5).id), 34);
}

TEST(DataFileStats, NullOnlyAndNaNOnlyColumnsHaveCountsButNoBounds) {
  const Schema schema = ParseSchema("f FLOAT, d DOUBLE, s STRING, n BIGINT, ts TIMESTAMP_LTZ(3)").value();
  std::vector<GenericRow> rows;
  for (int i = 0; i < 10; ++i) {
    rows.push_back(GenericRow({Datum(std::numeric_limits<float>::quiet_NaN()),
                               i < 4 ? Datum() : Datum(-std::numeric_limits<double>::quiet_NaN()), Datum(), Datum(),
                               Datum()}));
  }
  const Written w = Write(schema, rows, 3);
  iceberg::DataFile file;
  ASSERT_OK(FillDataFileStats(w.metadata, schema, w.nan_counts, &file));
  CheckAgainstRows(schema, rows, w, file);
  EXPECT_EQ(file.nan_value_counts.at(schema.column(0).id), 10);
  EXPECT_EQ(file.nan_value_counts.at(schema.column(1).id), 6);
  EXPECT_EQ(file.null_value_counts.at(schema.column(1).id), 4);
  EXPECT_TRUE(file.lower_bounds.empty());
  EXPECT_TRUE(file.upper_bounds.empty());
  // Without NaN counts (a file someone else wrote) there are none, and a wrong number is an error.
  ASSERT_OK(FillDataFileStats(w.metadata, schema, {}, &file));
  EXPECT_TRUE(file.nan_value_counts.empty());
  std::vector<int64_t> two = {0, 0};
  EXPECT_FALSE(FillDataFileStats(w.metadata, schema, two, &file).ok());
  EXPECT_FALSE(FillDataFileStats(w.metadata, ParseSchema("f FLOAT").value(), {}, &file).ok());
}

TEST(DataFileStats, TheWriterCountsNaNsOfAcceptedRowsOnly) {
  const Schema schema = ParseSchema("f FLOAT, d DOUBLE, n INT NOT NULL").value();
  auto w = parquet::ParquetWriter::Make(schema).value();
  const float nanf = std::numeric_limits<float>::quiet_NaN();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_OK(w->Write(GenericRow({Datum(nanf), Datum(1.0), Datum(int32_t{1})})));
  EXPECT_FALSE(w->Write(GenericRow({Datum(nanf), Datum(nan), Datum()})).ok());  // NOT NULL violated
  EXPECT_OK(w->Write(GenericRow({Datum(), Datum(nan), Datum(int32_t{2})})));
  EXPECT_EQ(w->nan_counts(), (std::vector<int64_t>{1, 1, 0}));
}

TEST(DataFileStats, LongStringAndBytesBoundsAreTruncatedAndStillBoundTheValues) {
  const Schema schema = ParseSchema("s STRING, b BYTES, fx BINARY(20)").value();
  const std::string long_lo = "aaaaaaaaaaaaaaaaaaaaaaaa";           // 24 code points
  const std::string long_hi = "zzzzzzzzzzzzzzz\xf4\x8f\xbf\xbfzz";   // U+10FFFF at code point 16
  const std::string blo(30, '\x01'), bhi = std::string(15, '\x07') + std::string(10, '\xff');
  std::vector<GenericRow> rows = {
      GenericRow({Datum(long_lo), Datum(blo), Datum(std::string(20, '\xff'))}),
      GenericRow({Datum(long_hi), Datum(bhi), Datum(std::string(20, '\x00'))}),
      GenericRow({Datum(std::string("m")), Datum(std::string("\x02")), Datum(std::string(20, 'm'))}),
  };
  const Written w = Write(schema, rows);
  iceberg::DataFile file;
  ASSERT_OK(FillDataFileStats(w.metadata, schema, w.nan_counts, &file));
  EXPECT_EQ(file.lower_bounds.at(0), Str(std::string(16, 'a')));
  // U+10FFFF cannot be incremented: the 15th 'z' becomes '{'.
  EXPECT_EQ(file.upper_bounds.at(0), Str("zzzzzzzzzzzzzz{"));
  EXPECT_EQ(file.lower_bounds.at(1), Str(std::string(16, '\x01')));
  // 15 x 07, ff: the ff cannot grow, the last 07 does.
  EXPECT_EQ(file.upper_bounds.at(1), Str(std::string(14, '\x07') + "\x08"));
  EXPECT_EQ(file.lower_bounds.at(2), Str(std::string(20, '\x00')));  // fixed: never truncated
  EXPECT_EQ(file.upper_bounds.at(2), Str(std::string(20, '\xff')));
  for (const auto& r : rows) {
    // std::vector<uint8_t> compares as unsigned bytes, the order of Iceberg string/binary bounds.
    EXPECT_LE(Str(r.GetString(0)), file.upper_bounds.at(0));
    EXPECT_GE(Str(r.GetString(0)), file.lower_bounds.at(0));
    EXPECT_LE(Str(r.GetString(1)), file.upper_bounds.at(1));
    EXPECT_GE(Str(r.GetString(1)), file.lower_bounds.at(1));
  }
}

TEST(DataFileStats, TruncationRules) {
  EXPECT_EQ(TruncateStringLower("héllo", 2), "hé");
  EXPECT_EQ(TruncateStringUpper("héllo", 2), "hê");
  EXPECT_EQ(TruncateStringLower("hé", 2), "hé");
  EXPECT_EQ(TruncateStringUpper("hé", 5), "hé");
  EXPECT_EQ(TruncateStringUpper("a\xed\x9f\xbf" "b", 2), "a\xee\x80\x80");  // U+D7FF -> U+E000, not a surrogate
  EXPECT_EQ(TruncateStringUpper("\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbfx", 2), std::nullopt);
  EXPECT_EQ(TruncateStringUpper("\x7f" "abc", 1), "\xc2\x80");  // U+007F -> U+0080 (two bytes)
  EXPECT_EQ(TruncateStringLower("\xff", 4), std::nullopt);      // not UTF-8: no bound at all
  EXPECT_EQ(TruncateStringUpper("ab\xc0\xaf", 1), std::nullopt);  // overlong '/'
  EXPECT_EQ(TruncateStringLower("", 1), "");
  EXPECT_EQ(TruncateBinaryLower("\x01\x02\x03", 2), "\x01\x02");
  EXPECT_EQ(TruncateBinaryUpper("\x01\x02\x03", 2), "\x01\x03");
  EXPECT_EQ(TruncateBinaryUpper("\x01\xff\x03", 2), "\x02");
  EXPECT_EQ(TruncateBinaryUpper("\xff\xff\x03", 2), std::nullopt);
  EXPECT_EQ(TruncateBinaryUpper("\xff\xff", 2), "\xff\xff");
}

TEST(DataFileStats, TimestampBoundsRoundOutwardAndOutOfRangeValuesHaveNone) {
  const Schema schema = ParseSchema("ts TIMESTAMP(6), ltz TIMESTAMP_LTZ(3)").value();
  std::vector<GenericRow> rows = {
      GenericRow({Datum(TimestampValue{-1, 999'000}), Datum(TimestampValue{-62'135'596'800'000LL, 0})}),
      GenericRow({Datum(TimestampValue{5, 1000}), Datum(TimestampValue{253'402'300'799'999LL, 0})}),
  };
  const Written w = Write(schema, rows);
  iceberg::DataFile file;
  ASSERT_OK(FillDataFileStats(w.metadata, schema, w.nan_counts, &file));
  EXPECT_EQ(file.lower_bounds.at(0), Le<int64_t>(-1));
  EXPECT_EQ(file.upper_bounds.at(0), Le<int64_t>(5001));
  EXPECT_EQ(file.lower_bounds.at(1), Le<int64_t>(-62'135'596'800'000'000LL));
  EXPECT_EQ(file.upper_bounds.at(1), Le<int64_t>(253'402'300'799'999'000LL));
}

}  // namespace
}  // namespace fluss::lake
