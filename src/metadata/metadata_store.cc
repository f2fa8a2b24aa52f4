#include "metadata/metadata_store.h"

namespace fluss {

std::string_view MetadataEventName(MetadataEvent event) {
  switch (event) {
    case MetadataEvent::kDatabaseCreated:
      return "DATABASE_CREATED";
    case MetadataEvent::kDatabaseDropped:
      return "DATABASE_DROPPED";
    case MetadataEvent::kTableCreated:
      return "TABLE_CREATED";
    case MetadataEvent::kTableDropped:
      return "TABLE_DROPPED";
    case MetadataEvent::kTableAltered:
      return "TABLE_ALTERED";
    case MetadataEvent::kTableAssignmentChanged:
      return "TABLE_ASSIGNMENT_CHANGED";
    case MetadataEvent::kPartitionCreated:
      return "PARTITION_CREATED";
    case MetadataEvent::kPartitionDropped:
      return "PARTITION_DROPPED";
  }
  return "UNKNOWN";
}

}  // namespace fluss
