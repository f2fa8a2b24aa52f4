// The metadata store's files as read back after a crash: the record log (header line, checksummed
// records, their changes, and the state they replay into), and the earlier whole-file format's
// envelope (magic, length, CRC) around JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "metadata/metadata_file.h"
#include "metadata/metadata_log.h"
#include "metadata/metadata_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto log = fluss::DecodeMetadataLog(bytes, "fuzz");
  if (log.ok()) {
    fluss::MetadataState state;
    for (const auto& record : log->records) {
      for (const auto& change : record.changes) (void)fluss::ApplyMetadataChange(change, "fuzz", &state);
    }
    (void)fluss::ValidateMetadataState(state, "fuzz");
  }
  auto body = fluss::DecodeMetadataEnvelope(bytes, "fuzz");
  if (body.ok()) (void)fluss::DecodeMetadataState(*body, "fuzz");
  return 0;
}
