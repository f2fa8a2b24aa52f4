#include "format/change_type.h"

#include <fmt/format.h>

namespace fluss {

std::string_view ChangeTypeShortString(ChangeType t) {
  switch (t) {
    case ChangeType::kAppendOnly: return "+A";
    case ChangeType::kInsert: return "+I";
    case ChangeType::kUpdateBefore: return "-U";
    case ChangeType::kUpdateAfter: return "+U";
    case ChangeType::kDelete: return "-D";
  }
  return "?";
}

Result<ChangeType> ChangeTypeFromByte(uint8_t b) {
  if (b > static_cast<uint8_t>(ChangeType::kDelete)) {
    return Status::Corruption(fmt::format("invalid change type byte {}", b));
  }
  return static_cast<ChangeType>(b);
}

}  // namespace fluss
