// EmbeddedMetadataStore: the MetadataStore of a standalone server. The whole state lives in memory
// and every mutation rewrites it as one file, <dir>/metadata.json, atomically (write
// metadata.json.tmp, fsync, rename, fsync the directory). Bytes on disk:
// docs/formats/metadata-store.md.
//
// Concurrency: mutations are serialized by one mutex and build a new copy of the state, which is
// published only after it is durable; reads take the published copy and never wait on disk. A
// mutation whose write fails changes nothing in memory. One process at a time: Open takes an
// exclusive flock on <dir>/metadata.lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "metadata/metadata_state.h"
#include "metadata/metadata_store.h"
#include "metadata/watcher_registry.h"

namespace fluss {

// Milliseconds since the Unix epoch (the same shape as the log engine's ClockMs).
using MetadataClock = std::function<int64_t()>;

class EmbeddedMetadataStore final : public MetadataStore {
 public:
  static constexpr const char* kFileName = "metadata.json";
  static constexpr const char* kLockFileName = "metadata.lock";
  // Writer ids are reserved this many at a time; the reserved limit is persisted before any id of
  // the block is handed out, and a restart continues from the limit.
  static constexpr int64_t kWriterIdBlock = 1000;

  // Opens (creating `dir` and an empty state if there is no metadata.json) the store in `dir`.
  // A metadata.json that exists but fails its checks (header, length, CRC32C, JSON structure) is a
  // CORRUPT_RECORD error naming the file: the store never starts empty over a damaged file. A
  // leftover metadata.json.tmp (a crash during a write) is removed. `clock` defaults to the system
  // clock.
  static Result<std::unique_ptr<EmbeddedMetadataStore>> Open(std::string dir, MetadataClock clock = nullptr);
  ~EmbeddedMetadataStore() override;
  EmbeddedMetadataStore(const EmbeddedMetadataStore&) = delete;
  EmbeddedMetadataStore& operator=(const EmbeddedMetadataStore&) = delete;

  const std::string& dir() const { return dir_; }
  std::string file_path() const;

  Status CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) override;
  Result<std::vector<TableRecord>> DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                bool cascade) override;
  Result<DatabaseRecord> GetDatabase(const std::string& name) const override;
  std::vector<std::string> ListDatabases() const override;
  bool DatabaseExists(const std::string& name) const override;

  Result<TableRecord> CreateTable(const TablePath& path, std::string table_json, std::string schema_json,
                                  int32_t bucket_count, std::vector<BucketAssignment> assignment,
                                  bool ignore_if_exists) override;
  Result<TableRecord> DropTable(const TablePath& path, bool ignore_if_not_exists) override;
  Result<TableRecord> GetTable(const TablePath& path) const override;
  Result<TableRecord> GetTableById(int64_t table_id) const override;
  bool TableExists(const TablePath& path) const override;
  Result<std::vector<std::string>> ListTables(const std::string& database) const override;
  std::vector<TableRecord> ListAllTables() const override;
  std::vector<DroppedTableRecord> ListDroppedTables() const override;

  Result<std::string> GetSchema(int64_t table_id, int32_t schema_id) const override;
  Result<int32_t> AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                            int32_t expected_version) override;

  Result<std::vector<BucketAssignment>> GetAssignment(int64_t table_id) const override;
  Result<int32_t> UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                   int32_t expected_version) override;

  Result<int64_t> AllocateWriterId() override;

  int64_t AddWatcher(MetadataWatcher watcher) override;
  void RemoveWatcher(int64_t watcher_id) override;

 private:
  EmbeddedMetadataStore(std::string dir, MetadataClock clock, int lock_fd, MetadataState state);

  std::shared_ptr<const MetadataState> Snapshot() const;
  // Writes `next` durably, then publishes it; on failure nothing changes. REQUIRES mutation_mu_.
  Status Commit(MetadataState next);
  // Runs `change` under mutation_mu_, then delivers the events it enqueued with no lock held.
  template <typename Change>
  auto Mutate(Change&& change) -> decltype(change());

  const std::string dir_;
  const MetadataClock clock_;
  const int lock_fd_;

  std::mutex mutation_mu_;  // serializes mutations (and the file writes)
  int64_t next_writer_id_;  // guarded by mutation_mu_; < state's writer_id_limit when usable

  mutable std::mutex snapshot_mu_;  // guards the pointer only
  std::shared_ptr<const MetadataState> state_;

  WatcherRegistry watchers_;
};

}  // namespace fluss
