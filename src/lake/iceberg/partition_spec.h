// Iceberg partition specs (table spec "Partitioning", "Partition Transforms"): how a table's rows
// are grouped into partitions, and the partition tuple of a data file. Fluss tiers a partitioned
// table into an Iceberg table with an `identity` spec on its partition keys: a partition field per
// key, named as the key, with field ids from 1000 (the spec's first partition field id), and each
// data file holds the rows of one partition.
//
// In metadata.json a spec is {"spec-id": N, "fields": [{"name", "transform", "source-id",
// "field-id"}]}; a manifest repeats its spec's "fields" array in the header key "partition-spec"
// and the id in "partition-spec-id", and its entries carry the tuple as the struct
// `data_file.partition` (field 102) whose fields are the partition fields, by their field ids, each
// optional. Identity partition values have the source column's Iceberg type and its Avro encoding:
// boolean, int (also date: days), long (also time: µs of day, timestamp/timestamptz: µs), float,
// double, string, bytes (binary), fixed[n].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "fluss/row.h"
#include "lake/avro/avro_value.h"
#include "types/schema.h"

namespace fluss::iceberg {

// The spec's "partition field ids start at 1000" (last-partition-id of a table without any: 999).
inline constexpr int32_t kFirstPartitionFieldId = 1000;

struct PartitionField {
  int32_t source_id = 0;  // the field id of the source column in the table schema
  int32_t field_id = 0;   // >= 1000, unique across the table's specs
  std::string name;
  std::string transform = "identity";

  bool operator==(const PartitionField&) const = default;
};

struct PartitionSpec {
  int32_t spec_id = 0;
  std::vector<PartitionField> fields;  // empty: unpartitioned

  bool unpartitioned() const { return fields.empty(); }
  // The highest partition field id (kFirstPartitionFieldId - 1 when there is none).
  int32_t HighestFieldId() const;
  // Whether both specs partition the same way (same source ids, names, transforms, in order); spec
  // and field ids may differ.
  bool SamePartitioning(const PartitionSpec& other) const;

  // {"spec-id": N, "fields": [...]}.
  nlohmann::json ToJson() const;
  // The "fields" array alone (a manifest's "partition-spec" header value).
  nlohmann::json FieldsJson() const;
  // Parses a spec object; checks the field members and their types, names and field ids unique,
  // field ids >= 1000. Any transform name is kept (only "identity" is written here).
  static Result<PartitionSpec> FromJson(const nlohmann::json& j);
  // Parses a "fields" array (a manifest header) as the spec `spec_id`.
  static Result<PartitionSpec> FromFieldsJson(const nlohmann::json& fields, int32_t spec_id);

  // An identity spec on `columns` of `schema` (each must be a column with an id; partition field
  // names are the column names), with field ids first_field_id, first_field_id + 1, ...
  static Result<PartitionSpec> Identity(const Schema& schema, const std::vector<std::string>& columns,
                                        int32_t spec_id, int32_t first_field_id = kFirstPartitionFieldId);

  bool operator==(const PartitionSpec&) const = default;
};

// A data file's partition tuple: one value per field of its spec, in the spec's order; a null value
// is AvroValue::Null(). Empty for an unpartitioned spec.
using PartitionTuple = std::vector<avro::AvroValue>;

// The Iceberg type (a primitive type name as in schemas: "int", "string", "fixed[16]", ...) of each
// partition field of `spec`, given the table schema JSON (iceberg_schema.h). Only identity
// transforms are supported; a source id the schema does not have is an error naming the field.
Result<std::vector<std::string>> PartitionFieldTypes(const PartitionSpec& spec, const nlohmann::json& table_schema);

// The Avro schema (JSON) of `data_file.partition`: record "r102" with one optional field per
// partition field, named as it and carrying its field id.
Result<nlohmann::ordered_json> PartitionStructAvroSchema(const PartitionSpec& spec,
                                                         const std::vector<std::string>& field_types);

// Checks that `tuple` fits `field_types` (one value per field, each null or of the Avro kind of its
// type; fixed[n] exactly n bytes). Errors name `what` and the field.
Status CheckPartitionTuple(const PartitionTuple& tuple, const std::vector<std::string>& field_types,
                           std::string_view what);

// The identity partition value of a Fluss value of `type` (a partition-key type): null stays null;
// TINYINT/SMALLINT/INT/DATE int; BIGINT long; TIME (ms of day) long µs; TIMESTAMP(_LTZ) long µs
// (nanoseconds below the µs dropped); CHAR/STRING string; BYTES bytes; BINARY fixed; BOOLEAN,
// FLOAT, DOUBLE as they are. A Datum of the wrong kind or another type is an error naming `column`.
Result<avro::AvroValue> IdentityPartitionValue(const Datum& value, const DataType& type, std::string_view column);

// Iceberg's binary single-value serialization of a partition value (single_value.h; date as int,
// time and timestamps as long, fixed and binary as their bytes); nullopt for a null value.
std::optional<std::vector<uint8_t>> SerializePartitionValue(const avro::AvroValue& value);

}  // namespace fluss::iceberg
