// Log record batches as a server reads them from a client or from disk: parse (CRC not checked, so
// the fuzzer reaches everything behind it), read the rows, project two columns.
#include <cstddef>
#include <cstdint>

#include "common/buffer.h"
#include "format/log_record_batch.h"
#include "fuzz_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fluss;
  const Schema& schema = fuzz::FuzzSchema();
  auto batches = ParseLogRecordBatches(Buffer::Copy(std::span<const uint8_t>(data, size)), /*verify_crc=*/false,
                                       /*allow_partial_tail=*/true);
  if (!batches.ok()) return 0;
  const size_t columns[] = {9, 0};
  for (const auto& batch : *batches) {
    (void)batch.ReadRecords(schema);
    (void)ProjectLogRecordBatch(batch, schema, columns);
  }
  return 0;
}
