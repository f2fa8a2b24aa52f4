// Fluss types <-> Parquet schema elements (docs/formats/parquet.md §2). A Fluss schema becomes a flat
// Parquet schema: a root group named "schema", then one primitive leaf per column, REQUIRED for NOT
// NULL columns and OPTIONAL otherwise, with the column id as field_id (Iceberg's column identity).
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "lake/parquet/parquet_metadata.h"
#include "types/schema.h"

namespace fluss::parquet {

// Bytes of the FIXED_LEN_BYTE_ARRAY holding a DECIMAL of `precision` digits (two's complement,
// big-endian): the smallest n with 2^(8n-1) > 10^precision.
int DecimalByteWidth(int precision);

// The leaf for one Fluss column. Errors on types Parquet output does not cover (none today).
Result<SchemaElement> ToParquetLeaf(const Column& column);

// The whole schema list: root, then leaves in column order.
Result<std::vector<SchemaElement>> ToParquetSchema(const Schema& schema);

// The Fluss schema of a flat Parquet schema: root with num_children leaves, each REQUIRED or
// OPTIONAL. Column ids from field_id (missing ids are assigned after the highest given one). Type
// mapping per docs/formats/parquet.md §5; nested groups, REPEATED, INT96, unsigned integers and
// unknown logical types are NotSupported.
Result<Schema> FromParquetSchema(const std::vector<SchemaElement>& elements);

}  // namespace fluss::parquet
