// The checked envelope of metadata.json (the whole-file format of earlier versions, read to migrate
// it to metadata.log). Byte layout: docs/formats/metadata-store.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "fs/file_system.h"

namespace fluss {

inline constexpr std::string_view kMetadataFileMagic = "fluss-metadata";
inline constexpr std::string_view kMetadataFileVersion = "v1";

// "fluss-metadata v1 <crc32c: 8 lowercase hex digits> <body length: decimal>\n" followed by `body`.
std::string EncodeMetadataEnvelope(std::string_view body);
// Checks the header (magic, version, CRC32C of the body, exact length, nothing after the body) and
// returns the body. Failures are CORRUPT_RECORD (UNSUPPORTED_VERSION for a version other than v1),
// with messages that start "metadata file '<path>': ".
Result<std::string> DecodeMetadataEnvelope(std::string_view file, const std::string& path);

// The whole content of `path` on `fs`, or nullopt when it does not exist.
Result<std::optional<std::string>> ReadFileIfExists(FileSystem& fs, const std::string& path);

}  // namespace fluss
