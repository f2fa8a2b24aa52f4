// Fluss types <-> Parquet schema elements: the leaves we write, and what the reader maps back.
#include <gtest/gtest.h>

#include "lake/parquet/parquet_schema.h"
#include "support/status_macros.h"

namespace fluss::parquet {
namespace {

SchemaElement Root(int children) {
  SchemaElement e;
  e.name = "schema";
  e.num_children = children;
  return e;
}

SchemaElement Leaf(std::string name, PhysicalType type, std::optional<int32_t> converted = std::nullopt) {
  SchemaElement e;
  e.name = std::move(name);
  e.type = type;
  e.repetition = Repetition::kOptional;
  e.converted_type = converted;
  return e;
}

TEST(ParquetSchemaTest, DecimalByteWidths) {
  EXPECT_EQ(DecimalByteWidth(1), 1);
  EXPECT_EQ(DecimalByteWidth(2), 1);
  EXPECT_EQ(DecimalByteWidth(3), 2);
  EXPECT_EQ(DecimalByteWidth(18), 8);
  EXPECT_EQ(DecimalByteWidth(19), 9);
  EXPECT_EQ(DecimalByteWidth(20), 9);
  EXPECT_EQ(DecimalByteWidth(38), 16);
}

TEST(ParquetSchemaTest, LeavesCarryFieldIdsAndRepetition) {
  auto leaf = ToParquetLeaf(Column{"ts", DataType::TimestampLtz(3).NotNull(), 42, ""});
  ASSERT_OK(leaf);
  EXPECT_EQ(leaf->field_id, 42);
  EXPECT_EQ(leaf->repetition, Repetition::kRequired);
  EXPECT_EQ(leaf->type, PhysicalType::kInt64);
  ASSERT_TRUE(leaf->logical_type);
  EXPECT_EQ(leaf->logical_type->kind, LogicalType::Kind::kTimestamp);
  EXPECT_TRUE(leaf->logical_type->adjusted_to_utc);
  EXPECT_EQ(leaf->logical_type->unit, TimeUnit::kMicros);
  auto dec = ToParquetLeaf(Column{"d", DataType::Decimal(30, 5), 1, ""});
  ASSERT_OK(dec);
  EXPECT_EQ(dec->type, PhysicalType::kFixedLenByteArray);
  EXPECT_EQ(dec->type_length, 13);
  EXPECT_EQ(dec->precision, 30);
  EXPECT_EQ(dec->scale, 5);
}

TEST(ParquetSchemaTest, LegacyConvertedTypesMapBack) {
  std::vector<SchemaElement> s = {Root(5), Leaf("s", PhysicalType::kByteArray, 0), Leaf("t", PhysicalType::kInt32, 15),
                                  Leaf("d", PhysicalType::kInt32, 6), Leaf("ts", PhysicalType::kInt64, 9),
                                  Leaf("fx", PhysicalType::kFixedLenByteArray)};
  s[5].type_length = 3;
  auto schema = FromParquetSchema(s);
  ASSERT_OK(schema);
  EXPECT_EQ(schema->column(0).type, DataType::String());
  EXPECT_EQ(schema->column(1).type, DataType::TinyInt());
  EXPECT_EQ(schema->column(2).type, DataType::Date());
  EXPECT_EQ(schema->column(3).type, DataType::TimestampLtz(3));
  EXPECT_EQ(schema->column(4).type, DataType::Binary(3));
}

TEST(ParquetSchemaTest, UnsupportedShapesAreNotSupported) {
  // Nested group.
  SchemaElement group;
  group.name = "g";
  group.num_children = 1;
  EXPECT_EQ(FromParquetSchema({Root(2), group, Leaf("x", PhysicalType::kInt32)}).status().code(),
            ErrorCode::kUnsupportedVersion);
  // REPEATED leaf, INT96, unsigned.
  auto repeated = Leaf("r", PhysicalType::kInt32);
  repeated.repetition = Repetition::kRepeated;
  EXPECT_FALSE(FromParquetSchema({Root(1), repeated}).ok());
  EXPECT_FALSE(FromParquetSchema({Root(1), Leaf("i96", PhysicalType::kInt96)}).ok());
  EXPECT_FALSE(FromParquetSchema({Root(1), Leaf("u", PhysicalType::kInt32, 13)}).ok());
  // Root child count disagreeing with the element count.
  EXPECT_FALSE(FromParquetSchema({Root(3), Leaf("x", PhysicalType::kInt32)}).ok());
}

}  // namespace
}  // namespace fluss::parquet
