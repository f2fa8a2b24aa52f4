#include "log/log_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "log/checkpoint_file.h"
#include "log/file_io.h"

namespace fluss {

namespace fs = std::filesystem;

namespace {

// Threads that close logs at shutdown (each mostly waits on fsyncs).
constexpr size_t kCloseThreads = 16;

// Removes `top` and everything below it after a failed create of the log in `leaf` (below `top`).
// Empty directories go with plain rmdir first, which needs no descriptor (the create may have failed
// for want of one; the file-system layer has no rmdir of its own); anything left goes recursively
// through the layer.
void RemoveFailedLogDirs(FileSystem& file_system, const fs::path& leaf, const fs::path& top) {
  // (A directory the create did not get to make is skipped.)
  for (fs::path p = leaf; ::rmdir(p.c_str()) == 0 || errno == ENOENT; p = p.parent_path()) {
    if (p == top) return;
  }
  if (Status st = file_system.RemoveAll(top.string()); !st.ok()) {
    spdlog::warn("cannot remove '{}' after a failed create: {}", top.string(), st.message());
  }
}

}  // namespace

LogManager::LogManager(std::string data_dir, LogConfig config, LogManagerOptions options)
    : data_dir_(std::move(data_dir)),
      config_(config),
      options_(std::move(options)),
      fs_(options_.file_system != nullptr ? *options_.file_system : FileSystem::Local()) {}

Status LogManager::RemoveInterruptedWrites() {
  FLUSS_ASSIGN_OR_RETURN(auto names, fs_.ListDirectory(data_dir_));
  for (const std::string& name : names) {
    if (!IsDurableWriteTemporary(name)) continue;
    for (std::string_view file : {kRecoveryPointCheckpointFile, kHighWatermarkCheckpointFile, kCleanShutdownFile}) {
      if (name.starts_with(file) && name.size() > file.size() && name[file.size()] == '.') {
        FLUSS_RETURN_NOT_OK(fs_.Remove(fmt::format("{}/{}", data_dir_, name)));
      }
    }
  }
  return Status::OK();
}

std::string LogManager::BucketDir(std::string_view database, std::string_view table, int64_t table_id, int32_t bucket,
                                  std::optional<std::pair<std::string, int64_t>> partition) {
  if (partition) {
    return fmt::format("{}/{}-{}/{}-p{}/log-{}", database, table, table_id, partition->first, partition->second, bucket);
  }
  return fmt::format("{}/{}-{}/log-{}", database, table, table_id, bucket);
}

Result<std::unique_ptr<LogManager>> LogManager::Open(std::string data_dir, LogConfig config, LogManagerOptions options) {
  FLUSS_RETURN_NOT_OK(config.Validate());
  if (!options.clock) options.clock = SystemClockMs;
  FileSystem& file_system = options.file_system != nullptr ? *options.file_system : FileSystem::Local();
  if (Status st = file_system.CreateDirectories(data_dir); !st.ok()) {
    return st.WithContext(fmt::format("cannot create data dir '{}'", data_dir));
  }
  FLUSS_ASSIGN_OR_RETURN(int64_t open_budget, ResolveOpenSegmentBudget(config, SoftOpenFileLimit()));
  std::unique_ptr<LogManager> m(new LogManager(data_dir, config, options));
  m->open_segments_ = std::make_shared<OpenSegmentCache>(static_cast<size_t>(open_budget));
  FLUSS_RETURN_NOT_OK(m->RemoveInterruptedWrites());
  const std::string marker = fmt::format("{}/{}", data_dir, kCleanShutdownFile);
  FLUSS_ASSIGN_OR_RETURN(m->clean_start_, file_system.Exists(marker));
  FLUSS_ASSIGN_OR_RETURN(
      m->recovery_points_,
      OffsetCheckpointFile(fmt::format("{}/{}", data_dir, kRecoveryPointCheckpointFile), file_system).Read());
  FLUSS_ASSIGN_OR_RETURN(
      m->high_watermarks_,
      OffsetCheckpointFile(fmt::format("{}/{}", data_dir, kHighWatermarkCheckpointFile), file_system).Read());
  // The marker only vouches for the state it was written for: remove it before anything changes.
  if (m->clean_start_) {
    FLUSS_RETURN_NOT_OK(file_system.Remove(marker));
    FLUSS_RETURN_NOT_OK(file_system.SyncDirectory(data_dir));
  }
  spdlog::info("log manager: '{}' opened after {} shutdown ({} logs checkpointed); at most {} segments keep files open",
               data_dir, m->clean_start_ ? "a clean" : "an unclean", m->recovery_points_.size(), open_budget);
  if (options.background) m->StartBackground();
  return m;
}

void LogManager::StartBackground() {
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_ || background_.joinable()) return;
  background_ = std::thread([this] { BackgroundLoop(); });
}

void LogManager::SetBeforeRetention(std::function<void()> hook) {
  std::lock_guard<std::mutex> guard(lock_);
  before_retention_ = std::move(hook);
}

LogTabletOptions LogManager::ExistingLogOptions(const std::string& relative_dir) const {
  LogTabletOptions o;
  auto rp = recovery_points_.find(relative_dir);
  auto hw = high_watermarks_.find(relative_dir);
  o.recovery_point = rp == recovery_points_.end() ? 0 : rp->second;
  o.clean_shutdown = clean_start_ && rp != recovery_points_.end();
  o.high_watermark = hw == high_watermarks_.end() ? 0 : hw->second;
  o.clock = options_.clock;
  o.open_segments = open_segments_;
  o.file_system = &fs_;
  return o;
}

LogTabletOptions LogManager::NewLogOptions() const {
  LogTabletOptions o;
  o.clock = options_.clock;
  o.clean_shutdown = true;  // a new log has nothing to recover
  o.open_segments = open_segments_;
  o.file_system = &fs_;
  return o;
}

Status LogManager::OpenLogs(const std::vector<std::string>& relative_dirs) {
  std::vector<std::string> dirs;
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (closed_) return Status::Unavailable("log manager is closed");
    for (const auto& d : relative_dirs) {
      if (!logs_.contains(d)) dirs.push_back(d);
    }
  }
  std::vector<std::optional<Result<std::unique_ptr<LogTablet>>>> opened(dirs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < dirs.size(); i = next++) {
      opened[i] = LogTablet::Open(fmt::format("{}/{}", data_dir_, dirs[i]), config_, ExistingLogOptions(dirs[i]));
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min<size_t>(static_cast<size_t>(config_.recovery_threads), dirs.size());
  for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  Status first;
  std::lock_guard<std::mutex> guard(lock_);
  for (size_t i = 0; i < dirs.size(); ++i) {
    Result<std::unique_ptr<LogTablet>>& r = *opened[i];
    if (!r.ok()) {
      if (first.ok()) first = r.status().WithContext(fmt::format("opening log '{}'", dirs[i]));
      continue;
    }
    logs_.emplace(dirs[i], std::shared_ptr<LogTablet>(std::move(r).value()));
  }
  return first;
}

LogManager::~LogManager() {
  Status st = Close();
  if (!st.ok()) spdlog::error("log manager '{}': close failed: {}", data_dir_, st.ToString());
}

Result<std::shared_ptr<LogTablet>> LogManager::GetOrCreateLog(const std::string& relative_dir) {
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_) return Status::Unavailable("log manager is closed");
  if (auto it = logs_.find(relative_dir); it != logs_.end()) return it->second;
  const std::string dir = fmt::format("{}/{}", data_dir_, relative_dir);
  LogTabletOptions o;
  fs::path created;  // the first directory of the path that did not exist: a failed create removes it
  FLUSS_ASSIGN_OR_RETURN(bool exists, fs_.Exists(dir));
  if (exists) {
    o = ExistingLogOptions(relative_dir);
  } else {
    o = NewLogOptions();
    for (fs::path p = fs::path(dir); p != fs::path(data_dir_) && p.has_relative_path(); p = p.parent_path()) {
      std::error_code exists_ec;
      if (!fs::exists(fs::symlink_status(p, exists_ec))) created = p;  // a dangling link is not ours
    }
  }
  auto log = LogTablet::Open(dir, config_, o);
  if (!log.ok()) {
    // So that the next start finds nothing half made.
    if (!created.empty()) RemoveFailedLogDirs(fs_, fs::path(dir), created);
    return log.status();
  }
  std::shared_ptr<LogTablet> shared(std::move(log).value());
  logs_[relative_dir] = shared;
  return shared;
}

Status LogManager::CreateLogs(const std::vector<std::string>& relative_dirs) {
  std::lock_guard<std::mutex> guard(lock_);
  if (closed_) return Status::Unavailable("log manager is closed");
  const fs::path root(data_dir_);
  std::vector<std::string> new_logs;
  std::vector<fs::path> made;      // every directory made, in the order made
  std::set<std::string> parents;  // the directories that got a new name
  // Deepest first: each directory is empty by then unless a log was opened in it, so removing it
  // needs no descriptor — the create may have failed because the process has none left (EMFILE).
  auto remove_made = [&] {
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      if (Status st = fs_.RemoveAll(it->string()); !st.ok()) {
        spdlog::warn("cannot remove '{}' after a failed create: {}", it->string(), st.message());
      }
    }
  };
  // 1. Every missing directory, none synced yet.
  for (const std::string& relative_dir : relative_dirs) {
    if (logs_.contains(relative_dir)) continue;
    const fs::path dir = root / relative_dir;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(dir, ec))) continue;  // an existing log: GetOrCreateLog's business
    std::vector<fs::path> missing;
    for (fs::path p = dir; p != root && p.has_relative_path(); p = p.parent_path()) {
      if (fs::exists(fs::symlink_status(p, ec))) break;
      missing.push_back(p);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (Status st = fs_.CreateDirectoryUnsynced(it->string()); !st.ok()) {
        remove_made();
        return st.WithContext(fmt::format("cannot create log directory '{}'", dir.string()));
      }
      made.push_back(*it);
      parents.insert(it->parent_path().string());
    }
    new_logs.push_back(relative_dir);
  }
  // 2. One fsync per directory that got a new name. A new name is durable once the directory holding
  // it is synced; fsync of a directory covers every name added to it before the call, so one sync
  // after all of a parent's mkdirs gives each new directory the durability CreateDirectories gives it
  // with a sync per mkdir. After these syncs every directory made above survives a crash, before any
  // log in it is opened and so before the caller acknowledges anything stored there. The segment
  // files the logs create next are synced into their log directory by the log itself (LogTablet:
  // dir_dirty_, synced with its first flush), as for any log.
  for (const std::string& parent : parents) {
    if (Status st = fs_.SyncDirectory(parent); !st.ok()) {
      remove_made();
      return st;
    }
  }
  // 3. The logs, each created empty in its durable directory (CreateDirectories finds it: no sync).
  std::vector<std::string> opened;
  for (const std::string& relative_dir : new_logs) {
    auto log = LogTablet::Open(fmt::format("{}/{}", data_dir_, relative_dir), config_, NewLogOptions());
    if (!log.ok()) {
      for (const std::string& dir : opened) {
        (void)logs_[dir]->Delete();
        logs_.erase(dir);
      }
      remove_made();
      return log.status();
    }
    logs_[relative_dir] = std::shared_ptr<LogTablet>(std::move(log).value());
    opened.push_back(relative_dir);
  }
  return Status::OK();
}

std::shared_ptr<LogTablet> LogManager::GetLog(const std::string& relative_dir) const {
  std::lock_guard<std::mutex> guard(lock_);
  auto it = logs_.find(relative_dir);
  return it == logs_.end() ? nullptr : it->second;
}

std::vector<std::string> LogManager::LogDirs() const {
  std::lock_guard<std::mutex> guard(lock_);
  std::vector<std::string> out;
  for (const auto& [dir, log] : logs_) out.push_back(dir);
  return out;
}

Status LogManager::DropLog(const std::string& relative_dir) {
  std::shared_ptr<LogTablet> log;
  {
    std::lock_guard<std::mutex> guard(lock_);
    auto it = logs_.find(relative_dir);
    if (it == logs_.end()) return Status(ErrorCode::kUnknownTableOrBucket, fmt::format("no log '{}'", relative_dir));
    log = it->second;
    logs_.erase(it);
  }
  return log->Delete();
}

std::vector<std::pair<std::string, std::shared_ptr<LogTablet>>> LogManager::Snapshot() const {
  std::lock_guard<std::mutex> guard(lock_);
  return {logs_.begin(), logs_.end()};
}

Status LogManager::FlushLogs(bool force) {
  const int64_t now = options_.clock();
  Status first_error;
  for (auto& [dir, log] : Snapshot()) {
    const int64_t since = log->UnflushedSinceMs();
    if (since < 0 || (!force && now - since < config_.flush_interval_ms)) continue;
    Status st = log->Flush();
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  return first_error;
}

Status LogManager::CheckpointRecoveryPoints() {
  std::map<std::string, int64_t> offsets;
  for (auto& [dir, log] : Snapshot()) offsets[dir] = log->recovery_point();
  return OffsetCheckpointFile(fmt::format("{}/{}", data_dir_, kRecoveryPointCheckpointFile), fs_).Write(offsets);
}

Status LogManager::CheckpointHighWatermarks() {
  std::map<std::string, int64_t> offsets;
  for (auto& [dir, log] : Snapshot()) offsets[dir] = log->high_watermark();
  return OffsetCheckpointFile(fmt::format("{}/{}", data_dir_, kHighWatermarkCheckpointFile), fs_).Write(offsets);
}

Result<int> LogManager::ApplyRetention() {
  std::lock_guard<std::mutex> pass(retention_lock_);
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> guard(lock_);
    hook = before_retention_;
  }
  if (hook) hook();
  int total = 0;
  for (auto& [dir, log] : Snapshot()) {
    FLUSS_ASSIGN_OR_RETURN(int n, log->DeleteExpiredSegments());
    total += n;
  }
  return total;
}

size_t LogManager::ExpireWriters() {
  size_t total = 0;
  for (auto& [dir, log] : Snapshot()) total += log->RemoveExpiredWriters();
  return total;
}

void LogManager::BackgroundLoop() {
  using Clock = std::chrono::steady_clock;
  auto last_rp = Clock::now(), last_hw = Clock::now(), last_retention = Clock::now(), last_expiry = Clock::now();
  auto last_idle_close = Clock::now();
  auto due = [](Clock::time_point& last, int64_t interval_ms) {
    if (interval_ms <= 0 || Clock::now() - last < std::chrono::milliseconds(interval_ms)) return false;
    last = Clock::now();
    return true;
  };
  const int64_t tick_ms = std::clamp<int64_t>(config_.flush_interval_ms > 0 ? config_.flush_interval_ms / 4 : 100, 1, 100);
  std::unique_lock<std::mutex> lk(bg_lock_);
  while (!stop_) {
    bg_cv_.wait_for(lk, std::chrono::milliseconds(tick_ms));
    if (stop_) break;
    lk.unlock();
    auto report = [&](const char* what, const Status& st) {
      if (!st.ok()) spdlog::error("log manager '{}': {} failed: {}", data_dir_, what, st.ToString());
    };
    if (config_.flush_interval_ms > 0) report("flush", FlushLogs(false));
    if (due(last_rp, config_.recovery_point_checkpoint_interval_ms)) report("recovery point checkpoint", CheckpointRecoveryPoints());
    if (due(last_hw, config_.high_watermark_checkpoint_interval_ms)) report("high watermark checkpoint", CheckpointHighWatermarks());
    if (due(last_retention, config_.retention_check_interval_ms)) report("retention", ApplyRetention().status());
    if (due(last_expiry, config_.writer_expiration_check_interval_ms)) ExpireWriters();
    if (due(last_idle_close, std::chrono::duration_cast<std::chrono::milliseconds>(kSegmentIdleClose).count() / 4)) {
      open_segments_->CloseIdle(kSegmentIdleClose);
    }
    lk.lock();
  }
}

Status LogManager::Close() {
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (closed_) return Status::OK();
    closed_ = true;
  }
  {
    std::lock_guard<std::mutex> lk(bg_lock_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (background_.joinable()) background_.join();
  // Closing a log mostly waits for fsyncs (its last flush, its writer snapshot), which the file system
  // commits together when they come at once: close many logs in parallel.
  const auto logs = Snapshot();
  std::vector<Status> closed(logs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < logs.size(); i = next++) closed[i] = logs[i].second->Close();
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(kCloseThreads, logs.size()); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  Status first_error;
  for (size_t i = 0; i < logs.size() && first_error.ok(); ++i) {
    if (!closed[i].ok()) first_error = closed[i].WithContext(fmt::format("closing log '{}'", logs[i].first));
  }
  // What the logs wrote without syncing (writer snapshots) becomes durable here, at once.
  if (first_error.ok()) first_error = fs_.SyncFileSystem(data_dir_);
  FLUSS_RETURN_NOT_OK(CheckpointRecoveryPoints());
  FLUSS_RETURN_NOT_OK(CheckpointHighWatermarks());
  if (!first_error.ok()) return first_error;  // no clean marker: the next start recovers
  return WriteFileDurably(fs_, fmt::format("{}/{}", data_dir_, kCleanShutdownFile), std::string_view());
}

}  // namespace fluss
