// A Fluss Schema as an Iceberg schema (table spec "Schemas and Data Types"): a struct whose fields
// carry the Fluss column ids as Iceberg field ids, `required` = NOT NULL.
//
//   BOOLEAN -> boolean          TINYINT/SMALLINT/INT -> int     BIGINT -> long
//   FLOAT -> float              DOUBLE -> double                DECIMAL(p,s) -> decimal(p,s)
//   CHAR/STRING -> string       BINARY(n) -> fixed[n]           BYTES -> binary
//   DATE -> date                TIME(p) -> time (microseconds)  TIMESTAMP(p) -> timestamp
//   TIMESTAMP_LTZ(p) -> timestamptz
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "types/schema.h"

namespace fluss::iceberg {

// The Iceberg primitive type name of a Fluss type ("long", "decimal(10, 2)", "fixed[16]").
Result<std::string> IcebergTypeName(const DataType& type);

// {"type":"struct","schema-id":N,"fields":[{"id","name","required","type"[,"doc"]}], ...}. The
// primary key, if any, becomes "identifier-field-ids". Errors for ids < 0.
Result<nlohmann::json> IcebergSchemaJson(const Schema& schema, int32_t schema_id);

// The highest field id of an Iceberg schema JSON (nested fields are not produced here).
int32_t HighestFieldId(const nlohmann::json& iceberg_schema);

}  // namespace fluss::iceberg
