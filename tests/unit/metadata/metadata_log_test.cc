// The record log of the embedded store (metadata.log): a change appends only what it changed, replay
// gives the state back, a torn last record is dropped and cut, damage in the middle is an error naming
// the file and offset, compaction rewrites the state as one snapshot, and the bytes are as documented.
#include "metadata/metadata_log.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>

#include "common/crc32c.h"
#include "metadata_test_support.h"
#include "support/status_macros.h"
#include "support/file_size_limit.h"

namespace fluss {
namespace {

using metadata_testing::Assign;
using metadata_testing::CreateOrDie;
using metadata_testing::MakeTableJson;
using metadata_testing::OpenOrDie;
using metadata_testing::Path;
using metadata_testing::ReadAll;
using metadata_testing::StateOfLog;
using metadata_testing::TempDir;
using testing::FileSizeLimit;
using metadata_testing::WriteAll;

class MetadataLogTest : public ::testing::Test {
 protected:
  std::string log_file() const { return dir_.Sub(EmbeddedMetadataStore::kFileName); }

  // A store with databases and tables changed in every way a store changes them; closed again.
  void Populate() {
    auto store = OpenOrDie(dir_.path(), [] { return int64_t{5000}; });
    ASSERT_OK(store->CreateDatabase("db", R"({"comment":"c"})", false));
    ASSERT_OK(store->CreateDatabase("other", "{}", false));
    CreateOrDie(*store, Path("db", "a"), 2);
    TableRecord b = CreateOrDie(*store, Path("db", "b"), 3);
    CreateOrDie(*store, Path("other", "x"), 1);
    auto j = MakeTableJson(3, "id INT NOT NULL, v STRING, w BIGINT");
    ASSERT_OK(store->AddSchema(Path("db", "b"), j.schema, j.table, 0));
    ASSERT_OK(store->UpdateAssignment(b.table_id, Assign(3, 7), 1));
    ASSERT_OK(store->DropTable(Path("db", "a"), false));
    ASSERT_OK(store->AllocateWriterId());
    ASSERT_OK(store->DropDatabase("other", false, true));
  }

  // Opening must fail naming the file (and `why`), leaving the file as it was.
  void ExpectRefused(const std::string& bytes, const std::string& why) {
    WriteAll(log_file(), bytes);
    auto store = EmbeddedMetadataStore::Open(dir_.path());
    ASSERT_FALSE(store.ok()) << "opened over: " << why;
    EXPECT_NE(store.status().message().find(log_file()), std::string::npos) << store.status().message();
    EXPECT_NE(store.status().message().find(why), std::string::npos) << store.status().message();
    EXPECT_EQ(ReadAll(log_file()), bytes);
  }

  std::vector<MetadataLogRecord> Records(const std::string& bytes) {
    auto decoded = DecodeMetadataLog(bytes, log_file());
    EXPECT_OK(decoded);
    return decoded.ok() ? decoded->records : std::vector<MetadataLogRecord>{};
  }

  TempDir dir_;
};

TEST_F(MetadataLogTest, ReplayGivesBackEveryKindOfChange) {
  Populate();
  auto store = OpenOrDie(dir_.path());
  EXPECT_EQ(store->ListDatabases(), std::vector<std::string>{"db"});
  EXPECT_EQ(store->GetDatabase("db")->database_json, R"({"comment":"c"})");
  EXPECT_EQ(*store->ListTables("db"), std::vector<std::string>{"b"});
  TableRecord b = *store->GetTable(Path("db", "b"));
  EXPECT_EQ(b.table_id, 2);
  EXPECT_EQ(b.schema_id, 2);
  EXPECT_EQ(b.version, 2);
  EXPECT_EQ(store->GetAssignment(b.table_id)->at(2).leader, 7);
  EXPECT_OK(store->GetSchema(b.table_id, 1));
  EXPECT_FALSE(store->GetTableById(1).ok());
  EXPECT_FALSE(store->GetTableById(3).ok());
  // The drops left their records: db.a (id 1) and, by the cascade, other.x (id 3).
  auto dropped = store->ListDroppedTables();
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].path, Path("db", "a"));
  EXPECT_EQ(dropped[0].dropped_time_ms, 5000);
  EXPECT_EQ(dropped[1].table_id, 3);
  // Ids are never reused, writer ids continue past the persisted block.
  EXPECT_EQ(CreateOrDie(*store, Path("db", "n")).table_id, 4);
  EXPECT_GE(*store->AllocateWriterId(), EmbeddedMetadataStore::kWriterIdBlock);
}

TEST_F(MetadataLogTest, AChangeAppendsWhatItChangedNotTheWholeState) {
  auto store = OpenOrDie(dir_.path());
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  auto size = [&] { return std::filesystem::file_size(log_file()); };
  uint64_t before = size();
  CreateOrDie(*store, Path("db", "t0"));
  const uint64_t first = size() - before;
  for (int i = 1; i < 200; ++i) CreateOrDie(*store, Path("db", fmt::format("t{:03}", i)));
  before = size();
  CreateOrDie(*store, Path("db", "t999"));
  const uint64_t later = size() - before;
  // The same table costs the same bytes with 200 tables around it (names and ids differ by a few
  // digits), where a whole-state rewrite would cost 200 times more.
  EXPECT_LE(later, first + 16);
  EXPECT_GE(later + 16, first);
  // And one record per change: the counters and the table.
  auto records = Records(ReadAll(log_file()));
  ASSERT_EQ(records.size(), 203u);  // the initial snapshot, the database, 201 tables
  ASSERT_EQ(records.back().changes.size(), 2u);
  EXPECT_EQ(records.back().changes[0].kind, MetadataObjectKind::kCounters);
  EXPECT_EQ(records.back().changes[1].kind, MetadataObjectKind::kTable);
  EXPECT_EQ(records.back().changes[1].key, "db.t999");
}

TEST_F(MetadataLogTest, DropDatabaseCascadeIsOneRecordAppliedWhole) {
  auto store = OpenOrDie(dir_.path());
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  for (int i = 0; i < 3; ++i) CreateOrDie(*store, Path("db", fmt::format("t{}", i)));
  ASSERT_OK(store->DropDatabase("db", false, true));
  auto records = Records(ReadAll(log_file()));
  // The database and its three tables go, and each table leaves its dropped-table record.
  const auto& last = records.back().changes;
  ASSERT_EQ(last.size(), 7u);
  EXPECT_EQ(last[0].kind, MetadataObjectKind::kDatabase);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(last[i].op, MetadataChange::Op::kDelete) << i;
  for (size_t i = 4; i < 7; ++i) {
    EXPECT_EQ(last[i].kind, MetadataObjectKind::kDroppedTable) << i;
    EXPECT_EQ(last[i].op, MetadataChange::Op::kPut) << i;
  }
  store.reset();
  EXPECT_EQ(OpenOrDie(dir_.path())->ListDroppedTables().size(), 3u);
}

TEST_F(MetadataLogTest, PartitionsAreRecordsOfTheirOwnAndReplay) {
  auto store = OpenOrDie(dir_.path(), [] { return int64_t{5000}; });
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  const auto j = metadata_testing::MakePartitionedTableJson(3);
  auto t = store->CreateTable(Path("db", "t"), j.table, j.schema, 3, {}, false);
  ASSERT_OK(t);
  auto size = [&] { return std::filesystem::file_size(log_file()); };
  uint64_t before = size();
  ASSERT_OK(store->CreatePartition(Path("db", "t"), t->table_id, "p000", metadata_testing::PartitionAssign(3), 1000,
                                   false));
  const uint64_t first = size() - before;
  for (int i = 1; i < 100; ++i) {
    ASSERT_OK(store->CreatePartition(Path("db", "t"), t->table_id, fmt::format("p{:03}", i),
                                     metadata_testing::PartitionAssign(3), 1000, false));
  }
  before = size();
  ASSERT_OK(store->CreatePartition(Path("db", "t"), t->table_id, "p999", metadata_testing::PartitionAssign(3), 1000,
                                   false));
  // A partition costs the same bytes with 100 partitions beside it: the counters and itself.
  EXPECT_LE(size() - before, first + 16);
  auto records = Records(ReadAll(log_file()));
  ASSERT_EQ(records.back().changes.size(), 2u);
  EXPECT_EQ(records.back().changes[0].kind, MetadataObjectKind::kCounters);
  EXPECT_EQ(records.back().changes[0].value, R"({"next_table_id":2,"writer_id_limit":0,"next_partition_id":101})");
  EXPECT_EQ(records.back().changes[1].kind, MetadataObjectKind::kPartition);
  EXPECT_EQ(records.back().changes[1].key, "100");
  EXPECT_EQ(records.back().changes[1].value,
            R"({"database":"db","table":"t","table_id":1,"partition_id":100,"partition_name":"p999","assignment":[)"
            R"({"bucket_id":0,"replicas":[1,2],"leader":-1,"leader_epoch":0,"bucket_epoch":0},)"
            R"({"bucket_id":1,"replicas":[2,3],"leader":-1,"leader_epoch":0,"bucket_epoch":0},)"
            R"({"bucket_id":2,"replicas":[3,1],"leader":-1,"leader_epoch":0,"bucket_epoch":0}]})");
  // A drop deletes the partition and puts its drop record, in one record.
  ASSERT_OK(store->DropPartition(Path("db", "t"), "p000", false));
  records = Records(ReadAll(log_file()));
  ASSERT_EQ(records.back().changes.size(), 2u);
  EXPECT_EQ(records.back().changes[0].kind, MetadataObjectKind::kPartition);
  EXPECT_EQ(records.back().changes[0].op, MetadataChange::Op::kDelete);
  EXPECT_EQ(records.back().changes[1].kind, MetadataObjectKind::kDroppedPartition);
  EXPECT_EQ(records.back().changes[1].value,
            R"({"database":"db","table":"t","table_id":1,"partition_id":0,"partition_name":"p000",)"
            R"("dropped_time_ms":5000})");
  const MetadataState state = StateOfLog(log_file());
  EXPECT_EQ(state.partitions.size(), 100u);
  store.reset();
  auto reopened = OpenOrDie(dir_.path());
  EXPECT_EQ(reopened->ListPartitions(Path("db", "t"))->size(), 100u);
  EXPECT_EQ(reopened->ListDroppedPartitions().size(), 1u);
  // Dropping the table deletes its partitions in the same record.
  ASSERT_OK(reopened->DropTable(Path("db", "t"), false));
  records = Records(ReadAll(log_file()));
  size_t deleted = 0;
  for (const auto& c : records.back().changes) {
    if (c.kind == MetadataObjectKind::kPartition && c.op == MetadataChange::Op::kDelete) ++deleted;
  }
  EXPECT_EQ(deleted, 100u);
}

TEST_F(MetadataLogTest, APartitionOfAMissingTableIsRefusedNamingTheFile) {
  auto store = OpenOrDie(dir_.path());
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  store.reset();
  std::string bytes = ReadAll(log_file());
  MetadataChange counters{MetadataChange::Op::kPut, MetadataObjectKind::kCounters, "",
                          R"({"next_table_id":9,"writer_id_limit":0,"next_partition_id":4})"};
  MetadataChange partition{MetadataChange::Op::kPut, MetadataObjectKind::kPartition, "3",
                           R"({"database":"db","table":"t","table_id":8,"partition_id":3,"partition_name":"x",)"
                           R"("assignment":[]})"};
  bytes += EncodeMetadataLogRecord(Records(bytes).back().sequence + 1, {counters, partition});
  ExpectRefused(bytes, "table 'db.t' partition 'x' (id 3) belongs to table id 8, which is not the live table of that "
                       "name");
}

TEST_F(MetadataLogTest, EveryCutOfTheLastRecordDropsJustThatChange) {
  auto store = OpenOrDie(dir_.path());
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  CreateOrDie(*store, Path("db", "kept"));
  const uint64_t acknowledged = std::filesystem::file_size(log_file());
  CreateOrDie(*store, Path("db", "torn"));
  store.reset();
  const std::string full = ReadAll(log_file());
  std::vector<uint64_t> cuts;
  for (uint64_t cut = acknowledged; cut < full.size(); cut += cut < acknowledged + 14 ? 1 : 37) cuts.push_back(cut);
  cuts.push_back(full.size() - 1);
  for (uint64_t cut : cuts) {
    WriteAll(log_file(), full.substr(0, cut));
    auto reopened = OpenOrDie(dir_.path());
    ASSERT_NE(reopened, nullptr) << "cut at " << cut;
    EXPECT_EQ(*reopened->ListTables("db"), std::vector<std::string>{"kept"}) << "cut at " << cut;
    reopened.reset();
    EXPECT_EQ(std::filesystem::file_size(log_file()), acknowledged) << "the torn tail is cut off";
  }
  // A tail of zeros (a file extended by a crash but never written) is torn too.
  WriteAll(log_file(), full.substr(0, acknowledged) + std::string(300, '\0'));
  auto reopened = OpenOrDie(dir_.path());
  EXPECT_EQ(*reopened->ListTables("db"), std::vector<std::string>{"kept"});
  // And the log goes on from there.
  CreateOrDie(*reopened, Path("db", "after"));
  reopened.reset();
  EXPECT_EQ(*OpenOrDie(dir_.path())->ListTables("db"), (std::vector<std::string>{"after", "kept"}));
}

TEST_F(MetadataLogTest, DamageBeforeTheLastRecordIsAnErrorNamingFileAndOffset) {
  Populate();
  const std::string good = ReadAll(log_file());
  const auto records = Records(good);
  ASSERT_GE(records.size(), 5u);
  const uint64_t middle = records[3].offset;
  // A flipped body byte, a flipped CRC, a flipped length: each an error, never a skip.
  for (uint64_t at : {middle + kMetadataRecordHeaderSize + 9, middle + 5, middle + 1}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    ExpectRefused(bad, fmt::format("record at offset {} is damaged", middle));
  }
  // A record cut out of the middle breaks the sequence.
  std::string gap = good.substr(0, records[3].offset) + good.substr(records[4].offset);
  ExpectRefused(gap, fmt::format("record at offset {} has sequence {} where {} was expected", records[3].offset,
                                 records[4].sequence, records[3].sequence));
  WriteAll(log_file(), good);
  EXPECT_NE(OpenOrDie(dir_.path()), nullptr);
}

TEST_F(MetadataLogTest, EveryFlippedByteIsAnErrorOrDropsOnlyTheLastRecord) {
  Populate();
  const std::string good = ReadAll(log_file());
  const auto records = Records(good);
  const uint64_t last = records.back().offset;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto decoded = DecodeMetadataLog(bad, log_file());
    if (i < last) {
      // Before the last record: an error, or (the flip is in a value, caught by the replay) a state
      // that fails to apply or validate.
      if (!decoded.ok()) continue;
      MetadataState state;
      Status st;
      for (const auto& r : decoded->records) {
        for (const auto& c : r.changes) {
          if (st.ok()) st = ApplyMetadataChange(c, "x", &state);
        }
      }
      if (st.ok()) st = ValidateMetadataState(state, "x");
      ASSERT_FALSE(st.ok() && decoded->records.size() == records.size())
          << "flip at byte " << i << " went unnoticed";
    } else {
      // In the last record: indistinguishable from a torn write; exactly that record goes.
      ASSERT_TRUE(decoded.ok()) << "flip at " << i << ": " << decoded.status().ToString();
      EXPECT_EQ(decoded->records.size(), records.size() - 1) << i;
      EXPECT_EQ(decoded->valid_bytes, last) << i;
    }
  }
}

TEST_F(MetadataLogTest, UnknownHeaderVersionAndForeignFilesAreRefused) {
  Populate();
  std::string good = ReadAll(log_file());
  std::string v2 = good;
  v2.replace(0, kMetadataLogHeader.size(), "fluss-metadata-log v2\n");
  ExpectRefused(v2, "version 'v2' is not supported");
  ExpectRefused("hello\n" + good.substr(kMetadataLogHeader.size()), "malformed header 'hello'");
  ExpectRefused("", "file is empty");
}

TEST_F(MetadataLogTest, UnknownObjectKindIsRefusedNamingTheRecord) {
  Populate();
  std::string bytes = ReadAll(log_file());
  const uint64_t offset = bytes.size();
  MetadataChange change{MetadataChange::Op::kPut, static_cast<MetadataObjectKind>(42), "k", "{}"};
  bytes += EncodeMetadataLogRecord(Records(bytes).back().sequence + 1, {change});
  WriteAll(log_file(), bytes);
  auto store = EmbeddedMetadataStore::Open(dir_.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(store.status().message().find(fmt::format("record at offset {}", offset)), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("object kind 42 is unknown"), std::string::npos) << store.status().message();
}

TEST_F(MetadataLogTest, CompactionRewritesTheStateAsOneSnapshot) {
  EmbeddedMetadataStoreOptions options;
  options.compaction_min_bytes = 16 * 1024;
  auto store = std::move(EmbeddedMetadataStore::Open(dir_.path(), nullptr, options)).value();
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  // Create and drop, so the log grows while the state stays small.
  int i = 0;
  while (store->compactions() == 0 && i < 2000) {
    CreateOrDie(*store, Path("db", fmt::format("t{}", i)));
    if (i % 2 == 1) ASSERT_OK(store->DropTable(Path("db", fmt::format("t{}", i - 1)), false));
    ++i;
  }
  ASSERT_GT(store->compactions(), 0u);
  CreateOrDie(*store, Path("db", "after"));
  const std::vector<std::string> tables = *store->ListTables("db");
  const int64_t next_id = CreateOrDie(*store, Path("db", "probe")).table_id;
  ASSERT_OK(store->DropTable(Path("db", "probe"), false));
  store.reset();
  const auto records = Records(ReadAll(log_file()));
  ASSERT_GE(records.size(), 2u);
  // The first record puts every object of the state at that point (no deletes).
  for (const auto& c : records.front().changes) EXPECT_EQ(c.op, MetadataChange::Op::kPut);
  EXPECT_LT(std::filesystem::file_size(log_file()), 2 * options.compaction_min_bytes);
  auto reopened = std::move(EmbeddedMetadataStore::Open(dir_.path(), nullptr, options)).value();
  EXPECT_EQ(*reopened->ListTables("db"), tables);
  EXPECT_EQ(CreateOrDie(*reopened, Path("db", "next")).table_id, next_id + 1);
}

TEST_F(MetadataLogTest, FailedAppendChangesNothingAndTheStoreGoesOnOnceSpaceReturns) {
  auto store = OpenOrDie(dir_.path());
  ASSERT_OK(store->CreateDatabase("db", "{}", false));
  const uint64_t size = std::filesystem::file_size(log_file());
  {
    FileSizeLimit limit(size + 10);  // the record only partly fits: the write fails half way
    Status st = store->CreateDatabase("other", "{}", false);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), ErrorCode::kStorageException);
    EXPECT_NE(st.message().find(log_file()), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("metadata change not saved"), std::string::npos) << st.message();
    EXPECT_FALSE(store->DatabaseExists("other"));
    EXPECT_EQ(std::filesystem::file_size(log_file()), size);
  }
  ASSERT_OK(store->CreateDatabase("third", "{}", false));
  store.reset();
  EXPECT_EQ(OpenOrDie(dir_.path())->ListDatabases(), (std::vector<std::string>{"db", "third"}));
}

TEST_F(MetadataLogTest, NewStoreFileIsTheDocumentedBytes) {
  auto store = OpenOrDie(dir_.path());
  store.reset();
  // docs/formats/metadata-store.md, "A new store": the header line, then one record (sequence 1)
  // putting the counters.
  const std::string value = R"({"next_table_id":1,"writer_id_limit":0})";
  std::string body;
  body += std::string("\x01\0\0\0\0\0\0\0", 8);  // sequence 1
  body += std::string("\x01\0\0\0", 4);          // one change
  body += std::string("\x01\x01\0\0", 4);        // put, counters, key length 0
  body += std::string("\x27\0\0\0", 4);          // value length 39
  body += value;
  ASSERT_EQ(body.size(), 59u);
  auto le32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  const uint32_t body_crc = crc32c::Value(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  std::string header = le32(59) + le32(body_crc);
  header += le32(crc32c::Value(reinterpret_cast<const uint8_t*>(header.data()), 8));
  EXPECT_EQ(ReadAll(log_file()), std::string(kMetadataLogHeader) + header + body);
  EXPECT_EQ(fmt::format("{:08x} {:08x}", body_crc, crc32c::Value(reinterpret_cast<const uint8_t*>(header.data()), 8)),
            "11735aa2 0fb10ac8")
      << "update the CRCs quoted in docs/formats/metadata-store.md";
}

TEST_F(MetadataLogTest, DiffThenApplyAndSnapshotThenApplyGiveTheState) {
  Populate();
  MetadataState final_state = StateOfLog(log_file());
  MetadataState from_snapshot;
  for (const auto& c : SnapshotMetadataState(final_state)) ASSERT_OK(ApplyMetadataChange(c, "x", &from_snapshot));
  EXPECT_EQ(from_snapshot, final_state);
  MetadataState empty;
  MetadataState patched = empty;
  for (const auto& c : DiffMetadataState(empty, final_state)) ASSERT_OK(ApplyMetadataChange(c, "x", &patched));
  EXPECT_EQ(patched, final_state);
  for (const auto& c : DiffMetadataState(final_state, empty)) ASSERT_OK(ApplyMetadataChange(c, "x", &patched));
  EXPECT_EQ(patched.databases.size(), 0u);
  EXPECT_EQ(patched.tables.size(), 0u);
  EXPECT_TRUE(DiffMetadataState(final_state, final_state).empty());
}

}  // namespace
}  // namespace fluss
