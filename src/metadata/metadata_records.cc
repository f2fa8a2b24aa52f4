#include "metadata/metadata_records.h"

#include <fmt/format.h>

#include <charconv>

namespace fluss {
namespace {

// Appends the changes between two maps of objects of one kind, walking both in key order.
template <typename Map, typename KeyText, typename Encode>
void DiffMap(MetadataObjectKind kind, const Map& from, const Map& to, KeyText key_text, Encode encode,
             std::vector<MetadataChange>* out) {
  auto a = from.begin();
  auto b = to.begin();
  while (a != from.end() || b != to.end()) {
    if (b == to.end() || (a != from.end() && a->first < b->first)) {
      out->push_back({MetadataChange::Op::kDelete, kind, key_text(a->first), {}});
      ++a;
    } else if (a == from.end() || b->first < a->first) {
      out->push_back({MetadataChange::Op::kPut, kind, key_text(b->first), encode(b->second)});
      ++b;
    } else {
      if (!(a->second == b->second)) {
        out->push_back({MetadataChange::Op::kPut, kind, key_text(b->first), encode(b->second)});
      }
      ++a;
      ++b;
    }
  }
}

std::string DatabaseKey(const std::string& name) { return name; }
std::string DroppedTableKey(int64_t table_id) { return std::to_string(table_id); }
std::string TableKey(const TablePath& path) { return path.ToString(); }

// "db.table" (names never hold '.') back to a path.
Result<TablePath> ParseTableKey(const std::string& key, std::string_view where) {
  const size_t dot = key.find('.');
  if (dot == std::string::npos) return Status::Corruption(fmt::format("{} table key '{}' has no '.'", where, key));
  auto path = TablePath::Make(key.substr(0, dot), key.substr(dot + 1));
  if (!path.ok()) return Status::Corruption(fmt::format("{} table key '{}': {}", where, key, path.status().message()));
  return *path;
}

}  // namespace

std::string MetadataObjectKindName(MetadataObjectKind kind) {
  switch (kind) {
    case MetadataObjectKind::kCounters: return "counters";
    case MetadataObjectKind::kDatabase: return "database";
    case MetadataObjectKind::kTable: return "table";
    case MetadataObjectKind::kDroppedTable: return "dropped table";
  }
  return fmt::format("kind {}", static_cast<int>(kind));
}

std::vector<MetadataChange> DiffMetadataState(const MetadataState& from, const MetadataState& to) {
  std::vector<MetadataChange> out;
  if (from.next_table_id != to.next_table_id || from.writer_id_limit != to.writer_id_limit) {
    out.push_back({MetadataChange::Op::kPut, MetadataObjectKind::kCounters, "", EncodeCountersObject(to)});
  }
  DiffMap(MetadataObjectKind::kDatabase, from.databases, to.databases, DatabaseKey, EncodeDatabaseObject, &out);
  DiffMap(MetadataObjectKind::kTable, from.tables, to.tables, TableKey, EncodeTableObject, &out);
  DiffMap(MetadataObjectKind::kDroppedTable, from.dropped_tables, to.dropped_tables, DroppedTableKey,
          EncodeDroppedTableObject, &out);
  return out;
}

std::vector<MetadataChange> SnapshotMetadataState(const MetadataState& state) {
  return DiffMetadataState(MetadataState{.next_table_id = 0, .writer_id_limit = -1}, state);
}

Status ApplyMetadataChange(const MetadataChange& change, std::string_view where, MetadataState* state) {
  const bool put = change.op == MetadataChange::Op::kPut;
  if (!put && change.op != MetadataChange::Op::kDelete) {
    return Status::Corruption(fmt::format("{} unknown change op {}", where, static_cast<int>(change.op)));
  }
  auto missing = [&] {
    return Status::Corruption(fmt::format("{} deletes {} '{}', which does not exist", where,
                                          MetadataObjectKindName(change.kind), change.key));
  };
  switch (change.kind) {
    case MetadataObjectKind::kCounters:
      if (!put) return Status::Corruption(fmt::format("{} deletes the counters", where));
      return DecodeCountersObject(change.value, where, state);
    case MetadataObjectKind::kDatabase: {
      if (!put) {
        if (state->databases.erase(change.key) == 0) return missing();
        return Status::OK();
      }
      FLUSS_ASSIGN_OR_RETURN(DatabaseRecord db, DecodeDatabaseObject(change.value, where));
      if (db.name != change.key) {
        return Status::Corruption(fmt::format("{} database '{}' is stored under key '{}'", where, db.name, change.key));
      }
      state->databases.insert_or_assign(change.key, std::move(db));
      return Status::OK();
    }
    case MetadataObjectKind::kTable: {
      FLUSS_ASSIGN_OR_RETURN(TablePath path, ParseTableKey(change.key, where));
      auto existing = state->tables.find(path);
      if (existing != state->tables.end()) state->table_ids.erase(existing->second.record.table_id);
      if (!put) {
        if (existing == state->tables.end()) return missing();
        state->tables.erase(existing);
        return Status::OK();
      }
      FLUSS_ASSIGN_OR_RETURN(TableEntry entry, DecodeTableObject(change.value, where));
      if (entry.record.path != path) {
        return Status::Corruption(fmt::format("{} table '{}' is stored under key '{}'", where,
                                              entry.record.path.ToString(), change.key));
      }
      if (!state->table_ids.emplace(entry.record.table_id, path).second) {
        return Status::Corruption(
            fmt::format("{} table '{}' reuses table id {}", where, change.key, entry.record.table_id));
      }
      state->tables.insert_or_assign(path, std::move(entry));
      return Status::OK();
    }
    case MetadataObjectKind::kDroppedTable: {
      int64_t id = 0;
      auto parsed = std::from_chars(change.key.data(), change.key.data() + change.key.size(), id);
      if (change.key.empty() || parsed.ec != std::errc() || parsed.ptr != change.key.data() + change.key.size()) {
        return Status::Corruption(fmt::format("{} dropped table key '{}' is not a table id", where, change.key));
      }
      if (!put) {
        if (state->dropped_tables.erase(id) == 0) return missing();
        return Status::OK();
      }
      FLUSS_ASSIGN_OR_RETURN(DroppedTableRecord dropped, DecodeDroppedTableObject(change.value, where));
      if (dropped.table_id != id) {
        return Status::Corruption(
            fmt::format("{} dropped table id {} is stored under key '{}'", where, dropped.table_id, change.key));
      }
      state->dropped_tables.insert_or_assign(id, std::move(dropped));
      return Status::OK();
    }
  }
  return Status::NotSupported(fmt::format("{} object kind {} is unknown to this build (written by a newer fluss-server?)",
                                          where, static_cast<int>(change.kind)));
}

}  // namespace fluss
