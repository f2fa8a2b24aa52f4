// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78), as Fluss checksums record batches.
// Uses the SSE4.2 crc32 instruction when the CPU has it, a slicing-by-8 table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fluss::crc32c {

// Continues a CRC: Extend(Extend(0, a), b) == Value(a ++ b).
uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t Value(const uint8_t* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::span<const uint8_t> s) { return Extend(0, s.data(), s.size()); }

// The portable path, exposed so tests can check both paths agree.
uint32_t ExtendPortable(uint32_t crc, const uint8_t* data, size_t n);
bool HardwareAccelerated();

}  // namespace fluss::crc32c
