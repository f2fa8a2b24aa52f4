// Power cuts and failures at every file-system step of an embedded metadata-store commit, on
// FaultInjectionFileSystem: the operation fails at step k (and every later one, as if the machine
// stopped there), then the power goes (whatever was not fsynced is lost). Reopened, the store must
// open, hold every acknowledged change, and hold an unacknowledged one wholly or not at all. The
// steps include the ones of Open (which rewrites the log's valid bytes crash-safely).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "fs/fault_injection_file_system.h"
#include "metadata_test_support.h"

namespace fluss {
namespace {

namespace sfs = std::filesystem;
using metadata_testing::CreateOrDie;
using metadata_testing::Path;
using metadata_testing::TempDir;

int64_t FixedClock() { return 1'700'000'000'000; }

// Everything a reader of the store can see, as text (so that two states compare in one EXPECT).
std::string DescribeStore(const MetadataStore& store) {
  std::string out;
  for (const std::string& db : store.ListDatabases()) out += fmt::format("database {}\n", db);
  for (const TableRecord& t : store.ListAllTables()) {
    auto assignment = store.GetAssignment(t.table_id);
    out += fmt::format("table {} id {} version {} schema {} buckets {} assigned {}\n", t.path.ToString(), t.table_id,
                       t.version, t.schema_id, t.bucket_count, assignment.ok() ? assignment->size() : 0);
  }
  for (const DroppedTableRecord& d : store.ListDroppedTables()) {
    out += fmt::format("dropped {} id {} at {}\n", d.path.ToString(), d.table_id, d.dropped_time_ms);
  }
  return out;
}

struct Scenario {
  std::function<void(EmbeddedMetadataStore&)> setup;  // builds the state before the commit (local disk)
  std::function<Status(EmbeddedMetadataStore&)> commit;
  EmbeddedMetadataStoreOptions options;
  bool expect_compaction = false;
};

class MetadataPowerCutTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/meta"; }
  std::string saved() const { return tmp_.path() + "/saved"; }

  Result<std::unique_ptr<EmbeddedMetadataStore>> OpenStore(FileSystem& fs, const Scenario& s) {
    return EmbeddedMetadataStore::Open(dir(), FixedClock, s.options, fs);
  }

  void Restore() {
    sfs::remove_all(dir());
    sfs::copy(saved(), dir(), sfs::copy_options::recursive);
  }

  // Cuts power at every step k of (open + commit); after each cut the reopened store is `before` or
  // `after`, and `after` when the commit was acknowledged.
  void RunAtEveryStep(const Scenario& s) {
    {
      EmbeddedMetadataStoreOptions no_compaction;
      no_compaction.compaction_min_bytes = uint64_t{1} << 40;
      auto store = EmbeddedMetadataStore::Open(dir(), FixedClock, no_compaction);
      ASSERT_OK(store);
      s.setup(**store);
    }
    sfs::copy(dir(), saved(), sfs::copy_options::recursive);

    std::string before, after;
    int64_t open_steps = 0, steps = 0;
    {
      FaultInjectionFileSystem counting;
      auto store = OpenStore(counting, s);
      ASSERT_OK(store);
      open_steps = counting.operations();
      before = DescribeStore(**store);
      Status st = s.commit(**store);
      ASSERT_OK(st);
      steps = counting.operations();
      after = DescribeStore(**store);
      EXPECT_EQ((*store)->compactions(), s.expect_compaction ? 1u : 0u);
    }
    ASSERT_NE(before, after);
    ASSERT_GE(open_steps, 5);          // directory, temporary file, its write and fsync, rename, directory fsync
    ASSERT_GE(steps, open_steps + 2);  // the record's write and fsync (and a compaction's steps)

    for (int64_t k = 1; k <= steps; ++k) {
      SCOPED_TRACE(fmt::format("failure and power cut at step {} of {} (open: {})", k, steps, open_steps));
      Restore();
      FaultInjectionFileSystem faulty;
      faulty.FailFrom(k);
      bool acknowledged = false;
      {
        auto store = OpenStore(faulty, s);
        EXPECT_EQ(store.ok(), k > open_steps) << store.status().ToString();
        if (store.ok()) acknowledged = s.commit(**store).ok();
      }
      ASSERT_OK(faulty.PowerCut());
      auto reopened = OpenStore(FileSystem::Local(), s);
      ASSERT_OK(reopened);
      const std::string state = DescribeStore(**reopened);
      if (acknowledged) {
        EXPECT_EQ(state, after) << "an acknowledged change was lost";
      } else {
        EXPECT_TRUE(state == before || state == after) << "half a change:\n" << state;
      }
      EXPECT_FALSE(sfs::exists(dir() + "/metadata.log.tmp"));
    }
  }

  // Fails the commit's steps from k on, then the disk comes back (no power cut): the store either
  // goes on or refuses changes, a failed change is not visible, and whatever the store acknowledged
  // is there when it is opened again.
  void RunOneFailureAtEveryStep(const Scenario& s) {
    std::string before, after;
    int64_t open_steps = 0, steps = 0;
    {
      FaultInjectionFileSystem counting;
      auto store = OpenStore(counting, s);
      ASSERT_OK(store);
      open_steps = counting.operations();
      before = DescribeStore(**store);
      ASSERT_OK(s.commit(**store));
      steps = counting.operations();
      after = DescribeStore(**store);
    }
    for (int64_t k = open_steps + 1; k <= steps; ++k) {
      SCOPED_TRACE(fmt::format("one failure at step {} of {}", k, steps));
      Restore();
      FaultInjectionFileSystem faulty;
      bool acknowledged = false, later = false;
      {
        auto store = OpenStore(faulty, s);
        ASSERT_OK(store);
        faulty.FailFrom(k);
        acknowledged = s.commit(**store).ok();
        if (!acknowledged) {
          EXPECT_EQ(DescribeStore(**store), before) << "a failed change is visible";
        }
        faulty.FailFrom(0);
        later = (*store)->CreateDatabase("later", "{}", false).ok();
      }
      auto reopened = OpenStore(FileSystem::Local(), s);
      ASSERT_OK(reopened);
      const bool has_later = (*reopened)->DatabaseExists("later");
      if (later) {
        EXPECT_TRUE(has_later) << "an acknowledged change was lost";
      }
      if (has_later) {
        ASSERT_OK((*reopened)->DropDatabase("later", false, false));
      }
      const std::string state = DescribeStore(**reopened);
      if (acknowledged) {
        EXPECT_EQ(state, after) << "an acknowledged change was lost";
      } else {
        EXPECT_TRUE(state == before || state == after) << "half a change:\n" << state;
      }
    }
  }

  TempDir tmp_;
};

Scenario CreateDatabaseScenario() {
  Scenario s;
  s.setup = [](EmbeddedMetadataStore& store) { ASSERT_OK(store.CreateDatabase("db", "{}", false)); };
  s.commit = [](EmbeddedMetadataStore& store) { return store.CreateDatabase("db2", R"({"comment":"x"})", false); };
  return s;
}

Scenario CreateTableScenario() {
  Scenario s;
  s.setup = [](EmbeddedMetadataStore& store) {
    ASSERT_OK(store.CreateDatabase("db", "{}", false));
    CreateOrDie(store, Path("db", "first"));
  };
  s.commit = [](EmbeddedMetadataStore& store) -> Status {
    auto j = metadata_testing::MakeTableJson(4);
    return store.CreateTable(Path("db", "orders"), j.table, j.schema, 4, metadata_testing::Assign(4), false).status();
  };
  return s;
}

Scenario DropTableScenario() {
  Scenario s;
  s.setup = [](EmbeddedMetadataStore& store) {
    ASSERT_OK(store.CreateDatabase("db", "{}", false));
    CreateOrDie(store, Path("db", "orders"));
    CreateOrDie(store, Path("db", "other"));
  };
  s.commit = [](EmbeddedMetadataStore& store) { return store.DropTable(Path("db", "orders"), false).status(); };
  return s;
}

// The commit appends a record that takes the log past twice its snapshot: the store compacts it.
Scenario CompactionScenario(uint64_t log_size) {
  Scenario s;
  s.setup = [](EmbeddedMetadataStore& store) {
    ASSERT_OK(store.CreateDatabase("db", "{}", false));
    for (int i = 0; i < 6; ++i) CreateOrDie(store, Path("db", "t" + std::to_string(i)));
    for (int i = 0; i < 3; ++i) ASSERT_OK(store.DropTable(Path("db", "t" + std::to_string(i)), false));
  };
  s.commit = [](EmbeddedMetadataStore& store) -> Status {
    return store.CreateTable(Path("db", "last"), metadata_testing::MakeTableJson().table,
                             metadata_testing::MakeTableJson().schema, 3, metadata_testing::Assign(3), false)
        .status();
  };
  s.options.compaction_min_bytes = log_size;  // no compaction at open; the next record passes it
  s.expect_compaction = true;
  return s;
}

TEST_F(MetadataPowerCutTest, CreateDatabaseSurvivesAPowerCutAtEveryStep) { RunAtEveryStep(CreateDatabaseScenario()); }

TEST_F(MetadataPowerCutTest, CreateTableSurvivesAPowerCutAtEveryStep) { RunAtEveryStep(CreateTableScenario()); }

TEST_F(MetadataPowerCutTest, DropTableSurvivesAPowerCutAtEveryStep) { RunAtEveryStep(DropTableScenario()); }

TEST_F(MetadataPowerCutTest, CompactionSurvivesAPowerCutAtEveryStep) {
  // The log's size after the setup decides when the commit compacts: measure it on a dry run.
  uint64_t log_size = 0;
  {
    TempDir probe;
    EmbeddedMetadataStoreOptions no_compaction;
    no_compaction.compaction_min_bytes = uint64_t{1} << 40;
    auto store = EmbeddedMetadataStore::Open(probe.path(), FixedClock, no_compaction);
    ASSERT_OK(store);
    CompactionScenario(0).setup(**store);
    log_size = sfs::file_size((*store)->file_path());
  }
  RunAtEveryStep(CompactionScenario(log_size));
}

TEST_F(MetadataPowerCutTest, AFailedCommitLeavesTheStoreGoingOnOrRefusingButNeverLosing) {
  Scenario s = CreateTableScenario();
  {
    auto store = EmbeddedMetadataStore::Open(dir(), FixedClock);
    ASSERT_OK(store);
    s.setup(**store);
  }
  sfs::copy(dir(), saved(), sfs::copy_options::recursive);
  RunOneFailureAtEveryStep(s);
}

TEST_F(MetadataPowerCutTest, AFailedCompactionStepNeverLosesAChange) {
  uint64_t log_size = 0;
  {
    EmbeddedMetadataStoreOptions no_compaction;
    no_compaction.compaction_min_bytes = uint64_t{1} << 40;
    auto store = EmbeddedMetadataStore::Open(dir(), FixedClock, no_compaction);
    ASSERT_OK(store);
    CompactionScenario(0).setup(**store);
    log_size = sfs::file_size((*store)->file_path());
  }
  sfs::copy(dir(), saved(), sfs::copy_options::recursive);
  RunOneFailureAtEveryStep(CompactionScenario(log_size));
}

}  // namespace
}  // namespace fluss
