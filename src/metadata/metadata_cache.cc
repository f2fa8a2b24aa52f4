#include "metadata/metadata_cache.h"

#include <fmt/format.h>

#include "metadata/metadata_errors_internal.h"

namespace fluss {
namespace {

using metadata_internal::DatabaseNotExist;
using metadata_internal::PartitionIdNotExist;
using metadata_internal::PartitionNotExist;
using metadata_internal::TableIdNotExist;
using metadata_internal::TableNotExist;

}  // namespace

Result<DatabaseRecord> CachedMetadataStore::GetDatabase(const std::string& name) const {
  auto state = Snapshot();
  auto it = state->databases.find(name);
  if (it == state->databases.end()) return DatabaseNotExist(name);
  return it->second;
}

std::vector<std::string> CachedMetadataStore::ListDatabases() const {
  auto state = Snapshot();
  std::vector<std::string> names;
  names.reserve(state->databases.size());
  for (const auto& [name, db] : state->databases) names.push_back(name);
  return names;
}

bool CachedMetadataStore::DatabaseExists(const std::string& name) const { return Snapshot()->databases.contains(name); }

Result<TableRecord> CachedMetadataStore::GetTable(const TablePath& path) const {
  auto state = Snapshot();
  auto it = state->tables.find(path);
  if (it == state->tables.end()) return TableNotExist(path);
  return it->second.record;
}

Result<TableRecord> CachedMetadataStore::GetTableById(int64_t table_id) const {
  auto state = Snapshot();
  auto it = state->table_ids.find(table_id);
  if (it == state->table_ids.end()) return TableIdNotExist(table_id);
  return state->tables.at(it->second).record;
}

bool CachedMetadataStore::TableExists(const TablePath& path) const { return Snapshot()->tables.contains(path); }

Result<std::vector<std::string>> CachedMetadataStore::ListTables(const std::string& database) const {
  auto state = Snapshot();
  if (!state->databases.contains(database)) return DatabaseNotExist(database);
  std::vector<std::string> names;
  for (const auto& [path, entry] : state->tables) {
    if (path.database() == database) names.push_back(path.table());
  }
  return names;  // sorted: the map orders by (database, table)
}

std::vector<TableRecord> CachedMetadataStore::ListAllTables() const {
  auto state = Snapshot();
  std::vector<TableRecord> records;
  records.reserve(state->tables.size());
  for (const auto& [path, entry] : state->tables) records.push_back(entry.record);
  return records;
}

std::vector<DroppedTableRecord> CachedMetadataStore::ListDroppedTables() const {
  auto state = Snapshot();
  std::vector<DroppedTableRecord> records;
  records.reserve(state->dropped_tables.size());
  for (const auto& [id, record] : state->dropped_tables) records.push_back(record);
  return records;
}

Result<std::string> CachedMetadataStore::GetSchema(int64_t table_id, int32_t schema_id) const {
  auto state = Snapshot();
  auto id = state->table_ids.find(table_id);
  if (id != state->table_ids.end()) {
    const TableEntry& entry = state->tables.at(id->second);
    if (auto it = entry.schemas.find(schema_id); it != entry.schemas.end()) return it->second;
  }
  return Status(ErrorCode::kSchemaNotExist,
                fmt::format("schema {} of table id {} does not exist{}", schema_id, table_id,
                            id == state->table_ids.end() ? " (no such table)" : ""));
}

Result<std::vector<BucketAssignment>> CachedMetadataStore::GetAssignment(int64_t table_id) const {
  auto state = Snapshot();
  auto it = state->table_ids.find(table_id);
  if (it == state->table_ids.end()) return TableIdNotExist(table_id);
  return state->tables.at(it->second).assignment;
}

Result<std::vector<PartitionRecord>> CachedMetadataStore::ListPartitions(const TablePath& path) const {
  auto state = Snapshot();
  auto table = state->tables.find(path);
  if (table == state->tables.end()) return TableNotExist(path);
  std::vector<PartitionRecord> out;
  if (const auto* names = TablePartitions(*state, table->second.record.table_id)) {
    out.reserve(names->size());
    for (const auto& [name, id] : *names) out.push_back(state->partitions.at(id).record);
  }
  return out;
}

Result<PartitionRecord> CachedMetadataStore::GetPartition(const TablePath& path,
                                                          const std::string& partition_name) const {
  auto state = Snapshot();
  auto table = state->tables.find(path);
  if (table == state->tables.end()) return TableNotExist(path);
  if (const auto* names = TablePartitions(*state, table->second.record.table_id)) {
    if (auto it = names->find(partition_name); it != names->end()) return state->partitions.at(it->second).record;
  }
  return PartitionNotExist(path, partition_name);
}

Result<PartitionRecord> CachedMetadataStore::GetPartitionById(int64_t partition_id) const {
  auto state = Snapshot();
  auto it = state->partitions.find(partition_id);
  if (it == state->partitions.end()) return PartitionIdNotExist(partition_id);
  return it->second.record;
}

Result<std::vector<BucketAssignment>> CachedMetadataStore::GetPartitionAssignment(int64_t partition_id) const {
  auto state = Snapshot();
  auto it = state->partitions.find(partition_id);
  if (it == state->partitions.end()) return PartitionIdNotExist(partition_id);
  return it->second.assignment;
}

std::vector<DroppedPartitionRecord> CachedMetadataStore::ListDroppedPartitions() const {
  auto state = Snapshot();
  std::vector<DroppedPartitionRecord> records;
  records.reserve(state->dropped_partitions.size());
  for (const auto& [id, record] : state->dropped_partitions) records.push_back(record);
  return records;
}

}  // namespace fluss
