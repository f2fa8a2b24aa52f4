#include "format/compacted_key.h"

#include <fmt/format.h>

#include <climits>
#include <string>

#include "format/compacted_fields_internal.h"
#include "format/compacted_row.h"

namespace fluss {
namespace {

// Key field k: its type and name, whether given by schema + indexes or by a type list.
struct KeyFields {
  const Schema* schema = nullptr;
  std::span<const size_t> indexes;
  std::span<const DataType> types;

  size_t size() const { return schema != nullptr ? indexes.size() : types.size(); }
  const DataType& type(size_t k) const { return schema != nullptr ? schema->column(indexes[k]).type : types[k]; }
  std::string_view name(size_t k, std::string* scratch) const {
    if (schema != nullptr) return schema->column(indexes[k]).name;
    *scratch = fmt::format("#{}", k);
    return *scratch;
  }
};

Status CheckIndexes(const Schema& schema, std::span<const size_t> key_indexes) {
  if (key_indexes.empty()) return Status::Invalid("compacted key: no key columns");
  for (size_t idx : key_indexes) {
    if (idx >= schema.num_columns()) {
      return Status::Invalid(
          fmt::format("compacted key: key column index {} is out of range for {} columns", idx, schema.num_columns()));
    }
  }
  return Status::OK();
}

// `value(k)` gives the Datum of key field k.
template <typename ValueAt>
Result<std::vector<uint8_t>> EncodeKey(const KeyFields& fields, ValueAt value) {
  std::string scratch;
  for (size_t k = 0; k < fields.size(); ++k) {
    const Datum& d = value(k);
    const DataType& type = fields.type(k);
    if (std::holds_alternative<std::monostate>(d)) {
      return Status::Invalid(
          fmt::format("key column '{}' is null: key columns must not be null", fields.name(k, &scratch)));
    }
    if (!ValidateDatum(d, type, {}, TextCheck::kNone).ok()) {
      return ValidateDatum(d, type, fields.name(k, &scratch), TextCheck::kNone);
    }
    if (const auto* s = std::get_if<std::string>(&d); s != nullptr && s->size() > static_cast<size_t>(INT32_MAX)) {
      return compacted_internal::CheckLength(s->size(), fields.name(k, &scratch));
    }
  }
  std::vector<uint8_t> out;
  for (size_t k = 0; k < fields.size(); ++k) compacted::AppendField(fields.type(k), value(k), &out);
  return out;
}

Result<GenericRow> DecodeKey(const KeyFields& fields, std::span<const uint8_t> key) {
  GenericRow row(fields.size());
  size_t pos = 0;
  std::string scratch;
  for (size_t k = 0; k < fields.size(); ++k) {
    FLUSS_ASSIGN_OR_RETURN(Datum d, compacted::ReadField(fields.type(k), key, &pos, fields.name(k, &scratch)));
    row.SetField(k, std::move(d));
  }
  if (pos != key.size()) {
    return Status::Corruption(
        fmt::format("compacted key: {} trailing bytes after the last key column (key ends at byte {})",
                    key.size() - pos, pos));
  }
  return row;
}

}  // namespace

Result<std::vector<uint8_t>> EncodeCompactedKey(const Schema& schema, std::span<const size_t> key_indexes,
                                                const GenericRow& row) {
  FLUSS_RETURN_NOT_OK(CheckIndexes(schema, key_indexes));
  if (row.arity() != schema.num_columns()) {
    return Status::Invalid(
        fmt::format("compacted key: the row has {} fields, the schema {} columns", row.arity(), schema.num_columns()));
  }
  KeyFields fields{&schema, key_indexes, {}};
  return EncodeKey(fields, [&](size_t k) -> const Datum& { return row.field(key_indexes[k]); });
}

Result<std::vector<uint8_t>> EncodeCompactedKey(std::span<const DataType> key_types, const GenericRow& key_row) {
  if (key_types.empty()) return Status::Invalid("compacted key: no key columns");
  if (key_row.arity() != key_types.size()) {
    return Status::Invalid(
        fmt::format("compacted key: the key row has {} fields, the key {} columns", key_row.arity(), key_types.size()));
  }
  KeyFields fields{nullptr, {}, key_types};
  return EncodeKey(fields, [&](size_t k) -> const Datum& { return key_row.field(k); });
}

Result<GenericRow> DecodeCompactedKey(const Schema& schema, std::span<const size_t> key_indexes,
                                      std::span<const uint8_t> key) {
  FLUSS_RETURN_NOT_OK(CheckIndexes(schema, key_indexes));
  return DecodeKey(KeyFields{&schema, key_indexes, {}}, key);
}

Result<GenericRow> DecodeCompactedKey(std::span<const DataType> key_types, std::span<const uint8_t> key) {
  if (key_types.empty()) return Status::Invalid("compacted key: no key columns");
  return DecodeKey(KeyFields{nullptr, {}, key_types}, key);
}

}  // namespace fluss
