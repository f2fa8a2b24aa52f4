// Internal to the compacted row and key codecs: a list of field types, named by a schema's columns
// or by position.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "types/data_type.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::compacted_internal {

struct FieldList {
  const Schema* schema = nullptr;     // when set, the fields are its columns
  std::span<const DataType> types;    // otherwise these, named "#0", "#1", ...

  static FieldList Of(const Schema& s) { return FieldList{&s, {}}; }
  static FieldList Of(std::span<const DataType> t) { return FieldList{nullptr, t}; }

  size_t size() const { return schema != nullptr ? schema->num_columns() : types.size(); }
  const DataType& type(size_t i) const { return schema != nullptr ? schema->column(i).type : types[i]; }
  // The column name, or "#i" formatted into `scratch`.
  std::string_view name(size_t i, std::string* scratch) const;
};

// ValidateDatum of field i (text as given: TextCheck::kNone), formatting the field's name only when the
// value is invalid.
Status ValidateValue(const FieldList& fields, size_t i, const Datum& d);

// A string/bytes value must fit Java's int length.
Status CheckLength(size_t n, std::string_view column);

}  // namespace fluss::compacted_internal
