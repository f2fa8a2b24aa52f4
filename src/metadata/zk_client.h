// ZkClient: one ZooKeeper session of the metadata store over the C client's multi-threaded API — the
// handle and its (re)connection, watch and session events, and the calls the store makes (get, list,
// create, set, delete, multi-op), with errors as Status values that name the address.
//
// Paths given to the calls are absolute (Path() prepends the store's base to a zk_paths.h path).
// Results that the callers branch on (node exists, bad version, ...) are ZooKeeper return codes
// (ZOK, ZNONODE, ... from <zookeeper/zookeeper.h>), which only the .cc files of this library see.
//
// Events: the C client calls the event sink on its own completion thread for every watch and session
// event of any handle this client opened; the sink must only queue (it may not call ZooKeeper).
// IsCurrent(event) tells whether an event belongs to the handle in use.
//
// Thread-safety: the calls may come from any thread; Reconnect() replaces the handle while no call
// runs (a shared/exclusive lock).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

typedef struct _zhandle zhandle_t;

namespace fluss {

struct ZkOptions {
  // `zookeeper.address`: host:port[,host:port...][/chroot]. The chroot (created when missing) is
  // prepended to every path, as the ZooKeeper client does.
  std::string address;
  // `zookeeper.path.root` (Fluss's default): the store's znodes live under <chroot><root>.
  std::string root = "/fluss";
  int session_timeout_ms = 60000;     // `zookeeper.client.session-timeout`
  int connect_timeout_ms = 15000;     // `zookeeper.client.connection-timeout`: Open gives up after this
};

// A watch or session event, as the C client reported it (ZOO_*_EVENT / ZOO_*_STATE).
struct ZkEvent {
  const void* handle = nullptr;  // the handle that saw it (compare with ZkClient::IsCurrent)
  int type = 0;
  int state = 0;
  std::string path;  // absolute; empty for session events
};

// The ops of one multi-op, built up front; the strings live as long as this object.
class ZkMultiOps {
 public:
  void Check(std::string path, int version) { ops_.push_back({Op::kCheck, std::move(path), {}, version, 0}); }
  void Create(std::string path, std::string data, int mode = 0) {
    ops_.push_back({Op::kCreate, std::move(path), std::move(data), -1, mode});
  }
  void Set(std::string path, std::string data, int version) {
    ops_.push_back({Op::kSet, std::move(path), std::move(data), version, 0});
  }
  void Delete(std::string path, int version) { ops_.push_back({Op::kDelete, std::move(path), {}, version, 0}); }
  size_t size() const { return ops_.size(); }

 private:
  friend class ZkClient;
  struct Op {
    enum Kind { kCheck, kCreate, kSet, kDelete } kind;
    std::string path;
    std::string data;
    int version;
    int mode;
  };
  std::vector<Op> ops_;
};

// Which op of a failed multi failed, and its ZooKeeper code.
struct ZkMultiFailure {
  size_t index = 0;
  int rc = 0;
};

// The stat fields the store reads.
struct ZkStat {
  int32_t version = -1;
  int64_t ephemeral_owner = 0;
};

class ZkClient {
 public:
  using EventSink = std::function<void(ZkEvent)>;

  // Checks the address and root (INVALID_ARGUMENT naming them) and connects, waiting up to
  // connect_timeout_ms for the session (STORAGE_EXCEPTION naming the address).
  static Result<std::unique_ptr<ZkClient>> Connect(ZkOptions options, EventSink sink);
  ~ZkClient();  // closes the session: its ephemeral znodes disappear at once
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  const ZkOptions& options() const { return options_; }
  const std::string& hosts() const { return hosts_; }
  // <chroot><root>: every znode of the store lives under it.
  const std::string& base() const { return base_; }
  std::string Path(std::string_view relative) const { return base_ + std::string(relative); }

  // Whether `event` comes from the handle in use (not one closed by Reconnect).
  bool IsCurrent(const ZkEvent& event) const;
  // Closes the handle and opens a new session, retrying until it is up; false when Close() stopped it.
  bool Reconnect();
  // Makes Reconnect() (and a connection wait in progress) give up; called before destruction.
  void Close();
  // Expires the session from the server side (a second client takes over the session id and closes
  // it) and returns once this client has seen the expiry. Tests only.
  Status ExpireSessionForTesting();

  // ---- calls (absolute paths) ----
  // Body and version; nullopt when there is no such znode. `watch` sets a data watch.
  Result<std::optional<std::pair<std::string, int32_t>>> Get(const std::string& path, bool watch) const;
  // Children sorted by name; nullopt when there is no such znode. `watch` sets a child watch.
  Result<std::optional<std::vector<std::string>>> Children(const std::string& path, bool watch) const;
  // Creates `path` and every missing parent, empty.
  Status EnsurePath(const std::string& path) const;
  // ZooKeeper codes. `mode` 0 or ZOO_EPHEMERAL; `version` -1 for any.
  // `created`, when given, receives the path ZooKeeper created (with the sequence number of a
  // ZOO_SEQUENCE node).
  int Create(const std::string& path, std::string_view data, int mode, std::string* created = nullptr) const;
  int Set(const std::string& path, std::string_view data, int version, int32_t* new_version = nullptr) const;
  int Delete(const std::string& path, int version) const;
  int Exists(const std::string& path, bool watch, ZkStat* stat) const;
  // Runs the ops atomically: ZOK, or the code with which op failed in `failure`.
  int Multi(const ZkMultiOps& ops, ZkMultiFailure* failure) const;
  // This session's id (compare with ZkStat::ephemeral_owner).
  int64_t SessionId() const;
  // STORAGE_EXCEPTION "ZooKeeper <what> at '<hosts>': <zerror(rc)>".
  Status Error(int rc, std::string_view what) const;
  // zerror(rc).
  static const char* ErrorText(int rc);

 private:
  ZkClient(ZkOptions options, std::string hosts, std::string base, EventSink sink);
  // REQUIRES: handle_mu_ held exclusively (or the client not yet shared).
  Status OpenSession();
  static void GlobalWatcher(zhandle_t* zh, int type, int state, const char* path, void* ctx);

  const ZkOptions options_;
  const std::string hosts_;
  const std::string base_;
  const EventSink sink_;

  mutable std::shared_mutex handle_mu_;  // exclusive while the handle is replaced
  zhandle_t* zh_ = nullptr;
  std::atomic<const void*> current_{nullptr};  // zh_, readable without handle_mu_
  std::mutex connect_mu_;
  std::condition_variable connect_cv_;
  int connect_state_ = 0;             // guarded by connect_mu_
  zhandle_t* connecting_ = nullptr;   // guarded by connect_mu_
  std::atomic<bool> closing_{false};
  std::atomic<int64_t> expiries_seen_{0};  // session-expired events of any handle (test hook)
};

}  // namespace fluss
