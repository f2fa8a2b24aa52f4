// The epochs of replication (reference: docs/formats/replication.md, src/server/README.md):
// - LeaderEpoch: bumped by the coordinator at every change of a bucket's leader; fences requests of
//   an older leadership and names the ranges of the leader-epoch cache.
// - BucketEpoch: bumped at every change of a bucket's leader-and-ISR record (its version).
// - CoordinatorEpoch: bumped at every election of the active coordinator; fences a deposed one.
// Each is its own kind: they compare only with their own kind, and move on only by Next().
#pragma once

#include <concepts>
#include <cstdint>

#include "types/strong_value.h"

namespace fluss {

// Marks the tags of epoch kinds (Next() is defined for them).
struct EpochTag {};

struct LeaderEpochTag : EpochTag {};
struct BucketEpochTag : EpochTag {};
struct CoordinatorEpochTag : EpochTag {};

using LeaderEpoch = StrongValue<LeaderEpochTag, int32_t>;
using BucketEpoch = StrongValue<BucketEpochTag, int32_t>;
using CoordinatorEpoch = StrongValue<CoordinatorEpochTag, int32_t>;

// No leader epoch: a standalone server's leadership (nothing in the leader-epoch cache), a replica
// that has not been told one, a request that names none.
inline constexpr LeaderEpoch kNoLeaderEpoch{-1};
inline constexpr BucketEpoch kNoBucketEpoch{-1};
inline constexpr CoordinatorEpoch kNoCoordinatorEpoch{-1};

// The epoch after `epoch`.
template <std::derived_from<EpochTag> Tag>
constexpr StrongValue<Tag, int32_t> Next(StrongValue<Tag, int32_t> epoch) {
  return StrongValue<Tag, int32_t>(epoch.value() + 1);
}

}  // namespace fluss
