// TableDescriptor is part of the public SDK: include/fluss/table_descriptor.h. This header adds what
// is internal: Fluss's JSON form of a descriptor, for metadata storage and the wire's table_json.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "fluss/table_descriptor.h"
#include "types/schema.h"

namespace fluss {

// {"version":1,"schema":{...},"comment":..,"partition_key":[..],"bucket_key":[..],
//  "bucket_count":N,"properties":{..},"custom_properties":{..}}
nlohmann::json TableDescriptorToJson(const TableDescriptor& descriptor);
Result<TableDescriptor> TableDescriptorFromJson(const nlohmann::json& j);

}  // namespace fluss
