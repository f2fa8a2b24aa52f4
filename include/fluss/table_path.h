// TablePath: database.table, with Fluss's naming rules (1..200 chars of [A-Za-z0-9_-], not "." or
// "..", no "__" prefix: reserved for internal use).
#pragma once

#include <string>
#include <string_view>

#include "fluss/status.h"

namespace fluss {

class TablePath {
 public:
  static constexpr size_t kMaxNameLength = 200;

  // Validates both names.
  static Result<TablePath> Make(std::string database, std::string table);
  // Parses "db.table" (exactly one dot).
  static Result<TablePath> Parse(std::string_view text);

  // Checks one database or table name; `kind` ("database", "table") names it in the error.
  static Status ValidateName(std::string_view name, std::string_view kind);
  // ValidateName(name, "database"), and the name is not one of kReservedDatabaseNames: a database is
  // a directory at the root of a tablet server's data dir, beside files the server keeps there.
  // INVALID_DATABASE naming the file. Used where databases are created; stored names are read with
  // ValidateName alone.
  static Status ValidateNewDatabaseName(std::string_view name);
  // The names of what a tablet server keeps at the root of its data dir that a valid database name
  // could spell (upstream Fluss's file names; the server's other entries start with '.', which no
  // database name can).
  static constexpr std::string_view kReservedDatabaseNames[] = {
      "recovery-point-offset-checkpoint", "high-watermark-checkpoint", "remote-log-index-cache"};

  const std::string& database() const { return database_; }
  const std::string& table() const { return table_; }
  std::string ToString() const { return database_ + "." + table_; }

  bool operator==(const TablePath&) const = default;
  auto operator<=>(const TablePath&) const = default;

 private:
  std::string database_;
  std::string table_;
};

}  // namespace fluss
