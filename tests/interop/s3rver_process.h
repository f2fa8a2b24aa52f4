// S3rverProcess: an S3-compatible server (npm s3rver, pinned in package-lock.json) as a child process
// on 127.0.0.1 and a port the kernel picks (-p 0), with a fresh data directory and one bucket.
// Start() waits for its "S3rver listening on 127.0.0.1:<port>" line (generous deadline); Kill()
// SIGKILLs it by PID (the destructor too; PR_SET_PDEATHSIG kills it if the test dies), and the data
// directory is removed (kept with FLUSS_KEEP_TEST_DIRS=1, its log in s3rver.log). And RunNode(): a node script run to
// completion, its stdout returned.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace fluss::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `node <args...>`; the script's stdout, or an error quoting its stdout and stderr.
inline Result<std::string> RunNode(const std::vector<std::string>& args) {
  char tmpl[] = "/tmp/fluss-node-out-XXXXXX";
  char err_tmpl[] = "/tmp/fluss-node-err-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  const int err_fd = ::mkstemp(err_tmpl);
  if (fd < 0 || err_fd < 0) return Status::IOError("mkstemp failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> argv;
    std::string node = "node";
    argv.push_back(node.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("node", argv.data());
    ::_exit(127);
  }
  ::close(fd);
  ::close(err_fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string out = ReadWholeFile(tmpl);
  std::string err = ReadWholeFile(err_tmpl);
  ::unlink(tmpl);
  ::unlink(err_tmpl);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::IOError("node " + (args.empty() ? std::string() : args[0]) + " failed: " + out + err);
  }
  return out;
}

class S3rverProcess {
 public:
  // `interop_dir` holds node_modules/s3rver.
  S3rverProcess(std::string interop_dir, std::string bucket)
      : interop_dir_(std::move(interop_dir)), bucket_(std::move(bucket)) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fluss-s3rver-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  ~S3rverProcess() {
    (void)Kill();
    const char* keep = std::getenv("FLUSS_KEEP_TEST_DIRS");
    if (keep != nullptr && std::string_view(keep) == "1") return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  S3rverProcess(const S3rverProcess&) = delete;
  S3rverProcess& operator=(const S3rverProcess&) = delete;

  Status Start() {
    const std::string log = dir_ + "/s3rver.log";
    const std::string data = dir_ + "/data";
    std::filesystem::create_directories(data);
    const std::string script = interop_dir_ + "/node_modules/s3rver/bin/s3rver.js";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(::fileno(stdout), 2);
      // s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in
      // its legacy provider: without it every truncated listing answers 500.
      ::execlp("node", "node", "--openssl-legacy-provider", script.c_str(), "-d", data.c_str(), "-a", "127.0.0.1", "-p",
               "0", "--configure-bucket", bucket_.c_str(), nullptr);
      ::_exit(127);
    }
    const std::regex listening("S3rver listening on 127\\.0\\.0\\.1:([0-9]+)");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return Status::IOError("s3rver exited at start: " + ReadWholeFile(log));
      }
      std::smatch m;
      const std::string text = ReadWholeFile(log);
      if (std::regex_search(text, m, listening)) {
        port_ = std::stoi(m[1]);
        return Status::OK();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    (void)Kill();
    return Status::IOError("s3rver did not listen within 60 s: " + ReadWholeFile(log));
  }

  Status Kill() {
    if (pid_ <= 0) return Status::OK();
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return Status::OK();
  }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& bucket() const { return bucket_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string interop_dir_;
  std::string bucket_;
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace fluss::testing
