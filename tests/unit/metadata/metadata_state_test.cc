// The JSON body of metadata.json: encode and decode are inverses, byte for byte.
#include "metadata/metadata_state.h"

#include <gtest/gtest.h>

#include "metadata_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using metadata_testing::MakeTableJson;
using metadata_testing::Path;

MetadataState SampleState() {
  MetadataState s;
  s.next_table_id = 8;
  s.writer_id_limit = 3000;
  s.databases["db"] = DatabaseRecord{"db", R"({"comment":"c \"quoted\" é","custom_properties":{"k":"v"}})", 1, 2, 3};
  s.databases["empty"] = DatabaseRecord{"empty", "{}", 4, 5, 0};
  auto j1 = MakeTableJson(2);
  auto j2 = MakeTableJson(2, "id INT NOT NULL, v STRING, d DECIMAL(10, 2)");
  TableEntry e;
  e.record = TableRecord{Path("db", "t"), 7, 2, j2.table, 2, 10, 20, 5};
  e.schemas = {{1, j1.schema}, {2, j2.schema}};
  e.assignment = {{0, {1, 2}, 2, 3, 4}, {1, {}, -1, 0, 0}};
  s.tables.emplace(e.record.path, e);
  s.table_ids.emplace(7, e.record.path);
  return s;
}

TEST(MetadataStateTest, EncodeThenDecodeIsIdentity) {
  MetadataState s = SampleState();
  std::string body = EncodeMetadataState(s);
  auto decoded = DecodeMetadataState(body, "f");
  ASSERT_OK(decoded);
  EXPECT_EQ(*decoded, s);
  EXPECT_EQ(EncodeMetadataState(*decoded), body);
  EXPECT_TRUE(nlohmann::json::accept(body));
}

TEST(MetadataStateTest, EmptyStateHasFixedForm) {
  EXPECT_EQ(EncodeMetadataState(MetadataState{}),
            R"({"next_table_id":1,"writer_id_limit":0,"databases":[],"tables":[]})");
}

TEST(MetadataStateTest, NormalizeJsonObjectGivesCompactForm) {
  EXPECT_EQ(*NormalizeJsonObject(" { \"b\" : 1 , \"a\" : [ 1, 2 ] } ", "x", ErrorCode::kInvalidTable, false),
            R"({"a":[1,2],"b":1})");
  EXPECT_EQ(*NormalizeJsonObject("", "x", ErrorCode::kInvalidTable, true), "{}");
  auto empty = NormalizeJsonObject("", "schema of table 'db.t'", ErrorCode::kInvalidTable, false);
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidTable);
  EXPECT_EQ(empty.status().message(), "schema of table 'db.t' is not valid JSON");
  EXPECT_EQ(NormalizeJsonObject("\"s\"", "x", ErrorCode::kInvalidTable, false).status().message(),
            "x is not a JSON object");
}

}  // namespace
}  // namespace fluss
