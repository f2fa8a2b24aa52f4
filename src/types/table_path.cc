#include "types/table_path.h"

#include <fmt/format.h>

namespace fluss {

Status TablePath::ValidateName(std::string_view name, std::string_view kind) {
  ErrorCode code = kind == "database" ? ErrorCode::kInvalidDatabase : ErrorCode::kInvalidTable;
  if (name.empty()) return Status(code, fmt::format("{} name must not be empty", kind));
  if (name.size() > kMaxNameLength) {
    return Status(code, fmt::format("{} name '{}...' is {} characters long; the limit is {}", kind,
                                    name.substr(0, 20), name.size(), kMaxNameLength));
  }
  if (name == "." || name == "..") return Status(code, fmt::format("{} name '{}' is not allowed", kind, name));
  if (name.starts_with("__")) {
    return Status(code, fmt::format("{} name '{}' starts with '__', which is reserved for internal use", kind, name));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return Status(code, fmt::format("{} name '{}' contains '{}'; only ASCII letters, digits, '_' and '-' are allowed",
                                      kind, name, c));
    }
  }
  return Status::OK();
}

Status TablePath::ValidateNewDatabaseName(std::string_view name) {
  FLUSS_RETURN_NOT_OK(ValidateName(name, "database"));
  for (std::string_view reserved : kReservedDatabaseNames) {
    if (name == reserved) {
      return Status(ErrorCode::kInvalidDatabase,
                    fmt::format("database name '{}' is reserved: tablet servers keep a file of that name in their "
                                "data directory",
                                name));
    }
  }
  return Status::OK();
}

Result<TablePath> TablePath::Make(std::string database, std::string table) {
  FLUSS_RETURN_NOT_OK(ValidateName(database, "database"));
  FLUSS_RETURN_NOT_OK(ValidateName(table, "table"));
  TablePath p;
  p.database_ = std::move(database);
  p.table_ = std::move(table);
  return p;
}

Result<TablePath> TablePath::Parse(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.find('.', dot + 1) != std::string_view::npos) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("table path '{}' must be <database>.<table> with exactly one '.'", text));
  }
  return Make(std::string(text.substr(0, dot)), std::string(text.substr(dot + 1)));
}

}  // namespace fluss
