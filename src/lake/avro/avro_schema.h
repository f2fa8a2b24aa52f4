// AvroSchema: an Avro 1.11 schema parsed from its JSON form. Every attribute the model does not
// interpret (field-id, element-id, key-id, value-id, default, doc, ...) is kept, and the original JSON
// text is kept verbatim so a container file can embed it exactly as given (Iceberg reads field ids
// from it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace fluss::avro {

enum class AvroType : uint8_t {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed,
};

std::string_view AvroTypeName(AvroType t);

struct AvroNode;
using AvroNodePtr = std::shared_ptr<const AvroNode>;

struct AvroField {
  std::string name;
  AvroNodePtr type;
  nlohmann::json attrs;  // every key of the field object except "name" and "type" (field-id, default, doc)

  // attrs["field-id"] if present and an integer.
  std::optional<int64_t> field_id() const;
};

// One node of the schema tree. A named type (record, enum, fixed) referenced again by name points to
// the same node.
struct AvroNode {
  AvroType type = AvroType::kNull;
  std::string name;       // full name of record / enum / fixed
  std::string logical_type;  // "decimal", "date", "timestamp-micros", "map", ... or empty
  std::vector<AvroField> fields;         // record
  std::vector<std::string> symbols;      // enum
  AvroNodePtr items;                     // array
  AvroNodePtr values;                    // map
  std::vector<AvroNodePtr> branches;     // union
  int64_t fixed_size = 0;                // fixed
  nlohmann::json attrs;  // keys of a complex type's object besides the structural ones

  // Index of the record field named `name`.
  std::optional<size_t> FieldIndex(std::string_view name) const;
  // For a union: index of the "null" branch, if any.
  std::optional<size_t> NullBranch() const;
};

class AvroSchema {
 public:
  // Parses and validates (names, duplicate fields, unions without nested unions or duplicate
  // unnamed types, fixed sizes, references to defined names).
  static Result<AvroSchema> Parse(std::string_view json_text);

  const AvroNode& root() const { return *root_; }
  const AvroNodePtr& root_ptr() const { return root_; }
  // The JSON text exactly as given to Parse.
  const std::string& json_text() const { return json_text_; }

 private:
  AvroNodePtr root_;
  std::string json_text_;
};

}  // namespace fluss::avro
