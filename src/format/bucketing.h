// Fluss's default bucketing function (FlussBucketingFunction, used when the table has no lake format
// or LANCE): the bucket of a row is computed from its encoded bucket key (a CompactedKey,
// format/compacted_key.h). Bit-exact with Fluss:
//
//   h = MurmurHashBytes(key)             MurmurHashUtils.hashUnsafeBytes, seed 42 (below)
//   m = MurmurHashInt(h)                 MathUtils.murmurHash(int): non-negative
//   bucket = m % num_buckets
//
// docs/formats/kv-formats.md has worked examples.
#pragma once

#include <cstdint>
#include <span>

#include "common/status.h"

namespace fluss {

constexpr uint32_t kFlussMurmurSeed = 42;  // MurmurHashUtils.DEFAULT_SEED

// MurmurHash3-x86-32 style hash of `bytes` with seed 42, as Fluss's MurmurHashUtils computes it: each
// full 4-byte little-endian word is mixed (k *= 0xcc9e2d51, rotl 15, *= 0x1b873593; h ^= k, rotl 13,
// h = h * 5 + 0xe6546b64); then - unlike standard MurmurHash3, which folds the 1-3 tail bytes into one
// word - EACH trailing byte, sign-extended to 32 bits as a Java byte, goes through the same full
// word mix; finally h ^= length and the fmix32 finalizer.
int32_t MurmurHashBytes(std::span<const uint8_t> bytes);

// MathUtils.murmurHash(int): one MurmurHash3 round of `code` with seed 0 and length 4 (fmix32), then the
// absolute value, with Integer.MIN_VALUE mapped to 0 (not Java's Math.abs, which would leave it
// negative). Always >= 0.
int32_t MurmurHashInt(int32_t code);

// The bucket of an encoded bucket key: MurmurHashInt(MurmurHashBytes(key)) % num_buckets, in
// [0, num_buckets). Errors (INVALID_CONFIG) on an empty key (Fluss: "Assigned key must not be
// empty!") or num_buckets <= 0.
Result<int32_t> BucketForKey(std::span<const uint8_t> key, int32_t num_buckets);

}  // namespace fluss
