#include "log/offset_index.h"

#include <fmt/format.h>

#include "common/byte_io.h"

namespace fluss {

Result<std::unique_ptr<OffsetIndex>> OffsetIndex::Open(const std::string& path, int64_t base_offset, bool writable,
                                                       int64_t max_bytes, FileSystem& fs) {
  std::unique_ptr<OffsetIndex> index(new OffsetIndex(fs, path, base_offset, kEntrySize));
  FLUSS_RETURN_NOT_OK(index->OpenFile(writable, max_bytes));
  return index;
}

OffsetPosition OffsetIndex::EntryAt(size_t i) const {
  const uint8_t* p = EntryPtr(i);
  return {base_offset() + LoadBE<int32_t>(p), static_cast<uint32_t>(LoadBE<int32_t>(p + 4))};
}

bool OffsetIndex::IsAfterEnd(size_t i) const {
  const uint8_t* p = EntryPtr(i);
  int32_t rel = LoadBE<int32_t>(p);
  int32_t pos = LoadBE<int32_t>(p + 4);
  if (rel < 0 || pos < 0) return true;
  if (i == 0) return pos == 0;  // the first entry is never at position 0 (it follows interval bytes)
  const uint8_t* q = EntryPtr(i - 1);
  return rel <= LoadBE<int32_t>(q) || pos <= LoadBE<int32_t>(q + 4);
}

OffsetPosition OffsetIndex::LastEntry() const {
  return entries() == 0 ? OffsetPosition{base_offset(), 0} : EntryAt(entries() - 1);
}

OffsetPosition OffsetIndex::Lookup(int64_t target) const {
  size_t lo = 0, hi = entries();  // first entry with offset > target
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (EntryAt(mid).offset <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo == 0 ? OffsetPosition{base_offset(), 0} : EntryAt(lo - 1);
}

Status OffsetIndex::Append(int64_t offset, uint32_t position) {
  if (!writable() || full()) return Status::Internal(fmt::format("offset index '{}' is full or read-only", path()));
  int64_t rel = offset - base_offset();
  if (rel < 0 || rel > std::numeric_limits<int32_t>::max() || position > static_cast<uint32_t>(INT32_MAX)) {
    return Status::Internal(fmt::format("offset index '{}': entry ({}, {}) out of range", path(), offset, position));
  }
  if (entries() > 0) {
    OffsetPosition last = LastEntry();
    if (offset <= last.offset || position <= last.position) {
      return Status::Internal(fmt::format("offset index '{}': entry ({}, {}) does not follow ({}, {})", path(), offset,
                                          position, last.offset, last.position));
    }
  }
  FLUSS_RETURN_NOT_OK(Reserve(1));
  uint8_t* p = AppendPtr();
  StoreBE<int32_t>(p, static_cast<int32_t>(rel));
  StoreBE<int32_t>(p + 4, static_cast<int32_t>(position));
  CommitAppend();
  return Status::OK();
}

void OffsetIndex::TruncateTo(int64_t offset) {
  size_t lo = 0, hi = entries();  // first entry with offset >= `offset`
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (EntryAt(mid).offset < offset) lo = mid + 1;
    else hi = mid;
  }
  TruncateToEntries(lo);
}

}  // namespace fluss
