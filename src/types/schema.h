// Schema and Column are part of the public SDK: include/fluss/schema.h. This header adds what is
// internal: Fluss's JSON form of a schema, as metadata and the wire carry it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "fluss/schema.h"
#include "types/data_type.h"

namespace fluss {

// {"version":1,"columns":[{"name","data_type","comment","id"}],"primary_key":[..],"highest_field_id":N}.
nlohmann::json SchemaToJson(const Schema& schema);
Result<Schema> SchemaFromJson(const nlohmann::json& j);

}  // namespace fluss
