#include "server/replica/lake_retention_holds.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace fluss {

void LakeRetentionHolds::SetProvider(TieredOffsetsProvider provider) {
  std::lock_guard lock(mu_);
  provider_ = std::move(provider);
}

void LakeRetentionHolds::Forget(int64_t table_id) {
  std::lock_guard lock(mu_);
  warned_.erase(table_id);
}

void LakeRetentionHolds::Warn(const TableRecord& table, const std::string& what) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto [it, first] = warned_.try_emplace(table.table_id, now);
  if (!first && now - it->second < std::chrono::minutes(1)) return;
  it->second = now;
  spdlog::warn("log retention of lake table '{}' keeps every segment: {}", table.path.ToString(), what);
}

void LakeRetentionHolds::Update(const std::function<std::vector<LakeTable>()>& lake_tables) {
  TieredOffsetsProvider provider;
  {
    std::lock_guard lock(mu_);
    provider = provider_;
  }
  if (!provider) return;  // the holds stay where they are (0 from AddTable: nothing is deleted)
  for (const LakeTable& t : lake_tables()) {
    // The provider reads the lake (files): no lock is held meanwhile.
    Result<std::map<TableBucket, int64_t>> offsets = provider(t.record);
    if (!offsets.ok()) {
      Warn(t.record, fmt::format("cannot read the lake's tiered offsets: {}", offsets.status().ToString()));
      for (const auto& [bucket, log] : t.logs) log->SetRetentionHold(RetentionHold::kLakeTiered, 0);
      continue;
    }
    for (const auto& [bucket, log] : t.logs) {
      auto it = offsets->find(bucket);
      int64_t hold = it == offsets->end() ? 0 : std::max<int64_t>(it->second, 0);
      if (hold > log->log_end_offset()) {
        Warn(t.record, fmt::format("the lake holds {} up to offset {}, past its log end {} (a lake of another "
                                   "table of that name?)",
                                   bucket.ToString(), hold, log->log_end_offset()));
        hold = 0;
      }
      log->SetRetentionHold(RetentionHold::kLakeTiered, hold);
    }
  }
}

}  // namespace fluss
