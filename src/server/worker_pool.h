// WorkerPool: a fixed set of threads running submitted tasks in FIFO order. Request handlers run
// here so the network threads only move bytes (DESIGN §3).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fluss {

class WorkerPool {
 public:
  WorkerPool(int threads, std::string name);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; after Stop() the task is dropped.
  void Submit(std::function<void()> task);
  // Runs the queued tasks, then joins the threads. Idempotent.
  void Stop();
  size_t queued() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace fluss
