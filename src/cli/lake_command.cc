// fluss lake status: where a table's lake (its Iceberg table) stands against its log — the current
// lake snapshot, the offsets it holds per bucket, and the lag in records and time.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/tiering/lake_tiering.h"

namespace fluss::cli {

int RunLakeStatus(const GlobalOptions& g, const LakeStatusArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  std::string warehouse = a.warehouse;
  if (warehouse.empty()) {
    const char* env = std::getenv("FLUSS_WAREHOUSE");
    if (env != nullptr) warehouse = env;
  }
  if (warehouse.empty()) {
    return UsageError("give the lake's warehouse: --warehouse DIR or $FLUSS_WAREHOUSE (the server's "
                      "datalake.iceberg.warehouse)");
  }
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return Fail(table.status());
  const auto& props = table->info().descriptor.properties();
  auto enabled = props.find("table.datalake.enabled");
  const bool lake_enabled = enabled != props.end() && enabled->second == "true";
  lake::LakeTiering tiering(*conn, lake::TieringOptions{.warehouse = warehouse});
  auto lake = tiering.LakeOffsets(*path, table->info().num_buckets);
  if (!lake.ok()) return Fail(lake.status());
  auto latest = (*conn)->GetAdmin().ListOffsets(*path, OffsetSpec::Latest());
  if (!latest.ok()) return Fail(latest.status());

  int64_t snapshot_ms = -1;
  if (lake->second >= 0) {
    auto ice = lake::OpenLakeTableOf(warehouse, *path, table->info().table_id);
    if (ice.ok() && *ice && (*ice)->metadata().CurrentSnapshot() != nullptr) {
      snapshot_ms = (*ice)->metadata().CurrentSnapshot()->timestamp_ms;
    }
  }
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string out = fmt::format("table:          {}\n", path->ToString());
  out += fmt::format("tiering:        {}\n", lake_enabled ? "enabled (table.datalake.enabled=true)" : "not enabled");
  out += fmt::format("lake table:     {}\n", lake::LakeTableDir(warehouse, *path));
  out += fmt::format("lake snapshot:  {}\n", lake->second >= 0 ? std::to_string(lake->second) : "none yet");
  int64_t lag_total = 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [bucket, end] : *latest) {
    const int64_t tiered = lake->first.count(bucket) ? lake->first.at(bucket) : 0;
    const int64_t lag = std::max<int64_t>(end - tiered, 0);
    lag_total += lag;
    rows.push_back({std::to_string(bucket), std::to_string(tiered), std::to_string(end), std::to_string(lag)});
  }
  if (lag_total == 0) {
    out += "lag:            none (the lake holds every row)\n";
  } else if (snapshot_ms >= 0) {
    out += fmt::format("lag:            {} records; last tiered {:.1f} s ago\n", lag_total, (now_ms - snapshot_ms) / 1000.0);
  } else {
    out += fmt::format("lag:            {} records; nothing tiered yet\n", lag_total);
  }
  out += "\n" + RenderTable({"bucket", "tiered offset", "log end", "lag"}, rows, {true, true, true, true});
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace fluss::cli
