// The tiering service inside a real fluss-server process: rows appended to a lake-enabled log table
// show up in its Iceberg table within the table's freshness, each once, while writes go on; and a
// kill -9 of the server mid-tiering leaves the lake a consistent prefix of the log. Log retention
// of a lake-enabled table waits for the lake (tiering run outside the server).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_reader.h"
#include "lake/tiering/lake_snapshot_reader.h"
#include "lake/tiering/lake_tiering.h"
#include "support/server_process.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

using testing::ServerProcess;
using namespace std::chrono_literals;

class LakeTieringIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    warehouse_ = (std::filesystem::temp_directory_path() / ("fluss-lake-it-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(warehouse_);
    testing::ServerProcessOptions o;
    o.sets = {"datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse_};
    o.sets.insert(o.sets.end(), extra_sets_.begin(), extra_sets_.end());
    auto server = ServerProcess::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 5ms;
    c.writer_batch_size = writer_batch_size_;
    conn_ = Connection::Create(c).value();
    Admin admin = conn_->GetAdmin();
    ASSERT_TRUE(admin.CreateDatabase("it", true).ok());
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, payload STRING").value());
    d.DistributedBy(3);
    d.Property("table.datalake.enabled", "true");
    d.Property("table.datalake.freshness", "1s");
    ASSERT_TRUE(admin.CreateTable(path_, d).ok());
  }

  void TearDown() override {
    conn_.reset();
    if (HasFailure() && server_) std::cerr << "---- server log ----\n" << server_->ReadLog() << "\n";
    server_.reset();
    std::filesystem::remove_all(warehouse_);
  }

  // (bucket, offset) -> id of every row in the lake's current snapshot; duplicates fail the test.
  std::map<std::pair<int32_t, int64_t>, int64_t> ReadLake() {
    std::map<std::pair<int32_t, int64_t>, int64_t> out;
    auto table = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, path_));
    if (!table.ok()) return out;
    auto entries = table->ListDataFiles();
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    if (!entries.ok()) return out;
    for (const auto& e : *entries) {
      auto reader = parquet::ParquetReader::OpenFile(iceberg::IcebergTable::LocalPath(e.data_file.file_path).value());
      EXPECT_TRUE(reader.ok()) << reader.status().ToString();
      if (!reader.ok()) continue;
      auto rows = (*reader)->ReadAll();
      EXPECT_TRUE(rows.ok()) << rows.status().ToString();
      if (!rows.ok()) continue;
      for (const auto& row : *rows) {
        EXPECT_TRUE(out.emplace(std::make_pair(row.GetInt(2), row.GetBigInt(3)), row.GetBigInt(0)).second)
            << "bucket " << row.GetInt(2) << " offset " << row.GetBigInt(3) << " twice in the lake";
      }
    }
    return out;
  }

  // Waits until the lake's recorded offsets reach `target` in every bucket.
  bool WaitForLake(const std::map<int32_t, int64_t>& target, std::chrono::seconds timeout) {
    lake::LakeTiering reader(conn_, lake::TieringOptions{.warehouse = warehouse_});
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto offsets = reader.LakeOffsets(path_, 3);
      if (offsets.ok()) {
        bool done = true;
        for (const auto& [b, end] : target) done &= offsets->first.at(b) >= end;
        if (done) return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::vector<std::string> extra_sets_;  // more server options (set before SetUp)
  int32_t writer_batch_size_ = 32 << 10;
  std::string warehouse_;
  TablePath path_ = TablePath::Make("it", "events").value();
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(LakeTieringIntegrationTest, AppendedRowsReachTheLakeOnceWhileWritesGoOn) {
  auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{0};
  std::thread producer([&] {
    while (!stop.load()) {
      const int64_t i = next++;
      ASSERT_TRUE(writer->Append(GenericRow({Datum(i), Datum("p" + std::to_string(i))})).ok());
      if (i % 500 == 499) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(writer->Flush().ok());
  });
  std::this_thread::sleep_for(2500ms);
  stop = true;
  producer.join();
  auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  ASSERT_TRUE(WaitForLake(latest, 30s)) << "the lake did not reach the log end within 30 s";
  auto rows = ReadLake();
  // Every offset below the recorded ones, once; every id written, once.
  lake::LakeTiering reader(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto recorded = reader.LakeOffsets(path_, 3).value().first;
  size_t expected = 0;
  for (const auto& [b, end] : recorded) {
    expected += static_cast<size_t>(end);
    for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({b, o})) << "bucket " << b << " offset " << o;
  }
  EXPECT_EQ(rows.size(), expected);
  std::set<int64_t> ids;
  for (const auto& [k, id] : rows) ids.insert(id);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), next.load());
  std::cerr << "lake: " << rows.size() << " rows tiered\n";
}

TEST_F(LakeTieringIntegrationTest, KillDashNineDuringTieringLeavesAConsistentLake) {
  int64_t written = 0;
  for (int round = 0; round < 5; ++round) {
    {
      auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
      for (int i = 0; i < 4000; ++i, ++written) {
        ASSERT_TRUE(writer->Append(GenericRow({Datum(written), Datum("p" + std::to_string(written))})).ok());
      }
      ASSERT_TRUE(writer->Flush().ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 170 * round));
    ASSERT_TRUE(server_->Kill().ok());
    // Whatever the lake holds now is a prefix of the log, each row once.
    auto rows = ReadLake();
    ASSERT_TRUE(server_->Restart().ok()) << server_->ReadLog();
    conn_ = Connection::Create(conn_->config()).value();
    lake::LakeTiering live(conn_, lake::TieringOptions{.warehouse = warehouse_});
    auto recorded = live.LakeOffsets(path_, 3).value().first;
    size_t expected = 0;
    for (const auto& [b, end] : recorded) {
      expected += static_cast<size_t>(end);
      for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({b, o})) << "round " << round << " bucket " << b;
    }
    ASSERT_EQ(rows.size(), expected) << "round " << round;
  }
  auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  ASSERT_TRUE(WaitForLake(latest, 30s));
  EXPECT_EQ(ReadLake().size(), static_cast<size_t>(written));
}

TEST_F(LakeTieringIntegrationTest, UnionReadHasEveryRowOnceWhileTieringAndWritesGoOn) {
  auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{0};
  std::thread producer([&] {
    while (!stop.load()) {
      const int64_t i = next++;
      ASSERT_TRUE(writer->Append(GenericRow({Datum(i), Datum("p" + std::to_string(i))})).ok());
      if (i % 200 == 199) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(writer->Flush().ok());
  });
  std::this_thread::sleep_for(2500ms);  // a few tiering rounds have committed by now
  // The union, as fluss scan --union does it: the log end first, then the lake, then the log from
  // the lake's offsets up to that end.
  const auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  const TableInfo info = conn_->GetTable(path_).value().info();
  std::map<std::pair<int32_t, int64_t>, int64_t> seen;
  int64_t duplicates = 0;
  auto add = [&](const ScanRecord& r) {
    if (!seen.emplace(std::make_pair(r.bucket, r.offset), r.row.GetBigInt(0)).second) ++duplicates;
  };
  auto lake = lake::ReadLakeSnapshot(warehouse_, info, {}, [&](ScanRecord&& r) {
    add(r);
    return true;
  });
  ASSERT_TRUE(lake.ok()) << lake.status().ToString();
  EXPECT_GT(lake->rows, 0) << "nothing was tiered within 2.5 s (freshness 1 s)";
  auto scanner = conn_->GetTable(path_).value().NewLogScanner().value();
  std::map<int32_t, int64_t> end;
  for (const auto& [b, e] : latest) {
    end[b] = std::max(e, lake->offsets[b]);
    if (lake->offsets[b] < end[b]) ASSERT_TRUE(scanner->Subscribe(b, lake->offsets[b]).ok());
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool done = true;
    auto pos = scanner->positions();
    for (const auto& [b, e] : end) done &= lake->offsets[b] >= e || (pos.count(b) && pos[b] >= e);
    if (done) break;
    auto records = scanner->Poll(200ms);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    for (const auto& r : *records) {
      if (r.offset < end[r.bucket]) add(r);
    }
  }
  stop = true;
  producer.join();
  EXPECT_EQ(duplicates, 0);
  size_t expected = 0;
  for (const auto& [b, e] : end) {
    expected += static_cast<size_t>(e);
    for (int64_t o = 0; o < e; ++o) {
      ASSERT_TRUE(seen.count({b, o})) << "bucket " << b << " offset " << o << " missing; lake holds up to "
                                      << lake->offsets[b] << ", log end at the start " << latest.at(b)
                                      << ", scanner position " << scanner->positions()[b];
    }
  }
  EXPECT_EQ(seen.size(), expected);
  std::cerr << "union read: " << lake->rows << " rows from the lake + " << seen.size() - lake->rows
            << " from the log\n";
}

// No tiering inside the server; tiny segments, a 2 s table.log.ttl checked every 200 ms.
class LakeRetentionIntegrationTest : public LakeTieringIntegrationTest {
 protected:
  LakeRetentionIntegrationTest() {
    extra_sets_ = {"datalake.tiering.embedded=false", "log.segment.file-size=4kb", "log.index.file-size=4kb",
                   "table.log.ttl=2s", "log.retention.check-interval=200ms"};
    writer_batch_size_ = 1 << 10;
  }

  std::map<int32_t, int64_t> Earliest() {
    auto offsets = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Earliest());
    EXPECT_TRUE(offsets.ok()) << offsets.status().ToString();
    return offsets.ok() ? *offsets : std::map<int32_t, int64_t>{};
  }

  int64_t written_ = 0;
  void Write(int rows) {
    auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
    for (int i = 0; i < rows; ++i, ++written_) {
      ASSERT_TRUE(writer->Append(GenericRow({Datum(written_), Datum("p" + std::to_string(written_))})).ok());
    }
    ASSERT_TRUE(writer->Flush().ok());
  }
};

TEST_F(LakeRetentionIntegrationTest, TtlDeletesOnlyWhatTheLakeHoldsAndTheUnionStaysWhole) {
  const auto started = std::chrono::steady_clock::now();
  Write(3000);
  // Well past the ttl (~15 retention passes): nothing is in the lake, so nothing goes.
  std::this_thread::sleep_for(3s);
  for (const auto& [b, start] : Earliest()) EXPECT_EQ(start, 0) << "bucket " << b << " lost untiered rows";

  // One tiering round, as fluss-tiering would run it.
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto round = tiering.TierOnce(path_);
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  ASSERT_TRUE(round->committed);
  const std::map<int32_t, int64_t> tiered = round->offsets;
  Write(3000);  // rows the lake does not hold, in segments that pass the ttl below

  // Retention now deletes what the lake holds — never past it.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::map<int32_t, int64_t> start;
  while (std::chrono::steady_clock::now() < deadline) {
    start = Earliest();
    bool all_moved = !start.empty();
    for (const auto& [b, s] : start) {
      ASSERT_LE(s, tiered.at(b)) << "bucket " << b << ": retention passed the lake's offset";
      all_moved &= s > 0;
    }
    if (all_moved) break;
    std::this_thread::sleep_for(100ms);
  }
  for (const auto& [b, s] : start) EXPECT_GT(s, 0) << "bucket " << b << ": nothing tiered was deleted";
  // The second batch of rows is past the ttl too now, and still there.
  std::this_thread::sleep_for(2500ms);
  start = Earliest();
  for (const auto& [b, s] : start) EXPECT_LE(s, tiered.at(b)) << "bucket " << b;

  // The union (lake snapshot, then each bucket's log from its offsets) has every row once.
  const auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  const TableInfo info = conn_->GetTable(path_).value().info();
  std::map<int64_t, int> seen;  // id -> times
  auto lake = lake::ReadLakeSnapshot(warehouse_, info, {}, [&](ScanRecord&& r) {
    ++seen[r.row.GetBigInt(0)];
    return true;
  });
  ASSERT_TRUE(lake.ok()) << lake.status().ToString();
  EXPECT_EQ(lake->offsets, tiered);
  auto scanner = conn_->GetTable(path_).value().NewLogScanner().value();
  for (const auto& [b, from] : lake->offsets) {
    if (from < latest.at(b)) ASSERT_TRUE(scanner->Subscribe(b, from).ok());
  }
  const auto read_deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < read_deadline) {
    bool done = true;
    auto pos = scanner->positions();
    for (const auto& [b, e] : latest) done &= lake->offsets[b] >= e || (pos.count(b) && pos[b] >= e);
    if (done) break;
    auto records = scanner->Poll(200ms);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    for (const auto& r : *records) {
      if (r.offset < latest.at(r.bucket)) ++seen[r.row.GetBigInt(0)];
    }
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), written_);
  for (const auto& [id, n] : seen) ASSERT_EQ(n, 1) << "id " << id;
  int64_t deleted = 0;
  for (const auto& [b, s] : start) deleted += s;
  std::cerr << "retention: " << deleted << " of " << lake->rows << " tiered offsets deleted from the log; union read "
            << seen.size() << " rows in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";
}

}  // namespace
}  // namespace fluss
