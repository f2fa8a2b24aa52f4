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
#pragma once

#include <string_view>

#include "fluss/schema.h"
#include "fluss/status.h"

namespace fluss {

// Parses the DSL. Errors name the 1-based column of the offending token and what was expected:
// "schema: at column 9: expected a data type, found 'INTT'".
Result<Schema> ParseSchema(std::string_view text);

// Parses a single type ("DECIMAL(10, 2) NOT NULL").
Result<DataType> ParseDataType(std::string_view text);

}  // namespace fluss
