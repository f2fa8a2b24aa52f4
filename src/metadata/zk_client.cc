#include "metadata/zk_client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace fluss {
namespace {

// Splits "h1:p1,h2:p2/chroot" into hosts and chroot ("" when none).
std::pair<std::string, std::string> SplitZkAddress(const std::string& address) {
  size_t slash = address.find('/');
  if (slash == std::string::npos) return {address, ""};
  std::string chroot = address.substr(slash);
  while (chroot.size() > 1 && chroot.back() == '/') chroot.pop_back();
  if (chroot == "/") chroot.clear();
  return {address.substr(0, slash), chroot};
}

std::once_flag zk_log_level_once;

}  // namespace

Result<std::unique_ptr<ZkClient>> ZkClient::Connect(ZkOptions options, EventSink sink) {
  std::call_once(zk_log_level_once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
  auto [hosts, chroot] = SplitZkAddress(options.address);
  if (hosts.empty()) return Status::Invalid("zookeeper.address is empty; expected host:port[,host:port...][/chroot]");
  std::string root = options.root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (!root.empty() && root.front() != '/') {
    return Status::Invalid(fmt::format("zookeeper.path.root '{}' must start with '/'", options.root));
  }
  std::string base = chroot + root;
  if (base.empty()) return Status::Invalid("the ZooKeeper base path is '/'; set zookeeper.path.root");
  std::unique_ptr<ZkClient> client(new ZkClient(std::move(options), hosts, base, std::move(sink)));
  {
    std::unique_lock lock(client->handle_mu_);
    FLUSS_RETURN_NOT_OK(client->OpenSession());
  }
  return client;
}

ZkClient::ZkClient(ZkOptions options, std::string hosts, std::string base, EventSink sink)
    : options_(std::move(options)), hosts_(std::move(hosts)), base_(std::move(base)), sink_(std::move(sink)) {}

ZkClient::~ZkClient() {
  Close();
  std::unique_lock lock(handle_mu_);
  if (zh_ != nullptr) zookeeper_close(zh_);
  zh_ = nullptr;
  current_ = nullptr;
}

void ZkClient::Close() {
  {
    std::lock_guard lock(connect_mu_);
    closing_ = true;  // a reconnect in progress gives up
  }
  connect_cv_.notify_all();
}

Status ZkClient::OpenSession() {
  std::unique_lock lock(connect_mu_);
  connect_state_ = 0;
  zhandle_t* h =
      zookeeper_init(hosts_.c_str(), &ZkClient::GlobalWatcher, options_.session_timeout_ms, nullptr, this, 0);
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
  current_ = h;
  return Status::OK();
}

bool ZkClient::Reconnect() {
  while (!closing_.load()) {
    std::unique_lock lock(handle_mu_);
    if (zh_ != nullptr) zookeeper_close(zh_);
    zh_ = nullptr;
    current_ = nullptr;
    Status st = OpenSession();
    if (st.ok()) return true;
    if (closing_.load()) break;
    spdlog::warn("metadata: {}; retrying", st.ToString());
  }
  return false;
}

bool ZkClient::IsCurrent(const ZkEvent& event) const { return event.handle != nullptr && event.handle == current_.load(); }

// Runs on the ZooKeeper client's completion thread: records and queues only (never calls ZooKeeper).
void ZkClient::GlobalWatcher(zhandle_t* zh, int type, int state, const char* path, void* ctx) {
  auto* self = static_cast<ZkClient*>(ctx);
  if (type == ZOO_SESSION_EVENT) {
    std::lock_guard lock(self->connect_mu_);
    if (zh == self->connecting_) {
      self->connect_state_ = state;
      self->connect_cv_.notify_all();
    }
  }
  if (type == ZOO_SESSION_EVENT && state == ZOO_EXPIRED_SESSION_STATE) self->expiries_seen_++;
  self->sink_(ZkEvent{zh, type, state, path != nullptr ? path : ""});
}

Status ZkClient::ExpireSessionForTesting() {
  // A second client attaches to this session and closes it, which ends the session on the server. If
  // this client reconnects in between, the session moves back to it and the close is refused
  // (session moved): then try again.
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

// ---- calls ----

Status ZkClient::Error(int rc, std::string_view what) const {
  return Status::IOError(fmt::format("ZooKeeper {} at '{}': {}", what, hosts_, zerror(rc)));
}

const char* ZkClient::ErrorText(int rc) { return zerror(rc); }

Result<std::optional<std::pair<std::string, int32_t>>> ZkClient::Get(const std::string& path, bool watch) const {
  std::shared_lock lock(handle_mu_);
  std::string buf(4096, '\0');
  for (int attempt = 0; attempt < 5; ++attempt) {
    struct Stat stat {};
    int len = static_cast<int>(buf.size());
    int rc = zoo_get(zh_, path.c_str(), watch ? 1 : 0, buf.data(), &len, &stat);
    if (rc == ZNONODE) return std::optional<std::pair<std::string, int32_t>>();
    if (rc != ZOK) return Error(rc, fmt::format("get '{}'", path));
    if (stat.dataLength <= static_cast<int32_t>(buf.size())) {
      buf.resize(static_cast<size_t>(std::max(len, 0)));
      return std::optional(std::pair(std::move(buf), stat.version));
    }
    buf.assign(static_cast<size_t>(stat.dataLength), '\0');  // grew: read again with room for it
  }
  return Status::IOError(fmt::format("znode '{}' keeps growing while read", path));
}

Result<std::optional<std::vector<std::string>>> ZkClient::Children(const std::string& path, bool watch) const {
  std::shared_lock lock(handle_mu_);
  struct String_vector v {};
  int rc = zoo_get_children(zh_, path.c_str(), watch ? 1 : 0, &v);
  if (rc == ZNONODE) return std::optional<std::vector<std::string>>();
  if (rc != ZOK) return Error(rc, fmt::format("list '{}'", path));
  std::vector<std::string> out;
  for (int32_t i = 0; i < v.count; ++i) out.emplace_back(v.data[i]);
  deallocate_String_vector(&v);
  std::sort(out.begin(), out.end());
  return std::optional(std::move(out));
}

Status ZkClient::EnsurePath(const std::string& path) const {
  std::shared_lock lock(handle_mu_);
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    int rc = zoo_create(zh_, prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return Error(rc, fmt::format("create '{}'", prefix));
  }
  return Status::OK();
}

int ZkClient::Create(const std::string& path, std::string_view data, int mode, std::string* created) const {
  std::shared_lock lock(handle_mu_);
  if (created == nullptr) {
    return zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE, mode,
                      nullptr, 0);
  }
  std::string buffer(path.size() + 32, '\0');  // room for the 10-digit sequence number
  int rc = zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE, mode,
                      buffer.data(), static_cast<int>(buffer.size()));
  if (rc == ZOK) *created = buffer.c_str();
  return rc;
}

int ZkClient::Set(const std::string& path, std::string_view data, int version, int32_t* new_version) const {
  std::shared_lock lock(handle_mu_);
  struct Stat stat {};
  int rc = zoo_set2(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), version, &stat);
  if (rc == ZOK && new_version != nullptr) *new_version = stat.version;
  return rc;
}

int ZkClient::Delete(const std::string& path, int version) const {
  std::shared_lock lock(handle_mu_);
  return zoo_delete(zh_, path.c_str(), version);
}

int ZkClient::Exists(const std::string& path, bool watch, ZkStat* out) const {
  std::shared_lock lock(handle_mu_);
  struct Stat stat {};
  int rc = zoo_exists(zh_, path.c_str(), watch ? 1 : 0, &stat);
  if (rc == ZOK && out != nullptr) *out = ZkStat{stat.version, stat.ephemeralOwner};
  return rc;
}

int ZkClient::Multi(const ZkMultiOps& ops, ZkMultiFailure* failure) const {
  std::vector<zoo_op_t> zops(ops.ops_.size());
  for (size_t i = 0; i < ops.ops_.size(); ++i) {
    const ZkMultiOps::Op& op = ops.ops_[i];
    switch (op.kind) {
      case ZkMultiOps::Op::kCheck:
        zoo_check_op_init(&zops[i], op.path.c_str(), op.version);
        break;
      case ZkMultiOps::Op::kCreate:
        zoo_create_op_init(&zops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()),
                           &ZOO_OPEN_ACL_UNSAFE, op.mode, nullptr, 0);
        break;
      case ZkMultiOps::Op::kSet:
        zoo_set_op_init(&zops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()), op.version,
                        nullptr);
        break;
      case ZkMultiOps::Op::kDelete:
        zoo_delete_op_init(&zops[i], op.path.c_str(), op.version);
        break;
    }
  }
  std::vector<zoo_op_result_t> results(zops.size());
  int rc;
  {
    std::shared_lock lock(handle_mu_);
    rc = zoo_multi(zh_, static_cast<int>(zops.size()), zops.data(), results.data());
  }
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

int64_t ZkClient::SessionId() const {
  std::shared_lock lock(handle_mu_);
  return zoo_client_id(zh_)->client_id;
}

}  // namespace fluss
