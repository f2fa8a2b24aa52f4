// Arrow IPC RecordBatch messages (the body of every ARROW log batch): size the message, decode its
// columns with the fuzz schema.
#include <cstddef>
#include <cstdint>

#include "format/arrow/ipc_message.h"
#include "format/arrow/record_batch.h"
#include "fuzz_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fluss;
  const std::span<const uint8_t> in(data, size);
  (void)arrow::MessageSize(in);
  (void)arrow::DecodeColumns(fuzz::FuzzSchema(), in);
  return 0;
}
