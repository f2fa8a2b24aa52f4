#include "log/log_tablet.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

#include "format/log_record_batch.h"
#include "log/log_file_scanner.h"

namespace fluss {

namespace {

// "00000000000000000042.log" -> 42.
std::optional<int64_t> BaseOffsetOf(const std::string& name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

}  // namespace

LogTablet::LogTablet(std::string dir, LogConfig config, LogTabletOptions options, LeaderEpochCache epochs)
    : fs_(options.file_system != nullptr ? *options.file_system : FileSystem::Local()),
      dir_(std::move(dir)),
      config_(config),
      clock_(options.clock ? options.clock : ClockMs(SystemClockMs)),
      open_segments_(options.open_segments != nullptr
                         ? options.open_segments
                         : std::make_shared<OpenSegmentCache>(static_cast<size_t>(
                               ResolveOpenSegmentBudget(config, SoftOpenFileLimit()).ValueOr(kMinOpenSegments)))),
      writers_(dir_, config.writer_expiration_ms, fs_),
      epochs_(std::move(epochs)) {}

LogTablet::~LogTablet() = default;

Result<std::unique_ptr<LogTablet>> LogTablet::Open(std::string dir, LogConfig config, LogTabletOptions options) {
  FLUSS_RETURN_NOT_OK(config.Validate());
  FileSystem& file_system = options.file_system != nullptr ? *options.file_system : FileSystem::Local();
  if (Status st = file_system.CreateDirectories(dir); !st.ok()) {
    return st.WithContext(fmt::format("cannot create log directory '{}'", dir));
  }
  FLUSS_ASSIGN_OR_RETURN(LeaderEpochCache epochs, LeaderEpochCache::Load(dir, file_system));
  std::unique_ptr<LogTablet> log(new LogTablet(std::move(dir), config, options, std::move(epochs)));
  std::lock_guard<std::mutex> guard(log->lock_);
  FLUSS_RETURN_NOT_OK(log->LoadSegments());
  FLUSS_RETURN_NOT_OK(log->RecoverSegments(options.recovery_point, options.clean_shutdown));
  const int64_t leo = log->LogEndLocked();
  const int64_t start = log->LogStartLocked();
  FLUSS_RETURN_NOT_OK(log->epochs_.TruncateFromEnd(leo));
  FLUSS_RETURN_NOT_OK(log->epochs_.TruncateFromStart(start));
  FLUSS_RETURN_NOT_OK(log->RebuildWriterState(leo));
  log->high_watermark_ = std::clamp(options.high_watermark, start, leo);
  log->recovery_point_ = options.clean_shutdown ? leo : std::clamp(options.recovery_point, start, leo);
  if (log->recovery_point_ < leo) log->unflushed_since_ms_ = log->clock_();
  return log;
}

Status LogTablet::LoadSegments() {
  std::vector<int64_t> bases;
  auto names = fs_.ListDirectory(dir_);
  if (!names.ok()) return names.status().WithContext(fmt::format("cannot list log directory '{}'", dir_));
  for (const std::string& name : *names) {
    if (name.ends_with(kDeletedFileSuffix) || name.ends_with(".tmp")) {
      // Left by a delete or a durable write that a crash interrupted.
      FLUSS_RETURN_NOT_OK(fs_.Remove(fmt::format("{}/{}", dir_, name)));
      continue;
    }
    if (auto base = BaseOffsetOf(name, kLogFileSuffix)) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool active = i + 1 == bases.size();
    FLUSS_ASSIGN_OR_RETURN(auto seg, LogSegment::Open(fs_, dir_, bases[i], config_, active, open_segments_));
    segments_[bases[i]] = std::move(seg);
  }
  if (segments_.empty()) {
    FLUSS_ASSIGN_OR_RETURN(auto seg, LogSegment::Create(fs_, dir_, 0, config_, open_segments_));
    segments_[0] = std::move(seg);
    dir_dirty_ = true;
  }
  return Status::OK();
}

Status LogTablet::RecoverSegments(int64_t recovery_point, bool clean_shutdown) {
  std::vector<std::shared_ptr<LogSegment>> segs;
  for (auto& [base, seg] : segments_) segs.push_back(seg);
  // After an unclean shutdown every segment from the one holding the recovery point is checked.
  size_t first_unflushed = segs.size();
  if (!clean_shutdown) {
    first_unflushed = 0;
    for (size_t i = 0; i < segs.size(); ++i) {
      if (segs[i]->base_offset() <= recovery_point) first_unflushed = i;
    }
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    LogSegment& seg = *segs[i];
    const bool last = i + 1 == segs.size();
    bool rebuild = seg.indexes_need_rebuild();
    if (!rebuild) {
      if (Status st = seg.SanityCheck(); !st.ok()) {
        spdlog::warn("log '{}': {}; rebuilding the indexes of segment {}", dir_, st.message(), seg.base_offset());
        rebuild = true;
      } else if (seg.indexes_need_rebuild()) {
        rebuild = true;
      }
    } else {
      spdlog::warn("log '{}': index files of segment {} are missing; rebuilding them", dir_, seg.base_offset());
    }
    const bool scan = rebuild || i >= first_unflushed;
    if (!scan) {
      if (!last) continue;
      if (Status st = seg.LoadTail(); st.ok()) continue;
      else spdlog::warn("log '{}': {}; checking the tail of segment {}", dir_, st.message(), seg.base_offset());
    }
    FLUSS_RETURN_NOT_OK(seg.MakeActive());
    FLUSS_ASSIGN_OR_RETURN(SegmentRecovery r, seg.Recover(recovery_point, rebuild));
    if (r.truncated_bytes > 0) {
      spdlog::warn("log '{}': segment {} cut at position {} (offset {}), {} bytes removed: {}", dir_,
                   seg.base_offset(), r.valid_bytes, r.next_offset, r.truncated_bytes, r.reason);
      // Nothing after a cut is trusted: later segments go.
      for (size_t j = segs.size(); j-- > i + 1;) {
        spdlog::warn("log '{}': deleting segment {} after the cut", dir_, segs[j]->base_offset());
        FLUSS_RETURN_NOT_OK(segs[j]->Delete());
        segments_.erase(segs[j]->base_offset());
      }
      segs.resize(i + 1);
      dir_dirty_ = true;
      break;
    }
    if (!last) FLUSS_RETURN_NOT_OK(seg.OnBecomeInactive());
  }
  // Inactive segments end where the next one starts.
  for (auto it = segments_.begin(); it != segments_.end() && std::next(it) != segments_.end(); ++it) {
    it->second->set_next_offset(std::next(it)->first);
  }
  return Status::OK();
}

Status LogTablet::RebuildWriterState(int64_t log_end) {
  FLUSS_ASSIGN_OR_RETURN(auto snapshot, writers_.LoadLatestSnapshot(log_end));
  int64_t from = LogStartLocked();
  if (snapshot && *snapshot > from) from = *snapshot;
  FLUSS_RETURN_NOT_OK(ReplayWriterState(from, log_end));
  writers_.RemoveExpired(clock_());
  return Status::OK();
}

Status LogTablet::ReplayWriterState(int64_t from_offset, int64_t to_offset) {
  if (from_offset >= to_offset) return Status::OK();
  auto it = segments_.upper_bound(from_offset);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    bool past_end = false;
    FLUSS_RETURN_NOT_OK(it->second->ScanBatchHeaders(from_offset, [&](const ScannedBatch& b) {
      if (b.base_offset >= to_offset) {
        past_end = true;
        return false;
      }
      if (b.writer_id >= 0 && b.base_offset >= from_offset) {
        writers_.Update(b.writer_id, {b.batch_sequence, b.base_offset,
                                      static_cast<int32_t>(b.last_offset - b.base_offset), b.commit_timestamp});
      }
      return true;
    }));
    if (past_end) break;
  }
  return Status::OK();
}

Result<LogAppendInfo> LogTablet::AppendAsLeader(const Buffer& records, int32_t leader_epoch) {
  LogAppendInfo info;
  {
    std::lock_guard<std::mutex> guard(lock_);
    FLUSS_ASSIGN_OR_RETURN(info, AppendLocked(records, /*as_leader=*/true, leader_epoch));
  }
  if (!info.duplicate) FLUSS_RETURN_NOT_OK(MaybeFlushAfterAppend(info.last_offset - info.first_offset + 1, info.valid_bytes));
  return info;
}

Result<LogAppendInfo> LogTablet::AppendAsFollower(const Buffer& records) {
  LogAppendInfo info;
  {
    std::lock_guard<std::mutex> guard(lock_);
    FLUSS_ASSIGN_OR_RETURN(info, AppendLocked(records, /*as_leader=*/false, -1));
  }
  FLUSS_RETURN_NOT_OK(MaybeFlushAfterAppend(info.last_offset - info.first_offset + 1, info.valid_bytes));
  return info;
}

Result<LogAppendInfo> LogTablet::AppendLocked(const Buffer& records, bool as_leader, int32_t leader_epoch) {
  if (closed_) return Status::Unavailable(fmt::format("log '{}' is closed", dir_));
  if (records.empty()) return Status::Corruption(fmt::format("append to log '{}' holds no batch", dir_));
  // 1. Validate everything before writing anything.
  auto parsed = ParseLogRecordBatches(records, /*verify_crc=*/true, /*allow_partial_tail=*/false);
  if (!parsed.ok()) {
    return Status::Corruption(fmt::format("append to log '{}' refused: {}", dir_, parsed.status().message()));
  }
  const std::vector<LogRecordBatch>& batches = *parsed;
  for (const LogRecordBatch& b : batches) {
    if (b.size_in_bytes() > static_cast<size_t>(config_.segment_bytes)) {
      return Status(ErrorCode::kRecordTooLarge,
                    fmt::format("batch of {} bytes exceeds log.segment.file-size {} of log '{}'", b.size_in_bytes(),
                                config_.segment_bytes, dir_));
    }
  }
  const int64_t leo = LogEndLocked();
  const int64_t now = clock_();
  LogAppendInfo info;
  // 2. Idempotent-writer checks (leader) or offset continuity (follower).
  if (as_leader) {
    std::unordered_map<int64_t, int32_t> pending;  // writer -> last sequence earlier in this append
    for (const LogRecordBatch& b : batches) {
      const int64_t writer = b.writer_id();
      const int32_t seq = b.batch_sequence();
      if (writer < 0 || seq < 0) continue;
      if (auto p = pending.find(writer); p != pending.end()) {
        if (seq != p->second + 1) {
          return Status(ErrorCode::kOutOfOrderSequence,
                        fmt::format("writer {}: batch sequence {} follows {} in one append", writer, seq, p->second));
        }
        p->second = seq;
        continue;
      }
      FLUSS_ASSIGN_OR_RETURN(WriterCheck check, writers_.CheckBatch(writer, seq));
      if (check.duplicate) {
        if (batches.size() != 1) {
          return Status(ErrorCode::kDuplicateSequence,
                        fmt::format("writer {}: batch sequence {} already written at offset {}", writer, seq,
                                    check.original.base_offset));
        }
        info.first_offset = check.original.base_offset;
        info.last_offset = check.original.last_offset();
        info.commit_timestamp = check.original.timestamp;
        info.batch_count = 1;
        info.duplicate = true;
        info.log_end_offset = leo;
        return info;
      }
      pending[writer] = seq;
    }
  } else {
    int64_t expect = leo;
    for (const LogRecordBatch& b : batches) {
      if (b.base_offset() != expect) {
        return Status::Corruption(fmt::format("follower append to log '{}': batch base offset {} where {} was expected",
                                              dir_, b.base_offset(), expect));
      }
      expect = b.next_offset();
    }
  }
  // 3. Assign offsets and the commit timestamp: each batch goes out as a patched copy of its header
  //    (BaseOffset and CommitTimestamp lie outside the CRC) plus its body straight from `records`.
  std::vector<std::array<uint8_t, log_batch::kHeaderSizeV0>> headers(batches.size());
  std::vector<std::span<const uint8_t>> parts;
  parts.reserve(2 * batches.size());
  std::vector<AppendedBatch> appended;
  appended.reserve(batches.size());
  size_t pos = 0;
  int64_t next = leo;
  for (size_t i = 0; i < batches.size(); ++i) {
    const LogRecordBatch& b = batches[i];
    const uint8_t* data = b.bytes().data();
    int64_t ts = b.commit_timestamp();
    if (as_leader) {
      ts = now;
      std::memcpy(headers[i].data(), data, headers[i].size());
      AssignOffsetAndTimestamp(headers[i], next, ts);
      parts.emplace_back(headers[i].data(), headers[i].size());
      parts.emplace_back(data + headers[i].size(), b.size_in_bytes() - headers[i].size());
    } else {
      parts.emplace_back(data, b.size_in_bytes());
    }
    appended.push_back({pos, b.size_in_bytes(), next, next + b.last_offset_delta(), ts});
    next += b.last_offset_delta() + 1;
    pos += b.size_in_bytes();
  }
  // 4. Roll if needed, write, index.
  FLUSS_RETURN_NOT_OK(MaybeRoll(pos, appended.size(), appended.back().last_offset, now));
  FLUSS_RETURN_NOT_OK(active().Append(parts, appended));
  // 5. Writer state and leader epoch.
  for (size_t i = 0; i < batches.size(); ++i) {
    const LogRecordBatch& b = batches[i];
    if (b.writer_id() >= 0) {
      writers_.Update(b.writer_id(), {b.batch_sequence(), appended[i].base_offset, b.last_offset_delta(),
                                      appended[i].timestamp});
    }
  }
  if (leader_epoch >= 0) FLUSS_RETURN_NOT_OK(epochs_.Assign(leader_epoch, leo));
  info.first_offset = leo;
  info.last_offset = appended.back().last_offset;
  info.commit_timestamp = appended.back().timestamp;
  info.batch_count = static_cast<int32_t>(appended.size());
  info.valid_bytes = static_cast<int64_t>(pos);
  info.log_end_offset = LogEndLocked();
  int64_t expected = -1;
  unflushed_since_ms_.compare_exchange_strong(expected, now);
  return info;
}

Status LogTablet::MaybeRoll(size_t bytes, size_t batches, int64_t last_offset, int64_t now) {
  LogSegment& seg = active();
  bool roll = !seg.CanIndex(batches, last_offset);
  if (!roll && seg.size() > 0) {
    roll = seg.size() + bytes > static_cast<uint64_t>(config_.segment_bytes);
    if (!roll) {
      FLUSS_ASSIGN_OR_RETURN(int64_t first_ts, seg.FirstBatchTimestamp());
      roll = first_ts >= 0 && now - first_ts > config_.segment_roll_ms;
    }
  }
  if (!roll) return Status::OK();
  if (seg.size() == 0) {
    return Status(ErrorCode::kRecordTooLarge,
                  fmt::format("append of {} batches does not fit the indexes of an empty segment of log '{}'", batches, dir_));
  }
  return RollLocked();
}

Status LogTablet::RollLocked() {
  LogSegment& old = active();
  const int64_t new_base = LogEndLocked();
  FLUSS_RETURN_NOT_OK(old.OnBecomeInactive());
  Status st = writers_.TakeSnapshot(new_base);
  Result<std::unique_ptr<LogSegment>> seg = st.ok() ? LogSegment::Create(fs_, dir_, new_base, config_, open_segments_) : Result<std::unique_ptr<LogSegment>>(st);
  if (!seg.ok()) {
    // Keep appending to the old segment once space allows; leave no half-created files behind.
    for (auto suffix : {kLogFileSuffix, kIndexFileSuffix, kTimeIndexFileSuffix}) {
      (void)fs_.Remove(SegmentFileName(dir_, new_base, suffix));
    }
    Status reopen = old.MakeActive();
    if (reopen.ok()) reopen = old.LoadTail();
    if (!reopen.ok()) {
      spdlog::warn("log '{}': segment {} stays read-only ({}); the next append retries the roll", dir_,
                   old.base_offset(), reopen.ToString());
    }
    return seg.status().WithContext(fmt::format("rolling log '{}' at offset {}", dir_, new_base));
  }
  segments_[new_base] = std::move(seg).value();
  dir_dirty_ = true;
  return Status::OK();
}

Status LogTablet::MaybeFlushAfterAppend(int64_t records, int64_t bytes) {
  int64_t r = unflushed_records_.fetch_add(records) + records;
  int64_t b = unflushed_bytes_.fetch_add(bytes) + bytes;
  if (r >= config_.flush_interval_messages || b >= config_.flush_interval_bytes) return Flush();
  return Status::OK();
}

Status LogTablet::Flush() {
  std::lock_guard<std::mutex> flush_guard(flush_lock_);
  std::vector<std::shared_ptr<LogSegment>> to_flush;
  int64_t end = 0;
  bool dirty = false;
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (segments_.empty()) return Status::OK();
    end = LogEndLocked();
    auto it = segments_.upper_bound(recovery_point_);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end(); ++it) {
      FLUSS_RETURN_NOT_OK(it->second->FlushIndexes());
      to_flush.push_back(it->second);
    }
    dirty = dir_dirty_;
    dir_dirty_ = false;
    unflushed_records_ = 0;
    unflushed_bytes_ = 0;
    unflushed_since_ms_ = -1;
  }
  Status st;
  for (const auto& seg : to_flush) {
    st = seg->log_file()->Flush();
    if (!st.ok()) break;
  }
  if (st.ok() && dirty) st = fs_.SyncDirectory(dir_);
  std::lock_guard<std::mutex> guard(lock_);
  if (!st.ok()) {
    dir_dirty_ = dir_dirty_ || dirty;
    unflushed_since_ms_ = clock_();
    return st;
  }
  recovery_point_ = std::max(recovery_point_, std::min(end, LogEndLocked()));
  return Status::OK();
}

Result<FetchData> LogTablet::Read(int64_t offset, size_t max_bytes, FetchIsolation isolation) const {
  std::lock_guard<std::mutex> guard(lock_);
  FetchData data;
  data.fetch_offset = offset;
  data.high_watermark = high_watermark_;
  data.log_start_offset = LogStartLocked();
  data.log_end_offset = LogEndLocked();
  data.region.file = active().log_file();
  if (offset < data.log_start_offset || offset > data.log_end_offset) {
    return Status(ErrorCode::kLogOffsetOutOfRange,
                  fmt::format("offset {} is out of range for log '{}' [{}, {}]", offset, dir_, data.log_start_offset,
                              data.log_end_offset));
  }
  const int64_t max_offset = isolation == FetchIsolation::kHighWatermark ? high_watermark_ : data.log_end_offset;
  if (offset >= max_offset) return data;
  auto it = segments_.upper_bound(offset);
  --it;
  for (; it != segments_.end(); ++it) {
    FLUSS_ASSIGN_OR_RETURN(FileRegion region, it->second->Read(offset, max_bytes, max_offset, true));
    if (!region.empty()) {
      data.region = std::move(region);
      return data;
    }
  }
  return data;
}

int64_t LogTablet::log_start_offset() const {
  std::lock_guard<std::mutex> guard(lock_);
  return LogStartLocked();
}
int64_t LogTablet::log_end_offset() const {
  std::lock_guard<std::mutex> guard(lock_);
  return LogEndLocked();
}
int64_t LogTablet::high_watermark() const {
  std::lock_guard<std::mutex> guard(lock_);
  return high_watermark_;
}
int64_t LogTablet::recovery_point() const {
  std::lock_guard<std::mutex> guard(lock_);
  return recovery_point_;
}

int64_t LogTablet::UpdateHighWatermark(int64_t offset) {
  std::lock_guard<std::mutex> guard(lock_);
  high_watermark_ = std::clamp(offset, LogStartLocked(), LogEndLocked());
  return high_watermark_;
}

Result<int64_t> LogTablet::OffsetForTimestamp(int64_t timestamp) const {
  std::lock_guard<std::mutex> guard(lock_);
  for (const auto& [base, seg] : segments_) {
    if (seg->size() == 0 || seg->max_timestamp() < timestamp) continue;
    FLUSS_ASSIGN_OR_RETURN(auto offset, seg->FindOffsetByTimestamp(timestamp));
    if (offset) return std::max(*offset, LogStartLocked());
  }
  return LogEndLocked();
}

Status LogTablet::DeleteSegmentLocked(std::map<int64_t, std::shared_ptr<LogSegment>>::iterator it) {
  FLUSS_RETURN_NOT_OK(it->second->Delete());
  segments_.erase(it);
  dir_dirty_ = true;
  return Status::OK();
}

Status LogTablet::TruncateTo(int64_t offset) {
  std::lock_guard<std::mutex> flush_guard(flush_lock_);
  std::lock_guard<std::mutex> guard(lock_);
  if (offset < 0) return Status::Invalid(fmt::format("cannot truncate log '{}' to negative offset {}", dir_, offset));
  const int64_t leo = LogEndLocked();
  if (offset >= leo) return Status::OK();
  if (offset < LogStartLocked()) return TruncateFullyLocked(offset);
  while (segments_.size() > 1 && segments_.rbegin()->first > offset) {
    FLUSS_RETURN_NOT_OK(DeleteSegmentLocked(std::prev(segments_.end())));
  }
  FLUSS_ASSIGN_OR_RETURN(uint64_t removed, active().TruncateTo(offset));
  spdlog::info("log '{}': truncated to offset {} (log end was {}, {} bytes removed from the last segment)", dir_,
               LogEndLocked(), leo, removed);
  const int64_t new_end = LogEndLocked();
  FLUSS_RETURN_NOT_OK(RebuildWriterState(new_end));
  FLUSS_RETURN_NOT_OK(epochs_.TruncateFromEnd(new_end));
  high_watermark_ = std::min(high_watermark_, new_end);
  recovery_point_ = std::min(recovery_point_, new_end);
  unflushed_since_ms_ = clock_();
  return Status::OK();
}

Status LogTablet::TruncateFullyAndStartAt(int64_t offset) {
  std::lock_guard<std::mutex> flush_guard(flush_lock_);
  std::lock_guard<std::mutex> guard(lock_);
  return TruncateFullyLocked(offset);
}

Status LogTablet::TruncateFullyLocked(int64_t offset) {
  if (offset < 0) return Status::Invalid(fmt::format("cannot restart log '{}' at negative offset {}", dir_, offset));
  while (!segments_.empty()) FLUSS_RETURN_NOT_OK(DeleteSegmentLocked(segments_.begin()));
  FLUSS_ASSIGN_OR_RETURN(auto seg, LogSegment::Create(fs_, dir_, offset, config_, open_segments_));
  segments_[offset] = std::move(seg);
  writers_.Clear();
  writers_.DeleteAllSnapshots();
  FLUSS_RETURN_NOT_OK(epochs_.Clear());
  high_watermark_ = offset;
  recovery_point_ = offset;
  FLUSS_RETURN_NOT_OK(fs_.SyncDirectory(dir_));
  dir_dirty_ = false;
  spdlog::info("log '{}': truncated fully, restarting at offset {}", dir_, offset);
  return Status::OK();
}

void LogTablet::SetRetentionHold(RetentionHold holder, int64_t offset) {
  std::lock_guard<std::mutex> guard(lock_);
  retention_holds_[static_cast<size_t>(holder)] = std::max<int64_t>(offset, -1);
}

int64_t LogTablet::retention_hold(RetentionHold holder) const {
  std::lock_guard<std::mutex> guard(lock_);
  return retention_holds_[static_cast<size_t>(holder)];
}

int64_t LogTablet::retention_floor() const {
  std::lock_guard<std::mutex> guard(lock_);
  return RetentionFloorLocked();
}

int64_t LogTablet::RetentionFloorLocked() const {
  int64_t floor = -1;
  for (int64_t hold : retention_holds_) {
    if (hold >= 0 && (floor < 0 || hold < floor)) floor = hold;
  }
  return floor;
}

Result<int> LogTablet::DeleteExpiredSegments() {
  std::lock_guard<std::mutex> guard(lock_);
  const int64_t now = clock_();
  const bool size_limited = config_.retention_bytes > 0 && config_.retention_bytes != LogConfig::kNoLimit;
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size();
  const int64_t floor = RetentionFloorLocked();
  int deleted = 0;
  while (segments_.size() > 1) {
    auto first = segments_.begin();
    LogSegment& seg = *first->second;
    const int64_t next_base = std::next(first)->first;
    // Only segments wholly below the high watermark and the retention floor may go.
    if (next_base > high_watermark_) break;
    if (floor >= 0 && next_base > floor) break;
    const bool expired = config_.retention_ms > 0 && seg.max_timestamp() < now - config_.retention_ms;
    const bool over_size = size_limited && total - seg.size() >= static_cast<uint64_t>(config_.retention_bytes);
    if (!expired && !over_size) break;
    spdlog::info("log '{}': deleting segment {} ({} bytes, newest batch at {} ms): {}", dir_, seg.base_offset(),
                 seg.size(), seg.max_timestamp(), expired ? "older than table.log.ttl" : "log over table.log.retention-size");
    total -= seg.size();
    FLUSS_RETURN_NOT_OK(DeleteSegmentLocked(first));
    ++deleted;
  }
  if (deleted > 0) {
    const int64_t start = LogStartLocked();
    high_watermark_ = std::max(high_watermark_, start);
    recovery_point_ = std::max(recovery_point_, start);
    FLUSS_RETURN_NOT_OK(epochs_.TruncateFromStart(start));
    writers_.TruncateHead(start);
    writers_.DeleteSnapshotsBefore(start);
  }
  return deleted;
}

size_t LogTablet::RemoveExpiredWriters() {
  std::lock_guard<std::mutex> guard(lock_);
  return writers_.RemoveExpired(clock_());
}

Status LogTablet::Close() {
  FLUSS_RETURN_NOT_OK(Flush());
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_) return Status::OK();
  FLUSS_RETURN_NOT_OK(active().OnBecomeInactive());
  // Writer state changes only with appends (which move the log end) and truncations (which reload
  // it from the snapshots): a snapshot at the log end already holds it, and an idle log closes
  // without writing (and syncing) one again.
  // Not synced on its own (a snapshot lost to a crash is skipped and the log replayed from an older
  // one): LogManager::Close syncs the file system once for all logs before it marks a clean shutdown.
  if (!writers_.HasSnapshotAt(LogEndLocked())) {
    FLUSS_RETURN_NOT_OK(writers_.TakeSnapshot(LogEndLocked(), /*sync=*/false));
  }
  // The files are not needed any more: their descriptors and maps go back to the budget.
  for (auto& [base, seg] : segments_) seg->CloseFiles();
  closed_ = true;
  return Status::OK();
}

Status LogTablet::Delete() {
  std::lock_guard<std::mutex> flush_guard(flush_lock_);
  std::lock_guard<std::mutex> guard(lock_);
  closed_ = true;
  if (Status st = fs_.RemoveAll(dir_); !st.ok()) {
    return st.WithContext(fmt::format("cannot remove log directory '{}'", dir_));
  }
  return Status::OK();
}

size_t LogTablet::num_segments() const {
  std::lock_guard<std::mutex> guard(lock_);
  return segments_.size();
}

size_t LogTablet::open_segment_count() const {
  std::lock_guard<std::mutex> guard(lock_);
  size_t n = 0;
  for (const auto& [base, seg] : segments_) n += seg->files_open() ? 1 : 0;
  return n;
}

uint64_t LogTablet::index_file_bytes() const {
  std::lock_guard<std::mutex> guard(lock_);
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->index_file_bytes();
  return total;
}

uint64_t LogTablet::index_mapped_bytes() const {
  std::lock_guard<std::mutex> guard(lock_);
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->index_mapped_bytes();
  return total;
}

std::vector<int64_t> LogTablet::segment_base_offsets() const {
  std::lock_guard<std::mutex> guard(lock_);
  std::vector<int64_t> out;
  for (const auto& [base, seg] : segments_) out.push_back(base);
  return out;
}

uint64_t LogTablet::size_in_bytes() const {
  std::lock_guard<std::mutex> guard(lock_);
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size();
  return total;
}

size_t LogTablet::writer_count() const {
  std::lock_guard<std::mutex> guard(lock_);
  return writers_.writer_count();
}

std::optional<WriterStateEntry> LogTablet::writer_state(int64_t writer_id) const {
  std::lock_guard<std::mutex> guard(lock_);
  const WriterStateEntry* e = writers_.Find(writer_id);
  if (e == nullptr) return std::nullopt;
  return *e;
}

std::vector<EpochEntry> LogTablet::leader_epochs() const {
  std::lock_guard<std::mutex> guard(lock_);
  return epochs_.entries();
}

EpochEntry LogTablet::EndOffsetForEpoch(int32_t epoch) const {
  std::lock_guard<std::mutex> guard(lock_);
  return epochs_.EndOffsetFor(epoch, LogEndLocked());
}

Status LogTablet::AssignLeaderEpoch(int32_t epoch, int64_t start_offset) {
  std::lock_guard<std::mutex> guard(lock_);
  return epochs_.Assign(epoch, start_offset);
}

}  // namespace fluss
