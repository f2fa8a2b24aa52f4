// RocksKv: the RocksDB store of one primary-key bucket (one instance per bucket, as Fluss has it:
// a bucket's state can be dropped, snapshotted and rebuilt on its own). Keys are encoded primary
// keys, values `int16 schema id + compacted row` (docs/formats/kv-formats.md).
//
// Beside the rows it keeps one reserved key, the *applied offset*: the changelog offset up to which
// the rows reflect the bucket's log. It is written in the same atomic WriteBatch as the rows, so
// after any crash the store is exactly "the log replayed up to the applied offset" and recovery
// replays the log from there (the log is the source of truth). RocksDB's own WAL is therefore
// off: whatever the store lost with it is re-derived from the log.
//
// Every instance of a server shares one memory budget (KvResources): a block cache and a write
// buffer manager that charges memtables against that cache, so many buckets cannot exhaust memory.
//
// Thread-safety: reads may run concurrently with one writer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace rocksdb {
class Cache;
class ColumnFamilyHandle;
class DB;
class Snapshot;
class WriteBufferManager;
}  // namespace rocksdb

namespace fluss {

struct KvOptions {
  // kv.rocksdb.shared-write-buffer.size (fluss-cpp): memtable memory of all buckets together.
  int64_t shared_write_buffer_bytes = 256LL << 20;
  // kv.rocksdb.block.cache-size: block cache shared by all buckets (fluss-cpp shares it; Fluss's
  // default of 8 MiB is per bucket).
  int64_t block_cache_bytes = 256LL << 20;
  // kv.rocksdb.writebuffer.size: one memtable.
  int64_t write_buffer_bytes = 64LL << 20;
  // kv.rocksdb.writebuffer.count.
  int32_t max_write_buffers = 2;
  // kv.rocksdb.block.blocksize.
  int64_t block_bytes = 4096;
  // kv.rocksdb.use-bloom-filter (10 bits per key).
  bool bloom_filter = true;
  // kv.rocksdb.thread.num: background flush and compaction threads (shared env).
  int32_t background_threads = 2;
  // kv.flush.thread-num: threads that write buffered changes into RocksDB (Fluss: 10).
  int32_t flush_threads = 2;
};

// The memory budget every RocksKv of a server shares, and the threads that write KV tablets'
// buffered changes into them.
class KvResources {
 public:
  static std::shared_ptr<KvResources> Create(const KvOptions& options);
  ~KvResources();  // finishes the queued tasks, then joins the threads
  const KvOptions& options() const { return options_; }
  std::shared_ptr<rocksdb::Cache> cache() const { return cache_; }
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffer_manager() const { return wbm_; }
  // Bytes the memtables of all instances use now.
  size_t memtable_usage() const;
  // Runs `task` on one of the flush threads.
  void Submit(std::function<void()> task);

 private:
  void FlushThread();

  KvOptions options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// One write: rows put or deleted, and the applied offset after them.
struct KvWrite {
  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  std::vector<Op> ops;
  int64_t applied_offset = -1;
};

class RocksKv {
 public:
  // Opens (creating) the store in `dir`.
  static Result<std::unique_ptr<RocksKv>> Open(const std::string& dir, std::shared_ptr<KvResources> resources);
  ~RocksKv();
  RocksKv(const RocksKv&) = delete;
  RocksKv& operator=(const RocksKv&) = delete;

  Result<std::optional<std::string>> Get(std::string_view key) const;
  // Values of `keys` in order (nullopt where absent).
  Result<std::vector<std::optional<std::string>>> MultiGet(const std::vector<std::string>& keys) const;
  // Every (key, value) whose key starts with `prefix`, in key order.
  Result<std::vector<std::pair<std::string, std::string>>> PrefixScan(std::string_view prefix) const;
  // Applies the rows and the applied offset atomically (no RocksDB WAL; see above).
  Status Write(const KvWrite& write);
  // The offset recorded by the last Write (0 for a new store).
  Result<int64_t> AppliedOffset() const;
  // Flushes memtables to SST files (after which the applied offset survives any crash).
  Status Flush();

  // A consistent view: every row and the applied offset at one instant. Scan visits rows in key
  // order until `visit` returns false.
  class Snapshot {
   public:
    ~Snapshot();
    int64_t applied_offset() const { return applied_offset_; }
    // With `start_after`, the scan begins after that key (paging: pass the last key visited).
    Status Scan(const std::function<bool(std::string_view key, std::string_view value)>& visit,
                std::optional<std::string_view> start_after = std::nullopt) const;

   private:
    friend class RocksKv;
    Snapshot(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* rows, const rocksdb::Snapshot* snap, int64_t offset)
        : db_(db), rows_(rows), snap_(snap), applied_offset_(offset) {}
    rocksdb::DB* db_;
    rocksdb::ColumnFamilyHandle* rows_;
    const rocksdb::Snapshot* snap_;
    int64_t applied_offset_;
  };
  // REQUIRES: the RocksKv outlives the snapshot.
  Result<std::unique_ptr<Snapshot>> TakeSnapshot() const;

  // Closes and removes the store's files.
  Status Destroy();
  const std::string& dir() const { return dir_; }

 private:
  RocksKv(std::string dir, std::shared_ptr<KvResources> resources, rocksdb::DB* db, rocksdb::ColumnFamilyHandle* rows,
          rocksdb::ColumnFamilyHandle* meta)
      : dir_(std::move(dir)), resources_(std::move(resources)), db_(db), rows_(rows), meta_(meta) {}
  void CloseDb();

  std::string dir_;
  std::shared_ptr<KvResources> resources_;
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* rows_;  // the default family: the rows
  rocksdb::ColumnFamilyHandle* meta_;  // "fluss_meta": the applied offset
};

}  // namespace fluss
