// File primitives of the log engine, over the file-system layer (fs/file_system.h): the append-only
// .log file of a segment (LogFile) and the region of it a fetch returns (FileRegion). Every failure
// is a Status naming the file and the reason: the file-system layer's IOError (or NotFound), as it
// came; the services answer it LOG_STORAGE_EXCEPTION (server/wire_error.h).
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
#include "fs/file_system.h"

namespace fluss {

// A .log file. Appends go to the end at the size this object tracks, so bytes beyond it (a torn
// write after a crash, or a failed append) are never served and are cut by TruncateTo.
// Its open file can be closed (Close, by the open-segment budget) and reopened (Reopen) while the
// object lives; reads and Flush of a closed file open the file for the call alone.
// Thread-safety: ReadAt, ReadUpTo, Flush, open_file() and path() may run concurrently with one
// appender and with Close; Append, TruncateTo, RenameTo and Reopen REQUIRE external serialization
// (the owning LogSegment's files lock).
class LogFile {
 public:
  // Opens `path` on `fs`, creating it when `create` (failing if it exists and `create`). The tracked
  // size is the file's size on disk. REQUIRES: `fs` outlives the file.
  static Result<std::shared_ptr<LogFile>> Open(FileSystem& fs, const std::string& path, bool create);
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  std::string path() const;
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  // The open file, or null while closed.
  std::shared_ptr<RandomRWFile> open_file() const;
  bool is_open() const { return open_file() != nullptr; }
  // Drops this object's reference to its open file: it closes once no FileRegion pins it.
  void Close();
  // Opens the file again after Close (no-op when open). An error when the file is gone or shorter
  // than the tracked size.
  Status Reopen();

  // Writes all of `data` at size() — one positional write on the open file. On any failure (ENOSPC,
  // EFBIG, EIO, short write) the file is cut back to its old size and the IOError is returned: the
  // file is as before the call.
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
  // Renames the file (an open file stays valid), e.g. to the ".deleted" name before removing it.
  Status RenameTo(const std::string& new_path);

 private:
  LogFile(FileSystem& fs, std::string path, std::shared_ptr<RandomRWFile> file, uint64_t size)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), size_(size) {}
  // The open file, or one opened for the caller alone while closed.
  Result<std::shared_ptr<RandomRWFile>> Handle() const;

  FileSystem& fs_;
  mutable std::mutex mu_;  // path_ and file_
  std::string path_;
  std::shared_ptr<RandomRWFile> file_;
  std::atomic<uint64_t> size_;
  uint64_t writeback_start_ = 0;  // appended bytes before this were handed to StartWriteback
};

// A byte range of a .log file holding whole batches, as a fetch returns it. It pins the open file
// (even when the open-segment budget closes the segment, or retention deletes it meanwhile), so the
// network layer can sendfile(open_file->native_handle(), ...) it or Read() it into memory.
struct FileRegion {
  std::shared_ptr<const LogFile> file;
  std::shared_ptr<const RandomRWFile> open_file;  // null only for an empty region
  uint64_t position = 0;
  size_t size = 0;

  bool empty() const { return size == 0; }
  // pread of the region into a new Buffer.
  Result<Buffer> Read() const;
};

// fsync of a local directory, so creates, renames and unlinks in it are durable
// (FileSystem::Local().SyncDirectory).
Status SyncDirectory(const std::string& dir);

}  // namespace fluss
