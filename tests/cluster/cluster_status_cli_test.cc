// `fluss cluster status` against a real cluster (LocalCluster: ZooKeeper, two coordinators, three
// tablet servers as processes): every registered coordinator is listed with its role, and a tablet
// server killed a moment ago — still registered, its ZooKeeper session (10 s here) has not expired —
// is shown SUSPECT, the buckets it leads AT-RISK, and the exit code says the cluster is degraded.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fluss/client.h"
#include "support/local_cluster.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::LocalCluster;
using testing::LocalClusterOptions;
using std::chrono::seconds;
namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};


// Runs the `fluss` binary with `args` (stdout and stderr to files in `dir`), waiting up to `limit`.
RunResult RunFluss(const fs::path& dir, std::vector<std::string> args, seconds limit = seconds(60)) {
  static int counter = 0;
  const fs::path out_path = dir / fmt::format("run{}.out", ++counter);
  const fs::path err_path = dir / fmt::format("run{}.err", counter);
  args.insert(args.begin(), FLUSS_CLI_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  RunResult r;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.err = "(killed after the time limit) ";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = testing::ReadFileToString(out_path);
  r.err += testing::ReadFileToString(err_path);
  return r;
}

// The cells of every table row of the output ("a | b | c"), trimmed; separator lines skipped.
std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" | ") == std::string::npos) continue;
    std::vector<std::string> cells;
    size_t pos = 0;
    while (true) {
      const size_t bar = line.find('|', pos);
      std::string cell = line.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
      if (bar == std::string::npos) break;
      pos = bar + 1;
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

// The row of the servers table for server `id` (cells: id, address, role, state), or empty.
std::vector<std::string> ServerRow(const std::string& out, int32_t id) {
  for (const auto& row : Rows(out)) {
    if (row.size() == 4 && row[0] == std::to_string(id)) return row;
  }
  return {};
}

TEST(ClusterStatusCliTest, ListsTheStandbyCoordinatorAndAKilledServerAsSuspectUntilItsSessionExpires) {
  const std::string why = LocalCluster::Unavailable();
  if (!why.empty()) GTEST_SKIP() << why;
  LocalClusterOptions options;
  // 10 s: the test ZooKeeper's longest session; a crashed server stays registered that long.
  options.sets = {"zookeeper.client.session-timeout=10s", "default.replication.factor=3", "default.bucket.number=3"};
  auto started = LocalCluster::Start(options);
  ASSERT_OK(started);
  auto& cluster = **started;
  const fs::path dir = fs::temp_directory_path() / fmt::format("fluss-cluster-status-{}", ::getpid());
  fs::create_directories(dir);

  Configuration config;
  config.bootstrap_servers = cluster.bootstrap();
  auto conn = Connection::Create(config);
  ASSERT_OK(conn);
  Admin admin = conn.value()->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("db", true));
  const TablePath path = TablePath::Make("db", "t").value();
  TableDescriptor d(ParseSchema("id BIGINT").value());
  ASSERT_OK(admin.CreateTable(path, d));
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  ClusterStatus status;
  while (true) {
    auto s = admin.DescribeCluster();
    ASSERT_OK(s);
    status = *s;
    bool healthy = status.coordinator.has_value() && status.tablet_servers.size() == 3 && status.tables.size() == 1;
    for (const auto& t : status.tables) {
      for (const auto& b : t.buckets) healthy = healthy && b.leader >= 0 && b.isr.size() == 3;
    }
    if (healthy) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the cluster did not become healthy\n" << cluster.Logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // Healthy: both coordinators with their roles, every server ok, exit 0.
  const std::vector<std::string> args = {"-b", cluster.bootstrap(), "cluster", "status"};
  RunResult healthy = RunFluss(dir, args);
  EXPECT_EQ(healthy.exit_code, 0) << healthy.out << healthy.err;
  const int32_t active = status.coordinator->id;
  const int32_t standby = active == LocalCluster::kFirstCoordinatorId ? active + 1 : LocalCluster::kFirstCoordinatorId;
  EXPECT_EQ(ServerRow(healthy.out, active),
            (std::vector<std::string>{std::to_string(active), cluster.ById(active)->address(), "coordinator (active)",
                                      "ok"}))
      << healthy.out;
  EXPECT_EQ(ServerRow(healthy.out, standby),
            (std::vector<std::string>{std::to_string(standby), cluster.ById(standby)->address(),
                                      "coordinator (standby)", "ok"}))
      << healthy.out;
  EXPECT_NE(healthy.out.find(fmt::format("standby coordinator(s): {}; suspect server(s): none", standby)),
            std::string::npos)
      << healthy.out;

  // kill -9 the leader of bucket 0; asked at once, it is still registered but does not answer.
  const int32_t victim = status.tables[0].buckets[0].leader;
  std::vector<int32_t> led;
  for (const auto& b : status.tables[0].buckets) {
    if (b.leader == victim) led.push_back(b.bucket);
  }
  ASSERT_OK(cluster.ById(victim)->Kill());
  RunResult degraded = RunFluss(dir, args);
  std::cerr << "fluss cluster status right after kill -9 of server " << victim << ":\n" << degraded.out << degraded.err;
  EXPECT_EQ(degraded.exit_code, 3) << degraded.out << degraded.err;
  const auto row = ServerRow(degraded.out, victim);
  ASSERT_EQ(row.size(), 4u) << "server " << victim << " is not listed (its session expired already?)\n"
                            << degraded.out;
  EXPECT_EQ(row[2], "tablet");
  EXPECT_EQ(row[3], "SUSPECT") << degraded.out;
  for (int32_t id : {1, 2, 3}) {
    if (id == victim) continue;
    const auto other = ServerRow(degraded.out, id);
    EXPECT_TRUE(other.size() == 4 && other[3] == "ok") << "server " << id << "\n" << degraded.out;
  }
  int at_risk = 0;
  for (const auto& r : Rows(degraded.out)) {
    if (r.size() != 7 || r[0] != "db.t") continue;
    const bool led_by_victim = std::find(led.begin(), led.end(), std::stoi(r[1])) != led.end();
    EXPECT_EQ(r[6] == "AT-RISK", led_by_victim) << degraded.out;
    at_risk += r[6] == "AT-RISK";
  }
  EXPECT_EQ(at_risk, static_cast<int>(led.size())) << degraded.out;
  EXPECT_NE(degraded.out.find(fmt::format("{} at risk; standby coordinator(s): {}; suspect server(s): {}", led.size(),
                                          standby, victim)),
            std::string::npos)
      << degraded.out;
  EXPECT_NE(degraded.err.find(fmt::format("suspect server(s) {}", victim)), std::string::npos) << degraded.err;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace fluss
