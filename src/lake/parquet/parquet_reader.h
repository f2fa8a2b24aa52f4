// ParquetReader: reads the Parquet files ParquetWriter writes (and others within the same subset:
// flat schemas, data pages V1, PLAIN / PLAIN_DICTIONARY / RLE_DICTIONARY, UNCOMPRESSED / SNAPPY /
// ZSTD; docs/formats/parquet.md §5). Every offset and length in the file is checked before use, so a
// corrupt or truncated file gives a Status (CORRUPT_RECORD, or UNSUPPORTED_VERSION for valid Parquet
// outside the subset), never a crash.
//
//   FLUSS_ASSIGN_OR_RETURN(auto r, ParquetReader::OpenFile(path));
//   for (int g = 0; g < r->num_row_groups(); ++g) {
//     FLUSS_ASSIGN_OR_RETURN(auto rows, r->ReadRowGroup(g, {0, 2}));   // columns 0 and 2 only
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"
#include "lake/parquet/parquet_metadata.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::parquet {

// The most rows a row group may declare: a reader bound (memory), far above what ParquetWriter writes.
inline constexpr int64_t kMaxRowGroupRows = int64_t{1} << 26;

class ParquetReader {
 public:
  // Checks "PAR1" at both ends and the footer length, decodes the footer and maps the schema.
  static Result<std::unique_ptr<ParquetReader>> Open(Buffer file);
  static Result<std::unique_ptr<ParquetReader>> OpenFile(const std::string& path);

  const FileMetaData& metadata() const { return metadata_; }
  // The Fluss schema of the file (column ids from field_id; see FromParquetSchema).
  const Schema& schema() const { return schema_; }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  int64_t num_rows() const { return metadata_.num_rows; }

  // Rows of row group `index` with the given columns (indexes into schema(), in that order; all
  // columns when nullopt). Only the chosen columns' chunks are read.
  Result<std::vector<GenericRow>> ReadRowGroup(int index,
                                               const std::optional<std::vector<size_t>>& columns = std::nullopt) const;
  // All row groups, in order.
  Result<std::vector<GenericRow>> ReadAll(const std::optional<std::vector<size_t>>& columns = std::nullopt) const;

  // The values of one column chunk (one Datum per row; std::monostate for null).
  Result<std::vector<Datum>> ReadColumn(int row_group, size_t column) const;
  // Same, into `out` (cleared first; its capacity is reused).
  Status ReadColumn(int row_group, size_t column, std::vector<Datum>* out) const;

 private:
  ParquetReader(Buffer file, FileMetaData metadata, Schema schema, size_t footer_start)
      : file_(std::move(file)), metadata_(std::move(metadata)), schema_(std::move(schema)), footer_start_(footer_start) {}
  Status ValidateRowGroups() const;

  Buffer file_;
  FileMetaData metadata_;
  Schema schema_;
  size_t footer_start_;  // column chunks must end before the footer
};

}  // namespace fluss::parquet
