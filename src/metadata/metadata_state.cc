#include "metadata/metadata_state.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "types/partition_spec.h"
#include "types/table_descriptor.h"

namespace fluss {
namespace {

using nlohmann::json;

// Reads fields of one JSON object and remembers the first problem, so decoding code stays linear:
// check ok() once per record. `where` names the record in messages ("table 'db.t'").
class FieldReader {
 public:
  FieldReader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
    if (!obj_.is_object()) Fail("is not a JSON object");
  }

  template <typename Int>
  Int Integer(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) return Fail(fmt::format("field '{}' is not an integer", key)), 0;
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
        return Fail(fmt::format("field '{}' is out of range", key)), 0;
      }
      return static_cast<Int>(u);
    }
    int64_t i = v->get<int64_t>();
    if (i < std::numeric_limits<Int>::min() || i > std::numeric_limits<Int>::max()) {
      return Fail(fmt::format("field '{}' is out of range", key)), 0;
    }
    return static_cast<Int>(i);
  }

  std::string String(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return {};
    if (!v->is_string()) return Fail(fmt::format("field '{}' is not a string", key)), std::string();
    return v->get<std::string>();
  }

  // An embedded JSON object, returned in compact dump() form.
  std::string Object(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return {};
    if (!v->is_object()) return Fail(fmt::format("field '{}' is not a JSON object", key)), std::string();
    return v->dump();
  }

  const json* Array(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) return Fail(fmt::format("field '{}' is not an array", key)), nullptr;
    return v;
  }

  void Fail(std::string why) {
    if (status_.ok()) status_ = Status::Corruption(fmt::format("{} {}", where_, why));
  }
  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

 private:
  const json* Find(const char* key) {
    if (!ok()) return nullptr;
    auto it = obj_.find(key);
    if (it == obj_.end()) {
      Fail(fmt::format("has no field '{}'", key));
      return nullptr;
    }
    return &*it;
  }

  const json& obj_;
  std::string where_;
  Status status_;
};

// A JSON string literal. Names are validated to [A-Za-z0-9_-], so this only adds quotes; it escapes
// anyway so the file stays valid JSON whatever a name holds.
std::string Quote(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

// The assignment array of a table or a partition (checked by the caller).
Status DecodeAssignment(const json& assignment, std::string_view where, const std::string& label,
                        std::vector<BucketAssignment>* out) {
  for (size_t b = 0; b < assignment.size(); ++b) {
    FieldReader bf(assignment[b], fmt::format("{} {} assignment #{}", where, label, b));
    BucketAssignment a;
    a.bucket_id = bf.Integer<int32_t>("bucket_id");
    const json* replicas = bf.Array("replicas");
    a.leader = bf.Integer<int32_t>("leader");
    a.leader_epoch = bf.Integer<int32_t>("leader_epoch");
    a.bucket_epoch = bf.Integer<int32_t>("bucket_epoch");
    if (!bf.ok()) return bf.status();
    for (const json& replica : *replicas) {
      if (!replica.is_number_integer()) {
        return Status::Corruption(
            fmt::format("{} {} bucket {} has a non-integer replica", where, label, a.bucket_id));
      }
      a.replicas.push_back(replica.get<int32_t>());
    }
    out->push_back(std::move(a));
  }
  return Status::OK();
}

void EncodeAssignment(const std::vector<BucketAssignment>& assignment, std::string* out) {
  auto it = std::back_inserter(*out);
  bool first_bucket = true;
  for (const BucketAssignment& b : assignment) {
    if (!std::exchange(first_bucket, false)) *out += ',';
    fmt::format_to(it, R"({{"bucket_id":{},"replicas":[{}],"leader":{},"leader_epoch":{},"bucket_epoch":{}}})",
                   b.bucket_id, fmt::join(b.replicas, ","), b.leader, b.leader_epoch, b.bucket_epoch);
  }
}


}  // namespace

Result<std::string> NormalizeJsonObject(std::string_view text, std::string_view what, ErrorCode code,
                                        bool empty_is_object) {
  if (text.empty() && empty_is_object) return std::string("{}");
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status(code, fmt::format("{} is not valid JSON", what));
  if (!parsed.is_object()) return Status(code, fmt::format("{} is not a JSON object", what));
  return parsed.dump();
}

namespace {

void ForgetOldDrops(MetadataState* state, int64_t now_ms) {
  auto expired = [&](const auto& entry) { return entry.second.dropped_time_ms < now_ms - kDroppedTableRetentionMs; };
  std::erase_if(state->dropped_tables, expired);
  std::erase_if(state->dropped_partitions, expired);
}

}  // namespace

void RecordTableDrop(MetadataState* state, const TableRecord& table, int64_t now_ms) {
  ForgetOldDrops(state, now_ms);
  state->dropped_tables[table.table_id] = DroppedTableRecord{table.path, table.table_id, now_ms};
}

void RecordPartitionDrop(MetadataState* state, const PartitionRecord& p, int64_t now_ms) {
  ForgetOldDrops(state, now_ms);
  state->dropped_partitions[p.partition_id] =
      DroppedPartitionRecord{p.path, p.table_id, p.partition_id, p.partition_name, now_ms};
}

void AddPartition(MetadataState* state, PartitionEntry entry) {
  const int64_t id = entry.record.partition_id;
  RemovePartition(state, id);
  state->partition_names[entry.record.table_id][entry.record.partition_name] = id;
  state->partitions.insert_or_assign(id, std::move(entry));
}

bool RemovePartition(MetadataState* state, int64_t partition_id) {
  auto it = state->partitions.find(partition_id);
  if (it == state->partitions.end()) return false;
  const PartitionRecord& r = it->second.record;
  auto names = state->partition_names.find(r.table_id);
  if (names != state->partition_names.end()) {
    auto name = names->second.find(r.partition_name);
    if (name != names->second.end() && name->second == partition_id) names->second.erase(name);
    if (names->second.empty()) state->partition_names.erase(names);
  }
  state->partitions.erase(it);
  return true;
}

void RemoveTablePartitions(MetadataState* state, int64_t table_id) {
  auto names = state->partition_names.find(table_id);
  if (names == state->partition_names.end()) return;
  for (const auto& [name, id] : names->second) state->partitions.erase(id);
  state->partition_names.erase(names);
}

const std::map<std::string, int64_t>* TablePartitions(const MetadataState& state, int64_t table_id) {
  auto it = state.partition_names.find(table_id);
  return it == state.partition_names.end() ? nullptr : &it->second;
}

Status NormalizeAssignment(std::string_view table, int32_t bucket_count, std::vector<BucketAssignment>* assignment) {
  auto& a = *assignment;
  if (a.size() != static_cast<size_t>(bucket_count)) {
    return Status(ErrorCode::kInvalidTable, fmt::format("bucket assignment of table '{}' has {} entries for {} buckets",
                                                        table, a.size(), bucket_count));
  }
  std::sort(a.begin(), a.end(), [](const auto& x, const auto& y) { return x.bucket_id < y.bucket_id; });
  for (int32_t i = 0; i < bucket_count; ++i) {
    const BucketAssignment& b = a[static_cast<size_t>(i)];
    if (b.bucket_id != i) {
      return Status(ErrorCode::kInvalidTable,
                    fmt::format("bucket assignment of table '{}' must name each bucket 0..{} once; bucket {} {}", table,
                                bucket_count - 1, b.bucket_id < i ? b.bucket_id : i,
                                b.bucket_id < i ? "appears twice" : "is missing"));
    }
    if (b.leader != -1 && std::find(b.replicas.begin(), b.replicas.end(), b.leader) == b.replicas.end()) {
      return Status(
          ErrorCode::kInvalidTable,
          fmt::format("bucket {} of table '{}' has leader {} which is not one of its replicas", i, table, b.leader));
    }
  }
  return Status::OK();
}

namespace {

Result<json> ParseObjectText(std::string_view text, std::string_view where) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::Corruption(fmt::format("{} is not valid JSON", where));
  return parsed;
}

Result<DatabaseRecord> DecodeDatabase(const json& obj, const std::string& where) {
  FieldReader f(obj, where);
  DatabaseRecord db;
  db.name = f.String("name");
  db.database_json = f.Object("database");
  db.created_time_ms = f.Integer<int64_t>("created_time_ms");
  db.modified_time_ms = f.Integer<int64_t>("modified_time_ms");
  db.version = f.Integer<int32_t>("version");
  if (!f.ok()) return f.status();
  Status valid = TablePath::ValidateName(db.name, "database");
  if (!valid.ok()) return Status::Corruption(fmt::format("{} {}", where, valid.message()));
  return db;
}

// `where` names the file (and record); `label` the object when its name is not known yet ("table #3").
Result<TableEntry> DecodeTable(const json& obj, std::string_view where, std::string_view label) {
  FieldReader f(obj, fmt::format("{} {}", where, label));
  std::string database = f.String("database");
  std::string table = f.String("table");
  if (!f.ok()) return f.status();
  auto table_path = TablePath::Make(database, table);
  if (!table_path.ok()) return Status::Corruption(fmt::format("{} {}", where, table_path.status().message()));
  const std::string name = table_path->ToString();
  FieldReader t(obj, fmt::format("{} table '{}'", where, name));
  TableEntry entry;
  TableRecord& r = entry.record;
  r.path = *table_path;
  r.table_id = t.Integer<int64_t>("table_id");
  r.schema_id = t.Integer<int32_t>("schema_id");
  r.bucket_count = t.Integer<int32_t>("bucket_count");
  r.created_time_ms = t.Integer<int64_t>("created_time_ms");
  r.modified_time_ms = t.Integer<int64_t>("modified_time_ms");
  r.version = t.Integer<int32_t>("version");
  r.table_json = t.Object("descriptor");
  const json* schemas = t.Array("schemas");
  const json* assignment = t.Array("assignment");
  if (!t.ok()) return t.status();
  auto bad = [&](std::string why) { return Status::Corruption(fmt::format("{} table '{}' {}", where, name, why)); };

  for (size_t s = 0; s < schemas->size(); ++s) {
    FieldReader sf((*schemas)[s], fmt::format("{} table '{}' schema #{}", where, name, s));
    int32_t id = sf.Integer<int32_t>("schema_id");
    std::string schema = sf.Object("schema");
    if (!sf.ok()) return sf.status();
    if (!entry.schemas.emplace(id, std::move(schema)).second) return bad(fmt::format("has schema {} twice", id));
  }
  FLUSS_RETURN_NOT_OK(DecodeAssignment(*assignment, where, fmt::format("table '{}'", name), &entry.assignment));
  if (r.bucket_count < 1 || r.bucket_count > TableDescriptor::kMaxBucketCount) {
    return bad(fmt::format("has bucket count {}", r.bucket_count));
  }
  if (!entry.schemas.contains(r.schema_id) || entry.schemas.rbegin()->first != r.schema_id) {
    return bad(fmt::format("has latest schema id {} but no such (latest) schema", r.schema_id));
  }
  if (!entry.assignment.empty()) {
    Status st = NormalizeAssignment(name, r.bucket_count, &entry.assignment);
    if (!st.ok()) return Status::Corruption(fmt::format("{} {}", where, st.message()));
  }
  return entry;
}

Result<DroppedTableRecord> DecodeDroppedTable(const json& obj, const std::string& where) {
  FieldReader f(obj, where);
  std::string database = f.String("database");
  std::string table = f.String("table");
  DroppedTableRecord d;
  d.table_id = f.Integer<int64_t>("table_id");
  d.dropped_time_ms = f.Integer<int64_t>("dropped_time_ms");
  if (!f.ok()) return f.status();
  auto table_path = TablePath::Make(database, table);
  if (!table_path.ok()) return Status::Corruption(fmt::format("{} {}", where, table_path.status().message()));
  d.path = *table_path;
  return d;
}

// A partition name: '$'-separated values, each a valid name (so that it is safe as a znode and a
// directory name).
Status CheckPartitionName(const std::string& name, std::string_view where) {
  Status st = ValidatePartitionName(name);
  if (!st.ok()) return Status::Corruption(fmt::format("{} {}", where, st.message()));
  return Status::OK();
}

Result<PartitionEntry> DecodePartition(const json& obj, std::string_view where) {
  FieldReader f(obj, fmt::format("{} partition", where));
  std::string database = f.String("database");
  std::string table = f.String("table");
  PartitionEntry entry;
  PartitionRecord& r = entry.record;
  r.table_id = f.Integer<int64_t>("table_id");
  r.partition_id = f.Integer<int64_t>("partition_id");
  r.partition_name = f.String("partition_name");
  const json* assignment = f.Array("assignment");
  if (!f.ok()) return f.status();
  auto table_path = TablePath::Make(database, table);
  if (!table_path.ok()) return Status::Corruption(fmt::format("{} {}", where, table_path.status().message()));
  r.path = *table_path;
  const std::string label = fmt::format("partition {} ('{}' of table '{}')", r.partition_id, r.partition_name,
                                        r.path.ToString());
  FLUSS_RETURN_NOT_OK(CheckPartitionName(r.partition_name, where));
  if (r.partition_id < 0) return Status::Corruption(fmt::format("{} {} has a negative id", where, label));
  FLUSS_RETURN_NOT_OK(DecodeAssignment(*assignment, where, label, &entry.assignment));
  return entry;
}

Result<DroppedPartitionRecord> DecodeDroppedPartition(const json& obj, const std::string& where) {
  FieldReader f(obj, where);
  std::string database = f.String("database");
  std::string table = f.String("table");
  DroppedPartitionRecord d;
  d.table_id = f.Integer<int64_t>("table_id");
  d.partition_id = f.Integer<int64_t>("partition_id");
  d.partition_name = f.String("partition_name");
  d.dropped_time_ms = f.Integer<int64_t>("dropped_time_ms");
  if (!f.ok()) return f.status();
  auto table_path = TablePath::Make(database, table);
  if (!table_path.ok()) return Status::Corruption(fmt::format("{} {}", where, table_path.status().message()));
  d.path = *table_path;
  FLUSS_RETURN_NOT_OK(CheckPartitionName(d.partition_name, where));
  return d;
}

Status DecodeCounters(const json& obj, std::string_view where, MetadataState* state) {
  FieldReader top(obj, std::string(where));
  int64_t next_table_id = top.Integer<int64_t>("next_table_id");
  int64_t writer_id_limit = top.Integer<int64_t>("writer_id_limit");
  if (!top.ok()) return top.status();
  int64_t next_partition_id = 0;
  if (obj.contains("next_partition_id")) {  // written once a partition was created
    next_partition_id = top.Integer<int64_t>("next_partition_id");
    if (!top.ok()) return top.status();
  }
  if (next_table_id < 1 || writer_id_limit < 0 || next_partition_id < 0) {
    return Status::Corruption(fmt::format("{} next_table_id {}, writer_id_limit {} or next_partition_id {} is out of "
                                          "range",
                                          where, next_table_id, writer_id_limit, next_partition_id));
  }
  state->next_table_id = next_table_id;
  state->writer_id_limit = writer_id_limit;
  state->next_partition_id = next_partition_id;
  return Status::OK();
}

}  // namespace

// Written by hand rather than through nlohmann::json: the stored JSON texts are already compact
// JSON objects and are spliced in as they are, so an encode costs a copy of the bytes, not a parse
// of every descriptor and schema.
std::string EncodeDatabaseObject(const DatabaseRecord& db) {
  return fmt::format(R"({{"name":{},"database":{},"created_time_ms":{},"modified_time_ms":{},"version":{}}})",
                     Quote(db.name), db.database_json, db.created_time_ms, db.modified_time_ms, db.version);
}

std::string EncodeTableObject(const TableEntry& entry) {
  std::string out;
  auto it = std::back_inserter(out);
  const TableRecord& r = entry.record;
  fmt::format_to(it,
                 R"({{"database":{},"table":{},"table_id":{},"schema_id":{},"bucket_count":{},)"
                 R"("created_time_ms":{},"modified_time_ms":{},"version":{},"descriptor":{},"schemas":[)",
                 Quote(r.path.database()), Quote(r.path.table()), r.table_id, r.schema_id, r.bucket_count,
                 r.created_time_ms, r.modified_time_ms, r.version, r.table_json);
  bool first_schema = true;
  for (const auto& [id, schema] : entry.schemas) {
    if (!std::exchange(first_schema, false)) out += ',';
    fmt::format_to(it, R"({{"schema_id":{},"schema":{}}})", id, schema);
  }
  out += R"(],"assignment":[)";
  EncodeAssignment(entry.assignment, &out);
  out += "]}";
  return out;
}

std::string EncodePartitionObject(const PartitionEntry& entry) {
  const PartitionRecord& r = entry.record;
  std::string out = fmt::format(
      R"({{"database":{},"table":{},"table_id":{},"partition_id":{},"partition_name":{},"assignment":[)",
      Quote(r.path.database()), Quote(r.path.table()), r.table_id, r.partition_id, Quote(r.partition_name));
  EncodeAssignment(entry.assignment, &out);
  out += "]}";
  return out;
}

std::string EncodeDroppedPartitionObject(const DroppedPartitionRecord& d) {
  return fmt::format(
      R"({{"database":{},"table":{},"table_id":{},"partition_id":{},"partition_name":{},"dropped_time_ms":{}}})",
      Quote(d.path.database()), Quote(d.path.table()), d.table_id, d.partition_id, Quote(d.partition_name),
      d.dropped_time_ms);
}

std::string EncodeDroppedTableObject(const DroppedTableRecord& dropped) {
  return fmt::format(R"({{"database":{},"table":{},"table_id":{},"dropped_time_ms":{}}})",
                     Quote(dropped.path.database()), Quote(dropped.path.table()), dropped.table_id,
                     dropped.dropped_time_ms);
}

std::string EncodeCountersObject(const MetadataState& state) {
  if (state.next_partition_id == 0) {
    return fmt::format(R"({{"next_table_id":{},"writer_id_limit":{}}})", state.next_table_id, state.writer_id_limit);
  }
  return fmt::format(R"({{"next_table_id":{},"writer_id_limit":{},"next_partition_id":{}}})", state.next_table_id,
                     state.writer_id_limit, state.next_partition_id);
}

Result<DatabaseRecord> DecodeDatabaseObject(std::string_view text, std::string_view where) {
  FLUSS_ASSIGN_OR_RETURN(json obj, ParseObjectText(text, where));
  return DecodeDatabase(obj, fmt::format("{} database", where));
}

Result<TableEntry> DecodeTableObject(std::string_view text, std::string_view where) {
  FLUSS_ASSIGN_OR_RETURN(json obj, ParseObjectText(text, where));
  return DecodeTable(obj, where, "table");
}

Result<DroppedTableRecord> DecodeDroppedTableObject(std::string_view text, std::string_view where) {
  FLUSS_ASSIGN_OR_RETURN(json obj, ParseObjectText(text, where));
  return DecodeDroppedTable(obj, fmt::format("{} dropped table", where));
}

Result<PartitionEntry> DecodePartitionObject(std::string_view text, std::string_view where) {
  FLUSS_ASSIGN_OR_RETURN(json obj, ParseObjectText(text, where));
  return DecodePartition(obj, where);
}

Result<DroppedPartitionRecord> DecodeDroppedPartitionObject(std::string_view text, std::string_view where) {
  FLUSS_ASSIGN_OR_RETURN(json obj, ParseObjectText(text, where));
  return DecodeDroppedPartition(obj, fmt::format("{} dropped partition", where));
}

Status DecodeCountersObject(std::string_view text, std::string_view where, MetadataState* state) {
  FLUSS_ASSIGN_OR_RETURN(json obj, ParseObjectText(text, where));
  return DecodeCounters(obj, fmt::format("{} counters", where), state);
}

Status ValidateMetadataState(const MetadataState& state, std::string_view where) {
  size_t indexed = 0;
  for (const auto& [path, entry] : state.tables) {
    const TableRecord& r = entry.record;
    auto bad = [&](std::string why) {
      return Status::Corruption(fmt::format("{} table '{}' {}", where, path.ToString(), why));
    };
    if (!state.databases.contains(path.database())) {
      return bad(fmt::format("belongs to missing database '{}'", path.database()));
    }
    if (r.table_id < 1 || r.table_id >= state.next_table_id) {
      return bad(fmt::format("has id {} outside 1..{}", r.table_id, state.next_table_id - 1));
    }
    auto id = state.table_ids.find(r.table_id);
    if (id == state.table_ids.end() || id->second != path) {
      return bad(fmt::format("reuses table id {}", r.table_id));
    }
    ++indexed;
  }
  if (indexed != state.table_ids.size()) {
    return Status::Corruption(fmt::format("{} the table id index names {} tables, {} exist", where,
                                          state.table_ids.size(), indexed));
  }
  for (const auto& [id, d] : state.dropped_tables) {
    if (d.table_id != id || d.table_id < 1 || d.table_id >= state.next_table_id || state.table_ids.contains(d.table_id)) {
      return Status::Corruption(fmt::format("{} dropped table '{}' has id {}, which is out of range or still in use",
                                            where, d.path.ToString(), d.table_id));
    }
  }
  size_t indexed_partitions = 0;
  for (const auto& [table_id, names] : state.partition_names) indexed_partitions += names.size();
  if (indexed_partitions != state.partitions.size()) {
    return Status::Corruption(fmt::format("{} the partition index names {} partitions, {} exist", where,
                                          indexed_partitions, state.partitions.size()));
  }
  for (const auto& [id, p] : state.partitions) {
    const PartitionRecord& r = p.record;
    auto bad = [&](std::string why) {
      return Status::Corruption(fmt::format("{} table '{}' partition '{}' (id {}) {}", where, r.path.ToString(),
                                            r.partition_name, id, why));
    };
    if (r.partition_id != id || id < 0 || id >= state.next_partition_id) {
      return bad(fmt::format("has an id outside 0..{}", state.next_partition_id - 1));
    }
    auto table = state.table_ids.find(r.table_id);
    if (table == state.table_ids.end() || table->second != r.path) {
      return bad(fmt::format("belongs to table id {}, which is not the live table of that name", r.table_id));
    }
    const auto* names = TablePartitions(state, r.table_id);
    auto name = names == nullptr ? std::map<std::string, int64_t>::const_iterator() : names->find(r.partition_name);
    if (names == nullptr || name == names->end() || name->second != id) return bad("is named twice in its table");
    if (!p.assignment.empty()) {
      std::vector<BucketAssignment> a = p.assignment;
      Status st = NormalizeAssignment(fmt::format("{} partition '{}'", r.path.ToString(), r.partition_name),
                                      state.tables.at(r.path).record.bucket_count, &a);
      if (!st.ok()) return Status::Corruption(fmt::format("{} {}", where, st.message()));
      if (a != p.assignment) return bad("has an assignment out of bucket order");
    }
  }
  for (const auto& [id, d] : state.dropped_partitions) {
    if (d.partition_id != id || id < 0 || id >= state.next_partition_id || state.partitions.contains(id)) {
      return Status::Corruption(fmt::format("{} dropped partition '{}' of table '{}' has id {}, which is out of range "
                                            "or still in use",
                                            where, d.partition_name, d.path.ToString(), id));
    }
  }
  return Status::OK();
}

std::string EncodeMetadataState(const MetadataState& state) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, R"({{"next_table_id":{},"writer_id_limit":{},"databases":[)", state.next_table_id,
                 state.writer_id_limit);
  bool first = true;
  for (const auto& [name, db] : state.databases) {
    if (!std::exchange(first, false)) out += ',';
    out += EncodeDatabaseObject(db);
  }
  out += R"(],"tables":[)";
  first = true;
  for (const auto& [path, entry] : state.tables) {
    if (!std::exchange(first, false)) out += ',';
    out += EncodeTableObject(entry);
  }
  out += "]";
  // Written only when there are records, so a store with none keeps the form older readers know.
  if (!state.dropped_tables.empty()) {
    out += R"(,"dropped_tables":[)";
    first = true;
    for (const auto& [id, d] : state.dropped_tables) {
      if (!std::exchange(first, false)) out += ',';
      out += EncodeDroppedTableObject(d);
    }
    out += "]";
  }
  out += "}";
  return out;
}

Result<MetadataState> DecodeMetadataState(std::string_view text, const std::string& path) {
  const std::string prefix = fmt::format("metadata file '{}':", path);
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::Corruption(fmt::format("{} content is not valid JSON", prefix));

  MetadataState state;
  FieldReader top(root, prefix);
  const json* databases = top.Array("databases");
  const json* tables = top.Array("tables");
  if (!top.ok()) return top.status();
  FLUSS_RETURN_NOT_OK(DecodeCounters(root, prefix, &state));

  for (size_t i = 0; i < databases->size(); ++i) {
    FLUSS_ASSIGN_OR_RETURN(DatabaseRecord db, DecodeDatabase((*databases)[i], fmt::format("{} database #{}", prefix, i)));
    std::string name = db.name;
    if (!state.databases.emplace(name, std::move(db)).second) {
      return Status::Corruption(fmt::format("{} database '{}' appears twice", prefix, name));
    }
  }
  for (size_t i = 0; i < tables->size(); ++i) {
    FLUSS_ASSIGN_OR_RETURN(TableEntry entry, DecodeTable((*tables)[i], prefix, fmt::format("table #{}", i)));
    const TableRecord& r = entry.record;
    if (state.tables.contains(r.path)) {
      return Status::Corruption(fmt::format("{} table '{}' appears twice", prefix, r.path.ToString()));
    }
    if (!state.table_ids.emplace(r.table_id, r.path).second) {
      return Status::Corruption(
          fmt::format("{} table '{}' reuses table id {}", prefix, r.path.ToString(), r.table_id));
    }
    TablePath key = r.path;
    state.tables.emplace(std::move(key), std::move(entry));
  }
  // Written since drops leave records; a file without the field has none.
  if (auto it = root.find("dropped_tables"); it != root.end()) {
    if (!it->is_array()) return Status::Corruption(fmt::format("{} field 'dropped_tables' is not an array", prefix));
    for (size_t i = 0; i < it->size(); ++i) {
      FLUSS_ASSIGN_OR_RETURN(DroppedTableRecord d,
                             DecodeDroppedTable((*it)[i], fmt::format("{} dropped table #{}", prefix, i)));
      if (!state.dropped_tables.emplace(d.table_id, d).second) {
        return Status::Corruption(fmt::format("{} dropped table id {} appears twice", prefix, d.table_id));
      }
    }
  }
  FLUSS_RETURN_NOT_OK(ValidateMetadataState(state, prefix));
  return state;
}

}  // namespace fluss
