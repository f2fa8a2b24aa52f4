#include "lake/tiering/tiering_service.h"

#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/config_value.h"

namespace fluss::lake {

namespace {
constexpr auto kDefaultFreshness = std::chrono::minutes(3);  // Fluss's table.datalake.freshness
}

std::unique_ptr<TieringService> TieringService::Start(TieringServiceOptions options) {
  std::unique_ptr<TieringService> s(new TieringService(std::move(options)));
  s->thread_ = std::thread([raw = s.get()] {
    pthread_setname_np(pthread_self(), "fluss-tiering");
    raw->Run();
  });
  return s;
}

TieringService::~TieringService() { Stop(); }

void TieringService::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TieringService::Run() {
  std::shared_ptr<Connection> conn;
  std::unique_ptr<LakeTiering> tiering;
  std::string last_connect_error;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.check_interval, [this] { return stop_; })) return;
    }
    if (conn == nullptr) {
      Configuration c;
      c.bootstrap_servers = options_.bootstrap_servers;
      auto made = Connection::Create(c);
      if (!made.ok()) {
        if (made.status().message() != last_connect_error) {
          spdlog::warn("tiering: cannot connect to {}: {} (retrying)", options_.bootstrap_servers,
                       made.status().message());
          last_connect_error = made.status().message();
        }
        continue;
      }
      conn = *made;
      tiering = std::make_unique<LakeTiering>(conn, TieringOptions{.warehouse = options_.warehouse,
                                                                   .orphan_min_age = options_.orphan_min_age});
      spdlog::info("tiering: tiering tables of {} into the Iceberg warehouse '{}'", options_.bootstrap_servers,
                   options_.warehouse);
    }
    Status st = CheckTables(*tiering, *conn);
    if (!st.ok() && st.code() == ErrorCode::kNetworkException) {
      spdlog::warn("tiering: {} (reconnecting)", st.ToString());
      tiering.reset();
      conn.reset();
    }
  }
}

Status TieringService::CheckTables(LakeTiering& tiering, Connection& conn) {
  Admin admin = conn.GetAdmin();
  FLUSS_ASSIGN_OR_RETURN(auto databases, admin.ListDatabases());
  for (const auto& db : databases) {
    FLUSS_ASSIGN_OR_RETURN(auto tables, admin.ListTables(db));
    for (const auto& name : tables) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return Status::OK();
      }
      FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Make(db, name));
      auto info = admin.GetTableInfo(path);
      if (!info.ok()) continue;  // dropped meanwhile
      const auto& props = info->descriptor.properties();
      auto enabled = props.find("table.datalake.enabled");
      if (enabled == props.end() || enabled->second != "true") continue;
      std::chrono::milliseconds freshness = kDefaultFreshness;
      if (auto f = props.find("table.datalake.freshness"); f != props.end()) {
        auto ms = ParseDurationOption("table.datalake.freshness", f->second);
        if (ms.ok() && *ms > 0) freshness = std::chrono::milliseconds(*ms);
      }
      const std::string key = path.ToString();
      const auto now = std::chrono::steady_clock::now();
      auto last = last_round_.find(key);
      if (last != last_round_.end() && now - last->second < freshness) continue;
      last_round_[key] = now;
      auto round = tiering.TierOnce(path);
      if (!round.ok()) {
        ++failed_;
        if (last_error_[key] != round.status().message()) {
          spdlog::warn("tiering: '{}': {}", key, round.status().ToString());
          last_error_[key] = round.status().message();
        }
        if (round.status().code() == ErrorCode::kNetworkException) return round.status();
        continue;
      }
      last_error_.erase(key);
      if (round->committed) ++committed_;
    }
  }
  return Status::OK();
}

}  // namespace fluss::lake
