// TimeIndex: the sparse `.timeindex` of a segment. Entry = 12 bytes, big-endian: int64 timestamp
// (the largest commit timestamp in the segment so far), int32 relative offset of the batch holding
// it. Entries increase strictly in both fields; one is added beside each offset-index entry when the
// max timestamp grew, and a final one on roll so the last entry is the segment's max timestamp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "log/index_file.h"

namespace fluss {

struct TimestampOffset {
  int64_t timestamp;
  int64_t offset;  // absolute
};

class TimeIndex : public MappedIndexFile {
 public:
  static constexpr size_t kEntrySize = 12;

  static Result<std::unique_ptr<TimeIndex>> Open(const std::string& path, int64_t base_offset, bool writable,
                                                 int64_t max_bytes,
                                                 FileSystem& fs = FileSystem::Local());

  TimestampOffset EntryAt(size_t i) const;
  // The last entry, if any.
  std::optional<TimestampOffset> LastEntry() const;
  // The last entry whose timestamp is < `timestamp`: every batch up to its offset is older than
  // `timestamp`, so the first batch with timestamp >= `timestamp` comes after it.
  std::optional<TimestampOffset> LastEntryBefore(int64_t timestamp) const;
  // Appends (timestamp, offset) when both exceed the last entry; otherwise does nothing. An error
  // when the index is full or read-only, the offset does not fit, or a growth step fails (disk full).
  Status MaybeAppend(int64_t timestamp, int64_t offset);
  // Removes entries whose offset >= `offset`.
  void TruncateTo(int64_t offset);

 private:
  using MappedIndexFile::MappedIndexFile;
  bool IsAfterEnd(size_t i) const override;
};

}  // namespace fluss
