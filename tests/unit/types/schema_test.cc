#include "types/schema.h"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "types/schema_parser.h"
#include "types/table_descriptor.h"
#include "types/table_path.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TEST(DataTypeTest, ToStringUsesSqlSpelling) {
  EXPECT_EQ(DataType::Decimal(10, 2).NotNull().ToString(), "DECIMAL(10, 2) NOT NULL");
  EXPECT_EQ(DataType::TimestampLtz(3).ToString(), "TIMESTAMP_LTZ(3)");
  EXPECT_EQ(DataType::Int().ToString(), "INT");
}

TEST(DataTypeTest, JsonUsesFlussRootNames) {
  EXPECT_EQ(DataTypeToJson(DataType::Int()).dump(), R"({"type":"INTEGER"})");
  EXPECT_EQ(DataTypeToJson(DataType::TimestampLtz(3).NotNull()).dump(),
            R"({"nullable":false,"precision":3,"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE"})");
  for (const DataType& t : {DataType::Boolean(), DataType::TinyInt(), DataType::SmallInt(), DataType::BigInt(),
                            DataType::Float(), DataType::Double(), DataType::Decimal(38, 5), DataType::Char(3),
                            DataType::String().NotNull(), DataType::Binary(9), DataType::Bytes(), DataType::Date(),
                            DataType::Time(9), DataType::Timestamp(0), DataType::TimestampLtz(6)}) {
    auto back = DataTypeFromJson(DataTypeToJson(t));
    ASSERT_OK(back);
    EXPECT_EQ(*back, t) << t.ToString();
  }
  EXPECT_FALSE(DataTypeFromJson(nlohmann::json::parse(R"({"type":"ARRAYY"})")).ok());
}

TEST(SchemaTest, PrimaryKeyColumnsBecomeNotNull) {
  auto s = Schema::Make({{"id", DataType::Int()}, {"v", DataType::String()}}, {"id"});
  ASSERT_OK(s);
  EXPECT_FALSE(s->column(0).type.nullable());
  EXPECT_TRUE(s->column(1).type.nullable());
  EXPECT_EQ(s->primary_key_indexes(), std::vector<size_t>{0});
}

TEST(SchemaTest, AddColumnKeepsIdsAndTakesTheNextOne) {
  auto s = *ParseSchema("a INT, b STRING");
  auto s2 = s.AddColumn("c", DataType::Double());
  ASSERT_OK(s2);
  EXPECT_EQ(s2->column(2).id, 2);
  EXPECT_EQ(s2->highest_field_id(), 2);
  EXPECT_EQ(s2->column(0).id, s.column(0).id);
  EXPECT_FALSE(s.AddColumn("d", DataType::Int().NotNull()).ok());
  EXPECT_FALSE(s.AddColumn("a", DataType::Int()).ok());
}

TEST(SchemaTest, JsonRoundTripKeepsIdsAndKey) {
  auto s = *ParseSchema("id BIGINT, name STRING COMMENT 'n', amount DECIMAL(12, 2), PRIMARY KEY (id)");
  auto j = SchemaToJson(s);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["columns"][1]["comment"], "n");
  auto back = SchemaFromJson(j);
  ASSERT_OK(back);
  EXPECT_EQ(*back, s);
}

TEST(SchemaTest, ProjectKeepsColumnIds) {
  auto s = *ParseSchema("a INT, b STRING, c DOUBLE");
  auto p = s.Project({2, 0});
  ASSERT_OK(p);
  EXPECT_EQ(p->column(0).name, "c");
  EXPECT_EQ(p->column(0).id, 2);
  EXPECT_EQ(s.Project({3}).status().code(), ErrorCode::kInvalidColumnProjection);
}

TEST(TablePathTest, ParsesAndValidatesNames) {
  auto p = TablePath::Parse("fluss.orders");
  ASSERT_OK(p);
  EXPECT_EQ(p->database(), "fluss");
  EXPECT_EQ(p->table(), "orders");
  EXPECT_EQ(p->ToString(), "fluss.orders");
  EXPECT_FALSE(TablePath::Parse("orders").ok());
  EXPECT_FALSE(TablePath::Parse("a.b.c").ok());
  EXPECT_EQ(TablePath::Parse("db.__internal").status().code(), ErrorCode::kInvalidTable);
  EXPECT_EQ(TablePath::Parse("d b.t").status().code(), ErrorCode::kInvalidDatabase);
  EXPECT_FALSE(TablePath::Parse("db." + std::string(201, 'x')).ok());
  EXPECT_OK(TablePath::Parse("db." + std::string(200, 'x')));
  EXPECT_OK(TablePath::Parse("my-db.t_1"));
}

TEST(TableDescriptorTest, JsonRoundTrip) {
  TableDescriptor d(*ParseSchema("id INT, dt STRING, v STRING, PRIMARY KEY (id, dt)"));
  d.DistributedBy(4, {"id"}).PartitionedBy({"dt"}).Property("table.log.ttl", "1d").CustomProperty("x", "y").Comment("c");
  ASSERT_OK(d.Validate());
  auto j = TableDescriptorToJson(d);
  EXPECT_EQ(j["bucket_count"], 4);
  EXPECT_EQ(j["partition_key"][0], "dt");
  auto back = TableDescriptorFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_OK(back);
  EXPECT_EQ(*back, d);
}

TEST(TableDescriptorTest, PrimaryKeyTableBucketsByKeyMinusPartitionKeys) {
  TableDescriptor d(*ParseSchema("id INT, dt STRING, PRIMARY KEY (id, dt)"));
  d.PartitionedBy({"dt"});
  EXPECT_EQ(d.bucket_keys(), std::vector<std::string>{"id"});
}

TEST(TableDescriptorTest, ValidationRejectsBadLayouts) {
  TableDescriptor reserved(*ParseSchema("__offset BIGINT"));
  EXPECT_FALSE(reserved.Validate().ok());
  TableDescriptor buckets(*ParseSchema("a INT"));
  buckets.DistributedBy(0);
  EXPECT_EQ(buckets.Validate().code(), ErrorCode::kBucketMaxNum);
  TableDescriptor bad_bucket_key(*ParseSchema("a INT, b INT, PRIMARY KEY (a)"));
  bad_bucket_key.DistributedBy(2, {"b"});
  EXPECT_FALSE(bad_bucket_key.Validate().ok());
  TableDescriptor partition_not_in_pk(*ParseSchema("a INT, p STRING, PRIMARY KEY (a)"));
  partition_not_in_pk.PartitionedBy({"p"});
  EXPECT_FALSE(partition_not_in_pk.Validate().ok());
  TableDescriptor unknown_partition(*ParseSchema("a INT"));
  unknown_partition.PartitionedBy({"zz"});
  EXPECT_FALSE(unknown_partition.Validate().ok());
}

TEST(TableDescriptorTest, PartitionKeysMustHaveASupportedType) {
  for (const char* type : {"CHAR(4)", "STRING", "BOOLEAN", "BINARY(2)", "BYTES", "TINYINT", "SMALLINT", "INT",
                           "BIGINT", "FLOAT", "DOUBLE", "DATE", "TIME(3)", "TIMESTAMP(6)", "TIMESTAMP_LTZ(3)"}) {
    TableDescriptor d(*ParseSchema(fmt::format("v INT, p {}", type)));
    d.PartitionedBy({"p"});
    EXPECT_TRUE(d.Validate().ok()) << type << ": " << d.Validate().ToString();
    EXPECT_TRUE(IsPartitionKeyType(d.schema().column(1).type.root())) << type;
  }
  TableDescriptor decimal(*ParseSchema("v INT, p DECIMAL(10, 2)"));
  decimal.PartitionedBy({"p"});
  Status st = decimal.Validate();
  EXPECT_EQ(st.code(), ErrorCode::kInvalidTable);
  EXPECT_EQ(st.message(),
            "partition key 'p' is DECIMAL(10, 2); a partition key must be CHAR, STRING, BOOLEAN, BINARY, BYTES, "
            "TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DATE, TIME, TIMESTAMP or TIMESTAMP_LTZ");
}

TEST(TableDescriptorTest, PartitionKeysArePartOfThePrimaryKeyAndNotBucketKeys) {
  TableDescriptor pk(*ParseSchema("id INT, dt STRING, PRIMARY KEY (id)"));
  pk.PartitionedBy({"dt"});
  EXPECT_EQ(pk.Validate().message(),
            "partitioned primary-key table: partition key 'dt' must be part of the primary key");
  TableDescriptor bucket_key(*ParseSchema("id INT, dt STRING"));
  bucket_key.PartitionedBy({"dt"}).DistributedBy(4, {"dt"});
  EXPECT_EQ(bucket_key.Validate().message(),
            "bucket key 'dt' is a partition key; bucket keys must not include partition keys (each partition has "
            "its own buckets)");
  TableDescriptor twice(*ParseSchema("id INT, dt STRING"));
  twice.PartitionedBy({"dt", "dt"});
  EXPECT_EQ(twice.Validate().message(), "partition key 'dt' is given twice");
  TableDescriptor only_partition_keys(*ParseSchema("dt STRING, PRIMARY KEY (dt)"));
  only_partition_keys.PartitionedBy({"dt"});
  EXPECT_EQ(only_partition_keys.Validate().message(), "the primary key must have a column that is not a partition key");
  TableDescriptor good(*ParseSchema("id INT, dt STRING, PRIMARY KEY (id, dt)"));
  good.PartitionedBy({"dt"}).DistributedBy(4, {"id"});
  EXPECT_OK(good.Validate());
}

}  // namespace
}  // namespace fluss
