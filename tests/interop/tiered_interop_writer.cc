// fluss_tiered_interop: the C++ side of the TieredTableInterop test (tests/interop/README.md).
//
//   fluss_tiered_interop write <dir>
//
// Starts an in-process server (data under <dir>/data), creates the lake-enabled log table
// db.tiered (4 buckets, every column type tiering writes), appends rows in four batches and runs a
// tiering round after each (four snapshots, four manifests) into the Iceberg warehouse
// <dir>/warehouse. Then reads every row back from the Fluss log with a LogScanner and
// writes <dir>/expected.json:
//   {"table_dir", "snapshots": [{"snapshot_id" (decimal string), "rows", "files",
//                                "offsets": {"<bucket>": next offset}}],
//    "fields": [{"name", "fluss_type", "field_id", "nullable", "duckdb_type", "iceberg_type"}],
//    "rows": [{"bucket", "offset", "values": [value per field incl. __bucket/__offset/__timestamp]}]}
// Value forms (as in parquet_interop_writer.cc, so JavaScript compares them exactly):
//   null -> null;  BOOLEAN -> true/false;  TINYINT/SMALLINT/INT -> number;  DATE -> number (days)
//   BIGINT -> decimal string;  FLOAT/DOUBLE -> IEEE 754 bits as 8/16 lowercase hex digits
//   DECIMAL -> the unscaled integer as a decimal string;  CHAR/STRING -> the string
//   BINARY/BYTES -> lowercase hex;  TIME, TIMESTAMP, TIMESTAMP_LTZ -> microseconds as a decimal
//   string (the lake stores microseconds: nanoseconds are floored)
#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_schema.h"
#include "lake/tiering/lake_tiering.h"
#include "server/fluss_server.h"
#include "types/schema_parser.h"

namespace {

using namespace fluss;  // NOLINT
using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int32_t kBuckets = 4;
// The rows appended before each tiering round.
constexpr int kBatches[] = {500, 700, 300, 400};

const char* kSchema =
    "id BIGINT NOT NULL, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT NOT NULL, f FLOAT, d DOUBLE, "
    "dec DECIMAL(10, 2), dec38 DECIMAL(38, 6), s STRING, c CHAR(3), bin BINARY(4), by BYTES, b BOOLEAN, "
    "dt DATE, t TIME(3), ts TIMESTAMP(6), ts9 TIMESTAMP(9), ltz TIMESTAMP_LTZ(3), note STRING";

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
    case TypeRoot::kChar:
    case TypeRoot::kString: return "VARCHAR";
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: return "BLOB";
    case TypeRoot::kDate: return "DATE";
    case TypeRoot::kTime: return "TIME";
    case TypeRoot::kTimestamp: return "TIMESTAMP";
    case TypeRoot::kTimestampLtz: return "TIMESTAMP WITH TIME ZONE";
  }
  return "?";
}

json Expected(const Datum& d, const DataType& t) {
  if (std::holds_alternative<std::monostate>(d)) return nullptr;
  switch (t.root()) {
    case TypeRoot::kBoolean: return std::get<bool>(d);
    case TypeRoot::kTinyInt: return std::get<int8_t>(d);
    case TypeRoot::kSmallInt: return std::get<int16_t>(d);
    case TypeRoot::kInt:
    case TypeRoot::kDate: return std::get<int32_t>(d);
    case TypeRoot::kBigInt: return std::to_string(std::get<int64_t>(d));
    case TypeRoot::kFloat: return fmt::format("{:08x}", std::bit_cast<uint32_t>(std::get<float>(d)));
    case TypeRoot::kDouble: return fmt::format("{:016x}", std::bit_cast<uint64_t>(std::get<double>(d)));
    case TypeRoot::kDecimal: return std::get<DecimalValue>(d).ToString(0);
    case TypeRoot::kChar:
    case TypeRoot::kString: return std::get<std::string>(d);
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: return Hex(std::get<std::string>(d));
    case TypeRoot::kTime: return std::to_string(int64_t{std::get<int32_t>(d)} * 1000);
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      const auto& ts = std::get<TimestampValue>(d);
      return std::to_string(ts.millis * 1000 + ts.nanos_of_milli / 1000);
    }
  }
  return nullptr;
}

// Row i: edge values in the first rows of each batch, nulls and NaNs at different strides, and a
// column (`note`) that is null in every row of the second batch.
GenericRow MakeRow(int64_t i, int batch) {
  const int k = static_cast<int>(i);
  auto pick = [&](int every) { return k % every == every - 1; };
  std::vector<Datum> f;
  f.emplace_back(i);
  f.push_back(pick(7) ? Datum()
                      : Datum(static_cast<int8_t>(k % 5 == 0   ? INT8_MIN
                                                  : k % 5 == 1 ? INT8_MAX
                                                               : k % 200 - 100)));
  f.push_back(pick(9) ? Datum()
                      : Datum(static_cast<int16_t>(k % 4 == 0   ? INT16_MIN
                                                   : k % 4 == 1 ? INT16_MAX
                                                                : k * 37 % 20000 - 10000)));
  f.push_back(pick(5) ? Datum()
                      : Datum(static_cast<int32_t>(k % 50 == 3   ? INT32_MIN
                                                   : k % 50 == 4 ? INT32_MAX
                                                                 : k * 7919 - 4000000)));
  f.emplace_back(k % 100 == 10 ? INT64_MIN : k % 100 == 11 ? INT64_MAX : i * 1'000'000'007LL - 5'000'000'000LL);
  {
    const float special[] = {std::numeric_limits<float>::quiet_NaN(),
                             -0.0f,
                             0.0f,
                             std::numeric_limits<float>::denorm_min(),
                             -std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::infinity()};
    f.push_back(pick(13) ? Datum() : k % 17 < 6 ? Datum(special[k % 17]) : Datum(static_cast<float>(k) * 0.25f - 100));
  }
  {
    const double special[] = {std::numeric_limits<double>::quiet_NaN(), -0.0, 1e-300,
                              -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max()};
    f.push_back(pick(11) ? Datum() : k % 23 < 5 ? Datum(special[k % 23]) : Datum(static_cast<double>(k) / 7 - 30));
  }
  f.push_back(pick(6) ? Datum()
                      : Datum(DecimalValue{k % 40 == 0   ? -9'999'999'999
                                           : k % 40 == 1 ? 9'999'999'999
                                                         : static_cast<__int128>(k) * 104729 - 90'000'000}));
  {
    __int128 m = 1;
    for (int d = 0; d < 38; ++d) m *= 10;
    m -= 1;
    const __int128 v = k % 30 == 0   ? -m
                       : k % 30 == 1 ? m
                                     : static_cast<__int128>(k - 800) * 1'000'000'000'000'000'007LL * 1'000'003;
    f.push_back(pick(8) ? Datum() : Datum(DecimalValue{v}));
  }
  {
    const std::string strings[] = {"",
                                   "é",
                                   "中文字符",
                                   "😀 emoji",
                                   "a'quote\"",
                                   "tab\there",
                                   "a string that is longer than sixteen code points",
                                   "ünïcödé ünïcödé ünïcödé ünïcödé",
                                   "\xF4\x8F\xBF\xBF\xF4\x8F\xBF\xBF max code points"};
    f.push_back(pick(10) ? Datum() : k % 12 < 9 ? Datum(strings[k % 12]) : Datum(fmt::format("row-{}", k)));
  }
  f.push_back(pick(4) ? Datum() : Datum(fmt::format("c{:02d}", k % 100)));
  f.push_back(pick(12) ? Datum() : Datum(std::string{static_cast<char>(k), static_cast<char>(k >> 8), '\xff', '\0'}));
  {
    Datum by;
    if (k % 9 == 0)
      by = Datum(std::string());
    else if (k % 450 == 1)
      by = Datum(std::string(20, '\xff'));  // no upper bound after truncation
    else if (k % 9 == 2)
      by = Datum(std::string(30, '\x00'));
    else if (!pick(9))
      by = Datum(std::string{'\x80', static_cast<char>(k), static_cast<char>(k * 3)});
    f.push_back(by);
  }
  f.push_back(pick(3) ? Datum() : Datum(k % 2 == 0));
  f.push_back(pick(14) ? Datum()
                       : Datum(static_cast<int32_t>(k % 60 == 0   ? -719162
                                                    : k % 60 == 1 ? 2932896
                                                                  : k * 11 - 3000)));
  f.push_back(pick(15) ? Datum() : Datum(static_cast<int32_t>(static_cast<int64_t>(k) * 1'000'003 % 86'400'000)));
  f.push_back(pick(16) ? Datum()
                       : Datum(TimestampValue{static_cast<int64_t>(k) * 86'400'123 - 62'000'000'000'000LL,
                                              (k * 1000) % 1'000'000}));
  f.push_back(pick(17) ? Datum()
                       : Datum(TimestampValue{1'700'000'000'000LL - k * 7'777'777LL, (k * 1'001'001) % 1'000'000}));
  f.push_back(
      pick(18) ? Datum()
               : Datum(TimestampValue{k % 50 == 0 ? -62'135'596'800'000LL : 1'600'000'000'000LL + k * 1'234'567LL, 0}));
  f.push_back(batch == 1 || pick(2) ? Datum() : Datum(fmt::format("note {}", k)));
  return GenericRow(std::move(f));
}

Status Run(const std::string& dir) {
  const std::string warehouse = dir + "/warehouse";
  FLUSS_ASSIGN_OR_RETURN(
      auto config, ServerConfig::Load("", {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + dir + "/data",
                                           "datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse}));
  FLUSS_ASSIGN_OR_RETURN(auto server, FlussServer::Start(config));
  Status st = [&]() -> Status {
    Configuration c;
    c.bootstrap_servers = "127.0.0.1:" + std::to_string(server->port());
    c.writer_batch_timeout = std::chrono::milliseconds(5);
    c.writer_batch_size = 8 << 10;  // many batches, spread over the buckets
    FLUSS_ASSIGN_OR_RETURN(auto conn, Connection::Create(c));
    Admin admin = conn->GetAdmin();
    const TablePath path = TablePath::Make("db", "tiered").value();
    FLUSS_RETURN_NOT_OK(admin.CreateDatabase("db", true));
    FLUSS_ASSIGN_OR_RETURN(Schema schema, ParseSchema(kSchema));
    TableDescriptor d(schema);
    d.DistributedBy(kBuckets);
    d.Property("table.datalake.enabled", "true");
    FLUSS_RETURN_NOT_OK(admin.CreateTable(path, d));
    FLUSS_ASSIGN_OR_RETURN(Table table, conn->GetTable(path));

    lake::LakeTiering tiering(conn, lake::TieringOptions{.warehouse = warehouse});
    json snapshots = json::array();
    int64_t next = 0;
    for (int batch = 0; batch < static_cast<int>(std::size(kBatches)); ++batch) {
      FLUSS_ASSIGN_OR_RETURN(auto writer, table.NewAppendWriter());
      for (int n = 0; n < kBatches[batch]; ++n, ++next)
        FLUSS_RETURN_NOT_OK(writer->Append(MakeRow(next, batch)).status());
      FLUSS_RETURN_NOT_OK(writer->Flush());
      FLUSS_ASSIGN_OR_RETURN(auto round, tiering.TierOnce(path));
      if (!round.committed) return Status::Internal(fmt::format("round {} committed nothing", batch));
      json offsets = json::object();
      for (const auto& [b, o] : round.offsets) offsets[std::to_string(b)] = o;
      snapshots.push_back({{"snapshot_id", std::to_string(round.snapshot_id)},
                           {"rows", round.rows},
                           {"files", round.files},
                           {"offsets", offsets}});
      std::cout << fmt::format("round {}: {} rows in {} files, snapshot {}\n", batch, round.rows, round.files,
                               round.snapshot_id);
    }

    // Every row as the Fluss log has it.
    FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListOffsets(path, OffsetSpec::Latest()));
    FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner());
    for (int32_t b = 0; b < kBuckets; ++b) FLUSS_RETURN_NOT_OK(scanner->Subscribe(b, 0));
    std::map<std::pair<int32_t, int64_t>, ScanRecord> records;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
      bool done = true;
      for (const auto& [b, end] : latest) {
        auto pos = scanner->positions();
        done &= pos.count(b) && pos[b] >= end;
      }
      if (done) break;
      if (std::chrono::steady_clock::now() > deadline) return Status::Internal("the log scan did not reach the end");
      FLUSS_ASSIGN_OR_RETURN(auto polled, scanner->Poll(std::chrono::milliseconds(500)));
      for (auto& r : polled) records[{r.bucket, r.offset}] = std::move(r);
    }
    if (static_cast<int64_t>(records.size()) != next) {
      return Status::Internal(fmt::format("the log holds {} rows, {} were appended", records.size(), next));
    }

    FLUSS_ASSIGN_OR_RETURN(Schema lake_schema, lake::LakeSchema(schema));
    json fields = json::array();
    for (const Column& col : lake_schema.columns()) {
      FLUSS_ASSIGN_OR_RETURN(std::string iceberg_type, iceberg::IcebergTypeName(col.type));
      fields.push_back({{"name", col.name},
                        {"fluss_type", col.type.ToString()},
                        {"field_id", col.id},
                        {"nullable", col.type.nullable()},
                        {"duckdb_type", DuckDbType(col.type)},
                        {"iceberg_type", iceberg_type}});
    }
    json rows = json::array();
    for (const auto& [where, r] : records) {
      json values = json::array();
      for (size_t c = 0; c < schema.num_columns(); ++c)
        values.push_back(Expected(r.row.field(c), schema.column(c).type));
      values.push_back(r.bucket);
      values.push_back(std::to_string(r.offset));
      values.push_back(std::to_string(r.timestamp * 1000));
      rows.push_back({{"bucket", r.bucket}, {"offset", r.offset}, {"values", std::move(values)}});
    }
    json out = {{"table_dir", lake::LakeTableDir(warehouse, path)},
                {"snapshots", snapshots},
                {"fields", fields},
                {"rows", rows}};
    std::ofstream(dir + "/expected.json") << out.dump(1) << "\n";
    std::cout << fmt::format("{} rows in {} buckets, {} snapshots; expected.json written\n", records.size(), kBuckets,
                             snapshots.size());
    return Status::OK();
  }();
  Status stopped = server->Stop();
  return st.ok() ? stopped : st;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "write") {
    std::cerr << "usage: fluss_tiered_interop write <dir>\n";
    return 2;
  }
  Status st = Run(argv[2]);
  if (!st.ok()) {
    std::cerr << "fluss_tiered_interop: " << st.ToString() << "\n";
    return 1;
  }
  return 0;
}
