// ErrorCode is part of the public SDK: include/fluss/error_code.h. Internal code may keep including
// this header.
#pragma once

#include "fluss/error_code.h"
