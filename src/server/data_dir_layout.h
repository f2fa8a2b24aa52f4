// DataDirLayout: what every entry of a tablet server's data dir is, decided from the layout and the
// metadata, never from a name pattern a user's database or table name could spell
// (docs/formats/data-dir.md).
//
//   {data.dir}/                       the server's own entries: names no database can have (.lock,
//                                     .metadata/, .cluster, .fluss_cleanshutdown, .quarantine/, a
//                                     checkpoint's .tmp) and the checkpoint files
//                                     (TablePath::kReservedDatabaseNames); left alone
//   {data.dir}/{db}/                  a database: holds only table directories
//   {db}/{table}-{table_id}/          a table: its id is the digits after the last '-'
//   {db}/{table}-{table_id}/log-{b}   bucket b's log (0 <= b < the table's bucket count)
//   {db}/{table}-{table_id}/kv-{b}    bucket b's RocksDB (primary-key tables only)
//   {db}/{table}-{table_id}/{partition_name}-p{partition_id}/log-{b} and kv-{b}
//                                     the buckets of a partition of a partitioned table (which has
//                                     no log-{b} of its own)
//
// At start, before any log is opened, Reconcile walks the tree with the metadata in hand:
// - a table directory whose database, name and id are a live table's is the table's; inside it
//   the bucket logs and KV stores of its buckets are kept, anything else is unexplained; inside a
//   partitioned table's directory, a partition directory whose name and id are a live partition's
//   is kept (with its buckets' logs and KV stores, as a table's), one whose table id, name and id
//   are a DroppedPartitionRecord's is deleted, anything else is unexplained;
// - a table directory whose database, name and id are a DroppedTableRecord's is deleted (the drop
//   was committed; a crash, or the server's absence, stopped the deletion);
// - everything else — a table directory no record explains, a file where a directory belongs, an
//   entry of a kind the layout has no place for — is moved aside into
//   `.quarantine/{yyyyMMdd-HHmmss}/` under its relative path, with a warning. Nothing is deleted
//   because it is unknown.
// Empty database directories of databases the metadata does not have are removed (they hold no data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metadata/metadata_store.h"

namespace fluss {

// What Reconcile needs to know of a live table.
struct LocalTable {
  TablePath path;
  int64_t table_id = -1;
  int32_t bucket_count = 0;
  bool primary_key = false;  // has kv-{b} directories
  // A partitioned table: its buckets are in its partitions' directories (bucket_count per partition).
  struct Partition {
    int64_t partition_id = -1;
    std::string name;
  };
  bool partitioned = false;
  std::vector<Partition> partitions;  // the live ones
};

struct DataDirReport {
  std::vector<std::string> bucket_logs;  // live tables' bucket log dirs found, relative to the data dir
  std::vector<std::string> deleted;      // dropped tables' and partitions' directories deleted (relative)
  std::vector<std::string> quarantined;  // entries moved aside (relative, as they were)
  std::string quarantine_dir;            // where they went (absolute); empty when nothing was moved
};

class DataDirLayout {
 public:
  static constexpr std::string_view kQuarantineDir = ".quarantine";

  // "{db}/{table}-{id}", relative to the data dir.
  static std::string TableDir(const TablePath& path, int64_t table_id);
  // Splits a table directory's name "{table}-{id}" into the table name and the id; false when it has
  // no such form (no '-', no digits after the last one, an empty table name).
  static bool ParseTableDirName(std::string_view name, std::string* table, int64_t* table_id);
  // "{partition_name}-p{partition_id}" (relative to its table's directory).
  static std::string PartitionDirName(std::string_view partition_name, int64_t partition_id);
  // Splits a partition directory's name into the partition name and id; false when it has no such
  // form (no "-p" followed by digits only, an empty name).
  static bool ParsePartitionDirName(std::string_view name, std::string* partition_name, int64_t* partition_id);

  // Classifies (and deletes or moves aside) every entry of `data_dir` as described above.
  // `now_ms` names the quarantine folder; `dropped_partitions` are the store's records of dropped
  // partitions. Errors: the data dir cannot be listed, or a deletion or a move fails (nothing is
  // opened then: the caller refuses to start).
  static Result<DataDirReport> Reconcile(const std::string& data_dir, const std::vector<LocalTable>& live,
                                         const std::vector<DroppedTableRecord>& dropped, int64_t now_ms,
                                         const std::vector<DroppedPartitionRecord>& dropped_partitions = {});
};

}  // namespace fluss
