// LakeRetentionHolds: the kLakeTiered retention hold of every bucket log of a lake-enabled table
// (table.datalake.enabled=true), so table.log.ttl and table.log.retention-size delete only segments
// the lake already holds. A hold starts at 0 (nothing is deleted, set when the table is added) and
// moves when Update hears the lake's tiered offsets from the TieredOffsetsProvider.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "log/log_tablet.h"
#include "metadata/metadata_store.h"
#include "server/tiered_offsets.h"
#include "types/table_bucket.h"

namespace fluss {

class LakeRetentionHolds {
 public:
  // A lake-enabled table and the bucket logs this server has of it (of the table, or of each of its
  // partitions).
  struct LakeTable {
    TableRecord record;
    std::vector<std::pair<TableBucket, std::shared_ptr<LogTablet>>> logs;
  };

  // Where the lake's tiered offsets come from. Without one, holds stay at 0: nothing is deleted.
  void SetProvider(TieredOffsetsProvider provider);
  // Asks the provider once per table `lake_tables` lists (called only when there is a provider) and
  // moves each bucket's hold to the offset it answers for that bucket (0 for one it does not name). A failed read, or an offset past the bucket's
  // log end (a lake that is not this table's log), holds the whole bucket (hold 0) and logs a
  // warning at most once a minute per table. No lock is held while the provider reads the lake.
  void Update(const std::function<std::vector<LakeTable>()>& lake_tables);
  // The table is gone: forget when it was last warned about.
  void Forget(int64_t table_id);

 private:
  void Warn(const TableRecord& table, const std::string& what);

  std::mutex mu_;  // guards the two below
  TieredOffsetsProvider provider_;
  std::map<int64_t, std::chrono::steady_clock::time_point> warned_;  // table id -> last warning
};

}  // namespace fluss
