// A metadata store file as read back after a crash: the envelope (magic, length, CRC) around JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "metadata/metadata_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fluss::DecodeMetadataEnvelope(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  return 0;
}
