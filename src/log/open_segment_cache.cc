#include "log/open_segment_cache.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace fluss {

OpenSegmentCache::OpenSegmentCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void OpenSegmentCache::Touch(Entry* entry) {
  std::lock_guard lock(mu_);
  entry->last_used_ = std::chrono::steady_clock::now();
  if (entry->listed_) {
    if (entry->position_ == lru_.begin()) return;
    lru_.splice(lru_.begin(), lru_, entry->position_);
  } else {
    lru_.push_front(entry);
    entry->position_ = lru_.begin();
    entry->listed_ = true;
  }
  // Close from the least recently used end, skipping `entry` and whatever is in use.
  auto it = lru_.end();
  while (lru_.size() > capacity_ && it != lru_.begin()) {
    --it;
    Entry* candidate = *it;
    if (candidate == entry || !candidate->TryClose()) continue;
    candidate->listed_ = false;
    it = lru_.erase(it);
    ++closed_;
  }
}

void OpenSegmentCache::Remove(Entry* entry) {
  std::lock_guard lock(mu_);
  if (!entry->listed_) return;
  lru_.erase(entry->position_);
  entry->listed_ = false;
}

size_t OpenSegmentCache::CloseIdle(std::chrono::steady_clock::duration idle) {
  std::lock_guard lock(mu_);
  const auto before = std::chrono::steady_clock::now() - idle;
  size_t closed = 0;
  // Least recently used last: walk back from the end while the entries are idle long enough.
  auto it = lru_.end();
  while (it != lru_.begin()) {
    --it;
    Entry* candidate = *it;
    if (candidate->last_used_ > before) break;
    if (!candidate->TryClose()) continue;
    candidate->listed_ = false;
    it = lru_.erase(it);
    ++closed_;
    ++closed;
  }
  return closed;
}

size_t OpenSegmentCache::open_count() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

uint64_t OpenSegmentCache::closed_count() const {
  std::lock_guard lock(mu_);
  return closed_;
}

uint64_t SoftOpenFileLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<uint64_t>::max();
  }
  return static_cast<uint64_t>(r.rlim_cur);
}

Result<int64_t> ResolveOpenSegmentBudget(const LogConfig& config, uint64_t soft_limit) {
  const uint64_t limit = std::min<uint64_t>(soft_limit, std::numeric_limits<int64_t>::max() / 2);
  int64_t budget = config.open_files_max;
  const bool automatic = budget == 0;
  if (automatic) budget = std::min<int64_t>(static_cast<int64_t>(limit / 2), kMaxAutoOpenSegments);
  if (budget < kMinOpenSegments || static_cast<uint64_t>(budget + kOpenFilesReserve) > limit) {
    const int64_t shown = std::max(budget, kMinOpenSegments);
    // Auto needs half the limit >= the reserve; a set budget needs budget + reserve.
    const int64_t needed = automatic ? std::max(2 * kOpenFilesReserve, 2 * kMinOpenSegments) : shown + kOpenFilesReserve;
    return Status::Invalid(fmt::format(
        "the open-file limit (ulimit -n) is {}: too low for {} open segment files (log.open-files.max{}) plus {} "
        "descriptors for sockets, metadata and files opened briefly; raise the limit to at least {}{}",
        soft_limit, shown, automatic ? " = 0, auto: half the limit" : fmt::format(" = {}", budget), kOpenFilesReserve,
        needed, automatic ? "" : " or lower log.open-files.max"));
  }
  return budget;
}

}  // namespace fluss
