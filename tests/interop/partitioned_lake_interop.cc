// fluss_partitioned_lake_interop: the C++ side of the PartitionedLakeInterop test
// (tests/interop/README.md).
//
//   fluss_partitioned_lake_interop write <dir>
//
// Starts a real fluss-server (ServerProcess) with the lake configured (warehouse <dir>/warehouse) and
// its embedded tiering service, creates the lake-enabled log table lake.events partitioned by
// (dt DATE, region STRING) with 2 buckets and table.datalake.freshness=1s, and writes rows in three
// waves, each to old and new partitions (the writer creates them); after each wave it waits until
// the lake's recorded offsets reach every partition bucket's log end, so the table is tiered over
// several rounds. Then it reads every partition back from the Fluss log with a LogScanner (the
// scan the lake must equal) and writes <dir>/expected.json:
//   {"table_dir", "snapshots": <count>,
//    "partitions": [{"name", "dt", "region", "rows": [{"id" (decimal string), "v"}]}],
//    "pk": {"table_dir", "rows": [{"id", "dt", "name"}]}}
// "pk" is the primary-key table lake.users partitioned by dt STRING (not DATE: icebird matches
// equality deletes with ===, which never holds for the Date objects it decodes dates into): two
// partitions with the same ids,
// tiered, then one partition's keys updated and the other's deleted, tiered again (equality deletes
// per partition); its rows are the lookups of every key written.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/tiering/lake_tiering.h"
#include "support/server_process.h"
#include "types/schema_parser.h"

namespace {

using namespace fluss;  // NOLINT
using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int32_t kBuckets = 2;

int Fail(const std::string& what, const Status& st) {
  std::cerr << "partitioned_lake_interop: " << what << ": " << st.ToString() << "\n";
  return 1;
}

// Days since 1970-01-01 of 2026-12-<day>.
int32_t DecemberDay(int day) { return 20788 + day - 1; }  // 2026-12-01 is day 20788

struct Wave {
  int day;
  const char* region;
  int64_t rows;
};
// Three waves of writes; each tiers in at least one round of its own.
const std::vector<std::vector<Wave>> kWaves = {
    {{1, "eu", 300}, {1, "us", 200}},
    {{1, "eu", 100}, {2, "eu", 250}, {2, "ap", 50}},
    {{3, "us", 150}, {2, "ap", 80}, {1, "us", 20}},
};

// Waits until the lake records every (partition, bucket) at or past its log end now.
Status WaitForLake(Connection& conn, const std::string& warehouse, const TablePath& path) {
  Admin admin = conn.GetAdmin();
  std::map<PartitionBucket, int64_t> ends;
  FLUSS_ASSIGN_OR_RETURN(auto partitions, admin.ListPartitionInfos(path));
  for (const auto& p : partitions) {
    FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListPartitionOffsets(path, p.partition_name, OffsetSpec::Latest()));
    for (const auto& [b, o] : latest) ends[PartitionBucket{p.partition_id, b}] = o;
  }
  FLUSS_ASSIGN_OR_RETURN(Table table, conn.GetTable(path));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto tiered = lake::ReadTieredOffsets(warehouse, path, table.info().table_id);
    if (tiered.ok()) {
      bool done = true;
      for (const auto& [pb, end] : ends) {
        auto it = tiered->offsets.find(pb);
        done &= it != tiered->offsets.end() && it->second >= end;
      }
      if (done) return Status::OK();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status(ErrorCode::kRequestTimeOut, "the lake did not reach the log end within 120 s");
}

int Write(const std::string& dir) {
  const std::string warehouse = dir + "/warehouse";
  testing::ServerProcessOptions o;
  o.data_dir = dir + "/data";
  o.sets = {"datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse};
  auto server = testing::ServerProcess::Start(o);
  if (!server.ok()) return Fail("start fluss-server", server.status());
  Configuration c;
  c.bootstrap_servers = (*server)->address();
  c.writer_batch_timeout = std::chrono::milliseconds(5);
  auto conn = Connection::Create(c);
  if (!conn.ok()) return Fail("connect", conn.status());
  Admin admin = (*conn)->GetAdmin();
  const TablePath path = TablePath::Make("lake", "events").value();
  if (Status st = admin.CreateDatabase("lake", true); !st.ok()) return Fail("create database", st);
  auto parsed = ParseTableSchema("id BIGINT NOT NULL, dt DATE NOT NULL, region STRING NOT NULL, v DOUBLE "
                                 "PARTITIONED BY (dt, region)");
  if (!parsed.ok()) return Fail("schema", parsed.status());
  TableDescriptor d(parsed->schema);
  d.PartitionedBy(parsed->partition_keys);
  d.DistributedBy(kBuckets);
  d.Property("table.datalake.enabled", "true");
  d.Property("table.datalake.freshness", "1s");
  if (Status st = admin.CreateTable(path, d); !st.ok()) return Fail("create table", st);

  auto table = (*conn)->GetTable(path);
  if (!table.ok()) return Fail("get table", table.status());
  auto writer = table->NewAppendWriter();
  if (!writer.ok()) return Fail("writer", writer.status());
  int64_t id = 0;
  for (const auto& wave : kWaves) {
    for (const auto& w : wave) {
      for (int64_t i = 0; i < w.rows; ++i, ++id) {
        GenericRow row({Datum(id), Datum(DecemberDay(w.day)), Datum(std::string(w.region)),
                        Datum(static_cast<double>(id) * 0.5)});
        if (auto r = (*writer)->Append(row); !r.ok()) return Fail("append", r.status());
      }
    }
    if (Status st = (*writer)->Flush(); !st.ok()) return Fail("flush", st);
    if (Status st = WaitForLake(**conn, warehouse, path); !st.ok()) return Fail("wait for the lake", st);
  }

  // The scan of every partition from the Fluss log.
  json partitions = json::array();
  auto infos = admin.ListPartitionInfos(path);
  if (!infos.ok()) return Fail("list partitions", infos.status());
  for (const auto& p : *infos) {
    auto ends = admin.ListPartitionOffsets(path, p.partition_name, OffsetSpec::Latest());
    if (!ends.ok()) return Fail("partition offsets", ends.status());
    auto scanner = table->NewLogScanner();
    if (!scanner.ok()) return Fail("scanner", scanner.status());
    std::map<int32_t, int64_t> open;
    for (const auto& [b, end] : *ends) {
      if (end == 0) continue;
      if (Status st = (*scanner)->Subscribe(p.partition_id, b, int64_t{0}); !st.ok()) return Fail("subscribe", st);
      open[b] = end;
    }
    json rows = json::array();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!open.empty() && std::chrono::steady_clock::now() < deadline) {
      auto records = (*scanner)->Poll(std::chrono::milliseconds(500));
      if (!records.ok()) return Fail("poll", records.status());
      for (const auto& r : *records) {
        if (r.partition_id != p.partition_id || !open.count(r.bucket) || r.offset >= open[r.bucket]) continue;
        rows.push_back({{"id", std::to_string(r.row.GetBigInt(0))}, {"v", r.row.GetDouble(3)}});
      }
      for (const auto& [pb, pos] : (*scanner)->bucket_positions()) {
        if (open.count(pb.bucket) && pos >= open[pb.bucket]) open.erase(pb.bucket);
      }
    }
    if (!open.empty()) return Fail("scan " + p.QualifiedName(), Status(ErrorCode::kRequestTimeOut, "scan stalled"));
    std::string dt;
    std::string region;
    for (const auto& [k, v] : p.spec) (k == "dt" ? dt : region) = v;
    partitions.push_back({{"name", p.partition_name}, {"dt", dt}, {"region", region}, {"rows", std::move(rows)}});
  }
  auto lake_table = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse, path));
  if (!lake_table.ok()) return Fail("open the lake table", lake_table.status());

  // The primary-key table: upserts in two partitions, a round, updates in one and deletes of the
  // same ids in the other, another round; then the lookups of every key.
  const TablePath users = TablePath::Make("lake", "users").value();
  auto pk_schema = ParseTableSchema("id BIGINT NOT NULL, dt STRING NOT NULL, name STRING, PRIMARY KEY (id, dt) "
                                    "PARTITIONED BY (dt)");
  if (!pk_schema.ok()) return Fail("pk schema", pk_schema.status());
  TableDescriptor pd(pk_schema->schema);
  pd.PartitionedBy(pk_schema->partition_keys);
  pd.DistributedBy(kBuckets);
  pd.Property("table.datalake.enabled", "true");
  pd.Property("table.datalake.freshness", "1s");
  if (Status st = admin.CreateTable(users, pd); !st.ok()) return Fail("create pk table", st);
  auto pk_table = (*conn)->GetTable(users);
  if (!pk_table.ok()) return Fail("get pk table", pk_table.status());
  auto upserts = pk_table->NewUpsertWriter();
  if (!upserts.ok()) return Fail("upsert writer", upserts.status());
  constexpr int64_t kKeys = 60;
  for (int day : {1, 2}) {
    for (int64_t i = 0; i < kKeys; ++i) {
      GenericRow row({Datum(i), Datum(fmt::format("2026-12-0{}", day)), Datum(fmt::format("first-{}-{}", day, i))});
      if (auto r = (*upserts)->Upsert(row); !r.ok()) return Fail("upsert", r.status());
    }
  }
  if (Status st = (*upserts)->Flush(); !st.ok()) return Fail("flush upserts", st);
  if (Status st = WaitForLake(**conn, warehouse, users); !st.ok()) return Fail("wait for the pk lake", st);
  for (int64_t i = 0; i < kKeys; i += 2) {
    GenericRow updated({Datum(i), Datum(std::string("2026-12-01")), Datum(fmt::format("second-1-{}", i))});
    if (auto r = (*upserts)->Upsert(updated); !r.ok()) return Fail("update", r.status());
    GenericRow gone({Datum(i), Datum(std::string("2026-12-02")), Datum()});
    if (auto r = (*upserts)->Delete(gone); !r.ok()) return Fail("delete", r.status());
  }
  if (Status st = (*upserts)->Flush(); !st.ok()) return Fail("flush updates", st);
  if (Status st = WaitForLake(**conn, warehouse, users); !st.ok()) return Fail("wait for the pk lake", st);
  auto lookuper = pk_table->NewLookuper();
  if (!lookuper.ok()) return Fail("lookuper", lookuper.status());
  json pk_rows = json::array();
  for (int day : {1, 2}) {
    for (int64_t i = 0; i < kKeys; ++i) {
      auto found = (*lookuper)->Lookup(GenericRow({Datum(i), Datum(fmt::format("2026-12-0{}", day))}));
      if (!found.ok()) return Fail("lookup", found.status());
      if (!*found) continue;
      pk_rows.push_back({{"id", std::to_string(i)}, {"dt", fmt::format("2026-12-0{}", day)},
                         {"name", (*found)->GetString(2)}});
    }
  }
  json expected = {{"table_dir", lake::LakeTableDir(warehouse, path)},
                   {"snapshots", lake_table->metadata().snapshots.size()},
                   {"partitions", std::move(partitions)},
                   {"pk", {{"table_dir", lake::LakeTableDir(warehouse, users)}, {"rows", std::move(pk_rows)}}}};
  std::ofstream(dir + "/expected.json") << expected.dump(1) << "\n";
  std::cout << "partitioned_lake_interop: " << id << " rows in " << infos->size() << " partitions, "
            << lake_table->metadata().snapshots.size() << " lake snapshots\n";
  if (Status st = (*server)->Stop(); !st.ok()) return Fail("stop fluss-server", st);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "write") return Write(argv[2]);
  std::cerr << "usage: fluss_partitioned_lake_interop write <dir>\n";
  return 2;
}
