// Whole-page compression for Parquet column chunks: UNCOMPRESSED, SNAPPY (raw snappy block, no
// framing) and ZSTD (one zstd frame). The page header carries both sizes, so decompression checks the
// output is exactly the uncompressed size the header declares.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "lake/parquet/parquet_metadata.h"

namespace fluss::parquet {

// The largest page the reader will inflate (guards against a lying header).
inline constexpr int64_t kMaxPageSize = int64_t{1} << 30;

// Appends the compressed form of `raw` to `out`. REQUIRES: codec is one of the three above.
Status CompressPage(Codec codec, int zstd_level, std::span<const uint8_t> raw, std::vector<uint8_t>* out);

// Replaces `*out` with the decompressed page; errors unless it is exactly `uncompressed_size` bytes.
Status DecompressPage(Codec codec, std::span<const uint8_t> compressed, size_t uncompressed_size,
                      std::vector<uint8_t>* out);

}  // namespace fluss::parquet
