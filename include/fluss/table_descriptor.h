// TableDescriptor: what a user asks for when creating a table (schema, distribution, partitioning,
// options).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fluss/schema.h"
#include "fluss/status.h"

namespace fluss {

namespace internal {
struct TableDescriptorJson;
}  // namespace internal

// The types a partition key may have (upstream Fluss's PARTITION_KEY_SUPPORTED_TYPES): CHAR, STRING,
// BOOLEAN, BINARY, BYTES, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DATE, TIME, TIMESTAMP and
// TIMESTAMP_LTZ; not DECIMAL.
bool IsPartitionKeyType(TypeRoot root);

class TableDescriptor {
 public:
  static constexpr int kMaxBucketCount = 4096;

  TableDescriptor() = default;
  explicit TableDescriptor(Schema schema) : schema_(std::move(schema)) {}

  // Builder-style setters.
  TableDescriptor& DistributedBy(std::optional<int> bucket_count, std::vector<std::string> bucket_keys = {});
  TableDescriptor& PartitionedBy(std::vector<std::string> keys);
  TableDescriptor& Property(std::string key, std::string value);
  TableDescriptor& CustomProperty(std::string key, std::string value);
  TableDescriptor& Comment(std::string comment);

  const Schema& schema() const { return schema_; }
  std::optional<int> bucket_count() const { return bucket_count_; }  // unset: server default
  // The bucket keys given, or for a primary-key table without them, the primary key minus the
  // partition keys.
  std::vector<std::string> bucket_keys() const;
  const std::vector<std::string>& partition_keys() const { return partition_keys_; }
  const std::map<std::string, std::string>& properties() const { return properties_; }
  const std::map<std::string, std::string>& custom_properties() const { return custom_properties_; }
  const std::string& comment() const { return comment_; }
  bool has_primary_key() const { return schema_.has_primary_key(); }
  bool is_partitioned() const { return !partition_keys_.empty(); }

  // Checks the rules Fluss enforces at create time: bucket count 1..4096; bucket and partition keys
  // are columns; partition keys are distinct and of a type IsPartitionKeyType accepts; bucket keys
  // include no partition key; a primary-key table's bucket keys are a subset of its key minus
  // partition keys and its key contains the partition keys; no column uses a reserved lake system
  // name. Errors are INVALID_TABLE (BUCKET_MAX_NUM for the bucket count).
  Status Validate() const;

  bool operator==(const TableDescriptor&) const = default;

 private:
  // Fluss's JSON form of a descriptor (metadata and the wire's table_json) is internal to fluss-cpp.
  friend struct internal::TableDescriptorJson;
  Schema schema_;
  std::optional<int> bucket_count_;
  std::vector<std::string> bucket_keys_;
  std::vector<std::string> partition_keys_;
  std::map<std::string, std::string> properties_;
  std::map<std::string, std::string> custom_properties_;
  std::string comment_;
};

}  // namespace fluss
