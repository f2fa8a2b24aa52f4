#include "metadata/zk_znodes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "metadata/metadata_state.h"
#include "types/partition_spec.h"
#include "types/table_descriptor.h"

namespace fluss::zk_znodes {
namespace {

using nlohmann::json;

// Reads an integer field of a znode body; false when missing or not an integer in range.
template <typename Int>
bool ReadZnodeInt(const json& obj, const char* key, Int* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return false;
    *out = static_cast<Int>(u);
    return true;
  }
  int64_t i = it->get<int64_t>();
  if (i < std::numeric_limits<Int>::min() || i > std::numeric_limits<Int>::max()) return false;
  *out = static_cast<Int>(i);
  return true;
}

bool ReadZnodeIntArray(const json& obj, const char* key, std::vector<int32_t>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return false;
  for (const json& v : *it) {
    if (!v.is_number_integer()) return false;
    int64_t i = v.get<int64_t>();
    if (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max()) return false;
    out->push_back(static_cast<int32_t>(i));
  }
  return true;
}

Result<json> ParseZnodeObject(const std::string& data, const std::string& path) {
  json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(fmt::format("znode '{}' does not hold a JSON object", path));
  }
  return j;
}

}  // namespace

Result<int64_t> ParseCounter(const std::string& data, const std::string& path) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), v);
  if (ec != std::errc() || end != data.data() + data.size() || v < 0) {
    return Status::Corruption(fmt::format("znode '{}' does not hold a counter: '{}'", path, data));
  }
  return v;
}

Result<std::string> ParseCompactObject(const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  return j.dump();
}

std::string DatabaseBody(const DatabaseRecord& db) {
  return fmt::format(R"({{"version":1,"database":{},"created_time":{},"modified_time":{}}})", db.database_json,
                     db.created_time_ms, db.modified_time_ms);
}

Result<DatabaseRecord> ParseDatabase(const std::string& name, const std::string& data, int32_t version,
                                     const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  DatabaseRecord db;
  db.name = name;
  db.version = version;
  auto d = j.find("database");
  if (d == j.end() || !d->is_object() || !ReadZnodeInt(j, "created_time", &db.created_time_ms) ||
      !ReadZnodeInt(j, "modified_time", &db.modified_time_ms)) {
    return Status::Corruption(fmt::format("znode '{}' is not a database registration", path));
  }
  db.database_json = d->dump();
  return db;
}

std::string TableBody(const TableRecord& r) {
  return fmt::format(
      R"({{"version":1,"table_id":{},"schema_id":{},"bucket_count":{},"descriptor":{},"created_time":{},)"
      R"("modified_time":{}}})",
      r.table_id, r.schema_id, r.bucket_count, r.table_json, r.created_time_ms, r.modified_time_ms);
}

Result<TableRecord> ParseTable(const TablePath& table, const std::string& data, int32_t version,
                               const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  TableRecord r;
  r.path = table;
  r.version = version;
  auto d = j.find("descriptor");
  if (d == j.end() || !d->is_object() || !ReadZnodeInt(j, "table_id", &r.table_id) ||
      !ReadZnodeInt(j, "schema_id", &r.schema_id) || !ReadZnodeInt(j, "bucket_count", &r.bucket_count) ||
      !ReadZnodeInt(j, "created_time", &r.created_time_ms) ||
      !ReadZnodeInt(j, "modified_time", &r.modified_time_ms) || r.table_id < 1 || r.schema_id < 1 ||
      r.bucket_count < 1 || r.bucket_count > TableDescriptor::kMaxBucketCount) {
    return Status::Corruption(fmt::format("znode '{}' is not a table registration", path));
  }
  r.table_json = d->dump();
  return r;
}

std::string AssignmentBody(const std::vector<BucketAssignment>& assignment) {
  std::string out = R"({"version":1,"buckets":[)";
  bool first = true;
  for (const BucketAssignment& b : assignment) {
    if (!first) out += ',';
    first = false;
    out += fmt::format(R"({{"bucket_id":{},"replicas":[{}],"leader":{},"leader_epoch":{},"bucket_epoch":{}}})",
                       b.bucket_id, fmt::join(b.replicas, ","), b.leader, b.leader_epoch, b.bucket_epoch);
  }
  return out + "]}";
}

Result<std::vector<BucketAssignment>> ParseAssignment(const std::string& data, const std::string& path,
                                                      const TableRecord& table) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  auto buckets = j.find("buckets");
  Status bad = Status::Corruption(fmt::format("znode '{}' is not a bucket assignment", path));
  if (buckets == j.end() || !buckets->is_array()) return bad;
  std::vector<BucketAssignment> out;
  for (const json& b : *buckets) {
    BucketAssignment a;
    if (!b.is_object() || !ReadZnodeInt(b, "bucket_id", &a.bucket_id) ||
        !ReadZnodeIntArray(b, "replicas", &a.replicas) || !ReadZnodeInt(b, "leader", &a.leader) ||
        !ReadZnodeInt(b, "leader_epoch", &a.leader_epoch) || !ReadZnodeInt(b, "bucket_epoch", &a.bucket_epoch)) {
      return bad;
    }
    out.push_back(std::move(a));
  }
  if (!out.empty()) {
    Status st = NormalizeAssignment(table.path.ToString(), table.bucket_count, &out);
    if (!st.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, st.message()));
  }
  return out;
}

std::string PartitionRegistrationBody(int64_t table_id, int64_t partition_id) {
  return fmt::format(R"({{"version":1,"table_id":{},"partition_id":{}}})", table_id, partition_id);
}

Result<PartitionRegistration> ParsePartitionRegistration(const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  PartitionRegistration r;
  if (!ReadZnodeInt(j, "table_id", &r.table_id) || !ReadZnodeInt(j, "partition_id", &r.partition_id) ||
      r.table_id < 1 || r.partition_id < 0) {
    return Status::Corruption(fmt::format("znode '{}' is not a partition registration", path));
  }
  return r;
}

std::string PartitionAssignmentBody(int64_t table_id, const std::vector<BucketAssignment>& assignment) {
  std::string out = fmt::format(R"({{"version":1,"table_id":{},"buckets":{{)", table_id);
  bool first = true;
  for (const BucketAssignment& b : assignment) {
    if (!first) out += ',';
    first = false;
    out += fmt::format(R"("{}":[{}])", b.bucket_id, fmt::join(b.replicas, ","));
  }
  return out + "}}";
}

Result<std::pair<int64_t, std::vector<BucketAssignment>>> ParsePartitionAssignment(const std::string& data,
                                                                                    const std::string& path,
                                                                                    const TableRecord& table) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  Status bad = Status::Corruption(fmt::format("znode '{}' is not a partition assignment", path));
  int64_t table_id = -1;
  auto buckets = j.find("buckets");
  if (!ReadZnodeInt(j, "table_id", &table_id) || buckets == j.end() || !buckets->is_object()) return bad;
  std::vector<BucketAssignment> out;
  for (const auto& [key, replicas] : buckets->items()) {
    BucketAssignment a;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), a.bucket_id);
    if (key.empty() || ec != std::errc() || end != key.data() + key.size() || !replicas.is_array()) return bad;
    for (const json& r : replicas) {
      if (!r.is_number_integer()) return bad;
      int64_t id = r.get<int64_t>();
      if (id < std::numeric_limits<int32_t>::min() || id > std::numeric_limits<int32_t>::max()) return bad;
      a.replicas.push_back(static_cast<int32_t>(id));
    }
    out.push_back(std::move(a));
  }
  if (!out.empty()) {
    Status st = NormalizeAssignment(table.path.ToString(), table.bucket_count, &out);
    if (!st.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, st.message()));
  }
  return std::make_pair(table_id, std::move(out));
}

std::string DroppedPartitionBody(const PartitionRecord& p, int64_t now_ms) {
  return json{{"version", 1},
              {"database", p.path.database()},
              {"table", p.path.table()},
              {"table_id", p.table_id},
              {"partition_name", p.partition_name},
              {"dropped_time", now_ms}}
      .dump();
}

Result<DroppedPartitionRecord> ParseDroppedPartition(int64_t partition_id, const std::string& data,
                                                     const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  DroppedPartitionRecord d;
  d.partition_id = partition_id;
  auto db = j.find("database");
  auto t = j.find("table");
  auto name = j.find("partition_name");
  if (db == j.end() || !db->is_string() || t == j.end() || !t->is_string() || name == j.end() ||
      !name->is_string() || !ReadZnodeInt(j, "table_id", &d.table_id) ||
      !ReadZnodeInt(j, "dropped_time", &d.dropped_time_ms)) {
    return Status::Corruption(fmt::format("znode '{}' is not a dropped-partition record", path));
  }
  auto table_path = TablePath::Make(db->get<std::string>(), t->get<std::string>());
  if (!table_path.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, table_path.status().message()));
  d.path = *table_path;
  d.partition_name = name->get<std::string>();
  Status valid = ValidatePartitionName(d.partition_name);
  if (!valid.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, valid.message()));
  return d;
}

std::string DroppedTableBody(const TableRecord& r, int64_t now_ms) {
  return json{{"version", 1},
              {"database", r.path.database()},
              {"table", r.path.table()},
              {"dropped_time", now_ms}}
      .dump();
}

Result<DroppedTableRecord> ParseDroppedTable(int64_t table_id, const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  DroppedTableRecord d;
  d.table_id = table_id;
  auto db = j.find("database");
  auto t = j.find("table");
  if (db == j.end() || !db->is_string() || t == j.end() || !t->is_string() ||
      !ReadZnodeInt(j, "dropped_time", &d.dropped_time_ms)) {
    return Status::Corruption(fmt::format("znode '{}' is not a dropped-table record", path));
  }
  auto table_path = TablePath::Make(db->get<std::string>(), t->get<std::string>());
  if (!table_path.ok()) return Status::Corruption(fmt::format("znode '{}': {}", path, table_path.status().message()));
  d.path = *table_path;
  return d;
}

std::string TabletServerBody(const TabletServerInfo& s) {
  return json{{"version", 1}, {"listeners", s.listeners}, {"rack", s.rack},
              {"register_timestamp", s.register_timestamp_ms}}
      .dump();
}

Result<TabletServerInfo> ParseTabletServer(int32_t id, const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  TabletServerInfo info;
  info.id = id;
  auto listeners = j.find("listeners");
  auto rack = j.find("rack");
  if (listeners == j.end() || !listeners->is_string() ||
      !ReadZnodeInt(j, "register_timestamp", &info.register_timestamp_ms)) {
    return Status::Corruption(fmt::format("znode '{}' is not a tablet server registration", path));
  }
  info.listeners = listeners->get<std::string>();
  if (rack != j.end() && rack->is_string()) info.rack = rack->get<std::string>();
  return info;
}

std::string ActiveCoordinatorBody(const TabletServerInfo& me) {
  return json{{"version", 1}, {"id", me.id}, {"listeners", me.listeners}}.dump();
}

std::string CoordinatorRegistrationBody(const TabletServerInfo& me) {
  return json{{"version", 2}, {"id", me.id}, {"listeners", me.listeners}}.dump();
}

Result<TabletServerInfo> ParseCoordinator(const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  TabletServerInfo info;
  if (!ReadZnodeInt(j, "id", &info.id) || !j.contains("listeners") || !j["listeners"].is_string()) {
    return Status::Corruption(fmt::format("znode '{}' is not a coordinator registration", path));
  }
  info.listeners = j["listeners"].get<std::string>();
  return info;
}

Result<int32_t> ParseCoordinatorId(const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  int32_t id = -1;
  if (!ReadZnodeInt(j, "id", &id)) return Status::Corruption(fmt::format("znode '{}' has no coordinator id", path));
  return id;
}

std::string LeaderAndIsrBody(const LeaderAndIsr& v) {
  return fmt::format(
      R"({{"version":1,"leader":{},"leader_epoch":{},"isr":[{}],"coordinator_epoch":{},"bucket_epoch":{}}})",
      v.leader, v.leader_epoch, fmt::join(v.isr, ","), v.coordinator_epoch, v.bucket_epoch);
}

Result<LeaderAndIsr> ParseLeaderAndIsr(const std::string& data, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(json j, ParseZnodeObject(data, path));
  LeaderAndIsr v;
  if (!ReadZnodeInt(j, "leader", &v.leader) || !ReadZnodeInt(j, "leader_epoch", &v.leader_epoch) ||
      !ReadZnodeIntArray(j, "isr", &v.isr) || !ReadZnodeInt(j, "coordinator_epoch", &v.coordinator_epoch) ||
      !ReadZnodeInt(j, "bucket_epoch", &v.bucket_epoch)) {
    return Status::Corruption(fmt::format("znode '{}' is not a leader-and-ISR record", path));
  }
  return v;
}

}  // namespace fluss::zk_znodes
