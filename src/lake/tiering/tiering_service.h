// TieringService: runs LakeTiering rounds in a background thread for every log table with
// table.datalake.enabled=true, each as often as its table.datalake.freshness (default 3 min) asks.
// Stateless: everything it needs is in the tables' properties and the lake's snapshots, so any
// number of restarts (or a second service) is safe. `fluss-server` runs one when the lake is
// configured (datalake.tiering.embedded, default true); `fluss-tiering` runs one on its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "lake/tiering/lake_tiering.h"

namespace fluss::lake {

struct TieringServiceOptions {
  std::string bootstrap_servers;  // the Fluss server(s) to read from
  std::string warehouse;          // datalake.iceberg.warehouse
  std::chrono::milliseconds check_interval{1000};  // how often tables and their freshness are checked
  std::chrono::seconds orphan_min_age{600};
};

class TieringService {
 public:
  static std::unique_ptr<TieringService> Start(TieringServiceOptions options);
  ~TieringService();  // Stop()
  // Ends the loop after the running round; idempotent.
  void Stop();
  // Rounds committed and failed since the start (for tests and logs).
  int64_t rounds_committed() const { return committed_.load(); }
  int64_t rounds_failed() const { return failed_.load(); }

 private:
  explicit TieringService(TieringServiceOptions options) : options_(std::move(options)) {}
  void Run();
  Status CheckTables(LakeTiering& tiering, Connection& conn);

  TieringServiceOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_round_;  // by table path
  std::map<std::string, std::string> last_error_;                            // logged once per change
  std::atomic<int64_t> committed_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace fluss::lake
