#include "format/arrow/compression.h"

#include <cstdlib>

#include <fmt/format.h>
#include <lz4frame.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "common/byte_io.h"

namespace fluss::arrow {
namespace {

constexpr size_t kInitialInflateCapacity = 64 * 1024;

ZSTD_CCtx* Zcctx(void* p) { return static_cast<ZSTD_CCtx*>(p); }
ZSTD_DCtx* Zdctx(void* p) { return static_cast<ZSTD_DCtx*>(p); }
LZ4F_dctx* Ldctx(void* p) { return static_cast<LZ4F_dctx*>(p); }

void AppendPrefixed(int64_t prefix, std::span<const uint8_t> bytes, std::vector<uint8_t>* out) {
  ByteWriter w(out);
  w.WriteLE<int64_t>(prefix);
  w.WriteBytes(bytes);
}

}  // namespace

BufferCompressor::BufferCompressor(const CompressionOptions& options) : options_(options) {}

BufferCompressor::~BufferCompressor() {
  if (zstd_ctx_ != nullptr) ZSTD_freeCCtx(Zcctx(zstd_ctx_));
}

Status BufferCompressor::Compress(std::span<const uint8_t> raw, std::vector<uint8_t>* out) {
  if (raw.empty()) return Status::OK();
  const size_t start = out->size();
  size_t bound = 0;
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  switch (options_.codec) {
    case CompressionCodec::kLz4Frame:
      bound = LZ4F_compressFrameBound(raw.size(), &prefs);
      break;
    case CompressionCodec::kZstd:
      bound = ZSTD_compressBound(raw.size());
      break;
    case CompressionCodec::kNone:
      return Status::Internal("BufferCompressor used with codec NONE");
  }
  out->resize(start + kCompressedLengthPrefix + bound);
  uint8_t* dst = out->data() + start + kCompressedLengthPrefix;
  size_t written = 0;
  if (options_.codec == CompressionCodec::kLz4Frame) {
    written = LZ4F_compressFrame(dst, bound, raw.data(), raw.size(), &prefs);
    if (LZ4F_isError(written)) {
      out->resize(start);
      return Status::Internal(fmt::format("LZ4 frame compression failed: {}", LZ4F_getErrorName(written)));
    }
  } else {
    if (zstd_ctx_ == nullptr) {
      zstd_ctx_ = ZSTD_createCCtx();
      if (zstd_ctx_ == nullptr) {
        out->resize(start);
        return Status::Internal("cannot allocate a zstd compression context");
      }
    }
    written = ZSTD_compressCCtx(Zcctx(zstd_ctx_), dst, bound, raw.data(), raw.size(), options_.zstd_level);
    if (ZSTD_isError(written)) {
      out->resize(start);
      return Status::Internal(fmt::format("zstd compression failed: {}", ZSTD_getErrorName(written)));
    }
  }
  if (written >= raw.size()) {
    out->resize(start);
    AppendPrefixed(kUncompressedMarker, raw, out);
    return Status::OK();
  }
  StoreLE<int64_t>(out->data() + start, static_cast<int64_t>(raw.size()));
  out->resize(start + kCompressedLengthPrefix + written);
  return Status::OK();
}

BufferDecompressor::BufferDecompressor(CompressionCodec codec) : codec_(codec) {}

BufferDecompressor::~BufferDecompressor() {
  if (zstd_ctx_ != nullptr) ZSTD_freeDCtx(Zdctx(zstd_ctx_));
  if (lz4_ctx_ != nullptr) LZ4F_freeDecompressionContext(Ldctx(lz4_ctx_));
}

Result<std::span<const uint8_t>> BufferDecompressor::Decompress(std::span<const uint8_t> stored,
                                                                std::vector<uint8_t>* scratch) {
  if (stored.empty()) return std::span<const uint8_t>();
  if (stored.size() < kCompressedLengthPrefix) {
    return Status::Corruption(
        fmt::format("compressed Arrow buffer of {} bytes is shorter than its 8-byte length prefix", stored.size()));
  }
  const int64_t declared = LoadLE<int64_t>(stored.data());
  std::span<const uint8_t> frame = stored.subspan(kCompressedLengthPrefix);
  if (declared == kUncompressedMarker) return frame;
  if (declared == 0) return std::span<const uint8_t>();
  if (declared < 0 || declared > kMaxDecompressedBufferSize) {
    return Status::Corruption(fmt::format("compressed Arrow buffer declares an uncompressed length of {}", declared));
  }
  FLUSS_RETURN_NOT_OK(Inflate(frame, static_cast<size_t>(declared), scratch));
  return std::span<const uint8_t>(*scratch);
}

// Streams the frame into `out`, growing it only as output actually appears, with room for one byte
// more than expected so that a frame inflating past its declared length is detected.
Status BufferDecompressor::Inflate(std::span<const uint8_t> frame, size_t expected, std::vector<uint8_t>* out) {
  const size_t limit = expected + 1;
  out->clear();
  out->resize(std::min(limit, std::max(kInitialInflateCapacity, frame.size() * 4)));
  size_t in_pos = 0;
  size_t out_pos = 0;
  const char* codec_name = codec_ == CompressionCodec::kZstd ? "zstd" : "LZ4";

  if (codec_ == CompressionCodec::kZstd) {
    if (zstd_ctx_ == nullptr) {
      zstd_ctx_ = ZSTD_createDCtx();
      if (zstd_ctx_ == nullptr) return Status::Internal("cannot allocate a zstd decompression context");
    } else {
      ZSTD_DCtx_reset(Zdctx(zstd_ctx_), ZSTD_reset_session_only);
    }
  } else if (codec_ == CompressionCodec::kLz4Frame) {
    if (lz4_ctx_ == nullptr) {
      LZ4F_dctx* ctx = nullptr;
      size_t rc = LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION);
      if (LZ4F_isError(rc)) return Status::Internal("cannot allocate an LZ4 decompression context");
      lz4_ctx_ = ctx;
    } else {
      LZ4F_resetDecompressionContext(Ldctx(lz4_ctx_));
    }
  } else {
    return Status::Corruption("compressed Arrow buffer without a compression codec");
  }

  bool done = false;
  while (!done) {
    if (out_pos == out->size()) {
      if (out->size() >= limit) {
        return Status::Corruption(
            fmt::format("{} buffer inflates to more than its declared {} bytes", codec_name, expected));
      }
      out->resize(std::min(limit, out->size() * 2));
    }
    const size_t in_before = in_pos;
    const size_t out_before = out_pos;
    if (codec_ == CompressionCodec::kZstd) {
      ZSTD_inBuffer in{frame.data(), frame.size(), in_pos};
      ZSTD_outBuffer o{out->data(), out->size(), out_pos};
      size_t rc = ZSTD_decompressStream(Zdctx(zstd_ctx_), &o, &in);
      if (ZSTD_isError(rc)) {
        return Status::Corruption(fmt::format("zstd buffer does not decompress: {}", ZSTD_getErrorName(rc)));
      }
      in_pos = in.pos;
      out_pos = o.pos;
      done = rc == 0;
    } else {
      size_t src_size = frame.size() - in_pos;
      size_t dst_size = out->size() - out_pos;
      size_t rc = LZ4F_decompress(Ldctx(lz4_ctx_), out->data() + out_pos, &dst_size, frame.data() + in_pos,
                                  &src_size, nullptr);
      if (LZ4F_isError(rc)) {
        return Status::Corruption(fmt::format("LZ4 buffer does not decompress: {}", LZ4F_getErrorName(rc)));
      }
      in_pos += src_size;
      out_pos += dst_size;
      done = rc == 0;
    }
    if (!done && in_pos == frame.size() && out_pos < out->size()) {
      return Status::Corruption(fmt::format("{} buffer is truncated: the frame does not end", codec_name));
    }
    if (!done && in_pos == in_before && out_pos == out_before && out_pos < out->size()) {
      return Status::Corruption(fmt::format("{} buffer makes no progress while decompressing", codec_name));
    }
  }
  if (in_pos != frame.size()) {
    return Status::Corruption(
        fmt::format("{} buffer has {} bytes after the end of its frame", codec_name, frame.size() - in_pos));
  }
  if (out_pos != expected) {
    return Status::Corruption(fmt::format("{} buffer inflates to {} bytes but declares {}", codec_name, out_pos, expected));
  }
  out->resize(out_pos);
  return Status::OK();
}

CompressionOptions TableLogCompression(const std::map<std::string, std::string>& properties) {
  CompressionOptions options;
  auto it = properties.find("table.log.arrow.compression.type");
  const std::string codec = it == properties.end() ? "ZSTD" : it->second;
  if (codec == "NONE") {
    options.codec = CompressionCodec::kNone;
  } else if (codec == "LZ4_FRAME") {
    options.codec = CompressionCodec::kLz4Frame;
  } else {
    options.codec = CompressionCodec::kZstd;
    auto level = properties.find("table.log.arrow.compression.zstd.level");
    if (level != properties.end()) options.zstd_level = std::atoi(level->second.c_str());
  }
  return options;
}

}  // namespace fluss::arrow
