// The C++ side of the primary-key lake interop test (README.md, IcebergPkInterop):
//
//   fluss_iceberg_pk_interop write <dir>   starts an in-process fluss server with its lake under
//       <dir>/warehouse, creates the primary-key table db.users (id BIGINT, name STRING, qty INT) and
//       tiers it in four rounds of upserts, updates, partial updates, deletes and re-inserts — the
//       lake then holds data files and equality-delete files. Writes <dir>/pk_expected.json: the table
//       directory, the rows every key's lookup returns (the table's state), and how many data rows
//       the lake holds before deletes apply.
//
// Exit 0 on success, 1 on any failure (the reason on stderr).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/tiering/lake_tiering.h"
#include "server/fluss_server.h"
#include "types/schema_parser.h"

using namespace fluss;
using nlohmann::json;

namespace {

int Fail(const std::string& why) {
  std::cerr << "fluss_iceberg_pk_interop: " << why << "\n";
  return 1;
}

GenericRow Row(int64_t id, const std::string& name, int32_t qty) {
  return GenericRow({Datum(id), Datum(name), Datum(qty)});
}

int Write(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string warehouse = fs::absolute(dir + "/warehouse").string();
  fs::create_directories(dir + "/data");
  auto config = ServerConfig::Load("", {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + dir + "/data",
                                        "datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse,
                                        "datalake.tiering.embedded=false"});
  if (!config.ok()) return Fail(config.status().ToString());
  auto server = FlussServer::Start(*config);
  if (!server.ok()) return Fail(server.status().ToString());
  int rc = 0;
  {
    Configuration c;
    c.bootstrap_servers = "127.0.0.1:" + std::to_string((*server)->port());
    auto conn = Connection::Create(c);
    if (!conn.ok()) return Fail(conn.status().ToString());
    Admin admin = (*conn)->GetAdmin();
    const TablePath path = TablePath::Make("db", "users").value();
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, name STRING, qty INT, PRIMARY KEY (id)").value());
    d.DistributedBy(2);
    d.Property("table.datalake.enabled", "true");
    Status st = admin.CreateDatabase("db", true);
    if (st.ok()) st = admin.CreateTable(path, d);
    if (!st.ok()) return Fail(st.ToString());
    auto table = (*conn)->GetTable(path).value();
    auto w = table.NewUpsertWriter().value();
    auto partial = table.NewUpsertWriter({.columns = {"id", "qty"}}).value();
    lake::LakeTiering tiering(*conn, lake::TieringOptions{.warehouse = warehouse});
    auto check = [&](Status s) {
      if (!s.ok() && rc == 0) rc = Fail(s.ToString());
    };
    auto round = [&] {
      check(w->Flush());
      check(partial->Flush());
      auto r = tiering.TierOnce(path);
      if (!r.ok()) return check(r.status());
      std::cerr << fmt::format("round: {} changes, {} data files, {} delete files ({} keys)\n", r->rows, r->files,
                               r->delete_files, r->deleted_keys);
    };
    // 1: inserts. 2: updates, deletes, new keys. 3: re-inserts, partial updates, keys inserted and
    // deleted within the round. 4: delete + re-insert within one round.
    for (int64_t i = 0; i < 300; ++i) check(w->Upsert(Row(i, fmt::format("a{}", i), 1)).status());
    round();
    for (int64_t i = 0; i < 100; ++i) check(w->Upsert(Row(i, fmt::format("b{}", i), 2)).status());
    for (int64_t i = 100; i < 150; ++i) check(w->Delete(Row(i, "", 0)).status());
    for (int64_t i = 300; i < 350; ++i) check(w->Upsert(Row(i, fmt::format("c{}", i), 3)).status());
    round();
    for (int64_t i = 100; i < 120; ++i) check(w->Upsert(Row(i, fmt::format("d{}", i), 4)).status());
    for (int64_t i = 150; i < 200; ++i) check(partial->Upsert(GenericRow({Datum(i), Datum(), Datum(int32_t{44})})).status());
    for (int64_t i = 400; i < 420; ++i) check(w->Upsert(Row(i, "gone", 0)).status());
    check(w->Flush());
    for (int64_t i = 400; i < 420; ++i) check(w->Delete(Row(i, "", 0)).status());
    round();
    for (int64_t i = 0; i < 30; ++i) check(w->Delete(Row(i, "", 0)).status());
    check(w->Flush());
    for (int64_t i = 0; i < 10; ++i) check(w->Upsert(Row(i, fmt::format("e{}", i), 5)).status());
    round();
    if (rc != 0) return rc;

    // The table's state by lookups, and the lake's raw data rows (before deletes).
    auto lookuper = table.NewLookuper().value();
    json rows = json::array();
    for (int64_t id = 0; id < 500; ++id) {
      auto r = lookuper->Lookup(GenericRow({Datum(id)}));
      if (!r.ok()) return Fail(r.status().ToString());
      if (!*r) continue;
      json row = {{"id", std::to_string((*r)->GetBigInt(0))},
                  {"name", (*r)->IsNullAt(1) ? json() : json((*r)->GetString(1))},
                  {"qty", (*r)->IsNullAt(2) ? json() : json((*r)->GetInt(2))}};
      rows.push_back(std::move(row));
    }
    auto ice = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse, path));
    if (!ice.ok()) return Fail(ice.status().ToString());
    auto files = ice->ListFiles();
    if (!files.ok()) return Fail(files.status().ToString());
    int64_t raw = 0;
    for (const auto& e : files->data) raw += e.data_file.record_count;
    json expected = {{"table_dir", lake::LakeTableDir(warehouse, path)},
                     {"rows", std::move(rows)},
                     {"raw_data_rows", raw},
                     {"delete_files", files->deletes.size()}};
    std::ofstream(dir + "/pk_expected.json") << expected.dump(1);
  }
  Status stopped = (*server)->Stop();
  if (!stopped.ok()) return Fail(stopped.ToString());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "write") return Fail("usage: fluss_iceberg_pk_interop write <dir>");
  return Write(argv[2]);
}
