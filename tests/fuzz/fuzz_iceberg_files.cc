// The lake's metadata as read back from a warehouse another process (or a crash) left: Avro object
// container files, Iceberg manifests and manifest lists, table metadata JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lake/avro/avro_container.h"
#include "lake/iceberg/manifest.h"
#include "lake/iceberg/manifest_list.h"
#include "lake/iceberg/table_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  (void)fluss::avro::ReadAvroFile(in);
  (void)fluss::iceberg::ReadManifest(in);
  (void)fluss::iceberg::ReadManifestList(in);
  (void)fluss::iceberg::TableMetadata::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
