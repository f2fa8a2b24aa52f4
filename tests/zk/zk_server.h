// A standalone ZooKeeper server for the tests of this binary: started once, on a free 127.0.0.1 port,
// in a temp dir (admin server off), ready when it answers `ruok` with `imok`, killed at exit.
// Needs java and Debian's libzookeeper-java (scripts/install-deps.sh); without them Available() is
// false and says why, and the tests skip.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace fluss::zk_testing {

class ZkServer {
 public:
  static constexpr const char* kJar = "/usr/share/java/zookeeper.jar";
  static constexpr const char* kLogBinding = "/usr/share/java/slf4j-simple.jar";

  // The server of this process, started on first use.
  static ZkServer& Get() {
    static ZkServer server;
    return server;
  }

  bool Available(std::string* why) const {
    if (!error_.empty()) *why = error_;
    return error_.empty();
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  ~ZkServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

 private:
  ZkServer() {
    std::string java = FindJava();
    if (java.empty()) {
      error_ = "java is not installed: the ZooKeeper tests need a JRE (openjdk-17-jre-headless)";
      return;
    }
    if (!std::filesystem::exists(kJar)) {
      error_ = std::string(kJar) + " is missing: install libzookeeper-java (scripts/install-deps.sh)";
      return;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "fluss-zk-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    // The port is free when picked, but another process (a parallel test's listener, or the local
    // port of an outgoing connection) can take it before ZooKeeper binds it: then ZooKeeper exits
    // with a BindException and this tries again on another port.
    constexpr int kAttempts = 5;
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
      if (Start(java)) return;
      if (!LostThePort() || attempt == kAttempts) return;
      error_.clear();
    }
  }

  // Starts the server on a newly picked port; false (error_ set) when it exited or did not answer.
  bool Start(const std::string& java) {
    std::error_code ec;
    std::filesystem::remove_all(dir_ + "/data", ec);
    std::filesystem::create_directories(dir_ + "/data");
    port_ = FreePort();
    {
      std::ofstream cfg(dir_ + "/zoo.cfg");
      cfg << "tickTime=500\ndataDir=" << dir_ << "/data\nclientPort=" << port_
          << "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n"
             "maxClientCnxns=0\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n";
    }
    std::string classpath = std::string(kJar) + ":" + kLogBinding;
    std::string cfg = dir_ + "/zoo.cfg";
    std::string log = dir_ + "/zk.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test, also when it crashes
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(::fileno(stdout), 2);
      ::execl(java.c_str(), "java", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", classpath.c_str(),
              "org.apache.zookeeper.server.ZooKeeperServerMain", cfg.c_str(), nullptr);
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "the ZooKeeper server exited at start; see " + log;
        return false;
      }
      // Answered, and ours is still running (a server that lost the port exits; the answer was ours).
      if (Ruok() && ::waitpid(pid_, &status, WNOHANG) == 0 && !LostThePort()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "the ZooKeeper server did not answer ruok within 30 s; see " + log;
    return false;
  }

  // Whether the server's log says its port was taken.
  bool LostThePort() const {
    std::ifstream in(dir_ + "/zk.log");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("BindException") != std::string::npos || text.find("Address already in use") != std::string::npos;
  }

  static std::string FindJava() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string candidate = dirs.substr(start, end - start) + "/java";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
    return "";
  }

  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  bool Ruok() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && ::write(fd, "ruok", 4) == 4) {
      char buf[8] = {};
      ssize_t n = ::read(fd, buf, 4);
      ok = n == 4 && std::string(buf, 4) == "imok";
    }
    ::close(fd);
    return ok;
  }

  std::string error_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace fluss::zk_testing
