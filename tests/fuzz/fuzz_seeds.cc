// Writes one valid input per fuzz target into <dir>/<target>/ (run by tests/fuzz/run.sh before the
// fuzzers), so that mutation starts from real batches, messages and frames rather than noise.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "format/arrow/record_batch.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "format/log_record_batch.h"
#include "fuzz_schema.h"
#include "metadata/metadata_log.h"
#include "metadata/metadata_records.h"

namespace {

void Write(const std::string& dir, const std::string& target, const std::string& name,
           std::span<const uint8_t> bytes) {
  std::filesystem::create_directories(dir + "/" + target);
  std::ofstream(dir + "/" + target + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

fluss::GenericRow SampleRow(int i) {
  using namespace fluss;
  GenericRow r(fuzz::FuzzSchema().num_columns());
  r.SetField(0, int32_t{i});
  r.SetField(1, i % 2 == 0);
  r.SetField(2, static_cast<int8_t>(i));
  r.SetField(4, int64_t{i} * 1000003);
  r.SetField(6, i * 0.5);
  r.SetField(7, DecimalValue::Parse("12.34", 10, 2).value());
  r.SetField(9, std::string("value ") + std::to_string(i));
  r.SetField(11, int32_t{19000 + i});
  r.SetField(13, TimestampValue{1700000000000 + i, 123});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fluss;
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds <corpus dir>\n";
    return 2;
  }
  const std::string dir = argv[1];
  const Schema& schema = fuzz::FuzzSchema();
  std::vector<GenericRow> rows;
  for (int i = 0; i < 3; ++i) rows.push_back(SampleRow(i));

  for (auto codec : {arrow::CompressionCodec::kNone, arrow::CompressionCodec::kZstd}) {
    LogRecordBatchBuilderOptions o;
    o.schema_id = 1;
    o.compression.codec = codec;
    o.append_only = codec == arrow::CompressionCodec::kNone;
    LogRecordBatchBuilder b(schema, o);
    for (const auto& r : rows) {
      if (!(o.append_only ? b.Append(r) : b.Append(ChangeType::kUpdateAfter, r)).ok()) return 1;
    }
    auto batch = b.Build().value();
    Write(dir, "fuzz_log_batch", codec == arrow::CompressionCodec::kNone ? "plain" : "zstd-changelog",
          std::span<const uint8_t>(batch.data(), batch.size()));
  }
  auto message = arrow::EncodeRecordBatch(schema, rows, arrow::CompressionOptions{}).value();
  Write(dir, "fuzz_arrow", "three-rows", message);

  KvRecordBatchBuilderOptions ko;
  ko.schema_id = 1;
  KvRecordBatchBuilder kb(ko);
  for (const auto& r : rows) {
    auto key = EncodeCompactedKey(schema, schema.primary_key_indexes(), r).value();
    auto row = EncodeCompactedRow(schema, r).value();
    if (!kb.AppendUpsert(key, row).ok()) return 1;
    Write(dir, "fuzz_kv_formats", "row" + std::to_string(r.GetInt(0)), row);
  }
  auto kv = kb.Build().value();
  Write(dir, "fuzz_kv_formats", "kv-batch", std::span<const uint8_t>(kv.data(), kv.size()));

  // A request frame: length, api key 1014, version 0, request id 7, then a few body bytes.
  const uint8_t frame[] = {0, 0, 0, 12, 0x03, 0xF6, 0, 0, 0, 0, 0, 7, 0x08, 0x01, 0x10, 0x02};
  Write(dir, "fuzz_rpc_frames", "produce-frame", frame);
  const std::string meta = "{}";
  Write(dir, "fuzz_metadata_file", "empty-json",
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(meta.data()), meta.size()));
  // A metadata.log: the snapshot of a new store, then a change creating a database.
  std::string log(kMetadataLogHeader);
  log += EncodeMetadataLogRecord(1, SnapshotMetadataState(MetadataState{}));
  DatabaseRecord db{"db", "{}", 1, 1, 0};
  log += EncodeMetadataLogRecord(2, {{MetadataChange::Op::kPut, MetadataObjectKind::kDatabase, "db",
                                      EncodeDatabaseObject(db)}});
  Write(dir, "fuzz_metadata_file", "metadata-log",
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(log.data()), log.size()));
  return 0;
}
