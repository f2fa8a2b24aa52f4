#include "format/bucketing.h"

#include <fmt/format.h>

#include <bit>
#include <climits>

#include "common/byte_io.h"

namespace fluss {
namespace {

constexpr uint32_t kC1 = 0xcc9e2d51;
constexpr uint32_t kC2 = 0x1b873593;

uint32_t MixK1(uint32_t k) {
  k *= kC1;
  k = std::rotl(k, 15);
  return k * kC2;
}

uint32_t MixH1(uint32_t h, uint32_t k) {
  h ^= k;
  h = std::rotl(h, 13);
  return h * 5 + 0xe6546b64;
}

uint32_t Fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

}  // namespace

int32_t MurmurHashBytes(std::span<const uint8_t> bytes) {
  const size_t n = bytes.size();
  const size_t aligned = n - n % 4;
  uint32_t h = kFlussMurmurSeed;
  for (size_t i = 0; i < aligned; i += 4) h = MixH1(h, MixK1(LoadLE<uint32_t>(bytes.data() + i)));
  for (size_t i = aligned; i < n; ++i) {
    // A Java byte widened to int: sign-extended.
    h = MixH1(h, MixK1(static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(bytes[i])))));
  }
  // Java's int length; a key longer than 2^31 - 1 bytes cannot exist there.
  return static_cast<int32_t>(Fmix(h ^ static_cast<uint32_t>(n)));
}

int32_t MurmurHashInt(int32_t code) {
  uint32_t h = MixH1(0, MixK1(static_cast<uint32_t>(code)));
  const auto mixed = static_cast<int32_t>(Fmix(h ^ 4u));
  if (mixed >= 0) return mixed;
  return mixed == INT32_MIN ? 0 : -mixed;
}

Result<int32_t> BucketForKey(std::span<const uint8_t> key, int32_t num_buckets) {
  if (num_buckets <= 0) return Status::Invalid(fmt::format("bucket count {} must be positive", num_buckets));
  if (key.empty()) return Status::Invalid("bucket key must not be empty");
  return MurmurHashInt(MurmurHashBytes(key)) % num_buckets;
}

}  // namespace fluss
