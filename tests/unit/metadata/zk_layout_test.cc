// The ZooKeeper store's layout, byte for byte, without a ZooKeeper: every znode path (zk_paths.h)
// and body (zk_znodes.h) is the one docs/formats/metadata-store.md#zookeeper-layout documents, every
// body reads back as written, and a damaged body is CORRUPT_RECORD naming the znode.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metadata/zk_paths.h"
#include "metadata/zk_znodes.h"
#include "metadata_test_support.h"

namespace fluss {
namespace {

using metadata_testing::Path;

TEST(ZkLayoutTest, EveryPathIsTheDocumentedOne) {
  EXPECT_EQ(zk_paths::Databases(), "/metadata/databases");
  EXPECT_EQ(zk_paths::Database("db"), "/metadata/databases/db");
  EXPECT_EQ(zk_paths::Tables("db"), "/metadata/databases/db/tables");
  EXPECT_EQ(zk_paths::Table("db", "t"), "/metadata/databases/db/tables/t");
  EXPECT_EQ(zk_paths::Schemas("db", "t"), "/metadata/databases/db/tables/t/schemas");
  EXPECT_EQ(zk_paths::Schema("db", "t", 2), "/metadata/databases/db/tables/t/schemas/2");
  EXPECT_EQ(zk_paths::DroppedTables(), "/metadata/dropped_tables");
  EXPECT_EQ(zk_paths::DroppedTable(7), "/metadata/dropped_tables/7");
  EXPECT_EQ(zk_paths::TableSeqId(), "/metadata/table_seqid");
  EXPECT_EQ(zk_paths::WriterId(), "/metadata/writer_id");
  EXPECT_EQ(zk_paths::TabletServerIds(), "/tabletservers/ids");
  EXPECT_EQ(zk_paths::TabletServer(3), "/tabletservers/ids/3");
  EXPECT_EQ(zk_paths::TabletServerTables(), "/tabletservers/tables");
  EXPECT_EQ(zk_paths::TableAssignment(7), "/tabletservers/tables/7");
  EXPECT_EQ(zk_paths::Buckets(7), "/tabletservers/tables/7/buckets");
  EXPECT_EQ(zk_paths::Bucket(7, 1), "/tabletservers/tables/7/buckets/1");
  EXPECT_EQ(zk_paths::Bucket(7, std::string_view("1")), "/tabletservers/tables/7/buckets/1");
  EXPECT_EQ(zk_paths::LeaderAndIsr(7, 1), "/tabletservers/tables/7/buckets/1/leader_isr");
  EXPECT_EQ(zk_paths::Coordinators(), "/coordinators");
  EXPECT_EQ(zk_paths::CoordinatorIds(), "/coordinators/ids");
  EXPECT_EQ(zk_paths::Coordinator(100), "/coordinators/ids/100");
  EXPECT_EQ(zk_paths::ActiveCoordinator(), "/coordinators/active");
  EXPECT_EQ(zk_paths::CoordinatorEpoch(), "/coordinators/epoch");
  EXPECT_EQ(zk_paths::CoordinatorElection(), "/coordinators/election");
  EXPECT_EQ(zk_paths::CoordinatorLatchPrefix("1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
            "/coordinators/election/_c_1b4e28ba-2fa1-11d2-883f-0016d3cca427-latch-");
  EXPECT_EQ(zk_paths::Cluster(), "/cluster");
  EXPECT_EQ(zk_paths::ClusterId(), "/cluster/id");
  // Partitions: upstream's ZkData paths (PartitionsZNode, PartitionZNode, PartitionSequenceIdZNode,
  // PartitionIdsZNode, PartitionIdZNode).
  EXPECT_EQ(zk_paths::Partitions("db", "t"), "/metadata/databases/db/tables/t/partitions");
  EXPECT_EQ(zk_paths::Partition("db", "t", "2024$eu"), "/metadata/databases/db/tables/t/partitions/2024$eu");
  EXPECT_EQ(zk_paths::PartitionSeqId(), "/metadata/partition_seqid");
  EXPECT_EQ(zk_paths::TabletServerPartitions(), "/tabletservers/partitions");
  EXPECT_EQ(zk_paths::PartitionAssignment(12), "/tabletservers/partitions/12");
  EXPECT_EQ(zk_paths::PartitionBuckets(12), "/tabletservers/partitions/12/buckets");
  EXPECT_EQ(zk_paths::DroppedPartitions(), "/metadata/dropped_partitions");
  EXPECT_EQ(zk_paths::DroppedPartition(12), "/metadata/dropped_partitions/12");
}

// Upstream's PartitionRegistration and PartitionAssignment bodies (their JSON serdes), byte for byte.
TEST(ZkLayoutTest, PartitionBodiesAreUpstreamsAndReadBack) {
  const std::string registration = zk_znodes::PartitionRegistrationBody(7, 12);
  EXPECT_EQ(registration, R"({"version":1,"table_id":7,"partition_id":12})");
  ASSERT_OK_AND_ASSIGN(auto reg, zk_znodes::ParsePartitionRegistration(registration, "/p"));
  EXPECT_EQ(reg.table_id, 7);
  EXPECT_EQ(reg.partition_id, 12);
  // Upstream also writes remote_data_dir; a reader takes what it knows.
  ASSERT_OK_AND_ASSIGN(auto upstream, zk_znodes::ParsePartitionRegistration(
                                          R"({"version":1,"table_id":7,"partition_id":12,"remote_data_dir":"s3://x"})",
                                          "/p"));
  EXPECT_EQ(upstream.partition_id, 12);

  const TableRecord table{Path("db", "t"), 7, 1, "{}", 3, 0, 0, 0};
  const std::vector<BucketAssignment> assignment{{0, {1, 2}, -1, 0, 0}, {1, {2, 3}, -1, 0, 0}, {2, {3, 1}, -1, 0, 0}};
  const std::string body = zk_znodes::PartitionAssignmentBody(7, assignment);
  EXPECT_EQ(body, R"({"version":1,"table_id":7,"buckets":{"0":[1,2],"1":[2,3],"2":[3,1]}})");
  ASSERT_OK_AND_ASSIGN(auto back, zk_znodes::ParsePartitionAssignment(body, "/a", table));
  EXPECT_EQ(back.first, 7);
  EXPECT_EQ(back.second, assignment);
  // Bucket order in the object does not matter (upstream writes a hash map's order).
  ASSERT_OK_AND_ASSIGN(auto shuffled, zk_znodes::ParsePartitionAssignment(
                                          R"({"version":1,"table_id":7,"buckets":{"2":[3,1],"0":[1,2],"1":[2,3]}})",
                                          "/a", table));
  EXPECT_EQ(shuffled.second, assignment);

  const PartitionRecord partition{Path("db", "t"), 7, 12, "2024$eu"};
  const std::string dropped = zk_znodes::DroppedPartitionBody(partition, 3000);
  EXPECT_EQ(dropped,
            R"({"database":"db","dropped_time":3000,"partition_name":"2024$eu","table":"t","table_id":7,"version":1})");
  ASSERT_OK_AND_ASSIGN(auto dropped_back, zk_znodes::ParseDroppedPartition(12, dropped, "/x"));
  EXPECT_EQ(dropped_back, (DroppedPartitionRecord{Path("db", "t"), 7, 12, "2024$eu", 3000}));
}

TEST(ZkLayoutTest, CatalogBodiesAreTheDocumentedBytesAndReadBack) {
  const DatabaseRecord db{"db", R"({"comment":"c"})", 1000, 2000, 0};
  const std::string db_body = zk_znodes::DatabaseBody(db);
  EXPECT_EQ(db_body, R"({"version":1,"database":{"comment":"c"},"created_time":1000,"modified_time":2000})");
  ASSERT_OK_AND_ASSIGN(DatabaseRecord db_back, zk_znodes::ParseDatabase("db", db_body, 0, "/d"));
  EXPECT_EQ(db_back, db);

  const TableRecord table{Path("db", "t"), 7, 2, R"({"bucket_count":3})", 3, 1000, 2000, 5};
  const std::string table_body = zk_znodes::TableBody(table);
  EXPECT_EQ(table_body,
            R"({"version":1,"table_id":7,"schema_id":2,"bucket_count":3,"descriptor":{"bucket_count":3},)"
            R"("created_time":1000,"modified_time":2000})");
  ASSERT_OK_AND_ASSIGN(TableRecord table_back, zk_znodes::ParseTable(Path("db", "t"), table_body, 5, "/t"));
  EXPECT_EQ(table_back, table);

  const std::vector<BucketAssignment> assignment{{0, {1, 2}, 1, 3, 0}, {1, {2, 1}, -1, 0, 4}, {2, {1}, 1, 0, 0}};
  const std::string assignment_body = zk_znodes::AssignmentBody(assignment);
  EXPECT_EQ(assignment_body,
            R"({"version":1,"buckets":[{"bucket_id":0,"replicas":[1,2],"leader":1,"leader_epoch":3,"bucket_epoch":0},)"
            R"({"bucket_id":1,"replicas":[2,1],"leader":-1,"leader_epoch":0,"bucket_epoch":4},)"
            R"({"bucket_id":2,"replicas":[1],"leader":1,"leader_epoch":0,"bucket_epoch":0}]})");
  ASSERT_OK_AND_ASSIGN(auto assignment_back, zk_znodes::ParseAssignment(assignment_body, "/a", table));
  EXPECT_EQ(assignment_back, assignment);
  EXPECT_EQ(zk_znodes::AssignmentBody({}), R"({"version":1,"buckets":[]})");

  const std::string dropped_body = zk_znodes::DroppedTableBody(table, 3000);
  EXPECT_EQ(dropped_body, R"({"database":"db","dropped_time":3000,"table":"t","version":1})");
  ASSERT_OK_AND_ASSIGN(DroppedTableRecord dropped, zk_znodes::ParseDroppedTable(7, dropped_body, "/x"));
  EXPECT_EQ(dropped, (DroppedTableRecord{Path("db", "t"), 7, 3000}));

  ASSERT_OK_AND_ASSIGN(int64_t counter, zk_znodes::ParseCounter("42", "/c"));
  EXPECT_EQ(counter, 42);
}

TEST(ZkLayoutTest, ClusterBodiesAreTheDocumentedBytesAndReadBack) {
  const TabletServerInfo server{3, "FLUSS://127.0.0.1:9123", "r1", 1000};
  const std::string server_body = zk_znodes::TabletServerBody(server);
  EXPECT_EQ(server_body,
            R"({"listeners":"FLUSS://127.0.0.1:9123","rack":"r1","register_timestamp":1000,"version":1})");
  ASSERT_OK_AND_ASSIGN(TabletServerInfo server_back, zk_znodes::ParseTabletServer(3, server_body, "/s"));
  EXPECT_EQ(server_back, server);

  const TabletServerInfo coordinator{100, "FLUSS://127.0.0.1:9000", "", 0};
  EXPECT_EQ(zk_znodes::ActiveCoordinatorBody(coordinator), R"({"id":100,"listeners":"FLUSS://127.0.0.1:9000","version":1})");
  EXPECT_EQ(zk_znodes::CoordinatorRegistrationBody(coordinator),
            R"({"id":100,"listeners":"FLUSS://127.0.0.1:9000","version":2})");
  ASSERT_OK_AND_ASSIGN(TabletServerInfo coordinator_back,
                       zk_znodes::ParseCoordinator(zk_znodes::CoordinatorRegistrationBody(coordinator), "/c"));
  EXPECT_EQ(coordinator_back, coordinator);
  ASSERT_OK_AND_ASSIGN(int32_t id, zk_znodes::ParseCoordinatorId(zk_znodes::ActiveCoordinatorBody(coordinator), "/a"));
  EXPECT_EQ(id, 100);

  const LeaderAndIsr leader{1, 4, {1, 2}, 3, 0};
  const std::string leader_body = zk_znodes::LeaderAndIsrBody(leader);
  EXPECT_EQ(leader_body,
            R"({"version":1,"leader":1,"leader_epoch":4,"isr":[1,2],"coordinator_epoch":3,"bucket_epoch":0})");
  ASSERT_OK_AND_ASSIGN(LeaderAndIsr leader_back, zk_znodes::ParseLeaderAndIsr(leader_body, "/l"));
  EXPECT_EQ(leader_back, leader);
}

TEST(ZkLayoutTest, DamagedBodiesAreCorruptionNamingTheZnode) {
  const TableRecord table{Path("db", "t"), 7, 1, "{}", 2, 0, 0, 0};
  auto expect_corrupt = [](const Status& st, const std::string& path) {
    EXPECT_EQ(st.code(), ErrorCode::kCorruptRecord) << st.ToString();
    EXPECT_NE(st.message().find("'" + path + "'"), std::string::npos) << st.message();
  };
  expect_corrupt(zk_znodes::ParseDatabase("db", "not json", 0, "/fluss/metadata/databases/db").status(),
                 "/fluss/metadata/databases/db");
  expect_corrupt(zk_znodes::ParseDatabase("db", R"({"version":1,"created_time":1})", 0, "/d").status(), "/d");
  expect_corrupt(zk_znodes::ParseTable(Path("db", "t"), R"({"table_id":0})", 0, "/t").status(), "/t");
  // A table id below 1 and a bucket count out of range are refused.
  expect_corrupt(zk_znodes::ParseTable(Path("db", "t"),
                                       R"({"table_id":0,"schema_id":1,"bucket_count":3,"descriptor":{},)"
                                       R"("created_time":0,"modified_time":0})",
                                       0, "/t")
                     .status(),
                 "/t");
  // An assignment that misses a bucket breaks the table's rules.
  expect_corrupt(zk_znodes::ParseAssignment(zk_znodes::AssignmentBody({{0, {1}, 1, 0, 0}}), "/a", table).status(),
                 "/a");
  expect_corrupt(zk_znodes::ParseDroppedTable(7, R"({"database":"db","dropped_time":1})", "/x").status(), "/x");
  expect_corrupt(zk_znodes::ParseTabletServer(3, R"({"listeners":5,"register_timestamp":1})", "/s").status(), "/s");
  expect_corrupt(zk_znodes::ParseCoordinator(R"({"id":"x","listeners":"a"})", "/c").status(), "/c");
  expect_corrupt(zk_znodes::ParseLeaderAndIsr(R"({"leader":1,"leader_epoch":0,"isr":["a"]})", "/l").status(), "/l");
  expect_corrupt(zk_znodes::ParsePartitionRegistration(R"({"table_id":7})", "/p").status(), "/p");
  expect_corrupt(zk_znodes::ParsePartitionAssignment(R"({"table_id":7,"buckets":{"0":[1]}})", "/pa", table).status(),
                 "/pa");  // one bucket of two
  expect_corrupt(
      zk_znodes::ParsePartitionAssignment(R"({"table_id":7,"buckets":{"x":[1],"1":[1]}})", "/pa", table).status(),
      "/pa");
  expect_corrupt(zk_znodes::ParseDroppedPartition(
                     3, R"({"database":"db","table":"t","table_id":7,"partition_name":"a/b","dropped_time":1})", "/dp")
                     .status(),
                 "/dp");
  expect_corrupt(zk_znodes::ParseCounter("-1", "/n").status(), "/n");
  expect_corrupt(zk_znodes::ParseCounter("12x", "/n").status(), "/n");
}

}  // namespace
}  // namespace fluss
