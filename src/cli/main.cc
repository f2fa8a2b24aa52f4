// fluss: the command-line client of fluss-cpp (docs/cli.md).
//
//   fluss [-b host:port] [--connect-timeout 5s] <command> ...
//     db create|list|drop, table create|list|describe|drop, produce, scan, offsets, cluster status
//
// Exit codes: 0 success, 1 runtime error (server error, bad data), 2 usage error, 3 degraded cluster,
// 130/143 a write command interrupted. Errors are one "fluss: ..." line on stderr.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/suggest.h"

namespace {

using fluss::cli::GlobalOptions;

// "5", "5s", "500ms", "2m" -> milliseconds.
bool ParseDuration(const std::string& text, std::chrono::milliseconds* out) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  const std::string unit = text.substr(used);
  double ms;
  if (unit.empty() || unit == "s") {
    ms = v * 1000;
  } else if (unit == "ms") {
    ms = v;
  } else if (unit == "m" || unit == "min") {
    ms = v * 60000;
  } else {
    return false;
  }
  if (!(ms > 0) || ms > 1e10) return false;
  *out = std::chrono::milliseconds(static_cast<int64_t>(ms));
  return true;
}

// "host:port[,host:port]" with a numeric port.
bool IsBootstrapList(const std::string& text) {
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string one = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t colon = one.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == one.size()) return false;
    const std::string port = one.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) > 65535 ||
        std::stoi(port) == 0) {
      return false;
    }
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

// The names of a command's subcommands, in the order they were added.
std::vector<std::string> SubcommandNames(CLI::App* app) {
  std::vector<std::string> names;
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

// After a parse error: a clearer message when the command line names a command that does not exist
// ("unknown command 'tabel'; did you mean 'table'?") or stops where a command is required. Walks the
// arguments as CLI11 would: options (of the command or, by fallthrough, of its parents) and their
// values are skipped; the first other word must name a subcommand of a command that has them.
std::optional<std::string> CommandWordError(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  std::string path;  // the commands so far, each followed by a space
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos || (arg[1] != '-' && arg.size() > 2)) continue;  // value attached
      const CLI::Option* option = nullptr;
      for (CLI::App* a = current; a != nullptr && option == nullptr; a = a->get_parent()) {
        option = a->get_option_no_throw(arg);
      }
      if (option != nullptr && option->get_items_expected_max() > 0) ++i;  // its value
      continue;
    }
    const std::vector<std::string> names = SubcommandNames(current);
    if (names.empty()) return std::nullopt;  // an argument of a command that has no subcommands
    CLI::App* next = nullptr;
    for (CLI::App* sub : current->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->check_name(arg)) next = sub;
    }
    if (next == nullptr) {
      if (auto closest = fluss::cli::ClosestName(arg, names)) {
        return fmt::format("unknown command '{}{}'; did you mean '{}{}'?", path, arg, path, *closest);
      }
      return fmt::format("unknown command '{}{}'; the commands{} are: {}", path, arg,
                         path.empty() ? "" : fmt::format(" of '{}'", path.substr(0, path.size() - 1)),
                         fmt::join(names, ", "));
    }
    path += arg + " ";
    current = next;
  }
  if (current->get_require_subcommand_min() > 0) {
    return fmt::format("'fluss{}{}' needs a command: {} (see --help)", path.empty() ? "" : " ",
                       path.substr(0, path.empty() ? 0 : path.size() - 1), fmt::join(SubcommandNames(current), ", "));
  }
  return std::nullopt;
}

const char* kFooter =
    "Environment: FLUSS_BOOTSTRAP=host:port is the server when -b is not given (default localhost:9123).\n"
    "Exit codes: 0 success, 1 runtime error (server error, bad data), 2 usage error,\n"
    "3 `cluster status` found the cluster degraded (a bucket under-replicated, offline or at risk, a\n"
    "server suspect, no active coordinator), 130 a write command stopped by\n"
    "Ctrl-C after flushing what it accepted (143: SIGTERM).";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fluss: manage and use the tables of a Fluss server"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_version_flag("--version", "fluss 0.1.0");

  std::string bootstrap;
  std::string connect_timeout = "5s";
  std::string request_timeout = "30s";
  app.add_option("-b,--bootstrap-server", bootstrap, "server address host:port (else $FLUSS_BOOTSTRAP, else localhost:9123)");
  app.add_option("--connect-timeout", connect_timeout, "give up connecting after this long (5s, 500ms)")->capture_default_str();
  app.add_option("--request-timeout", request_timeout, "give up on one request after this long")->capture_default_str();
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "log the client's warnings and progress details on stderr");

  std::function<int(const GlobalOptions&)> action;

  // ---- db ----
  auto* db = app.add_subcommand("db", "create, list and drop databases");
  db->require_subcommand(1);
  fluss::cli::DbCreateArgs db_create;
  auto* dbc = db->add_subcommand("create", "create a database");
  dbc->add_option("name", db_create.name, "database name")->required();
  dbc->add_flag("--if-not-exists", db_create.if_not_exists, "succeed when it exists already");
  dbc->add_option("--comment", db_create.comment, "a comment stored with the database");
  dbc->callback([&] { action = [&](const GlobalOptions& g) { return RunDbCreate(g, db_create); }; });
  auto* dbl = db->add_subcommand("list", "list databases, one per line");
  dbl->callback([&] { action = [&](const GlobalOptions& g) { return RunDbList(g); }; });
  fluss::cli::DbDropArgs db_drop;
  auto* dbd = db->add_subcommand("drop", "drop a database");
  dbd->add_option("name", db_drop.name, "database name")->required();
  dbd->add_flag("--if-exists", db_drop.if_exists, "succeed when it does not exist");
  dbd->add_flag("--cascade", db_drop.cascade, "drop its tables too (else it must be empty)");
  dbd->callback([&] { action = [&](const GlobalOptions& g) { return RunDbDrop(g, db_drop); }; });

  // ---- table ----
  auto* table = app.add_subcommand("table", "create, list, describe and drop tables");
  table->require_subcommand(1);
  fluss::cli::TableCreateArgs t_create;
  auto* tc = table->add_subcommand(
      "create", "create a table: a log table, or a primary-key table when the schema has PRIMARY KEY (...)");
  tc->add_option("table", t_create.table, "db.table")->required();
  tc->add_option("--schema", t_create.schema,
                 "columns, e.g. \"id INT NOT NULL, name STRING, ts TIMESTAMP(3)\" (docs/cli.md lists the types)")
      ->required();
  tc->add_option("--buckets", t_create.buckets, "bucket count (default: the server's default.bucket.number)");
  tc->add_option("--bucket-key", t_create.bucket_keys, "columns whose hash picks the bucket: k[,k2]")
      ->delimiter(',')
      ->allow_extra_args(false);
  tc->add_option("--partition-by", t_create.partition_keys,
                 "partition-key columns: dt[,k2] (or PARTITIONED BY (dt) at the end of --schema)")
      ->delimiter(',')
      ->allow_extra_args(false);
  tc->add_option("--property", t_create.properties, "a table property key=value (repeatable)")->allow_extra_args(false);
  tc->add_option("--comment", t_create.comment, "a comment stored with the table");
  tc->add_flag("--if-not-exists", t_create.if_not_exists, "succeed when it exists already");
  tc->callback([&] { action = [&](const GlobalOptions& g) { return RunTableCreate(g, t_create); }; });
  std::string t_list_db;
  auto* tl = table->add_subcommand("list", "list the tables of a database, one per line");
  tl->add_option("database", t_list_db, "database name")->required();
  tl->callback([&] { action = [&](const GlobalOptions& g) { return RunTableList(g, t_list_db); }; });
  std::string t_describe;
  auto* td = table->add_subcommand("describe", "show a table's columns, buckets, keys, properties and ids");
  td->add_option("table", t_describe, "db.table")->required();
  td->callback([&] { action = [&](const GlobalOptions& g) { return RunTableDescribe(g, t_describe); }; });
  fluss::cli::TableDropArgs t_drop;
  auto* tdr = table->add_subcommand("drop", "drop a table");
  tdr->add_option("table", t_drop.table, "db.table")->required();
  tdr->add_flag("--if-exists", t_drop.if_exists, "succeed when it does not exist");
  tdr->callback([&] { action = [&](const GlobalOptions& g) { return RunTableDrop(g, t_drop); }; });

  // ---- partition ----
  auto* partition = app.add_subcommand("partition", "list, create and drop the partitions of a partitioned table");
  partition->require_subcommand(1);
  fluss::cli::PartitionArgs p_list;
  auto* pl = partition->add_subcommand("list", "list the partitions (id and key=value/...), or those matching --spec");
  pl->add_option("table", p_list.table, "db.table")->required();
  pl->add_option("--spec", p_list.specs, "only partitions with this value: key=value (repeatable)")
      ->allow_extra_args(false);
  pl->callback([&] { action = [&](const GlobalOptions& g) { return RunPartitionList(g, p_list); }; });
  fluss::cli::PartitionArgs p_create;
  auto* pc = partition->add_subcommand("create", "create a partition: --spec key=value for each partition key");
  pc->add_option("table", p_create.table, "db.table")->required();
  pc->add_option("--spec", p_create.specs, "key=value, e.g. dt=2026-12-07 (repeatable; or dt=x/region=eu)")
      ->allow_extra_args(false);
  pc->add_flag("--if-not-exists", p_create.if_not_exists, "succeed when it exists already");
  pc->callback([&] { action = [&](const GlobalOptions& g) { return RunPartitionCreate(g, p_create); }; });
  fluss::cli::PartitionArgs p_drop;
  auto* pd = partition->add_subcommand("drop", "drop a partition and its data: --spec key=value for each partition key");
  pd->add_option("table", p_drop.table, "db.table")->required();
  pd->add_option("--spec", p_drop.specs, "key=value (repeatable; or dt=x/region=eu)")->allow_extra_args(false);
  pd->add_flag("--if-exists", p_drop.if_exists, "succeed when it does not exist");
  pd->callback([&] { action = [&](const GlobalOptions& g) { return RunPartitionDrop(g, p_drop); }; });

  // ---- produce, upsert, delete ----
  // The three write commands read rows the same way (CSV or JSON lines, stdin or --file).
  auto add_input_options = [](CLI::App* cmd, fluss::cli::ProduceArgs& args) {
    cmd->add_option("table", args.table, "db.table")->required();
    cmd->add_option("-f,--file", args.file, "input file (default: stdin)");
    cmd->add_option("--format", args.format, "csv or json (JSON lines); default: from the file extension, else csv");
    cmd->add_flag("--header", args.header, "CSV: the first line names the columns (any order)");
    cmd->add_option("--delimiter", args.delimiter, "CSV field delimiter, one character or \\t")->capture_default_str();
    cmd->add_option("--chunk-rows", args.chunk_rows,
                    "rows converted before any of them is written; a bad value fails its whole chunk")
        ->capture_default_str();
    cmd->add_flag("--progress", args.progress, "print progress every second also when reading stdin");
    cmd->add_flag("-q,--quiet", args.quiet, "no progress and no summary line");
  };
  fluss::cli::ProduceArgs produce;
  auto* pr = app.add_subcommand("produce", "append CSV or JSON-lines rows (stdin or --file) to a log table");
  add_input_options(pr, produce);
  pr->footer("Values: docs/cli.md, 'Value conversion'. Empty unquoted CSV field or missing/null JSON key = NULL.");
  pr->callback([&] { action = [&](const GlobalOptions& g) { return RunProduce(g, produce); }; });

  fluss::cli::ProduceArgs upsert;
  upsert.mode = fluss::cli::WriteMode::kUpsert;
  auto* up = app.add_subcommand("upsert", "insert or replace rows of a primary-key table (CSV or JSON lines)");
  add_input_options(up, upsert);
  up->add_option("--columns", upsert.columns,
                 "partial update: write only these columns (with the primary key); the others keep their values")
      ->delimiter(',')
      ->allow_extra_args(false);
  up->footer("Each row replaces the row of its key (or merges into it, per the table's merge engine).");
  up->callback([&] { action = [&](const GlobalOptions& g) { return RunProduce(g, upsert); }; });

  fluss::cli::ProduceArgs del;
  del.mode = fluss::cli::WriteMode::kDelete;
  auto* de = app.add_subcommand("delete", "delete rows of a primary-key table by key (CSV or JSON lines)");
  add_input_options(de, del);
  de->footer("Each input row needs only the primary-key columns (whole rows are accepted; other columns are ignored).");
  de->callback([&] { action = [&](const GlobalOptions& g) { return RunProduce(g, del); }; });

  // ---- lookup ----
  fluss::cli::LookupArgs lookup;
  auto* lk = app.add_subcommand("lookup", "print the row of a primary key (nothing when absent)");
  lk->add_option("table", lookup.table, "db.table")->required();
  lk->add_option("-k,--key", lookup.keys,
                 "column=value, once per primary-key column (or per bucket-key column: every row of that prefix)")
      ->allow_extra_args(false)
      ->required();
  lk->add_option("--format", lookup.format, "table, json (one line per row) or csv")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json", "csv"}));
  lk->add_option("--max-width", lookup.max_width, "--format table: cut cells to this many columns (0: never)")
      ->capture_default_str();
  lk->callback([&] { action = [&](const GlobalOptions& g) { return RunLookup(g, lookup); }; });

  // ---- scan ----
  fluss::cli::ScanArgs scan;
  std::optional<int64_t> scan_limit;
  auto* sc = app.add_subcommand("scan", "print the rows of a log table, or the changelog of a primary-key table");
  sc->add_option("table", scan.table, "db.table")->required();
  sc->add_option("--from", scan.from, "start: earliest, latest, offset:N or timestamp:T (epoch ms or 'YYYY-MM-DD HH:MM:SS' UTC)")
      ->capture_default_str();
  sc->add_option("--columns", scan.columns, "columns to print, in this order: a,b")->delimiter(',')->allow_extra_args(false);
  sc->add_option("--limit", scan_limit, "stop after N rows");
  sc->add_flag("--follow", scan.follow, "keep polling for new rows until interrupted (else stop at the log end)");
  sc->add_option("--format", scan.format, "table, json (lines), csv or arrow (an Arrow IPC stream)")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json", "csv", "arrow"}));
  sc->add_option("--max-width", scan.max_width, "--format table: cut cells to this many columns (0: never)")
      ->capture_default_str();
  sc->add_option("--buckets", scan.buckets, "read only these buckets: 0,2")->delimiter(',')->allow_extra_args(false);
  sc->add_option("--partition", scan.partitions,
                 "partitioned tables: read only the partitions matching this (partial) spec, e.g. dt=2026-12-07 "
                 "(repeatable; default: every partition)");
  sc->add_flag("--union", scan.union_read,
               "lake-enabled tables: the rows of the lake snapshot, then the log (a PK table: its changelog) from where the lake ends");
  sc->add_option("--warehouse", scan.warehouse, "--union: the lake warehouse (default: $FLUSS_WAREHOUSE)");
  sc->add_flag("--snapshot-then-follow", scan.snapshot_then_follow,
               "primary-key tables: print the current rows (+I), then every change after them, until interrupted");
  sc->callback([&] {
    scan.limit = scan_limit;
    action = [&](const GlobalOptions& g) { return RunScan(g, scan); };
  });

  // ---- lake ----
  auto* lake = app.add_subcommand("lake", "the lake (Iceberg) copy of tables");
  lake->require_subcommand(1);
  fluss::cli::LakeStatusArgs lake_status;
  auto* ls = lake->add_subcommand("status", "lake snapshot, tiered offsets per bucket, and lag behind the log");
  ls->add_option("table", lake_status.table, "db.table")->required();
  ls->add_option("--warehouse", lake_status.warehouse,
                 "the server's datalake.iceberg.warehouse (default: $FLUSS_WAREHOUSE)");
  ls->callback([&] { action = [&](const GlobalOptions& g) { return RunLakeStatus(g, lake_status); }; });

  // ---- cluster ----
  auto* cluster = app.add_subcommand("cluster", "the servers and replicas of a cluster");
  cluster->require_subcommand(1);
  fluss::cli::ClusterStatusArgs cluster_status;
  auto* cs = cluster->add_subcommand(
      "status", "coordinators (active/standby), tablet servers (SUSPECT when they do not answer), and per bucket: "
                "leader, replicas, in-sync replicas; exit code 3 when a bucket is under-replicated, offline or at "
                "risk, a server is suspect or no coordinator is active");
  cs->add_option("--table", cluster_status.table, "only this table (db.table)");
  cs->callback([&] { action = [&](const GlobalOptions& g) { return RunClusterStatus(g, cluster_status); }; });

  // ---- offsets ----
  fluss::cli::OffsetsArgs offsets;
  auto* of = app.add_subcommand("offsets", "per-bucket offsets of a table (per partition and bucket when partitioned)");
  of->add_option("table", offsets.table, "db.table")->required();
  of->add_option("--at", offsets.at, "earliest, latest or timestamp:T (default: earliest and latest columns)");
  of->add_option("--partition", offsets.partitions,
                 "partitioned tables: only the partitions matching this (partial) spec, e.g. dt=2026-12-07 (repeatable)");
  of->callback([&] { action = [&](const GlobalOptions& g) { return RunOffsets(g, offsets); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (auto message = CommandWordError(app, argc, argv)) return fluss::cli::UsageError(*message);
    return fluss::cli::UsageError(fmt::format("{} (see --help)", e.what()));
  }

  // The client library logs through spdlog: to stderr (stdout carries data), errors only unless -v.
  spdlog::set_default_logger(spdlog::stderr_color_mt("fluss"));
  spdlog::set_pattern("fluss: %l: %v");
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::err);

  GlobalOptions g;
  std::string bootstrap_from = "-b";
  if (bootstrap.empty()) {
    const char* env = std::getenv("FLUSS_BOOTSTRAP");
    bootstrap = env && *env ? env : "localhost:9123";
    bootstrap_from = env && *env ? "FLUSS_BOOTSTRAP" : "the default";
  }
  if (!IsBootstrapList(bootstrap)) {
    return fluss::cli::UsageError(fmt::format("server address '{}' (from {}) is not host:port", bootstrap, bootstrap_from));
  }
  g.bootstrap_server = bootstrap;
  if (!ParseDuration(connect_timeout, &g.connect_timeout)) {
    return fluss::cli::UsageError(fmt::format("--connect-timeout '{}': expected a duration like 5s or 500ms", connect_timeout));
  }
  if (!ParseDuration(request_timeout, &g.request_timeout)) {
    return fluss::cli::UsageError(fmt::format("--request-timeout '{}': expected a duration like 30s", request_timeout));
  }
  if (!action) return fluss::cli::UsageError("no command given (see --help)");
  return action(g);
}
