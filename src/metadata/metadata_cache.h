// The one read path of every MetadataStore: reads are answered from an immutable MetadataState that
// the store publishes after each change (and, for the ZooKeeper store, after each reload), so a
// reader never waits on disk or on ZooKeeper and always sees one whole state.
//
// MetadataCache holds the published state; CachedMetadataStore is the base of both stores: it answers
// every read of MetadataStore from its cache and keeps the watchers. The stores write the state (and
// enqueue events on the watcher registry); they never re-implement a read.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metadata/metadata_state.h"
#include "metadata/metadata_store.h"
#include "metadata/watcher_registry.h"

namespace fluss {

// The published state. Thread-safe.
class MetadataCache {
 public:
  MetadataCache() : state_(std::make_shared<const MetadataState>()) {}
  explicit MetadataCache(MetadataState state) : state_(std::make_shared<const MetadataState>(std::move(state))) {}

  // The state last published (never null); it never changes once published.
  std::shared_ptr<const MetadataState> Snapshot() const {
    std::lock_guard lock(mu_);
    return state_;
  }
  void Publish(std::shared_ptr<const MetadataState> state) {
    std::lock_guard lock(mu_);
    state_ = std::move(state);
  }

 private:
  mutable std::mutex mu_;  // guards the pointer only
  std::shared_ptr<const MetadataState> state_;
};

class CachedMetadataStore : public MetadataStore {
 public:
  Result<DatabaseRecord> GetDatabase(const std::string& name) const final;
  std::vector<std::string> ListDatabases() const final;
  bool DatabaseExists(const std::string& name) const final;
  Result<TableRecord> GetTable(const TablePath& path) const final;
  Result<TableRecord> GetTableById(int64_t table_id) const final;
  bool TableExists(const TablePath& path) const final;
  Result<std::vector<std::string>> ListTables(const std::string& database) const final;
  std::vector<TableRecord> ListAllTables() const final;
  std::vector<DroppedTableRecord> ListDroppedTables() const final;
  Result<std::string> GetSchema(int64_t table_id, int32_t schema_id) const final;
  Result<std::vector<BucketAssignment>> GetAssignment(int64_t table_id) const final;
  Result<std::vector<PartitionRecord>> ListPartitions(const TablePath& path) const final;
  Result<PartitionRecord> GetPartition(const TablePath& path, const std::string& partition_name) const final;
  Result<PartitionRecord> GetPartitionById(int64_t partition_id) const final;
  Result<std::vector<BucketAssignment>> GetPartitionAssignment(int64_t partition_id) const final;
  std::vector<DroppedPartitionRecord> ListDroppedPartitions() const final;

  int64_t AddWatcher(MetadataWatcher watcher) final { return watchers_.Add(std::move(watcher)); }
  void RemoveWatcher(int64_t watcher_id) final { watchers_.Remove(watcher_id); }

 protected:
  CachedMetadataStore() = default;
  explicit CachedMetadataStore(MetadataState initial) : cache_(std::move(initial)) {}

  std::shared_ptr<const MetadataState> Snapshot() const { return cache_.Snapshot(); }

  MetadataCache cache_;
  WatcherRegistry watchers_;
};

}  // namespace fluss
