// ChangeType is part of the public SDK: include/fluss/change_type.h. This header adds what is
// internal: reading a change-type byte from disk or the wire.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "fluss/change_type.h"

namespace fluss {

// Validates a byte read from disk or the wire.
Result<ChangeType> ChangeTypeFromByte(uint8_t b);

}  // namespace fluss
