// Iceberg's binary single-value serialization (table spec, Appendix D), used for the lower and upper
// bounds in manifests: boolean 1 byte (0/1); int, date 4 bytes LE; long, time (µs), timestamp(tz) (µs)
// 8 bytes LE; float 4 / double 8 bytes LE IEEE 754; string UTF-8 bytes; binary and fixed the bytes;
// decimal the unscaled value as two's-complement big-endian in the fewest bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fluss::iceberg {

std::vector<uint8_t> SerializeBoolean(bool v);
std::vector<uint8_t> SerializeInt(int32_t v);
std::vector<uint8_t> SerializeLong(int64_t v);
std::vector<uint8_t> SerializeFloat(float v);
std::vector<uint8_t> SerializeDouble(double v);
std::vector<uint8_t> SerializeString(std::string_view v);
std::vector<uint8_t> SerializeDecimal(__int128 unscaled);

Result<int32_t> DeserializeInt(const std::vector<uint8_t>& b);
Result<int64_t> DeserializeLong(const std::vector<uint8_t>& b);
Result<__int128> DeserializeDecimal(const std::vector<uint8_t>& b);

}  // namespace fluss::iceberg
