#include "metadata/watcher_registry.h"

namespace fluss {

int64_t WatcherRegistry::Add(MetadataWatcher watcher) {
  std::lock_guard lock(mu_);
  int64_t id = next_id_++;
  watchers_.emplace(id, std::make_shared<const MetadataWatcher>(std::move(watcher)));
  return id;
}

void WatcherRegistry::Remove(int64_t id) {
  std::unique_lock lock(mu_);
  watchers_.erase(id);
  if (delivering_thread_ == std::this_thread::get_id()) return;  // called from inside a watcher
  idle_.wait(lock, [&] { return running_id_ != id; });
}

void WatcherRegistry::Enqueue(std::vector<Event> events) {
  std::lock_guard lock(mu_);
  for (auto& e : events) queue_.push_back(Queued{std::move(e), next_id_});
  queued_count_ += events.size();
}

void WatcherRegistry::Deliver() {
  std::unique_lock lock(mu_);
  if (delivering_) return;
  delivering_ = true;
  delivering_thread_ = std::this_thread::get_id();
  while (!queue_.empty()) {
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    // Walk by id and look each watcher up again, so one removed meanwhile is not called.
    int64_t cursor = 0;
    for (auto it = watchers_.upper_bound(cursor); it != watchers_.end() && it->first < q.watcher_limit;
         it = watchers_.upper_bound(cursor)) {
      cursor = it->first;
      std::shared_ptr<const MetadataWatcher> watcher = it->second;
      running_id_ = cursor;
      lock.unlock();
      (*watcher)(q.event.type, q.event.name);
      lock.lock();
      running_id_ = 0;
      idle_.notify_all();
    }
    delivered_count_++;
  }
  delivering_ = false;
  delivering_thread_ = {};
  idle_.notify_all();
}

void WatcherRegistry::DeliverAndWait() {
  Deliver();
  std::unique_lock lock(mu_);
  if (delivering_thread_ == std::this_thread::get_id()) return;
  // Until the queue is drained, including events that watchers' own mutations queued meanwhile.
  idle_.wait(lock, [&] { return delivered_count_ >= queued_count_; });
}

}  // namespace fluss
