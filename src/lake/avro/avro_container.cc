#include "lake/avro/avro_container.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "common/byte_io.h"
#include "lake/avro/avro_binary.h"

namespace fluss::avro {

namespace {

constexpr uint8_t kMagic[4] = {'O', 'b', 'j', 1};

Result<std::vector<uint8_t>> DeflateRaw(std::span<const uint8_t> in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("avro: deflateInit2 failed");
  }
  std::vector<uint8_t> out(deflateBound(&zs, in.size()));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("avro: deflate did not finish");
  out.resize(n);
  return out;
}

Result<std::vector<uint8_t>> InflateRaw(std::span<const uint8_t> in, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) return Status::Internal("avro: inflateInit2 failed");
  std::vector<uint8_t> out;
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_out) {
      inflateEnd(&zs);
      return Status::Corruption(fmt::format("avro: deflate block inflates beyond {} bytes", max_out));
    }
    size_t old = out.size();
    out.resize(std::min(max_out, std::max<size_t>(old * 2, 4096)));
    zs.next_out = out.data() + old;
    zs.avail_out = static_cast<uInt>(out.size() - old);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::Corruption(fmt::format("avro: corrupt deflate block (zlib {})", rc));
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::Corruption("avro: truncated deflate block");
    }
  }
  out.resize(zs.total_out);
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) return Status::Corruption("avro: bytes after the end of a deflate block");
  return out;
}

}  // namespace

Result<AvroFileWriter> AvroFileWriter::Make(AvroSchema schema, std::map<std::string, std::string> metadata,
                                            AvroWriterOptions options) {
  for (const auto& [k, v] : metadata) {
    if (k.rfind("avro.", 0) == 0) {
      return Status::Invalid(fmt::format("avro: metadata key '{}' is reserved", k));
    }
  }
  AvroFileWriter w;
  w.schema_ = std::move(schema);
  w.options_ = options;
  if (options.sync) {
    w.sync_ = *options.sync;
  } else {
    std::random_device rd;
    for (auto& b : w.sync_) b = static_cast<uint8_t>(rd());
  }
  metadata["avro.schema"] = w.schema_.json_text();
  metadata["avro.codec"] = options.codec == AvroCodec::kDeflate ? "deflate" : "null";
  w.out_.assign(std::begin(kMagic), std::end(kMagic));
  PutLong(&w.out_, static_cast<int64_t>(metadata.size()));
  for (const auto& [k, v] : metadata) {
    PutString(&w.out_, k);
    PutString(&w.out_, v);  // bytes and string share one encoding
  }
  PutLong(&w.out_, 0);
  w.out_.insert(w.out_.end(), w.sync_.begin(), w.sync_.end());
  return w;
}

Status AvroFileWriter::Append(const AvroValue& value) {
  size_t before = block_.size();
  Status st = EncodeDatum(schema_.root(), value, &block_);
  if (!st.ok()) {
    block_.resize(before);
    return st;
  }
  ++block_count_;
  ++objects_;
  if (block_.size() >= options_.block_bytes || block_count_ >= options_.block_objects) return FlushBlock();
  return Status::OK();
}

Status AvroFileWriter::FlushBlock() {
  if (block_count_ == 0) return Status::OK();
  std::vector<uint8_t> data;
  if (options_.codec == AvroCodec::kDeflate) {
    FLUSS_ASSIGN_OR_RETURN(data, DeflateRaw(block_));
  } else {
    data = std::move(block_);
  }
  PutLong(&out_, block_count_);
  PutLong(&out_, static_cast<int64_t>(data.size()));
  out_.insert(out_.end(), data.begin(), data.end());
  out_.insert(out_.end(), sync_.begin(), sync_.end());
  block_.clear();
  block_count_ = 0;
  return Status::OK();
}

Result<std::vector<uint8_t>> AvroFileWriter::Finish() {
  FLUSS_RETURN_NOT_OK(FlushBlock());
  return std::move(out_);
}

Result<AvroFileContents> ReadAvroFile(std::span<const uint8_t> file, const AvroReadLimits& limits) {
  ByteReader in(file);
  FLUSS_ASSIGN_OR_RETURN(auto magic, in.ReadBytes(4, "avro magic"));
  if (std::memcmp(magic.data(), kMagic, 4) != 0) return Status::Corruption("avro: bad magic, not an Obj\\x01 file");

  AvroFileContents c;
  for (;;) {
    FLUSS_ASSIGN_OR_RETURN(int64_t count, ReadLong(&in, "avro header map count"));
    if (count == 0) break;
    if (count < 0) {
      if (count == INT64_MIN) return Status::Corruption("avro: header map count overflows");
      count = -count;
      FLUSS_ASSIGN_OR_RETURN(int64_t size, ReadLong(&in, "avro header map block size"));
      if (size < 0 || static_cast<uint64_t>(size) > in.remaining()) {
        return Status::Corruption("avro: header map block size beyond the file");
      }
    }
    if (static_cast<uint64_t>(count) > in.remaining() / 2) {
      return Status::Corruption(fmt::format("avro: header map count {} beyond the file", count));
    }
    for (int64_t i = 0; i < count; ++i) {
      std::string kv[2];
      for (auto& s : kv) {
        FLUSS_ASSIGN_OR_RETURN(int64_t n, ReadLong(&in, "avro header string length"));
        if (n < 0 || static_cast<uint64_t>(n) > in.remaining()) {
          return Status::Corruption(fmt::format("avro: header string length {} with {} bytes left", n, in.remaining()));
        }
        FLUSS_ASSIGN_OR_RETURN(auto b, in.ReadBytes(static_cast<size_t>(n), "avro header string"));
        s.assign(b.begin(), b.end());
      }
      if (!c.metadata.emplace(kv[0], kv[1]).second) {
        return Status::Corruption(fmt::format("avro: header key '{}' appears twice", kv[0]));
      }
    }
  }
  auto schema_it = c.metadata.find("avro.schema");
  if (schema_it == c.metadata.end()) return Status::Corruption("avro: header has no avro.schema");
  auto schema = AvroSchema::Parse(schema_it->second);
  if (!schema.ok()) return Status::Corruption("avro: header schema is invalid: " + schema.status().message());
  c.schema = std::move(schema).value();
  if (auto codec = c.metadata.find("avro.codec"); codec != c.metadata.end() && codec->second != "null") {
    if (codec->second != "deflate") {
      return Status::NotSupported(fmt::format("avro: codec '{}' is not supported", codec->second));
    }
    c.codec = AvroCodec::kDeflate;
  }
  FLUSS_ASSIGN_OR_RETURN(auto sync, in.ReadBytes(16, "avro sync marker"));
  std::memcpy(c.sync.data(), sync.data(), 16);

  while (!in.AtEnd()) {
    size_t block_at = in.position();
    FLUSS_ASSIGN_OR_RETURN(int64_t count, ReadLong(&in, "avro block object count"));
    FLUSS_ASSIGN_OR_RETURN(int64_t size, ReadLong(&in, "avro block size"));
    if (count <= 0 || count > limits.max_objects - static_cast<int64_t>(c.records.size())) {
      return Status::Corruption(fmt::format("avro: block at byte {} has object count {}", block_at, count));
    }
    if (size < 0 || static_cast<uint64_t>(size) > limits.max_block_bytes ||
        static_cast<uint64_t>(size) > in.remaining()) {
      return Status::Corruption(fmt::format("avro: block at byte {} has size {} with {} bytes left", block_at, size,
                                            in.remaining()));
    }
    FLUSS_ASSIGN_OR_RETURN(auto data, in.ReadBytes(static_cast<size_t>(size), "avro block data"));
    FLUSS_ASSIGN_OR_RETURN(auto block_sync, in.ReadBytes(16, "avro block sync marker"));
    if (std::memcmp(block_sync.data(), c.sync.data(), 16) != 0) {
      return Status::Corruption(fmt::format("avro: block at byte {} ends without the sync marker", block_at));
    }
    std::vector<uint8_t> inflated;
    std::span<const uint8_t> raw = data;
    if (c.codec == AvroCodec::kDeflate) {
      FLUSS_ASSIGN_OR_RETURN(inflated, InflateRaw(data, limits.max_block_bytes));
      raw = inflated;
    }
    ByteReader block(raw);
    for (int64_t i = 0; i < count; ++i) {
      auto v = DecodeDatum(c.schema.root(), &block);
      if (!v.ok()) {
        return v.status().WithContext(fmt::format("avro block at byte {}, object {}", block_at, i));
      }
      c.records.push_back(std::move(v).value());
    }
    if (!block.AtEnd()) {
      return Status::Corruption(fmt::format("avro: block at byte {} has {} bytes after its {} objects", block_at,
                                            block.remaining(), count));
    }
    ++c.blocks;
  }
  return c;
}

Result<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string message = fmt::format("open '{}': {}", path, std::strerror(err));
    return err == ENOENT ? Status::NotFound(std::move(message)) : Status::IOError(std::move(message));
  }
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::IOError(fmt::format("read '{}': {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

}  // namespace fluss::avro
