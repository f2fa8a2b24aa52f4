// GenericRow, Datum, DecimalValue and TimestampValue are part of the public SDK: include/fluss/row.h.
// Internal code may keep including this header.
#pragma once

#include "common/status.h"
#include "fluss/row.h"
#include "types/data_type.h"
