// Partitioned tables end to end against a real fluss-server: rows written across 24 day partitions
// (made by the writer on the way) read back whole and per partition, each exactly once; auto-partitioning
// pre-creating and expiring partitions as the server's clock moves; dynamic
// creation off; partition values that cannot name a partition; a partitioned primary-key table's
// upserts, deletes, lookups and prefix lookups, and its changelog replayed equal to the lookups.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "fluss/client.h"
#include "support/eventually.h"
#include "support/server_process.h"
#include "support/status_macros.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

using testing::ServerProcess;
using namespace std::chrono_literals;

constexpr int32_t kDec1 = 20788;  // 2026-12-01 in days since the epoch
constexpr int kDays = 24;
constexpr int kRowsPerDay = 5;

std::string DayName(int day) {  // the partition name of kDec1 + day
  const int d = 1 + day;
  return d <= 31 ? fmt::format("2026-12-{:02d}", d) : fmt::format("2027-01-{:02d}", d - 31);
}

class PartitionedTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start();
    ASSERT_OK(server);
    server_ = std::move(server).value();
    conn_ = Connect({});
    ASSERT_OK(conn_->GetAdmin().CreateDatabase("it", /*ignore_if_exists=*/true));
  }

  void TearDown() override {
    conn_.reset();
    if (HasFailure() && server_) std::cerr << "---- server log ----\n" << server_->ReadLog() << "\n";
  }

  std::shared_ptr<Connection> Connect(std::function<void(Configuration&)> tune) {
    Configuration c;
    c.bootstrap_servers = server_->address();
    c.writer_batch_timeout = 10ms;
    if (tune) tune(c);
    auto conn = Connection::Create(c);
    EXPECT_OK(conn);
    return conn.ok() ? *conn : nullptr;
  }

  Table Create(const std::string& name, const std::string& schema, std::vector<std::string> partition_keys,
               std::vector<std::string> bucket_keys = {}) {
    TableDescriptor d(ParseSchema(schema).value());
    d.DistributedBy(2, std::move(bucket_keys));
    d.PartitionedBy(std::move(partition_keys));
    const auto path = TablePath::Make("it", name).value();
    EXPECT_OK(conn_->GetAdmin().CreateTable(path, d));
    return conn_->GetTable(path).value();
  }

  // Every record of the subscribed (partition, bucket)s up to their latest offsets (read now).
  std::vector<ScanRecord> ReadAll(const Table& table, const std::vector<PartitionInfo>& partitions) {
    Admin admin = conn_->GetAdmin();
    auto scanner = conn_->GetTable(table.path()).value().NewLogScanner().value();
    std::map<PartitionBucket, int64_t> end;
    for (const auto& p : partitions) {
      auto latest = admin.ListPartitionOffsets(table.path(), p.partition_name, OffsetSpec::Latest());
      EXPECT_OK(latest);
      if (!latest.ok()) return {};
      for (const auto& [b, off] : *latest) {
        if (off == 0) continue;
        end[{p.partition_id, b}] = off;
        EXPECT_OK(scanner->Subscribe(p.partition_id, b, kEarliestOffset));
      }
    }
    std::vector<ScanRecord> out;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!end.empty() && std::chrono::steady_clock::now() < deadline) {
      auto recs = scanner->Poll(200ms);
      EXPECT_OK(recs);
      if (!recs.ok()) return out;
      for (auto& r : *recs) {
        auto it = end.find({r.partition_id, r.bucket});
        if (it != end.end() && r.offset < it->second) out.push_back(std::move(r));
      }
      for (const auto& [pb, pos] : scanner->bucket_positions()) {
        auto it = end.find(pb);
        if (it != end.end() && pos >= it->second) {
          end.erase(it);
          EXPECT_OK(scanner->Unsubscribe(pb.partition_id, pb.bucket));
        }
      }
    }
    EXPECT_TRUE(end.empty()) << end.size() << " buckets did not reach their end within 60 s";
    return out;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<Connection> conn_;
};

TEST_F(PartitionedTableTest, RowsAcross24DayPartitionsReadBackWholeAndPerPartitionExactlyOnce) {
  Table table = Create("days", "id BIGINT NOT NULL, dt DATE NOT NULL, v STRING", {"dt"});
  auto writer = table.NewAppendWriter();
  ASSERT_OK(writer);
  std::map<int64_t, std::string> day_of;  // id -> partition name
  for (int i = 0; i < kDays * kRowsPerDay; ++i) {
    const int day = (i * 7) % kDays;  // the days interleaved
    ASSERT_OK((*writer)->Append(GenericRow({Datum(int64_t{i}), Datum(kDec1 + day), Datum(fmt::format("row{}", i))})));
    day_of[i] = DayName(day);
  }
  ASSERT_OK((*writer)->Flush());
  EXPECT_EQ((*writer)->stats().partitions_created, kDays);

  auto partitions = conn_->GetAdmin().ListPartitionInfos(table.path());
  ASSERT_OK(partitions);
  ASSERT_EQ(partitions->size(), static_cast<size_t>(kDays));
  std::map<int64_t, std::string> name_of;
  for (const auto& p : *partitions) name_of[p.partition_id] = p.partition_name;
  EXPECT_EQ(name_of.begin()->second.size(), 10u);

  // Whole: every row once, in the partition its dt names.
  std::map<int64_t, int> seen;
  for (const auto& r : ReadAll(table, *partitions)) {
    const int64_t id = r.row.GetBigInt(0);
    ++seen[id];
    EXPECT_EQ(name_of.at(r.partition_id), day_of.at(id)) << "row " << id;
  }
  ASSERT_EQ(seen.size(), day_of.size());
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << "row " << id;

  // Per partition: exactly that day's rows.
  for (const auto& p : *partitions) {
    std::set<int64_t> ids;
    for (const auto& r : ReadAll(table, {p})) {
      EXPECT_EQ(r.partition_id, p.partition_id);
      EXPECT_TRUE(ids.insert(r.row.GetBigInt(0)).second) << "row " << r.row.GetBigInt(0) << " twice";
      EXPECT_EQ(day_of.at(r.row.GetBigInt(0)), p.partition_name);
    }
    EXPECT_EQ(ids.size(), static_cast<size_t>(kRowsPerDay)) << p.partition_name;
  }

  // Addressing a bucket without its partition, or a partition that is not there, is an error.
  auto scanner = table.NewLogScanner().value();
  EXPECT_EQ(scanner->Subscribe(0, kEarliestOffset).code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(scanner->Subscribe(int64_t{987654}, 0, kEarliestOffset).code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest()).status().code(),
            ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(conn_->GetAdmin().ListPartitionOffsets(table.path(), "2030-01-01", OffsetSpec::Latest()).status().code(),
            ErrorCode::kPartitionNotExists);
}

TEST_F(PartitionedTableTest, WithoutDynamicCreationAMissingPartitionFailsUntilCreated) {
  Table table = Create("manual", "id BIGINT NOT NULL, region STRING NOT NULL", {"region"});
  auto conn = Connect([](Configuration& c) { c.writer_dynamic_create_partition = false; });
  auto writer = conn->GetTable(table.path()).value().NewAppendWriter();
  ASSERT_OK(writer);
  auto refused = (*writer)->Append(GenericRow({Datum(int64_t{1}), Datum(std::string("eu"))}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kPartitionNotExists) << refused.status().ToString();
  EXPECT_TRUE(conn_->GetAdmin().ListPartitionInfos(table.path()).value().empty());

  ASSERT_OK(conn_->GetAdmin().CreatePartition(table.path(), {{"region", "eu"}}));
  auto accepted = (*writer)->Append(GenericRow({Datum(int64_t{2}), Datum(std::string("eu"))}));
  ASSERT_OK(accepted);
  ASSERT_OK((*writer)->Flush());
  ASSERT_OK(accepted->Wait());
  auto partitions = conn_->GetAdmin().ListPartitionInfos(table.path()).value();
  ASSERT_EQ(partitions.size(), 1u);
  auto rows = ReadAll(table, partitions);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].row.GetBigInt(0), 2);
}

// A writer whose partition was dropped under it: the batch in flight fails with PARTITION_NOT_EXISTS
// (reported by Flush), and the next row makes the partition anew.
TEST_F(PartitionedTableTest, AWriterMakesADroppedPartitionAnewAfterReportingTheLostBatch) {
  Table table = Create("dropped", "id BIGINT NOT NULL, region STRING NOT NULL", {"region"});
  auto writer = table.NewAppendWriter();
  ASSERT_OK(writer);
  auto row = [](int64_t id) { return GenericRow({Datum(id), Datum(std::string("eu"))}); };
  ASSERT_OK((*writer)->Append(row(1)));
  ASSERT_OK((*writer)->Flush());
  const int64_t first_id = conn_->GetAdmin().ListPartitionInfos(table.path()).value().at(0).partition_id;
  ASSERT_OK(conn_->GetAdmin().DropPartition(table.path(), {{"region", "eu"}}));
  ASSERT_OK((*writer)->Append(row(2)));  // to the partition the writer knew
  Status lost = (*writer)->Flush();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.code(), ErrorCode::kPartitionNotExists) << lost.ToString();
  ASSERT_OK((*writer)->Append(row(3)));
  ASSERT_OK((*writer)->Flush());
  auto partitions = conn_->GetAdmin().ListPartitionInfos(table.path()).value();
  ASSERT_EQ(partitions.size(), 1u);
  EXPECT_NE(partitions[0].partition_id, first_id);  // ids are never reused
  auto rows = ReadAll(table, partitions);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].row.GetBigInt(0), 3);
}

TEST_F(PartitionedTableTest, InvalidPartitionValuesAreRefusedAndCreateNothing) {
  Table table = Create("bad", "id BIGINT NOT NULL, region STRING", {"region"});
  auto writer = table.NewAppendWriter();
  ASSERT_OK(writer);
  for (const Datum& bad : {Datum(std::string(201, 'a')), Datum(std::string("__x")), Datum(std::string("eu west")),
                           Datum(std::string("é")), Datum()}) {
    auto r = (*writer)->Append(GenericRow({Datum(int64_t{1}), bad}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kPartitionSpecInvalid) << r.status().ToString();
    EXPECT_NE(r.status().message().find("region"), std::string::npos) << r.status().ToString();
  }
  ASSERT_OK((*writer)->Flush());
  EXPECT_TRUE(conn_->GetAdmin().ListPartitionInfos(table.path()).value().empty());
}

// The state a changelog describes (+I/+U set the row of a key, -D removes it).
using PkState = std::map<std::tuple<int64_t, int32_t, std::string>, GenericRow>;

TEST_F(PartitionedTableTest, PrimaryKeyTableUpsertsDeletesLookupsAndChangelogAgree) {
  Table table = Create("pk", "id BIGINT NOT NULL, seq INT NOT NULL, dt STRING NOT NULL, v BIGINT, "
                       "PRIMARY KEY (id, seq, dt)", {"dt"}, {"id"});
  auto writer = table.NewUpsertWriter();
  ASSERT_OK(writer);
  const std::vector<std::string> days = {"2026-12-07", "2026-12-08", "2026-12-09"};
  PkState expected;
  auto row = [](int64_t id, int32_t seq, const std::string& dt, int64_t v) {
    return GenericRow({Datum(id), Datum(seq), Datum(dt), Datum(v)});
  };
  for (int round = 0; round < 3; ++round) {
    for (int64_t id = 0; id < 20; ++id) {
      for (int32_t seq = 0; seq < 2; ++seq) {
        const std::string& dt = days[static_cast<size_t>(id + seq) % days.size()];
        GenericRow r = row(id, seq, dt, round * 100 + id);
        ASSERT_OK((*writer)->Upsert(r));
        expected[{id, seq, dt}] = r;
      }
    }
  }
  for (int64_t id = 0; id < 20; id += 3) {
    const std::string& dt = days[static_cast<size_t>(id) % days.size()];
    ASSERT_OK((*writer)->Delete(row(id, 0, dt, 0)));
    expected.erase({id, 0, dt});
  }
  ASSERT_OK((*writer)->Flush());
  EXPECT_EQ((*writer)->stats().partitions_created, 3);

  // Lookups: every key as expected; keys deleted, never written, or in a missing partition: none.
  auto lookuper = table.NewLookuper();
  ASSERT_OK(lookuper);
  for (int64_t id = 0; id < 21; ++id) {
    for (int32_t seq = 0; seq < 2; ++seq) {
      for (const auto& dt : {days[0], days[1], days[2], std::string("2031-01-01")}) {
        auto found = (*lookuper)->Lookup(GenericRow({Datum(id), Datum(seq), Datum(dt)}));
        ASSERT_OK(found);
        auto it = expected.find({id, seq, dt});
        if (it == expected.end()) {
          EXPECT_FALSE(found->has_value()) << id << "/" << seq << "/" << dt;
        } else {
          ASSERT_TRUE(found->has_value()) << id << "/" << seq << "/" << dt;
          EXPECT_EQ(**found, it->second);
        }
      }
    }
  }
  // Prefix lookups: the rows of an id within one partition.
  auto prefix = table.NewPrefixLookuper({"id", "dt"});
  ASSERT_OK(prefix);
  for (int64_t id = 0; id < 20; ++id) {
    for (const auto& dt : days) {
      auto rows = (*prefix)->Lookup(GenericRow({Datum(id), Datum(dt)}));
      ASSERT_OK(rows);
      size_t want = 0;
      for (const auto& [key, r] : expected) want += std::get<0>(key) == id && std::get<2>(key) == dt;
      ASSERT_EQ(rows->size(), want) << id << "/" << dt;
      for (const auto& r : *rows) EXPECT_EQ(expected.at({id, r.GetInt(1), dt}), r);
    }
  }
  EXPECT_TRUE((*prefix)->Lookup(GenericRow({Datum(int64_t{1}), Datum(std::string("2031-01-01"))}))->empty());

  // The changelog of every partition, replayed, is the state the lookups showed.
  auto partitions = conn_->GetAdmin().ListPartitionInfos(table.path()).value();
  ASSERT_EQ(partitions.size(), days.size());
  PkState replayed;
  for (const auto& r : ReadAll(table, partitions)) {
    const std::tuple<int64_t, int32_t, std::string> key{r.row.GetBigInt(0), r.row.GetInt(1),
                                                         std::get<std::string>(r.row.field(2))};
    if (r.change_type == ChangeType::kInsert || r.change_type == ChangeType::kUpdateAfter) replayed[key] = r.row;
    if (r.change_type == ChangeType::kDelete) {
      EXPECT_EQ(replayed.erase(key), 1u);
    }
  }
  EXPECT_EQ(replayed, expected);

  // A snapshot of each (partition, bucket) holds the same rows.
  PkState snapshot;
  for (const auto& p : partitions) {
    for (int32_t b = 0; b < 2; ++b) {
      auto scanner = table.NewBatchScanner(p.partition_id, b);
      ASSERT_OK(scanner);
      while (true) {
        auto rows = (*scanner)->PollBatch();
        ASSERT_OK(rows);
        if (!*rows) break;
        for (auto& r : **rows) {
          EXPECT_EQ(std::get<std::string>(r.field(2)), p.partition_name);
          snapshot[{r.GetBigInt(0), r.GetInt(1), std::get<std::string>(r.field(2))}] = r;
        }
      }
    }
  }
  EXPECT_EQ(snapshot, expected);
}

}  // namespace
}  // namespace fluss

namespace fluss {
namespace {

// "yyyyMMdd" `days` days after the "yyyyMMdd" `name`.
std::string DaysAfter(const std::string& name, int days) {
  using namespace std::chrono;
  const year_month_day ymd{year{std::stoi(name.substr(0, 4))}, month{static_cast<unsigned>(std::stoi(name.substr(4, 2)))},
                           day{static_cast<unsigned>(std::stoi(name.substr(6, 2)))}};
  const year_month_day later{sys_days{ymd} + std::chrono::days{days}};
  return fmt::format("{:04d}{:02d}{:02d}", static_cast<int>(later.year()), static_cast<unsigned>(later.month()),
                     static_cast<unsigned>(later.day()));
}

// Auto-partitioning on a real server process. A DAY table pre-creates today and tomorrow at once;
// rows go into them. The same data dir started again with the auto-partition clock three days ahead
// (auto-partition.test.clock-offset, a test-only option) expires both partitions — their buckets'
// directories are deleted — and pre-creates the new days.
using testing::Eventually;
using testing::ServerProcessOptions;

TEST(AutoPartitionProcessTest, PrecreatesAndExpiresPartitionsAsTheServersClockMoves) {
  ServerProcessOptions first_options;
  first_options.sets = {"auto-partition.check.interval=1s"};
  auto first = ServerProcess::Start(first_options);
  ASSERT_OK(first);
  const TablePath path = TablePath::Make("it", "auto").value();
  std::vector<PartitionInfo> before;
  int64_t table_id = -1;
  {
    Configuration c;
    c.bootstrap_servers = (*first)->address();
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    Admin admin = (*conn)->GetAdmin();
    ASSERT_OK(admin.CreateDatabase("it", /*ignore_if_exists=*/true));
    TableDescriptor d(ParseSchema("id BIGINT NOT NULL, dt STRING NOT NULL").value());
    d.DistributedBy(2).PartitionedBy({"dt"});
    d.Property("table.auto-partition.enabled", "true")
        .Property("table.auto-partition.time-unit", "DAY")
        .Property("table.auto-partition.time-zone", "UTC")
        .Property("table.auto-partition.num-precreate", "2")
        .Property("table.auto-partition.num-retention", "1");
    ASSERT_OK(admin.CreateTable(path, d));
    // Creating the table checks it at once: today and tomorrow (by the server's clock).
    ASSERT_TRUE(Eventually([&] {
      auto listed = admin.ListPartitionInfos(path);
      if (listed.ok()) before = *listed;
      return before.size() == 2;
    }));
    EXPECT_EQ(before[1].partition_name, DaysAfter(before[0].partition_name, 1));
    auto table = (*conn)->GetTable(path);
    ASSERT_OK(table);
    table_id = table->info().table_id;
    auto writer = table->NewAppendWriter();
    ASSERT_OK(writer);
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK((*writer)->Append(GenericRow({Datum(int64_t{i}), Datum(before[i % 2].partition_name)})));
    }
    ASSERT_OK((*writer)->Flush());
    EXPECT_EQ((*writer)->stats().partitions_created, 0);  // both were there already
  }
  const std::string table_dir = fmt::format("{}/it/auto-{}", (*first)->data_dir(), table_id);
  auto partition_dirs = [&table_dir] {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(table_dir, ec)) names.insert(e.path().filename().string());
    return names;
  };
  for (const auto& p : before) {
    EXPECT_TRUE(partition_dirs().count(fmt::format("{}-p{}", p.partition_name, p.partition_id))) << p.partition_name;
  }
  ASSERT_OK((*first)->Stop());

  // Three days on: both partitions are past the retention of one earlier day.
  ServerProcessOptions later_options;
  later_options.data_dir = (*first)->data_dir();
  later_options.sets = {"auto-partition.check.interval=1s", "auto-partition.test.clock-offset=3d"};
  auto later = ServerProcess::Start(later_options);
  ASSERT_OK(later);
  Configuration c;
  c.bootstrap_servers = (*later)->address();
  auto conn = Connection::Create(c);
  ASSERT_OK(conn);
  Admin admin = (*conn)->GetAdmin();
  // Three days after the first start's today (four, should the first start have run just before a
  // midnight UTC that has passed since).
  const std::string day3 = DaysAfter(before[0].partition_name, 3);
  const std::string day4 = DaysAfter(before[0].partition_name, 4);
  std::set<std::string> names;
  std::string new_today;
  ASSERT_TRUE(Eventually([&] {
    auto listed = admin.ListPartitionInfos(path);
    if (!listed.ok()) return false;
    names.clear();
    for (const auto& p : *listed) names.insert(p.partition_name);
    new_today = names.count(day3) ? day3 : day4;
    return names.count(new_today) == 1 && names.count(before[0].partition_name) == 0 &&
           names.count(before[1].partition_name) == 0;
  })) << fmt::format("{}", fmt::join(names, ", "));
  // The expired partitions' data is gone from the disk.
  for (const auto& p : before) {
    EXPECT_FALSE(partition_dirs().count(fmt::format("{}-p{}", p.partition_name, p.partition_id))) << p.partition_name;
  }
  // And the partitions that remain are served.
  auto latest = admin.ListPartitionOffsets(path, new_today, OffsetSpec::Latest());
  ASSERT_OK(latest);
  EXPECT_EQ(latest->size(), 2u);
  conn->reset();
  ASSERT_OK((*later)->Stop());
}

}  // namespace
}  // namespace fluss
