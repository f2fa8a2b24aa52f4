// The schema DSL parser (ParseSchema, ParseDataType) is part of the public SDK:
// include/fluss/schema_parser.h. Internal code may keep including this header.
#pragma once

#include "common/status.h"
#include "fluss/schema_parser.h"
#include "types/schema.h"
