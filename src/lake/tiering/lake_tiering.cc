#include "lake/tiering/lake_tiering.h"

#include <cstring>
#include <filesystem>
#include <functional>
#include <unordered_map>
#include <random>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "format/arrow/column_vector.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_writer.h"
#include "lake/tiering/data_file_stats.h"
#include "lake/tiering/lake_key_internal.h"

namespace fluss::lake {

namespace fs = std::filesystem;

namespace {

constexpr auto kPollTimeout = std::chrono::milliseconds(500);
// A bucket whose scan brings nothing for this long while short of its end offset fails the round.
constexpr auto kStallTimeout = std::chrono::seconds(30);

std::string RandomHex(size_t n) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out;
  while (out.size() < n) out += fmt::format("{:016x}", rng());
  return out.substr(0, n);
}

Status BadOffsets(std::string_view why, const std::string& text) {
  return Status::Corruption(fmt::format("snapshot summary '{}' {}: '{}'", kBucketOffsetsKey, why, text));
}

// `{"<bucket>": <offset>, ...}` (a table without partitions) or `[{"partition_id": <id>,
// "partition_name": "<name>", "bucket": <b>, "offset": <o>}, ...]` (a partitioned table).
Status ParseOffsets(const std::string& text, TieredOffsets* out) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || (!j.is_object() && !j.is_array())) return BadOffsets("is not a JSON object or array", text);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_number_integer()) return BadOffsets(fmt::format("bucket {} has no integer offset", it.key()), text);
      int32_t bucket = 0;
      try {
        bucket = std::stoi(it.key());
      } catch (...) {
        return BadOffsets(fmt::format("'{}' is not a bucket", it.key()), text);
      }
      out->offsets[PartitionBucket{kNoPartition, bucket}] = it.value().get<int64_t>();
    }
    return Status::OK();
  }
  out->partitioned = true;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("partition_id") || !e["partition_id"].is_number_integer() ||
        !e.contains("partition_name") || !e["partition_name"].is_string() || !e.contains("bucket") ||
        !e["bucket"].is_number_integer() || !e.contains("offset") || !e["offset"].is_number_integer()) {
      return BadOffsets("has an entry without integer partition_id, bucket, offset and a partition_name", text);
    }
    const int64_t id = e["partition_id"].get<int64_t>();
    const std::string name = e["partition_name"].get<std::string>();
    auto [named, fresh] = out->partition_names.emplace(id, name);
    if (!fresh && named->second != name) {
      return BadOffsets(fmt::format("names partition {} both '{}' and '{}'", id, named->second, name), text);
    }
    const PartitionBucket pb{id, e["bucket"].get<int32_t>()};
    if (!out->offsets.emplace(pb, e["offset"].get<int64_t>()).second) {
      return BadOffsets(fmt::format("has bucket {} of partition {} twice", pb.bucket, id), text);
    }
  }
  return Status::OK();
}

std::string OffsetsJson(const TieredOffsets& offsets) {
  if (!offsets.partitioned) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [pb, o] : offsets.offsets) j[std::to_string(pb.bucket)] = o;
    return j.dump();
  }
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [pb, o] : offsets.offsets) {
    j.push_back({{"partition_id", pb.partition_id},
                 {"partition_name", offsets.partition_names.at(pb.partition_id)},
                 {"bucket", pb.bucket},
                 {"offset", o}});
  }
  return j.dump();
}

// Subscribes `scanner` to a bucket of the table or of one of its partitions.
Status SubscribeTo(LogScanner& scanner, const PartitionBucket& pb, int64_t offset) {
  if (pb.partition_id == kNoPartition) return scanner.Subscribe(pb.bucket, offset);
  return scanner.Subscribe(pb.partition_id, pb.bucket, offset);
}
Status UnsubscribeFrom(LogScanner& scanner, const PartitionBucket& pb) {
  if (pb.partition_id == kNoPartition) return scanner.Unsubscribe(pb.bucket);
  return scanner.Unsubscribe(pb.partition_id, pb.bucket);
}

std::string BucketName(const PartitionBucket& pb) {
  if (pb.partition_id == kNoPartition) return fmt::format("bucket {}", pb.bucket);
  return fmt::format("bucket {} of partition {}", pb.bucket, pb.partition_id);
}

// After a poll: the scanner's position in `pb` (into `position`); an error when the partition was
// dropped meanwhile (the scanner let go of it) or the bucket brought nothing for kStallTimeout.
Status CheckProgress(const LogScanner& scanner, const TablePath& path, const PartitionBucket& pb, int64_t end,
                     std::chrono::steady_clock::time_point last_data, int64_t* position) {
  const auto positions = scanner.bucket_positions();
  auto p = positions.find(pb);
  if (p == positions.end()) {
    return Status(ErrorCode::kPartitionNotExists,
                  fmt::format("{} of '{}' went away during the round (its partition was dropped); the next round "
                              "leaves it out",
                              BucketName(pb), path.ToString()));
  }
  *position = p->second;
  if (std::chrono::steady_clock::now() - last_data > kStallTimeout) {
    return Status(ErrorCode::kRequestTimeOut, fmt::format("{} of '{}' brought nothing for {} s at offset {} (round end "
                                                          "{})",
                                                          BucketName(pb), path.ToString(), kStallTimeout.count(),
                                                          *position, end));
  }
  return Status::OK();
}

// Reads `bucket` of the table's log from `start` up to `end` (exclusive) and hands every record in
// that range to `consume`, in offset order.
Status ReadBucketRange(LogScanner& scanner, const TablePath& path, const PartitionBucket& pb, int64_t start,
                       int64_t end, const std::function<Status(const ScanRecord&)>& consume) {
  Status st = SubscribeTo(scanner, pb, start);
  auto last_data = std::chrono::steady_clock::now();
  int64_t position = start;
  while (st.ok() && position < end) {
    auto records = scanner.Poll(kPollTimeout);
    if (!records.ok()) {
      st = records.status();
      break;
    }
    if (!records->empty()) last_data = std::chrono::steady_clock::now();
    for (const auto& r : *records) {
      if (r.partition_id != pb.partition_id || r.bucket != pb.bucket || r.offset < start || r.offset >= end) continue;
      st = consume(r);
      if (!st.ok()) break;
    }
    if (!st.ok()) break;
    st = CheckProgress(scanner, path, pb, end, last_data, &position);
  }
  Status unsub = UnsubscribeFrom(scanner, pb);
  return st.ok() ? unsub : st;
}

// As ReadBucketRange, for a log table, as columnar batches: `consume` gets each batch with the row
// range [begin, end) of it that lies within [start, end) (row i is offset base_offset + i).
Status ReadBucketBatches(LogScanner& scanner, const TablePath& path, const PartitionBucket& pb, int64_t start,
                         int64_t end, const std::function<Status(const ScanBatch&, size_t, size_t)>& consume) {
  Status st = SubscribeTo(scanner, pb, start);
  auto last_data = std::chrono::steady_clock::now();
  int64_t position = start;
  while (st.ok() && position < end) {
    auto batches = scanner.PollBatches(kPollTimeout);
    if (!batches.ok()) {
      st = batches.status();
      break;
    }
    if (!batches->empty()) last_data = std::chrono::steady_clock::now();
    for (const auto& b : *batches) {
      const auto rows = static_cast<int64_t>(b.num_rows());
      if (b.partition_id != pb.partition_id || b.bucket != pb.bucket || b.base_offset + rows <= start ||
          b.base_offset >= end) {
        continue;
      }
      const int64_t first = std::max<int64_t>(start - b.base_offset, 0);
      const int64_t last = std::min<int64_t>(end - b.base_offset, rows);
      st = consume(b, static_cast<size_t>(first), static_cast<size_t>(last));
      if (!st.ok()) break;
    }
    if (!st.ok()) break;
    st = CheckProgress(scanner, path, pb, end, last_data, &position);
  }
  Status unsub = UnsubscribeFrom(scanner, pb);
  return st.ok() ? unsub : st;
}

// Writes rows [begin, end) of a log table's batch as lake rows: the table's columns as they came,
// then __bucket, __offset and __timestamp (the batch's commit time) built as columns.
Status WriteLakeBatch(parquet::ParquetWriter& writer, const ScanBatch& b, size_t begin, size_t end) {
  const size_t n = b.num_rows();
  arrow::ColumnVector bucket(DataType::Int().NotNull());
  arrow::ColumnVector offset(DataType::BigInt().NotNull());
  arrow::ColumnVector timestamp(DataType::TimestampLtz(3).NotNull());
  bucket.values.resize(n * 4);
  offset.values.resize(n * 8);
  timestamp.values.resize(n * 8);
  for (size_t i = 0; i < n; ++i) {
    const int64_t o = b.base_offset + static_cast<int64_t>(i);
    std::memcpy(bucket.values.data() + i * 4, &b.bucket, 4);
    std::memcpy(offset.values.data() + i * 8, &o, 8);
    std::memcpy(timestamp.values.data() + i * 8, &b.timestamp, 8);
  }
  bucket.length = offset.length = timestamp.length = n;
  std::vector<const arrow::ColumnVector*> columns;
  columns.reserve(b.columns.size() + 3);
  for (const auto& c : b.columns) columns.push_back(&c);
  columns.push_back(&bucket);
  columns.push_back(&offset);
  columns.push_back(&timestamp);
  return writer.WriteColumns(columns, begin, end);
}

// The Iceberg DataFile of a Parquet file a tiering round wrote and finished: path, counts, sizes
// and per-column counts (keyed by the Iceberg field ids of `file_schema`). The one place a round
// describes its files, data and delete files alike.
Result<iceberg::DataFile> MakeDataFile(const std::string& file, const parquet::ParquetWriter& writer,
                                       const Schema& file_schema, iceberg::DataFileContent content,
                                       const iceberg::PartitionTuple& partition) {
  std::error_code ec;
  iceberg::DataFile df;
  df.content = content;
  df.file_path = "file://" + file;
  df.partition = partition;
  df.record_count = writer.rows_written();
  df.file_size_in_bytes = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec) return Status::IOError(fmt::format("lake: size of '{}': {}", file, ec.message()));
  FLUSS_RETURN_NOT_OK(FillDataFileStats(writer.metadata(), file_schema, writer.nan_counts(), &df));
  if (content == iceberg::DataFileContent::kEqualityDeletes) {
    for (const auto& c : file_schema.columns()) df.equality_ids.push_back(c.id);
  }
  return df;
}

// A Parquet file of one round being written, removed again unless the round commits it (or its
// commit may have become visible).
class RoundFiles {
 public:
  explicit RoundFiles(FileSystem& fs) : fs_(fs) {}
  ~RoundFiles() {
    if (keep_) return;
    for (const auto& p : paths_) (void)fs_.Remove(p);
  }
  Result<std::unique_ptr<parquet::ParquetWriter>> Open(const std::string& file, const Schema& schema) {
    auto writer = parquet::ParquetWriter::Open(file, schema, {}, fs_);
    if (writer.ok()) paths_.push_back(file);
    return writer;
  }
  void Keep() { keep_ = true; }

 private:
  FileSystem& fs_;
  std::vector<std::string> paths_;
  bool keep_ = false;
};

// The Iceberg partition tuple (identity on each partition key) of a row of a partitioned table whose
// column `i` has the value value_at(i); empty for a table without partitions. Every row of a Fluss
// partition has the same partition-key values, so one row gives its whole file's tuple.
Result<iceberg::PartitionTuple> PartitionTupleOf(const Schema& schema, const std::vector<std::string>& partition_keys,
                                                 const std::function<Datum(size_t)>& value_at) {
  iceberg::PartitionTuple tuple;
  for (const auto& key : partition_keys) {
    auto index = schema.IndexOf(key);
    if (!index) return Status::Invalid(fmt::format("partition key '{}' is not a column", key));
    FLUSS_ASSIGN_OR_RETURN(auto v, iceberg::IdentityPartitionValue(value_at(*index), schema.column(*index).type, key));
    tuple.push_back(std::move(v));
  }
  return tuple;
}

// A lake row: the table's columns of `r`, then __bucket, __offset, __timestamp.
GenericRow LakeRow(const ScanRecord& r, size_t ncols) {
  GenericRow row(ncols + 3);
  for (size_t c = 0; c < ncols; ++c) row.SetField(c, r.row.field(c));
  row.SetField(ncols, r.bucket);
  row.SetField(ncols + 1, r.offset);
  row.SetField(ncols + 2, TimestampValue{r.timestamp, 0});
  return row;
}

// A primary-key table's changelog of one bucket, [start, end), as at most one data file and one
// equality-delete file. Per key only the last change counts for the data file (the row of a key
// whose last change is +I or +U); a key gets a delete unless its first change in the range is +I
// (then it was absent before the range, so the lake holds no row of it). The delete file holds the
// key columns only; committed at the same sequence number as the data file, it removes the key's
// rows of earlier rounds, never the row written beside it.
Status TierChangelog(LogScanner& scanner, const TablePath& path, const Schema& schema,
                    const std::vector<std::string>& partition_keys, const Schema& lake_schema,
                    const PartitionBucket& bucket, int64_t start, int64_t end,
                    const std::string& file_prefix, RoundFiles& round_files,
                    std::vector<iceberg::DataFile>* data_files, std::vector<iceberg::DataFile>* delete_files, TieringRound* round) {
  struct KeyState {
    ChangeType first;
    ScanRecord last;
  };
  const std::vector<size_t> key_indexes = schema.primary_key_indexes();
  std::unordered_map<std::string, KeyState> keys;
  std::vector<const std::string*> order;  // keys in the order first seen, for a stable file layout
  iceberg::PartitionTuple partition;
  bool partition_known = partition_keys.empty();
  FLUSS_RETURN_NOT_OK(ReadBucketRange(scanner, path, bucket, start, end, [&](const ScanRecord& r) {
    if (!partition_known) {
      FLUSS_ASSIGN_OR_RETURN(partition, PartitionTupleOf(schema, partition_keys,
                                                         [&](size_t i) { return r.row.field(i); }));
      partition_known = true;
    }
    ++round->rows;
    std::string key = internal::KeyOf(r.row, key_indexes);
    auto [it, fresh] = keys.try_emplace(std::move(key), KeyState{r.change_type, r});
    if (fresh) {
      order.push_back(&it->first);
    } else {
      it->second.last = r;
    }
    return Status::OK();
  }));
  const size_t ncols = schema.num_columns();
  int64_t upserts = 0;
  int64_t deletes = 0;
  for (const auto* key : order) {
    const KeyState& k = keys.at(*key);
    const ChangeType last = k.last.change_type;
    upserts += last == ChangeType::kInsert || last == ChangeType::kUpdateAfter;
    deletes += k.first != ChangeType::kInsert;
  }
  if (upserts > 0) {
    const std::string file = file_prefix + ".parquet";
    FLUSS_ASSIGN_OR_RETURN(auto writer, round_files.Open(file, lake_schema));
    for (const auto* key : order) {
      const ScanRecord& last = keys.at(*key).last;
      if (last.change_type != ChangeType::kInsert && last.change_type != ChangeType::kUpdateAfter) continue;
      FLUSS_RETURN_NOT_OK(writer->Write(LakeRow(last, ncols)));
    }
    FLUSS_RETURN_NOT_OK(writer->Finish().status());
    FLUSS_ASSIGN_OR_RETURN(auto df, MakeDataFile(file, *writer, lake_schema, iceberg::DataFileContent::kData, partition));
    data_files->push_back(std::move(df));
    ++round->files;
  }
  if (deletes > 0) {
    FLUSS_ASSIGN_OR_RETURN(Schema key_schema, LakeKeySchema(schema));
    const std::string file = file_prefix + "-eq-deletes.parquet";
    FLUSS_ASSIGN_OR_RETURN(auto writer, round_files.Open(file, key_schema));
    for (const auto* key : order) {
      const KeyState& k = keys.at(*key);
      if (k.first == ChangeType::kInsert) continue;
      GenericRow row(key_indexes.size());
      for (size_t i = 0; i < key_indexes.size(); ++i) row.SetField(i, k.last.row.field(key_indexes[i]));
      FLUSS_RETURN_NOT_OK(writer->Write(row));
    }
    FLUSS_RETURN_NOT_OK(writer->Finish().status());
    FLUSS_ASSIGN_OR_RETURN(auto df,
                           MakeDataFile(file, *writer, key_schema, iceberg::DataFileContent::kEqualityDeletes, partition));
    delete_files->push_back(std::move(df));
    ++round->delete_files;
    round->deleted_keys += deletes;
  }
  return Status::OK();
}

// Deletes data files under `data_dir` that no snapshot references and that are older than `min_age`
// (younger ones may belong to a round another service is running now). Tiering only adds files to a
// snapshot's lineage (appends, and equality deletes beside new data), so the files of a lineage's
// newest snapshot are every file of that lineage: the snapshots no other snapshot names as parent
// (the current one, and the last one before each Replace) reference every file any snapshot does.
Result<int32_t> RemoveOrphans(const iceberg::IcebergTable& table, const std::string& data_dir,
                              std::chrono::seconds min_age, FileSystem& file_system) {
  std::error_code ec;
  if (!fs::exists(data_dir, ec)) return 0;
  std::set<int64_t> parents;
  for (const auto& s : table.metadata().snapshots) {
    if (s.parent_snapshot_id) parents.insert(*s.parent_snapshot_id);
  }
  std::set<std::string> live;
  for (const auto& s : table.metadata().snapshots) {
    if (parents.contains(s.snapshot_id)) continue;
    FLUSS_ASSIGN_OR_RETURN(auto files, table.ListFiles(s.snapshot_id));
    std::vector<iceberg::ManifestEntry> entries = std::move(files.data);
    for (auto& e : files.deletes) entries.push_back(std::move(e));
    for (const auto& e : entries) {
      FLUSS_ASSIGN_OR_RETURN(auto p, iceberg::IcebergTable::LocalPath(e.data_file.file_path));
      live.insert(fs::weakly_canonical(p, ec).string());
    }
  }
  int32_t removed = 0;
  const auto now = fs::file_time_type::clock::now();
  // Partitioned tables keep their files in a directory per partition (data/k1=v1/k2=v2/...).
  for (const auto& f : fs::recursive_directory_iterator(data_dir, ec)) {
    if (!f.is_regular_file(ec)) continue;
    const std::string path = fs::weakly_canonical(f.path(), ec).string();
    if (live.count(path)) continue;
    const auto age = now - f.last_write_time(ec);
    if (ec || age < min_age) continue;
    if (file_system.Remove(f.path().string()).ok()) {
      ++removed;
      spdlog::info("lake: removed '{}', a data file of an interrupted tiering round", path);
    }
  }
  return removed;
}

}  // namespace

Result<Schema> LakeSchema(const Schema& table) {
  std::vector<Column> columns = table.columns();
  int32_t id = table.highest_field_id();
  columns.push_back(Column{"__bucket", DataType::Int().NotNull(), ++id, "Fluss bucket"});
  columns.push_back(Column{"__offset", DataType::BigInt().NotNull(), ++id, "offset in the bucket's log"});
  columns.push_back(Column{"__timestamp", DataType::TimestampLtz(3).NotNull(), ++id, "commit time of the row's batch"});
  // The primary key stays the lake table's identifier fields (Iceberg "identifier-field-ids").
  return Schema::Make(std::move(columns), table.primary_key());
}

Result<Schema> LakeKeySchema(const Schema& table) {
  if (!table.has_primary_key()) {
    return Status::Invalid("the lake key schema is for primary-key tables only");
  }
  std::vector<Column> columns;
  for (size_t i : table.primary_key_indexes()) columns.push_back(table.column(i));
  return Schema::Make(std::move(columns), table.primary_key());
}

std::string LakeTableDir(const std::string& warehouse, const TablePath& path) {
  return (fs::absolute(warehouse) / path.database() / path.table()).lexically_normal().string();
}

LakeTiering::LakeTiering(std::shared_ptr<Connection> connection, TieringOptions options)
    : conn_(std::move(connection)), options_(std::move(options)) {}

std::map<int32_t, int64_t> TieredOffsets::BucketsOf(int64_t partition_id, int32_t buckets) const {
  std::map<int32_t, int64_t> out;
  for (int32_t b = 0; b < buckets; ++b) out[b] = 0;
  for (auto it = offsets.lower_bound(PartitionBucket{partition_id, 0});
       it != offsets.end() && it->first.partition_id == partition_id; ++it) {
    out[it->first.bucket] = it->second;
  }
  return out;
}

Result<TieredOffsets> SnapshotTieredOffsets(const iceberg::IcebergTable& table) {
  TieredOffsets out;
  const iceberg::Snapshot* snap = table.metadata().CurrentSnapshot();
  if (snap == nullptr) return out;
  auto it = snap->summary.find(kBucketOffsetsKey);
  if (it == snap->summary.end()) {
    return Status::Corruption(fmt::format("lake table '{}': snapshot {} has no '{}' summary (not written by Fluss "
                                          "tiering?)",
                                          table.table_dir(), snap->snapshot_id, kBucketOffsetsKey));
  }
  FLUSS_RETURN_NOT_OK(ParseOffsets(it->second, &out).WithContext(table.table_dir()));
  out.snapshot_id = snap->snapshot_id;
  return out;
}

Result<std::pair<std::map<int32_t, int64_t>, int64_t>> SnapshotOffsets(const iceberg::IcebergTable& table,
                                                                       int32_t buckets) {
  FLUSS_ASSIGN_OR_RETURN(TieredOffsets tiered, SnapshotTieredOffsets(table));
  if (tiered.partitioned) {
    return Status::Invalid(fmt::format("lake table '{}' is of a partitioned table: its offsets are per partition "
                                       "(SnapshotTieredOffsets)",
                                       table.table_dir()));
  }
  return std::make_pair(tiered.BucketsOf(kNoPartition, buckets), tiered.snapshot_id);
}

Result<TieredOffsets> ReadTieredOffsets(const std::string& warehouse, const TablePath& path, int64_t table_id) {
  FLUSS_ASSIGN_OR_RETURN(auto lake, OpenLakeTableOf(warehouse, path, table_id));
  if (!lake) return TieredOffsets{};
  return SnapshotTieredOffsets(*lake);
}

Result<std::optional<iceberg::IcebergTable>> OpenLakeTableOf(const std::string& warehouse, const TablePath& path,
                                                            int64_t table_id) {
  const std::string dir = LakeTableDir(warehouse, path);
  std::error_code ec;
  if (!fs::exists(dir + "/metadata", ec)) {
    if (ec) return Status::IOError(fmt::format("cannot look at '{}': {}", dir, ec.message()));
    return std::optional<iceberg::IcebergTable>();
  }
  FLUSS_ASSIGN_OR_RETURN(auto table, iceberg::IcebergTable::Open(dir));
  auto owner = table.metadata().properties.find(kTableIdKey);
  if (owner == table.metadata().properties.end() || owner->second != std::to_string(table_id)) {
    return std::optional<iceberg::IcebergTable>();
  }
  return std::optional<iceberg::IcebergTable>(std::move(table));
}

Result<std::pair<std::map<int32_t, int64_t>, int64_t>> LakeTiering::LakeOffsets(const TablePath& path,
                                                                                int32_t buckets) const {
  FLUSS_ASSIGN_OR_RETURN(Table table, conn_->GetTable(path));
  FLUSS_ASSIGN_OR_RETURN(auto lake, OpenLakeTableOf(options_.warehouse, path, table.info().table_id));
  if (!lake) {
    std::map<int32_t, int64_t> none;
    for (int32_t b = 0; b < buckets; ++b) none[b] = 0;
    return std::make_pair(none, int64_t{-1});
  }
  return SnapshotOffsets(*lake, buckets);
}

Result<TieredOffsets> LakeTiering::LakeTieredOffsets(const TablePath& path) const {
  FLUSS_ASSIGN_OR_RETURN(Table table, conn_->GetTable(path));
  return ReadTieredOffsets(options_.warehouse, path, table.info().table_id);
}

Result<TieringRound> LakeTiering::TierOnce(const TablePath& path) {
  FLUSS_ASSIGN_OR_RETURN(Table table, conn_->GetTable(path));
  const TableInfo& info = table.info();
  const bool has_pk = info.schema().has_primary_key();
  const std::vector<std::string>& partition_keys = info.descriptor.partition_keys();
  const bool partitioned = !partition_keys.empty();
  FLUSS_ASSIGN_OR_RETURN(Schema lake_schema, LakeSchema(info.schema()));
  const std::string dir = LakeTableDir(options_.warehouse, path);
  const std::string data_dir = dir + "/data";
  const std::string table_id = std::to_string(info.table_id);
  const std::map<std::string, std::string> properties = {{"fluss.table", path.ToString()}, {kTableIdKey, table_id}};
  FileSystem& file_system = options_.file_system != nullptr ? *options_.file_system : FileSystem::Local();
  std::error_code ec;
  if (!fs::exists(dir + "/metadata", ec)) {
    auto created = iceberg::IcebergTable::Create(dir, lake_schema, properties, file_system, partition_keys);
    // Another service may have created it a moment ago; opening it below is all that matters.
    if (!created.ok() && created.status().code() != ErrorCode::kLakeTableAlreadyExist) return created.status();
  }
  FLUSS_ASSIGN_OR_RETURN(auto lake, iceberg::IcebergTable::Open(dir, file_system));
  if (auto owner = lake.metadata().properties.find(kTableIdKey);
      owner == lake.metadata().properties.end() || owner->second != table_id) {
    // The lake table of a dropped table of this name (or one tiered before ids were recorded): this
    // table starts from an empty current snapshot; the old rows stay in the lake table's history.
    spdlog::warn("lake: '{}' held the rows of {}; replacing it for table '{}' (id {}); its earlier snapshots stay "
                 "in its history",
                 dir,
                 owner == lake.metadata().properties.end() ? std::string("a table of unknown id")
                                                           : fmt::format("table id {}", owner->second),
                 path.ToString(), info.table_id);
    Status replaced = lake.Replace(lake_schema, properties, partition_keys);
    if (!replaced.ok() && replaced.code() != ErrorCode::kInvalidUpdateVersion) return replaced;
    // Another service replaced (or committed) first: check again from what is there now.
    if (!replaced.ok()) {
      FLUSS_RETURN_NOT_OK(lake.Refresh());
      auto now = lake.metadata().properties.find(kTableIdKey);
      if (now == lake.metadata().properties.end() || now->second != table_id) {
        return Status(ErrorCode::kInvalidUpdateVersion,
                      fmt::format("lake table '{}' changed while it was being replaced; the next round retries", dir));
      }
    }
  }

  TieringRound round;
  FLUSS_ASSIGN_OR_RETURN(round.orphans_removed,
                         RemoveOrphans(lake, data_dir, options_.orphan_min_age, file_system));
  // Offsets from the version this round commits on top of (a newer commit makes the commit fail).
  FLUSS_ASSIGN_OR_RETURN(TieredOffsets lake_offsets, SnapshotTieredOffsets(lake));
  if (lake_offsets.snapshot_id >= 0 && lake_offsets.partitioned != partitioned) {
    return Status::Corruption(fmt::format("lake table '{}' records offsets of a {} table, but '{}' is {}", dir,
                                          lake_offsets.partitioned ? "partitioned" : "non-partitioned",
                                          path.ToString(), partitioned ? "partitioned" : "not partitioned"));
  }
  // The buckets to read: the table's, or every bucket of every partition that exists now. A
  // partition dropped since the last round (by hand or by auto-partitioning's retention) is left
  // out: its rows already in the lake stay there, and its offsets are no longer recorded.
  struct Source {
    PartitionBucket bucket;
    std::string dir;  // where its files go: data/ or data/k1=v1/k2=v2/
  };
  std::vector<Source> sources;
  std::map<PartitionBucket, int64_t> earliest;
  std::map<PartitionBucket, int64_t> latest;
  TieredOffsets next;
  next.partitioned = partitioned;
  Admin admin = conn_->GetAdmin();
  if (!partitioned) {
    FLUSS_ASSIGN_OR_RETURN(auto first, admin.ListOffsets(path, OffsetSpec::Earliest()));
    FLUSS_ASSIGN_OR_RETURN(auto last, admin.ListOffsets(path, OffsetSpec::Latest()));
    for (const auto& [b, o] : last) {
      const PartitionBucket pb{kNoPartition, b};
      sources.push_back({pb, data_dir});
      latest[pb] = o;
      earliest[pb] = first.count(b) ? first.at(b) : 0;
    }
  } else {
    FLUSS_ASSIGN_OR_RETURN(auto partitions, admin.ListPartitionInfos(path));
    for (const auto& p : partitions) {
      auto first = admin.ListPartitionOffsets(path, p.partition_name, OffsetSpec::Earliest());
      auto last = first.ok() ? admin.ListPartitionOffsets(path, p.partition_name, OffsetSpec::Latest()) : first;
      if (!last.ok() && last.status().code() == ErrorCode::kPartitionNotExists) continue;  // dropped just now
      if (!first.ok()) return first.status();
      if (!last.ok()) return last.status();
      next.partition_names[p.partition_id] = p.partition_name;
      for (const auto& [b, o] : *last) {
        const PartitionBucket pb{p.partition_id, b};
        sources.push_back({pb, data_dir + "/" + p.QualifiedName()});
        latest[pb] = o;
        earliest[pb] = first->count(b) ? first->at(b) : 0;
      }
    }
  }
  std::map<PartitionBucket, int64_t> from;
  for (const auto& src : sources) {
    auto it = lake_offsets.offsets.find(src.bucket);
    from[src.bucket] = it == lake_offsets.offsets.end() ? 0 : it->second;
    if (earliest[src.bucket] > from[src.bucket]) {
      return Status(ErrorCode::kLogOffsetOutOfRange,
                    fmt::format("{} of '{}' starts at offset {} but the lake holds it only up to {}: the rows "
                                "in between were deleted before they were tiered",
                                BucketName(src.bucket), path.ToString(), earliest[src.bucket], from[src.bucket]));
    }
  }
  // This round's end per bucket: the log end as of now, capped so one round stays bounded.
  int64_t budget = options_.max_rows_per_round;
  bool any = false;
  for (const auto& src : sources) {
    const int64_t start = from[src.bucket];
    const int64_t n = std::max<int64_t>(std::min(latest[src.bucket] - start, std::max<int64_t>(budget, 0)), 0);
    next.offsets[src.bucket] = start + n;
    budget -= n;
    any |= n > 0;
  }
  for (const auto& [pb, o] : next.offsets) {
    if (pb.partition_id == kNoPartition) round.offsets[pb.bucket] = o;
  }
  round.partition_offsets = next.offsets;
  if (!any) return round;

  // Read each bucket's range: a log table's rows go into one Parquet file per bucket as they come;
  // a primary-key table's changelog is collapsed per key first (TierChangelog).
  std::vector<iceberg::DataFile> data_files;
  std::vector<iceberg::DataFile> delete_files;
  RoundFiles round_files(file_system);
  std::set<std::string> dirs;
  FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner());
  for (const auto& src : sources) {
    const int64_t start = from[src.bucket];
    const int64_t end = next.offsets[src.bucket];
    if (end <= start) continue;
    if (dirs.insert(src.dir).second) FLUSS_RETURN_NOT_OK(file_system.CreateDirectories(src.dir));
    const std::string name = fmt::format("{:05d}-{:020d}-{}", src.bucket.bucket, start, RandomHex(16));
    if (has_pk) {
      FLUSS_RETURN_NOT_OK(TierChangelog(*scanner, path, info.schema(), partition_keys, lake_schema, src.bucket, start,
                                        end, src.dir + "/" + name, round_files, &data_files, &delete_files, &round));
      continue;
    }
    const std::string file = src.dir + "/" + name + ".parquet";
    FLUSS_ASSIGN_OR_RETURN(auto writer, round_files.Open(file, lake_schema));
    iceberg::PartitionTuple partition;
    bool partition_known = !partitioned;
    FLUSS_RETURN_NOT_OK(ReadBucketBatches(*scanner, path, src.bucket, start, end,
                                          [&](const ScanBatch& b, size_t first, size_t last) -> Status {
                                            if (!partition_known && last > first) {
                                              FLUSS_ASSIGN_OR_RETURN(
                                                  partition, PartitionTupleOf(info.schema(), partition_keys,
                                                                              [&](size_t i) {
                                                                                return b.columns[i].Get(first);
                                                                              }));
                                              partition_known = true;
                                            }
                                            round.rows += static_cast<int64_t>(last - first);
                                            return WriteLakeBatch(*writer, b, first, last);
                                          }));
    FLUSS_RETURN_NOT_OK(writer->Finish().status());
    if (!partition_known) {
      // Only empty batches in the range (a log table has none; kept safe): no rows, no file.
      (void)file_system.Remove(file);
      continue;
    }
    FLUSS_ASSIGN_OR_RETURN(auto df,
                           MakeDataFile(file, *writer, lake_schema, iceberg::DataFileContent::kData, partition));
    data_files.push_back(std::move(df));
    ++round.files;
  }

  // The data files are fsynced (ParquetWriter::Finish); their names too, and those of new partition
  // directories in their parents up to data/, before a snapshot names them.
  std::set<std::string> to_sync;
  for (const auto& d : dirs) {
    for (fs::path p = d;; p = p.parent_path()) {
      to_sync.insert(p.string());
      if (p.string().size() <= data_dir.size()) break;
    }
  }
  for (const auto& d : to_sync) FLUSS_RETURN_NOT_OK(file_system.SyncDirectory(d));
  // One commit: the data files, the delete files and the offsets they bring the lake to.
  auto snapshot = lake.Commit(data_files, delete_files,
                              {{kBucketOffsetsKey, OffsetsJson(next)}, {"fluss.table", path.ToString()},
                               {kTableIdKey, table_id}});
  if (!snapshot.ok()) {
    if (snapshot.status().code() == ErrorCode::kInvalidUpdateVersion) {
      return Status(ErrorCode::kInvalidUpdateVersion,
                    fmt::format("lake table '{}' changed during the round (another tiering service committed); "
                                "this round's files were removed and the next round starts from the new snapshot",
                                dir));
    }
    // The commit may have become visible before it failed (a failed directory fsync): its files
    // stay; if no snapshot names them, a later round's orphan cleanup removes them.
    round_files.Keep();
    return snapshot.status();
  }
  round_files.Keep();
  round.committed = true;
  round.snapshot_id = snapshot->snapshot_id;
  spdlog::info("lake: tiered {} rows of '{}' in {} files ({} delete files), snapshot {}", round.rows,
               path.ToString(), round.files, round.delete_files, round.snapshot_id);
  return round;
}

}  // namespace fluss::lake
