// TabletService: the tablet server's APIs — PRODUCE_LOG, FETCH_LOG, LIST_OFFSETS, PUT_KV, LOOKUP,
// PREFIX_LOOKUP, SCAN_KV, and the coordinator's NOTIFY_LEADER_AND_ISR and STOP_REPLICA. It parses
// requests, hands them to the ReplicaManager and builds the answers; long-poll fetches and acks=-1
// writes wait in the delayed queues. ProduceLog and PutKv run on the connection's network thread so
// that pipelined writes of one connection keep their order; the rest run on the worker pool.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "metadata/metadata_store.h"
#include "server/api_table.h"
#include "server/delayed_fetch.h"
#include "server/replica_manager.h"
#include "server/server_config.h"

namespace fluss {

class TabletService {
 public:
  // Sees each NOTIFY_LEADER_AND_ISR / STOP_REPLICA request before the replicas act on it (the
  // cluster member records what the coordinator said). Called on a worker thread.
  struct Observers {
    std::function<void(const proto::NotifyLeaderAndIsrRequest&)> notify_leader_and_isr;
    std::function<void(const proto::StopReplicaRequest&)> stop_replica;
  };

  // `delayed_produces` (cluster mode): where acks=-1 writes wait for the high watermark; null:
  // writes are answered after the leader's append. Every pointer outlives the service.
  TabletService(const ServerConfig& config, MetadataStore* metadata, ReplicaManager* replicas,
                DelayedFetchQueue* delayed_fetches, DelayedFetchQueue* delayed_produces = nullptr,
                Observers observers = {});

  // Adds the APIs above to `table`.
  Status Register(ApiTable& table);

  // Opens the replicas of a table of the metadata store (its logs, and KV state for a primary-key
  // table); for a partitioned table, those of each of its partitions.
  Status OpenTable(const TableRecord& record);
  // Opens every table of the metadata store.
  Status LoadTables();

  // The tablet side of a partition's life (standalone: called by the coordinator's placement).
  // PartitionCreated opens the replicas of the partition's buckets (ReplicaManager::AddPartition);
  // PartitionDropped stops them and deletes the partition's directory.
  Status PartitionCreated(const TableRecord& table, const PartitionRecord& partition);
  void PartitionDropped(const TableRecord& table, const PartitionRecord& partition);

 private:
  // May answer later (acks=-1 once the high watermark covers the write; fetch on long poll), so
  // they take the responder.
  void ProduceLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder);
  void PutKv(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder);
  void FetchLog(const std::string& body, const std::shared_ptr<rpc::RpcResponder>& responder);
  Result<std::string> ListOffsets(const std::string& body);
  Result<std::string> Lookup(const std::string& body);
  Result<std::string> PrefixLookup(const std::string& body);
  Result<std::string> ScanKv(const std::string& body);
  Result<std::string> NotifyLeaderAndIsr(const std::string& body);
  Result<std::string> StopReplica(const std::string& body);
  // Answers `response` once every pending bucket is acknowledged (or fails / times out).
  template <typename Response>
  void AwaitAcks(std::shared_ptr<Response> response, std::vector<ReplicaManager::PendingAck> pending,
                 int64_t timeout_ms, const std::shared_ptr<rpc::RpcResponder>& responder);

  const ServerConfig& config_;
  MetadataStore* metadata_;
  ReplicaManager* replicas_;
  DelayedFetchQueue* delayed_fetches_;
  DelayedFetchQueue* delayed_produces_;
  Observers observers_;
};

}  // namespace fluss
