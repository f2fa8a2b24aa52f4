// fluss_log_crash_writer: the process the crash test kills. Prints "OPEN" before it opens the data
// dir with a LogManager (fsync on every append; the opening recovers what the last kill left), then
// appends idempotent batches to one bucket forever, and prints "ACK <sequence> <first offset> <last
// offset>" after each append returned (i.e. was fsynced). The test kills it relative to these lines.
// The content of batch `s` is a function of `s` (CrashBatch), so the test can check it after a kill.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "log/log_manager.h"
#include "unit/log/crash_batch.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <data dir> [max batches]\n", argv[0]);
    return 2;
  }
  const long max_batches = argc > 2 ? std::atol(argv[2]) : -1;
  std::printf("OPEN\n");
  std::fflush(stdout);
  fluss::LogManagerOptions options;
  auto manager = fluss::LogManager::Open(argv[1], fluss::testing::CrashConfig(), options);
  if (!manager.ok()) {
    std::fprintf(stderr, "open failed: %s\n", manager.status().ToString().c_str());
    return 1;
  }
  auto log = (*manager)->GetOrCreateLog(fluss::testing::kCrashBucket);
  if (!log.ok()) {
    std::fprintf(stderr, "log failed: %s\n", log.status().ToString().c_str());
    return 1;
  }
  auto state = (*log)->writer_state(fluss::testing::kCrashWriterId);
  int32_t seq = state ? state->last_sequence() + 1 : 0;
  for (long n = 0; max_batches < 0 || n < max_batches; ++n, ++seq) {
    auto info = (*log)->AppendAsLeader(fluss::testing::CrashBatch(seq));
    if (!info.ok()) {
      std::fprintf(stderr, "append failed: %s\n", info.status().ToString().c_str());
      return 1;
    }
    std::printf("ACK %d %lld %lld\n", seq, static_cast<long long>(info->first_offset),
                static_cast<long long>(info->last_offset));
    std::fflush(stdout);
  }
  return (*manager)->Close().ok() ? 0 : 1;
}
