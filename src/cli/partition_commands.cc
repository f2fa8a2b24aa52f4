// fluss partition list|create|drop.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "types/partition_spec.h"

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

Result<std::vector<PartitionInfo>> SelectPartitions(Admin& admin, const TableInfo& info,
                                                    const std::vector<std::string>& specs, bool allow_unmatched) {
  const auto& keys = info.descriptor.partition_keys();
  if (!info.descriptor.is_partitioned()) {
    if (specs.empty()) return std::vector<PartitionInfo>{};
    return Status(ErrorCode::kTableNotPartitioned,
                  fmt::format("--partition {}: table '{}' is not partitioned", specs.front(), info.path.ToString()));
  }
  std::vector<PartitionSpec> parsed;
  for (const auto& text : specs) {
    auto spec = ParsePartitionSpec(text);
    if (!spec.ok()) return spec.status().WithContext(fmt::format("--partition {}", text));
    auto checked = ResolvedPartitionSpec::FromPartialSpec(info.path, keys, *spec);
    if (!checked.ok()) return checked.status().WithContext(fmt::format("--partition {}", text));
    parsed.push_back(std::move(spec).value());
  }
  FLUSS_ASSIGN_OR_RETURN(auto all, admin.ListPartitionInfos(info.path));
  std::vector<PartitionInfo> out;
  std::vector<bool> matched(parsed.size(), false);
  for (auto& p : all) {
    bool selected = parsed.empty();
    for (size_t i = 0; i < parsed.size(); ++i) {
      if (PartitionSelected(p, {parsed[i]})) selected = matched[i] = true;
    }
    if (selected) out.push_back(std::move(p));
  }
  for (size_t i = 0; i < parsed.size() && !allow_unmatched; ++i) {
    if (!matched[i]) {
      return Status(ErrorCode::kPartitionNotExists, fmt::format("--partition {}: table '{}' has no such partition",
                                                                specs[i], info.path.ToString()));
    }
  }
  return out;
}

bool PartitionSelected(const PartitionInfo& partition, const std::vector<PartitionSpec>& specs) {
  if (specs.empty()) return true;
  for (const auto& spec : specs) {
    bool all = true;
    for (const auto& [key, value] : spec) {
      bool found = false;
      for (const auto& [k, v] : partition.spec) found = found || (k == key && v == value);
      all = all && found;
    }
    if (all) return true;
  }
  return false;
}

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
