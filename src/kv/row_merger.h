// RowMerger: how a primary-key table combines the row it has with a row written to the same key
// (`table.merge-engine`, reference/fluss.md §4.3), and what a delete does (`table.delete.behavior`).
//
//   default (unset)  the written row wins; partial update (target columns) keeps the others
//   first_row        the first row of a key stays; later writes are ignored (insert-only changelog)
//   versioned        the row with the larger `table.merge-engine.versioned.ver-column` wins (ties:
//                    the written row); a NULL version is an error
//   aggregation      per non-key column `fields.<col>.agg` = sum | product | min | max | count |
//                    last_value | last_value_ignore_nulls (default; alias last_non_null_value) |
//                    first_value | first_value_ignore_nulls (alias first_non_null_value) |
//                    bool_and | bool_or | listagg (`fields.<col>.listagg.delimiter`, default ",")
//
// Mergers work on decoded rows (GenericRow in schema order). They are stateless apart from their
// configuration and thread-compatible.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss {

enum class DeleteBehavior { kAllow, kIgnore, kDisable };

class RowMerger {
 public:
  virtual ~RowMerger() = default;

  // The row to store after `incoming` is written over `old` (nullptr: the key is new). Returning a
  // row equal to *old means "no change" (nothing is emitted). Errors name the column.
  virtual Result<GenericRow> Merge(const GenericRow* old, const GenericRow& incoming) const = 0;
  // A delete of the key holding `old` (only called under kAllow): nullopt removes the row; a row
  // is the result of a partial delete (stored and emitted as an update).
  virtual Result<std::optional<GenericRow>> Delete(const GenericRow& old) const = 0;
  DeleteBehavior delete_behavior() const { return delete_behavior_; }
  // "default", "first_row", "versioned", "aggregation".
  virtual std::string_view name() const = 0;

  // The table's merger, from its properties. `target_columns` (schema indexes, must hold every
  // key column) makes a partial-update merger; engines other than default and aggregation refuse
  // them. Errors: unknown engine or function, a function that does not fit its column's type, a
  // missing or unfit version column, a delete behavior the engine does not allow.
  static Result<std::unique_ptr<RowMerger>> Create(const Schema& schema,
                                                   const std::map<std::string, std::string>& properties,
                                                   std::optional<std::vector<size_t>> target_columns = std::nullopt);

 protected:
  DeleteBehavior delete_behavior_ = DeleteBehavior::kAllow;
};

// The table's delete behavior (`table.delete.behavior`: allow, ignore, disable), defaulting by
// engine: allow for default, ignore for the others.
Result<DeleteBehavior> ParseDeleteBehavior(const std::map<std::string, std::string>& properties,
                                           std::string_view engine);

}  // namespace fluss
