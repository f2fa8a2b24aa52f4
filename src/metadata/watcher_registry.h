// WatcherRegistry: the watches of a MetadataStore and the ordered delivery of its events, shared by
// every store implementation. The store enqueues a change's events while it still holds its mutation
// lock (so the queue is in commit order) and calls Deliver() after releasing every lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metadata/metadata_store.h"

namespace fluss {

class WatcherRegistry {
 public:
  struct Event {
    MetadataEvent type;
    std::string name;
  };

  int64_t Add(MetadataWatcher watcher);
  // See MetadataStore::RemoveWatcher: waits while the watcher runs on another thread.
  void Remove(int64_t id);
  // Queues events for the watchers registered now.
  void Enqueue(std::vector<Event> events);
  // Delivers queued events, one at a time in queue order, unless another thread is delivering (then
  // that thread delivers them). Call with no store lock held.
  void Deliver();
  // Deliver(), then waits until every queued event has been delivered (also those queued meanwhile,
  // e.g. by a watcher's own mutation), by whichever thread delivers them. From inside a watcher it does not wait (the current delivery goes on after
  // the watcher returns). For stores whose events may also be queued by a background thread.
  void DeliverAndWait();

 private:
  struct Queued {
    Event event;
    int64_t watcher_limit;  // only watchers with a smaller id were registered when it was queued
  };

  std::mutex mu_;
  std::condition_variable idle_;  // signalled when a watcher call returns
  std::map<int64_t, std::shared_ptr<const MetadataWatcher>> watchers_;
  int64_t next_id_ = 1;
  std::deque<Queued> queue_;
  bool delivering_ = false;
  std::thread::id delivering_thread_;
  int64_t running_id_ = 0;  // watcher being called by the delivering thread, 0 if none
  uint64_t queued_count_ = 0;     // events ever queued
  uint64_t delivered_count_ = 0;  // events ever taken off the queue and delivered
};

}  // namespace fluss
