// Log tables end to end against real fluss-server processes on free loopback ports: a million rows
// through four buckets and back, column projection, reads from a timestamp, long polling, and
// kill -9 in the middle of a write.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "fluss/client.h"
#include "support/eventually.h"
#include "support/server_process.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::ServerProcess;
using namespace std::chrono_literals;

class LogTableIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start();
    ASSERT_OK(server);
    server_ = std::move(server).value();
    Connect();
  }

  void Connect() {
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 10ms;
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    conn_ = *conn;
  }

  void TearDown() override {
    conn_.reset();
    if (HasFailure() && server_) std::cerr << "---- server log ----\n" << server_->ReadLog() << "\n";
  }

  Table CreateTable(const std::string& name, const std::string& dsl, int buckets,
                    std::map<std::string, std::string> properties = {}) {
    Admin admin = conn_->GetAdmin();
    EXPECT_OK(admin.CreateDatabase("it", /*ignore_if_exists=*/true));
    TableDescriptor d(ParseSchema(dsl).value());
    d.DistributedBy(buckets);
    for (auto& [k, v] : properties) d.Property(k, v);
    const auto path = TablePath::Make("it", name).value();
    Status st = admin.CreateTable(path, d);
    EXPECT_OK(st);
    return conn_->GetTable(path).value();
  }

  // Polls until `expected` records came or nothing came for `idle` (generous: it ends a failing test).
  static std::vector<ScanRecord> ReadAll(LogScanner& scanner, size_t expected, std::chrono::milliseconds idle = 30s) {
    std::vector<ScanRecord> out;
    auto last_data = std::chrono::steady_clock::now();
    while (out.size() < expected && std::chrono::steady_clock::now() - last_data < idle) {
      auto recs = scanner.Poll(200ms);
      EXPECT_OK(recs);
      if (!recs.ok()) break;
      if (!recs->empty()) last_data = std::chrono::steady_clock::now();
      for (auto& r : *recs) out.push_back(std::move(r));
    }
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(LogTableIntegrationTest, MillionRowsThroughFourBucketsComeBackExactly) {
  Table table = CreateTable("million", "id BIGINT NOT NULL, name STRING, amount DOUBLE, flag BOOLEAN", 4,
                            {{"table.log.arrow.compression.type", "LZ4_FRAME"}});
  constexpr int64_t kRows = 1000000;
  {
    auto writer = table.NewAppendWriter().value();
    for (int64_t i = 0; i < kRows; ++i) {
      GenericRow row({Datum(i), Datum("name-" + std::to_string(i)), Datum(static_cast<double>(i) / 4),
                      i % 7 == 0 ? Datum() : Datum(i % 2 == 0)});
      ASSERT_OK(writer->Append(row));
    }
    Status flushed = writer->Flush();
    ASSERT_OK(flushed);
  }
  auto offsets = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest()).value();
  int64_t total = 0;
  for (auto& [b, o] : offsets) {
    EXPECT_GT(o, 0) << "bucket " << b << " got no rows";
    total += o;
  }
  EXPECT_EQ(total, kRows);

  auto scanner = table.NewLogScanner().value();
  for (int b = 0; b < 4; ++b) ASSERT_OK(scanner->Subscribe(b, kEarliestOffset));
  std::vector<uint8_t> seen(kRows, 0);
  std::map<int32_t, int64_t> last_id, next_offset;
  int64_t count = 0;
  auto last_data = std::chrono::steady_clock::now();
  while (count < kRows && std::chrono::steady_clock::now() - last_data < 30s) {
    auto recs = scanner->Poll(500ms);
    ASSERT_OK(recs);
    if (!recs->empty()) last_data = std::chrono::steady_clock::now();
    for (const auto& r : *recs) {
      const int64_t id = r.row.GetBigInt(0);
      ASSERT_TRUE(id >= 0 && id < kRows);
      ASSERT_EQ(seen[id], 0) << "row " << id << " came twice";
      seen[id] = 1;
      ASSERT_EQ(r.row.GetString(1), "name-" + std::to_string(id));
      ASSERT_EQ(r.row.GetDouble(2), static_cast<double>(id) / 4);
      if (id % 7 == 0) {
        ASSERT_TRUE(r.row.IsNullAt(3));
      } else {
        ASSERT_EQ(r.row.GetBoolean(3), id % 2 == 0);
      }
      // One writer: within a bucket, ids and offsets both increase.
      auto it = last_id.find(r.bucket);
      if (it != last_id.end()) { ASSERT_GT(id, it->second) << "bucket " << r.bucket; }
      last_id[r.bucket] = id;
      auto no = next_offset.find(r.bucket);
      if (no != next_offset.end()) { ASSERT_EQ(r.offset, no->second) << "bucket " << r.bucket; }
      next_offset[r.bucket] = r.offset + 1;
      ++count;
    }
  }
  EXPECT_EQ(count, kRows);
}

TEST_F(LogTableIntegrationTest, TwoOfTwentyColumnsProjection) {
  std::string dsl;
  for (int c = 0; c < 20; ++c) dsl += (c ? ", " : "") + ("c" + std::to_string(c)) + (c % 2 ? " STRING" : " BIGINT");
  Table table = CreateTable("wide", dsl, 2);
  constexpr int kRows = 5000;
  auto writer = table.NewAppendWriter().value();
  for (int i = 0; i < kRows; ++i) {
    GenericRow row(20);
    for (int c = 0; c < 20; ++c) {
      if (c % 2) row.SetField(c, Datum("v" + std::to_string(i * 100 + c)));
      else row.SetField(c, Datum(int64_t{i} * 100 + c));
    }
    ASSERT_OK(writer->Append(row));
  }
  ASSERT_OK(writer->Flush());
  auto scanner = table.NewLogScanner(ScanOptions{.columns = {"c13", "c4"}}).value();
  for (int b = 0; b < 2; ++b) ASSERT_OK(scanner->Subscribe(b, 0));
  auto records = ReadAll(*scanner, kRows);
  ASSERT_EQ(records.size(), static_cast<size_t>(kRows));
  std::set<int64_t> ids;
  for (const auto& r : records) {
    ASSERT_EQ(r.row.arity(), 2u);
    const int64_t c4 = r.row.GetBigInt(1);
    const int64_t i = (c4 - 4) / 100;
    EXPECT_EQ(r.row.GetString(0), "v" + std::to_string(i * 100 + 13));
    ids.insert(i);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kRows));
}

TEST_F(LogTableIntegrationTest, ReadFromTimestampAndLongPoll) {
  Table table = CreateTable("clock", "v INT", 1);
  auto writer = table.NewAppendWriter().value();
  for (int i = 0; i < 50; ++i) ASSERT_OK(writer->Append(GenericRow({Datum(i)})));
  ASSERT_OK(writer->Flush());
  // The rows so far are stamped before `cut`, the later ones at or after it (the clock is waited for,
  // not slept on).
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const int64_t cut = now_ms() + 1;
  while (now_ms() < cut) std::this_thread::yield();
  for (int i = 50; i < 60; ++i) ASSERT_OK(writer->Append(GenericRow({Datum(i)})));
  ASSERT_OK(writer->Flush());

  auto at = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Timestamp(cut)).value();
  auto scanner = table.NewLogScanner().value();
  ASSERT_OK(scanner->Subscribe(0, at.at(0)));
  auto records = ReadAll(*scanner, 10);
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records.front().row.GetInt(0), 50);

  // At the end: a poll waits on the server (up to 30 s, the server's cap) and wakes when a row arrives.
  Configuration c = conn_->config();
  c.scanner_fetch_wait_max = 30s;
  auto reader = Connection::Create(c).value();
  auto tail = reader->GetTable(table.path()).value().NewLogScanner().value();
  ASSERT_OK(tail->Subscribe(0, 60));
  const auto start = std::chrono::steady_clock::now();
  std::thread later([&] {
    // Usually the poll is parked by then; if the machine is slow and it is not, the poll finds the
    // row at once, which the checks below accept too. It waits for nothing.
    std::this_thread::sleep_for(400ms);
    ASSERT_OK(writer->Append(GenericRow({Datum(99)})));
    ASSERT_OK(writer->Flush());
  });
  std::vector<ScanRecord> got;
  while (got.empty() && std::chrono::steady_clock::now() - start < 60s) {
    auto recs = tail->Poll(60s);
    ASSERT_OK(recs);
    got = std::move(recs).value();
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  later.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].row.GetInt(0), 99);
  EXPECT_GE(waited, 400ms);
  EXPECT_LT(waited, 25s);  // woken by the append, not by the end of the server's 30 s wait
}

TEST_F(LogTableIntegrationTest, KillDashNineMidWriteLosesNoAcknowledgedRowAndDuplicatesNone) {
  Table table = CreateTable("crash", "id BIGINT NOT NULL, payload STRING", 4, {{"table.log.arrow.compression.type", "NONE"}});
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<int64_t, WriteResult>> results;
  std::thread producer([&] {
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 5ms;
    c.writer_batch_size = 16 << 10;
    c.connect_timeout = 1s;
    c.request_timeout = 3s;
    auto conn = Connection::Create(c).value();
    auto writer = conn->GetTable(table.path()).value().NewAppendWriter().value();
    for (int64_t i = 0; !stop.load(); ++i) {
      auto r = writer->Append(GenericRow({Datum(i), Datum(std::string(100, 'a' + i % 26))}));
      ASSERT_OK(r);
      {
        std::lock_guard<std::mutex> lock(mu);
        results.emplace_back(i, *r);
      }
      if (i % 1000 == 999) std::this_thread::sleep_for(1ms);
    }
    (void)writer->Flush();
  });
  // Acknowledged appends so far (results complete roughly in order; counted from the front).
  size_t counted = 0;
  size_t acked_so_far = 0;
  auto acknowledged = [&] {
    std::lock_guard<std::mutex> lock(mu);
    while (counted < results.size() && results[counted].second.done()) {
      if (results[counted].second.Wait().ok()) ++acked_so_far;
      ++counted;
    }
    return acked_so_far;
  };
  // Let writes be acknowledged, then crash the server while the writer keeps going; twice, each time
  // once the restarted server acknowledged more. The kills follow what the server acknowledged, not
  // the clock.
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    const size_t target = acknowledged() + 1000;
    const bool reached = testing::Eventually([&] { return acknowledged() >= target; }, 120s);
    if (!reached || round == 2) break;
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 5000)(rng)));
    ASSERT_OK(server_->Kill());
    ASSERT_TRUE(server_->Restart().ok()) << server_->ReadLog();
  }
  stop = true;
  producer.join();

  std::set<int64_t> acked;
  size_t failed = 0;
  std::map<std::string, size_t> failures;  // error code -> appends that failed with it
  for (auto& [id, r] : results) {
    Status st = r.Wait();
    if (st.ok()) {
      acked.insert(id);
    } else {
      ++failed;
      if (failures[std::string(ErrorCodeName(st.code()))]++ == 0) std::cerr << "append failed: " << st.ToString() << "\n";
    }
  }
  ASSERT_GT(acked.size(), 3000u);  // 1000 before each kill and after the last restart

  conn_.reset();
  Connect();
  auto t = conn_->GetTable(table.path()).value();
  auto latest = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest()).value();
  int64_t total = 0;
  for (auto& [b, o] : latest) total += o;
  auto scanner = t.NewLogScanner().value();
  for (int b = 0; b < 4; ++b) ASSERT_OK(scanner->Subscribe(b, 0));
  auto records = ReadAll(*scanner, static_cast<size_t>(total));
  ASSERT_EQ(records.size(), static_cast<size_t>(total));
  std::set<int64_t> stored;
  for (const auto& r : records) {
    const int64_t id = r.row.GetBigInt(0);
    EXPECT_TRUE(stored.insert(id).second) << "row " << id << " is stored twice";
    EXPECT_EQ(r.row.GetString(1), std::string(100, 'a' + id % 26));
  }
  for (int64_t id : acked) ASSERT_TRUE(stored.count(id)) << "acknowledged row " << id << " is missing";
  std::cerr << "kill -9 test: " << results.size() << " appended, " << acked.size() << " acknowledged, " << failed
            << " failed, " << stored.size() << " stored\n";
}

TEST_F(LogTableIntegrationTest, ServerDownIsReportedClearly) {
  const std::string addr = server_->address();
  ASSERT_OK(server_->Stop());
  Configuration c;
  c.bootstrap_servers = addr;
  c.connect_timeout = 120s;
  const auto start = std::chrono::steady_clock::now();
  auto conn = Connection::Create(c);
  ASSERT_FALSE(conn.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);  // refused at once, not after the connect timeout
  EXPECT_EQ(conn.status().code(), ErrorCode::kNetworkException);
  EXPECT_NE(conn.status().message().find("cannot connect to " + addr), std::string::npos) << conn.status().message();
}

}  // namespace
}  // namespace fluss
