// ColumnVector and ColumnsToRows are part of the public SDK: include/fluss/column_vector.h. Internal
// code may keep including this header.
#pragma once

#include "common/status.h"
#include "fluss/column_vector.h"
#include "types/data_type.h"
#include "types/row.h"
