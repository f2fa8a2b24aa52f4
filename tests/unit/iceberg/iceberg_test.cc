#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "fs/fault_injection_file_system.h"
#include "lake/avro/avro_container.h"
#include "lake/iceberg/iceberg_schema.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/iceberg/manifest.h"
#include "lake/iceberg/manifest_list.h"
#include "lake/iceberg/single_value.h"
#include "lake/iceberg/table_metadata.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss::iceberg {
namespace {

using testing::TempDir;

namespace fs = std::filesystem;


Schema TestSchema() {
  auto s = Schema::Make({{"id", DataType::BigInt(), -1, ""},
                         {"name", DataType::String(), -1, "the name"},
                         {"price", DataType::Decimal(10, 2), -1, ""},
                         {"ts", DataType::TimestampLtz(6), -1, ""}},
                        {"id"});
  EXPECT_OK(s);
  return *s;
}

DataFile MakeFile(const std::string& path, int64_t records) {
  DataFile f;
  f.file_path = path;
  f.record_count = records;
  f.file_size_in_bytes = records * 10 + 100;
  f.column_sizes = {{0, 80}, {1, 200}};
  f.value_counts = {{0, records}, {1, records}};
  f.null_value_counts = {{0, 0}, {1, 3}};
  f.lower_bounds = {{0, SerializeLong(1)}, {1, SerializeString("a")}};
  f.upper_bounds = {{0, SerializeLong(records)}, {1, SerializeString("zz")}};
  f.split_offsets = {4};
  return f;
}

TEST(IcebergSchema, ColumnIdsBecomeFieldIdsAndTypesMap) {
  auto s = Schema::Make({{"b", DataType::Boolean(), 3, ""},
                         {"t", DataType::TinyInt(), 4, ""},
                         {"i", DataType::Int().NotNull(), 5, ""},
                         {"l", DataType::BigInt(), 6, ""},
                         {"f", DataType::Float(), 7, ""},
                         {"d", DataType::Double(), 8, ""},
                         {"dec", DataType::Decimal(38, 10), 9, ""},
                         {"c", DataType::Char(3), 10, ""},
                         {"s", DataType::String(), 11, ""},
                         {"bin", DataType::Binary(16), 12, ""},
                         {"by", DataType::Bytes(), 13, ""},
                         {"date", DataType::Date(), 14, ""},
                         {"time", DataType::Time(3), 15, ""},
                         {"ts", DataType::Timestamp(6), 16, ""},
                         {"tsz", DataType::TimestampLtz(3), 17, ""}});
  ASSERT_OK(s);
  auto j = IcebergSchemaJson(*s, 4);
  ASSERT_OK(j);
  EXPECT_EQ((*j)["type"], "struct");
  EXPECT_EQ((*j)["schema-id"], 4);
  std::vector<std::string> types;
  for (const auto& f : (*j)["fields"]) types.push_back(f["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"boolean", "int", "int", "long", "float", "double", "decimal(38, 10)",
                                             "string", "string", "fixed[16]", "binary", "date", "time", "timestamp",
                                             "timestamptz"}));
  EXPECT_EQ((*j)["fields"][2]["id"], 5);
  EXPECT_EQ((*j)["fields"][2]["required"], true);
  EXPECT_EQ((*j)["fields"][3]["required"], false);
  EXPECT_EQ(HighestFieldId(*j), 17);
}

TEST(IcebergSchema, PrimaryKeyBecomesIdentifierFields) {
  auto j = IcebergSchemaJson(TestSchema(), 0);
  ASSERT_OK(j);
  EXPECT_EQ((*j)["identifier-field-ids"], nlohmann::json::array({0}));
  EXPECT_EQ((*j)["fields"][1]["doc"], "the name");
}

TEST(SingleValue, EncodingsFollowTheSpec) {
  EXPECT_EQ(SerializeInt(1), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(SerializeLong(-2), (std::vector<uint8_t>{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(SerializeBoolean(true), (std::vector<uint8_t>{1}));
  EXPECT_EQ(SerializeDouble(1.0), (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  EXPECT_EQ(SerializeDecimal(12345), (std::vector<uint8_t>{0x30, 0x39}));
  EXPECT_EQ(SerializeDecimal(-1), (std::vector<uint8_t>{0xff}));
  EXPECT_EQ(SerializeDecimal(128), (std::vector<uint8_t>{0x00, 0x80}));
  EXPECT_EQ(SerializeDecimal(-129), (std::vector<uint8_t>{0xff, 0x7f}));
  EXPECT_EQ(SerializeDecimal(0), (std::vector<uint8_t>{0x00}));
  for (__int128 v : {__int128{0}, __int128{-129}, __int128{1} << 100, -(__int128{1} << 100)}) {
    auto back = DeserializeDecimal(SerializeDecimal(v));
    ASSERT_OK(back);
    EXPECT_TRUE(*back == v);
  }
  EXPECT_FALSE(DeserializeLong({1, 2}).ok());
}

TEST(Manifest, WritesTheSpecSchemaWithFieldIdsAndHeader) {
  ManifestWriteOptions o;
  o.table_schema_json = R"({"type":"struct","schema-id":0,"fields":[]})";
  ManifestEntry e;
  e.snapshot_id = 7;
  e.sequence_number = 1;
  e.file_sequence_number = 1;
  e.data_file = MakeFile("file:///d/a.parquet", 10);
  auto bytes = WriteManifest(o, {e});
  ASSERT_OK(bytes);
  auto c = avro::ReadAvroFile(*bytes);
  ASSERT_OK(c);
  EXPECT_EQ(c->metadata["format-version"], "2");
  EXPECT_EQ(c->metadata["content"], "data");
  EXPECT_EQ(c->metadata["partition-spec"], "[]");
  EXPECT_EQ(c->metadata["partition-spec-id"], "0");
  EXPECT_EQ(c->metadata["schema-id"], "0");
  EXPECT_EQ(c->metadata["schema"], o.table_schema_json);
  EXPECT_EQ(c->metadata["avro.codec"], "deflate");
  const auto& root = c->schema.root();
  EXPECT_EQ(root.name, "manifest_entry");
  EXPECT_EQ(root.fields[*root.FieldIndex("status")].field_id(), 0);
  EXPECT_EQ(root.fields[*root.FieldIndex("data_file")].field_id(), 2);
  const auto& df = *root.fields[*root.FieldIndex("data_file")].type;
  EXPECT_EQ(df.fields[*df.FieldIndex("content")].field_id(), 134);
  EXPECT_EQ(df.fields[*df.FieldIndex("lower_bounds")].field_id(), 125);
  EXPECT_EQ(df.fields[*df.FieldIndex("lower_bounds")].type->branches[1]->items->fields[0].field_id(), 126);
  EXPECT_EQ(df.fields[*df.FieldIndex("split_offsets")].type->branches[1]->attrs["element-id"], 133);
}

TEST(Manifest, RoundTrips) {
  ManifestWriteOptions o;
  o.table_schema_json = "{}";
  std::vector<ManifestEntry> entries;
  for (int i = 0; i < 5; ++i) {
    ManifestEntry e;
    e.snapshot_id = 100 + i;
    if (i % 2 == 0) {
      e.sequence_number = i;
      e.file_sequence_number = i;
    }
    e.data_file = MakeFile("file:///d/" + std::to_string(i) + ".parquet", i * 7);
    if (i == 3) {
      e.data_file.column_sizes.clear();
      e.data_file.lower_bounds.clear();
      e.data_file.split_offsets.clear();
      e.data_file.sort_order_id = 0;
    }
    entries.push_back(e);
  }
  for (auto codec : {avro::AvroCodec::kNull, avro::AvroCodec::kDeflate}) {
    o.codec = codec;
    auto bytes = WriteManifest(o, entries);
    ASSERT_OK(bytes);
    auto m = ReadManifest(*bytes);
    ASSERT_OK(m);
    EXPECT_EQ(m->entries, entries);
  }
}

TEST(Manifest, WrongFieldIdsAreCorruption) {
  ManifestWriteOptions o;
  o.codec = avro::AvroCodec::kNull;
  ManifestEntry e;
  e.data_file = MakeFile("file:///x", 1);
  auto bytes = WriteManifest(o, {e});
  ASSERT_OK(bytes);
  // Same length rewrite inside the embedded schema: file_path's field-id 100 -> 190.
  std::string s(bytes->begin(), bytes->end());
  size_t at = s.find(R"("name":"file_path","type":"string","field-id":100)");
  ASSERT_NE(at, std::string::npos);
  s[at + std::string(R"("name":"file_path","type":"string","field-id":1)").size()] = '9';
  auto m = ReadManifest(std::vector<uint8_t>(s.begin(), s.end()));
  EXPECT_EQ(m.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_NE(m.status().message().find("file_path"), std::string::npos) << m.status().ToString();
}

DataFile MakeDeleteFile(const std::string& path, int64_t records, std::vector<int32_t> ids = {0}) {
  DataFile f;
  f.content = DataFileContent::kEqualityDeletes;
  f.file_path = path;
  f.record_count = records;
  f.file_size_in_bytes = records * 8 + 50;
  f.value_counts = {{0, records}};
  f.equality_ids = std::move(ids);
  return f;
}

TEST(Manifest, DeleteManifestRoundTripsWithEqualityIds) {
  ManifestWriteOptions o;
  o.content = ManifestContent::kDeletes;
  o.table_schema_json = "{}";
  std::vector<ManifestEntry> entries;
  for (int i = 0; i < 3; ++i) {
    ManifestEntry e;
    e.snapshot_id = 9;
    e.data_file = MakeDeleteFile("file:///d/del-" + std::to_string(i) + ".parquet", i + 1,
                                 i == 2 ? std::vector<int32_t>{0, 3} : std::vector<int32_t>{0});
    entries.push_back(e);
  }
  for (auto codec : {avro::AvroCodec::kNull, avro::AvroCodec::kDeflate}) {
    o.codec = codec;
    auto bytes = WriteManifest(o, entries);
    ASSERT_OK(bytes);
    auto c = avro::ReadAvroFile(*bytes);
    ASSERT_OK(c);
    EXPECT_EQ(c->metadata["content"], "deletes");
    const auto& df = *c->schema.root().fields[*c->schema.root().FieldIndex("data_file")].type;
    const auto& eq = df.fields[*df.FieldIndex("equality_ids")];
    EXPECT_EQ(eq.field_id(), 135);
    EXPECT_EQ(eq.type->branches[1]->attrs["element-id"], 136);
    auto m = ReadManifest(*bytes);
    ASSERT_OK(m);
    EXPECT_EQ(m->content, ManifestContent::kDeletes);
    EXPECT_EQ(m->entries, entries);
    EXPECT_EQ(m->entries[2].data_file.equality_ids, std::vector<int32_t>({0, 3}));
  }
}

TEST(Manifest, DataAndDeleteFilesKeepToTheirManifestKind) {
  ManifestWriteOptions data;
  ManifestWriteOptions deletes;
  deletes.content = ManifestContent::kDeletes;
  ManifestEntry d;
  d.data_file = MakeFile("file:///d/a.parquet", 3);
  ManifestEntry del;
  del.data_file = MakeDeleteFile("file:///d/del.parquet", 2);
  EXPECT_EQ(WriteManifest(data, {del}).status().code(), ErrorCode::kInvalidConfig) << "delete file in a data manifest";
  EXPECT_EQ(WriteManifest(deletes, {d}).status().code(), ErrorCode::kInvalidConfig) << "data file in a delete manifest";
  ManifestEntry no_ids = del;
  no_ids.data_file.equality_ids.clear();
  EXPECT_FALSE(WriteManifest(deletes, {no_ids}).ok());
  ManifestEntry data_with_ids = d;
  data_with_ids.data_file.equality_ids = {0};
  EXPECT_FALSE(WriteManifest(data, {data_with_ids}).ok());
}

// Rewrites `from` to `to` once in `bytes` (the header and the embedded schema are plain text in an
// uncompressed container).
std::vector<uint8_t> Rewrite(const std::vector<uint8_t>& bytes, const std::string& from, const std::string& to) {
  std::string s(bytes.begin(), bytes.end());
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST(Manifest, DeleteManifestCorruptionIsAnError) {
  ManifestWriteOptions o;
  o.codec = avro::AvroCodec::kNull;
  o.content = ManifestContent::kDeletes;
  ManifestEntry del;
  del.data_file = MakeDeleteFile("file:///d/del.parquet", 2);
  auto bytes = WriteManifest(o, {del});
  ASSERT_OK(bytes);
  ASSERT_OK(ReadManifest(*bytes));
  // An equality delete file whose schema has no equality_ids: nothing says which columns match.
  auto no_ids = ReadManifest(Rewrite(*bytes, R"("name":"equality_ids")", R"("name":"equality_idz")"));
  EXPECT_EQ(no_ids.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_NE(no_ids.status().message().find("equality_ids"), std::string::npos) << no_ids.status().ToString();
  // A delete file under a "data" header (the header value's length byte changes with it).
  auto as_data = ReadManifest(Rewrite(*bytes, "\x0e" "deletes", "\x08" "data"));
  EXPECT_EQ(as_data.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_NE(as_data.status().message().find("delete file in a data manifest"), std::string::npos)
      << as_data.status().ToString();
  // An unknown content.
  auto odd = ReadManifest(Rewrite(*bytes, "\x0e" "deletes", "\x0e" "deleted"));
  EXPECT_EQ(odd.status().code(), ErrorCode::kCorruptRecord);
  // Equality ids that are not ints.
  auto longs = ReadManifest(Rewrite(*bytes, R"("items":"int","element-id":136)", R"("items":"long","element-id":136)"));
  EXPECT_FALSE(longs.ok());
}

TEST(ManifestList, RoundTripsWithFieldIdsAndHeader) {
  ManifestFile a;
  a.manifest_path = "file:///t/metadata/a-m0.avro";
  a.manifest_length = 1234;
  a.sequence_number = 3;
  a.min_sequence_number = 2;
  a.added_snapshot_id = 99;
  a.added_files_count = 2;
  a.existing_files_count = 1;
  a.added_rows_count = 20;
  a.existing_rows_count = 5;
  ManifestFile b = a;
  b.manifest_path = "file:///t/metadata/b-m0.avro";
  b.partitions = {PartitionFieldSummary{true, false, std::vector<uint8_t>{1}, std::vector<uint8_t>{9}},
                  PartitionFieldSummary{}};
  ManifestListWriteOptions o;
  o.snapshot_id = 99;
  o.parent_snapshot_id = 98;
  o.sequence_number = 3;
  auto bytes = WriteManifestList(o, {a, b});
  ASSERT_OK(bytes);
  auto l = ReadManifestList(*bytes);
  ASSERT_OK(l);
  EXPECT_EQ(l->manifests, (std::vector<ManifestFile>{a, b}));
  EXPECT_EQ(l->metadata["snapshot-id"], "99");
  EXPECT_EQ(l->metadata["parent-snapshot-id"], "98");
  EXPECT_EQ(l->metadata["sequence-number"], "3");
  EXPECT_EQ(l->metadata["format-version"], "2");
  auto schema = avro::AvroSchema::Parse(ManifestFileAvroSchema());
  ASSERT_OK(schema);
  const auto& root = schema->root();
  EXPECT_EQ(root.fields[*root.FieldIndex("manifest_path")].field_id(), 500);
  EXPECT_EQ(root.fields[*root.FieldIndex("min_sequence_number")].field_id(), 516);
  EXPECT_EQ(root.fields[*root.FieldIndex("partitions")].type->branches[1]->attrs["element-id"], 508);
}

TEST(Manifest, FlippedBytesAndTruncationsNeverCrash) {
  ManifestWriteOptions o;
  o.codec = avro::AvroCodec::kNull;
  std::vector<ManifestEntry> entries(3);
  for (int i = 0; i < 3; ++i) entries[i].data_file = MakeFile("file:///d/" + std::to_string(i), i + 1);
  auto bytes = WriteManifest(o, entries);
  ASSERT_OK(bytes);
  for (size_t i = 0; i < bytes->size(); ++i) {
    auto copy = *bytes;
    copy[i] ^= 0x41;
    (void)ReadManifest(copy);
    (void)ReadManifestList(copy);
    EXPECT_FALSE(ReadManifest(std::span<const uint8_t>(bytes->data(), i)).ok() &&
                 ReadManifest(std::span<const uint8_t>(bytes->data(), i))->entries.size() == 3);
  }
}

TEST(ManifestList, ManifestIsNotAManifestList) {
  ManifestEntry e;
  e.data_file = MakeFile("file:///x", 1);
  auto bytes = WriteManifest({}, {e});
  ASSERT_OK(bytes);
  EXPECT_EQ(ReadManifestList(*bytes).status().code(), ErrorCode::kCorruptRecord);
}

TEST(TableMetadata, JsonRoundTripsAndHasTheRequiredFields) {
  TableMetadata m;
  m.table_uuid = "9c12d441-03fe-4693-9a96-a0705ddf69c1";
  m.location = "file:///w/db/t";
  m.last_sequence_number = 1;
  m.last_updated_ms = 1700000000000;
  m.last_column_id = 3;
  m.schemas.push_back(*IcebergSchemaJson(TestSchema(), 0));
  m.properties = {{"owner", "fluss"}};
  Snapshot s;
  s.snapshot_id = 42;
  s.sequence_number = 1;
  s.timestamp_ms = 1700000000000;
  s.manifest_list = "file:///w/db/t/metadata/snap-42-1-x.avro";
  s.summary = {{"operation", "append"}};
  s.schema_id = 0;
  m.snapshots.push_back(s);
  m.current_snapshot_id = 42;
  m.snapshot_log.push_back({s.timestamp_ms, 42});
  m.metadata_log.push_back({1699999999999, "file:///w/db/t/metadata/v1.metadata.json"});
  nlohmann::json j = m.ToJson();
  for (const char* key : {"format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
                          "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id",
                          "last-partition-id", "sort-orders", "default-sort-order-id"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["format-version"], 2);
  EXPECT_EQ(j["refs"]["main"]["snapshot-id"], 42);
  auto back = TableMetadata::FromJson(j);
  ASSERT_OK(back);
  EXPECT_EQ(*back, m);
}

TEST(TableMetadata, CorruptMetadataIsAnError) {
  TableMetadata m;
  m.table_uuid = "u";
  m.location = "file:///t";
  m.schemas.push_back(*IcebergSchemaJson(TestSchema(), 0));
  nlohmann::json good = m.ToJson();
  ASSERT_OK(TableMetadata::FromJson(good));
  EXPECT_FALSE(TableMetadata::Parse("{not json").ok());
  EXPECT_FALSE(TableMetadata::Parse("[]").ok());
  for (const char* key : {"format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
                          "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id",
                          "last-partition-id", "sort-orders", "default-sort-order-id"}) {
    nlohmann::json bad = good;
    bad.erase(key);
    EXPECT_FALSE(TableMetadata::FromJson(bad).ok()) << key;
  }
  nlohmann::json v1 = good;
  v1["format-version"] = 1;
  EXPECT_EQ(TableMetadata::FromJson(v1).status().code(), ErrorCode::kUnsupportedVersion);
  nlohmann::json no_snapshot = good;
  no_snapshot["current-snapshot-id"] = 5;
  EXPECT_FALSE(TableMetadata::FromJson(no_snapshot).ok());
  nlohmann::json no_schema = good;
  no_schema["current-schema-id"] = 3;
  EXPECT_FALSE(TableMetadata::FromJson(no_schema).ok());
  nlohmann::json wrong_type = good;
  wrong_type["last-column-id"] = "3";
  EXPECT_FALSE(TableMetadata::FromJson(wrong_type).ok());
}

// A power cut at every write, fsync, link and rename of a commit (FaultInjectionFileSystem): the
// table then opens at the old snapshot or the new one, never a version whose manifests are missing;
// a commit that returned OK is there.
TEST(IcebergTable, APowerCutAtEveryStepOfACommitLeavesTheOldOrTheNewSnapshot) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db/orders";
  auto created = IcebergTable::Create(dir, TestSchema());
  ASSERT_OK(created);
  auto first = created->Append({MakeFile("file://" + dir + "/data/a.parquet", 10)});
  ASSERT_OK(first);
  const std::string saved = tmp.path() + "/saved";
  fs::copy(dir, saved, fs::copy_options::recursive);
  auto restore = [&] {
    fs::remove_all(dir);
    fs::copy(saved, dir, fs::copy_options::recursive);
  };
  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting;
    auto t = IcebergTable::Open(dir, counting);
    ASSERT_OK(t);
    ASSERT_OK(t->Append({MakeFile("file://" + dir + "/data/b.parquet", 5)}));
    steps = counting.operations();
  }
  ASSERT_GE(steps, 12);  // manifest, manifest list, metadata version (temporary + link), hint
  for (int64_t k = 1; k <= steps; ++k) {
    SCOPED_TRACE(k);
    restore();
    FaultInjectionFileSystem faulty;
    faulty.FailFrom(k);
    bool ok = false;
    {
      auto t = IcebergTable::Open(dir, faulty);
      ASSERT_OK(t);
      ok = t->Append({MakeFile("file://" + dir + "/data/b.parquet", 5)}).ok();
    }
    ASSERT_OK(faulty.PowerCut());
    auto reopened = IcebergTable::Open(dir);
    ASSERT_OK(reopened);
    auto files = reopened->ListDataFiles();
    ASSERT_OK(files);
    const int64_t version = reopened->version();
    EXPECT_TRUE(version == 2 || version == 3) << version;
    EXPECT_EQ(files->size(), static_cast<size_t>(version - 1));
    if (ok) { EXPECT_EQ(version, 3) << "an acknowledged commit was lost"; }
  }
}

TEST(IcebergTable, CreateAppendAndReadBack) {
  TempDir tmp;
  std::string dir = tmp.path() + "/db/orders";
  auto t = IcebergTable::Create(dir, TestSchema(), {{"fluss.table", "db.orders"}});
  ASSERT_OK(t);
  EXPECT_EQ(t->version(), 1);
  EXPECT_TRUE(fs::exists(dir + "/metadata/v1.metadata.json"));
  auto empty = t->ListDataFiles();
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());

  auto s1 = t->Append({MakeFile("file://" + dir + "/data/a.parquet", 10), MakeFile("file://" + dir + "/data/b.parquet", 5)},
                      {{"fluss-offsets", R"({"0":10,"1":5})"}});
  ASSERT_OK(s1);
  auto s2 = t->Append({MakeFile("file://" + dir + "/data/c.parquet", 7)}, {{"fluss-offsets", R"({"0":17,"1":5})"}});
  ASSERT_OK(s2);
  EXPECT_EQ(t->version(), 3);
  EXPECT_EQ(s2->parent_snapshot_id, s1->snapshot_id);
  EXPECT_EQ(s2->sequence_number, 2);
  EXPECT_EQ(s2->summary.at("total-records"), "22");
  EXPECT_EQ(s2->summary.at("total-data-files"), "3");
  EXPECT_EQ(s2->summary.at("fluss-offsets"), R"({"0":17,"1":5})");

  std::ifstream hint(dir + "/metadata/version-hint.text");
  std::string h;
  hint >> h;
  EXPECT_EQ(h, "3");

  auto reopened = IcebergTable::Open(dir);
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->version(), 3);
  EXPECT_EQ(reopened->metadata(), t->metadata());
  EXPECT_EQ(reopened->metadata().properties.at("fluss.table"), "db.orders");
  EXPECT_EQ(reopened->metadata().CurrentSnapshot()->summary.at("fluss-offsets"), R"({"0":17,"1":5})");
  EXPECT_EQ(reopened->metadata().metadata_log.size(), 2u);
  auto files = reopened->ListDataFiles();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 3u);
  std::set<std::string> paths;
  for (const auto& e : *files) {
    paths.insert(e.data_file.file_path);
    if (e.data_file.file_path.ends_with("c.parquet")) {
      EXPECT_EQ(e.sequence_number, 2);
      EXPECT_EQ(e.snapshot_id, s2->snapshot_id);
      EXPECT_EQ(e.data_file, MakeFile("file://" + dir + "/data/c.parquet", 7));
    } else {
      EXPECT_EQ(e.sequence_number, 1);
    }
  }
  EXPECT_EQ(paths.size(), 3u);
}

TEST(IcebergTable, CommitWithEqualityDeletesIsAnOverwriteAndListsDeleteEntries) {
  TempDir tmp;
  std::string dir = tmp.path() + "/db/users";
  auto t = IcebergTable::Create(dir, TestSchema());
  ASSERT_OK(t);
  auto s1 = t->Append({MakeFile("file://" + dir + "/data/a.parquet", 10)}, {{"k", "1"}});
  ASSERT_OK(s1);
  EXPECT_EQ(s1->summary.at("operation"), "append");
  EXPECT_EQ(s1->summary.count("added-delete-files"), 0u);
  auto s2 = t->Commit({MakeFile("file://" + dir + "/data/b.parquet", 4)},
                      {MakeDeleteFile("file://" + dir + "/data/b-del.parquet", 3)}, {{"k", "2"}});
  ASSERT_OK(s2);
  EXPECT_EQ(s2->summary.at("operation"), "overwrite");
  EXPECT_EQ(s2->summary.at("added-data-files"), "1");
  EXPECT_EQ(s2->summary.at("added-records"), "4");
  EXPECT_EQ(s2->summary.at("added-delete-files"), "1");
  EXPECT_EQ(s2->summary.at("added-equality-delete-files"), "1");
  EXPECT_EQ(s2->summary.at("added-equality-deletes"), "3");
  EXPECT_EQ(s2->summary.at("total-data-files"), "2");
  EXPECT_EQ(s2->summary.at("total-records"), "14");
  EXPECT_EQ(s2->summary.at("total-delete-files"), "1");
  EXPECT_EQ(s2->summary.at("total-equality-deletes"), "3");
  EXPECT_EQ(s2->summary.at("total-position-deletes"), "0");
  EXPECT_EQ(s2->summary.at("added-files-size"), std::to_string(4 * 10 + 100 + 3 * 8 + 50));
  // Deletes alone, and the totals carried by a later plain append.
  auto s3 = t->Commit({}, {MakeDeleteFile("file://" + dir + "/data/c-del.parquet", 2)});
  ASSERT_OK(s3);
  auto s4 = t->Append({MakeFile("file://" + dir + "/data/d.parquet", 1)});
  ASSERT_OK(s4);
  EXPECT_EQ(s4->summary.at("operation"), "append");
  EXPECT_EQ(s4->summary.at("total-delete-files"), "2");
  EXPECT_EQ(s4->summary.at("total-equality-deletes"), "5");

  auto reopened = IcebergTable::Open(dir);
  ASSERT_OK(reopened);
  auto files = reopened->ListFiles();
  ASSERT_OK(files);
  ASSERT_EQ(files->data.size(), 3u);
  ASSERT_EQ(files->deletes.size(), 2u);
  std::map<std::string, int64_t> seq;
  for (const auto* group : {&files->data, &files->deletes}) {
    for (const auto& e : *group) seq[fs::path(e.data_file.file_path).filename().string()] = *e.sequence_number;
  }
  EXPECT_EQ(seq, (std::map<std::string, int64_t>{
                     {"a.parquet", 1}, {"b.parquet", 2}, {"b-del.parquet", 2}, {"c-del.parquet", 3}, {"d.parquet", 4}}));
  for (const auto& e : files->deletes) {
    EXPECT_EQ(e.data_file.content, DataFileContent::kEqualityDeletes);
    EXPECT_EQ(e.data_file.equality_ids, std::vector<int32_t>({0}));
  }
  EXPECT_EQ(reopened->ListDataFiles().value().size(), 3u);
  // The manifest list marks the delete manifest content 1.
  auto list_path = IcebergTable::LocalPath(reopened->metadata().CurrentSnapshot()->manifest_list).value();
  auto list = ReadManifestList(avro::ReadWholeFile(list_path).value()).value();
  int deletes = 0;
  for (const auto& m : list.manifests) deletes += m.content == 1;
  EXPECT_EQ(deletes, 2);

  // Files of the wrong kind are refused before anything is written.
  EXPECT_EQ(t->Commit({}, {MakeFile("file:///x.parquet", 1)}).status().code(), ErrorCode::kInvalidConfig);
  DataFile no_ids = MakeDeleteFile("file:///y.parquet", 1);
  no_ids.equality_ids.clear();
  EXPECT_EQ(t->Commit({}, {no_ids}).status().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(t->Commit({MakeDeleteFile("file:///z.parquet", 1)}, {}).status().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(t->version(), 5);
}

TEST(IcebergTable, CreateTwiceFails) {
  TempDir tmp;
  ASSERT_OK(IcebergTable::Create(tmp.path() + "/t", TestSchema()));
  EXPECT_EQ(IcebergTable::Create(tmp.path() + "/t", TestSchema()).status().code(), ErrorCode::kLakeTableAlreadyExist);
}

TEST(IcebergTable, StaleCommitFailsAndRetrySucceedsAfterRefresh) {
  TempDir tmp;
  std::string dir = tmp.path() + "/t";
  ASSERT_OK(IcebergTable::Create(dir, TestSchema()));
  auto a = IcebergTable::Open(dir);
  auto b = IcebergTable::Open(dir);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_OK(a->Append({MakeFile("file:///d/1.parquet", 1)}));
  auto stale = b->Append({MakeFile("file:///d/2.parquet", 2)});
  EXPECT_EQ(stale.status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_EQ(b->version(), 1);
  ASSERT_OK(b->Refresh());
  EXPECT_EQ(b->version(), 2);
  ASSERT_OK(b->Append({MakeFile("file:///d/2.parquet", 2)}));
  auto files = b->ListDataFiles();
  ASSERT_OK(files);
  EXPECT_EQ(files->size(), 2u);
}

// The Avro files in <dir>/metadata.
size_t AvroFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/metadata")) n += e.path().extension() == ".avro";
  return n;
}

TEST(IcebergTable, StaleCommitRemovesItsManifestAndManifestList) {
  TempDir tmp;
  std::string dir = tmp.path() + "/t";
  ASSERT_OK(IcebergTable::Create(dir, TestSchema()));
  auto a = IcebergTable::Open(dir);
  auto b = IcebergTable::Open(dir);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_OK(a->Append({MakeFile("file:///d/1.parquet", 1)}));
  EXPECT_EQ(AvroFiles(dir), 2u);  // a's manifest and manifest list
  EXPECT_EQ(b->Append({MakeFile("file:///d/2.parquet", 2)}).status().code(), ErrorCode::kInvalidUpdateVersion);
  EXPECT_EQ(AvroFiles(dir), 2u) << "the losing commit left its Avro files";
  ASSERT_OK(b->Refresh());
  ASSERT_OK(b->Append({MakeFile("file:///d/2.parquet", 2)}));
  EXPECT_EQ(AvroFiles(dir), 4u);
}

TEST(IcebergTable, AVersionHintThatCannotBeWrittenDoesNotFailACommit) {
  TempDir tmp;
  std::string dir = tmp.path() + "/t";
  ASSERT_OK(IcebergTable::Create(dir, TestSchema()));
  auto t = IcebergTable::Open(dir);
  ASSERT_OK(t);
  // A directory where the hint goes: its rename fails after v2 is linked, i.e. after the commit.
  std::filesystem::remove(dir + "/metadata/version-hint.text");
  std::filesystem::create_directory(dir + "/metadata/version-hint.text");
  auto s = t->Append({MakeFile("file:///d/1.parquet", 5)});
  ASSERT_OK(s);
  EXPECT_EQ(t->version(), 2);
  auto reopened = IcebergTable::Open(dir);
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->version(), 2);
  ASSERT_NE(reopened->metadata().CurrentSnapshot(), nullptr);
  EXPECT_EQ(reopened->metadata().CurrentSnapshot()->snapshot_id, s->snapshot_id);
}

TEST(IcebergTable, RacingCommittersNeverLoseAnAppend) {
  TempDir tmp;
  std::string dir = tmp.path() + "/t";
  ASSERT_OK(IcebergTable::Create(dir, TestSchema()));
  constexpr int kWriters = 4;
  constexpr int kAppends = 8;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto t = IcebergTable::Open(dir);
      ASSERT_OK(t);
      for (int i = 0; i < kAppends; ++i) {
        DataFile f = MakeFile(fmt::format("file:///d/{}-{}.parquet", w, i), 1);
        for (;;) {
          auto s = t->Append({f});
          if (s.ok()) break;
          ASSERT_EQ(s.status().code(), ErrorCode::kInvalidUpdateVersion) << s.status().ToString();
          ++conflicts;
          ASSERT_OK(t->Refresh());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto t = IcebergTable::Open(dir);
  ASSERT_OK(t);
  EXPECT_EQ(t->version(), 1 + kWriters * kAppends);
  auto files = t->ListDataFiles();
  ASSERT_OK(files);
  EXPECT_EQ(files->size(), static_cast<size_t>(kWriters * kAppends));
  EXPECT_EQ(t->metadata().CurrentSnapshot()->summary.at("total-data-files"), std::to_string(kWriters * kAppends));
  EXPECT_EQ(t->metadata().snapshots.size(), static_cast<size_t>(kWriters * kAppends));
  std::cout << "conflicts retried: " << conflicts << "\n";
}

TEST(IcebergTable, LaggingVersionHintIsOvertakenByNewerMetadata) {
  TempDir tmp;
  std::string dir = tmp.path() + "/t";
  auto t = IcebergTable::Create(dir, TestSchema());
  ASSERT_OK(t);
  ASSERT_OK(t->Append({MakeFile("file:///d/1.parquet", 1)}));
  std::ofstream(dir + "/metadata/version-hint.text") << "1";
  auto o = IcebergTable::Open(dir);
  ASSERT_OK(o);
  EXPECT_EQ(o->version(), 2);
  fs::remove(dir + "/metadata/version-hint.text");
  auto o2 = IcebergTable::Open(dir);
  ASSERT_OK(o2);
  EXPECT_EQ(o2->version(), 2);
}

TEST(IcebergTable, CorruptFilesAreErrors) {
  TempDir tmp;
  std::string dir = tmp.path() + "/t";
  auto t = IcebergTable::Create(dir, TestSchema());
  ASSERT_OK(t);
  auto s = t->Append({MakeFile("file:///d/1.parquet", 1)});
  ASSERT_OK(s);
  // A truncated manifest list.
  std::string list = *IcebergTable::LocalPath(s->manifest_list);
  auto list_bytes = *avro::ReadWholeFile(list);
  fs::resize_file(list, list_bytes.size() - 5);
  EXPECT_FALSE(t->ListDataFiles().ok());
  std::ofstream(list, std::ios::binary).write(reinterpret_cast<const char*>(list_bytes.data()), list_bytes.size());
  ASSERT_OK(t->ListDataFiles());
  // A manifest whose length disagrees with the manifest list.
  auto l = ReadManifestList(list_bytes);
  std::string manifest = *IcebergTable::LocalPath(l->manifests[0].manifest_path);
  std::ofstream(manifest, std::ios::app) << "x";
  EXPECT_EQ(t->ListDataFiles().status().code(), ErrorCode::kCorruptRecord);
  // Corrupt metadata JSON.
  std::ofstream(dir + "/metadata/v2.metadata.json") << "{\"format-version\": 2";
  EXPECT_EQ(IcebergTable::Open(dir).status().code(), ErrorCode::kCorruptRecord);
  EXPECT_EQ(IcebergTable::Open(tmp.path() + "/missing").status().kind(), StatusCode::kNotFound);
}

TEST(IcebergTable, ReservedSummaryKeysAndRemoteUrisAreRejected) {
  TempDir tmp;
  auto t = IcebergTable::Create(tmp.path() + "/t", TestSchema());
  ASSERT_OK(t);
  EXPECT_FALSE(t->Append({}, {{"operation", "overwrite"}}).ok());
  EXPECT_FALSE(IcebergTable::LocalPath("s3://bucket/x").ok());
  EXPECT_EQ(*IcebergTable::LocalPath("file:/a/b"), "/a/b");
  EXPECT_EQ(*IcebergTable::LocalPath("file:///a/b"), "/a/b");
}

}  // namespace
}  // namespace fluss::iceberg
