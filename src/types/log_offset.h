// LogOffset: the position of a record in a bucket's log (0, 1, 2, ...): a log start, a log end, a
// high watermark, a fetch offset. Moves forward by a count of records; two offsets differ by one.
#pragma once

#include <cstdint>

#include "types/strong_value.h"

namespace fluss {

struct LogOffsetTag {};
using LogOffset = StrongValue<LogOffsetTag, int64_t>;

// `records` records further on (or back, when negative).
constexpr LogOffset operator+(LogOffset offset, int64_t records) { return LogOffset(offset.value() + records); }
constexpr LogOffset operator-(LogOffset offset, int64_t records) { return LogOffset(offset.value() - records); }
// How many records lie from `from` up to `to`.
constexpr int64_t operator-(LogOffset to, LogOffset from) { return to.value() - from.value(); }

}  // namespace fluss
