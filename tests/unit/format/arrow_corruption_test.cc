// The decoder's defences: truncated, bit-flipped and lying messages give errors, never crashes (also
// run under ASan/UBSan by `make asan-test`).
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "arrow_test_support.h"
#include "common/byte_io.h"
#include "support/status_macros.h"

namespace fluss::arrow {
namespace {

using testing::AllTypesSchema;
using testing::CodecName;
using testing::EditableBatch;
using testing::MustParse;
using testing::SampleRows;

std::vector<uint8_t> Encode(const Schema& schema, const std::vector<GenericRow>& rows, CompressionOptions options = {}) {
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows, options);
  EXPECT_OK(encoded);
  return encoded.ok() ? *encoded : std::vector<uint8_t>{};
}

using testing::Row;

void ExpectCorruption(const Schema& schema, std::span<const uint8_t> message) {
  Result<std::vector<GenericRow>> r = DecodeRecordBatch(schema, message);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord) << r.status().ToString();
}

// A small INT + STRING batch with a null in each column, taken apart for editing.
struct Fixture {
  Schema schema = MustParse("a INT, s STRING");
  std::vector<GenericRow> rows = {Row({int32_t{1}, std::string("one")}), Row({std::monostate{}, std::string("three")}),
                                  Row({int32_t{3}, std::monostate{}})};
  EditableBatch batch = EditableBatch::From(Encode(schema, rows));
};

// ---- Framing --------------------------------------------------------------------------------------

TEST(ArrowCorruptionTest, RejectsEveryTruncation) {
  for (CompressionCodec codec : {CompressionCodec::kNone, CompressionCodec::kLz4Frame, CompressionCodec::kZstd}) {
    Schema schema = AllTypesSchema();
    std::vector<uint8_t> m = Encode(schema, SampleRows(schema, 5), {.codec = codec});
    for (size_t n = 0; n < m.size(); ++n) {
      EXPECT_FALSE(DecodeRecordBatch(schema, std::span<const uint8_t>(m).first(n)).ok()) << CodecName(codec) << " " << n;
    }
  }
}

TEST(ArrowCorruptionTest, RejectsAMissingContinuationMarker) {
  Fixture f;
  std::vector<uint8_t> m = f.batch.Write();
  m[0] = 0x00;
  ExpectCorruption(f.schema, m);
}

TEST(ArrowCorruptionTest, RejectsTheEndOfStreamMarker) {
  Fixture f;
  const std::vector<uint8_t> eos(std::begin(kEndOfStream), std::end(kEndOfStream));
  ExpectCorruption(f.schema, eos);
}

TEST(ArrowCorruptionTest, RejectsAMetadataLengthPastTheEnd) {
  Fixture f;
  std::vector<uint8_t> m = f.batch.Write();
  StoreLE<int32_t>(m.data() + 4, static_cast<int32_t>(m.size()));
  ExpectCorruption(f.schema, m);
}

TEST(ArrowCorruptionTest, RejectsANegativeMetadataLength) {
  Fixture f;
  std::vector<uint8_t> m = f.batch.Write();
  StoreLE<int32_t>(m.data() + 4, -8);
  ExpectCorruption(f.schema, m);
}

TEST(ArrowCorruptionTest, RejectsMetadataThatIsNotAFlatbuffer) {
  Fixture f;
  std::vector<uint8_t> m = f.batch.Write();
  const int32_t metadata_length = LoadLE<int32_t>(m.data() + 4);
  std::fill(m.begin() + 8, m.begin() + 8 + metadata_length, 0xFF);
  ExpectCorruption(f.schema, m);
}

TEST(ArrowCorruptionTest, RejectsABodyLengthPastTheEnd) {
  Fixture f;
  f.batch.body_length += 8;
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsASchemaMessage) {
  Fixture f;
  ExpectCorruption(f.schema, EncodeSchemaMessage(f.schema));
}

// ---- Metadata against the schema ------------------------------------------------------------------

TEST(ArrowCorruptionTest, RejectsAMissingFieldNode) {
  Fixture f;
  f.batch.nodes.pop_back();
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsAMissingBuffer) {
  Fixture f;
  f.batch.buffers.pop_back();
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsAMessageOfAnotherSchema) {
  Fixture f;
  ExpectCorruption(MustParse("a BIGINT, s STRING"), f.batch.Write());  // values buffer too short
  ExpectCorruption(MustParse("a INT, s INT"), f.batch.Write());        // buffer count
  ExpectCorruption(MustParse("a INT"), f.batch.Write());               // node count
}

TEST(ArrowCorruptionTest, RejectsANegativeBatchLength) {
  Fixture f;
  f.batch.length = -1;
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsANodeLengthOtherThanTheBatchLength) {
  Fixture f;
  f.batch.nodes[1] = fb::FieldNode(2, f.batch.nodes[1].null_count());
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsANullCountAboveTheLength) {
  Fixture f;
  f.batch.nodes[0] = fb::FieldNode(3, 4);
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsANullCountThatDisagreesWithTheBitmap) {
  Fixture f;
  f.batch.nodes[0] = fb::FieldNode(3, 2);
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsNullsInANotNullColumn) {
  Fixture f;
  ExpectCorruption(MustParse("a INT NOT NULL, s STRING"), f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsALengthTheBuffersCannotHold) {
  Fixture f;
  f.batch.length = 1000;
  f.batch.nodes[0] = fb::FieldNode(1000, f.batch.nodes[0].null_count());
  f.batch.nodes[1] = fb::FieldNode(1000, f.batch.nodes[1].null_count());
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsAHugeLength) {
  Fixture f;
  const int64_t huge = std::numeric_limits<int64_t>::max();
  f.batch.length = huge;
  f.batch.nodes[0] = fb::FieldNode(huge, 0);
  f.batch.nodes[1] = fb::FieldNode(huge, 0);
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsBuffersOutsideTheBody) {
  for (auto [offset, length] : {std::pair<int64_t, int64_t>{-8, 8}, {0, -1}, {1 << 20, 0}, {8, 1 << 20},
                                {std::numeric_limits<int64_t>::max(), 8}, {8, std::numeric_limits<int64_t>::max()}}) {
    Fixture f;
    f.batch.buffers[1] = fb::Buffer(offset, length);
    ExpectCorruption(f.schema, f.batch.Write());
  }
}

// ---- Buffer contents ------------------------------------------------------------------------------

TEST(ArrowCorruptionTest, RejectsDecreasingOffsets) {
  Fixture f;
  StoreLE<int32_t>(f.batch.stored(3).data() + 4, 5);  // offsets 0, 3, 8, 8 -> 0, 5, 8, 8 is fine; make it go back
  StoreLE<int32_t>(f.batch.stored(3).data() + 8, 2);
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsALastOffsetPastTheData) {
  Fixture f;
  StoreLE<int32_t>(f.batch.stored(3).data() + 12, 9);
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsANegativeFirstOffset) {
  Fixture f;
  StoreLE<int32_t>(f.batch.stored(3).data(), -1);
  ExpectCorruption(f.schema, f.batch.Write());
}

TEST(ArrowCorruptionTest, RejectsADecimalBeyondItsPrecision) {
  Schema schema = MustParse("d DECIMAL(5, 2) NOT NULL");
  EditableBatch e = EditableBatch::From(Encode(schema, {Row({DecimalValue{99999}})}));
  StoreLE<__int128>(e.stored(1).data(), 100000);
  ExpectCorruption(schema, e.Write());
}

TEST(ArrowCorruptionTest, RejectsATimeOutsideTheDay) {
  Schema schema = MustParse("t TIME(3) NOT NULL");
  EditableBatch e = EditableBatch::From(Encode(schema, {Row({int32_t{1000}})}));
  StoreLE<int32_t>(e.stored(1).data(), 86400000);
  ExpectCorruption(schema, e.Write());
}

TEST(ArrowCorruptionTest, RejectsASecondsTimestampOverflowingMilliseconds) {
  Schema schema = MustParse("ts TIMESTAMP(0) NOT NULL");
  EditableBatch e = EditableBatch::From(Encode(schema, {Row({TimestampValue{1000, 0}})}));
  StoreLE<int64_t>(e.stored(1).data(), std::numeric_limits<int64_t>::max() / 10);
  ExpectCorruption(schema, e.Write());
}

TEST(ArrowCorruptionTest, RejectsACompressedLengthThatLies) {
  Schema schema = MustParse("a BIGINT NOT NULL");
  std::vector<GenericRow> rows;
  for (int64_t i = 0; i < 1000; ++i) rows.push_back(Row({i % 10}));
  for (CompressionCodec codec : {CompressionCodec::kLz4Frame, CompressionCodec::kZstd}) {
    EditableBatch e = EditableBatch::From(Encode(schema, rows, {.codec = codec}));
    ASSERT_EQ(LoadLE<int64_t>(e.stored(1).data()), 8000);
    StoreLE<int64_t>(e.stored(1).data(), 8008);
    ExpectCorruption(schema, e.Write());
    StoreLE<int64_t>(e.stored(1).data(), 7992);
    ExpectCorruption(schema, e.Write());
  }
}

TEST(ArrowCorruptionTest, RejectsAnUnknownCompressionCodec) {
  Fixture f;
  flatbuffers::FlatBufferBuilder fbb;
  auto nodes = fbb.CreateVectorOfStructs(f.batch.nodes);
  auto buffers = fbb.CreateVectorOfStructs(f.batch.buffers);
  auto compression = fb::CreateBodyCompression(fbb, static_cast<fb::CompressionType>(7));
  auto batch = fb::CreateRecordBatch(fbb, f.batch.length, nodes, buffers, compression);
  fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::RecordBatch, batch.Union(),
                               f.batch.body_length));
  std::vector<uint8_t> m;
  WriteMessagePrefix(fbb, f.batch.body.size(), &m);
  m.insert(m.end(), f.batch.body.begin(), f.batch.body.end());
  ExpectCorruption(f.schema, m);
}

// ---- Random mutation ------------------------------------------------------------------------------

// Every row a successful decode returns must be valid for the schema (text aside: decoders return
// text bytes as they were stored, see ValidateText).
void ExpectValidRows(const Schema& schema, const std::vector<GenericRow>& rows) {
  for (const auto& row : rows) {
    ASSERT_EQ(row.arity(), schema.num_columns());
    for (size_t c = 0; c < row.arity(); ++c) {
      ASSERT_OK(ValidateDatum(row.field(c), schema.column(c).type, schema.column(c).name, TextCheck::kNone));
    }
  }
}

// Runs every decoder entry point on `m`; none may crash, successful decodes must be valid.
void ExerciseDecoders(const Schema& schema, std::span<const uint8_t> m) {
  Result<std::vector<GenericRow>> rows = DecodeRecordBatch(schema, m);
  if (rows.ok()) ExpectValidRows(schema, *rows);
  const std::vector<size_t> columns = {schema.num_columns() - 1, 0};
  Result<std::vector<uint8_t>> projected = ProjectRecordBatch(schema, m, columns);
  if (projected.ok()) {
    Result<std::vector<GenericRow>> p = DecodeRecordBatch(*schema.Project(columns), *projected);
    if (rows.ok()) {
      EXPECT_TRUE(p.ok()) << "a decodable batch must project to a decodable batch";
    }
  }
  (void)MessageSize(m);
  size_t consumed = 0;
  (void)DecodeSchemaMessage(m, &consumed);
}

// --gtest_random_seed=N explores other mutations (a longer campaign: repeat with many seeds).
uint64_t ExtraSeed() { return static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed()) * 1000003; }

class ArrowMutationTest : public ::testing::TestWithParam<CompressionCodec> {};

INSTANTIATE_TEST_SUITE_P(Arrow, ArrowMutationTest,
                         ::testing::Values(CompressionCodec::kNone, CompressionCodec::kLz4Frame, CompressionCodec::kZstd),
                         [](const auto& info) { return CodecName(info.param); });

TEST_P(ArrowMutationTest, RandomByteMutationsNeverCrash) {
  Schema schema = AllTypesSchema();
  const std::vector<uint8_t> original = Encode(schema, SampleRows(schema, 12, 3), {.codec = GetParam()});
  const auto metadata_end = static_cast<size_t>(8 + LoadLE<int32_t>(original.data() + 4));
  std::mt19937_64 rng(20240601 + static_cast<uint64_t>(GetParam()) + ExtraSeed());
  const uint8_t interesting[] = {0x00, 0x01, 0x07, 0x08, 0x7F, 0x80, 0xFE, 0xFF};
  for (int iter = 0; iter < 1500; ++iter) {
    std::vector<uint8_t> m = original;
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < mutations && !m.empty(); ++k) {
      // Half the mutations hit the metadata, where one byte changes the most.
      const size_t region = (rng() & 1) != 0 ? std::min(metadata_end, m.size()) : m.size();
      const size_t pos = rng() % region;
      switch (rng() % 6) {
        case 0: m[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: m[pos] = interesting[rng() % sizeof(interesting)]; break;
        case 2: m[pos] = static_cast<uint8_t>(rng()); break;
        case 3: m.resize(rng() % m.size()); break;
        case 4: m.erase(m.begin() + static_cast<std::ptrdiff_t>(pos)); break;
        case 5:
          if (pos + 8 <= m.size()) StoreLE<int64_t>(m.data() + pos, static_cast<int64_t>(rng()) >> (rng() % 64));
          break;
      }
    }
    ExerciseDecoders(schema, m);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST_P(ArrowMutationTest, RandomLyingMetadataNeverCrashes) {
  Schema schema = AllTypesSchema();
  const EditableBatch original = EditableBatch::From(Encode(schema, SampleRows(schema, 9, 2), {.codec = GetParam()}));
  std::mt19937_64 rng(777 + static_cast<uint64_t>(GetParam()) + ExtraSeed());
  auto lie = [&](int64_t truth) -> int64_t {
    switch (rng() % 8) {
      case 0: return 0;
      case 1: return -1;
      case 2: return static_cast<int64_t>(static_cast<uint64_t>(truth) + 1);  // wrapping, as bytes would
      case 3: return static_cast<int64_t>(static_cast<uint64_t>(truth) - 1);
      case 4: return static_cast<int64_t>(static_cast<uint64_t>(truth) * 2 + 8);
      case 5: return std::numeric_limits<int64_t>::max();
      case 6: return std::numeric_limits<int64_t>::min();
      default: return static_cast<int64_t>(rng() % 4096);
    }
  };
  for (int iter = 0; iter < 1500; ++iter) {
    EditableBatch e = original;
    const int lies = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < lies; ++k) {
      switch (rng() % 6) {
        case 0: e.length = lie(e.length); break;
        case 1: e.body_length = lie(e.body_length); break;
        case 2: {
          auto& n = e.nodes[rng() % e.nodes.size()];
          n = (rng() & 1) != 0 ? fb::FieldNode(lie(n.length()), n.null_count()) : fb::FieldNode(n.length(), lie(n.null_count()));
          break;
        }
        case 3: {
          auto& b = e.buffers[rng() % e.buffers.size()];
          b = (rng() & 1) != 0 ? fb::Buffer(lie(b.offset()), b.length()) : fb::Buffer(b.offset(), lie(b.length()));
          break;
        }
        case 4: {
          // Lie inside the body: an offset, a length prefix or a value (at the buffer's true place).
          const fb::Buffer& b = original.buffers[rng() % original.buffers.size()];
          std::span<uint8_t> s = std::span<uint8_t>(e.body).subspan(static_cast<size_t>(b.offset()),
                                                                    static_cast<size_t>(b.length()));
          if (s.size() >= 8) StoreLE<int64_t>(s.data() + 8 * (rng() % (s.size() / 8)), lie(LoadLE<int64_t>(s.data())));
          break;
        }
        case 5: {
          // Make every column claim the same, larger length.
          const int64_t n = lie(e.length);
          e.length = n;
          for (auto& node : e.nodes) node = fb::FieldNode(n, 0);
          break;
        }
      }
    }
    ExerciseDecoders(schema, e.Write());
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace fluss::arrow
