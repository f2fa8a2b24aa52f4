// DataType is part of the public SDK: include/fluss/data_type.h. This header adds what is internal:
// Fluss's JSON form of a data type, as metadata and the wire carry it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "fluss/data_type.h"

namespace fluss {

// {"type": "DECIMAL", "precision": 10, "scale": 2, "nullable": false}.
nlohmann::json DataTypeToJson(const DataType& type);
Result<DataType> DataTypeFromJson(const nlohmann::json& j);

}  // namespace fluss
