// Arrow IPC body compression (BodyCompression method BUFFER): each body buffer is stored as
// [int64 LE uncompressed length][codec frame], or [-1][raw bytes] when compressing does not help.
// LZ4_FRAME uses liblz4's frame format (one frame per buffer), ZSTD one zstd frame per buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace fluss::arrow {

enum class CompressionCodec : uint8_t { kNone, kLz4Frame, kZstd };

struct CompressionOptions {
  CompressionCodec codec = CompressionCodec::kNone;
  int zstd_level = 3;
};

// The compression a table's log batches use, from its properties: table.log.arrow.compression.type
// (NONE, LZ4_FRAME, ZSTD; default ZSTD) and table.log.arrow.compression.zstd.level (default 3).
CompressionOptions TableLogCompression(const std::map<std::string, std::string>& properties);

// Bytes of the uncompressed-length prefix in front of every non-empty compressed buffer.
inline constexpr size_t kCompressedLengthPrefix = 8;
// Prefix value meaning "the bytes that follow are not compressed".
inline constexpr int64_t kUncompressedMarker = -1;
// The largest buffer the decoder will inflate (a guard against decompression bombs).
inline constexpr int64_t kMaxDecompressedBufferSize = int64_t{1} << 31;

// Compresses one body buffer per BodyCompression BUFFER: appends the prefixed form of `raw` to `out`.
// An empty `raw` appends nothing (an empty buffer stays empty). Falls back to the -1 raw form when the
// codec output is not smaller than `raw`. REQUIRES: codec != kNone.
class BufferCompressor {
 public:
  explicit BufferCompressor(const CompressionOptions& options);
  ~BufferCompressor();
  BufferCompressor(const BufferCompressor&) = delete;
  BufferCompressor& operator=(const BufferCompressor&) = delete;

  Status Compress(std::span<const uint8_t> raw, std::vector<uint8_t>* out);

 private:
  CompressionOptions options_;
  void* zstd_ctx_ = nullptr;  // ZSTD_CCtx*, created on first use
};

// Inverse of BufferCompressor for one body buffer `stored` (prefix included). An empty `stored`, a
// prefix of 0 and the -1 raw form are accepted. Checks the prefix against kMaxDecompressedBufferSize,
// that the codec consumes exactly one whole frame and yields exactly the prefixed length; never
// allocates more than the data actually inflates to. Raw (-1) buffers are returned as a view of
// `stored`; inflated ones are stored in `*scratch` and viewed from there.
class BufferDecompressor {
 public:
  explicit BufferDecompressor(CompressionCodec codec);
  ~BufferDecompressor();
  BufferDecompressor(const BufferDecompressor&) = delete;
  BufferDecompressor& operator=(const BufferDecompressor&) = delete;

  Result<std::span<const uint8_t>> Decompress(std::span<const uint8_t> stored, std::vector<uint8_t>* scratch);

 private:
  Status Inflate(std::span<const uint8_t> frame, size_t expected, std::vector<uint8_t>* out);

  CompressionCodec codec_;
  void* zstd_ctx_ = nullptr;  // ZSTD_DCtx*, created on first use
  void* lz4_ctx_ = nullptr;   // LZ4F_dctx*, created on first use
};

}  // namespace fluss::arrow
