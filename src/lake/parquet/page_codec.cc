#include "lake/parquet/page_codec.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zstd.h>

namespace fluss::parquet {

Status CompressPage(Codec codec, int zstd_level, std::span<const uint8_t> raw, std::vector<uint8_t>* out) {
  const size_t start = out->size();
  switch (codec) {
    case Codec::kUncompressed:
      out->insert(out->end(), raw.begin(), raw.end());
      return Status::OK();
    case Codec::kSnappy: {
      out->resize(start + snappy::MaxCompressedLength(raw.size()));
      size_t n = 0;
      snappy::RawCompress(reinterpret_cast<const char*>(raw.data()), raw.size(),
                          reinterpret_cast<char*>(out->data() + start), &n);
      out->resize(start + n);
      return Status::OK();
    }
    case Codec::kZstd: {
      out->resize(start + ZSTD_compressBound(raw.size()));
      size_t n = ZSTD_compress(out->data() + start, out->size() - start, raw.data(), raw.size(), zstd_level);
      if (ZSTD_isError(n)) {
        out->resize(start);
        return Status::Internal(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(n)));
      }
      out->resize(start + n);
      return Status::OK();
    }
    default:
      return Status::NotSupported(fmt::format("parquet codec {} is not supported", static_cast<int>(codec)));
  }
}

Status DecompressPage(Codec codec, std::span<const uint8_t> compressed, size_t uncompressed_size,
                      std::vector<uint8_t>* out) {
  if (uncompressed_size > static_cast<size_t>(kMaxPageSize)) {
    return Status::Corruption(fmt::format("parquet page of {} bytes exceeds the {} byte limit", uncompressed_size,
                                          kMaxPageSize));
  }
  switch (codec) {
    case Codec::kUncompressed:
      if (compressed.size() != uncompressed_size) {
        return Status::Corruption(fmt::format("uncompressed parquet page: {} bytes stored, header says {}",
                                              compressed.size(), uncompressed_size));
      }
      out->assign(compressed.begin(), compressed.end());
      return Status::OK();
    case Codec::kSnappy: {
      const char* src = reinterpret_cast<const char*>(compressed.data());
      size_t n = 0;
      if (!snappy::GetUncompressedLength(src, compressed.size(), &n) || n != uncompressed_size) {
        return Status::Corruption("snappy parquet page: bad length header or size mismatch with the page header");
      }
      out->resize(n);
      if (!snappy::RawUncompress(src, compressed.size(), reinterpret_cast<char*>(out->data()))) {
        return Status::Corruption("snappy parquet page does not decompress");
      }
      return Status::OK();
    }
    case Codec::kZstd: {
      // The frame header usually states its content size: check it before allocating.
      unsigned long long declared = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
      if (declared == ZSTD_CONTENTSIZE_ERROR) return Status::Corruption("zstd parquet page: not a zstd frame");
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != uncompressed_size) {
        return Status::Corruption(fmt::format("zstd parquet page declares {} bytes, page header says {}", declared,
                                              uncompressed_size));
      }
      out->resize(uncompressed_size);
      size_t n = ZSTD_decompress(out->data(), out->size(), compressed.data(), compressed.size());
      if (ZSTD_isError(n)) {
        return Status::Corruption(fmt::format("zstd parquet page: {}", ZSTD_getErrorName(n)));
      }
      if (n != uncompressed_size) {
        return Status::Corruption(fmt::format("zstd parquet page inflates to {} bytes, header says {}", n,
                                              uncompressed_size));
      }
      return Status::OK();
    }
    default:
      return Status::NotSupported(fmt::format("parquet codec {} is not supported", static_cast<int>(codec)));
  }
}

}  // namespace fluss::parquet
