// fluss_parquet_interop: the C++ side of the Parquet interop test (tests/interop/README.md).
//
//   fluss_parquet_interop write <dir>                  writes <name>.parquet + <name>.expected.json pairs
//   fluss_parquet_interop read <file> <expected.json>  reads a Parquet file (e.g. one DuckDB wrote) with
//                                                      fluss::parquet::ParquetReader and checks every
//                                                      value; exit 1 on any mismatch
//
// Expected JSON (shared with parquet_check.mjs / parquet_duckdb_write.mjs):
//   {"file", "description", "compression": "UNCOMPRESSED" | "SNAPPY" | "ZSTD", "row_groups": N,
//    "dictionary_columns": [names of columns written with a dictionary page],
//    "key_value_metadata": {key: value},
//    "fields": [{"name", "fluss_type", "field_id", "nullable", "duckdb_type"}],
//    "rows": [[value per field], ...]}
// Values, chosen so JavaScript compares them exactly:
//   null -> null;  BOOLEAN -> true/false;  TINYINT/SMALLINT/INT -> number;  DATE -> number (days)
//   BIGINT -> decimal string;  FLOAT/DOUBLE -> IEEE 754 bits as 8/16 lowercase hex digits
//   DECIMAL -> the unscaled integer as a decimal string;  CHAR/STRING -> the string
//   BINARY/BYTES -> lowercase hex;  TIME, TIMESTAMP, TIMESTAMP_LTZ -> microseconds as a decimal string

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lake/parquet/parquet_reader.h"
#include "lake/parquet/parquet_writer.h"
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
using fluss::parquet::Codec;
using fluss::parquet::ParquetWriterOptions;
using json = nlohmann::ordered_json;

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string DuckDbType(const DataType& t) {
  switch (t.root()) {
    case TypeRoot::kBoolean: return "BOOLEAN";
    case TypeRoot::kTinyInt: return "TINYINT";
    case TypeRoot::kSmallInt: return "SMALLINT";
    case TypeRoot::kInt: return "INTEGER";
    case TypeRoot::kBigInt: return "BIGINT";
    case TypeRoot::kFloat: return "FLOAT";
    case TypeRoot::kDouble: return "DOUBLE";
    case TypeRoot::kDecimal: return fmt::format("DECIMAL({},{})", t.precision(), t.scale());
    case TypeRoot::kChar: case TypeRoot::kString: return "VARCHAR";
    case TypeRoot::kBinary: case TypeRoot::kBytes: return "BLOB";
    case TypeRoot::kDate: return "DATE";
    case TypeRoot::kTime: return "TIME";
    case TypeRoot::kTimestamp: return "TIMESTAMP";
    case TypeRoot::kTimestampLtz: return "TIMESTAMP WITH TIME ZONE";
  }
  return "?";
}

// The expected form of a value, computed from the Fluss value (not from the encoder).
json Expected(const Datum& d, const DataType& t) {
  if (std::holds_alternative<std::monostate>(d)) return nullptr;
  switch (t.root()) {
    case TypeRoot::kBoolean: return std::get<bool>(d);
    case TypeRoot::kTinyInt: return std::get<int8_t>(d);
    case TypeRoot::kSmallInt: return std::get<int16_t>(d);
    case TypeRoot::kInt: case TypeRoot::kDate: return std::get<int32_t>(d);
    case TypeRoot::kBigInt: return std::to_string(std::get<int64_t>(d));
    case TypeRoot::kFloat: return fmt::format("{:08x}", std::bit_cast<uint32_t>(std::get<float>(d)));
    case TypeRoot::kDouble: return fmt::format("{:016x}", std::bit_cast<uint64_t>(std::get<double>(d)));
    case TypeRoot::kDecimal: return std::get<DecimalValue>(d).ToString(0);
    case TypeRoot::kChar: case TypeRoot::kString: return std::get<std::string>(d);
    case TypeRoot::kBinary: case TypeRoot::kBytes: return Hex(std::get<std::string>(d));
    case TypeRoot::kTime: return std::to_string(int64_t{std::get<int32_t>(d)} * 1000);
    case TypeRoot::kTimestamp: case TypeRoot::kTimestampLtz: {
      const auto& ts = std::get<TimestampValue>(d);
      return std::to_string(ts.millis * 1000 + ts.nanos_of_milli / 1000);
    }
  }
  return nullptr;
}

__int128 MaxUnscaled(int precision) {
  __int128 v = 1;
  for (int i = 0; i < precision; ++i) v *= 10;
  return v - 1;
}

// Value of row r for a column of type t: edge values in rows 0..4, then varied ones.
Datum ValueFor(const DataType& t, int64_t r, int col) {
  const int k = static_cast<int>(r);
  switch (t.root()) {
    case TypeRoot::kBoolean: return Datum((r + col) % 3 == 0);
    case TypeRoot::kTinyInt: return Datum(static_cast<int8_t>(k == 0 ? INT8_MIN : k == 1 ? INT8_MAX : r % 101 - 50));
    case TypeRoot::kSmallInt: return Datum(static_cast<int16_t>(k == 0 ? INT16_MIN : k == 1 ? INT16_MAX : r * 7 % 3000 - 1500));
    case TypeRoot::kInt: return Datum(static_cast<int32_t>(k == 0 ? INT32_MIN : k == 1 ? INT32_MAX : r * 7919 - 400000));
    case TypeRoot::kBigInt:
      return Datum(k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : r * 1000000007 - 5000000000);
    case TypeRoot::kFloat: {
      float v[] = {-std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
                   std::numeric_limits<float>::denorm_min(), -0.0f, 1.5f};
      return Datum(k < 5 ? v[k] : static_cast<float>(r) * 0.25f - 10);
    }
    case TypeRoot::kDouble: {
      double v[] = {-std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                    -std::numeric_limits<double>::denorm_min(), 0.0, 1e-300};
      return Datum(k < 5 ? v[k] : static_cast<double>(r) / 7 - 3);
    }
    case TypeRoot::kDecimal: {
      __int128 m = MaxUnscaled(t.precision());
      return Datum(DecimalValue{k == 0 ? -m : k == 1 ? m : k == 2 ? 0 : static_cast<__int128>(r) * 104729 - 9000000});
    }
    case TypeRoot::kChar: return Datum(k == 0 ? std::string("   ") : k == 1 ? std::string("\xE2\x82\xAC") : fmt::format("c{}x", r % 10));
    case TypeRoot::kString: {
      if (k == 0) return Datum(std::string());
      if (k == 1) return Datum(std::string("h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x98\x80"));
      if (k == 2) return Datum(std::string(3000, 'z'));
      return Datum(fmt::format("city-{}", r % 13));
    }
    case TypeRoot::kBinary: return Datum(k == 0 ? std::string(4, '\0') : std::string(4, static_cast<char>(0xF0 + r % 16)));
    case TypeRoot::kBytes: return Datum(k == 0 ? std::string() : k == 1 ? std::string(257, '\xFF') : std::string(1 + r % 5, static_cast<char>(r)));
    case TypeRoot::kDate: return Datum(static_cast<int32_t>(k == 0 ? -719162 : k == 1 ? 2932896 : 19000 + r));
    case TypeRoot::kTime: return Datum(static_cast<int32_t>(k == 0 ? 0 : k == 1 ? 86399999 : (r * 3723001) % 86400000));
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (k == 0) return Datum(TimestampValue{-62135596800000, 0});
      if (k == 1) return Datum(TimestampValue{253402300799999, 999000});
      if (k == 2) return Datum(TimestampValue{-1, 1000});
      return Datum(TimestampValue{1700000000000 + r * 86400123, static_cast<int32_t>((r * 7 % 1000) * 1000)});
  }
  return Datum();
}

const char* kAllTypes =
    "b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, "
    "d9 DECIMAL(9, 2), d18 DECIMAL(18, 4), d20 DECIMAL(20, 0), d38 DECIMAL(38, 10), "
    "c CHAR(3), s STRING, bn BINARY(4), by BYTES, dt DATE, tm TIME(3), ts TIMESTAMP(6), tl TIMESTAMP_LTZ(6)";

Schema AllTypesSchema() {
  // Nullable columns, then the same NOT NULL ("nn_" prefix); ids follow the column order from 1.
  auto base = fluss::ParseSchema(kAllTypes).value();
  std::vector<Column> cols;
  int id = 1;
  for (const Column& c : base.columns()) cols.push_back(Column{c.name, c.type, id++, ""});
  for (const Column& c : base.columns()) cols.push_back(Column{"nn_" + c.name, c.type.NotNull(), id++, ""});
  return Schema::Make(std::move(cols)).value();
}

std::vector<GenericRow> Rows(const Schema& schema, int64_t n) {
  std::vector<GenericRow> rows;
  for (int64_t r = 0; r < n; ++r) {
    GenericRow row(schema.num_columns());
    for (size_t c = 0; c < schema.num_columns(); ++c) {
      const DataType& t = schema.column(c).type;
      if (t.nullable() && r >= 5 && (r + static_cast<int64_t>(c)) % 4 == 0) continue;  // nulls
      row.SetField(c, ValueFor(t, r, static_cast<int>(c)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string CodecName(Codec c) {
  return c == Codec::kSnappy ? "SNAPPY" : c == Codec::kZstd ? "ZSTD" : "UNCOMPRESSED";
}

json ExpectedJson(const std::string& file, const std::string& description, const Schema& schema,
                  const std::vector<GenericRow>& rows, const ParquetWriterOptions& options,
                  const fluss::parquet::FileMetaData& meta) {
  json j;
  j["file"] = file;
  j["description"] = description;
  j["compression"] = CodecName(options.compression);
  j["row_groups"] = meta.row_groups.size();
  json dict = json::array();
  if (!meta.row_groups.empty()) {
    for (const auto& chunk : meta.row_groups[0].columns) {
      if (chunk.meta_data->dictionary_page_offset) dict.push_back(chunk.meta_data->path_in_schema[0]);
    }
  }
  j["dictionary_columns"] = dict;
  json kv = json::object();
  for (const auto& e : options.key_value_metadata) kv[e.key] = e.value.value_or("");
  j["key_value_metadata"] = kv;
  json fields = json::array();
  for (const Column& c : schema.columns()) {
    fields.push_back({{"name", c.name}, {"fluss_type", c.type.ToString()}, {"field_id", c.id},
                      {"nullable", c.type.nullable()}, {"duckdb_type", DuckDbType(c.type)}});
  }
  j["fields"] = fields;
  json out_rows = json::array();
  for (const GenericRow& row : rows) {
    json r = json::array();
    for (size_t c = 0; c < schema.num_columns(); ++c) r.push_back(Expected(row.field(c), schema.column(c).type));
    out_rows.push_back(r);
  }
  j["rows"] = out_rows;
  return j;
}

bool WriteCase(const std::filesystem::path& dir, const std::string& name, const std::string& description,
               const Schema& schema, const std::vector<GenericRow>& rows, const ParquetWriterOptions& options) {
  auto path = dir / (name + ".parquet");
  auto w = fluss::parquet::ParquetWriter::Open(path.string(), schema, options);
  if (!w.ok()) {
    std::cerr << name << ": " << w.status().ToString() << "\n";
    return false;
  }
  auto st = (*w)->Write(rows);
  auto done = st.ok() ? (*w)->Finish() : fluss::Result<std::vector<uint8_t>>(st);
  if (!done.ok()) {
    std::cerr << name << ": " << done.status().ToString() << "\n";
    return false;
  }
  std::ofstream(dir / (name + ".expected.json"))
      << ExpectedJson(name + ".parquet", description, schema, rows, options, (*w)->metadata()).dump(1) << "\n";
  std::cout << "wrote " << path.string() << " (" << rows.size() << " rows, " << (*w)->metadata().row_groups.size()
            << " row groups)\n";
  return true;
}

int Write(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  bool ok = true;
  Schema all = AllTypesSchema();
  for (Codec codec : {Codec::kUncompressed, Codec::kSnappy, Codec::kZstd}) {
    ParquetWriterOptions o;
    o.compression = codec;
    o.row_group_max_rows = 400;
    o.page_max_bytes = 1024;
    o.key_value_metadata = {{"fluss.test", std::string("parquet interop")}};
    std::string lower = CodecName(codec);
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
    ok &= WriteCase(dir, "all_types_" + lower,
                    "every Fluss type, nullable and NOT NULL, edge values, 1000 rows in 3 row groups, small pages",
                    all, Rows(all, 1000), o);
  }
  {
    ParquetWriterOptions o;
    o.dictionary = false;
    ok &= WriteCase(dir, "all_types_plain", "every type, dictionary off (PLAIN only), one row group", all,
                    Rows(all, 300), o);
  }
  {
    ParquetWriterOptions o;
    o.compression = Codec::kZstd;
    ok &= WriteCase(dir, "edge_rows_only", "the five edge-value rows, no nulls", all, Rows(all, 5), o);
    ok &= WriteCase(dir, "empty", "zero rows", all, {}, o);
  }
  {
    Schema s = fluss::ParseSchema("id BIGINT NOT NULL, name STRING, tag STRING NOT NULL, payload BYTES").value();
    std::vector<GenericRow> rows;
    for (int64_t i = 0; i < 5000; ++i) {
      GenericRow r(4);
      r.SetField(0, Datum(i));
      if (i % 7 != 0) r.SetField(1, Datum(fmt::format("name-{}", i % 50)));
      r.SetField(2, Datum(std::string(i % 2 ? "even" : "odd")));
      if (i % 3 != 0) r.SetField(3, Datum(std::string(1 + i % 4, static_cast<char>('a' + i % 3))));
      rows.push_back(std::move(r));
    }
    ParquetWriterOptions o;
    o.compression = Codec::kSnappy;
    o.row_group_max_rows = 2000;
    o.page_max_bytes = 256;
    ok &= WriteCase(dir, "dictionary_strings", "dictionary-encoded strings over 3 row groups and many pages", s,
                    rows, o);
  }
  {
    Schema s = fluss::ParseSchema("x INT, f FLOAT, d DOUBLE").value();
    std::vector<GenericRow> rows;
    for (int i = 0; i < 10; ++i) rows.emplace_back(3);  // all null
    ok &= WriteCase(dir, "all_nulls", "every value null", s, rows, {});
  }
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------
// read: check ParquetReader against an expected JSON.

int Read(const std::string& file, const std::string& expected_path) {
  std::ifstream in(expected_path);
  json expected = json::parse(in);
  auto reader = fluss::parquet::ParquetReader::OpenFile(file);
  if (!reader.ok()) {
    std::cerr << "FAIL " << file << ": " << reader.status().ToString() << "\n";
    return 1;
  }
  const Schema& schema = (*reader)->schema();
  int errors = 0;
  auto fail = [&](const std::string& msg) {
    if (errors++ < 20) std::cerr << "FAIL " << file << ": " << msg << "\n";
  };
  const json& fields = expected["fields"];
  if (fields.size() != schema.num_columns()) fail(fmt::format("{} columns, expected {}", schema.num_columns(), fields.size()));
  for (size_t c = 0; c < std::min(fields.size(), schema.num_columns()); ++c) {
    if (schema.column(c).name != fields[c]["name"].get<std::string>()) fail(fmt::format("column {} name", c));
    if (schema.column(c).type.nullable() != fields[c]["nullable"].get<bool>()) fail(fmt::format("column {} nullability", c));
  }
  auto rows = (*reader)->ReadAll();
  if (!rows.ok()) {
    fail(rows.status().ToString());
    return 1;
  }
  const json& want_rows = expected["rows"];
  if (rows->size() != want_rows.size()) fail(fmt::format("{} rows, expected {}", rows->size(), want_rows.size()));
  for (size_t r = 0; r < std::min(rows->size(), want_rows.size()); ++r) {
    for (size_t c = 0; c < std::min(fields.size(), schema.num_columns()); ++c) {
      // Compare in the expected form, via the column's type as the file declares it.
      json got = Expected((*rows)[r].field(c), schema.column(c).type);
      if (got != want_rows[r][c]) {
        fail(fmt::format("row {} column {}: read {}, expected {}", r, schema.column(c).name, got.dump(),
                         want_rows[r][c].dump()));
      }
    }
  }
  if (errors == 0) std::cout << "ok " << file << " (" << rows->size() << " rows)\n";
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "write") return Write(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "read") return Read(argv[2], argv[3]);
  std::cerr << "usage: fluss_parquet_interop write <dir> | read <file.parquet> <expected.json>\n";
  return 2;
}
