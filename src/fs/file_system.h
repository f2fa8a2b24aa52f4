// FileSystem: the file-system layer every writer of durable state goes through — the files and
// directories of local disks (PosixFileSystem), objects in S3-compatible object storage
// (S3FileSystem, s3_file_system.h; FileSystemForUri picks one by the URI), and a fault-injecting
// one for tests (fault_injection_file_system.h).
//
// Durability is explicit: bytes appended to a WritableFile are durable after its Sync(); a new,
// renamed, linked or removed name is durable after SyncDirectory() of the directory holding it.
// WriteFileDurably does the whole dance for a file written in one go: temporary file, fsync, rename,
// fsync of the directory.
//
// Files written in place (log segments and their index files) are RandomRWFiles: positional reads
// and writes, truncation, allocation, and the OS descriptor for what only a local file can do
// (mmap of an index, sendfile). Their bytes and size are durable after Sync().
//
// Errors name the operation, the path and the reason. Their kind says what went wrong: NotFound for a
// name that does not exist (ENOENT), AlreadyExists for one that must not (EEXIST), NotSupported for
// what this file system cannot do, IOError for every other failure (a full disk says "(disk full)").
//
// Thread-safety: FileSystem implementations are thread-safe; a WritableFile is used by one thread;
// a RandomRWFile takes reads, Sync and StartWriteback from any thread alongside one writer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fluss {

// A file opened for appending.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  const std::string& path() const { return path_; }
  // Bytes appended so far (the file's size when it was created empty).
  uint64_t size() const { return size_; }
  // Writes all of `data` at the end. Errors name the file.
  virtual Status Append(std::span<const uint8_t> data) = 0;
  // fsync: everything appended so far survives a power loss (the file's name only once its
  // directory is synced). On object storage nothing exists before Close(): Sync() there does
  // nothing and says OK, and the object appears, complete and durable, when Close() succeeds.
  virtual Status Sync() = 0;
  // Closes the file; no call after this one. Does not sync (on object storage: uploads the object,
  // and an error means no object was written).
  virtual Status Close() = 0;

 protected:
  explicit WritableFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
  uint64_t size_ = 0;
};

// A file read and written at positions (a log segment, an index file). Errors name the file.
class RandomRWFile {
 public:
  virtual ~RandomRWFile() = default;
  // The name the file was opened by (a later Rename does not change it).
  const std::string& path() const { return path_; }
  // The OS descriptor, for mmap and sendfile; -1 when the file system has none. Valid while this
  // object lives; closing it is this object's business.
  virtual int native_handle() const = 0;
  // The file's size now (fstat).
  virtual Result<uint64_t> Size() const = 0;
  // Writes all bytes of `parts`, in order, from `position` (pwritev): the hot append of a log.
  // On failure some of the bytes may have been written; the caller cuts them (Truncate).
  virtual Status WriteAt(uint64_t position, std::span<const std::span<const uint8_t>> parts) = 0;
  // Reads up to out.size() bytes at `position`; returns how many (fewer only at the end of the file).
  virtual Result<size_t> ReadAt(uint64_t position, std::span<uint8_t> out) const = 0;
  // Cuts or extends (with zeros) the file to `size` bytes.
  virtual Status Truncate(uint64_t size) = 0;
  // Reserves [offset, offset + length) on disk and extends the file over it (posix_fallocate), so
  // that writes there (also through a mapping) cannot fail for want of space; where the file system
  // cannot reserve, the file is only extended. A failure (disk full) may leave part reserved.
  virtual Status Allocate(uint64_t offset, uint64_t length) = 0;
  // fdatasync: the bytes written (also through a shared mapping) and the size are durable.
  virtual Status Sync() = 0;
  // Starts writeback of [offset, offset + length) without waiting (sync_file_range), so a later
  // Sync has little left to do. A hint: durability is unchanged, errors are ignored.
  virtual void StartWriteback(uint64_t offset, uint64_t length) {
    (void)offset;
    (void)length;
  }

 protected:
  explicit RandomRWFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// How OpenRandomRWFile treats the name.
enum class OpenMode {
  kCreateNew,     // create; an error when the name exists (O_CREAT | O_EXCL)
  kOpenExisting,  // open; an error when it does not exist
  kOpenOrCreate,  // open, creating an empty file when absent
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The local file system (stateless; never destroyed).
  static FileSystem& Local();

  // Creates `path` (or empties the file there) for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // The whole content of a file.
  virtual Result<std::vector<uint8_t>> ReadFile(const std::string& path) = 0;
  // Up to `length` bytes of a file from `offset`: fewer at its end, none at or after it. NotFound
  // when the file does not exist. (The default reads the whole file; implementations read the range.)
  virtual Result<std::vector<uint8_t>> ReadRange(const std::string& path, uint64_t offset, uint64_t length);
  // The size of a file in bytes. NotFound when it does not exist.
  virtual Result<uint64_t> FileSize(const std::string& path);
  // mkdir -p. Each created directory is synced into its parent.
  virtual Status CreateDirectories(const std::string& path) = 0;
  // mkdir of one directory whose parent exists, without syncing the parent: the new name is durable
  // only after SyncDirectory() of the parent (so that many new directories of one parent cost one
  // fsync). OK when `path` is a directory already. The default creates it with CreateDirectories
  // (synced: never weaker).
  virtual Status CreateDirectoryUnsynced(const std::string& path);
  // fsync of a directory: the names created, renamed, linked or removed in it are durable.
  virtual Status SyncDirectory(const std::string& path) = 0;
  // rename(2): replaces `to` atomically.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // link(2): a second name for `from`; false (and nothing changed) when `to` exists already. The
  // atomic create-if-absent several processes can race on.
  virtual Result<bool> LinkIfAbsent(const std::string& from, const std::string& to) = 0;
  // Removes a file; OK when it does not exist.
  virtual Status Remove(const std::string& path) = 0;
  // Removes a file or a directory with everything in it; OK when it does not exist.
  virtual Status RemoveAll(const std::string& path) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  // The names in a directory (not "." or ".."), unsorted.
  virtual Result<std::vector<std::string>> ListDirectory(const std::string& path) = 0;

  // A file for positional reads and writes (read-only unless `writable`). Object storage has none:
  // the default says so.
  virtual Result<std::unique_ptr<RandomRWFile>> OpenRandomRWFile(const std::string& path, OpenMode mode,
                                                                 bool writable = true);
  // syncfs(2) of the file system holding `path`: every file written and every name changed on it so
  // far is durable. (Closing thousands of logs syncs once instead of once per file.) The default
  // says it is not supported.
  virtual Status SyncFileSystem(const std::string& path);
};

// The directory part of `path` ("." when it has none).
std::string ParentDirectory(std::string_view path);

// Writes `bytes` to `path` so that a crash or power loss leaves the old content or the new one, never
// a mix, and the new one is durable when this returns: a unique temporary file beside it, fsync,
// rename over `path`, fsync of the directory. The temporary file is removed on failure.
// With Durability::kAtNextSyncFileSystem the two fsyncs are left out: the rename still makes the
// change all-or-nothing for a running system, but after a power loss before the next
// SyncFileSystem the file may hold the old content, the new one, or be empty or cut short; only
// files whose readers detect and skip a damaged copy may be written so (writer snapshots at close).
enum class Durability { kNow, kAtNextSyncFileSystem };
Status WriteFileDurably(FileSystem& fs, const std::string& path, std::span<const uint8_t> bytes,
                        Durability durability = Durability::kNow);
Status WriteFileDurably(FileSystem& fs, const std::string& path, std::string_view text,
                        Durability durability = Durability::kNow);
// True for the temporary names WriteFileDurably uses beside `path` ("<path>.<16 hex>.tmp"): what
// a crash in the middle leaves, for the owner of `path` to remove when it next opens.
bool IsDurableWriteTemporary(std::string_view name);

}  // namespace fluss
