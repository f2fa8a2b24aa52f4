// OpenSegmentCache: the budget of open segment files (log.open-files.max) shared by every bucket log
// of a LogManager, so tens of thousands of buckets fit the process's open-file limit.
//
// An entry is a segment whose files are open: its .log descriptor and its index mappings. Each use
// of a segment makes it the most recently used; while more entries than the budget are open, the
// least recently used ones are closed. A segment in use at that moment (its owner holds its files
// lock) is skipped rather than waited for, so the budget can be passed briefly by segments in use,
// never blocked on. A closed segment reopens its files on its next use. Descriptors pinned by
// FileRegions (fetches being served) stay open until the region goes and are not counted.
// Thread-safety: every method is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>

#include "log/log_config.h"

namespace fluss {

class OpenSegmentCache {
 public:
  // Something the cache can close: a segment's files.
  class Entry {
   public:
    Entry() = default;
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   protected:
    ~Entry() = default;
    // Closes the files unless they are in use right now (then returns false and changes nothing).
    // Called with the cache's lock held: it must not call the cache, and must not wait for a lock a
    // caller of the cache may hold (try_lock only).
    virtual bool TryClose() = 0;

   private:
    friend class OpenSegmentCache;
    std::list<Entry*>::iterator position_;
    std::chrono::steady_clock::time_point last_used_;
    bool listed_ = false;
  };

  // `capacity`: how many entries may be open at once (at least 1).
  explicit OpenSegmentCache(size_t capacity);
  OpenSegmentCache(const OpenSegmentCache&) = delete;
  OpenSegmentCache& operator=(const OpenSegmentCache&) = delete;

  // `entry` opened its files or used them: it becomes the most recently used, and the least
  // recently used others are closed while more than capacity() are open.
  void Touch(Entry* entry);
  // `entry` closed its files itself, or is being destroyed: it is no longer counted. REQUIRES: the
  // caller does not hold the entry's files lock (the cache may be closing it at this moment).
  void Remove(Entry* entry);
  // Closes the entries not used for `idle` or longer (but those in use now), so idle buckets hold
  // neither descriptors nor mapped pages whatever the budget. Returns how many it closed.
  size_t CloseIdle(std::chrono::steady_clock::duration idle);

  size_t capacity() const { return capacity_; }
  // Entries open now.
  size_t open_count() const;
  // Entries the cache has closed so far.
  uint64_t closed_count() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry*> lru_;  // most recently used first
  uint64_t closed_ = 0;
};

// LogManager closes the files of segments unused this long (its background thread).
inline constexpr std::chrono::seconds kSegmentIdleClose{60};

// Descriptors and memory maps a process keeps for things other than segments (sockets, the
// metadata log, RocksDB, files opened for a moment): the server checks its open-file limit covers
// log.open-files.max plus this many.
inline constexpr int64_t kOpenFilesReserve = 64;
// log.open-files.max = 0 (auto) resolves to half the soft open-file limit, at most this many (each
// open segment also holds up to two memory maps, and vm.max_map_count is 65530 by default).
inline constexpr int64_t kMaxAutoOpenSegments = 16384;
// ... and at least this many.
inline constexpr int64_t kMinOpenSegments = 16;

// The budget of open segments for `config` in a process whose soft RLIMIT_NOFILE is `soft_limit`:
// log.open-files.max when set, else half the limit, capped at kMaxAutoOpenSegments. An error (naming
// the numbers) when the limit cannot cover the budget plus kOpenFilesReserve.
Result<int64_t> ResolveOpenSegmentBudget(const LogConfig& config, uint64_t soft_limit);
// The soft RLIMIT_NOFILE of this process (RLIM_INFINITY as UINT64_MAX).
uint64_t SoftOpenFileLimit();

}  // namespace fluss
