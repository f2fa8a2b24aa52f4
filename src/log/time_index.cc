#include "log/time_index.h"

#include <fmt/format.h>

#include "common/byte_io.h"

namespace fluss {

Result<std::unique_ptr<TimeIndex>> TimeIndex::Open(const std::string& path, int64_t base_offset, bool writable,
                                                   int64_t max_bytes, FileSystem& fs) {
  std::unique_ptr<TimeIndex> index(new TimeIndex(fs, path, base_offset, kEntrySize));
  FLUSS_RETURN_NOT_OK(index->OpenFile(writable, max_bytes));
  return index;
}

TimestampOffset TimeIndex::EntryAt(size_t i) const {
  const uint8_t* p = EntryPtr(i);
  return {LoadBE<int64_t>(p), base_offset() + LoadBE<int32_t>(p + 8)};
}

bool TimeIndex::IsAfterEnd(size_t i) const {
  const uint8_t* p = EntryPtr(i);
  int64_t ts = LoadBE<int64_t>(p);
  int32_t rel = LoadBE<int32_t>(p + 8);
  if (rel < 0) return true;
  if (i == 0) return ts == 0 && rel == 0;
  const uint8_t* q = EntryPtr(i - 1);
  return ts <= LoadBE<int64_t>(q) || rel <= LoadBE<int32_t>(q + 8);
}

std::optional<TimestampOffset> TimeIndex::LastEntry() const {
  if (entries() == 0) return std::nullopt;
  return EntryAt(entries() - 1);
}

std::optional<TimestampOffset> TimeIndex::LastEntryBefore(int64_t timestamp) const {
  size_t lo = 0, hi = entries();  // first entry with ts >= timestamp
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (EntryAt(mid).timestamp < timestamp) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return std::nullopt;
  return EntryAt(lo - 1);
}

Status TimeIndex::MaybeAppend(int64_t timestamp, int64_t offset) {
  if (auto last = LastEntry(); last && (timestamp <= last->timestamp || offset <= last->offset)) return Status::OK();
  if (!writable() || full()) return Status::Internal(fmt::format("time index '{}' is full or read-only", path()));
  int64_t rel = offset - base_offset();
  if (rel < 0 || rel > std::numeric_limits<int32_t>::max()) {
    return Status::Internal(fmt::format("time index '{}': offset {} out of range", path(), offset));
  }
  if (entries() == 0 && timestamp == 0 && rel == 0) return Status::OK();  // would read as "no entry"
  FLUSS_RETURN_NOT_OK(Reserve(1));
  uint8_t* p = AppendPtr();
  StoreBE<int64_t>(p, timestamp);
  StoreBE<int32_t>(p + 8, static_cast<int32_t>(rel));
  CommitAppend();
  return Status::OK();
}

void TimeIndex::TruncateTo(int64_t offset) {
  size_t lo = 0, hi = entries();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (EntryAt(mid).offset < offset) lo = mid + 1;
    else hi = mid;
  }
  TruncateToEntries(lo);
}

}  // namespace fluss
