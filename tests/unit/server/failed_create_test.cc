// A CREATE TABLE that fails part way (here: bucket 2's KV store cannot be created) leaves nothing
// behind: no table in the metadata, no bucket log or KV directory the next start would open, and the
// same table can be created once the cause is gone.
#include <gtest/gtest.h>

#include <filesystem>

#include "fluss/client.h"
#include "log/log_manager.h"
#include "server/fluss_server.h"
#include "support/in_process_server.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;

class FailedCreateTest : public testing::InProcessServerTest {
 protected:
  Status Create(const std::string& name) {
    TableDescriptor d(ParseSchema("id INT NOT NULL, v STRING, PRIMARY KEY (id)").value());
    d.DistributedBy(4);
    return conn_->GetAdmin().CreateTable(TablePath::Make("db", name).value(), d);
  }

  // Directories of bucket logs and KV stores under `table_dir` (relative to the data dir).
  std::vector<std::string> BucketDirsUnder(const std::string& table_dir) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_.Sub(table_dir), ec)) {
      if (e.is_directory()) out.push_back(e.path().filename().string());
    }
    return out;
  }

};

TEST_F(FailedCreateTest, CreateThatFailsPartWayLeavesNothingTheNextStartOpens) {
  ASSERT_OK(conn_->GetAdmin().CreateDatabase("db"));
  // The first table gets id 1: a regular file where its bucket 2's KV store must go.
  const std::string log2 = LogManager::BucketDir("db", "t", 1, 2);
  const std::string table_dir = fs::path(log2).parent_path().string();
  fs::create_directories(dir_.Sub(table_dir));
  const std::string blocker = dir_.Sub(table_dir + "/kv-2");
  testing::WriteFileBytes(blocker, {'x'});

  Status st = Create("t");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("creating the logs of table 'db.t'"), std::string::npos) << st.ToString();
  EXPECT_FALSE(conn_->GetAdmin().TableExists(TablePath::Make("db", "t").value()).ValueOr(true));
  // Buckets 0 and 1 were made (log and KV) and bucket 2's log: all gone again.
  EXPECT_TRUE(BucketDirsUnder(table_dir).empty()) << ::testing::PrintToString(BucketDirsUnder(table_dir));

  RestartServer();
  EXPECT_TRUE(BucketDirsUnder(table_dir).empty());
  EXPECT_TRUE(conn_->GetAdmin().ListTables("db").value().empty());

  // With the cause gone the table is created (with a new id: ids are never reused).
  fs::remove(blocker);
  ASSERT_OK(Create("t"));
  auto info = conn_->GetAdmin().GetTableInfo(TablePath::Make("db", "t").value());
  ASSERT_OK(info);
  EXPECT_EQ(info->table_id, 2);
  EXPECT_EQ(BucketDirsUnder(fs::path(LogManager::BucketDir("db", "t", 2, 0)).parent_path().string()).size(), 8u);
}

}  // namespace
}  // namespace fluss
