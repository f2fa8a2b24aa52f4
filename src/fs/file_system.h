// FileSystem: the file-system layer every writer of durable state goes through — the files and
// directories of local disks (PosixFileSystem), and a fault-injecting one for tests
// (fault_injection_file_system.h); object storage plugs in here next.
//
// Durability is explicit: bytes appended to a WritableFile are durable after its Sync(); a new,
// renamed, linked or removed name is durable after SyncDirectory() of the directory holding it.
// WriteFileDurably does the whole dance for a file written in one go: temporary file, fsync, rename,
// fsync of the directory.
//
// Thread-safety: FileSystem implementations are thread-safe; a WritableFile is used by one thread.
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
  // directory is synced).
  virtual Status Sync() = 0;
  // Closes the file; no call after this one. Does not sync.
  virtual Status Close() = 0;

 protected:
  explicit WritableFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
  uint64_t size_ = 0;
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
  // mkdir -p. Each created directory is synced into its parent.
  virtual Status CreateDirectories(const std::string& path) = 0;
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
};

// The directory part of `path` ("." when it has none).
std::string ParentDirectory(std::string_view path);

// Writes `bytes` to `path` so that a crash or power loss leaves the old content or the new one, never
// a mix, and the new one is durable when this returns: a unique temporary file beside it, fsync,
// rename over `path`, fsync of the directory. The temporary file is removed on failure.
Status WriteFileDurably(FileSystem& fs, const std::string& path, std::span<const uint8_t> bytes);
Status WriteFileDurably(FileSystem& fs, const std::string& path, std::string_view text);

}  // namespace fluss
