// The checked envelope of metadata.json (the whole-file format of earlier versions, read to migrate
// it to metadata.log) and the crash-safe way a file is replaced. Byte layout:
// docs/formats/metadata-store.md. POSIX only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fluss {

inline constexpr std::string_view kMetadataFileMagic = "fluss-metadata";
inline constexpr std::string_view kMetadataFileVersion = "v1";

// "fluss-metadata v1 <crc32c: 8 lowercase hex digits> <body length: decimal>\n" followed by `body`.
std::string EncodeMetadataEnvelope(std::string_view body);
// Checks the header (magic, version, CRC32C of the body, exact length, nothing after the body) and
// returns the body. Failures are CORRUPT_RECORD (UNSUPPORTED_VERSION for a version other than v1),
// with messages that start "metadata file '<path>': ".
Result<std::string> DecodeMetadataEnvelope(std::string_view file, const std::string& path);

// Replaces `path` with `content` crash-safely: write `path`.tmp, fsync it, rename it over `path`,
// fsync the directory. After a crash `path` holds the old or the new content, never a mix; a
// `path`.tmp may be left behind. Failures are STORAGE_EXCEPTION naming the file and errno's text.
Status ReplaceFileDurably(const std::string& path, std::string_view content);
// The whole content of `path`, or nullopt when it does not exist.
Result<std::optional<std::string>> ReadFileIfExists(const std::string& path);

}  // namespace fluss
