// KvScanSessions: the SCAN_KV scanner sessions of a tablet server. A session pages through a RocksDB
// snapshot of one bucket's KV state (and tells the changelog offset that snapshot reflects), so a
// scan sees one consistent state however long it takes. Limits are Fluss's: kv.scanner.ttl 10 min
// (idle sessions expire), kv.scanner.max-per-server 200, kv.scanner.max-batch-size 10 MiB per page.
//
// Thread-safety: all methods are thread-safe; pages of one session are served one at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "kv/kv_tablet.h"
#include "types/table_bucket.h"

namespace fluss {

class KvScanSessions {
 public:
  // The KV tablet a new session reads, or the error to answer (unknown bucket, not the leader, ...).
  using ResolveTablet = std::function<Result<std::shared_ptr<KvTablet>>(const TableBucket&)>;

  KvScanSessions() = default;
  ~KvScanSessions();  // ends every session (snapshots go before the stores they read)
  KvScanSessions(const KvScanSessions&) = delete;
  KvScanSessions& operator=(const KvScanSessions&) = delete;

  // SCAN_KV: opens a session (bucket_scan_req, resolved through `resolve`), continues one
  // (scanner_id, call_seq_id in order) or closes one (close_scanner). Errors are in the response.
  proto::ScanKvResponse Scan(const proto::ScanKvRequest& request, const ResolveTablet& resolve);

  // Ends the sessions reading `bucket` (its KV tablet is about to close); a later page answers
  // UNKNOWN_SCANNER_ID.
  void EndBucket(const TableBucket& bucket);
  // Ends the sessions of every bucket of a table.
  void EndTable(int64_t table_id);
  size_t open_sessions() const;

 private:
  struct Session;
  void EndIf(const std::function<bool(const TableBucket&)>& match);

  mutable std::mutex mu_;  // guards the two below
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  int64_t next_id_ = 1;
};

}  // namespace fluss
