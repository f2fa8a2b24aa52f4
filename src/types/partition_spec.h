// Partition names exactly as Apache Fluss makes them (its ResolvedPartitionSpec, PartitionUtils and
// PartitionNameConverters): the text of each partition-key value, the name (values joined by '$'),
// the qualified name ("k1=v1/k2=v2"), and the checks of a value and of a spec. The public part
// (PartitionSpec, PartitionInfo) is include/fluss/partition.h. Clients must produce these strings
// byte for byte to address a partition that another client created.
//
// Errors are PARTITION_SPEC_INVALID (Fluss's InvalidPartitionException) with upstream's reasons:
// "The partition value $1 is invalid: '$1' contains one or more characters other than ASCII
// alphanumerics, '_' and '-'".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fluss/partition.h"
#include "fluss/row.h"
#include "types/schema.h"
#include "types/table_path.h"

namespace fluss {

inline constexpr char kPartitionSeparator = '$';
inline constexpr size_t kMaxPartitionValueLength = 200;
// The value of the system partition that upstream's historical-partition lookups use; reserved.
inline constexpr std::string_view kHistoricalPartitionValue = "__historical__";

// Checks one value: 1..200 characters of [A-Za-z0-9_-], not "." or ".."; when `is_create`, also no
// "__" prefix (reserved for the system's partitions; an existing one may still be named).
Status ValidatePartitionValue(std::string_view value, bool is_create);

// Checks a stored partition name: each '$'-separated value passes ValidatePartitionValue(is_create =
// false). Such a name is safe as a file or znode name.
Status ValidatePartitionName(std::string_view name);

// The text of a partition-key value (upstream's convertValueOfType): CHAR/STRING as they are;
// BOOLEAN "true"/"false"; integers in decimal; BINARY/BYTES lower-case hex; FLOAT/DOUBLE as Java's
// Float/Double.toString (the shortest digits that read back to the value; plain from 1e-3 to 1e7,
// else like "1.0E10") with '.' replaced by '_', and "NaN", "Inf", "-Inf"; DATE "yyyy-MM-dd"; TIME
// "HH-mm-ss_SSS"; TIMESTAMP and TIMESTAMP_LTZ (as UTC) "yyyy-MM-dd-HH-mm-ss_" and the nanoseconds of
// the second without trailing zeros (nothing after '_' when they are 0). The text is not checked
// (ValidatePartitionValue). Errors: a null value, a type that cannot be a partition key, a Datum of
// the wrong kind (PARTITION_SPEC_INVALID naming `column`).
Result<std::string> PartitionValueToString(const Datum& value, const DataType& type, std::string_view column);

// The values of a partition, in partition-key order.
class ResolvedPartitionSpec {
 public:
  ResolvedPartitionSpec() = default;
  // REQUIRES: keys.size() == values.size().
  ResolvedPartitionSpec(std::vector<std::string> keys, std::vector<std::string> values);

  // A full spec for `table` (upstream's validatePartitionSpec): exactly the partition keys, each
  // value valid (ValidatePartitionValue with `is_create`), reordered into key order.
  static Result<ResolvedPartitionSpec> FromSpec(const TablePath& table, const std::vector<std::string>& keys,
                                                const PartitionSpec& spec, bool is_create);
  // A partial spec: some of the partition keys (any order in, key order out), values not checked.
  // A key that is not a partition key is an error naming it.
  static Result<ResolvedPartitionSpec> FromPartialSpec(const TablePath& table, const std::vector<std::string>& keys,
                                                       const PartitionSpec& spec);
  // The spec of a stored partition name: the name split at '$'; the number of values must be the
  // number of keys.
  static Result<ResolvedPartitionSpec> FromName(const std::vector<std::string>& keys, std::string_view name);
  // The partition of `row` (upstream's PartitionGetter): each partition-key column's value as text,
  // checked with ValidatePartitionValue(is_create = true). Errors name the column.
  static Result<ResolvedPartitionSpec> FromRow(const Schema& schema, const std::vector<std::string>& keys,
                                               const GenericRow& row);

  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<std::string>& values() const { return values_; }
  // "v1$v2".
  std::string Name() const;
  // "k1=v1/k2=v2".
  std::string QualifiedName() const;
  // Whether every key of `partial` has the same value here (an empty partial spec matches all).
  bool Matches(const ResolvedPartitionSpec& partial) const;
  PartitionInfo ToInfo(int64_t partition_id) const;

  bool operator==(const ResolvedPartitionSpec&) const = default;

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> values_;
};

}  // namespace fluss
