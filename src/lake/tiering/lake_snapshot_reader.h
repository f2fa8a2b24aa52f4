// Reads a table's lake snapshot: every row of the Iceberg table's current snapshot, and — from the
// same snapshot — the log offset per bucket it holds rows up to. A union read serves these rows and
// then each bucket's log from that offset on: every row once, with no gap (docs/lake.md).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss/client.h"

namespace fluss::lake {

struct LakeSnapshotInfo {
  int64_t snapshot_id = -1;            // -1: no snapshot yet (no rows; offsets all 0)
  std::map<int32_t, int64_t> offsets;  // per bucket: the first offset not in the snapshot
  int64_t rows = 0;
};

// Calls `visit` with every row of the snapshot as a ScanRecord (bucket, offset, timestamp from the
// system columns; change type +A; the row has the table's columns, or `columns` in that order).
// `visit` returns false to stop early. Errors: a data file that does not read, columns not in the
// table, a snapshot without Fluss's offsets.
Result<LakeSnapshotInfo> ReadLakeSnapshot(const std::string& warehouse, const TableInfo& table,
                                          const std::vector<std::string>& columns,
                                          const std::function<bool(ScanRecord&&)>& visit);

}  // namespace fluss::lake
