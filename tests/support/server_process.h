// ServerProcess: a real fluss-server child process for integration tests.
//
//   fluss::testing::ServerProcessOptions options;
//   options.sets = {"default.bucket.number=3"};
//   auto server = fluss::testing::ServerProcess::Start(options);   // or Start() for the defaults
//   ASSERT_OK(server);
//   std::string addr = (*server)->address();   // "127.0.0.1:<port>"
//   ...
//   (*server)->Kill();                          // SIGKILL (crash), or Stop() for a clean SIGTERM
//   (*server)->Restart();                       // same data dir, same port
//
// The server listens on a free loopback port (bind.listeners=FLUSS://127.0.0.1:0); Start() waits for
// its "fluss-server listening on FLUSS://127.0.0.1:<port>" line and parses the port. Its stdout and
// stderr go to `log_path()` (appended across restarts), so a failing test can print them with
// ReadLog(). By default the data dir is a fresh directory under $TMPDIR that the destructor removes;
// the destructor also SIGKILLs a server still running, and so does the kernel when the thread that
// started it exits (PR_SET_PDEATHSIG: a crashed test leaves no server behind) — start it from a
// thread that outlives it, e.g. the test's own. Not thread-safe; one test thread drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace fluss::testing {

struct ServerProcessOptions {
  // Path of the fluss-server binary. Empty: $FLUSS_SERVER_BIN, else the one this build made.
  std::string binary;
  // Extra "key=value" options, passed as --set after bind.listeners and data.dir (so they may
  // override them).
  std::vector<std::string> sets;
  // Extra command-line arguments, before the --set options (e.g. {"--role", "tablet"}).
  std::vector<std::string> args;
  // Data dir. Empty: a fresh temp dir, removed by the destructor (kept when $FLUSS_KEEP_TEST_DIRS
  // is set). A given dir is created when missing and never removed.
  std::string data_dir;
  // How long Start/Restart wait for the listening line (generous: a loaded machine is slow to start
  // a process, and a server that fails exits long before it).
  std::chrono::milliseconds start_timeout{60000};
  // Passed as --log-level.
  std::string log_level = "info";
  // > 0: the server runs with both its soft and hard open-file limits (RLIMIT_NOFILE, `ulimit -n`)
  // set to this, so it cannot raise them. 0: inherited from the test.
  uint64_t open_file_limit = 0;
};

class ServerProcess {
 public:
  // Spawns the server and waits until it listens. Error: the binary cannot run, it exited early (the
  // message quotes the end of its log) or it did not listen within start_timeout (it is killed).
  static Result<std::unique_ptr<ServerProcess>> Start(ServerProcessOptions options = {});

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // SIGTERM, then waits up to `timeout` for exit (SIGKILL after it). Error when the server had to be
  // killed or exited with a non-zero code. OK when it is not running.
  Status Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL and reap: a crash. OK when it is not running.
  Status Kill();
  // Sends `signal` (e.g. SIGSTOP, SIGCONT) to the running server; nothing when it is not running.
  void Signal(int signal);
  // Stops (SIGTERM) a running server, then starts it again on the same data dir and the same port.
  Status Restart();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  // "127.0.0.1:<port>": the client's bootstrap.servers value.
  std::string address() const;
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  // The server's stdout+stderr so far (every run).
  std::string ReadLog() const;

 private:
  explicit ServerProcess(ServerProcessOptions options) : options_(std::move(options)) {}
  // Spawns with bind.listeners=FLUSS://127.0.0.1:<port> (0: any free port) and waits for the line.
  Status Spawn(uint16_t port);
  // Waits for the child to exit (up to `timeout`; negative = forever). Returns true when reaped.
  bool Reap(std::chrono::milliseconds timeout, int* wait_status);

  ServerProcessOptions options_;
  std::string root_dir_;  // the temp dir we own (empty when the caller gave data_dir)
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace fluss::testing
