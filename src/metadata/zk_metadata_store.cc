#include "metadata/zk_metadata_store.h"

#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <chrono>

#include "metadata/metadata_errors_internal.h"
#include "metadata/zk_catalog.h"
#include "metadata/zk_cluster_registry.h"
#include "metadata/zk_paths.h"

namespace fluss {

// ---- opening and sessions ----

Result<std::unique_ptr<ZkMetadataStore>> ZkMetadataStore::Open(ZkOptions options, MetadataClock clock) {
  if (!clock) clock = metadata_internal::SystemMs;
  std::unique_ptr<ZkMetadataStore> store(new ZkMetadataStore(std::move(clock)));
  ZkMetadataStore* self = store.get();
  // Runs on the ZooKeeper client's completion thread: queues only.
  auto sink = [self](ZkEvent event) {
    Queued q;
    q.event = std::move(event);
    self->Post(std::move(q));
  };
  FLUSS_ASSIGN_OR_RETURN(store->zk_, ZkClient::Connect(std::move(options), std::move(sink)));
  store->catalog_ = std::make_unique<ZkCatalog>(*store->zk_, store->clock_, store->cache_, store->watchers_);
  store->registry_ = std::make_unique<ZkClusterRegistry>(*store->zk_, store->clock_);
  store->session_generation_ = 1;
  FLUSS_RETURN_NOT_OK(store->catalog_->EnsureZnodes());
  FLUSS_RETURN_NOT_OK(store->registry_->EnsureZnodes());
  FLUSS_RETURN_NOT_OK(store->catalog_->Sync());
  // What a drop of a partitioned table left to do, should a crash have stopped it.
  store->catalog_->DeleteDroppedPartitionAssignments();
  FLUSS_RETURN_NOT_OK(store->registry_->SyncServers());
  store->watchers_.Deliver();  // nothing registered yet; drops the initial "created" events
  store->background_ = std::thread([self] { self->BackgroundLoop(); });
  auto snap = store->Snapshot();
  spdlog::info("metadata: ZooKeeper store at '{}' under '{}' ({} databases, {} tables)", store->zk_->hosts(),
               store->zk_->base(), snap->databases.size(), snap->tables.size());
  return store;
}

ZkMetadataStore::ZkMetadataStore(MetadataClock clock) : clock_(std::move(clock)) {}

ZkMetadataStore::~ZkMetadataStore() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (zk_) zk_->Close();  // a reconnect in progress gives up
  if (background_.joinable()) background_.join();
  registry_.reset();
  catalog_.reset();
  zk_.reset();  // closes the session
}

const std::string& ZkMetadataStore::base_path() const { return zk_->base(); }

void ZkMetadataStore::Post(Queued item) {
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(item));
  }
  queue_cv_.notify_all();
}

void ZkMetadataStore::BackgroundLoop() {
  std::vector<TabletServerInfo> notified_servers = registry_->LiveTabletServers();
  const std::string servers_path = zk_->Path(zk_paths::TabletServerIds());
  const std::string active_path = zk_->Path(zk_paths::ActiveCoordinator());
  const std::string election_path = zk_->Path(zk_paths::CoordinatorElection());
  // A step that failed (a ZooKeeper timeout on a loaded ensemble, a dropped connection) has no watch
  // to bring it back: it is tried again after a backoff, with the next event or when the backoff ends.
  Steps retry;
  std::chrono::milliseconds backoff{0};
  while (true) {
    std::deque<Queued> items;
    {
      std::unique_lock lock(queue_mu_);
      auto ready = [&] { return stopping_ || !queue_.empty(); };
      if (retry.any()) {
        queue_cv_.wait_for(lock, backoff, ready);
      } else {
        queue_cv_.wait(lock, ready);
      }
      if (stopping_) return;
      items.swap(queue_);
    }
    Steps due = retry;
    bool expired = false;
    for (const Queued& q : items) {
      if (q.kind == Queued::kElection) {
        due.election = true;
        continue;
      }
      if (q.kind == Queued::kLeadershipLost) {
        if (auto listener = registry_->leadership_listener()) listener(false, q.epoch);
        continue;
      }
      if (!zk_->IsCurrent(q.event)) continue;  // an event of a closed handle (or a no-op item)
      if (q.event.type == ZOO_SESSION_EVENT) {
        if (q.event.state == ZOO_EXPIRED_SESSION_STATE) expired = true;
        if (q.event.state == ZOO_CONNECTED_STATE) due.sync = due.servers = due.election = true;  // a reconnect
      } else if (q.event.path.rfind(servers_path, 0) == 0) {
        due.servers = true;
      } else if (q.event.path == active_path || q.event.path.rfind(election_path, 0) == 0) {
        due.election = true;
      } else {
        due.sync = true;
      }
    }
    std::function<void(ZkSessionEvent)> session;
    if (expired) {
      spdlog::warn("metadata: ZooKeeper session expired; fencing and opening a new session");
      {
        std::lock_guard lock(listener_mu_);
        session = session_listener_;
      }
      registry_->FenceOnExpiry();
      if (session) session(ZkSessionEvent::kExpired);
      if (!zk_->Reconnect()) return;  // the store is closing
      session_generation_++;
      due.reregister = due.sync = due.servers = due.election = true;
    }
    retry = RunSteps(due);
    if (session) session(ZkSessionEvent::kReestablished);
    auto [live, listener] = registry_->LiveServersAndListener();
    if (live != notified_servers) {
      notified_servers = live;
      if (listener) listener(live);
    }
    if (retry.any()) {
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
    } else {
      backoff = std::chrono::milliseconds(0);
    }
  }
}

ZkMetadataStore::Steps ZkMetadataStore::RunSteps(Steps due) {
  Steps failed;
  auto run = [](bool& failed_flag, const char* what, const Status& st) {
    if (st.ok()) return;
    failed_flag = true;
    spdlog::warn("metadata: {} failed (trying again): {}", what, st.ToString());
  };
  if (due.reregister) run(failed.reregister, "re-registering tablet servers", registry_->ReRegisterTabletServers());
  if (due.sync) {
    run(failed.sync, "reloading from ZooKeeper", catalog_->Sync());
    watchers_.Deliver();
  }
  if (due.servers) run(failed.servers, "reloading live tablet servers", registry_->SyncServers());
  if (due.election) run(failed.election, "coordinator registration and election", registry_->TryBecomeLeader());
  return failed;
}

Status ZkMetadataStore::ExpireSessionForTesting() { return zk_->ExpireSessionForTesting(); }

void ZkMetadataStore::SetSessionListener(std::function<void(ZkSessionEvent)> listener) {
  std::lock_guard lock(listener_mu_);
  session_listener_ = std::move(listener);
}

// ---- the catalog ----

Status ZkMetadataStore::CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) {
  return catalog_->CreateDatabase(name, std::move(database_json), ignore_if_exists);
}

Result<std::vector<TableRecord>> ZkMetadataStore::DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                               bool cascade) {
  return catalog_->DropDatabase(name, ignore_if_not_exists, cascade);
}

Result<TableRecord> ZkMetadataStore::CreateTable(const TablePath& path, std::string table_json,
                                                 std::string schema_json, int32_t bucket_count,
                                                 std::vector<BucketAssignment> assignment, bool ignore_if_exists) {
  return catalog_->CreateTable(path, std::move(table_json), std::move(schema_json), bucket_count,
                               std::move(assignment), ignore_if_exists);
}

Result<TableRecord> ZkMetadataStore::DropTable(const TablePath& path, bool ignore_if_not_exists) {
  return catalog_->DropTable(path, ignore_if_not_exists);
}

Result<int32_t> ZkMetadataStore::AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                                           int32_t expected_version) {
  return catalog_->AddSchema(path, std::move(schema_json), std::move(new_table_json), expected_version);
}

Result<int32_t> ZkMetadataStore::UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                                  int32_t expected_version) {
  return catalog_->UpdateAssignment(table_id, std::move(assignment), expected_version);
}

Result<PartitionRecord> ZkMetadataStore::CreatePartition(const TablePath& path, int64_t table_id,
                                                         const std::string& partition_name,
                                                         std::vector<BucketAssignment> assignment,
                                                         int32_t max_partitions, bool ignore_if_exists) {
  return catalog_->CreatePartition(path, table_id, partition_name, std::move(assignment), max_partitions,
                                   ignore_if_exists);
}

Result<PartitionRecord> ZkMetadataStore::DropPartition(const TablePath& path, const std::string& partition_name,
                                                       bool ignore_if_not_exists) {
  return catalog_->DropPartition(path, partition_name, ignore_if_not_exists);
}

Result<int64_t> ZkMetadataStore::AllocateWriterId() { return catalog_->AllocateWriterId(); }

// ---- the cluster registry ----

Status ZkMetadataStore::RegisterTabletServer(int32_t id, std::string listeners, std::string rack) {
  return registry_->RegisterTabletServer(id, std::move(listeners), std::move(rack));
}

Status ZkMetadataStore::UnregisterTabletServer(int32_t id) { return registry_->UnregisterTabletServer(id); }

std::vector<TabletServerInfo> ZkMetadataStore::LiveTabletServers() const { return registry_->LiveTabletServers(); }

void ZkMetadataStore::SetLiveServersListener(std::function<void(const std::vector<TabletServerInfo>&)> listener) {
  registry_->SetLiveServersListener(std::move(listener));
}

Status ZkMetadataStore::StartCoordinatorElection(int32_t coordinator_id, std::string listeners,
                                                 std::function<void(bool, int64_t)> listener) {
  FLUSS_RETURN_NOT_OK(registry_->StartCandidacy(coordinator_id, std::move(listeners), std::move(listener)));
  Queued q;
  q.kind = Queued::kElection;
  Post(std::move(q));
  return Status::OK();
}

void ZkMetadataStore::ResignCoordinator() {
  std::optional<int64_t> epoch = registry_->Resign();
  if (!epoch) return;
  Queued q;
  q.kind = Queued::kLeadershipLost;
  q.epoch = *epoch;
  Post(std::move(q));
}

Result<std::vector<TabletServerInfo>> ZkMetadataStore::RegisteredCoordinators() const {
  return registry_->RegisteredCoordinators();
}

bool ZkMetadataStore::IsCoordinatorLeader() const { return registry_->IsLeader(); }

Result<int32_t> ZkMetadataStore::CoordinatorLeaderId() const { return registry_->CoordinatorLeaderId(); }

Result<std::optional<TabletServerInfo>> ZkMetadataStore::ActiveCoordinator() const {
  return registry_->ActiveCoordinator();
}

Result<std::string> ZkMetadataStore::EnsureClusterId(const std::string& candidate) {
  return registry_->EnsureClusterId(candidate);
}

Result<int32_t> ZkMetadataStore::SetLeaderAndIsr(const TableBucket& bucket, const LeaderAndIsr& value,
                                                 int32_t expected_version) {
  return registry_->SetLeaderAndIsr(bucket, value, expected_version);
}

Result<std::pair<LeaderAndIsr, int32_t>> ZkMetadataStore::GetLeaderAndIsr(const TableBucket& bucket) const {
  return registry_->GetLeaderAndIsr(bucket);
}

}  // namespace fluss
