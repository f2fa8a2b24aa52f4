// fluss lookup: the row of a primary key (point lookup), or every row of a bucket-key prefix
// (prefix lookup), printed as a table, a JSON line or CSV. An absent key prints nothing and exits 0.
#include <cstdio>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/csv.h"
#include "cli/value_codec.h"

namespace fluss::cli {
namespace {

void Print(const Schema& schema, const std::vector<GenericRow>& rows, const std::string& format, size_t max_width) {
  std::string out;
  if (format == "json") {
    for (const auto& row : rows) {
      nlohmann::ordered_json j = nlohmann::ordered_json::object();
      for (size_t c = 0; c < schema.num_columns(); ++c) {
        j[schema.column(c).name] = DatumToJson(row.field(c), schema.column(c).type);
      }
      out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out += '\n';
    }
  } else if (format == "csv") {
    for (size_t c = 0; c < schema.num_columns(); ++c) {
      if (c > 0) out += ',';
      AppendCsvField(&out, schema.column(c).name, ',');
    }
    out += '\n';
    for (const auto& row : rows) {
      for (size_t c = 0; c < schema.num_columns(); ++c) {
        if (c > 0) out += ',';
        if (row.IsNullAt(c)) continue;
        AppendCsvField(&out, FormatValue(row.field(c), schema.column(c).type), ',');
      }
      out += '\n';
    }
  } else {
    std::vector<std::string> header;
    std::vector<bool> right;
    for (const auto& c : schema.columns()) {
      header.push_back(c.name);
      right.push_back(IsRightAligned(c.type));
    }
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : rows) {
      std::vector<std::string> line;
      for (size_t c = 0; c < schema.num_columns(); ++c) {
        line.push_back(FormatTableCell(row.field(c), schema.column(c).type, max_width));
      }
      cells.push_back(std::move(line));
    }
    TableWriter table(header, right, max_width);
    out = table.Add(cells);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int RunLookup(const GlobalOptions& g, const LookupArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  if (a.format != "table" && a.format != "json" && a.format != "csv") {
    return UsageError(fmt::format("--format '{}': expected table, json or csv", a.format));
  }
  if (a.keys.empty()) return UsageError("give the key as --key column=value (once per key column)");
  std::map<std::string, std::string> given;
  for (const auto& kv : a.keys) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return UsageError(fmt::format("--key '{}': expected column=value", kv));
    if (!given.emplace(kv.substr(0, eq), kv.substr(eq + 1)).second) {
      return UsageError(fmt::format("--key names '{}' twice", kv.substr(0, eq)));
    }
  }

  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return Fail(table.status());
  const Schema& schema = table->info().schema();
  if (!schema.has_primary_key()) {
    return Fail(Status(ErrorCode::kNonPrimaryKeyTable,
                       fmt::format("table '{}' has no primary key: lookups need one (scan it instead)",
                                   path->ToString())));
  }
  for (const auto& [name, value] : given) {
    if (!schema.IndexOf(name)) {
      return Fail(fmt::format("--key names '{}', which is not a column of {} ({})", name, path->ToString(),
                              fmt::join(schema.column_names(), ", ")));
    }
  }
  // The full primary key: a point lookup. Exactly the bucket key, a proper prefix of it: a prefix
  // lookup. Anything else is an error that says which columns to give.
  // A partitioned table: the partition keys are part of both (they name the partition).
  const std::vector<std::string>& pk = schema.primary_key();
  const std::vector<std::string>& partition_keys = table->info().descriptor.partition_keys();
  std::vector<std::string> prefix_columns = table->info().descriptor.bucket_keys();
  prefix_columns.insert(prefix_columns.end(), partition_keys.begin(), partition_keys.end());
  std::set<std::string> names;
  for (const auto& [name, value] : given) names.insert(name);
  const std::set<std::string> pk_set(pk.begin(), pk.end());
  const std::set<std::string> prefix_set(prefix_columns.begin(), prefix_columns.end());
  const bool point = names == pk_set;
  const bool prefix = !point && prefix_set != pk_set && names == prefix_set;
  if (!point && !prefix) {
    std::string msg = fmt::format("--key must give the primary key of {} ({})", path->ToString(), fmt::join(pk, ", "));
    if (prefix_set != pk_set) {
      msg += fmt::format(", or {} ({}) for a prefix lookup",
                         partition_keys.empty() ? "its bucket key" : "its bucket key and partition keys",
                         fmt::join(prefix_columns, ", "));
    }
    return UsageError(msg);
  }
  const std::vector<std::string>& order = point ? pk : prefix_columns;
  GenericRow key(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const Column& column = schema.column(*schema.IndexOf(order[i]));
    auto d = ParseValue(given[order[i]], column.type);
    if (!d.ok()) return UsageError(fmt::format("--key {}: {}", order[i], d.status().message()));
    key.SetField(i, std::move(d).value());
  }

  std::vector<GenericRow> rows;
  if (point) {
    auto lookuper = table->NewLookuper();
    if (!lookuper.ok()) return Fail(lookuper.status());
    auto row = (*lookuper)->Lookup(key);
    if (!row.ok()) return Fail(row.status());
    if (*row) rows.push_back(std::move(**row));
  } else {
    auto lookuper = table->NewPrefixLookuper(prefix_columns);
    if (!lookuper.ok()) return Fail(lookuper.status());
    auto found = (*lookuper)->Lookup(key);
    if (!found.ok()) return Fail(found.status());
    rows = std::move(found).value();
  }
  if (rows.empty()) return kExitOk;  // absent: nothing printed
  Print(schema, rows, a.format, a.max_width);
  return std::fflush(stdout) == 0 ? kExitOk : Fail("cannot write the output");
}

}  // namespace fluss::cli
