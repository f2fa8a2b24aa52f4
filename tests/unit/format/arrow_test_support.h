// Shared fixtures for the Arrow IPC tests: a schema with every type and deterministic rows for it.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "format/arrow/arrow_ipc.h"
#include "format/arrow/record_batch_internal.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss::arrow::testing {

// A row of `fields`, written as Row({Datum(1), Datum("a")}).
inline GenericRow Row(std::vector<Datum> fields) { return GenericRow(std::move(fields)); }

inline Schema MustParse(std::string_view dsl) {
  Result<Schema> s = ParseSchema(dsl);
  EXPECT_OK(s);
  return s.ok() ? *s : Schema();
}

// One nullable column of every Fluss type (every TIME/TIMESTAMP precision band) and a NOT NULL one.
inline Schema AllTypesSchema() {
  return MustParse(
      "b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT, f32 FLOAT, f64 DOUBLE, "
      "dec DECIMAL(10, 2), dec38 DECIMAL(38, 5), ch CHAR(4), s STRING, bin BINARY(3), by BYTES, d DATE, "
      "t0 TIME(0), t3 TIME(3), t6 TIME(6), t9 TIME(9), "
      "ts0 TIMESTAMP(0), ts3 TIMESTAMP(3), ts6 TIMESTAMP(6), ts9 TIMESTAMP(9), "
      "ltz0 TIMESTAMP_LTZ(0), ltz3 TIMESTAMP_LTZ(3), ltz6 TIMESTAMP_LTZ(6), ltz9 TIMESTAMP_LTZ(9), "
      "id BIGINT NOT NULL");
}

// A value of `type` that survives the type's precision exactly, varied by `seed`.
inline Datum SampleValue(const DataType& type, uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + static_cast<uint64_t>(type.root()));
  const auto r = static_cast<int64_t>(rng() >> 1);
  const bool neg = (rng() & 1) != 0;
  switch (type.root()) {
    case TypeRoot::kBoolean: return (r & 1) != 0;
    case TypeRoot::kTinyInt: return static_cast<int8_t>(r);
    case TypeRoot::kSmallInt: return static_cast<int16_t>(r);
    case TypeRoot::kInt: return static_cast<int32_t>(r);
    case TypeRoot::kBigInt: return neg ? -r : r;
    case TypeRoot::kFloat: return static_cast<float>(r % 100000) / 8.0f;
    case TypeRoot::kDouble: return static_cast<double>(neg ? -r : r) / 1024.0;
    case TypeRoot::kDecimal: {
      __int128 limit = 1;
      for (int i = 0; i < type.precision(); ++i) limit *= 10;
      __int128 v = (static_cast<__int128>(r) << 64 | static_cast<__int128>(rng())) % limit;
      if (v < 0) v = -v;
      return DecimalValue{neg ? -v : v};
    }
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes: {
      std::string s(static_cast<size_t>(r % 17), '\0');
      for (auto& c : s) c = static_cast<char>(rng());
      return s;
    }
    case TypeRoot::kBinary: {
      std::string s(static_cast<size_t>(type.length()), '\0');
      for (auto& c : s) c = static_cast<char>(rng());
      return s;
    }
    case TypeRoot::kDate: return static_cast<int32_t>(r % 100000 - 50000);
    case TypeRoot::kTime: {
      int32_t ms = static_cast<int32_t>(r % 86400000);
      if (type.precision() == 0) ms -= ms % 1000;
      return ms;
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      // Within +-200 years of 1970, so TIMESTAMP(9) fits int64 nanoseconds.
      int64_t millis = r % (int64_t{200} * 365 * 86400000);
      if (neg) millis = -millis;
      int32_t nanos = static_cast<int32_t>(rng() % 1000000);
      const int p = type.precision();
      if (p == 0) {
        millis -= millis % 1000;  // seconds truncate toward zero; keep exact multiples
        nanos = 0;
      } else if (p <= 3) {
        nanos = 0;
      } else if (p <= 6) {
        nanos -= nanos % 1000;
      }
      return TimestampValue{millis, nanos};
    }
  }
  return std::monostate{};
}

// Row `i` of `schema`: nullable columns are null when (i + column) % null_every == 0 (never if 0).
inline GenericRow SampleRow(const Schema& schema, size_t i, size_t null_every = 5) {
  GenericRow row(schema.num_columns());
  for (size_t c = 0; c < schema.num_columns(); ++c) {
    const DataType& t = schema.column(c).type;
    if (t.nullable() && null_every != 0 && (i + c) % null_every == 0) continue;
    row.SetField(c, SampleValue(t, i * 131 + c));
  }
  return row;
}

inline std::vector<GenericRow> SampleRows(const Schema& schema, size_t n, size_t null_every = 5) {
  std::vector<GenericRow> rows;
  for (size_t i = 0; i < n; ++i) rows.push_back(SampleRow(schema, i, null_every));
  return rows;
}

// Encodes then decodes `rows`; fails the test on any error.
inline std::vector<GenericRow> RoundTrip(const Schema& schema, const std::vector<GenericRow>& rows,
                                         CompressionOptions options = {}) {
  Result<std::vector<uint8_t>> encoded = EncodeRecordBatch(schema, rows, options);
  EXPECT_OK(encoded);
  if (!encoded.ok()) return {};
  Result<std::vector<GenericRow>> decoded = DecodeRecordBatch(schema, *encoded);
  EXPECT_OK(decoded);
  return decoded.ok() ? *decoded : std::vector<GenericRow>{};
}

inline std::string CodecName(CompressionCodec c) {
  switch (c) {
    case CompressionCodec::kNone: return "None";
    case CompressionCodec::kLz4Frame: return "Lz4Frame";
    case CompressionCodec::kZstd: return "Zstd";
  }
  return "Unknown";
}

}  // namespace fluss::arrow::testing


namespace fluss::arrow::testing {

// A RecordBatch message taken apart so a test can edit (or lie in) any field and write it back.
struct EditableBatch {
  int64_t length = 0;
  std::vector<fb::FieldNode> nodes;
  std::vector<fb::Buffer> buffers;
  CompressionCodec codec = CompressionCodec::kNone;
  int64_t body_length = 0;
  std::vector<uint8_t> body;

  static EditableBatch From(std::span<const uint8_t> message) {
    EditableBatch e;
    Result<ParsedMessage> parsed = ParseMessage(message);
    EXPECT_OK(parsed);
    if (!parsed.ok()) return e;
    const fb::RecordBatch* rb = parsed->message->header_as_RecordBatch();
    EXPECT_NE(rb, nullptr);
    if (rb == nullptr) return e;
    e.length = rb->length();
    if (rb->nodes() != nullptr) {
      for (const fb::FieldNode* n : *rb->nodes()) e.nodes.push_back(*n);
    }
    if (rb->buffers() != nullptr) {
      for (const fb::Buffer* b : *rb->buffers()) e.buffers.push_back(*b);
    }
    if (rb->compression() != nullptr) {
      e.codec = rb->compression()->codec() == fb::CompressionType::ZSTD ? CompressionCodec::kZstd
                                                                         : CompressionCodec::kLz4Frame;
    }
    e.body.assign(parsed->body.begin(), parsed->body.end());
    e.body_length = static_cast<int64_t>(e.body.size());
    return e;
  }

  std::vector<uint8_t> Write() const {
    flatbuffers::FlatBufferBuilder fbb;
    BuildRecordBatchMetadata(fbb, length, nodes, buffers, codec, body_length);
    std::vector<uint8_t> out;
    WriteMessagePrefix(fbb, body.size(), &out);
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }

  // The stored bytes of buffer i.
  std::span<uint8_t> stored(size_t i) {
    return std::span<uint8_t>(body).subspan(static_cast<size_t>(buffers[i].offset()),
                                            static_cast<size_t>(buffers[i].length()));
  }
};

}  // namespace fluss::arrow::testing
