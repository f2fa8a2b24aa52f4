// OffsetIndex: the sparse `.index` of a segment. Entry = 8 bytes, big-endian (Fluss's Java
// ByteBuffer order): int32 relative offset (the last offset of a batch − segment base offset),
// int32 file position of that batch in the .log file. One entry per log.index.interval-size bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "log/index_file.h"

namespace fluss {

struct OffsetPosition {
  int64_t offset;     // absolute offset (the last offset of the batch at `position`)
  uint32_t position;  // byte position of the batch in the .log file
};

class OffsetIndex : public MappedIndexFile {
 public:
  static constexpr size_t kEntrySize = 8;

  // Opens `path` (created when absent). Writable: takes appends up to `max_bytes`, growing the file
  // in steps (index_file.h).
  static Result<std::unique_ptr<OffsetIndex>> Open(const std::string& path, int64_t base_offset, bool writable,
                                                   int64_t max_bytes,
                                                   FileSystem& fs = FileSystem::Local());

  OffsetPosition EntryAt(size_t i) const;
  // The last entry, or {base_offset, 0} when empty.
  OffsetPosition LastEntry() const;
  // The entry with the largest offset <= `target`, or {base_offset, 0} when there is none: the batch
  // holding `target` starts at or after its position.
  OffsetPosition Lookup(int64_t target) const;
  // Adds an entry. REQUIRES: writable, not full, offset and position greater than the last entry's
  // and offset - base_offset fits int32 (an error otherwise). Grows the file when it is out of room;
  // a failed growth step (disk full) is an error and adds nothing.
  Status Append(int64_t offset, uint32_t position);
  // Removes entries whose offset >= `offset`.
  void TruncateTo(int64_t offset);

 private:
  using MappedIndexFile::MappedIndexFile;
  bool IsAfterEnd(size_t i) const override;
};

}  // namespace fluss
