// DataDirLayout: the start-up reconciliation of a data dir with the metadata. Names that look like the
// server's own directories (a table `log`, a database `log-1`) are placed by the layout, dropped
// tables' leftovers are deleted only when a drop record names them, and anything else is moved aside,
// never deleted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/data_dir_layout.h"
#include "unit/log/log_test_support.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int64_t kNow = 1765000000000;  // 2025-12-06 05:46:40 UTC

void WriteFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << content;
}


LocalTable LiveTable(const std::string& db, const std::string& name, int64_t id, int32_t buckets, bool pk = false) {
  return LocalTable{TablePath::Make(db, name).value(), id, buckets, pk};
}

TEST(DataDirLayoutTest, TableDirNamesSplitAtTheLastDash) {
  std::string table;
  int64_t id = 0;
  ASSERT_TRUE(DataDirLayout::ParseTableDirName("log-1", &table, &id));
  EXPECT_EQ(table, "log");
  EXPECT_EQ(id, 1);
  ASSERT_TRUE(DataDirLayout::ParseTableDirName("log-0-12", &table, &id));
  EXPECT_EQ(table, "log-0");
  EXPECT_EQ(id, 12);
  ASSERT_TRUE(DataDirLayout::ParseTableDirName("x_9-3", &table, &id));
  EXPECT_EQ(table, "x_9");
  EXPECT_EQ(id, 3);
  ASSERT_TRUE(DataDirLayout::ParseTableDirName("t--1", &table, &id));  // table `t-`
  EXPECT_EQ(table, "t-");
  for (const char* bad : {"log", "-1", "t-", "t-0", "t-01", "t-x", "t-1a"}) {
    EXPECT_FALSE(DataDirLayout::ParseTableDirName(bad, &table, &id)) << bad;
  }
  EXPECT_EQ(DataDirLayout::TableDir(TablePath::Make("app", "log").value(), 1), "app/log-1");
}

TEST(DataDirLayoutTest, PartitionDirNamesSplitAtTheLastDashP) {
  std::string name;
  int64_t id = -1;
  EXPECT_EQ(DataDirLayout::PartitionDirName("2026-12-07", 3), "2026-12-07-p3");
  ASSERT_TRUE(DataDirLayout::ParsePartitionDirName("2026-12-07-p3", &name, &id));
  EXPECT_EQ(name, "2026-12-07");
  EXPECT_EQ(id, 3);
  ASSERT_TRUE(DataDirLayout::ParsePartitionDirName("x-p5-p0", &name, &id));  // partition `x-p5`, id 0
  EXPECT_EQ(name, "x-p5");
  EXPECT_EQ(id, 0);
  ASSERT_TRUE(DataDirLayout::ParsePartitionDirName("eu$2026-p12", &name, &id));  // two keys
  EXPECT_EQ(name, "eu$2026");
  EXPECT_EQ(id, 12);
  for (const char* bad : {"a", "-p1", "a-p", "a-p01", "a-px", "a-p1x", "a-1", "log-0"}) {
    EXPECT_FALSE(DataDirLayout::ParsePartitionDirName(bad, &name, &id)) << bad;
  }
}

TEST(DataDirLayoutTest, PartitionedTablesKeepLivePartitionsDeleteDroppedOnesAndMoveTheRestAside) {
  TempDir dir;
  LocalTable t = LiveTable("db", "events", 4, 2, /*pk=*/true);
  t.partitioned = true;
  t.partitions = {{0, "a"}, {2, "c"}};
  std::vector<DroppedPartitionRecord> dropped = {
      DroppedPartitionRecord{TablePath::Make("db", "events").value(), 4, 1, "b", kNow - 1000},
      // A dropped partition of another table with the same name and id: not this table's.
      DroppedPartitionRecord{TablePath::Make("db", "other").value(), 9, 3, "d", kNow - 1000}};
  for (const char* rel : {"db/events-4/a-p0/log-0/00000000000000000000.log", "db/events-4/a-p0/kv-1/CURRENT",
                          "db/events-4/c-p2/log-1/00000000000000000000.log", "db/events-4/b-p1/log-0/x.log",
                          "db/events-4/d-p3/log-0/x.log", "db/events-4/a-p0/log-2/x.log",
                          "db/events-4/log-0/x.log", "db/events-4/c-p9/log-0/x.log"}) {
    WriteFile(dir.path() + "/" + rel, "x");
  }
  auto report = DataDirLayout::Reconcile(dir.path(), {t}, {}, kNow, dropped);
  ASSERT_OK(report);
  std::sort(report->bucket_logs.begin(), report->bucket_logs.end());
  EXPECT_EQ(report->bucket_logs, (std::vector<std::string>{"db/events-4/a-p0/log-0", "db/events-4/c-p2/log-1"}));
  EXPECT_EQ(report->deleted, std::vector<std::string>{"db/events-4/b-p1"});
  std::sort(report->quarantined.begin(), report->quarantined.end());
  EXPECT_EQ(report->quarantined,
            (std::vector<std::string>{"db/events-4/a-p0/log-2", "db/events-4/c-p9", "db/events-4/d-p3",
                                      "db/events-4/log-0"}));
  EXPECT_TRUE(fs::exists(dir.path() + "/db/events-4/a-p0/kv-1/CURRENT"));
  EXPECT_FALSE(fs::exists(dir.path() + "/db/events-4/b-p1"));
  EXPECT_TRUE(fs::exists(report->quarantine_dir + "/db/events-4/d-p3/log-0/x.log"));
}

TEST(DataDirLayoutTest, TablesNamedLikeBucketDirectoriesAreTheirTables) {
  TempDir dir;
  // Table `log` (id 1) lives at app/log-1; its buckets at app/log-1/log-0 and log-1. A table
  // `log-0` (id 2) and a primary-key table `kv` (id 3) beside it.
  const std::vector<LocalTable> live = {LiveTable("app", "log", 1, 2), LiveTable("app", "log-0", 2, 1),
                                        LiveTable("app", "kv", 3, 2, /*pk=*/true)};
  for (const char* rel : {"app/log-1/log-0/00000000000000000000.log", "app/log-1/log-1/00000000000000000000.log",
                          "app/log-0-2/log-0/00000000000000000000.log", "app/kv-3/log-0/00000000000000000000.log",
                          "app/kv-3/kv-0/CURRENT", "app/kv-3/log-1/00000000000000000000.log", "app/kv-3/kv-1/CURRENT"}) {
    WriteFile(dir.Sub(rel), "data");
  }
  auto report = DataDirLayout::Reconcile(dir.path(), live, {}, kNow);
  ASSERT_OK(report);
  std::vector<std::string> logs = report->bucket_logs;
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"app/kv-3/log-0", "app/kv-3/log-1", "app/log-0-2/log-0", "app/log-1/log-0",
                                            "app/log-1/log-1"}));
  EXPECT_TRUE(report->quarantined.empty());
  EXPECT_TRUE(report->deleted.empty());
  EXPECT_TRUE(report->quarantine_dir.empty());
  EXPECT_EQ(testing::ReadFileToString(dir.Sub("app/kv-3/kv-1/CURRENT")), "data");
}

TEST(DataDirLayoutTest, ServerFilesAtTheRootAreLeftAlone) {
  TempDir dir;
  for (const char* rel : {".lock", ".metadata/metadata.json", ".cluster", ".fluss_cleanshutdown",
                          "recovery-point-offset-checkpoint", "high-watermark-checkpoint",
                          "recovery-point-offset-checkpoint.tmp", "remote-log-index-cache/x", "notes.txt"}) {
    WriteFile(dir.Sub(rel), "server");
  }
  auto report = DataDirLayout::Reconcile(dir.path(), {}, {}, kNow);
  ASSERT_OK(report);
  EXPECT_TRUE(report->quarantined.empty()) << report->quarantined.front();
  EXPECT_EQ(testing::ReadFileToString(dir.Sub("high-watermark-checkpoint")), "server");
  EXPECT_EQ(testing::ReadFileToString(dir.Sub("recovery-point-offset-checkpoint.tmp")), "server");
}

TEST(DataDirLayoutTest, DroppedTablesAreDeletedOnlyWhenARecordNamesThemExactly) {
  TempDir dir;
  WriteFile(dir.Sub("d/t-4/log-0/00000000000000000000.log"), "dropped");
  WriteFile(dir.Sub("d/u-5/log-0/00000000000000000000.log"), "id 5 was 'd.other'");
  WriteFile(dir.Sub("e/t-6/log-0/00000000000000000000.log"), "id 6 was 'd.t'");
  const std::vector<DroppedTableRecord> dropped = {{TablePath::Make("d", "t").value(), 4, kNow - 1000},
                                                   {TablePath::Make("d", "other").value(), 5, kNow - 1000},
                                                   {TablePath::Make("d", "t").value(), 6, kNow - 1000}};
  auto report = DataDirLayout::Reconcile(dir.path(), {}, dropped, kNow);
  ASSERT_OK(report);
  EXPECT_EQ(report->deleted, std::vector<std::string>{"d/t-4"});
  EXPECT_FALSE(fs::exists(dir.Sub("d/t-4")));
  std::vector<std::string> moved = report->quarantined;
  std::sort(moved.begin(), moved.end());
  EXPECT_EQ(moved, (std::vector<std::string>{"d/u-5", "e/t-6"}));
  EXPECT_EQ(testing::ReadFileToString(report->quarantine_dir + "/d/u-5/log-0/00000000000000000000.log"), "id 5 was 'd.other'");
  EXPECT_EQ(testing::ReadFileToString(report->quarantine_dir + "/e/t-6/log-0/00000000000000000000.log"), "id 6 was 'd.t'");
  // Database directories left empty by a database the metadata no longer has go.
  EXPECT_FALSE(fs::exists(dir.Sub("d")));
  EXPECT_FALSE(fs::exists(dir.Sub("e")));
}

TEST(DataDirLayoutTest, WhatNoRecordExplainsIsMovedAsideWithItsContent) {
  TempDir dir;
  const std::vector<LocalTable> live = {LiveTable("app", "orders", 7, 2), LiveTable("app", "events", 8, 1)};
  WriteFile(dir.Sub("app/orders-7/log-0/00000000000000000000.log"), "live 0");
  WriteFile(dir.Sub("app/orders-7/log-2/00000000000000000000.log"), "bucket beyond the count");
  WriteFile(dir.Sub("app/orders-7/kv-0/CURRENT"), "kv of a log table");
  WriteFile(dir.Sub("app/orders-7/log-01/x"), "not a canonical bucket name");
  WriteFile(dir.Sub("app/orders-7/notes.txt"), "a file in a table dir");
  WriteFile(dir.Sub("app/orders-99/log-0/00000000000000000000.log"), "unknown id");
  WriteFile(dir.Sub("app/orders-8/log-0/00000000000000000000.log"), "id 8 is app.events");
  WriteFile(dir.Sub("app/junk"), "a file in a database dir");
  WriteFile(dir.Sub("app/nodash/x"), "no table id");
  WriteFile(dir.Sub("other/t-3/log-0/x"), "a database nobody has");
  WriteFile(dir.Sub("README"), "a file at the root");
  auto report = DataDirLayout::Reconcile(dir.path(), live, {}, kNow);
  ASSERT_OK(report);
  EXPECT_EQ(report->bucket_logs, std::vector<std::string>{"app/orders-7/log-0"});
  EXPECT_TRUE(report->deleted.empty());
  std::vector<std::string> moved = report->quarantined;
  std::sort(moved.begin(), moved.end());
  EXPECT_EQ(moved, (std::vector<std::string>{"README", "app/junk", "app/nodash", "app/orders-7/kv-0",
                                             "app/orders-7/log-01", "app/orders-7/log-2", "app/orders-7/notes.txt",
                                             "app/orders-8", "app/orders-99", "other/t-3"}));
  EXPECT_EQ(report->quarantine_dir, dir.Sub(".quarantine/20251206-054640"));
  EXPECT_EQ(testing::ReadFileToString(report->quarantine_dir + "/app/orders-7/log-2/00000000000000000000.log"),
            "bucket beyond the count");
  EXPECT_EQ(testing::ReadFileToString(report->quarantine_dir + "/README"), "a file at the root");
  EXPECT_EQ(testing::ReadFileToString(dir.Sub("app/orders-7/log-0/00000000000000000000.log")), "live 0");

  // A second start moves nothing more and keeps what was moved.
  auto again = DataDirLayout::Reconcile(dir.path(), live, {}, kNow);
  ASSERT_OK(again);
  EXPECT_TRUE(again->quarantined.empty());
  EXPECT_TRUE(fs::exists(report->quarantine_dir + "/other/t-3/log-0/x"));
}

TEST(DataDirLayoutTest, ALiveDatabaseWithAReservedNameStopsTheStart) {
  TempDir dir;
  auto report = DataDirLayout::Reconcile(dir.path(), {LiveTable("high-watermark-checkpoint", "t", 1, 1)}, {}, kNow);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), ErrorCode::kInvalidDatabase);
  EXPECT_NE(report.status().message().find("high-watermark-checkpoint"), std::string::npos);
}

TEST(DataDirLayoutTest, ReservedNamesAreRefusedForNewDatabasesOnly) {
  for (std::string_view name : TablePath::kReservedDatabaseNames) {
    Status st = TablePath::ValidateNewDatabaseName(name);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidDatabase) << name;
    EXPECT_NE(st.message().find("reserved"), std::string::npos) << st.message();
    EXPECT_TRUE(TablePath::ValidateName(name, "database").ok()) << name;
  }
  EXPECT_OK(TablePath::ValidateNewDatabaseName("log"));
  EXPECT_OK(TablePath::ValidateNewDatabaseName("recovery-point-offset-checkpoints"));
}

}  // namespace
}  // namespace fluss
