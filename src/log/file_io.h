// File primitives of the log engine: the append-only .log file of a segment (LogFile), the region of
// it a fetch returns (FileRegion, sendfile-ready), and small helpers for checkpoint files written by
// rename. POSIX only; every failure is a Status naming the file and errno's text.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"

namespace fluss {

// An open .log file. Appends go to the end at the size this object tracks, so bytes beyond it (a torn
// write after a crash, or a failed append) are never served and are cut by TruncateTo.
// Thread-safety: ReadAt and Flush may run concurrently with one appender; Append and TruncateTo
// REQUIRE external serialization (the owning LogTablet's lock).
class LogFile {
 public:
  // Opens `path`, creating it when `create` (failing if it exists and `create`). The tracked size is
  // the file's size on disk.
  static Result<std::shared_ptr<LogFile>> Open(const std::string& path, bool create);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  uint64_t size() const { return size_.load(std::memory_order_acquire); }

  // Writes all of `data` at size(). On any failure (ENOSPC, EFBIG, EIO, short write) the file is cut
  // back to its old size and kLogStorageException is returned: the file is as before the call.
  Status Append(std::span<const uint8_t> data);
  // Same, gathering the bytes from `parts` in order (pwritev), so callers need not copy them into
  // one buffer.
  Status AppendParts(std::span<const std::span<const uint8_t>> parts);
  // Reads exactly `n` bytes at `position`; a short read is a Corruption error.
  Result<Buffer> ReadAt(uint64_t position, size_t n) const;
  // Reads up to `n` bytes into `out` (resized to what was read).
  Status ReadUpTo(uint64_t position, size_t n, std::vector<uint8_t>* out) const;
  // Starts asynchronous writeback (sync_file_range, no wait) of what was appended since the last
  // call, once at least `min_bytes` accumulated: the disk then writes while appends continue, and
  // the next fsync has little left to do. Durability is unchanged (only Flush makes bytes durable).
  void StartWriteback(uint64_t min_bytes);
  // fdatasync.
  Status Flush() const;
  // Cuts the file to `size` bytes (REQUIRES size <= size()).
  Status TruncateTo(uint64_t size);
  // Renames the file (the fd stays valid), e.g. to the ".deleted" name before unlinking.
  Status RenameTo(const std::string& new_path);

 private:
  LogFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}

  std::string path_;
  int fd_;
  std::atomic<uint64_t> size_;
  uint64_t writeback_start_ = 0;  // appended bytes before this were handed to StartWriteback
};

// A byte range of a .log file holding whole batches, as a fetch returns it. It keeps the file open
// (even when retention deletes the segment meanwhile), so the network layer can sendfile(fd, ...)
// it or Read() it into memory.
struct FileRegion {
  std::shared_ptr<const LogFile> file;
  uint64_t position = 0;
  size_t size = 0;

  bool empty() const { return size == 0; }
  // pread of the region into a new Buffer.
  Result<Buffer> Read() const;
};

// Writes `content` to `path` crash-safely: write `path`.tmp, fsync it, rename over `path`, fsync the
// directory. A reader sees the old or the new content, never a mix.
Status WriteFileAtomically(const std::string& path, std::string_view content);
// Reads a whole (small) file.
Result<std::string> ReadWholeFile(const std::string& path);
// fsync of a directory, so creates, renames and unlinks in it are durable.
Status SyncDirectory(const std::string& dir);
// An error Status for the failed system call `what` on `path`, with errno's text; ENOSPC and EDQUOT
// say the disk is full.
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

}  // namespace fluss
