// The key-value encodings a server decodes from clients and from RocksDB: a KvRecordBatch (its CRC
// patched in, so the fuzzer reaches the records), COMPACTED rows, CompactedKeys, stored values and
// ValueRecordBatches.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/buffer.h"
#include "common/crc32c.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "format/value_encoding.h"
#include "fuzz_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fluss;
  const Schema& schema = fuzz::FuzzSchema();
  const std::span<const uint8_t> in(data, size);
  (void)DecodeCompactedRow(schema, in);
  const size_t key[] = {0, 9, 4};
  (void)DecodeCompactedKey(schema, key, in);
  (void)DecodeKvValue(in, schema);
  (void)ValueRecordBatch::Parse(Buffer::Copy(in));

  // A KvRecordBatch with a correct CRC (CRC-32C of SchemaId..end, stored at offset 5).
  std::vector<uint8_t> batch(data, data + size);
  if (batch.size() >= kv_batch::kHeaderSize) {
    const uint32_t crc = crc32c::Value(batch.data() + 9, batch.size() - 9);
    std::memcpy(batch.data() + 5, &crc, sizeof(crc));
  }
  auto parsed = KvRecordBatch::Parse(Buffer::FromVector(std::move(batch)));
  if (parsed.ok()) {
    const auto keys = schema.primary_key_indexes();
    for (const KvRecordView& rec : *parsed) {
      (void)DecodeCompactedKey(schema, keys, rec.key);
      if (rec.row) (void)DecodeCompactedRow(schema, *rec.row);
    }
  }
  return 0;
}
