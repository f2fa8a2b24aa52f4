// File primitives of the log engine: the append-only .log file of a segment (LogFile), the region of
// it a fetch returns (FileRegion, sendfile-ready), and small helpers for checkpoint files written by
// rename. POSIX only; every failure is a Status naming the file and errno's text.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"

namespace fluss {

// An open file descriptor, closed when the last reference to it goes.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor();
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A .log file. Appends go to the end at the size this object tracks, so bytes beyond it (a torn
// write after a crash, or a failed append) are never served and are cut by TruncateTo.
// Its descriptor can be closed (Close, by the open-segment budget) and reopened (Reopen) while the
// object lives; reads and Flush of a closed file open a descriptor for the call alone.
// Thread-safety: ReadAt, ReadUpTo, Flush, descriptor() and path() may run concurrently with one
// appender and with Close; Append, TruncateTo, RenameTo and Reopen REQUIRE external serialization
// (the owning LogSegment's files lock).
class LogFile {
 public:
  // Opens `path`, creating it when `create` (failing if it exists and `create`). The tracked size is
  // the file's size on disk.
  static Result<std::shared_ptr<LogFile>> Open(const std::string& path, bool create);
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  std::string path() const;
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  // The open descriptor, or null while closed.
  std::shared_ptr<const FileDescriptor> descriptor() const;
  bool is_open() const { return descriptor() != nullptr; }
  // Drops this file's reference to its descriptor: it closes once no FileRegion pins it.
  void Close();
  // Opens the descriptor again after Close (no-op when open). An error when the file is gone or
  // shorter than the tracked size.
  Status Reopen();

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
  // Nothing while closed.
  void StartWriteback(uint64_t min_bytes);
  // fdatasync. A file deleted meanwhile (retention) has nothing left to make durable: OK.
  Status Flush() const;
  // Cuts the file to `size` bytes (REQUIRES size <= size()).
  Status TruncateTo(uint64_t size);
  // Renames the file (an open descriptor stays valid), e.g. to the ".deleted" name before unlinking.
  Status RenameTo(const std::string& new_path);

 private:
  LogFile(std::string path, std::shared_ptr<const FileDescriptor> fd, uint64_t size)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size) {}
  // The open descriptor, or one opened for the caller alone while closed.
  Result<std::shared_ptr<const FileDescriptor>> Descriptor() const;

  mutable std::mutex mu_;  // path_ and fd_
  std::string path_;
  std::shared_ptr<const FileDescriptor> fd_;
  std::atomic<uint64_t> size_;
  uint64_t writeback_start_ = 0;  // appended bytes before this were handed to StartWriteback
};

// A byte range of a .log file holding whole batches, as a fetch returns it. It pins the file's
// descriptor open (even when the open-segment budget closes the segment, or retention deletes it
// meanwhile), so the network layer can sendfile(descriptor, ...) it or Read() it into memory.
struct FileRegion {
  std::shared_ptr<const LogFile> file;
  std::shared_ptr<const FileDescriptor> descriptor;  // null only for an empty region
  uint64_t position = 0;
  size_t size = 0;

  bool empty() const { return size == 0; }
  // pread of the region into a new Buffer.
  Result<Buffer> Read() const;
};

// Writes `content` to `path` crash-safely: write `path`.tmp, fsync it, rename over `path`, fsync the
// directory. A reader sees the old or the new content, never a mix.
// Without `sync` the two fsyncs are left out: after a crash the file may hold the old content, the
// new one, or be empty or cut short, so only files whose readers detect and skip a damaged copy may
// be written so (writer snapshots at close, made durable together by SyncFileSystem).
Status WriteFileAtomically(const std::string& path, std::string_view content, bool sync = true);
// syncfs(2) of the file system holding `path`: everything written there so far becomes durable.
Status SyncFileSystem(const std::string& path);
// Reads a whole (small) file.
Result<std::string> ReadWholeFile(const std::string& path);
// fsync of a directory, so creates, renames and unlinks in it are durable.
Status SyncDirectory(const std::string& dir);
// An error Status for the failed system call `what` on `path`, with errno's text; ENOSPC and EDQUOT
// say the disk is full.
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

}  // namespace fluss
