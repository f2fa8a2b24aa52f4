#include "metadata/zk_metadata_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "metadata/metadata_errors_internal.h"
#include "types/table_descriptor.h"

namespace fluss {
namespace {

using nlohmann::json;
using Events = std::vector<WatcherRegistry::Event>;

constexpr int kMaxRetries = 50;  // CAS / multi retries against concurrent stores before giving up

using metadata_internal::DatabaseNotExist;
using metadata_internal::SystemMs;
using metadata_internal::TableIdNotExist;
using metadata_internal::TableNotExist;
using metadata_internal::ValidatePath;
using metadata_internal::VersionMismatch;

// Reads an integer field of a znode body; false when missing or not an integer in range.
template <typename Int>
bool ReadInt(const json& obj, const char* key, Int* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return false;
    *out = static_cast<Int>(u);
    return true;
  }
  int64_t i = it->get<int64_t>();
  if (i < std::numeric_limits<Int>::min() || i > std::numeric_limits<Int>::max()) return false;
  *out = static_cast<Int>(i);
  return true;
}

bool ReadIntArray(const json& obj, const char* key, std::vector<int32_t>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return false;
  for (const json& v : *it) {
    if (!v.is_number_integer()) return false;
    int64_t i = v.get<int64_t>();
    if (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max()) return false;
    out->push_back(static_cast<int32_t>(i));
  }
  return true;
}

Result<json> ParseObject(const std::string& data, const std::string& path) {
  json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(fmt::format("znode '{}' does not hold a JSON object", path));
  }
  return j;
}

Result<int64_t> ParseCounter(const std::string& data, const std::string& path) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), v);
  if (ec != std::errc() || end != data.data() + data.size() || v < 0) {
    return Status::Corruption(fmt::format("znode '{}' does not hold a counter: '{}'", path, data));
  }
  return v;
}

std::string DatabaseBody(const DatabaseRecord& db) {
  return fmt::format(R"({{"version":1,"database":{},"created_time":{},"modified_time":{}}})", db.database_json,
                     db.created_time_ms, db.modified_time_ms);
}

std::string TableBody(const TableRecord& r) {
  return fmt::format(
      R"({{"version":1,"table_id":{},"schema_id":{},"bucket_count":{},"descriptor":{},"created_time":{},)"
      R"("modified_time":{}}})",
      r.table_id, r.schema_id, r.bucket_count, r.table_json, r.created_time_ms, r.modified_time_ms);
}

std::string AssignmentBody(const std::vector<BucketAssignment>& assignment) {
  std::string out = R"({"version":1,"buckets":[)";
  bool first = true;
  for (const BucketAssignment& b : assignment) {
    if (!first) out += ',';
    first = false;
    out += fmt::format(R"({{"bucket_id":{},"replicas":[{}],"leader":{},"leader_epoch":{},"bucket_epoch":{}}})",
                       b.bucket_id, fmt::join(b.replicas, ","), b.leader, b.leader_epoch, b.bucket_epoch);
  }
  return out + "]}";
}

Result<DatabaseRecord> ParseDatabase(const std::string& name, const std::string& data, int32_t version,
                                     const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(data, path));
  DatabaseRecord db;
  db.name = name;
  db.version = version;
  auto d = j.find("database");
  if (d == j.end() || !d->is_object() || !ReadInt(j, "created_time", &db.created_time_ms) ||
      !ReadInt(j, "modified_time", &db.modified_time_ms)) {
    return Status::Corruption(fmt::format("znode '{}' is not a database registration", path));
  }
  db.database_json = d->dump();
  return db;
}

std::string DroppedTableBody(const TableRecord& r, int64_t now_ms) {
  return json{{"version", 1},
              {"database", r.path.database()},
              {"table", r.path.table()},
              {"dropped_time", now_ms}}
      .dump();
}

Result<DroppedTableRecord> ParseDroppedTable(int64_t table_id, const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(data, path));
  DroppedTableRecord d;
  d.table_id = table_id;
  auto db = j.find("database");
  auto t = j.find("table");
  if (db == j.end() || !db->is_string() || t == j.end() || !t->is_string() ||
      !ReadInt(j, "dropped_time", &d.dropped_time_ms)) {
    return Status::Corruption(fmt::format("znode '{}' is not a dropped-table record", path));
  }
  auto table_path = TablePath::Make(db->get<std::string>(), t->get<std::string>());
  if (!table_path.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, table_path.status().message()));
  d.path = *table_path;
  return d;
}

Result<TableRecord> ParseTable(const TablePath& table, const std::string& data, int32_t version,
                               const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(data, path));
  TableRecord r;
  r.path = table;
  r.version = version;
  auto d = j.find("descriptor");
  if (d == j.end() || !d->is_object() || !ReadInt(j, "table_id", &r.table_id) ||
      !ReadInt(j, "schema_id", &r.schema_id) || !ReadInt(j, "bucket_count", &r.bucket_count) ||
      !ReadInt(j, "created_time", &r.created_time_ms) || !ReadInt(j, "modified_time", &r.modified_time_ms) ||
      r.table_id < 1 || r.schema_id < 1 || r.bucket_count < 1 || r.bucket_count > TableDescriptor::kMaxBucketCount) {
    return Status::Corruption(fmt::format("znode '{}' is not a table registration", path));
  }
  r.table_json = d->dump();
  return r;
}

Result<std::vector<BucketAssignment>> ParseAssignment(const std::string& data, const std::string& path,
                                                      const TableRecord& table) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(data, path));
  auto buckets = j.find("buckets");
  Status bad = Status::Corruption(fmt::format("znode '{}' is not a bucket assignment", path));
  if (buckets == j.end() || !buckets->is_array()) return bad;
  std::vector<BucketAssignment> out;
  for (const json& b : *buckets) {
    BucketAssignment a;
    if (!b.is_object() || !ReadInt(b, "bucket_id", &a.bucket_id) || !ReadIntArray(b, "replicas", &a.replicas) ||
        !ReadInt(b, "leader", &a.leader) || !ReadInt(b, "leader_epoch", &a.leader_epoch) ||
        !ReadInt(b, "bucket_epoch", &a.bucket_epoch)) {
      return bad;
    }
    out.push_back(std::move(a));
  }
  if (!out.empty()) {
    Status st = NormalizeAssignment(table.path.ToString(), table.bucket_count, &out);
    if (!st.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, st.message()));
  }
  return out;
}

std::string ServerBody(const TabletServerInfo& s) {
  return json{{"version", 1}, {"listeners", s.listeners}, {"rack", s.rack},
              {"register_timestamp", s.register_timestamp_ms}}
      .dump();
}

std::string LeaderAndIsrBody(const LeaderAndIsr& v) {
  return fmt::format(
      R"({{"version":1,"leader":{},"leader_epoch":{},"isr":[{}],"coordinator_epoch":{},"bucket_epoch":{}}})",
      v.leader, v.leader_epoch, fmt::join(v.isr, ","), v.coordinator_epoch, v.bucket_epoch);
}

// Events that turn `before` into `after`, in the order a single change would produce them.
Events Diff(const MetadataState& before, const MetadataState& after) {
  Events events;
  for (const auto& [name, db] : after.databases) {
    if (!before.databases.contains(name)) events.push_back({MetadataEvent::kDatabaseCreated, name});
  }
  for (const auto& [path, entry] : after.tables) {
    auto it = before.tables.find(path);
    const std::string name = path.ToString();
    if (it == before.tables.end() || it->second.record.table_id != entry.record.table_id) {
      if (it != before.tables.end()) events.push_back({MetadataEvent::kTableDropped, name});
      events.push_back({MetadataEvent::kTableCreated, name});
      continue;
    }
    const TableEntry& old = it->second;
    if (old.record.version == entry.record.version) continue;
    bool altered = old.record.schema_id != entry.record.schema_id;
    if (altered) events.push_back({MetadataEvent::kTableAltered, name});
    if (old.assignment != entry.assignment || !altered) {
      events.push_back({MetadataEvent::kTableAssignmentChanged, name});
    }
  }
  for (const auto& [path, entry] : before.tables) {
    if (!after.tables.contains(path)) events.push_back({MetadataEvent::kTableDropped, path.ToString()});
  }
  for (const auto& [name, db] : before.databases) {
    if (!after.databases.contains(name)) events.push_back({MetadataEvent::kDatabaseDropped, name});
  }
  return events;
}

// The result of a failed multi: the index and code of the op that failed.
struct MultiFailure {
  size_t index = 0;
  int rc = ZOK;
};

// Builds the ops of one multi; keeps the strings alive until it runs.
class MultiOps {
 public:
  void Check(std::string path, int version) {
    ops_.emplace_back();
    zoo_check_op_init(&ops_.back(), Keep(std::move(path)), version);
  }
  void Create(std::string path, std::string data, int mode = 0) {
    ops_.emplace_back();
    const std::string* d = KeepData(std::move(data));
    zoo_create_op_init(&ops_.back(), Keep(std::move(path)), d->data(), static_cast<int>(d->size()),
                       &ZOO_OPEN_ACL_UNSAFE, mode, nullptr, 0);
  }
  void Set(std::string path, std::string data, int version) {
    ops_.emplace_back();
    const std::string* d = KeepData(std::move(data));
    zoo_set_op_init(&ops_.back(), Keep(std::move(path)), d->data(), static_cast<int>(d->size()), version, nullptr);
  }
  void Delete(std::string path, int version) {
    ops_.emplace_back();
    zoo_delete_op_init(&ops_.back(), Keep(std::move(path)), version);
  }
  std::vector<zoo_op_t>& ops() { return ops_; }

 private:
  const char* Keep(std::string s) { return strings_.emplace_back(std::make_unique<std::string>(std::move(s)))->c_str(); }
  const std::string* KeepData(std::string s) {
    return strings_.emplace_back(std::make_unique<std::string>(std::move(s))).get();
  }
  std::vector<zoo_op_t> ops_;
  std::vector<std::unique_ptr<std::string>> strings_;
};

// Splits "h1:p1,h2:p2/chroot" into hosts and chroot ("" when none).
std::pair<std::string, std::string> SplitAddress(const std::string& address) {
  size_t slash = address.find('/');
  if (slash == std::string::npos) return {address, ""};
  std::string chroot = address.substr(slash);
  while (chroot.size() > 1 && chroot.back() == '/') chroot.pop_back();
  if (chroot == "/") chroot.clear();
  return {address.substr(0, slash), chroot};
}

std::once_flag log_level_once;

}  // namespace

// ---- opening and sessions ----

Result<std::unique_ptr<ZkMetadataStore>> ZkMetadataStore::Open(ZkOptions options, MetadataClock clock) {
  std::call_once(log_level_once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
  if (!clock) clock = SystemMs;
  auto [hosts, chroot] = SplitAddress(options.address);
  if (hosts.empty()) return Status::Invalid("zookeeper.address is empty; expected host:port[,host:port...][/chroot]");
  std::string root = options.root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (!root.empty() && root.front() != '/') {
    return Status::Invalid(fmt::format("zookeeper.path.root '{}' must start with '/'", options.root));
  }
  std::string base = chroot + root;
  if (base.empty()) return Status::Invalid("the ZooKeeper base path is '/'; set zookeeper.path.root");
  std::unique_ptr<ZkMetadataStore> store(new ZkMetadataStore(std::move(options), hosts, base, std::move(clock)));
  {
    std::unique_lock lock(store->handle_mu_);
    FLUSS_RETURN_NOT_OK(store->Connect());
  }
  store->session_generation_ = 1;
  for (const char* p :
       {"/metadata/databases", "/metadata/dropped_tables", "/tabletservers/ids", "/tabletservers/tables", "/coordinators",
        "/coordinators/ids"}) {
    FLUSS_RETURN_NOT_OK(store->EnsurePath(store->P(p)));
  }
  for (const char* counter : {"/metadata/table_seqid", "/metadata/writer_id", "/coordinators/epoch"}) {
    int rc;
    {
      std::shared_lock lock(store->handle_mu_);
      const char* initial = std::string_view(counter) == "/metadata/table_seqid" ? "1" : "0";
      rc = zoo_create(store->zh_, store->P(counter).c_str(), initial, static_cast<int>(std::strlen(initial)),
                      &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    }
    if (rc != ZOK && rc != ZNODEEXISTS) return store->Errno(rc, fmt::format("create '{}'", store->P(counter)));
  }
  FLUSS_RETURN_NOT_OK(store->Sync());
  FLUSS_RETURN_NOT_OK(store->SyncServers());
  store->watchers_.Deliver();  // nothing registered yet; drops the initial "created" events
  store->background_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
  auto snap = store->Snapshot();
  spdlog::info("metadata: ZooKeeper store at '{}' under '{}' ({} databases, {} tables)", store->hosts_, store->base_,
               snap->databases.size(), snap->tables.size());
  return store;
}

ZkMetadataStore::ZkMetadataStore(ZkOptions options, std::string hosts, std::string base, MetadataClock clock)
    : options_(std::move(options)),
      hosts_(std::move(hosts)),
      base_(std::move(base)),
      clock_(std::move(clock)),
      state_(std::make_shared<const MetadataState>()) {}

ZkMetadataStore::~ZkMetadataStore() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  {
    std::lock_guard lock(connect_mu_);
    closing_ = true;  // a reconnect in progress gives up
  }
  connect_cv_.notify_all();
  if (background_.joinable()) background_.join();
  std::unique_lock lock(handle_mu_);
  if (zh_ != nullptr) zookeeper_close(zh_);
  zh_ = nullptr;
}

Status ZkMetadataStore::Connect() {
  std::unique_lock lock(connect_mu_);
  connect_state_ = 0;
  zhandle_t* h = zookeeper_init(hosts_.c_str(), &ZkMetadataStore::GlobalWatcher, options_.session_timeout_ms,
                                nullptr, this, 0);
  if (h == nullptr) {
    return Status::IOError(fmt::format("cannot start a ZooKeeper client for '{}': {}", hosts_, std::strerror(errno)));
  }
  connecting_ = h;
  bool connected = connect_cv_.wait_for(lock, std::chrono::milliseconds(options_.connect_timeout_ms), [&] {
    return connect_state_ == ZOO_CONNECTED_STATE || closing_.load();
  });
  connecting_ = nullptr;
  if (!connected || connect_state_ != ZOO_CONNECTED_STATE) {
    lock.unlock();
    zookeeper_close(h);
    return Status::IOError(
        fmt::format("cannot connect to ZooKeeper at '{}' within {} ms", hosts_, options_.connect_timeout_ms));
  }
  zh_ = h;
  return Status::OK();
}

// Runs on the ZooKeeper client's completion thread: records and queues only (never calls ZooKeeper).
void ZkMetadataStore::GlobalWatcher(zhandle_t* zh, int type, int state, const char* path, void* ctx) {
  auto* self = static_cast<ZkMetadataStore*>(ctx);
  if (type == ZOO_SESSION_EVENT) {
    std::lock_guard lock(self->connect_mu_);
    if (zh == self->connecting_) {
      self->connect_state_ = state;
      self->connect_cv_.notify_all();
    }
  }
  if (type == ZOO_SESSION_EVENT && state == ZOO_EXPIRED_SESSION_STATE) self->expiries_seen_++;
  Queued q;
  q.zh = zh;
  q.type = type;
  q.state = state;
  q.path = path != nullptr ? path : "";
  self->Post(std::move(q));
}

void ZkMetadataStore::Post(Queued item) {
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(item));
  }
  queue_cv_.notify_all();
}

void ZkMetadataStore::BackgroundLoop() {
  std::vector<TabletServerInfo> notified_servers;
  {
    std::lock_guard lock(mu_);
    notified_servers = live_servers_;
  }
  while (true) {
    std::deque<Queued> items;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      items.swap(queue_);
    }
    bool sync = false, servers = false, election = false, expired = false;
    for (const Queued& q : items) {
      if (q.kind == Queued::kElection) {
        election = true;
        continue;
      }
      if (q.kind == Queued::kLeadershipLost) {
        std::function<void(bool, int64_t)> listener;
        {
          std::lock_guard lock(mu_);
          listener = leadership_listener_;
        }
        if (listener) listener(false, q.epoch);
        continue;
      }
      if (q.zh != zh_) continue;  // an event of a closed handle (zh_ is written only by this thread)
      if (q.type == ZOO_SESSION_EVENT) {
        if (q.state == ZOO_EXPIRED_SESSION_STATE) expired = true;
        if (q.state == ZOO_CONNECTED_STATE) sync = servers = election = true;  // after a reconnect
      } else if (q.path.rfind(P("/tabletservers/ids"), 0) == 0) {
        servers = true;
      } else if (q.path == P("/coordinators/active")) {
        election = true;
      } else {
        sync = true;
      }
    }
    if (expired) {
      HandleExpiry();
      continue;
    }
    if (sync) {
      Status st = Sync();
      if (!st.ok()) spdlog::warn("metadata: reloading from ZooKeeper failed: {}", st.ToString());
      watchers_.Deliver();
    }
    if (servers) {
      Status st = SyncServers();
      if (!st.ok()) spdlog::warn("metadata: reloading live tablet servers failed: {}", st.ToString());
    }
    std::vector<TabletServerInfo> live;
    std::function<void(const std::vector<TabletServerInfo>&)> listener;
    {
      std::lock_guard lock(mu_);
      live = live_servers_;
      listener = servers_listener_;
    }
    if (live != notified_servers) {
      notified_servers = live;
      if (listener) listener(live);
    }
    if (election) TryBecomeLeader();
  }
}

void ZkMetadataStore::HandleExpiry() {
  spdlog::warn("metadata: ZooKeeper session expired; fencing and opening a new session");
  std::function<void(bool, int64_t)> leadership;
  std::function<void(ZkSessionEvent)> session;
  int64_t epoch;
  {
    std::lock_guard lock(mu_);
    leadership = leadership_listener_;
    session = session_listener_;
    epoch = coordinator_epoch_;
  }
  if (is_leader_.exchange(false) && leadership) leadership(false, epoch);
  if (session) session(ZkSessionEvent::kExpired);
  while (true) {
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return;
    }
    std::unique_lock lock(handle_mu_);
    if (zh_ != nullptr) zookeeper_close(zh_);
    zh_ = nullptr;
    Status st = Connect();
    if (st.ok()) break;
    spdlog::warn("metadata: {}; retrying", st.ToString());
  }
  session_generation_++;
  std::map<int32_t, TabletServerInfo> registered;
  {
    std::lock_guard lock(mu_);
    registered = registered_;
  }
  for (const auto& [id, info] : registered) {
    std::shared_lock lock(handle_mu_);
    std::string body = ServerBody(info);
    int rc = zoo_create(zh_, P(fmt::format("/tabletservers/ids/{}", id)).c_str(), body.data(),
                        static_cast<int>(body.size()), &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0);
    if (rc != ZOK) spdlog::error("metadata: re-registering tablet server {} failed: {}", id, zerror(rc));
  }
  Status st = Sync();
  if (!st.ok()) spdlog::warn("metadata: reloading from ZooKeeper failed: {}", st.ToString());
  watchers_.Deliver();
  st = SyncServers();
  if (!st.ok()) spdlog::warn("metadata: reloading live tablet servers failed: {}", st.ToString());
  TryBecomeLeader();
  if (session) session(ZkSessionEvent::kReestablished);
  Post(Queued{});  // a no-op item: the loop compares the live servers and tells the listener
}

Status ZkMetadataStore::ExpireSessionForTesting() {
  // A second client attaches to this store's session and closes it, which ends the session on the
  // server. If this store's client reconnects in between, the session moves back to it and the close
  // is refused (session moved): then try again.
  const int64_t before = expiries_seen_.load();
  for (int attempt = 0; attempt < 20; ++attempt) {
    clientid_t id;
    {
      std::shared_lock lock(handle_mu_);
      id = *zoo_client_id(zh_);
    }
    struct Ctx {
      std::mutex mu;
      std::condition_variable cv;
      bool connected = false;
    } ctx;
    auto watcher = [](zhandle_t*, int type, int state, const char*, void* c) {
      auto* x = static_cast<Ctx*>(c);
      if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
        std::lock_guard lock(x->mu);
        x->connected = true;
        x->cv.notify_all();
      }
    };
    zhandle_t* other = zookeeper_init(hosts_.c_str(), watcher, options_.session_timeout_ms, &id, &ctx, 0);
    if (other == nullptr) return Status::IOError("cannot start a second ZooKeeper client");
    {
      std::unique_lock lock(ctx.mu);
      ctx.cv.wait_for(lock, std::chrono::seconds(5), [&] { return ctx.connected; });
    }
    zookeeper_close(other);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.session_timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (expiries_seen_.load() > before) return Status::OK();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return Status::IOError("could not expire the ZooKeeper session");
}

// ---- ZooKeeper helpers ----

Status ZkMetadataStore::Errno(int rc, std::string_view what) const {
  return Status::IOError(fmt::format("ZooKeeper {} at '{}': {}", what, hosts_, zerror(rc)));
}

Result<std::optional<std::pair<std::string, int32_t>>> ZkMetadataStore::Get(const std::string& path,
                                                                           bool watch) const {
  std::shared_lock lock(handle_mu_);
  std::string buf(4096, '\0');
  for (int attempt = 0; attempt < 5; ++attempt) {
    struct Stat stat {};
    int len = static_cast<int>(buf.size());
    int rc = zoo_get(zh_, path.c_str(), watch ? 1 : 0, buf.data(), &len, &stat);
    if (rc == ZNONODE) return std::optional<std::pair<std::string, int32_t>>();
    if (rc != ZOK) return Errno(rc, fmt::format("get '{}'", path));
    if (stat.dataLength <= static_cast<int32_t>(buf.size())) {
      buf.resize(static_cast<size_t>(std::max(len, 0)));
      return std::optional(std::pair(std::move(buf), stat.version));
    }
    buf.assign(static_cast<size_t>(stat.dataLength), '\0');  // grew: read again with room for it
  }
  return Status::IOError(fmt::format("znode '{}' keeps growing while read", path));
}

Result<std::optional<std::vector<std::string>>> ZkMetadataStore::Children(const std::string& path, bool watch) const {
  std::shared_lock lock(handle_mu_);
  struct String_vector v {};
  int rc = zoo_get_children(zh_, path.c_str(), watch ? 1 : 0, &v);
  if (rc == ZNONODE) return std::optional<std::vector<std::string>>();
  if (rc != ZOK) return Errno(rc, fmt::format("list '{}'", path));
  std::vector<std::string> out;
  for (int32_t i = 0; i < v.count; ++i) out.emplace_back(v.data[i]);
  deallocate_String_vector(&v);
  std::sort(out.begin(), out.end());
  return std::optional(std::move(out));
}

Status ZkMetadataStore::EnsurePath(const std::string& path) const {
  std::shared_lock lock(handle_mu_);
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    int rc = zoo_create(zh_, prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return Errno(rc, fmt::format("create '{}'", prefix));
  }
  return Status::OK();
}

namespace {
// Runs a multi; on failure returns which op failed and why.
int RunMulti(zhandle_t* zh, MultiOps& ops, MultiFailure* failure) {
  std::vector<zoo_op_result_t> results(ops.ops().size());
  int rc = zoo_multi(zh, static_cast<int>(ops.ops().size()), ops.ops().data(), results.data());
  if (rc == ZOK) return ZOK;
  failure->rc = rc;
  failure->index = results.size();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].err != ZOK && results[i].err != ZRUNTIMEINCONSISTENCY) {
      failure->index = i;
      failure->rc = results[i].err;
      break;
    }
  }
  return rc;
}
}  // namespace

// ---- cache ----

std::shared_ptr<const MetadataState> ZkMetadataStore::Snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return state_;
}

Result<MetadataState> ZkMetadataStore::LoadState(const MetadataState& previous) const {
  MetadataState state;
  const std::string dbs_path = P("/metadata/databases");
  FLUSS_ASSIGN_OR_RETURN(auto dbs, Children(dbs_path, true));
  if (!dbs) return Status::IOError(fmt::format("znode '{}' is missing", dbs_path));
  for (const std::string& db : *dbs) {
    const std::string db_path = dbs_path + "/" + db;
    FLUSS_ASSIGN_OR_RETURN(auto node, Get(db_path, true));
    if (!node) continue;  // dropped meanwhile; the children watch brings the next reload
    FLUSS_ASSIGN_OR_RETURN(DatabaseRecord record, ParseDatabase(db, node->first, node->second, db_path));
    state.databases.emplace(db, std::move(record));
    FLUSS_ASSIGN_OR_RETURN(auto tables, Children(db_path + "/tables", true));
    if (!tables) continue;
    for (const std::string& t : *tables) {
      auto table_path = TablePath::Make(db, t);
      if (!table_path.ok()) return Status::Corruption(fmt::format("znode '{}/tables/{}': bad name", db_path, t));
      const std::string path = db_path + "/tables/" + t;
      TableEntry entry;
      bool found = false;
      // Read the table, its assignment, then the table's version again: every assignment change bumps
      // the table's version in the same multi, so equal versions mean a consistent pair.
      for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
        FLUSS_ASSIGN_OR_RETURN(auto tnode, Get(path, true));
        if (!tnode) break;
        FLUSS_ASSIGN_OR_RETURN(entry.record, ParseTable(*table_path, tnode->first, tnode->second, path));
        const std::string apath = P(fmt::format("/tabletservers/tables/{}", entry.record.table_id));
        FLUSS_ASSIGN_OR_RETURN(auto anode, Get(apath, false));
        if (!anode) return Status::Corruption(fmt::format("table '{}' has no znode '{}'", path, apath));
        FLUSS_ASSIGN_OR_RETURN(entry.assignment, ParseAssignment(anode->first, apath, entry.record));
        FLUSS_ASSIGN_OR_RETURN(auto again, Get(path, false));
        if (!again) break;
        if (again->second == tnode->second) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      // Schemas never change once written: reuse the cached ones of the same table id.
      auto prev = previous.tables.find(*table_path);
      if (prev != previous.tables.end() && prev->second.record.table_id == entry.record.table_id) {
        entry.schemas = prev->second.schemas;
      }
      for (int32_t id = 1; id <= entry.record.schema_id; ++id) {
        if (entry.schemas.contains(id)) continue;
        const std::string spath = fmt::format("{}/schemas/{}", path, id);
        FLUSS_ASSIGN_OR_RETURN(auto snode, Get(spath, false));
        if (!snode) continue;  // the table was dropped meanwhile
        FLUSS_ASSIGN_OR_RETURN(json schema, ParseObject(snode->first, spath));
        entry.schemas.emplace(id, schema.dump());
      }
      if (!entry.schemas.contains(entry.record.schema_id)) continue;
      state.table_ids.emplace(entry.record.table_id, *table_path);
      state.tables.emplace(*table_path, std::move(entry));
    }
  }
  // Drop records never change once written: only new ones are read.
  const std::string dropped_path = P("/metadata/dropped_tables");
  FLUSS_ASSIGN_OR_RETURN(auto dropped, Children(dropped_path, false));
  for (const std::string& name : dropped ? *dropped : std::vector<std::string>()) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || end != name.data() + name.size() || id < 1) continue;  // not ours
    if (auto prev = previous.dropped_tables.find(id); prev != previous.dropped_tables.end()) {
      state.dropped_tables.emplace(id, prev->second);
      continue;
    }
    const std::string path = dropped_path + "/" + name;
    FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
    if (!node) continue;  // pruned meanwhile
    FLUSS_ASSIGN_OR_RETURN(DroppedTableRecord record, ParseDroppedTable(id, node->first, path));
    state.dropped_tables.emplace(id, std::move(record));
  }
  return state;
}

void ZkMetadataStore::PruneDroppedTables() {
  const int64_t cutoff = clock_() - kDroppedTableRetentionMs;
  for (const auto& [id, record] : Snapshot()->dropped_tables) {
    if (record.dropped_time_ms >= cutoff) continue;
    const std::string path = P(fmt::format("/metadata/dropped_tables/{}", id));
    int rc;
    {
      std::shared_lock lock(handle_mu_);
      rc = zoo_delete(zh_, path.c_str(), -1);
    }
    if (rc != ZOK && rc != ZNONODE) spdlog::warn("metadata: cannot remove the expired record '{}': {}", path, zerror(rc));
  }
}

Status ZkMetadataStore::Sync() {
  std::lock_guard lock(sync_mu_);
  auto previous = Snapshot();
  FLUSS_ASSIGN_OR_RETURN(MetadataState next, LoadState(*previous));
  Events events = Diff(*previous, next);
  {
    std::lock_guard snap(snapshot_mu_);
    state_ = std::make_shared<const MetadataState>(std::move(next));
  }
  if (!events.empty()) watchers_.Enqueue(std::move(events));
  return Status::OK();
}

Status ZkMetadataStore::SyncServers() {
  const std::string ids_path = P("/tabletservers/ids");
  FLUSS_ASSIGN_OR_RETURN(auto ids, Children(ids_path, true));
  std::vector<TabletServerInfo> live;
  for (const std::string& name : ids ? *ids : std::vector<std::string>()) {
    TabletServerInfo info;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), info.id);
    if (ec != std::errc() || end != name.data() + name.size()) continue;  // not ours
    const std::string path = ids_path + "/" + name;
    FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
    if (!node) continue;
    FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(node->first, path));
    auto listeners = j.find("listeners");
    auto rack = j.find("rack");
    if (listeners == j.end() || !listeners->is_string() || !ReadInt(j, "register_timestamp", &info.register_timestamp_ms)) {
      return Status::Corruption(fmt::format("znode '{}' is not a tablet server registration", path));
    }
    info.listeners = listeners->get<std::string>();
    if (rack != j.end() && rack->is_string()) info.rack = rack->get<std::string>();
    live.push_back(std::move(info));
  }
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::lock_guard lock(mu_);
  live_servers_ = std::move(live);
  return Status::OK();
}

template <typename Change>
auto ZkMetadataStore::Mutate(Change&& change) -> decltype(change()) {
  auto result = change();
  Status st = Sync();  // read our own write (and whatever else changed) before returning
  if (!st.ok()) spdlog::warn("metadata: reloading from ZooKeeper after a change failed: {}", st.ToString());
  watchers_.DeliverAndWait();
  return result;
}

// ---- databases ----

Status ZkMetadataStore::CreateDatabase(const std::string& name, std::string database_json, bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(TablePath::ValidateNewDatabaseName(name));
  FLUSS_ASSIGN_OR_RETURN(std::string json_text,
                         NormalizeJsonObject(database_json, fmt::format("descriptor of database '{}'", name),
                                             ErrorCode::kInvalidDatabase, /*empty_is_object=*/true));
  return Mutate([&]() -> Status {
    int64_t now = clock_();
    MultiOps ops;
    const std::string path = P("/metadata/databases/" + name);
    ops.Create(path, DatabaseBody(DatabaseRecord{name, json_text, now, now, 0}));
    ops.Create(path + "/tables", "");
    MultiFailure f;
    std::shared_lock lock(handle_mu_);
    int rc = RunMulti(zh_, ops, &f);
    if (rc == ZOK) return Status::OK();
    if (f.rc == ZNODEEXISTS && f.index == 0) {
      if (ignore_if_exists) return Status::OK();
      return Status(ErrorCode::kDatabaseAlreadyExist, fmt::format("database '{}' already exists", name));
    }
    return Errno(f.rc, fmt::format("create database '{}'", name));
  });
}

Result<std::vector<TableRecord>> ZkMetadataStore::DropDatabase(const std::string& name, bool ignore_if_not_exists,
                                                               bool cascade) {
  return Mutate([&]() -> Result<std::vector<TableRecord>> {
    const std::string db_path = P("/metadata/databases/" + name);
    for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto db, Get(db_path, false));
      if (!db) {
        if (ignore_if_not_exists) return std::vector<TableRecord>();
        return DatabaseNotExist(name);
      }
      FLUSS_ASSIGN_OR_RETURN(auto tables, Children(db_path + "/tables", false));
      std::vector<std::string> names = tables ? *tables : std::vector<std::string>();
      if (!names.empty() && !cascade) {
        return Status(ErrorCode::kDatabaseNotEmpty,
                      fmt::format("database '{}' is not empty: it has {} table(s), e.g. '{}'; drop them first or use "
                                  "cascade",
                                  name, names.size(), names.front()));
      }
      MultiOps ops;
      std::vector<TableRecord> dropped;
      bool raced = false;
      for (const std::string& t : names) {
        const std::string tpath = db_path + "/tables/" + t;
        FLUSS_ASSIGN_OR_RETURN(auto node, Get(tpath, false));
        if (!node) {
          raced = true;
          break;
        }
        FLUSS_ASSIGN_OR_RETURN(TableRecord r, ParseTable(*TablePath::Make(name, t), node->first, node->second, tpath));
        FLUSS_ASSIGN_OR_RETURN(auto schemas, Children(tpath + "/schemas", false));
        for (const std::string& s : schemas ? *schemas : std::vector<std::string>()) {
          ops.Delete(tpath + "/schemas/" + s, -1);
        }
        ops.Delete(tpath + "/schemas", -1);
        ops.Delete(tpath, node->second);
        const std::string apath = P(fmt::format("/tabletservers/tables/{}", r.table_id));
        FLUSS_ASSIGN_OR_RETURN(auto buckets, Children(apath + "/buckets", false));
        for (const std::string& b : buckets ? *buckets : std::vector<std::string>()) {
          FLUSS_ASSIGN_OR_RETURN(auto leaves, Children(apath + "/buckets/" + b, false));
          for (const std::string& leaf : leaves ? *leaves : std::vector<std::string>()) {
            ops.Delete(apath + "/buckets/" + b + "/" + leaf, -1);
          }
          ops.Delete(apath + "/buckets/" + b, -1);
        }
        ops.Delete(apath + "/buckets", -1);
        ops.Delete(apath, -1);
        ops.Create(P(fmt::format("/metadata/dropped_tables/{}", r.table_id)), DroppedTableBody(r, clock_()));
        dropped.push_back(std::move(r));
      }
      if (raced) continue;
      ops.Delete(db_path + "/tables", -1);
      ops.Delete(db_path, db->second);
      MultiFailure f;
      int rc;
      {
        std::shared_lock lock(handle_mu_);
        rc = RunMulti(zh_, ops, &f);
      }
      if (rc == ZOK) {
        PruneDroppedTables();
        return dropped;
      }
      if (f.rc == ZNOTEMPTY || f.rc == ZBADVERSION || f.rc == ZNONODE) continue;  // changed meanwhile: again
      return Errno(f.rc, fmt::format("drop database '{}'", name));
    }
    return Status::IOError(fmt::format("drop database '{}': the database kept changing; try again", name));
  });
}

Result<DatabaseRecord> ZkMetadataStore::GetDatabase(const std::string& name) const {
  auto state = Snapshot();
  auto it = state->databases.find(name);
  if (it == state->databases.end()) return DatabaseNotExist(name);
  return it->second;
}

std::vector<std::string> ZkMetadataStore::ListDatabases() const {
  auto state = Snapshot();
  std::vector<std::string> names;
  for (const auto& [name, db] : state->databases) names.push_back(name);
  return names;
}

bool ZkMetadataStore::DatabaseExists(const std::string& name) const { return Snapshot()->databases.contains(name); }

// ---- tables ----

Result<TableRecord> ZkMetadataStore::CreateTable(const TablePath& path, std::string table_json,
                                                 std::string schema_json, int32_t bucket_count,
                                                 std::vector<BucketAssignment> assignment, bool ignore_if_exists) {
  FLUSS_RETURN_NOT_OK(ValidatePath(path));
  const std::string name = path.ToString();
  if (bucket_count < 1 || bucket_count > TableDescriptor::kMaxBucketCount) {
    return Status(ErrorCode::kInvalidTable, fmt::format("table '{}': bucket count {} is outside 1..{}", name,
                                                        bucket_count, TableDescriptor::kMaxBucketCount));
  }
  FLUSS_ASSIGN_OR_RETURN(
      std::string table,
      NormalizeJsonObject(table_json, fmt::format("descriptor of table '{}'", name), ErrorCode::kInvalidTable, false));
  FLUSS_ASSIGN_OR_RETURN(std::string schema, NormalizeJsonObject(schema_json, fmt::format("schema of table '{}'", name),
                                                                 ErrorCode::kInvalidTable, false));
  if (!assignment.empty()) FLUSS_RETURN_NOT_OK(NormalizeAssignment(name, bucket_count, &assignment));

  return Mutate([&]() -> Result<TableRecord> {
    const std::string db_path = P("/metadata/databases/" + path.database());
    const std::string tpath = db_path + "/tables/" + path.table();
    const std::string seq_path = P("/metadata/table_seqid");
    for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto seq, Get(seq_path, false));
      if (!seq) return Status::IOError(fmt::format("znode '{}' is missing", seq_path));
      FLUSS_ASSIGN_OR_RETURN(int64_t id, ParseCounter(seq->first, seq_path));
      if (id < 1) return Status::Corruption(fmt::format("znode '{}' holds table id {}", seq_path, id));
      int64_t now = clock_();
      TableRecord record{path, id, 1, table, bucket_count, now, now, 0};
      const std::string apath = P(fmt::format("/tabletservers/tables/{}", id));
      MultiOps ops;
      ops.Check(db_path, -1);
      ops.Create(tpath, TableBody(record));
      ops.Create(tpath + "/schemas", "");
      ops.Create(tpath + "/schemas/1", schema);
      ops.Set(seq_path, std::to_string(id + 1), seq->second);
      ops.Create(apath, AssignmentBody(assignment));
      ops.Create(apath + "/buckets", "");
      MultiFailure f;
      int rc;
      {
        std::shared_lock lock(handle_mu_);
        rc = RunMulti(zh_, ops, &f);
      }
      if (rc == ZOK) return record;
      if (f.index == 0 && f.rc == ZNONODE) return DatabaseNotExist(path.database());
      if (f.index == 1 && f.rc == ZNONODE) return DatabaseNotExist(path.database());
      if (f.index == 1 && f.rc == ZNODEEXISTS) {
        if (!ignore_if_exists) return Status(ErrorCode::kTableAlreadyExist, fmt::format("table '{}' already exists", name));
        FLUSS_ASSIGN_OR_RETURN(auto node, Get(tpath, false));
        if (!node) continue;  // dropped meanwhile: try to create it again
        return ParseTable(path, node->first, node->second, tpath);
      }
      if (f.index == 4 && f.rc == ZBADVERSION) continue;  // another store took this id: take the next
      return Errno(f.rc, fmt::format("create table '{}'", name));
    }
    return Status::IOError(fmt::format("create table '{}': table ids kept being taken; try again", name));
  });
}

Result<TableRecord> ZkMetadataStore::DropTable(const TablePath& path, bool ignore_if_not_exists) {
  return Mutate([&]() -> Result<TableRecord> {
    if (!ValidatePath(path).ok()) {
      if (ignore_if_not_exists) return TableRecord{};
      return TableNotExist(path);
    }
    const std::string tpath = P("/metadata/databases/" + path.database() + "/tables/" + path.table());
    for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto node, Get(tpath, false));
      if (!node) {
        if (ignore_if_not_exists) return TableRecord{};
        return TableNotExist(path);
      }
      FLUSS_ASSIGN_OR_RETURN(TableRecord r, ParseTable(path, node->first, node->second, tpath));
      MultiOps ops;
      FLUSS_ASSIGN_OR_RETURN(auto schemas, Children(tpath + "/schemas", false));
      for (const std::string& s : schemas ? *schemas : std::vector<std::string>()) {
        ops.Delete(tpath + "/schemas/" + s, -1);
      }
      ops.Delete(tpath + "/schemas", -1);
      ops.Delete(tpath, node->second);
      const std::string apath = P(fmt::format("/tabletservers/tables/{}", r.table_id));
      FLUSS_ASSIGN_OR_RETURN(auto buckets, Children(apath + "/buckets", false));
      for (const std::string& b : buckets ? *buckets : std::vector<std::string>()) {
        FLUSS_ASSIGN_OR_RETURN(auto leaves, Children(apath + "/buckets/" + b, false));
        for (const std::string& leaf : leaves ? *leaves : std::vector<std::string>()) {
          ops.Delete(apath + "/buckets/" + b + "/" + leaf, -1);
        }
        ops.Delete(apath + "/buckets/" + b, -1);
      }
      ops.Delete(apath + "/buckets", -1);
      ops.Delete(apath, -1);
      ops.Create(P(fmt::format("/metadata/dropped_tables/{}", r.table_id)), DroppedTableBody(r, clock_()));
      MultiFailure f;
      int rc;
      {
        std::shared_lock lock(handle_mu_);
        rc = RunMulti(zh_, ops, &f);
      }
      if (rc == ZOK) {
        PruneDroppedTables();
        return r;
      }
      if (f.rc == ZNOTEMPTY || f.rc == ZBADVERSION || f.rc == ZNONODE) continue;
      return Errno(f.rc, fmt::format("drop table '{}'", path.ToString()));
    }
    return Status::IOError(fmt::format("drop table '{}': the table kept changing; try again", path.ToString()));
  });
}

Result<TableRecord> ZkMetadataStore::GetTable(const TablePath& path) const {
  auto state = Snapshot();
  auto it = state->tables.find(path);
  if (it == state->tables.end()) return TableNotExist(path);
  return it->second.record;
}

Result<TableRecord> ZkMetadataStore::GetTableById(int64_t table_id) const {
  auto state = Snapshot();
  auto it = state->table_ids.find(table_id);
  if (it == state->table_ids.end()) return TableIdNotExist(table_id);
  return state->tables.at(it->second).record;
}

bool ZkMetadataStore::TableExists(const TablePath& path) const { return Snapshot()->tables.contains(path); }

Result<std::vector<std::string>> ZkMetadataStore::ListTables(const std::string& database) const {
  auto state = Snapshot();
  if (!state->databases.contains(database)) return DatabaseNotExist(database);
  std::vector<std::string> names;
  for (const auto& [path, entry] : state->tables) {
    if (path.database() == database) names.push_back(path.table());
  }
  return names;
}

std::vector<TableRecord> ZkMetadataStore::ListAllTables() const {
  auto state = Snapshot();
  std::vector<TableRecord> records;
  for (const auto& [path, entry] : state->tables) records.push_back(entry.record);
  return records;
}

std::vector<DroppedTableRecord> ZkMetadataStore::ListDroppedTables() const {
  auto state = Snapshot();
  std::vector<DroppedTableRecord> records;
  records.reserve(state->dropped_tables.size());
  for (const auto& [id, record] : state->dropped_tables) records.push_back(record);
  return records;
}

// ---- schemas ----

Result<std::string> ZkMetadataStore::GetSchema(int64_t table_id, int32_t schema_id) const {
  auto state = Snapshot();
  auto id = state->table_ids.find(table_id);
  if (id != state->table_ids.end()) {
    const TableEntry& entry = state->tables.at(id->second);
    if (auto it = entry.schemas.find(schema_id); it != entry.schemas.end()) return it->second;
  }
  return Status(ErrorCode::kSchemaNotExist,
                fmt::format("schema {} of table id {} does not exist{}", schema_id, table_id,
                            id == state->table_ids.end() ? " (no such table)" : ""));
}

Result<int32_t> ZkMetadataStore::AddSchema(const TablePath& path, std::string schema_json, std::string new_table_json,
                                           int32_t expected_version) {
  const std::string name = path.ToString();
  FLUSS_ASSIGN_OR_RETURN(std::string schema, NormalizeJsonObject(schema_json, fmt::format("schema of table '{}'", name),
                                                                 ErrorCode::kInvalidTable, false));
  FLUSS_ASSIGN_OR_RETURN(std::string table,
                         NormalizeJsonObject(new_table_json, fmt::format("descriptor of table '{}'", name),
                                             ErrorCode::kInvalidTable, false));
  return Mutate([&]() -> Result<int32_t> {
    if (!ValidatePath(path).ok()) return TableNotExist(path);
    const std::string tpath = P("/metadata/databases/" + path.database() + "/tables/" + path.table());
    for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
      FLUSS_ASSIGN_OR_RETURN(auto node, Get(tpath, false));
      if (!node) return TableNotExist(path);
      FLUSS_ASSIGN_OR_RETURN(TableRecord r, ParseTable(path, node->first, node->second, tpath));
      if (r.version != expected_version) return VersionMismatch(name, expected_version, r.version);
      r.schema_id++;
      r.table_json = table;
      r.modified_time_ms = clock_();
      MultiOps ops;
      ops.Set(tpath, TableBody(r), expected_version);
      ops.Create(fmt::format("{}/schemas/{}", tpath, r.schema_id), schema);
      MultiFailure f;
      int rc;
      {
        std::shared_lock lock(handle_mu_);
        rc = RunMulti(zh_, ops, &f);
      }
      if (rc == ZOK) return r.schema_id;
      if (f.rc == ZBADVERSION || f.rc == ZNONODE) continue;  // re-read: reports the mismatch or the drop
      return Errno(f.rc, fmt::format("add a schema to table '{}'", name));
    }
    return Status::IOError(fmt::format("add a schema to table '{}': the table kept changing", name));
  });
}

// ---- bucket assignment ----

Result<std::vector<BucketAssignment>> ZkMetadataStore::GetAssignment(int64_t table_id) const {
  auto state = Snapshot();
  auto it = state->table_ids.find(table_id);
  if (it == state->table_ids.end()) return TableIdNotExist(table_id);
  return state->tables.at(it->second).assignment;
}

Result<int32_t> ZkMetadataStore::UpdateAssignment(int64_t table_id, std::vector<BucketAssignment> assignment,
                                                  int32_t expected_version) {
  return Mutate([&]() -> Result<int32_t> {
    auto state = Snapshot();
    if (!state->table_ids.contains(table_id)) {
      FLUSS_RETURN_NOT_OK(Sync());  // perhaps created by another store a moment ago
      state = Snapshot();
    }
    auto id = state->table_ids.find(table_id);
    if (id == state->table_ids.end()) return TableIdNotExist(table_id);
    const TablePath path = id->second;
    const std::string name = path.ToString();
    const std::string tpath = P("/metadata/databases/" + path.database() + "/tables/" + path.table());
    FLUSS_ASSIGN_OR_RETURN(auto node, Get(tpath, false));
    if (!node) return TableIdNotExist(table_id);
    FLUSS_ASSIGN_OR_RETURN(TableRecord r, ParseTable(path, node->first, node->second, tpath));
    if (r.table_id != table_id) return TableIdNotExist(table_id);
    FLUSS_RETURN_NOT_OK(NormalizeAssignment(name, r.bucket_count, &assignment));
    if (r.version != expected_version) return VersionMismatch(name, expected_version, r.version);
    r.modified_time_ms = clock_();
    MultiOps ops;
    ops.Set(tpath, TableBody(r), expected_version);
    ops.Set(P(fmt::format("/tabletservers/tables/{}", table_id)), AssignmentBody(assignment), -1);
    MultiFailure f;
    int rc;
    {
      std::shared_lock lock(handle_mu_);
      rc = RunMulti(zh_, ops, &f);
    }
    if (rc == ZOK) return expected_version + 1;
    if (f.index == 0 && f.rc == ZBADVERSION) {
      FLUSS_ASSIGN_OR_RETURN(auto now, Get(tpath, false));
      return VersionMismatch(name, expected_version, now ? now->second : -1);
    }
    if (f.rc == ZNONODE) return TableIdNotExist(table_id);
    return Errno(f.rc, fmt::format("update the assignment of table '{}'", name));
  });
}

// ---- writer ids ----

Result<int64_t> ZkMetadataStore::AllocateWriterId() {
  std::lock_guard lock(writer_mu_);
  if (next_writer_id_ >= writer_id_limit_) {
    const std::string path = P("/metadata/writer_id");
    for (int attempt = 0;; ++attempt) {
      if (attempt == kMaxRetries) return Status::IOError("allocate writer ids: the counter kept changing");
      FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
      if (!node) return Status::IOError(fmt::format("znode '{}' is missing", path));
      FLUSS_ASSIGN_OR_RETURN(int64_t limit, ParseCounter(node->first, path));
      const std::string next = std::to_string(limit + kWriterIdBlock);
      int rc;
      {
        std::shared_lock hl(handle_mu_);
        rc = zoo_set(zh_, path.c_str(), next.data(), static_cast<int>(next.size()), node->second);
      }
      if (rc == ZBADVERSION) continue;
      if (rc != ZOK) return Errno(rc, fmt::format("set '{}'", path));
      next_writer_id_ = limit;
      writer_id_limit_ = limit + kWriterIdBlock;
      break;
    }
  }
  return next_writer_id_++;
}

// ---- watches ----

int64_t ZkMetadataStore::AddWatcher(MetadataWatcher watcher) { return watchers_.Add(std::move(watcher)); }
void ZkMetadataStore::RemoveWatcher(int64_t watcher_id) { watchers_.Remove(watcher_id); }

// ---- tablet servers ----

Status ZkMetadataStore::RegisterTabletServer(int32_t id, std::string listeners, std::string rack) {
  if (id < 0) return Status::Invalid(fmt::format("tablet server id {} is negative", id));
  TabletServerInfo info{id, std::move(listeners), std::move(rack), clock_()};
  const std::string path = P(fmt::format("/tabletservers/ids/{}", id));
  const std::string body = ServerBody(info);
  int rc;
  int64_t owner = 0, session = 0;
  {
    std::shared_lock lock(handle_mu_);
    rc = zoo_create(zh_, path.c_str(), body.data(), static_cast<int>(body.size()), &ZOO_OPEN_ACL_UNSAFE,
                    ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZNODEEXISTS) {
      struct Stat stat {};
      if (zoo_exists(zh_, path.c_str(), 0, &stat) == ZOK) owner = stat.ephemeralOwner;
      session = zoo_client_id(zh_)->client_id;
    }
  }
  if (rc == ZNODEEXISTS) {
    if (owner != session) {
      return Status::IOError(
          fmt::format("tablet server id {} is already registered by another live session ('{}')", id, path));
    }
  } else if (rc != ZOK) {
    return Errno(rc, fmt::format("register tablet server {}", id));
  }
  {
    std::lock_guard lock(mu_);
    registered_[id] = info;
  }
  return SyncServers();
}

Status ZkMetadataStore::UnregisterTabletServer(int32_t id) {
  {
    std::lock_guard lock(mu_);
    if (registered_.erase(id) == 0) return Status::OK();
  }
  int rc;
  {
    std::shared_lock lock(handle_mu_);
    rc = zoo_delete(zh_, P(fmt::format("/tabletservers/ids/{}", id)).c_str(), -1);
  }
  if (rc != ZOK && rc != ZNONODE) return Errno(rc, fmt::format("unregister tablet server {}", id));
  return SyncServers();
}

std::vector<TabletServerInfo> ZkMetadataStore::LiveTabletServers() const {
  std::lock_guard lock(mu_);
  return live_servers_;
}

void ZkMetadataStore::SetLiveServersListener(std::function<void(const std::vector<TabletServerInfo>&)> listener) {
  std::lock_guard lock(mu_);
  servers_listener_ = std::move(listener);
}

void ZkMetadataStore::SetSessionListener(std::function<void(ZkSessionEvent)> listener) {
  std::lock_guard lock(mu_);
  session_listener_ = std::move(listener);
}

// ---- coordinator election ----

Status ZkMetadataStore::StartCoordinatorElection(int32_t coordinator_id, std::string listeners,
                                                 std::function<void(bool, int64_t)> listener) {
  TabletServerInfo me{coordinator_id, std::move(listeners), "", clock_()};
  {
    std::lock_guard lock(mu_);
    if (candidacy_) {
      return Status(ErrorCode::kInvalidCoordinator,
                    fmt::format("this store already runs for coordinator as id {}", candidacy_->id));
    }
  }
  // Not fatal: every election attempt (TryBecomeLeader) registers again when it is missing.
  Status registered = RegisterCoordinator(me);
  if (!registered.ok()) spdlog::warn("metadata: registering coordinator {}: {}", me.id, registered.ToString());
  {
    std::lock_guard lock(mu_);
    candidacy_ = std::move(me);
    leadership_listener_ = std::move(listener);
  }
  Queued q;
  q.kind = Queued::kElection;
  Post(std::move(q));
  return Status::OK();
}

void ZkMetadataStore::TryBecomeLeader() {
  std::optional<TabletServerInfo> me;
  std::function<void(bool, int64_t)> listener;
  {
    std::lock_guard lock(mu_);
    me = candidacy_;
    listener = leadership_listener_;
  }
  if (!me) return;
  Status registered = RegisterCoordinator(*me);
  if (!registered.ok()) spdlog::warn("metadata: registering coordinator {}: {}", me->id, registered.ToString());
  if (is_leader_.load()) return;
  const std::string active = P("/coordinators/active");
  const std::string body =
      json{{"version", 1}, {"id", me->id}, {"listeners", me->listeners}}.dump();
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    int rc;
    {
      std::shared_lock lock(handle_mu_);
      rc = zoo_create(zh_, active.c_str(), body.data(), static_cast<int>(body.size()), &ZOO_OPEN_ACL_UNSAFE,
                      ZOO_EPHEMERAL, nullptr, 0);
    }
    if (rc == ZNODEEXISTS) {
      struct Stat stat {};
      std::shared_lock lock(handle_mu_);
      rc = zoo_exists(zh_, active.c_str(), 1, &stat);  // watch: try again when the leader goes
      if (rc == ZNONODE) continue;                       // it just went
      if (rc != ZOK) spdlog::warn("metadata: watching '{}' failed: {}", active, zerror(rc));
      return;
    }
    if (rc != ZOK) {
      spdlog::warn("metadata: coordinator election: creating '{}' failed: {}", active, zerror(rc));
      return;
    }
    // Won: bump the epoch, the token that fences the previous leader's writes.
    const std::string epoch_path = P("/coordinators/epoch");
    int64_t epoch = -1;
    int32_t epoch_version = -1;
    for (int cas = 0; cas < kMaxRetries && epoch < 0; ++cas) {
      auto node = Get(epoch_path, false);
      if (!node.ok() || !node->has_value()) break;
      auto value = ParseCounter((*node)->first, epoch_path);
      if (!value.ok()) break;
      const std::string next = std::to_string(*value + 1);
      std::shared_lock lock(handle_mu_);
      struct Stat stat {};
      rc = zoo_set2(zh_, epoch_path.c_str(), next.data(), static_cast<int>(next.size()), (*node)->second, &stat);
      if (rc == ZOK) {
        epoch = *value + 1;
        epoch_version = stat.version;
      }
    }
    if (epoch < 0) {
      spdlog::error("metadata: coordinator election won but '{}' could not be bumped; resigning", epoch_path);
      std::shared_lock lock(handle_mu_);
      zoo_delete(zh_, active.c_str(), -1);
      return;
    }
    {
      std::lock_guard lock(mu_);
      coordinator_epoch_ = epoch;
      coordinator_epoch_version_ = epoch_version;
    }
    is_leader_ = true;
    spdlog::info("metadata: coordinator {} is the leader (epoch {})", me->id, epoch);
    if (listener) listener(true, epoch);
    return;
  }
}

Status ZkMetadataStore::RegisterCoordinator(const TabletServerInfo& me) {
  const std::string path = P(fmt::format("/coordinators/ids/{}", me.id));
  const std::string body = json{{"version", 2}, {"id", me.id}, {"listeners", me.listeners}}.dump();
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    std::shared_lock lock(handle_mu_);
    int rc = zoo_create(zh_, path.c_str(), body.data(), static_cast<int>(body.size()), &ZOO_OPEN_ACL_UNSAFE,
                        ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZOK) return Status::OK();
    if (rc != ZNODEEXISTS) return Errno(rc, fmt::format("register coordinator {}", me.id));
    struct Stat stat {};
    rc = zoo_exists(zh_, path.c_str(), 0, &stat);
    if (rc == ZNONODE) continue;  // it just went
    if (rc != ZOK) return Errno(rc, fmt::format("register coordinator {}", me.id));
    if (stat.ephemeralOwner == zoo_client_id(zh_)->client_id) return Status::OK();
    spdlog::warn("metadata: coordinator id {} is registered by another ZooKeeper session (a crashed predecessor, "
                 "or another coordinator with the same id); replacing its registration",
                 me.id);
    rc = zoo_delete(zh_, path.c_str(), stat.version);
    if (rc != ZOK && rc != ZNONODE && rc != ZBADVERSION) {
      return Errno(rc, fmt::format("replace the registration of coordinator {}", me.id));
    }
  }
  return Status::IOError(fmt::format("cannot register coordinator {} at '{}'", me.id, path));
}

void ZkMetadataStore::UnregisterCoordinator(int32_t id) {
  const std::string path = P(fmt::format("/coordinators/ids/{}", id));
  std::shared_lock lock(handle_mu_);
  struct Stat stat {};
  if (zoo_exists(zh_, path.c_str(), 0, &stat) != ZOK) return;
  if (stat.ephemeralOwner != zoo_client_id(zh_)->client_id) return;  // not ours (any more)
  int rc = zoo_delete(zh_, path.c_str(), stat.version);
  if (rc != ZOK && rc != ZNONODE) spdlog::warn("metadata: unregistering coordinator {}: {}", id, zerror(rc));
}

Result<std::vector<TabletServerInfo>> ZkMetadataStore::RegisteredCoordinators() const {
  const std::string ids_path = P("/coordinators/ids");
  FLUSS_ASSIGN_OR_RETURN(auto ids, Children(ids_path, false));
  std::vector<TabletServerInfo> out;
  for (const std::string& name : ids ? *ids : std::vector<std::string>()) {
    const std::string path = ids_path + "/" + name;
    FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
    if (!node) continue;  // went meanwhile
    FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(node->first, path));
    TabletServerInfo info;
    if (!ReadInt(j, "id", &info.id) || !j.contains("listeners") || !j["listeners"].is_string()) {
      return Status::Corruption(fmt::format("znode '{}' is not a coordinator registration", path));
    }
    info.listeners = j["listeners"].get<std::string>();
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

void ZkMetadataStore::ResignCoordinator() {
  int64_t epoch;
  std::optional<TabletServerInfo> candidacy;
  {
    std::lock_guard lock(mu_);
    candidacy = std::move(candidacy_);
    candidacy_.reset();
    epoch = coordinator_epoch_;
  }
  if (candidacy) UnregisterCoordinator(candidacy->id);
  if (!is_leader_.exchange(false)) return;
  {
    std::shared_lock lock(handle_mu_);
    zoo_delete(zh_, P("/coordinators/active").c_str(), -1);
  }
  Queued q;
  q.kind = Queued::kLeadershipLost;
  q.epoch = epoch;
  Post(std::move(q));
}

Result<int32_t> ZkMetadataStore::CoordinatorLeaderId() const {
  const std::string path = P("/coordinators/active");
  FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
  if (!node) return -1;
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(node->first, path));
  int32_t id = -1;
  if (!ReadInt(j, "id", &id)) return Status::Corruption(fmt::format("znode '{}' has no coordinator id", path));
  return id;
}

Result<std::optional<TabletServerInfo>> ZkMetadataStore::ActiveCoordinator() const {
  const std::string path = P("/coordinators/active");
  FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
  if (!node) return std::optional<TabletServerInfo>();
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(node->first, path));
  TabletServerInfo info;
  if (!ReadInt(j, "id", &info.id) || !j.contains("listeners") || !j["listeners"].is_string()) {
    return Status::Corruption(fmt::format("znode '{}' is not a coordinator registration", path));
  }
  info.listeners = j["listeners"].get<std::string>();
  return std::optional<TabletServerInfo>(std::move(info));
}

Result<std::string> ZkMetadataStore::EnsureClusterId(const std::string& candidate) {
  const std::string path = P("/cluster/id");
  FLUSS_RETURN_NOT_OK(EnsurePath(P("/cluster")));
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
    if (node) {
      if (node->first.empty()) return Status::Corruption(fmt::format("znode '{}' is empty", path));
      return node->first;
    }
    int rc;
    {
      std::shared_lock lock(handle_mu_);
      rc = zoo_create(zh_, path.c_str(), candidate.data(), static_cast<int>(candidate.size()), &ZOO_OPEN_ACL_UNSAFE,
                      0, nullptr, 0);
    }
    if (rc == ZOK) return candidate;
    if (rc != ZNODEEXISTS) return Errno(rc, fmt::format("create '{}'", path));
  }
  return Status::IOError(fmt::format("cannot read or create '{}'", path));
}

// ---- leader and ISR ----

Result<int32_t> ZkMetadataStore::SetLeaderAndIsr(int64_t table_id, int32_t bucket, const LeaderAndIsr& value,
                                                 int32_t expected_version) {
  const std::string bpath = P(fmt::format("/tabletservers/tables/{}/buckets/{}", table_id, bucket));
  const std::string path = bpath + "/leader_isr";
  const std::string body = LeaderAndIsrBody(value);
  // A coordinator candidate writes only as the leader, and only while /coordinators/epoch is still at
  // the version it set when it won: a deposed leader's late writes fail.
  std::optional<int32_t> fence;
  {
    std::lock_guard lock(mu_);
    if (candidacy_) {
      if (!is_leader_.load()) {
        return Status(ErrorCode::kInvalidCoordinator,
                      fmt::format("coordinator {} is not the active coordinator", candidacy_->id));
      }
      fence = coordinator_epoch_version_;
    }
  }
  MultiOps ops;
  if (fence) ops.Check(P("/coordinators/epoch"), *fence);
  const size_t first = fence ? 1 : 0;
  if (expected_version < 0) {
    ops.Create(bpath, "");
    ops.Create(path, body);
  } else {
    ops.Set(path, body, expected_version);
  }
  MultiFailure f;
  int rc;
  {
    std::shared_lock lock(handle_mu_);
    rc = RunMulti(zh_, ops, &f);
  }
  if (rc == ZOK) return expected_version < 0 ? 0 : expected_version + 1;
  if (fence && f.index == 0) {
    return Status(ErrorCode::kInvalidCoordinator,
                  fmt::format("fenced: the coordinator epoch moved on ({})", zerror(f.rc)));
  }
  if (expected_version < 0) {
    if (f.rc == ZNODEEXISTS && f.index == first + 1) {
      return Status(ErrorCode::kInvalidUpdateVersion,
                    fmt::format("leader and ISR of bucket {} of table id {} already exist", bucket, table_id));
    }
    if (f.rc == ZNODEEXISTS) {  // the bucket znode is there without a record: create the record alone
      MultiOps retry;
      if (fence) retry.Check(P("/coordinators/epoch"), *fence);
      retry.Create(path, body);
      std::shared_lock lock(handle_mu_);
      rc = RunMulti(zh_, retry, &f);
      if (rc == ZOK) return 0;
      if (f.rc == ZNODEEXISTS) {
        return Status(ErrorCode::kInvalidUpdateVersion,
                      fmt::format("leader and ISR of bucket {} of table id {} already exist", bucket, table_id));
      }
    }
    if (f.rc == ZNONODE) return TableIdNotExist(table_id);
    return Errno(f.rc, fmt::format("create '{}'", path));
  }
  if (f.rc == ZBADVERSION) {
    return Status(ErrorCode::kInvalidUpdateVersion,
                  fmt::format("leader and ISR of bucket {} of table id {} are not at version {}", bucket, table_id,
                              expected_version));
  }
  if (f.rc == ZNONODE) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("bucket {} of table id {} has no leader and ISR", bucket, table_id));
  }
  return Errno(f.rc, fmt::format("set '{}'", path));
}

Result<std::pair<LeaderAndIsr, int32_t>> ZkMetadataStore::GetLeaderAndIsr(int64_t table_id, int32_t bucket) const {
  const std::string path = P(fmt::format("/tabletservers/tables/{}/buckets/{}/leader_isr", table_id, bucket));
  FLUSS_ASSIGN_OR_RETURN(auto node, Get(path, false));
  if (!node) {
    return Status(ErrorCode::kUnknownTableOrBucket,
                  fmt::format("bucket {} of table id {} has no leader and ISR", bucket, table_id));
  }
  FLUSS_ASSIGN_OR_RETURN(json j, ParseObject(node->first, path));
  LeaderAndIsr v;
  if (!ReadInt(j, "leader", &v.leader) || !ReadInt(j, "leader_epoch", &v.leader_epoch) ||
      !ReadIntArray(j, "isr", &v.isr) || !ReadInt(j, "coordinator_epoch", &v.coordinator_epoch) ||
      !ReadInt(j, "bucket_epoch", &v.bucket_epoch)) {
    return Status::Corruption(fmt::format("znode '{}' is not a leader-and-ISR record", path));
  }
  return std::pair(std::move(v), node->second);
}

}  // namespace fluss
