// The C++ side of the Iceberg interop test (README.md, IcebergInterop):
//
//   fluss_iceberg_interop write <dir>   creates <dir>/warehouse/db/orders with IcebergTable: a schema
//       of every Fluss type, snapshot 1 appending two data files, snapshot 2 one more (with Fluss log
//       offsets in its summary), snapshot 3 appending nothing; data files are entries only (the files
//       do not exist). Also writes <dir>/plain/manifest.avro and <dir>/plain/manifest-list.avro
//       uncompressed, and <dir>/expected.json: what iceberg_check.mjs must find.
//   fluss_iceberg_interop read <dir>    reopens the table with IcebergTable and checks it against
//       <dir>/expected.json.
//   fluss_iceberg_interop avro-read <dir>  reads the container files avro_write.mjs wrote with avsc
//       and compares every record with <name>.expected.json; reads manifest_avsc.avro as a manifest.
//
// Exit 0 on success, 1 on any failure (the reason on stderr).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lake/avro/avro_container.h"
#include "lake/iceberg/iceberg_table.h"
#include "lake/iceberg/single_value.h"

using namespace fluss;
using namespace fluss::iceberg;
using nlohmann::json;

namespace {

std::string Hex(const std::vector<uint8_t>& b) {
  std::string s;
  for (uint8_t c : b) s += fmt::format("{:02x}", c);
  return s;
}

json FileJson(const DataFile& f) {
  json lower = json::object();
  json upper = json::object();
  for (const auto& [k, v] : f.lower_bounds) lower[std::to_string(k)] = Hex(v);
  for (const auto& [k, v] : f.upper_bounds) upper[std::to_string(k)] = Hex(v);
  json counts = json::object();
  for (const auto& [k, v] : f.value_counts) counts[std::to_string(k)] = v;
  json nulls = json::object();
  for (const auto& [k, v] : f.null_value_counts) nulls[std::to_string(k)] = v;
  json sizes = json::object();
  for (const auto& [k, v] : f.column_sizes) sizes[std::to_string(k)] = v;
  return {{"file_path", f.file_path},         {"file_format", f.file_format},
          {"record_count", f.record_count},   {"file_size_in_bytes", f.file_size_in_bytes},
          {"column_sizes", sizes},            {"value_counts", counts},
          {"null_value_counts", nulls},       {"lower_bounds", lower},
          {"upper_bounds", upper},            {"split_offsets", f.split_offsets}};
}

DataFile MakeFile(const std::string& table_dir, const std::string& name, int64_t records, int64_t first_id) {
  DataFile f;
  f.file_path = fmt::format("file://{}/data/{}", table_dir, name);
  f.record_count = records;
  f.file_size_in_bytes = 1000 + records * 17;
  f.column_sizes = {{0, records * 8}, {1, records * 12}, {2, records * 6}};
  f.value_counts = {{0, records}, {1, records}, {2, records}};
  f.null_value_counts = {{0, 0}, {1, records / 3}, {2, 1}};
  f.nan_value_counts = {{4, 0}};
  f.lower_bounds = {{0, SerializeLong(first_id)}, {1, SerializeString("alpha")}, {2, SerializeDecimal(-12345)}};
  f.upper_bounds = {{0, SerializeLong(first_id + records - 1)}, {1, SerializeString("\xc3\xa9t\xc3\xa9")},
                    {2, SerializeDecimal(99999999)}};
  f.split_offsets = {4};
  return f;
}

int Fail(const std::string& what) {
  std::cerr << "fluss_iceberg_interop: " << what << "\n";
  return 1;
}

int Write(const std::string& dir) {
  std::string table_dir = dir + "/warehouse/db/orders";
  auto schema = Schema::Make(
      {{"order_id", DataType::BigInt(), -1, "primary key"},
       {"customer", DataType::String(), -1, ""},
       {"amount", DataType::Decimal(10, 2), -1, ""},
       {"qty", DataType::Int(), -1, ""},
       {"weight", DataType::Double(), -1, ""},
       {"ratio", DataType::Float(), -1, ""},
       {"paid", DataType::Boolean(), -1, ""},
       {"tiny", DataType::TinyInt(), -1, ""},
       {"small", DataType::SmallInt(), -1, ""},
       {"code", DataType::Char(4), -1, ""},
       {"digest", DataType::Binary(16), -1, ""},
       {"payload", DataType::Bytes(), -1, ""},
       {"day", DataType::Date(), -1, ""},
       {"at_time", DataType::Time(3), -1, ""},
       {"created", DataType::Timestamp(6), -1, ""},
       {"updated", DataType::TimestampLtz(3), -1, ""}},
      {"order_id"});
  if (!schema.ok()) return Fail(schema.status().ToString());
  auto table = IcebergTable::Create(table_dir, *schema, {{"fluss.table.path", "db.orders"}});
  if (!table.ok()) return Fail(table.status().ToString());

  json expected;
  expected["table_dir"] = table_dir;
  expected["snapshots"] = json::array();
  std::vector<DataFile> all;
  struct Round {
    std::vector<DataFile> files;
    std::map<std::string, std::string> summary;
  };
  std::vector<Round> rounds = {
      {{MakeFile(table_dir, "00000-a.parquet", 100, 1), MakeFile(table_dir, "00001-b.parquet", 50, 101)},
       {{"fluss-offsets", R"({"bucket-0":100,"bucket-1":50})"}}},
      {{MakeFile(table_dir, "00002-c.parquet", 7, 151)}, {{"fluss-offsets", R"({"bucket-0":107,"bucket-1":50})"}}},
      {{}, {{"fluss-offsets", R"({"bucket-0":107,"bucket-1":50})"}}},
  };
  for (const auto& r : rounds) {
    auto s = table->Append(r.files, r.summary);
    if (!s.ok()) return Fail(s.status().ToString());
    json files = json::array();
    for (const auto& f : r.files) {
      files.push_back(FileJson(f));
      all.push_back(f);
    }
    expected["snapshots"].push_back({{"snapshot_id", std::to_string(s->snapshot_id)},
                                     {"sequence_number", s->sequence_number},
                                     {"added_files", files},
                                     {"summary", s->summary}});
  }
  json current = json::array();
  for (const auto& f : all) current.push_back(FileJson(f));
  expected["current_files"] = current;
  expected["version"] = table->version();
  expected["current_snapshot_id"] = std::to_string(*table->metadata().current_snapshot_id);
  expected["schema"] = *table->metadata().CurrentSchema();

  // Uncompressed copies of a manifest and a manifest list, so both codecs are read by the checker.
  std::string plain = dir + "/plain";
  std::filesystem::create_directories(plain);
  ManifestWriteOptions mo;
  mo.table_schema_json = table->metadata().CurrentSchema()->dump();
  mo.codec = avro::AvroCodec::kNull;
  ManifestEntry e;
  e.snapshot_id = 1;
  e.sequence_number = 1;
  e.file_sequence_number = 1;
  e.data_file = all[0];
  auto manifest = WriteManifest(mo, {e});
  if (!manifest.ok()) return Fail(manifest.status().ToString());
  if (auto st = WriteFileDurably(FileSystem::Local(), plain + "/manifest.avro", *manifest); !st.ok()) return Fail(st.ToString());
  ManifestFile mf;
  mf.manifest_path = "file://" + plain + "/manifest.avro";
  mf.manifest_length = static_cast<int64_t>(manifest->size());
  mf.sequence_number = 1;
  mf.min_sequence_number = 1;
  mf.added_snapshot_id = 1;
  mf.added_files_count = 1;
  mf.added_rows_count = all[0].record_count;
  ManifestListWriteOptions lo;
  lo.snapshot_id = 1;
  lo.sequence_number = 1;
  lo.codec = avro::AvroCodec::kNull;
  auto list = WriteManifestList(lo, {mf});
  if (!list.ok()) return Fail(list.status().ToString());
  if (auto st = WriteFileDurably(FileSystem::Local(), plain + "/manifest-list.avro", *list); !st.ok()) return Fail(st.ToString());
  expected["plain"] = {{"manifest", plain + "/manifest.avro"}, {"manifest_list", plain + "/manifest-list.avro"}};

  std::ofstream(dir + "/expected.json") << expected.dump(2);
  std::cout << fmt::format("wrote {} (metadata v{}, {} snapshots, {} data files)\n", table_dir, table->version(),
                           table->metadata().snapshots.size(), all.size());
  return 0;
}

int Read(const std::string& dir) {
  std::ifstream in(dir + "/expected.json");
  std::stringstream ss;
  ss << in.rdbuf();
  json expected = json::parse(ss.str(), nullptr, false);
  if (expected.is_discarded()) return Fail("expected.json is not JSON");
  auto table = IcebergTable::Open(expected["table_dir"].get<std::string>());
  if (!table.ok()) return Fail(table.status().ToString());
  if (table->version() != expected["version"].get<int64_t>()) return Fail("version differs");
  auto files = table->ListDataFiles();
  if (!files.ok()) return Fail(files.status().ToString());
  std::set<std::string> got;
  for (const auto& f : *files) got.insert(FileJson(f.data_file).dump());
  std::set<std::string> want;
  for (const auto& f : expected["current_files"]) want.insert(f.dump());
  if (got != want) return Fail("data files of the current snapshot differ from expected.json");
  std::cout << fmt::format("read back v{}: {} data files as expected\n", table->version(), files->size());
  return 0;
}

}  // namespace

// The canonical JSON form of avro_write.mjs: longs as decimal strings, bytes/fixed as hex, enums as
// symbols, maps as objects, unions as the branch value.
json ValueToJson(const avro::AvroNode& node, const avro::AvroValue& v) {
  using avro::AvroType;
  if (node.type == AvroType::kUnion) {
    for (const auto& b : node.branches) {
      bool fits = (b->type == AvroType::kNull) == v.is_null();
      if (fits && (b->type != AvroType::kRecord || v.is<avro::AvroRecord>())) return ValueToJson(*b, v);
    }
    return "<no branch>";
  }
  switch (node.type) {
    case AvroType::kNull: return nullptr;
    case AvroType::kBoolean: return *v.get_if<bool>();
    case AvroType::kInt: return *v.get_if<int32_t>();
    case AvroType::kLong: return std::to_string(*v.get_if<int64_t>());
    case AvroType::kFloat: return static_cast<double>(*v.get_if<float>());
    case AvroType::kDouble: return *v.get_if<double>();
    case AvroType::kBytes: return Hex(v.get_if<avro::AvroBytes>()->data);
    case AvroType::kFixed: return Hex(v.get_if<avro::AvroFixed>()->data);
    case AvroType::kString: return *v.get_if<std::string>();
    case AvroType::kEnum: return node.symbols[v.get_if<avro::AvroEnum>()->index];
    case AvroType::kArray: {
      json a = json::array();
      for (const auto& item : v.get_if<avro::AvroArray>()->items) a.push_back(ValueToJson(*node.items, item));
      return a;
    }
    case AvroType::kMap: {
      json o = json::object();
      for (const auto& [k, x] : v.get_if<avro::AvroMap>()->entries) o[k] = ValueToJson(*node.values, x);
      return o;
    }
    case AvroType::kRecord: {
      json o = json::object();
      const auto& fields = v.get_if<avro::AvroRecord>()->fields;
      for (size_t i = 0; i < node.fields.size(); ++i) o[node.fields[i].name] = ValueToJson(*node.fields[i].type, fields[i]);
      return o;
    }
    default: return "<unknown>";
  }
}

int AvroRead(const std::string& dir) {
  for (const char* name : {"all_types_null", "all_types_deflate", "manifest_avsc"}) {
    std::string path = fmt::format("{}/{}.avro", dir, name);
    auto bytes = avro::ReadWholeFile(path);
    if (!bytes.ok()) return Fail(bytes.status().ToString());
    auto file = avro::ReadAvroFile(*bytes);
    if (!file.ok()) return Fail(path + ": " + file.status().ToString());
    std::ifstream in(fmt::format("{}/{}.expected.json", dir, name));
    std::stringstream ss;
    ss << in.rdbuf();
    json expected = json::parse(ss.str(), nullptr, false);
    if (!expected.is_array() || expected.size() != file->records.size()) {
      return Fail(fmt::format("{}: {} records, expected.json has {}", path, file->records.size(), expected.size()));
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      json got = ValueToJson(file->schema.root(), file->records[i]);
      if (got != expected[i]) {
        return Fail(fmt::format("{}: record {} differs:\n  got      {}\n  expected {}", path, i, got.dump(),
                                expected[i].dump()));
      }
    }
    std::cout << fmt::format("{}: {} records in {} blocks ({}) as avsc wrote them\n", name, file->records.size(),
                             file->blocks, file->metadata["avro.codec"]);
    if (std::string(name) == "manifest_avsc") {
      auto manifest = ReadManifest(*bytes);
      if (!manifest.ok()) return Fail(path + " as a manifest: " + manifest.status().ToString());
      for (size_t i = 0; i < expected.size(); ++i) {
        const ManifestEntry& e = manifest->entries[i];
        const json& x = expected[i];
        bool same = static_cast<int>(e.status) == x["status"].get<int>() &&
                    std::to_string(*e.snapshot_id) == x["snapshot_id"].get<std::string>() &&
                    e.sequence_number.has_value() == !x["sequence_number"].is_null() &&
                    e.data_file.file_path == x["data_file"]["file_path"].get<std::string>() &&
                    std::to_string(e.data_file.record_count) == x["data_file"]["record_count"].get<std::string>() &&
                    e.data_file.upper_bounds.size() == x["data_file"]["upper_bounds"].size() &&
                    e.data_file.split_offsets.size() ==
                        (x["data_file"]["split_offsets"].is_null() ? 0 : x["data_file"]["split_offsets"].size());
        if (!same) return Fail(fmt::format("{}: manifest entry {} differs from {}", path, i, x.dump()));
      }
      std::cout << fmt::format("manifest_avsc: ReadManifest read {} entries as avsc wrote them\n",
                               manifest->entries.size());
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) return Fail("usage: fluss_iceberg_interop write|read|avro-read <dir>");
  std::string mode = argv[1];
  if (mode == "write") return Write(argv[2]);
  if (mode == "read") return Read(argv[2]);
  if (mode == "avro-read") return AvroRead(argv[2]);
  return Fail("unknown mode " + mode);
}
