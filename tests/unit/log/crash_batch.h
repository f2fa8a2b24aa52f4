// What the crash writer appends and the crash test expects: batch `seq` of writer kCrashWriterId
// holds 1 + seq % 7 rows with ids seq * 1000 + i and a string of (seq * 37) % 900 bytes each.
#pragma once

#include "common/buffer.h"
#include "format/log_record_batch.h"
#include "log/log_config.h"
#include "types/schema_parser.h"

namespace fluss::testing {

inline constexpr int64_t kCrashWriterId = 77;
inline constexpr const char* kCrashBucket = "db/crash-1/log-0";

inline const Schema& CrashSchema() {
  static const Schema schema = *ParseSchema("id INT, v STRING");
  return schema;
}

inline int CrashRows(int32_t seq) { return 1 + seq % 7; }

inline GenericRow CrashRow(int32_t seq, int i) {
  GenericRow row(2);
  row.SetField(0, int32_t{seq * 1000 + i});
  row.SetField(1, std::string(static_cast<size_t>((seq * 37) % 900), static_cast<char>('a' + (seq + i) % 26)));
  return row;
}

inline Buffer CrashBatch(int32_t seq) {
  LogRecordBatchBuilder builder(CrashSchema(), {.schema_id = 1, .writer_id = kCrashWriterId, .batch_sequence = seq});
  for (int i = 0; i < CrashRows(seq); ++i) (void)builder.Append(CrashRow(seq, i));
  return *builder.Build();
}

// Small segments (many rolls), a dense index, fsync on every append, frequent checkpoints.
inline LogConfig CrashConfig() {
  LogConfig c;
  c.segment_bytes = 32 * 1024;
  c.index_interval_bytes = 512;
  c.index_file_bytes = 8 * 1024;
  c.flush_interval_messages = 1;
  c.recovery_point_checkpoint_interval_ms = 30;
  c.high_watermark_checkpoint_interval_ms = 30;
  return c;
}

}  // namespace fluss::testing
