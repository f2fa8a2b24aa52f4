#include "metadata/metadata_state.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

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

}  // namespace

Result<std::string> NormalizeJsonObject(std::string_view text, std::string_view what, ErrorCode code,
                                        bool empty_is_object) {
  if (text.empty() && empty_is_object) return std::string("{}");
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status(code, fmt::format("{} is not valid JSON", what));
  if (!parsed.is_object()) return Status(code, fmt::format("{} is not a JSON object", what));
  return parsed.dump();
}

void RecordTableDrop(MetadataState* state, const TableRecord& table, int64_t now_ms) {
  std::erase_if(state->dropped_tables,
                [&](const auto& entry) { return entry.second.dropped_time_ms < now_ms - kDroppedTableRetentionMs; });
  state->dropped_tables[table.table_id] = DroppedTableRecord{table.path, table.table_id, now_ms};
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

// Written by hand rather than through nlohmann::json: the stored JSON texts are already compact
// JSON objects and are spliced in as they are, so a commit costs a copy of the bytes, not a parse of
// every descriptor and schema.
std::string EncodeMetadataState(const MetadataState& state) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, R"({{"next_table_id":{},"writer_id_limit":{},"databases":[)", state.next_table_id,
                 state.writer_id_limit);
  bool first = true;
  for (const auto& [name, db] : state.databases) {
    if (!std::exchange(first, false)) out += ',';
    fmt::format_to(it, R"({{"name":{},"database":{},"created_time_ms":{},"modified_time_ms":{},"version":{}}})",
                   Quote(db.name), db.database_json, db.created_time_ms, db.modified_time_ms, db.version);
  }
  out += R"(],"tables":[)";
  first = true;
  for (const auto& [path, entry] : state.tables) {
    const TableRecord& r = entry.record;
    if (!std::exchange(first, false)) out += ',';
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
    bool first_bucket = true;
    for (const BucketAssignment& b : entry.assignment) {
      if (!std::exchange(first_bucket, false)) out += ',';
      fmt::format_to(it, R"({{"bucket_id":{},"replicas":[{}],"leader":{},"leader_epoch":{},"bucket_epoch":{}}})",
                     b.bucket_id, fmt::join(b.replicas, ","), b.leader, b.leader_epoch, b.bucket_epoch);
    }
    out += "]}";
  }
  out += "]";
  // Written only when there are records, so a store with none keeps the form older readers know.
  if (!state.dropped_tables.empty()) {
    out += R"(,"dropped_tables":[)";
    first = true;
    for (const auto& [id, d] : state.dropped_tables) {
      if (!std::exchange(first, false)) out += ',';
      fmt::format_to(it, R"({{"database":{},"table":{},"table_id":{},"dropped_time_ms":{}}})",
                     Quote(d.path.database()), Quote(d.path.table()), d.table_id, d.dropped_time_ms);
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
  state.next_table_id = top.Integer<int64_t>("next_table_id");
  state.writer_id_limit = top.Integer<int64_t>("writer_id_limit");
  const json* databases = top.Array("databases");
  const json* tables = top.Array("tables");
  if (!top.ok()) return top.status();
  if (state.next_table_id < 1 || state.writer_id_limit < 0) {
    return Status::Corruption(fmt::format("{} next_table_id {} or writer_id_limit {} is out of range", prefix,
                                          state.next_table_id, state.writer_id_limit));
  }

  for (size_t i = 0; i < databases->size(); ++i) {
    FieldReader f((*databases)[i], fmt::format("{} database #{}", prefix, i));
    DatabaseRecord db;
    db.name = f.String("name");
    db.database_json = f.Object("database");
    db.created_time_ms = f.Integer<int64_t>("created_time_ms");
    db.modified_time_ms = f.Integer<int64_t>("modified_time_ms");
    db.version = f.Integer<int32_t>("version");
    if (!f.ok()) return f.status();
    Status valid = TablePath::ValidateName(db.name, "database");
    if (!valid.ok()) return Status::Corruption(fmt::format("{} {}", prefix, valid.message()));
    std::string name = db.name;
    if (!state.databases.emplace(name, std::move(db)).second) {
      return Status::Corruption(fmt::format("{} database '{}' appears twice", prefix, name));
    }
  }

  for (size_t i = 0; i < tables->size(); ++i) {
    FieldReader f((*tables)[i], fmt::format("{} table #{}", prefix, i));
    std::string database = f.String("database");
    std::string table = f.String("table");
    if (!f.ok()) return f.status();
    auto table_path = TablePath::Make(database, table);
    if (!table_path.ok()) return Status::Corruption(fmt::format("{} {}", prefix, table_path.status().message()));
    const std::string name = table_path->ToString();
    FieldReader t((*tables)[i], fmt::format("{} table '{}'", prefix, name));
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
    auto bad = [&](std::string why) { return Status::Corruption(fmt::format("{} table '{}' {}", prefix, name, why)); };

    for (size_t s = 0; s < schemas->size(); ++s) {
      FieldReader sf((*schemas)[s], fmt::format("{} table '{}' schema #{}", prefix, name, s));
      int32_t id = sf.Integer<int32_t>("schema_id");
      std::string schema = sf.Object("schema");
      if (!sf.ok()) return sf.status();
      if (!entry.schemas.emplace(id, std::move(schema)).second) return bad(fmt::format("has schema {} twice", id));
    }
    for (size_t b = 0; b < assignment->size(); ++b) {
      FieldReader bf((*assignment)[b], fmt::format("{} table '{}' assignment #{}", prefix, name, b));
      BucketAssignment a;
      a.bucket_id = bf.Integer<int32_t>("bucket_id");
      const json* replicas = bf.Array("replicas");
      a.leader = bf.Integer<int32_t>("leader");
      a.leader_epoch = bf.Integer<int32_t>("leader_epoch");
      a.bucket_epoch = bf.Integer<int32_t>("bucket_epoch");
      if (!bf.ok()) return bf.status();
      for (const json& replica : *replicas) {
        if (!replica.is_number_integer()) return bad(fmt::format("bucket {} has a non-integer replica", a.bucket_id));
        a.replicas.push_back(replica.get<int32_t>());
      }
      entry.assignment.push_back(std::move(a));
    }

    if (state.tables.contains(r.path)) return bad("appears twice");
    if (!state.databases.contains(database)) return bad(fmt::format("belongs to missing database '{}'", database));
    if (r.table_id < 1 || r.table_id >= state.next_table_id) {
      return bad(fmt::format("has id {} outside 1..{}", r.table_id, state.next_table_id - 1));
    }
    if (r.bucket_count < 1 || r.bucket_count > TableDescriptor::kMaxBucketCount) {
      return bad(fmt::format("has bucket count {}", r.bucket_count));
    }
    if (!entry.schemas.contains(r.schema_id) || entry.schemas.rbegin()->first != r.schema_id) {
      return bad(fmt::format("has latest schema id {} but no such (latest) schema", r.schema_id));
    }
    if (!entry.assignment.empty()) {
      Status st = NormalizeAssignment(name, r.bucket_count, &entry.assignment);
      if (!st.ok()) return Status::Corruption(fmt::format("{} {}", prefix, st.message()));
    }
    if (!state.table_ids.emplace(r.table_id, r.path).second) return bad(fmt::format("reuses table id {}", r.table_id));
    state.tables.emplace(r.path, std::move(entry));
  }

  // Written since drops leave records; a file without the field has none.
  if (auto it = root.find("dropped_tables"); it != root.end()) {
    if (!it->is_array()) return Status::Corruption(fmt::format("{} field 'dropped_tables' is not an array", prefix));
    for (size_t i = 0; i < it->size(); ++i) {
      FieldReader f((*it)[i], fmt::format("{} dropped table #{}", prefix, i));
      std::string database = f.String("database");
      std::string table = f.String("table");
      DroppedTableRecord d;
      d.table_id = f.Integer<int64_t>("table_id");
      d.dropped_time_ms = f.Integer<int64_t>("dropped_time_ms");
      if (!f.ok()) return f.status();
      auto table_path = TablePath::Make(database, table);
      if (!table_path.ok()) return Status::Corruption(fmt::format("{} {}", prefix, table_path.status().message()));
      d.path = *table_path;
      if (d.table_id < 1 || d.table_id >= state.next_table_id || state.table_ids.contains(d.table_id)) {
        return Status::Corruption(fmt::format("{} dropped table '{}' has id {}, which is out of range or still in use",
                                              prefix, d.path.ToString(), d.table_id));
      }
      if (!state.dropped_tables.emplace(d.table_id, d).second) {
        return Status::Corruption(fmt::format("{} dropped table id {} appears twice", prefix, d.table_id));
      }
    }
  }
  return state;
}

}  // namespace fluss
