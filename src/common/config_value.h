// Parsing of option values as written in server.yaml, `--set key=value` and table properties:
// sizes with a unit ("16 mb", "100MiB"), durations with a unit ("500 ms", "7 d"), integers and
// booleans. Errors name the option and the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fluss {

std::string TrimSpace(std::string_view s);
// Bytes: a number with an optional unit b, kb/kib, mb/mib, gb/gib (1024-based; case-insensitive).
Result<int64_t> ParseSizeOption(std::string_view key, std::string_view text);
// Milliseconds: a number with an optional unit, as Fluss writes durations: ms (default), s, min (or m),
// h, d, their long forms ("seconds", "2 days") and ns / us (rounded down to milliseconds).
Result<int64_t> ParseDurationOption(std::string_view key, std::string_view text);
// A plain integer.
Result<int64_t> ParseIntOption(std::string_view key, std::string_view text);
// true/false (case-insensitive).
Result<bool> ParseBoolOption(std::string_view key, std::string_view text);

}  // namespace fluss
