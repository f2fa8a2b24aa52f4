// DelayedFetchQueue: fetches that asked for more bytes than were available (min_bytes) wait here,
// up to their max_wait, instead of returning empty and making the reader ask again at once. An
// append to a bucket a waiting fetch reads wakes it; a timer thread completes the ones whose wait
// ran out with whatever is there (Fluss's DelayedFetchLog; reference/fluss.md §9 fetch options).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "types/table_bucket.h"

namespace fluss {

class DelayedFetchQueue {
 public:
  using Clock = std::chrono::steady_clock;
  // Runs one attempt to complete a waiting fetch. `expired` is true once its max wait is over: then
  // it must answer with what is available and return true. Otherwise it returns true when it
  // answered (enough bytes now), false to keep waiting.
  using TryComplete = std::function<bool(bool expired)>;
  // Where attempts run (a worker pool), so neither the appender nor the timer thread reads logs.
  using Executor = std::function<void(std::function<void()>)>;

  explicit DelayedFetchQueue(Executor executor);
  ~DelayedFetchQueue();  // Stop()
  DelayedFetchQueue(const DelayedFetchQueue&) = delete;
  DelayedFetchQueue& operator=(const DelayedFetchQueue&) = delete;

  // Parks a fetch reading `buckets` until `deadline`.
  void Add(std::set<TableBucket> buckets, Clock::time_point deadline, TryComplete try_complete);
  // New data in `bucket`: every fetch waiting on it gets an attempt.
  void OnAppend(const TableBucket& bucket);
  // Completes every waiting fetch now (expired = true) and stops the timer thread.
  void Stop();
  size_t waiting() const;

 private:
  struct Waiter {
    std::set<TableBucket> buckets;
    Clock::time_point deadline;
    TryComplete try_complete;
    std::mutex attempt_mu;  // one attempt at a time
    bool done = false;      // guarded by attempt_mu
    bool expiry_scheduled = false;  // guarded by DelayedFetchQueue::mu_
  };
  using WaiterList = std::list<std::shared_ptr<Waiter>>;

  void Attempt(const std::shared_ptr<Waiter>& w, bool expired);
  void Remove(const std::shared_ptr<Waiter>& w);
  void TimerLoop();

  Executor executor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  WaiterList waiters_;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace fluss
