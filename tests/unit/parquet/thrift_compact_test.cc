// Thrift compact protocol: golden byte sequences worked out by hand from the protocol spec, and the
// reader's behaviour on unknown fields and corrupt input.
#include <gtest/gtest.h>

#include "lake/parquet/parquet_metadata.h"
#include "lake/parquet/thrift_compact.h"
#include "support/status_macros.h"

namespace fluss::parquet::thrift {
namespace {

std::vector<uint8_t> Bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(ThriftCompactTest, WritesShortAndLongFieldHeaders) {
  std::vector<uint8_t> out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 3);       // delta 1, type 5: 0x15; zigzag(3) = 6
  w.FieldI64(3, -1);      // delta 2, type 6: 0x26; zigzag(-1) = 1
  w.FieldBinary(20, "ab");  // delta 17 > 15: long form 0x08, zigzag(20) = 40 = 0x28, len 2
  w.FieldBool(21, true);  // delta 1, type 1: 0x11
  w.FieldBool(22, false);  // 0x12
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x15, 0x06, 0x26, 0x01, 0x08, 0x28, 0x02, 'a', 'b', 0x11, 0x12, 0x00}));
}

TEST(ThriftCompactTest, WritesVarintsAndLists) {
  std::vector<uint8_t> out;
  CompactWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 300);  // zigzag 600 = 0x258 -> 0xD8 0x04
  w.FieldListBegin(2, CType::kI32, 2);  // 0x19, then size 2 << 4 | 5 = 0x25
  w.ListI32(0);
  w.ListI32(-2);  // zigzag 3
  w.FieldListBegin(3, CType::kBinary, 15);  // 15 elements: 0xF8 then varint 15
  for (int i = 0; i < 15; ++i) w.ListBinary("");
  w.FieldStructBegin(4);  // 0x1C
  w.FieldI32(1, 1);       // nested struct restarts the delta: 0x15 0x02
  w.EndStruct();
  w.EndStruct();
  std::vector<uint8_t> want = Bytes({0x15, 0xD8, 0x04, 0x19, 0x25, 0x00, 0x03, 0x19, 0xF8, 0x0F});
  for (int i = 0; i < 15; ++i) want.push_back(0x00);
  for (int b : {0x1C, 0x15, 0x02, 0x00, 0x00}) want.push_back(static_cast<uint8_t>(b));
  EXPECT_EQ(out, want);
}

TEST(ThriftCompactTest, ReadsWhatItWritesAndSkipsUnknownFields) {
  // struct { 1: i32 7, 2: unknown struct { 1: list<i64> [1, 2], 2: map<i32,binary> {1: "x"} },
  //          3: double, 4: binary "hi", 5: bool true }
  auto bytes = Bytes({0x15, 0x0E,                  // 1: i32 7
                      0x1C,                        // 2: struct
                      0x19, 0x26, 0x02, 0x04,      //   1: list<i64> [1, 2]
                      0x1B, 0x01, 0x58, 0x02, 0x01, 'x',  // 2: map size 1, i32->binary, {1: "x"}
                      0x00,                        // end of nested struct
                      0x17, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,  // 3: double 1.0
                      0x18, 0x02, 'h', 'i',        // 4: binary
                      0x11,                        // 5: true
                      0x00});
  CompactReader r(bytes);
  ASSERT_OK(r.BeginStruct());
  int16_t id;
  CType t;
  int32_t i32 = 0;
  std::string s;
  bool flag = false;
  while (true) {
    auto more = r.NextField(&id, &t);
    ASSERT_OK(more);
    if (!*more) break;
    if (id == 1) i32 = *r.ReadI32(t);
    else if (id == 4) s = *r.ReadBinary(t);
    else if (id == 5) flag = *r.ReadBool(t);
    else ASSERT_OK(r.Skip(t));
  }
  EXPECT_EQ(i32, 7);
  EXPECT_EQ(s, "hi");
  EXPECT_TRUE(flag);
  EXPECT_EQ(r.position(), bytes.size());
}

TEST(ThriftCompactTest, RejectsTruncatedAndLyingInput) {
  for (auto bytes : {Bytes({0x18, 0x7F, 'a'}),      // binary claims 127 bytes, has 1
                     Bytes({0x15}),                   // field header without value
                     Bytes({0x15, 0x80, 0x80}),       // unterminated varint
                     Bytes({0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0x0F}),  // huge list
                     Bytes({0x1D, 0x00})}) {          // type 13 does not exist
    CompactReader r(bytes);
    ASSERT_OK(r.BeginStruct());
    int16_t id;
    CType t;
    Status st;
    while (true) {
      auto more = r.NextField(&id, &t);
      if (!more.ok()) { st = more.status(); break; }
      if (!*more) break;
      st = r.Skip(t);
      if (!st.ok()) break;
    }
    EXPECT_EQ(st.code(), ErrorCode::kCorruptRecord) << st.ToString();
  }
}

TEST(ThriftCompactTest, LimitsNestingDepth) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 100; ++i) bytes.push_back(0x1C);  // struct field inside struct field ...
  CompactReader r(bytes);
  ASSERT_OK(r.BeginStruct());
  int16_t id;
  CType t;
  ASSERT_TRUE(*r.NextField(&id, &t));
  EXPECT_EQ(r.Skip(t).code(), ErrorCode::kCorruptRecord);
}

TEST(ParquetMetadataTest, PageHeaderGoldenBytes) {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.uncompressed_page_size = 10;
  h.compressed_page_size = 10;
  h.data_page_header = DataPageHeader{3, Encoding::kPlain, Encoding::kRle, Encoding::kRle};
  std::vector<uint8_t> out;
  EncodePageHeader(h, &out);
  // 1: i32 0; 2: i32 10 (zigzag 20); 3: i32 10; 5 (delta 2): struct {1: 3 (6), 2: 0, 3: 3 (6), 4: 3 (6)}
  EXPECT_EQ(out, Bytes({0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x2C, 0x15, 0x06, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06,
                        0x00, 0x00}));
  size_t n = 0;
  auto back = DecodePageHeader(out, &n);
  ASSERT_OK(back);
  EXPECT_EQ(*back, h);
  EXPECT_EQ(n, out.size());
}

TEST(ParquetMetadataTest, FileMetaDataRoundTrips) {
  FileMetaData m;
  m.version = 1;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 1;
  SchemaElement leaf;
  leaf.name = "ts";
  leaf.type = PhysicalType::kInt64;
  leaf.repetition = Repetition::kOptional;
  leaf.field_id = 7;
  LogicalType lt;
  lt.kind = LogicalType::Kind::kTimestamp;
  lt.unit = TimeUnit::kMicros;
  lt.adjusted_to_utc = true;
  leaf.logical_type = lt;
  m.schema = {root, leaf};
  m.num_rows = 5;
  RowGroup g;
  g.num_rows = 5;
  g.total_byte_size = 100;
  ColumnChunk c;
  c.file_offset = 4;
  ColumnMetaData cm;
  cm.type = PhysicalType::kInt64;
  cm.encodings = {Encoding::kPlain, Encoding::kRle};
  cm.path_in_schema = {"ts"};
  cm.codec = Codec::kZstd;
  cm.num_values = 5;
  cm.total_compressed_size = 50;
  cm.total_uncompressed_size = 60;
  cm.data_page_offset = 4;
  Statistics st;
  st.null_count = 1;
  st.min_value = std::string("\x01\0\0\0\0\0\0\0", 8);
  st.max_value = std::string("\x09\0\0\0\0\0\0\0", 8);
  cm.statistics = st;
  c.meta_data = cm;
  g.columns = {c};
  g.ordinal = 0;
  m.row_groups = {g};
  m.key_value_metadata = {KeyValue{"k", std::string("v")}};
  m.created_by = "test";
  m.type_defined_column_orders = 1;
  std::vector<uint8_t> out;
  EncodeFileMetaData(m, &out);
  auto back = DecodeFileMetaData(out);
  ASSERT_OK(back);
  EXPECT_EQ(*back, m);
  // Any truncation is an error, never a crash.
  for (size_t n = 0; n < out.size(); ++n) {
    EXPECT_FALSE(DecodeFileMetaData(std::span(out).first(n)).ok()) << n;
  }
}

}  // namespace
}  // namespace fluss::parquet::thrift
