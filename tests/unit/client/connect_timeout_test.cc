// client.connect-timeout is honoured once: against a server that never answers, Connection::Create
// gives up no sooner than the timeout and well before twice it (it used to wait once while looking
// for the coordinator and once more on the bootstrap fallback).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "fluss/client.h"

namespace fluss {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A loopback listener that never accepts: the kernel completes the TCP handshake into the backlog,
// and nothing ever answers a request (a hung server).
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(ConnectTimeoutTest, AHungServerIsGivenUpOnceAfterTheConnectTimeout) {
  SilentListener hung;
  Configuration c;
  c.bootstrap_servers = hung.address();
  c.connect_timeout = 2s;
  const auto start = Clock::now();
  auto conn = Connection::Create(c);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), ErrorCode::kNetworkException) << conn.status().ToString();
  EXPECT_EQ(conn.status().message().rfind("cannot connect to " + hung.address(), 0), 0u) << conn.status().message();
  EXPECT_GE(elapsed, c.connect_timeout);
  EXPECT_LT(elapsed, c.connect_timeout * 3 / 2)
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
}

TEST(ConnectTimeoutTest, ARequestTimeoutShorterThanTheConnectTimeoutBoundsTheHandshake) {
  SilentListener hung;
  Configuration c;
  c.bootstrap_servers = hung.address();
  c.connect_timeout = 30s;
  c.request_timeout = 2s;
  const auto start = Clock::now();
  auto conn = Connection::Create(c);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().message().rfind("cannot connect to " + hung.address(), 0), 0u) << conn.status().message();
  EXPECT_GE(elapsed, c.request_timeout);
  EXPECT_LT(elapsed, c.request_timeout * 3 / 2)
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
}

}  // namespace
}  // namespace fluss
