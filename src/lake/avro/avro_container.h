// Avro object container files (Avro 1.11 specification, "Object Container Files"):
//
//   header: "Obj" 0x01, metadata as an Avro map<bytes> (avro.schema = the schema JSON, avro.codec =
//           "null" | "deflate", plus user keys), a 16-byte sync marker;
//   blocks: long object count, long byte size of the (compressed) data, the data, the sync marker.
//
// "deflate" is raw RFC 1951 deflate (zlib without header or checksum).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/avro/avro_schema.h"
#include "lake/avro/avro_value.h"

namespace fluss::avro {

enum class AvroCodec : uint8_t { kNull, kDeflate };

using SyncMarker = std::array<uint8_t, 16>;

struct AvroWriterOptions {
  AvroCodec codec = AvroCodec::kNull;
  // A block is closed once its uncompressed data reaches this size (or at Finish).
  size_t block_bytes = 64 * 1024;
  // A block is closed once it holds this many objects.
  int64_t block_objects = 1 << 20;
  // Fixed sync marker (tests, golden files); random when empty.
  std::optional<SyncMarker> sync;
};

// Writes a container file into memory. Not thread-safe.
class AvroFileWriter {
 public:
  // `metadata` holds the user keys (must not start with "avro."); the schema JSON is embedded exactly
  // as `schema.json_text()`.
  static Result<AvroFileWriter> Make(AvroSchema schema, std::map<std::string, std::string> metadata,
                                     AvroWriterOptions options = {});

  // Encodes `value` (checked against the schema) into the current block.
  Status Append(const AvroValue& value);
  // Closes the last block and returns the whole file. The writer is empty afterwards.
  Result<std::vector<uint8_t>> Finish();

  int64_t objects_written() const { return objects_; }

 private:
  AvroFileWriter() = default;
  Status FlushBlock();

  AvroSchema schema_;
  AvroWriterOptions options_;
  SyncMarker sync_{};
  std::vector<uint8_t> out_;
  std::vector<uint8_t> block_;
  int64_t block_count_ = 0;
  int64_t objects_ = 0;
};

// A container file read whole: its header and every datum, decoded with the writer's schema.
struct AvroFileContents {
  AvroSchema schema;
  std::map<std::string, std::string> metadata;  // every header key, including avro.schema / avro.codec
  AvroCodec codec = AvroCodec::kNull;
  SyncMarker sync{};
  std::vector<AvroValue> records;
  int64_t blocks = 0;
};

struct AvroReadLimits {
  size_t max_block_bytes = 64 << 20;     // compressed or decompressed size of one block
  int64_t max_objects = int64_t{1} << 24;  // objects in the whole file
};

// Validates the magic, the header map, the schema, the codec, each block's count, size and sync
// marker, and that each block's data holds exactly its objects. Any violation is a Corruption error
// (an unknown codec is NotSupported).
Result<AvroFileContents> ReadAvroFile(std::span<const uint8_t> file, const AvroReadLimits& limits = {});

// Reads a whole file. (Files are written through the file-system layer: fs/file_system.h,
// WriteFileDurably.)
Result<std::vector<uint8_t>> ReadWholeFile(const std::string& path);

}  // namespace fluss::avro
