// ServerProcess itself: start, listening port, restart on the same port, kill, clean stop.
#include "support/server_process.h"
#include "support/status_macros.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace fluss::testing {
namespace {

bool CanConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

TEST(ServerProcessTest, StartsOnAFreePortAndAcceptsConnections) {
  auto server = ServerProcess::Start();
  ASSERT_OK(server);
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), "127.0.0.1:" + std::to_string((*server)->port()));
  EXPECT_TRUE(CanConnect((*server)->port()));
  EXPECT_NE((*server)->ReadLog().find("fluss-server listening on"), std::string::npos);
  EXPECT_OK((*server)->Stop());
  EXPECT_FALSE((*server)->running());
}

TEST(ServerProcessTest, RestartAfterKillKeepsPortAndDataDir) {
  auto server = ServerProcess::Start();
  ASSERT_OK(server);
  const uint16_t port = (*server)->port();
  ASSERT_OK((*server)->Kill());
  EXPECT_FALSE((*server)->running());
  ASSERT_TRUE((*server)->Restart().ok()) << (*server)->ReadLog();
  EXPECT_EQ((*server)->port(), port);
  EXPECT_TRUE(CanConnect(port));
}

TEST(ServerProcessTest, DestructorRemovesTempDir) {
  std::string dir;
  {
    auto server = ServerProcess::Start();
    ASSERT_OK(server);
    dir = (*server)->data_dir();
    EXPECT_TRUE(std::filesystem::exists(dir));
  }
  if (std::getenv("FLUSS_KEEP_TEST_DIRS") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(dir));
  }
}

TEST(ServerProcessTest, BadOptionIsReportedWithTheLog) {
  ServerProcessOptions options;
  options.sets = {"bind.listeners=not-a-listener"};
  auto bad = ServerProcess::Start(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("before listening"), std::string::npos) << bad.status().ToString();
}

}  // namespace
}  // namespace fluss::testing
