#include "lake/iceberg/single_value.h"

#include <cstring>

#include <fmt/format.h>

#include "common/byte_io.h"

namespace fluss::iceberg {

namespace {
template <typename T>
std::vector<uint8_t> Le(T v) {
  std::vector<uint8_t> out(sizeof(T));
  StoreLE(out.data(), v);
  return out;
}
}  // namespace

std::vector<uint8_t> SerializeBoolean(bool v) { return {static_cast<uint8_t>(v ? 1 : 0)}; }
std::vector<uint8_t> SerializeInt(int32_t v) { return Le(v); }
std::vector<uint8_t> SerializeLong(int64_t v) { return Le(v); }
std::vector<uint8_t> SerializeFloat(float v) { return Le(v); }
std::vector<uint8_t> SerializeDouble(double v) { return Le(v); }
std::vector<uint8_t> SerializeString(std::string_view v) { return {v.begin(), v.end()}; }

std::vector<uint8_t> SerializeDecimal(__int128 unscaled) {
  std::vector<uint8_t> be(16);
  auto u = static_cast<unsigned __int128>(unscaled);
  for (int i = 15; i >= 0; --i) {
    be[i] = static_cast<uint8_t>(u & 0xff);
    u >>= 8;
  }
  // Drop leading bytes that only repeat the sign.
  size_t start = 0;
  while (start < 15) {
    bool redundant = (be[start] == 0x00 && (be[start + 1] & 0x80) == 0) ||
                     (be[start] == 0xff && (be[start + 1] & 0x80) != 0);
    if (!redundant) break;
    ++start;
  }
  return {be.begin() + static_cast<std::ptrdiff_t>(start), be.end()};
}

Result<int32_t> DeserializeInt(const std::vector<uint8_t>& b) {
  if (b.size() != 4) return Status::Corruption(fmt::format("iceberg: int bound of {} bytes", b.size()));
  return LoadLE<int32_t>(b.data());
}

Result<int64_t> DeserializeLong(const std::vector<uint8_t>& b) {
  if (b.size() != 8) return Status::Corruption(fmt::format("iceberg: long bound of {} bytes", b.size()));
  return LoadLE<int64_t>(b.data());
}

Result<__int128> DeserializeDecimal(const std::vector<uint8_t>& b) {
  if (b.empty() || b.size() > 16) return Status::Corruption(fmt::format("iceberg: decimal bound of {} bytes", b.size()));
  unsigned __int128 u = (b[0] & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
  for (uint8_t byte : b) u = (u << 8) | byte;
  return static_cast<__int128>(u);
}

}  // namespace fluss::iceberg
