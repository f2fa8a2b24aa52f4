#include "server/replica/kv_scan_sessions.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "format/value_encoding.h"

namespace fluss {

namespace {

// Fluss: kv.scanner.ttl 10 min, kv.scanner.max-per-server 200, kv.scanner.max-batch-size 10 MiB; the
// client asks 4 MiB per page.
constexpr auto kScannerTtl = std::chrono::minutes(10);
constexpr size_t kMaxScanners = 200;
constexpr int32_t kMaxScanBatchBytes = 10 << 20;
constexpr int32_t kDefaultScanBatchBytes = 4 << 20;

}  // namespace

struct KvScanSessions::Session {
  TableBucket bucket;
  std::shared_ptr<KvTablet> tablet;  // keeps the RocksDB open under the snapshot
  std::mutex mu;                     // one page at a time; guards the fields below
  std::unique_ptr<RocksKv::Snapshot> snapshot;  // reset when the session ends
  std::optional<std::string> last_key;
  int64_t remaining = -1;  // rows still allowed by the limit; -1: no limit
  int32_t next_seq = 0;
  std::chrono::steady_clock::time_point last_used;
};

KvScanSessions::~KvScanSessions() {
  std::lock_guard lock(mu_);
  sessions_.clear();
}

size_t KvScanSessions::open_sessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

proto::ScanKvResponse KvScanSessions::Scan(const proto::ScanKvRequest& request, const ResolveTablet& resolve) {
  proto::ScanKvResponse resp;
  auto fail = [&resp](const Status& st) {
    resp.set_error_code(static_cast<int32_t>(st.code()));
    resp.set_error_message(st.message());
    resp.set_has_more_results(false);
    return resp;
  };
  if (request.has_scanner_id() == request.has_bucket_scan_req()) {
    return fail(Status(ErrorCode::kInvalidScanRequest,
                       "a ScanKv request names either a bucket (to open a scanner) or a scanner id, not both or "
                       "neither"));
  }
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<Session> session;
  std::string id;
  if (request.has_bucket_scan_req()) {
    const auto& b = request.bucket_scan_req();
    const std::optional<int64_t> partition =
        b.has_partition_id() ? std::optional<int64_t>(b.partition_id()) : std::nullopt;
    const TableBucket bucket(b.table_id(), partition, b.bucket_id());
    auto kv = resolve(bucket);
    if (!kv.ok()) return fail(kv.status());
    session = std::make_shared<Session>();
    session->bucket = bucket;
    session->tablet = *kv;
    session->remaining = b.has_limit() ? std::max<int64_t>(b.limit(), 0) : -1;
    auto snapshot = session->tablet->TakeSnapshot();
    if (!snapshot.ok()) return fail(snapshot.status());
    session->snapshot = std::move(*snapshot);
    session->last_used = now;
    resp.set_log_offset(session->snapshot->applied_offset());
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = now - it->second->last_used > kScannerTtl ? sessions_.erase(it) : std::next(it);
    }
    if (sessions_.size() >= kMaxScanners) {
      return fail(Status(ErrorCode::kTooManyScanners,
                         fmt::format("this server has {} open KV scanners already; close some or retry later",
                                     sessions_.size())));
    }
    id = std::to_string(next_id_++);
    sessions_[id] = session;
  } else {
    id = request.scanner_id();
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return fail(Status(ErrorCode::kUnknownScannerId,
                         "unknown KV scanner (it finished, was closed, or expired after 10 minutes idle)"));
    }
    session = it->second;
  }
  resp.set_scanner_id(id);

  std::lock_guard lock(session->mu);
  auto end_session = [&] {
    session->snapshot.reset();
    std::lock_guard l(mu_);
    sessions_.erase(id);
  };
  if (session->snapshot == nullptr) {
    return fail(Status(ErrorCode::kUnknownScannerId, "the KV scanner was ended (its table was dropped)"));
  }
  if (request.has_scanner_id() && request.has_call_seq_id()) {
    if (request.call_seq_id() != session->next_seq) {
      return fail(Status(ErrorCode::kInvalidScanRequest,
                         fmt::format("call_seq_id {} out of order (expected {})", request.call_seq_id(),
                                     session->next_seq)));
    }
  }
  if (request.has_scanner_id()) ++session->next_seq;
  session->last_used = now;
  if (request.close_scanner()) {
    end_session();
    resp.set_has_more_results(false);
    return resp;
  }
  const int32_t page_bytes = request.has_batch_size_bytes() && request.batch_size_bytes() > 0
                                 ? std::min(request.batch_size_bytes(), kMaxScanBatchBytes)
                                 : kDefaultScanBatchBytes;
  ValueRecordBatchBuilder page;
  bool more = false;
  Status append_status;
  Status st = session->snapshot->Scan(
      [&](std::string_view key, std::string_view value) {
        if (session->remaining == 0 ||
            (page.num_records() > 0 && page.size_in_bytes() >= static_cast<size_t>(page_bytes))) {
          more = session->remaining != 0;
          return false;
        }
        append_status = page.AppendValue(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
        if (!append_status.ok()) return false;
        session->last_key = std::string(key);
        if (session->remaining > 0) --session->remaining;
        return true;
      },
      session->last_key ? std::optional<std::string_view>(*session->last_key) : std::nullopt);
  if (st.ok()) st = append_status;
  if (!st.ok()) {
    end_session();
    return fail(st);
  }
  if (page.num_records() > 0) {
    Buffer bytes = page.Build();
    resp.set_records(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  resp.set_has_more_results(more);
  if (!more) end_session();
  return resp;
}

void KvScanSessions::EndBucket(const TableBucket& bucket) {
  EndIf([&](const TableBucket& b) { return b == bucket; });
}

void KvScanSessions::EndTable(int64_t table_id) {
  EndIf([&](const TableBucket& b) { return b.table_id == table_id; });
}

void KvScanSessions::EndIf(const std::function<bool(const TableBucket&)>& match) {
  std::vector<std::shared_ptr<Session>> ended;
  {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (match(it->second->bucket)) {
        ended.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& session : ended) {
    std::lock_guard lock(session->mu);
    session->snapshot.reset();
  }
}

}  // namespace fluss
