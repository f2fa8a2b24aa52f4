#include "lake/tiering/lake_snapshot_reader.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_reader.h"
#include "lake/tiering/lake_key_internal.h"
#include "lake/tiering/lake_tiering.h"
#include "types/partition_spec.h"

namespace fluss::lake {

LakeSnapshotReader::~LakeSnapshotReader() = default;

Result<std::unique_ptr<LakeSnapshotReader>> LakeSnapshotReader::Open(const std::string& warehouse,
                                                                     const TableInfo& table,
                                                                     const std::vector<std::string>& columns,
                                                                     const std::vector<std::string>& partitions) {
  std::unique_ptr<LakeSnapshotReader> r(new LakeSnapshotReader());
  r->table_ = table;
  const std::vector<std::string>& partition_keys = table.descriptor.partition_keys();
  for (int32_t b = 0; b < table.num_buckets; ++b) r->info_.offsets[b] = 0;
  if (partition_keys.empty()) {
    for (int32_t b = 0; b < table.num_buckets; ++b) r->info_.partition_offsets[PartitionBucket{kNoPartition, b}] = 0;
  }
  const Schema& schema = table.schema();
  if (columns.empty()) {
    for (size_t i = 0; i < schema.num_columns(); ++i) r->picked_.push_back(i);
  } else {
    for (const auto& name : columns) {
      auto idx = schema.IndexOf(name);
      if (!idx) {
        return Status(ErrorCode::kInvalidColumnProjection,
                      fmt::format("'{}' is not a column of '{}'", name, table.path.ToString()));
      }
      r->picked_.push_back(*idx);
    }
  }
  // Offsets and files from one loaded version of the table, so they describe the same snapshot. A
  // lake table of another table id (a dropped table of this name) holds none of this table's rows.
  FLUSS_ASSIGN_OR_RETURN(auto own, OpenLakeTableOf(warehouse, table.path, table.table_id));
  if (!own) return r;
  iceberg::IcebergTable& lake = *own;
  FLUSS_ASSIGN_OR_RETURN(TieredOffsets recorded, SnapshotTieredOffsets(lake));
  if (recorded.snapshot_id < 0) return r;
  if (recorded.partitioned != !partition_keys.empty()) {
    return Status::Corruption(fmt::format("lake table '{}' records the offsets of a {} table, but '{}' is {}",
                                          lake.table_dir(), recorded.partitioned ? "partitioned" : "non-partitioned",
                                          table.path.ToString(), partition_keys.empty() ? "not partitioned" : "partitioned"));
  }
  r->info_.snapshot_id = recorded.snapshot_id;
  if (partition_keys.empty()) {
    r->info_.offsets = recorded.BucketsOf(kNoPartition, table.num_buckets);
    for (const auto& [b, o] : r->info_.offsets) r->info_.partition_offsets[PartitionBucket{kNoPartition, b}] = o;
  } else {
    r->info_.partition_offsets = recorded.offsets;
    r->info_.partition_names = recorded.partition_names;
  }
  if (const iceberg::PartitionSpec* spec = lake.metadata().DefaultSpec(); !partition_keys.empty()) {
    bool identity_on_keys = spec != nullptr && spec->fields.size() == partition_keys.size();
    for (size_t i = 0; identity_on_keys && i < partition_keys.size(); ++i) {
      identity_on_keys = spec->fields[i].name == partition_keys[i] && spec->fields[i].transform == "identity";
    }
    if (!identity_on_keys) {
      return Status::NotSupported(fmt::format("lake table '{}' is not partitioned by identity on the partition keys "
                                              "of '{}'",
                                              lake.table_dir(), table.path.ToString()));
    }
  }
  FLUSS_ASSIGN_OR_RETURN(auto files, lake.ListFiles());
  // A partitioned table: each file's partition (name, and id as the snapshot records it), from its
  // partition tuple; files of partitions not asked for are left out (deletes too: a key holds its
  // partition's values, so another partition's deletes never match).
  std::map<std::string, int64_t> ids_by_name;
  for (const auto& [id, name] : recorded.partition_names) ids_by_name[name] = id;
  const std::set<std::string> wanted(partitions.begin(), partitions.end());
  auto partition_of = [&](const iceberg::DataFile& df) -> Result<std::optional<int64_t>> {
    if (partition_keys.empty()) return std::optional<int64_t>(kNoPartition);
    auto name_or = PartitionNameOfTuple(schema, partition_keys, df.partition);
    if (!name_or.ok()) return name_or.status().WithContext(df.file_path);
    const std::string& name = *name_or;
    if (!wanted.empty() && !wanted.contains(name)) return std::optional<int64_t>();
    auto id = ids_by_name.find(name);
    return std::optional<int64_t>(id == ids_by_name.end() ? kNoPartition : id->second);
  };

  // The lake file's columns: the table's, then __bucket, __offset, __timestamp. Read the picked
  // ones, the key columns (to match deletes), then the system columns.
  const size_t n = schema.num_columns();
  r->read_ = r->picked_;
  const std::vector<size_t> key = schema.primary_key_indexes();
  for (size_t k : key) {
    r->key_in_read_.push_back(r->read_.size());
    r->read_.push_back(k);
  }
  r->read_.push_back(n);
  r->read_.push_back(n + 1);
  r->read_.push_back(n + 2);

  // Deletes: every equality-delete file's keys with the highest sequence number that deletes them.
  std::vector<int32_t> key_ids;
  for (size_t k : key) key_ids.push_back(schema.column(k).id);
  std::vector<size_t> all_key_columns;
  for (size_t i = 0; i < key.size(); ++i) all_key_columns.push_back(i);
  for (const auto& e : files.deletes) {
    const auto& df = e.data_file;
    FLUSS_ASSIGN_OR_RETURN(auto in_partition, partition_of(df));
    if (!in_partition) continue;
    if (df.content != iceberg::DataFileContent::kEqualityDeletes) {
      return Status::NotSupported(fmt::format("lake file '{}': position deletes are not read here", df.file_path));
    }
    if (key.empty() || df.equality_ids != key_ids) {
      return Status::NotSupported(fmt::format("lake file '{}': equality deletes on field ids other than the "
                                              "primary key's are not read here",
                                              df.file_path));
    }
    if (!e.sequence_number) return Status::Corruption(fmt::format("'{}' has no sequence number", df.file_path));
    FLUSS_ASSIGN_OR_RETURN(auto path, iceberg::IcebergTable::LocalPath(df.file_path));
    FLUSS_ASSIGN_OR_RETURN(auto reader, parquet::ParquetReader::OpenFile(path));
    if (reader->schema().num_columns() != key.size()) {
      return Status::Corruption(fmt::format("delete file '{}' has {} columns; the primary key has {}", path,
                                            reader->schema().num_columns(), key.size()));
    }
    for (size_t i = 0; i < key.size(); ++i) {
      const int32_t id = reader->schema().column(i).id;
      if (id >= 0 && id != key_ids[i]) {
        return Status::Corruption(fmt::format("delete file '{}': column {} has field id {}, the key column {}", path,
                                              i, id, key_ids[i]));
      }
    }
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      FLUSS_ASSIGN_OR_RETURN(auto rows, reader->ReadRowGroup(g, all_key_columns));
      for (const auto& row : rows) {
        int64_t& seq = r->deletes_[internal::KeyOf(row, all_key_columns)];
        seq = std::max(seq, *e.sequence_number);
      }
    }
  }
  for (const auto& e : files.data) {
    FLUSS_ASSIGN_OR_RETURN(auto partition_id, partition_of(e.data_file));
    if (!partition_id) continue;
    FLUSS_ASSIGN_OR_RETURN(auto path, iceberg::IcebergTable::LocalPath(e.data_file.file_path));
    if (!e.sequence_number) return Status::Corruption(fmt::format("'{}' has no sequence number", path));
    r->files_.push_back(DataFileRef{path, *e.sequence_number, *partition_id});
  }
  return r;
}

Status LakeSnapshotReader::LoadGroup(const DataFileRef& f, int group) {
  const size_t sys = read_.size() - 3;
  // The row group column by column (the buffers' capacity is kept from group to group); records
  // move their fields out of these columns.
  cols_.resize(read_.size());
  for (size_t i = 0; i < read_.size(); ++i) FLUSS_RETURN_NOT_OK(reader_->ReadColumn(group, read_[i], &cols_[i]));
  const size_t num_rows = cols_.empty() ? 0 : cols_[0].size();
  for (const auto& c : cols_) {
    if (c.size() != num_rows) return Status::Corruption(fmt::format("lake file '{}': columns of unequal length", f.path));
  }
  // The system columns: __bucket INT, __offset BIGINT, __timestamp TIMESTAMP_LTZ, never null.
  for (size_t i = 0; i < num_rows; ++i) {
    if (!std::holds_alternative<int32_t>(cols_[sys][i]) || !std::holds_alternative<int64_t>(cols_[sys + 1][i]) ||
        !std::holds_alternative<TimestampValue>(cols_[sys + 2][i])) {
      return Status::Corruption(
          fmt::format("lake file '{}': row {} of row group {} has a null or mistyped system column", f.path, i, group));
    }
  }
  group_rows_ = num_rows;
  row_ = 0;
  group_sequence_number_ = f.sequence_number;
  group_partition_id_ = f.partition_id;
  return Status::OK();
}

Result<std::optional<std::vector<ScanRecord>>> LakeSnapshotReader::Next() {
  const size_t n = table_.schema().num_columns();
  const size_t sys = read_.size() - 3;
  const ChangeType change = table_.schema().has_primary_key() ? ChangeType::kInsert : ChangeType::kAppendOnly;
  while (true) {
    if (row_ < group_rows_) {
      // The next rows of the loaded row group, at most kMaxRecords of them.
      const size_t end = std::min(group_rows_, row_ + kMaxRecords);
      std::vector<ScanRecord> out;
      out.reserve(end - row_);
      GenericRow key_row(read_.size());
      for (; row_ < end; ++row_) {
        const size_t i = row_;
        if (!deletes_.empty()) {
          for (size_t k : key_in_read_) key_row.SetField(k, cols_[k][i]);
          auto d = deletes_.find(internal::KeyOf(key_row, key_in_read_));
          if (d != deletes_.end() && d->second > group_sequence_number_) {
            ++info_.deleted_rows;
            continue;
          }
        }
        ScanRecord r;
        r.partition_id = group_partition_id_;
        r.bucket = std::get<int32_t>(cols_[sys][i]);
        r.offset = std::get<int64_t>(cols_[sys + 1][i]);
        r.timestamp = std::get<TimestampValue>(cols_[sys + 2][i]).millis;
        r.change_type = change;
        std::vector<Datum> fields;
        fields.reserve(picked_.size());
        for (size_t c = 0; c < picked_.size(); ++c) fields.push_back(std::move(cols_[c][i]));
        r.row = GenericRow(std::move(fields));
        out.push_back(std::move(r));
      }
      info_.rows += static_cast<int64_t>(out.size());
      if (!out.empty()) return std::optional<std::vector<ScanRecord>>(std::move(out));
      continue;
    }
    if (file_ >= files_.size()) return std::optional<std::vector<ScanRecord>>();
    const DataFileRef& f = files_[file_];
    if (!reader_) {
      FLUSS_ASSIGN_OR_RETURN(reader_, parquet::ParquetReader::OpenFile(f.path));
      if (reader_->schema().num_columns() != n + 3) {
        return Status::Corruption(fmt::format("lake file '{}' has {} columns; the table and its system columns are {}",
                                              f.path, reader_->schema().num_columns(), n + 3));
      }
      group_ = 0;
    }
    if (group_ >= reader_->num_row_groups()) {
      reader_.reset();
      ++file_;
      continue;
    }
    FLUSS_RETURN_NOT_OK(LoadGroup(f, group_++));
  }
}

Result<std::string> PartitionNameOfTuple(const Schema& schema, const std::vector<std::string>& keys,
                                         const std::vector<avro::AvroValue>& tuple) {
  if (tuple.size() != keys.size()) {
    return Status::Corruption(fmt::format("a lake file's partition tuple has {} values; the table has {} partition keys",
                                          tuple.size(), keys.size()));
  }
  std::string name;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto index = schema.IndexOf(keys[i]);
    if (!index) return Status::Invalid(fmt::format("partition key '{}' is not a column", keys[i]));
    const DataType& type = schema.column(*index).type;
    const avro::AvroValue& v = tuple[i];
    auto mistyped = [&] {
      return Status::Corruption(fmt::format("a lake file's partition value of '{}' ({}) is of another type", keys[i],
                                            type.ToString()));
    };
    Datum d;
    const auto* i32 = v.get_if<int32_t>();
    const auto* i64 = v.get_if<int64_t>();
    switch (type.root()) {
      case TypeRoot::kBoolean:
        if (!v.is<bool>()) return mistyped();
        d = *v.get_if<bool>();
        break;
      case TypeRoot::kTinyInt:
        if (i32 == nullptr) return mistyped();
        d = static_cast<int8_t>(*i32);
        break;
      case TypeRoot::kSmallInt:
        if (i32 == nullptr) return mistyped();
        d = static_cast<int16_t>(*i32);
        break;
      case TypeRoot::kInt:
      case TypeRoot::kDate:
        if (i32 == nullptr) return mistyped();
        d = *i32;
        break;
      case TypeRoot::kTime:  // µs of the day -> ms
        if (i64 == nullptr) return mistyped();
        d = static_cast<int32_t>(*i64 / 1000);
        break;
      case TypeRoot::kBigInt:
        if (i64 == nullptr) return mistyped();
        d = *i64;
        break;
      case TypeRoot::kTimestamp:
      case TypeRoot::kTimestampLtz: {  // µs -> ms + ns of the ms
        if (i64 == nullptr) return mistyped();
        const int64_t ms = *i64 >= 0 ? *i64 / 1000 : -((-*i64 + 999) / 1000);
        d = TimestampValue{ms, static_cast<int32_t>((*i64 - ms * 1000) * 1000)};
        break;
      }
      case TypeRoot::kFloat:
        if (!v.is<float>()) return mistyped();
        d = *v.get_if<float>();
        break;
      case TypeRoot::kDouble:
        if (!v.is<double>()) return mistyped();
        d = *v.get_if<double>();
        break;
      case TypeRoot::kChar:
      case TypeRoot::kString:
        if (!v.is<std::string>()) return mistyped();
        d = *v.get_if<std::string>();
        break;
      case TypeRoot::kBytes:
        if (!v.is<avro::AvroBytes>()) return mistyped();
        d = std::string(v.get_if<avro::AvroBytes>()->data.begin(), v.get_if<avro::AvroBytes>()->data.end());
        break;
      case TypeRoot::kBinary:
        if (!v.is<avro::AvroFixed>()) return mistyped();
        d = std::string(v.get_if<avro::AvroFixed>()->data.begin(), v.get_if<avro::AvroFixed>()->data.end());
        break;
      case TypeRoot::kDecimal:
        return mistyped();
    }
    FLUSS_ASSIGN_OR_RETURN(std::string text, PartitionValueToString(d, type, keys[i]));
    if (i > 0) name += kPartitionSeparator;
    name += text;
  }
  return name;
}

Result<LakeSnapshotInfo> ReadLakeSnapshot(const std::string& warehouse, const TableInfo& table,
                                          const std::vector<std::string>& columns,
                                          const std::function<bool(ScanRecord&&)>& visit) {
  FLUSS_ASSIGN_OR_RETURN(auto reader, LakeSnapshotReader::Open(warehouse, table, columns));
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(auto batch, reader->Next());
    if (!batch) break;
    for (auto& r : *batch) {
      if (!visit(std::move(r))) return reader->info();
    }
  }
  return reader->info();
}

}  // namespace fluss::lake
