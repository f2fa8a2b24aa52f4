// WriterStateManager: idempotent-writer state of one bucket log — for each writer id, the metadata
// of its last (up to 5) batches — used to acknowledge a retried batch with its original offsets
// instead of writing it twice. Snapshotted to `{offset:020d}.writer_snapshot` (JSON, Fluss's field
// names) on roll and close, and rebuilt on open from the newest snapshot plus the batches after it.
//
// Sequence rule for an append as leader (CheckBatch):
//   * writer id -1 or batch sequence -1: not idempotent, always appended;
//   * the sequence of one of the retained batches: a duplicate, answered with that batch's offsets;
//   * last sequence + 1 (INT32_MAX wraps to 0): appended;
//   * at or below the last sequence but older than the retained batches: DUPLICATE_SEQUENCE (it was
//     written; the client treats the error as success);
//   * above last sequence + 1: OUT_OF_ORDER_SEQUENCE (a batch in between is missing);
//   * a writer id with no state (never seen, or expired after server.writer-id.expiration-time of
//     idleness, or its batches were deleted by retention): appended whatever its sequence, and its
//     state starts there. Rejecting it as out of order is the endless loop upstream users hit
//     (apache/fluss#1383, #1624): the client retries the same sequence forever. A real duplicate
//     could only slip through if a retry arrived more than the expiration time after its original.
// Batches replayed on recovery or appended as follower are loaded without any sequence check (the
// leader validated them), so expiry on one replica never fails another's recovery.
// Thread-safety: none; guarded by the owning LogTablet's lock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fs/file_system.h"

namespace fluss {

struct WriterBatchMetadata {
  int32_t batch_sequence = -1;
  int64_t base_offset = -1;
  int32_t offset_delta = 0;  // last offset - base offset
  int64_t timestamp = -1;
  int64_t last_offset() const { return base_offset + offset_delta; }
};

struct WriterStateEntry {
  static constexpr size_t kNumBatchesToRetain = 5;  // Fluss WriterStateEntry.NUM_BATCHES_TO_RETAIN
  std::deque<WriterBatchMetadata> batches;          // oldest first
  int32_t last_sequence() const { return batches.empty() ? -1 : batches.back().batch_sequence; }
  int64_t last_timestamp() const { return batches.empty() ? -1 : batches.back().timestamp; }
  int64_t last_offset() const { return batches.empty() ? -1 : batches.back().last_offset(); }
};

// Outcome of CheckBatch when not an error.
struct WriterCheck {
  bool duplicate = false;
  WriterBatchMetadata original;  // set when duplicate
};

inline constexpr std::string_view kWriterSnapshotSuffix = ".writer_snapshot";

class WriterStateManager {
 public:
  // Snapshots live in `dir` on `fs` (which must outlive the manager).
  WriterStateManager(std::string dir, int64_t expiration_ms, FileSystem& fs = FileSystem::Local())
      : fs_(fs), dir_(std::move(dir)), expiration_ms_(expiration_ms) {}

  // Applies the sequence rule above to an incoming leader batch.
  Result<WriterCheck> CheckBatch(int64_t writer_id, int32_t batch_sequence) const;
  // Records an appended (or replayed) batch; no checks. No-op for writer id -1.
  void Update(int64_t writer_id, const WriterBatchMetadata& batch);

  const WriterStateEntry* Find(int64_t writer_id) const;
  size_t writer_count() const { return writers_.size(); }
  void Clear() { writers_.clear(); }

  // Forgets writers whose last batch is older than now - expiration.
  size_t RemoveExpired(int64_t now_ms);
  // Forgets writers whose last batch lies below `log_start_offset` (deleted by retention).
  void TruncateHead(int64_t log_start_offset);

  // Writes the state as `{offset:020d}.writer_snapshot` (offset = the log end offset it reflects)
  // with WriteFileDurably; without `sync`, durable only at the next FileSystem::SyncFileSystem (a
  // damaged snapshot is skipped on load).
  Status TakeSnapshot(int64_t offset, bool sync = true) const;
  // True when a snapshot file at `offset` exists (taken when the log ended there).
  bool HasSnapshotAt(int64_t offset) const;
  // Replaces the state with the newest snapshot at or below `max_offset` and deletes snapshots above
  // it. Returns the snapshot's offset, or nullopt when there is none (state left empty).
  Result<std::optional<int64_t>> LoadLatestSnapshot(int64_t max_offset);
  // Deletes snapshot files below `offset`, keeping the newest of those.
  // Removal errors are ignored: a stale snapshot is harmless (loading deletes those above the log).
  void DeleteSnapshotsBefore(int64_t offset);
  void DeleteAllSnapshots();
  // Offsets of the snapshot files present, ascending (none when the directory cannot be listed).
  std::vector<int64_t> SnapshotOffsets() const;

  // The snapshot JSON (Fluss's WriterSnapshot: version, writer_id_entries[...]).
  std::string SerializeSnapshot() const;
  Status ParseSnapshot(std::string_view json);

 private:
  FileSystem& fs_;
  std::string dir_;
  int64_t expiration_ms_;
  std::map<int64_t, WriterStateEntry> writers_;
};

}  // namespace fluss
