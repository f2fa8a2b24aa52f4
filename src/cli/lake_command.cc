// fluss lake status: where a table's lake (its Iceberg table) stands against its log — the current
// lake snapshot, the offsets it holds per bucket (per partition and bucket for a partitioned table),
// and the lag in records and time.
#include <chrono>
#include <cstdio>
#include <set>

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
  auto lake = tiering.LakeTieredOffsets(*path);
  if (!lake.ok()) return Fail(lake.status());
  // The log end of every bucket, per partition for a partitioned table (its partitions now; one
  // dropped since it was tiered keeps its rows in the lake and is not listed).
  struct BucketRow {
    std::string partition;  // the qualified name ("dt=2026-12-07"); empty without partitions
    PartitionBucket bucket;
    int64_t end = 0;
  };
  std::vector<BucketRow> buckets;
  Admin admin = (*conn)->GetAdmin();
  const bool partitioned = table->info().descriptor.is_partitioned();
  if (!partitioned) {
    auto latest = admin.ListOffsets(*path, OffsetSpec::Latest());
    if (!latest.ok()) return Fail(latest.status());
    for (const auto& [b, end] : *latest) buckets.push_back({"", PartitionBucket{kNoPartition, b}, end});
  } else {
    auto partitions = admin.ListPartitionInfos(*path);
    if (!partitions.ok()) return Fail(partitions.status());
    for (const auto& p : *partitions) {
      auto latest = admin.ListPartitionOffsets(*path, p.partition_name, OffsetSpec::Latest());
      if (!latest.ok() && latest.status().code() == ErrorCode::kPartitionNotExists) continue;  // dropped just now
      if (!latest.ok()) return Fail(latest.status());
      for (const auto& [b, end] : *latest) buckets.push_back({p.QualifiedName(), PartitionBucket{p.partition_id, b}, end});
    }
  }

  int64_t snapshot_ms = -1;
  if (lake->snapshot_id >= 0) {
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
  out += fmt::format("lake snapshot:  {}\n", lake->snapshot_id >= 0 ? std::to_string(lake->snapshot_id) : "none yet");
  if (partitioned) {
    std::set<int64_t> ids;
    for (const auto& r : buckets) ids.insert(r.bucket.partition_id);
    out += fmt::format("partitions:     {}\n", ids.size());
  }
  int64_t lag_total = 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : buckets) {
    auto recorded = lake->offsets.find(r.bucket);
    const int64_t tiered = recorded == lake->offsets.end() ? 0 : recorded->second;
    const int64_t lag = std::max<int64_t>(r.end - tiered, 0);
    lag_total += lag;
    std::vector<std::string> row = {std::to_string(r.bucket.bucket), std::to_string(tiered), std::to_string(r.end),
                                    std::to_string(lag)};
    if (partitioned) {
      row.insert(row.begin(), std::to_string(r.bucket.partition_id));
      row.insert(row.begin(), r.partition);
    }
    rows.push_back(std::move(row));
  }
  if (lag_total == 0) {
    out += "lag:            none (the lake holds every row)\n";
  } else if (snapshot_ms >= 0) {
    out += fmt::format("lag:            {} records; last tiered {:.1f} s ago\n", lag_total, (now_ms - snapshot_ms) / 1000.0);
  } else {
    out += fmt::format("lag:            {} records; nothing tiered yet\n", lag_total);
  }
  if (partitioned) {
    out += "\n" + RenderTable({"partition", "partition id", "bucket", "tiered offset", "log end", "lag"}, rows,
                              {false, true, true, true, true, true});
  } else {
    out += "\n" + RenderTable({"bucket", "tiered offset", "log end", "lag"}, rows, {true, true, true, true});
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace fluss::cli
