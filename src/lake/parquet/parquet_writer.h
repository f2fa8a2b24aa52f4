// ParquetWriter: writes one Parquet file from a Fluss schema and rows (docs/formats/parquet.md).
//
//   FLUSS_ASSIGN_OR_RETURN(auto w, ParquetWriter::Make(schema, options));   // in memory
//   FLUSS_RETURN_NOT_OK(w->Write(row)); ...
//   FLUSS_ASSIGN_OR_RETURN(std::vector<uint8_t> file, w->Finish());
//
// or ParquetWriter::Open(path, ...) to stream row groups to a file (Finish returns no bytes then, and
// the file is fsynced when it returns; its directory entry is the caller's to sync).
// Rows are buffered per row group, column by column in their Parquet physical form (no per-value
// objects); a row group is written when it reaches row_group_max_rows or about row_group_max_bytes
// of plain-encoded values, and on Finish. WriteColumns appends rows from Arrow-layout columns (a
// decoded log batch) without building rows; the file is the same as writing those rows one by one.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "fs/file_system.h"
#include "lake/parquet/parquet_metadata.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::arrow {
struct ColumnVector;
}

namespace fluss::parquet {

struct ParquetWriterOptions {
  Codec compression = Codec::kZstd;  // kUncompressed, kSnappy or kZstd
  int zstd_level = 3;
  int64_t row_group_max_rows = 1'000'000;
  int64_t row_group_max_bytes = 128ll << 20;  // estimated from plain-encoded values
  int64_t page_max_bytes = 1ll << 20;          // a data page closes once its values reach this
  // Dictionary encoding for STRING/CHAR/BINARY/BYTES chunks when it is smaller than PLAIN and the
  // dictionary page (plain-encoded) stays within dictionary_max_bytes; otherwise the chunk is PLAIN.
  bool dictionary = true;
  int64_t dictionary_max_bytes = 1ll << 20;
  std::vector<KeyValue> key_value_metadata;
  std::string created_by = "fluss-cpp parquet writer";
};

class ParquetWriter {
 public:
  // Validates the schema and options; the file is built in memory and returned by Finish().
  static Result<std::unique_ptr<ParquetWriter>> Make(Schema schema, ParquetWriterOptions options = {});
  // As Make, but writes to `path` (created or truncated) through `fs` as row groups complete;
  // Finish syncs and closes the file.
  static Result<std::unique_ptr<ParquetWriter>> Open(const std::string& path, Schema schema,
                                                     ParquetWriterOptions options = {},
                                                     FileSystem& fs = FileSystem::Local());
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Checks the row against the schema (arity, value types, nulls only in nullable columns).
  Status Write(const GenericRow& row);
  Status Write(std::span<const GenericRow> rows);
  // Rows [begin, end) of `columns`, one per schema column in schema order, each of the schema
  // column's type (nullability aside: a nullable vector may feed a NOT NULL column if the rows
  // written hold no null) and passing ColumnVector::Validate (checked). Same file as Write of those rows.
  // A column or value that fails the checks fails the call before anything of it is written.
  Status WriteColumns(std::span<const arrow::ColumnVector* const> columns, size_t begin, size_t end);

  // Writes the pending row group and the footer. Returns the file (empty when writing to a path).
  // The writer accepts nothing after Finish.
  Result<std::vector<uint8_t>> Finish();

  const Schema& schema() const { return schema_; }
  // The footer as written (valid after Finish; row groups so far before it).
  const FileMetaData& metadata() const { return metadata_; }
  // Bytes written so far (the whole file size after Finish).
  int64_t bytes_written() const { return offset_; }
  int64_t rows_written() const { return metadata_.num_rows + pending_rows_; }
  // Per column, the NaN values written so far (FLOAT/DOUBLE; 0 for other columns). Parquet
  // statistics carry no NaN count; Iceberg manifests do (nan_value_counts).
  const std::vector<int64_t>& nan_counts() const { return nan_counts_; }

 private:
  struct ColumnBuffer;  // one column's values of the pending row group

  ParquetWriter(Schema schema, ParquetWriterOptions options, std::vector<SchemaElement> leaves);
  Status AppendColumnRange(size_t column, const arrow::ColumnVector& v, size_t begin, size_t end);
  Status FlushRowGroup();
  Status Emit(std::span<const uint8_t> bytes);
  Status WriteColumnChunk(size_t column, ColumnChunk* chunk);

  Schema schema_;
  ParquetWriterOptions options_;
  std::vector<SchemaElement> elements_;  // root + leaves
  FileMetaData metadata_;
  std::vector<ColumnBuffer> buffers_;  // per column
  int64_t pending_rows_ = 0;
  int64_t pending_bytes_ = 0;
  std::vector<int64_t> nan_counts_;
  std::vector<uint8_t> out_;  // file bytes (in memory) or the row group not yet flushed to file_
  std::unique_ptr<WritableFile> file_;
  int64_t offset_ = 0;  // file offset of out_[0] + out_.size()
  bool finished_ = false;
};

// Convenience: one file from `rows`.
Result<std::vector<uint8_t>> WriteParquet(const Schema& schema, std::span<const GenericRow> rows,
                                          ParquetWriterOptions options = {});

}  // namespace fluss::parquet
