// TablePath is part of the public SDK: include/fluss/table_path.h. Internal code may keep including
// this header.
#pragma once

#include "common/status.h"
#include "fluss/table_path.h"
