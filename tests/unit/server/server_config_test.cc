#include <gtest/gtest.h>

#include "server/server_config.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TEST(ServerConfigTest, DefaultsFollowFlussWithAStandaloneDataDir) {
  auto c = ServerConfig::Load("", {});
  ASSERT_OK(c);
  EXPECT_EQ(c->bind.ToString(), "FLUSS://localhost:9123");
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->default_bucket_number, 1);
  EXPECT_EQ(c->max_request_size, 100LL << 20);
  EXPECT_EQ(c->advertised_host, "localhost");
  EXPECT_EQ(c->advertised_port, 9123);
}

TEST(ServerConfigTest, SetOverridesWinOverTheFile) {
  auto opts = ParseConfigText(
      "# comment\n"
      "bind.listeners: FLUSS://0.0.0.0:9000\n"
      "data.dir: '/var/lib/fluss'   \n"
      "default.bucket.number: 3 # trailing comment\n"
      "zookeeper.address: localhost:2181\n"
      "security.protocol.map: FLUSS:PLAINTEXT\n",
      "server.yaml");
  ASSERT_OK(opts);
  EXPECT_EQ(opts->at("data.dir"), "/var/lib/fluss");
  EXPECT_EQ(opts->at("default.bucket.number"), "3");
  (*opts)["bind.listeners"] = "FLUSS://127.0.0.1:9123";
  auto c = ServerConfig::FromOptions(*opts);
  ASSERT_OK(c);
  EXPECT_EQ(c->bind.host, "127.0.0.1");
  EXPECT_EQ(c->default_bucket_number, 3);
  EXPECT_EQ(c->zookeeper_address, "localhost:2181");
  ASSERT_EQ(c->ignored_keys.size(), 1u);
  EXPECT_EQ(c->ignored_keys[0], "security.protocol.map");
}

TEST(ServerConfigTest, BadValuesAreNamed) {
  auto bad_port = ServerConfig::Load("", {"bind.listeners=FLUSS://localhost:99999"});
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.status().message().find("invalid port"), std::string::npos);
  auto no_scheme = ServerConfig::Load("", {"bind.listeners=localhost:9123"});
  ASSERT_FALSE(no_scheme.ok());
  EXPECT_NE(no_scheme.status().message().find("NAME://host:port"), std::string::npos);
  auto typo = ServerConfig::Load("", {"log.segment.filesize=1mb"});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("log.segment.filesize"), std::string::npos);
  auto not_kv = ServerConfig::Load("", {"data.dir"});
  EXPECT_FALSE(not_kv.ok());
  auto buckets = ServerConfig::Load("", {"default.bucket.number=0"});
  EXPECT_FALSE(buckets.ok());
  auto replication = ServerConfig::Load("", {"default.replication.factor=3"});
  ASSERT_OK(replication);
  EXPECT_EQ(replication->Validate().code(), ErrorCode::kInvalidReplicationFactor);  // standalone
  replication->role = ServerRole::kTablet;
  EXPECT_NE(replication->Validate().message().find("zookeeper.address"), std::string::npos);
  replication->zookeeper_address = "127.0.0.1:2181";
  EXPECT_OK(replication->Validate());
  EXPECT_FALSE(ParseServerRole("leader").ok());
  EXPECT_EQ(*ParseServerRole("coordinator"), ServerRole::kCoordinator);
  auto nested = ParseConfigText("a:\n  b: 1\n", "server.yaml");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("server.yaml:2"), std::string::npos);
}

TEST(ServerConfigTest, SizesAndDurationsTakeUnits) {
  auto c = ServerConfig::Load("", {"netty.server.max-request-size=16 mb", "netty.connection.max-idle-time=2 min",
                                   "log.segment.file-size=64mb"});
  ASSERT_OK(c);
  EXPECT_EQ(c->max_request_size, 16LL << 20);
  EXPECT_EQ(c->connection_max_idle_ms, 120000);
  EXPECT_EQ(c->log.segment_bytes, 64LL << 20);
}

TEST(ServerConfigTest, KvOptionsShareOneBudget) {
  auto c = ServerConfig::Load("", {"kv.rocksdb.shared-write-buffer.size=32mb", "kv.rocksdb.block.cache-size=16 mb",
                                   "kv.rocksdb.use-bloom-filter=false", "kv.flush.thread-num=3"});
  ASSERT_OK(c);
  EXPECT_EQ(c->kv.shared_write_buffer_bytes, 32LL << 20);
  EXPECT_EQ(c->kv.block_cache_bytes, 16LL << 20);
  EXPECT_FALSE(c->kv.bloom_filter);
  EXPECT_EQ(c->kv.flush_threads, 3);
  auto typo = ServerConfig::Load("", {"kv.rocksdb.block.cache-sise=16mb"});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("kv.rocksdb.block.cache-sise"), std::string::npos);
  EXPECT_FALSE(ServerConfig::Load("", {"kv.rocksdb.use-bloom-filter=maybe"}).ok());
  EXPECT_FALSE(ServerConfig::Load("", {"kv.rocksdb.writebuffer.size=0"}).ok());
}

TEST(ServerConfigTest, DatalakeNeedsFormatAndWarehouseTogether) {
  auto c = ServerConfig::Load("", {"datalake.format=iceberg", "datalake.iceberg.warehouse=/tmp/wh"});
  ASSERT_OK(c);
  EXPECT_EQ(c->datalake_format, "iceberg");
  EXPECT_EQ(c->iceberg_warehouse, "/tmp/wh");
  auto paimon = ServerConfig::Load("", {"datalake.format=paimon", "datalake.iceberg.warehouse=/tmp/wh"});
  EXPECT_NE(paimon.status().message().find("'paimon' is not supported"), std::string::npos);
  EXPECT_FALSE(ServerConfig::Load("", {"datalake.format=iceberg"}).ok());
  EXPECT_FALSE(ServerConfig::Load("", {"datalake.iceberg.warehouse=/tmp/wh"}).ok());
}

TEST(ServerConfigTest, PreferredLeaderElectionIsOnByDefaultAndCanBeTuned) {
  auto dflt = ServerConfig::Load("", {});
  ASSERT_OK(dflt);
  EXPECT_TRUE(dflt->auto_leader_rebalance);
  EXPECT_EQ(dflt->leader_imbalance_check_interval_ms, 30 * 1000);
  auto c = ServerConfig::Load("", {"auto.leader.rebalance.enabled=false", "leader.imbalance.check.interval=2 s"});
  ASSERT_OK(c);
  EXPECT_FALSE(c->auto_leader_rebalance);
  EXPECT_EQ(c->leader_imbalance_check_interval_ms, 2000);
  EXPECT_TRUE(c->ignored_keys.empty());
  auto bad = ServerConfig::Load("", {"auto.leader.rebalance.enabled=yes"});
  EXPECT_NE(bad.status().message().find("auto.leader.rebalance.enabled"), std::string::npos) << bad.status().ToString();
  auto zero = ServerConfig::Load("", {"leader.imbalance.check.interval=0 s"});
  EXPECT_NE(zero.status().message().find("must be positive"), std::string::npos) << zero.status().ToString();
}

TEST(ServerConfigTest, PartitionLimitsAndTheAutoPartitionIntervalAreUpstreams) {
  auto dflt = ServerConfig::Load("", {});
  ASSERT_OK(dflt);
  EXPECT_EQ(dflt->max_partition_num, 1000);
  EXPECT_EQ(dflt->max_bucket_num, 4096);
  EXPECT_EQ(dflt->auto_partition_check_interval_ms, 10 * 60 * 1000);
  auto c = ServerConfig::Load("", {"max.partition.num=20", "auto-partition.check.interval=30 s"});
  ASSERT_OK(c);
  EXPECT_EQ(c->max_partition_num, 20);
  EXPECT_EQ(c->auto_partition_check_interval_ms, 30 * 1000);
  EXPECT_TRUE(c->ignored_keys.empty());  // implemented now, not "accepted and ignored"
  auto zero = ServerConfig::Load("", {"auto-partition.check.interval=0 ms"});
  EXPECT_NE(zero.status().message().find("must be positive"), std::string::npos) << zero.status().ToString();
  EXPECT_FALSE(ServerConfig::Load("", {"max.partition.num=0"}).ok());
}

TEST(ServerConfigTest, UnknownOptionsAreErrorsWithASuggestion) {
  auto typo = ServerConfig::Load("", {"data.dirr=/x"});
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(typo.status().message(), "--set: unknown option 'data.dirr'; did you mean 'data.dir'?");
  // Every unknown key is named, one line each; a log option is suggested from LogConfig's names.
  auto two = ServerConfig::Load("", {"bind.listener=FLUSS://127.0.0.1:9123", "log.segment.filesize=1mb",
                                     "no.such.thing=1"});
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message(),
            "--set: unknown option 'bind.listener'; did you mean 'bind.listeners'?\n"
            "--set: unknown option 'log.segment.filesize'; did you mean 'log.segment.file-size'?\n"
            "--set: unknown option 'no.such.thing' (docs/configuration.md lists the options)");
  // From a file, the line is named.
  std::map<std::string, int> lines;
  auto opts = ParseConfigText("# a comment\ndata.dir: /d\n\nbind.listener: FLUSS://127.0.0.1:9\n", "server.yaml", &lines);
  ASSERT_OK(opts);
  EXPECT_EQ(lines.at("bind.listener"), 4);
  auto from_file = ServerConfig::FromOptions(*opts, {{"bind.listener", "server.yaml:4"}});
  ASSERT_FALSE(from_file.ok());
  EXPECT_EQ(from_file.status().message(), "server.yaml:4: unknown option 'bind.listener'; did you mean 'bind.listeners'?");
}

TEST(ServerConfigTest, FlussOptionsFlussCppDoesNotImplementAreListedNotRefused) {
  auto c = ServerConfig::Load("", {"remote.data.dir=s3://b/p", "client.writer.batch-size=2mb", "kv.snapshot.interval=10min",
                                   "datalake.iceberg.type=hadoop", "fs.s3a.endpoint=http://x", "log.file-preallocate=true",
                                   "kv.rocksdb.compaction.style=LEVEL", "table.auto-partition.num-retention=3",
                                   "metrics.reporter.prometheus.port=9249"});
  ASSERT_OK(c);
  EXPECT_EQ(c->ignored_keys,
            (std::vector<std::string>{"client.writer.batch-size", "datalake.iceberg.type", "fs.s3a.endpoint",
                                      "kv.rocksdb.compaction.style", "kv.snapshot.interval", "log.file-preallocate",
                                      "metrics.reporter.prometheus.port", "remote.data.dir",
                                      "table.auto-partition.num-retention"}));
  // Implemented keys are not listed.
  auto implemented = ServerConfig::Load("", {"data.dir=/d", "table.log.ttl=3d", "log.recovery.thread-num=1"});
  ASSERT_OK(implemented);
  EXPECT_TRUE(implemented->ignored_keys.empty());
  EXPECT_EQ(implemented->log.retention_ms, 3 * 24 * 3600 * 1000LL);
}

}  // namespace
}  // namespace fluss
