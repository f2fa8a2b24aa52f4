// Primary-key tables end to end: the real client (UpsertWriter, Lookuper, PrefixLookuper,
// BatchScanner, LogScanner on the changelog) against an in-process standalone server.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "fluss/client.h"
#include "server/fluss_server.h"
#include "support/eventually.h"
#include "support/in_process_server.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

class PrimaryKeyTableTest : public testing::InProcessServerTest {
 protected:
  std::map<int32_t, int64_t> LatestOffsets(const Table& table) {
    auto offsets = conn_->GetAdmin().ListOffsets(table.path(), OffsetSpec::Latest());
    EXPECT_OK(offsets);
    return offsets.ok() ? *offsets : std::map<int32_t, int64_t>{};
  }

  // Polls until every subscribed bucket's position reached `ends`.
  std::vector<ScanRecord> ReadUntil(LogScanner& scanner, const std::map<int32_t, int64_t>& ends) {
    std::vector<ScanRecord> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto reached = [&] {
      auto pos = scanner.positions();
      for (const auto& [bucket, end] : ends) {
        if (pos.count(bucket) && pos[bucket] < end) return false;
      }
      return true;
    };
    while (!reached() && std::chrono::steady_clock::now() < deadline) {
      auto recs = scanner.Poll(std::chrono::milliseconds(200));
      EXPECT_OK(recs);
      if (!recs.ok()) break;
      for (auto& r : *recs) out.push_back(std::move(r));
    }
    EXPECT_TRUE(reached()) << "the changelog was not read to its end";
    return out;
  }
};

GenericRow Row(int64_t id, std::string name, std::optional<int32_t> qty) {
  return GenericRow({Datum(id), Datum(std::move(name)), qty ? Datum(*qty) : Datum()});
}

GenericRow Key(int64_t id) { return GenericRow({Datum(id)}); }

const char* kItems = "id BIGINT, name STRING, qty INT, PRIMARY KEY (id)";

TEST_F(PrimaryKeyTableTest, UpsertUpdateDeleteThenLookup) {
  Table table = CreateTable("items", kItems, 3);
  auto writer = table.NewUpsertWriter();
  ASSERT_OK(writer);
  for (int64_t id = 0; id < 100; ++id) ASSERT_OK((*writer)->Upsert(Row(id, "v1", static_cast<int32_t>(id))));
  for (int64_t id = 0; id < 100; id += 2) ASSERT_OK((*writer)->Upsert(Row(id, "v2", -1)));
  for (int64_t id = 0; id < 100; id += 5) ASSERT_OK((*writer)->Delete(Row(id, "", {})));
  ASSERT_OK((*writer)->Flush());

  auto lookuper = table.NewLookuper();
  ASSERT_OK(lookuper);
  std::vector<GenericRow> keys;
  for (int64_t id = 0; id < 110; ++id) keys.push_back(Key(id));
  auto rows = (*lookuper)->LookupMany(keys);
  ASSERT_OK(rows);
  for (int64_t id = 0; id < 110; ++id) {
    const auto& got = (*rows)[id];
    if (id >= 100 || id % 5 == 0) {
      EXPECT_FALSE(got.has_value()) << id;
    } else if (id % 2 == 0) {
      EXPECT_EQ(got, Row(id, "v2", -1)) << id;
    } else {
      EXPECT_EQ(got, Row(id, "v1", static_cast<int32_t>(id))) << id;
    }
  }
  auto one = (*lookuper)->Lookup(Key(7));
  ASSERT_OK(one);
  EXPECT_EQ(*one, Row(7, "v1", 7));
}

TEST_F(PrimaryKeyTableTest, ChangelogShowsInsertUpdateBeforeAfterAndDeleteInOrder) {
  Table table = CreateTable("changes", kItems, 1);
  auto writer = table.NewUpsertWriter().value();
  auto w1 = writer->Upsert(Row(1, "a", 1)).value();
  ASSERT_OK(writer->Flush());
  ASSERT_OK(w1.Wait());
  EXPECT_EQ(w1.offset(), 1);  // the changelog end after the +I
  ASSERT_OK(writer->Upsert(Row(1, "b", 2)));
  ASSERT_OK(writer->Flush());
  // Writes that change nothing still take an offset each (an empty changelog batch).
  ASSERT_OK(writer->Upsert(Row(1, "b", 2)));
  ASSERT_OK(writer->Flush());
  ASSERT_OK(writer->Delete(Row(42, "", {})));
  ASSERT_OK(writer->Flush());
  ASSERT_OK(writer->Delete(Row(1, "", {})));
  ASSERT_OK(writer->Flush());

  auto scanner = table.NewLogScanner().value();
  ASSERT_OK(scanner->Subscribe(0, kEarliestOffset));
  auto ends = LatestOffsets(table);
  auto records = ReadUntil(*scanner, ends);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].change_type, ChangeType::kInsert);
  EXPECT_EQ(records[0].row, Row(1, "a", 1));
  EXPECT_EQ(records[1].change_type, ChangeType::kUpdateBefore);
  EXPECT_EQ(records[1].row, Row(1, "a", 1));
  EXPECT_EQ(records[2].change_type, ChangeType::kUpdateAfter);
  EXPECT_EQ(records[2].row, Row(1, "b", 2));
  EXPECT_EQ(records[3].change_type, ChangeType::kDelete);
  EXPECT_EQ(records[3].row, Row(1, "b", 2));
  for (size_t i = 1; i < records.size(); ++i) EXPECT_GT(records[i].offset, records[i - 1].offset);
  // The two no-op writes sit between the update and the delete, and reading moved past them.
  EXPECT_EQ(records[3].offset, records[2].offset + 3);
  EXPECT_EQ(scanner->positions().at(0), ends.at(0));
  EXPECT_EQ(ends.at(0), records[3].offset + 1);

  // Projection works on the changelog too.
  auto projected = table.NewLogScanner({.columns = {"qty", "id"}}).value();
  ASSERT_OK(projected->Subscribe(0, kEarliestOffset));
  auto narrow = ReadUntil(*projected, ends);
  ASSERT_EQ(narrow.size(), 4u);
  EXPECT_EQ(narrow[2].row, GenericRow({Datum(int32_t{2}), Datum(int64_t{1})}));
  EXPECT_EQ(narrow[2].change_type, ChangeType::kUpdateAfter);
}

TEST_F(PrimaryKeyTableTest, PartialUpdateKeepsTheOtherColumns) {
  Table table = CreateTable("partial", kItems, 2);
  auto full = table.NewUpsertWriter().value();
  ASSERT_OK(full->Upsert(Row(1, "pen", 10)));
  ASSERT_OK(full->Upsert(Row(2, "ink", 20)));
  ASSERT_OK(full->Flush());

  auto qty_only = table.NewUpsertWriter({.columns = {"id", "qty"}});
  ASSERT_OK(qty_only);
  ASSERT_OK((*qty_only)->Upsert(Row(1, "ignored", 11)));
  ASSERT_OK((*qty_only)->Upsert(Row(3, "ignored", 30)));  // a new key: name stays NULL
  ASSERT_OK((*qty_only)->Flush());

  auto lookuper = table.NewLookuper().value();
  EXPECT_EQ(lookuper->Lookup(Key(1)).value(), Row(1, "pen", 11));
  EXPECT_EQ(lookuper->Lookup(Key(2)).value(), Row(2, "ink", 20));
  EXPECT_EQ(lookuper->Lookup(Key(3)).value(), GenericRow({Datum(int64_t{3}), Datum(), Datum(int32_t{30})}));

  // A partial delete clears the target columns; the row goes once all non-key columns are NULL.
  ASSERT_OK((*qty_only)->Delete(Row(1, "", {})));
  ASSERT_OK((*qty_only)->Delete(Row(3, "", {})));
  ASSERT_OK((*qty_only)->Flush());
  EXPECT_EQ(lookuper->Lookup(Key(1)).value(), Row(1, "pen", {}));
  EXPECT_FALSE(lookuper->Lookup(Key(3)).value().has_value());
}

TEST_F(PrimaryKeyTableTest, BadInputIsRefusedClearlyAndNothingIsWritten) {
  Table table = CreateTable("strict", "id BIGINT, name STRING NOT NULL, qty INT, PRIMARY KEY (id)", 2);
  auto writer = table.NewUpsertWriter().value();
  GenericRow null_key = Row(1, "a", 1);
  null_key.SetNull(0);
  auto r = writer->Upsert(null_key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("primary-key column 'id' of 'db.strict' is NULL"), std::string::npos)
      << r.status().message();
  auto not_null = writer->Upsert(GenericRow({Datum(int64_t{2}), Datum(), Datum(int32_t{1})}));
  ASSERT_FALSE(not_null.ok());
  EXPECT_NE(not_null.status().message().find("'name' is NOT NULL"), std::string::npos) << not_null.status().message();
  ASSERT_OK(writer->Flush());

  auto no_key = table.NewUpsertWriter({.columns = {"qty", "name"}});
  EXPECT_EQ(no_key.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(no_key.status().message().find("every primary-key column (id); 'id' is missing"), std::string::npos)
      << no_key.status().message();
  auto unknown = table.NewUpsertWriter({.columns = {"id", "colour"}});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(unknown.status().message().find("no column 'colour' (columns: id, name, qty)"), std::string::npos)
      << unknown.status().message();
  auto leaves_not_null = table.NewUpsertWriter({.columns = {"id", "qty"}});
  EXPECT_EQ(leaves_not_null.status().code(), ErrorCode::kInvalidTargetColumn);

  auto lookup_bad = table.NewLookuper().value()->Lookup(GenericRow({Datum(std::string("1"))}));
  EXPECT_FALSE(lookup_bad.ok());

  EXPECT_FALSE(table.NewLookuper().value()->Lookup(Key(1)).value().has_value());
  for (const auto& [bucket, end] : LatestOffsets(table)) EXPECT_EQ(end, 0) << "bucket " << bucket;
}

// A batch the server refuses (here: the versioned merge engine's NULL version, which only the
// server checks) fails its rows, and the writer goes on: later batches of the bucket still land.
TEST_F(PrimaryKeyTableTest, WriterGoesOnAfterTheServerRefusedABatch) {
  Admin admin = conn_->GetAdmin();
  ASSERT_OK(admin.CreateDatabase("db", true));
  TableDescriptor d(ParseSchema("id BIGINT, ver INT, v STRING, PRIMARY KEY (id)").value());
  d.DistributedBy(1);
  d.Property("table.merge-engine", "versioned");
  d.Property("table.merge-engine.versioned.ver-column", "ver");
  auto path = TablePath::Make("db", "versioned").value();
  ASSERT_OK(admin.CreateTable(path, d));
  Table table = conn_->GetTable(path).value();
  auto writer = table.NewUpsertWriter().value();
  for (int round = 0; round < 3; ++round) {
    auto good = writer->Upsert(GenericRow({Datum(int64_t{round}), Datum(int32_t{1}), Datum(std::string("ok"))})).value();
    ASSERT_OK(writer->Flush());
    auto bad = writer->Upsert(GenericRow({Datum(int64_t{100}), Datum(), Datum(std::string("no version"))})).value();
    Status st = writer->Flush();
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("writing to bucket 0 of 'db.versioned'"), std::string::npos) << st.message();
    EXPECT_FALSE(bad.Wait().ok());
    EXPECT_OK(good.Wait());
  }
  // Batches behind a refused one, one row each: each row is written once the batch before it went
  // out (else it would join that batch, and share the refusal).
  std::vector<WriteResult> after;
  int64_t sent = writer->stats().batches_sent;
  auto bad = writer->Upsert(GenericRow({Datum(int64_t{100}), Datum(), Datum(std::string("no version"))})).value();
  for (int64_t id = 10; id < 20; ++id) {
    ASSERT_TRUE(testing::Eventually([&] { return writer->stats().batches_sent > sent; })) << "before row " << id;
    sent = writer->stats().batches_sent;
    after.push_back(writer->Upsert(GenericRow({Datum(id), Datum(int32_t{1}), Datum(std::string("later"))})).value());
  }
  EXPECT_FALSE(writer->Flush().ok());
  EXPECT_OK(writer->Flush());
  EXPECT_FALSE(bad.Wait().ok());
  for (const auto& r : after) EXPECT_OK(r.Wait());
  auto lookuper = table.NewLookuper().value();
  for (int64_t id : {0, 1, 2, 10, 19}) EXPECT_TRUE(lookuper->Lookup(Key(id)).value().has_value()) << id;
  EXPECT_FALSE(lookuper->Lookup(Key(100)).value().has_value());
}

TEST_F(PrimaryKeyTableTest, WritersAndReadersMatchTheKindOfTable) {
  Table pk = CreateTable("pk", kItems, 1);
  auto append = pk.NewAppendWriter();
  EXPECT_EQ(append.status().code(), ErrorCode::kInvalidTable);
  Table log = CreateTable("log", "id BIGINT, name STRING", 1);
  auto upsert = log.NewUpsertWriter();
  EXPECT_EQ(upsert.status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_NE(upsert.status().message().find("'db.log' has no primary key"), std::string::npos);
  EXPECT_EQ(log.NewLookuper().status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_EQ(log.NewBatchScanner(0).status().code(), ErrorCode::kNonPrimaryKeyTable);
}

TEST_F(PrimaryKeyTableTest, PrefixLookupFindsEveryRowOfTheBucketKey) {
  Table table = CreateTable("events", "uid BIGINT, ts BIGINT, what STRING, PRIMARY KEY (uid, ts)", 4, {"uid"});
  auto writer = table.NewUpsertWriter().value();
  for (int64_t uid = 0; uid < 20; ++uid) {
    for (int64_t ts = 0; ts < uid % 4; ++ts) {
      ASSERT_OK(writer->Upsert(GenericRow({Datum(uid), Datum(ts), Datum(fmt::format("e{}", ts))})));
    }
  }
  ASSERT_OK(writer->Flush());
  auto lookuper = table.NewPrefixLookuper({"uid"});
  ASSERT_OK(lookuper);
  for (int64_t uid = 0; uid < 20; ++uid) {
    auto rows = (*lookuper)->Lookup(GenericRow({Datum(uid)}));
    ASSERT_OK(rows);
    ASSERT_EQ(rows->size(), static_cast<size_t>(uid % 4)) << uid;
    for (size_t i = 0; i < rows->size(); ++i) {
      EXPECT_EQ((*rows)[i], GenericRow({Datum(uid), Datum(static_cast<int64_t>(i)), Datum(fmt::format("e{}", i))}));
    }
  }
  auto wrong = table.NewPrefixLookuper({"ts"});
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("bucket key (uid)"), std::string::npos) << wrong.status().message();
  Table whole = CreateTable("whole", kItems, 2);
  EXPECT_FALSE(whole.NewPrefixLookuper({"id"}).ok());
}

// Snapshot, then changelog from its offset, while a writer keeps writing: replaying the changes over
// the snapshot sees each change exactly once (an insert only of an absent key, an update-before
// equal to the row held, ...) and ends at what lookups return.
TEST_F(PrimaryKeyTableTest, SnapshotThenChangelogSeesEveryChangeExactlyOnce) {
  constexpr int kBuckets = 3;
  constexpr int64_t kKeys = 300;
  Table table = CreateTable("live", kItems, kBuckets);
  auto writer = table.NewUpsertWriter().value();
  for (int64_t id = 0; id < kKeys; id += 2) ASSERT_OK(writer->Upsert(Row(id, "seed", 0)));
  ASSERT_OK(writer->Flush());
  const auto seeded = LatestOffsets(table);

  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread background([&] {
    std::mt19937 rng(7);
    int i = 0;
    while (!stop || i < 2000) {
      const int64_t id = static_cast<int64_t>(rng() % kKeys);
      auto r = rng() % 5 == 0 ? writer->Delete(Row(id, "", {})) : writer->Upsert(Row(id, "w", ++i));
      ASSERT_OK(r);
      ++writes;
      if (i % 200 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::map<int64_t, GenericRow> state;
  std::map<int32_t, int64_t> snapshot_offsets;
  auto changelog = table.NewLogScanner().value();
  for (int32_t b = 0; b < kBuckets; ++b) {
    EXPECT_TRUE(testing::Eventually([&] { return writes >= 300 * (b + 1); })) << "the writer stalled";
    // In the middle of the writes: some of them reached the server (the writer's sender runs on its
    // own thread, so counting the calls is not enough on a busy machine).
    EXPECT_TRUE(testing::Eventually([&] { return LatestOffsets(table).at(b) > seeded.at(b); }))
        << "no write reached bucket " << b;
    auto snapshot = table.NewBatchScanner(b);
    ASSERT_OK(snapshot);
    while (true) {
      auto page = (*snapshot)->PollBatch();
      ASSERT_OK(page);
      if (!page->has_value()) break;
      for (auto& row : **page) {
        const int64_t id = row.GetBigInt(0);
        EXPECT_TRUE(state.emplace(id, std::move(row)).second) << "key " << id << " twice in the snapshot";
      }
    }
    snapshot_offsets[b] = (*snapshot)->snapshot_log_offset();
    ASSERT_GE(snapshot_offsets[b], seeded.at(b));
    ASSERT_OK(changelog->Subscribe(b, snapshot_offsets[b]));
  }
  // And more writes after the last snapshot (the writer may have been descheduled while they ran).
  const int written = writes;
  EXPECT_TRUE(testing::Eventually([&] { return writes >= written + 300; })) << "the writer stalled";
  stop = true;
  background.join();
  ASSERT_OK(writer->Flush());
  const auto ends = LatestOffsets(table);
  // The snapshots were taken in the middle of the writes, not before or after them all.
  bool after_some = false;
  bool before_some = false;
  for (int32_t b = 0; b < kBuckets; ++b) {
    after_some |= snapshot_offsets[b] > seeded.at(b);
    before_some |= snapshot_offsets[b] < ends.at(b);
  }
  EXPECT_TRUE(after_some && before_some);

  int changes = 0;
  for (const auto& r : ReadUntil(*changelog, ends)) {
    const int64_t id = r.row.GetBigInt(0);
    auto it = state.find(id);
    switch (r.change_type) {
      case ChangeType::kInsert:
        ASSERT_TRUE(it == state.end()) << "+I of key " << id << " at offset " << r.offset << " which is there";
        state.emplace(id, r.row);
        break;
      case ChangeType::kUpdateBefore:
      case ChangeType::kDelete:
        ASSERT_TRUE(it != state.end()) << "change of absent key " << id << " at offset " << r.offset;
        ASSERT_EQ(it->second, r.row) << "key " << id << " at offset " << r.offset;
        state.erase(it);
        break;
      case ChangeType::kUpdateAfter:
        ASSERT_TRUE(it == state.end()) << "+U of key " << id << " without -U at offset " << r.offset;
        state.emplace(id, r.row);
        break;
      default:
        FAIL() << "unexpected change type at offset " << r.offset;
    }
    ++changes;
  }
  EXPECT_GT(changes, 100);

  std::vector<GenericRow> keys;
  for (int64_t id = 0; id < kKeys; ++id) keys.push_back(Key(id));
  auto rows = table.NewLookuper().value()->LookupMany(keys).value();
  for (int64_t id = 0; id < kKeys; ++id) {
    auto it = state.find(id);
    if (!rows[id]) {
      EXPECT_TRUE(it == state.end()) << "key " << id;
    } else {
      ASSERT_TRUE(it != state.end()) << "key " << id;
      EXPECT_EQ(it->second, *rows[id]) << "key " << id;
    }
  }
}

}  // namespace
}  // namespace fluss
