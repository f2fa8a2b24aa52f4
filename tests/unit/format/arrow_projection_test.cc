// ProjectRecordBatch: the projected message decodes, with schema.Project(columns), to the projected rows.
#include <gtest/gtest.h>

#include "arrow_test_support.h"
#include "support/status_macros.h"

namespace fluss::arrow {
namespace {

using testing::AllTypesSchema;
using testing::CodecName;
using testing::EditableBatch;
using testing::MustParse;
using testing::SampleRows;

std::vector<GenericRow> ProjectRows(const std::vector<GenericRow>& rows, const std::vector<size_t>& columns) {
  std::vector<GenericRow> out;
  for (const auto& row : rows) {
    GenericRow p(columns.size());
    for (size_t i = 0; i < columns.size(); ++i) p.SetField(i, row.field(columns[i]));
    out.push_back(std::move(p));
  }
  return out;
}

class ArrowProjectionTest : public ::testing::TestWithParam<CompressionCodec> {
 protected:
  // Encodes rows of `schema`, projects `columns`, decodes with the projected schema and compares.
  void ExpectProjectionDecodes(const Schema& schema, const std::vector<GenericRow>& rows,
                               const std::vector<size_t>& columns) {
    Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows, {.codec = GetParam()});
    ASSERT_OK(encoded);
    Result<std::vector<uint8_t>> projected = ProjectRecordBatch(schema, *encoded, columns);
    ASSERT_OK(projected);
    Result<Schema> projected_schema = schema.Project(columns);
    ASSERT_OK(projected_schema);
    Result<std::vector<GenericRow>> decoded = DecodeRecordBatch(*projected_schema, *projected);
    ASSERT_OK(decoded);
    EXPECT_EQ(*decoded, ProjectRows(rows, columns));
  }
};

INSTANTIATE_TEST_SUITE_P(Arrow, ArrowProjectionTest,
                         ::testing::Values(CompressionCodec::kNone, CompressionCodec::kLz4Frame, CompressionCodec::kZstd),
                         [](const auto& info) { return CodecName(info.param); });

TEST_P(ArrowProjectionTest, SubsetInSchemaOrderDecodesToProjectedRows) {
  Schema schema = AllTypesSchema();
  ExpectProjectionDecodes(schema, SampleRows(schema, 120), {0, 3, 10, 12, 21, 26});
}

TEST_P(ArrowProjectionTest, ReorderedColumnsDecodeToProjectedRows) {
  Schema schema = AllTypesSchema();
  ExpectProjectionDecodes(schema, SampleRows(schema, 120), {26, 10, 0, 8, 12, 3});
}

TEST_P(ArrowProjectionTest, EverySingleColumnDecodes) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 33);
  for (size_t c = 0; c < schema.num_columns(); ++c) {
    SCOPED_TRACE(schema.column(c).name);
    ExpectProjectionDecodes(schema, rows, {c});
  }
}

TEST_P(ArrowProjectionTest, ColumnsWithManyNullsDecode) {
  Schema schema = MustParse("a INT, s STRING, b BOOLEAN, d DECIMAL(30, 4)");
  ExpectProjectionDecodes(schema, SampleRows(schema, 50, /*null_every=*/2), {3, 1});
}

TEST_P(ArrowProjectionTest, AllColumnsInOrderDecodeToTheOriginalRows) {
  Schema schema = AllTypesSchema();
  std::vector<size_t> all(schema.num_columns());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  ExpectProjectionDecodes(schema, SampleRows(schema, 20), all);
}

TEST_P(ArrowProjectionTest, EmptyBatchProjects) {
  Schema schema = AllTypesSchema();
  ExpectProjectionDecodes(schema, {}, {1, 2});
}

TEST_P(ArrowProjectionTest, CopiesStoredBuffersVerbatimAndKeepsTheCodec) {
  Schema schema = MustParse("a BIGINT, s STRING, c INT");
  std::vector<GenericRow> rows = SampleRows(schema, 400);
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows, {.codec = GetParam()});
  ASSERT_OK(encoded);
  const std::vector<size_t> columns = {1};
  Result<std::vector<uint8_t>> projected = ProjectRecordBatch(schema, *encoded, columns);
  ASSERT_OK(projected);
  EditableBatch before = EditableBatch::From(*encoded);
  EditableBatch after = EditableBatch::From(*projected);
  EXPECT_EQ(after.codec, before.codec);
  EXPECT_EQ(after.length, before.length);
  ASSERT_EQ(after.buffers.size(), 3u);
  for (size_t b = 0; b < 3; ++b) {
    std::span<uint8_t> x = before.stored(2 + b);
    std::span<uint8_t> y = after.stored(b);
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << "buffer " << b;
    EXPECT_EQ(after.buffers[b].offset() % 8, 0);
  }
  EXPECT_EQ(after.nodes[0].null_count(), before.nodes[1].null_count());
}

TEST_P(ArrowProjectionTest, ProjectionOfAProjectionDecodes) {
  Schema schema = AllTypesSchema();
  std::vector<GenericRow> rows = SampleRows(schema, 25);
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows, {.codec = GetParam()});
  ASSERT_OK(encoded);
  const std::vector<size_t> first = {10, 4, 7, 20};
  Result<std::vector<uint8_t>> once = ProjectRecordBatch(schema, *encoded, first);
  ASSERT_OK(once);
  Schema once_schema = *schema.Project(first);
  const std::vector<size_t> second = {3, 0};
  Result<std::vector<uint8_t>> twice = ProjectRecordBatch(once_schema, *once, second);
  ASSERT_OK(twice);
  Result<std::vector<GenericRow>> decoded = DecodeRecordBatch(*once_schema.Project(second), *twice);
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, ProjectRows(rows, {20, 10}));
}

std::vector<uint8_t> SmallBatch(const Schema& schema) {
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, SampleRows(schema, 3));
  EXPECT_OK(encoded);
  return encoded.ok() ? *encoded : std::vector<uint8_t>{};
}

TEST(ArrowProjectionErrorTest, OutOfRangeColumnIsInvalidColumnProjection) {
  Schema schema = MustParse("a INT, b INT");
  const std::vector<size_t> columns = {0, 2};
  Result<std::vector<uint8_t>> r = ProjectRecordBatch(schema, SmallBatch(schema), columns);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidColumnProjection);
}

TEST(ArrowProjectionErrorTest, DuplicateColumnIsInvalidColumnProjection) {
  Schema schema = MustParse("a INT, b INT");
  const std::vector<size_t> columns = {1, 1};
  Result<std::vector<uint8_t>> r = ProjectRecordBatch(schema, SmallBatch(schema), columns);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidColumnProjection);
}

TEST(ArrowProjectionErrorTest, EmptySelectionIsInvalidColumnProjection) {
  Schema schema = MustParse("a INT, b INT");
  Result<std::vector<uint8_t>> r = ProjectRecordBatch(schema, SmallBatch(schema), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidColumnProjection);
}

TEST(ArrowProjectionErrorTest, MessageOfAnotherSchemaIsCorruption) {
  Schema schema = MustParse("a INT, b INT");
  Schema other = MustParse("a INT, b STRING");
  const std::vector<size_t> columns = {0};
  Result<std::vector<uint8_t>> r = ProjectRecordBatch(other, SmallBatch(schema), columns);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
}

TEST(ArrowProjectionErrorTest, BufferOutsideTheBodyIsCorruption) {
  Schema schema = MustParse("a INT, b INT");
  EditableBatch e = EditableBatch::From(SmallBatch(schema));
  e.buffers[3] = fb::Buffer(e.buffers[3].offset(), e.body_length + 1);
  const std::vector<size_t> columns = {1};
  Result<std::vector<uint8_t>> r = ProjectRecordBatch(schema, e.Write(), columns);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
}

}  // namespace
}  // namespace fluss::arrow
