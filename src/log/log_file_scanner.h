// LogFileScanner: walks the record batches of a .log file region in file order, reading in chunks.
// Header mode reads only what it needs to learn each batch's size and header fields (recovery of
// the tail of a clean segment, offset translation, writer-state replay); verify mode also reads the
// whole batch and checks it with LogRecordBatch::Parse (length, magic, CRC), as unclean recovery does.
#pragma once

#include <cstdint>
#include <string>

#include "common/buffer.h"
#include "common/status.h"
#include "log/file_io.h"

namespace fluss {

struct ScannedBatch {
  uint64_t position = 0;  // of the batch in the file
  uint32_t size = 0;      // whole batch, header included
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t commit_timestamp = 0;
  int64_t writer_id = -1;
  int32_t batch_sequence = -1;
  int32_t record_count = 0;
  Buffer bytes;  // the whole batch in verify mode, empty in header mode
};

class LogFileScanner {
 public:
  enum class Mode { kHeaderOnly, kVerify };
  enum class Step { kBatch, kEnd, kInvalid };

  // Scans [start, end) of `file`. REQUIRES: `file` outlives the scanner.
  LogFileScanner(const LogFile& file, uint64_t start, uint64_t end, Mode mode);

  // kBatch: `*out` holds the next batch. kEnd: `end` reached exactly. kInvalid: the bytes at
  // position() are not a whole valid batch (torn or corrupt); invalid_reason() says why. An I/O
  // error is returned as a Status.
  Result<Step> Next(ScannedBatch* out);
  uint64_t position() const { return pos_; }
  const std::string& invalid_reason() const { return reason_; }

 private:
  // Makes [pos_, pos_ + n) available in chunk_; false when the file region ends sooner.
  Result<bool> Ensure(size_t n);

  const LogFile& file_;
  uint64_t pos_;
  uint64_t end_;
  Mode mode_;
  Buffer chunk_;
  uint64_t chunk_pos_ = 0;
  std::string reason_;
};

}  // namespace fluss
