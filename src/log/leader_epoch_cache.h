// LeaderEpochCache: for one bucket log, the offset at which each leader epoch began, persisted in the
// bucket's `leader-epoch-checkpoint` on every change. Replication uses it to truncate a follower to
// the end of the leader's epoch (not to the high watermark alone, which can lose acknowledged data).
// Thread-safety: none; guarded by the owning LogTablet's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fs/file_system.h"

namespace fluss {

struct EpochEntry {
  int32_t epoch;
  int64_t start_offset;
  bool operator==(const EpochEntry&) const = default;
};

inline constexpr std::string_view kLeaderEpochCheckpointFile = "leader-epoch-checkpoint";

class LeaderEpochCache {
 public:
  // Loads `{dir}/leader-epoch-checkpoint` (absent = empty) from `fs`, where every change is then
  // written with WriteFileDurably. REQUIRES: `fs` outlives the cache.
  static Result<LeaderEpochCache> Load(const std::string& dir, FileSystem& fs = FileSystem::Local());

  const std::vector<EpochEntry>& entries() const { return entries_; }
  std::optional<int32_t> latest_epoch() const;

  // Records that `epoch` starts at `start_offset`. Ignored when `epoch` is not newer than the latest
  // one; an older entry starting at or after `start_offset` is replaced (it never got data).
  Status Assign(int32_t epoch, int64_t start_offset);
  // The largest epoch <= `epoch` and the offset where it ended (the next epoch's start, or
  // `log_end_offset` for the latest): what a follower of `epoch` may keep. {-1, -1} when unknown.
  EpochEntry EndOffsetFor(int32_t epoch, int64_t log_end_offset) const;
  // After truncating the log to `end_offset`: drops epochs starting at or after it.
  Status TruncateFromEnd(int64_t end_offset);
  // After deleting the log below `start_offset`: drops epochs that ended before it and moves the
  // start of the one holding it up to it.
  Status TruncateFromStart(int64_t start_offset);
  Status Clear();

 private:
  LeaderEpochCache(std::string path, FileSystem& fs) : fs_(&fs), path_(std::move(path)) {}
  Status Persist() const;

  FileSystem* fs_;
  std::string path_;
  std::vector<EpochEntry> entries_;  // ascending epoch and start offset
};

}  // namespace fluss
