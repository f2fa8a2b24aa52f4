// ReplicaFetcherManager: the follower side of replication. One fetcher thread per source leader
// server; each keeps one RpcClient to its leader (address from the ServerResolver) and loops:
//   1. buckets that just became followers first ask the leader where their latest local leader
//      epoch ends (FETCH_LOG with truncation_epoch; docs/formats/replication.md) and truncate there;
//   2. then one FETCH_LOG (follower_server_id = this server, read up to the leader's log end, long
//      poll log.replica.fetch.wait-max-time) for all of them, appended with AppendAsFollower.
// A failed bucket backs off log.replica.fetch.backoff-interval (at most 100 ms when the leader has
// not heard of the bucket's table or epoch yet: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TABLE_OR_BUCKET); a
// lost connection backs off the whole thread. A bucket added while a long poll is in flight closes
// the connection, so the new bucket is fetched at once rather than after the poll. The Replica
// checks its role and leader epoch under its lock, so a stale fetcher never appends to a bucket
// that stopped following that leader epoch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "server/replica_manager.h"
#include "types/table_bucket.h"

namespace fluss {

class ReplicaFetcherThread;

class ReplicaFetcherManager {
 public:
  ReplicaFetcherManager(ReplicaManager* replicas, ReplicationOptions options);
  ~ReplicaFetcherManager();  // Stop()

  // Starts fetching `bucket` from `leader_id` at `leader_epoch` (truncating first); replaces an
  // earlier registration of the bucket.
  void AddBucket(TableBucket bucket, int32_t leader_id, int32_t leader_epoch);
  void RemoveBucket(TableBucket bucket);
  void Stop();

 private:
  ReplicaManager* replicas_;
  ReplicationOptions options_;
  std::mutex mu_;
  bool stopped_ = false;
  std::map<int32_t, std::unique_ptr<ReplicaFetcherThread>> threads_;  // by leader id
};

}  // namespace fluss
