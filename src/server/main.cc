// fluss-server: a standalone Fluss server (coordinator + tablet server, embedded metadata).
//
//   fluss-server [--config server.yaml] [--set key=value ...]
//
// Prints "fluss-server listening on FLUSS://host:port" once it accepts connections; SIGTERM or
// SIGINT stops it cleanly (exit 0). Exit 1 when it cannot start, 2 on bad command-line usage.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lake/iceberg/iceberg_table.h"
#include "lake/tiering/lake_tiering.h"
#include "lake/tiering/tiering_service.h"
#include "server/fluss_server.h"

namespace {

// The lake's tiered offsets of a table, read from its Iceberg table in `warehouse` — whoever tiers it
// (the embedded service or a separate fluss-tiering). No lake table or no snapshot yet: 0 for every
// bucket (retention keeps everything).
fluss::TieredOffsetsProvider IcebergTieredOffsets(std::string warehouse) {
  return [warehouse = std::move(warehouse)](const fluss::TableRecord& t) -> fluss::Result<std::map<int32_t, int64_t>> {
    const std::string dir = fluss::lake::LakeTableDir(warehouse, t.path);
    std::error_code ec;
    if (!std::filesystem::exists(dir + "/metadata", ec)) {
      if (ec) return fluss::Status::IOError(fmt::format("cannot look at '{}': {}", dir, ec.message()));
      std::map<int32_t, int64_t> none;
      for (int32_t b = 0; b < t.bucket_count; ++b) none[b] = 0;
      return none;
    }
    FLUSS_ASSIGN_OR_RETURN(auto table, fluss::iceberg::IcebergTable::Open(dir));
    FLUSS_ASSIGN_OR_RETURN(auto offsets, fluss::lake::SnapshotOffsets(table, t.bucket_count));
    return offsets.first;
  };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fluss-server: a standalone Fluss server (coordinator and tablet server in one process)"};
  std::string config_path;
  std::vector<std::string> sets;
  std::string log_level = "info";
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
    std::cerr << "fluss-server: " << config.status().message() << "\n";
    return 2;
  }
  for (const auto& key : config->ignored_keys) spdlog::info("option '{}' is not used by fluss-cpp yet; ignored", key);

  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Log retention of lake-enabled tables waits for the lake, read from the warehouse.
  fluss::ServerHooks hooks;
  if (!config->datalake_format.empty()) hooks.tiered_offsets = IcebergTieredOffsets(config->iceberg_warehouse);
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

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{} received, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  if (tiering) tiering->Stop();
  fluss::Status st = (*server)->Stop();
  if (!st.ok()) {
    spdlog::error("shutdown: {}", st.ToString());
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}
