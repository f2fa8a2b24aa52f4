// MappedIndexFile: the fixed-width, memory-mapped file under OffsetIndex and TimeIndex.
//
// An index costs what it holds. The file of a writable (active segment's) index grows in steps as
// entries are added — one page first, then doubling, never past log.index.file-size — and each step
// is allocated on disk (posix_fallocate) before it is mapped, so a full disk fails the append that
// needed the step with an error instead of raising SIGBUS on a mapped page. On roll and close the
// file is trimmed to its entries and mapped read-only. An index with no entries has no mapping.
// Entries are strictly increasing; the first entry that is not (or an all-zero first entry) ends the
// index, so an untrimmed file left by a crash (entries, then zeros) is read correctly.
//
// The index holds no file descriptor: the file is opened only to grow, trim, sync or map it, through
// the file-system layer, which creates, allocates, cuts and syncs it (only the mapping is made
// here, over the layer's descriptor). The mapping itself can be released (Release) when the segment
// goes idle, and is made again on demand (EnsureMapped); the entry count is kept in memory meanwhile.
// Thread-safety: none; the owning LogSegment serializes every call.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"
#include "fs/file_system.h"

namespace fluss {

class MappedIndexFile {
 public:
  // The first growth step of a writable index: one page. Later steps double the file.
  static constexpr uint64_t kFirstGrowthBytes = 4096;

  MappedIndexFile(const MappedIndexFile&) = delete;
  MappedIndexFile& operator=(const MappedIndexFile&) = delete;
  virtual ~MappedIndexFile();

  const std::string& path() const { return path_; }
  int64_t base_offset() const { return base_offset_; }
  size_t entries() const { return entries_; }
  // The most entries this index may hold (log.index.file-size / entry size while writable; the
  // entry count once read-only). A segment rolls when an index is full.
  size_t max_entries() const { return max_entries_; }
  bool full() const { return entries_ >= max_entries_; }
  bool writable() const { return writable_; }
  // Bytes the file occupies on disk now (entries plus the allocated room of the last growth step).
  uint64_t file_size() const { return file_size_; }
  // Entries the allocated file has room for before the next growth step.
  size_t allocated_entries() const { return static_cast<size_t>(file_size_ / entry_size_); }
  // Bytes mapped into memory now (0 when released or empty).
  size_t mapped_bytes() const { return mapped_bytes_; }
  bool mapped() const { return !released_; }
  // True when non-zero bytes follow the last entry that increases: the file is corrupt. (Zeros after
  // the entries are an untrimmed file, which is fine.)
  bool had_trailing_garbage() const { return had_trailing_garbage_; }
  // True when the file is longer than its entries (grown, not yet trimmed).
  bool untrimmed() const { return file_size_ > entries_ * entry_size_; }

  // Maps the index for appends, with room for up to `max_bytes` (rounded down to whole entries, at
  // least one more entry than it holds). Bytes after the entries are cut from the file first.
  Status MakeWritable(int64_t max_bytes);
  // Makes sure the file has room for `n` more entries (up to max_entries()), growing it by as many
  // steps as needed. An error (disk full, I/O) leaves the index as it was.
  Status Reserve(size_t n);
  // Cuts the file to its entries, syncs it and maps it read-only (on roll and close).
  Status TrimToEntries();
  // Forgets entries from `n` on and zeroes them in the file (so a crash cannot resurrect them).
  void TruncateToEntries(size_t n);
  // Makes the entries durable: fdatasync of the file through the layer (which writes the mapped
  // pages too), when entries were written or zeroed since the last flush.
  Status Flush() const;
  Status RenameTo(const std::string& new_path);
  // Drops all entries (zeroed) — used before a rebuild.
  void Reset() { TruncateToEntries(0); }

  // Unmaps the file (its pages leave the process); entries() stays known. Idempotent.
  void Release();
  // Maps the file again after Release (checking it is still as long as it was). Every other call
  // but Release, Flush, RenameTo and the accessors above REQUIRES mapped().
  Status EnsureMapped();

 protected:
  // REQUIRES: `fs` outlives the index.
  MappedIndexFile(FileSystem& fs, std::string path, int64_t base_offset, size_t entry_size)
      : fs_(fs), path_(std::move(path)), base_offset_(base_offset), entry_size_(entry_size) {}

  // Opens (creating when absent) and maps the file; counts entries with IsAfterEnd.
  Status OpenFile(bool writable, int64_t max_bytes);
  // True when entry `i` does not continue the strictly increasing sequence 0..i-1.
  virtual bool IsAfterEnd(size_t i) const = 0;

  const uint8_t* EntryPtr(size_t i) const { return data_ + i * entry_size_; }
  // The slot of the next entry. REQUIRES: writable, not full, and Reserve(1) succeeded.
  uint8_t* AppendPtr() { return data_ + entries_ * entry_size_; }
  void CommitAppend() {
    ++entries_;
    dirty_ = true;
  }

 private:
  // Maps [0, file_size_) of the open `file` (nothing when empty).
  Status MapFile(const RandomRWFile& file, bool writable);
  void Unmap();
  // Grows the file to `bytes`: allocate on disk, then map the longer file.
  Status GrowTo(uint64_t bytes);
  Result<std::unique_ptr<RandomRWFile>> OpenExisting(bool writable) const;

  FileSystem& fs_;
  std::string path_;
  int64_t base_offset_;
  size_t entry_size_;
  uint8_t* data_ = nullptr;
  size_t mapped_bytes_ = 0;
  uint64_t file_size_ = 0;
  size_t entries_ = 0;
  size_t max_entries_ = 0;
  bool writable_ = false;
  bool released_ = false;
  bool had_trailing_garbage_ = false;
  mutable bool dirty_ = false;  // entries written or zeroed since the last Flush
};

}  // namespace fluss
