#include "server/delayed_fetch.h"

#include <pthread.h>

#include <vector>

namespace fluss {

DelayedFetchQueue::DelayedFetchQueue(Executor executor) : executor_(std::move(executor)) {
  timer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "delayed-fetch");
    TimerLoop();
  });
}

DelayedFetchQueue::~DelayedFetchQueue() { Stop(); }

void DelayedFetchQueue::Add(std::set<TableBucket> buckets, Clock::time_point deadline, TryComplete try_complete) {
  auto w = std::make_shared<Waiter>();
  w->buckets = std::move(buckets);
  w->deadline = deadline;
  w->try_complete = std::move(try_complete);
  bool stopped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped = stopping_;
    if (!stopped) waiters_.push_back(w);
  }
  if (stopped) {
    Attempt(w, /*expired=*/true);
    return;
  }
  cv_.notify_one();
  // Data may have arrived between the caller's read and the registration: try once more.
  executor_([this, w] { Attempt(w, /*expired=*/false); });
}

void DelayedFetchQueue::OnAppend(const TableBucket& bucket) {
  std::vector<std::shared_ptr<Waiter>> woken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& w : waiters_) {
      if (w->buckets.count(bucket) != 0) woken.push_back(w);
    }
  }
  for (auto& w : woken) {
    executor_([this, w] { Attempt(w, /*expired=*/false); });
  }
}

void DelayedFetchQueue::Attempt(const std::shared_ptr<Waiter>& w, bool expired) {
  {
    std::lock_guard<std::mutex> lock(w->attempt_mu);
    if (w->done) return;
    if (!expired && Clock::now() >= w->deadline) expired = true;
    if (!w->try_complete(expired)) return;
    w->done = true;
  }
  Remove(w);
}

void DelayedFetchQueue::Remove(const std::shared_ptr<Waiter>& w) {
  std::lock_guard<std::mutex> lock(mu_);
  waiters_.remove(w);
}

size_t DelayedFetchQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.size();
}

void DelayedFetchQueue::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    std::vector<std::shared_ptr<Waiter>> expired;
    for (const auto& w : waiters_) {
      if (w->expiry_scheduled) continue;
      if (w->deadline <= now) {
        w->expiry_scheduled = true;
        expired.push_back(w);
      } else if (w->deadline < next) {
        next = w->deadline;
      }
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& w : expired) {
        executor_([this, w] { Attempt(w, /*expired=*/true); });
      }
      lock.lock();
      continue;
    }
    cv_.wait_until(lock, next);
  }
}

void DelayedFetchQueue::Stop() {
  std::vector<std::shared_ptr<Waiter>> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !timer_.joinable()) return;
    stopping_ = true;
    rest.assign(waiters_.begin(), waiters_.end());
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& w : rest) Attempt(w, /*expired=*/true);
}

}  // namespace fluss
