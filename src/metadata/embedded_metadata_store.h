// EmbeddedMetadataStore: the MetadataStore of a standalone server. The whole state lives in memory;
// on disk it is <dir>/metadata.log, an append-only log of checksummed records (metadata_log.h): each
// mutation appends one record holding the objects it changed (a database, a table, the counters) and
// fsyncs it, so a change costs what it changes, not the size of the state. When the log has grown
// past twice the size of its last snapshot (and past compaction_min_bytes), it is rewritten as one
// snapshot of the current state (crash-safely: a new file renamed over the old). A metadata.json of
// the earlier whole-file format is migrated on open. Bytes on disk: docs/formats/metadata-store.md.
//
// Every file write goes through a FileSystem (src/fs; the local one by default), so failures and
// power cuts can be injected in tests. What survives a power cut: every acknowledged change; a
// change whose call failed is either wholly there or not at all.
//
// Concurrency: mutations are serialized by one mutex and build a new copy of the state, which is
// published only after it is durable; reads take the published copy (CachedMetadataStore) and never
// wait on disk. A mutation whose write fails changes nothing in memory. One process at a time: Open
// takes an exclusive flock on <dir>/metadata.lock (a lock, not data: not through the FileSystem).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "fs/file_system.h"
#include "metadata/metadata_cache.h"
#include "metadata/metadata_log.h"
#include "metadata/metadata_state.h"
#include "metadata/metadata_store.h"

namespace fluss {

// Milliseconds since the Unix epoch (the same shape as the log engine's ClockMs).
using MetadataClock = std::function<int64_t()>;

struct EmbeddedMetadataStoreOptions {
  // The log is compacted once it is larger than this and than twice its last snapshot.
  uint64_t compaction_min_bytes = 1024 * 1024;
};

class EmbeddedMetadataStore final : public CachedMetadataStore {
 public:
  static constexpr const char* kFileName = "metadata.log";
  // The whole-file format of earlier versions: migrated on open, then renamed with kMigratedSuffix.
  static constexpr const char* kLegacyFileName = "metadata.json";
  static constexpr const char* kMigratedSuffix = ".migrated";
  static constexpr const char* kLockFileName = "metadata.lock";
  // Writer ids are reserved this many at a time; the reserved limit is persisted before any id of
  // the block is handed out, and a restart continues from the limit.
  static constexpr int64_t kWriterIdBlock = 1000;

  // Opens the store in `dir`, creating `dir` and a log of the empty state when there is neither a
  // metadata.log nor a metadata.json. A metadata.log is replayed: a torn last record (a crash during
  // an append) is dropped and cut off; a damaged record with valid ones after it, a record that does
  // not decode, or a state that breaks the rules is a CORRUPT_RECORD error naming the file (and the
  // offset): the store never starts empty over a damaged file. Without a metadata.log, a
  // metadata.json (the earlier format) is checked as before (header, length, CRC32C, JSON), written
  // as a new metadata.log, and renamed metadata.json.migrated. Leftover .tmp files (a crash during a
  // write) are removed. Opening rewrites the log's valid bytes as a new file (crash-safely) and appends
  // to that. `clock` defaults to the system clock; `fs` (which must outlive the store) to the local
  // file system.
  static Result<std::unique_ptr<EmbeddedMetadataStore>> Open(std::string dir, MetadataClock clock = nullptr,
                                                             EmbeddedMetadataStoreOptions options = {},
                                                             FileSystem& fs = FileSystem::Local());
  ~EmbeddedMetadataStore() override;
  EmbeddedMetadataStore(const EmbeddedMetadataStore&) = delete;
  EmbeddedMetadataStore& operator=(const EmbeddedMetadataStore&) = delete;

  const std::string& dir() const { return dir_; }
  // <dir>/metadata.log.
  std::string file_path() const;
  // How often the log was compacted since Open (not counting one at Open).
  uint64_t compactions() const;

  Status CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) override;
  Result<std::vector<TableRecord>> DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                bool cascade) override;

  Result<TableRecord> CreateTable(const TablePath& path, std::string table_json, std::string schema_json,
                                  int32_t bucket_count, std::vector<BucketAssignment> assignment,
                                  bool ignore_if_exists) override;
  Result<TableRecord> DropTable(const TablePath& path, bool ignore_if_not_exists) override;

  Result<int32_t> AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                            int32_t expected_version) override;

  Result<int32_t> UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                   int32_t expected_version) override;

  Result<PartitionRecord> CreatePartition(const TablePath& path, int64_t table_id, const std::string& partition_name,
                                          std::vector<BucketAssignment> assignment, int32_t max_partitions,
                                          bool ignore_if_exists) override;
  Result<PartitionRecord> DropPartition(const TablePath& path, const std::string& partition_name,
                                        bool ignore_if_not_exists) override;

  Result<int64_t> AllocateWriterId() override;


 private:
  EmbeddedMetadataStore(std::string dir, MetadataClock clock, EmbeddedMetadataStoreOptions options, int lock_fd,
                        std::unique_ptr<MetadataLog> log, MetadataState state);

  // Appends the changes from the published state to `next` durably, then publishes it; on failure
  // nothing changes. Compacts the log when it has grown enough. REQUIRES mutation_mu_.
  Status Commit(MetadataState next);
  // Runs `change` under mutation_mu_, then delivers the events it enqueued with no lock held.
  template <typename Change>
  auto Mutate(Change&& change) -> decltype(change());

  const std::string dir_;
  const MetadataClock clock_;
  const EmbeddedMetadataStoreOptions options_;
  const int lock_fd_;

  mutable std::mutex mutation_mu_;  // serializes mutations (and the file writes)
  std::unique_ptr<MetadataLog> log_;  // guarded by mutation_mu_
  uint64_t compactions_ = 0;          // guarded by mutation_mu_
  int64_t next_writer_id_;  // guarded by mutation_mu_; < state's writer_id_limit when usable
};

}  // namespace fluss
