#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef FLUSS_TEST_SERVER_BINARY
#define FLUSS_TEST_SERVER_BINARY "fluss-server"
#endif

namespace fluss::testing {
namespace {

constexpr std::string_view kListeningPrefix = "fluss-server listening on ";

std::string TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fluss-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return {};
  return std::string(buf.data());
}

std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

// The port in "fluss-server listening on FLUSS://127.0.0.1:<port> ..." within `log`, or -1.
int ParseListeningPort(const std::string& log) {
  size_t pos = log.find(kListeningPrefix);
  if (pos == std::string::npos) return -1;
  size_t eol = log.find('\n', pos);
  if (eol == std::string::npos) return -1;  // the line is not complete yet
  std::string line = log.substr(pos, eol - pos);
  size_t scheme = line.find("://");
  if (scheme == std::string::npos) return -1;
  size_t colon = line.find(':', scheme + 3);
  if (colon == std::string::npos) return -1;
  return std::atoi(line.c_str() + colon + 1);
}

std::string Tail(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

}  // namespace

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(ServerProcessOptions options) {
  if (options.binary.empty()) {
    const char* env = std::getenv("FLUSS_SERVER_BIN");
    options.binary = env && *env ? env : FLUSS_TEST_SERVER_BINARY;
  }
  std::unique_ptr<ServerProcess> p(new ServerProcess(std::move(options)));
  std::error_code ec;
  if (p->options_.data_dir.empty()) {
    p->root_dir_ = TempRoot();
    if (p->root_dir_.empty()) return Status::IOError(std::string("cannot create a temp dir: ") + std::strerror(errno));
    p->data_dir_ = p->root_dir_ + "/data";
    p->log_path_ = p->root_dir_ + "/server.log";
  } else {
    p->data_dir_ = p->options_.data_dir;
    p->log_path_ = p->data_dir_ + ".server.log";
  }
  std::filesystem::create_directories(p->data_dir_, ec);
  if (ec) return Status::IOError("cannot create data dir '" + p->data_dir_ + "': " + ec.message());
  FLUSS_RETURN_NOT_OK(p->Spawn(0));
  return p;
}

ServerProcess::~ServerProcess() {
  (void)Kill();
  if (!root_dir_.empty() && std::getenv("FLUSS_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(root_dir_, ec);
  }
}

std::string ServerProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::ReadLog() const { return ReadFrom(log_path_, 0); }

Status ServerProcess::Spawn(uint16_t port) {
  std::vector<std::string> args = {options_.binary};
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  for (std::string a : {std::string("--set"), "bind.listeners=FLUSS://127.0.0.1:" + std::to_string(port),
                        std::string("--set"), "data.dir=" + data_dir_, std::string("--log-level"),
                        options_.log_level}) {
    args.push_back(std::move(a));
  }
  for (const auto& kv : options_.sets) {
    args.push_back("--set");
    args.push_back(kv);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const size_t log_start = FileSize(log_path_);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("cannot open '" + log_path_ + "': " + std::strerror(errno));
  const pid_t parent = ::getpid();
  const rlimit open_files{static_cast<rlim_t>(options_.open_file_limit), static_cast<rlim_t>(options_.open_file_limit)};
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return Status::IOError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls. Die with the test (SIGKILL when the forking thread exits).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (open_files.rlim_cur > 0 && ::setrlimit(RLIMIT_NOFILE, &open_files) != 0) {
      const char msg[] = "server_process: setrlimit(RLIMIT_NOFILE) failed\n";
      (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    const char msg[] = "server_process: exec failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;

  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (true) {
    int p = ParseListeningPort(ReadFrom(log_path_, log_start));
    if (p > 0) {
      port_ = static_cast<uint16_t>(p);
      return Status::OK();
    }
    int ws = 0;
    if (Reap(std::chrono::milliseconds(0), &ws)) {
      std::string how = WIFEXITED(ws) ? "exited with code " + std::to_string(WEXITSTATUS(ws))
                                      : "died of signal " + std::to_string(WTERMSIG(ws));
      return Status::Internal("fluss-server (" + options_.binary + ") " + how +
                              " before listening; log: " + Tail(ReadFrom(log_path_, log_start), 2000));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)Kill();
      return Status(ErrorCode::kRequestTimeOut,
                    "fluss-server did not listen within " + std::to_string(options_.start_timeout.count()) +
                        " ms; log: " + Tail(ReadFrom(log_path_, log_start), 2000));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ServerProcess::Reap(std::chrono::milliseconds timeout, int* wait_status) {
  if (pid_ <= 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pid_t r = ::waitpid(pid_, wait_status, timeout.count() < 0 ? 0 : WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return true;
    }
    if (r < 0 && errno == EINTR) continue;
    if (timeout.count() >= 0 && std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Status ServerProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status::OK();
  ::kill(pid_, SIGTERM);
  int ws = 0;
  if (!Reap(timeout, &ws)) {
    (void)Kill();
    return Status(ErrorCode::kRequestTimeOut,
                  "fluss-server did not stop within " + std::to_string(timeout.count()) + " ms of SIGTERM; killed");
  }
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    return Status::Internal("fluss-server stopped uncleanly (wait status " + std::to_string(ws) +
                            "); log: " + Tail(ReadLog(), 2000));
  }
  return Status::OK();
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

Status ServerProcess::Kill() {
  if (pid_ <= 0) return Status::OK();
  ::kill(pid_, SIGKILL);
  int ws = 0;
  Reap(std::chrono::milliseconds(-1), &ws);
  return Status::OK();
}

Status ServerProcess::Restart() {
  FLUSS_RETURN_NOT_OK(Stop());
  // The port was free a moment ago; the listener sets SO_REUSEADDR, so TIME_WAIT does not block it.
  return Spawn(port_);
}

}  // namespace fluss::testing
