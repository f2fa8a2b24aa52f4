// fluss-lake-bench: the lake part of `make bench` (docs/BENCHMARKS.md, "Lake tiering"). Against a
// running fluss-server started with datalake.format=iceberg, datalake.iceberg.warehouse=<DIR> and
// datalake.tiering.embedded=false (the benchmark runs the tiering rounds itself):
//
//   fluss-lake-bench -b 127.0.0.1:9123 --warehouse DIR --server-data-dir DIR --rows 1000000 --json
//
// 1. Creates the log table (16 columns of a click stream: strings, ints, doubles, booleans,
//    timestamps; --buckets 4; table.datalake.enabled=true) and appends the first (1 - --tail) of
//    --rows rows.
// 2. Tiering: LakeTiering::TierOnce rounds until the lake holds every row: rows/s and MB/s of
//    Parquet written.
// 3. Appends the rest (the untiered tail, 10 % by default).
// 4. Bytes per row: the table's log segment files (*.log under --server-data-dir) / all rows vs the
//    lake's Parquet data files / tiered rows.
// 5. Union read, as `fluss scan --union` does it: ReadLakeSnapshot (every column) then each bucket's
//    log from the snapshot's offsets to its end through a LogScanner: rows/s.
//
// The rows are generated from their number (same rows in every run). One human summary goes to
// stderr; with --json one JSON object to stdout.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "lake/tiering/lake_snapshot_reader.h"
#include "lake/tiering/lake_tiering.h"
#include "types/schema_parser.h"

namespace fluss::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr const char* kSchema =
    "event_id BIGINT NOT NULL, user_id BIGINT NOT NULL, session_id STRING NOT NULL, "
    "event_time TIMESTAMP(3) NOT NULL, event_type STRING NOT NULL, page_url STRING NOT NULL, referrer STRING, "
    "country STRING NOT NULL, device STRING NOT NULL, item_id INT, quantity INT NOT NULL, price DOUBLE, "
    "discount DOUBLE NOT NULL, is_member BOOLEAN NOT NULL, latency_ms INT NOT NULL, "
    "received_at TIMESTAMP_LTZ(3) NOT NULL";

// A cheap generator seeded per row (seeding a mt19937_64 per row cost more than the row).
struct SplitMix64 {
  uint64_t state;
  uint64_t operator()() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// Row `i` of the click stream: a few hundred thousand users, sessions of ~20 events, URLs from a
// catalogue of 50,000 items, a referrer on 60 % of the rows, prices on product events.
GenericRow MakeRow(int64_t i) {
  static const char* kTypes[] = {"page_view", "page_view", "page_view", "search", "add_to_cart", "checkout",
                                 "purchase", "login"};
  static const char* kCountries[] = {"US", "DE", "FR", "GB", "CN", "JP", "IN", "BR", "NL", "SE",
                                     "ES", "IT", "CA", "AU", "KR", "MX", "PL", "CH", "AT", "BE"};
  static const char* kDevices[] = {"desktop", "mobile", "tablet", "app"};
  static const char* kCategories[] = {"books", "garden", "kitchen", "toys", "music", "sports", "shoes", "phones"};
  static const char* kReferrers[] = {"https://www.google.com/", "https://duckduckgo.com/", "https://news.example.org/",
                                     "https://mail.example.com/", "https://social.example.net/feed"};
  SplitMix64 rng{static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull + 1};
  const int64_t session = i / 20;
  const int64_t user = static_cast<int64_t>((static_cast<uint64_t>(session) * 2654435761ull) % 300000);
  const int64_t t = 1'767'225'600'000 + i * 3 + static_cast<int64_t>(rng() % 1000);  // 2026-01-01 on
  const char* type = kTypes[rng() % 8];
  const int32_t item = static_cast<int32_t>(rng() % 50000);
  const bool product = rng() % 4 != 0;
  GenericRow row(16);
  row.SetField(0, i);
  row.SetField(1, user);
  row.SetField(2, fmt::format("{:016x}", static_cast<uint64_t>(session) * 0xD6E8FEB86659FD93ull));
  row.SetField(3, TimestampValue{t, 0});
  row.SetField(4, std::string(type));
  row.SetField(5, fmt::format("https://shop.example.com/{}/item-{}?utm_source=feed&pos={}", kCategories[item % 8], item,
                              rng() % 48));
  if (rng() % 10 < 6) row.SetField(6, std::string(kReferrers[rng() % 5]));
  row.SetField(7, std::string(kCountries[rng() % 20]));
  row.SetField(8, std::string(kDevices[rng() % 4]));
  if (product) row.SetField(9, item);
  row.SetField(10, static_cast<int32_t>(1 + rng() % 5));
  if (product) row.SetField(11, static_cast<double>(99 + rng() % 50000) / 100.0);
  row.SetField(12, (rng() % 5 == 0) ? 0.1 : 0.0);
  row.SetField(13, rng() % 3 == 0);
  row.SetField(14, static_cast<int32_t>(5 + rng() % 400));
  row.SetField(15, TimestampValue{t + 20 + static_cast<int64_t>(rng() % 200), 0});
  return row;
}

// Sum of the sizes of the files under `dir` whose path passes `keep`.
int64_t BytesUnder(const std::string& dir, const std::function<bool(const fs::path&)>& keep) {
  int64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && keep(it->path())) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

Status Append(AppendWriter& writer, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; ++i) FLUSS_RETURN_NOT_OK(writer.Append(MakeRow(i)).status());
  return writer.Flush();
}

struct Options {
  std::string bootstrap = "localhost:9123";
  std::string warehouse;
  std::string server_data_dir;
  std::string table = "bench.lake";
  int64_t rows = 1'000'000;
  int buckets = 4;
  double tail = 0.1;
  int64_t round_rows = 0;  // 0: TieringOptions' default
  bool json = false;
};

int Run(const Options& o) {
  auto fail = [](const Status& st) {
    std::cerr << "fluss-lake-bench: " << st.ToString() << "\n";
    return 1;
  };
  auto path = TablePath::Parse(o.table);
  if (!path.ok()) return fail(path.status());
  Configuration c;
  c.bootstrap_servers = o.bootstrap;
  auto conn = Connection::Create(c);
  if (!conn.ok()) return fail(conn.status());
  Admin admin = (*conn)->GetAdmin();
  auto schema = ParseSchema(kSchema);
  if (!schema.ok()) return fail(schema.status());
  if (Status st = admin.CreateDatabase(path->database(), true); !st.ok()) return fail(st);
  (void)admin.DropTable(*path, true);
  TableDescriptor d(*schema);
  d.DistributedBy(o.buckets);
  d.Property("table.datalake.enabled", "true");
  if (Status st = admin.CreateTable(*path, d); !st.ok()) return fail(st);
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return fail(table.status());
  const TableInfo info = table->info();
  auto writer = table->NewAppendWriter();
  if (!writer.ok()) return fail(writer.status());

  const int64_t tiered_rows = o.rows - static_cast<int64_t>(static_cast<double>(o.rows) * o.tail);
  nlohmann::json out;
  out["rows"] = o.rows;
  out["columns"] = schema->num_columns();
  out["buckets"] = o.buckets;

  // 1. The rows to tier.
  auto t = Clock::now();
  if (Status st = Append(**writer, 0, tiered_rows); !st.ok()) return fail(st);
  const double write_s = Seconds(Clock::now() - t);
  out["append_rows_per_sec"] = static_cast<double>(tiered_rows) / write_s;

  // 2. Tiering rounds until the lake holds them all.
  lake::TieringOptions tiering_options{.warehouse = o.warehouse};
  if (o.round_rows > 0) tiering_options.max_rows_per_round = o.round_rows;
  lake::LakeTiering tiering(*conn, tiering_options);
  int rounds = 0;
  int64_t rows_tiered = 0;
  int files = 0;
  t = Clock::now();
  while (true) {
    auto round = tiering.TierOnce(*path);
    if (!round.ok()) return fail(round.status());
    if (!round->committed) break;
    ++rounds;
    rows_tiered += round->rows;
    files += round->files;
  }
  const double tier_s = Seconds(Clock::now() - t);
  if (rows_tiered != tiered_rows) {
    return fail(Status::Internal(fmt::format("tiered {} rows, appended {}", rows_tiered, tiered_rows)));
  }
  const std::string lake_data = lake::LakeTableDir(o.warehouse, *path) + "/data";
  const int64_t parquet_bytes = BytesUnder(lake_data, [](const fs::path& p) { return p.extension() == ".parquet"; });
  out["tiering"] = {{"rounds", rounds},
                    {"rows", rows_tiered},
                    {"files", files},
                    {"seconds", tier_s},
                    {"rows_per_sec", static_cast<double>(rows_tiered) / tier_s},
                    {"parquet_mb_per_sec", static_cast<double>(parquet_bytes) / 1e6 / tier_s}};

  // 3. The untiered tail.
  if (Status st = Append(**writer, tiered_rows, o.rows); !st.ok()) return fail(st);

  // 4. Bytes per row. The table's bucket logs are <data dir>/<db>/<table>-<id>/log-<bucket>/.
  const std::string table_prefix = info.path.table() + "-";
  const int64_t log_bytes = BytesUnder(o.server_data_dir, [&](const fs::path& p) {
    return p.extension() == ".log" && p.parent_path().parent_path().filename().string().rfind(table_prefix, 0) == 0 &&
           p.parent_path().parent_path().parent_path().filename() == info.path.database();
  });
  out["log_bytes"] = log_bytes;
  out["log_bytes_per_row"] = static_cast<double>(log_bytes) / static_cast<double>(o.rows);
  out["parquet_bytes"] = parquet_bytes;
  out["parquet_bytes_per_row"] = static_cast<double>(parquet_bytes) / static_cast<double>(rows_tiered);
  out["lake_data_dir"] = lake_data;

  // 5. Union read: the lake snapshot, then each bucket's log from its offsets to the end.
  auto latest = admin.ListOffsets(*path, OffsetSpec::Latest());
  if (!latest.ok()) return fail(latest.status());
  int64_t checksum = 0;
  t = Clock::now();
  auto snapshot = lake::ReadLakeSnapshot(o.warehouse, info, {}, [&](ScanRecord&& r) {
    checksum += r.row.GetBigInt(0);
    return true;
  });
  if (!snapshot.ok()) return fail(snapshot.status());
  const double lake_s = Seconds(Clock::now() - t);
  auto scanner = table->NewLogScanner();
  if (!scanner.ok()) return fail(scanner.status());
  int64_t log_rows = 0;
  const auto log_start = Clock::now();
  for (const auto& [b, end] : *latest) {
    if (snapshot->offsets[b] < end) {
      if (Status st = (*scanner)->Subscribe(b, snapshot->offsets[b]); !st.ok()) return fail(st);
    }
  }
  while (true) {
    bool done = true;
    auto pos = (*scanner)->positions();
    for (const auto& [b, end] : *latest) done &= snapshot->offsets[b] >= end || (pos.count(b) && pos[b] >= end);
    if (done) break;
    auto records = (*scanner)->Poll(std::chrono::milliseconds(500));
    if (!records.ok()) return fail(records.status());
    for (const auto& r : *records) {
      if (r.offset >= latest->at(r.bucket)) continue;
      checksum += r.row.GetBigInt(0);
      ++log_rows;
    }
  }
  const double log_s = Seconds(Clock::now() - log_start);
  const double union_s = Seconds(Clock::now() - t);
  const int64_t union_rows = snapshot->rows + log_rows;
  // Every event_id 0..rows-1 once: their sum.
  if (union_rows != o.rows || checksum != o.rows * (o.rows - 1) / 2) {
    return fail(Status::Internal(fmt::format("union read returned {} rows (checksum {}), expected {}", union_rows,
                                             checksum, o.rows)));
  }
  out["union_read"] = {{"lake_rows", snapshot->rows},
                       {"log_rows", log_rows},
                       {"seconds", union_s},
                       {"rows_per_sec", static_cast<double>(union_rows) / union_s},
                       {"lake_rows_per_sec", static_cast<double>(snapshot->rows) / lake_s},
                       {"log_rows_per_sec", log_s > 0 ? static_cast<double>(log_rows) / log_s : 0.0}};

  std::string human = fmt::format(
      "lake: {} rows x {} columns, {} buckets; append {:.0f} rows/s; tiering {} rows in {} round(s), {} files: "
      "{:.0f} rows/s, {:.1f} MB/s of Parquet; bytes/row log {:.1f} vs Parquet {:.1f}; union read {} lake + {} log "
      "rows: {:.0f} rows/s (lake {:.0f}, log {:.0f})",
      o.rows, schema->num_columns(), o.buckets, static_cast<double>(tiered_rows) / write_s, rows_tiered, rounds, files,
      static_cast<double>(rows_tiered) / tier_s, static_cast<double>(parquet_bytes) / 1e6 / tier_s,
      static_cast<double>(log_bytes) / static_cast<double>(o.rows),
      static_cast<double>(parquet_bytes) / static_cast<double>(rows_tiered), snapshot->rows, log_rows,
      static_cast<double>(union_rows) / union_s, static_cast<double>(snapshot->rows) / lake_s,
      log_s > 0 ? static_cast<double>(log_rows) / log_s : 0.0);
  if (o.json) {
    std::cerr << human << "\n";
    std::cout << out.dump() << "\n";
  } else {
    std::cout << human << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace fluss::bench

int main(int argc, char** argv) {
  fluss::bench::Options o;
  CLI::App app{"fluss-lake-bench: tiering throughput, Parquet vs log bytes per row, union read throughput"};
  app.add_option("-b,--bootstrap-server", o.bootstrap, "host:port of a fluss-server")->capture_default_str();
  app.add_option("--warehouse", o.warehouse, "the server's datalake.iceberg.warehouse")->required();
  app.add_option("--server-data-dir", o.server_data_dir, "the server's data.dir (for the log's bytes on disk)")
      ->required();
  app.add_option("--table", o.table, "db.table (dropped and created)")->capture_default_str();
  app.add_option("--rows", o.rows, "rows appended")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--buckets", o.buckets, "buckets of the table")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--tail", o.tail, "fraction of the rows appended after tiering (read from the log)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  app.add_option("--round-rows", o.round_rows, "rows per tiering round at most (0: the library's default)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", o.json, "one JSON object on stdout (the human line goes to stderr)");
  CLI11_PARSE(app, argc, argv);
  return fluss::bench::Run(o);
}
