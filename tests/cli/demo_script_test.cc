// scripts/run-demo.sh (what `make run` runs after building the server and the CLI), run twice on one
// data dir as a user running `make run` twice would: each run shows the demo's three rows (the
// demo tables start empty every time), prints where the server log is, and stops on Ctrl-C.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;


uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct DemoRun {
  int exit_code = -1;
  std::string output;
};

// Runs the script until it says the server is running, then sends Ctrl-C (SIGINT to its process
// group, as a terminal does) and waits for it to end.
DemoRun RunDemo(const fs::path& dir, uint16_t port, int run) {
  const std::string out_path = (dir / fmt::format("demo{}.out", run)).string();
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || chdir(dir.c_str()) != 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    setenv("FLUSS_PORT", std::to_string(port).c_str(), 1);
    setenv("FLUSS_DATA_DIR", (dir / "data").c_str(), 1);
    setenv("FLUSS_LOG", (dir / "server.log").c_str(), 1);
    unsetenv("FLUSS_BOOTSTRAP");
    const std::string script = std::string(FLUSS_SOURCE_DIR) + "/scripts/run-demo.sh";
    execl("/bin/bash", "bash", script.c_str(), FLUSS_BUILD_DIR, static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  DemoRun r;
  int status = 0;
  bool interrupted = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    const bool late = std::chrono::steady_clock::now() > deadline;
    if (!interrupted && (late || testing::ReadFileToString(out_path).find("fluss-server is running on") != std::string::npos)) {
      kill(-pid, SIGINT);
      interrupted = true;
    } else if (std::chrono::steady_clock::now() > deadline + std::chrono::seconds(20)) {
      kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = testing::ReadFileToString(out_path);
  return r;
}

// The rows of the demo's `fluss scan demo.orders` table: lines like " 1 | apple | 1.25 | ...".
int DemoOrderRows(const std::string& output) {
  static const std::regex kRow(R"(^ *\d+ \| (apple|pear|plum) +\| )");
  int n = 0;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) n += std::regex_search(line, kRow);
  return n;
}

TEST(DemoScriptTest, TwoRunsEachShowTheThreeDemoRowsAndTheLogPath) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("fluss-demo-test-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const uint16_t port = FreePort();
  for (int run = 1; run <= 2; ++run) {
    DemoRun r = RunDemo(dir, port, run);
    EXPECT_EQ(r.exit_code, 0) << "run " << run << ":\n" << r.output;
    EXPECT_EQ(DemoOrderRows(r.output), 3) << "run " << run << ":\n" << r.output;
    EXPECT_NE(r.output.find("produced 3 rows to demo.orders"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(fmt::format("server log: {}", (dir / "server.log").string())), std::string::npos)
        << r.output;
    // The primary-key demo: pear updated to 3, plum deleted, on every run.
    EXPECT_NE(r.output.find("pear |   3"), std::string::npos) << r.output;
    EXPECT_NE(testing::ReadFileToString((dir / "server.log").string()).find("fluss-server listening on"), std::string::npos);
  }
  if (std::getenv("FLUSS_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir);
}

}  // namespace
}  // namespace fluss
