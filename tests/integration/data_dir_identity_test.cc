// A server knows its data dir from its metadata, not from names: against real fluss-server processes,
// tables named like the server's own directories (`log`, `kv`, `log-0`, `kv-1`, `t-1`, `x_9`) keep
// every acknowledged row and key through clean restarts and kill -9; databases named after the files
// the server keeps in its data dir are refused; what the server cannot place is moved aside, never
// deleted; a dropped table's leftovers are deleted because its drop record names them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fluss/client.h"
#include "support/server_process.h"
#include "types/schema_parser.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;
using testing::ServerProcess;
using namespace std::chrono_literals;

const std::vector<std::string> kTrickyNames = {"log", "kv", "log-0", "kv-1", "t-1", "x_9"};
constexpr int kRowsPerTable = 40;

class DataDirIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start();
    ASSERT_OK(server);
    server_ = std::move(server).value();
    Connect();
  }

  void TearDown() override {
    conn_.reset();
    if (HasFailure() && server_) std::cerr << "---- server log ----\n" << server_->ReadLog() << "\n";
  }

  void Connect() {
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 5ms;
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    conn_ = *conn;
  }

  void Reconnect() {
    conn_.reset();
    Connect();
  }

  Table Create(const std::string& db, const std::string& name, const std::string& dsl, int buckets) {
    Admin admin = conn_->GetAdmin();
    EXPECT_OK(admin.CreateDatabase(db, /*ignore_if_exists=*/true));
    TableDescriptor d(ParseSchema(dsl).value());
    d.DistributedBy(buckets);
    const auto path = TablePath::Make(db, name).value();
    Status st = admin.CreateTable(path, d);
    EXPECT_TRUE(st.ok()) << path.ToString() << ": " << st.ToString();
    return conn_->GetTable(path).value();
  }

  // Appends rows 0..kRowsPerTable-1 to a log table; returns when all are acknowledged.
  void WriteLog(Table& table) {
    auto writer = table.NewAppendWriter().value();
    for (int64_t i = 0; i < kRowsPerTable; ++i) {
      ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum(table.path().table() + "-" + std::to_string(i))})));
    }
    Status st = writer->Flush();
    ASSERT_OK(st);
  }

  // Upserts keys 0..kRowsPerTable-1 twice (the second value wins) and deletes every fifth key.
  void WritePk(Table& table) {
    auto writer = table.NewUpsertWriter().value();
    for (int round = 0; round < 2; ++round) {
      for (int64_t i = 0; i < kRowsPerTable; ++i) ASSERT_OK(writer->Upsert(GenericRow({Datum(i), Datum(i * 10 + round)})));
    }
    for (int64_t i = 0; i < kRowsPerTable; i += 5) ASSERT_OK(writer->Delete(GenericRow({Datum(i), Datum()})));
    Status st = writer->Flush();
    ASSERT_OK(st);
  }

  void CheckLog(const std::string& name) {
    auto table = conn_->GetTable(TablePath::Make("lt", name).value());
    ASSERT_TRUE(table.ok()) << name << ": " << table.status().ToString();
    auto scanner = table->NewLogScanner().value();
    for (int b = 0; b < table->info().num_buckets; ++b) ASSERT_OK(scanner->Subscribe(b, kEarliestOffset));
    std::set<int64_t> ids;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (ids.size() < kRowsPerTable && std::chrono::steady_clock::now() < deadline) {
      auto recs = scanner->Poll(200ms);
      ASSERT_OK(recs);
      for (const auto& r : *recs) {
        const int64_t id = r.row.GetBigInt(0);
        ASSERT_TRUE(ids.insert(id).second) << "lt." << name << ": row " << id << " came twice";
        ASSERT_EQ(r.row.GetString(1), name + "-" + std::to_string(id));
      }
    }
    ASSERT_EQ(ids.size(), static_cast<size_t>(kRowsPerTable)) << "lt." << name << " lost acknowledged rows";
    auto latest = conn_->GetAdmin().ListOffsets(table->path(), OffsetSpec::Latest()).value();
    int64_t total = 0;
    for (const auto& [b, o] : latest) total += o;
    EXPECT_EQ(total, kRowsPerTable) << "lt." << name;
  }

  void CheckPk(const std::string& name) {
    auto table = conn_->GetTable(TablePath::Make("pk", name).value());
    ASSERT_TRUE(table.ok()) << name << ": " << table.status().ToString();
    auto lookuper = table->NewLookuper().value();
    for (int64_t i = 0; i < kRowsPerTable; ++i) {
      auto row = lookuper->Lookup(GenericRow({Datum(i)}));
      ASSERT_OK(row);
      if (i % 5 == 0) {
        EXPECT_FALSE(row->has_value()) << "pk." << name << ": deleted key " << i << " is back";
      } else {
        ASSERT_TRUE(row->has_value()) << "pk." << name << ": key " << i << " is lost";
        EXPECT_EQ((*row)->GetBigInt(1), i * 10 + 1) << "pk." << name << " key " << i;
      }
    }
  }

  void CheckAll() {
    for (const auto& name : kTrickyNames) {
      CheckLog(name);
      CheckPk(name);
    }
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(DataDirIdentityTest, TablesNamedLikeServerDirectoriesKeepEveryRowThroughRestartsAndKills) {
  for (const auto& name : kTrickyNames) {
    Table log = Create("lt", name, "id BIGINT NOT NULL, msg STRING", 2);
    WriteLog(log);
    Table pk = Create("pk", name, "id BIGINT NOT NULL, v BIGINT, PRIMARY KEY (id)", 2);
    WritePk(pk);
  }
  CheckAll();
  // Twice cleanly (the first restart of the reported bug kept the rows, the second lost them), then
  // twice with kill -9.
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(round < 2 ? "after a clean restart" : "after kill -9");
    conn_.reset();
    if (round >= 2) ASSERT_OK(server_->Kill());
    Status st = server_->Restart();
    ASSERT_OK(st);
    Connect();
    CheckAll();
  }
  // Nothing was taken for unknown and moved aside.
  EXPECT_FALSE(fs::exists(server_->data_dir() + "/.quarantine"));
  EXPECT_EQ(server_->ReadLog().find("moved"), std::string::npos);
}

TEST_F(DataDirIdentityTest, DatabasesNamedAfterTheServersFilesAreRefused) {
  Table t = Create("app", "t", "id BIGINT NOT NULL, msg STRING", 1);
  WriteLog(t);
  ASSERT_OK(server_->Stop());
  // Every name the server keeps at the root of its data dir (after a clean shutdown, with tables).
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(server_->data_dir())) {
    const std::string name = e.path().filename().string();
    if (name != "app") names.push_back(name);
  }
  ASSERT_GE(names.size(), 4u);  // .lock, .metadata, the checkpoints, the clean-shutdown marker
  for (std::string_view reserved : TablePath::kReservedDatabaseNames) names.emplace_back(reserved);
  ASSERT_OK(server_->Restart());
  Reconnect();
  Admin admin = conn_->GetAdmin();
  for (const auto& name : names) {
    Status st = admin.CreateDatabase(name, /*ignore_if_exists=*/false);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidDatabase) << "database '" << name << "': " << st.ToString();
  }
  EXPECT_EQ(admin.ListDatabases().value(), std::vector<std::string>{"app"});
  // The server still stops and starts, and keeps its rows.
  ASSERT_OK(server_->Restart());
  ASSERT_OK(server_->Restart());
  Reconnect();
  auto latest = conn_->GetAdmin().ListOffsets(t.path(), OffsetSpec::Latest()).value();
  EXPECT_EQ(latest.at(0), kRowsPerTable);
}

void WriteFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << content;
}


TEST_F(DataDirIdentityTest, WhatTheServerCannotPlaceIsMovedAsideAndDroppedTablesAreDeleted) {
  Table kept = Create("app", "log", "id BIGINT NOT NULL, msg STRING", 1);
  WriteLog(kept);
  Table gone = Create("app", "gone", "id BIGINT NOT NULL, msg STRING", 1);
  WriteLog(gone);
  const std::string data = server_->data_dir();
  const std::string kept_dir = data + "/app/log-" + std::to_string(kept.info().table_id);
  const std::string gone_dir = data + "/app/gone-" + std::to_string(gone.info().table_id);
  ASSERT_TRUE(fs::exists(gone_dir + "/log-0"));
  // A copy of the table to be dropped, put back after the drop: what a crash between the drop and
  // the deletion of its data leaves.
  ASSERT_OK(server_->Stop());
  const std::string saved = data + "/../saved-gone";
  fs::copy(gone_dir, saved, fs::copy_options::recursive);
  ASSERT_OK(server_->Restart());
  Reconnect();
  ASSERT_OK(conn_->GetAdmin().DropTable(gone.path()));
  ASSERT_FALSE(fs::exists(gone_dir));
  ASSERT_OK(server_->Stop());
  fs::copy(saved, gone_dir, fs::copy_options::recursive);
  fs::remove_all(saved);
  // Entries nothing explains.
  WriteFile(data + "/app/log-999/log-0/00000000000000000000.log", "a table id nobody has");
  WriteFile(data + "/app/notes.txt", "a file in a database directory");
  WriteFile(kept_dir + "/log-5/00000000000000000000.log", "a bucket the table does not have");
  WriteFile(data + "/stray/t-1/log-0/00000000000000000000.log", "a database nobody has");

  ASSERT_OK(server_->Restart());
  Reconnect();
  const std::string log = server_->ReadLog();
  EXPECT_FALSE(fs::exists(gone_dir)) << "the dropped table's data is still there";
  EXPECT_NE(log.find("was dropped"), std::string::npos) << log;
  // The quarantine holds each entry under its relative path, content intact.
  std::vector<fs::path> stamps;
  for (const auto& e : fs::directory_iterator(data + "/.quarantine")) stamps.push_back(e.path());
  ASSERT_EQ(stamps.size(), 1u);
  const std::string q = stamps[0].string();
  EXPECT_EQ(testing::ReadFileToString(q + "/app/log-999/log-0/00000000000000000000.log"), "a table id nobody has");
  EXPECT_EQ(testing::ReadFileToString(q + "/app/notes.txt"), "a file in a database directory");
  EXPECT_EQ(testing::ReadFileToString(q + "/app/log-" + std::to_string(kept.info().table_id) + "/log-5/00000000000000000000.log"),
            "a bucket the table does not have");
  EXPECT_EQ(testing::ReadFileToString(q + "/stray/t-1/log-0/00000000000000000000.log"), "a database nobody has");
  EXPECT_FALSE(fs::exists(data + "/app/log-999"));
  EXPECT_NE(log.find("moved aside"), std::string::npos) << log;
  // The table `log` kept its rows.
  auto latest = conn_->GetAdmin().ListOffsets(kept.path(), OffsetSpec::Latest()).value();
  EXPECT_EQ(latest.at(0), kRowsPerTable);
}

}  // namespace
}  // namespace fluss
