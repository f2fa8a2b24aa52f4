#include "types/schema_parser.h"
#include "support/status_macros.h"

#include <gtest/gtest.h>

namespace fluss {
namespace {

TEST(SchemaParserTest, ParsesTheCliExample) {
  auto s = ParseSchema("id INT NOT NULL, name STRING, ts TIMESTAMP(3), PRIMARY KEY (id)");
  ASSERT_OK(s);
  ASSERT_EQ(s->num_columns(), 3u);
  EXPECT_EQ(s->column(0).name, "id");
  EXPECT_EQ(s->column(0).type, DataType::Int().NotNull());
  EXPECT_EQ(s->column(1).type, DataType::String());
  EXPECT_EQ(s->column(2).type, DataType::Timestamp(3));
  EXPECT_EQ(s->primary_key(), std::vector<std::string>{"id"});
  EXPECT_EQ(s->column(0).id, 0);
  EXPECT_EQ(s->column(2).id, 2);
}

TEST(SchemaParserTest, ParsesEveryType) {
  auto s = ParseSchema(
      "a BOOLEAN, b TINYINT, c SMALLINT, d INTEGER, e BIGINT, f FLOAT, g DOUBLE, h DECIMAL(38, 10), "
      "i CHAR(5), j STRING, k BINARY(16), l BYTES, m DATE, n TIME(3), o TIMESTAMP, p TIMESTAMP_LTZ(9), "
      "q TIMESTAMP(3) WITH LOCAL TIME ZONE, r decimal, s varchar");
  ASSERT_OK(s);
  EXPECT_EQ(s->column(7).type, DataType::Decimal(38, 10));
  EXPECT_EQ(s->column(8).type, DataType::Char(5));
  EXPECT_EQ(s->column(10).type, DataType::Binary(16));
  EXPECT_EQ(s->column(13).type, DataType::Time(3));
  EXPECT_EQ(s->column(14).type, DataType::Timestamp(6));
  EXPECT_EQ(s->column(15).type, DataType::TimestampLtz(9));
  EXPECT_EQ(s->column(16).type, DataType::TimestampLtz(3));
  EXPECT_EQ(s->column(17).type, DataType::Decimal(10, 0));
  EXPECT_EQ(s->column(18).type, DataType::String());
}

TEST(SchemaParserTest, ToStringParsesBackToTheSameSchema) {
  auto s = ParseSchema("`order id` BIGINT, price DECIMAL(10, 2) COMMENT 'it''s the price', b BINARY(4), PRIMARY KEY (`order id`)");
  ASSERT_OK(s);
  EXPECT_EQ(s->column(0).name, "order id");
  EXPECT_EQ(s->column(1).comment, "it's the price");
  auto again = ParseSchema(s->ToString());
  ASSERT_TRUE(again.ok()) << again.status().ToString() << " for " << s->ToString();
  EXPECT_EQ(*again, *s);
}

TEST(SchemaParserTest, UnknownTypePointsAtTheType) {
  auto s = ParseSchema("id INT, name STRNG");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "schema: at column 14: expected a data type, found 'STRNG'");
}

TEST(SchemaParserTest, MissingTypePointsAtTheEnd) {
  auto s = ParseSchema("id INT, name");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "schema: at column 13: expected a data type, found the end of the input");
}

TEST(SchemaParserTest, MissingCommaIsReported) {
  auto s = ParseSchema("id INT name STRING");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "schema: at column 8: expected ',' or the end of the schema, found 'name'");
}

TEST(SchemaParserTest, BadPrecisionIsReportedAtTheType) {
  auto s = ParseSchema("a DECIMAL(39, 2)");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "schema: at column 3: DECIMAL precision must be between 1 and 38, got 39");
  EXPECT_FALSE(ParseSchema("t TIMESTAMP(10)").ok());
  EXPECT_FALSE(ParseSchema("c CHAR(0)").ok());
}

TEST(SchemaParserTest, PrimaryKeyErrors) {
  auto unknown = ParseSchema("id INT, PRIMARY KEY (nope)");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "schema: at column 9: primary key column 'nope' is not a column of the schema");
  auto unclosed = ParseSchema("id INT, PRIMARY KEY (id");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_EQ(unclosed.status().message(), "schema: at column 24: expected ',' or ')', found the end of the input");
}

TEST(SchemaParserTest, DuplicateColumnIsRejected) {
  auto s = ParseSchema("id INT, id BIGINT");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "schema: at column 9: duplicate column name 'id'");
}

TEST(SchemaParserTest, UnterminatedStringIsRejected) {
  auto s = ParseSchema("id INT COMMENT 'oops");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "schema: at column 16: unterminated string literal");
}

TEST(SchemaParserTest, EmptyInputIsRejected) { EXPECT_FALSE(ParseSchema("   ").ok()); }

TEST(SchemaParserTest, ParsesASingleType) {
  EXPECT_EQ(*ParseDataType("decimal(5,1) not null"), DataType::Decimal(5, 1).NotNull());
  EXPECT_FALSE(ParseDataType("INT INT").ok());
}

TEST(SchemaParserTest, TableSchemaTakesPartitionedByAfterThePrimaryKey) {
  auto t = ParseTableSchema("id BIGINT, dt STRING, v DOUBLE, PRIMARY KEY (id, dt) PARTITIONED BY (dt)");
  ASSERT_OK(t);
  EXPECT_EQ(t->schema.num_columns(), 3u);
  EXPECT_EQ(t->schema.primary_key(), (std::vector<std::string>{"id", "dt"}));
  EXPECT_EQ(t->partition_keys, std::vector<std::string>{"dt"});
}

TEST(SchemaParserTest, TableSchemaTakesPartitionedByAfterACommaAndSeveralKeys) {
  auto t = ParseTableSchema("a INT, region STRING, dt STRING, partitioned by (region, `dt`)");
  ASSERT_OK(t);
  EXPECT_EQ(t->partition_keys, (std::vector<std::string>{"region", "dt"}));
  auto none = ParseTableSchema("a INT");
  ASSERT_OK(none);
  EXPECT_TRUE(none->partition_keys.empty());
}

TEST(SchemaParserTest, PartitionedByErrorsNameTheColumn) {
  auto unknown = ParseTableSchema("a INT, PARTITIONED BY (b)");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "schema: at column 8: partition key 'b' is not a column of the schema");
  auto twice = ParseTableSchema("a INT, PARTITIONED BY (a, a)");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "schema: at column 27: partition key 'a' is given twice");
  auto trailing = ParseTableSchema("a INT PARTITIONED BY (a), b INT");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(),
            "schema: at column 25: expected the end of the schema after PARTITIONED BY (...), found ','");
  // A schema alone has no partitions: the clause belongs to a table.
  auto schema_only = ParseSchema("a INT PARTITIONED BY (a)");
  ASSERT_FALSE(schema_only.ok());
  EXPECT_EQ(schema_only.status().message(),
            "schema: at column 7: PARTITIONED BY belongs to a table, not a schema (ParseTableSchema takes it)");
}

TEST(SchemaParserTest, AColumnNamedPartitionedIsStillAColumn) {
  auto t = ParseTableSchema("partitioned STRING, PARTITIONED BY (partitioned)");
  ASSERT_OK(t);
  EXPECT_EQ(t->schema.column(0).name, "partitioned");
  EXPECT_EQ(t->partition_keys, std::vector<std::string>{"partitioned"});
}

}  // namespace
}  // namespace fluss
