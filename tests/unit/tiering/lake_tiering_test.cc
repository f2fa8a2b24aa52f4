// Tiering rounds against an in-process server: the lake, read back through its Iceberg metadata and
// Parquet files, holds every row of the log up to the recorded offsets, each once; for primary-key
// tables (equality deletes) the lake equals the lookups and the replayed changelog after each round,
// and union reads (LakeSnapshotScanner) end at the table's state.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "fluss/client.h"
#include "fs/fault_injection_file_system.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_reader.h"
#include "lake/tiering/lake_snapshot_reader.h"
#include "lake/tiering/lake_snapshot_scanner.h"
#include "lake/tiering/lake_tiering.h"
#include "server/fluss_server.h"
#include "support/eventually.h"
#include "support/in_process_server.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;

class LakeTieringTest : public testing::InProcessServerTest {
 protected:
  std::string data_dir() const override { return dir_.Sub("data"); }
  std::vector<std::string> ServerOptions() const override {
    return {"datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse_};
  }

  void SetUp() override {
    InProcessServerTest::SetUp();
    if (HasFatalFailure()) return;
    Admin admin = conn_->GetAdmin();
    ASSERT_OK(admin.CreateDatabase("db", true));
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, name STRING").value());
    d.DistributedBy(3);
    d.Property("table.datalake.enabled", "true");
    ASSERT_OK(admin.CreateTable(path_, d));
  }

  void Append(int64_t from, int64_t to) {
    auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
    for (int64_t i = from; i < to; ++i) {
      ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum("name-" + std::to_string(i))})));
    }
    ASSERT_OK(writer->Flush());
  }

  // Every lake row as (bucket, offset) -> id, read through the current snapshot's data files.
  std::map<std::pair<int32_t, int64_t>, int64_t> ReadLake() {
    std::map<std::pair<int32_t, int64_t>, int64_t> out;
    auto table = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, path_));
    EXPECT_OK(table);
    if (!table.ok()) return out;
    auto entries = table->ListDataFiles();
    EXPECT_OK(entries);
    if (!entries.ok()) return out;
    for (const auto& entry : *entries) {
      auto local_path = iceberg::IcebergTable::LocalPath(entry.data_file.file_path);
      EXPECT_OK(local_path);
      if (!local_path.ok()) continue;
      const std::string local = *local_path;
      auto reader = parquet::ParquetReader::OpenFile(local);
      EXPECT_OK(reader);
      if (!reader.ok()) continue;
      EXPECT_EQ((*reader)->num_rows(), entry.data_file.record_count);
      auto all = (*reader)->ReadAll();
      EXPECT_OK(all);
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

  std::string warehouse_ = dir_.Sub("warehouse");
  TablePath path_ = TablePath::Make("db", "events").value();
};

TEST_F(LakeTieringTest, RoundsTierEveryRowOnceUpToTheRecordedOffsets) {
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  Append(0, 10000);
  auto first = tiering.TierOnce(path_);
  ASSERT_OK(first);
  EXPECT_TRUE(first->committed);
  EXPECT_EQ(first->rows, 10000);
  EXPECT_EQ(first->files, 3);
  auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  EXPECT_EQ(first->offsets, latest);

  Append(10000, 15000);
  auto second = tiering.TierOnce(path_);
  ASSERT_OK(second);
  EXPECT_EQ(second->rows, 5000);
  latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();

  // The lake: every offset below the recorded ones, once, and every id.
  auto rows = ReadLake();
  ASSERT_EQ(rows.size(), 15000u);
  std::set<int64_t> ids;
  for (const auto& [where, id] : rows) ids.insert(id);
  EXPECT_EQ(ids.size(), 15000u);
  auto recorded_or = tiering.LakeOffsets(path_, 3);
  ASSERT_OK(recorded_or);
  auto recorded = *recorded_or;
  EXPECT_EQ(recorded.first, latest);
  EXPECT_EQ(recorded.second, second->snapshot_id);
  for (const auto& [bucket, end] : recorded.first) {
    for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({bucket, o})) << "bucket " << bucket << " offset " << o;
  }

  // Nothing new: no commit.
  auto third = tiering.TierOnce(path_);
  ASSERT_OK(third);
  EXPECT_FALSE(third->committed);
  EXPECT_EQ(tiering.LakeOffsets(path_, 3).value().second, second->snapshot_id);
}

TEST_F(LakeTieringTest, RoundsCappedInsideLogBatchesTierEveryRowOnce) {
  // 777 rows per round: round ends fall inside the log batches (each holds many rows).
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_, .max_rows_per_round = 777});
  Append(0, 5000);
  int rounds = 0;
  int64_t tiered = 0;
  while (true) {
    auto round = tiering.TierOnce(path_);
    ASSERT_OK(round);
    if (!round->committed) break;
    EXPECT_LE(round->rows, 777);
    tiered += round->rows;
    ++rounds;
  }
  EXPECT_EQ(tiered, 5000);
  EXPECT_EQ(rounds, 7);  // ceil(5000 / 777)
  auto rows = ReadLake();
  ASSERT_EQ(rows.size(), 5000u);
  const auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  for (const auto& [bucket, end] : latest) {
    for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({bucket, o})) << "bucket " << bucket << " offset " << o;
  }
  std::set<int64_t> ids;
  for (const auto& [where, id] : rows) ids.insert(id);
  EXPECT_EQ(ids.size(), 5000u);
}

// A power cut at every write, fsync, rename and link of a tiering round (FaultInjectionFileSystem:
// that step and all after it fail, then everything not made durable is undone on disk). After each,
// the lake read with the real file system must be whole: every snapshot's files readable, the
// current snapshot's data exactly each bucket's log below the recorded offsets, once; the offsets
// never past the log; and the next round (real file system) tiers the rest.
TEST_F(LakeTieringTest, APowerCutAtEveryStepOfARoundLeavesAWholeLakeThatCatchesUp) {
  Append(0, 300);
  lake::LakeTiering first(conn_, lake::TieringOptions{.warehouse = warehouse_});
  ASSERT_OK(first.TierOnce(path_));
  Append(300, 600);
  const auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  const std::string lake_dir = lake::LakeTableDir(warehouse_, path_);
  const std::string saved = dir_.Sub("saved-lake");
  fs::copy(lake_dir, saved, fs::copy_options::recursive);
  auto restore = [&] {
    fs::remove_all(lake_dir);
    fs::copy(saved, lake_dir, fs::copy_options::recursive);
  };

  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting;
    lake::LakeTiering round(conn_, lake::TieringOptions{.warehouse = warehouse_, .file_system = &counting});
    auto r = round.TierOnce(path_);
    ASSERT_TRUE(r.ok() && r->committed) << r.status().ToString();
    steps = counting.operations();
  }
  ASSERT_GT(steps, 20);  // 3 data files, 1 manifest, 1 manifest list, 1 metadata version, the hint
  int committed = 0;
  for (int64_t k = 1; k <= steps; ++k) {
    SCOPED_TRACE(fmt::format("power cut at step {} of {}", k, steps));
    restore();
    FaultInjectionFileSystem faulty;
    faulty.FailFrom(k);
    {
      lake::LakeTiering round(conn_, lake::TieringOptions{.warehouse = warehouse_, .file_system = &faulty});
      auto r = round.TierOnce(path_);
      if (r.ok() && r->committed) ++committed;
    }
    ASSERT_OK(faulty.PowerCut());

    auto table = iceberg::IcebergTable::Open(lake_dir);
    ASSERT_OK(table);
    for (const auto& snap : table->metadata().snapshots) {
      auto files = table->ListFiles(snap.snapshot_id);
      ASSERT_TRUE(files.ok()) << "snapshot " << snap.snapshot_id << ": " << files.status().ToString();
    }
    lake::LakeTiering after(conn_, lake::TieringOptions{.warehouse = warehouse_});
    auto offsets = after.LakeOffsets(path_, 3).value().first;
    auto rows = ReadLake();
    size_t expected_rows = 0;
    for (const auto& [bucket, end] : offsets) {
      ASSERT_LE(end, latest.at(bucket)) << "the lake's offsets pass the log";
      expected_rows += static_cast<size_t>(end);
      for (int64_t o = 0; o < end; ++o) {
        ASSERT_TRUE(rows.count({bucket, o})) << "bucket " << bucket << " offset " << o << " is below the recorded "
                                             << "offset but not in the lake";
      }
    }
    ASSERT_EQ(rows.size(), expected_rows) << "the lake holds rows past its recorded offsets";
    // Recovery: the next round brings the lake to the log end.
    auto next = after.TierOnce(path_);
    ASSERT_OK(next);
    EXPECT_EQ(after.LakeOffsets(path_, 3).value().first, latest);
    EXPECT_EQ(ReadLake().size(), 600u);
  }
  // The last step is the version hint, which a commit does not wait for: only then is a round done.
  EXPECT_GE(committed, 1);
}

TEST_F(LakeTieringTest, AStaleRoundLosesTheCommitAndLeavesNoFiles) {
  Append(0, 1000);
  lake::LakeTiering a(conn_, lake::TieringOptions{.warehouse = warehouse_});
  ASSERT_OK(a.TierOnce(path_));
  // A second service with the lake opened at the same version commits first...
  auto lake_dir = lake::LakeTableDir(warehouse_, path_);
  auto stale = iceberg::IcebergTable::Open(lake_dir).value();
  Append(1000, 2000);
  ASSERT_OK(a.TierOnce(path_));
  // ...so an append based on the older version fails.
  auto late = stale.Append({}, {{lake::kBucketOffsetsKey, "{}"}});
  EXPECT_EQ(late.status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_EQ(ReadLake().size(), 2000u);
}

TEST_F(LakeTieringTest, OldUnreferencedFilesOfInterruptedRoundsAreRemoved) {
  Append(0, 100);
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_, .orphan_min_age = std::chrono::seconds(0)});
  ASSERT_OK(tiering.TierOnce(path_));
  const std::string stray = lake::LakeTableDir(warehouse_, path_) + "/data/00000-crashed-round.parquet";
  { std::ofstream(stray) << "half a file"; }
  Append(100, 200);
  auto round = tiering.TierOnce(path_);
  ASSERT_OK(round);
  EXPECT_EQ(round->orphans_removed, 1);
  EXPECT_FALSE(fs::exists(stray));
  EXPECT_EQ(ReadLake().size(), 200u);
}

// ---- Primary-key tables: changelog collapsed per key, equality deletes, union reads ----

// Rows by primary key (id BIGINT, the first column).
using KeyedRows = std::map<int64_t, GenericRow>;

class LakePkTest : public LakeTieringTest {
 protected:
  TablePath pk_ = TablePath::Make("db", "users").value();

  void CreatePk(const TablePath& path, std::map<std::string, std::string> props = {}, int buckets = 3) {
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, name STRING, qty INT, PRIMARY KEY (id)").value());
    d.DistributedBy(buckets);
    d.Property("table.datalake.enabled", "true");
    for (const auto& [k, v] : props) d.Property(k, v);
    ASSERT_OK(conn_->GetAdmin().CreateTable(path, d));
  }

  static GenericRow Row(int64_t id, const std::string& name, int32_t qty) {
    return GenericRow({Datum(id), Datum(name), Datum(qty)});
  }

  // The table's rows of `ids`, by lookups.
  KeyedRows Lookups(const TablePath& path, int64_t max_id) {
    KeyedRows out;
    auto lookuper = conn_->GetTable(path).value().NewLookuper().value();
    std::vector<GenericRow> keys;
    for (int64_t id = 0; id < max_id; ++id) keys.push_back(GenericRow({Datum(id)}));
    auto rows = lookuper->LookupMany(keys);
    EXPECT_OK(rows);
    if (!rows.ok()) return out;
    for (const auto& r : *rows) {
      if (r) out.emplace(r->GetBigInt(0), *r);
    }
    return out;
  }

  // The lake's rows (ReadLakeSnapshot: data files minus equality deletes), each key once.
  KeyedRows Lake(const TablePath& path, lake::LakeSnapshotInfo* info = nullptr) {
    KeyedRows out;
    auto table = conn_->GetTable(path).value();
    auto read = lake::ReadLakeSnapshot(warehouse_, table.info(), {}, [&](ScanRecord&& r) {
      EXPECT_EQ(r.change_type, ChangeType::kInsert);
      const bool fresh = out.emplace(r.row.GetBigInt(0), r.row).second;
      EXPECT_TRUE(fresh) << "key " << r.row.GetBigInt(0) << " is in the lake twice";
      return true;
    });
    EXPECT_OK(read);
    if (read.ok() && info) *info = *read;
    return out;
  }

  // Applies one change to `state`, checking it fits (no +I over a live key, no -U/-D of an absent
  // one): a record served twice or lost shows up here.
  static void Apply(KeyedRows& state, const ScanRecord& r, bool strict) {
    const int64_t id = r.row.GetBigInt(0);
    switch (r.change_type) {
      case ChangeType::kInsert:
        if (strict) { EXPECT_FALSE(state.count(id)) << "+I of live key " << id; }
        state[id] = r.row;
        break;
      case ChangeType::kUpdateAfter:
        state[id] = r.row;
        break;
      case ChangeType::kUpdateBefore:
      case ChangeType::kDelete:
        if (strict) { EXPECT_TRUE(state.count(id)) << "removal of absent key " << id; }
        state.erase(id);
        break;
      default:
        ADD_FAILURE() << "change type " << static_cast<int>(r.change_type);
    }
  }

  // The changelog replayed from offset 0 up to `to` per bucket.
  KeyedRows Replay(const TablePath& path, const std::map<int32_t, int64_t>& to) {
    KeyedRows state;
    auto scanner = conn_->GetTable(path).value().NewLogScanner().value();
    std::set<int32_t> open;
    for (const auto& [b, end] : to) {
      if (end > 0) {
        EXPECT_OK(scanner->Subscribe(b, 0));
        open.insert(b);
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!open.empty() && std::chrono::steady_clock::now() < deadline) {
      auto records = scanner->Poll(std::chrono::milliseconds(200));
      EXPECT_OK(records);
      if (!records.ok()) break;
      for (const auto& r : *records) {
        if (r.offset < to.at(r.bucket)) Apply(state, r, true);
      }
      for (const auto& [b, p] : scanner->positions()) {
        if (p >= to.at(b)) open.erase(b);
      }
    }
    EXPECT_TRUE(open.empty()) << "the changelog did not reach the recorded offsets";
    return state;
  }

  // A round, then: lake == lookups == replay of the changelog up to the recorded offsets.
  lake::TieringRound RoundAndCheck(lake::LakeTiering& tiering, const TablePath& path, int64_t max_id) {
    auto round = tiering.TierOnce(path);
    EXPECT_OK(round);
    if (!round.ok()) return {};
    EXPECT_TRUE(round->committed);
    EXPECT_EQ(round->orphans_removed, 0) << "a live (delete) file was taken for an orphan";
    lake::LakeSnapshotInfo info;
    KeyedRows lake = Lake(path, &info);
    EXPECT_EQ(info.snapshot_id, round->snapshot_id);
    EXPECT_EQ(info.offsets, round->offsets);
    EXPECT_EQ(round->offsets, conn_->GetAdmin().ListOffsets(path, OffsetSpec::Latest()).value());
    KeyedRows lookups = Lookups(path, max_id);
    EXPECT_EQ(lake.size(), lookups.size());
    EXPECT_TRUE(lake == lookups) << "the lake differs from the lookups";
    EXPECT_TRUE(Replay(path, round->offsets) == lake) << "the lake differs from the replayed changelog";
    return *round;
  }
};

TEST_F(LakePkTest, RoundsOfUpsertsUpdatesDeletesAndPartialUpdatesKeepTheLakeEqualToLookups) {
  CreatePk(pk_);
  // (No minimum age for orphans: every round checks that no live data or delete file is taken for one.)
  lake::LakeTiering tiering(conn_,
                            lake::TieringOptions{.warehouse = warehouse_, .orphan_min_age = std::chrono::seconds(0)});
  auto table = conn_->GetTable(pk_).value();
  auto w = table.NewUpsertWriter().value();
  auto partial = table.NewUpsertWriter({.columns = {"id", "qty"}}).value();

  // Round 1: inserts only: data files, no deletes.
  for (int64_t i = 0; i < 1000; ++i) ASSERT_OK(w->Upsert(Row(i, "a" + std::to_string(i), 1)));
  ASSERT_OK(w->Flush());
  auto r1 = RoundAndCheck(tiering, pk_, 3000);
  EXPECT_EQ(r1.delete_files, 0);
  EXPECT_EQ(r1.rows, 1000);
  EXPECT_EQ(Lake(pk_).size(), 1000u);

  // Round 2: updates, deletes, new keys.
  for (int64_t i = 0; i < 300; ++i) ASSERT_OK(w->Upsert(Row(i, "b" + std::to_string(i), 2)));
  for (int64_t i = 300; i < 500; ++i) ASSERT_OK(w->Delete(Row(i, "", 0)));
  for (int64_t i = 1000; i < 1200; ++i) ASSERT_OK(w->Upsert(Row(i, "c" + std::to_string(i), 3)));
  ASSERT_OK(w->Flush());
  auto r2 = RoundAndCheck(tiering, pk_, 3000);
  EXPECT_GT(r2.delete_files, 0);
  EXPECT_EQ(r2.deleted_keys, 500);  // 300 updated + 200 deleted keys; new keys need none
  EXPECT_EQ(Lake(pk_).size(), 1000u);

  // Round 3: re-inserts of deleted keys, deletes, partial updates, keys updated twice, keys
  // inserted and deleted within the round (never in the lake).
  for (int64_t i = 300; i < 400; ++i) ASSERT_OK(w->Upsert(Row(i, "d" + std::to_string(i), 4)));
  for (int64_t i = 0; i < 100; ++i) ASSERT_OK(w->Delete(Row(i, "", 0)));
  ASSERT_OK(w->Flush());
  for (int64_t i = 500; i < 700; ++i) ASSERT_OK(partial->Upsert(GenericRow({Datum(i), Datum(), Datum(int32_t(70))})));
  ASSERT_OK(partial->Flush());
  for (int round = 0; round < 2; ++round) {
    for (int64_t i = 1000; i < 1100; ++i) ASSERT_OK(w->Upsert(Row(i, "e" + std::to_string(round), 5 + round)));
  }
  for (int64_t i = 2000; i < 2100; ++i) ASSERT_OK(w->Upsert(Row(i, "gone", 0)));
  ASSERT_OK(w->Flush());
  for (int64_t i = 2000; i < 2100; ++i) ASSERT_OK(w->Delete(Row(i, "", 0)));
  ASSERT_OK(w->Flush());
  RoundAndCheck(tiering, pk_, 3000);
  auto lake = Lake(pk_);
  EXPECT_EQ(lake.size(), 1000u);  // 1000 - 200 + 200 + 100 - 100
  EXPECT_EQ(lake.at(600).GetString(1), "a600");
  EXPECT_EQ(lake.at(600).GetInt(2), 70);
  EXPECT_EQ(lake.at(1050).GetString(1), "e1");
  EXPECT_FALSE(lake.count(50));
  EXPECT_FALSE(lake.count(2050));

  // Round 4: delete then re-insert within one round (the delete file and the new row share a
  // snapshot: the row stays), and deletes of every key of round 1 that is left.
  for (int64_t i = 100; i < 200; ++i) ASSERT_OK(w->Delete(Row(i, "", 0)));
  ASSERT_OK(w->Flush());
  for (int64_t i = 100; i < 200; ++i) ASSERT_OK(w->Upsert(Row(i, "f" + std::to_string(i), 6)));
  for (int64_t i = 700; i < 1000; ++i) ASSERT_OK(w->Delete(Row(i, "", 0)));
  ASSERT_OK(w->Flush());
  RoundAndCheck(tiering, pk_, 3000);
  lake = Lake(pk_);
  EXPECT_EQ(lake.at(150).GetString(1), "f150");
  EXPECT_FALSE(lake.count(800));

  // The Iceberg side: identifier fields = the key, delete files with equality_ids = [id], the
  // snapshot an "overwrite" with the delete counters.
  auto ice = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, pk_)).value();
  const auto* schema = ice.metadata().CurrentSchema();
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ((*schema)["identifier-field-ids"], nlohmann::json::array({0}));
  auto files = ice.ListFiles().value();
  EXPECT_FALSE(files.deletes.empty());
  int64_t delete_rows = 0;
  for (const auto& e : files.deletes) {
    EXPECT_EQ(e.data_file.content, iceberg::DataFileContent::kEqualityDeletes);
    EXPECT_EQ(e.data_file.equality_ids, std::vector<int32_t>({0}));
    delete_rows += e.data_file.record_count;
  }
  const auto* snap = ice.metadata().CurrentSnapshot();
  EXPECT_EQ(snap->summary.at("operation"), "overwrite");
  EXPECT_EQ(snap->summary.at("total-equality-deletes"), std::to_string(delete_rows));
  EXPECT_EQ(snap->summary.at("total-delete-files"), std::to_string(files.deletes.size()));

  // Nothing new: no commit.
  auto idle = tiering.TierOnce(pk_);
  ASSERT_OK(idle);
  EXPECT_FALSE(idle->committed);
}

TEST_F(LakePkTest, FirstRowAndWalImageTablesTierToTheirLookups) {
  // first_row: the changelog is +I only (later upserts of a key are dropped): no delete files.
  auto first = TablePath::Make("db", "first").value();
  CreatePk(first, {{"table.merge-engine", "first_row"}}, 2);
  // WAL image: updates are +U only (no -U), inserts too may be +U: every touched key gets a delete.
  auto wal = TablePath::Make("db", "wal").value();
  CreatePk(wal, {{"table.changelog.image", "WAL"}}, 2);
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto fw = conn_->GetTable(first).value().NewUpsertWriter().value();
  auto ww = conn_->GetTable(wal).value().NewUpsertWriter().value();
  for (int step = 0; step < 3; ++step) {
    for (int64_t i = 0; i < 400; ++i) {
      const int64_t id = i + step * 200;  // half the keys are new, half seen before
      ASSERT_OK(fw->Upsert(Row(id, "s" + std::to_string(step), step)));
      ASSERT_OK(ww->Upsert(Row(id, "s" + std::to_string(step), step)));
    }
    for (int64_t i = step * 100; i < step * 100 + 50; ++i) ASSERT_OK(ww->Delete(Row(i, "", 0)));
    ASSERT_OK(fw->Flush());
    ASSERT_OK(ww->Flush());
    auto f = RoundAndCheck(tiering, first, 1000);
    EXPECT_EQ(f.delete_files, 0) << "first_row never needs a delete";
    auto w = RoundAndCheck(tiering, wal, 1000);
    if (step > 0) { EXPECT_GT(w.delete_files, 0); }
  }
  auto lake = Lake(first);
  EXPECT_EQ(lake.size(), 800u);
  EXPECT_EQ(lake.at(0).GetString(1), "s0");  // the first row stays
  EXPECT_EQ(lake.at(799).GetString(1), "s2");
  EXPECT_EQ(Lake(wal).at(599).GetString(1), "s2");
  EXPECT_EQ(Lake(wal).at(399).GetString(1), "s1");
  EXPECT_FALSE(Lake(wal).count(220));  // deleted in the last round
}

TEST_F(LakePkTest, UnionReadWhileWritesAndTieringGoOnEndsAtTheTableState) {
  CreatePk(pk_);
  constexpr int64_t kKeys = 600;
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  std::atomic<bool> stop{false};
  std::atomic<bool> reading{false};
  std::atomic<int> rounds{0};
  // One writer with its own model, so deletes only hit live keys; tiering rounds beside it. It goes
  // on (whatever the speed of the machine) until two rounds committed and the union reader has
  // read beside a few of its batches.
  std::thread writer([&] {
    auto w = conn_->GetTable(pk_).value().NewUpsertWriter().value();
    std::set<int64_t> live;
    std::mt19937_64 rng(7);
    int batches_while_reading = 0;
    const auto give_up = std::chrono::steady_clock::now() + 2 * testing::kGenerousWait;
    for (int batch = 0; batch < 40 || rounds.load() < 2 || batches_while_reading < 3; ++batch) {
      if (std::chrono::steady_clock::now() > give_up) {
        ADD_FAILURE() << "tiering committed " << rounds.load() << " rounds in " << batch << " batches";
        break;
      }
      if (reading.load()) ++batches_while_reading;
      for (int i = 0; i < 200; ++i) {
        const int64_t id = static_cast<int64_t>(rng() % kKeys);
        if (live.count(id) && rng() % 3 == 0) {
          ASSERT_OK(w->Delete(Row(id, "", 0)));
          live.erase(id);
        } else {
          ASSERT_OK(w->Upsert(Row(id, "v" + std::to_string(batch), batch)));
          live.insert(id);
        }
      }
      ASSERT_OK(w->Flush());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // paces the writes; waits for nothing
    }
  });
  std::thread tierer([&] {
    while (!stop.load()) {
      auto r = tiering.TierOnce(pk_);
      if (r.ok() && r->committed) ++rounds;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // paces the rounds; waits for nothing
    }
  });
  // Wait for a lake to exist, then read while both go on.
  EXPECT_TRUE(testing::Eventually([&] { return rounds.load() > 0; })) << "no tiering round committed";
  auto scanner = lake::LakeSnapshotScanner::Open(*conn_, pk_, {.warehouse = warehouse_, .follow = true});
  reading = true;
  if (!scanner.ok()) {
    writer.join();
    stop = true;
    tierer.join();
    FAIL() << scanner.status().ToString();
  }
  KeyedRows state;
  int64_t records_read = 0;
  auto poll = [&] {
    auto records = (*scanner)->Poll(std::chrono::milliseconds(100));
    ASSERT_OK(records);
    for (const auto& r : *records) Apply(state, r, true);
    records_read += static_cast<int64_t>(records->size());
  };
  for (int i = 0; i < 20; ++i) poll();
  writer.join();
  stop = true;
  tierer.join();
  const KeyedRows final_rows = Lookups(pk_, kKeys);
  const auto deadline = std::chrono::steady_clock::now() + testing::kGenerousWait;
  while (state != final_rows && std::chrono::steady_clock::now() < deadline) poll();
  EXPECT_TRUE(state == final_rows) << state.size() << " rows from the union read, " << final_rows.size()
                                   << " by lookups";
  EXPECT_GT((*scanner)->lake_info().snapshot_id, 0);
  EXPECT_GT((*scanner)->lake_info().rows, 0);
  EXPECT_GT(records_read - (*scanner)->lake_info().rows, 0) << "nothing came from the log";
  EXPECT_GT(rounds.load(), 1);
  EXPECT_FALSE((*scanner)->done());  // following

  // Without follow: it ends, at the table's state (nothing is written now).
  auto bounded = lake::LakeSnapshotScanner::Open(*conn_, pk_, {.warehouse = warehouse_});
  ASSERT_OK(bounded);
  KeyedRows again;
  for (int i = 0; i < 1000 && !(*bounded)->done(); ++i) {
    auto records = (*bounded)->Poll(std::chrono::milliseconds(100));
    ASSERT_OK(records);
    for (const auto& r : *records) Apply(again, r, true);
  }
  EXPECT_TRUE((*bounded)->done());
  EXPECT_TRUE(again == final_rows);
}

TEST_F(LakeTieringTest, UnionScannerOfALogTableReturnsEveryRowOnce) {
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  Append(0, 3000);
  ASSERT_OK(tiering.TierOnce(path_));
  Append(3000, 4000);
  auto scanner = lake::LakeSnapshotScanner::Open(*conn_, path_, {.warehouse = warehouse_, .columns = {"id"}});
  ASSERT_OK(scanner);
  std::set<int64_t> ids;
  for (int i = 0; i < 1000 && !(*scanner)->done(); ++i) {
    auto records = (*scanner)->Poll(std::chrono::milliseconds(100));
    ASSERT_OK(records);
    for (const auto& r : *records) {
      EXPECT_EQ(r.change_type, ChangeType::kAppendOnly);
      ASSERT_EQ(r.row.arity(), 1u);
      EXPECT_TRUE(ids.insert(r.row.GetBigInt(0)).second) << "id " << r.row.GetBigInt(0) << " twice";
    }
  }
  EXPECT_TRUE((*scanner)->done());
  EXPECT_EQ(ids.size(), 4000u);
  EXPECT_EQ((*scanner)->lake_info().rows, 3000);
}

}  // namespace
}  // namespace fluss
