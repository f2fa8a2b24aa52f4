// TableBucket: which bucket of which table (and, for a partitioned table, which partition) — the key
// of a bucket's replica on a tablet server, of a parked fetch, and of the coordinator's leader/ISR
// state. Partitioned tables are not served yet: every bucket today has no partition id.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace fluss {

struct TableBucket {
  int64_t table_id = 0;
  std::optional<int64_t> partition_id;  // set for a bucket of a partitioned table
  int32_t bucket = 0;

  TableBucket() = default;
  // A bucket of a table without partitions. (Constructors, not aggregate initialization, so that
  // `{table_id, bucket}` can never put the bucket number into partition_id.)
  TableBucket(int64_t table_id_in, int32_t bucket_in) : table_id(table_id_in), bucket(bucket_in) {}
  TableBucket(int64_t table_id_in, std::optional<int64_t> partition_id_in, int32_t bucket_in)
      : table_id(table_id_in), partition_id(partition_id_in), bucket(bucket_in) {}

  // Ordered by table id, then partition (none first), then bucket.
  friend bool operator==(const TableBucket&, const TableBucket&) = default;
  friend std::strong_ordering operator<=>(const TableBucket& a, const TableBucket& b) {
    if (auto c = a.table_id <=> b.table_id; c != 0) return c;
    if (auto c = a.partition_id <=> b.partition_id; c != 0) return c;
    return a.bucket <=> b.bucket;
  }

  // "bucket 2 of table id 7" or "bucket 2 of partition 3 of table id 7" (for messages).
  std::string ToString() const;
};

struct TableBucketHash {
  size_t operator()(const TableBucket& b) const noexcept {
    size_t h = std::hash<int64_t>{}(b.table_id);
    h = h * 31 + (b.partition_id ? std::hash<int64_t>{}(*b.partition_id) + 1 : 0);
    return h * 31 + std::hash<int32_t>{}(b.bucket);
  }
};

}  // namespace fluss

template <>
struct std::hash<fluss::TableBucket> : fluss::TableBucketHash {};
