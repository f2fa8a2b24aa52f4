// The `fluss` command end to end: the real binary against one real fluss-server (ServerProcess),
// each test in its own database. Checks outputs exactly, exit codes, and the one-line errors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>
#include <set>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "format/arrow/stream.h"
#include "lake/tiering/lake_tiering.h"
#include "support/eventually.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::ServerProcess;
namespace fs = std::filesystem;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
};


void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// A started `fluss` process with stdin from a file (or a pipe the test writes: `input` nullopt)
// and stdout/stderr to files.
class FlussProcess {
 public:
  FlussProcess(const std::string& dir, std::vector<std::string> args, const std::optional<std::string>& input,
               std::vector<std::string> env = {}) {
    static int counter = 0;
    const std::string base = fmt::format("{}/run{}", dir, ++counter);
    in_path_ = base + ".in";
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    int pipe_fds[2] = {-1, -1};
    if (input) {
      WriteFile(in_path_, *input);
    } else if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    }
    args.insert(args.begin(), FLUSS_CLI_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {
      const std::string_view var(*e);
      if (var.rfind("FLUSS_BOOTSTRAP=", 0) != 0 && var.rfind("FLUSS_WAREHOUSE=", 0) != 0) envp.push_back(*e);
    }
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    start_ = std::chrono::steady_clock::now();
    pid_ = fork();
    if (pid_ == 0) {
      int in = input ? open(in_path_.c_str(), O_RDONLY) : pipe_fds[0];
      int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    if (!input) {
      close(pipe_fds[0]);
      stdin_fd_ = pipe_fds[1];
    }
  }
  ~FlussProcess() { CloseInput(); }

  // The write end of the stdin pipe (-1 when stdin is a file).
  int stdin_fd() const { return stdin_fd_; }
  void CloseInput() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }
  // Writes all of `text` to the stdin pipe; false once the reader is gone (EPIPE).
  bool WriteInput(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = write(stdin_fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void Signal(int sig) { kill(pid_, sig); }

  // Waits (SIGKILL once `timeout` passed since the start: a generous bound) and collects the outputs.
  RunResult Wait(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    RunResult r;
    int status = 0;
    const auto deadline = start_ + timeout;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        r.err = "(killed after the timeout) ";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = testing::ReadFileToString(out_path_);
    r.err += testing::ReadFileToString(err_path_);
    return r;
  }

  std::string CurrentOutput() const { return testing::ReadFileToString(out_path_); }
  std::string CurrentErrors() const { return testing::ReadFileToString(err_path_); }
  const std::string& out_path() const { return out_path_; }

 private:
  int stdin_fd_ = -1;
  pid_t pid_ = -1;
  std::string in_path_, out_path_, err_path_;
  std::chrono::steady_clock::time_point start_;
};

// A loopback port nothing listens on.
uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);  // a test writing to a `fluss` that exited sees EPIPE
    testing::ServerProcessOptions options;
    options.sets = {"default.bucket.number=1"};
    auto s = ServerProcess::Start(options);
    ASSERT_OK(s);
    server_ = std::move(s).value().release();
    work_dir_ = server_->data_dir() + "/../cli-work";
    fs::create_directories(work_dir_);
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_OK(server_->Stop());
      delete server_;
      server_ = nullptr;
    }
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    // One database per test, named after it.
    db_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : db_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Ok({"db", "create", db_});
  }

  RunResult Run(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"-b", server_->address()});
    return FlussProcess(work_dir_, std::move(args), input).Wait();
  }
  // Runs and expects exit 0; returns stdout.
  std::string Ok(std::vector<std::string> args, const std::string& input = "") {
    RunResult r = Run(args, input);
    EXPECT_EQ(r.exit_code, 0) << fmt::format("fluss {}\nstderr: {}", fmt::join(args, " "), r.err);
    return r.out;
  }
  std::string T(const std::string& name) const { return db_ + "." + name; }
  std::string Path(const std::string& name) const { return work_dir_ + "/" + db_ + "_" + name; }

  static ServerProcess* server_;
  static std::string work_dir_;
  std::string db_;
};

ServerProcess* CliTest::server_ = nullptr;
std::string CliTest::work_dir_;

constexpr const char* kAllTypes =
    "id INT NOT NULL, name STRING, amount DOUBLE, price DECIMAL(10, 2), ok BOOLEAN, small SMALLINT, tiny TINYINT, "
    "big BIGINT, ratio FLOAT, day DATE, t TIME(3), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(6), raw BYTES, code CHAR(3)";

TEST_F(CliTest, HelpExitsZeroOnEveryCommand) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--help"}, {"db", "--help"}, {"db", "create", "--help"}, {"table", "create", "--help"},
           {"table", "describe", "--help"}, {"produce", "--help"}, {"scan", "--help"}, {"offsets", "--help"},
           {"upsert", "--help"}, {"delete", "--help"}, {"lookup", "--help"}, {"cluster", "status", "--help"},
           {"partition", "--help"}, {"partition", "create", "--help"}}) {
    RunResult r = FlussProcess(work_dir_, args, "").Wait();
    EXPECT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(args, " "));
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
  RunResult top = FlussProcess(work_dir_, {"--help"}, "").Wait();
  for (const char* cmd : {"db", "table", "produce", "upsert", "delete", "lookup", "scan", "offsets", "FLUSS_BOOTSTRAP"}) {
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
  }
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLine) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {}, {"bogus"}, {"scan"}, {"scan", T("t"), "--format", "xml"}, {"scan", T("t"), "--from", "yesterday"},
           {"scan", "no_dot"}, {"offsets", T("t"), "--at", "offset:3"}, {"--connect-timeout", "soon", "db", "list"}}) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << fmt::format("{}: {}", fmt::join(args, " "), r.err);
    EXPECT_EQ(r.err.rfind("fluss: ", 0), 0u) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
}

TEST_F(CliTest, DatabaseAndTableDdl) {
  EXPECT_NE(Ok({"db", "list"}).find(db_ + "\n"), std::string::npos);
  RunResult again = Run({"db", "create", db_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find(db_), std::string::npos) << again.err;
  Ok({"db", "create", db_, "--if-not-exists"});

  Ok({"table", "create", T("orders"), "--schema", "id INT NOT NULL, name STRING, ts TIMESTAMP(3)", "--buckets", "3",
      "--bucket-key", "id", "--property", "owner=ops", "--property", "team=core", "--comment", "the orders"});
  RunResult dup = Run({"table", "create", T("orders"), "--schema", "id INT"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find(T("orders")), std::string::npos) << dup.err;
  Ok({"table", "create", T("orders"), "--schema", "id INT", "--if-not-exists"});
  Ok({"table", "create", T("events"), "--schema", "x BIGINT"});
  EXPECT_EQ(Ok({"table", "list", db_}), "events\norders\n");

  const std::string d = Ok({"table", "describe", T("orders")});
  for (const char* want : {"buckets:      3", "bucket keys:  id", "table id:", "schema id:", "owner = ops",
                           "team = core", "the orders"}) {
    EXPECT_NE(d.find(want), std::string::npos) << want << "\n" << d;
  }
  // Columns with their types, one per line.
  bool id_line = false, ts_line = false;
  for (const auto& l : Lines(d)) {
    id_line |= l.find("id ") != std::string::npos && l.find("INT NOT NULL") != std::string::npos;
    ts_line |= l.find("ts ") != std::string::npos && l.find("TIMESTAMP(3)") != std::string::npos;
  }
  EXPECT_TRUE(id_line && ts_line) << d;

  Ok({"table", "drop", T("events")});
  EXPECT_EQ(Run({"table", "drop", T("events")}).exit_code, 1);
  Ok({"table", "drop", T("events"), "--if-exists"});
  RunResult not_empty = Run({"db", "drop", db_});
  EXPECT_EQ(not_empty.exit_code, 1) << not_empty.err;
  Ok({"db", "drop", db_, "--cascade"});
  EXPECT_EQ(Ok({"db", "list"}).find(db_ + "\n"), std::string::npos);
  Ok({"db", "drop", db_, "--if-exists"});
}

TEST_F(CliTest, PartitionedTablesAndTheirPartitions) {
  Ok({"table", "create", T("visits"), "--schema", "id BIGINT NOT NULL, region STRING, dt STRING, v DOUBLE",
      "--partition-by", "dt,region", "--buckets", "2"});
  Ok({"table", "create", T("pk"), "--schema",
      "id BIGINT NOT NULL, dt STRING NOT NULL, PRIMARY KEY (id, dt) PARTITIONED BY (dt)"});
  EXPECT_NE(Ok({"table", "describe", T("visits")}).find("partitioned:  by dt, region (each partition has 2 buckets)"),
            std::string::npos);
  EXPECT_NE(Ok({"table", "describe", T("pk")}).find("partitioned:  by dt"), std::string::npos);
  Ok({"partition", "create", T("visits"), "--spec", "dt=2026-12-07", "--spec", "region=eu"});
  Ok({"partition", "create", T("visits"), "--spec", "dt=2026-12-07/region=us"});
  Ok({"partition", "create", T("visits"), "--spec", "region=us,dt=2026-12-08"});
  Ok({"partition", "create", T("visits"), "--spec", "dt=2026-12-08/region=us", "--if-not-exists"});
  const std::string all = Ok({"partition", "list", T("visits")});
  EXPECT_EQ(Lines(all).size(), 5u) << all;  // header, rule, three partitions
  EXPECT_NE(all.find("dt=2026-12-07/region=eu"), std::string::npos) << all;
  EXPECT_NE(all.find("dt=2026-12-08/region=us"), std::string::npos) << all;
  const std::string us = Ok({"partition", "list", T("visits"), "--spec", "region=us"});
  EXPECT_EQ(Lines(us).size(), 4u) << us;
  EXPECT_EQ(us.find("region=eu"), std::string::npos) << us;
  Ok({"partition", "drop", T("visits"), "--spec", "dt=2026-12-07/region=eu"});
  Ok({"partition", "drop", T("visits"), "--spec", "dt=2026-12-07/region=eu", "--if-exists"});
  EXPECT_EQ(Lines(Ok({"partition", "list", T("visits")})).size(), 4u);

  // Errors: a server refusal exits 1 naming the cause; bad arguments exit 2.
  RunResult missing = Run({"partition", "drop", T("visits"), "--spec", "dt=2026-12-07/region=eu"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, fmt::format("fluss: partition 'dt=2026-12-07/region=eu' of table '{}' does not exist\n",
                                     T("visits")));
  RunResult partial = Run({"partition", "create", T("visits"), "--spec", "dt=2026-12-09"});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_NE(partial.err.find("PartitionSpec size is not equal to partition keys size"), std::string::npos)
      << partial.err;
  RunResult flat = Run({"partition", "list", T("flat")});
  EXPECT_EQ(flat.exit_code, 1);
  Ok({"table", "create", T("flat"), "--schema", "id INT"});
  flat = Run({"partition", "list", T("flat")});
  EXPECT_EQ(flat.exit_code, 1);
  EXPECT_EQ(flat.err, fmt::format("fluss: table '{}' is not partitioned\n", T("flat")));
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"partition", "create", T("visits")},
           {"partition", "create", T("visits"), "--spec", "dt"},
           {"partition", "drop", T("visits"), "--spec", "dt=1", "--spec", "dt=2"},
           {"table", "create", T("both"), "--schema", "a INT, b STRING PARTITIONED BY (b)", "--partition-by", "b"},
           {"table", "create", T("badkey"), "--schema", "a INT, b DECIMAL(5, 2)", "--partition-by", "b"}}) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << fmt::format("{}: {}", fmt::join(args, " "), r.err);
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
}

// Rows routed by their partition values (missing partitions made on the way), read back whole or by
// --partition, offsets per (partition, bucket), lookups and prefix lookups in a partition.
TEST_F(CliTest, PartitionedTablesProduceScanOffsetsAndLookup) {
  Ok({"table", "create", T("visits"), "--schema", "id BIGINT NOT NULL, region STRING, dt STRING, v DOUBLE",
      "--partition-by", "dt,region", "--buckets", "2"});
  RunResult produce = Run({"produce", T("visits")},
                          "1,eu,2026-12-07,1.5\n2,us,2026-12-07,2.5\n3,eu,2026-12-08,3.5\n4,eu,2026-12-07,4.5\n");
  ASSERT_EQ(produce.exit_code, 0) << produce.err;
  EXPECT_NE(produce.err.find("produced 4 rows to " + T("visits")), std::string::npos) << produce.err;
  EXPECT_NE(produce.err.find("; created 3 partitions"), std::string::npos) << produce.err;
  EXPECT_EQ(Lines(Ok({"partition", "list", T("visits")})).size(), 5u);  // header, rule, three partitions

  // Every row once, whatever partition and bucket it is in.
  auto ids = [&](std::vector<std::string> args) {
    std::vector<std::string> out = Lines(Ok(std::move(args)));
    if (!out.empty()) out.erase(out.begin());  // the CSV header
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(ids({"scan", T("visits"), "--format", "csv", "--columns", "id"}),
            (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(ids({"scan", T("visits"), "--format", "csv", "--columns", "id", "--partition", "dt=2026-12-07"}),
            (std::vector<std::string>{"1", "2", "4"}));
  EXPECT_EQ(ids({"scan", T("visits"), "--format", "csv", "--columns", "id", "--partition",
                 "dt=2026-12-07/region=eu", "--partition", "dt=2026-12-08"}),
            (std::vector<std::string>{"1", "3", "4"}));
  RunResult bad_key = Run({"scan", T("visits"), "--partition", "day=2026-12-07"});
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_NE(bad_key.err.find("has no partition key 'day'"), std::string::npos) << bad_key.err;
  RunResult none = Run({"scan", T("visits"), "--partition", "dt=2030-01-01"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("--partition dt=2030-01-01: table '" + T("visits") + "' has no such partition"),
            std::string::npos)
      << none.err;

  // One line per (partition, bucket), named by the partition; --partition limits them.
  const auto offsets = Lines(Ok({"offsets", T("visits")}));
  ASSERT_EQ(offsets.size(), 2u + 3 * 2) << fmt::format("{}", fmt::join(offsets, "\n"));
  EXPECT_NE(offsets[0].find("partition"), std::string::npos);
  const auto eu7 = Lines(Ok({"offsets", T("visits"), "--partition", "dt=2026-12-07/region=eu"}));
  ASSERT_EQ(eu7.size(), 4u);
  int64_t rows = 0;
  for (size_t i = 2; i < eu7.size(); ++i) {
    EXPECT_NE(eu7[i].find("dt=2026-12-07/region=eu"), std::string::npos) << eu7[i];
    std::istringstream cells(eu7[i].substr(eu7[i].find('|', eu7[i].find('|') + 1) + 1));
    std::string earliest, bar, latest;
    cells >> earliest >> bar >> latest;
    rows += std::stoll(latest) - std::stoll(earliest);
  }
  EXPECT_EQ(rows, 2);  // ids 1 and 4

  // A bad partition value writes nothing and creates nothing.
  RunResult bad = Run({"produce", T("visits")}, "5,eu,2026-12-09,1\n6,e/u,2026-12-09,1\n");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("e/u"), std::string::npos) << bad.err;
  EXPECT_EQ(Lines(Ok({"partition", "list", T("visits")})).size(), 5u);

  // Primary-key tables: upserts, deletes and lookups within a partition; a missing partition finds nothing.
  Ok({"table", "create", T("pk"), "--schema",
      "id BIGINT NOT NULL, seq INT NOT NULL, dt STRING NOT NULL, v STRING, PRIMARY KEY (id, seq, dt) PARTITIONED BY (dt)",
      "--bucket-key", "id", "--buckets", "2"});
  Ok({"upsert", T("pk"), "-q"}, "1,1,2026-12-07,a\n1,2,2026-12-07,b\n1,1,2026-12-08,c\n2,1,2026-12-07,d\n");
  Ok({"delete", T("pk"), "-q"}, "1,2,2026-12-07\n");
  EXPECT_EQ(Ok({"lookup", T("pk"), "--key", "id=1", "--key", "seq=1", "--key", "dt=2026-12-08", "--format", "json"}),
            "{\"id\":1,\"seq\":1,\"dt\":\"2026-12-08\",\"v\":\"c\"}\n");
  EXPECT_EQ(Ok({"lookup", T("pk"), "--key", "id=1", "--key", "seq=2", "--key", "dt=2026-12-07"}), "");
  EXPECT_EQ(Ok({"lookup", T("pk"), "--key", "id=1", "--key", "seq=1", "--key", "dt=2031-01-01"}), "");
  EXPECT_EQ(Ok({"lookup", T("pk"), "--key", "id=1", "--key", "dt=2026-12-07", "--format", "json"}),
            "{\"id\":1,\"seq\":1,\"dt\":\"2026-12-07\",\"v\":\"a\"}\n");
}

TEST_F(CliTest, BadSchemaDslIsAUsageErrorNamingTheToken) {
  RunResult r = Run({"table", "create", T("t"), "--schema", "id INT, name STRNG"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("fluss: schema: at column ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("STRNG"), std::string::npos) << r.err;
  RunResult key = Run({"table", "create", T("t"), "--schema", "id INT", "--bucket-key", "nope"});
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_NE(key.err.find("nope"), std::string::npos) << key.err;
}

TEST_F(CliTest, MissingTableIsReportedByName) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"scan", T("nope")}, {"produce", T("nope")}, {"table", "describe", T("nope")}, {"offsets", T("nope")}}) {
    RunResult r = Run(args, "1\n");
    EXPECT_EQ(r.exit_code, 1) << fmt::format("{}", fmt::join(args, " "));
    EXPECT_EQ(r.err, fmt::format("fluss: table '{}' does not exist\n", T("nope")));
  }
}

TEST_F(CliTest, CsvProduceThenJsonScanRoundTripsEveryType) {
  Ok({"table", "create", T("all"), "--schema", kAllTypes});
  // Header in another order; quoting; unquoted empty = NULL, quoted empty = empty string.
  const std::string csv =
      "code,id,name,amount,price,ok,small,tiny,big,ratio,day,t,ts,ltz,raw\n"
      "abc,1,\"Smith, \"\"J\"\"\",1.5,12.34,true,-7,8,9007199254740993,0.25,2024-02-29,23:59:59.999,"
      "2024-01-02 03:04:05.123,2024-01-02T03:04:05.123456Z,AAEC/w==\n"
      ",2,,,,,,,,,,,,,\n"
      "x,3,\"\",-0.001,-0.5,FALSE,32767,-128,-1,-1e-3,1969-12-31,00:00:00.000,1704164645123,0,\"\"\n"
      "y,4,\"multi\nline\",1e300,99999999.99,true,0,0,0,0,0001-01-01,12:00:00.5,1960-06-01 00:00:00.001,"
      "9999-12-31 23:59:59.999999,AA==\n";
  const std::string file = Path("in.csv");
  WriteFile(file, csv);
  RunResult produce = Run({"produce", T("all"), "--file", file, "--header"});
  ASSERT_EQ(produce.exit_code, 0) << produce.err;
  EXPECT_NE(produce.err.find("produced 4 rows to " + T("all")), std::string::npos) << produce.err;

  const std::vector<std::string> expected = {
      R"({"id":1,"name":"Smith, \"J\"","amount":1.5,"price":"12.34","ok":true,"small":-7,"tiny":8,)"
      R"("big":9007199254740993,"ratio":0.25,"day":"2024-02-29","t":"23:59:59.999","ts":"2024-01-02 03:04:05.123",)"
      R"("ltz":"2024-01-02 03:04:05.123456Z","raw":"AAEC/w==","code":"abc"})",
      R"({"id":2,"name":null,"amount":null,"price":null,"ok":null,"small":null,"tiny":null,"big":null,)"
      R"("ratio":null,"day":null,"t":null,"ts":null,"ltz":null,"raw":null,"code":null})",
      R"({"id":3,"name":"","amount":-0.001,"price":"-0.50","ok":false,"small":32767,"tiny":-128,"big":-1,)"
      R"("ratio":-0.001,"day":"1969-12-31","t":"00:00:00.000","ts":"2024-01-02 03:04:05.123",)"
      R"("ltz":"1970-01-01 00:00:00.000000Z","raw":"","code":"x"})",
      R"({"id":4,"name":"multi\nline","amount":1e+300,"price":"99999999.99","ok":true,"small":0,"tiny":0,"big":0,)"
      R"("ratio":0.0,"day":"0001-01-01","t":"12:00:00.500","ts":"1960-06-01 00:00:00.001",)"
      R"("ltz":"9999-12-31 23:59:59.999999Z","raw":"AA==","code":"y"})",
  };
  EXPECT_EQ(Lines(Ok({"scan", T("all"), "--format", "json"})), expected);

  // The JSON output produces the same rows again (JSON lines in, from stdin).
  Ok({"table", "create", T("copy"), "--schema", kAllTypes});
  std::string json_in;
  for (const auto& l : expected) json_in += l + "\n";
  RunResult again = Run({"produce", T("copy"), "--format", "json"}, json_in);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Lines(Ok({"scan", T("copy"), "--format", "json"})), expected);
}

TEST_F(CliTest, JsonLinesProduceThenCsvScan) {
  Ok({"table", "create", T("t"), "--schema", "id BIGINT NOT NULL, name STRING, score DOUBLE, at TIMESTAMP(3)"});
  const std::string file = Path("in.jsonl");
  WriteFile(file,
            "{\"id\": 1, \"name\": \"a,b\", \"score\": 2.5, \"at\": 1704164645123}\n"
            "\n"
            "{\"id\": 2, \"score\": null}\n"
            "{\"id\": 3, \"name\": \"say \\\"hi\\\"\", \"at\": \"2024-01-02 03:04:05\"}\n");
  Ok({"produce", T("t"), "--file", file});  // format from the extension
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}),
            "id,name,score,at\n"
            "1,\"a,b\",2.5,2024-01-02 03:04:05.123\n"
            "2,,,\n"
            "3,\"say \"\"hi\"\"\",,2024-01-02 03:04:05.000\n");
  // CSV output reads back as CSV input with --header.
  const std::string csv = Ok({"scan", T("t"), "--format", "csv"});
  Ok({"table", "create", T("t2"), "--schema", "id BIGINT NOT NULL, name STRING, score DOUBLE, at TIMESTAMP(3)"});
  Ok({"produce", T("t2"), "--header"}, csv);
  EXPECT_EQ(Ok({"scan", T("t2"), "--format", "csv"}), csv);

  RunResult bad = Run({"produce", T("t"), "--format", "json"}, "{\"id\": 5}\n{\"id\": 6, \"nam\": \"x\"}\n");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("line 2: 'nam' is not a column"), std::string::npos) << bad.err;
  RunResult null_key = Run({"produce", T("t"), "--format", "json"}, "{\"name\": \"x\"}\n");
  EXPECT_EQ(null_key.exit_code, 1);
  EXPECT_NE(null_key.err.find("line 1, column 'id': NULL is not allowed"), std::string::npos) << null_key.err;
}

TEST_F(CliTest, ColumnsProjectionLimitAndTableFormat) {
  Ok({"table", "create", T("t"), "--schema", "id INT, name STRING, v DOUBLE"});
  Ok({"produce", T("t")}, "1,one,1.5\n2,two,2.5\n3,three,3.5\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "json", "--columns", "v,id"}),
            "{\"v\":1.5,\"id\":1}\n{\"v\":2.5,\"id\":2}\n{\"v\":3.5,\"id\":3}\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--columns", "name", "--limit", "2"}), "name\none\ntwo\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "json", "--limit", "0"}), "");
  EXPECT_EQ(Ok({"scan", T("t"), "--limit", "2"}),
            "id | name | v\n"
            "---+------+----\n"
            " 1 | one  | 1.5\n"
            " 2 | two  | 2.5\n");
  RunResult bad = Run({"scan", T("t"), "--columns", "id,nope"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("'nope'"), std::string::npos) << bad.err;
}

TEST_F(CliTest, StartPositionsOffsetTimestampLatest) {
  Ok({"table", "create", T("t"), "--schema", "id INT"});
  Ok({"produce", T("t")}, "1\n2\n3\n");
  // The rows so far are stamped before `between`, the later ones at or after it (the clock is
  // waited for, not slept on).
  const int64_t between = NowMillis() + 1;
  while (NowMillis() < between) std::this_thread::yield();
  Ok({"produce", T("t")}, "4\n5\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--from", "earliest"}), "id\n1\n2\n3\n4\n5\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--from", "offset:3"}), "id\n4\n5\n");
  // Past the end: nothing printed, and a note on stderr says why.
  RunResult past = Run({"scan", T("t"), "--format", "csv", "--from", "offset:99"});
  EXPECT_EQ(past.exit_code, 0) << past.err;
  EXPECT_EQ(past.out, "id\n");
  EXPECT_EQ(past.err, "fluss: --from offset:99 is past the end of bucket 0 (its latest offset is 5): nothing to print\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--from", fmt::format("timestamp:{}", between)}), "id\n4\n5\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--from", "timestamp:2000-01-01 00:00:00"}),
            "id\n1\n2\n3\n4\n5\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--from", "latest"}), "id\n");
  EXPECT_EQ(Ok({"offsets", T("t")}),
            "bucket | earliest | latest\n"
            "-------+----------+-------\n"
            "     0 |        0 |      5\n");
  EXPECT_EQ(Ok({"offsets", T("t"), "--at", fmt::format("timestamp:{}", between)}),
            fmt::format("bucket | timestamp:{}\n-------+-{}\n     0 | {:>{}}\n", between,
                        std::string(10 + std::to_string(between).size(), '-'), 3,
                        10 + std::to_string(between).size()));
}

TEST_F(CliTest, ClusterStatusListsServersAndBucketLeaders) {
  Ok({"table", "create", T("t"), "--schema", "id INT", "--buckets", "2"});
  const std::string out = Ok({"cluster", "status", "--table", T("t")});
  const std::string port = std::to_string(server_->port());
  // The standalone server is the coordinator and the one tablet server (id 0); it leads both buckets.
  EXPECT_NE(out.find(" 0 | 127.0.0.1:" + port + " | coordinator (active) | ok\n"), std::string::npos) << out;
  EXPECT_NE(out.find(" 0 | 127.0.0.1:" + port + " | tablet"), std::string::npos) << out;
  const std::string table = T("t");
  for (const char* bucket : {"0", "1"}) {
    const std::string row = fmt::format("{} |      {} |      0 |", table, bucket);
    EXPECT_NE(out.find(row), std::string::npos) << row << "\n" << out;
  }
  EXPECT_NE(out.find("1 tablet server(s), coordinator 0, 2 bucket(s): 0 under-replicated, 0 offline"),
            std::string::npos)
      << out;
  RunResult missing = Run({"cluster", "status", "--table", T("nope")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, fmt::format("fluss: table '{}' does not exist\n", T("nope")));

  // A partitioned table: its buckets per partition (none yet: listed with no bucket, no error).
  Ok({"table", "create", T("p"), "--schema", "id INT, dt STRING", "--partition-by", "dt", "--buckets", "2"});
  EXPECT_NE(Ok({"cluster", "status", "--table", T("p")}).find(", 0 bucket(s):"), std::string::npos);
  Ok({"partition", "create", T("p"), "--spec", "dt=2026-12-07"});
  Ok({"partition", "create", T("p"), "--spec", "dt=2026-12-08"});
  const std::string parts = Ok({"cluster", "status", "--table", T("p")});
  for (const char* dt : {"2026-12-07", "2026-12-08"}) {
    for (const char* bucket : {"0", "1"}) {
      const std::string row = fmt::format("{} dt={} |      {} |      0 |", T("p"), dt, bucket);
      EXPECT_NE(parts.find(row), std::string::npos) << row << "\n" << parts;
    }
  }
  EXPECT_NE(parts.find(", 4 bucket(s): 0 under-replicated"), std::string::npos) << parts;
}

TEST_F(CliTest, FollowPrintsNewRowsUntilInterrupted) {
  Ok({"table", "create", T("t"), "--schema", "id INT, s STRING"});
  Ok({"produce", T("t")}, "1,old\n");
  // Starts after the old row (offset:1 rather than latest, so the test does not race the scan's start).
  FlussProcess follow(work_dir_,
                      {"-b", server_->address(), "scan", T("t"), "--follow", "--from", "offset:1", "--format", "json"}, "");
  // A row, and once the scan printed it (it is following), another one.
  Ok({"produce", T("t")}, "2,new\n");
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 1; }));
  Ok({"produce", T("t")}, "3,newer\n");
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 2; }));
  follow.Signal(SIGINT);
  RunResult r = follow.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"id\":2,\"s\":\"new\"}\n{\"id\":3,\"s\":\"newer\"}\n");
  EXPECT_EQ(r.err, "");
}

// --follow on a partitioned table: partitions created after the scan started are found and read
// from their start; a partition dropped meanwhile ends without an error.
TEST_F(CliTest, FollowFindsNewPartitionsAndOutlivesDroppedOnes) {
  Ok({"table", "create", T("p"), "--schema", "id INT, dt STRING", "--partition-by", "dt"});
  // No partition yet: the scan waits for one.
  FlussProcess follow(work_dir_, {"-b", server_->address(), "scan", T("p"), "--follow", "--format", "json"}, "");
  Ok({"produce", T("p"), "-q"}, "1,a\n");
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 1; }));
  Ok({"produce", T("p"), "-q"}, "2,b\n");  // a new partition beside it
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 2; }));
  // Every partition dropped: the scan goes on, and reads the next one that comes.
  Ok({"partition", "drop", T("p"), "--spec", "dt=a"});
  Ok({"partition", "drop", T("p"), "--spec", "dt=b"});
  Ok({"produce", T("p"), "-q"}, "3,c\n");
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 3; }));
  follow.Signal(SIGINT);
  RunResult r = follow.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"id\":1,\"dt\":\"a\"}\n{\"id\":2,\"dt\":\"b\"}\n{\"id\":3,\"dt\":\"c\"}\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, ClosedPipeEndsAFollowingScanCleanly) {
  Ok({"table", "create", T("t"), "--schema", "id INT"});
  std::string many;
  for (int i = 0; i < 20000; ++i) many += std::to_string(i) + "\n";
  Ok({"produce", T("t")}, many);
  // `fluss scan --follow | head -n 2`: head exits, fluss sees the closed pipe and exits 0.
  const std::string script = Path("pipe.sh");
  WriteFile(script, fmt::format("'{}' -b {} scan {} --follow --format csv | head -n 2\nexit ${{PIPESTATUS[0]}}\n",
                                FLUSS_CLI_BINARY, server_->address(), T("t")));
  FILE* p = popen(fmt::format("timeout 60 bash '{}' 2>&1", script).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_EQ(out, "id\n0\n");
}

TEST_F(CliTest, CsvTypeMismatchNamesLineAndColumnAndWritesNothingOfTheChunk) {
  Ok({"table", "create", T("t"), "--schema", "id INT NOT NULL, amount DOUBLE"});
  RunResult r = Run({"produce", T("t"), "--header"}, "id,amount\n1,1.5\n2,abc\n3,2.5\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("fluss: line 3, column 'amount': 'abc' is not a DOUBLE", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("0 rows written"), std::string::npos) << r.err;
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), "id,amount\n");

  // With chunks of 2 rows, the chunk before the bad one is written, the bad one's is not.
  RunResult chunked = Run({"produce", T("t"), "--chunk-rows", "2"}, "1,1\n2,2\n3,3\n4,x\n5,5\n");
  EXPECT_EQ(chunked.exit_code, 1);
  EXPECT_NE(chunked.err.find("line 4, column 'amount': 'x' is not a DOUBLE"), std::string::npos) << chunked.err;
  EXPECT_NE(chunked.err.find("2 rows written"), std::string::npos) << chunked.err;
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), "id,amount\n1,1\n2,2\n");

  RunResult nulls = Run({"produce", T("t")}, ",1\n");
  EXPECT_EQ(nulls.exit_code, 1);
  EXPECT_NE(nulls.err.find("line 1, column 'id': NULL is not allowed"), std::string::npos) << nulls.err;
  RunResult arity = Run({"produce", T("t")}, "1,2,3\n");
  EXPECT_EQ(arity.exit_code, 1);
  EXPECT_NE(arity.err.find("line 1: 3 fields, expected 2"), std::string::npos) << arity.err;
  RunResult header = Run({"produce", T("t"), "--header"}, "id,amt\n1,2\n");
  EXPECT_EQ(header.exit_code, 1);
  EXPECT_NE(header.err.find("'amt'"), std::string::npos) << header.err;
}

TEST_F(CliTest, ArrowOutputIsAStreamOtherReadersRead) {
  Ok({"table", "create", T("t"), "--schema", "id INT NOT NULL, name STRING, ts TIMESTAMP(3), price DECIMAL(10, 2)"});
  Ok({"produce", T("t")}, "1,a,2024-01-02 03:04:05.123,1.50\n2,,,\n");
  Ok({"produce", T("t")}, "3,c,1970-01-01 00:00:00.000,-2.00\n");
  RunResult r = Run({"scan", T("t"), "--format", "arrow"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto decoded = arrow::ReadStream(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(r.out.data()), r.out.size()));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->schema.column_names(), (std::vector<std::string>{"id", "name", "ts", "price"}));
  ASSERT_EQ(decoded->rows.size(), 3u);
  EXPECT_EQ(decoded->rows[0].GetInt(0), 1);
  EXPECT_EQ(decoded->rows[0].GetString(1), "a");
  EXPECT_EQ(decoded->rows[0].GetTimestamp(2).millis, 1704164645123);
  EXPECT_EQ(decoded->rows[0].GetDecimal(3).unscaled, 150);
  EXPECT_TRUE(decoded->rows[1].IsNullAt(1));
  EXPECT_TRUE(decoded->rows[1].IsNullAt(2));
  EXPECT_EQ(decoded->rows[2].GetDecimal(3).unscaled, -200);
  EXPECT_EQ(r.out.substr(r.out.size() - 8), std::string("\xff\xff\xff\xff\0\0\0\0", 8));

  // Projection and limit cut the stream too.
  RunResult cut = Run({"scan", T("t"), "--format", "arrow", "--columns", "name", "--limit", "1"});
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  auto small = arrow::ReadStream(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(cut.out.data()), cut.out.size()));
  ASSERT_OK(small);
  ASSERT_EQ(small->rows.size(), 1u);
  EXPECT_EQ(small->rows[0].GetString(0), "a");

  // apache-arrow JS reads the same stream.
  const std::string interop = FLUSS_INTEROP_DIR;
  if (std::system("command -v node >/dev/null 2>&1") != 0 || !fs::exists(interop + "/node_modules/apache-arrow")) {
    GTEST_SKIP() << "node or tests/interop/node_modules missing: apache-arrow JS part skipped";
  }
  const std::string stream = Path("out.arrows");
  WriteFile(stream, r.out);
  const std::string json_out = Path("out.json");
  const std::string cmd = fmt::format("node '{}/arrow_read.mjs' '{}' '{}' > '{}' 2>&1", FLUSS_CLI_TEST_DIR, interop,
                                      stream, json_out);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::ReadFileToString(json_out);
  auto js = nlohmann::json::parse(testing::ReadFileToString(json_out), nullptr, false);
  ASSERT_FALSE(js.is_discarded()) << testing::ReadFileToString(json_out);
  EXPECT_EQ(js["fields"][0]["name"], "id");
  EXPECT_EQ(js["fields"][0]["nullable"], false);
  EXPECT_EQ(js["fields"][2]["type"], "Timestamp<MILLISECOND>");
  ASSERT_EQ(js["rows"].size(), 3u);
  EXPECT_EQ(js["rows"][0]["id"], 1);
  EXPECT_EQ(js["rows"][0]["name"], "a");
  EXPECT_EQ(js["rows"][0]["ts"].dump(), "1704164645123");
  EXPECT_TRUE(js["rows"][1]["name"].is_null());
  EXPECT_EQ(js["rows"][2]["id"], 3);
}

TEST_F(CliTest, BucketsOptionReadsOnlyThoseBuckets) {
  Ok({"table", "create", T("t"), "--schema", "id INT", "--buckets", "3", "--bucket-key", "id"});
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += std::to_string(i) + "\n";
  Ok({"produce", T("t")}, rows);
  const auto all = Lines(Ok({"scan", T("t"), "--format", "csv"}));
  EXPECT_EQ(all.size(), 31u);
  size_t per_bucket = 0;
  for (const char* b : {"0", "1", "2"}) per_bucket += Lines(Ok({"scan", T("t"), "--format", "csv", "--buckets", b})).size() - 1;
  EXPECT_EQ(per_bucket, 30u);
  const std::string offsets = Ok({"offsets", T("t")});
  EXPECT_EQ(Lines(offsets).size(), 5u) << offsets;
  RunResult bad = Run({"scan", T("t"), "--buckets", "7"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("no bucket 7"), std::string::npos) << bad.err;
}

TEST_F(CliTest, ServerDownFailsFastWithTheAddress) {
  const uint16_t port = ClosedPort();
  const std::string addr = fmt::format("127.0.0.1:{}", port);
  // Refused at once: it does not wait out the (long) connect timeout. The bounds are generous, the
  // timeouts far apart, so a slow machine does not blur them.
  RunResult r = FlussProcess(work_dir_, {"-b", addr, "--connect-timeout", "120s", "db", "list"}, "").Wait();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind(fmt::format("fluss: cannot connect to {}", addr), 0), 0u) << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_LT(r.seconds, 30.0);
  // A server that accepts connections but never answers (hung) fails within the connect timeout too.
  int hung = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(hung, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(listen(hung, 16), 0);
  socklen_t len = sizeof(sa);
  getsockname(hung, reinterpret_cast<sockaddr*>(&sa), &len);
  const std::string hung_addr = fmt::format("127.0.0.1:{}", ntohs(sa.sin_port));
  RunResult h = FlussProcess(work_dir_, {"-b", hung_addr, "--connect-timeout", "1s", "--request-timeout", "120s",
                                        "db", "list"}, "").Wait();
  close(hung);
  EXPECT_EQ(h.exit_code, 1);
  EXPECT_EQ(h.err.rfind(fmt::format("fluss: cannot connect to {}", hung_addr), 0), 0u) << h.err;
  EXPECT_GE(h.seconds, 1.0);
  EXPECT_LT(h.seconds, 30.0);  // the connect timeout ended it, not the request timeout
  // FLUSS_BOOTSTRAP is the server when -b is not given.
  RunResult env = FlussProcess(work_dir_, {"db", "list"}, "", {"FLUSS_BOOTSTRAP=" + addr}).Wait();
  EXPECT_EQ(env.exit_code, 1);
  EXPECT_EQ(env.err.rfind(fmt::format("fluss: cannot connect to {}", addr), 0), 0u) << env.err;
  RunResult env_ok = FlussProcess(work_dir_, {"db", "list"}, "", {"FLUSS_BOOTSTRAP=" + server_->address()}).Wait();
  EXPECT_EQ(env_ok.exit_code, 0) << env_ok.err;
}

TEST_F(CliTest, TablePropertiesAreCheckedWithASuggestionAndNothingIsCreated) {
  auto create = [&](const std::string& property) {
    return Run({"table", "create", T("p"), "--schema", "id INT, name STRING", "--property", property});
  };
  RunResult r = create("table.log.ttl=abc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("fluss: cannot create '{}': table property 'table.log.ttl': 'abc' is not a duration "
                               "(e.g. 7d, 12h, 30min, 500ms)\n",
                               T("p")));
  r = create("table.log.ttl=-5d");
  EXPECT_NE(r.err.find("'-5d' is negative"), std::string::npos) << r.err;
  r = create("table.log.tll=1d");
  EXPECT_NE(r.err.find("unknown table property 'table.log.tll'; did you mean 'table.log.ttl'?"), std::string::npos)
      << r.err;
  r = create("table.nonsense=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown table property 'table.nonsense'"), std::string::npos) << r.err;
  r = create("table.merge-engine=aggregation");
  EXPECT_NE(r.err.find("a merge engine needs a primary-key table"), std::string::npos) << r.err;
  EXPECT_EQ(Ok({"table", "list", db_}), "");
  // Other keys are custom properties, stored as given.
  Ok({"table", "create", T("p"), "--schema", "id INT", "--property", "owner=me"});
  EXPECT_NE(Ok({"table", "describe", T("p")}).find("owner = me"), std::string::npos);
}

TEST_F(CliTest, CharLengthAndUtf8AreCheckedNamingLineAndColumn) {
  Ok({"table", "create", T("t"), "--schema", "id INT, code CHAR(3), name STRING"});
  RunResult r = Run({"produce", T("t")}, "1,abc,ok\n2,abcd,x\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fluss: line 2, column 'code': 'abcd' is not a CHAR(3): 4 characters, at most 3"),
            std::string::npos)
      << r.err;
  r = Run({"produce", T("t")}, "3,日本語x,ok\n");
  EXPECT_NE(r.err.find("line 1, column 'code': '日本語x' is not a CHAR(3): 4 characters, at most 3"), std::string::npos)
      << r.err;
  r = Run({"produce", T("t")}, "4,abc,caf\xC3\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 1, column 'name': the text is not valid UTF-8 (byte 0xc3 at offset 3)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), "id,code,name\n");
  Ok({"produce", T("t")}, "5,日本語,ok\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), "id,code,name\n5,日本語,ok\n");
}

// ---- what a new user hits: typos, BOMs, headers, odd text, Ctrl-C ------------------------------

TEST_F(CliTest, UnknownCommandsAreNamedWithASuggestion) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {{"tabel", "list", db_}, "fluss: unknown command 'tabel'; did you mean 'table'?\n"},
           {{"table", "lst", db_}, "fluss: unknown command 'table lst'; did you mean 'table list'?\n"},
           {{"-b", server_->address(), "scna", T("t")}, "fluss: unknown command 'scna'; did you mean 'scan'?\n"},
           {{"prod", T("t")}, "fluss: unknown command 'prod'; did you mean 'produce'?\n"},
           {{"xyzzy"},
            "fluss: unknown command 'xyzzy'; the commands are: db, table, partition, produce, upsert, delete, "
            "lookup, scan, lake, cluster, offsets\n"},
           {{"db"}, "fluss: 'fluss db' needs a command: create, list, drop (see --help)\n"},
           {{}, "fluss: 'fluss' needs a command: db, table, partition, produce, upsert, delete, lookup, scan, lake, "
                "cluster, offsets (see --help)\n"},
       }) {
    RunResult r = FlussProcess(work_dir_, c.args, "").Wait();
    EXPECT_EQ(r.exit_code, 2) << fmt::format("{}", fmt::join(c.args, " "));
    EXPECT_EQ(r.err, c.err) << fmt::format("{}", fmt::join(c.args, " "));
  }
  // Options and their values before the command are skipped over, not taken for commands.
  RunResult ok = FlussProcess(work_dir_, {"--connect-timeout", "5s", "-b", server_->address(), "db", "list"}, "").Wait();
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(CliTest, AByteOrderMarkAtTheStartOfTheInputIsDropped) {
  Ok({"table", "create", T("t"), "--schema", "id INT NOT NULL, name STRING"});
  const std::string file = Path("excel.csv");
  WriteFile(file, "\xEF\xBB\xBFid,name\r\n1,a\r\n");
  RunResult with_header = Run({"produce", T("t"), "--file", file, "--header"});
  EXPECT_EQ(with_header.exit_code, 0) << with_header.err;
  Ok({"produce", T("t"), "-q"}, "\xEF\xBB\xBF" "2,b\n");  // no header: the first value
  Ok({"produce", T("t"), "--format", "json", "-q"}, "\xEF\xBB\xBF{\"id\":3,\"name\":\"c\"}\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), "id,name\n1,a\n2,b\n3,c\n");
}

TEST_F(CliTest, AHeaderMatchesColumnsInAnyCaseAndMayLeaveOutNullableOnes) {
  Ok({"table", "create", T("t"), "--schema", "id INT NOT NULL, Name STRING, city STRING, n BIGINT NOT NULL"});
  RunResult r = Run({"produce", T("t"), "--header"}, "N,ID,name\n7,1,ann\n8,2,bob\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), "id,Name,city,n\n1,ann,,7\n2,bob,,8\n");
  // A NOT NULL column cannot be left out.
  RunResult lacks = Run({"produce", T("t"), "--header"}, "id,name\n3,cy\n");
  EXPECT_EQ(lacks.exit_code, 1);
  EXPECT_NE(lacks.err.find("line 1: the header lacks column n (NOT NULL columns must be given)"), std::string::npos)
      << lacks.err;
  // An upsert writes whole rows: leaving a column out is refused (it would become NULL).
  Ok({"table", "create", T("users"), "--schema", "id INT NOT NULL, name STRING, city STRING, PRIMARY KEY (id)"});
  RunResult upsert = Run({"upsert", T("users"), "--header"}, "id,name\n1,ann\n");
  EXPECT_EQ(upsert.exit_code, 1);
  EXPECT_NE(upsert.err.find("the header lacks column city; an upsert writes whole rows"), std::string::npos)
      << upsert.err;
  // Two columns that differ only in case: a header must name one exactly.
  Ok({"table", "create", T("cases"), "--schema", "`a` INT, `A` INT"});
  Ok({"produce", T("cases"), "--header", "-q"}, "A,a\n1,2\n");
  EXPECT_EQ(Ok({"scan", T("cases"), "--format", "csv"}), "a,A\n2,1\n");
}

TEST_F(CliTest, TableFormatEscapesControlCharactersAlignsWideTextAndCutsLongCells) {
  Ok({"table", "create", T("t"), "--schema", "id INT, s STRING, b BYTES"});
  const std::string file = Path("odd.jsonl");
  WriteFile(file,
            "{\"id\":1,\"s\":\"two\\nlines\",\"b\":\"AAE=\"}\n"
            "{\"id\":2,\"s\":\"日本語\",\"b\":null}\n"
            "{\"id\":3,\"s\":\"😀 ok\",\"b\":null}\n"
            "{\"id\":4,\"s\":\"" + std::string(60, 'x') + "\",\"b\":\"" + std::string(400, 'A') + "\"}\n"
            "{\"id\":5,\"s\":\"\\u001b[2J\",\"b\":null}\n");
  Ok({"produce", T("t"), "--file", file, "-q"});
  EXPECT_EQ(Ok({"scan", T("t"), "--max-width", "12"}),
            "id | s            | b\n"
            "---+--------------+-------------\n"
            " 1 | two\\nlines   | x'0001'\n"
            " 2 | 日本語       | NULL\n"
            " 3 | 😀 ok        | NULL\n"
            " 4 | xxxxxxxxxxx… | x'000000000…\n"
            " 5 | \\x1b[2J      | NULL\n");
  // The default cuts at 40 columns; --max-width 0 never cuts.
  const std::string wide = Ok({"scan", T("t"), "--from", "offset:3", "--limit", "1", "--columns", "s"});
  EXPECT_EQ(wide, "s\n" + std::string(40, '-') + "\n" + std::string(39, 'x') + "…\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--from", "offset:3", "--limit", "1", "--columns", "s", "--max-width", "0"}),
            "s\n" + std::string(60, '-') + "\n" + std::string(60, 'x') + "\n");
}

TEST_F(CliTest, FollowInTableFormatPrintsTheHeaderOnceWhileRowsFit) {
  Ok({"table", "create", T("t"), "--schema", "id INT, s STRING"});
  Ok({"produce", T("t"), "-q"}, "1,aa\n");
  FlussProcess follow(work_dir_, {"-b", server_->address(), "scan", T("t"), "--follow"}, "");
  auto wait_for_lines = [&](size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (Lines(follow.CurrentOutput()).size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  wait_for_lines(3);
  Ok({"produce", T("t"), "-q"}, "2,bb\n");
  wait_for_lines(4);
  Ok({"produce", T("t"), "-q"}, "3,a wider value\n");  // wider than the column: a new header
  wait_for_lines(8);
  follow.Signal(SIGINT);
  RunResult r = follow.Wait(std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "id | s\n"
            "---+---\n"
            " 1 | aa\n"
            " 2 | bb\n"
            "\n"
            "id | s\n"
            "---+--------------\n"
            " 3 | a wider value\n");
}

TEST_F(CliTest, OneRowIsOneRow) {
  Ok({"table", "create", T("t"), "--schema", "id INT"});
  RunResult r = Run({"produce", T("t")}, "1\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("produced 1 row to " + T("t") + " in ", 0), 0u) << r.err;
}

// The table's latest offset of bucket 0 (the tests' tables have one bucket), through the client.
int64_t LatestOffset(const std::string& address, const std::string& table) {
  Configuration c;
  c.bootstrap_servers = address;
  auto conn = Connection::Create(c);
  if (!conn.ok()) return -1;
  auto offsets = (*conn)->GetAdmin().ListOffsets(TablePath::Parse(table).value(), OffsetSpec::Latest(), {0});
  return offsets.ok() && offsets->count(0) ? offsets->at(0) : -1;
}

// "fluss: interrupted: N rows produced to db.t, all acknowledged; resume from input line L".
std::optional<std::pair<int64_t, int64_t>> InterruptedReport(const std::string& err, const std::string& table) {
  static const std::regex kReport(R"(fluss: interrupted: (\d+) rows? produced to (\S+), all acknowledged; resume from input line (\d+)\n$)");
  std::smatch m;
  if (!std::regex_search(err, m, kReport) || m[2] != table) return std::nullopt;
  return std::make_pair(std::stoll(m[1]), std::stoll(m[3]));
}

TEST_F(CliTest, CtrlCDuringProduceFlushesWholeChunksAndSaysWhereToResume) {
  Ok({"table", "create", T("t"), "--schema", "id BIGINT"});
  FlussProcess produce(work_dir_, {"-b", server_->address(), "produce", T("t"), "--chunk-rows", "100"}, std::nullopt);
  // Two whole chunks, half of a third, and half of a line: then the input waits (a terminal, a pipe).
  std::string input;
  for (int i = 1; i <= 250; ++i) input += std::to_string(i) + "\n";
  input += "25";
  ASSERT_TRUE(produce.WriteInput(input));
  // The two whole chunks reach the table (sent after the writer's linger, without a flush).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (LatestOffset(server_->address(), T("t")) < 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(LatestOffset(server_->address(), T("t")), 200);
  produce.Signal(SIGINT);
  RunResult r = produce.Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 130) << r.err;
  auto report = InterruptedReport(r.err, T("t"));
  ASSERT_TRUE(report) << r.err;
  // The chunk being read (lines 201-250 and the cut line) is not written: the table holds lines 1-200.
  EXPECT_EQ(report->first, 200) << r.err;
  EXPECT_EQ(report->second, 201) << r.err;
  EXPECT_EQ(LatestOffset(server_->address(), T("t")), 200);
  std::string expected = "id\n";
  for (int i = 1; i <= 200; ++i) expected += std::to_string(i) + "\n";
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv"}), expected);
}

TEST_F(CliTest, CtrlCDuringAStreamingProduceReportsExactlyWhatTheTableHolds) {
  Ok({"table", "create", T("t"), "--schema", "id BIGINT"});
  FlussProcess produce(work_dir_,
                       {"-b", server_->address(), "produce", T("t"), "--chunk-rows", "1000", "--progress"},
                       std::nullopt);
  // Input line i holds id i, written until the producer is gone (the pipe breaks).
  std::thread writer([&] {
    for (int64_t i = 1;; i += 1000) {
      std::string block;
      for (int64_t k = i; k < i + 1000; ++k) block += std::to_string(k) + "\n";
      if (!produce.WriteInput(block)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // bounds the volume, not the outcome
    }
  });
  // Interrupt relative to what the CLI reported: once it printed a progress line.
  static const std::regex kProgress(R"(produced (\d+) rows \()");
  std::smatch m;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string err;
  while (!std::regex_search(err = produce.CurrentErrors(), m, kProgress) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const bool progressed = std::regex_search(err, m, kProgress);
  const int64_t progress_rows = progressed ? std::stoll(m[1]) : -1;
  produce.Signal(SIGINT);
  RunResult r = produce.Wait(std::chrono::seconds(60));
  writer.join();
  ASSERT_TRUE(progressed) << err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  auto report = InterruptedReport(r.err, T("t"));
  ASSERT_TRUE(report) << r.err;
  const auto [rows, resume_line] = *report;
  EXPECT_GE(rows, progress_rows);
  EXPECT_EQ(rows % 1000, 0) << "whole chunks only";
  EXPECT_EQ(resume_line, rows + 1);
  // The table holds exactly the reported rows, ending with the row of the line before resume_line.
  EXPECT_EQ(LatestOffset(server_->address(), T("t")), rows);
  EXPECT_EQ(Ok({"scan", T("t"), "--format", "csv", "--from", fmt::format("offset:{}", rows - 1)}),
            fmt::format("id\n{}\n", rows));
}

// ---- primary-key tables ----------------------------------------------------------------------

TEST_F(CliTest, UpsertDeleteLookupAndTheChangelogWithChangeTypes) {
  Ok({"table", "create", T("users"), "--schema", "id INT NOT NULL, name STRING, city STRING, PRIMARY KEY (id)",
      "--buckets", "2"});
  Ok({"upsert", T("users"), "--header", "-q"}, "id,name,city\n1,ann,paris\n2,bob,rome\n3,cy,oslo\n");
  // A partial update writes only its columns; a delete needs only the key.
  Ok({"upsert", T("users"), "--columns", "id,name", "--format", "json", "-q"}, "{\"id\":2,\"name\":\"bea\"}\n");
  Ok({"delete", T("users"), "-q"}, "3\n");
  EXPECT_EQ(Ok({"lookup", T("users"), "--key", "id=2", "--format", "json"}),
            "{\"id\":2,\"name\":\"bea\",\"city\":\"rome\"}\n");
  EXPECT_EQ(Ok({"lookup", T("users"), "--key", "id=2"}),
            "id | name | city\n---+------+-----\n 2 | bea  | rome\n");
  // An absent key prints nothing and exits 0.
  EXPECT_EQ(Ok({"lookup", T("users"), "--key", "id=3"}), "");
  // The changelog, bucket by bucket, with each change's type.
  std::vector<std::string> changes;
  for (const char* b : {"0", "1"}) {
    for (const auto& line : Lines(Ok({"scan", T("users"), "--format", "json", "--buckets", b}))) {
      changes.push_back(line);
    }
  }
  std::sort(changes.begin(), changes.end());
  EXPECT_EQ(changes, (std::vector<std::string>{
                         "{\"_change\":\"+I\",\"id\":1,\"name\":\"ann\",\"city\":\"paris\"}",
                         "{\"_change\":\"+I\",\"id\":2,\"name\":\"bob\",\"city\":\"rome\"}",
                         "{\"_change\":\"+I\",\"id\":3,\"name\":\"cy\",\"city\":\"oslo\"}",
                         "{\"_change\":\"+U\",\"id\":2,\"name\":\"bea\",\"city\":\"rome\"}",
                         "{\"_change\":\"-D\",\"id\":3,\"name\":\"cy\",\"city\":\"oslo\"}",
                         "{\"_change\":\"-U\",\"id\":2,\"name\":\"bob\",\"city\":\"rome\"}"}));
  EXPECT_EQ(Ok({"scan", T("users"), "--format", "csv", "--columns", "id", "--limit", "1"}).substr(0, 11),
            "_change,id\n");
}

TEST_F(CliTest, BadUpsertInputIsRefusedWithNothingWritten) {
  Ok({"table", "create", T("users"), "--schema", "id INT NOT NULL, name STRING, PRIMARY KEY (id)"});
  RunResult null_key = Run({"upsert", T("users")}, "5,x\n,y\n");
  EXPECT_EQ(null_key.exit_code, 1);
  EXPECT_NE(null_key.err.find("line 2, column 'id': NULL is not allowed"), std::string::npos) << null_key.err;
  RunResult no_key = Run({"upsert", T("users"), "--columns", "name"}, "x\n");
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_NE(no_key.err.find("must include the primary key; 'id' is missing"), std::string::npos) << no_key.err;
  RunResult unknown = Run({"upsert", T("users"), "--columns", "id,nope"}, "1,x\n");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("'nope', which is not a column"), std::string::npos) << unknown.err;
  RunResult produce = Run({"produce", T("users")}, "1,x\n");
  EXPECT_EQ(produce.exit_code, 1);
  EXPECT_NE(produce.err.find("use 'fluss upsert'"), std::string::npos) << produce.err;
  EXPECT_EQ(Ok({"lookup", T("users"), "--key", "id=5"}), "");
  RunResult bad_key = Run({"lookup", T("users"), "--key", "name=x"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_NE(bad_key.err.find("primary key"), std::string::npos) << bad_key.err;
  Ok({"table", "create", T("plain"), "--schema", "id INT"});
  EXPECT_EQ(Run({"lookup", T("plain"), "--key", "id=1"}).exit_code, 1);
  EXPECT_EQ(Run({"delete", T("plain")}, "1\n").exit_code, 1);
}

TEST_F(CliTest, MergeEnginesThroughTheCli) {
  Ok({"table", "create", T("totals"), "--schema", "k STRING NOT NULL, n BIGINT, PRIMARY KEY (k)", "--property",
      "table.merge-engine=aggregation", "--property", "fields.n.agg=sum"});
  Ok({"upsert", T("totals"), "-q"}, "a,1\na,2\nb,5\na,3\n");
  EXPECT_EQ(Ok({"lookup", T("totals"), "--key", "k=a", "--format", "csv"}), "k,n\na,6\n");
  Ok({"table", "create", T("firsts"), "--schema", "k STRING NOT NULL, v STRING, PRIMARY KEY (k)", "--property",
      "table.merge-engine=first_row"});
  Ok({"upsert", T("firsts"), "-q"}, "a,first\na,second\n");
  EXPECT_EQ(Ok({"lookup", T("firsts"), "--key", "k=a", "--format", "csv"}), "k,v\na,first\n");
  RunResult bad = Run({"table", "create", T("bad"), "--schema", "k STRING NOT NULL, v INT, PRIMARY KEY (k)",
                       "--property", "table.merge-engine=versioned"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("ver-column"), std::string::npos) << bad.err;
}

TEST_F(CliTest, PrefixLookupByTheBucketKey) {
  Ok({"table", "create", T("orders"), "--schema",
      "customer INT NOT NULL, id INT NOT NULL, item STRING, PRIMARY KEY (customer, id)", "--bucket-key", "customer",
      "--buckets", "3"});
  Ok({"upsert", T("orders"), "-q"}, "7,1,tea\n7,2,cake\n8,1,milk\n");
  EXPECT_EQ(Ok({"lookup", T("orders"), "--key", "customer=7", "--format", "csv"}),
            "customer,id,item\n7,1,tea\n7,2,cake\n");
  EXPECT_EQ(Ok({"lookup", T("orders"), "--key", "customer=8", "--key", "id=1", "--format", "csv"}),
            "customer,id,item\n8,1,milk\n");
}

TEST_F(CliTest, SnapshotThenFollowPrintsTheStateThenLaterChanges) {
  Ok({"table", "create", T("users"), "--schema", "id INT NOT NULL, name STRING, PRIMARY KEY (id)"});
  Ok({"upsert", T("users"), "-q"}, "1,a\n2,b\n1,a2\n");
  FlussProcess follow(work_dir_,
                      {"-b", server_->address(), "scan", T("users"), "--snapshot-then-follow", "--format", "json"}, "");
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 2; }));
  Ok({"upsert", T("users"), "-q"}, "3,c\n");
  Ok({"delete", T("users"), "-q"}, "2\n");
  EXPECT_TRUE(testing::Eventually([&] { return Lines(follow.CurrentOutput()).size() >= 4; }));
  follow.Signal(SIGINT);
  RunResult r = follow.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The snapshot holds the state (not the history: no -U/+U of key 1), then only what came later.
  EXPECT_EQ(r.out,
            "{\"_change\":\"+I\",\"id\":1,\"name\":\"a2\"}\n{\"_change\":\"+I\",\"id\":2,\"name\":\"b\"}\n"
            "{\"_change\":\"+I\",\"id\":3,\"name\":\"c\"}\n{\"_change\":\"-D\",\"id\":2,\"name\":\"b\"}\n");
  RunResult log_table = Run({"scan", T("users"), "--snapshot-then-follow", "--from", "latest"});
  EXPECT_EQ(log_table.exit_code, 2) << log_table.err;
}

TEST_F(CliTest, LakeStatusShowsTheLagOfATableNotTieredYet) {
  Ok({"table", "create", T("t"), "--schema", "id INT", "--buckets", "2"});
  Ok({"produce", T("t"), "-q"}, "1\n2\n3\n");
  const std::string out = Ok({"lake", "status", T("t"), "--warehouse", work_dir_ + "/no-warehouse"});
  EXPECT_NE(out.find("tiering:        not enabled"), std::string::npos) << out;
  EXPECT_NE(out.find("lake snapshot:  none yet"), std::string::npos) << out;
  EXPECT_NE(out.find("lag:            3 records; nothing tiered yet"), std::string::npos) << out;
  RunResult no_warehouse = Run({"lake", "status", T("t")});
  EXPECT_EQ(no_warehouse.exit_code, 2) << no_warehouse.err;
  EXPECT_NE(no_warehouse.err.find("FLUSS_WAREHOUSE"), std::string::npos) << no_warehouse.err;
}

TEST_F(CliTest, LakeStatusOfAPartitionedTableListsEveryPartitionBucket) {
  // (This server has no lake configured; the round runs here, straight from the client.)
  Ok({"table", "create", T("pt"), "--schema", "id INT, dt STRING PARTITIONED BY (dt)", "--buckets", "2"});
  Ok({"produce", T("pt"), "-q"}, "1,a\n2,a\n3,b\n");
  const std::string warehouse = Path("lake");
  Configuration c;
  c.bootstrap_servers = server_->address();
  auto conn = Connection::Create(c);
  ASSERT_OK(conn);
  lake::LakeTiering tiering(*conn, lake::TieringOptions{.warehouse = warehouse});
  ASSERT_OK(tiering.TierOnce(TablePath::Parse(T("pt")).value()));
  Ok({"produce", T("pt"), "-q"}, "4,b\n5,c\n");
  const std::string out = Ok({"lake", "status", T("pt"), "--warehouse", warehouse});
  EXPECT_NE(out.find("partitions:     3"), std::string::npos) << out;
  EXPECT_NE(out.find("lag:            2 records; last tiered"), std::string::npos) << out;
  EXPECT_NE(out.find("partition | partition id | bucket | tiered offset | log end | lag"), std::string::npos) << out;
  // Every bucket of every partition: 3 partitions x 2 buckets, the new partition c not tiered.
  int rows = 0;
  int64_t tiered = 0;
  for (const char* name : {"dt=a ", "dt=b ", "dt=c "}) {
    for (size_t at = out.find(name); at != std::string::npos; at = out.find(name, at + 1)) {
      ++rows;
      const size_t eol = out.find('\n', at);
      const std::string line = out.substr(at, eol - at);
      std::vector<std::string> cells;
      for (size_t p = 0, bar; p != std::string::npos; p = bar == std::string::npos ? bar : bar + 1) {
        bar = line.find('|', p);
        std::string cell = line.substr(p, bar == std::string::npos ? std::string::npos : bar - p);
        cell.erase(0, cell.find_first_not_of(' '));
        cell.erase(cell.find_last_not_of(' ') + 1);
        cells.push_back(cell);
      }
      ASSERT_EQ(cells.size(), 6u) << line;
      tiered += std::stoll(cells[3]);
      if (std::string(name) == "dt=c ") {
        EXPECT_EQ(cells[3], "0") << line;
      }
    }
  }
  EXPECT_EQ(rows, 6) << out;
  EXPECT_EQ(tiered, 3) << out;  // rows 1, 2 and 3
}

TEST_F(CliTest, UnionScanOfAPartitionedTableIsTheLakeThenTheLogPerPartition) {
  // (This server has no lake configured; the round runs here, straight from the client.)
  Ok({"table", "create", T("pu"), "--schema", "id INT, dt STRING PARTITIONED BY (dt)", "--buckets", "1"});
  Ok({"produce", T("pu"), "-q"}, "1,a\n2,b\n");
  const std::string warehouse = Path("lake");
  Configuration c;
  c.bootstrap_servers = server_->address();
  auto conn = Connection::Create(c);
  ASSERT_OK(conn);
  lake::LakeTiering tiering(*conn, lake::TieringOptions{.warehouse = warehouse});
  ASSERT_OK(tiering.TierOnce(TablePath::Parse(T("pu")).value()));
  Ok({"produce", T("pu"), "-q"}, "3,a\n4,c\n");
  auto sorted_lines = [](const std::string& text) {
    std::multiset<std::string> lines;
    for (size_t p = 0, nl; p < text.size(); p = nl + 1) {
      nl = text.find('\n', p);
      lines.insert(text.substr(p, nl - p));
    }
    return lines;
  };
  EXPECT_EQ(sorted_lines(Ok({"scan", T("pu"), "--union", "--warehouse", warehouse, "--format", "csv"})),
            (std::multiset<std::string>{"id,dt", "1,a", "2,b", "3,a", "4,c"}));
  // One partition: its lake row, then its log.
  EXPECT_EQ(Ok({"scan", T("pu"), "--union", "--warehouse", warehouse, "--format", "csv", "--partition", "dt=a"}),
            "id,dt\n1,a\n3,a\n");
  EXPECT_EQ(Run({"scan", T("pu"), "--union", "--warehouse", warehouse, "--partition", "dt=zz"}).exit_code, 1);
}

TEST_F(CliTest, UnionScanOfATableWithAnEmptyLakeIsTheLog) {
  Ok({"table", "create", T("t"), "--schema", "id INT", "--buckets", "1"});
  Ok({"produce", T("t"), "-q"}, "1\n2\n3\n");
  EXPECT_EQ(Ok({"scan", T("t"), "--union", "--warehouse", work_dir_ + "/empty-lake", "--format", "csv"}),
            "id\n1\n2\n3\n");
  RunResult no_warehouse = Run({"scan", T("t"), "--union"});
  EXPECT_EQ(no_warehouse.exit_code, 2) << no_warehouse.err;
  EXPECT_EQ(Run({"scan", T("t"), "--union", "--warehouse", "x", "--from", "latest"}).exit_code, 2);
}

TEST_F(CliTest, UnionScanOfAPrimaryKeyTableIsTheLakeThenTheChangelog) {
  // (This server has no lake configured; the rounds run here, straight from the client.)
  Ok({"table", "create", T("users"), "--schema", "id INT NOT NULL, name STRING, PRIMARY KEY (id)", "--buckets", "1"});
  Ok({"upsert", T("users"), "-q"}, "1,a\n2,b\n3,c\n");
  const std::string warehouse = Path("lake");
  Configuration c;
  c.bootstrap_servers = server_->address();
  auto conn = Connection::Create(c);
  ASSERT_OK(conn);
  lake::LakeTiering tiering(*conn, lake::TieringOptions{.warehouse = warehouse});
  const TablePath path = TablePath::Parse(T("users")).value();
  ASSERT_OK(tiering.TierOnce(path));
  Ok({"upsert", T("users"), "-q"}, "1,a2\n4,d\n");
  Ok({"delete", T("users"), "-q"}, "2\n");
  // The lake's rows as +I, then the changelog after the lake's offsets with its change types.
  EXPECT_EQ(Ok({"scan", T("users"), "--union", "--warehouse", warehouse, "--format", "csv"}),
            "_change,id,name\n+I,1,a\n+I,2,b\n+I,3,c\n-U,1,a\n+U,1,a2\n+I,4,d\n-D,2,b\n");
  // After a second round the lake applies the deletes: key 2 gone, key 1 only in its new version
  // (the newest snapshot's files come first).
  ASSERT_OK(tiering.TierOnce(path));
  Ok({"upsert", T("users"), "-q"}, "3,c2\n");
  EXPECT_EQ(Ok({"scan", T("users"), "--union", "--warehouse", warehouse, "--format", "json", "--columns", "name,id"}),
            "{\"_change\":\"+I\",\"name\":\"a2\",\"id\":1}\n{\"_change\":\"+I\",\"name\":\"d\",\"id\":4}\n"
            "{\"_change\":\"+I\",\"name\":\"c\",\"id\":3}\n{\"_change\":\"-U\",\"name\":\"c\",\"id\":3}\n"
            "{\"_change\":\"+U\",\"name\":\"c2\",\"id\":3}\n");
  EXPECT_EQ(Ok({"scan", T("users"), "--union", "--warehouse", warehouse, "--format", "csv", "--limit", "2"}),
            "_change,id,name\n+I,1,a2\n+I,4,d\n");
  EXPECT_EQ(Ok({"scan", T("users"), "--union", "--warehouse", warehouse}),
            "_change | id | name\n--------+----+-----\n+I      |  1 | a2\n+I      |  4 | d\n+I      |  3 | c\n"
            "-U      |  3 | c\n+U      |  3 | c2\n");
}

}  // namespace
}  // namespace fluss
