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

Result<std::map<int32_t, int64_t>> ParseOffsets(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(fmt::format("snapshot summary '{}' is not a JSON object: '{}'", kBucketOffsetsKey, text));
  }
  std::map<int32_t, int64_t> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer()) {
      return Status::Corruption(fmt::format("snapshot summary '{}': bucket {} has no integer offset", kBucketOffsetsKey,
                                            it.key()));
    }
    int32_t bucket = 0;
    try {
      bucket = std::stoi(it.key());
    } catch (...) {
      return Status::Corruption(fmt::format("snapshot summary '{}': '{}' is not a bucket", kBucketOffsetsKey, it.key()));
    }
    out[bucket] = it.value().get<int64_t>();
  }
  return out;
}

std::string OffsetsJson(const std::map<int32_t, int64_t>& offsets) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [b, o] : offsets) j[std::to_string(b)] = o;
  return j.dump();
}

// Reads `bucket` of the table's log from `start` up to `end` (exclusive) and hands every record in
// that range to `consume`, in offset order.
Status ReadBucketRange(LogScanner& scanner, const TablePath& path, int32_t bucket, int64_t start, int64_t end,
                       const std::function<Status(const ScanRecord&)>& consume) {
  Status st = scanner.Subscribe(bucket, start);
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
      if (r.bucket != bucket || r.offset < start || r.offset >= end) continue;
      st = consume(r);
      if (!st.ok()) break;
    }
    auto pos = scanner.positions();
    if (pos.count(bucket)) position = pos[bucket];
    if (st.ok() && std::chrono::steady_clock::now() - last_data > kStallTimeout) {
      st = Status(ErrorCode::kRequestTimeOut,
                  fmt::format("bucket {} of '{}' brought nothing for {} s at offset {} (round end {})", bucket,
                              path.ToString(), kStallTimeout.count(), position, end));
    }
  }
  Status unsub = scanner.Unsubscribe(bucket);
  return st.ok() ? unsub : st;
}

// As ReadBucketRange, for a log table, as columnar batches: `consume` gets each batch with the row
// range [begin, end) of it that lies within [start, end) (row i is offset base_offset + i).
Status ReadBucketBatches(LogScanner& scanner, const TablePath& path, int32_t bucket, int64_t start, int64_t end,
                         const std::function<Status(const ScanBatch&, size_t, size_t)>& consume) {
  Status st = scanner.Subscribe(bucket, start);
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
      if (b.bucket != bucket || b.base_offset + rows <= start || b.base_offset >= end) continue;
      const int64_t first = std::max<int64_t>(start - b.base_offset, 0);
      const int64_t last = std::min<int64_t>(end - b.base_offset, rows);
      st = consume(b, static_cast<size_t>(first), static_cast<size_t>(last));
      if (!st.ok()) break;
    }
    auto pos = scanner.positions();
    if (pos.count(bucket)) position = pos[bucket];
    if (st.ok() && std::chrono::steady_clock::now() - last_data > kStallTimeout) {
      st = Status(ErrorCode::kRequestTimeOut,
                  fmt::format("bucket {} of '{}' brought nothing for {} s at offset {} (round end {})", bucket,
                              path.ToString(), kStallTimeout.count(), position, end));
    }
  }
  Status unsub = scanner.Unsubscribe(bucket);
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
                                       const Schema& file_schema, iceberg::DataFileContent content) {
  std::error_code ec;
  iceberg::DataFile df;
  df.content = content;
  df.file_path = "file://" + file;
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
                    const Schema& lake_schema, int32_t bucket, int64_t start, int64_t end,
                    const std::string& file_prefix, RoundFiles& round_files,
                    std::vector<iceberg::DataFile>* data_files, std::vector<iceberg::DataFile>* delete_files, TieringRound* round) {
  struct KeyState {
    ChangeType first;
    ScanRecord last;
  };
  const std::vector<size_t> key_indexes = schema.primary_key_indexes();
  std::unordered_map<std::string, KeyState> keys;
  std::vector<const std::string*> order;  // keys in the order first seen, for a stable file layout
  FLUSS_RETURN_NOT_OK(ReadBucketRange(scanner, path, bucket, start, end, [&](const ScanRecord& r) {
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
    FLUSS_ASSIGN_OR_RETURN(auto df, MakeDataFile(file, *writer, lake_schema, iceberg::DataFileContent::kData));
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
                           MakeDataFile(file, *writer, key_schema, iceberg::DataFileContent::kEqualityDeletes));
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
  for (const auto& f : fs::directory_iterator(data_dir, ec)) {
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

Result<std::pair<std::map<int32_t, int64_t>, int64_t>> SnapshotOffsets(const iceberg::IcebergTable& table,
                                                                       int32_t buckets) {
  std::map<int32_t, int64_t> offsets;
  for (int32_t b = 0; b < buckets; ++b) offsets[b] = 0;
  const iceberg::Snapshot* snap = table.metadata().CurrentSnapshot();
  if (snap == nullptr) return std::make_pair(offsets, int64_t{-1});
  auto it = snap->summary.find(kBucketOffsetsKey);
  if (it == snap->summary.end()) {
    return Status::Corruption(fmt::format("lake table '{}': snapshot {} has no '{}' summary (not written by Fluss "
                                          "tiering?)",
                                          table.table_dir(), snap->snapshot_id, kBucketOffsetsKey));
  }
  FLUSS_ASSIGN_OR_RETURN(auto recorded, ParseOffsets(it->second));
  for (const auto& [b, o] : recorded) offsets[b] = o;
  return std::make_pair(offsets, snap->snapshot_id);
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

Result<TieringRound> LakeTiering::TierOnce(const TablePath& path) {
  FLUSS_ASSIGN_OR_RETURN(Table table, conn_->GetTable(path));
  const TableInfo& info = table.info();
  const bool has_pk = info.schema().has_primary_key();
  FLUSS_ASSIGN_OR_RETURN(Schema lake_schema, LakeSchema(info.schema()));
  const std::string dir = LakeTableDir(options_.warehouse, path);
  const std::string data_dir = dir + "/data";
  const std::string table_id = std::to_string(info.table_id);
  const std::map<std::string, std::string> properties = {{"fluss.table", path.ToString()}, {kTableIdKey, table_id}};
  FileSystem& file_system = options_.file_system != nullptr ? *options_.file_system : FileSystem::Local();
  std::error_code ec;
  if (!fs::exists(dir + "/metadata", ec)) {
    auto created = iceberg::IcebergTable::Create(dir, lake_schema, properties, file_system);
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
    Status replaced = lake.Replace(lake_schema, properties);
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
  FLUSS_ASSIGN_OR_RETURN(auto lake_offsets, SnapshotOffsets(lake, info.num_buckets));
  std::map<int32_t, int64_t> from = lake_offsets.first;
  Admin admin = conn_->GetAdmin();
  FLUSS_ASSIGN_OR_RETURN(auto earliest, admin.ListOffsets(path, OffsetSpec::Earliest()));
  FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListOffsets(path, OffsetSpec::Latest()));
  for (const auto& [b, start] : earliest) {
    if (start > from[b]) {
      return Status(ErrorCode::kLogOffsetOutOfRange,
                    fmt::format("bucket {} of '{}' starts at offset {} but the lake holds it only up to {}: the rows "
                                "in between were deleted before they were tiered",
                                b, path.ToString(), start, from[b]));
    }
  }
  // This round's end per bucket: the log end as of now, capped so one round stays bounded.
  std::map<int32_t, int64_t> to;
  int64_t budget = options_.max_rows_per_round;
  for (const auto& [b, end] : latest) {
    const int64_t n = std::min(end - from[b], std::max<int64_t>(budget, 0));
    to[b] = from[b] + std::max<int64_t>(n, 0);
    budget -= std::max<int64_t>(n, 0);
  }
  round.offsets = to;
  bool any = false;
  for (const auto& [b, end] : to) any |= end > from[b];
  if (!any) return round;

  // Read each bucket's range: a log table's rows go into one Parquet file per bucket as they come;
  // a primary-key table's changelog is collapsed per key first (TierChangelog).
  std::vector<iceberg::DataFile> data_files;
  std::vector<iceberg::DataFile> delete_files;
  RoundFiles round_files(file_system);
  FLUSS_RETURN_NOT_OK(file_system.CreateDirectories(data_dir));
  FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner());
  for (const auto& [bucket, end] : to) {
    const int64_t start = from[bucket];
    if (end <= start) continue;
    const std::string name = fmt::format("{:05d}-{:020d}-{}", bucket, start, RandomHex(16));
    if (has_pk) {
      FLUSS_RETURN_NOT_OK(TierChangelog(*scanner, path, info.schema(), lake_schema, bucket, start, end,
                                        data_dir + "/" + name, round_files, &data_files, &delete_files, &round));
      continue;
    }
    const std::string file = data_dir + "/" + name + ".parquet";
    FLUSS_ASSIGN_OR_RETURN(auto writer, round_files.Open(file, lake_schema));
    FLUSS_RETURN_NOT_OK(ReadBucketBatches(*scanner, path, bucket, start, end,
                                          [&](const ScanBatch& b, size_t first, size_t last) {
                                            round.rows += static_cast<int64_t>(last - first);
                                            return WriteLakeBatch(*writer, b, first, last);
                                          }));
    FLUSS_RETURN_NOT_OK(writer->Finish().status());
    FLUSS_ASSIGN_OR_RETURN(auto df, MakeDataFile(file, *writer, lake_schema, iceberg::DataFileContent::kData));
    data_files.push_back(std::move(df));
    ++round.files;
  }

  // The data files are fsynced (ParquetWriter::Finish); their names too, before a snapshot names them.
  FLUSS_RETURN_NOT_OK(file_system.SyncDirectory(data_dir));
  // One commit: the data files, the delete files and the offsets they bring the lake to.
  auto snapshot = lake.Commit(data_files, delete_files,
                              {{kBucketOffsetsKey, OffsetsJson(to)}, {"fluss.table", path.ToString()},
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
