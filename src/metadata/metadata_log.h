// MetadataLog: the append-only file of the embedded metadata store, `metadata.log` — a header line,
// then checksummed records, each one committed change (a list of MetadataChanges, applied all or
// nothing). The first record of a file is a snapshot (a put of every object); compaction writes a new
// file holding only a snapshot of the current state. Bytes: docs/formats/metadata-store.md.
//
// Reading after a crash: a damaged record with no valid record after it is a torn tail (a write cut
// short) and is dropped; a damaged record with valid records after it is corruption and an error
// naming the file and the offset, never skipped.
// Thread-safety: none; the store serializes every call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fs/file_system.h"
#include "metadata/metadata_records.h"

namespace fluss {

// The first line of a metadata.log.
inline constexpr std::string_view kMetadataLogHeader = "fluss-metadata-log v1\n";
// Bytes before a record's body: body length, body CRC-32C, CRC-32C of those 8 bytes (all LE uint32).
inline constexpr size_t kMetadataRecordHeaderSize = 12;
// The smallest body: sequence (8) and change count (4).
inline constexpr size_t kMetadataRecordMinBody = 12;

struct MetadataLogRecord {
  uint64_t offset = 0;    // of the record in the file
  uint64_t sequence = 0;  // 1, 2, 3, ... (+1 per record; compaction keeps counting)
  std::vector<MetadataChange> changes;
};

struct DecodedMetadataLog {
  std::vector<MetadataLogRecord> records;
  uint64_t valid_bytes = 0;  // the header and the whole valid records
  std::string torn_tail;     // why the bytes after valid_bytes were dropped; empty when there are none
};

// One record's bytes (header and body).
std::string EncodeMetadataLogRecord(uint64_t sequence, const std::vector<MetadataChange>& changes);
// Checks and decodes a whole file's bytes. Errors name `path` and the offset: CORRUPT_RECORD for a bad
// header line, a damaged record followed by a valid one, a record whose body does not decode, a
// sequence that does not continue; UNSUPPORTED_VERSION for another version in the header line.
Result<DecodedMetadataLog> DecodeMetadataLog(std::string_view bytes, const std::string& path);

class MetadataLog {
 public:
  // Opens the log at `path` on `fs` for appends. `bytes` is the file's content as DecodeMetadataLog
  // read it into `decoded` (or, for a new log, the content to create). Its valid part (a torn tail
  // dropped) is written crash-safely as a new file that replaces `path` — `path`.tmp, fsync, rename,
  // fsync of the directory — and appends go to that file. On error `path` is as it was (or already
  // replaced by the same valid bytes); a `path`.tmp may be left behind.
  static Result<std::unique_ptr<MetadataLog>> Open(FileSystem& fs, const std::string& path, std::string_view bytes,
                                                   const DecodedMetadataLog& decoded);
  ~MetadataLog();
  MetadataLog(const MetadataLog&) = delete;
  MetadataLog& operator=(const MetadataLog&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // Size of the file's first record and header: what the state took when last written whole.
  uint64_t snapshot_size() const { return snapshot_size_; }

  // Appends one record and fsyncs it; OK only once it is durable. After a failed write the file is
  // put back as it was (rewritten crash-safely from its valid bytes), so the next append starts where
  // this one did; a failed sync, or a failure to put the file back, leaves the file in doubt, so the
  // log refuses every later append (the error says so) until the store is opened again.
  Status Append(const std::vector<MetadataChange>& changes);
  // Replaces the file with one holding `snapshot` (the current state) as a single record, written
  // crash-safely; appends continue in the new file. On error the old file stays in use (or, when the
  // new one replaced it but its directory could not be synced, the log refuses appends).
  Status Compact(const std::vector<MetadataChange>& snapshot);

 private:
  MetadataLog(FileSystem& fs, std::string path, std::unique_ptr<WritableFile> file, uint64_t size,
              uint64_t next_sequence, uint64_t snapshot_size);
  // Writes `content` to `path`.tmp, syncs it, renames it over `path` and syncs the directory; returns
  // the file, open for appends. `*replaced` tells whether the rename happened (also on error).
  static Result<std::unique_ptr<WritableFile>> Install(FileSystem& fs, const std::string& path,
                                                       std::string_view content, bool* replaced);
  // Puts the file back to its first size_ bytes after a failed append.
  Status Restore();

  FileSystem& fs_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  uint64_t size_;
  uint64_t next_sequence_;
  uint64_t snapshot_size_;
  Status broken_;  // set when the file is in doubt
};

}  // namespace fluss
