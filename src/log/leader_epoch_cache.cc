#include "log/leader_epoch_cache.h"

#include <fmt/format.h>

#include <charconv>

#include "log/checkpoint_file.h"
#include "log/file_io.h"

namespace fluss {

Result<LeaderEpochCache> LeaderEpochCache::Load(const std::string& dir, FileSystem& fs) {
  LeaderEpochCache cache(fmt::format("{}/{}", dir, kLeaderEpochCheckpointFile), fs);
  FLUSS_ASSIGN_OR_RETURN(bool exists, fs.Exists(cache.path_));
  if (!exists) return cache;
  FLUSS_ASSIGN_OR_RETURN(auto bytes, fs.ReadFile(cache.path_));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  FLUSS_ASSIGN_OR_RETURN(auto entries, ParseCheckpointText(text, cache.path_));
  for (const auto& [epoch_text, offset] : entries) {
    int32_t epoch = 0;
    auto [end, ec] = std::from_chars(epoch_text.data(), epoch_text.data() + epoch_text.size(), epoch);
    if (ec != std::errc() || end != epoch_text.data() + epoch_text.size()) {
      return Status::Corruption(fmt::format("leader epoch checkpoint '{}': bad epoch '{}'", cache.path_, epoch_text));
    }
    if (!cache.entries_.empty() &&
        (epoch <= cache.entries_.back().epoch || offset < cache.entries_.back().start_offset)) {
      return Status::Corruption(fmt::format("leader epoch checkpoint '{}': entries not ascending", cache.path_));
    }
    cache.entries_.push_back({epoch, offset});
  }
  return cache;
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

Status LeaderEpochCache::Persist() const {
  std::vector<std::pair<std::string, int64_t>> rows;
  for (const EpochEntry& e : entries_) rows.emplace_back(std::to_string(e.epoch), e.start_offset);
  return WriteFileDurably(*fs_, path_, FormatCheckpointText(rows));
}

Status LeaderEpochCache::Assign(int32_t epoch, int64_t start_offset) {
  if (epoch < 0 || (!entries_.empty() && epoch <= entries_.back().epoch)) return Status::OK();
  while (!entries_.empty() && entries_.back().start_offset >= start_offset) entries_.pop_back();
  entries_.push_back({epoch, start_offset});
  return Persist();
}

EpochEntry LeaderEpochCache::EndOffsetFor(int32_t epoch, int64_t log_end_offset) const {
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= epoch) {
      int64_t end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end_offset;
      return {entries_[i].epoch, end};
    }
  }
  return {-1, -1};
}

Status LeaderEpochCache::TruncateFromEnd(int64_t end_offset) {
  size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) entries_.pop_back();
  return entries_.size() == before ? Status::OK() : Persist();
}

Status LeaderEpochCache::TruncateFromStart(int64_t start_offset) {
  size_t first_kept = 0;  // the last entry starting at or before start_offset holds it
  while (first_kept + 1 < entries_.size() && entries_[first_kept + 1].start_offset <= start_offset) ++first_kept;
  if (entries_.empty() || (first_kept == 0 && entries_[0].start_offset >= start_offset)) return Status::OK();
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(first_kept));
  entries_.front().start_offset = std::max(entries_.front().start_offset, start_offset);
  return Persist();
}

Status LeaderEpochCache::Clear() {
  entries_.clear();
  return Persist();
}

}  // namespace fluss
