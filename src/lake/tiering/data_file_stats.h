// Iceberg column statistics of a data file from its Parquet footer (Iceberg table spec, "Manifests",
// data_file fields 108-110, 137, 125, 128), keyed by Iceberg field id (= Fluss column id):
//
//   column_sizes       the column chunks' total_compressed_size, summed over row groups
//   value_counts       values including nulls and NaNs (= rows: lake columns are flat)
//   null_value_counts  the chunks' null_count, summed (absent when a chunk has none)
//   nan_value_counts   FLOAT/DOUBLE columns only, counted by the writer (Parquet has no NaN count)
//   lower/upper_bounds single-value serialization (iceberg/single_value.h) of the file's min/max
//                      over non-null, non-NaN values; absent when every value is null or NaN, or the
//                      Parquet statistics have none (byte arrays over 4 KiB).
//
// Bounds per type: BOOLEAN 1 byte; TINYINT/SMALLINT/INT/DATE int; BIGINT long; FLOAT/DOUBLE IEEE
// (a zero minimum is -0.0, a zero maximum +0.0, as Parquet writes them); DECIMAL unscaled two's
// complement big-endian; TIME µs (Fluss ms x 1000); TIMESTAMP/TIMESTAMP_LTZ µs, the lower bound
// rounded down and the upper bound up; BINARY(n) the n bytes. STRING/CHAR bounds keep at most
// `truncate_length` code points and BYTES bounds at most that many bytes (Iceberg's default metrics
// mode truncate(16)): a truncated lower bound is the prefix; a truncated upper bound is the prefix
// with its last code point (byte) incremented, dropping trailing ones that cannot be, and is left
// out when none can. Strings that are not valid UTF-8 get no bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "lake/iceberg/manifest.h"
#include "lake/parquet/parquet_metadata.h"
#include "types/schema.h"

namespace fluss::lake {

inline constexpr size_t kBoundTruncateLength = 16;

// Sets `file`'s six statistics maps (replacing what they held) from the footer `metadata` of a
// Parquet file written with `schema` (the lake schema, incl. the system columns). `nan_counts` is
// one count per column (ParquetWriter::nan_counts()), or empty when unknown (no nan_value_counts
// then). Errors when footer, schema and counts disagree or a statistic does not decode.
Status FillDataFileStats(const parquet::FileMetaData& metadata, const Schema& schema,
                         std::span<const int64_t> nan_counts, iceberg::DataFile* file,
                         size_t truncate_length = kBoundTruncateLength);

// The truncation rules above (exposed for tests). nullopt: invalid UTF-8, or no upper bound exists.
std::optional<std::string> TruncateStringLower(std::string_view utf8, size_t code_points);
std::optional<std::string> TruncateStringUpper(std::string_view utf8, size_t code_points);
std::string TruncateBinaryLower(std::string_view bytes, size_t length);
std::optional<std::string> TruncateBinaryUpper(std::string_view bytes, size_t length);

}  // namespace fluss::lake
