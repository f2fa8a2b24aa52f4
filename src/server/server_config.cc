#include "server/server_config.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/closest_name.h"
#include "common/config_value.h"
#include "server/upstream_options.h"

namespace fluss {

std::string Listener::ToString() const { return fmt::format("{}://{}:{}", name, host, port); }

Result<std::vector<Listener>> ParseListeners(std::string_view text) {
  std::vector<Listener> out;
  std::string s(text);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    std::string item = TrimSpace(std::string_view(s).substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t sep = item.find("://");
    if (sep == std::string::npos || sep == 0) {
      return Status::Invalid(fmt::format("listener '{}' is not NAME://host:port (e.g. FLUSS://localhost:9123)", item));
    }
    Listener l;
    l.name = item.substr(0, sep);
    std::string hostport = item.substr(sep + 3);
    size_t colon = hostport.rfind(':');
    if (colon == std::string::npos) {
      return Status::Invalid(fmt::format("listener '{}' has no port (NAME://host:port)", item));
    }
    l.host = hostport.substr(0, colon);
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
    if (l.host.empty()) l.host = "0.0.0.0";
    auto port = ParseIntOption("bind.listeners", hostport.substr(colon + 1));
    if (!port.ok() || *port < 0 || *port > 65535) {
      return Status::Invalid(fmt::format("listener '{}' has an invalid port", item));
    }
    l.port = static_cast<uint16_t>(*port);
    out.push_back(std::move(l));
  }
  if (out.empty()) return Status::Invalid("bind.listeners is empty");
  return out;
}

Result<std::map<std::string, std::string>> ParseConfigText(std::string_view text, std::string_view origin,
                                                          std::map<std::string, int>* key_lines) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::string t = TrimSpace(line);
    if (t.empty() || t[0] == '#') continue;
    const size_t colon = t.find(':');
    // "key: value"; a colon inside the value (URLs) is fine, the key has none.
    if (colon == std::string::npos || colon == 0) {
      return Status::Invalid(fmt::format("{}:{}: expected 'key: value', found '{}'", origin, line_no, t));
    }
    std::string key = TrimSpace(std::string_view(t).substr(0, colon));
    std::string value = TrimSpace(std::string_view(t).substr(colon + 1));
    if (line.find_first_not_of(" \t") != 0) {
      return Status::Invalid(fmt::format("{}:{}: nested YAML is not supported; write '{}' as a flat 'a.b.c: value' key",
                                         origin, line_no, key));
    }
    // Strip a trailing comment when the value is unquoted.
    if (!value.empty() && value[0] != '"' && value[0] != '\'') {
      const size_t hash = value.find(" #");
      if (hash != std::string::npos) value = TrimSpace(std::string_view(value).substr(0, hash));
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
    if (key_lines != nullptr) (*key_lines)[key] = line_no;
  }
  return out;
}

Result<ServerConfig> ServerConfig::Load(const std::string& config_path, const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> origins;
  if (!config_path.empty()) {
    std::ifstream f(config_path);
    if (!f) return Status::Invalid(fmt::format("cannot read config file '{}'", config_path));
    std::stringstream ss;
    ss << f.rdbuf();
    std::map<std::string, int> lines;
    FLUSS_ASSIGN_OR_RETURN(options, ParseConfigText(ss.str(), config_path, &lines));
    for (const auto& [key, line] : lines) origins[key] = fmt::format("{}:{}", config_path, line);
  }
  for (const std::string& kv : overrides) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid(fmt::format("--set '{}' is not key=value", kv));
    }
    const std::string key = TrimSpace(std::string_view(kv).substr(0, eq));
    options[key] = TrimSpace(std::string_view(kv).substr(eq + 1));
    origins[key] = "--set";
  }
  return FromOptions(std::move(options), origins);
}

namespace {

// The options fluss-server reads itself (LogConfig reads the log ones).
constexpr std::string_view kServerOptions[] = {
    "bind.listeners", "advertised.listeners", "data.dir", "tablet-server.id", "default.bucket.number",
    "default.replication.factor", "max.bucket.num", "max.partition.num", "auto-partition.check.interval",
    "auto-partition.test.clock-offset",
    "netty.server.num-network-threads",
    "netty.server.num-worker-threads", "netty.server.max-request-size", "netty.connection.max-idle-time",
    "kv.rocksdb.shared-write-buffer.size", "kv.rocksdb.block.cache-size", "kv.rocksdb.writebuffer.size",
    "kv.rocksdb.writebuffer.count", "kv.rocksdb.block.blocksize", "kv.rocksdb.use-bloom-filter",
    "kv.rocksdb.thread.num", "kv.flush.thread-num", "datalake.format", "datalake.tiering.embedded",
    "datalake.iceberg.warehouse", "zookeeper.address", "zookeeper.path.root", "zookeeper.client.session-timeout",
    "log.replica.max-lag-time", "log.replica.min-in-sync-replicas-number", "log.replica.fetch.max-bytes",
    "log.replica.fetch.wait-max-time", "log.replica.fetch.backoff-interval", "auto.leader.rebalance.enabled",
    "leader.imbalance.check.interval",
};

// One line per unknown key: where it was given and, when a known name is near, the suggestion.
Status UnknownOptions(const std::vector<std::string>& unknown, const std::map<std::string, std::string>& origins) {
  std::vector<std::string_view> names(std::begin(kServerOptions), std::end(kServerOptions));
  for (std::string_view n : LogConfig::OptionNames()) names.push_back(n);
  for (std::string_view n : UpstreamOptionNames()) names.push_back(n);
  std::string message;
  for (const std::string& key : unknown) {
    if (!message.empty()) message += '\n';
    auto origin = origins.find(key);
    if (origin != origins.end()) message += origin->second + ": ";
    message += fmt::format("unknown option '{}'", key);
    std::string hint = DidYouMean(key, names);
    message += hint.empty() ? " (docs/configuration.md lists the options)" : hint;
  }
  return Status::Invalid(std::move(message));
}

Result<int32_t> PositiveInt(const std::string& key, const std::string& value, int64_t max) {
  FLUSS_ASSIGN_OR_RETURN(int64_t v, ParseIntOption(key, value));
  if (v <= 0 || v > max) return Status::Invalid(fmt::format("option '{}': {} is not in [1, {}]", key, v, max));
  return static_cast<int32_t>(v);
}

}  // namespace

std::string_view ServerRoleName(ServerRole role) {
  switch (role) {
    case ServerRole::kStandalone: return "standalone";
    case ServerRole::kCoordinator: return "coordinator";
    case ServerRole::kTablet: return "tablet";
  }
  return "?";
}

Result<ServerRole> ParseServerRole(std::string_view name) {
  if (name == "standalone") return ServerRole::kStandalone;
  if (name == "coordinator") return ServerRole::kCoordinator;
  if (name == "tablet") return ServerRole::kTablet;
  return Status::Invalid(fmt::format("unknown role '{}' (standalone, coordinator or tablet)", name));
}

Result<ServerConfig> ServerConfig::FromOptions(std::map<std::string, std::string> options,
                                              const std::map<std::string, std::string>& origins) {
  ServerConfig c;
  std::map<std::string, std::string> log_options;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : options) {
    if (key == "bind.listeners") {
      FLUSS_ASSIGN_OR_RETURN(auto listeners, ParseListeners(value));
      c.bind = listeners.front();
    } else if (key == "advertised.listeners") {
      FLUSS_ASSIGN_OR_RETURN(auto listeners, ParseListeners(value));
      c.advertised_host = listeners.front().host;
      c.advertised_port = listeners.front().port;
    } else if (key == "data.dir") {
      if (value.empty()) return Status::Invalid("option 'data.dir' is empty");
      c.data_dir = value;
    } else if (key == "tablet-server.id") {
      FLUSS_ASSIGN_OR_RETURN(int64_t v, ParseIntOption(key, value));
      if (v < 0 || v > INT32_MAX) return Status::Invalid(fmt::format("option 'tablet-server.id': {} is negative", v));
      c.server_id = static_cast<int32_t>(v);
    } else if (key == "default.bucket.number") {
      FLUSS_ASSIGN_OR_RETURN(c.default_bucket_number, PositiveInt(key, value, 4096));
    } else if (key == "default.replication.factor") {
      FLUSS_ASSIGN_OR_RETURN(c.default_replication_factor, PositiveInt(key, value, 1000));
    } else if (key == "max.bucket.num") {
      FLUSS_ASSIGN_OR_RETURN(c.max_bucket_num, PositiveInt(key, value, 1 << 20));
    } else if (key == "max.partition.num") {
      FLUSS_ASSIGN_OR_RETURN(c.max_partition_num, PositiveInt(key, value, 1 << 20));
    } else if (key == "auto-partition.check.interval") {
      FLUSS_ASSIGN_OR_RETURN(c.auto_partition_check_interval_ms, ParseDurationOption(key, value));
      if (c.auto_partition_check_interval_ms <= 0) {
        return Status::Invalid(fmt::format("option '{}' must be positive", key));
      }
    } else if (key == "auto-partition.test.clock-offset") {
      // A signed duration ("-2d" moves the clock back).
      const bool negative = !value.empty() && value.front() == '-';
      FLUSS_ASSIGN_OR_RETURN(int64_t v,
                             ParseDurationOption(key, negative ? std::string_view(value).substr(1) : value));
      c.auto_partition_test_clock_offset_ms = negative ? -v : v;
    } else if (key == "netty.server.num-network-threads") {
      FLUSS_ASSIGN_OR_RETURN(c.network_threads, PositiveInt(key, value, 256));
    } else if (key == "netty.server.num-worker-threads") {
      FLUSS_ASSIGN_OR_RETURN(c.worker_threads, PositiveInt(key, value, 1024));
    } else if (key == "netty.server.max-request-size") {
      FLUSS_ASSIGN_OR_RETURN(c.max_request_size, ParseSizeOption(key, value));
      if (c.max_request_size < 1024 || c.max_request_size > (1LL << 31) - 1) {
        return Status::Invalid(fmt::format("option '{}': {} is not in [1 KiB, 2 GiB)", key, c.max_request_size));
      }
    } else if (key == "netty.connection.max-idle-time") {
      FLUSS_ASSIGN_OR_RETURN(c.connection_max_idle_ms, ParseDurationOption(key, value));
    } else if (key == "kv.rocksdb.shared-write-buffer.size") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.shared_write_buffer_bytes, ParseSizeOption(key, value));
    } else if (key == "kv.rocksdb.block.cache-size") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.block_cache_bytes, ParseSizeOption(key, value));
    } else if (key == "kv.rocksdb.writebuffer.size") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.write_buffer_bytes, ParseSizeOption(key, value));
    } else if (key == "kv.rocksdb.writebuffer.count") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.max_write_buffers, PositiveInt(key, value, 64));
    } else if (key == "kv.rocksdb.block.blocksize") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.block_bytes, ParseSizeOption(key, value));
    } else if (key == "kv.rocksdb.use-bloom-filter") {
      if (value != "true" && value != "false") {
        return Status::Invalid(fmt::format("option '{}': '{}' is not true or false", key, value));
      }
      c.kv.bloom_filter = value == "true";
    } else if (key == "kv.rocksdb.thread.num") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.background_threads, PositiveInt(key, value, 256));
    } else if (key == "kv.flush.thread-num") {
      FLUSS_ASSIGN_OR_RETURN(c.kv.flush_threads, PositiveInt(key, value, 256));
    } else if (key == "datalake.format") {
      if (value != "iceberg") {
        return Status::Invalid(fmt::format("option 'datalake.format': '{}' is not supported (fluss-cpp tiers to "
                                           "'iceberg')",
                                           value));
      }
      c.datalake_format = value;
    } else if (key == "datalake.tiering.embedded") {
      if (value != "true" && value != "false") {
        return Status::Invalid(fmt::format("option '{}': '{}' is not true or false", key, value));
      }
      c.tiering_embedded = value == "true";
    } else if (key == "datalake.iceberg.warehouse") {
      if (value.empty()) return Status::Invalid("option 'datalake.iceberg.warehouse' is empty");
      c.iceberg_warehouse = value;
    } else if (key == "zookeeper.address") {
      if (value.empty()) return Status::Invalid("option 'zookeeper.address' is empty");
      c.zookeeper_address = value;
    } else if (key == "zookeeper.path.root") {
      if (value.empty() || value.front() != '/') {
        return Status::Invalid(fmt::format("option 'zookeeper.path.root': '{}' is not an absolute path", value));
      }
      c.zookeeper_root = value;
    } else if (key == "zookeeper.client.session-timeout") {
      FLUSS_ASSIGN_OR_RETURN(c.zookeeper_session_timeout_ms, ParseDurationOption(key, value));
    } else if (key == "log.replica.max-lag-time") {
      FLUSS_ASSIGN_OR_RETURN(c.replica_max_lag_ms, ParseDurationOption(key, value));
    } else if (key == "log.replica.min-in-sync-replicas-number") {
      FLUSS_ASSIGN_OR_RETURN(c.min_in_sync_replicas, PositiveInt(key, value, 1000));
    } else if (key == "log.replica.fetch.max-bytes") {
      FLUSS_ASSIGN_OR_RETURN(c.replica_fetch_max_bytes, ParseSizeOption(key, value));
    } else if (key == "log.replica.fetch.wait-max-time") {
      FLUSS_ASSIGN_OR_RETURN(c.replica_fetch_wait_max_ms, ParseDurationOption(key, value));
    } else if (key == "log.replica.fetch.backoff-interval") {
      FLUSS_ASSIGN_OR_RETURN(c.replica_fetch_backoff_ms, ParseDurationOption(key, value));
    } else if (key == "auto.leader.rebalance.enabled") {
      if (value != "true" && value != "false") {
        return Status::Invalid(fmt::format("option '{}': '{}' is not true or false", key, value));
      }
      c.auto_leader_rebalance = value == "true";
    } else if (key == "leader.imbalance.check.interval") {
      FLUSS_ASSIGN_OR_RETURN(c.leader_imbalance_check_interval_ms, ParseDurationOption(key, value));
      if (c.leader_imbalance_check_interval_ms <= 0) {
        return Status::Invalid(fmt::format("option '{}' must be positive", key));
      }
    } else if (LogConfig::IsLogOption(key)) {
      log_options[key] = value;
    } else if (IsUpstreamOption(key)) {
      c.ignored_keys.push_back(key);
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) return UnknownOptions(unknown, origins);
  FLUSS_ASSIGN_OR_RETURN(c.log, LogConfig::FromOptions(log_options));
  for (auto [name, bytes] : {std::pair<const char*, int64_t>{"kv.rocksdb.shared-write-buffer.size", c.kv.shared_write_buffer_bytes},
                             {"kv.rocksdb.block.cache-size", c.kv.block_cache_bytes},
                             {"kv.rocksdb.writebuffer.size", c.kv.write_buffer_bytes},
                             {"kv.rocksdb.block.blocksize", c.kv.block_bytes}}) {
    if (bytes <= 0) return Status::Invalid(fmt::format("option '{}' must be positive", name));
  }
  if (!c.datalake_format.empty() && c.iceberg_warehouse.empty()) {
    return Status::Invalid("datalake.format is 'iceberg' but datalake.iceberg.warehouse is not set");
  }
  if (c.datalake_format.empty() && !c.iceberg_warehouse.empty()) {
    return Status::Invalid("datalake.iceberg.warehouse is set but datalake.format is not (set it to 'iceberg')");
  }
  if (c.advertised_host.empty()) {
    c.advertised_host = (c.bind.host == "0.0.0.0" || c.bind.host == "::") ? "localhost" : c.bind.host;
    c.advertised_port = c.bind.port;
  }
  c.options = std::move(options);
  return c;
}

Status ServerConfig::Validate() const {
  if (role == ServerRole::kStandalone && default_replication_factor != 1) {
    return Status(ErrorCode::kInvalidReplicationFactor,
                  fmt::format("default.replication.factor {} needs a cluster; a standalone server has one replica",
                              default_replication_factor));
  }
  if (role != ServerRole::kStandalone && zookeeper_address.empty()) {
    return Status::Invalid(fmt::format("role '{}' needs zookeeper.address (the cluster's ZooKeeper)",
                                       ServerRoleName(role)));
  }
  return Status::OK();
}

}  // namespace fluss
