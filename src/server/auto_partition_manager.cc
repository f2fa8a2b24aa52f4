#include "server/auto_partition_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "server/metadata_service.h"  // StoredDescriptor
#include "types/auto_partition.h"
#include "types/partition_spec.h"

namespace fluss {
namespace {

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AutoPartitionManager::AutoPartitionManager(MetadataStore* metadata, Actions actions, Options options)
    : metadata_(metadata), actions_(std::move(actions)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = WallClockMs;
  if (!options_.is_active) options_.is_active = [] { return true; };
  if (!options_.day_jitter_minutes) {
    options_.day_jitter_minutes = [](int64_t) {
      std::random_device seed;
      return std::uniform_int_distribution<int>(0, 23 * 60 - 1)(seed);
    };
  }
}

AutoPartitionManager::~AutoPartitionManager() { Stop(); }

void AutoPartitionManager::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void AutoPartitionManager::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AutoPartitionManager::TableCreated(const TablePath& path) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (started_) {
      pending_.insert(path);
      cv_.notify_all();
      return;
    }
  }
  auto table = metadata_->GetTable(path);
  if (!table.ok()) return;  // dropped meanwhile
  CheckResult ignored;
  std::lock_guard check(check_mu_);
  CheckTable(*table, /*force=*/true, &ignored);
}

void AutoPartitionManager::CheckAllSoon() {
  std::lock_guard lock(mu_);
  check_all_ = true;
  cv_.notify_all();
}

void AutoPartitionManager::Loop() {
  using Clock = std::chrono::steady_clock;
  auto next_full = Clock::now();  // a check of every table at start
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (pending_.empty() && !check_all_ && Clock::now() < next_full) {
      cv_.wait_until(lock, next_full, [&] { return stopping_ || !pending_.empty() || check_all_; });
      continue;
    }
    std::set<TablePath> tables;
    tables.swap(pending_);
    const bool full = check_all_ || Clock::now() >= next_full;
    check_all_ = false;
    lock.unlock();
    if (full) {
      CheckAll(/*force=*/false);
      next_full = Clock::now() + std::chrono::milliseconds(options_.check_interval_ms);
    }
    for (const auto& path : tables) {
      auto table = metadata_->GetTable(path);
      if (!table.ok()) continue;
      CheckResult ignored;
      std::lock_guard check(check_mu_);
      if (options_.is_active()) CheckTable(*table, /*force=*/true, &ignored);
    }
    lock.lock();
  }
}

AutoPartitionManager::CheckResult AutoPartitionManager::CheckAll(bool force) {
  CheckResult result;
  std::lock_guard check(check_mu_);
  if (!options_.is_active()) return result;
  for (const TableRecord& table : metadata_->ListAllTables()) CheckTable(table, force, &result);
  if (result.created > 0 || result.dropped > 0) {
    spdlog::info("auto-partitioning: created {} and dropped {} partitions", result.created, result.dropped);
  }
  return result;
}

int AutoPartitionManager::JitterMinutes(int64_t table_id) {
  auto it = jitter_.find(table_id);
  if (it == jitter_.end()) it = jitter_.emplace(table_id, options_.day_jitter_minutes(table_id)).first;
  return it->second;
}

void AutoPartitionManager::CheckTable(const TableRecord& table, bool force, CheckResult* result) {
  const std::string name = table.path.ToString();
  auto descriptor = StoredDescriptor(table);
  if (!descriptor.ok() || !descriptor->is_partitioned()) return;
  auto strategy = AutoPartitionStrategy::FromProperties(descriptor->properties());
  if (!strategy.ok()) {
    spdlog::warn("auto-partitioning of table '{}' skipped: {}", name, strategy.status().ToString());
    return;
  }
  if (!strategy->enabled) return;
  auto format = strategy->Format();
  if (!format.ok()) {
    spdlog::warn("auto-partitioning of table '{}' skipped: {}", name, format.status().ToString());
    return;
  }
  auto zone_it = zones_.find(strategy->time_zone);
  if (zone_it == zones_.end()) {
    auto zone = strategy->Zone();
    if (!zone.ok()) {
      spdlog::warn("auto-partitioning of table '{}' skipped: {}", name, zone.status().ToString());
      return;
    }
    zone_it = zones_.emplace(strategy->time_zone, *zone).first;
  }
  auto partitions = metadata_->ListPartitions(table.path);
  if (!partitions.ok()) return;  // dropped meanwhile
  std::vector<std::string> existing;
  for (const auto& p : *partitions) {
    if (p.table_id == table.table_id) existing.push_back(p.partition_name);
  }
  const int64_t now = options_.clock();
  int64_t create_now = now;
  if (!force && strategy->time_unit == AutoPartitionTimeUnit::kDay) {
    create_now -= int64_t{JitterMinutes(table.table_id)} * 60 * 1000;
  }
  const std::vector<std::string>& keys = descriptor->partition_keys();
  const AutoPartitionPlan plan =
      PlanAutoPartitions(*strategy, *format, zone_it->second, keys, existing, now, create_now);
  auto spec_of = [&](const std::string& partition) -> Result<PartitionSpec> {
    FLUSS_ASSIGN_OR_RETURN(auto resolved, ResolvedPartitionSpec::FromName(keys, partition));
    PartitionSpec spec;
    for (size_t i = 0; i < keys.size(); ++i) spec[keys[i]] = resolved.values()[i];
    return spec;
  };
  for (const std::string& partition : plan.to_drop) {
    auto spec = spec_of(partition);
    Status st = spec.ok() ? actions_.drop(table.path, *spec) : spec.status();
    if (st.ok()) {
      ++result->dropped;
      spdlog::info("auto-partitioning dropped partition '{}' of table '{}' (older than the {} kept)", partition, name,
                   strategy->num_retention);
    } else {
      spdlog::warn("auto-partitioning could not drop partition '{}' of table '{}' (tried again at the next check): {}",
                   partition, name, st.ToString());
    }
  }
  for (const std::string& partition : plan.to_create) {
    auto spec = spec_of(partition);
    Status st = spec.ok() ? actions_.create(table.path, *spec) : spec.status();
    if (st.ok()) {
      ++result->created;
      spdlog::info("auto-partitioning created partition '{}' of table '{}'", partition, name);
    } else {
      spdlog::warn("auto-partitioning could not create partition '{}' of table '{}' (tried again at the next "
                   "check): {}",
                   partition, name, st.ToString());
    }
  }
}

}  // namespace fluss
