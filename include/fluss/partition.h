// Partitions of a partitioned table (a table with partition keys, TableDescriptor::PartitionedBy):
// each partition holds the rows of one combination of partition-key values and has its own buckets.
//
// A partition is named by its values, each written as text the way Apache Fluss writes it
// (PartitionValueToString in the internal types/partition_spec.h): "2026-12-07", "eu", "42",
// "true", "0a1b" (bytes in hex), "5_73" (5.73). The partition name is the values in partition-key
// order joined by '$' ("2026-12-07$eu"); the qualified name adds the keys ("dt=2026-12-07/region=eu").
// A value is 1..200 characters of ASCII letters, digits, '_' and '-', and does not start with "__"
// (reserved for partitions the system makes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fluss/status.h"

namespace fluss {

// Partition key -> value (in its text form). A full spec names every partition key of the table; a
// partial spec (Admin::ListPartitionInfos) names some of them.
using PartitionSpec = std::map<std::string, std::string>;

struct PartitionInfo {
  int64_t partition_id = -1;   // unique in the cluster, never reused
  std::string partition_name;  // the values in partition-key order joined by '$'
  std::vector<std::pair<std::string, std::string>> spec;  // (key, value) in partition-key order

  // "k1=v1/k2=v2".
  std::string QualifiedName() const;
  bool operator==(const PartitionInfo&) const = default;
};

// Parses "dt=2026-12-07", or several pairs separated by '/' or ',' ("dt=2026-12-07/region=eu"), into
// a spec. Keys and values are taken as written (no quoting); a key given twice, an empty key or a
// pair without '=' is PARTITION_SPEC_INVALID naming the pair. The values are checked by the server.
Result<PartitionSpec> ParsePartitionSpec(std::string_view text);

}  // namespace fluss
