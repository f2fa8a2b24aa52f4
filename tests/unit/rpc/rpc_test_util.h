// Helpers for the RPC tests: a raw POSIX client socket (for bytes no well-behaved client sends) and
// polling waits.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/byte_io.h"

namespace fluss::rpc::testing {

// Polls `done` every millisecond until it holds or `limit` passes (generous: a sanitizer build on a
// machine with every core busy); returns its last value.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A blocking TCP connection to 127.0.0.1:port with a receive timeout.
class RawSocket {
 public:
  // With `nonblocking_connect` the connect is only started (for filling accept queues). The receive
  // timeout bounds every read and WaitForClose (generous: it fails a test only when nothing comes).
  explicit RawSocket(uint16_t port, std::chrono::milliseconds recv_timeout = std::chrono::seconds(30),
                     bool nonblocking_connect = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | (nonblocking_connect ? SOCK_NONBLOCK : 0), 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(recv_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((recv_timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  // Adopts a connected socket.
  static std::unique_ptr<RawSocket> FromFd(int fd) { return std::unique_ptr<RawSocket>(new RawSocket(fd)); }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  // True once a started (non-blocking) connect has completed, false if it failed or `limit` passed.
  bool WaitConnected(std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
    int err = 0;
    socklen_t len = sizeof(err);
    return ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }

  bool Send(std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads exactly n bytes; nullopt on EOF, error or timeout.
  std::optional<std::string> ReadExactly(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return out;
  }

  // Reads one frame's payload (without the length prefix).
  std::optional<std::string> ReadFrame() {
    auto len = ReadExactly(4);
    if (!len) return std::nullopt;
    auto n = LoadBE<int32_t>(reinterpret_cast<const uint8_t*>(len->data()));
    if (n < 0) return std::nullopt;
    return ReadExactly(static_cast<size_t>(n));
  }

  // True if the peer closed the connection (EOF or reset) before `limit`; false on timeout or data.
  bool WaitForClose() {
    char c;
    ssize_t r = ::recv(fd_, &c, 1, 0);
    if (r == 0) return true;
    return r < 0 && (errno == ECONNRESET || errno == EPIPE);
  }

 private:
  explicit RawSocket(int fd) : fd_(fd), connected_(true) {}
  int fd_ = -1;
  bool connected_ = false;
};

// A listening socket on 127.0.0.1 with an ephemeral port, for fake servers.
class RawListener {
 public:
  explicit RawListener(int backlog = 16) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, backlog);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RawListener() { ::close(fd_); }
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  uint16_t port() const { return port_; }
  std::unique_ptr<RawSocket> Accept() {
    int fd = ::accept(fd_, nullptr, nullptr);
    if (fd < 0) return nullptr;
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return RawSocket::FromFd(fd);
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port nothing listens on (bound, then released).
inline uint16_t UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace fluss::rpc::testing
