// ReplicaManager: the tablet-server data plane of a standalone server. It holds the bucket logs of
// every table (one replica each, this server the leader), appends produced batches, serves fetches
// (with server-side column projection on the stored Arrow batches) and lists offsets. In standalone
// mode the single replica is the whole ISR, so the high watermark moves with every append.
// Primary-key tables also get a KvTablet per bucket (RocksDB at `{db}/{table}-{id}/kv-{bucket}`,
// beside the log, which is the table's changelog): PutKv, Lookup, PrefixLookup and ScanKv sessions
// (a paged scan of a RocksDB snapshot that tells the changelog offset it reflects).
//
// Lake-enabled tables (table.datalake.enabled=true): each bucket's log carries a retention hold at
// the lake's tiered offset (RetentionHold::kLakeTiered), so table.log.ttl and
// table.log.retention-size delete only segments the lake already holds. The hold starts at 0
// (nothing is deleted) and moves when UpdateLakeRetentionHolds hears from the TieredOffsetsProvider.
//
// Thread-safety: all methods are thread-safe. Appends to one bucket are serialized by its LogTablet.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "kv/kv_tablet.h"
#include "log/log_manager.h"
#include "metadata/metadata_store.h"
#include "server/delayed_fetch.h"
#include "server/tiered_offsets.h"
#include "types/schema.h"

namespace fluss {

// What the data plane knows of one table.
struct ServedTable {
  TableRecord record;
  std::map<int32_t, Schema> schemas;  // every schema id the table had
  std::vector<std::shared_ptr<LogTablet>> buckets;
  std::vector<std::shared_ptr<KvTablet>> kv;  // primary-key tables: one per bucket; else empty
  bool lake_enabled = false;                  // table.datalake.enabled=true
  bool has_primary_key() const { return !kv.empty(); }
  const Schema& latest_schema() const { return schemas.rbegin()->second; }
};

// The outcome of one fetch attempt.
struct FetchResult {
  proto::FetchLogResponse response;
  int64_t bytes = 0;        // record bytes in the response
  bool has_error = false;   // some bucket answered with an error (answer now, do not wait)
};

class ReplicaManager {
 public:
  // `on_append` is told of every bucket that got new data (wakes waiting fetches).
  ReplicaManager(LogManager* logs, std::shared_ptr<KvResources> kv_resources,
                 std::function<void(TableBucketId)> on_append);
  ~ReplicaManager();

  // Opens (creating when absent) the logs of every bucket of `table`; idempotent.
  Status AddTable(const TableRecord& table, std::map<int32_t, Schema> schemas);
  // Forgets the table and deletes its logs.
  Status DropTable(int64_t table_id);
  std::shared_ptr<const ServedTable> GetTable(int64_t table_id) const;
  // Bucket log directories of the tables served, relative to the data dir.
  std::vector<std::string> ServedLogDirs() const;

  // PRODUCE_LOG: appends each bucket's batches; per-bucket errors in the response.
  proto::ProduceLogResponse Produce(const std::shared_ptr<proto::ProduceLogRequest>& request);
  // One FETCH_LOG attempt, reading what is there now.
  FetchResult Fetch(const proto::FetchLogRequest& request) const;
  // LIST_OFFSETS.
  proto::ListOffsetsResponse ListOffsets(const proto::ListOffsetsRequest& request) const;

  // PUT_KV: applies each bucket's KvRecordBatch (per-bucket errors in the response).
  proto::PutKvResponse PutKv(const proto::PutKvRequest& request);
  // LOOKUP and PREFIX_LOOKUP.
  proto::LookupResponse Lookup(const proto::LookupRequest& request) const;
  proto::PrefixLookupResponse PrefixLookup(const proto::PrefixLookupRequest& request) const;
  // SCAN_KV: opens, continues or closes a scanner session.
  proto::ScanKvResponse ScanKv(const proto::ScanKvRequest& request);
  // Flushes the RocksDB of every primary-key bucket (shutdown; the log stays the source of truth).
  Status FlushKv();

  // Where the lake's tiered offsets come from. Without one, lake-enabled tables delete nothing.
  void SetTieredOffsetsProvider(TieredOffsetsProvider provider);
  // Asks the provider once per lake-enabled table and moves the table's bucket holds to the offsets
  // it answers. A failed read, or an offset past the bucket's log end (a lake that is not this
  // table's log), holds the whole bucket (hold 0) and logs a warning at most once a minute per
  // table. Run before each retention pass (LogManager::SetBeforeRetention).
  void UpdateLakeRetentionHolds();

 private:
  // The KV tablet of a bucket, or the error to answer.
  Result<std::shared_ptr<KvTablet>> KvBucket(int64_t table_id, bool has_partition, int32_t bucket) const;

  LogManager* logs_;
  std::shared_ptr<KvResources> kv_resources_;
  std::function<void(TableBucketId)> on_append_;
  mutable std::shared_mutex mu_;
  std::map<int64_t, std::shared_ptr<ServedTable>> tables_;

  std::mutex lake_mu_;  // guards the two below
  TieredOffsetsProvider tiered_offsets_;
  std::map<int64_t, std::chrono::steady_clock::time_point> lake_warned_;  // table id -> last warning

  struct ScanSession;
  std::mutex scan_mu_;
  std::map<std::string, std::shared_ptr<ScanSession>> scanners_;
  int64_t next_scanner_id_ = 1;
};

}  // namespace fluss
