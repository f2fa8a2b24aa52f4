// Partitioned tables in the lake, against an in-process server: rounds tier every (partition,
// bucket) into an Iceberg table partitioned by identity on the partition keys; new partitions are
// picked up, dropped ones leave the recorded offsets but keep their rows in the lake; a primary-key
// partitioned table tiers with equality deletes per partition; union reads return every row once,
// per partition and whole.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/tiering/lake_snapshot_reader.h"
#include "lake/tiering/lake_snapshot_scanner.h"
#include "lake/tiering/lake_tiering.h"
#include "support/in_process_server.h"
#include "support/status_macros.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;

class PartitionedTieringTest : public testing::InProcessServerTest {
 protected:
  std::string data_dir() const override { return dir_.Sub("data"); }
  std::vector<std::string> ServerOptions() const override {
    return {"datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse_};
  }

  void CreateTable(const std::string& schema) {
    Admin admin = conn_->GetAdmin();
    ASSERT_OK(admin.CreateDatabase("db", true));
    auto parsed = ParseTableSchema(schema);
    ASSERT_OK(parsed);
    TableDescriptor d(parsed->schema);
    d.PartitionedBy(parsed->partition_keys);
    d.DistributedBy(2);
    d.Property("table.datalake.enabled", "true");
    ASSERT_OK(admin.CreateTable(path_, d));
  }

  // Appends ids [from, to) to partition `dt` (created by the writer on first write).
  void Append(const std::string& dt, int64_t from, int64_t to) {
    auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
    for (int64_t i = from; i < to; ++i) {
      ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum(dt), Datum("v-" + std::to_string(i))})));
    }
    ASSERT_OK(writer->Flush());
  }

  std::map<std::string, int64_t> PartitionIds() {
    std::map<std::string, int64_t> out;
    for (const auto& p : conn_->GetAdmin().ListPartitionInfos(path_).value()) out[p.partition_name] = p.partition_id;
    return out;
  }

  // Every (partition, bucket) log end, as the round and the union read see it.
  std::map<PartitionBucket, int64_t> LogEnds() {
    std::map<PartitionBucket, int64_t> out;
    Admin admin = conn_->GetAdmin();
    for (const auto& [name, id] : PartitionIds()) {
      for (const auto& [b, o] : admin.ListPartitionOffsets(path_, name, OffsetSpec::Latest()).value()) {
        out[PartitionBucket{id, b}] = o;
      }
    }
    return out;
  }

  // The lake rows: dt -> ids, read through the current snapshot (deletes applied), checking that
  // every record's partition id is the one the snapshot records for its dt (or -1 when none).
  std::map<std::string, std::multiset<int64_t>> LakeRows(const std::vector<std::string>& partitions = {}) {
    std::map<std::string, std::multiset<int64_t>> out;
    auto table = conn_->GetTable(path_);
    EXPECT_OK(table);
    auto reader = lake::LakeSnapshotReader::Open(warehouse_, table->info(), {}, partitions);
    EXPECT_OK(reader);
    if (!reader.ok()) return out;
    std::map<std::string, int64_t> ids;
    for (const auto& [id, name] : (*reader)->info().partition_names) ids[name] = id;
    while (true) {
      auto batch = (*reader)->Next();
      EXPECT_OK(batch);
      if (!batch.ok() || !*batch) break;
      for (const auto& r : **batch) {
        const std::string dt = r.row.GetString(1);
        EXPECT_EQ(r.partition_id, ids.count(dt) ? ids.at(dt) : kNoPartition) << dt;
        out[dt].insert(r.row.GetBigInt(0));
      }
    }
    return out;
  }

  std::multiset<int64_t> Ids(int64_t from, int64_t to) {
    std::multiset<int64_t> out;
    for (int64_t i = from; i < to; ++i) out.insert(i);
    return out;
  }

  std::string warehouse_ = dir_.Sub("warehouse");
  TablePath path_ = TablePath::Make("db", "events").value();
};

TEST_F(PartitionedTieringTest, RoundsTierEachPartitionIntoItsOwnIcebergPartition) {
  CreateTable("id BIGINT NOT NULL, dt STRING NOT NULL, v STRING PARTITIONED BY (dt)");
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  Append("2026-12-01", 0, 300);
  Append("2026-12-02", 300, 500);
  auto first = tiering.TierOnce(path_);
  ASSERT_OK(first);
  EXPECT_TRUE(first->committed);
  EXPECT_EQ(first->rows, 500);
  EXPECT_EQ(first->partition_offsets, LogEnds());
  EXPECT_TRUE(first->offsets.empty());  // only the per-partition form for a partitioned table

  // The Iceberg table: identity on dt (field id 1000), each file in its partition's directory with
  // that partition's tuple.
  const std::string dir = lake::LakeTableDir(warehouse_, path_);
  auto lake = iceberg::IcebergTable::Open(dir);
  ASSERT_OK(lake);
  const auto* spec = lake->metadata().DefaultSpec();
  ASSERT_NE(spec, nullptr);
  ASSERT_EQ(spec->fields.size(), 1u);
  EXPECT_EQ(spec->fields[0].name, "dt");
  EXPECT_EQ(spec->fields[0].field_id, 1000);
  EXPECT_EQ(spec->fields[0].transform, "identity");
  auto files = lake->ListFiles();
  ASSERT_OK(files);
  size_t written = 0;  // one file per (partition, bucket) with rows
  for (const auto& [pb, end] : LogEnds()) written += end > 0;
  ASSERT_EQ(files->data.size(), written);
  for (const auto& e : files->data) {
    ASSERT_EQ(e.data_file.partition.size(), 1u);
    const std::string dt = *e.data_file.partition[0].get_if<std::string>();
    EXPECT_NE(e.data_file.file_path.find("/data/dt=" + dt + "/"), std::string::npos) << e.data_file.file_path;
  }
  // The recorded offsets name partition id, name, bucket and offset.
  auto summary = nlohmann::json::parse(lake->metadata().CurrentSnapshot()->summary.at(lake::kBucketOffsetsKey));
  ASSERT_TRUE(summary.is_array());
  ASSERT_EQ(summary.size(), 4u);  // every bucket of both partitions, also those without rows
  const auto ids = PartitionIds();
  for (const auto& e : summary) {
    EXPECT_EQ(ids.at(e["partition_name"].get<std::string>()), e["partition_id"].get<int64_t>());
  }

  // A new partition between rounds is picked up; then a dropped one leaves the offsets but not the lake.
  Append("2026-12-02", 500, 600);
  Append("2026-12-03", 600, 700);
  auto second = tiering.TierOnce(path_);
  ASSERT_OK(second);
  EXPECT_EQ(second->rows, 200);
  EXPECT_EQ(second->partition_offsets, LogEnds());
  ASSERT_OK(conn_->GetAdmin().DropPartition(path_, {{"dt", "2026-12-01"}}));
  Append("2026-12-03", 700, 750);
  auto third = tiering.TierOnce(path_);
  ASSERT_OK(third);
  EXPECT_EQ(third->rows, 50);
  EXPECT_EQ(third->partition_offsets, LogEnds());
  auto tiered = tiering.LakeTieredOffsets(path_);
  ASSERT_OK(tiered);
  EXPECT_EQ(tiered->offsets, LogEnds());
  EXPECT_FALSE(tiered->partition_names.count(ids.at("2026-12-01")));

  auto rows = LakeRows();
  EXPECT_EQ(rows["2026-12-01"], Ids(0, 300));  // dropped from Fluss, kept in the lake
  EXPECT_EQ(rows["2026-12-02"], Ids(300, 600));
  EXPECT_EQ(rows["2026-12-03"], Ids(600, 750));
  // Reading one partition opens only its files.
  auto one = LakeRows({"2026-12-02"});
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(one["2026-12-02"], Ids(300, 600));

  // Nothing new: no commit.
  auto fourth = tiering.TierOnce(path_);
  ASSERT_OK(fourth);
  EXPECT_FALSE(fourth->committed);
}

TEST_F(PartitionedTieringTest, UnionReadPerPartitionAndWholeReturnsEveryRowOnce) {
  CreateTable("id BIGINT NOT NULL, dt STRING NOT NULL, v STRING PARTITIONED BY (dt)");
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  Append("a", 0, 200);
  Append("b", 200, 300);
  ASSERT_OK(tiering.TierOnce(path_));
  Append("a", 300, 350);  // in the log only
  Append("c", 350, 400);  // a partition the lake has not seen
  auto read = [&](std::vector<std::string> partitions) {
    std::map<std::string, std::multiset<int64_t>> out;
    auto scanner = lake::LakeSnapshotScanner::Open(
        *conn_, path_, lake::LakeScanOptions{.warehouse = warehouse_, .partitions = std::move(partitions)});
    EXPECT_OK(scanner);
    if (!scanner.ok()) return out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!(*scanner)->done() && std::chrono::steady_clock::now() < deadline) {
      auto records = (*scanner)->Poll(std::chrono::milliseconds(500));
      EXPECT_OK(records);
      if (!records.ok()) break;
      for (const auto& r : *records) out[r.row.GetString(1)].insert(r.row.GetBigInt(0));
    }
    EXPECT_TRUE((*scanner)->done());
    return out;
  };
  auto all = read({});
  EXPECT_EQ(all["a"], [&] {
    auto ids = Ids(0, 200);
    for (int64_t i = 300; i < 350; ++i) ids.insert(i);
    return ids;
  }());
  EXPECT_EQ(all["b"], Ids(200, 300));
  EXPECT_EQ(all["c"], Ids(350, 400));
  auto only_c = read({"c"});
  EXPECT_EQ(only_c.size(), 1u);
  EXPECT_EQ(only_c["c"], Ids(350, 400));
  auto only_b = read({"b"});
  EXPECT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b["b"], Ids(200, 300));

  auto missing = lake::LakeSnapshotScanner::Open(*conn_, path_,
                                                 lake::LakeScanOptions{.warehouse = warehouse_, .partitions = {"zz"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kPartitionNotExists);
}

TEST_F(PartitionedTieringTest, APrimaryKeyPartitionedTableTiersWithEqualityDeletesPerPartition) {
  CreateTable("id BIGINT NOT NULL, dt STRING NOT NULL, v STRING, PRIMARY KEY (id, dt) PARTITIONED BY (dt)");
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto table = conn_->GetTable(path_).value();
  auto writer = table.NewUpsertWriter().value();
  // The same ids in two partitions: different keys.
  for (int64_t i = 0; i < 100; ++i) {
    for (const char* dt : {"x", "y"}) {
      ASSERT_OK(writer->Upsert(GenericRow({Datum(i), Datum(std::string(dt)), Datum("v1")})));
    }
  }
  ASSERT_OK(writer->Flush());
  ASSERT_OK(tiering.TierOnce(path_));
  // Updates in x, deletes in y: the deletes of y must not remove x's rows of the same ids.
  for (int64_t i = 0; i < 50; ++i) {
    ASSERT_OK(writer->Upsert(GenericRow({Datum(i), Datum(std::string("x")), Datum("v2")})));
    ASSERT_OK(writer->Delete(GenericRow({Datum(i), Datum(std::string("y")), Datum()})));
  }
  ASSERT_OK(writer->Flush());
  auto round = tiering.TierOnce(path_);
  ASSERT_OK(round);
  EXPECT_GT(round->delete_files, 0);

  auto lake = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, path_));
  ASSERT_OK(lake);
  auto files = lake->ListFiles();
  ASSERT_OK(files);
  for (const auto& e : files->deletes) {
    ASSERT_EQ(e.data_file.partition.size(), 1u);
    const std::string dt = *e.data_file.partition[0].get_if<std::string>();
    EXPECT_NE(e.data_file.file_path.find("/data/dt=" + dt + "/"), std::string::npos);
  }

  // The lake equals the lookups of every key in both partitions.
  std::map<std::pair<std::string, int64_t>, std::string> lake_rows;
  auto info = conn_->GetTable(path_).value().info();
  ASSERT_OK(lake::ReadLakeSnapshot(warehouse_, info, {}, [&](ScanRecord&& r) {
    EXPECT_TRUE(lake_rows.emplace(std::make_pair(r.row.GetString(1), r.row.GetBigInt(0)), r.row.GetString(2)).second);
    return true;
  }));
  auto lookuper = table.NewLookuper().value();
  std::map<std::pair<std::string, int64_t>, std::string> expected;
  for (int64_t i = 0; i < 100; ++i) {
    for (const char* dt : {"x", "y"}) {
      auto found = lookuper->Lookup(GenericRow({Datum(i), Datum(std::string(dt))}));
      ASSERT_OK(found);
      if (*found) expected[{dt, i}] = (*found)->GetString(2);
    }
  }
  EXPECT_EQ(expected.size(), 150u);
  EXPECT_EQ(lake_rows, expected);
}

}  // namespace
}  // namespace fluss
