// Waiting in tests: poll for the event a test needs, with a generous deadline, instead of sleeping for
// a guess of how long it takes (a guess that holds on one machine fails on a slower or busier one).
#pragma once

#include <chrono>
#include <thread>

namespace fluss::testing {

// How long a test waits for something that takes milliseconds on an idle machine: long enough for a
// sanitizer build with every core busy, short enough that a hang fails the test rather than ctest.
inline constexpr std::chrono::seconds kGenerousWait{60};

// Polls `done` every `every` until it holds (true) or `limit` passes (then its last value). A check
// that costs something (an RPC, reading files) polls less often.
template <typename Pred>
bool Eventually(Pred&& done, std::chrono::milliseconds limit = kGenerousWait,
                std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace fluss::testing
