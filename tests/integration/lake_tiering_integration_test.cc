// The tiering service inside a real fluss-server process: rows appended to a lake-enabled log table
// show up in its Iceberg table within the table's freshness, each once, while writes go on; and a
// kill -9 of the server mid-tiering leaves the lake a consistent prefix of the log. The separate
// fluss-tiering process, killed with SIGKILL inside its rounds 20 times while a writer appends, leaves
// the lake a consistent snapshot of the log every time, then catches up and cleans up its leftovers.
// Log retention of a lake-enabled table waits for the lake (tiering run outside the server).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "fluss/client.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/parquet/parquet_reader.h"
#include "lake/tiering/lake_snapshot_reader.h"
#include "lake/tiering/lake_snapshot_scanner.h"
#include "lake/tiering/lake_tiering.h"
#include "support/eventually.h"
#include "support/server_process.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

#ifndef FLUSS_TEST_TIERING_BINARY
#define FLUSS_TEST_TIERING_BINARY "fluss-tiering"
#endif

namespace fluss {
namespace {

using testing::ServerProcess;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A fluss-tiering child process (src/lake/tiering/main.cc) with its output appended to `log_path`.
// It dies with the thread that started it (PR_SET_PDEATHSIG), and with this object.
class TieringProcess {
 public:
  TieringProcess(std::vector<std::string> args, std::string log_path)
      : args_(std::move(args)), log_path_(std::move(log_path)) {}
  ~TieringProcess() { (void)Signal(SIGKILL); }
  TieringProcess(const TieringProcess&) = delete;
  TieringProcess& operator=(const TieringProcess&) = delete;

  bool Start() {
    std::vector<std::string> args = args_;
    args.insert(args.begin(), FLUSS_TEST_TIERING_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fd);
      return false;
    }
    if (pid == 0) {  // only async-signal-safe calls from here
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fd);
    pid_ = pid;
    return true;
  }
  // SIGKILL, reaped.
  void Kill() { (void)Signal(SIGKILL); }
  // SIGTERM; the exit code (-signal when a signal ended it).
  int Stop() { return Signal(SIGTERM); }
  std::string ReadLog() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  int Signal(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int ws = 0;
    while (::waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
  }

  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

class LakeTieringIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    warehouse_ = (std::filesystem::temp_directory_path() / ("fluss-lake-it-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(warehouse_);
    testing::ServerProcessOptions o;
    o.sets = {"datalake.format=iceberg", "datalake.iceberg.warehouse=" + warehouse_,
              std::string("datalake.tiering.embedded=") + (embedded_ ? "true" : "false")};
    o.sets.insert(o.sets.end(), extra_sets_.begin(), extra_sets_.end());
    auto server = ServerProcess::Start(o);
    ASSERT_OK(server);
    server_ = std::move(server).value();
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 5ms;
    c.writer_batch_size = writer_batch_size_;
    conn_ = Connection::Create(c).value();
    Admin admin = conn_->GetAdmin();
    ASSERT_OK(admin.CreateDatabase("it", true));
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, payload STRING").value());
    d.DistributedBy(buckets_);
    d.Property("table.datalake.enabled", "true");
    d.Property("table.datalake.freshness", "1s");
    ASSERT_OK(admin.CreateTable(path_, d));
  }

  void TearDown() override {
    conn_.reset();
    if (HasFailure() && server_) std::cerr << "---- server log ----\n" << server_->ReadLog() << "\n";
    server_.reset();
    std::filesystem::remove_all(warehouse_);
  }

  // (bucket, offset) -> id of every row in the lake's current snapshot; duplicates fail the test.
  std::map<std::pair<int32_t, int64_t>, int64_t> ReadLake() {
    std::map<std::pair<int32_t, int64_t>, int64_t> out;
    auto table = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, path_));
    if (!table.ok()) return out;
    auto entries = table->ListDataFiles();
    EXPECT_OK(entries);
    if (!entries.ok()) return out;
    for (const auto& e : *entries) {
      auto reader = parquet::ParquetReader::OpenFile(iceberg::IcebergTable::LocalPath(e.data_file.file_path).value());
      EXPECT_OK(reader);
      if (!reader.ok()) continue;
      auto rows = (*reader)->ReadAll();
      EXPECT_OK(rows);
      if (!rows.ok()) continue;
      for (const auto& row : *rows) {
        EXPECT_TRUE(out.emplace(std::make_pair(row.GetInt(2), row.GetBigInt(3)), row.GetBigInt(0)).second)
            << "bucket " << row.GetInt(2) << " offset " << row.GetBigInt(3) << " twice in the lake";
      }
    }
    return out;
  }

  // Names of the files under the lake table's data/ (none before the first round).
  std::set<std::string> DataFiles() const {
    std::set<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(lake::LakeTableDir(warehouse_, path_) + "/data", ec), end; !ec && it != end;
         it.increment(ec)) {
      out.insert(it->path().filename().string());
    }
    return out;
  }

  // Waits until the lake's recorded offsets reach `target` in every bucket.
  bool WaitForLake(const std::map<int32_t, int64_t>& target, std::chrono::seconds timeout) {
    lake::LakeTiering reader(conn_, lake::TieringOptions{.warehouse = warehouse_});
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto offsets = reader.LakeOffsets(path_, buckets_);
      if (offsets.ok()) {
        bool done = true;
        for (const auto& [b, end] : target) done &= offsets->first.at(b) >= end;
        if (done) return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  bool embedded_ = true;  // the server runs the tiering service itself
  int32_t buckets_ = 3;
  std::vector<std::string> extra_sets_;  // more server options (set before SetUp)
  int32_t writer_batch_size_ = 32 << 10;
  std::string warehouse_;
  TablePath path_ = TablePath::Make("it", "events").value();
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(LakeTieringIntegrationTest, AppendedRowsReachTheLakeOnceWhileWritesGoOn) {
  auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{0};
  std::thread producer([&] {
    while (!stop.load()) {
      const int64_t i = next++;
      ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum("p" + std::to_string(i))})));
      if (i % 500 == 499) std::this_thread::sleep_for(2ms);  // paces the writes; waits for nothing
    }
    ASSERT_OK(writer->Flush());
  });
  // Writes go on until a round committed rows while they did, and a few thousand more came after.
  const bool tiered_while_writing = testing::Eventually([&] {
    lake::LakeTiering reader(conn_, lake::TieringOptions{.warehouse = warehouse_});
    auto offsets = reader.LakeOffsets(path_, buckets_);
    if (!offsets.ok()) return false;
    int64_t in_lake = 0;
    for (const auto& [b, end] : offsets->first) in_lake += end;
    return in_lake > 0 && next.load() > in_lake + 5000;
  }, 120s, 50ms);
  stop = true;
  producer.join();
  ASSERT_TRUE(tiered_while_writing) << "no round committed within 120 s of writing";
  auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  ASSERT_TRUE(WaitForLake(latest, 120s)) << "the lake did not reach the log end within 120 s";
  auto rows = ReadLake();
  // Every offset below the recorded ones, once; every id written, once.
  lake::LakeTiering reader(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto recorded = reader.LakeOffsets(path_, 3).value().first;
  size_t expected = 0;
  for (const auto& [b, end] : recorded) {
    expected += static_cast<size_t>(end);
    for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({b, o})) << "bucket " << b << " offset " << o;
  }
  EXPECT_EQ(rows.size(), expected);
  std::set<int64_t> ids;
  for (const auto& [k, id] : rows) ids.insert(id);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), next.load());
  std::cerr << "lake: " << rows.size() << " rows tiered\n";
}

TEST_F(LakeTieringIntegrationTest, KillDashNineDuringTieringLeavesAConsistentLake) {
  int64_t written = 0;
  constexpr int kKillDelaysMs[] = {0, 5, 20, 2, 50};  // places each kill; waits for nothing
  std::set<std::string> files_before = DataFiles();
  for (int round = 0; round < 5; ++round) {
    {
      auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
      for (int i = 0; i < 4000; ++i, ++written) {
        ASSERT_OK(writer->Append(GenericRow({Datum(written), Datum("p" + std::to_string(written))})));
      }
      ASSERT_OK(writer->Flush());
    }
    // The kill lands in the round that tiers these rows: once it wrote a new data file, a moment later.
    ASSERT_TRUE(testing::Eventually([&] { return DataFiles() != files_before; }, 120s))
        << "round " << round << ": no new data file within 120 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(kKillDelaysMs[round]));
    ASSERT_OK(server_->Kill());
    files_before = DataFiles();
    // Whatever the lake holds now is a prefix of the log, each row once.
    auto rows = ReadLake();
    ASSERT_TRUE(server_->Restart().ok()) << server_->ReadLog();
    conn_ = Connection::Create(conn_->config()).value();
    lake::LakeTiering live(conn_, lake::TieringOptions{.warehouse = warehouse_});
    auto recorded = live.LakeOffsets(path_, 3).value().first;
    size_t expected = 0;
    for (const auto& [b, end] : recorded) {
      expected += static_cast<size_t>(end);
      for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(rows.count({b, o})) << "round " << round << " bucket " << b;
    }
    ASSERT_EQ(rows.size(), expected) << "round " << round;
  }
  auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  ASSERT_TRUE(WaitForLake(latest, 120s));
  EXPECT_EQ(ReadLake().size(), static_cast<size_t>(written));
}

// The acceptance: 1,000,000 rows written and tiered by the server's own service; then, with
// writes still going on, the lake alone holds exactly each bucket's log below its recorded offsets,
// and a union read (LakeSnapshotScanner, as `fluss scan --union`) returns every row exactly once.
TEST_F(LakeTieringIntegrationTest, MillionRowsTieredThenAUnionReadWhileWritesGoOnHasEveryRowOnce) {
  constexpr int64_t kRows = 1'000'000;
  const auto t0 = std::chrono::steady_clock::now();
  auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
  for (int64_t i = 0; i < kRows; ++i) {
    ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum("p" + std::to_string(i))})));
  }
  ASSERT_OK(writer->Flush());
  const auto written = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  int64_t total = 0;
  for (const auto& [b, e] : written) total += e;
  ASSERT_EQ(total, kRows);
  const auto t_written = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitForLake(written, 120s)) << "the lake did not reach the log end within 120 s";
  const auto t_tiered = std::chrono::steady_clock::now();

  // Writes go on from here.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{kRows};
  std::thread producer([&] {
    while (!stop.load()) {
      const int64_t i = next++;
      ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum("p" + std::to_string(i))})));
      if (i % 200 == 199) std::this_thread::sleep_for(2ms);  // paces the writes; waits for nothing
    }
    ASSERT_OK(writer->Flush());
  });
  // New rows in the log (a round may be tiering them).
  EXPECT_TRUE(testing::Eventually([&] {
    auto now = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest());
    int64_t sum = 0;
    if (now.ok()) for (const auto& [b, e] : *now) sum += e;
    return sum >= kRows + 20000;
  }, 120s, 50ms));

  // The lake alone: exactly offsets [0, recorded) of every bucket, each once, with every row written
  // before tiering among them.
  {
    lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
    auto table = iceberg::IcebergTable::Open(lake::LakeTableDir(warehouse_, path_)).value();
    auto recorded = lake::SnapshotOffsets(table, buckets_);
    ASSERT_OK(recorded);
    const auto lake_rows = ReadLake();  // fails the test on a (bucket, offset) twice
    size_t expected = 0;
    for (const auto& [b, end] : recorded->first) {
      ASSERT_GE(end, written.at(b));
      expected += static_cast<size_t>(end);
    }
    // ReadLake opened the table again: a round committed in between only adds offsets.
    ASSERT_GE(lake_rows.size(), expected);
    std::vector<bool> have(kRows, false);
    for (const auto& [bo, id] : lake_rows) {
      if (bo.second >= recorded->first.at(bo.first)) continue;
      ASSERT_GE(id, 0);
      if (id < kRows) {
        ASSERT_FALSE(have[id]) << "row " << id << " twice in the lake";
        have[id] = true;
      }
    }
    for (const auto& [b, end] : recorded->first) {
      for (int64_t o = 0; o < end; ++o) ASSERT_TRUE(lake_rows.count({b, o})) << "bucket " << b << " offset " << o;
    }
    ASSERT_EQ(std::count(have.begin(), have.end(), true), kRows);
  }

  // The union read while writes go on.
  const auto t_union = std::chrono::steady_clock::now();
  auto scanner = lake::LakeSnapshotScanner::Open(*conn_, path_, {.warehouse = warehouse_});
  ASSERT_OK(scanner);
  std::map<std::pair<int32_t, int64_t>, int64_t> seen;
  std::set<int64_t> ids;
  int64_t from_lake = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!(*scanner)->done() && std::chrono::steady_clock::now() < deadline) {
    const bool in_lake = (*scanner)->in_lake();
    auto records = (*scanner)->Poll(200ms);
    ASSERT_OK(records);
    for (const auto& r : *records) {
      ASSERT_TRUE(seen.emplace(std::make_pair(r.bucket, r.offset), r.row.GetBigInt(0)).second)
          << "bucket " << r.bucket << " offset " << r.offset << " twice";
      ASSERT_TRUE(ids.insert(r.row.GetBigInt(0)).second) << "row " << r.row.GetBigInt(0) << " twice";
      if (in_lake) ++from_lake;
    }
  }
  ASSERT_TRUE((*scanner)->done()) << "the union read did not finish within 120 s";
  const double union_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_union).count();
  stop = true;
  producer.join();
  size_t expected = 0;
  for (const auto& [b, range] : (*scanner)->log_ranges()) {
    expected += static_cast<size_t>(range.second);
    for (int64_t o = 0; o < range.second; ++o) ASSERT_TRUE(seen.count({b, o})) << "bucket " << b << " offset " << o;
  }
  EXPECT_EQ(seen.size(), expected);
  for (int64_t i = 0; i < kRows; ++i) ASSERT_TRUE(ids.count(i)) << "row " << i << " missing";
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::cerr << kRows << " rows written in " << secs(t0, t_written) << " s, in the lake " << secs(t_written, t_tiered)
            << " s later; union read of " << seen.size() << " rows (" << from_lake << " from the lake, "
            << seen.size() - from_lake << " from the log) in " << union_s << " s while writes went on\n";
}

// The server without its own tiering service; the test runs fluss-tiering beside it.
class SeparateTieringServiceTest : public LakeTieringIntegrationTest {
 protected:
  SeparateTieringServiceTest() {
    embedded_ = false;
    buckets_ = 4;
  }
};

std::string Payload(int64_t id) {
  std::string s = "payload of row " + std::to_string(id) + ":";
  for (int64_t k = 1; s.size() < 160; ++k) s += " " + std::to_string(id * 7919 * k % 100003);
  return s;
}

// fluss-tiering is killed with SIGKILL 20 times inside its rounds while a writer appends ~20,000
// rows/s to 4 buckets. A round writes one data file per bucket, one after the other, and commits them
// at its end: the kill comes a few milliseconds after the round's first, second, third or fourth new
// file appears, so it lands at different points of the round whatever the round's length. After every
// kill the lake's current snapshot must hold, per bucket, exactly the log's offsets [0, recorded
// offset), each once, with the log's contents. Then the service catches up (the whole log in the
// lake once) and removes the files the killed rounds left (--orphan-min-age 1s).
TEST_F(SeparateTieringServiceTest, KillDashNineOfTheTieringServiceMidRound20Times) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const std::string table_dir = lake::LakeTableDir(warehouse_, path_);
  const std::string data_dir = table_dir + "/data";
  const std::string tiering_log = warehouse_ + ".tiering.log";
  struct RemoveLog {
    std::string path;
    ~RemoveLog() { fs::remove(path); }
  } remove_log{tiering_log};
  TieringProcess tiering({"-b", server_->address(), "-w", warehouse_, "--check-interval-ms", "20",
                          "--orphan-min-age", "1s"},
                         tiering_log);

  // The writer: ~kRowsPerSec rows/s until stopped.
  constexpr int64_t kRowsPerSec = 20000;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  std::string write_error;
  std::thread producer([&] {
    auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
    const auto start = Clock::now();
    for (int64_t i = 0; !stop.load(); ++i) {
      Status st = writer->Append(GenericRow({Datum(i), Datum(Payload(i))})).status();
      if (!st.ok()) {
        write_error = st.ToString();
        return;
      }
      written = i + 1;
      if (i % 100 == 99) std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / kRowsPerSec));
    }
    Status st = writer->Flush();
    if (!st.ok()) write_error = st.ToString();
  });
  struct JoinProducer {
    std::atomic<bool>& stop;
    std::thread& t;
    ~JoinProducer() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join_producer{stop, producer};

  // The log as read through the client, per bucket in offset order.
  struct LogRow {
    int64_t id;
    size_t payload_hash;
    int64_t timestamp;
  };
  const std::hash<std::string> hash;
  std::map<int32_t, std::vector<LogRow>> log;
  auto scanner = conn_->GetTable(path_).value().NewLogScanner().value();
  for (int32_t b = 0; b < buckets_; ++b) ASSERT_OK(scanner->Subscribe(b, 0));
  auto read_log_to = [&](const std::map<int32_t, int64_t>& ends) -> ::testing::AssertionResult {
    const auto deadline = Clock::now() + 60s;
    while (true) {
      bool done = true;
      for (const auto& [b, e] : ends) done &= static_cast<int64_t>(log[b].size()) >= e;
      if (done) return ::testing::AssertionSuccess();
      if (Clock::now() > deadline) return ::testing::AssertionFailure() << "the log did not read up to the lake";
      auto records = scanner->Poll(100ms);
      if (!records.ok()) return ::testing::AssertionFailure() << records.status().ToString();
      for (auto& r : *records) {
        auto& rows = log[r.bucket];
        if (r.offset != static_cast<int64_t>(rows.size())) {
          return ::testing::AssertionFailure() << "log scan of bucket " << r.bucket << " jumped to offset " << r.offset
                                               << " after " << rows.size() << " rows";
        }
        rows.push_back({r.row.GetBigInt(0), hash(r.row.GetString(1)), r.timestamp});
      }
    }
  };

  // The lake's current snapshot, checked against the log. A committed data file never changes, so
  // each is read and compared once; its (bucket, offset)s are kept to check every snapshot for
  // repeats and gaps.
  struct LakeState {
    std::map<int32_t, int64_t> offsets;
    int64_t snapshot_id = -1;
    std::set<std::string> live;  // file names of the snapshot's data files
  };
  std::map<std::string, std::vector<std::pair<int32_t, int64_t>>> checked;
  auto check_lake = [&](const std::string& when, LakeState* out) -> ::testing::AssertionResult {
    *out = LakeState{};
    for (int32_t b = 0; b < buckets_; ++b) out->offsets[b] = 0;
    std::error_code ec;
    if (!fs::exists(table_dir + "/metadata", ec)) return ::testing::AssertionSuccess();
    auto table = iceberg::IcebergTable::Open(table_dir);
    if (!table.ok()) return ::testing::AssertionFailure() << when << ": " << table.status().ToString();
    auto offsets = lake::SnapshotOffsets(*table, buckets_);
    if (!offsets.ok()) return ::testing::AssertionFailure() << when << ": " << offsets.status().ToString();
    auto entries = table->ListDataFiles();
    if (!entries.ok()) return ::testing::AssertionFailure() << when << ": " << entries.status().ToString();
    const auto& ends = offsets->first;
    if (auto r = read_log_to(ends); !r) return r << " (" << when << ")";
    std::map<int32_t, std::vector<uint8_t>> seen;
    for (const auto& [b, e] : ends) seen[b].assign(static_cast<size_t>(e), 0);
    for (const auto& entry : *entries) {
      const std::string path = iceberg::IcebergTable::LocalPath(entry.data_file.file_path).value();
      out->live.insert(fs::path(path).filename().string());
      auto it = checked.find(path);
      if (it == checked.end()) {
        auto reader = parquet::ParquetReader::OpenFile(path);
        if (!reader.ok()) return ::testing::AssertionFailure() << when << ": " << reader.status().ToString();
        auto rows = (*reader)->ReadAll();
        if (!rows.ok()) return ::testing::AssertionFailure() << when << ": " << rows.status().ToString();
        std::vector<std::pair<int32_t, int64_t>> keys;
        for (const auto& row : *rows) {
          const int32_t b = row.GetInt(2);
          const int64_t o = row.GetBigInt(3);
          if (!ends.count(b) || o < 0 || o >= ends.at(b)) {
            return ::testing::AssertionFailure() << when << ": " << path << " holds bucket " << b << " offset " << o
                                                 << ", not below the snapshot's offsets";
          }
          const LogRow& l = log[b][static_cast<size_t>(o)];
          if (row.GetBigInt(0) != l.id || hash(row.GetString(1)) != l.payload_hash || row.GetTimestamp(4).millis != l.timestamp) {
            return ::testing::AssertionFailure() << when << ": bucket " << b << " offset " << o << " is id "
                                                 << row.GetBigInt(0) << " in the lake, id " << l.id << " in the log";
          }
          keys.emplace_back(b, o);
        }
        if (entry.data_file.record_count != static_cast<int64_t>(keys.size())) {
          return ::testing::AssertionFailure() << when << ": " << path << " has " << keys.size()
                                               << " rows, its manifest says " << entry.data_file.record_count;
        }
        it = checked.emplace(path, std::move(keys)).first;
      }
      for (const auto& [b, o] : it->second) {
        if (o >= ends.at(b)) {
          return ::testing::AssertionFailure() << when << ": bucket " << b << " offset " << o
                                               << " is in the lake but above its recorded offset " << ends.at(b);
        }
        if (seen[b][static_cast<size_t>(o)]++) {
          return ::testing::AssertionFailure() << when << ": bucket " << b << " offset " << o << " twice in the lake";
        }
      }
    }
    for (const auto& [b, marks] : seen) {
      for (size_t o = 0; o < marks.size(); ++o) {
        if (!marks[o]) {
          return ::testing::AssertionFailure() << when << ": bucket " << b << " offset " << o
                                               << " missing from the lake (recorded offset " << marks.size() << ")";
        }
      }
    }
    out->offsets = ends;
    out->snapshot_id = offsets->second;
    return ::testing::AssertionSuccess();
  };
  auto data_files = [&] {
    std::set<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(data_dir, ec), end; !ec && it != end; it.increment(ec)) {
      out.insert(it->path().filename().string());
    }
    return out;
  };
  // Waits up to 60 s (generous) for `done`, polling every `every`.
  auto wait_for = [](const std::function<bool()>& done, std::chrono::milliseconds every) {
    const auto deadline = Clock::now() + 60s;
    while (Clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(every);
    }
    return false;
  };

  constexpr int kKills = 20;
  const int kDelaysMs[] = {0, 3, 6, 10, 15, 1, 4, 8, 12, 20, 2, 5};
  LakeState state;
  ASSERT_TRUE(check_lake("before the first round", &state));
  std::set<std::string> leftovers;      // data files no snapshot references, after the previous kill
  std::set<std::string> all_leftovers;  // every such file seen after any kill
  int landed_mid_round = 0;
  int64_t snapshots_checked = 0;
  std::vector<double> round_ms;  // start (first file) to commit, of the rounds that committed
  for (int k = 0; k < kKills; ++k) {
    ASSERT_TRUE(tiering.Start());
    std::set<std::string> before = data_files();
    if (k % 2 == 1) {
      // Let the first round (everything since the last commit) commit, then kill inside the next
      // one, which brings about one freshness (1 s) of rows.
      const auto start = Clock::now();
      lake::LakeTiering lake_reader(conn_, lake::TieringOptions{.warehouse = warehouse_});
      ASSERT_TRUE(wait_for([&] {
        auto o = lake_reader.LakeOffsets(path_, buckets_);
        return o.ok() && o->second != state.snapshot_id;
      }, 10ms)) << "kill " << k << ": no round committed within 60 s\n"
          << tiering.ReadLog();
      round_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      before = data_files();
    }
    const size_t trigger = 1 + k % 4;  // new data files of the round to wait for
    ASSERT_TRUE(wait_for([&] {
      size_t fresh = 0;
      for (const auto& f : data_files()) fresh += before.count(f) ? 0 : 1;
      return fresh >= trigger;
    }, 1ms)) << "kill " << k << ": the round did not write " << trigger << " files within 60 s\n"
        << tiering.ReadLog();
    std::this_thread::sleep_for(std::chrono::milliseconds(kDelaysMs[k % 12]));
    tiering.Kill();
    LakeState now;
    ASSERT_TRUE(check_lake("after kill " + std::to_string(k), &now)) << tiering.ReadLog();
    for (const auto& [b, o] : state.offsets) ASSERT_GE(now.offsets[b], o) << "the lake went back in bucket " << b;
    ++snapshots_checked;
    std::set<std::string> unreferenced;
    for (const auto& f : data_files()) {
      if (!now.live.count(f)) unreferenced.insert(f);
    }
    bool mid_round = false;
    for (const auto& f : unreferenced) mid_round |= !leftovers.count(f);
    all_leftovers.insert(unreferenced.begin(), unreferenced.end());
    landed_mid_round += mid_round ? 1 : 0;
    leftovers = std::move(unreferenced);
    state = now;
  }
  const double kill_phase_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // The writer stops; the service catches up with the whole log and removes the leftovers.
  stop = true;
  producer.join();
  ASSERT_EQ(write_error, "");
  const auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  ASSERT_TRUE(tiering.Start());
  ASSERT_TRUE(WaitForLake(latest, 120s)) << tiering.ReadLog();
  ASSERT_TRUE(check_lake("caught up", &state)) << tiering.ReadLog();
  int64_t total = 0;
  for (const auto& [b, end] : latest) {
    EXPECT_EQ(state.offsets[b], end) << "bucket " << b;
    total += end;
  }
  EXPECT_EQ(total, written.load()) << "rows in the log vs rows appended";
  // The same through the union reader's lake half: every appended id once.
  const TableInfo info = conn_->GetTable(path_).value().info();
  std::vector<uint8_t> ids(static_cast<size_t>(written.load()), 0);
  int64_t repeated = 0;
  auto snapshot = lake::ReadLakeSnapshot(warehouse_, info, {}, [&](ScanRecord&& r) {
    const int64_t id = r.row.GetBigInt(0);
    if (id < 0 || id >= static_cast<int64_t>(ids.size()) || ids[static_cast<size_t>(id)]++) ++repeated;
    EXPECT_EQ(r.row.GetString(1), Payload(id));
    return true;
  });
  ASSERT_OK(snapshot);
  EXPECT_EQ(snapshot->rows, total);
  EXPECT_EQ(repeated, 0);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 0), 0) << "appended ids missing from the lake";
  ASSERT_TRUE(wait_for([&] {
    LakeState s;
    if (!check_lake("cleanup", &s)) return false;
    return data_files() == s.live;
  }, 100ms)) << "files of killed rounds still in " << data_dir << "\n"
      << tiering.ReadLog();
  EXPECT_EQ(tiering.Stop(), 0) << "fluss-tiering did not stop cleanly on SIGTERM\n" << tiering.ReadLog();
  // Not cleaned up (yet): Avro files of a commit the kill cut short (each snapshot references one
  // manifest list and one manifest), and temporary metadata files.
  size_t avro = 0, tmp = 0;
  std::error_code ec;
  for (fs::directory_iterator it(table_dir + "/metadata", ec), end; !ec && it != end; it.increment(ec)) {
    avro += it->path().extension() == ".avro" ? 1 : 0;
    tmp += it->path().extension() == ".tmp" ? 1 : 0;
  }
  const size_t snapshots = iceberg::IcebergTable::Open(table_dir).value().metadata().snapshots.size();

  // Most kills must have hit a round between its first file and its commit.
  EXPECT_GE(landed_mid_round, kKills * 3 / 4);
  double round_sum = 0;
  for (double ms : round_ms) round_sum += ms;
  std::cerr << "fluss-tiering killed " << kKills << " times, " << landed_mid_round
            << " mid-round (uncommitted files left); " << snapshots_checked << " snapshots checked; "
            << total << " rows in the lake at the end, " << state.live.size() << " data files; "
            << all_leftovers.size() << " data files of killed rounds removed; metadata/ holds " << avro
            << " Avro files for " << snapshots << " snapshots and " << tmp << " temporary files; first round after a restart took "
            << (round_ms.empty() ? 0 : round_sum / round_ms.size()) << " ms on average; kill phase "
            << kill_phase_s << " s, total "
            << std::chrono::duration<double>(Clock::now() - t0).count() << " s\n";
}

// No tiering inside the server; tiny segments, a 2 s table.log.ttl checked every 200 ms.
class LakeRetentionIntegrationTest : public LakeTieringIntegrationTest {
 protected:
  LakeRetentionIntegrationTest() {
    embedded_ = false;
    extra_sets_ = {"log.segment.file-size=4kb", "log.index.file-size=4kb",
                   "table.log.ttl=2s", "log.retention.check-interval=200ms"};
    writer_batch_size_ = 1 << 10;
  }

  std::map<int32_t, int64_t> Earliest() {
    auto offsets = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Earliest());
    EXPECT_OK(offsets);
    return offsets.ok() ? *offsets : std::map<int32_t, int64_t>{};
  }

  int64_t written_ = 0;
  void Write(int rows) {
    auto writer = conn_->GetTable(path_).value().NewAppendWriter().value();
    for (int i = 0; i < rows; ++i, ++written_) {
      ASSERT_OK(writer->Append(GenericRow({Datum(written_), Datum("p" + std::to_string(written_))})));
    }
    ASSERT_OK(writer->Flush());
  }
};

TEST_F(LakeRetentionIntegrationTest, TtlDeletesOnlyWhatTheLakeHoldsAndTheUnionStaysWhole) {
  const auto started = std::chrono::steady_clock::now();
  Write(3000);
  // Well past the ttl (~15 retention passes): nothing is in the lake, so nothing goes. (The test
  // waits for nothing to happen: there is no event to wait on; a slower machine runs fewer passes.)
  std::this_thread::sleep_for(3s);
  for (const auto& [b, start] : Earliest()) EXPECT_EQ(start, 0) << "bucket " << b << " lost untiered rows";

  // One tiering round, as fluss-tiering would run it.
  lake::LakeTiering tiering(conn_, lake::TieringOptions{.warehouse = warehouse_});
  auto round = tiering.TierOnce(path_);
  ASSERT_OK(round);
  ASSERT_TRUE(round->committed);
  const std::map<int32_t, int64_t> tiered = round->offsets;
  Write(3000);  // rows the lake does not hold, in segments that pass the ttl below

  // Retention now deletes what the lake holds — never past it.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::map<int32_t, int64_t> start;
  while (std::chrono::steady_clock::now() < deadline) {
    start = Earliest();
    bool all_moved = !start.empty();
    for (const auto& [b, s] : start) {
      ASSERT_LE(s, tiered.at(b)) << "bucket " << b << ": retention passed the lake's offset";
      all_moved &= s > 0;
    }
    if (all_moved) break;
    std::this_thread::sleep_for(100ms);
  }
  for (const auto& [b, s] : start) EXPECT_GT(s, 0) << "bucket " << b << ": nothing tiered was deleted";
  // The second batch of rows is past the ttl too now, and still there (again nothing to wait on).
  std::this_thread::sleep_for(2500ms);
  start = Earliest();
  for (const auto& [b, s] : start) EXPECT_LE(s, tiered.at(b)) << "bucket " << b;

  // The union (lake snapshot, then each bucket's log from its offsets) has every row once.
  const auto latest = conn_->GetAdmin().ListOffsets(path_, OffsetSpec::Latest()).value();
  const TableInfo info = conn_->GetTable(path_).value().info();
  std::map<int64_t, int> seen;  // id -> times
  auto lake = lake::ReadLakeSnapshot(warehouse_, info, {}, [&](ScanRecord&& r) {
    ++seen[r.row.GetBigInt(0)];
    return true;
  });
  ASSERT_OK(lake);
  EXPECT_EQ(lake->offsets, tiered);
  auto scanner = conn_->GetTable(path_).value().NewLogScanner().value();
  for (const auto& [b, from] : lake->offsets) {
    if (from < latest.at(b)) ASSERT_OK(scanner->Subscribe(b, from));
  }
  const auto read_deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < read_deadline) {
    bool done = true;
    auto pos = scanner->positions();
    for (const auto& [b, e] : latest) done &= lake->offsets[b] >= e || (pos.count(b) && pos[b] >= e);
    if (done) break;
    auto records = scanner->Poll(200ms);
    ASSERT_OK(records);
    for (const auto& r : *records) {
      if (r.offset < latest.at(r.bucket)) ++seen[r.row.GetBigInt(0)];
    }
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), written_);
  for (const auto& [id, n] : seen) ASSERT_EQ(n, 1) << "id " << id;
  int64_t deleted = 0;
  for (const auto& [b, s] : start) deleted += s;
  std::cerr << "retention: " << deleted << " of " << lake->rows << " tiered offsets deleted from the log; union read "
            << seen.size() << " rows in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";
}

}  // namespace
}  // namespace fluss
