// Shared helpers of the log tests: temp dirs, batches built by the real format builder, a fake clock,
// and raw file edits for corruption tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/log_record_batch.h"
#include "log/log_tablet.h"
#include "types/schema_parser.h"
#include "support/file_size_limit.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss::testing {


inline const Schema& TestSchema() {
  static const Schema schema = *ParseSchema("id INT, v STRING");
  return schema;
}

// One ARROW batch of `rows` rows whose string column has `payload` bytes per row.
inline Buffer MakeBatch(int rows, int64_t writer_id = -1, int32_t seq = -1, size_t payload = 16, int first_id = 0) {
  LogRecordBatchBuilder builder(TestSchema(), {.schema_id = 1, .writer_id = writer_id, .batch_sequence = seq});
  for (int i = 0; i < rows; ++i) {
    GenericRow row(2);
    row.SetField(0, int32_t{first_id + i});
    row.SetField(1, std::string(payload, static_cast<char>('a' + (first_id + i) % 26)));
    EXPECT_OK(builder.Append(row));
  }
  auto built = builder.Build();
  EXPECT_OK(built);
  return *built;
}

// Concatenation of several batches (one append of many batches).
inline Buffer Concat(const std::vector<Buffer>& parts) {
  std::vector<uint8_t> out;
  for (const Buffer& p : parts) out.insert(out.end(), p.data(), p.data() + p.size());
  return Buffer::FromVector(std::move(out));
}

// A clock tests move by hand.
struct FakeClock {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(1'700'000'000'000);
  ClockMs fn() const {
    return [n = now] { return *n; };
  }
  void Advance(int64_t ms) { *now += ms; }
};

// Reads every batch from `from` to the log end through LogTablet::Read.
inline std::vector<LogRecordBatch> ReadAll(const LogTablet& log, int64_t from = -1, size_t max_bytes = 1 << 20) {
  std::vector<LogRecordBatch> out;
  int64_t offset = from < 0 ? log.log_start_offset() : from;
  while (offset < log.log_end_offset()) {
    auto data = log.Read(offset, max_bytes);
    EXPECT_OK(data);
    if (!data.ok() || data->region.empty()) break;
    auto bytes = data->ReadRecords();
    EXPECT_OK(bytes);
    auto batches = ParseLogRecordBatches(*bytes, true, false);
    EXPECT_OK(batches);
    for (auto& b : *batches) {
      offset = b.next_offset();
      out.push_back(b);
    }
  }
  return out;
}

inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void FlipByte(const std::string& path, size_t position) {
  auto bytes = ReadFileBytes(path);
  ASSERT_LT(position, bytes.size());
  bytes[position] ^= 0x5a;
  WriteFileBytes(path, bytes);
}

inline std::string SegmentPath(const std::string& dir, int64_t base, std::string_view suffix) {
  return SegmentFileName(dir, base, suffix);
}

// Small segments and a dense index so few batches exercise rolls and index entries.
inline LogConfig SmallConfig() {
  LogConfig c;
  c.segment_bytes = 4096;
  c.index_interval_bytes = 256;
  c.index_file_bytes = 4096;
  return c;
}

}  // namespace fluss::testing
