#include "types/table_bucket.h"

#include <fmt/format.h>

namespace fluss {

std::string TableBucket::ToString() const {
  if (partition_id) return fmt::format("bucket {} of partition {} of table id {}", bucket, *partition_id, table_id);
  return fmt::format("bucket {} of table id {}", bucket, table_id);
}

}  // namespace fluss
