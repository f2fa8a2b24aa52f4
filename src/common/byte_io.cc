#include "common/byte_io.h"

#include <fmt/format.h>

namespace fluss {

Status ByteReader::Truncated(std::string_view what, size_t need) const {
  return Status::Corruption(fmt::format("truncated input reading {}: need {} bytes at position {}, {} left",
                                        what, need, pos_, remaining()));
}

}  // namespace fluss
