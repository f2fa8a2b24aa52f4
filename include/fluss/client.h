// The fluss-cpp client: connect to a Fluss server, manage databases and tables, append rows or
// columnar batches to log tables and scan them back, upsert, delete and look up rows of primary-key
// tables.
//
//   auto conn = fluss::Connection::Create({.bootstrap_servers = "localhost:9123"});
//   auto admin = (*conn)->GetAdmin();
//   auto table = (*conn)->GetTable(fluss::TablePath::Parse("db.orders").value());
//   auto writer = table->NewAppendWriter();
//   writer->Append(row);            // batched, sent in the background; returns a WriteResult
//   writer->Flush();                // waits until everything appended so far is acknowledged
//   auto scanner = table->NewLogScanner(fluss::ScanOptions{.columns = {"id", "amount"}});
//   scanner->Subscribe(0, fluss::kEarliestOffset);
//   auto records = scanner->Poll(std::chrono::seconds(1));
//
//   auto upserts = pk_table->NewUpsertWriter();   // primary-key tables
//   upserts->Upsert(row);                         // insert or replace the row of its key
//   auto lookuper = pk_table->NewLookuper();
//   auto found = lookuper->Lookup(key_row);       // std::optional<GenericRow>
//
// Partitioned tables (TableDescriptor::PartitionedBy): writers take whole rows and route each to
// the partition its partition-key values name, creating a missing partition on first write
// (client.writer.dynamic-create-partition.enabled); scanners subscribe per (partition id, bucket),
// the ids coming from Admin::ListPartitionInfos; lookups take the key as for any table (it holds
// the partition columns) and find nothing in a partition that does not exist.
//
//   for (const auto& p : admin.ListPartitionInfos(path).value())
//     for (int32_t b = 0; b < table->info().num_buckets; ++b)
//       scanner->Subscribe(p.partition_id, b, fluss::kEarliestOffset);
//
// Every fallible call returns Status or Result<T>; nothing throws. Errors carry Fluss's error codes
// (fluss/error_code.h) and say what failed ("table 'db.t' does not exist"). Objects are thread-safe
// unless noted. The shape follows the Java and Rust Fluss clients (reference: Connection → Admin and
// Table → writers and scanners) with Fluss's client option names and defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fluss/change_type.h"
#include "fluss/column_vector.h"
#include "fluss/error_code.h"
#include "fluss/partition.h"
#include "fluss/row.h"
#include "fluss/schema.h"
#include "fluss/schema_parser.h"
#include "fluss/status.h"
#include "fluss/table_descriptor.h"
#include "fluss/table_path.h"

namespace fluss {

// Fetch offset meaning "the first offset still in the log".
inline constexpr int64_t kEarliestOffset = -2;

// The partition id of a bucket of a table that is not partitioned.
inline constexpr int64_t kNoPartition = -1;

// One bucket of a table, or of one partition of a partitioned table (upstream's TableBucket
// without the table id): partition_id is kNoPartition for a table without partitions.
struct PartitionBucket {
  int64_t partition_id = kNoPartition;
  int32_t bucket = 0;
  auto operator<=>(const PartitionBucket&) const = default;
};

// Client options, named after Fluss's client.* keys (docs/client.md lists them).
struct Configuration {
  std::string bootstrap_servers = "localhost:9123";          // bootstrap.servers ("host:port[,host:port]")
  std::chrono::milliseconds connect_timeout{10000};          // client.connect-timeout (Fluss: 120 s)
  std::chrono::milliseconds request_timeout{30000};          // client.request-timeout
  // Writer.
  int32_t writer_acks = -1;                                  // client.writer.acks: -1 ("all"), 0 or 1
  int64_t writer_batch_size = 2 << 20;                       // client.writer.batch-size
  std::chrono::milliseconds writer_batch_timeout{100};       // client.writer.batch-timeout (linger)
  int64_t writer_buffer_memory = 64 << 20;                   // client.writer.buffer.memory-size
  int64_t writer_request_max_size = 10 << 20;                // client.writer.request-max-size
  int32_t writer_max_inflight_per_bucket = 5;                // client.writer.max-inflight-requests-per-bucket
  int32_t writer_retries = INT32_MAX;                        // client.writer.retries
  bool writer_enable_idempotence = true;                     // client.writer.enable-idempotence
  std::chrono::milliseconds writer_delivery_timeout{120000}; // give up on a batch after this long
  // Scanner.
  int32_t scanner_max_poll_records = 500;                    // client.scanner.log.max-poll-records
  int32_t scanner_fetch_max_bytes = 16 << 20;                // client.scanner.log.fetch.max-bytes
  int32_t scanner_fetch_max_bytes_for_bucket = 1 << 20;      // client.scanner.log.fetch.max-bytes-for-bucket
  int32_t scanner_fetch_min_bytes = 1;                       // client.scanner.log.fetch.min-bytes
  std::chrono::milliseconds scanner_fetch_wait_max{500};     // client.scanner.log.fetch.wait-max-time
  bool scanner_check_crc = true;                             // client.scanner.log.check-crc
  int32_t scanner_kv_fetch_max_bytes = 4 << 20;              // client.scanner.kv.fetch.max-bytes (BatchScanner)
  // Partitioned tables: a writer creates the partition of a row when it does not exist yet
  // (CreatePartition, once per partition however many rows wait for it). Off: such a row fails with
  // PARTITION_NOT_EXISTS.
  bool writer_dynamic_create_partition = true;               // client.writer.dynamic-create-partition.enabled

  // Applies Fluss's key names ("client.writer.batch-size" = "4mb", ...). Unknown keys are an error.
  Status Set(const std::string& key, const std::string& value);
};

struct ServerNode {
  int32_t id = 0;
  std::string host;
  uint16_t port = 0;
};

// One bucket's replicas as the coordinator reports them (GetMetadata).
struct BucketReplicas {
  int32_t bucket = 0;
  int32_t leader = -1;  // -1: no leader (the bucket is offline)
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;  // in-sync replicas (fluss-cpp servers only; empty from others)
};

// What `fluss cluster status` shows: the servers, and the replicas of every bucket of every table.
struct ClusterStatus {
  std::optional<ServerNode> coordinator;  // the active coordinator, when one is elected
  // Every registered coordinator, the active one and the standbys, by id (cluster mode; empty when
  // the server does not list them — a standalone server is its own coordinator).
  std::vector<ServerNode> coordinators;
  // The registered tablet servers, by id. A crashed one stays registered until its ZooKeeper session
  // expires (zookeeper.client.session-timeout).
  std::vector<ServerNode> tablet_servers;
  // DescribeCluster(probe_servers = true): "host:port" of the servers above that this client could
  // not reach just now (no connection, or no answer to ApiVersions within client.connect-timeout):
  // suspects — e.g. a crashed server whose session has not expired yet, whose buckets are at risk.
  std::set<std::string> unreachable;
  bool Reachable(const ServerNode& n) const;
  struct Table {
    TablePath path;
    int64_t table_id = -1;
    std::vector<BucketReplicas> buckets;
  };
  std::vector<Table> tables;
};

struct TableInfo {
  TablePath path;
  int64_t table_id = -1;
  int32_t schema_id = 0;
  TableDescriptor descriptor;  // schema, bucket count, bucket keys, properties
  int32_t num_buckets = 0;
  int64_t created_time_ms = 0;
  int64_t modified_time_ms = 0;
  const Schema& schema() const { return descriptor.schema(); }
};

struct DatabaseInfo {
  std::string name;
  std::string comment;
  int64_t created_time_ms = 0;
  int64_t modified_time_ms = 0;
};

// Which offset ListOffsets returns for each bucket.
struct OffsetSpec {
  enum class Kind { kEarliest, kLatest, kTimestamp };
  Kind kind = Kind::kLatest;
  int64_t timestamp_ms = 0;
  static OffsetSpec Earliest() { return {Kind::kEarliest, 0}; }
  static OffsetSpec Latest() { return {Kind::kLatest, 0}; }
  // The first offset whose commit timestamp is >= `ms` (the latest offset when none is).
  static OffsetSpec Timestamp(int64_t ms) { return {Kind::kTimestamp, ms}; }
};

class Connection;
struct ClientContext;

// DDL and metadata. Cheap to copy; shares the connection.
class Admin {
 public:
  Status CreateDatabase(const std::string& name, bool ignore_if_exists = false, const std::string& comment = "");
  Status DropDatabase(const std::string& name, bool ignore_if_not_exists = false, bool cascade = false);
  Result<std::vector<std::string>> ListDatabases();
  Result<bool> DatabaseExists(const std::string& name);
  Result<DatabaseInfo> GetDatabaseInfo(const std::string& name);

  // Creates a log table, or a primary-key table when the schema has a primary key; partitioned when
  // the descriptor has partition keys (each partition then has the bucket count). Unset bucket
  // count: the server's default.bucket.number.
  Status CreateTable(const TablePath& path, const TableDescriptor& descriptor, bool ignore_if_exists = false);
  Status DropTable(const TablePath& path, bool ignore_if_not_exists = false);
  Result<std::vector<std::string>> ListTables(const std::string& database);
  Result<bool> TableExists(const TablePath& path);
  Result<TableInfo> GetTableInfo(const TablePath& path);
  // The schema with `schema_id` (unset: the latest).
  Result<Schema> GetTableSchema(const TablePath& path, std::optional<int32_t> schema_id = std::nullopt);
  Result<std::vector<ServerNode>> GetServerNodes();
  // The coordinators (active and standby), the registered tablet servers, and the leader, replicas
  // and ISR of each bucket of every table of every database (one GetMetadata after listing them).
  // With `probe_servers`, every server listed is then probed (ApiVersions, each within
  // client.connect-timeout, all at once) and the ones that do not answer go to `unreachable`.
  Result<ClusterStatus> DescribeCluster(bool probe_servers = false);
  // ---- partitions (include/fluss/partition.h) ----
  // The partitions of a partitioned table, ordered by name: all, or those whose values match every
  // key `partial_spec` names. TABLE_NOT_PARTITIONED for a table without partition keys;
  // PARTITION_SPEC_INVALID for a key that is not a partition key.
  Result<std::vector<PartitionInfo>> ListPartitionInfos(const TablePath& path, const PartitionSpec& partial_spec = {});
  // Creates the partition `spec` names (a value for every partition key, each 1..200 characters of
  // [A-Za-z0-9_-], no "__" prefix). PARTITION_ALREADY_EXISTS unless `ignore_if_exists`;
  // PARTITION_SPEC_INVALID; TABLE_NOT_PARTITIONED; PARTITION_MAX_NUM past the server's
  // max.partition.num; with auto-partitioning a time older than the retention is refused.
  Status CreatePartition(const TablePath& path, const PartitionSpec& spec, bool ignore_if_exists = false);
  // Drops a partition and its data. PARTITION_NOT_EXISTS unless `ignore_if_not_exists`.
  Status DropPartition(const TablePath& path, const PartitionSpec& spec, bool ignore_if_not_exists = false);

  // Offset per bucket (all buckets when `buckets` is empty). A partitioned table's offsets are per
  // partition: PARTITION_SPEC_INVALID here, naming ListPartitionOffsets.
  Result<std::map<int32_t, int64_t>> ListOffsets(const TablePath& path, const OffsetSpec& spec,
                                                 std::vector<int32_t> buckets = {});
  // Offset per bucket of the partition named `partition_name` (the values joined by '$', as
  // PartitionInfo::partition_name; all its buckets when `buckets` is empty). PARTITION_NOT_EXISTS
  // when there is no such partition; TABLE_NOT_PARTITIONED for a table without partitions.
  Result<std::map<int32_t, int64_t>> ListPartitionOffsets(const TablePath& path, const std::string& partition_name,
                                                          const OffsetSpec& spec, std::vector<int32_t> buckets = {});

 private:
  friend class Connection;
  explicit Admin(std::shared_ptr<ClientContext> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<ClientContext> ctx_;
};

// Acknowledgement of one written row (or appended batch): Wait() blocks until the server
// acknowledged it (OK) or the writer gave up (the error). Cheap to copy.
class WriteResult {
 public:
  struct State;
  WriteResult() = default;
  // `index`: the row's position in the batch `state` tracks.
  WriteResult(std::shared_ptr<State> state, int32_t index) : state_(std::move(state)), index_(index) {}
  Status Wait() const;
  bool done() const;
  // After a successful Wait: the bucket, and for an appended row the log offset of the row (of the
  // first row for a batch); for an upsert or delete, the bucket's changelog end offset once the
  // batch holding it was applied (its changes, if any, lie below it).
  int32_t bucket() const;
  int64_t offset() const;

 private:
  std::shared_ptr<State> state_;
  int32_t index_ = 0;
};

struct WriterStats {
  int64_t records_sent = 0;
  int64_t batches_sent = 0;
  int64_t bytes_sent = 0;
  int64_t requests_sent = 0;
  int64_t retries = 0;
  int64_t partitions_created = 0;  // partitioned tables: partitions this writer created (dynamic creation)
};
using AppendWriterStats = WriterStats;

// Appends to a log table. Rows are batched per bucket (up to client.writer.batch-size, or until
// client.writer.batch-timeout passes) into Arrow log batches and sent by a background sender, at most
// max-inflight-requests-per-bucket at a time per bucket; failed sends are retried with the same
// writer id and batch sequence, so the server keeps each batch once. Memory for unacknowledged data
// is bounded by client.writer.buffer.memory-size: Append blocks while it is full (back-pressure).
// The bucket of a row: hash of its bucket-key columns when the table has bucket keys, else the
// writer fills buckets round-robin, one batch at a time.
// Partitioned tables: each row goes to the partition its partition-key values name (batches are
// per partition and bucket). A partition value that cannot name a partition (NULL, longer than 200
// characters, characters outside [A-Za-z0-9_-], a "__" prefix) is PARTITION_SPEC_INVALID naming
// the column, and nothing is queued. A partition that does not exist is created first when
// client.writer.dynamic-create-partition.enabled (writes of the same new partition from several
// threads wait for one CreatePartition; "already exists" counts as created); Append returns the
// creation's error, if any, for that row. With the option off such a row is PARTITION_NOT_EXISTS.
class AppendWriter {
 public:
  virtual ~AppendWriter() = default;
  // Validates the row against the schema (type, nullability; nothing is queued on error) and queues it.
  virtual Result<WriteResult> Append(const GenericRow& row) = 0;
  // Appends equally long columns in schema order as one or more batches (no row conversion when the
  // table has no bucket keys). Each column is validated first; on error nothing is queued.
  virtual Result<WriteResult> AppendColumns(std::vector<arrow::ColumnVector> columns) = 0;
  // Sends everything queued and waits for every acknowledgement; returns the first error of a
  // batch that failed since the last Flush.
  virtual Status Flush() = 0;
  // Flushes and stops the sender. The writer takes no appends afterwards.
  virtual Status Close() = 0;
  virtual WriterStats stats() const = 0;
};

struct UpsertOptions {
  // Partial update: the columns to write, by name; they must include every primary-key column, and
  // every other column must be nullable. An upsert then changes only these columns of a stored row
  // (a new key gets NULL in the others), and a delete clears them, removing the row once all its
  // non-key columns are NULL. Empty: whole rows.
  std::vector<std::string> columns;
};

// Writes a primary-key table: upserts (insert or replace the row of a key) and deletes, batched per
// bucket into KvRecordBatches and sent by a background sender exactly like AppendWriter (batch
// size, linger, in-flight limit, buffer memory, idempotent writer id and per-bucket sequences,
// retries). The writes of one key go to one bucket and are applied in the order they were made.
// The bucket of a row is Fluss's: the hash of its bucket-key columns (by default the primary key
// minus the partition keys). Partitioned tables: rows (deletes too) are routed to their partition
// and missing partitions created as AppendWriter describes.
class UpsertWriter {
 public:
  virtual ~UpsertWriter() = default;
  // `row` has every column in schema order. Checked before anything is queued (nothing is on
  // error): arity, types, NOT NULL, and the primary-key columns set. In a partial update the
  // columns outside UpsertOptions::columns are ignored (sent as NULL; the stored values stay).
  virtual Result<WriteResult> Upsert(const GenericRow& row) = 0;
  // Deletes the row of `row`'s key: `row` has every column in schema order, of which only the
  // primary-key columns are read (the others may be NULL). Deleting an absent key is no error;
  // merge engines other than the default ignore deletes unless table.delete.behavior allows them.
  virtual Result<WriteResult> Delete(const GenericRow& row) = 0;
  // Sends everything queued and waits for every acknowledgement; returns the first error of a
  // batch that failed since the last Flush (a batch the server refused as a whole names the record).
  virtual Status Flush() = 0;
  // Flushes and stops the sender. The writer takes no writes afterwards.
  virtual Status Close() = 0;
  virtual WriterStats stats() const = 0;
};

// Point lookups on a primary-key table. Reads see every acknowledged write.
class Lookuper {
 public:
  virtual ~Lookuper() = default;
  // `key` holds the primary-key columns only, in primary-key order. The row of the key, or nullopt.
  // In a partitioned table the key's partition columns name the partition: nullopt when that
  // partition does not exist (an invalid partition value is PARTITION_SPEC_INVALID).
  virtual Result<std::optional<GenericRow>> Lookup(const GenericRow& key) = 0;
  // The rows of `keys`, in the order given: one request per server for all of them.
  virtual Result<std::vector<std::optional<GenericRow>>> LookupMany(const std::vector<GenericRow>& keys) = 0;
};

// Lookups by a prefix of the primary key: every row whose primary key starts with the given
// values. The prefix columns are the table's bucket key, which must be a proper prefix of the
// primary key (so all rows of one prefix share a bucket). In a partitioned table the lookup columns
// are the bucket key and the partition keys (in any order that keeps the bucket key's order), and the
// bucket key must be a proper prefix of the primary key without the partition keys: the partition's
// rows with that prefix, empty when the partition does not exist.
class PrefixLookuper {
 public:
  virtual ~PrefixLookuper() = default;
  // `prefix` holds the lookup columns, in the order given to NewPrefixLookuper. The rows, in key
  // order; empty when none matches.
  virtual Result<std::vector<GenericRow>> Lookup(const GenericRow& prefix) = 0;
};

struct ScanRecord {
  int64_t partition_id = kNoPartition;  // the partition the record belongs to (partitioned tables)
  int32_t bucket = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  ChangeType change_type = ChangeType::kAppendOnly;
  GenericRow row;  // the projected columns, in the order asked for
};

// A columnar batch from Poll's columnar variant: one log batch of one bucket.
struct ScanBatch {
  int64_t partition_id = kNoPartition;
  int32_t bucket = 0;
  int64_t base_offset = 0;
  int64_t timestamp = 0;
  std::vector<arrow::ColumnVector> columns;  // the projected columns, in the order asked for
  std::vector<ChangeType> change_types;      // empty for append-only batches
  size_t num_rows() const { return columns.empty() ? 0 : columns[0].length; }
};

struct ScanOptions {
  // Column names to read; empty = all. The server cuts the other columns out of the stored batches
  // (LogScanner); a BatchScanner drops them on the client.
  std::vector<std::string> columns;
};

// Reads a table's log from per-bucket offsets: the rows of a log table (+A), or the changelog of a
// primary-key table (+I, -U, +U, -D; an update is a -U of the old row then a +U of the new one).
// A partitioned table is read per (partition id, bucket): the Subscribe/Unsubscribe overloads with a
// partition id (the bucket-only ones are INVALID_ARGUMENT there, and the partition ones on a table
// without partitions). A subscribed partition that is dropped (by hand or by auto-partitioning's
// retention) is unsubscribed by Poll without an error once the server says it no longer exists.
// Not thread-safe: one thread polls.
class LogScanner {
 public:
  virtual ~LogScanner() = default;
  // Starts (or moves) reading `bucket` at `offset` (kEarliestOffset: the log start).
  virtual Status Subscribe(int32_t bucket, int64_t offset) = 0;
  // Starts reading `bucket` at the earliest or latest offset, or at the first offset whose commit
  // timestamp is >= the given one (asks the bucket's leader now).
  virtual Status Subscribe(int32_t bucket, const OffsetSpec& spec) = 0;
  virtual Status Unsubscribe(int32_t bucket) = 0;
  // The same for a bucket of one partition of a partitioned table (upstream's
  // subscribe(partitionId, bucket, offset)). PARTITION_NOT_EXISTS when no partition has the id.
  virtual Status Subscribe(int64_t partition_id, int32_t bucket, int64_t offset) = 0;
  virtual Status Subscribe(int64_t partition_id, int32_t bucket, const OffsetSpec& spec) = 0;
  virtual Status Unsubscribe(int64_t partition_id, int32_t bucket) = 0;
  // Records after the subscribed offsets: waits up to `timeout` for data (the server holds the fetch
  // until data arrives or the wait ends), returns at most client.scanner.log.max-poll-records rows;
  // empty when nothing came. Errors: LOG_OFFSET_OUT_OF_RANGE and the like, naming the bucket.
  virtual Result<std::vector<ScanRecord>> Poll(std::chrono::milliseconds timeout) = 0;
  // Same, as columnar batches (no row conversion).
  virtual Result<std::vector<ScanBatch>> PollBatches(std::chrono::milliseconds timeout) = 0;
  // The next offset to read per subscribed bucket: the offset after the last record Poll returned
  // (or past the empty changelog batches after it), never past a record fetched but not yet
  // returned. Subscribing to it later continues without gaps or repeats.
  virtual std::map<int32_t, int64_t> positions() const = 0;
  // positions() keyed by partition and bucket (a table without partitions: kNoPartition). The
  // buckets of a partition Poll found dropped are no longer in it.
  virtual std::map<PartitionBucket, int64_t> bucket_positions() const = 0;
  // The projected schema that rows and batches follow.
  virtual const Schema& schema() const = 0;
};

// Reads the rows of one bucket of a primary-key table as one consistent snapshot, page by page
// (ScanKv). Not thread-safe: one thread polls.
//
// Snapshot, then changelog — every change exactly once:
//   auto snapshot = table.NewBatchScanner(bucket).value();
//   while (auto rows = snapshot->PollBatch().value()) apply(*rows);      // the state at one instant
//   log_scanner->Subscribe(bucket, snapshot->snapshot_log_offset());    // every change after it
// The snapshot reflects exactly the changelog below snapshot_log_offset(), so following the
// changelog from there misses nothing and repeats nothing, even while writers keep writing.
class BatchScanner {
 public:
  // Closes the server's scanner when the snapshot was not read to the end.
  virtual ~BatchScanner() = default;
  // The next rows of the snapshot (about client.scanner.kv.fetch.max-bytes of them), in key order
  // within the bucket; nullopt once every row was returned. An error ends the scan: later polls
  // return it again (the server's scanner is gone; make a new BatchScanner).
  virtual Result<std::optional<std::vector<GenericRow>>> PollBatch() = 0;
  // The changelog offset the snapshot reflects (the first offset it does not hold), known after the
  // first PollBatch; -1 before.
  virtual int64_t snapshot_log_offset() const = 0;
  // The schema of the rows (the columns asked for, in that order).
  virtual const Schema& schema() const = 0;
  // Closes the server's scanner early.
  virtual Status Close() = 0;
};

class Table {
 public:
  const TableInfo& info() const { return info_; }
  const TablePath& path() const { return info_.path; }
  // Log tables only (INVALID_TABLE on a primary-key table).
  Result<std::unique_ptr<AppendWriter>> NewAppendWriter();
  // Log tables, and the changelog of primary-key tables.
  Result<std::unique_ptr<LogScanner>> NewLogScanner(const ScanOptions& options = {});
  // Primary-key tables only (NON_PRIMARY_KEY_TABLE otherwise). Errors: INVALID_TARGET_COLUMN for an
  // unknown or repeated column, a partial update without a primary-key column, or one that leaves
  // a NOT NULL column out.
  Result<std::unique_ptr<UpsertWriter>> NewUpsertWriter(const UpsertOptions& options = {});
  Result<std::unique_ptr<Lookuper>> NewLookuper();
  // `lookup_columns` must be the table's bucket key, in order, and that a proper prefix of the
  // primary key (INVALID_CONFIG otherwise, saying what the table allows).
  Result<std::unique_ptr<PrefixLookuper>> NewPrefixLookuper(const std::vector<std::string>& lookup_columns);
  // A snapshot of `bucket` (primary-key tables only; a partitioned table names the partition).
  Result<std::unique_ptr<BatchScanner>> NewBatchScanner(int32_t bucket, const ScanOptions& options = {});
  Result<std::unique_ptr<BatchScanner>> NewBatchScanner(int64_t partition_id, int32_t bucket,
                                                        const ScanOptions& options = {});

 private:
  friend class Connection;
  Table(std::shared_ptr<ClientContext> ctx, TableInfo info) : ctx_(std::move(ctx)), info_(std::move(info)) {}
  std::shared_ptr<ClientContext> ctx_;
  TableInfo info_;
};

class Connection {
 public:
  // Connects to one of the bootstrap servers (ApiVersions handshake). Error: NETWORK_EXCEPTION
  // "cannot connect to host:port: Connection refused" when none answers within connect_timeout.
  static Result<std::shared_ptr<Connection>> Create(Configuration config);
  ~Connection();
  Admin GetAdmin() const { return Admin(ctx_); }
  // The table's current info (TABLE_NOT_EXIST when there is none).
  Result<Table> GetTable(const TablePath& path);
  const Configuration& config() const;
  // Closes every server connection; writers and scanners made from it fail afterwards.
  void Close();

 private:
  explicit Connection(std::shared_ptr<ClientContext> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<ClientContext> ctx_;
};

}  // namespace fluss
