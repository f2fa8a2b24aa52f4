// Reads, flushes and retention running while one thread appends across segment rolls.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "log/log_tablet.h"
#include "log_test_support.h"

namespace fluss {
namespace {

using testing::MakeBatch;
using testing::TempDir;

TEST(LogConcurrencyTest, ReadersFlusherAndRetentionRunBesideAnAppender) {
  TempDir dir;
  LogConfig config = testing::SmallConfig();
  config.retention_bytes = 64 * 1024;
  config.retention_ms = 0;
  auto log = std::move(LogTablet::Open(dir.Sub("log-0"), config)).value();
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int64_t> batches_read{0};

  std::thread appender([&] {
    for (int i = 0; i < 2000; ++i) {
      if (!log->AppendAsLeader(MakeBatch(1 + i % 4, -1, -1, 50, i)).ok()) bad++;
      log->UpdateHighWatermark(log->log_end_offset());
    }
    done = true;
  });
  auto reader = [&] {
    int64_t offset = 0;
    while (!done) {
      auto data = log->Read(offset, 2048);
      if (!data.ok()) {
        // Retention may have moved the log start past us: restart from it.
        if (data.status().code() == ErrorCode::kLogOffsetOutOfRange) {
          offset = log->log_start_offset();
          continue;
        }
        bad++;
        continue;
      }
      if (data->region.empty()) continue;
      auto bytes = data->ReadRecords();
      if (!bytes.ok()) continue;  // the segment can be deleted between lookup and read only by truncation; not here
      auto batches = ParseLogRecordBatches(*bytes, true, false);
      if (!batches.ok() || batches->empty() || batches->front().last_offset() < offset) {
        bad++;
        continue;
      }
      offset = batches->back().next_offset();
      batches_read += static_cast<int64_t>(batches->size());
    }
  };
  std::thread r1(reader), r2(reader);
  std::thread maintenance([&] {
    while (!done) {
      if (!log->Flush().ok()) bad++;
      if (!log->DeleteExpiredSegments().ok()) bad++;
    }
  });
  appender.join();
  r1.join();
  r2.join();
  maintenance.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(batches_read.load(), 0);
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 2000 + 2000 / 4 * (1 + 2 + 3));
}

}  // namespace
}  // namespace fluss
