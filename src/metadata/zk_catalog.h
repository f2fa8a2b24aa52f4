// ZkCatalog: the catalog half of the ZooKeeper metadata store — databases, tables (schemas, bucket
// assignment), dropped-table records and the id counters, kept in znodes (zk_paths.h, zk_znodes.h).
//
// Every mutation is one ZooKeeper multi-op, durable on a quorum before it returns OK, and atomic;
// versions are znode versions and compare-and-set is a version-checked setData inside the multi;
// table ids come from a CAS'd counter bumped in the table's own create multi (dense, never reused,
// also across stores). After its commit a mutation reloads the cache (Sync) and waits until the
// watchers have seen the events, so its caller reads its own writes.
//
// Sync reads the whole tree (O(state) reads, setting watches), diffs it against the published state
// to produce the events and publishes it. Thread-safety: all methods may be called from any thread;
// Sync is serialized.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "metadata/embedded_metadata_store.h"  // MetadataClock, kWriterIdBlock
#include "metadata/metadata_cache.h"
#include "metadata/metadata_state.h"
#include "metadata/watcher_registry.h"
#include "metadata/zk_client.h"

namespace fluss {

class ZkCatalog {
 public:
  // `cache` and `watchers` are the store's; all three must outlive this object.
  ZkCatalog(ZkClient& zk, MetadataClock clock, MetadataCache& cache, WatcherRegistry& watchers)
      : zk_(zk), clock_(std::move(clock)), cache_(cache), watchers_(watchers) {}

  // Creates the catalog's parent znodes and counters when missing.
  Status EnsureZnodes();
  // Reloads the whole catalog (setting watches), publishes it and queues the events of the change.
  Status Sync();

  // As MetadataStore.
  Status CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists);
  Result<std::vector<TableRecord>> DropDatabase(const std::string& name, bool ignore_if_not_exists, bool cascade);
  Result<TableRecord> CreateTable(const TablePath& path, std::string table_json, std::string schema_json,
                                  int32_t bucket_count, std::vector<BucketAssignment> assignment,
                                  bool ignore_if_exists);
  Result<TableRecord> DropTable(const TablePath& path, bool ignore_if_not_exists);
  Result<int32_t> AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                            int32_t expected_version);
  Result<int32_t> UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                   int32_t expected_version);
  Result<PartitionRecord> CreatePartition(const TablePath& path, int64_t table_id, const std::string& partition_name,
                                          std::vector<BucketAssignment> assignment, int32_t max_partitions,
                                          bool ignore_if_exists);
  Result<PartitionRecord> DropPartition(const TablePath& path, const std::string& partition_name,
                                        bool ignore_if_not_exists);
  Result<int64_t> AllocateWriterId();
  // Deletes the assignment znodes (/tabletservers/partitions/{id} and below) of partitions whose
  // table or partition has a drop record: what a drop of a table leaves to do after its commit, or
  // what a crash left. Best effort: failures are logged.
  void DeleteDroppedPartitionAssignments();

 private:
  Result<MetadataState> LoadState(const MetadataState& previous) const;
  // The partitions of a partitioned table (setting a child watch on its partitions znode); those
  // `previous` knows are reused, not read again.
  Result<std::vector<PartitionEntry>> LoadPartitions(const TablePath& path, const TableRecord& table,
                                                     const MetadataState& previous) const;
  Result<std::vector<TableRecord>> DropDatabaseCatalog(const std::string& name, bool ignore_if_not_exists,
                                                       bool cascade);
  Result<TableRecord> DropTableCatalog(const TablePath& path, bool ignore_if_not_exists);
  // Adds to `ops` the deletes of every znode of `table` (at its znode `version`) — its schemas, its
  // partition registrations, its bucket assignment and leader records — and the create of its drop
  // record. The assignments of its partitions are deleted after the commit
  // (DeleteDroppedPartitionAssignments): they may be too many for one multi-op.
  Status AddTableDrop(const TableRecord& table, int32_t version, ZkMultiOps* ops) const;
  // Adds to `ops` the deletes of the znodes under `assignment_path` (buckets and their leader
  // records) and of `assignment_path` itself.
  Status AddAssignmentDelete(const std::string& assignment_path, const std::string& buckets_path,
                             ZkMultiOps* ops) const;
  // Deletes the drop records older than kDroppedTableRetentionMs (best effort: a failure is logged).
  void PruneDroppedTables();
  template <typename Change>
  auto Mutate(Change&& change) -> decltype(change());

  ZkClient& zk_;
  const MetadataClock clock_;
  MetadataCache& cache_;
  WatcherRegistry& watchers_;

  std::mutex sync_mu_;  // serializes Sync (and the events it enqueues)
  std::mutex writer_mu_;
  int64_t next_writer_id_ = 0;   // guarded by writer_mu_
  int64_t writer_id_limit_ = 0;  // guarded by writer_mu_
};

}  // namespace fluss
