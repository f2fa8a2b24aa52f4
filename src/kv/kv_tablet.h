// KvTablet: the primary-key state of one bucket — a RocksKv beside the bucket's LogTablet, whose log
// is the table's changelog (reference/fluss.md §4.1–4.2, 4.6).
//
// Write path (Put): the whole KvRecordBatch is checked and merged in memory first — each record's
// row decoded and validated (key columns present and not NULL, key bytes equal to the row's key,
// the key in this bucket), the old value read (this batch's earlier writes, else RocksDB), the
// table's merge engine applied — so any error refuses the batch with nothing written. Then the
// changelog (+I; -U/+U or, with table.changelog.image WAL, +U only; -D; nothing for a no-op) goes to
// the log as one ARROW batch carrying the KV batch's writer id and sequence (an empty batch when
// nothing changed, so the writer's sequence still advances), and only then the new values go into
// the pre-write buffer (as Fluss's KvPreWriteBuffer): a map that reads consult before RocksDB. A
// flush thread (KvResources) writes the buffered batches, with the log end offset they reflect,
// into RocksDB in one atomic write and drops them from the buffer. So the RocksDB write of one batch
// overlaps the decoding and merging of the next; at most kMaxQueuedWrites batches wait.
//
// The log is the source of truth. RocksDB writes skip its WAL; after a crash the store holds "the
// changelog replayed up to its applied offset" and Open replays the log from there. A store ahead
// of the log (the log lost an unflushed tail) is rebuilt from the start of the log.
//
// Idempotence: a retried batch (writer id and sequence of one of the writer's last 5 batches) is
// answered as a duplicate without touching the state; sequence gaps are refused by the log.
//
// Thread-safety: Put and Flush are serialized by the tablet; lookups, prefix lookups and snapshots
// run concurrently with them and see whole batches only. Lookups read the buffer, then RocksDB;
// prefix lookups and snapshots hold off puts for a moment while the buffer drains into RocksDB (a
// scan cannot merge the buffer cheaply), then read RocksDB alone.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "format/arrow/compression.h"
#include "format/kv_record_batch.h"
#include "kv/rocks_kv.h"
#include "kv/row_merger.h"
#include "log/log_tablet.h"
#include "types/schema.h"

namespace fluss {

enum class ChangelogImage { kFull, kWal };

// `table.changelog.image`: FULL (default) or WAL, case-insensitive.
Result<ChangelogImage> ParseChangelogImage(const std::map<std::string, std::string>& properties);

struct KvTabletOptions {
  int32_t bucket_id = 0;
  int32_t bucket_count = 1;
  std::vector<std::string> bucket_keys;           // column names; empty: the (physical) primary key
  // A partitioned table's partition keys. They are primary-key columns, but each partition has its
  // own KV state, so a record's key is the encoding of the physical primary key — the primary-key
  // columns that are not partition keys — as upstream keys it.
  std::vector<std::string> partition_keys;
  std::map<std::string, std::string> properties;  // the table's properties
  // Cluster mode: keep the kKvApplied retention hold at 0, so the whole changelog stays (a new
  // leader rebuilds its state from the log; there are no KV snapshots yet).
  bool hold_whole_log = false;
};

struct KvPutResult {
  int64_t log_end_offset = 0;  // of the changelog after the write
  bool duplicate = false;      // a retried batch: nothing written
  int32_t changes = 0;         // changelog records appended
};

class KvTablet {
 public:
  // Opens (creating) the store in `dir` for the bucket whose changelog is `log`, and catches it up
  // with the log. `schemas`: every schema id of the table (the highest is the latest).
  static Result<std::unique_ptr<KvTablet>> Open(std::string dir, std::shared_ptr<LogTablet> log,
                                                std::map<int32_t, Schema> schemas, KvTabletOptions options,
                                                std::shared_ptr<KvResources> resources);
  ~KvTablet();
  KvTablet(const KvTablet&) = delete;
  KvTablet& operator=(const KvTablet&) = delete;

  // Applies one batch. `target_columns`: schema indexes of a partial update (empty: whole rows).
  Result<KvPutResult> Put(const KvRecordBatch& batch, const std::vector<int32_t>& target_columns);

  // Stored values (int16 schema id + compacted row) of `keys` (encoded primary keys), in order;
  // nullopt where absent.
  Result<std::vector<std::optional<std::string>>> Lookup(const std::vector<std::string>& keys) const;
  // Stored values of every key starting with `prefix` (an encoded bucket-key prefix of the key).
  Result<std::vector<std::string>> PrefixLookup(const std::string& prefix) const;
  // A consistent view of the state; its applied_offset is the changelog offset to continue from.
  Result<std::unique_ptr<RocksKv::Snapshot>> TakeSnapshot() const;

  // Adds a schema (schema evolution); later batches may use it.
  void AddSchema(int32_t schema_id, Schema schema);
  // Flushes RocksDB: the applied offset is then durable, and the log below it may be deleted.
  Status Flush();
  // The changelog offset the state reflects (after the buffer drained).
  Result<int64_t> AppliedOffset() const;
  // Closes and deletes the store; later calls fail (Unavailable: closed). REQUIRES: no snapshot of the
  // tablet is alive.
  Status Destroy();
  const std::string& dir() const { return kv_->dir(); }

 private:
  KvTablet(std::shared_ptr<LogTablet> log, std::unique_ptr<RocksKv> kv, std::map<int32_t, Schema> schemas,
           KvTabletOptions options, ChangelogImage image, std::vector<size_t> key_indexes,
           std::vector<size_t> bucket_key_indexes, std::shared_ptr<KvResources> resources);
  // Replays the changelog from the applied offset to the log end.
  Status CatchUp();
  // The columns of `schema` whose encoding is a record's key: the primary key without the
  // partition keys.
  std::vector<size_t> KeyIndexes(const Schema& schema) const;
  Result<const RowMerger*> MergerFor(const std::vector<int32_t>& target_columns);
  Result<GenericRow> ToLatest(int32_t schema_id, GenericRow row) const;
  Result<GenericRow> DecodeValue(std::string_view value) const;

  const std::shared_ptr<LogTablet> log_;
  std::unique_ptr<RocksKv> kv_;
  const KvTabletOptions options_;
  const ChangelogImage image_;
  const arrow::CompressionOptions compression_;
  const std::vector<size_t> key_indexes_;
  const std::vector<size_t> bucket_key_indexes_;

  mutable std::mutex schema_mu_;
  std::map<int32_t, Schema> schemas_;

  Status CheckOpen() const;
  // Puts `write` (whose ops are unique keys) into the buffer and queues it for the flush threads.
  void Buffer(KvWrite write);
  // Writes queued batches into RocksDB until none is left (runs on a flush thread).
  void FlushQueued();
  // Waits until every buffered batch is in RocksDB; the first flush error, if any.
  Status Drain() const;
  // Values of `keys` from the buffer, else RocksDB.
  Result<std::vector<std::optional<std::string>>> Read(const std::vector<std::string>& keys) const;

  // The pre-write buffer: key -> (sequence of the write that set it, value; nullopt: deleted).
  struct Buffered {
    uint64_t seq = 0;
    std::optional<std::string> value;
  };
  static constexpr size_t kMaxQueuedWrites = 4;
  mutable std::mutex buffer_mu_;
  mutable std::condition_variable buffer_cv_;
  std::unordered_map<std::string, Buffered> buffered_;
  std::deque<std::pair<uint64_t, KvWrite>> queue_;  // batches waiting for RocksDB, oldest first
  bool flushing_ = false;                           // a flush task is queued or running
  Status flush_error_;                              // a failed RocksDB write: later puts fail
  uint64_t next_seq_ = 0;
  std::shared_ptr<KvResources> resources_;

  // Readers hold it shared; Destroy exclusively (the RocksDB closes under nobody's feet).
  mutable std::shared_mutex close_mu_;
  bool closed_ = false;

  mutable std::mutex put_mu_;  // one Put (or catch-up) at a time; taken before close_mu_
  std::map<std::vector<int32_t>, std::unique_ptr<RowMerger>> mergers_;  // by target columns
  int32_t mergers_schema_id_ = -1;  // the schema the cached mergers were made for
};

}  // namespace fluss
