#include "lake/tiering/lake_snapshot_reader.h"

#include <filesystem>

#include <fmt/format.h>

#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_reader.h"
#include "lake/tiering/lake_tiering.h"

namespace fluss::lake {

Result<LakeSnapshotInfo> ReadLakeSnapshot(const std::string& warehouse, const TableInfo& table,
                                          const std::vector<std::string>& columns,
                                          const std::function<bool(ScanRecord&&)>& visit) {
  LakeSnapshotInfo info;
  for (int32_t b = 0; b < table.num_buckets; ++b) info.offsets[b] = 0;
  const Schema& schema = table.schema();
  std::vector<size_t> picked;
  if (columns.empty()) {
    for (size_t i = 0; i < schema.num_columns(); ++i) picked.push_back(i);
  } else {
    for (const auto& name : columns) {
      auto idx = schema.IndexOf(name);
      if (!idx) {
        return Status(ErrorCode::kInvalidColumnProjection,
                      fmt::format("'{}' is not a column of '{}'", name, table.path.ToString()));
      }
      picked.push_back(*idx);
    }
  }
  const std::string dir = LakeTableDir(warehouse, table.path);
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/metadata", ec)) return info;
  // Offsets and files from one loaded version of the table, so they describe the same snapshot.
  FLUSS_ASSIGN_OR_RETURN(auto lake, iceberg::IcebergTable::Open(dir));
  FLUSS_ASSIGN_OR_RETURN(auto recorded, SnapshotOffsets(lake, table.num_buckets));
  if (recorded.second < 0) return info;
  info.snapshot_id = recorded.second;
  info.offsets = std::move(recorded.first);
  // The lake file's columns: the table's, then __bucket, __offset, __timestamp.
  const size_t n = schema.num_columns();
  std::vector<size_t> read = picked;
  read.push_back(n);
  read.push_back(n + 1);
  read.push_back(n + 2);
  FLUSS_ASSIGN_OR_RETURN(auto entries, lake.ListDataFiles());
  for (const auto& e : entries) {
    FLUSS_ASSIGN_OR_RETURN(auto path, iceberg::IcebergTable::LocalPath(e.data_file.file_path));
    FLUSS_ASSIGN_OR_RETURN(auto reader, parquet::ParquetReader::OpenFile(path));
    if (reader->schema().num_columns() != n + 3) {
      return Status::Corruption(fmt::format("lake file '{}' has {} columns; the table and its system columns are {}",
                                            path, reader->schema().num_columns(), n + 3));
    }
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      FLUSS_ASSIGN_OR_RETURN(auto rows, reader->ReadRowGroup(g, read));
      for (auto& row : rows) {
        ScanRecord r;
        r.bucket = row.GetInt(picked.size());
        r.offset = row.GetBigInt(picked.size() + 1);
        r.timestamp = row.GetTimestamp(picked.size() + 2).millis;
        GenericRow out(picked.size());
        for (size_t c = 0; c < picked.size(); ++c) out.SetField(c, row.field(c));
        r.row = std::move(out);
        ++info.rows;
        if (!visit(std::move(r))) return info;
      }
    }
  }
  return info;
}

}  // namespace fluss::lake
