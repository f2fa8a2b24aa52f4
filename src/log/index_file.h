// MappedIndexFile: the fixed-width, memory-mapped file under OffsetIndex and TimeIndex. The active
// segment's index is preallocated (posix_fallocate, so a full disk fails at roll time with an error
// instead of SIGBUS on a mapped page) to log.index.file-size and trimmed to its entries on roll and
// close. Entries are strictly increasing; the first entry that is not (or an all-zero first entry)
// ends the index, so an untrimmed file left by a crash is read correctly.
// Thread-safety: none; the owning LogSegment is guarded by its LogTablet's lock.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"

namespace fluss {

class MappedIndexFile {
 public:
  MappedIndexFile(const MappedIndexFile&) = delete;
  MappedIndexFile& operator=(const MappedIndexFile&) = delete;
  virtual ~MappedIndexFile();

  const std::string& path() const { return path_; }
  int64_t base_offset() const { return base_offset_; }
  size_t entries() const { return entries_; }
  size_t max_entries() const { return max_entries_; }
  bool full() const { return entries_ >= max_entries_; }
  bool writable() const { return writable_; }
  // Bytes the file occupies on disk now (preallocated size while writable).
  uint64_t file_size() const { return file_size_; }
  // True when non-zero bytes follow the last entry that increases: the file is corrupt. (Zeros after
  // the entries are an untrimmed preallocated file, which is fine.)
  bool had_trailing_garbage() const { return had_trailing_garbage_; }
  // True when the file is longer than its entries (preallocated, not yet trimmed).
  bool untrimmed() const { return file_size_ > entries_ * entry_size_; }

  // Preallocates to `max_bytes` (rounded down to whole entries) and maps for appends.
  Status MakeWritable(int64_t max_bytes);
  // Cuts the file to its entries and maps it read-only (on roll and close).
  Status TrimToEntries();
  // Forgets entries from `n` on and zeroes them in the file (so a crash cannot resurrect them).
  void TruncateToEntries(size_t n);
  // msync of the mapped entries.
  Status Flush() const;
  Status RenameTo(const std::string& new_path);
  // Drops all entries (zeroed) — used before a rebuild.
  void Reset() { TruncateToEntries(0); }

 protected:
  MappedIndexFile(std::string path, int64_t base_offset, size_t entry_size)
      : path_(std::move(path)), base_offset_(base_offset), entry_size_(entry_size) {}

  // Opens (creating when absent) and maps the file; counts entries with IsAfterEnd.
  Status OpenFile(bool writable, int64_t max_bytes);
  // True when entry `i` does not continue the strictly increasing sequence 0..i-1.
  virtual bool IsAfterEnd(size_t i) const = 0;

  const uint8_t* EntryPtr(size_t i) const { return data_ + i * entry_size_; }
  uint8_t* AppendPtr() { return data_ + entries_ * entry_size_; }
  void CommitAppend() { ++entries_; }

 private:
  Status Map(size_t bytes, bool writable);
  void Unmap();

  std::string path_;
  int64_t base_offset_;
  size_t entry_size_;
  int fd_ = -1;
  uint8_t* data_ = nullptr;
  size_t mapped_bytes_ = 0;
  uint64_t file_size_ = 0;
  size_t entries_ = 0;
  size_t max_entries_ = 0;
  bool writable_ = false;
  bool had_trailing_garbage_ = false;
};

}  // namespace fluss
