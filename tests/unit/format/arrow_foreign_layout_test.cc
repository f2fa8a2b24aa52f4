// Layouts other Arrow writers produce that the spec allows and our writer never emits: the decoder
// must accept them (Arrow Java writes validity bitmaps without nulls and 8-byte zero prefixes for
// empty compressed buffers; C++ may slice offsets; padding beyond the needed bytes is legal).
#include <gtest/gtest.h>

#include "arrow_test_support.h"
#include "common/byte_io.h"
#include "support/status_macros.h"

namespace fluss::arrow {
namespace {

using testing::MustParse;

using testing::Row;

std::vector<uint8_t> Int32s(std::initializer_list<int32_t> values) {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  for (int32_t v : values) w.WriteLE<int32_t>(v);
  return out;
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// A RecordBatch message with the given nodes and exactly these stored buffers, laid out 8-aligned.
std::vector<uint8_t> MessageOf(int64_t length, std::vector<fb::FieldNode> nodes,
                               const std::vector<std::vector<uint8_t>>& buffers,
                               CompressionCodec codec = CompressionCodec::kNone) {
  testing::EditableBatch e;
  e.length = length;
  e.nodes = std::move(nodes);
  e.codec = codec;
  for (const auto& b : buffers) {
    e.buffers.emplace_back(static_cast<int64_t>(e.body.size()), static_cast<int64_t>(b.size()));
    e.body.insert(e.body.end(), b.begin(), b.end());
    e.body.resize(PaddedTo8(e.body.size()), 0);
  }
  e.body_length = static_cast<int64_t>(e.body.size());
  return e.Write();
}

std::vector<GenericRow> MustDecode(const Schema& schema, const std::vector<uint8_t>& m) {
  Result<std::vector<GenericRow>> rows = DecodeRecordBatch(schema, m);
  EXPECT_OK(rows);
  return rows.ok() ? *rows : std::vector<GenericRow>{};
}

TEST(ArrowForeignLayoutTest, AcceptsAValidityBitmapWithoutNulls) {
  Schema schema = MustParse("a INT");
  std::vector<uint8_t> m = MessageOf(2, {fb::FieldNode(2, 0)}, {{0x03}, Int32s({7, 8})});
  EXPECT_EQ(MustDecode(schema, m), (std::vector<GenericRow>{Row({int32_t{7}}), Row({int32_t{8}})}));
}

TEST(ArrowForeignLayoutTest, IgnoresBitmapBitsWhenTheNullCountIsZero) {
  // With null_count 0 a reader may skip the bitmap entirely, as Arrow C++ does.
  Schema schema = MustParse("a INT");
  std::vector<uint8_t> m = MessageOf(2, {fb::FieldNode(2, 0)}, {{0x00}, Int32s({7, 8})});
  EXPECT_EQ(MustDecode(schema, m).size(), 2u);
}

TEST(ArrowForeignLayoutTest, AcceptsOffsetsThatDoNotStartAtZero) {
  Schema schema = MustParse("s STRING");
  std::vector<uint8_t> m = MessageOf(2, {fb::FieldNode(2, 0)}, {{}, Int32s({3, 5, 8}), Bytes("xxxabcde")});
  EXPECT_EQ(MustDecode(schema, m), (std::vector<GenericRow>{Row({std::string("ab")}), Row({std::string("cde")})}));
}

TEST(ArrowForeignLayoutTest, AcceptsAZeroRowStringColumnWithoutOffsets) {
  Schema schema = MustParse("s STRING, a INT");
  std::vector<uint8_t> m = MessageOf(0, {fb::FieldNode(0, 0), fb::FieldNode(0, 0)}, {{}, {}, {}, {}, {}});
  EXPECT_TRUE(MustDecode(schema, m).empty());
}

TEST(ArrowForeignLayoutTest, AcceptsBuffersLongerThanTheRowsNeed) {
  Schema schema = MustParse("a INT, b BOOLEAN");
  std::vector<uint8_t> m = MessageOf(2, {fb::FieldNode(2, 1), fb::FieldNode(2, 0)},
                                     {{0x02, 0xFF, 0xFF}, Int32s({0, 9, 99, 999}), {}, {0x01, 0x00, 0x00, 0x00}});
  EXPECT_EQ(MustDecode(schema, m), (std::vector<GenericRow>{Row({std::monostate{}, true}), Row({int32_t{9}, false})}));
}

TEST(ArrowForeignLayoutTest, AcceptsJavaStyleEmptyCompressedBuffers) {
  // Arrow Java compresses an empty buffer to just an 8-byte zero length prefix: here the validity
  // and the data of a column of empty strings; the offsets are stored raw behind -1.
  Schema schema = MustParse("s BYTES");
  std::vector<uint8_t> offsets(8);
  StoreLE<int64_t>(offsets.data(), -1);
  std::vector<uint8_t> raw = Int32s({0, 0, 0});
  offsets.insert(offsets.end(), raw.begin(), raw.end());
  const std::vector<uint8_t> zero_prefix(8, 0);
  for (CompressionCodec codec : {CompressionCodec::kLz4Frame, CompressionCodec::kZstd}) {
    std::vector<uint8_t> m = MessageOf(2, {fb::FieldNode(2, 0)}, {zero_prefix, offsets, zero_prefix}, codec);
    EXPECT_EQ(MustDecode(schema, m), (std::vector<GenericRow>{Row({std::string()}), Row({std::string()})}));
  }
}

TEST(ArrowForeignLayoutTest, AcceptsMetadataVersionV4) {
  Schema schema = MustParse("a INT NOT NULL");
  Result<std::vector<uint8_t>> v5 = EncodeRecordBatch(schema, std::vector<GenericRow>{Row({int32_t{3}})});
  ASSERT_OK(v5);
  testing::EditableBatch e = testing::EditableBatch::From(*v5);
  flatbuffers::FlatBufferBuilder fbb;
  auto nodes = fbb.CreateVectorOfStructs(e.nodes);
  auto buffers = fbb.CreateVectorOfStructs(e.buffers);
  auto batch = fb::CreateRecordBatch(fbb, e.length, nodes, buffers);
  fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V4, fb::MessageHeader::RecordBatch, batch.Union(),
                               e.body_length));
  std::vector<uint8_t> m;
  WriteMessagePrefix(fbb, e.body.size(), &m);
  m.insert(m.end(), e.body.begin(), e.body.end());
  EXPECT_EQ(MustDecode(schema, m), (std::vector<GenericRow>{Row({int32_t{3}})}));
}

}  // namespace
}  // namespace fluss::arrow
