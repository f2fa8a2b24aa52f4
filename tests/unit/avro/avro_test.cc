#include <gtest/gtest.h>

#include "lake/avro/avro_binary.h"
#include "lake/avro/avro_container.h"
#include "lake/avro/avro_schema.h"
#include "support/status_macros.h"

namespace fluss::avro {
namespace {

AvroSchema MustParse(std::string_view json) {
  auto s = AvroSchema::Parse(json);
  EXPECT_OK(s);
  return std::move(s).value();
}

std::vector<uint8_t> Encode(std::string_view schema_json, const AvroValue& v) {
  AvroSchema s = MustParse(schema_json);
  std::vector<uint8_t> out;
  Status st = EncodeDatum(s.root(), v, &out);
  EXPECT_OK(st);
  return out;
}

Result<AvroValue> Decode(std::string_view schema_json, const std::vector<uint8_t>& bytes) {
  AvroSchema s = MustParse(schema_json);
  ByteReader in(bytes);
  auto v = DecodeDatum(s.root(), &in);
  if (v.ok() && !in.AtEnd()) return Status::Corruption("trailing bytes");
  return v;
}

// --- golden bytes from the specification's examples -------------------------------------------

TEST(AvroBinary, LongsAreZigZagVarintsAsInTheSpec) {
  EXPECT_EQ(Encode("\"long\"", int64_t{0}), (std::vector<uint8_t>{0x00}));
  EXPECT_EQ(Encode("\"long\"", int64_t{-1}), (std::vector<uint8_t>{0x01}));
  EXPECT_EQ(Encode("\"long\"", int64_t{1}), (std::vector<uint8_t>{0x02}));
  EXPECT_EQ(Encode("\"long\"", int64_t{-2}), (std::vector<uint8_t>{0x03}));
  EXPECT_EQ(Encode("\"long\"", int64_t{2}), (std::vector<uint8_t>{0x04}));
  EXPECT_EQ(Encode("\"long\"", int64_t{-64}), (std::vector<uint8_t>{0x7f}));
  EXPECT_EQ(Encode("\"long\"", int64_t{64}), (std::vector<uint8_t>{0x80, 0x01}));
  EXPECT_EQ(Encode("\"int\"", int32_t{INT32_MIN}), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0x0f}));
}

TEST(AvroBinary, StringFooAsInTheSpec) {
  EXPECT_EQ(Encode("\"string\"", "foo"), (std::vector<uint8_t>{0x06, 0x66, 0x6f, 0x6f}));
}

TEST(AvroBinary, RecordOfLongAndStringAsInTheSpec) {
  // {"a": 27, "b": "foo"} -> 36 06 66 6f 6f
  const char* schema = R"({"type":"record","name":"test","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]})";
  AvroValue v = AvroRecord{{int64_t{27}, "foo"}};
  EXPECT_EQ(Encode(schema, v), (std::vector<uint8_t>{0x36, 0x06, 0x66, 0x6f, 0x6f}));
  auto back = Decode(schema, Encode(schema, v));
  ASSERT_OK(back);
  EXPECT_EQ(*back, v);
}

TEST(AvroBinary, ArrayOfLongsAsInTheSpec) {
  // [3, 27] -> 04 06 36 00
  AvroValue v = AvroArray{{int64_t{3}, int64_t{27}}};
  EXPECT_EQ(Encode(R"({"type":"array","items":"long"})", v), (std::vector<uint8_t>{0x04, 0x06, 0x36, 0x00}));
}

TEST(AvroBinary, UnionOfNullAndStringAsInTheSpec) {
  const char* schema = R"(["null","string"])";
  EXPECT_EQ(Encode(schema, AvroValue::Null()), (std::vector<uint8_t>{0x00}));
  EXPECT_EQ(Encode(schema, "a"), (std::vector<uint8_t>{0x02, 0x02, 0x61}));
}

// --- round trips -------------------------------------------------------------------------------

TEST(AvroBinary, EveryTypeRoundTrips) {
  const char* schema = R"({"type":"record","name":"all","namespace":"t","fields":[
    {"name":"n","type":"null"},
    {"name":"b","type":"boolean"},
    {"name":"i","type":"int","field-id":7},
    {"name":"l","type":"long"},
    {"name":"f","type":"float"},
    {"name":"d","type":"double"},
    {"name":"by","type":"bytes"},
    {"name":"s","type":"string"},
    {"name":"e","type":{"type":"enum","name":"color","symbols":["RED","GREEN"]}},
    {"name":"fx","type":{"type":"fixed","name":"f4","size":4}},
    {"name":"fx2","type":"f4"},
    {"name":"a","type":{"type":"array","items":"int","element-id":9}},
    {"name":"m","type":{"type":"map","values":["null","long"]}},
    {"name":"u","type":["null",{"type":"record","name":"inner","fields":[{"name":"x","type":"int"}]}],"default":null},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}
  ]})";
  AvroValue v = AvroRecord{{
      AvroValue::Null(), true, int32_t{-123456}, int64_t{INT64_MIN}, 1.5f, -2.25, AvroValue::Bytes({0, 1, 255}),
      std::string("h\xc3\xa9llo\0x", 8), AvroEnum{1}, AvroFixed{{1, 2, 3, 4}}, AvroFixed{{5, 6, 7, 8}},
      AvroArray{{int32_t{1}, int32_t{-1}, int32_t{INT32_MAX}}},
      AvroMap{{{"a", int64_t{1}}, {"b", AvroValue::Null()}}}, AvroRecord{{int32_t{42}}},
      AvroValue::Bytes({0x30, 0x39})}};
  auto bytes = Encode(schema, v);
  auto back = Decode(schema, bytes);
  ASSERT_OK(back);
  EXPECT_EQ(*back, v);
  AvroValue v2 = v;
  std::get<AvroRecord>(v2.v).fields[13] = AvroValue::Null();
  std::get<AvroRecord>(v2.v).fields[11] = AvroArray{};
  std::get<AvroRecord>(v2.v).fields[12] = AvroMap{};
  auto back2 = Decode(schema, Encode(schema, v2));
  ASSERT_OK(back2);
  EXPECT_EQ(*back2, v2);
}

TEST(AvroSchema, KeepsFieldIdsAndAttributes) {
  const char* json = R"({"type":"record","name":"r","fields":[
    {"name":"a","type":"int","field-id":5,"doc":"x"},
    {"name":"l","type":{"type":"array","items":"long","element-id":6}},
    {"name":"m","type":["null",{"type":"array","logicalType":"map","items":{"type":"record","name":"k1_v2",
      "fields":[{"name":"key","type":"int","field-id":1},{"name":"value","type":"long","field-id":2}]}}],
     "default":null,"field-id":3}]})";
  AvroSchema s = MustParse(json);
  EXPECT_EQ(s.json_text(), json);
  const AvroNode& r = s.root();
  ASSERT_EQ(r.fields.size(), 3u);
  EXPECT_EQ(r.fields[0].field_id(), 5);
  EXPECT_EQ(r.fields[0].attrs["doc"], "x");
  EXPECT_EQ(r.fields[1].type->attrs["element-id"], 6);
  EXPECT_TRUE(r.fields[2].attrs["default"].is_null());
  EXPECT_EQ(r.fields[2].field_id(), 3);
  const AvroNode& arr = *r.fields[2].type->branches[1];
  EXPECT_EQ(arr.logical_type, "map");
  EXPECT_EQ(arr.items->fields[1].field_id(), 2);
}

TEST(AvroSchema, RejectsInvalidSchemas) {
  EXPECT_FALSE(AvroSchema::Parse("{").ok());
  EXPECT_FALSE(AvroSchema::Parse("\"nope\"").ok());
  EXPECT_FALSE(AvroSchema::Parse(R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]})").ok());
  EXPECT_FALSE(AvroSchema::Parse(R"(["null","null"])").ok());
  EXPECT_FALSE(AvroSchema::Parse(R"(["null",["int"]])").ok());
  EXPECT_FALSE(AvroSchema::Parse(R"({"type":"fixed","name":"f","size":-1})").ok());
  EXPECT_FALSE(AvroSchema::Parse(R"({"type":"array"})").ok());
  EXPECT_EQ(AvroSchema::Parse(R"({"type":"record","name":"node","fields":[{"name":"next","type":["null","node"]}]})")
                .status()
                .code(),
            ErrorCode::kUnsupportedVersion);
}

TEST(AvroSchema, NamedTypesResolveWithinTheirNamespace) {
  auto s = AvroSchema::Parse(R"({"type":"record","name":"a.outer","fields":[
    {"name":"f1","type":{"type":"fixed","name":"f16","size":16}},
    {"name":"f2","type":"f16"},
    {"name":"f3","type":"a.f16"},
    {"name":"r","type":{"type":"record","name":"inner","namespace":"b","fields":[{"name":"x","type":"a.f16"}]}},
    {"name":"r2","type":"b.inner"}]})");
  ASSERT_OK(s);
  EXPECT_EQ(s->root().name, "a.outer");
  EXPECT_EQ(s->root().fields[1].type, s->root().fields[0].type);
  EXPECT_EQ(s->root().fields[4].type->name, "b.inner");
  EXPECT_FALSE(AvroSchema::Parse(R"({"type":"record","name":"a.outer","fields":[
    {"name":"r","type":{"type":"record","name":"inner","namespace":"b","fields":[]}},
    {"name":"r2","type":"inner"}]})").ok());
}

TEST(AvroBinary, NegativeBlockCountsWithByteSizeDecode) {
  // [3, 27] as one block with count -2 and byte size 2, then 0.
  auto v = Decode(R"({"type":"array","items":"long"})", {0x03, 0x04, 0x06, 0x36, 0x00});
  ASSERT_OK(v);
  EXPECT_EQ(*v, AvroValue(AvroArray{{int64_t{3}, int64_t{27}}}));
  // Two blocks.
  auto v2 = Decode(R"({"type":"map","values":"int"})", {0x02, 0x02, 'a', 0x02, 0x01, 0x04, 0x02, 'b', 0x04, 0x00});
  ASSERT_OK(v2);
  EXPECT_EQ(v2->get_if<AvroMap>()->entries.size(), 2u);
}

TEST(AvroBinary, EncoderRejectsValuesThatDoNotFit) {
  AvroSchema s = MustParse(R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"}]})");
  std::vector<uint8_t> out;
  EXPECT_FALSE(EncodeDatum(s.root(), AvroRecord{{"x"}}, &out).ok());
  EXPECT_FALSE(EncodeDatum(s.root(), AvroRecord{}, &out).ok());
  AvroSchema f = MustParse(R"({"type":"fixed","name":"f","size":2})");
  EXPECT_FALSE(EncodeDatum(f.root(), AvroFixed{{1}}, &out).ok());
  AvroSchema u = MustParse(R"(["null","int"])");
  EXPECT_FALSE(EncodeDatum(u.root(), "s", &out).ok());
}

TEST(AvroBinary, CorruptDatumsAreErrors) {
  EXPECT_FALSE(Decode("\"string\"", {0x06, 'f'}).ok());                         // truncated
  EXPECT_FALSE(Decode("\"string\"", {0x01}).ok());                              // negative length
  EXPECT_FALSE(Decode("\"bytes\"", {0xfe, 0xff, 0xff, 0xff, 0x0f}).ok());       // huge length
  EXPECT_FALSE(Decode("\"long\"", std::vector<uint8_t>(11, 0xff)).ok());        // varint too long
  EXPECT_FALSE(Decode("\"int\"", {0xfe, 0xff, 0xff, 0xff, 0x1f}).ok());         // beyond int range
  EXPECT_FALSE(Decode("\"boolean\"", {0x02}).ok());                             // not 0/1
  EXPECT_FALSE(Decode(R"(["null","int"])", {0x04}).ok());                       // union index 2
  EXPECT_FALSE(Decode(R"(["null","int"])", {0x01}).ok());                       // union index -1
  EXPECT_FALSE(Decode(R"({"type":"enum","name":"e","symbols":["A"]})", {0x02}).ok());
  EXPECT_FALSE(Decode(R"({"type":"array","items":"long"})", {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00}).ok());
  EXPECT_FALSE(Decode(R"({"type":"array","items":"long"})", {0x03, 0x7e, 0x06, 0x36, 0x00}).ok());  // bad size
  EXPECT_FALSE(Decode(R"({"type":"array","items":"null"})", {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00}).ok());  // limit
  EXPECT_FALSE(Decode(R"({"type":"fixed","name":"f","size":4})", {1, 2, 3}).ok());
}

// --- container files ---------------------------------------------------------------------------

constexpr const char* kEntrySchema =
    R"({"type":"record","name":"entry","fields":[{"name":"id","type":"long","field-id":1},)"
    R"({"name":"name","type":["null","string"],"default":null,"field-id":2}]})";

AvroValue Entry(int64_t i) {
  return AvroRecord{{i, i % 3 == 0 ? AvroValue::Null() : AvroValue("name-" + std::to_string(i))}};
}

std::vector<uint8_t> WriteFile(AvroWriterOptions options, int n, std::map<std::string, std::string> meta = {}) {
  auto w = AvroFileWriter::Make(MustParse(kEntrySchema), std::move(meta), options);
  EXPECT_OK(w);
  for (int i = 0; i < n; ++i) EXPECT_OK(w->Append(Entry(i)));
  auto bytes = w->Finish();
  EXPECT_OK(bytes);
  return std::move(bytes).value();
}

TEST(AvroContainer, HeaderLayoutIsMagicMetadataAndSync) {
  AvroWriterOptions o;
  o.sync = SyncMarker{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  auto bytes = WriteFile(o, 0);
  ASSERT_GE(bytes.size(), 4u + 16u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), std::string("Obj\x01", 4));
  EXPECT_EQ(bytes[4], 0x04);  // two entries: avro.codec, avro.schema (sorted)
  EXPECT_EQ(std::vector<uint8_t>(bytes.end() - 16, bytes.end()), std::vector<uint8_t>(o.sync->begin(), o.sync->end()));
  EXPECT_EQ(bytes[bytes.size() - 17], 0x00);  // end of the map
  auto c = ReadAvroFile(bytes);
  ASSERT_OK(c);
  EXPECT_EQ(c->metadata["avro.codec"], "null");
  EXPECT_EQ(c->metadata["avro.schema"], kEntrySchema);
  EXPECT_TRUE(c->records.empty());
}

TEST(AvroContainer, RoundTripsAcrossManyBlocksWithUserMetadata) {
  AvroWriterOptions o;
  o.block_bytes = 64;
  auto bytes = WriteFile(o, 500, {{"format-version", "2"}, {"content", "data"}});
  auto c = ReadAvroFile(bytes);
  ASSERT_OK(c);
  EXPECT_GT(c->blocks, 10);
  ASSERT_EQ(c->records.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(c->records[i], Entry(i));
  EXPECT_EQ(c->metadata["format-version"], "2");
  EXPECT_EQ(c->metadata["content"], "data");
  EXPECT_EQ(c->schema.root().fields[1].field_id(), 2);
}

TEST(AvroContainer, BlockObjectLimitSplitsBlocks) {
  AvroWriterOptions o;
  o.block_objects = 7;
  auto c = ReadAvroFile(WriteFile(o, 50));
  ASSERT_OK(c);
  EXPECT_EQ(c->blocks, 8);
  EXPECT_EQ(c->records.size(), 50u);
}

TEST(AvroContainer, DeflateRoundTripsAndCompresses) {
  AvroWriterOptions plain;
  AvroWriterOptions deflate;
  deflate.codec = AvroCodec::kDeflate;
  auto a = WriteFile(plain, 2000);
  auto b = WriteFile(deflate, 2000);
  EXPECT_LT(b.size(), a.size() / 2);
  auto c = ReadAvroFile(b);
  ASSERT_OK(c);
  EXPECT_EQ(c->codec, AvroCodec::kDeflate);
  ASSERT_EQ(c->records.size(), 2000u);
  EXPECT_EQ(c->records[1999], Entry(1999));
}

TEST(AvroContainer, ReservedMetadataKeysAreRejected) {
  EXPECT_FALSE(AvroFileWriter::Make(MustParse(kEntrySchema), {{"avro.codec", "x"}}).ok());
}

TEST(AvroContainer, TruncationIsAnErrorExceptAtABlockBoundary) {
  AvroWriterOptions o;
  o.block_bytes = 40;
  for (auto codec : {AvroCodec::kNull, AvroCodec::kDeflate}) {
    o.codec = codec;
    auto bytes = WriteFile(o, 20);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto c = ReadAvroFile(std::span<const uint8_t>(bytes.data(), n));
      // A cut exactly at a block boundary is a valid shorter file.
      if (c.ok()) {
        EXPECT_LT(c->records.size(), 20u) << n;
      }
    }
  }
}

TEST(AvroContainer, FlippedBytesNeverCrash) {
  AvroWriterOptions o;
  o.block_bytes = 40;
  o.codec = AvroCodec::kDeflate;
  auto bytes = WriteFile(o, 20);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      auto copy = bytes;
      copy[i] ^= mask;
      (void)ReadAvroFile(copy);  // must return, error or not
    }
  }
}

TEST(AvroContainer, BadMagicSyncCountsAndCodecAreErrors) {
  AvroWriterOptions o;
  o.sync = SyncMarker{};
  o.sync->fill(0xAA);
  auto good = WriteFile(o, 3);
  ASSERT_OK(ReadAvroFile(good));

  auto bad_magic = good;
  bad_magic[3] = 2;
  EXPECT_EQ(ReadAvroFile(bad_magic).status().code(), ErrorCode::kCorruptRecord);

  auto bad_sync = good;
  bad_sync[bad_sync.size() - 1] ^= 1;
  EXPECT_EQ(ReadAvroFile(bad_sync).status().code(), ErrorCode::kCorruptRecord);

  // The header is followed by the block: count at the first byte after the header's sync.
  size_t header_end = 0;
  for (size_t i = 0; i + 16 <= good.size(); ++i) {
    if (std::all_of(good.begin() + i, good.begin() + i + 16, [](uint8_t b) { return b == 0xAA; })) {
      header_end = i + 16;
      break;
    }
  }
  ASSERT_GT(header_end, 0u);
  auto more_objects = good;
  more_objects[header_end] = 0x08;  // 4 objects instead of 3
  EXPECT_FALSE(ReadAvroFile(more_objects).ok());
  auto fewer_objects = good;
  fewer_objects[header_end] = 0x04;  // 2 objects: bytes left over in the block
  EXPECT_FALSE(ReadAvroFile(fewer_objects).ok());
  auto negative = good;
  negative[header_end] = 0x01;
  EXPECT_FALSE(ReadAvroFile(negative).ok());
  auto huge_size = good;
  huge_size[header_end + 1] = 0x7e;  // size 63 > bytes left
  EXPECT_FALSE(ReadAvroFile(huge_size).ok());

  // An unknown codec: rewrite "null" as "nope" in the header.
  auto codec = good;
  auto it = std::search(codec.begin(), codec.end(), std::begin("null") , std::begin("null") + 4);
  ASSERT_NE(it, codec.end());
  std::copy_n("nope", 4, it);
  EXPECT_EQ(ReadAvroFile(codec).status().code(), ErrorCode::kUnsupportedVersion);
}

TEST(AvroContainer, HugeHeaderCountsAreErrors) {
  std::vector<uint8_t> f = {'O', 'b', 'j', 1, 0xfe, 0xff, 0xff, 0xff, 0x0f};
  EXPECT_FALSE(ReadAvroFile(f).ok());
  std::vector<uint8_t> g = {'O', 'b', 'j', 1, 0x02, 0xfe, 0xff, 0xff, 0xff, 0x0f};
  EXPECT_FALSE(ReadAvroFile(g).ok());
  std::vector<uint8_t> no_schema = {'O', 'b', 'j', 1, 0x00};
  no_schema.resize(no_schema.size() + 16);
  EXPECT_FALSE(ReadAvroFile(no_schema).ok());
}

}  // namespace
}  // namespace fluss::avro
