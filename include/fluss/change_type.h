// Change types of a record, one byte each, as Fluss encodes them in the change-type vector of an
// ARROW batch and in the attributes byte of row-format records.
#pragma once

#include <cstdint>
#include <string_view>

namespace fluss {

enum class ChangeType : uint8_t {
  kAppendOnly = 0,    // +A
  kInsert = 1,        // +I
  kUpdateBefore = 2,  // -U
  kUpdateAfter = 3,   // +U
  kDelete = 4,        // -D
};

// "+A", "+I", "-U", "+U", "-D".
std::string_view ChangeTypeShortString(ChangeType t);

}  // namespace fluss
