// Status, Result<T> and the FLUSS_RETURN_NOT_OK / FLUSS_ASSIGN_OR_RETURN macros are part of the public
// SDK: include/fluss/status.h. Internal code may keep including this header.
#pragma once

#include "common/error_code.h"
#include "fluss/status.h"
