// Crash test with a real process: a forked child creates tables (and allocates writer ids) in a loop,
// reporting each acknowledged one through a pipe, and is SIGKILLed at random moments. After every
// kill the store opens, every acknowledged table is present with its id, ids stay unique, and no
// writer id handed out before is handed out again.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "metadata_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using metadata_testing::Assign;
using metadata_testing::MakeTableJson;
using metadata_testing::OpenOrDie;
using metadata_testing::Path;
using metadata_testing::TempDir;

// One acknowledgement from the child; 16 bytes, so each pipe write is atomic.
struct Report {
  int32_t kind;  // 1: table "t<round>_<index>" created with id `value`; 2: writer id `value`
  int32_t index;
  int64_t value;
};
static_assert(sizeof(Report) == 16);

// The child: never returns (exits with _exit, skipping gtest's and the parent's destructors).
[[noreturn]] void RunChild(const std::string& dir, int round, int out) {
  auto store = EmbeddedMetadataStore::Open(dir);
  if (!store.ok()) _exit(10);
  auto j = MakeTableJson(2);
  for (int i = 0; i < 100000; ++i) {
    auto r = (*store)->CreateTable(Path("db", fmt::format("t{}_{}", round, i)), j.table, j.schema, 2, Assign(2), false);
    if (!r.ok()) _exit(11);
    Report rep{1, i, r->table_id};
    if (::write(out, &rep, sizeof(rep)) != sizeof(rep)) _exit(12);
    auto w = (*store)->AllocateWriterId();
    if (!w.ok()) _exit(13);
    rep = Report{2, i, *w};
    if (::write(out, &rep, sizeof(rep)) != sizeof(rep)) _exit(12);
  }
  _exit(0);
}

bool ReadReport(int fd, Report* rep) {
  size_t got = 0;
  auto* p = reinterpret_cast<char*>(rep);
  while (got < sizeof(Report)) {
    ssize_t n = ::read(fd, p + got, sizeof(Report) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

TEST(MetadataCrashTest, AcknowledgedTablesSurviveSigkill) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_OK(store->CreateDatabase("db", "{}", false));
  }
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  std::mt19937 rng(seed);

  std::map<std::string, int64_t> acknowledged;  // table name -> id
  int64_t max_writer_id = -1;
  for (int round = 0; round < 8; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir.path(), round, fds[1]);
    }
    ::close(fds[1]);

    // Let it acknowledge a random number of tables, then kill it a random moment later.
    int wait_for = std::uniform_int_distribution<int>(1, 15)(rng);
    int tables_seen = 0;
    Report rep;
    auto note = [&](const Report& r) {
      if (r.kind == 1) {
        acknowledged[fmt::format("t{}_{}", round, r.index)] = r.value;
        ++tables_seen;
      } else {
        EXPECT_GT(r.value, max_writer_id) << "writer id handed out twice";
        max_writer_id = r.value;
      }
    };
    while (tables_seen < wait_for && ReadReport(fds[0], &rep)) note(rep);
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with status " << WEXITSTATUS(status);
    while (ReadReport(fds[0], &rep)) note(rep);  // acknowledged before it died
    ::close(fds[0]);
    ASSERT_GE(tables_seen, wait_for);

    auto store = EmbeddedMetadataStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    std::set<int64_t> ids;
    for (const TableRecord& t : (*store)->ListAllTables()) EXPECT_TRUE(ids.insert(t.table_id).second);
    for (const auto& [name, id] : acknowledged) {
      auto t = (*store)->GetTable(Path("db", name));
      ASSERT_TRUE(t.ok()) << "round " << round << ": acknowledged table " << name << " is lost";
      EXPECT_EQ(t->table_id, id) << name;
    }
    auto w = (*store)->AllocateWriterId();
    ASSERT_OK(w);
    EXPECT_GT(*w, max_writer_id);
    max_writer_id = *w;
  }
}

}  // namespace
}  // namespace fluss
