// fluss offsets: per-bucket offsets of a log table (earliest and latest, or one spec).
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

  auto list = [&](const OffsetSpec& spec) { return admin.ListOffsets(*path, spec); };
  std::vector<std::string> header = {"bucket"};
  std::vector<std::map<int32_t, int64_t>> columns;
  if (!at) {
    auto earliest = list(OffsetSpec::Earliest());
    if (!earliest.ok()) return Fail(earliest.status());
    auto latest = list(OffsetSpec::Latest());
    if (!latest.ok()) return Fail(latest.status());
    header.insert(header.end(), {"earliest", "latest"});
    columns = {*earliest, *latest};
  } else {
    OffsetSpec spec = at->kind == PositionSpec::Kind::kEarliest ? OffsetSpec::Earliest()
                      : at->kind == PositionSpec::Kind::kLatest ? OffsetSpec::Latest()
                                                                : OffsetSpec::Timestamp(at->value);
    auto offsets = list(spec);
    if (!offsets.ok()) return Fail(offsets.status());
    header.push_back(a.at);
    columns = {*offsets};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [bucket, offset] : columns[0]) {
    std::vector<std::string> row = {std::to_string(bucket)};
    for (const auto& col : columns) {
      auto it = col.find(bucket);
      row.push_back(it == col.end() ? "-" : std::to_string(it->second));
    }
    rows.push_back(std::move(row));
  }
  std::string out = RenderTable(header, rows, std::vector<bool>(header.size(), true));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace fluss::cli
