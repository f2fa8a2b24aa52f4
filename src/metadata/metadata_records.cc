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
std::string IdKey(int64_t id) { return std::to_string(id); }

// A decimal id key (>= 0).
Result<int64_t> ParseIdKey(const MetadataChange& change, std::string_view where) {
  int64_t id = 0;
  const std::string& key = change.key;
  auto parsed = std::from_chars(key.data(), key.data() + key.size(), id);
  if (key.empty() || parsed.ec != std::errc() || parsed.ptr != key.data() + key.size() || id < 0) {
    return Status::Corruption(
        fmt::format("{} {} key '{}' is not an id", where, MetadataObjectKindName(change.kind), key));
  }
  return id;
}
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
    case MetadataObjectKind::kPartition: return "partition";
    case MetadataObjectKind::kDroppedPartition: return "dropped partition";
  }
  return fmt::format("kind {}", static_cast<int>(kind));
}

std::vector<MetadataChange> DiffMetadataState(const MetadataState& from, const MetadataState& to) {
  std::vector<MetadataChange> out;
  if (from.next_table_id != to.next_table_id || from.writer_id_limit != to.writer_id_limit ||
      from.next_partition_id != to.next_partition_id) {
    out.push_back({MetadataChange::Op::kPut, MetadataObjectKind::kCounters, "", EncodeCountersObject(to)});
  }
  DiffMap(MetadataObjectKind::kDatabase, from.databases, to.databases, DatabaseKey, EncodeDatabaseObject, &out);
  DiffMap(MetadataObjectKind::kTable, from.tables, to.tables, TableKey, EncodeTableObject, &out);
  DiffMap(MetadataObjectKind::kDroppedTable, from.dropped_tables, to.dropped_tables, IdKey, EncodeDroppedTableObject,
          &out);
  DiffMap(MetadataObjectKind::kPartition, from.partitions, to.partitions, IdKey, EncodePartitionObject, &out);
  DiffMap(MetadataObjectKind::kDroppedPartition, from.dropped_partitions, to.dropped_partitions, IdKey,
          EncodeDroppedPartitionObject, &out);
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
      FLUSS_ASSIGN_OR_RETURN(int64_t id, ParseIdKey(change, where));
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
    case MetadataObjectKind::kPartition: {
      FLUSS_ASSIGN_OR_RETURN(int64_t id, ParseIdKey(change, where));
      if (!put) {
        if (!RemovePartition(state, id)) return missing();
        return Status::OK();
      }
      FLUSS_ASSIGN_OR_RETURN(PartitionEntry entry, DecodePartitionObject(change.value, where));
      if (entry.record.partition_id != id) {
        return Status::Corruption(
            fmt::format("{} partition id {} is stored under key '{}'", where, entry.record.partition_id, change.key));
      }
      const auto* names = TablePartitions(*state, entry.record.table_id);
      if (names != nullptr) {
        auto named = names->find(entry.record.partition_name);
        if (named != names->end() && named->second != id) {
          return Status::Corruption(fmt::format("{} partition '{}' of table id {} has two ids, {} and {}", where,
                                                entry.record.partition_name, entry.record.table_id, named->second, id));
        }
      }
      AddPartition(state, std::move(entry));
      return Status::OK();
    }
    case MetadataObjectKind::kDroppedPartition: {
      FLUSS_ASSIGN_OR_RETURN(int64_t id, ParseIdKey(change, where));
      if (!put) {
        if (state->dropped_partitions.erase(id) == 0) return missing();
        return Status::OK();
      }
      FLUSS_ASSIGN_OR_RETURN(DroppedPartitionRecord dropped, DecodeDroppedPartitionObject(change.value, where));
      if (dropped.partition_id != id) {
        return Status::Corruption(fmt::format("{} dropped partition id {} is stored under key '{}'", where,
                                              dropped.partition_id, change.key));
      }
      state->dropped_partitions.insert_or_assign(id, std::move(dropped));
      return Status::OK();
    }
  }
  return Status::NotSupported(fmt::format("{} object kind {} is unknown to this build (written by a newer fluss-server?)",
                                          where, static_cast<int>(change.kind)));
}

}  // namespace fluss
