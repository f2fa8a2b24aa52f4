// fluss_arrow_interop: the C++ side of the Arrow interop test (tests/interop/README.md).
//
//   fluss_arrow_interop write <dir>                 writes <name>.arrows + <name>.expected.json pairs
//   fluss_arrow_interop read <file> <expected.json> reads an Arrow stream with fluss::arrow::ReadStream
//                                                   and checks every value; exit 1 on any mismatch
//
// Expected JSON (shared with arrow_check.mjs / arrow_write.mjs):
//   {"file", "description", "compression": "NONE" | "LZ4_FRAME" | "ZSTD",
//    "fields": [{"name", "fluss_type" (DataType::ToString, e.g. "TIMESTAMP(9) NOT NULL"), "nullable",
//                "column_id"?, "fluss_data_type"? (metadata written by us), "arrow": {"id", ...}}],
//    "batches": [{"num_rows", "rows": [[value per field], ...]}],
//    "expect_error"?: "CORRUPT_RECORD" -- the stream is malformed and `read` must reject it with that code}
// Values, chosen so JavaScript compares them exactly:
//   null -> null;  BOOLEAN -> true/false;  TINYINT/SMALLINT/INT -> number;  DATE -> number (days)
//   BIGINT -> decimal string;  FLOAT/DOUBLE -> IEEE 754 bits as 8/16 lowercase hex digits
//   DECIMAL -> the unscaled integer as a decimal string (scale from the type)
//   CHAR/STRING -> the string;  BINARY/BYTES -> lowercase hex
//   TIME/TIMESTAMP/TIMESTAMP_LTZ -> the integer Arrow stores, in the Arrow unit of the type
//     (precision 0 -> s, 1-3 -> ms, 4-6 -> us, 7-9 -> ns), as a decimal string

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "format/arrow/arrow_ipc.h"
#include "types/schema_parser.h"

namespace {

using fluss::Column;
using fluss::DataType;
using fluss::Datum;
using fluss::DecimalValue;
using fluss::GenericRow;
using fluss::Schema;
using fluss::TimestampValue;
using fluss::TypeRoot;
using fluss::arrow::CompressionCodec;
using fluss::arrow::CompressionOptions;
using json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------------
// Expected forms, computed from docs/formats/arrow.md §3 (not from the encoder's code).

std::string Hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string Int128ToString(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string digits;
  while (u != 0) {
    digits += static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  if (negative) digits += '-';
  return {digits.rbegin(), digits.rend()};
}

const char* UnitName(int precision) {
  if (precision == 0) return "SECOND";
  if (precision <= 3) return "MILLISECOND";
  if (precision <= 6) return "MICROSECOND";
  return "NANOSECOND";
}

// The Arrow value of TIME(p) for milliseconds of the day.
int64_t TimeArrowValue(int32_t ms, int precision) {
  if (precision == 0) return ms / 1000;
  if (precision <= 3) return ms;
  if (precision <= 6) return int64_t{ms} * 1000;
  return int64_t{ms} * 1000000;
}

// The Arrow value of TIMESTAMP(p): seconds truncated toward zero, ms, us (sub-ms micros kept), ns.
// Computed in 128 bits; the test data stays within int64 in every unit.
__int128 TimestampArrowValue(const TimestampValue& ts, int precision) {
  const __int128 millis = ts.millis;
  if (precision == 0) return millis / 1000;
  if (precision <= 3) return millis;
  if (precision <= 6) return millis * 1000 + ts.nanos_of_milli / 1000;
  return millis * 1000000 + ts.nanos_of_milli;
}

json ExpectedValue(const Datum& d, const DataType& type) {
  if (std::holds_alternative<std::monostate>(d)) return nullptr;
  switch (type.root()) {
    case TypeRoot::kBoolean: return std::get<bool>(d);
    case TypeRoot::kTinyInt: return std::get<int8_t>(d);
    case TypeRoot::kSmallInt: return std::get<int16_t>(d);
    case TypeRoot::kInt:
    case TypeRoot::kDate: return std::get<int32_t>(d);
    case TypeRoot::kBigInt: return std::to_string(std::get<int64_t>(d));
    case TypeRoot::kFloat: return fmt::format("{:08x}", std::bit_cast<uint32_t>(std::get<float>(d)));
    case TypeRoot::kDouble: return fmt::format("{:016x}", std::bit_cast<uint64_t>(std::get<double>(d)));
    case TypeRoot::kDecimal: return Int128ToString(std::get<DecimalValue>(d).unscaled);
    case TypeRoot::kChar:
    case TypeRoot::kString: return std::get<std::string>(d);
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: return Hex(std::get<std::string>(d));
    case TypeRoot::kTime: return std::to_string(TimeArrowValue(std::get<int32_t>(d), type.precision()));
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      return Int128ToString(TimestampArrowValue(std::get<TimestampValue>(d), type.precision()));
  }
  return "?";
}

// The Arrow type a Fluss type must appear as (docs/formats/arrow.md §3, Fluss ArrowUtils), in the
// vocabulary of apache-arrow JS (Type / TimeUnit / DateUnit / Precision enum names).
json ExpectedArrowType(const DataType& t) {
  switch (t.root()) {
    case TypeRoot::kBoolean: return {{"id", "Bool"}};
    case TypeRoot::kTinyInt: return {{"id", "Int"}, {"bitWidth", 8}, {"isSigned", true}};
    case TypeRoot::kSmallInt: return {{"id", "Int"}, {"bitWidth", 16}, {"isSigned", true}};
    case TypeRoot::kInt: return {{"id", "Int"}, {"bitWidth", 32}, {"isSigned", true}};
    case TypeRoot::kBigInt: return {{"id", "Int"}, {"bitWidth", 64}, {"isSigned", true}};
    case TypeRoot::kFloat: return {{"id", "Float"}, {"precision", "SINGLE"}};
    case TypeRoot::kDouble: return {{"id", "Float"}, {"precision", "DOUBLE"}};
    case TypeRoot::kDecimal:
      return {{"id", "Decimal"}, {"precision", t.precision()}, {"scale", t.scale()}, {"bitWidth", 128}};
    case TypeRoot::kChar:
    case TypeRoot::kString: return {{"id", "Utf8"}};
    case TypeRoot::kBinary: return {{"id", "FixedSizeBinary"}, {"byteWidth", t.length()}};
    case TypeRoot::kBytes: return {{"id", "Binary"}};
    case TypeRoot::kDate: return {{"id", "Date"}, {"unit", "DAY"}};
    case TypeRoot::kTime:
      return {{"id", "Time"}, {"unit", UnitName(t.precision())}, {"bitWidth", t.precision() <= 3 ? 32 : 64}};
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: return {{"id", "Timestamp"}, {"unit", UnitName(t.precision())}, {"timezone", nullptr}};
  }
  return {{"id", "?"}};
}

const char* CodecName(CompressionCodec c) {
  switch (c) {
    case CompressionCodec::kNone: return "NONE";
    case CompressionCodec::kLz4Frame: return "LZ4_FRAME";
    case CompressionCodec::kZstd: return "ZSTD";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------------
// Test data.

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "fluss_arrow_interop: " << message << "\n";
  std::exit(2);
}

template <typename T>
T Must(fluss::Result<T> r, std::string_view what) {
  if (!r.ok()) Die(fmt::format("{}: {}", what, r.status().ToString()));
  return std::move(r).value();
}

Schema MustParse(std::string_view dsl) { return Must(fluss::ParseSchema(dsl), "parse schema"); }

__int128 ParseInt128(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  __int128 v = 0;
  for (char c : s.substr(negative ? 1 : 0)) v = v * 10 + (c - '0');
  return negative ? -v : v;
}

Datum Dec(std::string_view unscaled) { return DecimalValue{ParseInt128(unscaled)}; }
Datum Ts(int64_t millis, int32_t nanos = 0) { return TimestampValue{millis, nanos}; }
Datum Bytes(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()); }
Datum I8(int v) { return static_cast<int8_t>(v); }
Datum I16(int v) { return static_cast<int16_t>(v); }
Datum I32(int32_t v) { return v; }
Datum I64(int64_t v) { return v; }

const std::string kMax38 = "99999999999999999999999999999999999999";  // 10^38 - 1

// One column of every Fluss type, every TIME/TIMESTAMP precision band, nullable and NOT NULL ones.
Schema AllTypesSchema() {
  return MustParse(
      "c_bool BOOLEAN, c_bool_nn BOOLEAN NOT NULL, c_tinyint TINYINT, c_smallint SMALLINT, c_int INT, "
      "c_int_nn INT NOT NULL, c_bigint BIGINT, c_bigint_nn BIGINT NOT NULL, c_float FLOAT, c_double DOUBLE, "
      "c_dec10_2 DECIMAL(10, 2), c_dec38_0 DECIMAL(38, 0), c_dec38_10 DECIMAL(38, 10), "
      "c_dec38_38 DECIMAL(38, 38), c_dec18_4_nn DECIMAL(18, 4) NOT NULL, "
      "c_char CHAR(5), c_string STRING, c_string_nn STRING NOT NULL, c_binary BINARY(4), "
      "c_binary_nn BINARY(1) NOT NULL, c_bytes BYTES, c_date DATE, "
      "c_time0 TIME(0), c_time3 TIME(3), c_time6 TIME(6), c_time9 TIME(9), "
      "c_ts0 TIMESTAMP(0), c_ts2 TIMESTAMP(2), c_ts3 TIMESTAMP(3), c_ts6 TIMESTAMP(6), c_ts9 TIMESTAMP(9), "
      "c_ts9_nn TIMESTAMP(9) NOT NULL, c_ltz3 TIMESTAMP_LTZ(3), c_ltz6 TIMESTAMP_LTZ(6), c_ltz9 TIMESTAMP_LTZ(9)");
}

// Builds a row by column name; unset columns stay null.
class RowBuilder {
 public:
  explicit RowBuilder(const Schema& schema) : schema_(schema), row_(schema.num_columns()) {}
  RowBuilder& Set(std::string_view name, Datum d) {
    auto i = schema_.IndexOf(name);
    if (!i) Die(fmt::format("no column '{}'", name));
    row_.SetField(*i, std::move(d));
    return *this;
  }
  GenericRow Build() const { return row_; }

 private:
  const Schema& schema_;
  GenericRow row_;
};

std::string LongText(size_t bytes) {
  std::string s;
  for (int i = 0; s.size() < bytes; ++i) s += fmt::format("The quick brown fox {} jumps over the lazy dög. ", i);
  s.resize(bytes);
  // Do not end inside the two-byte 'ö'.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80) != 0) s.pop_back();
  return s;
}

// Hand-picked edge values: maxima, minima, nulls, NaN/Inf/-0, empty and long strings, times around the
// epoch, TIMESTAMP(9) at the ends of int64 nanoseconds.
std::vector<GenericRow> EdgeRows(const Schema& s) {
  std::vector<GenericRow> rows;
  const float kFloatNaN = std::numeric_limits<float>::quiet_NaN();
  const double kDoubleInf = std::numeric_limits<double>::infinity();
  std::string long_bytes(300, '\0');
  for (size_t i = 0; i < long_bytes.size(); ++i) long_bytes[i] = static_cast<char>(i);

  // 0: ordinary values.
  rows.push_back(RowBuilder(s)
                     .Set("c_bool", true).Set("c_bool_nn", true).Set("c_tinyint", I8(42)).Set("c_smallint", I16(-1234))
                     .Set("c_int", I32(123456789)).Set("c_int_nn", I32(7)).Set("c_bigint", I64(1234567890123456789))
                     .Set("c_bigint_nn", I64(-42)).Set("c_float", 3.14159f).Set("c_double", 2.718281828459045)
                     .Set("c_dec10_2", Dec("12345")).Set("c_dec38_0", Dec("12345678901234567890123456789012345678"))
                     .Set("c_dec38_10", Dec("-12345678900123456789")).Set("c_dec38_38", Dec("5"))
                     .Set("c_dec18_4_nn", Dec("31415926")).Set("c_char", std::string("abc"))
                     .Set("c_string", std::string("hello")).Set("c_string_nn", std::string("world"))
                     .Set("c_binary", Bytes({0xde, 0xad, 0xbe, 0xef})).Set("c_binary_nn", Bytes({0x2a}))
                     .Set("c_bytes", Bytes({0x01, 0x02})).Set("c_date", I32(19675))  // 2023-11-14
                     .Set("c_time0", I32(45296789)).Set("c_time3", I32(45296789)).Set("c_time6", I32(45296789))
                     .Set("c_time9", I32(45296789)).Set("c_ts0", Ts(1700000000123, 456789))
                     .Set("c_ts2", Ts(1700000000123, 456789)).Set("c_ts3", Ts(1700000000123, 456789))
                     .Set("c_ts6", Ts(1700000000123, 456789)).Set("c_ts9", Ts(1700000000123, 456789))
                     .Set("c_ts9_nn", Ts(1700000000123, 456789)).Set("c_ltz3", Ts(1700000000123))
                     .Set("c_ltz6", Ts(1700000000123, 456000)).Set("c_ltz9", Ts(1700000000123, 456789))
                     .Build());
  // 1: every nullable column null; NOT NULL columns at their zero values.
  rows.push_back(RowBuilder(s)
                     .Set("c_bool_nn", false).Set("c_int_nn", I32(0)).Set("c_bigint_nn", I64(0))
                     .Set("c_dec18_4_nn", Dec("0")).Set("c_string_nn", std::string()).Set("c_binary_nn", Bytes({0x00}))
                     .Set("c_ts9_nn", Ts(0))
                     .Build());
  // 2: maxima (TIMESTAMP(9): int64 max nanoseconds, 2262-04-11T23:47:16.854775807; others 9999-12-31).
  rows.push_back(RowBuilder(s)
                     .Set("c_bool", false).Set("c_bool_nn", true).Set("c_tinyint", I8(127)).Set("c_smallint", I16(32767))
                     .Set("c_int", I32(std::numeric_limits<int32_t>::max()))
                     .Set("c_int_nn", I32(std::numeric_limits<int32_t>::max()))
                     .Set("c_bigint", I64(std::numeric_limits<int64_t>::max()))
                     .Set("c_bigint_nn", I64(std::numeric_limits<int64_t>::max()))
                     .Set("c_float", std::numeric_limits<float>::max()).Set("c_double", std::numeric_limits<double>::max())
                     .Set("c_dec10_2", Dec("9999999999")).Set("c_dec38_0", Dec(kMax38)).Set("c_dec38_10", Dec(kMax38))
                     .Set("c_dec38_38", Dec(kMax38)).Set("c_dec18_4_nn", Dec("999999999999999999"))
                     .Set("c_char", std::string("abcde")).Set("c_string", LongText(10000))
                     .Set("c_string_nn", std::string("x")).Set("c_binary", Bytes({0xff, 0xff, 0xff, 0xff}))
                     .Set("c_binary_nn", Bytes({0xff})).Set("c_bytes", long_bytes).Set("c_date", I32(2932896))
                     .Set("c_time0", I32(86399999)).Set("c_time3", I32(86399999)).Set("c_time6", I32(86399999))
                     .Set("c_time9", I32(86399999)).Set("c_ts0", Ts(253402300799999, 999999))
                     .Set("c_ts2", Ts(253402300799999, 999999)).Set("c_ts3", Ts(253402300799999, 999999))
                     .Set("c_ts6", Ts(253402300799999, 999999)).Set("c_ts9", Ts(9223372036854, 775807))
                     .Set("c_ts9_nn", Ts(9223372036854, 775807)).Set("c_ltz3", Ts(253402300799999))
                     .Set("c_ltz6", Ts(253402300799999, 999000)).Set("c_ltz9", Ts(9223372036854, 775807))
                     .Build());
  // 3: minima (TIMESTAMP(9): int64 min nanoseconds, 1677-09-21T00:12:43.145224192; others 0001-01-01).
  rows.push_back(RowBuilder(s)
                     .Set("c_bool", true).Set("c_bool_nn", false).Set("c_tinyint", I8(-128)).Set("c_smallint", I16(-32768))
                     .Set("c_int", I32(std::numeric_limits<int32_t>::min()))
                     .Set("c_int_nn", I32(std::numeric_limits<int32_t>::min()))
                     .Set("c_bigint", I64(std::numeric_limits<int64_t>::min()))
                     .Set("c_bigint_nn", I64(std::numeric_limits<int64_t>::min()))
                     .Set("c_float", std::numeric_limits<float>::lowest()).Set("c_double", std::numeric_limits<double>::lowest())
                     .Set("c_dec10_2", Dec("-9999999999")).Set("c_dec38_0", Dec("-" + kMax38))
                     .Set("c_dec38_10", Dec("-" + kMax38)).Set("c_dec38_38", Dec("-" + kMax38))
                     .Set("c_dec18_4_nn", Dec("-999999999999999999")).Set("c_char", std::string())
                     .Set("c_string", std::string("héllo wörld ✓ 日本語 🎉 Ω")).Set("c_string_nn", std::string("é"))
                     .Set("c_binary", Bytes({0x00, 0x00, 0x00, 0x00})).Set("c_binary_nn", Bytes({0x80}))
                     .Set("c_bytes", std::string()).Set("c_date", I32(-719162))
                     .Set("c_time0", I32(0)).Set("c_time3", I32(0)).Set("c_time6", I32(0)).Set("c_time9", I32(0))
                     .Set("c_ts0", Ts(-62135596800000)).Set("c_ts2", Ts(-62135596800000)).Set("c_ts3", Ts(-62135596800000))
                     .Set("c_ts6", Ts(-62135596800000)).Set("c_ts9", Ts(-9223372036855, 224192))
                     .Set("c_ts9_nn", Ts(-9223372036855, 224192)).Set("c_ltz3", Ts(-62135596800000))
                     .Set("c_ltz6", Ts(-62135596800000)).Set("c_ltz9", Ts(-9223372036854, 0))
                     .Build());
  // 4: NaN / +Inf, small decimals, one nanosecond after the epoch, empty nullable string.
  rows.push_back(RowBuilder(s)
                     .Set("c_bool_nn", true).Set("c_tinyint", I8(0)).Set("c_smallint", I16(0)).Set("c_int", I32(-1))
                     .Set("c_int_nn", I32(-1)).Set("c_bigint", I64(-1)).Set("c_bigint_nn", I64(1))
                     .Set("c_float", kFloatNaN).Set("c_double", kDoubleInf).Set("c_dec10_2", Dec("1"))
                     .Set("c_dec38_0", Dec("-1")).Set("c_dec38_10", Dec("1")).Set("c_dec38_38", Dec("-1"))
                     .Set("c_dec18_4_nn", Dec("1")).Set("c_char", std::string("äöü")).Set("c_string", std::string())
                     .Set("c_string_nn", std::string("tab\tnew\nline \"quoted\" \\ back"))
                     .Set("c_binary", Bytes({0x00, 0x01, 0x7f, 0x80})).Set("c_binary_nn", Bytes({0x01}))
                     .Set("c_bytes", Bytes({0x00})).Set("c_date", I32(0)).Set("c_time0", I32(1)).Set("c_time3", I32(1))
                     .Set("c_time6", I32(1)).Set("c_time9", I32(1)).Set("c_ts0", Ts(0, 1)).Set("c_ts2", Ts(0, 1))
                     .Set("c_ts3", Ts(0, 1)).Set("c_ts6", Ts(0, 1000)).Set("c_ts9", Ts(0, 1)).Set("c_ts9_nn", Ts(0, 1))
                     .Set("c_ltz3", Ts(0)).Set("c_ltz6", Ts(0, 1000)).Set("c_ltz9", Ts(0, 1))
                     .Build());
  // 5: -Inf / -0.0, decimals at -2^64, one nanosecond before the epoch.
  rows.push_back(RowBuilder(s)
                     .Set("c_bool", false).Set("c_bool_nn", false).Set("c_tinyint", I8(-1)).Set("c_smallint", I16(1))
                     .Set("c_int", I32(1)).Set("c_int_nn", I32(1)).Set("c_bigint", I64(1)).Set("c_bigint_nn", I64(-1))
                     .Set("c_float", -std::numeric_limits<float>::infinity()).Set("c_double", -0.0)
                     .Set("c_dec10_2", Dec("-1")).Set("c_dec38_0", Dec("-18446744073709551616"))
                     .Set("c_dec38_10", Dec("-9223372036854775808")).Set("c_dec38_38", Dec("1"))
                     .Set("c_dec18_4_nn", Dec("-1")).Set("c_char", std::string("日本")).Set("c_string", std::string("a\0b", 3))
                     .Set("c_string_nn", std::string("🎉")).Set("c_binary", Bytes({0x80, 0x7f, 0x01, 0x00}))
                     .Set("c_binary_nn", Bytes({0x7f})).Set("c_bytes", Bytes({0xff, 0x00, 0xfe})).Set("c_date", I32(-1))
                     .Set("c_time0", I32(999)).Set("c_time3", I32(999)).Set("c_time6", I32(999)).Set("c_time9", I32(999))
                     .Set("c_ts0", Ts(-1, 999999)).Set("c_ts2", Ts(-1, 999999)).Set("c_ts3", Ts(-1, 999999))
                     .Set("c_ts6", Ts(-1, 999000)).Set("c_ts9", Ts(-1, 999999)).Set("c_ts9_nn", Ts(-1, 999999))
                     .Set("c_ltz3", Ts(-1)).Set("c_ltz6", Ts(-1, 999000)).Set("c_ltz9", Ts(-1, 999999))
                     .Build());
  // 6: denormals, decimals at 2^64 / 2^63, 1.5 s before the epoch (TIMESTAMP(0) truncates to -1 s).
  rows.push_back(RowBuilder(s)
                     .Set("c_bool_nn", true).Set("c_smallint", I16(-1)).Set("c_int_nn", I32(0)).Set("c_bigint_nn", I64(0))
                     .Set("c_float", std::numeric_limits<float>::denorm_min())
                     .Set("c_double", std::numeric_limits<double>::denorm_min()).Set("c_dec10_2", Dec("0"))
                     .Set("c_dec38_0", Dec("18446744073709551616")).Set("c_dec38_10", Dec("9223372036854775808"))
                     .Set("c_dec38_38", Dec("0")).Set("c_dec18_4_nn", Dec("0")).Set("c_string", std::string("🎉"))
                     .Set("c_string_nn", std::string("z")).Set("c_binary_nn", Bytes({0x00})).Set("c_date", I32(-25567))
                     .Set("c_time0", I32(43200000)).Set("c_time3", I32(43200000)).Set("c_time6", I32(43200000))
                     .Set("c_time9", I32(43200000)).Set("c_ts0", Ts(-1500, 500000)).Set("c_ts2", Ts(-1500, 500000))
                     .Set("c_ts3", Ts(-1500, 500000)).Set("c_ts6", Ts(-1500, 500000)).Set("c_ts9", Ts(-1500, 500000))
                     .Set("c_ts9_nn", Ts(-1500, 500000)).Set("c_ltz3", Ts(-1500)).Set("c_ltz6", Ts(-1500, 500000))
                     .Set("c_ltz9", Ts(-1500, 500000))
                     .Build());
  return rows;
}

// 257 deterministic, repetitive rows (so LZ4/ZSTD really compress and bitmaps end mid-byte), with
// nulls in every nullable column at a column-dependent stride.
std::vector<GenericRow> GeneratedRows(const Schema& s, int n) {
  std::vector<GenericRow> rows;
  for (int i = 0; i < n; ++i) {
    GenericRow row(s.num_columns());
    for (size_t c = 0; c < s.num_columns(); ++c) {
      const DataType& t = s.column(c).type;
      if (t.nullable() && (i + static_cast<int>(c)) % 7 == 0) continue;
      const int64_t k = i;
      Datum d;
      switch (t.root()) {
        case TypeRoot::kBoolean: d = (i % 3 == 0); break;
        case TypeRoot::kTinyInt: d = static_cast<int8_t>(i - 128); break;
        case TypeRoot::kSmallInt: d = static_cast<int16_t>(i * 100 - 12800); break;
        case TypeRoot::kInt: d = static_cast<int32_t>(i * 1000003); break;
        case TypeRoot::kBigInt: d = k * 1000000007LL - 5000000000LL; break;
        case TypeRoot::kFloat: d = static_cast<float>(i) * 0.5f - 10.0f; break;
        case TypeRoot::kDouble: d = static_cast<double>(i) * 1.25 - 100.0; break;
        case TypeRoot::kDecimal: {
          __int128 v = static_cast<__int128>(k * 7919 + 13) * (t.precision() > 18 ? 1000000000000LL : 1);
          d = DecimalValue{i % 2 == 0 ? v : -v};
          break;
        }
        case TypeRoot::kChar: d = fmt::format("c{}", i % 1000); break;
        case TypeRoot::kString: d = i % 10 == 0 ? fmt::format("ünïcödé-{}", i) : fmt::format("row-{}-value", i % 17); break;
        case TypeRoot::kBinary: {
          std::string b(static_cast<size_t>(t.length()), '\0');
          for (size_t j = 0; j < b.size(); ++j) b[j] = static_cast<char>((i + static_cast<int>(j) * 0x55) & 0xff);
          d = b;
          break;
        }
        case TypeRoot::kBytes: d = std::string(static_cast<size_t>(i % 5), static_cast<char>(0xA0 + i % 5)); break;
        case TypeRoot::kDate: d = static_cast<int32_t>(19000 + i); break;
        case TypeRoot::kTime: d = static_cast<int32_t>((k * 37000 + k) % 86400000); break;
        case TypeRoot::kTimestamp:
        case TypeRoot::kTimestampLtz: d = TimestampValue{1700000000000 + k * 1001 - 100000, static_cast<int32_t>(k * 3 % 1000000)}; break;
      }
      row.SetField(c, std::move(d));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Writing streams.

struct StreamCase {
  std::string name;
  std::string description;
  Schema schema;                                 // the stream's schema
  CompressionCodec codec = CompressionCodec::kNone;
  std::vector<std::vector<GenericRow>> batches;  // rows of each RecordBatch message, as read back
  std::vector<std::vector<uint8_t>> messages;    // the RecordBatch messages
};

StreamCase EncodedCase(std::string name, std::string description, const Schema& schema, CompressionCodec codec,
                       std::vector<std::vector<GenericRow>> batches) {
  StreamCase c{std::move(name), std::move(description), schema, codec, std::move(batches), {}};
  for (const auto& rows : c.batches) {
    c.messages.push_back(Must(fluss::arrow::EncodeRecordBatch(schema, rows, CompressionOptions{codec}),
                              fmt::format("{}: EncodeRecordBatch", c.name)));
  }
  return c;
}

// A stream of the projection of `columns`: Schema message of the projected schema, then each batch
// encoded with the full schema and cut down by ProjectRecordBatch (compressed buffers stay compressed).
StreamCase ProjectedCase(std::string name, const Schema& full, CompressionCodec codec,
                         const std::vector<std::vector<GenericRow>>& full_batches, const std::vector<size_t>& columns) {
  StreamCase c;
  c.name = std::move(name);
  c.codec = codec;
  c.schema = Must(full.Project(columns), "project schema");
  std::vector<std::string> names;
  for (size_t i : columns) names.push_back(full.column(i).name);
  c.description = fmt::format("ProjectRecordBatch of all_types ({}) to columns [{}]", CodecName(codec),
                              fmt::join(names, ", "));
  for (const auto& rows : full_batches) {
    auto message = Must(fluss::arrow::EncodeRecordBatch(full, rows, CompressionOptions{codec}), "encode for projection");
    c.messages.push_back(Must(fluss::arrow::ProjectRecordBatch(full, message, columns), c.name + ": ProjectRecordBatch"));
    std::vector<GenericRow> projected;
    for (const auto& row : rows) {
      GenericRow p(columns.size());
      for (size_t j = 0; j < columns.size(); ++j) p.SetField(j, row.field(columns[j]));
      projected.push_back(std::move(p));
    }
    c.batches.push_back(std::move(projected));
  }
  return c;
}

json ExpectedJson(const StreamCase& c) {
  json fields = json::array();
  for (const Column& col : c.schema.columns()) {
    fields.push_back({{"name", col.name},
                      {"fluss_type", col.type.ToString()},
                      {"nullable", col.type.nullable()},
                      {"column_id", col.id},
                      {"fluss_data_type", json::parse(DataTypeToJson(col.type).dump())},
                      {"arrow", ExpectedArrowType(col.type)}});
  }
  json batches = json::array();
  for (const auto& rows : c.batches) {
    json jrows = json::array();
    for (const auto& row : rows) {
      json jrow = json::array();
      for (size_t i = 0; i < row.arity(); ++i) jrow.push_back(ExpectedValue(row.field(i), c.schema.column(i).type));
      jrows.push_back(std::move(jrow));
    }
    batches.push_back({{"num_rows", rows.size()}, {"rows", std::move(jrows)}});
  }
  return {{"file", c.name + ".arrows"},
          {"description", c.description},
          {"writer", "fluss-cpp"},
          {"compression", CodecName(c.codec)},
          {"fields", std::move(fields)},
          {"batches", std::move(batches)}};
}

void WriteFile(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) Die(fmt::format("cannot write {}", path.string()));
}

void WriteCase(const std::filesystem::path& dir, const StreamCase& c) {
  std::vector<uint8_t> stream = fluss::arrow::EncodeSchemaMessage(c.schema);
  for (const auto& m : c.messages) stream.insert(stream.end(), m.begin(), m.end());
  stream.insert(stream.end(), std::begin(fluss::arrow::kEndOfStream), std::end(fluss::arrow::kEndOfStream));
  WriteFile(dir / (c.name + ".arrows"), std::string_view(reinterpret_cast<const char*>(stream.data()), stream.size()));
  WriteFile(dir / (c.name + ".expected.json"), ExpectedJson(c).dump(1) + "\n");
  size_t rows = 0;
  for (const auto& b : c.batches) rows += b.size();
  std::cout << fmt::format("wrote {}.arrows: {} bytes, {} batches, {} rows, {} columns\n", c.name, stream.size(),
                           c.batches.size(), rows, c.schema.num_columns());
}

int Write(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const Schema all = AllTypesSchema();
  const std::vector<std::vector<GenericRow>> batches = {EdgeRows(all), GeneratedRows(all, 257)};
  const std::pair<CompressionCodec, const char*> codecs[] = {
      {CompressionCodec::kNone, "plain"}, {CompressionCodec::kLz4Frame, "lz4"}, {CompressionCodec::kZstd, "zstd"}};

  std::vector<size_t> projection;
  for (const char* name : {"c_string", "c_ts9", "c_bigint_nn", "c_dec38_10", "c_bool", "c_binary", "c_time3", "c_float"}) {
    projection.push_back(*all.IndexOf(name));
  }
  std::vector<size_t> nullable_columns;
  for (size_t i = 0; i < all.num_columns(); ++i) {
    if (all.column(i).type.nullable()) nullable_columns.push_back(i);
  }
  const Schema nullable = Must(all.Project(nullable_columns), "nullable schema");
  std::vector<GenericRow> all_null(9, GenericRow(nullable.num_columns()));

  for (const auto& [codec, suffix] : codecs) {
    WriteCase(dir, EncodedCase(fmt::format("all_types_{}", suffix),
                               fmt::format("every type: 7 edge-value rows + 257 generated rows, {}", CodecName(codec)),
                               all, codec, batches));
    WriteCase(dir, ProjectedCase(fmt::format("projected_{}", suffix), all, codec, batches, projection));
  }
  for (auto codec : {CompressionCodec::kNone, CompressionCodec::kZstd}) {
    WriteCase(dir, EncodedCase(fmt::format("empty_{}", codec == CompressionCodec::kNone ? "plain" : "zstd"),
                               "every type, one zero-row batch", all, codec, {{}}));
  }
  for (auto codec : {CompressionCodec::kNone, CompressionCodec::kLz4Frame}) {
    WriteCase(dir, EncodedCase(fmt::format("all_null_{}", codec == CompressionCodec::kNone ? "plain" : "lz4"),
                               "every nullable column, 9 rows all null", nullable, codec, {all_null}));
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// Reading streams written by others.

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(fmt::format("cannot open {}", path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int Read(const std::string& file, const std::string& expected_path) {
  const std::vector<uint8_t> bytes = ReadFile(file);
  const std::vector<uint8_t> expected_bytes = ReadFile(expected_path);
  const json expected = json::parse(expected_bytes.begin(), expected_bytes.end());

  fluss::Result<fluss::arrow::DecodedStream> decoded = fluss::arrow::ReadStream(bytes);
  if (expected.contains("expect_error")) {
    // A stream a conforming reader must reject (e.g. wrong uncompressed-length prefixes): an error with
    // this code, not a crash and not rows.
    const std::string code = expected.at("expect_error").get<std::string>();
    if (decoded.ok()) {
      std::cerr << fmt::format("FAIL {}: read {} rows, but the stream must be rejected with {} ({})\n", file,
                               decoded->rows.size(), code, expected.value("description", ""));
      return 1;
    }
    if (decoded.status().ToString().rfind(code + ":", 0) != 0) {
      std::cerr << fmt::format("FAIL {}: rejected with {}, expected a {} error\n", file,
                               decoded.status().ToString(), code);
      return 1;
    }
    std::cout << fmt::format("ok   {}: rejected as it must be: {}\n", file, decoded.status().ToString());
    return 0;
  }
  if (!decoded.ok()) {
    std::cerr << fmt::format("FAIL {}: ReadStream: {}\n", file, decoded.status().ToString());
    return 1;
  }
  const Schema& schema = decoded->schema;
  std::vector<std::string> errors;
  auto fail = [&](std::string message) {
    if (errors.size() < 30) errors.push_back(std::move(message));
  };

  const json& fields = expected.at("fields");
  if (fields.size() != schema.num_columns()) {
    fail(fmt::format("schema has {} columns, expected {}", schema.num_columns(), fields.size()));
  }
  const size_t ncols = std::min(fields.size(), schema.num_columns());
  for (size_t i = 0; i < ncols; ++i) {
    const Column& col = schema.column(i);
    const json& f = fields[i];
    if (col.name != f.at("name").get<std::string>()) {
      fail(fmt::format("column {} is named '{}', expected '{}'", i, col.name, f.at("name").get<std::string>()));
    }
    if (col.type.ToString() != f.at("fluss_type").get<std::string>()) {
      fail(fmt::format("column '{}' decoded as {}, expected {}", col.name, col.type.ToString(),
                       f.at("fluss_type").get<std::string>()));
    }
    if (f.contains("column_id") && col.id != f.at("column_id").get<int32_t>()) {
      fail(fmt::format("column '{}' has id {}, expected {}", col.name, col.id, f.at("column_id").get<int32_t>()));
    }
  }

  std::vector<const json*> expected_rows;
  for (const json& b : expected.at("batches")) {
    if (b.at("rows").size() != b.at("num_rows").get<size_t>()) fail("expected JSON: num_rows != rows.size()");
    for (const json& r : b.at("rows")) expected_rows.push_back(&r);
  }
  const auto& rows = decoded->rows;
  if (rows.size() != expected_rows.size()) {
    fail(fmt::format("read {} rows, expected {}", rows.size(), expected_rows.size()));
  }
  size_t checked = 0;
  for (size_t r = 0; r < std::min(rows.size(), expected_rows.size()); ++r) {
    const json& want_row = *expected_rows[r];
    if (rows[r].arity() != ncols || want_row.size() != ncols) {
      fail(fmt::format("row {} has {} fields, expected {}", r, rows[r].arity(), want_row.size()));
      continue;
    }
    for (size_t c = 0; c < ncols; ++c) {
      const DataType& type = schema.column(c).type;
      const json got = ExpectedValue(rows[r].field(c), type);
      if (got != want_row[c]) {
        fail(fmt::format("row {} column '{}' ({}): expected {}, got {} (decoded {})", r, schema.column(c).name,
                         type.ToString(), want_row[c].dump(), got.dump(),
                         fluss::DatumToString(rows[r].field(c), type)));
      }
      ++checked;
    }
  }

  if (!errors.empty()) {
    std::cerr << fmt::format("FAIL {} ({}):\n", file, expected.value("description", ""));
    for (const auto& e : errors) std::cerr << "  " << e << "\n";
    return 1;
  }
  std::cout << fmt::format("ok   {}: {} columns, {} rows, {} values match\n", file, ncols, rows.size(), checked);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write" && argc == 3) return Write(argv[2]);
  if (mode == "read" && argc == 4) return Read(argv[2], argv[3]);
  std::cerr << "usage: fluss_arrow_interop write <dir>\n"
               "       fluss_arrow_interop read <file.arrows> <expected.json>\n";
  return 2;
}
