#include "metadata/metadata_file.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "common/crc32c.h"

namespace fluss {
namespace {

// The header line is short; anything longer than this without a newline is not our file.
constexpr size_t kMaxHeaderLength = 64;

}  // namespace

std::string EncodeMetadataEnvelope(std::string_view body) {
  uint32_t crc = crc32c::Value(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  std::string out = fmt::format("{} {} {:08x} {}\n", kMetadataFileMagic, kMetadataFileVersion, crc, body.size());
  out.append(body);
  return out;
}

Result<std::string> DecodeMetadataEnvelope(std::string_view file, const std::string& path) {
  auto corrupt = [&](std::string_view why) {
    return Status::Corruption(fmt::format("metadata file '{}': {}", path, why));
  };
  size_t newline = file.substr(0, kMaxHeaderLength).find('\n');
  if (newline == std::string_view::npos) {
    return corrupt(file.empty() ? "file is empty" : "no header line (expected 'fluss-metadata v1 <crc> <length>')");
  }
  std::string_view header = file.substr(0, newline);
  std::string_view body = file.substr(newline + 1);

  // Exactly four fields separated by single spaces.
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    size_t space = header.find(' ', start);
    fields.push_back(header.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  if (fields.size() != 4 || fields[0] != kMetadataFileMagic)
    return corrupt(fmt::format("malformed header '{}'", header));
  if (fields[1] != kMetadataFileVersion) {
    return Status::NotSupported(fmt::format("metadata file '{}': version '{}' is not supported (this build reads {})",
                                            path, fields[1], kMetadataFileVersion));
  }
  std::string_view crc_text = fields[2];
  std::string_view len_text = fields[3];
  uint32_t crc = 0;
  uint64_t length = 0;
  auto parse_hex = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), crc, 16);
  if (crc_text.size() != 8 || parse_hex.ec != std::errc() || parse_hex.ptr != crc_text.data() + crc_text.size()) {
    return corrupt(fmt::format("malformed CRC '{}' in header", crc_text));
  }
  auto parse_len = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
  if (len_text.empty() || parse_len.ec != std::errc() || parse_len.ptr != len_text.data() + len_text.size()) {
    return corrupt(fmt::format("malformed length '{}' in header", len_text));
  }
  if (body.size() != length) {
    return corrupt(fmt::format("header announces {} bytes of JSON but {} follow (truncated or extended file)", length,
                               body.size()));
  }
  uint32_t actual = crc32c::Value(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  if (actual != crc) return corrupt(fmt::format("CRC32C mismatch: header {:08x}, content {:08x}", crc, actual));
  return std::string(body);
}

Result<std::optional<std::string>> ReadFileIfExists(FileSystem& fs, const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(bool exists, fs.Exists(path));
  if (!exists) return std::optional<std::string>();
  FLUSS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, fs.ReadFile(path));
  return std::optional<std::string>(std::string(bytes.begin(), bytes.end()));
}

}  // namespace fluss
