// fluss offsets: per-bucket offsets of a table (earliest and latest, or one spec); a partitioned
// table's per (partition, bucket), optionally of the partitions --partition selects.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"

namespace fluss::cli {

int RunOffsets(const GlobalOptions& g, const OffsetsArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  std::optional<PositionSpec> at;
  if (!a.at.empty()) {
    auto spec = ParsePositionSpec(a.at, /*allow_offset=*/false);
    if (!spec.ok()) return UsageError("--at " + spec.status().message());
    at = *spec;
  }
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  Admin admin = (*conn)->GetAdmin();
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return Fail(table.status());
  const bool partitioned = table->info().descriptor.is_partitioned();
  auto partitions = SelectPartitions(admin, table->info(), a.partitions, /*allow_unmatched=*/false);
  if (!partitions.ok()) return Fail(partitions.status());

  std::vector<OffsetSpec> specs;
  std::vector<std::string> header = {"bucket"};
  if (partitioned) header.insert(header.begin(), "partition");
  if (!at) {
    specs = {OffsetSpec::Earliest(), OffsetSpec::Latest()};
    header.insert(header.end(), {"earliest", "latest"});
  } else {
    specs = {at->kind == PositionSpec::Kind::kEarliest ? OffsetSpec::Earliest()
             : at->kind == PositionSpec::Kind::kLatest ? OffsetSpec::Latest()
                                                       : OffsetSpec::Timestamp(at->value)};
    header.push_back(a.at);
  }
  std::vector<std::vector<std::string>> rows;
  // The rows of one table or partition: a line per bucket, a column per spec.
  auto add = [&](const std::string& label, auto list) -> Status {
    std::vector<std::map<int32_t, int64_t>> columns;
    for (const auto& spec : specs) {
      FLUSS_ASSIGN_OR_RETURN(auto offsets, list(spec));
      columns.push_back(std::move(offsets));
    }
    for (const auto& [bucket, offset] : columns[0]) {
      std::vector<std::string> row;
      if (partitioned) row.push_back(label);
      row.push_back(std::to_string(bucket));
      for (const auto& col : columns) {
        auto it = col.find(bucket);
        row.push_back(it == col.end() ? "-" : std::to_string(it->second));
      }
      rows.push_back(std::move(row));
    }
    return Status::OK();
  };
  if (!partitioned) {
    Status st = add("", [&](const OffsetSpec& spec) { return admin.ListOffsets(*path, spec); });
    if (!st.ok()) return Fail(st);
  }
  for (const auto& p : *partitions) {
    Status st = add(p.QualifiedName(), [&](const OffsetSpec& spec) {
      return admin.ListPartitionOffsets(*path, p.partition_name, spec);
    });
    // A partition dropped since it was listed has no offsets any more: skip it.
    if (st.code() == ErrorCode::kPartitionNotExists) continue;
    if (!st.ok()) return Fail(st);
  }
  std::vector<bool> right(header.size(), true);
  if (partitioned) right[0] = false;
  std::string out = RenderTable(header, rows, right);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace fluss::cli
