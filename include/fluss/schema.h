// Schema: columns with stable ids (ids survive schema evolution: a new column gets highest id + 1),
// and an optional primary key. Primary-key columns are NOT NULL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fluss/data_type.h"
#include "fluss/status.h"

namespace fluss {

namespace internal {
struct SchemaJson;
}  // namespace internal

struct Column {
  std::string name;
  DataType type;
  int32_t id = -1;  // -1: assigned by Schema::Make
  std::string comment;
  bool operator==(const Column&) const = default;
};

class Schema {
 public:
  Schema() = default;

  // Validates (non-empty, unique names, valid types, primary-key columns exist and are unique) and
  // assigns ids to columns with id -1, in order after the highest given id. Primary-key columns are
  // made NOT NULL.
  static Result<Schema> Make(std::vector<Column> columns, std::vector<std::string> primary_key = {});

  const std::vector<Column>& columns() const { return columns_; }
  size_t num_columns() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  const std::vector<std::string>& primary_key() const { return primary_key_; }
  bool has_primary_key() const { return !primary_key_.empty(); }
  // Indexes of the primary-key columns, in key order.
  std::vector<size_t> primary_key_indexes() const;
  int32_t highest_field_id() const { return highest_field_id_; }
  std::optional<size_t> IndexOf(std::string_view name) const;
  std::vector<std::string> column_names() const;

  // Schema evolution: appends a nullable column with id highest_field_id + 1.
  Result<Schema> AddColumn(std::string name, DataType type, std::string comment = "") const;
  // The schema of the given columns, in the given order (ids kept, primary key dropped).
  Result<Schema> Project(const std::vector<size_t>& indexes) const;

  // DSL form, parseable by ParseSchema: "id INT NOT NULL, name STRING, PRIMARY KEY (id)".
  std::string ToString() const;

  bool operator==(const Schema&) const = default;

 private:
  // Fluss's JSON form of a schema (metadata and the wire) is internal to fluss-cpp.
  friend struct internal::SchemaJson;
  std::vector<Column> columns_;
  std::vector<std::string> primary_key_;
  int32_t highest_field_id_ = -1;
};

}  // namespace fluss
