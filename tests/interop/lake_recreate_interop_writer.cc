// The C++ side of the lake-recreate interop test (README.md, LakeRecreateInterop): a lake belongs to
// one table id.
//
//   fluss_lake_recreate_interop run <dir> <check.mjs>   starts an in-process fluss server with its lake
//       under <dir>/warehouse and runs three generations of a lake-enabled log table `d.t` and a
//       primary-key table `d.p`: create, write rows of the generation (ids g*1000 + i), check, tier,
//       check, write an untiered tail, check, then drop both. Each check asserts that a union read
//       (LakeSnapshotScanner) and the lake's offsets (what `fluss lake status` shows) see only the
//       current generation — right after a recreate the lake table there still holds the previous
//       generation's snapshot, which must count for nothing — and, after tiering, writes
//       <dir>/expected.json and runs `node <check.mjs> <dir>/expected.json`, where icebird (through
//       the metadata) and DuckDB (read_parquet over the files the current snapshot's manifests list)
//       must return exactly the current generation's rows.
//
// Exit 0 on success, 1 on any failure (the reason on stderr).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "lake/tiering/lake_snapshot_scanner.h"
#include "lake/tiering/lake_tiering.h"
#include "server/fluss_server.h"
#include "types/schema_parser.h"

using namespace fluss;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kGenerations = 3;

struct Failure {
  std::string why;
};

void Check(bool ok, const std::string& why) {
  if (!ok) throw Failure{why};
}
void CheckOk(const Status& st, const std::string& what) { Check(st.ok(), what + ": " + st.ToString()); }
template <typename T>
T Value(Result<T> r, const std::string& what) {
  CheckOk(r.status(), what);
  return std::move(r).value();
}

int64_t LogRows(int g) { return 50 + 7 * g; }
constexpr int64_t kKeys = 40;

// What a union read of the table returns: log table ids, or the primary-key table's state (id -> v).
std::map<int64_t, int64_t> UnionRead(Connection& conn, const TablePath& path, const std::string& warehouse, bool pk) {
  auto scanner = Value(lake::LakeSnapshotScanner::Open(conn, path, {.warehouse = warehouse}), "union read");
  std::map<int64_t, int64_t> out;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!scanner->done()) {
    Check(std::chrono::steady_clock::now() < deadline, "union read of " + path.ToString() + " did not finish");
    for (const auto& r : Value(scanner->Poll(200ms), "union read poll")) {
      const int64_t id = r.row.GetBigInt(0);
      if (!pk) {
        Check(out.emplace(id, 0).second, fmt::format("union read of {}: row {} came twice", path.ToString(), id));
        continue;
      }
      if (r.change_type == ChangeType::kDelete || r.change_type == ChangeType::kUpdateBefore) {
        out.erase(id);
      } else {
        out[id] = r.row.GetBigInt(1);
      }
    }
  }
  return out;
}

std::string Describe(const std::map<int64_t, int64_t>& m) {
  std::string s;
  int n = 0;
  for (const auto& [k, v] : m) {
    if (n++ == 8) return s + " ...";
    s += fmt::format(" {}={}", k, v);
  }
  return s;
}

void Run(const std::string& dir, const std::string& check_script) {
  namespace fs = std::filesystem;
  const std::string warehouse = fs::absolute(dir + "/warehouse").string();
  fs::create_directories(dir + "/data");
  auto config = Value(ServerConfig::Load("", {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + dir + "/data",
                                              "datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse,
                                              "datalake.tiering.embedded=false"}),
                      "config");
  auto server = Value(FlussServer::Start(config), "server start");
  Configuration c;
  c.bootstrap_servers = "127.0.0.1:" + std::to_string(server->port());
  c.writer_batch_timeout = 5ms;
  auto conn = Value(Connection::Create(c), "connect");
  Admin admin = conn->GetAdmin();
  CheckOk(admin.CreateDatabase("d", true), "create database");
  const TablePath log_path = TablePath::Make("d", "t").value();
  const TablePath pk_path = TablePath::Make("d", "p").value();
  lake::LakeTiering tiering(conn, lake::TieringOptions{.warehouse = warehouse});

  for (int g = 0; g < kGenerations; ++g) {
    std::cerr << fmt::format("generation {}\n", g);
    TableDescriptor ld(ParseSchema("id BIGINT NOT NULL, msg STRING").value());
    ld.DistributedBy(2);
    ld.Property("table.datalake.enabled", "true");
    CheckOk(admin.CreateTable(log_path, ld), "create d.t");
    TableDescriptor pd(ParseSchema("id BIGINT NOT NULL, v BIGINT, PRIMARY KEY (id)").value());
    pd.DistributedBy(2);
    pd.Property("table.datalake.enabled", "true");
    CheckOk(admin.CreateTable(pk_path, pd), "create d.p");
    Table log = Value(conn->GetTable(log_path), "get d.t");
    Table pk = Value(conn->GetTable(pk_path), "get d.p");

    // The generation's rows: log ids g*1000 + [0, LogRows(g)); keys g*1000 + [0, kKeys) with value g,
    // every fourth deleted.
    std::map<int64_t, int64_t> want_log, want_pk;
    auto appender = Value(log.NewAppendWriter(), "append writer");
    for (int64_t i = 0; i < LogRows(g); ++i) {
      const int64_t id = g * 1000 + i;
      CheckOk(appender->Append(GenericRow({Datum(id), Datum(fmt::format("gen {}", g))})).status(), "append");
      want_log[id] = 0;
    }
    CheckOk(appender->Flush(), "append flush");
    auto upserter = Value(pk.NewUpsertWriter(), "upsert writer");
    for (int64_t i = 0; i < kKeys; ++i) {
      CheckOk(upserter->Upsert(GenericRow({Datum(g * 1000 + i), Datum(int64_t{g})})).status(), "upsert");
      want_pk[g * 1000 + i] = g;
    }
    for (int64_t i = 0; i < kKeys; i += 4) {
      CheckOk(upserter->Delete(GenericRow({Datum(g * 1000 + i), Datum()})).status(), "delete");
      want_pk.erase(g * 1000 + i);
    }
    CheckOk(upserter->Flush(), "upsert flush");

    auto check_reads = [&](const std::string& when) {
      auto got_log = UnionRead(*conn, log_path, warehouse, false);
      Check(got_log == want_log, fmt::format("gen {} {}: union read of d.t returned{} (want{})", g, when,
                                             Describe(got_log), Describe(want_log)));
      auto got_pk = UnionRead(*conn, pk_path, warehouse, true);
      Check(got_pk == want_pk, fmt::format("gen {} {}: union read of d.p returned{} (want{})", g, when,
                                           Describe(got_pk), Describe(want_pk)));
    };
    // What `fluss lake status` reports: the lake's offsets never pass the log's end.
    auto check_status = [&](const TablePath& path, bool tiered) {
      auto lake = Value(tiering.LakeOffsets(path, 2), "lake offsets");
      auto latest = Value(admin.ListOffsets(path, OffsetSpec::Latest()), "list offsets");
      for (const auto& [b, end] : latest) {
        const int64_t at = lake.first.at(b);
        Check(at <= end, fmt::format("gen {} {}: lake holds bucket {} up to {}, past the log end {}", g,
                                     path.ToString(), b, at, end));
        if (!tiered) Check(at == 0, fmt::format("gen {} {}: untiered table reports lake offset {}", g, path.ToString(), at));
      }
      Check(tiered == (lake.second >= 0), fmt::format("gen {} {}: lake snapshot {}", g, path.ToString(), lake.second));
    };
    // Right after the recreate, the lake table at d/t and d/p is still the previous generation's.
    check_reads("before tiering");
    check_status(log_path, false);
    check_status(pk_path, false);

    auto lr = Value(tiering.TierOnce(log_path), "tier d.t");
    auto pr = Value(tiering.TierOnce(pk_path), "tier d.p");
    Check(lr.committed && pr.committed, "a tiering round committed nothing");
    check_reads("after tiering");
    check_status(log_path, true);
    check_status(pk_path, true);
    auto lake = Value(tiering.LakeOffsets(log_path, 2), "lake offsets");
    auto latest = Value(admin.ListOffsets(log_path, OffsetSpec::Latest()), "list offsets");
    for (const auto& [b, end] : latest) Check(lake.first.at(b) == end, "the lake does not hold all of d.t");

    json tables = json::array();
    for (const auto& [table, want, kind] :
         {std::tuple{&log, &want_log, "log"}, std::tuple{&pk, &want_pk, "pk"}}) {
      json ids = json::array();
      for (const auto& [id, v] : *want) ids.push_back(std::to_string(id));
      tables.push_back({{"table_dir", lake::LakeTableDir(warehouse, table->path())},
                        {"table_id", std::to_string(table->info().table_id)},
                        {"kind", kind},
                        {"generation", g},
                        {"ids", std::move(ids)}});
    }
    std::ofstream(dir + "/expected.json") << json{{"tables", std::move(tables)}}.dump(1);
    const std::string cmd = fmt::format("node '{}' '{}/expected.json'", check_script, dir);
    Check(std::system(cmd.c_str()) == 0, fmt::format("gen {}: the lake readers disagree ({})", g, cmd));

    // An untiered tail: the union read is the lake plus the log from the lake's offsets.
    auto more = Value(log.NewAppendWriter(), "append writer");
    for (int64_t i = LogRows(g); i < LogRows(g) + 5; ++i) {
      CheckOk(more->Append(GenericRow({Datum(g * 1000 + i), Datum(std::string("tail"))})).status(), "append");
      want_log[g * 1000 + i] = 0;
    }
    CheckOk(more->Flush(), "append flush");
    check_reads("with an untiered tail");

    CheckOk(admin.DropTable(log_path), "drop d.t");
    CheckOk(admin.DropTable(pk_path), "drop d.p");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::string(argv[1]) != "run") {
    std::cerr << "usage: fluss_lake_recreate_interop run <dir> <check.mjs>\n";
    return 2;
  }
  try {
    Run(argv[2], argv[3]);
  } catch (const Failure& f) {
    std::cerr << "fluss_lake_recreate_interop: " << f.why << "\n";
    return 1;
  }
  std::cerr << "fluss_lake_recreate_interop: every generation saw only its own rows\n";
  return 0;
}
