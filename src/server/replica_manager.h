// ReplicaManager: the tablet-server data plane of a standalone server. It holds the bucket logs of
// every table (one replica each, this server the leader), appends produced batches, serves fetches
// (with server-side column projection on the stored Arrow batches) and lists offsets. In standalone
// mode the single replica is the whole ISR, so the high watermark moves with every append.
//
// Thread-safety: all methods are thread-safe. Appends to one bucket are serialized by its LogTablet.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "log/log_manager.h"
#include "metadata/metadata_store.h"
#include "server/delayed_fetch.h"
#include "types/schema.h"

namespace fluss {

// What the data plane knows of one table.
struct ServedTable {
  TableRecord record;
  std::map<int32_t, Schema> schemas;  // every schema id the table had
  std::vector<std::shared_ptr<LogTablet>> buckets;
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
  ReplicaManager(LogManager* logs, std::function<void(TableBucketId)> on_append);

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

 private:
  LogManager* logs_;
  std::function<void(TableBucketId)> on_append_;
  mutable std::shared_mutex mu_;
  std::map<int64_t, std::shared_ptr<ServedTable>> tables_;
};

}  // namespace fluss
