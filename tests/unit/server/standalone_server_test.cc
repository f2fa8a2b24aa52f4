// An in-process standalone server driven by the real client: DDL, append, scan, projection,
// offsets, long polling, and per-request errors. (Process-level tests, with kill -9, are in
// tests/integration.)
#include <gtest/gtest.h>

#include <thread>

#include "fluss/client.h"
#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "server/fluss_server.h"
#include "support/eventually.h"
#include "support/in_process_server.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class StandaloneServerTest : public testing::InProcessServerTest {
 protected:
  void ConfigureClient(Configuration& c) const override {
    c.writer_batch_timeout = std::chrono::milliseconds(5);
    c.writer_batch_size = 64 << 10;  // several batches per test, spread over the buckets
  }

  std::vector<ScanRecord> ReadAll(LogScanner& scanner, size_t expected) {
    std::vector<ScanRecord> out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
      auto recs = scanner.Poll(std::chrono::milliseconds(200));
      EXPECT_OK(recs);
      if (!recs.ok()) break;
      for (auto& r : *recs) out.push_back(std::move(r));
    }
    return out;
  }
};

TEST_F(StandaloneServerTest, DatabaseLifecycleAndErrors) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("sales"));
  Status again = admin.CreateDatabase("sales");
  EXPECT_EQ(again.code(), ErrorCode::kDatabaseAlreadyExist);
  EXPECT_NE(again.message().find("sales"), std::string::npos);
  EXPECT_OK(admin.CreateDatabase("sales", /*ignore_if_exists=*/true));
  auto dbs = admin.ListDatabases();
  ASSERT_OK(dbs);
  EXPECT_NE(std::find(dbs->begin(), dbs->end(), "sales"), dbs->end());
  EXPECT_TRUE(admin.DatabaseExists("sales").value());
  ASSERT_OK(admin.DropDatabase("sales"));
  EXPECT_FALSE(admin.DatabaseExists("sales").value());
  EXPECT_EQ(admin.DropDatabase("sales").code(), ErrorCode::kDatabaseNotExist);
}

TEST_F(StandaloneServerTest, MissingTableIsNamed) {
  auto t = conn_->GetTable(TablePath::Make("db", "nope").value());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kTableNotExist);
  EXPECT_NE(t.status().message().find("db.nope"), std::string::npos) << t.status().message();
}

TEST_F(StandaloneServerTest, AppendAndScanEveryBucketInOrder) {
  Table table = CreateTable("events", "id BIGINT NOT NULL, name STRING, score DOUBLE", 3);
  auto writer = table.NewAppendWriter();
  ASSERT_OK(writer);
  constexpr int kRows = 20000;
  for (int i = 0; i < kRows; ++i) {
    GenericRow row({Datum(int64_t{i}), Datum(std::string("n") + std::to_string(i)), Datum(i * 0.5)});
    auto r = (*writer)->Append(row);
    ASSERT_OK(r);
  }
  ASSERT_OK((*writer)->Flush());
  auto scanner = table.NewLogScanner();
  ASSERT_OK(scanner);
  for (int b = 0; b < 3; ++b) ASSERT_OK((*scanner)->Subscribe(b, kEarliestOffset));
  auto records = ReadAll(**scanner, kRows);
  ASSERT_EQ(records.size(), static_cast<size_t>(kRows));
  std::vector<bool> seen(kRows);
  std::map<int32_t, int64_t> last_offset;
  for (const auto& r : records) {
    const int64_t id = r.row.GetBigInt(0);
    ASSERT_FALSE(seen[id]) << "row " << id << " twice";
    seen[id] = true;
    EXPECT_EQ(r.row.GetString(1), "n" + std::to_string(id));
    EXPECT_DOUBLE_EQ(r.row.GetDouble(2), id * 0.5);
    auto it = last_offset.find(r.bucket);
    if (it != last_offset.end()) { EXPECT_EQ(r.offset, it->second + 1); }
    last_offset[r.bucket] = r.offset;
  }
  EXPECT_EQ(last_offset.size(), 3u) << "rows should spread over every bucket";
}

TEST_F(StandaloneServerTest, BucketKeyRowsLandWhereFlussBucketingPutsThem) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("db", true));
  TableDescriptor d(ParseSchema("user STRING NOT NULL, n INT").value());
  d.DistributedBy(5, {"user"});
  const auto path = TablePath::Make("db", "keyed").value();
  ASSERT_OK(admin.CreateTable(path, d));
  Table table = conn_->GetTable(path).value();
  auto writer = table.NewAppendWriter().value();
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(writer->Append(GenericRow({Datum("user-" + std::to_string(i % 40)), Datum(i)})));
  }
  ASSERT_OK(writer->Flush());
  auto scanner = table.NewLogScanner().value();
  for (int b = 0; b < 5; ++b) ASSERT_OK(scanner->Subscribe(b, 0));
  auto records = ReadAll(*scanner, 200);
  ASSERT_EQ(records.size(), 200u);
  const size_t key_index = 0;
  for (const auto& r : records) {
    auto key = EncodeCompactedKey(table.info().schema(), std::span<const size_t>(&key_index, 1), r.row).value();
    EXPECT_EQ(r.bucket, BucketForKey(key, 5).value()) << r.row.GetString(0);
  }
  auto null_key = writer->Append(GenericRow({Datum(), Datum(1)}));
  EXPECT_FALSE(null_key.ok());
}

TEST_F(StandaloneServerTest, ProjectionReturnsOnlyAskedColumnsInAskedOrder) {
  Table table = CreateTable("wide", "a INT, b STRING, c BIGINT, d DOUBLE", 1);
  auto writer = table.NewAppendWriter().value();
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(writer->Append(GenericRow({Datum(i), Datum(std::string("b") + std::to_string(i)),
                                           Datum(int64_t{i} * 10), Datum(i * 1.5)})));
  }
  ASSERT_OK(writer->Flush());
  auto scanner = table.NewLogScanner(ScanOptions{.columns = {"d", "a"}}).value();
  ASSERT_OK(scanner->Subscribe(0, 0));
  EXPECT_EQ(scanner->schema().column_names(), (std::vector<std::string>{"d", "a"}));
  auto records = ReadAll(*scanner, 100);
  ASSERT_EQ(records.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(records[i].row.arity(), 2u);
    EXPECT_DOUBLE_EQ(records[i].row.GetDouble(0), i * 1.5);
    EXPECT_EQ(records[i].row.GetInt(1), i);
  }
  auto bad = table.NewLogScanner(ScanOptions{.columns = {"zzz"}});
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidColumnProjection);
}

TEST_F(StandaloneServerTest, ListOffsetsAndScanFromTimestamp) {
  Table table = CreateTable("ts", "v INT", 1);
  auto writer = table.NewAppendWriter().value();
  for (int i = 0; i < 10; ++i) ASSERT_OK(writer->Append(GenericRow({Datum(i)})));
  ASSERT_OK(writer->Flush());
  // Every row so far is stamped before `cut`, every later one at or after it (the clock is waited
  // for, not slept on).
  const int64_t cut = NowMillis() + 1;
  ASSERT_TRUE(testing::Eventually([&] { return NowMillis() >= cut; }));
  for (int i = 10; i < 15; ++i) ASSERT_OK(writer->Append(GenericRow({Datum(i)})));
  ASSERT_OK(writer->Flush());
  Admin admin = conn_->GetAdmin();
  auto earliest = admin.ListOffsets(table.path(), OffsetSpec::Earliest());
  auto latest = admin.ListOffsets(table.path(), OffsetSpec::Latest());
  auto at = admin.ListOffsets(table.path(), OffsetSpec::Timestamp(cut));
  ASSERT_TRUE(earliest.ok() && latest.ok() && at.ok()) << at.status().ToString();
  EXPECT_EQ(earliest->at(0), 0);
  EXPECT_EQ(latest->at(0), 15);
  EXPECT_EQ(at->at(0), 10);
  auto scanner = table.NewLogScanner().value();
  ASSERT_OK(scanner->Subscribe(0, at->at(0)));
  auto records = ReadAll(*scanner, 5);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].row.GetInt(0), 10);
  // The same through the scanner's own offset lookups.
  auto by_spec = table.NewLogScanner().value();
  ASSERT_OK(by_spec->Subscribe(0, OffsetSpec::Timestamp(cut)));
  EXPECT_EQ(by_spec->positions().at(0), 10);
  ASSERT_OK(by_spec->Subscribe(0, OffsetSpec::Latest()));
  EXPECT_EQ(by_spec->positions().at(0), 15);
  ASSERT_OK(by_spec->Subscribe(0, OffsetSpec::Earliest()));
  EXPECT_EQ(by_spec->positions().at(0), kEarliestOffset);
}

TEST_F(StandaloneServerTest, LongPollWakesOnAppend) {
  Table table = CreateTable("poll", "v INT", 1);
  // The server holds each fetch up to 30 s (its cap): a poll that ends well before that was woken.
  Configuration c = conn_->config();
  c.scanner_fetch_wait_max = std::chrono::seconds(30);
  auto reader = Connection::Create(c).value();
  auto scanner = reader->GetTable(table.path()).value().NewLogScanner().value();
  ASSERT_OK(scanner->Subscribe(0, 0));
  std::thread producer([&] {
    // The append comes once the poll's fetch is parked on the server.
    ASSERT_TRUE(testing::Eventually([&] { return server_->waiting_fetches() == 1; }));
    auto writer = table.NewAppendWriter().value();
    ASSERT_OK(writer->Append(GenericRow({Datum(7)})));
    ASSERT_OK(writer->Flush());
  });
  const auto start = std::chrono::steady_clock::now();
  auto records = scanner->Poll(std::chrono::seconds(60));
  const auto waited = std::chrono::steady_clock::now() - start;
  producer.join();
  ASSERT_OK(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].row.GetInt(0), 7);
  // Woken by the append, not by the end of the server's 30 s wait.
  EXPECT_LT(waited, std::chrono::seconds(25));
}

TEST_F(StandaloneServerTest, BadRowIsRejectedBeforeQueueing) {
  Table table = CreateTable("strict", "id INT NOT NULL, name STRING", 1);
  auto writer = table.NewAppendWriter().value();
  auto bad = writer->Append(GenericRow({Datum(), Datum(std::string("x"))}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("id"), std::string::npos) << bad.status().message();
  auto wrong_type = writer->Append(GenericRow({Datum(std::string("1")), Datum(std::string("x"))}));
  EXPECT_FALSE(wrong_type.ok());
  ASSERT_OK(writer->Flush());
  auto latest = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest());
  ASSERT_OK(latest);
  EXPECT_EQ(latest->at(0), 0);
}

TEST_F(StandaloneServerTest, TextIsCheckedByTheClientAndNothingIsWritten) {
  Table table = CreateTable("texts", "id INT NOT NULL, code CHAR(3), name STRING", 1);
  auto writer = table.NewAppendWriter().value();
  auto row = [](std::string code, std::string name) {
    return GenericRow({Datum(int32_t{1}), Datum(std::move(code)), Datum(std::move(name))});
  };
  for (const char* code : {"abcd", "日本語x"}) {
    auto bad = writer->Append(row(code, "ok"));
    ASSERT_FALSE(bad.ok()) << code;
    EXPECT_EQ(bad.status().message(), "column 'code' is CHAR(3) but the value has 4 characters");
  }
  auto bad = writer->Append(row("abc", "caf\xC3"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "column 'name' (STRING): the value is not valid UTF-8 (byte 0xc3 at offset 3)");
  // Columns: the error names the row.
  std::vector<arrow::ColumnVector> cols{arrow::ColumnVector(DataType::Int().NotNull()),
                                        arrow::ColumnVector(DataType::Char(3)), arrow::ColumnVector(DataType::String())};
  for (const char* name : {"fine", "\xFF"}) {
    ASSERT_OK(cols[0].Append(Datum(int32_t{2})));
    ASSERT_OK(cols[1].Append(Datum(std::string("日本語"))));
    ASSERT_OK(cols[2].Append(Datum(std::string(name))));
  }
  auto bad_cols = writer->AppendColumns(cols);
  ASSERT_FALSE(bad_cols.ok());
  EXPECT_EQ(bad_cols.status().message(),
            "row 1: column 'name' (STRING): the value is not valid UTF-8 (byte 0xff at offset 0)");
  ASSERT_OK(writer->Flush());
  EXPECT_EQ(conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest()).value().at(0), 0);
  // Three characters fit CHAR(3), however many bytes they take.
  ASSERT_OK(writer->Append(row("日本語", "ok")));
  ASSERT_OK(writer->Flush());
  EXPECT_EQ(conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest()).value().at(0), 1);

  Table keyed = CreateTable("keyed_texts", "id INT NOT NULL, code CHAR(2), PRIMARY KEY (id)", 1);
  auto upserts = keyed.NewUpsertWriter().value();
  auto bad_upsert = upserts->Upsert(GenericRow({Datum(int32_t{1}), Datum(std::string("abc"))}));
  ASSERT_FALSE(bad_upsert.ok());
  EXPECT_EQ(bad_upsert.status().message(), "column 'code' is CHAR(2) but the value has 3 characters");
  ASSERT_OK(upserts->Flush());
  EXPECT_EQ(conn_->GetAdmin().ListOffsets(keyed.path(), OffsetSpec::Latest()).value().at(0), 0);
}

TEST_F(StandaloneServerTest, TablePropertiesAreCheckedByTheClientWithTheServersMessages) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("db", true));
  const auto path = TablePath::Make("db", "props").value();
  auto create = [&](std::string key, std::string value) {
    TableDescriptor d(ParseSchema("id INT, name STRING").value());
    d.DistributedBy(1).Property(std::move(key), std::move(value));
    return admin.CreateTable(path, d);
  };
  Status st = create("table.log.ttl", "abc");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(st.message(),
            "cannot create 'db.props': table property 'table.log.ttl': 'abc' is not a duration (e.g. 7d, 12h, 30min, "
            "500ms)");
  st = create("table.log.ttl", "-5d");
  EXPECT_EQ(st.message(), "cannot create 'db.props': table property 'table.log.ttl': '-5d' is negative");
  st = create("table.nonsense", "1");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(st.message().find("unknown table property 'table.nonsense'"), std::string::npos) << st.message();
  st = create("table.merge-engine", "aggregation");
  EXPECT_EQ(st.message(),
            "cannot create 'db.props': table property 'table.merge-engine': a merge engine needs a primary-key "
            "table; this table has no primary key");
  st = create("table.datalake.freshness", "banana");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig);
  EXPECT_FALSE(admin.TableExists(path).value());
  // A Fluss property fluss-cpp does not act on is accepted and kept, as Fluss keeps it.
  ASSERT_OK(create("table.auto-increment.cache-size", "1000"));
  auto info = admin.GetTableInfo(path);
  ASSERT_OK(info);
  EXPECT_EQ(info->descriptor.properties().at("table.auto-increment.cache-size"), "1000");
}

TEST_F(StandaloneServerTest, ColumnarAppendAndPollBatches) {
  Table table = CreateTable("cols", "id INT, name STRING", 1);
  std::vector<arrow::ColumnVector> cols{arrow::ColumnVector(DataType::Int()), arrow::ColumnVector(DataType::String())};
  for (int i = 0; i < 1000; ++i) {
    ASSERT_OK(cols[0].Append(Datum(i)));
    ASSERT_OK(cols[1].Append(Datum(std::to_string(i))));
  }
  auto writer = table.NewAppendWriter().value();
  auto r = writer->AppendColumns(cols);
  ASSERT_OK(r);
  ASSERT_OK(writer->Flush());
  ASSERT_OK(r->Wait());
  EXPECT_EQ(r->offset(), 0);
  auto scanner = table.NewLogScanner().value();
  ASSERT_OK(scanner->Subscribe(0, 0));
  size_t rows = 0;
  for (int attempt = 0; attempt < 20 && rows < 1000; ++attempt) {
    auto batches = scanner->PollBatches(std::chrono::milliseconds(200));
    ASSERT_OK(batches);
    for (const auto& b : *batches) {
      for (size_t i = 0; i < b.num_rows(); ++i) {
        EXPECT_EQ(std::get<int32_t>(b.columns[0].Get(i)), static_cast<int32_t>(rows + i));
      }
      rows += b.num_rows();
    }
  }
  EXPECT_EQ(rows, 1000u);
}

TEST_F(StandaloneServerTest, TablesSurviveRestart) {
  Table table = CreateTable("durable", "v INT", 2);
  auto writer = table.NewAppendWriter().value();
  for (int i = 0; i < 100; ++i) ASSERT_OK(writer->Append(GenericRow({Datum(i)})));
  ASSERT_OK(writer->Flush());
  writer.reset();
  conn_.reset();
  ASSERT_OK(server_->Stop());
  SetUp();  // a new server on the same data dir
  auto t = conn_->GetTable(table.path());
  ASSERT_OK(t);
  auto latest = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest());
  ASSERT_OK(latest);
  EXPECT_EQ(latest->at(0) + latest->at(1), 100);
}

}  // namespace
}  // namespace fluss
