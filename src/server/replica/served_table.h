// ServedTable: what the tablet server knows of one table it holds replicas of — its record, every
// schema it had, and the settings its replicas share. Immutable once built: a new schema (cluster
// mode) makes a new ServedTable that ReplicaManager hands to the table's replicas.
#pragma once

#include <cstdint>
#include <map>

#include "kv/kv_tablet.h"
#include "metadata/metadata_store.h"
#include "types/schema.h"

namespace fluss {

struct ServedTable {
  TableRecord record;
  std::map<int32_t, Schema> schemas;  // every schema id the table had (not empty)
  bool primary_key = false;
  bool partitioned = false;    // its buckets are its partitions' (ReplicaManager::AddPartition)
  bool lake_enabled = false;   // table.datalake.enabled=true
  KvTabletOptions kv_options;  // primary-key tables; bucket_id is set per replica

  bool has_primary_key() const { return primary_key; }
  const Schema& latest_schema() const { return schemas.rbegin()->second; }
  int32_t bucket_count() const { return record.bucket_count; }
};

}  // namespace fluss
