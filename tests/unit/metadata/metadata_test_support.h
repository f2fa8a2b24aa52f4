// Shared helpers of the metadata tests: temp dirs, descriptors built by the real types, raw file edits.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "metadata/embedded_metadata_store.h"
#include "metadata/metadata_file.h"
#include "metadata/metadata_log.h"
#include "metadata/metadata_records.h"
#include "types/schema_parser.h"
#include "types/table_descriptor.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss::metadata_testing {

using fluss::testing::TempDir;


inline TablePath Path(const std::string& db, const std::string& table) { return *TablePath::Make(db, table); }

// A descriptor JSON as the server stores it (bucket count filled in) and its schema JSON.
struct TableJson {
  std::string table;
  std::string schema;
};
inline TableJson MakeTableJson(int buckets = 3, const std::string& schema_text = "id INT NOT NULL, v STRING") {
  Schema schema = *ParseSchema(schema_text);
  TableDescriptor d(schema);
  d.DistributedBy(buckets);
  return {TableDescriptorToJson(d).dump(), SchemaToJson(schema).dump()};
}

// The same, partitioned by "dt".
inline TableJson MakePartitionedTableJson(int buckets = 3) {
  Schema schema = *ParseSchema("id INT NOT NULL, dt STRING NOT NULL, v STRING");
  TableDescriptor d(schema);
  d.DistributedBy(buckets).PartitionedBy({"dt"});
  return {TableDescriptorToJson(d).dump(), SchemaToJson(schema).dump()};
}

// A partition's assignment as both stores keep it: replicas only (ZooKeeper keeps upstream's
// PartitionAssignment body, whose leaders live in leader records).
inline std::vector<BucketAssignment> PartitionAssign(int buckets) {
  std::vector<BucketAssignment> out;
  for (int b = 0; b < buckets; ++b) out.push_back({b, {1 + b % 3, 1 + (b + 1) % 3}, -1, 0, 0});
  return out;
}

inline std::vector<BucketAssignment> Assign(int buckets, int32_t server = 0) {
  std::vector<BucketAssignment> out;
  for (int b = 0; b < buckets; ++b) out.push_back({b, {server}, server, 0, 0});
  return out;
}

inline std::unique_ptr<EmbeddedMetadataStore> OpenOrDie(const std::string& dir, MetadataClock clock = nullptr) {
  auto store = EmbeddedMetadataStore::Open(dir, std::move(clock));
  EXPECT_OK(store);
  return store.ok() ? std::move(store).value() : nullptr;
}

// Creates db.table with MakeTableJson(buckets) and one-server assignment; returns the record.
inline TableRecord CreateOrDie(MetadataStore& store, const TablePath& path, int buckets = 3) {
  TableJson j = MakeTableJson(buckets);
  auto r = store.CreateTable(path, j.table, j.schema, buckets, Assign(buckets), false);
  EXPECT_OK(r);
  return r.ok() ? *r : TableRecord{};
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// The state the metadata.log at `path` holds, decoded and replayed as Open does.
inline MetadataState StateOfLog(const std::string& path) {
  auto decoded = DecodeMetadataLog(ReadAll(path), path);
  EXPECT_OK(decoded);
  MetadataState state;
  if (!decoded.ok()) return state;
  for (const auto& record : decoded->records) {
    for (const auto& change : record.changes) EXPECT_OK(ApplyMetadataChange(change, "test:", &state));
  }
  return state;
}

// A metadata.json of the earlier whole-file format holding `state`.
inline std::string LegacyFileOf(const MetadataState& state) {
  return EncodeMetadataEnvelope(EncodeMetadataState(state));
}

}  // namespace fluss::metadata_testing
