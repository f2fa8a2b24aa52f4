// fluss-tiering: the tiering service on its own (fluss-server runs the same service inside when the
// lake is configured). Copies every log table with table.datalake.enabled=true into its Iceberg
// table in the warehouse, as often as table.datalake.freshness asks, until SIGINT/SIGTERM.
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "common/config_value.h"
#include "lake/tiering/tiering_service.h"

int main(int argc, char** argv) {
  CLI::App app{"fluss-tiering: tiers Fluss log tables into an Apache Iceberg warehouse"};
  fluss::lake::TieringServiceOptions o;
  o.bootstrap_servers = "localhost:9123";
  int64_t interval_ms = 1000;
  std::string orphan_min_age = "10min";
  app.add_option("-b,--bootstrap-server", o.bootstrap_servers, "host:port of a fluss-server")->capture_default_str();
  app.add_option("-w,--warehouse", o.warehouse, "the Iceberg warehouse directory (the server's datalake.iceberg.warehouse)")
      ->required();
  app.add_option("--check-interval-ms", interval_ms, "how often tables and their freshness are checked")
      ->capture_default_str();
  app.add_option("--orphan-min-age", orphan_min_age,
                 "unreferenced data files (left by a round that died before its commit) older than this are "
                 "deleted at the start of a round; younger ones may belong to another service's running round, so "
                 "keep it above the longest round when several services run (e.g. 30s, 10min; rounded up to "
                 "whole seconds)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (interval_ms <= 0) {
    std::cerr << "fluss-tiering: --check-interval-ms must be positive\n";
    return 2;
  }
  o.check_interval = std::chrono::milliseconds(interval_ms);
  auto min_age_ms = fluss::ParseDurationOption("--orphan-min-age", orphan_min_age);
  if (!min_age_ms.ok() || *min_age_ms < 0) {
    std::cerr << "fluss-tiering: --orphan-min-age: "
              << (min_age_ms.ok() ? "must not be negative" : min_age_ms.status().message()) << "\n";
    return 2;
  }
  o.orphan_min_age = std::chrono::seconds((*min_age_ms + 999) / 1000);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto service = fluss::lake::TieringService::Start(o);
  spdlog::info("fluss-tiering: {} -> {}", o.bootstrap_servers, o.warehouse);
  int sig = 0;
  sigwait(&signals, &sig);
  service->Stop();
  spdlog::info("fluss-tiering: stopped ({} rounds committed, {} failed)", service->rounds_committed(),
               service->rounds_failed());
  return 0;
}
