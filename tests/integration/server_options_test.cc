// fluss-server's option checking, on the real binary: a mistyped option stops it before anything
// starts (exit 2, the option named with a "did you mean"), from --set or from the config file; an
// Apache Fluss option fluss-cpp does not implement starts it with a warning naming the option.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/server_process.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;
using testing::ServerProcess;
using testing::ServerProcessOptions;

class ServerOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "fluss-options-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root_;
};

TEST_F(ServerOptionsTest, AMistypedSetOptionStopsTheServerBeforeAnythingStarts) {
  ServerProcessOptions options;
  options.data_dir = root_ + "/data";
  options.sets = {"data.dirr=" + root_ + "/x"};
  auto server = ServerProcess::Start(options);
  ASSERT_FALSE(server.ok()) << "the server started with a mistyped option";
  const std::string& message = server.status().message();
  EXPECT_NE(message.find("exited with code 2 before listening"), std::string::npos) << message;
  EXPECT_NE(message.find("fluss-server: --set: unknown option 'data.dirr'; did you mean 'data.dir'?"),
            std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(root_ + "/x"));
  EXPECT_TRUE(fs::is_empty(root_ + "/data")) << "no lock, no metadata: nothing was started";
}

TEST_F(ServerOptionsTest, AMistypedFileOptionIsNamedWithItsLine) {
  const std::string yaml = root_ + "/server.yaml";
  std::ofstream(yaml) << "# listeners\nbind.listener: FLUSS://127.0.0.1:0\ndefault.bucket.number: 2\n";
  ServerProcessOptions options;
  options.data_dir = root_ + "/data";
  options.args = {"--config", yaml};
  auto server = ServerProcess::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("fluss-server: " + yaml +
                                           ":2: unknown option 'bind.listener'; did you mean 'bind.listeners'?"),
            std::string::npos)
      << server.status().message();
}

TEST_F(ServerOptionsTest, AFlussOptionFlussCppDoesNotImplementIsAWarning) {
  ServerProcessOptions options;
  options.data_dir = root_ + "/data";
  options.sets = {"remote.data.dir=" + root_ + "/remote", "kv.snapshot.interval=5min"};
  auto server = ServerProcess::Start(options);
  ASSERT_OK(server);
  const std::string log = (*server)->ReadLog();
  for (const char* key : {"remote.data.dir", "kv.snapshot.interval"}) {
    EXPECT_NE(log.find(std::string("warning option '") + key +
                       "' is an Apache Fluss option that fluss-cpp does not implement; ignored"),
              std::string::npos)
        << log;
  }
  EXPECT_OK((*server)->Stop());
}

}  // namespace
}  // namespace fluss
