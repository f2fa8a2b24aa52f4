// ServerConfig: the options of `fluss-server`, from a server.yaml-style file (`key: value` lines)
// and `--set key=value` overrides (later ones win). Key names and defaults follow Fluss where Fluss
// has the option; docs/configuration.md lists every one. Keys Apache Fluss has that fluss-cpp does
// not implement are accepted and reported as ignored (fluss-server logs a warning naming them), so a
// Fluss server.yaml still starts the server; any other key is an error naming where it was given,
// with a "did you mean" suggestion when a known name is near (a typo must not go unnoticed).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kv/rocks_kv.h"
#include "log/log_config.h"

namespace fluss {

struct Listener {
  std::string name = "FLUSS";
  std::string host = "localhost";
  uint16_t port = 9123;
  std::string ToString() const;
};

// Parses "FLUSS://host:port[,NAME://host:port...]". Port 0 asks for a free port.
Result<std::vector<Listener>> ParseListeners(std::string_view text);

// What one fluss-server process is (`fluss-server --role`).
enum class ServerRole {
  kStandalone,   // coordinator and tablet server in one process, embedded metadata, no ZooKeeper
  kCoordinator,  // cluster mode: metadata and DDL, bucket assignment, leader election (ZooKeeper)
  kTablet,       // cluster mode: bucket replicas (ZooKeeper for registration and metadata)
};
std::string_view ServerRoleName(ServerRole role);          // "standalone", "coordinator", "tablet"
Result<ServerRole> ParseServerRole(std::string_view name);  // INVALID_CONFIG-style error otherwise

struct ServerConfig {
  // --role (not a server.yaml key). Cluster roles need zookeeper.address.
  ServerRole role = ServerRole::kStandalone;
  // zookeeper.address ("host:port[,host:port][/chroot]") and zookeeper.path.root (default /fluss);
  // zookeeper.client.session-timeout (default 60 s; tests use less).
  std::string zookeeper_address;
  std::string zookeeper_root = "/fluss";
  int64_t zookeeper_session_timeout_ms = 60 * 1000;
  // Replication (cluster mode), Fluss's names and defaults:
  // log.replica.max-lag-time: a follower that has not caught up for this long leaves the ISR.
  int64_t replica_max_lag_ms = 30 * 1000;
  // log.replica.min-in-sync-replicas-number: acks=all needs at least this many in-sync replicas.
  int32_t min_in_sync_replicas = 1;
  // log.replica.fetch.max-bytes, log.replica.fetch.wait-max-time, log.replica.fetch.backoff-interval:
  // the follower fetcher's request size, long-poll wait and back-off after an error.
  int64_t replica_fetch_max_bytes = 16LL * 1024 * 1024;
  int64_t replica_fetch_wait_max_ms = 500;
  int64_t replica_fetch_backoff_ms = 1000;
  // Preferred-leader election (coordinator; Kafka's names, Fluss has no such option):
  // auto.leader.rebalance.enabled moves a bucket's leadership back to its first replica once that
  // one is live and in sync again; leader.imbalance.check.interval is how often it is checked.
  bool auto_leader_rebalance = true;
  int64_t leader_imbalance_check_interval_ms = 30 * 1000;
  // bind.listeners (the first one is served; default FLUSS://localhost:9123).
  Listener bind;
  // advertised.listeners: what metadata tells clients; defaults to the bound address.
  std::string advertised_host;
  uint16_t advertised_port = 0;
  // data.dir: logs and metadata. Fluss's default is /tmp/fluss-data; fluss-cpp's standalone
  // default is ./data, next to where the server was started.
  std::string data_dir = "./data";
  // tablet-server.id: this server's node id.
  int32_t server_id = 0;
  // default.bucket.number, default.replication.factor, max.bucket.num.
  int32_t default_bucket_number = 1;
  int32_t default_replication_factor = 1;
  int32_t max_bucket_num = 4096;
  // max.partition.num: the most partitions one partitioned table may have (PARTITION_MAX_NUM beyond).
  int32_t max_partition_num = 1000;
  // auto-partition.check.interval: how often the auto-partition manager creates and expires the
  // partitions of tables with table.auto-partition.enabled (also once when such a table is created).
  int64_t auto_partition_check_interval_ms = 10 * 60 * 1000;
  // auto-partition.test.clock-offset (TEST ONLY, standalone): added to the wall clock the
  // auto-partition manager names and expires partitions by, so a process test can move a running
  // server days ahead. 0 (the default): the system clock.
  int64_t auto_partition_test_clock_offset_ms = 0;
  // netty.server.num-network-threads: socket threads (Fluss: 3).
  int32_t network_threads = 2;
  // netty.server.num-worker-threads: threads that run request handlers (Fluss: 8).
  int32_t worker_threads = 4;
  // netty.server.max-request-size.
  int64_t max_request_size = 100LL * 1024 * 1024;
  // netty.connection.max-idle-time.
  int64_t connection_max_idle_ms = 10 * 60 * 1000;
  // log.replica.fetch.wait-max-time caps a client's max_wait_ms (fluss-cpp: 30 s cap).
  int64_t fetch_max_wait_cap_ms = 30 * 1000;
  LogConfig log;
  // kv.rocksdb.*: the RocksDB of primary-key buckets; every bucket shares one memory budget.
  KvOptions kv;
  // datalake.format (only "iceberg"; empty: no lake, tables cannot enable table.datalake.enabled)
  // and datalake.iceberg.warehouse (the warehouse directory of the Iceberg tables).
  std::string datalake_format;
  std::string iceberg_warehouse;
  // datalake.tiering.embedded (fluss-cpp): with a lake configured, fluss-server runs the tiering
  // service itself (false: run `fluss-tiering` instead).
  bool tiering_embedded = true;

  // Every option as given (file, then overrides), and the Apache Fluss keys that were accepted but
  // are not implemented by fluss-cpp.
  std::map<std::string, std::string> options;
  std::vector<std::string> ignored_keys;

  // Reads `config_path` (empty: none) then applies `overrides` ("key=value" each).
  static Result<ServerConfig> Load(const std::string& config_path, const std::vector<std::string>& overrides);
  // Applies `options`. An unknown key is INVALID_CONFIG, one line per key: "<origin>: unknown option
  // 'data.dirr'; did you mean 'data.dir'?", where origins[key] says where it was given ("--set",
  // "server.yaml:3"; nothing when absent).
  static Result<ServerConfig> FromOptions(std::map<std::string, std::string> options,
                                          const std::map<std::string, std::string>& origins = {});
  // Checks that depend on the role (set after loading): a standalone server has one replica
  // (INVALID_REPLICATION_FACTOR otherwise); cluster roles need zookeeper.address.
  Status Validate() const;
};

// Parses server.yaml-style text: `key: value` per line, `#` comments, blank lines, optional quotes
// around the value. `origin` names the file in errors ("server.yaml:12: ..."). When `key_lines` is
// given, it receives the line of each key (the last one when a key repeats).
Result<std::map<std::string, std::string>> ParseConfigText(std::string_view text, std::string_view origin,
                                                          std::map<std::string, int>* key_lines = nullptr);

}  // namespace fluss
