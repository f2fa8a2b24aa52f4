// The schema DSL the CLI takes: "id INT NOT NULL, name STRING COMMENT 'x', ts TIMESTAMP(3), PRIMARY KEY (id)".
//
//   schema      := element (',' element)*
//   element     := column | PRIMARY KEY '(' ident (',' ident)* ')'
//   column      := ident type [NOT NULL | NULL] [COMMENT 'text']
//   type        := BOOLEAN | TINYINT | SMALLINT | INT | INTEGER | BIGINT | FLOAT | DOUBLE
//                | DECIMAL ['(' p [',' s] ')'] | CHAR ['(' n ')'] | STRING | VARCHAR | BINARY ['(' n ')']
//                | BYTES | VARBINARY | DATE | TIME ['(' p ')'] | TIMESTAMP ['(' p ')'] [WITHOUT TIME ZONE]
//                | TIMESTAMP_LTZ ['(' p ')'] | TIMESTAMP ['(' p ')'] WITH LOCAL TIME ZONE
//   ident       := [A-Za-z_][A-Za-z0-9_]* | '`' any characters, `` for a backquote '`'
// Keywords are case-insensitive. Defaults: DECIMAL(10, 0), CHAR(1), BINARY(1), TIME(0), TIMESTAMP(6).
//
// A table's schema may end with its partition keys (ParseTableSchema only):
//   table_schema := schema [','] [PARTITIONED BY '(' ident (',' ident)* ')']
// e.g. "id BIGINT, dt STRING, v DOUBLE, PRIMARY KEY (id, dt) PARTITIONED BY (dt)".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluss/schema.h"
#include "fluss/status.h"

namespace fluss {

// Parses the DSL. Errors name the 1-based column of the offending token and what was expected:
// "schema: at column 9: expected a data type, found 'INTT'". A PARTITIONED BY clause is an error
// here (partitioning belongs to a table: ParseTableSchema).
Result<Schema> ParseSchema(std::string_view text);

// A schema and the table's partition keys (empty: not partitioned), in the order given.
struct TableSchema {
  Schema schema;
  std::vector<std::string> partition_keys;
};
// Parses the DSL with an optional trailing PARTITIONED BY clause. Each partition key must be a
// column of the schema and appear once; the other rules (types, primary key) are
// TableDescriptor::Validate's.
Result<TableSchema> ParseTableSchema(std::string_view text);

// Parses a single type ("DECIMAL(10, 2) NOT NULL").
Result<DataType> ParseDataType(std::string_view text);

}  // namespace fluss
