// ServerId: a tablet server's (or coordinator's) `server.id` — a bucket's leader, its replicas and
// ISR, a follower that fetches, the server a fetcher thread reads from. An identity: compared,
// ordered (sets and maps), hashed, never added to.
#pragma once

#include <cstdint>

#include "types/strong_value.h"

namespace fluss {

struct ServerIdTag {};
using ServerId = StrongValue<ServerIdTag, int32_t>;

// No server: a bucket without a leader.
inline constexpr ServerId kNoServer{-1};

}  // namespace fluss
