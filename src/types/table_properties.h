// Table properties: the `table.*` keys Apache Fluss defines (reference: its ConfigOptions), each with
// its type, range and the tables it applies to, and what fluss-cpp does with it. One validator for
// everyone: the server checks a table at creation (the authority) and the client checks it before
// sending, so a bad property is refused with the same message wherever it is caught.
//
// The rules (docs/configuration.md, "Table properties"):
// - `table.*` keys fluss-cpp implements are checked by type and range and for the kind of table
//   (a merge engine or delete behavior needs a primary key, ...);
// - `table.*` keys Fluss defines that fluss-cpp does not implement are checked by type too, then
//   accepted as upstream accepts them; the check lists them (the server logs a warning);
// - any other `table.*` key is an error, with a "did you mean" suggestion when one is near;
// - `fields.<column>.agg` and `fields.<column>.listagg.delimiter` (the aggregation merge engine's
//   per-column functions) must name a column and need table.merge-engine=aggregation;
// - any other key in the properties is an error: keys of one's own are custom properties
//   (TableDescriptor::CustomProperty), stored and returned as given and never checked.
// Errors are INVALID_CONFIG (Fluss's InvalidConfigException).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "types/table_descriptor.h"
#include "types/table_path.h"

namespace fluss {

struct TablePropertyCheck {
  // The properties given that Fluss defines and fluss-cpp accepts without acting on them, sorted.
  std::vector<std::string> not_implemented;
};

// Checks every property of `descriptor` as above. Error: INVALID_CONFIG "table property
// 'table.log.ttl': 'abc' is not a duration (e.g. 7d, 12h, 30min, 500ms)".
Result<TablePropertyCheck> CheckTableProperties(const TableDescriptor& descriptor);

// CheckTableProperties for creating `path`: the message is "cannot create 'db.t': <reason>".
Result<TablePropertyCheck> CheckTablePropertiesForCreate(const TablePath& path, const TableDescriptor& descriptor);

// True for every `table.*` key Apache Fluss defines (implemented by fluss-cpp or not).
bool IsUpstreamTableProperty(std::string_view key);
// The `table.*` keys Fluss defines that fluss-cpp does not act on.
const std::vector<std::string_view>& NotImplementedTableProperties();

}  // namespace fluss
