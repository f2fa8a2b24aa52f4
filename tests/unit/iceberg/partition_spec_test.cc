// Partitioned Iceberg tables: partition specs in metadata.json, the data_file.partition struct in
// manifests, the manifest list's partition field summaries, and IcebergTable commits of partitioned
// files (table spec "Partitioning", "Manifests", "Manifest Lists").
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "lake/avro/avro_container.h"
#include "lake/iceberg/iceberg_schema.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/iceberg/manifest.h"
#include "lake/iceberg/manifest_list.h"
#include "lake/iceberg/partition_spec.h"
#include "lake/iceberg/single_value.h"
#include "lake/iceberg/table_metadata.h"
#include "support/status_macros.h"
#include "support/temp_dir.h"

namespace fluss::iceberg {
namespace {

using avro::AvroValue;
using testing::TempDir;

// A table partitioned by (dt DATE, region STRING), with an id and a value.
Schema PartitionedSchema() {
  auto s = Schema::Make({{"id", DataType::BigInt().NotNull(), 0, ""},
                         {"dt", DataType::Date().NotNull(), 1, ""},
                         {"region", DataType::String().NotNull(), 2, ""},
                         {"v", DataType::Double(), 3, ""}});
  EXPECT_OK(s);
  return *s;
}

DataFile FileIn(const std::string& path, int32_t day, const std::string& region, int64_t rows) {
  DataFile f;
  f.file_path = path;
  f.record_count = rows;
  f.file_size_in_bytes = 100 + rows;
  f.partition = {AvroValue(day), AvroValue(region)};
  return f;
}

TEST(IcebergPartitionSpec, IdentitySpecHasFieldIdsFrom1000AndRoundTrips) {
  auto spec = PartitionSpec::Identity(PartitionedSchema(), {"dt", "region"}, 0);
  ASSERT_OK(spec);
  ASSERT_EQ(spec->fields.size(), 2u);
  EXPECT_EQ(spec->fields[0], (PartitionField{1, 1000, "dt", "identity"}));
  EXPECT_EQ(spec->fields[1], (PartitionField{2, 1001, "region", "identity"}));
  EXPECT_EQ(spec->HighestFieldId(), 1001);
  nlohmann::json j = spec->ToJson();
  EXPECT_EQ(j, nlohmann::json::parse(R"({"spec-id":0,"fields":[
      {"name":"dt","transform":"identity","source-id":1,"field-id":1000},
      {"name":"region","transform":"identity","source-id":2,"field-id":1001}]})"));
  auto back = PartitionSpec::FromJson(j);
  ASSERT_OK(back);
  EXPECT_EQ(*back, *spec);

  auto none = PartitionSpec::Identity(PartitionedSchema(), {}, 0);
  ASSERT_OK(none);
  EXPECT_TRUE(none->unpartitioned());
  EXPECT_EQ(none->HighestFieldId(), 999);
}

TEST(IcebergPartitionSpec, BadSpecsAreErrors) {
  EXPECT_FALSE(PartitionSpec::Identity(PartitionedSchema(), {"nope"}, 0).ok());
  EXPECT_FALSE(PartitionSpec::Identity(PartitionedSchema(), {"dt", "dt"}, 0).ok());
  for (const char* text : {
           R"({"fields":[]})",
           R"({"spec-id":0,"fields":{}})",
           R"({"spec-id":0,"fields":[{"name":"dt","transform":"identity","source-id":1,"field-id":999}]})",
           R"({"spec-id":0,"fields":[{"name":"dt","transform":"identity","source-id":1}]})",
           R"({"spec-id":0,"fields":[{"name":"dt","transform":"identity","source-id":1,"field-id":1000},
                                     {"name":"dt","transform":"identity","source-id":2,"field-id":1001}]})",
       }) {
    auto spec = PartitionSpec::FromJson(nlohmann::json::parse(text));
    EXPECT_FALSE(spec.ok()) << text;
  }
}

TEST(IcebergPartitionSpec, FieldTypesComeFromTheSourceColumns) {
  auto schema = Schema::Make({{"b", DataType::Boolean(), 0, ""},
                              {"i", DataType::SmallInt(), 1, ""},
                              {"l", DataType::BigInt(), 2, ""},
                              {"s", DataType::String(), 3, ""},
                              {"bin", DataType::Binary(4), 4, ""},
                              {"by", DataType::Bytes(), 5, ""},
                              {"d", DataType::Date(), 6, ""},
                              {"t", DataType::Time(3), 7, ""},
                              {"ts", DataType::Timestamp(6), 8, ""},
                              {"tz", DataType::TimestampLtz(3), 9, ""},
                              {"f", DataType::Float(), 10, ""},
                              {"dbl", DataType::Double(), 11, ""}});
  ASSERT_OK(schema);
  std::vector<std::string> names;
  for (const auto& c : schema->columns()) names.push_back(c.name);
  auto spec = PartitionSpec::Identity(*schema, names, 0);
  ASSERT_OK(spec);
  auto types = PartitionFieldTypes(*spec, *IcebergSchemaJson(*schema, 0));
  ASSERT_OK(types);
  EXPECT_EQ(*types, (std::vector<std::string>{"boolean", "int", "long", "string", "fixed[4]", "binary", "date", "time",
                                              "timestamp", "timestamptz", "float", "double"}));
  auto avro = PartitionStructAvroSchema(*spec, *types);
  ASSERT_OK(avro);
  const auto& fields = (*avro)["fields"];
  EXPECT_EQ((*avro)["name"], "r102");
  EXPECT_EQ(fields[0]["field-id"], 1000);
  EXPECT_EQ(fields[0]["type"], nlohmann::ordered_json::parse(R"(["null","boolean"])"));
  EXPECT_EQ(fields[4]["type"][1]["type"], "fixed");
  EXPECT_EQ(fields[4]["type"][1]["size"], 4);
  EXPECT_EQ(fields[6]["type"][1]["logicalType"], "date");
  EXPECT_EQ(fields[7]["type"][1]["logicalType"], "time-micros");
  EXPECT_EQ(fields[9]["type"][1]["adjust-to-utc"], true);
  EXPECT_EQ(fields[8]["type"][1]["adjust-to-utc"], false);

  // Values of Fluss rows become the Avro values of those types.
  EXPECT_EQ(*IdentityPartitionValue(int16_t{7}, DataType::SmallInt(), "i"), AvroValue(int32_t{7}));
  EXPECT_EQ(*IdentityPartitionValue(int32_t{1000}, DataType::Time(3), "t"), AvroValue(int64_t{1000000}));
  EXPECT_EQ(*IdentityPartitionValue(TimestampValue{1700000000123, 456789}, DataType::Timestamp(6), "ts"),
            AvroValue(int64_t{1700000000123456}));
  EXPECT_EQ(*IdentityPartitionValue(std::string("ab"), DataType::Bytes(), "by"),
            AvroValue::Bytes({uint8_t{'a'}, uint8_t{'b'}}));
  EXPECT_TRUE(IdentityPartitionValue(std::monostate{}, DataType::String(), "s")->is_null());
  EXPECT_FALSE(IdentityPartitionValue(int64_t{1}, DataType::Int(), "i").ok());
  EXPECT_FALSE(IdentityPartitionValue(DecimalValue{1}, DataType::Decimal(5, 2), "dec").ok());
}

TEST(IcebergPartitionSpec, PartitionedMetadataRoundTripsAndIsChecked) {
  TableMetadata m;
  m.table_uuid = "9c12d441-03fe-4693-9a96-a0705ddf69c1";
  m.location = "file:///w/db/t";
  m.last_column_id = 3;
  m.schemas.push_back(*IcebergSchemaJson(PartitionedSchema(), 0));
  m.partition_specs = {*PartitionSpec::Identity(PartitionedSchema(), {}, 0),
                       *PartitionSpec::Identity(PartitionedSchema(), {"dt", "region"}, 1)};
  m.default_spec_id = 1;
  m.last_partition_id = 1001;
  nlohmann::json j = m.ToJson();
  EXPECT_EQ(j["default-spec-id"], 1);
  EXPECT_EQ(j["last-partition-id"], 1001);
  EXPECT_EQ(j["partition-specs"][1]["fields"][0]["field-id"], 1000);
  EXPECT_FALSE(j.contains("partition-spec"));  // v1 only
  auto back = TableMetadata::FromJson(j);
  ASSERT_OK(back);
  EXPECT_EQ(*back, m);
  EXPECT_EQ(back->DefaultSpec()->fields.size(), 2u);

  nlohmann::json bad = j;
  bad["last-partition-id"] = 1000;  // below a field id in use
  EXPECT_FALSE(TableMetadata::FromJson(bad).ok());
  bad = j;
  bad["default-spec-id"] = 5;
  EXPECT_FALSE(TableMetadata::FromJson(bad).ok());
  bad = j;
  bad["partition-specs"][1]["spec-id"] = 0;  // two specs with id 0
  EXPECT_FALSE(TableMetadata::FromJson(bad).ok());
}

TEST(IcebergPartitionSpec, ManifestCarriesThePartitionStructAndSpecHeader) {
  auto spec = PartitionSpec::Identity(PartitionedSchema(), {"dt", "region"}, 3);
  ASSERT_OK(spec);
  ManifestWriteOptions o;
  o.table_schema_json = IcebergSchemaJson(PartitionedSchema(), 0)->dump();
  o.partition_spec = *spec;
  std::vector<ManifestEntry> entries;
  for (int i = 0; i < 3; ++i) {
    ManifestEntry e;
    e.snapshot_id = 9;
    e.data_file = FileIn("file:///d/dt=x/" + std::to_string(i) + ".parquet", 20000 + i, i == 1 ? "eu" : "us", i + 1);
    entries.push_back(e);
  }
  entries[2].data_file.partition[1] = AvroValue::Null();  // a null partition value
  auto bytes = WriteManifest(o, entries);
  ASSERT_OK(bytes);
  auto c = avro::ReadAvroFile(*bytes);
  ASSERT_OK(c);
  EXPECT_EQ(nlohmann::json::parse(c->metadata["partition-spec"]), spec->FieldsJson());
  EXPECT_EQ(c->metadata["partition-spec-id"], "3");
  const auto& df = *c->schema.root().fields[*c->schema.root().FieldIndex("data_file")].type;
  const auto& partition = *df.fields[*df.FieldIndex("partition")].type;
  ASSERT_EQ(partition.fields.size(), 2u);
  EXPECT_EQ(partition.fields[0].name, "dt");
  EXPECT_EQ(partition.fields[0].field_id(), 1000);
  EXPECT_EQ(partition.fields[1].field_id(), 1001);
  EXPECT_EQ(partition.fields[0].type->branches[1]->logical_type, "date");

  auto m = ReadManifest(*bytes);
  ASSERT_OK(m);
  EXPECT_EQ(m->partition_spec, *spec);
  EXPECT_EQ(m->entries, entries);

  // A tuple that does not fit the spec is refused, nothing written.
  auto wrong = entries;
  wrong[0].data_file.partition = {AvroValue(int64_t{1}), AvroValue("eu")};  // a long for a date
  EXPECT_FALSE(WriteManifest(o, wrong).ok());
  wrong[0].data_file.partition = {AvroValue(int32_t{1})};  // too few values
  EXPECT_FALSE(WriteManifest(o, wrong).ok());

  // A header spec that names field ids the partition struct does not have is corruption.
  std::string text(bytes->begin(), bytes->end());
  auto at = text.find("\"field-id\":1001,\"name\":\"region\"");
  ASSERT_NE(at, std::string::npos);  // the header's spec (the Avro schema writes "name" first)
  text.replace(at, 16, "\"field-id\":1002,");
  std::vector<uint8_t> tampered(text.begin(), text.end());
  auto bad = ReadManifest(tampered);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("1002"), std::string::npos) << bad.status().ToString();
}

TEST(IcebergPartitionSpec, SummariesHoldNullsNaNsAndBounds) {
  std::vector<PartitionTuple> tuples = {
      {AvroValue(int32_t{5}), AvroValue("b"), AvroValue(1.5)},
      {AvroValue(int32_t{-3}), AvroValue::Null(), AvroValue(std::nan(""))},
      {AvroValue(int32_t{9}), AvroValue("\xc3\xa9"), AvroValue(-2.0)},  // 0xc3 sorts after 'b' unsigned
  };
  std::vector<const PartitionTuple*> ptrs;
  for (const auto& t : tuples) ptrs.push_back(&t);
  auto s = SummarizePartitions({"int", "string", "double"}, ptrs);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_FALSE(s[0].contains_null);
  EXPECT_EQ(s[0].contains_nan, false);
  EXPECT_EQ(s[0].lower_bound, SerializeInt(-3));
  EXPECT_EQ(s[0].upper_bound, SerializeInt(9));
  EXPECT_TRUE(s[1].contains_null);
  EXPECT_EQ(s[1].lower_bound, SerializeString("b"));
  EXPECT_EQ(s[1].upper_bound, SerializeString("\xc3\xa9"));
  EXPECT_EQ(s[2].contains_nan, true);
  EXPECT_EQ(s[2].lower_bound, SerializeDouble(-2.0));
  EXPECT_EQ(s[2].upper_bound, SerializeDouble(1.5));

  std::vector<PartitionTuple> only_null = {{AvroValue::Null()}};
  auto n = SummarizePartitions({"long"}, {&only_null[0]});
  EXPECT_TRUE(n[0].contains_null);
  EXPECT_FALSE(n[0].lower_bound.has_value());
  EXPECT_TRUE(SummarizePartitions({}, ptrs).empty());
}

TEST(IcebergPartitionSpec, PartitionedTableCommitsAndListsTuplesAndSummaries) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db/events";
  auto t = IcebergTable::Create(dir, PartitionedSchema(), {}, FileSystem::Local(), {"dt", "region"});
  ASSERT_OK(t);
  EXPECT_EQ(t->metadata().last_partition_id, 1001);
  ASSERT_EQ(t->metadata().DefaultSpec()->fields.size(), 2u);

  auto s1 = t->Append({FileIn("file://" + dir + "/data/dt=a/region=eu/1.parquet", 20000, "eu", 3),
                       FileIn("file://" + dir + "/data/dt=b/region=us/2.parquet", 20001, "us", 4)});
  ASSERT_OK(s1);
  DataFile del = FileIn("file://" + dir + "/data/dt=a/region=eu/1-eq-deletes.parquet", 20000, "eu", 1);
  del.content = DataFileContent::kEqualityDeletes;
  del.equality_ids = {0, 1, 2};
  auto s2 = t->Commit({FileIn("file://" + dir + "/data/dt=a/region=eu/3.parquet", 20000, "eu", 2)}, {del});
  ASSERT_OK(s2);

  // A file whose tuple does not fit the spec is refused before anything is written.
  const int64_t version = t->version();
  DataFile unpartitioned = FileIn("file://" + dir + "/data/x.parquet", 0, "", 1);
  unpartitioned.partition.clear();
  EXPECT_FALSE(t->Append({unpartitioned}).ok());
  EXPECT_EQ(t->version(), version);

  auto reopened = IcebergTable::Open(dir);
  ASSERT_OK(reopened);
  auto files = reopened->ListFiles();
  ASSERT_OK(files);
  ASSERT_EQ(files->data.size(), 3u);
  ASSERT_EQ(files->deletes.size(), 1u);
  std::map<std::string, PartitionTuple> by_file;
  for (const auto& e : files->data) by_file[e.data_file.file_path] = e.data_file.partition;
  EXPECT_EQ(by_file["file://" + dir + "/data/dt=b/region=us/2.parquet"],
            (PartitionTuple{AvroValue(int32_t{20001}), AvroValue("us")}));
  EXPECT_EQ(files->deletes[0].data_file.partition, (PartitionTuple{AvroValue(int32_t{20000}), AvroValue("eu")}));

  // The manifest list of the second snapshot: its own two manifests (one partition each) and the
  // first snapshot's (two partitions), each with the spec id and its partitions' bounds.
  auto list_path = IcebergTable::LocalPath(reopened->metadata().CurrentSnapshot()->manifest_list);
  ASSERT_OK(list_path);
  auto list = ReadManifestList(*avro::ReadWholeFile(*list_path));
  ASSERT_OK(list);
  ASSERT_EQ(list->manifests.size(), 3u);
  for (const auto& mf : list->manifests) {
    EXPECT_EQ(mf.partition_spec_id, 0);
    ASSERT_EQ(mf.partitions.size(), 2u);
    EXPECT_FALSE(mf.partitions[0].contains_null);
    EXPECT_EQ(mf.partitions[0].lower_bound, SerializeInt(20000));
    if (mf.added_snapshot_id == s1->snapshot_id) {
      EXPECT_EQ(mf.partitions[0].upper_bound, SerializeInt(20001));
      EXPECT_EQ(mf.partitions[1].lower_bound, SerializeString("eu"));
      EXPECT_EQ(mf.partitions[1].upper_bound, SerializeString("us"));
    } else {
      EXPECT_EQ(mf.partitions[0].upper_bound, SerializeInt(20000));
      EXPECT_EQ(mf.partitions[1].upper_bound, SerializeString("eu"));
    }
  }
}

TEST(IcebergPartitionSpec, ReplaceSwitchesToANewOrAnExistingSpec) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/db/events";
  auto t = IcebergTable::Create(dir, PartitionedSchema(), {}, FileSystem::Local(), {"dt"});
  ASSERT_OK(t);
  ASSERT_OK(t->Replace(PartitionedSchema(), {}, {"region"}));
  EXPECT_EQ(t->metadata().default_spec_id, 1);
  EXPECT_EQ(t->metadata().DefaultSpec()->fields[0], (PartitionField{2, 1001, "region", "identity"}));
  EXPECT_EQ(t->metadata().last_partition_id, 1001);
  ASSERT_OK(t->Replace(PartitionedSchema(), {}, {"dt"}));
  EXPECT_EQ(t->metadata().default_spec_id, 0);  // the same partitioning as spec 0
  ASSERT_OK(t->Replace(PartitionedSchema(), {}, {}));
  EXPECT_TRUE(t->metadata().DefaultSpec()->unpartitioned());
  EXPECT_EQ(t->metadata().partition_specs.size(), 3u);
  auto reopened = IcebergTable::Open(dir);
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->metadata(), t->metadata());
}

}  // namespace
}  // namespace fluss::iceberg
