// fluss partition list|create|drop.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"

namespace fluss::cli {
namespace {

// The --spec options merged into one spec ("dt=2026-12-07", or several pairs per option joined by
// '/' or ','); a key given twice is a usage error.
Result<PartitionSpec> MergeSpecs(const std::vector<std::string>& specs) {
  PartitionSpec merged;
  for (const auto& text : specs) {
    FLUSS_ASSIGN_OR_RETURN(PartitionSpec one, ParsePartitionSpec(text));
    for (auto& [key, value] : one) {
      if (!merged.emplace(key, value).second) {
        return Status(ErrorCode::kPartitionSpecInvalid, fmt::format("--spec: key '{}' is given twice", key));
      }
    }
  }
  return merged;
}

}  // namespace

int RunPartitionList(const GlobalOptions& g, const PartitionArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  auto spec = MergeSpecs(a.specs);
  if (!spec.ok()) return UsageError(spec.status().message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto partitions = (*conn)->GetAdmin().ListPartitionInfos(*path, *spec);
  if (!partitions.ok()) return Fail(partitions.status());
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : *partitions) rows.push_back({std::to_string(p.partition_id), p.QualifiedName()});
  const std::string out = RenderTable({"id", "partition"}, rows, {true, false});
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunPartitionCreate(const GlobalOptions& g, const PartitionArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  if (a.specs.empty()) return UsageError("partition create needs --spec key=value (one per partition key)");
  auto spec = MergeSpecs(a.specs);
  if (!spec.ok()) return UsageError(spec.status().message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  Status st = (*conn)->GetAdmin().CreatePartition(*path, *spec, a.if_not_exists);
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

int RunPartitionDrop(const GlobalOptions& g, const PartitionArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  if (a.specs.empty()) return UsageError("partition drop needs --spec key=value (one per partition key)");
  auto spec = MergeSpecs(a.specs);
  if (!spec.ok()) return UsageError(spec.status().message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  Status st = (*conn)->GetAdmin().DropPartition(*path, *spec, a.if_exists);
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace fluss::cli
