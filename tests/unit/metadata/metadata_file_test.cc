// The metadata.json envelope of the earlier whole-file format, and what Open does with such files: it
// migrates a good one to the record log, refuses a bad one with an error naming it (never starting
// empty over it, never writing a log), and ignores a leftover .tmp.
#include "metadata/metadata_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "metadata/metadata_state.h"
#include "metadata_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using metadata_testing::CreateOrDie;
using metadata_testing::LegacyFileOf;
using metadata_testing::StateOfLog;
using metadata_testing::OpenOrDie;
using metadata_testing::Path;
using metadata_testing::ReadAll;
using metadata_testing::TempDir;
using metadata_testing::WriteAll;

TEST(MetadataEnvelopeTest, HeaderIsMagicVersionCrcAndLength) {
  // CRC-32C of "123456789" is the standard check value e3069283.
  EXPECT_EQ(EncodeMetadataEnvelope("123456789"), "fluss-metadata v1 e3069283 9\n123456789");
  EXPECT_EQ(EncodeMetadataEnvelope(""), "fluss-metadata v1 00000000 0\n");
  auto body = DecodeMetadataEnvelope("fluss-metadata v1 e3069283 9\n123456789", "f");
  ASSERT_OK(body);
  EXPECT_EQ(*body, "123456789");
}

TEST(MetadataEnvelopeTest, MalformedEnvelopesAreCorrupt) {
  struct Case {
    std::string file;
    std::string why;
  };
  std::vector<Case> cases{
      {"", "file is empty"},
      {"{\"next_table_id\":1}", "no header line"},
      {"fluss-metadata v1 e3069283\n123456789", "malformed header"},
      {"fluss-metadata v1 e3069283 9 x\n123456789", "malformed header"},
      {"fluss-metadata  v1 e3069283 9\n123456789", "malformed header"},
      {"fluss-metadatA v1 e3069283 9\n123456789", "malformed header"},
      {"fluss-metadata v1 e306928 9\n123456789", "malformed CRC"},
      {"fluss-metadata v1 e306928g 9\n123456789", "malformed CRC"},
      {"fluss-metadata v1 e3069283 9a\n123456789", "malformed length"},
      {"fluss-metadata v1 e3069283 -9\n123456789", "malformed length"},
      {"fluss-metadata v1 e3069283 9\n12345678", "announces 9 bytes of JSON but 8 follow"},
      {"fluss-metadata v1 e3069283 9\n123456789\n", "announces 9 bytes of JSON but 10 follow"},
      {"fluss-metadata v1 e3069284 9\n123456789", "CRC32C mismatch: header e3069284, content e3069283"},
  };
  for (const auto& c : cases) {
    auto r = DecodeMetadataEnvelope(c.file, "/x/metadata.json");
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord) << c.file;
    EXPECT_NE(r.status().message().find("metadata file '/x/metadata.json': "), std::string::npos);
    EXPECT_NE(r.status().message().find(c.why), std::string::npos) << r.status().message();
  }
  auto v2 = DecodeMetadataEnvelope("fluss-metadata v2 e3069283 9\n123456789", "/x/metadata.json");
  EXPECT_EQ(v2.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(v2.status().message().find("version 'v2' is not supported"), std::string::npos);
}

class MetadataFileOpenTest : public ::testing::Test {
 protected:
  // A legacy metadata.json with a database and two tables (made by a store in another directory);
  // returns the file's bytes.
  std::string Populate() {
    TempDir scratch;
    {
      auto store = OpenOrDie(scratch.path());
      EXPECT_OK(store->CreateDatabase("db", R"({"comment":"c"})", false));
      CreateOrDie(*store, Path("db", "a"));
      CreateOrDie(*store, Path("db", "b"), 2);
    }
    const std::string bytes = LegacyFileOf(StateOfLog(scratch.Sub(EmbeddedMetadataStore::kFileName)));
    WriteAll(file(), bytes);
    return bytes;
  }
  std::string file() const { return dir_.Sub(EmbeddedMetadataStore::kLegacyFileName); }
  std::string log_file() const { return dir_.Sub(EmbeddedMetadataStore::kFileName); }

  // Opening must fail with a corruption error naming the file, leave the file as it was and write no
  // log.
  void ExpectRefused(const std::string& bytes, const std::string& why = "") {
    WriteAll(file(), bytes);
    auto store = EmbeddedMetadataStore::Open(dir_.path());
    ASSERT_FALSE(store.ok());
    EXPECT_TRUE(store.status().code() == ErrorCode::kCorruptRecord ||
                store.status().code() == ErrorCode::kUnsupportedVersion)
        << store.status().ToString();
    EXPECT_NE(store.status().message().find(file()), std::string::npos) << store.status().message();
    EXPECT_NE(store.status().message().find(why), std::string::npos) << store.status().message();
    EXPECT_EQ(ReadAll(file()), bytes);
    EXPECT_FALSE(std::filesystem::exists(log_file()));
  }

  // A file with a correct envelope around `body`.
  std::string Envelope(const std::string& body) { return EncodeMetadataEnvelope(body); }

  TempDir dir_;
};

TEST_F(MetadataFileOpenTest, LegacyFileIsMigratedToTheRecordLogAndKeptAsMigrated) {
  const std::string legacy = Populate();
  const MetadataState before = *DecodeMetadataState(*DecodeMetadataEnvelope(legacy, file()), file());
  {
    auto store = OpenOrDie(dir_.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->ListTables("db"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(store->GetDatabase("db")->database_json, R"({"comment":"c"})");
    EXPECT_EQ(store->GetTable(Path("db", "b"))->bucket_count, 2);
    // A change after the migration goes to the log.
    CreateOrDie(*store, Path("db", "c"));
  }
  EXPECT_FALSE(std::filesystem::exists(file()));
  EXPECT_EQ(ReadAll(file() + EmbeddedMetadataStore::kMigratedSuffix), legacy);
  MetadataState after = StateOfLog(log_file());
  EXPECT_EQ(after.tables.size(), 3u);
  after.tables.erase(Path("db", "c"));
  after.table_ids.erase(3);
  after.next_table_id = before.next_table_id;
  EXPECT_EQ(after, before);
  // Opens again from the log alone.
  auto store = OpenOrDie(dir_.path());
  EXPECT_EQ(*store->ListTables("db"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(MetadataFileOpenTest, LegacyFileBesideALogIsSetAsideAndTheLogWins) {
  // A crash after the migration wrote the log but before it renamed metadata.json.
  Populate();
  { OpenOrDie(dir_.path()); }
  std::filesystem::rename(file() + EmbeddedMetadataStore::kMigratedSuffix, file());
  {
    auto store = OpenOrDie(dir_.path());
    CreateOrDie(*store, Path("db", "c"));
  }
  WriteAll(file(), LegacyFileOf(MetadataState{}));  // an old binary started over, empty
  auto store = OpenOrDie(dir_.path());
  EXPECT_EQ(*store->ListTables("db"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(std::filesystem::exists(file()));
}

TEST_F(MetadataFileOpenTest, EveryFlippedByteIsDetected) {
  const std::string good = Populate();
  ASSERT_GT(good.size(), 100u);
  // Every position through the decoding Open uses (in memory: fast), ...
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto body = DecodeMetadataEnvelope(bad, file());
    ASSERT_FALSE(body.ok() && DecodeMetadataState(*body, file()).ok()) << "flip at byte " << i << " went unnoticed";
  }
  // ... and a sample of positions through Open itself.
  for (size_t i :
       {size_t{0}, size_t{15}, size_t{18}, good.find('\n'), good.find('\n') + 1, good.size() / 2, good.size() - 1}) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    ExpectRefused(bad);
  }
  WriteAll(file(), good);
  auto store = OpenOrDie(dir_.path());
  EXPECT_EQ(*store->ListTables("db"), (std::vector<std::string>{"a", "b"}));
}

TEST_F(MetadataFileOpenTest, FlippedBodyByteIsACrcMismatch) {
  std::string bad = Populate();
  bad[bad.size() - 5] ^= 0x20;
  ExpectRefused(bad, "CRC32C mismatch");
}

TEST_F(MetadataFileOpenTest, TruncatedFileIsRefused) {
  const std::string good = Populate();
  ExpectRefused(good.substr(0, good.size() - 1), "truncated or extended");
  ExpectRefused(good.substr(0, good.find('\n') + 1), "truncated or extended");
  ExpectRefused(good.substr(0, 10), "no header line");
  ExpectRefused("", "file is empty");
}

TEST_F(MetadataFileOpenTest, UnknownVersionIsRefused) {
  std::string bad = Populate();
  bad.replace(bad.find(" v1 "), 4, " v9 ");
  ExpectRefused(bad, "version 'v9' is not supported");
}

TEST_F(MetadataFileOpenTest, WellFramedButInvalidContentIsRefused) {
  Populate();
  ExpectRefused(Envelope("not json"), "content is not valid JSON");
  ExpectRefused(Envelope("[]"), "is not a JSON object");
  ExpectRefused(Envelope(R"({"databases":[],"tables":[],"writer_id_limit":0})"), "has no field 'next_table_id'");
  ExpectRefused(Envelope(R"({"databases":[],"next_table_id":"1","tables":[],"writer_id_limit":0})"),
                "field 'next_table_id' is not an integer");
  ExpectRefused(Envelope(R"({"databases":[{"name":"db"}],"next_table_id":1,"tables":[],"writer_id_limit":0})"),
                "database #0 has no field 'database'");
  // A table whose database is missing, and one whose id was never allocated.
  const std::string table =
      R"({"database":"db","table":"t","table_id":1,"schema_id":1,"bucket_count":1,"created_time_ms":0,)"
      R"("modified_time_ms":0,"version":0,"descriptor":{},"schemas":[{"schema_id":1,"schema":{}}],"assignment":[]})";
  ExpectRefused(Envelope(R"({"databases":[],"next_table_id":2,"tables":[)" + table + R"(],"writer_id_limit":0})"),
                "table 'db.t' belongs to missing database 'db'");
  const std::string db = R"({"name":"db","database":{},"created_time_ms":0,"modified_time_ms":0,"version":0})";
  ExpectRefused(
      Envelope(R"({"databases":[)" + db + R"(],"next_table_id":1,"tables":[)" + table + R"(],"writer_id_limit":0})"),
      "table 'db.t' has id 1 outside 1..0");
  // The same table is fine when the id counter is past it.
  WriteAll(file(), Envelope(R"({"databases":[)" + db + R"(],"next_table_id":2,"tables":[)" + table +
                            R"(],"writer_id_limit":0})"));
  auto store = OpenOrDie(dir_.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetTableById(1)->path, Path("db", "t"));
}

TEST_F(MetadataFileOpenTest, LeftoverTmpFilesAreIgnoredAndRemoved) {
  Populate();
  WriteAll(file() + ".tmp", "fluss-metadata v1 0000");  // a legacy write cut short by a crash
  {
    auto store = OpenOrDie(dir_.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->ListTables("db"), (std::vector<std::string>{"a", "b"}));
  }
  EXPECT_FALSE(std::filesystem::exists(file() + ".tmp"));
  const std::string log = ReadAll(log_file());
  WriteAll(log_file() + ".tmp", std::string(kMetadataLogHeader) + "partial compaction");
  auto store = OpenOrDie(dir_.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->ListTables("db"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(std::filesystem::exists(log_file() + ".tmp"));
  EXPECT_EQ(ReadAll(log_file()), log);
}

TEST_F(MetadataFileOpenTest, TmpWithoutCommittedFileStartsEmpty) {
  // A crash before the first rename: nothing was ever committed.
  WriteAll(log_file() + ".tmp", "partial");
  auto store = OpenOrDie(dir_.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->ListDatabases().empty());
  EXPECT_FALSE(std::filesystem::exists(log_file() + ".tmp"));
}

}  // namespace
}  // namespace fluss
