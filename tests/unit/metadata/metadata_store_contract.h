// The MetadataStore contract as typed tests, run against every implementation: databases, tables,
// schemas, assignments, compare-and-set, writer ids, watches, and what survives a reopen.
// An implementation instantiates it with an Env that has
//   std::unique_ptr<MetadataStore> Open(MetadataClock clock)   // the same storage on every call
//   static bool Available(std::string* why)                    // false: the tests skip, saying why
// (tests/unit/metadata/embedded_metadata_store_test.cc, tests/zk/zk_metadata_store_test.cc).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "metadata_test_support.h"
#include "support/status_macros.h"

namespace fluss::metadata_testing {

template <typename Env>
class MetadataStoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!Env::Available(&why)) GTEST_SKIP() << why;
    env_ = std::make_unique<Env>();
    store_ = env_->Open([this] { return now_.load(); });
    ASSERT_NE(store_, nullptr);
  }
  void Reopen() {
    store_.reset();
    store_ = env_->Open([this] { return now_.load(); });
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Env> env_;
  std::atomic<int64_t> now_{1000};
  std::unique_ptr<MetadataStore> store_;
};

TYPED_TEST_SUITE_P(MetadataStoreContractTest);

struct Recorded {
  MetadataEvent event;
  std::string name;
  bool operator==(const Recorded&) const = default;
};

// ---- databases ----

TYPED_TEST_P(MetadataStoreContractTest, CreateListAndGetDatabases) {
  ASSERT_OK(this->store_->CreateDatabase("sales", R"({"comment":"money"})", false));
  ASSERT_OK(this->store_->CreateDatabase("analytics", "", false));
  EXPECT_EQ(this->store_->ListDatabases(), (std::vector<std::string>{"analytics", "sales"}));
  EXPECT_TRUE(this->store_->DatabaseExists("sales"));
  EXPECT_FALSE(this->store_->DatabaseExists("nope"));

  auto db = this->store_->GetDatabase("sales");
  ASSERT_OK(db);
  EXPECT_EQ(db->name, "sales");
  EXPECT_EQ(db->database_json, R"({"comment":"money"})");
  EXPECT_EQ(db->created_time_ms, 1000);
  EXPECT_EQ(db->modified_time_ms, 1000);
  EXPECT_EQ(db->version, 0);
  EXPECT_EQ(this->store_->GetDatabase("analytics")->database_json, "{}");
}

TYPED_TEST_P(MetadataStoreContractTest, CreateExistingDatabaseFailsUnlessIgnored) {
  ASSERT_OK(this->store_->CreateDatabase("db", R"({"comment":"first"})", false));
  Status st = this->store_->CreateDatabase("db", "{}", false);
  EXPECT_EQ(st.code(), ErrorCode::kDatabaseAlreadyExist);
  EXPECT_EQ(st.message(), "database 'db' already exists");
  EXPECT_OK(this->store_->CreateDatabase("db", "{}", true));
  EXPECT_EQ(this->store_->GetDatabase("db")->database_json, R"({"comment":"first"})");  // unchanged
}

TYPED_TEST_P(MetadataStoreContractTest, InvalidDatabaseNameOrJsonIsRefused) {
  EXPECT_EQ(this->store_->CreateDatabase("bad.name", "{}", false).code(), ErrorCode::kInvalidDatabase);
  EXPECT_EQ(this->store_->CreateDatabase("__internal", "{}", false).code(), ErrorCode::kInvalidDatabase);
  EXPECT_EQ(this->store_->CreateDatabase("", "{}", false).code(), ErrorCode::kInvalidDatabase);
  Status st = this->store_->CreateDatabase("db", "{not json", false);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidDatabase);
  EXPECT_NE(st.message().find("database 'db'"), std::string::npos) << st.message();
  EXPECT_EQ(this->store_->CreateDatabase("db", "[1,2]", false).code(), ErrorCode::kInvalidDatabase);
  EXPECT_TRUE(this->store_->ListDatabases().empty());
}

TYPED_TEST_P(MetadataStoreContractTest, DropMissingDatabaseFailsUnlessIgnored) {
  auto r = this->store_->DropDatabase("ghost", false, false);
  EXPECT_EQ(r.status().code(), ErrorCode::kDatabaseNotExist);
  EXPECT_EQ(r.status().message(), "database 'ghost' does not exist");
  auto ignored = this->store_->DropDatabase("ghost", true, false);
  ASSERT_OK(ignored);
  EXPECT_TRUE(ignored->empty());
  EXPECT_EQ(this->store_->GetDatabase("ghost").status().code(), ErrorCode::kDatabaseNotExist);
}

TYPED_TEST_P(MetadataStoreContractTest, DropNonEmptyDatabaseNeedsCascade) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  CreateOrDie(*this->store_, Path("db", "a"));
  CreateOrDie(*this->store_, Path("db", "b"));
  auto r = this->store_->DropDatabase("db", false, false);
  EXPECT_EQ(r.status().code(), ErrorCode::kDatabaseNotEmpty);
  EXPECT_NE(r.status().message().find("database 'db' is not empty"), std::string::npos) << r.status().message();
  EXPECT_TRUE(this->store_->TableExists(Path("db", "a")));

  auto dropped = this->store_->DropDatabase("db", false, true);
  ASSERT_OK(dropped);
  ASSERT_EQ(dropped->size(), 2u);
  EXPECT_EQ((*dropped)[0].path, Path("db", "a"));
  EXPECT_EQ((*dropped)[1].path, Path("db", "b"));
  EXPECT_FALSE(this->store_->DatabaseExists("db"));
  EXPECT_TRUE(this->store_->ListAllTables().empty());
  EXPECT_EQ(this->store_->GetTableById((*dropped)[0].table_id).status().code(), ErrorCode::kTableNotExist);
}

TYPED_TEST_P(MetadataStoreContractTest, DropEmptyDatabaseWithoutCascade) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  ASSERT_OK(this->store_->DropDatabase("db", false, false));
  EXPECT_FALSE(this->store_->DatabaseExists("db"));
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));  // the name is free again
}

// ---- tables ----

TYPED_TEST_P(MetadataStoreContractTest, CreateTableAllocatesIdAndFirstSchema) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  auto j = MakeTableJson(4);
  this->now_ = 5000;
  auto r = this->store_->CreateTable(Path("db", "orders"), j.table, j.schema, 4, Assign(4), false);
  ASSERT_OK(r);
  EXPECT_EQ(r->path, Path("db", "orders"));
  EXPECT_EQ(r->table_id, 1);
  EXPECT_EQ(r->schema_id, 1);
  EXPECT_EQ(r->table_json, j.table);  // already in compact dump() form
  EXPECT_EQ(r->bucket_count, 4);
  EXPECT_EQ(r->created_time_ms, 5000);
  EXPECT_EQ(r->version, 0);

  EXPECT_EQ(*this->store_->GetTable(Path("db", "orders")), *r);
  EXPECT_EQ(*this->store_->GetTableById(1), *r);
  EXPECT_EQ(*this->store_->GetSchema(1, 1), j.schema);
  EXPECT_EQ(*this->store_->GetAssignment(1), Assign(4));
  EXPECT_EQ(CreateOrDie(*this->store_, Path("db", "second")).table_id, 2);
}

TYPED_TEST_P(MetadataStoreContractTest, ListTablesIsSortedPerDatabase) {
  ASSERT_OK(this->store_->CreateDatabase("b", "{}", false));
  ASSERT_OK(this->store_->CreateDatabase("a", "{}", false));
  for (const char* t : {"zeta", "alpha", "mid"}) CreateOrDie(*this->store_, Path("b", t));
  CreateOrDie(*this->store_, Path("a", "only"));
  EXPECT_EQ(*this->store_->ListTables("b"), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_EQ(*this->store_->ListTables("a"), (std::vector<std::string>{"only"}));
  EXPECT_EQ(this->store_->ListTables("c").status().code(), ErrorCode::kDatabaseNotExist);
  auto all = this->store_->ListAllTables();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].path, Path("a", "only"));
  EXPECT_EQ(all[3].path, Path("b", "zeta"));
}

TYPED_TEST_P(MetadataStoreContractTest, CreateTableErrors) {
  auto j = MakeTableJson(3);
  auto missing_db = this->store_->CreateTable(Path("nodb", "t"), j.table, j.schema, 3, {}, false);
  EXPECT_EQ(missing_db.status().code(), ErrorCode::kDatabaseNotExist);
  EXPECT_EQ(missing_db.status().message(), "database 'nodb' does not exist");

  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord first = CreateOrDie(*this->store_, Path("db", "t"));
  auto dup = this->store_->CreateTable(Path("db", "t"), j.table, j.schema, 3, {}, false);
  EXPECT_EQ(dup.status().code(), ErrorCode::kTableAlreadyExist);
  EXPECT_EQ(dup.status().message(), "table 'db.t' already exists");
  auto ignored = this->store_->CreateTable(Path("db", "t"), j.table, j.schema, 3, {}, true);
  ASSERT_OK(ignored);
  EXPECT_EQ(*ignored, first);  // the existing record, no new id spent
  EXPECT_EQ(CreateOrDie(*this->store_, Path("db", "u")).table_id, first.table_id + 1);

  EXPECT_EQ(this->store_->CreateTable(Path("db", "x"), j.table, j.schema, 0, {}, false).status().code(),
            ErrorCode::kInvalidTable);
  EXPECT_EQ(this->store_->CreateTable(Path("db", "x"), j.table, j.schema, 5000, {}, false).status().code(),
            ErrorCode::kInvalidTable);
  EXPECT_EQ(this->store_->CreateTable(Path("db", "x"), "not json", j.schema, 3, {}, false).status().code(),
            ErrorCode::kInvalidTable);
  EXPECT_EQ(this->store_->CreateTable(Path("db", "x"), j.table, "42", 3, {}, false).status().code(),
            ErrorCode::kInvalidTable);
  EXPECT_EQ(this->store_->CreateTable(TablePath(), j.table, j.schema, 3, {}, false).status().code(),
            ErrorCode::kInvalidDatabase);
  EXPECT_FALSE(this->store_->TableExists(Path("db", "x")));
}

TYPED_TEST_P(MetadataStoreContractTest, AssignmentMustCoverEachBucketOnce) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  auto j = MakeTableJson(3);
  auto too_few = this->store_->CreateTable(Path("db", "t"), j.table, j.schema, 3, Assign(2), false);
  EXPECT_EQ(too_few.status().code(), ErrorCode::kInvalidTable);
  EXPECT_NE(too_few.status().message().find("2 entries for 3 buckets"), std::string::npos);

  auto twice = Assign(3);
  twice[2].bucket_id = 1;
  auto dup = this->store_->CreateTable(Path("db", "t"), j.table, j.schema, 3, twice, false);
  EXPECT_EQ(dup.status().code(), ErrorCode::kInvalidTable);
  EXPECT_NE(dup.status().message().find("bucket 1 appears twice"), std::string::npos) << dup.status().message();

  auto bad_leader = Assign(3);
  bad_leader[0].leader = 7;
  EXPECT_EQ(this->store_->CreateTable(Path("db", "t"), j.table, j.schema, 3, bad_leader, false).status().code(),
            ErrorCode::kInvalidTable);

  // Unordered input is stored ordered by bucket id; empty means "not assigned yet".
  auto shuffled = Assign(3);
  std::swap(shuffled[0], shuffled[2]);
  auto r = this->store_->CreateTable(Path("db", "t"), j.table, j.schema, 3, shuffled, false);
  ASSERT_OK(r);
  EXPECT_EQ(*this->store_->GetAssignment(r->table_id), Assign(3));
  auto unassigned = this->store_->CreateTable(Path("db", "u"), j.table, j.schema, 3, {}, false);
  ASSERT_OK(unassigned);
  EXPECT_TRUE(this->store_->GetAssignment(unassigned->table_id)->empty());
}

TYPED_TEST_P(MetadataStoreContractTest, DropTableReturnsRecordAndFreesName) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord created = CreateOrDie(*this->store_, Path("db", "t"));
  auto dropped = this->store_->DropTable(Path("db", "t"), false);
  ASSERT_OK(dropped);
  EXPECT_EQ(*dropped, created);
  EXPECT_EQ(this->store_->GetTable(Path("db", "t")).status().message(), "table 'db.t' does not exist");
  EXPECT_EQ(this->store_->GetTableById(created.table_id).status().code(), ErrorCode::kTableNotExist);
  EXPECT_EQ(this->store_->GetSchema(created.table_id, 1).status().code(), ErrorCode::kSchemaNotExist);
  EXPECT_EQ(this->store_->GetAssignment(created.table_id).status().code(), ErrorCode::kTableNotExist);

  auto again = this->store_->DropTable(Path("db", "t"), false);
  EXPECT_EQ(again.status().code(), ErrorCode::kTableNotExist);
  EXPECT_EQ(again.status().message(), "table 'db.t' does not exist");
  auto ignored = this->store_->DropTable(Path("db", "t"), true);
  ASSERT_OK(ignored);
  EXPECT_EQ(ignored->table_id, -1);

  // Recreating the name gets a new id: ids are never reused.
  EXPECT_EQ(CreateOrDie(*this->store_, Path("db", "t")).table_id, created.table_id + 1);
}

TYPED_TEST_P(MetadataStoreContractTest, DropsLeaveRecordsThatSurviveReopenAndExpire) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  ASSERT_OK(this->store_->CreateDatabase("gone", "{}", false));
  TableRecord t = CreateOrDie(*this->store_, Path("db", "t"));
  TableRecord a = CreateOrDie(*this->store_, Path("gone", "a"));
  TableRecord b = CreateOrDie(*this->store_, Path("gone", "b"));
  EXPECT_TRUE(this->store_->ListDroppedTables().empty());
  this->now_ = 5000;
  ASSERT_OK(this->store_->DropTable(Path("db", "t"), false));
  this->now_ = 6000;
  ASSERT_OK(this->store_->DropDatabase("gone", false, /*cascade=*/true));
  const std::vector<DroppedTableRecord> expected = {{Path("db", "t"), t.table_id, 5000},
                                                    {Path("gone", "a"), a.table_id, 6000},
                                                    {Path("gone", "b"), b.table_id, 6000}};
  EXPECT_EQ(this->store_->ListDroppedTables(), expected);
  // A drop that drops nothing records nothing.
  ASSERT_OK(this->store_->DropTable(Path("db", "t"), /*ignore_if_not_exists=*/true));
  this->Reopen();
  EXPECT_EQ(this->store_->ListDroppedTables(), expected);

  // Records older than the retention go with a later drop.
  TableRecord u = CreateOrDie(*this->store_, Path("db", "u"));
  this->now_ = 5000 + kDroppedTableRetentionMs + 1;
  ASSERT_OK(this->store_->DropTable(Path("db", "u"), false));
  const std::vector<DroppedTableRecord> kept = {{Path("gone", "a"), a.table_id, 6000},
                                                {Path("gone", "b"), b.table_id, 6000},
                                                {Path("db", "u"), u.table_id, this->now_.load()}};
  EXPECT_EQ(this->store_->ListDroppedTables(), kept);
  this->Reopen();
  EXPECT_EQ(this->store_->ListDroppedTables(), kept);
}

TYPED_TEST_P(MetadataStoreContractTest, DatabasesNamedAfterServerFilesAreRefused) {
  for (std::string_view name : TablePath::kReservedDatabaseNames) {
    Status st = this->store_->CreateDatabase(std::string(name), "{}", false);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidDatabase) << name;
    EXPECT_NE(st.message().find("reserved"), std::string::npos) << st.message();
  }
  EXPECT_TRUE(this->store_->ListDatabases().empty());
}

// ---- schemas and compare-and-set ----

TYPED_TEST_P(MetadataStoreContractTest, AddSchemaBumpsSchemaIdAndVersion) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*this->store_, Path("db", "t"));
  auto v2 = MakeTableJson(3, "id INT NOT NULL, v STRING, extra BIGINT");
  this->now_ = 9000;
  auto id = this->store_->AddSchema(t.path, v2.schema, v2.table, t.version);
  ASSERT_OK(id);
  EXPECT_EQ(*id, 2);
  auto after = *this->store_->GetTable(t.path);
  EXPECT_EQ(after.schema_id, 2);
  EXPECT_EQ(after.version, 1);
  EXPECT_EQ(after.table_json, v2.table);
  EXPECT_EQ(after.modified_time_ms, 9000);
  EXPECT_EQ(after.created_time_ms, t.created_time_ms);
  EXPECT_EQ(*this->store_->GetSchema(t.table_id, 1), MakeTableJson().schema);
  EXPECT_EQ(*this->store_->GetSchema(t.table_id, 2), v2.schema);
  auto missing = this->store_->GetSchema(t.table_id, 3);
  EXPECT_EQ(missing.status().code(), ErrorCode::kSchemaNotExist);
  EXPECT_EQ(missing.status().message(), fmt::format("schema 3 of table id {} does not exist", t.table_id));
}

TYPED_TEST_P(MetadataStoreContractTest, StaleVersionIsRejectedAndChangesNothing) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*this->store_, Path("db", "t"));
  auto v2 = MakeTableJson(3, "id INT NOT NULL, v STRING, extra BIGINT");
  ASSERT_OK(this->store_->AddSchema(t.path, v2.schema, v2.table, 0));

  auto stale = this->store_->AddSchema(t.path, v2.schema, v2.table, 0);
  EXPECT_EQ(stale.status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_NE(stale.status().message().find("table 'db.t' is at version 1, not the expected 0"), std::string::npos)
      << stale.status().message();

  auto moved = Assign(3, 5);
  auto stale_assign = this->store_->UpdateAssignment(t.table_id, moved, 0);
  EXPECT_EQ(stale_assign.status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_EQ(*this->store_->GetAssignment(t.table_id), Assign(3));
  EXPECT_EQ(this->store_->GetTable(t.path)->version, 1);
  EXPECT_EQ(this->store_->GetTable(t.path)->schema_id, 2);
}

TYPED_TEST_P(MetadataStoreContractTest, UpdateAssignmentIsCompareAndSet) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*this->store_, Path("db", "t"));
  auto moved = Assign(3, 2);
  moved[1].leader_epoch = 4;
  auto v = this->store_->UpdateAssignment(t.table_id, moved, 0);
  ASSERT_OK(v);
  EXPECT_EQ(*v, 1);
  EXPECT_EQ(*this->store_->GetAssignment(t.table_id), moved);
  EXPECT_EQ(*this->store_->UpdateAssignment(t.table_id, Assign(3, 1), 1), 2);
  EXPECT_EQ(this->store_->UpdateAssignment(t.table_id, {}, 2).status().code(), ErrorCode::kInvalidTable);
  EXPECT_EQ(this->store_->UpdateAssignment(999, Assign(3), 2).status().code(), ErrorCode::kTableNotExist);
  EXPECT_EQ(this->store_->GetTable(t.path)->version, 2);
}

TYPED_TEST_P(MetadataStoreContractTest, ConcurrentCompareAndSetHasOneWinnerPerVersion) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord t = CreateOrDie(*this->store_, Path("db", "t"), 1);
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 10; ++round) {
        auto r = this->store_->UpdateAssignment(t.table_id, Assign(1, i), round);
        if (r.ok()) {
          wins++;
        } else {
          EXPECT_EQ(r.status().code(), ErrorCode::kInvalidUpdateVersion);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  // Each version 0..9 was won by exactly one thread (a loser of round r may win a later round).
  EXPECT_EQ(this->store_->GetTable(t.path)->version, wins.load());
  EXPECT_LE(wins.load(), 10);
  EXPECT_GE(wins.load(), 1);
}

TYPED_TEST_P(MetadataStoreContractTest, ConcurrentCreatesGetDistinctIds) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 10; ++k) {
        TableRecord r = CreateOrDie(*this->store_, Path("db", fmt::format("t{}_{}", i, k)), 1);
        std::lock_guard lock(mu);
        EXPECT_TRUE(ids.insert(r.table_id).second);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ids.size(), 40u);
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), 40);
}

// ---- persistence ----

TYPED_TEST_P(MetadataStoreContractTest, EverythingSurvivesReopen) {
  ASSERT_OK(this->store_->CreateDatabase("db", R"({"comment":"c","custom_properties":{"k":"v"}})", false));
  ASSERT_OK(this->store_->CreateDatabase("other", "{}", false));
  TableRecord t = CreateOrDie(*this->store_, Path("db", "t"), 2);
  CreateOrDie(*this->store_, Path("other", "u"), 1);
  auto v2 = MakeTableJson(2, "id INT NOT NULL, v STRING, extra DOUBLE");
  ASSERT_OK(this->store_->AddSchema(t.path, v2.schema, v2.table, 0));
  std::vector<BucketAssignment> a{{0, {1, 2, 3}, 2, 7, 1}, {1, {3, 1, 2}, -1, 0, 0}};
  ASSERT_OK(this->store_->UpdateAssignment(t.table_id, a, 1));

  auto dbs = this->store_->ListDatabases();
  auto db = *this->store_->GetDatabase("db");
  auto tables = this->store_->ListAllTables();
  this->Reopen();
  EXPECT_EQ(this->store_->ListDatabases(), dbs);
  EXPECT_EQ(*this->store_->GetDatabase("db"), db);
  EXPECT_EQ(this->store_->ListAllTables(), tables);
  EXPECT_EQ(*this->store_->GetAssignment(t.table_id), a);
  EXPECT_EQ(*this->store_->GetSchema(t.table_id, 1), MakeTableJson(2).schema);
  EXPECT_EQ(*this->store_->GetSchema(t.table_id, 2), v2.schema);
  EXPECT_EQ(*this->store_->GetTableById(t.table_id), tables[0]);
  // Versions continue from where they were.
  EXPECT_EQ(*this->store_->UpdateAssignment(t.table_id, Assign(2), 2), 3);
}

TYPED_TEST_P(MetadataStoreContractTest, TableIdsStayMonotonicAcrossReopenAndDrop) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  CreateOrDie(*this->store_, Path("db", "a"));
  TableRecord b = CreateOrDie(*this->store_, Path("db", "b"));
  ASSERT_OK(this->store_->DropTable(b.path, false));  // the highest id is dropped
  this->Reopen();
  EXPECT_EQ(CreateOrDie(*this->store_, Path("db", "c")).table_id, b.table_id + 1);
  ASSERT_OK(this->store_->DropDatabase("db", false, true));
  this->Reopen();
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  EXPECT_EQ(CreateOrDie(*this->store_, Path("db", "a")).table_id, b.table_id + 2);
}

TYPED_TEST_P(MetadataStoreContractTest, WriterIdsNeverRepeatAcrossReopen) {
  std::set<int64_t> seen;
  int64_t last = -1;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 1500; ++i) {  // crosses a block boundary in the first round
      auto id = this->store_->AllocateWriterId();
      ASSERT_OK(id);
      EXPECT_GT(*id, last);
      last = *id;
      seen.insert(*id);
    }
    this->Reopen();
  }
  EXPECT_EQ(seen.size(), 4500u);
  EXPECT_EQ(*seen.begin(), 0);
}



// ---- watches ----

TYPED_TEST_P(MetadataStoreContractTest, WatchersSeeEveryChangeInOrder) {
  std::vector<Recorded> seen;
  int64_t id = this->store_->AddWatcher([&](MetadataEvent e, const std::string& name) {
    // The change is visible (and durable) when the watcher runs.
    if (e == MetadataEvent::kTableCreated) {
      EXPECT_TRUE(this->store_->TableExists(*TablePath::Parse(name)));
    }
    seen.push_back({e, name});
  });
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  TableRecord a = CreateOrDie(*this->store_, Path("db", "a"));
  CreateOrDie(*this->store_, Path("db", "b"));
  auto v2 = MakeTableJson(3, "id INT NOT NULL, v STRING, x INT");
  ASSERT_OK(this->store_->AddSchema(a.path, v2.schema, v2.table, 0));
  ASSERT_OK(this->store_->UpdateAssignment(a.table_id, Assign(3, 1), 1));
  ASSERT_OK(this->store_->DropTable(Path("db", "b"), false));
  ASSERT_OK(this->store_->DropDatabase("db", false, true));
  // Failed and ignored operations fire nothing.
  ASSERT_FALSE(this->store_->CreateTable(Path("db", "c"), "{}", "{}", 1, {}, false).ok());
  ASSERT_OK(this->store_->DropDatabase("db", true, false));

  std::vector<Recorded> expected{
      {MetadataEvent::kDatabaseCreated, "db"},          {MetadataEvent::kTableCreated, "db.a"},
      {MetadataEvent::kTableCreated, "db.b"},           {MetadataEvent::kTableAltered, "db.a"},
      {MetadataEvent::kTableAssignmentChanged, "db.a"}, {MetadataEvent::kTableDropped, "db.b"},
      {MetadataEvent::kTableDropped, "db.a"},           {MetadataEvent::kDatabaseDropped, "db"}};
  EXPECT_EQ(seen, expected);

  this->store_->RemoveWatcher(id);
  ASSERT_OK(this->store_->CreateDatabase("db2", "{}", false));
  EXPECT_EQ(seen.size(), expected.size());
  this->store_->RemoveWatcher(12345);  // unknown ids are ignored
}

TYPED_TEST_P(MetadataStoreContractTest, WatcherMayMutateTheStore) {
  std::vector<std::string> seen;
  this->store_->AddWatcher([&](MetadataEvent e, const std::string& name) {
    seen.push_back(std::string(MetadataEventName(e)) + " " + name);
    // React to a new database by creating a table in it: delivered after this call returns.
    if (e == MetadataEvent::kDatabaseCreated) CreateOrDie(*this->store_, Path(name, "auto"), 1);
  });
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  EXPECT_EQ(seen, (std::vector<std::string>{"DATABASE_CREATED db", "TABLE_CREATED db.auto"}));
}

TYPED_TEST_P(MetadataStoreContractTest, WatcherRemovingItselfIsNotCalledAgain) {
  int calls = 0;
  int64_t id = 0;
  id = this->store_->AddWatcher([&](MetadataEvent, const std::string&) {
    ++calls;
    this->store_->RemoveWatcher(id);
  });
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  ASSERT_OK(this->store_->CreateDatabase("db2", "{}", false));
  EXPECT_EQ(calls, 1);
}

TYPED_TEST_P(MetadataStoreContractTest, RemoveWatcherWaitsForARunningCall) {
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  int64_t id = this->store_->AddWatcher([&](MetadataEvent, const std::string&) {
    entered = true;
    // Keeps the call running while RemoveWatcher is made; the test waits on `entered`, not on this.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    finished = true;
  });
  std::thread mutator([&] { ASSERT_OK(this->store_->CreateDatabase("db", "{}", false)); });
  while (!entered) std::this_thread::yield();
  this->store_->RemoveWatcher(id);
  EXPECT_TRUE(finished);
  mutator.join();
}

TYPED_TEST_P(MetadataStoreContractTest, WatchersFromConcurrentMutatorsSeeEachEventOnce) {
  std::mutex mu;
  std::multiset<std::string> seen;
  this->store_->AddWatcher([&](MetadataEvent e, const std::string& name) {
    std::lock_guard lock(mu);
    seen.insert(name);
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) ASSERT_OK(this->store_->CreateDatabase(fmt::format("d{}_{}", i, k), "", false));
    });
  }
  for (auto& th : threads) th.join();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 20u);
  for (const auto& name : seen) EXPECT_EQ(seen.count(name), 1u) << name;
}

// ---- partitions ----

// A partitioned table db.<name> with 3 buckets per partition.
inline TableRecord CreatePartitionedOrDie(MetadataStore& store, const TablePath& path) {
  TableJson j = MakePartitionedTableJson(3);
  auto r = store.CreateTable(path, j.table, j.schema, 3, {}, false);
  EXPECT_OK(r);
  return r.ok() ? *r : TableRecord{};
}

TYPED_TEST_P(MetadataStoreContractTest, PartitionsAreCreatedListedAndDropped) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  const TablePath path = Path("db", "t");
  TableRecord t = CreatePartitionedOrDie(*this->store_, path);
  auto p1 = this->store_->CreatePartition(path, t.table_id, "20240102", PartitionAssign(3), 1000, false);
  ASSERT_OK(p1);
  EXPECT_EQ(*p1, (PartitionRecord{path, t.table_id, 0, "20240102"}));
  auto p2 = this->store_->CreatePartition(path, t.table_id, "20240101", {}, 1000, false);
  ASSERT_OK(p2);
  EXPECT_EQ(p2->partition_id, 1);
  EXPECT_EQ(*this->store_->ListPartitions(path), (std::vector<PartitionRecord>{*p2, *p1}));  // by name
  EXPECT_EQ(*this->store_->GetPartition(path, "20240102"), *p1);
  EXPECT_EQ(*this->store_->GetPartitionById(1), *p2);
  EXPECT_EQ(*this->store_->GetPartitionAssignment(0), PartitionAssign(3));
  EXPECT_TRUE(this->store_->GetPartitionAssignment(1)->empty());

  auto again = this->store_->CreatePartition(path, t.table_id, "20240102", PartitionAssign(3), 1000, false);
  EXPECT_EQ(again.status().code(), ErrorCode::kPartitionAlreadyExists);
  EXPECT_EQ(again.status().message(), "partition '20240102' of table 'db.t' already exists");
  auto ignored = this->store_->CreatePartition(path, t.table_id, "20240102", PartitionAssign(3), 1000, true);
  ASSERT_OK(ignored);
  EXPECT_EQ(*ignored, *p1);

  this->now_ = 7000;
  auto dropped = this->store_->DropPartition(path, "20240102", false);
  ASSERT_OK(dropped);
  EXPECT_EQ(*dropped, *p1);
  EXPECT_EQ(*this->store_->ListPartitions(path), std::vector<PartitionRecord>{*p2});
  EXPECT_EQ(this->store_->GetPartitionById(0).status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(this->store_->GetPartitionById(0).status().message(), "partition id 0 does not exist");
  EXPECT_EQ(this->store_->ListDroppedPartitions(),
            (std::vector<DroppedPartitionRecord>{{path, t.table_id, 0, "20240102", 7000}}));
  auto missing = this->store_->DropPartition(path, "20240102", false);
  EXPECT_EQ(missing.status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(missing.status().message(), "partition '20240102' of table 'db.t' does not exist");
  auto ignored_drop = this->store_->DropPartition(path, "20240102", true);
  ASSERT_OK(ignored_drop);
  EXPECT_EQ(ignored_drop->partition_id, -1);
  // The name is free again and gets a new id: ids are never reused.
  auto recreated = this->store_->CreatePartition(path, t.table_id, "20240102", {}, 1000, false);
  ASSERT_OK(recreated);
  EXPECT_EQ(recreated->partition_id, 2);
}

TYPED_TEST_P(MetadataStoreContractTest, PartitionErrorsChangeNothing) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  const TablePath path = Path("db", "t");
  TableRecord t = CreatePartitionedOrDie(*this->store_, path);
  EXPECT_EQ(this->store_->CreatePartition(Path("db", "nope"), t.table_id, "x", {}, 1000, false).status().code(),
            ErrorCode::kTableNotExist);
  // The table was dropped and created again: the caller's table id is stale.
  EXPECT_EQ(this->store_->CreatePartition(path, t.table_id + 100, "x", {}, 1000, false).status().code(),
            ErrorCode::kTableNotExist);
  for (const char* bad : {"", "a/b", "a$", "x y", ".."}) {
    EXPECT_EQ(this->store_->CreatePartition(path, t.table_id, bad, {}, 1000, false).status().code(),
              ErrorCode::kPartitionSpecInvalid)
        << bad;
  }
  EXPECT_EQ(this->store_->CreatePartition(path, t.table_id, "x", PartitionAssign(2), 1000, false).status().code(),
            ErrorCode::kInvalidTable);
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "a", {}, 2, false));
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "b", {}, 2, false));
  auto third = this->store_->CreatePartition(path, t.table_id, "c", {}, 2, false);
  EXPECT_EQ(third.status().code(), ErrorCode::kPartitionMaxNum);
  EXPECT_EQ(third.status().message(),
            "table 'db.t' has 2 partitions; max.partition.num allows 2, so no more can be created");
  EXPECT_EQ(this->store_->ListPartitions(path)->size(), 2u);
  // Nothing was used up by the failures: the next id is the third.
  auto next = this->store_->CreatePartition(path, t.table_id, "c", {}, 3, false);
  ASSERT_OK(next);
  EXPECT_EQ(next->partition_id, 2);
  EXPECT_EQ(this->store_->ListPartitions(Path("db", "nope")).status().code(), ErrorCode::kTableNotExist);
  EXPECT_EQ(this->store_->GetPartition(path, "zz").status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(this->store_->DropPartition(Path("db", "nope"), "a", true).status().code(), ErrorCode::kTableNotExist);
}

TYPED_TEST_P(MetadataStoreContractTest, DroppingATableDropsItsPartitions) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  ASSERT_OK(this->store_->CreateDatabase("other", "{}", false));
  const TablePath path = Path("db", "t");
  TableRecord t = CreatePartitionedOrDie(*this->store_, path);
  TableRecord o = CreatePartitionedOrDie(*this->store_, Path("other", "o"));
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "a", PartitionAssign(3), 1000, false));
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "b", PartitionAssign(3), 1000, false));
  ASSERT_OK(this->store_->CreatePartition(Path("other", "o"), o.table_id, "a", {}, 1000, false));
  ASSERT_OK(this->store_->DropTable(path, false));
  EXPECT_EQ(this->store_->ListPartitions(path).status().code(), ErrorCode::kTableNotExist);
  EXPECT_EQ(this->store_->GetPartitionById(0).status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_EQ(this->store_->GetPartitionAssignment(1).status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_TRUE(this->store_->ListDroppedPartitions().empty());  // the table's record covers them
  TableRecord again = CreatePartitionedOrDie(*this->store_, path);
  EXPECT_TRUE(this->store_->ListPartitions(path)->empty());
  auto p = this->store_->CreatePartition(path, again.table_id, "a", {}, 1000, false);
  ASSERT_OK(p);
  EXPECT_EQ(p->partition_id, 3);
  ASSERT_OK(this->store_->DropDatabase("other", false, /*cascade=*/true));
  EXPECT_EQ(this->store_->GetPartitionById(2).status().code(), ErrorCode::kPartitionNotExists);
  this->Reopen();
  EXPECT_EQ(*this->store_->ListPartitions(path), std::vector<PartitionRecord>{*p});
  EXPECT_EQ(this->store_->GetPartitionById(2).status().code(), ErrorCode::kPartitionNotExists);
}

TYPED_TEST_P(MetadataStoreContractTest, PartitionsSurviveReopen) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  const TablePath path = Path("db", "t");
  TableRecord t = CreatePartitionedOrDie(*this->store_, path);
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "a", PartitionAssign(3), 1000, false));
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "b", {}, 1000, false));
  this->now_ = 9000;
  ASSERT_OK(this->store_->DropPartition(path, "a", false));
  const auto partitions = *this->store_->ListPartitions(path);
  const auto dropped = this->store_->ListDroppedPartitions();
  this->Reopen();
  EXPECT_EQ(*this->store_->ListPartitions(path), partitions);
  EXPECT_EQ(this->store_->ListDroppedPartitions(), dropped);
  auto c = this->store_->CreatePartition(path, t.table_id, "c", PartitionAssign(3), 1000, false);
  ASSERT_OK(c);
  EXPECT_EQ(c->partition_id, 2);
  this->Reopen();
  EXPECT_EQ(*this->store_->GetPartitionAssignment(2), PartitionAssign(3));
}

TYPED_TEST_P(MetadataStoreContractTest, WatchersSeePartitionEvents) {
  ASSERT_OK(this->store_->CreateDatabase("db", "{}", false));
  const TablePath path = Path("db", "t");
  TableRecord t = CreatePartitionedOrDie(*this->store_, path);
  std::mutex mu;
  std::vector<Recorded> seen;
  int64_t id = this->store_->AddWatcher([&](MetadataEvent e, const std::string& name) {
    std::lock_guard lock(mu);
    seen.push_back({e, name});
  });
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "a", {}, 1000, false));
  ASSERT_OK(this->store_->DropPartition(path, "a", false));
  ASSERT_OK(this->store_->CreatePartition(path, t.table_id, "b", {}, 1000, false));
  ASSERT_OK(this->store_->DropTable(path, false));
  this->store_->RemoveWatcher(id);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<Recorded>{{MetadataEvent::kPartitionCreated, "db.t/a"},
                                         {MetadataEvent::kPartitionDropped, "db.t/a"},
                                         {MetadataEvent::kPartitionCreated, "db.t/b"},
                                         {MetadataEvent::kTableDropped, "db.t"}}));
}

REGISTER_TYPED_TEST_SUITE_P(MetadataStoreContractTest,
                           PartitionsAreCreatedListedAndDropped,
                           PartitionErrorsChangeNothing,
                           DroppingATableDropsItsPartitions,
                           PartitionsSurviveReopen,
                           WatchersSeePartitionEvents,
                           CreateListAndGetDatabases,
                           CreateExistingDatabaseFailsUnlessIgnored,
                           InvalidDatabaseNameOrJsonIsRefused,
                           DropMissingDatabaseFailsUnlessIgnored,
                           DropNonEmptyDatabaseNeedsCascade,
                           DropEmptyDatabaseWithoutCascade,
                           CreateTableAllocatesIdAndFirstSchema,
                           ListTablesIsSortedPerDatabase,
                           CreateTableErrors,
                           AssignmentMustCoverEachBucketOnce,
                           DropTableReturnsRecordAndFreesName,
                           DropsLeaveRecordsThatSurviveReopenAndExpire,
                           DatabasesNamedAfterServerFilesAreRefused,
                           AddSchemaBumpsSchemaIdAndVersion,
                           StaleVersionIsRejectedAndChangesNothing,
                           UpdateAssignmentIsCompareAndSet,
                           ConcurrentCompareAndSetHasOneWinnerPerVersion,
                           ConcurrentCreatesGetDistinctIds,
                           EverythingSurvivesReopen,
                           TableIdsStayMonotonicAcrossReopenAndDrop,
                           WriterIdsNeverRepeatAcrossReopen,
                           WatchersSeeEveryChangeInOrder,
                           WatcherMayMutateTheStore,
                           WatcherRemovingItselfIsNotCalledAgain,
                           RemoveWatcherWaitsForARunningCall,
                           WatchersFromConcurrentMutatorsSeeEachEventOnce);

}  // namespace fluss::metadata_testing
