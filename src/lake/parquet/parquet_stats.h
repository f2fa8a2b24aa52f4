// Per-column statistics of a whole Parquet file, merged from its row groups' column-chunk
// statistics: what an Iceberg manifest entry records for a data file (column sizes, value and null
// counts, lower and upper bounds), keyed by field id.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/status.h"
#include "lake/parquet/parquet_metadata.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::parquet {

struct ColumnFileStats {
  int32_t field_id = -1;                // the column id (-1 if the file has none)
  int64_t column_size = 0;              // sum of the chunks' total_compressed_size
  int64_t value_count = 0;              // values including nulls (= rows for flat columns)
  std::optional<int64_t> null_count;    // unknown when a chunk has no null_count
  // Bounds over all non-null values, as Fluss Datums of the column's type in `schema`; unknown when
  // a chunk with non-null values has no min_value/max_value (e.g. strings over 4 KiB), or when every
  // value is null.
  std::optional<Datum> min;
  std::optional<Datum> max;
};

// One entry per column of `schema` (the file's schema, from FromParquetSchema / ParquetReader::schema).
// Errors when the metadata and schema disagree or a statistic does not decode.
Result<std::vector<ColumnFileStats>> FileColumnStats(const FileMetaData& metadata, const Schema& schema);

// Orders two non-null Datums of the same Fluss type the way Parquet orders their column: numbers and
// decimals numerically, strings and bytes as unsigned bytes, timestamps by instant. <0, 0 or >0.
int CompareDatums(const Datum& a, const Datum& b);

}  // namespace fluss::parquet
