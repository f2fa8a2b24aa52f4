// Text and JSON forms of column values for the `fluss` CLI (docs/cli.md, "Value conversion"):
// what `fluss produce` accepts and what `fluss scan` prints. Every form `Format*` writes, `Parse*`
// reads back to the same value.
//
//   BOOLEAN             true / false (any case)
//   TINYINT..BIGINT     decimal integer, range-checked
//   FLOAT, DOUBLE       decimal or exponent form; NaN, Infinity, -Infinity
//   DECIMAL(p, s)       "-12.345" (at most s fractional digits and p digits in all)
//   CHAR, STRING        the text as is
//   BINARY, BYTES       base64 (RFC 4648, with padding)
//   DATE                YYYY-MM-DD
//   TIME(p)             HH:MM:SS[.fff] (milliseconds; finer digits must be zero)
//   TIMESTAMP(p)        YYYY-MM-DD[ T]HH:MM[:SS[.f..f]] (up to p fractional digits), or epoch
//   TIMESTAMP_LTZ(p)    milliseconds as an integer; LTZ values are UTC, an optional trailing 'Z' allowed
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "types/data_type.h"
#include "types/row.h"

namespace fluss::cli {

// The type as users write it, without NOT NULL: "INT", "DECIMAL(10, 2)", "TIMESTAMP(3)".
std::string TypeName(const DataType& type);

// Converts the text of one non-null value. Error: "'abc' is not a DOUBLE" (plus ": <why>" when the
// form is right but the value is not, e.g. out of range). The result is checked against the type's
// limits (ValidateDatum and the Arrow column limits), nullability aside.
Result<Datum> ParseValue(std::string_view text, const DataType& type);

// Converts one JSON value (null -> NULL). Numbers for numeric types (integers for integer types),
// true/false for BOOLEAN, an integer (epoch millis) or a string for timestamps; a string is
// accepted for every type and read as ParseValue does.
Result<Datum> JsonToDatum(const nlohmann::json& value, const DataType& type);

// How binary values are written by FormatValue.
enum class BinaryForm { kBase64, kHex };

// The text form of a non-null value (the forms above; NULL gives "NULL"). kHex writes x'0a0b'.
std::string FormatValue(const Datum& d, const DataType& type, BinaryForm binary = BinaryForm::kBase64);

// The JSON form: numbers as numbers (NaN and infinities as the strings "NaN", "Infinity",
// "-Infinity"), BOOLEAN as true/false, DECIMAL, dates, times and timestamps as strings, binary as
// base64 strings, NULL as null.
nlohmann::ordered_json DatumToJson(const Datum& d, const DataType& type);

// "YYYY-MM-DD[ T]HH:MM[:SS[.f..f]][Z]" or "YYYY-MM-DD" as UTC, or an integer as epoch millis: the
// epoch milliseconds (sub-millisecond digits dropped).
Result<int64_t> ParseEpochMillis(std::string_view text);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace fluss::cli
