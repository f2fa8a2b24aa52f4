// Cluster mode end to end (issue 7's acceptance): a real ZooKeeper, two coordinators (active +
// standby) and three tablet servers as processes on loopback (LocalCluster), replication factor 3,
// short timeouts (ZooKeeper session 2 s, replica max lag 2 s; the lag test: session 30 s, max lag
// 1.5 s). While a client thread appends to a log table and upserts into a primary-key table with
// acks=all, the tests kill -9 bucket leaders, the active coordinator, and SIGSTOP a follower (for
// longer than the max lag, and for longer than its session); after each disturbance they check that every
// acknowledged record is readable exactly once, that the replicas' logs are byte-identical below
// the high watermark, and that primary-key lookups equal the replay of the changelog.
//
// Preferred-leader election runs every second, so leaderships also move back to restarted servers
// during the workload. FLUSS_CLUSTER_KILL_ROUNDS sets the number of leader kills (default 20).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "fluss/client.h"
#include "support/local_cluster.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::LocalCluster;
using testing::LocalClusterOptions;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

constexpr int kKeys = 64;  // keys of the primary-key table

LocalClusterOptions ClusterOptions() {
  LocalClusterOptions o;
  // Preferred-leader election checks every second here: leaderships move back to a restarted
  // server while the workload runs, one more disturbance the invariants must survive.
  o.sets = {"zookeeper.client.session-timeout=2s", "log.replica.max-lag-time=2s",
            "log.replica.fetch.wait-max-time=100ms", "log.replica.fetch.backoff-interval=100ms",
            "default.replication.factor=3", "default.bucket.number=2", "leader.imbalance.check.interval=1s"};
  return o;
}

Configuration ClientConfig(const LocalCluster& cluster) {
  Configuration c;
  c.bootstrap_servers = cluster.bootstrap();
  c.connect_timeout = milliseconds(2000);
  c.request_timeout = milliseconds(5000);
  c.writer_batch_timeout = milliseconds(5);
  c.writer_acks = -1;
  // Longer than any failover here (a session timeout plus an election), short enough that a broken
  // cluster fails the test instead of hanging it.
  c.writer_delivery_timeout = milliseconds(30000);
  return c;
}

template <typename F>
bool WaitFor(F&& done, milliseconds timeout, milliseconds step = milliseconds(100)) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

const BucketReplicas* FindBucket(const ClusterStatus& status, const TablePath& path, int32_t bucket) {
  for (const auto& t : status.tables) {
    if (t.path.ToString() != path.ToString()) continue;
    for (const auto& b : t.buckets) {
      if (b.bucket == bucket) return &b;
    }
  }
  return nullptr;
}

std::string Describe(const ClusterStatus& s) {
  std::string out = fmt::format("coordinator {}; tablet servers", s.coordinator ? s.coordinator->id : -1);
  for (const auto& n : s.tablet_servers) out += fmt::format(" {}", n.id);
  for (const auto& t : s.tables) {
    for (const auto& b : t.buckets) {
      out += fmt::format("; {}#{} leader {} epoch {} replicas {} isr {}", t.path.ToString(), b.bucket, b.leader,
                         b.leader_epoch, fmt::join(b.replicas, ","), fmt::join(b.isr, ","));
    }
  }
  return out;
}

// Every bucket of `paths` has a leader and all its replicas in sync.
bool FullyReplicated(const ClusterStatus& s, const std::vector<TablePath>& paths, size_t replication) {
  for (const auto& p : paths) {
    bool found = false;
    for (const auto& t : s.tables) {
      if (t.path.ToString() != p.ToString()) continue;
      found = !t.buckets.empty();
      for (const auto& b : t.buckets) {
        if (b.leader < 0 || b.replicas.size() != replication || b.isr.size() != replication) return false;
      }
    }
    if (!found) return false;
  }
  return true;
}

// The client side of the test: appends ids 0, 1, 2, ... to the log table and upserts (id % kKeys,
// id) into the primary-key table, 20 of each per round trip, each round waiting for its acks, until
// stopped; Pause() parks it between round trips so a check sees a quiet cluster.
class Workload {
 public:
  Workload(std::shared_ptr<Connection> conn, Table log, Table pk)
      : conn_(std::move(conn)), log_(std::move(log)), pk_(std::move(pk)) {}
  ~Workload() { Stop(); }

  Status Start() {
    FLUSS_ASSIGN_OR_RETURN(appender_, log_.NewAppendWriter());
    FLUSS_ASSIGN_OR_RETURN(upserter_, pk_.NewUpsertWriter());
    thread_ = std::thread([this] { Run(); });
    return Status::OK();
  }
  void Pause() {
    std::unique_lock<std::mutex> lock(mu_);
    pause_ = true;
    cv_.wait(lock, [this] { return paused_ || stopped_; });
  }
  void Resume() {
    std::lock_guard<std::mutex> lock(mu_);
    pause_ = false;
    cv_.notify_all();
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }
  int64_t acked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int64_t>(acked_ids_.size());
  }
  // REQUIRES: paused or stopped.
  const std::set<int64_t>& acked_ids() const { return acked_ids_; }
  const std::map<int32_t, int64_t>& acked_values() const { return acked_values_; }
  std::vector<std::string> failures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

 private:
  void Run() {
    int64_t next = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (pause_ && !stop_) {
          paused_ = true;
          cv_.notify_all();
          cv_.wait(lock, [this] { return !pause_ || stop_; });
          paused_ = false;
        }
        if (stop_) break;
      }
      std::vector<std::pair<int64_t, WriteResult>> appends;
      std::vector<std::pair<int64_t, WriteResult>> upserts;
      std::vector<std::string> errors;
      for (int i = 0; i < 20; ++i, ++next) {
        auto a = appender_->Append(GenericRow({Datum(next), Datum(fmt::format("payload-{}", next))}));
        if (a.ok()) appends.emplace_back(next, *a);
        else errors.push_back("append: " + a.status().ToString());
        auto u = upserter_->Upsert(GenericRow({Datum(static_cast<int32_t>(next % kKeys)), Datum(next)}));
        if (u.ok()) upserts.emplace_back(next, *u);
        else errors.push_back("upsert: " + u.status().ToString());
      }
      Status f1 = appender_->Flush();
      Status f2 = upserter_->Flush();
      if (!f1.ok()) errors.push_back("append flush: " + f1.ToString());
      if (!f2.ok()) errors.push_back("upsert flush: " + f2.ToString());
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, r] : appends) {
        Status st = r.Wait();
        if (st.ok()) acked_ids_.insert(id);
        else errors.push_back(fmt::format("append {}: {}", id, st.ToString()));
      }
      for (auto& [id, r] : upserts) {
        Status st = r.Wait();
        if (st.ok()) acked_values_[static_cast<int32_t>(id % kKeys)] = id;
        else errors.push_back(fmt::format("upsert {}: {}", id, st.ToString()));
      }
      for (auto& e : errors) {
        if (failures_.size() < 20) failures_.push_back(std::move(e));
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    (void)appender_->Close();
    (void)upserter_->Close();
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

  std::shared_ptr<Connection> conn_;
  Table log_;
  Table pk_;
  std::unique_ptr<AppendWriter> appender_;
  std::unique_ptr<UpsertWriter> upserter_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pause_ = false;
  bool paused_ = false;
  bool stop_ = false;
  bool stopped_ = false;
  std::set<int64_t> acked_ids_;
  std::map<int32_t, int64_t> acked_values_;
  std::vector<std::string> failures_;
};

// The records of every bucket of `table` below `end` (bucket -> high watermark), read by a log
// scanner from offset 0.
Result<std::vector<ScanRecord>> ReadBelow(Table& table, const std::map<int32_t, int64_t>& end) {
  FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner());
  std::map<int32_t, int64_t> next;
  for (const auto& [b, e] : end) {
    if (e > 0) {
      FLUSS_RETURN_NOT_OK(scanner->Subscribe(b, int64_t{0}));
      next[b] = 0;
    }
  }
  std::vector<ScanRecord> out;
  const auto deadline = Clock::now() + seconds(30);
  auto behind = [&] {
    for (const auto& [b, n] : next) {
      if (n < end.at(b)) return true;
    }
    return false;
  };
  while (behind()) {
    if (Clock::now() > deadline) {
      std::string where;
      for (const auto& [b, n] : next) where += fmt::format(" bucket {} at {} of {};", b, n, end.at(b));
      return Status(ErrorCode::kRequestTimeOut, "the scan did not reach the high watermark:" + where);
    }
    FLUSS_ASSIGN_OR_RETURN(auto records, scanner->Poll(milliseconds(500)));
    for (auto& r : records) {
      if (r.offset >= end.at(r.bucket)) continue;
      next[r.bucket] = r.offset + 1;
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::string ReadFileBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t Le64(const std::string& s, size_t at) {
  int64_t v = 0;
  std::memcpy(&v, s.data() + at, 8);
  return v;
}
int32_t Le32(const std::string& s, size_t at) {
  int32_t v = 0;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

// The bytes of a bucket log's batches below `end`, read from its segment files (docs/formats/
// log-segments.md): every batch whose last offset is below `end`; an error when they do not reach
// exactly `end`.
Result<std::string> LogBytesBelow(const fs::path& dir, int64_t end) {
  std::error_code ec;
  std::vector<fs::path> segments;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".log") segments.push_back(e.path());
  }
  if (ec) return Status::IOError(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(segments.begin(), segments.end());
  std::string all;
  for (const auto& s : segments) all += ReadFileBytes(s);
  size_t pos = 0;
  int64_t reached = 0;
  while (reached < end && pos + 48 <= all.size()) {
    const int64_t base = Le64(all, pos);
    const int32_t length = Le32(all, pos + 8);
    const int32_t last_delta = Le32(all, pos + 28);
    if (length < 36 || pos + 12 + static_cast<size_t>(length) > all.size()) break;
    if (base != reached) {
      return Status::Corruption(fmt::format("{}: batch at byte {} starts at offset {}, expected {}", dir.string(), pos,
                                            base, reached));
    }
    const int64_t next = base + last_delta + 1;
    if (next > end) break;
    pos += 12 + static_cast<size_t>(length);
    reached = next;
  }
  if (reached != end) {
    return Status::Corruption(fmt::format("{}: the batches reach offset {}, not the high watermark {}", dir.string(),
                                          reached, end));
  }
  return all.substr(0, pos);
}

class ClusterTest : public ::testing::Test {
 protected:
  // The cluster of this test.
  virtual LocalClusterOptions Options() const { return ClusterOptions(); }

  void SetUp() override {
    const std::string why = LocalCluster::Unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    auto cluster = LocalCluster::Start(Options());
    ASSERT_OK(cluster);
    cluster_ = std::move(cluster).value();
    auto conn = Connection::Create(ClientConfig(*cluster_));
    ASSERT_OK(conn);
    conn_ = *conn;
    // The tablet servers register in ZooKeeper after they listen: wait for all three.
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = conn_->GetAdmin().DescribeCluster();
          return s.ok() && s->tablet_servers.size() == 3 && s->coordinator.has_value();
        },
        seconds(60)))
        << cluster_->Logs();
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
    workload_.reset();
    if (conn_) conn_->Close();
  }

  Result<ClusterStatus> Current() { return conn_->GetAdmin().DescribeCluster(); }

  // db.logs (id BIGINT, payload STRING) and db.kv (k INT primary key, v BIGINT), 2 buckets each,
  // replication factor 3 (the cluster default); then the workload starts.
  void CreateTablesAndStartWorkload() {
    Admin admin = conn_->GetAdmin();
    ASSERT_OK(admin.CreateDatabase("db", true));
    log_path_ = TablePath::Make("db", "logs").value();
    pk_path_ = TablePath::Make("db", "kv").value();
    TableDescriptor log(ParseSchema("id BIGINT, payload STRING").value());
    log.DistributedBy(2);
    TableDescriptor pk(ParseSchema("k INT, v BIGINT, PRIMARY KEY (k)").value());
    pk.DistributedBy(2);
    Status st = admin.CreateTable(log_path_, log);
    ASSERT_OK(st);
    st = admin.CreateTable(pk_path_, pk);
    ASSERT_OK(st);
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = Current();
          return s.ok() && FullyReplicated(*s, {log_path_, pk_path_}, 3);
        },
        seconds(60)))
        << DescribeNow();
    auto log_table = conn_->GetTable(log_path_);
    auto pk_table = conn_->GetTable(pk_path_);
    ASSERT_TRUE(log_table.ok() && pk_table.ok());
    // The workload has its own connection, as another application would.
    auto wconn = Connection::Create(ClientConfig(*cluster_));
    ASSERT_OK(wconn);
    workload_ = std::make_unique<Workload>(*wconn, wconn.value()->GetTable(log_path_).value(),
                                           wconn.value()->GetTable(pk_path_).value());
    ASSERT_OK(workload_->Start());
    ASSERT_TRUE(WaitFor([&] { return workload_->acked() > 100; }, seconds(60))) << "the workload does not write";
  }

  // Until a killed server's registration is gone (its ZooKeeper session expired): it cannot
  // restart under the same id before.
  void WaitUnregistered(int32_t id) {
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = Current();
          if (!s.ok()) return false;
          for (const auto& n : s->tablet_servers) {
            if (n.id == id) return false;
          }
          return true;
        },
        seconds(20)))
        << "server " << id << " is still registered: " << DescribeNow();
  }

  std::string DescribeNow() {
    auto s = Current();
    return s.ok() ? Describe(*s) : s.status().ToString();
  }

  void WaitFullyReplicated(milliseconds timeout = seconds(60)) {
    ClusterStatus last;
    const bool ok = WaitFor(
        [&] {
          auto s = Current();
          if (!s.ok()) return false;
          last = *s;
          return FullyReplicated(*s, {log_path_, pk_path_}, 3);
        },
        timeout);
    ASSERT_TRUE(ok) << "not fully replicated: " << Describe(last);
  }

  // With the workload paused: no write failed; every acknowledged append is in the log exactly
  // once; the replicas of every bucket hold the same bytes below the high watermark; the
  // primary-key table's lookups equal both the last acknowledged upserts and the changelog replay.
  // `acked_before`: the workload's acknowledged appends before the disturbance; more must be
  // acknowledged by now (the writes made during it completed).
  void CheckInvariants(const std::string& when, int64_t acked_before) {
    SCOPED_TRACE(when);
    workload_->Pause();
    EXPECT_GT(workload_->acked(), acked_before) << "no write was acknowledged since the disturbance";
    auto failures = workload_->failures();
    EXPECT_TRUE(failures.empty()) << "writes failed: " << fmt::format("{}", fmt::join(failures, " | "));
    Admin admin = conn_->GetAdmin();
    auto log_table = conn_->GetTable(log_path_).value();
    auto pk_table = conn_->GetTable(pk_path_).value();

    // Exactly once.
    auto log_end = admin.ListOffsets(log_path_, OffsetSpec::Latest());
    ASSERT_OK(log_end);
    auto records = ReadBelow(log_table, *log_end);
    ASSERT_OK(records);
    std::map<int64_t, int> seen;
    for (const auto& r : *records) ++seen[r.row.GetBigInt(0)];
    int64_t missing = 0;
    int64_t duplicated = 0;
    for (int64_t id : workload_->acked_ids()) {
      auto it = seen.find(id);
      if (it == seen.end()) ++missing;
    }
    for (const auto& [id, n] : seen) {
      if (n > 1) ++duplicated;
    }
    EXPECT_EQ(missing, 0) << "acknowledged appends not in the log (of " << workload_->acked_ids().size()
                          << ") below the offsets listed as latest, " << fmt::format("{}", *log_end);
    EXPECT_EQ(duplicated, 0) << "appends in the log more than once";

    // Byte-identical replicas below the high watermark.
    auto status = Current();
    ASSERT_OK(status);
    for (const auto& [path, table] : {std::pair{log_path_, &log_table}, std::pair{pk_path_, &pk_table}}) {
      auto end = path.ToString() == log_path_.ToString() ? *log_end : admin.ListOffsets(path, OffsetSpec::Latest()).value();
      for (const auto& [bucket, hw] : end) {
        const BucketReplicas* b = FindBucket(*status, path, bucket);
        ASSERT_NE(b, nullptr);
        std::optional<std::string> first;
        for (int32_t id : b->replicas) {
          auto* p = cluster_->ById(id);
          ASSERT_NE(p, nullptr) << "replica " << id;
          const fs::path dir = fs::path(p->data_dir()) / path.database() /
                               fmt::format("{}-{}", path.table(), table->info().table_id) /
                               fmt::format("log-{}", bucket);
          auto bytes = LogBytesBelow(dir, hw);
          ASSERT_TRUE(bytes.ok()) << "replica " << id << ": " << bytes.status().ToString();
          compared_bytes_ += static_cast<int64_t>(bytes->size());
          if (!first) {
            first = *bytes;
          } else {
            EXPECT_TRUE(*first == *bytes) << path.ToString() << " bucket " << bucket << ": replica " << id
                                          << " differs below the high watermark " << hw << " (" << bytes->size()
                                          << " vs " << first->size() << " bytes)";
          }
        }
      }
    }

    // Lookups = last acknowledged upserts = changelog replay.
    auto lookuper = pk_table.NewLookuper();
    ASSERT_OK(lookuper);
    std::map<int32_t, int64_t> looked_up;
    std::vector<GenericRow> keys;
    for (int32_t k = 0; k < kKeys; ++k) keys.push_back(GenericRow({Datum(k)}));
    auto rows = (*lookuper)->LookupMany(keys);
    ASSERT_OK(rows);
    for (int32_t k = 0; k < kKeys; ++k) {
      if ((*rows)[k]) looked_up[k] = (*rows)[k]->GetBigInt(1);
    }
    EXPECT_EQ(looked_up, workload_->acked_values());
    auto pk_end = admin.ListOffsets(pk_path_, OffsetSpec::Latest());
    ASSERT_OK(pk_end);
    auto changes = ReadBelow(pk_table, *pk_end);
    ASSERT_OK(changes);
    std::map<int32_t, int64_t> replay;
    for (const auto& c : *changes) {
      const int32_t k = c.row.GetInt(0);
      switch (c.change_type) {
        case ChangeType::kInsert:
        case ChangeType::kUpdateAfter: replay[k] = c.row.GetBigInt(1); break;
        case ChangeType::kDelete: replay.erase(k); break;
        default: break;
      }
    }
    EXPECT_EQ(replay, looked_up) << "changelog replayed below the offsets listed as latest, "
                                 << fmt::format("{}", *pk_end);
    workload_->Resume();
  }

  std::unique_ptr<LocalCluster> cluster_;
  std::shared_ptr<Connection> conn_;
  std::unique_ptr<Workload> workload_;
  int64_t compared_bytes_ = 0;  // replica log bytes compared so far
  TablePath log_path_;
  TablePath pk_path_;
};

TEST_F(ClusterTest, KillingBucketLeadersLosesNoAcknowledgedWrite) {
  CreateTablesAndStartWorkload();
  if (HasFatalFailure()) return;
  const char* env = std::getenv("FLUSS_CLUSTER_KILL_ROUNDS");
  const int rounds = env != nullptr ? std::atoi(env) : 20;
  const auto start = Clock::now();
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const TablePath& path = round % 2 == 0 ? log_path_ : pk_path_;
    const int32_t bucket = (round / 2) % 2;
    auto status = Current();
    ASSERT_OK(status);
    const BucketReplicas* b = FindBucket(*status, path, bucket);
    ASSERT_NE(b, nullptr);
    const int32_t victim_id = b->leader;
    auto* victim = cluster_->ById(victim_id);
    ASSERT_NE(victim, nullptr) << Describe(*status);
    const int64_t acked_before = workload_->acked();
    ASSERT_OK(victim->Kill());
    // A new leader once ZooKeeper ended the dead server's session.
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = Current();
          if (!s.ok()) return false;
          const BucketReplicas* nb = FindBucket(*s, path, bucket);
          return nb != nullptr && nb->leader >= 0 && nb->leader != victim_id;
        },
        seconds(60)))
        << "no new leader for " << path.ToString() << " bucket " << bucket << ": " << DescribeNow();
    // The new leader may come before the session expires (preferred-leader election moves a bucket the
    // victim led without being its preferred replica): a restart needs the old registration gone.
    WaitUnregistered(victim_id);
    if (HasFatalFailure()) return;
    Status restarted = victim->Restart();
    ASSERT_OK(restarted);
    WaitFullyReplicated();
    if (HasFatalFailure()) return;
    CheckInvariants(fmt::format("after killing server {} (leader of {} bucket {})", victim_id, path.ToString(),
                                bucket),
                    acked_before);
    if (HasFatalFailure()) return;
  }
  std::cerr << fmt::format("{} leader kills in {:.1f} s, {} appends acknowledged, {} replica log bytes compared\n",
                           rounds, std::chrono::duration<double>(Clock::now() - start).count(), workload_->acked(),
                           compared_bytes_);
}

// DDL issued right after kill -9 of the active coordinator: ZooKeeper still names the dead one
// until its session expires (2 s here), the standby refuses meanwhile, and the client keeps looking
// for the active coordinator until its request timeout; the call succeeds once the standby took over.
TEST_F(ClusterTest, DdlRightAfterKillingTheActiveCoordinatorSucceedsOnceTheStandbyTakesOver) {
  CreateTablesAndStartWorkload();
  if (HasFatalFailure()) return;
  auto status = Current();
  ASSERT_TRUE(status.ok() && status->coordinator);
  const int32_t active = status->coordinator->id;
  const int32_t standby = active == LocalCluster::kFirstCoordinatorId ? LocalCluster::kFirstCoordinatorId + 1
                                                                       : LocalCluster::kFirstCoordinatorId;
  // An application that already talks to the active coordinator; its request timeout (30 s)
  // outlasts a failover (a session timeout plus an election).
  Configuration config = ClientConfig(*cluster_);
  config.request_timeout = seconds(30);
  auto ddl_conn = Connection::Create(config);
  ASSERT_OK(ddl_conn);
  Admin ddl = ddl_conn.value()->GetAdmin();
  ASSERT_OK(ddl.ListDatabases());
  auto* victim = cluster_->ById(active);
  ASSERT_NE(victim, nullptr);
  const auto killed = Clock::now();
  ASSERT_OK(victim->Kill());
  const TablePath during = TablePath::Make("db", "created_during_failover").value();
  TableDescriptor d(ParseSchema("id BIGINT").value());
  d.DistributedBy(2);
  Status st = ddl.CreateTable(during, d);
  const double took = std::chrono::duration<double>(Clock::now() - killed).count();
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << DescribeNow();
  std::cerr << fmt::format("CreateTable issued at the kill of the active coordinator returned after {:.2f} s\n", took);
  // Within the session timeout (2 s) plus a generous margin for the election and a busy machine.
  EXPECT_LT(took, 2.0 + 13.0);
  // The standby did it, and its replicas are elected like any table's.
  Admin admin = conn_->GetAdmin();
  auto s = admin.DescribeCluster();
  ASSERT_OK(s);
  ASSERT_TRUE(s->coordinator.has_value());
  EXPECT_EQ(s->coordinator->id, standby);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto now = Current();
        return now.ok() && FullyReplicated(*now, {during}, 3);
      },
      seconds(20)))
      << DescribeNow();
  // A fresh client (bootstrap: every server, the dead one first) finds the new coordinator too.
  auto fresh = Connection::Create(ClientConfig(*cluster_));
  ASSERT_OK(fresh);
  s = fresh.value()->GetAdmin().DescribeCluster();
  ASSERT_OK(s);
  EXPECT_EQ(s->coordinator->id, standby);
  // Writes went on.
  const int64_t acked = workload_->acked();
  ASSERT_TRUE(WaitFor([&] { return workload_->acked() > acked + 100; }, seconds(60)));
  CheckInvariants("after the coordinator failover", acked);
  // The old coordinator comes back as the standby; DDL still works.
  ASSERT_OK(victim->Restart());
  EXPECT_OK(admin.CreateDatabase("after_restart", false));
  s = admin.DescribeCluster();
  ASSERT_OK(s);
  EXPECT_EQ(s->coordinator->id, standby);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto now = admin.DescribeCluster();
        return now.ok() && now->coordinators.size() == 2;
      },
      seconds(10)))
      << "the restarted coordinator is not registered as a standby";
}

// Preferred-leader election end to end: the leader of a bucket is killed (-9) and restarted while
// acks=all writes go on; once it caught up, every bucket is led by its preferred replica (the first
// of its assignment) again — leadership evens out — and no acknowledged write is lost.
TEST_F(ClusterTest, LeadershipEvensOutAfterAKilledServerRestartsAndNoAcknowledgedWriteIsLost) {
  CreateTablesAndStartWorkload();
  if (HasFatalFailure()) return;
  auto preferred_everywhere = [&](const ClusterStatus& s) {
    if (!FullyReplicated(s, {log_path_, pk_path_}, 3)) return false;
    for (const auto& t : s.tables) {
      for (const auto& b : t.buckets) {
        if (b.replicas.empty() || b.leader != b.replicas.front()) return false;
      }
    }
    return true;
  };
  auto status = Current();
  ASSERT_OK(status);
  ASSERT_TRUE(preferred_everywhere(*status)) << "a new table starts on its preferred leaders: " << Describe(*status);
  const BucketReplicas* b = FindBucket(*status, log_path_, 0);
  ASSERT_NE(b, nullptr);
  const int32_t victim_id = b->leader;
  auto* victim = cluster_->ById(victim_id);
  ASSERT_NE(victim, nullptr);
  const int64_t acked_before = workload_->acked();
  ASSERT_OK(victim->Kill());
  ClusterStatus seen;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = Current();
        if (!s.ok()) return false;
        seen = *s;
        for (const auto& t : s->tables) {
          for (const auto& nb : t.buckets) {
            if (nb.leader == victim_id || nb.leader < 0) return false;
          }
        }
        return true;
      },
      seconds(20)))
      << "server " << victim_id << " still leads: " << Describe(seen);
  WaitUnregistered(victim_id);
  if (HasFatalFailure()) return;
  Status restarted = victim->Restart();
  ASSERT_OK(restarted);
  const auto back = Clock::now();
  const bool evened = WaitFor(
      [&] {
        auto s = Current();
        if (!s.ok()) return false;
        seen = *s;
        return preferred_everywhere(*s);
      },
      seconds(60));
  ASSERT_TRUE(evened) << "leadership did not move back to the preferred replicas: " << Describe(seen);
  std::cerr << fmt::format("every bucket was led by its preferred replica again {:.2f} s after the restart\n",
                           std::chrono::duration<double>(Clock::now() - back).count());
  std::map<int32_t, int> leaders;
  for (const auto& t : seen.tables) {
    for (const auto& nb : t.buckets) ++leaders[nb.leader];
  }
  EXPECT_GE(leaders[victim_id], 1) << Describe(seen);
  CheckInvariants("after the preferred leaders took over again", acked_before);
}

// A follower stopped for longer than log.replica.max-lag-time (1.5 s here) but well within its
// ZooKeeper session (30 s here, far from the lag so that a slow machine does not blur the two): its
// leaders shrink the ISR themselves (AdjustIsr), acks=all writes go on, and after SIGCONT it catches
// up and the leaders take it back.
class FollowerLagTest : public ClusterTest {
 protected:
  LocalClusterOptions Options() const override {
    LocalClusterOptions o = ClusterOptions();
    o.sets.push_back("zookeeper.client.session-timeout=30s");
    o.sets.push_back("log.replica.max-lag-time=1500ms");
    // The test needs a server that leads nothing after its restart.
    o.sets.push_back("auto.leader.rebalance.enabled=false");
    return o;
  }
};

TEST_F(FollowerLagTest, ALaggingFollowerLeavesTheIsrWhileRegisteredAndRejoinsAfterCatchingUp) {
  CreateTablesAndStartWorkload();
  if (HasFatalFailure()) return;
  // Server 1 leads nothing once it restarted after a controlled shutdown (its leaderships moved
  // away), so stopping it stalls no bucket's leader: only its followers fall behind.
  const int32_t follower_id = 1;
  auto* follower = cluster_->ById(follower_id);
  Status restarted = follower->Restart();
  ASSERT_OK(restarted);
  WaitFullyReplicated();
  if (HasFatalFailure()) return;
  auto status = Current();
  ASSERT_OK(status);
  for (const auto& t : status->tables) {
    for (const auto& b : t.buckets) ASSERT_NE(b.leader, follower_id) << Describe(*status);
  }
  const int64_t acked_before = workload_->acked();
  follower->Signal(SIGSTOP);
  const auto stopped = Clock::now();
  ClusterStatus seen;
  const bool left = WaitFor(
      [&] {
        auto s = Current();
        if (!s.ok()) return false;
        seen = *s;
        for (const auto& t : s->tables) {
          for (const auto& b : t.buckets) {
            if (std::find(b.isr.begin(), b.isr.end(), follower_id) != b.isr.end()) return false;
          }
        }
        return true;
      },
      seconds(15));
  const double took = std::chrono::duration<double>(Clock::now() - stopped).count();
  if (!left) follower->Signal(SIGCONT);
  ASSERT_TRUE(left) << "server " << follower_id << " is still in an ISR: " << Describe(seen);
  // It left the ISRs by lag, not by death: it is still registered.
  EXPECT_EQ(seen.tablet_servers.size(), 3u) << Describe(seen);
  std::cerr << fmt::format("the stopped follower left every ISR {:.2f} s after SIGSTOP\n", took);
  // acks=all writes go on without it.
  const int64_t acked = workload_->acked();
  const bool writes_go_on = WaitFor([&] { return workload_->acked() > acked + 100; }, seconds(10));
  follower->Signal(SIGCONT);
  ASSERT_TRUE(writes_go_on) << "no acknowledged write while server " << follower_id << " was stopped";
  // It catches up and rejoins.
  WaitFullyReplicated();
  if (HasFatalFailure()) return;
  CheckInvariants("after the lagging follower rejoined", acked_before);
}

TEST_F(ClusterTest, AFollowerStoppedPastItsSessionLeavesTheIsrAndRejoinsAfterCatchingUp) {
  CreateTablesAndStartWorkload();
  if (HasFatalFailure()) return;
  auto status = Current();
  ASSERT_OK(status);
  const BucketReplicas* b = FindBucket(*status, log_path_, 0);
  ASSERT_NE(b, nullptr);
  int32_t follower_id = -1;
  for (int32_t r : b->replicas) {
    if (r != b->leader) follower_id = r;
  }
  ASSERT_GE(follower_id, 0) << Describe(*status);
  auto* follower = cluster_->ById(follower_id);
  follower->Signal(SIGSTOP);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = Current();
        if (!s.ok()) return false;
        const BucketReplicas* nb = FindBucket(*s, log_path_, 0);
        return nb != nullptr && nb->leader >= 0 &&
               std::find(nb->isr.begin(), nb->isr.end(), follower_id) == nb->isr.end();
      },
      seconds(60)))
      << "server " << follower_id << " is still in the ISR: " << DescribeNow();
  // acks=all writes go on without it.
  const int64_t acked = workload_->acked();
  const bool writes_go_on = WaitFor([&] { return workload_->acked() > acked + 100; }, seconds(60));
  follower->Signal(SIGCONT);
  ASSERT_TRUE(writes_go_on) << "no acknowledged write while server " << follower_id << " was stopped";
  // It catches up and rejoins.
  WaitFullyReplicated();
  if (HasFatalFailure()) return;
  CheckInvariants("after the stopped follower rejoined", acked);
}

TEST_F(ClusterTest, ReplicationFactorAboveTheLiveServersIsAClearErrorAndCreatesNothing) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("db", true));
  TableDescriptor d(ParseSchema("id BIGINT").value());
  d.DistributedBy(1);
  d.Property("table.replication.factor", "4");
  const TablePath path = TablePath::Make("db", "too_many_replicas").value();
  Status st = admin.CreateTable(path, d);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kInvalidReplicationFactor) << st.ToString();
  EXPECT_NE(st.message().find("4"), std::string::npos) << st.ToString();
  EXPECT_FALSE(admin.TableExists(path).ValueOr(true));
  // The cluster default (3) with one of the three servers down: also refused, nothing created.
  ASSERT_OK(cluster_->tablet(2).Stop());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = Current();
        return s.ok() && s->tablet_servers.size() == 2;
      },
      seconds(60)))
      << DescribeNow();
  TableDescriptor dflt(ParseSchema("id BIGINT").value());
  dflt.DistributedBy(1);
  const TablePath path2 = TablePath::Make("db", "two_live_servers").value();
  st = admin.CreateTable(path2, dflt);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidReplicationFactor) << st.ToString();
  EXPECT_FALSE(admin.TableExists(path2).ValueOr(true));
}

TEST_F(ClusterTest, ATabletServerRefusesTheDataDirOfAnotherCluster) {
  // Server 3 has been part of this cluster: its data dir belongs to it.
  ASSERT_OK(cluster_->tablet(2).Stop());
  auto foreign = LocalCluster::Start([] {
    LocalClusterOptions o = ClusterOptions();
    o.coordinators = 1;
    o.tablet_servers = 0;
    return o;
  }());
  ASSERT_OK(foreign);
  testing::ServerProcessOptions o = (*foreign)->TabletOptions(3);
  o.data_dir = cluster_->tablet(2).data_dir();
  auto intruder = testing::ServerProcess::Start(o);
  ASSERT_FALSE(intruder.ok()) << "a tablet server of another cluster started on " << o.data_dir;
  std::cerr << "refused as expected: " << intruder.status().message().substr(0, 600) << "\n";
  EXPECT_NE(intruder.status().message().find("exited with code"), std::string::npos) << intruder.status().ToString();
  EXPECT_NE(intruder.status().message().find("cluster"), std::string::npos) << intruder.status().ToString();
  // Its own cluster takes it back.
  Status st = cluster_->tablet(2).Restart();
  EXPECT_OK(st);
}

}  // namespace
}  // namespace fluss
