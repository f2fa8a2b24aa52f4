// FaultInjectionFileSystem: the local file system with failures and power cuts on demand, for tests.
//
//   FaultInjectionFileSystem fs;           // over FileSystem::Local()
//   fs.FailFrom(7);                        // the 7th mutating operation and every later one fail
//   ... run the code under test with `fs` ...
//   fs.PowerCut();                         // undo everything not made durable, on the real disk
//   ... recover with FileSystem::Local() and check invariants ...
//
// Mutating operations are counted from 1 in the order they start: NewWritableFile, Append, Sync,
// Close, CreateDirectories, CreateDirectoryUnsynced, SyncDirectory, Rename, LinkIfAbsent, Remove, RemoveAll, SyncFileSystem,
// and of random-access files OpenRandomRWFile (writable or creating), WriteAt, Truncate, Allocate
// and Sync (reads, and StartWriteback, which is a hint, are not counted). FailFrom(n) makes operation n and all after it fail with an IOError "injected fault" and
// change nothing — as if the machine stopped at that step. PowerCut() then models the loss of the
// page cache on the real files, for what went through this object:
// - a file written here keeps only the bytes of its last Sync() (all of them if it was never
//   written after one; none if it was never synced); a random-access file gets back exactly the
//   content it had at its last Sync() (or when this object first opened it), whatever was written,
//   cut or extended since — also through a shared mapping of it, which this object cannot see
//   being written, but whose pages a power cut loses all the same;
// - SyncFileSystem makes everything done so far durable, as syncfs does;
// - with PowerCut(PowerCutTail::kTorn), a file that only grew since its last sync keeps, besides its
//   durable bytes, the first half of what came after them (rounded down): a torn write, as a disk
//   that wrote some of the sectors leaves it;
// - names created, renamed, linked or removed in a directory since that directory's last
//   SyncDirectory() are undone, newest first: created and linked names vanish, a rename moves back
//   (restoring a file it replaced), a removed file or tree comes back. (Removes are deferred: the
//   data moves to a hidden trash until the directory is synced.)
// A file renamed while open keeps its bytes' durability under its new name (later appends and syncs
// count for the new name). Files and directories this object never touched are left as they are.
// After PowerCut() the
// object forgets its history (and any FailFrom), as a rebooted machine would.
//
// Thread-safe (one lock). Files it hands out must be destroyed before it. Not for production: every
// operation is recorded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fs/file_system.h"

namespace fluss {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(FileSystem& base = FileSystem::Local());
  // What PowerCut keeps follows the fsyncs this object saw, not the disk: with `real_syncs` false
  // the fsyncs (of files, directories, the file system) are recorded but not passed to `base`, so a
  // test that cuts the power at hundreds of steps does not wait for the disk at each.
  FaultInjectionFileSystem(FileSystem& base, bool real_syncs);
  ~FaultInjectionFileSystem() override;

  // Operation `n` (1-based) and every later one fail. 0: none fail (the default).
  void FailFrom(int64_t n);
  // Mutating operations started so far (failed ones included).
  int64_t operations() const;
  // What PowerCut leaves of the bytes a file gained since its last sync.
  enum class PowerCutTail { kLost, kTorn };
  // Undoes, on disk, what was not durable (above) and forgets the history.
  Status PowerCut(PowerCutTail tail = PowerCutTail::kLost);

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override { return base_.ReadFile(path); }
  Result<std::vector<uint8_t>> ReadRange(const std::string& path, uint64_t offset, uint64_t length) override {
    return base_.ReadRange(path, offset, length);
  }
  Result<uint64_t> FileSize(const std::string& path) override { return base_.FileSize(path); }
  Status CreateDirectories(const std::string& path) override;
  // A directory made here vanishes at PowerCut() unless its parent was synced after.
  Status CreateDirectoryUnsynced(const std::string& path) override;
  Status SyncDirectory(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<bool> LinkIfAbsent(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Result<bool> Exists(const std::string& path) override { return base_.Exists(path); }
  Result<std::vector<std::string>> ListDirectory(const std::string& path) override;
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRWFile(const std::string& path, OpenMode mode,
                                                         bool writable = true) override;
  Status SyncFileSystem(const std::string& path) override;

 private:
  class File;
  friend class File;
  class RWFile;
  friend class RWFile;

  // A change to a directory's names not yet made durable by SyncDirectory.
  struct NameChange {
    enum Kind { kCreated, kRenamed, kRemoved } kind;
    std::string path;                   // the name created / the rename's target / the name removed
    std::string from;                   // kRenamed: the old name
    std::optional<std::string> backup;  // kRenamed over an existing file / kRemoved: where the old data waits
  };

  // Counts an operation; the injected error when it is to fail. REQUIRES mu_.
  Status Begin(const std::string& what, const std::string& path);
  // Records a change of `dir`'s names. REQUIRES mu_.
  void Record(const std::string& dir, NameChange change);
  // A fresh place in the trash for data to keep until its removal is durable. REQUIRES mu_.
  std::string TrashPath();
  // Moves what is known of the durable state of `from` (a file, or every file below a directory)
  // to `to`, as a rename of it does. REQUIRES mu_.
  void MoveDurableState(const std::string& from, const std::string& to);

  FileSystem& base_;
  const bool real_syncs_ = true;
  std::string trash_;  // a private temp dir (removed by the destructor)
  mutable std::mutex mu_;
  int64_t ops_ = 0;
  int64_t fail_from_ = 0;
  int64_t trash_seq_ = 0;
  std::map<std::string, uint64_t> synced_size_;                // files written here -> bytes made durable
  std::map<std::string, std::vector<uint8_t>> synced_content_; // random-access files -> durable content
  std::map<std::string, std::vector<NameChange>> pending_;     // directory -> changes since its last sync
  std::set<File*> open_files_;                                  // files handed out and not destroyed
};

}  // namespace fluss
