// TieredOffsetsProvider: how the server learns what the lake holds of a lake-enabled table, so that
// log retention deletes only what the lake already has (docs/lake.md, "Log retention").
//
// The server library knows nothing of lake formats: the composition root (fluss-server's main.cc)
// installs a provider that reads the lake (the Iceberg warehouse), and tests install fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "common/status.h"
#include "metadata/metadata_store.h"
#include "types/table_bucket.h"

namespace fluss {

// Per bucket of `table` — of the table, or of each of its partitions (the key's partition_id) — the
// first log offset not yet in the lake. A bucket the answer does not name holds everything (hold 0):
// every bucket of a table with no lake snapshot yet, and a partition the lake has not seen yet. An
// error (the lake cannot be read) makes retention keep every segment of the table until a later
// call succeeds. Called from the LogManager's retention pass, at most once per pass per table; must
// be thread-safe.
using TieredOffsetsProvider = std::function<Result<std::map<TableBucket, int64_t>>(const TableRecord& table)>;

}  // namespace fluss
