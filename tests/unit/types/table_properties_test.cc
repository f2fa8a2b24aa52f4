#include "types/table_properties.h"

#include <gtest/gtest.h>

#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TableDescriptor Log(std::map<std::string, std::string> props) {
  TableDescriptor d(ParseSchema("id INT, name STRING, v BIGINT, ts TIMESTAMP(3)").value());
  for (auto& [k, v] : props) d.Property(k, v);
  return d;
}

TableDescriptor Keyed(std::map<std::string, std::string> props) {
  TableDescriptor d(ParseSchema("id INT NOT NULL, name STRING, v BIGINT, ts TIMESTAMP(3), PRIMARY KEY (id)").value());
  for (auto& [k, v] : props) d.Property(k, v);
  return d;
}

// The error message of checking `d`, or "OK".
std::string Error(const TableDescriptor& d) {
  auto check = CheckTableProperties(d);
  if (check.ok()) return "OK";
  EXPECT_EQ(check.status().code(), ErrorCode::kInvalidConfig) << check.status().ToString();
  return check.status().message();
}

TEST(TablePropertiesTest, ValuesAreCheckedByType) {
  EXPECT_EQ(Error(Log({{"table.log.ttl", "abc"}})),
            "table property 'table.log.ttl': 'abc' is not a duration (e.g. 7d, 12h, 30min, 500ms)");
  EXPECT_EQ(Error(Log({{"table.log.ttl", "-5d"}})), "table property 'table.log.ttl': '-5d' is negative");
  EXPECT_EQ(Error(Log({{"table.datalake.freshness", "banana"}})),
            "table property 'table.datalake.freshness': 'banana' is not a duration (e.g. 7d, 12h, 30min, 500ms)");
  EXPECT_EQ(Error(Log({{"table.datalake.freshness", "0s"}})),
            "table property 'table.datalake.freshness': '0s' must be a positive duration (e.g. 3min, 30s)");
  EXPECT_EQ(Error(Log({{"table.datalake.enabled", "yes"}})),
            "table property 'table.datalake.enabled': 'yes' is not true or false");
  EXPECT_EQ(Error(Log({{"table.replication.factor", "three"}})),
            "table property 'table.replication.factor': 'three' is not an integer");
  EXPECT_EQ(Error(Log({{"table.replication.factor", "0"}})),
            "table property 'table.replication.factor': 0 is not at least 1");
  EXPECT_EQ(Error(Log({{"table.log.arrow.compression.zstd.level", "23"}})),
            "table property 'table.log.arrow.compression.zstd.level': 23 is not between 1 and 22");
  EXPECT_EQ(Error(Log({{"table.log.arrow.compression.type", "GZIP"}})),
            "table property 'table.log.arrow.compression.type': 'GZIP' is not one of NONE, LZ4_FRAME, ZSTD");
  // Fluss's spellings pass: durations with long units, enums in any case, booleans in any case.
  EXPECT_EQ(Error(Log({{"table.log.ttl", "0"},
                       {"table.datalake.freshness", "30 s"},
                       {"table.log.arrow.compression.type", "lz4_frame"},
                       {"table.datalake.enabled", "FALSE"},
                       {"table.replication.factor", "1"}})),
            "OK");
  EXPECT_EQ(Error(Log({{"table.log.ttl", "2 days"}})), "OK");
}

TEST(TablePropertiesTest, UnknownKeysAreRefusedWithASuggestion) {
  EXPECT_EQ(Error(Log({{"table.log.tll", "1d"}})), "unknown table property 'table.log.tll'; did you mean 'table.log.ttl'?");
  EXPECT_EQ(Error(Log({{"table.nonsense", "1"}})),
            "unknown table property 'table.nonsense' (docs/configuration.md lists them; keys of your own are custom "
            "properties)");
  EXPECT_EQ(Error(Log({{"owner", "me"}})),
            "'owner' is not a table property (those are Fluss's 'table.*' keys); keys of your own are custom "
            "properties");
  // Custom properties are opaque.
  TableDescriptor d = Log({});
  d.CustomProperty("table.whatever", "x").CustomProperty("owner", "me");
  EXPECT_EQ(Error(d), "OK");
}

TEST(TablePropertiesTest, PropertiesApplyOnlyToTheirKindOfTable) {
  EXPECT_EQ(Error(Log({{"table.merge-engine", "aggregation"}})),
            "table property 'table.merge-engine': a merge engine needs a primary-key table; this table has no primary "
            "key");
  EXPECT_EQ(Error(Log({{"table.delete.behavior", "ignore"}})),
            "table property 'table.delete.behavior': only a primary-key table has deletes; this table has no primary "
            "key");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "newest"}})),
            "table property 'table.merge-engine': 'newest' is not one of FIRST_ROW, VERSIONED, AGGREGATION");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "first_row"}, {"table.delete.behavior", "allow"}})),
            "table property 'table.delete.behavior': 'allow' is not possible with merge engine 'first_row' (use "
            "ignore or disable)");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "versioned"}})),
            "table property 'table.merge-engine': 'versioned' needs table.merge-engine.versioned.ver-column");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "versioned"}, {"table.merge-engine.versioned.ver-column", "name"}})),
            "table property 'table.merge-engine.versioned.ver-column': column 'name' is STRING; the version column "
            "must be INT, BIGINT, TIMESTAMP or TIMESTAMP_LTZ");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "VERSIONED"}, {"table.merge-engine.versioned.ver-column", "ts"}})), "OK");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "aggregation"}, {"table.changelog.image", "wal"}})),
            "table property 'table.changelog.image': 'WAL' is not possible with merge engine 'aggregation' (use FULL)");
  EXPECT_EQ(Error(Keyed({{"fields.v.agg", "sum"}})),
            "table property 'fields.v.agg': per-column aggregation needs table.merge-engine=aggregation");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "aggregation"}, {"fields.nope.agg", "sum"}})),
            "table property 'fields.nope.agg': column 'nope' does not exist");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "aggregation"}, {"fields.v.aggregate", "sum"}})),
            "unknown table property 'fields.v.aggregate' (the per-column keys are fields.<column>.agg and "
            "fields.<column>.listagg.delimiter)");
  EXPECT_EQ(Error(Keyed({{"table.merge-engine", "aggregation"}, {"fields.v.agg", "sum"},
                         {"fields.name.listagg.delimiter", ";"}})),
            "OK");
}

TEST(TablePropertiesTest, UpstreamValuesFlussCppDoesNotImplementAreRefused) {
  EXPECT_EQ(Error(Log({{"table.log.format", "INDEXED"}})),
            "table property 'table.log.format': 'INDEXED' is not supported: fluss-cpp writes ARROW logs only");
  EXPECT_EQ(Error(Keyed({{"table.kv.format", "indexed"}})),
            "table property 'table.kv.format': 'indexed' is not supported: fluss-cpp stores COMPACTED rows only");
  EXPECT_EQ(Error(Log({{"table.datalake.format", "paimon"}})),
            "table property 'table.datalake.format': 'paimon' is not supported: fluss-cpp tiers to 'iceberg' only");
  EXPECT_EQ(Error(Log({{"table.log.format", "arrow"}, {"table.datalake.format", "iceberg"}})), "OK");
}

TEST(TablePropertiesTest, UpstreamKeysNotImplementedAreAcceptedAndListed) {
  auto check = CheckTableProperties(Log({{"table.log.ttl", "3d"},
                                         {"table.auto-increment.cache-size", "10"},
                                         {"table.statistics.columns", "id, v"},
                                         {"table.datalake.enabled", "false"}}));
  ASSERT_OK(check);
  EXPECT_EQ(check->not_implemented,
            (std::vector<std::string>{"table.auto-increment.cache-size", "table.log.ttl", "table.statistics.columns"}));
  // Still checked by type.
  EXPECT_EQ(Error(Log({{"table.log.tiered.local-segments", "0"}})),
            "table property 'table.log.tiered.local-segments': 0 is not at least 1");
  EXPECT_EQ(Error(Log({{"table.auto-partition.time-unit", "WEEK"}})),
            "table property 'table.auto-partition.time-unit': 'WEEK' is not one of YEAR, QUARTER, MONTH, DAY, HOUR");
  EXPECT_EQ(Error(Log({{"table.statistics.columns", "id,nope"}})),
            "table property 'table.statistics.columns': 'nope' is not a column of the table ('*' or a "
            "comma-separated list of columns)");
  EXPECT_EQ(Error(Log({{"table.log.ttl", "1d"}, {"table.log.local-ttl", "2d"}})),
            "table property 'table.log.local-ttl': '2d' is longer than table.log.ttl '1d'");
  for (std::string_view key : NotImplementedTableProperties()) EXPECT_TRUE(IsUpstreamTableProperty(key)) << key;
  EXPECT_TRUE(IsUpstreamTableProperty("table.merge-engine"));
  EXPECT_FALSE(IsUpstreamTableProperty("table.log.retention-size"));
}

TEST(TablePropertiesTest, CreateMessagesNameTheTable) {
  auto check = CheckTablePropertiesForCreate(TablePath::Make("db", "t").value(), Log({{"table.log.ttl", "abc"}}));
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(check.status().message(),
            "cannot create 'db.t': table property 'table.log.ttl': 'abc' is not a duration (e.g. 7d, 12h, 30min, "
            "500ms)");
}

}  // namespace
}  // namespace fluss
