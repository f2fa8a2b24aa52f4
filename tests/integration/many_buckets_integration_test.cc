// Buckets cost what they hold: 1,000 buckets (250 tables x 4) on one standalone fluss-server whose
// open-file limit is 256 (soft and hard, so it cannot raise it), a row written to each, a restart,
// and every row read back. The server keeps within its budget of open segment files meanwhile.
// (10,000 buckets, with creation time, RSS and disk per bucket, are in `make bench`.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <set>
#include <sstream>

#include "fluss/client.h"
#include "support/eventually.h"
#include "support/server_process.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using namespace std::chrono_literals;
using testing::ServerProcess;
using testing::ServerProcessOptions;

constexpr int kTables = 250;
constexpr int kBuckets = 4;
constexpr uint64_t kOpenFileLimit = 256;

// Descriptors process `pid` holds on segment files ("{20 digits}{suffix}") under `dir`.
size_t OpenFilesOf(pid_t pid, const std::string& dir, std::string_view suffix) {
  const std::string prefix = std::filesystem::canonical(dir).string() + "/";
  size_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), link_ec).string();
    const std::string name = std::filesystem::path(target).filename().string();
    if (!link_ec && target.starts_with(prefix) && name.size() == 20 + suffix.size() && name.ends_with(suffix)) ++n;
  }
  return n;
}

// The "Max open files" line of /proc/<pid>/limits.
std::string OpenFileLimitOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Max open files")) return line;
  }
  return {};
}

TablePath PathOf(int t) { return TablePath::Make("many", "t" + std::to_string(t)).value(); }

class ManyBucketsIntegrationTest : public ::testing::Test {
 protected:
  void TearDown() override {
    conn_.reset();
    if (HasFailure() && server_) std::cerr << "---- server log (end) ----\n" << Tail(server_->ReadLog()) << "\n";
  }

  static std::string Tail(const std::string& s) { return s.size() < 6000 ? s : s.substr(s.size() - 6000); }

  void Connect() {
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 5ms;
    conn_ = Connection::Create(c).value();
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(ManyBucketsIntegrationTest, ThousandBucketsUnderAnOpenFileLimitOf256SurviveARestart) {
  ServerProcessOptions options;
  options.open_file_limit = kOpenFileLimit;
  options.log_level = "warn";
  options.start_timeout = 60s;
  auto started = ServerProcess::Start(options);
  ASSERT_OK(started);
  server_ = std::move(started).value();
  const std::string limits = OpenFileLimitOf(server_->pid());
  std::istringstream fields(limits.substr(std::string("Max open files").size()));
  uint64_t soft = 0, hard = 0;
  fields >> soft >> hard;
  ASSERT_EQ(soft, kOpenFileLimit) << limits;
  ASSERT_EQ(hard, kOpenFileLimit) << limits;
  Connect();

  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("many"));
  TableDescriptor descriptor(ParseSchema("id INT NOT NULL, name STRING").value());
  descriptor.DistributedBy(kBuckets);
  for (int t = 0; t < kTables; ++t) {
    Status st = admin.CreateTable(PathOf(t), descriptor);
    ASSERT_TRUE(st.ok()) << "table " << t << ": " << st.ToString();
  }
  // One row into each bucket: the writer moves to the next bucket after each sent batch.
  for (int t = 0; t < kTables; ++t) {
    Table table = conn_->GetTable(PathOf(t)).value();
    auto writer = table.NewAppendWriter().value();
    for (int b = 0; b < kBuckets; ++b) {
      const int id = t * kBuckets + b;
      ASSERT_OK(writer->Append(GenericRow({Datum(id), Datum("row-" + std::to_string(id))})));
      Status flushed = writer->Flush();
      ASSERT_TRUE(flushed.ok()) << "table " << t << ": " << flushed.ToString();
    }
  }
  for (int t = 0; t < kTables; t += 50) {
    auto offsets = admin.ListOffsets(PathOf(t), OffsetSpec::Latest());
    ASSERT_OK(offsets);
    for (const auto& [bucket, offset] : *offsets) EXPECT_EQ(offset, 1) << "table " << t << " bucket " << bucket;
  }
  // Within the budget (auto: half the limit) of open .log files, 1,000 segments notwithstanding. A
  // segment in use when the budget is enforced is closed later, not waited for, so the count may pass
  // the budget by the segments in use at that moment (a flush, an append, a fetch: a few at most).
  constexpr size_t kInUseSlack = 8;
  EXPECT_LE(OpenFilesOf(server_->pid(), server_->data_dir(), ".log"), kOpenFileLimit / 2 + kInUseSlack);

  conn_.reset();
  Status restarted = server_->Restart();
  ASSERT_OK(restarted);
  Connect();
  EXPECT_LE(OpenFilesOf(server_->pid(), server_->data_dir(), ".log"), kOpenFileLimit / 2 + kInUseSlack);

  for (int t = 0; t < kTables; ++t) {
    Table table = conn_->GetTable(PathOf(t)).value();
    auto scanner = table.NewLogScanner().value();
    for (int b = 0; b < kBuckets; ++b) ASSERT_OK(scanner->Subscribe(b, kEarliestOffset));
    std::set<int32_t> ids;
    std::set<int32_t> buckets;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (ids.size() < static_cast<size_t>(kBuckets) && std::chrono::steady_clock::now() < deadline) {
      auto records = scanner->Poll(500ms);
      ASSERT_TRUE(records.ok()) << "table " << t << ": " << records.status().ToString();
      for (const auto& r : *records) {
        const int32_t id = r.row.GetInt(0);
        EXPECT_EQ(r.row.GetString(1), "row-" + std::to_string(id));
        EXPECT_EQ(id / kBuckets, t);
        ids.insert(id);
        buckets.insert(r.bucket);
      }
    }
    ASSERT_EQ(ids.size(), static_cast<size_t>(kBuckets)) << "table " << t;
    EXPECT_EQ(buckets.size(), static_cast<size_t>(kBuckets)) << "table " << t;
  }
  EXPECT_LE(OpenFilesOf(server_->pid(), server_->data_dir(), ".log"), kOpenFileLimit / 2 + kInUseSlack);
  EXPECT_OK(server_->Stop());
}

// The descriptors process `pid` holds.
size_t DescriptorsOf(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// A CREATE TABLE that fails with "Too many open files" part way leaves no directory: the create
// after it and the restart find nothing half made (nothing moved aside either).
TEST_F(ManyBucketsIntegrationTest, CreateThatRunsOutOfDescriptorsLeavesNothingBehind) {
  constexpr uint64_t kLimit = 100;
  ServerProcessOptions options;
  options.open_file_limit = kLimit;
  options.sets = {"log.open-files.max=16"};
  auto started = ServerProcess::Start(options);
  ASSERT_OK(started);
  server_ = std::move(started).value();
  Connect();
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("full"));
  TableDescriptor descriptor(ParseSchema("id INT NOT NULL, name STRING").value());
  descriptor.DistributedBy(kBuckets);
  ASSERT_OK(admin.CreateTable(TablePath::Make("full", "before").value(), descriptor));

  // Idle connections until the server has no descriptor left (the rest wait in its accept queue).
  std::vector<int> sockets;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server_->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (uint64_t i = 0; i < kLimit + 20; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0) << std::strerror(errno);
    sockets.push_back(fd);
  }
  ASSERT_TRUE(testing::Eventually([&] { return DescriptorsOf(server_->pid()) >= kLimit; }, 30s, 10ms))
      << DescriptorsOf(server_->pid()) << " descriptors";

  Status st = admin.CreateTable(TablePath::Make("full", "t").value(), descriptor);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Too many open files"), std::string::npos) << st.ToString();
  for (int fd : sockets) ::close(fd);
  ASSERT_TRUE(testing::Eventually([&] { return DescriptorsOf(server_->pid()) < kLimit / 2; }, 30s, 10ms));

  auto table_dirs = [&] {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(server_->data_dir() + "/full", ec)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_EQ(table_dirs(), std::vector<std::string>{"before-1"});
  ASSERT_OK(admin.CreateTable(TablePath::Make("full", "t").value(), descriptor));
  conn_.reset();
  ASSERT_OK(server_->Restart());
  Connect();
  EXPECT_EQ(conn_->GetAdmin().ListTables("full").value(), (std::vector<std::string>{"before", "t"}));
  EXPECT_EQ(table_dirs(), (std::vector<std::string>{"before-1", "t-3"}));
  EXPECT_FALSE(std::filesystem::exists(server_->data_dir() + "/.quarantine")) << server_->ReadLog();
  EXPECT_OK(server_->Stop());
}

TEST_F(ManyBucketsIntegrationTest, ServerRefusesToStartWhenTheLimitCannotCoverWhatItMustKeepOpen) {
  ServerProcessOptions options;
  options.open_file_limit = 100;
  options.sets = {"log.open-files.max=500"};
  auto started = ServerProcess::Start(options);
  ASSERT_FALSE(started.ok());
  const std::string message = started.status().message();
  EXPECT_NE(message.find("exited with code 1"), std::string::npos) << message;
  EXPECT_NE(message.find("the open-file limit (ulimit -n) is 100"), std::string::npos) << message;
  EXPECT_NE(message.find("log.open-files.max = 500"), std::string::npos) << message;
  EXPECT_NE(message.find("at least 564"), std::string::npos) << message;
}

}  // namespace
}  // namespace fluss
