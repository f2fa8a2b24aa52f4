// Helpers shared by the subcommands: error reporting, connecting, position specs.
#include <charconv>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/value_codec.h"

namespace fluss::cli {

int Fail(std::string_view message) {
  std::fflush(stdout);
  std::string line = fmt::format("fluss: {}\n", message);
  std::fwrite(line.data(), 1, line.size(), stderr);
  return kExitError;
}

int Fail(const Status& status) { return Fail(status.message().empty() ? status.ToString() : status.message()); }

int UsageError(std::string_view message) {
  Fail(message);
  return kExitUsage;
}

Result<std::shared_ptr<Connection>> Connect(const GlobalOptions& options) {
  Configuration config;
  config.bootstrap_servers = options.bootstrap_server;
  config.connect_timeout = options.connect_timeout;
  config.request_timeout = options.request_timeout;
  return Connection::Create(std::move(config));
}

Result<PositionSpec> ParsePositionSpec(std::string_view text, bool allow_offset) {
  const std::string expected = allow_offset ? "earliest, latest, offset:N or timestamp:T" : "earliest, latest or timestamp:T";
  if (text == "earliest") return PositionSpec{PositionSpec::Kind::kEarliest, 0};
  if (text == "latest") return PositionSpec{PositionSpec::Kind::kLatest, 0};
  if (allow_offset && text.rfind("offset:", 0) == 0) {
    std::string_view n = text.substr(7);
    int64_t v = -1;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (ec != std::errc() || p != n.data() + n.size() || v < 0) {
      return Status::Invalid(fmt::format("'{}': the offset must be an integer >= 0", text));
    }
    return PositionSpec{PositionSpec::Kind::kOffset, v};
  }
  if (text.rfind("timestamp:", 0) == 0) {
    FLUSS_ASSIGN_OR_RETURN(int64_t ms, ParseEpochMillis(text.substr(10)));
    return PositionSpec{PositionSpec::Kind::kTimestamp, ms};
  }
  return Status::Invalid(fmt::format("'{}' is not a position; expected {}", text, expected));
}

bool IsRightAligned(const DataType& type) {
  const TypeRoot t = type.root();
  return t == TypeRoot::kTinyInt || t == TypeRoot::kSmallInt || t == TypeRoot::kInt || t == TypeRoot::kBigInt ||
         t == TypeRoot::kFloat || t == TypeRoot::kDouble || t == TypeRoot::kDecimal;
}

}  // namespace fluss::cli
