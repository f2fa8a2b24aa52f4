// Tiering rounds against an in-process server: the lake, read back through its Iceberg metadata and
// Parquet files, holds every row of the log up to the recorded offsets, each once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_reader.h"
#include "lake/tiering/lake_tiering.h"
#include "server/fluss_server.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;

class LakeTieringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    warehouse_ = dir_.Sub("warehouse");
    auto config = ServerConfig::Load("", {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + dir_.Sub("data"),
                                          "datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse_});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    server_ = FlussServer::Start(*config).value();
    Configuration c;
    c.bootstrap_servers = "127.0.0.1:" + std::to_string(server_->port());
    c.writer_batch_timeout = std::chrono::milliseconds(5);
    c.writer_batch_size = 16 << 10;  // many batches, spread round-robin over the buckets
    conn_ = Connection::Create(c).value();
    Admin admin = conn_->GetAdmin();
    ASSERT_TRUE(admin.CreateDatabase("db", true).ok());
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, name STRING").value());
    d.DistributedBy(3);
    d.Property("table.datalake.enabled", "true");
    ASSERT_TRUE(admin.CreateTable(path_, d).ok());
  }

  void TearDown() override {
    conn_.reset();
    if (server_) ASSERT_TRUE(server_->Stop().ok());
  }

  void Append(int64_t from, int64_t to) {
    auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
    for (int64_t i = from; i < to; ++i) {
      ASSERT_TRUE(writer->Append(GenericRow({Datum(i), Datum("name-" + std::to_string(i))})).ok());
    }
    ASSERT_TRUE(writer->Flush().ok());
  }

  // Every lake row as (bucket, offset) -> id, read through the current snapshot's data files.
  std::map<std::pair<int32_t, int64_t>, int64_t> ReadLake() {
    std::map<std::pair<int32_t, int64_t>, int64_t> out;
    auto table = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, path_));
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    if (!table.ok()) return out;
    auto entries = table->ListDataFiles();
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    if (!entries.ok()) return out;
    for (const auto& entry : *entries) {
      auto local_path = iceberg::IcebergTable::LocalPath(entry.data_file.file_path);
      EXPECT_TRUE(local_path.ok()) << local_path.status().ToString();
      if (!local_path.ok()) continue;
      const std::string local = *local_path;
      auto reader = parquet::ParquetReader::OpenFile(local);
      EXPECT_TRUE(reader.ok()) << reader.status().ToString();
      if (!reader.ok()) continue;
      EXPECT_EQ((*reader)->num_rows(), entry.data_file.record_count);
      auto all = (*reader)->ReadAll();
      EXPECT_TRUE(all.ok()) << all.status().ToString();
      if (!all.ok()) continue;
      if (!all->empty()) {
        for (size_t c = 0; c < all->front().arity(); ++c) {
          EXPECT_EQ(all->front().field(c).index(), std::vector<size_t>({5, 8, 4, 5, 10})[c]) << "column " << c;
        }
      }
      for (const auto& row : *all) {
        EXPECT_EQ(row.GetString(1), "name-" + std::to_string(row.GetBigInt(0)));
        const bool fresh = out.emplace(std::make_pair(row.GetInt(2), row.GetBigInt(3)), row.GetBigInt(0)).second;
        EXPECT_TRUE(fresh) << "bucket " << row.GetInt(2) << " offset " << row.GetBigInt(3) << " is in the lake twice";
      }
    }
    return out;
  }

  testing::TempDir dir_;
  std::string warehouse_;
  TablePath path_ = TablePath::Make("db", "events").value();
  std::unique_ptr<FlussServer> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(LakeTieringTest, RoundsTierEveryRowOnceUpToTheRecordedOffsets) {
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  Append(0, 10000);
  auto first = tiering.TierOnce(path_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->committed);
  EXPECT_EQ(first->rows, 10000);
  EXPECT_EQ(first->files, 3);
  auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  EXPECT_EQ(first->offsets, latest);

  Append(10000, 15000);
  auto second = tiering.TierOnce(path_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->rows, 5000);
  latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();

  // The lake: every offset below the recorded ones, once, and every id.
  auto rows = ReadLake();
  ASSERT_EQ(rows.size(), 15000u);
  std::set<int64_t> ids;
  for (const auto& [where, id] : rows) ids.insert(id);
  EXPECT_EQ(ids.size(), 15000u);
  auto recorded_or = tiering.LakeOffsets(path_, 3);
  ASSERT_TRUE(recorded_or.ok()) << recorded_or.status().ToString();
  auto recorded = *recorded_or;
  EXPECT_EQ(recorded.first, latest);
  EXPECT_EQ(recorded.second, second->snapshot_id);
  for (const auto& [bucket, end] : recorded.first) {
    for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({bucket, o})) << "bucket " << bucket << " offset " << o;
  }

  // Nothing new: no commit.
  auto third = tiering.TierOnce(path_);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->committed);
  EXPECT_EQ(tiering.LakeOffsets(path_, 3).value().second, second->snapshot_id);
}

TEST_F(LakeTieringTest, AStaleRoundLosesTheCommitAndLeavesNoFiles) {
  Append(0, 1000);
  lake::LakeTiering a(conn_, lake::TieringOptions{.warehouse = warehouse_});
  ASSERT_TRUE(a.TierOnce(path_).ok());
  // A second service with the lake opened at the same version commits first...
  auto lake_dir = lake::LakeTableDir(warehouse_, path_);
  auto stale = iceberg::IcebergTable::Open(lake_dir).value();
  Append(1000, 2000);
  ASSERT_TRUE(a.TierOnce(path_).ok());
  // ...so an append based on the older version fails.
  auto late = stale.Append({}, {{lake::kBucketOffsetsKey, "{}"}});
  EXPECT_EQ(late.status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_EQ(ReadLake().size(), 2000u);
}

TEST_F(LakeTieringTest, OldUnreferencedFilesOfInterruptedRoundsAreRemoved) {
  Append(0, 100);
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_, .orphan_min_age = std::chrono::seconds(0)});
  ASSERT_TRUE(tiering.TierOnce(path_).ok());
  const std::string stray = lake::LakeTableDir(warehouse_, path_) + "/data/00000-crashed-round.parquet";
  { std::ofstream(stray) << "half a file"; }
  Append(100, 200);
  auto round = tiering.TierOnce(path_);
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(round->orphans_removed, 1);
  EXPECT_FALSE(fs::exists(stray));
  EXPECT_EQ(ReadLake().size(), 200u);
}

TEST_F(LakeTieringTest, PrimaryKeyTablesAreRefusedForNow) {
  Admin admin = conn_->GetAdmin();
  TableDescriptor d(ParseSchema("id BIGINT NOT NULL, v STRING, PRIMARY KEY (id)").value());
  d.DistributedBy(1);
  d.Property("table.datalake.enabled", "true");
  auto pk = TablePath::Make("db", "pk").value();
  ASSERT_TRUE(admin.CreateTable(pk, d).ok());
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto round = tiering.TierOnce(pk);
  ASSERT_FALSE(round.ok());
  EXPECT_NE(round.status().message().find("primary key"), std::string::npos) << round.status().ToString();
}

}  // namespace
}  // namespace fluss
