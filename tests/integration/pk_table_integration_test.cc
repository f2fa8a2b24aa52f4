// Primary-key tables end to end against real fluss-server processes: a million upserts and deletes
// over 100,000 keys whose changelog, replayed, equals both the expected state and the lookups;
// kill -9 during upserts; and snapshot-then-changelog reads under concurrent writes, where every
// change must arrive exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
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

constexpr const char* kSchema = "id BIGINT NOT NULL, v BIGINT, s STRING, PRIMARY KEY (id)";

GenericRow Row(int64_t id, int64_t v) {
  return GenericRow({Datum(id), Datum(v), Datum(std::string(16 + id % 17, static_cast<char>('a' + v % 26)))});
}

GenericRow KeyRow(int64_t id) { return GenericRow({Datum(id), Datum(), Datum()}); }

// The state a changelog describes, checked strictly as it is applied: +I only for an absent key,
// -U and -D only with the row the key has, +U only right after its -U (FULL image). A change
// applied twice or missed breaks one of these.
class Replay {
 public:
  void Apply(const ScanRecord& r) {
    const int64_t id = r.row.GetBigInt(0);
    auto it = state_.find(id);
    switch (r.change_type) {
      case ChangeType::kInsert:
        ASSERT_TRUE(it == state_.end()) << "+I of key " << id << " that exists (offset " << r.offset << ")";
        state_.emplace(id, r.row);
        versions_.insert(r.row.GetBigInt(1));
        break;
      case ChangeType::kUpdateBefore:
        ASSERT_TRUE(it != state_.end() && it->second == r.row) << "-U of key " << id << " does not match (offset "
                                                               << r.offset << ")";
        pending_before_ = id;
        break;
      case ChangeType::kUpdateAfter:
        ASSERT_EQ(pending_before_, id) << "+U of key " << id << " without its -U (offset " << r.offset << ")";
        pending_before_ = -1;
        state_[id] = r.row;
        versions_.insert(r.row.GetBigInt(1));
        break;
      case ChangeType::kDelete:
        ASSERT_TRUE(it != state_.end() && it->second == r.row) << "-D of key " << id << " does not match (offset "
                                                               << r.offset << ")";
        state_.erase(it);
        break;
      default: FAIL() << "unexpected change type in a changelog";
    }
    ++changes_;
  }
  void Put(const GenericRow& row) { state_[row.GetBigInt(0)] = row; }
  const std::map<int64_t, GenericRow>& state() const { return state_; }
  int64_t changes() const { return changes_; }
  // The `v` of every row inserted or updated.
  const std::set<int64_t>& versions() const { return versions_; }

 private:
  std::map<int64_t, GenericRow> state_;
  std::set<int64_t> versions_;
  int64_t pending_before_ = -1;
  int64_t changes_ = 0;
};

class PkTableIntegrationTest : public ::testing::Test {
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

  Table CreateTable(const std::string& name, int buckets) {
    Admin admin = conn_->GetAdmin();
    EXPECT_OK(admin.CreateDatabase("it", /*ignore_if_exists=*/true));
    TableDescriptor d(ParseSchema(kSchema).value());
    d.DistributedBy(buckets);
    const auto path = TablePath::Make("it", name).value();
    Status st = admin.CreateTable(path, d);
    EXPECT_OK(st);
    return conn_->GetTable(path).value();
  }

  // Reads the changelog of every bucket from `from` up to the latest offsets into `replay`.
  void ReadChangelog(const Table& table, const std::map<int32_t, int64_t>& from, Replay* replay) {
    auto latest = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest());
    ASSERT_OK(latest);
    auto scanner = conn_->GetTable(table.path()).value().NewLogScanner().value();
    std::set<int32_t> open;
    for (const auto& [b, end] : *latest) {
      const int64_t start = from.count(b) ? from.at(b) : 0;
      if (start < end) {
        ASSERT_OK(scanner->Subscribe(b, start));
        open.insert(b);
      }
    }
    auto last_data = std::chrono::steady_clock::now();
    while (!open.empty() && std::chrono::steady_clock::now() - last_data < 60s) {
      auto recs = scanner->Poll(200ms);
      ASSERT_OK(recs);
      if (!recs->empty()) last_data = std::chrono::steady_clock::now();
      for (const auto& r : *recs) {
        if (r.offset >= latest->at(r.bucket)) continue;
        replay->Apply(r);
        if (::testing::Test::HasFatalFailure()) return;
      }
      for (const auto& [b, pos] : scanner->positions()) {
        if (pos >= latest->at(b)) open.erase(b);
      }
    }
    ASSERT_TRUE(open.empty()) << "the changelog did not reach its end offsets";
  }

  // Looks every key in [0, keys) up, 1000 per call.
  std::map<int64_t, GenericRow> LookupAll(const Table& table, int64_t keys) {
    auto lookuper = conn_->GetTable(table.path()).value().NewLookuper().value();
    std::map<int64_t, GenericRow> out;
    for (int64_t base = 0; base < keys; base += 1000) {
      std::vector<GenericRow> batch;
      for (int64_t id = base; id < std::min(keys, base + 1000); ++id) batch.push_back(GenericRow({Datum(id)}));
      auto rows = lookuper->LookupMany(batch);
      EXPECT_OK(rows);
      if (!rows.ok()) return out;
      for (size_t i = 0; i < rows->size(); ++i) {
        if ((*rows)[i]) out.emplace(base + static_cast<int64_t>(i), *(*rows)[i]);
      }
    }
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(PkTableIntegrationTest, MillionUpsertsOverHundredThousandKeysReplayToTheLookups) {
  Table table = CreateTable("million", 4);
  constexpr int64_t kOps = 1000000;
  constexpr int64_t kKeys = 100000;
  std::map<int64_t, GenericRow> expected;
  {
    auto writer = table.NewUpsertWriter().value();
    std::mt19937_64 rng(20261130);
    for (int64_t op = 0; op < kOps; ++op) {
      const int64_t id = static_cast<int64_t>(rng() % kKeys);
      if (rng() % 10 == 0) {
        ASSERT_OK(writer->Delete(KeyRow(id)));
        expected.erase(id);
      } else {
        GenericRow row = Row(id, op);
        ASSERT_OK(writer->Upsert(row));
        expected[id] = std::move(row);
      }
    }
    Status st = writer->Flush();
    ASSERT_OK(st);
  }
  Replay replay;
  ReadChangelog(table, {}, &replay);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_GT(replay.changes(), kOps);  // +I/-U/+U/-D: more changes than writes
  EXPECT_EQ(replay.state().size(), expected.size());
  EXPECT_TRUE(replay.state() == expected) << "the replayed changelog differs from the writes";
  auto looked_up = LookupAll(table, kKeys);
  EXPECT_EQ(looked_up.size(), expected.size());
  EXPECT_TRUE(looked_up == expected) << "lookups differ from the writes";
}

TEST_F(PkTableIntegrationTest, KillDashNineDuringUpsertsLeavesStateEqualToTheChangelog) {
  Table table = CreateTable("crash", 2);
  constexpr int64_t kKeys = 5000;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<int64_t, WriteResult>> results;  // (version v, its write)
  std::thread writer_thread([&] {
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 5ms;
    c.writer_batch_size = 16 << 10;
    c.connect_timeout = 1s;
    c.request_timeout = 3s;
    auto conn = Connection::Create(c).value();
    auto writer = conn->GetTable(table.path()).value().NewUpsertWriter().value();
    std::mt19937_64 rng(7);
    for (int64_t v = 0; !stop.load(); ++v) {
      const int64_t id = static_cast<int64_t>(rng() % kKeys);
      const bool del = rng() % 8 == 0;
      auto r = del ? writer->Delete(KeyRow(id)) : writer->Upsert(Row(id, v));
      ASSERT_OK(r);
      if (!del) {
        std::lock_guard<std::mutex> lock(mu);
        results.emplace_back(v, *r);
      }
      if (v % 100 == 99) std::this_thread::sleep_for(1ms);
    }
    (void)writer->Flush();
  });
  // Acknowledged upserts so far (results complete roughly in order; counted from the front).
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
  // Two kills, each once the (restarted) server acknowledged 1000 more upserts, a random moment
  // later; then 1000 more. The kills follow what the server acknowledged, not the clock.
  std::mt19937 kill_rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    const size_t target = acknowledged() + 1000;
    const bool reached = testing::Eventually([&] { return acknowledged() >= target; }, 120s);
    if (!reached || round == 2) break;
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 5000)(kill_rng)));
    ASSERT_OK(server_->Kill());
    ASSERT_TRUE(server_->Restart().ok()) << server_->ReadLog();
  }
  stop = true;
  writer_thread.join();

  std::vector<int64_t> acked_versions;
  for (auto& [v, r] : results) {
    if (r.Wait().ok()) acked_versions.push_back(v);
  }
  const size_t acked = acked_versions.size();
  ASSERT_GT(acked, 3000u);  // 1000 before each kill and after the last restart

  conn_.reset();
  Connect();
  Replay replay;
  ReadChangelog(table, {}, &replay);
  ASSERT_FALSE(HasFatalFailure());
  auto looked_up = LookupAll(table, kKeys);
  EXPECT_EQ(looked_up.size(), replay.state().size());
  EXPECT_TRUE(looked_up == replay.state()) << "after kill -9 the KV state differs from its changelog";
  // No acknowledged upsert is missing from the changelog (each wrote a distinct v).
  size_t missing = 0;
  for (int64_t v : acked_versions) missing += replay.versions().count(v) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "acknowledged upserts missing from the changelog";
  // The restarts did recover state from the changelog (RocksDB had no WAL to recover from).
  EXPECT_NE(server_->ReadLog().find("caught up with the changelog"), std::string::npos);
  std::cerr << "kill -9 test: " << results.size() << " upserts, " << acked << " acknowledged, "
            << replay.changes() << " changes, " << looked_up.size() << " keys\n";
}

TEST_F(PkTableIntegrationTest, SnapshotThenChangelogUnderConcurrentWritesHasEveryChangeOnce) {
  Table table = CreateTable("snap", 3);
  constexpr int64_t kKeys = 2000;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  std::thread writer_thread([&] {
    auto conn = Connection::Create(conn_->config()).value();
    auto writer = conn->GetTable(table.path()).value().NewUpsertWriter().value();
    std::mt19937_64 rng(99);
    for (int64_t v = 0; !stop.load() || v < 20000; ++v) {
      const int64_t id = static_cast<int64_t>(rng() % kKeys);
      auto r = rng() % 6 == 0 ? writer->Delete(KeyRow(id)) : writer->Upsert(Row(id, v));
      ASSERT_OK(r);
      written = v + 1;
      if (v % 200 == 199) std::this_thread::sleep_for(2ms);
    }
    ASSERT_OK(writer->Flush());
  });
  EXPECT_TRUE(testing::Eventually([&] { return written.load() >= 5000; }));

  // Snapshots of every bucket while the writer keeps going, each with the offset it reflects.
  Replay replay;
  std::map<int32_t, int64_t> from;
  int64_t snapshot_rows = 0;
  for (int32_t b = 0; b < 3; ++b) {
    auto scanner = table.NewBatchScanner(b).value();
    while (true) {
      auto rows = scanner->PollBatch();
      ASSERT_OK(rows);
      if (!*rows) break;
      for (auto& row : **rows) {
        replay.Put(row);
        ++snapshot_rows;
      }
    }
    from[b] = scanner->snapshot_log_offset();
    ASSERT_GE(from[b], 0);
  }
  stop = true;
  writer_thread.join();

  // The changelog after each snapshot's offset, applied strictly, ends in exactly the final state.
  ReadChangelog(table, from, &replay);
  ASSERT_FALSE(HasFatalFailure());
  auto looked_up = LookupAll(table, kKeys);
  EXPECT_EQ(replay.state().size(), looked_up.size());
  EXPECT_TRUE(replay.state() == looked_up) << "snapshot + changelog differs from the final state";
  // And equals the whole changelog replayed from the start.
  Replay full;
  ReadChangelog(table, {}, &full);
  EXPECT_TRUE(full.state() == looked_up);
  std::cerr << "snapshot test: " << snapshot_rows << " snapshot rows, " << replay.changes()
            << " changes after them, " << written.load() << " writes\n";
}

TEST_F(PkTableIntegrationTest, StateSurvivesAGracefulRestart) {
  Table table = CreateTable("restart", 2);
  {
    auto writer = table.NewUpsertWriter().value();
    for (int64_t i = 0; i < 10000; ++i) ASSERT_OK(writer->Upsert(Row(i % 3000, i)));
    ASSERT_OK(writer->Flush());
  }
  auto before = LookupAll(table, 3000);
  ASSERT_EQ(before.size(), 3000u);
  conn_.reset();
  ASSERT_OK(server_->Stop());
  ASSERT_TRUE(server_->Restart().ok()) << server_->ReadLog();
  Connect();
  auto after = LookupAll(table, 3000);
  EXPECT_TRUE(before == after);
  // A clean shutdown flushed RocksDB: nothing had to be replayed from the changelog.
  EXPECT_EQ(server_->ReadLog().find("caught up with the changelog"), std::string::npos) << server_->ReadLog();
}

}  // namespace
}  // namespace fluss
