// Small text checkpoint files, written with the one durable-write helper WriteFileDurably (temp file,
// fsync, rename, fsync dir) so that a crash or power loss leaves the old content or the new one:
//   OffsetCheckpointFile — `recovery-point-offset-checkpoint` and `high-watermark-checkpoint` of a
//     data dir: "0\n<count>\n" then "<bucket dir relative to the data dir> <offset>\n" per log.
//   LeaderEpochCheckpoint — `leader-epoch-checkpoint` of a bucket: "0\n<count>\n" then
//     "<epoch> <start offset>\n" per epoch, ascending.
// (The Kafka-style layout Fluss inherits: a version line, a count line, one entry per line.)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "fs/file_system.h"

namespace fluss {

class OffsetCheckpointFile {
 public:
  // The file at `path` on `fs` (which must outlive this object).
  explicit OffsetCheckpointFile(std::string path, FileSystem& fs = FileSystem::Local())
      : fs_(&fs), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  Status Write(const std::map<std::string, int64_t>& offsets) const;
  // An absent file reads as empty; a malformed one is a Corruption error.
  Result<std::map<std::string, int64_t>> Read() const;

 private:
  FileSystem* fs_;
  std::string path_;
};

// Parses / formats the "0\n<count>\n<a> <b>\n..." layout shared by both files.
Result<std::vector<std::pair<std::string, int64_t>>> ParseCheckpointText(std::string_view text, const std::string& path);
std::string FormatCheckpointText(const std::vector<std::pair<std::string, int64_t>>& entries);

}  // namespace fluss
