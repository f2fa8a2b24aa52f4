// LakeTiering: copies a table's data into its Iceberg table, one round at a time, through the
// public client (docs/lake.md).
//
// A round reads where the lake ends — the per-bucket log offsets recorded in the summary of the
// Iceberg table's current snapshot (`fluss.bucket-offsets`, JSON {"<bucket>": <next offset>}) — to
// where each bucket's log ends when the round starts, writes one Parquet file per bucket with new
// rows under `<table>/data/`, and commits them as one Iceberg snapshot whose summary records the
// new offsets. Data and offsets land in the same atomic commit, so the lake is always "the log up
// to the recorded offsets", each row once. The service keeps no state of its own: a crash before
// the commit leaves only unreferenced files (removed by a later round once older than
// `orphan_min_age`); two services racing on one table cannot both commit the same range (the
// second commit fails on the version check and deletes its files).
//
// Partitioned tables tier per (partition, bucket) into an Iceberg table partitioned by identity on
// the partition keys (TieredOffsets, TierOnce).
//
// Lake rows are the table's columns followed by the system columns `__bucket` INT, `__offset`
// BIGINT and `__timestamp` TIMESTAMP_LTZ(3) (the batch's commit time), with Iceberg field ids
// continuing after the table's highest column id.
//
// Primary-key tables (merge-on-read, Iceberg v2 equality deletes): a round reads each bucket's
// changelog over the same range and collapses it per key, last change wins. It writes one data file
// with the final row of every key whose last change is +I/+U, and one equality-delete file with the
// key columns of every touched key whose first change in the range is not +I (a key first inserted
// here cannot be in the lake; after -D/-U/+U it may be). Both go into the same snapshot as the
// offsets; the deletes share the data file's sequence number, so they remove the key's rows of
// earlier rounds only. A round costs what changed, not the table's size; delete files are never
// compacted yet.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"


namespace fluss::lake {

// Snapshot summary key holding the log offsets a lake snapshot covers.
inline constexpr const char* kBucketOffsetsKey = "fluss.bucket-offsets";
// Table property (and snapshot summary key) naming the id of the Fluss table whose rows the lake
// table holds. A lake table belongs to exactly one Fluss table id: a table dropped and created again
// under the same name has a new id and never reads, tiers into or trusts the old table's lake.
inline constexpr const char* kTableIdKey = "fluss.table-id";

// The lake table of the Fluss table `table_id` at `path`: nullopt when the warehouse has none there,
// or when the Iceberg table there holds another table's rows (its `fluss.table-id` differs or is
// missing — a dropped table of the same name, or one tiered before table ids were recorded).
Result<std::optional<iceberg::IcebergTable>> OpenLakeTableOf(const std::string& warehouse, const TablePath& path,
                                                            int64_t table_id);

// What a lake snapshot holds of the log: per bucket — of the table, or of each partition of a
// partitioned table — the first offset it does not hold. Recorded in the snapshot summary under
// kBucketOffsetsKey: `{"<bucket>": <offset>}` for a table without partitions, and for a partitioned
// table (as upstream Fluss records them) `[{"partition_id": 7, "partition_name": "2026-12-07",
// "bucket": 0, "offset": 120}, ...]` for every bucket of every partition that existed at the round.
// A partition dropped later keeps its rows in the lake but is no longer named by later snapshots.
struct TieredOffsets {
  int64_t snapshot_id = -1;  // -1: no snapshot yet (every offset 0)
  bool partitioned = false;  // the list form (set from the snapshot; a table without one: false)
  std::map<PartitionBucket, int64_t> offsets;       // partition_id kNoPartition without partitions
  std::map<int64_t, std::string> partition_names;  // partition id -> name ("v1$v2"), partitioned only

  // The offsets of `buckets` buckets of one partition (kNoPartition: of the table), 0 where none is
  // recorded.
  std::map<int32_t, int64_t> BucketsOf(int64_t partition_id, int32_t buckets) const;
};

// The offsets recorded with the current snapshot of a loaded lake table. Reading them from the same
// loaded version as its files is what makes a union read or a round consistent. Corruption when the
// summary is missing or malformed.
Result<TieredOffsets> SnapshotTieredOffsets(const iceberg::IcebergTable& table);
// The offsets of the Fluss table `table_id` at `path` in `warehouse` (none: no lake table of that id,
// or no snapshot yet). What retention, `fluss lake status` and union reads of partitioned tables use.
Result<TieredOffsets> ReadTieredOffsets(const std::string& warehouse, const TablePath& path, int64_t table_id);

// The offsets per bucket (0 for buckets it does not name, of `buckets`) recorded with the current
// snapshot of a loaded lake table of a table without partitions, and that snapshot's id (-1: none
// yet). INVALID_ARGUMENT for a partitioned table's lake (SnapshotTieredOffsets).
Result<std::pair<std::map<int32_t, int64_t>, int64_t>> SnapshotOffsets(const iceberg::IcebergTable& table,
                                                                       int32_t buckets);

// The lake table's schema: `table` plus __bucket, __offset, __timestamp (the primary key, if any,
// kept: the Iceberg schema's identifier-field-ids).
Result<Schema> LakeSchema(const Schema& table);
// The schema of a primary-key table's equality-delete files: its primary-key columns, same ids.
Result<Schema> LakeKeySchema(const Schema& table);
// `<warehouse>/<database>/<table>`.
std::string LakeTableDir(const std::string& warehouse, const TablePath& path);

struct TieringOptions {
  std::string warehouse;  // datalake.iceberg.warehouse
  // Unreferenced data files older than this are leftovers of an interrupted round and deleted.
  std::chrono::seconds orphan_min_age{600};
  int64_t max_rows_per_round = 5'000'000;  // a round stops at this many rows (the next continues)
  // Where the lake's files are written (data files, manifests, metadata); null: the local file
  // system. Tests pass a FaultInjectionFileSystem. Must outlive the LakeTiering.
  FileSystem* file_system = nullptr;
};

struct TieringRound {
  bool committed = false;              // false: nothing new to tier
  int64_t snapshot_id = -1;            // the committed snapshot
  int64_t rows = 0;                    // log records read: rows, or a primary-key table's changes
  int32_t files = 0;                   // Parquet data files written
  int32_t delete_files = 0;            // equality-delete files written (primary-key tables)
  int64_t deleted_keys = 0;            // keys in them
  // Per bucket of a table without partitions (empty for a partitioned table): the next offset not
  // in the lake after the round.
  std::map<int32_t, int64_t> offsets;
  // The same per (partition, bucket): every bucket of a partitioned table's partitions (and, for a
  // table without partitions, its buckets with partition id kNoPartition).
  std::map<PartitionBucket, int64_t> partition_offsets;
  int32_t orphans_removed = 0;
};

class LakeTiering {
 public:
  LakeTiering(std::shared_ptr<Connection> connection, TieringOptions options);

  // One round for the table at `path` (a table with table.datalake.enabled=true). The first
  // round creates the lake table; a lake table of another table id at the same place (a dropped
  // table's) is replaced (IcebergTable::Replace: its history stays, its current snapshot is empty).
  // A partitioned table: the lake table is partitioned by identity on the partition keys; the
  // round lists the partitions that exist now (new ones start at offset 0, dropped ones are left
  // out) and writes each partition's files under data/k1=v1/k2=v2/ with its partition tuple. A
  // partition dropped during the round fails the round (PARTITION_NOT_EXISTS); the next leaves it out.
  Result<TieringRound> TierOnce(const TablePath& path);
  // The offsets the lake holds per bucket of the table now at `path` (0 for every bucket before its
  // first snapshot, or when the lake table there is another table id's), and its current snapshot id
  // (-1 when none).
  Result<std::pair<std::map<int32_t, int64_t>, int64_t>> LakeOffsets(const TablePath& path, int32_t buckets) const;
  // The lake's offsets of the table now at `path`, partitioned or not (ReadTieredOffsets).
  Result<TieredOffsets> LakeTieredOffsets(const TablePath& path) const;

 private:
  std::shared_ptr<Connection> conn_;
  TieringOptions options_;
};

}  // namespace fluss::lake
