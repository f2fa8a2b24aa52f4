// AutoPartitionManager: the coordinator's (and the standalone server's) auto-partitioning, as
// upstream's AutoPartitionManager does it. Every auto-partition.check.interval, and at once for a
// table created with table.auto-partition.enabled, it checks each such table of the metadata store:
// PlanAutoPartitions (types/auto_partition.h) says which partitions retention no longer keeps —
// they are dropped — and which of the next num-precreate ones are missing — they are created. Drops
// and creates go through the same path as DROP_PARTITION and CREATE_PARTITION (the Actions, the
// CoordinatorService's), so replicas and limits are handled there; a failure is logged and the
// next check tries again.
//
// A DAY table's periodic checks create partitions as if it were a random number of minutes (0..23h,
// fixed per table) earlier, so that not every table creates tomorrow's partition at midnight
// (upstream's jitter); the check when a table is created is not delayed.
//
// Thread-safety: Start/Stop from the owner; TableCreated and CheckAll from any thread. Checks run one
// at a time (on the manager's thread, or the caller's for CheckAll).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/status.h"
#include "common/time_zone.h"
#include "fluss/partition.h"
#include "metadata/metadata_store.h"

namespace fluss {

class AutoPartitionManager {
 public:
  // What a check does to the catalog; `spec` names every partition key. Both must tolerate the
  // partition being there already (create) or gone already (drop).
  struct Actions {
    std::function<Status(const TablePath&, const PartitionSpec&)> create;
    std::function<Status(const TablePath&, const PartitionSpec&)> drop;
  };
  struct Options {
    int64_t check_interval_ms = 10 * 60 * 1000;  // auto-partition.check.interval
    // Milliseconds since the Unix epoch: the "now" partitions are named after (default: the system
    // clock; tests move it).
    std::function<int64_t()> clock;
    // Whether this server may change the catalog now (the active coordinator); default: always.
    std::function<bool()> is_active;
    // The jitter of a DAY table, in minutes (default: random in 0..23*60-1, drawn once per table).
    std::function<int(int64_t table_id)> day_jitter_minutes;
  };

  // `metadata` outlives the manager.
  AutoPartitionManager(MetadataStore* metadata, Actions actions, Options options);
  ~AutoPartitionManager();  // Stop()
  AutoPartitionManager(const AutoPartitionManager&) = delete;
  AutoPartitionManager& operator=(const AutoPartitionManager&) = delete;

  // Starts the thread: a check of every table now, then one per check interval.
  void Start();
  void Stop();

  // A table was created with auto-partitioning on: check it now (on the manager's thread once
  // started; at once on the caller's before that). No jitter.
  void TableCreated(const TablePath& path);

  // Asks the manager's thread for a check of every table now (a coordinator that just became the
  // active one). No-op before Start.
  void CheckAllSoon();

  // One check of every auto-partitioned table, on the caller's thread. `force`: no DAY jitter.
  // Returns how many partitions it created and dropped (for tests and logs).
  struct CheckResult {
    int created = 0;
    int dropped = 0;
  };
  CheckResult CheckAll(bool force);

 private:
  // Checks one table (its record read just now); adds to `result`.
  void CheckTable(const TableRecord& table, bool force, CheckResult* result);
  int JitterMinutes(int64_t table_id);
  void Loop();

  MetadataStore* metadata_;
  const Actions actions_;
  Options options_;

  std::mutex check_mu_;  // one check at a time
  std::map<int64_t, int> jitter_;                // guarded by check_mu_
  std::map<std::string, TimeZone> zones_;        // guarded by check_mu_: loaded once per name

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<TablePath> pending_;  // guarded by mu_: tables to check now
  bool check_all_ = false;       // guarded by mu_: a full check asked for
  bool stopping_ = false;        // guarded by mu_
  bool started_ = false;         // guarded by mu_
  std::thread thread_;
};

}  // namespace fluss
