// Crash test with a real process: fluss_log_crash_writer appends with fsync per append and prints
// each acknowledged batch; it is SIGKILLed 50 times (sometimes with a torn batch left at the end of
// the log, as a kill during a multi-page write leaves), and after restarts every acknowledged batch
// must be present and intact, and nothing after a torn tail served. Each kill is placed by what the
// child printed, never by the clock alone: most rounds kill a random moment after the child's k-th
// acknowledgement (so every such round adds acknowledged batches, however slow the machine), the
// others a random moment after it said it is opening the log (landing in recovery or in the first
// appends).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "log/log_manager.h"
#include "log_test_support.h"
#include "unit/log/crash_batch.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::TempDir;

std::string WriterPath() {
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path() / "fluss_log_crash_writer").string();
}

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child Spawn(const std::string& writer, const std::string& data_dir) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(writer.c_str(), writer.c_str(), data_dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Generous upper bound for the child to print what a round waits for (it prints it in milliseconds
// on an idle machine; a sanitizer build on a loaded one is much slower).
constexpr auto kChildLimit = std::chrono::seconds(60);

// Complete lines (ended by a newline) that start with `prefix`.
size_t CountLines(const std::string& text, std::string_view prefix) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;
    if (std::string_view(text).substr(pos, end - pos).starts_with(prefix)) ++n;
    pos = end + 1;
  }
  return n;
}

// Reads what the child prints until `enough(text)` holds, the child closes its output or
// kChildLimit passes; then waits `delay`, SIGKILLs it and drains the pipe. Returns everything it
// printed and whether `enough` held before the kill.
std::pair<std::string, bool> RunAndKill(Child child, const std::function<bool(const std::string&)>& enough,
                                        std::chrono::microseconds delay) {
  std::string text;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + kChildLimit;
  bool reached = false;
  while (!(reached = enough(text))) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{child.out, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(child.out, buf, sizeof(buf));
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  if (reached) std::this_thread::sleep_for(delay);  // places the kill, it waits for nothing
  ::kill(child.pid, SIGKILL);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  ssize_t n;
  while ((n = ::read(child.out, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(child.out);
  return {std::move(text), reached};
}

struct Ack {
  int64_t first;
  int64_t last;
};

// Leaves the first `keep` bytes of a batch after the end of the newest segment: a torn write.
void LeaveTornBatch(const std::string& bucket_dir, size_t keep) {
  std::filesystem::path newest;
  for (const auto& e : std::filesystem::directory_iterator(bucket_dir)) {
    if (e.path().extension() == ".log" && (newest.empty() || e.path() > newest)) newest = e.path();
  }
  ASSERT_FALSE(newest.empty());
  auto bytes = testing::ReadFileBytes(newest.string());
  auto torn = testing::CrashBatch(1'000'000).ToVector();
  torn.resize(std::min(keep, torn.size() - 1));
  bytes.insert(bytes.end(), torn.begin(), torn.end());
  testing::WriteFileBytes(newest.string(), bytes);
}

// Opens the data dir as a restarted server would and checks the whole log.
void Verify(const std::string& data_dir, const std::map<int32_t, Ack>& acked, size_t kills) {
  LogManagerOptions o;
  o.background = false;
  auto manager = LogManager::Open(data_dir, testing::CrashConfig(), o);
  ASSERT_OK(manager);
  if (!std::filesystem::exists(data_dir + "/" + testing::kCrashBucket)) {
    ASSERT_TRUE(acked.empty());
    return;
  }
  auto opened = (*manager)->GetOrCreateLog(testing::kCrashBucket);
  ASSERT_OK(opened);
  auto log = *opened;
  // Every batch served parses with a valid CRC (ReadAll checks) and offsets are contiguous.
  auto batches = testing::ReadAll(*log);
  int64_t next = 0;
  std::map<int32_t, const LogRecordBatch*> by_seq;
  for (const auto& b : batches) {
    ASSERT_EQ(b.base_offset(), next);
    next = b.next_offset();
    ASSERT_EQ(b.writer_id(), testing::kCrashWriterId);
    ASSERT_EQ(b.batch_sequence(), static_cast<int32_t>(by_seq.size())) << "sequences must be 0, 1, 2, ... once each";
    by_seq[b.batch_sequence()] = &b;
    ASSERT_EQ(b.record_count(), testing::CrashRows(b.batch_sequence()));
    auto records = b.ReadRecords(testing::CrashSchema());
    ASSERT_OK(records);
    for (int i = 0; i < b.record_count(); ++i) {
      ASSERT_EQ((*records)[i].row, testing::CrashRow(b.batch_sequence(), i)) << "batch " << b.batch_sequence();
    }
  }
  EXPECT_EQ(next, log->log_end_offset());
  for (const auto& [seq, ack] : acked) {
    auto it = by_seq.find(seq);
    ASSERT_NE(it, by_seq.end()) << "acknowledged batch " << seq << " is lost";
    EXPECT_EQ(it->second->base_offset(), ack.first);
    EXPECT_EQ(it->second->last_offset(), ack.last);
  }
  // Unacknowledged batches: at most the one in flight at each kill.
  EXPECT_LE(by_seq.size(), acked.size() + kills);
  ASSERT_OK((*manager)->Close());
}

TEST(LogCrashTest, AcknowledgedBatchesSurviveFiftySigkills) {
  const std::string writer = WriterPath();
  ASSERT_TRUE(std::filesystem::exists(writer)) << writer;
  TempDir dir;
  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  std::map<int32_t, Ack> acked;
  size_t awaited_acks = 0;  // acknowledgements the rounds waited for before killing
  for (int round = 0; round < 50; ++round) {
    std::function<bool(const std::string&)> enough;
    std::chrono::microseconds delay;
    std::string waited_for;
    if (round % 5 == 2) {
      // During the recovery of what the last kill left, or the first appends after it.
      enough = [](const std::string& out) { return CountLines(out, "OPEN") > 0; };
      delay = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 30'000)(rng));
      waited_for = "OPEN";
    } else {
      // Anywhere in the append (and fsync) after the k-th acknowledgement.
      const size_t k = std::uniform_int_distribution<size_t>(1, 8)(rng);
      enough = [k](const std::string& out) { return CountLines(out, "ACK ") >= k; };
      delay = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3'000)(rng));
      waited_for = std::to_string(k) + " ACK lines";
      awaited_acks += k;
    }
    auto [out, reached] = RunAndKill(Spawn(writer, dir.path()), enough, delay);
    ASSERT_TRUE(reached) << "round " << round << ": the writer did not print " << waited_for << " within "
                         << kChildLimit.count() << " s; it printed:\n" << out;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (lines.eof()) break;  // a line cut by the kill has no newline: not an acknowledgement
      int32_t seq;
      long long first, last;
      if (std::sscanf(line.c_str(), "ACK %d %lld %lld", &seq, &first, &last) != 3) continue;
      auto [it, inserted] = acked.emplace(seq, Ack{first, last});
      if (!inserted) {
        // A batch acknowledged twice (a retry after restart) must keep its offsets.
        EXPECT_EQ(it->second.first, first);
      }
    }
    const std::string bucket_dir = dir.path() + "/" + testing::kCrashBucket;
    if (round % 4 == 3 && std::filesystem::exists(bucket_dir)) {
      LeaveTornBatch(bucket_dir, std::uniform_int_distribution<size_t>(1, 400)(rng));
    }
    if (round % 5 == 4 || round == 49) {
      ASSERT_NO_FATAL_FAILURE(Verify(dir.path(), acked, round + 1)) << "after round " << round;
    }
  }
  std::printf("crash test: %zu acknowledged batches over 50 kills\n", acked.size());
  // Not vacuous: each round that waited for k acknowledgements added k batches that were never
  // acknowledged before (the writer goes on after the last durable sequence).
  EXPECT_GE(acked.size(), awaited_acks);
  EXPECT_GE(awaited_acks, 40u);
}

}  // namespace
}  // namespace fluss
