// Partitioned tables on a standalone server, through the real client: CreatePartition,
// DropPartition and ListPartitionInfos (upstream's api keys 1036, 1037, 1009), GetMetadata's
// partition fields, every error a request can meet (and that nothing is created by one), what
// survives a restart, and auto-partitioning driven by a clock the test moves.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "common/time_zone.h"
#include "fluss_api.pb.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "support/eventually.h"
#include "support/in_process_server.h"

namespace fluss {
namespace {

using testing::Eventually;

int64_t Ms(int64_t year, int month, int day, int hour = 0) {
  return SecondsFromCivil(CivilTime{year, month, day, hour, 0, 0}) * 1000;
}

class PartitionTest : public testing::InProcessServerTest {
 protected:
  std::vector<std::string> ServerOptions() const override { return {"max.partition.num=4"}; }
  ServerHooks Hooks() override {
    ServerHooks hooks;
    hooks.clock = [this] { return now_.load(); };
    return hooks;
  }

  Admin admin() { return conn_->GetAdmin(); }

  // db.<name> from the DSL with PARTITIONED BY; fails the test on error.
  TablePath CreatePartitioned(const std::string& name, const std::string& dsl, int buckets,
                              std::map<std::string, std::string> properties = {}) {
    EXPECT_OK(admin().CreateDatabase("db", /*ignore_if_exists=*/true));
    auto parsed = ParseTableSchema(dsl);
    EXPECT_OK(parsed);
    TableDescriptor d(parsed->schema);
    d.DistributedBy(buckets).PartitionedBy(parsed->partition_keys);
    for (auto& [k, v] : properties) d.Property(k, v);
    const TablePath path = *TablePath::Make("db", name);
    EXPECT_OK(admin().CreateTable(path, d));
    return path;
  }

  std::vector<std::string> Names(const TablePath& path, const PartitionSpec& partial = {}) {
    auto partitions = admin().ListPartitionInfos(path, partial);
    EXPECT_OK(partitions);
    std::vector<std::string> out;
    if (partitions.ok()) {
      for (const auto& p : *partitions) out.push_back(p.QualifiedName());
    }
    return out;
  }

  // A raw GetMetadata to this server.
  Result<proto::MetadataResponse> Metadata(const proto::MetadataRequest& req) {
    FLUSS_ASSIGN_OR_RETURN(auto client, rpc::RpcClient::Connect("127.0.0.1", server_->port()));
    FLUSS_ASSIGN_OR_RETURN(auto body, client->CallSync(static_cast<int16_t>(rpc::ApiKey::kGetMetadata), 0,
                                                       req.SerializeAsString(), std::chrono::seconds(30)));
    proto::MetadataResponse resp;
    if (!resp.ParseFromString(body)) return Status::Corruption("bad MetadataResponse");
    return resp;
  }

  std::atomic<int64_t> now_{Ms(2026, 12, 7, 12)};
};

TEST_F(PartitionTest, CreateListAndDropPartitions) {
  const TablePath path =
      CreatePartitioned("events", "id BIGINT, region STRING, dt STRING, v DOUBLE PARTITIONED BY (dt, region)", 2);
  auto info = admin().GetTableInfo(path);
  ASSERT_OK(info);
  EXPECT_EQ(info->descriptor.partition_keys(), (std::vector<std::string>{"dt", "region"}));
  EXPECT_EQ(info->num_buckets, 2);
  EXPECT_TRUE(Names(path).empty());

  ASSERT_OK(admin().CreatePartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}}));
  ASSERT_OK(admin().CreatePartition(path, {{"region", "us"}, {"dt", "2026-12-07"}}));
  ASSERT_OK(admin().CreatePartition(path, {{"dt", "2026-12-08"}, {"region", "eu"}}));
  auto partitions = admin().ListPartitionInfos(path);
  ASSERT_OK(partitions);
  ASSERT_EQ(partitions->size(), 3u);
  EXPECT_EQ((*partitions)[0].partition_name, "2026-12-07$eu");  // values in key order, joined by '$'
  EXPECT_EQ((*partitions)[0].QualifiedName(), "dt=2026-12-07/region=eu");
  EXPECT_EQ((*partitions)[0].partition_id, 0);
  EXPECT_EQ((*partitions)[1].partition_id, 1);
  EXPECT_EQ((*partitions)[2].partition_id, 2);
  // A partial spec filters by the keys it names.
  EXPECT_EQ(Names(path, {{"region", "eu"}}),
            (std::vector<std::string>{"dt=2026-12-07/region=eu", "dt=2026-12-08/region=eu"}));
  EXPECT_EQ(Names(path, {{"dt", "2026-12-07"}, {"region", "us"}}),
            std::vector<std::string>{"dt=2026-12-07/region=us"});
  EXPECT_TRUE(Names(path, {{"region", "asia"}}).empty());
  // Exists already: an error, or nothing with the flag.
  Status twice = admin().CreatePartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}});
  EXPECT_EQ(twice.code(), ErrorCode::kPartitionAlreadyExists);
  EXPECT_EQ(twice.message(), "partition 'dt=2026-12-07/region=eu' of table 'db.events' already exists");
  EXPECT_OK(admin().CreatePartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}}, /*ignore_if_exists=*/true));

  ASSERT_OK(admin().DropPartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}}));
  EXPECT_EQ(Names(path), (std::vector<std::string>{"dt=2026-12-07/region=us", "dt=2026-12-08/region=eu"}));
  Status missing = admin().DropPartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}});
  EXPECT_EQ(missing.code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(missing.message(), "partition 'dt=2026-12-07/region=eu' of table 'db.events' does not exist");
  EXPECT_OK(admin().DropPartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}}, /*ignore_if_not_exists=*/true));
  // A new partition of the same name gets a new id.
  ASSERT_OK(admin().CreatePartition(path, {{"dt", "2026-12-07"}, {"region", "eu"}}));
  EXPECT_EQ(admin().ListPartitionInfos(path, {{"region", "eu"}, {"dt", "2026-12-07"}})->at(0).partition_id, 3);

  RestartServer();
  EXPECT_EQ(Names(path), (std::vector<std::string>{"dt=2026-12-07/region=eu", "dt=2026-12-07/region=us",
                                                   "dt=2026-12-08/region=eu"}));
  ASSERT_OK(admin().DropTable(path));
  EXPECT_EQ(admin().ListPartitionInfos(path).status().code(), ErrorCode::kTableNotExist);
  CreatePartitioned("events", "id BIGINT, region STRING, dt STRING, v DOUBLE PARTITIONED BY (dt, region)", 2);
  EXPECT_TRUE(Names(path).empty());  // the old table's partitions went with it
}

TEST_F(PartitionTest, BadRequestsAreClearErrorsAndCreateNothing) {
  const TablePath path = CreatePartitioned("t", "id BIGINT, dt STRING PARTITIONED BY (dt)", 1);
  auto expect = [&](const Status& st, ErrorCode code, const std::string& message) {
    EXPECT_EQ(st.code(), code) << st.ToString();
    EXPECT_EQ(st.message(), message);
    EXPECT_TRUE(Names(path).empty());
  };
  expect(admin().CreatePartition(path, {{"dt", std::string(201, 'x')}}), ErrorCode::kPartitionSpecInvalid,
         "The partition value " + std::string(201, 'x') + " is invalid: the length of '" + std::string(201, 'x') +
             "' is longer than the max allowed length 200");
  expect(admin().CreatePartition(path, {{"dt", "__x"}}), ErrorCode::kPartitionSpecInvalid,
         "The partition value __x is invalid: '__' is not allowed as prefix, since it is reserved for internal "
         "databases/internal tables/internal partitions in Fluss server");
  expect(admin().CreatePartition(path, {{"dt", "2026/12/07"}}), ErrorCode::kPartitionSpecInvalid,
         "The partition value 2026/12/07 is invalid: '2026/12/07' contains one or more characters other than ASCII "
         "alphanumerics, '_' and '-'");
  expect(admin().CreatePartition(path, {{"day", "1"}}), ErrorCode::kPartitionSpecInvalid,
         "PartitionSpec {day=1} does not contain partition key 'dt' for partitioned table db.t.");
  expect(admin().CreatePartition(path, {}), ErrorCode::kPartitionSpecInvalid,
         "PartitionSpec size is not equal to partition keys size for partitioned table db.t: the partition keys are "
         "dt, the spec names 0");
  expect(admin().ListPartitionInfos(path, {{"zz", "1"}}).status(), ErrorCode::kPartitionSpecInvalid,
         "table db.t has no partition key 'zz' (its partition keys are dt)");
  expect(admin().DropPartition(path, {{"dt", "x"}}), ErrorCode::kPartitionNotExists,
         "partition 'dt=x' of table 'db.t' does not exist");
  expect(admin().CreatePartition(*TablePath::Make("db", "nope"), {{"dt", "x"}}), ErrorCode::kTableNotExist,
         "table 'db.nope' does not exist");

  // A table without partition keys has no partitions (37).
  ASSERT_OK(admin().CreateTable(*TablePath::Make("db", "flat"), TableDescriptor(*ParseSchema("id BIGINT"))));
  const TablePath flat = *TablePath::Make("db", "flat");
  EXPECT_EQ(admin().CreatePartition(flat, {{"dt", "x"}}).code(), ErrorCode::kTableNotPartitioned);
  EXPECT_EQ(admin().CreatePartition(flat, {{"dt", "x"}}).message(),
            "table 'db.flat' is not partitioned: only a partitioned table has partitions");
  EXPECT_EQ(admin().DropPartition(flat, {{"dt", "x"}}).code(), ErrorCode::kTableNotPartitioned);
  EXPECT_EQ(admin().ListPartitionInfos(flat).status().code(), ErrorCode::kTableNotPartitioned);

  // max.partition.num (4 here): the fifth is refused, nothing is created.
  for (int i = 0; i < 4; ++i) ASSERT_OK(admin().CreatePartition(path, {{"dt", std::to_string(i)}}));
  Status fifth = admin().CreatePartition(path, {{"dt", "4"}});
  EXPECT_EQ(fifth.code(), ErrorCode::kPartitionMaxNum);
  EXPECT_EQ(fifth.message(), "table 'db.t' has 4 partitions; max.partition.num allows 4, so no more can be created");
  EXPECT_EQ(Names(path).size(), 4u);

  // Partitioned tables refuse what upstream refuses at creation.
  TableDescriptor not_in_key(*ParseSchema("id BIGINT, dt STRING, PRIMARY KEY (id)"));
  not_in_key.PartitionedBy({"dt"});
  Status pk = admin().CreateTable(*TablePath::Make("db", "pk"), not_in_key);
  EXPECT_EQ(pk.code(), ErrorCode::kInvalidTable);
  EXPECT_EQ(pk.message(), "partitioned primary-key table: partition key 'dt' must be part of the primary key");
  EXPECT_FALSE(*admin().TableExists(*TablePath::Make("db", "pk")));
}

TEST_F(PartitionTest, GetMetadataAnswersForPartitionsByPathAndId) {
  const TablePath path = CreatePartitioned("t", "id BIGINT, dt STRING PARTITIONED BY (dt)", 3);
  ASSERT_OK(admin().CreatePartition(path, {{"dt", "a"}}));
  ASSERT_OK(admin().CreatePartition(path, {{"dt", "b"}}));
  proto::MetadataRequest req;
  auto* tp = req.add_table_path();
  tp->set_database_name("db");
  tp->set_table_name("t");
  auto* pp = req.add_partitions_path();
  pp->set_database_name("db");
  pp->set_table_name("t");
  pp->set_partition_name("a");
  req.add_partitions_id(1);
  req.add_partitions_id(0);  // the same as by path: answered once
  auto resp = Metadata(req);
  ASSERT_OK(resp);
  ASSERT_EQ(resp->table_metadata_size(), 1);
  EXPECT_EQ(resp->table_metadata(0).bucket_metadata_size(), 0);  // a partitioned table's buckets are its partitions'
  ASSERT_EQ(resp->partition_metadata_size(), 2);
  const auto& a = resp->partition_metadata(0);
  EXPECT_EQ(a.partition_name(), "a");
  EXPECT_EQ(a.partition_id(), 0);
  EXPECT_EQ(a.table_id(), resp->table_metadata(0).table_id());
  ASSERT_EQ(a.bucket_metadata_size(), 3);
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(a.bucket_metadata(b).bucket_id(), b);
    EXPECT_EQ(a.bucket_metadata(b).leader_id(), server_->config().server_id);
    EXPECT_EQ(a.bucket_metadata(b).replica_id_size(), 1);
  }
  EXPECT_EQ(resp->partition_metadata(1).partition_name(), "b");

  proto::MetadataRequest unknown;
  unknown.add_partitions_id(77);
  auto missing = Metadata(unknown);
  EXPECT_EQ(missing.status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(missing.status().message(), "partition id 77 does not exist");
  proto::MetadataRequest by_name;
  auto* p = by_name.add_partitions_path();
  p->set_database_name("db");
  p->set_table_name("t");
  p->set_partition_name("zz");
  EXPECT_EQ(Metadata(by_name).status().message(), "partition 'zz' of table 'db.t' does not exist");
}

// The client's data path on a partitioned table (tests/integration has the full story): a write
// makes its partition, and a lookup finds the row there (a partition that does not exist: none).
TEST_F(PartitionTest, TheClientWritesAndLooksUpThroughThePartitions) {
  const TablePath path = CreatePartitioned("t", "id BIGINT, dt STRING, PRIMARY KEY (id, dt) PARTITIONED BY (dt)", 1);
  auto table = conn_->GetTable(path);
  ASSERT_OK(table);
  auto writer = table->NewUpsertWriter();
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->Upsert(GenericRow({Datum(int64_t{1}), Datum(std::string("d1"))})));
  ASSERT_OK((*writer)->Flush());
  EXPECT_EQ(Names(path), (std::vector<std::string>{"dt=d1"}));
  auto lookuper = table->NewLookuper();
  ASSERT_OK(lookuper);
  auto found = (*lookuper)->Lookup(GenericRow({Datum(int64_t{1}), Datum(std::string("d1"))}));
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(std::get<std::string>((*found)->field(1)), "d1");
  auto missing = (*lookuper)->Lookup(GenericRow({Datum(int64_t{1}), Datum(std::string("d2"))}));
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(PartitionTest, AutoPartitioningPrecreatesAndExpiresAsTheClockMoves) {
  const TablePath path =
      CreatePartitioned("daily", "id BIGINT, dt STRING PARTITIONED BY (dt)", 1,
                        {{"table.auto-partition.enabled", "true"},
                         {"table.auto-partition.time-unit", "DAY"},
                         {"table.auto-partition.time-zone", "UTC"},
                         {"table.auto-partition.num-precreate", "2"},
                         {"table.auto-partition.num-retention", "1"}});
  // Creating the table checks it at once: today and tomorrow.
  ASSERT_TRUE(Eventually([&] { return Names(path).size() == 2; }));
  EXPECT_EQ(Names(path), (std::vector<std::string>{"dt=20261207", "dt=20261208"}));
  // A time already past retention is refused; one within it is fine.
  Status old = admin().CreatePartition(path, {{"dt", "20261205"}});
  EXPECT_EQ(old.code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(old.message(), "Partition value '20261205' is out-of-date. The earliest retained partition is '20261206'.");
  EXPECT_EQ(admin().CreatePartition(path, {{"dt", "2026-12-06"}}).message(),
            "Partition value '2026-12-06' does not match the expected format 'yyyyMMdd' for auto-partition time unit "
            "'DAY'.");
  ASSERT_OK(admin().CreatePartition(path, {{"dt", "20261206"}}));

  // Two days on: what is older than yesterday goes, today's and tomorrow's come.
  now_ = Ms(2026, 12, 9, 12);
  auto* manager = server_->auto_partitions();
  ASSERT_NE(manager, nullptr);
  auto checked = manager->CheckAll(/*force=*/true);
  EXPECT_EQ(checked.dropped, 2);  // 20261206, 20261207
  EXPECT_EQ(checked.created, 2);  // 20261209, 20261210
  EXPECT_EQ(Names(path), (std::vector<std::string>{"dt=20261208", "dt=20261209", "dt=20261210"}));
  // Nothing more to do until the clock moves again.
  checked = manager->CheckAll(/*force=*/true);
  EXPECT_EQ(checked.dropped + checked.created, 0);

  // Across a restart. The server's own check at start may run first, creating as if up to 23 hours
  // earlier (the DAY jitter): at 23:59 that is still the same day, so the outcome is fixed.
  now_ = Ms(2026, 12, 12, 23) + 59 * 60 * 1000;
  RestartServer();
  server_->auto_partitions()->CheckAll(/*force=*/true);
  EXPECT_EQ(Names(path), (std::vector<std::string>{"dt=20261212", "dt=20261213"}));
}

TEST_F(PartitionTest, AutoPartitionOptionsAreCheckedAtCreation) {
  ASSERT_OK(admin().CreateDatabase("db", true));
  TableDescriptor flat(*ParseSchema("id BIGINT, dt STRING"));
  flat.Property("table.auto-partition.enabled", "true");
  Status st = admin().CreateTable(*TablePath::Make("db", "flat"), flat);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(st.message(), "cannot create 'db.flat': Currently, auto partition is only supported for partitioned "
                          "table, please set table property 'table.auto-partition.enabled' to false.");
  TableDescriptor multi(*ParseSchema("id BIGINT, region STRING, dt STRING"));
  multi.PartitionedBy({"region", "dt"}).Property("table.auto-partition.enabled", "true");
  EXPECT_EQ(admin().CreateTable(*TablePath::Make("db", "multi"), multi).code(), ErrorCode::kInvalidTable);
  multi.Property("table.auto-partition.key", "dt");
  ASSERT_OK(admin().CreateTable(*TablePath::Make("db", "multi"), multi));
  // Several partition keys: nothing is created ahead (upstream's default), and the server says so.
  auto info = admin().GetTableInfo(*TablePath::Make("db", "multi"));
  ASSERT_OK(info);
  EXPECT_EQ(info->descriptor.properties().at("table.auto-partition.num-precreate"), "0");
  EXPECT_EQ(server_->auto_partitions()->CheckAll(/*force=*/true).created, 0);
}

}  // namespace
}  // namespace fluss
