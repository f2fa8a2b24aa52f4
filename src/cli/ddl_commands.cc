// fluss db create|list|drop and fluss table create|list|describe|drop.
#include <cstdio>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/value_codec.h"
#include "types/schema_parser.h"

namespace fluss::cli {
namespace {

void PrintLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "-";
  return FormatValue(Datum(TimestampValue{ms, 0}), DataType::TimestampLtz(3));
}

}  // namespace

int RunDbCreate(const GlobalOptions& g, const DbCreateArgs& a) {
  Status st = TablePath::ValidateName(a.name, "database");
  if (!st.ok()) return UsageError(st.message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  st = (*conn)->GetAdmin().CreateDatabase(a.name, a.if_not_exists, a.comment);
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

int RunDbList(const GlobalOptions& g) {
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto dbs = (*conn)->GetAdmin().ListDatabases();
  if (!dbs.ok()) return Fail(dbs.status());
  PrintLines(*dbs);
  return kExitOk;
}

int RunDbDrop(const GlobalOptions& g, const DbDropArgs& a) {
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  Status st = (*conn)->GetAdmin().DropDatabase(a.name, a.if_exists, a.cascade);
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

int RunTableCreate(const GlobalOptions& g, const TableCreateArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  auto parsed = ParseTableSchema(a.schema);
  if (!parsed.ok()) return UsageError(parsed.status().message());
  if (!parsed->partition_keys.empty() && !a.partition_keys.empty()) {
    return UsageError("the partition keys are given twice: by --partition-by and by PARTITIONED BY in --schema");
  }
  std::vector<std::string> partition_keys =
      a.partition_keys.empty() ? std::move(parsed->partition_keys) : a.partition_keys;
  TableDescriptor descriptor(std::move(parsed->schema));
  if (a.buckets && *a.buckets < 1) return UsageError(fmt::format("--buckets {}: must be at least 1", *a.buckets));
  descriptor.DistributedBy(a.buckets, a.bucket_keys);
  descriptor.PartitionedBy(std::move(partition_keys));
  for (const auto& kv : a.properties) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return UsageError(fmt::format("--property '{}': expected key=value", kv));
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    // Fluss's table options are the "table.*" keys and the per-column "fields.*" keys (aggregate
    // functions of the aggregation merge engine); any other key is a custom property.
    if (key.rfind("table.", 0) == 0 || key.rfind("fields.", 0) == 0) {
      descriptor.Property(std::move(key), std::move(value));
    } else {
      descriptor.CustomProperty(std::move(key), std::move(value));
    }
  }
  if (!a.comment.empty()) descriptor.Comment(a.comment);
  Status st = descriptor.Validate();
  if (!st.ok()) return UsageError(st.message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  st = (*conn)->GetAdmin().CreateTable(*path, descriptor, a.if_not_exists);
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

int RunTableList(const GlobalOptions& g, const std::string& database) {
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto tables = (*conn)->GetAdmin().ListTables(database);
  if (!tables.ok()) return Fail(tables.status());
  PrintLines(*tables);
  return kExitOk;
}

int RunTableDescribe(const GlobalOptions& g, const std::string& table) {
  auto path = TablePath::Parse(table);
  if (!path.ok()) return UsageError(path.status().message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto info = (*conn)->GetAdmin().GetTableInfo(*path);
  if (!info.ok()) return Fail(info.status());
  const TableDescriptor& d = info->descriptor;
  std::string out;
  out += fmt::format("table:        {}\n", path->ToString());
  out += fmt::format("table id:     {}\n", info->table_id);
  out += fmt::format("schema id:    {}\n", info->schema_id);
  out += fmt::format("buckets:      {}\n", info->num_buckets);
  const auto keys = d.bucket_keys();
  out += fmt::format("bucket keys:  {}\n", keys.empty() ? "(none: rows spread round-robin)" : fmt::format("{}", fmt::join(keys, ", ")));
  if (d.has_primary_key()) out += fmt::format("primary key:  {}\n", fmt::join(d.schema().primary_key(), ", "));
  if (d.is_partitioned()) {
    out += fmt::format("partitioned:  by {} (each partition has {} buckets)\n", fmt::join(d.partition_keys(), ", "),
                       info->num_buckets);
  }
  if (!d.comment().empty()) out += fmt::format("comment:      {}\n", d.comment());
  out += fmt::format("created:      {}\n", FormatTime(info->created_time_ms));
  out += fmt::format("modified:     {}\n", FormatTime(info->modified_time_ms));
  out += "columns:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : d.schema().columns()) {
    rows.push_back({c.name, c.type.ToString(), std::to_string(c.id), c.comment});
  }
  std::string columns = RenderTable({"name", "type", "id", "comment"}, rows, {false, false, true, false});
  for (size_t start = 0; start < columns.size();) {
    size_t end = columns.find('\n', start);
    out += "  " + columns.substr(start, end - start) + "\n";
    start = end + 1;
  }
  out += "properties:\n";
  if (d.properties().empty() && d.custom_properties().empty()) out += "  (none)\n";
  for (const auto& [k, v] : d.properties()) out += fmt::format("  {} = {}\n", k, v);
  for (const auto& [k, v] : d.custom_properties()) out += fmt::format("  {} = {}\n", k, v);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunTableDrop(const GlobalOptions& g, const TableDropArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  Status st = (*conn)->GetAdmin().DropTable(*path, a.if_exists);
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace fluss::cli
