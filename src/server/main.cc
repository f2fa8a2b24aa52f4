// fluss-server: a Fluss server. --role standalone (default): coordinator + tablet server in one
// process, embedded metadata. --role coordinator / --role tablet: one server of a cluster, metadata
// in ZooKeeper (docs/cluster.md).
//
//   fluss-server [--role standalone|coordinator|tablet] [--config server.yaml] [--set key=value ...]
//
// Prints "fluss-server listening on FLUSS://host:port" once it accepts connections; SIGTERM or
// SIGINT stops it cleanly (exit 0; a tablet server first asks the coordinator to move its bucket
// leaderships away). Exit 1 when it cannot start, 2 on bad command-line usage or configuration (an
// unknown option, a bad value: nothing is started).
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lake/iceberg/iceberg_table.h"
#include "lake/tiering/lake_tiering.h"
#include "lake/tiering/tiering_service.h"
#include "log/open_segment_cache.h"
#include "server/fluss_server.h"
#ifdef FLUSS_HAVE_CLUSTER
#include "server/cluster/coordinator_server.h"
#include "server/cluster/tablet_cluster.h"
#endif

namespace {

// The lake's tiered offsets of a table — per bucket, or per bucket of each partition the lake's
// current snapshot names — read from its Iceberg table in `warehouse`, whoever tiers it (the
// embedded service or a separate fluss-tiering). No lake table of this table id, or no snapshot yet:
// nothing named (retention keeps everything).
fluss::TieredOffsetsProvider IcebergTieredOffsets(std::string warehouse) {
  return [warehouse = std::move(warehouse)](
             const fluss::TableRecord& t) -> fluss::Result<std::map<fluss::TableBucket, int64_t>> {
    FLUSS_ASSIGN_OR_RETURN(auto tiered, fluss::lake::ReadTieredOffsets(warehouse, t.path, t.table_id));
    std::map<fluss::TableBucket, int64_t> out;
    for (const auto& [pb, offset] : tiered.offsets) {
      std::optional<int64_t> partition_id;
      if (pb.partition_id != fluss::kNoPartition) partition_id = pb.partition_id;
      out[fluss::TableBucket(t.table_id, partition_id, pb.bucket)] = offset;
    }
    return out;
  };
}

// Raises the soft open-file limit to the hard limit: a server with many buckets opens many files
// (segment files up to log.open-files.max, sockets, RocksDB). Not being able to is a warning; whether
// the limit is enough is checked next.
void RaiseOpenFileLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) {
    spdlog::warn("cannot read the open-file limit: {}", std::strerror(errno));
    return;
  }
  // The kernel caps descriptors at fs.nr_open (1048576 by default) even when the hard limit is infinite.
  const rlim_t target = r.rlim_max == RLIM_INFINITY ? rlim_t{1048576} : r.rlim_max;
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < target) {
    const rlim_t before = r.rlim_cur;
    r.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &r) != 0) {
      spdlog::warn("cannot raise the open-file limit from {} to {}: {}", before, target, std::strerror(errno));
      return;
    }
    spdlog::info("raised the open-file limit (ulimit -n) from {} to the hard limit {}", before, target);
  }
}

int WaitForSignal(sigset_t signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{} received, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  return sig;
}

#ifdef FLUSS_HAVE_CLUSTER
int RunCoordinator(fluss::ServerConfig config, sigset_t signals) {
  auto server = fluss::cluster::CoordinatorServer::Start(std::move(config));
  if (!server.ok()) {
    std::cerr << "fluss-server: cannot start the coordinator: " << server.status().message() << "\n";
    return 1;
  }
  const auto& c = (*server)->config();
  std::printf("fluss-server listening on %s://%s:%u (coordinator %d)\n", c.bind.name.c_str(), c.bind.host.c_str(),
              static_cast<unsigned>((*server)->port()), c.server_id);
  std::fflush(stdout);
  WaitForSignal(signals);
  (*server)->Stop();
  spdlog::info("stopped cleanly");
  return 0;
}

int RunTablet(fluss::ServerConfig config, sigset_t signals) {
  fluss::ServerHooks hooks;
  if (!config.datalake_format.empty()) hooks.tiered_offsets = IcebergTieredOffsets(config.iceberg_warehouse);
  auto server = fluss::cluster::ClusterTabletServer::Start(std::move(config), std::move(hooks));
  if (!server.ok()) {
    std::cerr << "fluss-server: cannot start the tablet server: " << server.status().message() << "\n";
    return 1;
  }
  const auto& c = (*server)->server().config();
  std::printf("fluss-server listening on %s://%s:%u (tablet server %d, data dir %s)\n", c.bind.name.c_str(),
              c.bind.host.c_str(), static_cast<unsigned>((*server)->port()), c.server_id, c.data_dir.c_str());
  std::fflush(stdout);
  WaitForSignal(signals);
  fluss::Status st = (*server)->Stop(/*controlled=*/true);
  if (!st.ok()) {
    spdlog::error("shutdown: {}", st.ToString());
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}
#else
int RunCoordinator(fluss::ServerConfig, sigset_t) {
  std::cerr << "fluss-server: this build has no cluster mode (libzookeeper-mt-dev was missing)\n";
  return 2;
}
int RunTablet(fluss::ServerConfig config, sigset_t signals) { return RunCoordinator(std::move(config), signals); }
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fluss-server: a Fluss server (standalone, or a coordinator or tablet server of a cluster)"};
  std::string config_path;
  std::vector<std::string> sets;
  std::string log_level = "info";
  std::string role = "standalone";
  app.add_option("--role", role, "standalone (default), coordinator or tablet (cluster mode, needs zookeeper.address)")
      ->check(CLI::IsMember({"standalone", "coordinator", "tablet"}));
  app.add_option("-c,--config", config_path, "server.yaml-style file of 'key: value' lines")->check(CLI::ExistingFile);
  app.add_option("-s,--set", sets, "an option as key=value (repeatable; wins over --config), e.g. "
                                   "--set bind.listeners=FLUSS://127.0.0.1:9123 --set data.dir=/var/lib/fluss");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.set_version_flag("--version", "fluss-server 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  auto config = fluss::ServerConfig::Load(config_path, sets);
  if (!config.ok()) {
    // One line per problem (each unknown option has its own), each prefixed.
    std::istringstream lines(config.status().message());
    for (std::string line; std::getline(lines, line);) std::cerr << "fluss-server: " << line << "\n";
    return 2;
  }
  auto parsed_role = fluss::ParseServerRole(role);
  if (!parsed_role.ok()) {
    std::cerr << "fluss-server: " << parsed_role.status().message() << "\n";
    return 2;
  }
  config->role = *parsed_role;
  if (fluss::Status st = config->Validate(); !st.ok()) {
    std::cerr << "fluss-server: " << st.message() << "\n";
    return 2;
  }
  for (const auto& key : config->ignored_keys) {
    spdlog::warn("option '{}' is an Apache Fluss option that fluss-cpp does not implement; ignored", key);
  }

  RaiseOpenFileLimit();
  if (config->role != fluss::ServerRole::kCoordinator) {
    // Bucket logs keep up to log.open-files.max segment files open: the limit must cover them.
    auto budget = fluss::ResolveOpenSegmentBudget(config->log, fluss::SoftOpenFileLimit());
    if (!budget.ok()) {
      std::cerr << "fluss-server: cannot start: " << budget.status().message() << "\n";
      return 1;
    }
  }

  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (config->role == fluss::ServerRole::kCoordinator) return RunCoordinator(std::move(config).value(), signals);
  if (config->role == fluss::ServerRole::kTablet) return RunTablet(std::move(config).value(), signals);

  // Log retention of lake-enabled tables waits for the lake, read from the warehouse.
  fluss::ServerHooks hooks;
  if (!config->datalake_format.empty()) hooks.tiered_offsets = IcebergTieredOffsets(config->iceberg_warehouse);
  if (const int64_t offset = config->auto_partition_test_clock_offset_ms; offset != 0) {
    spdlog::warn("auto-partition.test.clock-offset is set ({} ms): auto-partitioning runs on a shifted clock (a "
                 "test-only option)",
                 offset);
    hooks.clock = [offset] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count() +
             offset;
    };
  }
  auto server = fluss::FlussServer::Start(std::move(config).value(), std::move(hooks));
  if (!server.ok()) {
    std::cerr << "fluss-server: cannot start: " << server.status().message() << "\n";
    return 1;
  }
  const auto& c = (*server)->config();
  std::printf("fluss-server listening on %s://%s:%u (data dir %s)\n", c.bind.name.c_str(), c.bind.host.c_str(),
              static_cast<unsigned>((*server)->port()), c.data_dir.c_str());
  std::fflush(stdout);
  spdlog::info("listening on {}://{}:{}, data dir '{}'", c.bind.name, c.bind.host, (*server)->port(), c.data_dir);

  // With a lake configured, this process also tiers (as `fluss-tiering` would, through the client).
  std::unique_ptr<fluss::lake::TieringService> tiering;
  if (!c.datalake_format.empty() && c.tiering_embedded) {
    fluss::lake::TieringServiceOptions t;
    const std::string host = c.bind.host == "0.0.0.0" || c.bind.host == "::" ? "127.0.0.1" : c.bind.host;
    t.bootstrap_servers = host + ":" + std::to_string((*server)->port());
    t.warehouse = c.iceberg_warehouse;
    tiering = fluss::lake::TieringService::Start(t);
  }

  WaitForSignal(signals);
  if (tiering) tiering->Stop();
  fluss::Status st = (*server)->Stop();
  if (!st.ok()) {
    spdlog::error("shutdown: {}", st.ToString());
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}
