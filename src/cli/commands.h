// The `fluss` command's subcommands (docs/cli.md). main.cc parses the command line (CLI11) into the
// argument structs below and calls Run*; each returns the process exit code and has printed any
// error as one "fluss: ..." line on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/table_output.h"  // RenderTable, for the commands that print tables
#include "common/status.h"
#include "fluss/client.h"

namespace fluss::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // runtime: server errors, bad data, missing objects
inline constexpr int kExitUsage = 2;  // bad flags or arguments
inline constexpr int kExitDegraded = 3;  // `cluster status`: a degraded cluster (see cluster_command.cc)

struct GlobalOptions {
  std::string bootstrap_server;  // "host:port"; resolved from -b, $FLUSS_BOOTSTRAP, localhost:9123
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
};

// Prints "fluss: <message>" on stderr; returns kExitError / kExitUsage.
int Fail(const Status& status);
int Fail(std::string_view message);
int UsageError(std::string_view message);

// Connects (ApiVersions handshake) within the connect timeout.
Result<std::shared_ptr<Connection>> Connect(const GlobalOptions& options);

// ---- db -----------------------------------------------------------------------------------------
struct DbCreateArgs {
  std::string name;
  bool if_not_exists = false;
  std::string comment;
};
struct DbDropArgs {
  std::string name;
  bool if_exists = false;
  bool cascade = false;
};
int RunDbCreate(const GlobalOptions& g, const DbCreateArgs& a);
int RunDbList(const GlobalOptions& g);
int RunDbDrop(const GlobalOptions& g, const DbDropArgs& a);

// ---- table --------------------------------------------------------------------------------------
struct TableCreateArgs {
  std::string table;
  std::string schema;
  std::optional<int> buckets;
  std::vector<std::string> bucket_keys;
  std::vector<std::string> partition_keys;  // --partition-by (or PARTITIONED BY in the schema, not both)
  std::vector<std::string> properties;  // "key=value"
  std::string comment;
  bool if_not_exists = false;
};
struct TableDropArgs {
  std::string table;
  bool if_exists = false;
};
int RunTableCreate(const GlobalOptions& g, const TableCreateArgs& a);
int RunTableList(const GlobalOptions& g, const std::string& database);
int RunTableDescribe(const GlobalOptions& g, const std::string& table);
int RunTableDrop(const GlobalOptions& g, const TableDropArgs& a);

// ---- partition ----------------------------------------------------------------------------------
struct PartitionArgs {
  std::string table;
  std::vector<std::string> specs;  // --spec: "key=value" (or several joined by '/' or ',')
  bool if_not_exists = false;      // create
  bool if_exists = false;          // drop
};
// list: every partition (or those matching the --spec keys); create and drop: the partition the
// --spec keys name, one value per partition key.
int RunPartitionList(const GlobalOptions& g, const PartitionArgs& a);
int RunPartitionCreate(const GlobalOptions& g, const PartitionArgs& a);
int RunPartitionDrop(const GlobalOptions& g, const PartitionArgs& a);

// The partitions of `info`'s table that `specs` (--partition, each a partial spec such as
// "dt=2026-12-07" or "dt=2026-12-07/region=eu") select: those matching any of them; all when none
// is given. Errors: TABLE_NOT_PARTITIONED for specs on a table without partitions;
// PARTITION_SPEC_INVALID for a key that is not a partition key (naming it and the keys);
// PARTITION_NOT_EXISTS for a spec no partition matches, unless `allow_unmatched` (--follow: it may
// come later).
Result<std::vector<PartitionInfo>> SelectPartitions(Admin& admin, const TableInfo& info,
                                                    const std::vector<std::string>& specs, bool allow_unmatched);
// Whether `partition` matches one of `specs` (all already checked by SelectPartitions; none: true).
bool PartitionSelected(const PartitionInfo& partition, const std::vector<PartitionSpec>& specs);

// ---- produce, upsert, delete --------------------------------------------------------------------
// What a write command does with its rows: append them to a log table, upsert them into a
// primary-key table (optionally a partial update of `columns`), or delete their keys.
enum class WriteMode { kAppend, kUpsert, kDelete };
struct ProduceArgs {
  WriteMode mode = WriteMode::kAppend;
  std::vector<std::string> columns;  // upsert: partial update of these columns (with the key)
  std::string table;
  std::string file;    // empty or "-": stdin
  std::string format;  // csv | json; empty: from the file extension, else csv
  bool header = false;
  std::string delimiter = ",";
  int64_t chunk_rows = 10000;
  bool progress = false;  // progress lines also for stdin when stderr is not a terminal
  bool quiet = false;     // no progress and no summary
};
int RunProduce(const GlobalOptions& g, const ProduceArgs& a);

// ---- scan ---------------------------------------------------------------------------------------
struct ScanArgs {
  std::string table;
  std::string from = "earliest";  // earliest | latest | offset:N | timestamp:T
  std::vector<std::string> columns;
  std::optional<int64_t> limit;
  bool follow = false;
  std::string format = "table";  // table | json | csv | arrow
  std::vector<int32_t> buckets;
  // Primary-key tables: print each bucket's snapshot (as +I rows), then follow its changelog from
  // exactly the offset the snapshot reflects.
  bool snapshot_then_follow = false;
  // Union read: the rows of the table's lake snapshot, then the log from the offsets it holds.
  bool union_read = false;
  std::string warehouse;  // --warehouse (default $FLUSS_WAREHOUSE)
  size_t max_width = kDefaultMaxCellWidth;  // --format table: the widest a cell may be (0: no limit)
  // Partitioned tables: read only the partitions matching one of these partial specs
  // ("dt=2026-12-07"); empty: every partition. With --follow, partitions created later (that match)
  // are read from their start, found by listing the partitions every kPartitionDiscoveryInterval.
  std::vector<std::string> partitions;
};
int RunScan(const GlobalOptions& g, const ScanArgs& a);

// ---- lookup -------------------------------------------------------------------------------------
struct LookupArgs {
  std::string table;
  std::vector<std::string> keys;  // "column=value", one per primary-key (or bucket-key) column
  std::string format = "table";   // table | json | csv
  size_t max_width = kDefaultMaxCellWidth;  // --format table: the widest a cell may be (0: no limit)
};
int RunLookup(const GlobalOptions& g, const LookupArgs& a);

// ---- offsets ------------------------------------------------------------------------------------
struct OffsetsArgs {
  std::string table;
  std::string at;  // empty: earliest and latest; else earliest | latest | timestamp:T
  std::vector<std::string> partitions;  // partitioned tables: only these (partial specs); empty: all
};
int RunOffsets(const GlobalOptions& g, const OffsetsArgs& a);

// ---- lake ---------------------------------------------------------------------------------------
struct LakeStatusArgs {
  std::string table;
  std::string warehouse;  // empty: $FLUSS_WAREHOUSE
};
int RunLakeStatus(const GlobalOptions& g, const LakeStatusArgs& a);

// ---- cluster ------------------------------------------------------------------------------------
struct ClusterStatusArgs {
  std::string table;  // empty: every table
};
int RunClusterStatus(const GlobalOptions& g, const ClusterStatusArgs& a);

// ---- shared helpers -----------------------------------------------------------------------------
// A start position or offset spec: earliest | latest | offset:N | timestamp:T (T: epoch millis or
// 'YYYY-MM-DD HH:MM:SS[.fff]' UTC).
struct PositionSpec {
  enum class Kind { kEarliest, kLatest, kOffset, kTimestamp };
  Kind kind = Kind::kEarliest;
  int64_t value = 0;  // the offset or the timestamp in epoch ms
};
// `allow_offset`: whether offset:N is accepted (scan --from: yes; offsets --at: no).
Result<PositionSpec> ParsePositionSpec(std::string_view text, bool allow_offset);

// Whether the table format right-aligns values of this type (numbers).
bool IsRightAligned(const DataType& type);

}  // namespace fluss::cli
