// GenericRow: a row of Datums, the unit the client writes and readers return.
//
// Datum alternatives by type root:
//   BOOLEAN -> bool;  TINYINT -> int8_t;  SMALLINT -> int16_t;  INT, DATE (days), TIME (ms of day) -> int32_t
//   BIGINT -> int64_t;  FLOAT -> float;  DOUBLE -> double
//   CHAR, STRING (UTF-8), BINARY, BYTES (raw bytes) -> std::string
//   DECIMAL -> DecimalValue (unscaled 128-bit integer; precision and scale come from the type)
//   TIMESTAMP, TIMESTAMP_LTZ -> TimestampValue (epoch milliseconds + nanoseconds within the millisecond)
//   null -> std::monostate
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fluss/data_type.h"
#include "fluss/status.h"

namespace fluss {

struct DecimalValue {
  __int128 unscaled = 0;
  bool operator==(const DecimalValue&) const = default;
  // "-12.345" given the scale.
  std::string ToString(int scale) const;
  // Parses "-12.345" into an unscaled value at `scale`; errors on too many digits for `precision`.
  static Result<DecimalValue> Parse(std::string_view text, int precision, int scale);
};

struct TimestampValue {
  int64_t millis = 0;          // since 1970-01-01T00:00:00 (UTC for TIMESTAMP_LTZ)
  int32_t nanos_of_milli = 0;  // 0..999999
  bool operator==(const TimestampValue&) const = default;
};

using Datum = std::variant<std::monostate, bool, int8_t, int16_t, int32_t, int64_t, float, double,
                           std::string, DecimalValue, TimestampValue>;

class GenericRow {
 public:
  GenericRow() = default;
  explicit GenericRow(size_t arity) : fields_(arity) {}
  explicit GenericRow(std::vector<Datum> fields) : fields_(std::move(fields)) {}

  size_t arity() const { return fields_.size(); }
  bool IsNullAt(size_t i) const { return std::holds_alternative<std::monostate>(fields_[i]); }
  void SetField(size_t i, Datum d) { fields_[i] = std::move(d); }
  void SetNull(size_t i) { fields_[i] = std::monostate{}; }
  const Datum& field(size_t i) const { return fields_[i]; }
  const std::vector<Datum>& fields() const { return fields_; }

  bool GetBoolean(size_t i) const { return std::get<bool>(fields_[i]); }
  int8_t GetTinyInt(size_t i) const { return std::get<int8_t>(fields_[i]); }
  int16_t GetSmallInt(size_t i) const { return std::get<int16_t>(fields_[i]); }
  int32_t GetInt(size_t i) const { return std::get<int32_t>(fields_[i]); }
  int64_t GetBigInt(size_t i) const { return std::get<int64_t>(fields_[i]); }
  float GetFloat(size_t i) const { return std::get<float>(fields_[i]); }
  double GetDouble(size_t i) const { return std::get<double>(fields_[i]); }
  const std::string& GetString(size_t i) const { return std::get<std::string>(fields_[i]); }
  const DecimalValue& GetDecimal(size_t i) const { return std::get<DecimalValue>(fields_[i]); }
  const TimestampValue& GetTimestamp(size_t i) const { return std::get<TimestampValue>(fields_[i]); }

  bool operator==(const GenericRow&) const = default;

 private:
  std::vector<Datum> fields_;
};

// True when `d` is the Datum alternative that `type` uses (std::monostate matches any type).
bool DatumMatchesType(const Datum& d, const DataType& type);

// What ValidateDatum checks of CHAR and STRING values.
enum class TextCheck {
  kFull,  // ValidateText: every value written (clients, and servers for what they receive)
  kNone,  // any bytes: values read back from storage or a fetch, returned as they were stored
};

// Checks a value against its type: right alternative, null only when nullable, BINARY(n) exactly n
// bytes, DECIMAL within precision, TIMESTAMP nanos in range, and with TextCheck::kFull the text
// checks of ValidateText. `column` names the column in the error.
Status ValidateDatum(const Datum& d, const DataType& type, std::string_view column,
                     TextCheck text = TextCheck::kFull);

// A CHAR or STRING value must be valid UTF-8, and a CHAR(n) value at most n characters (code points,
// as Fluss and Flink count them; a shorter value is stored as given, not padded). Other types and
// nulls pass. Errors: "column 'code' is CHAR(3) but the value has 4 characters", "column 'name'
// (STRING): the value is not valid UTF-8 (byte 0xff at offset 2)".
Status ValidateText(const Datum& d, const DataType& type, std::string_view column);
// ValidateText of text bytes as such (the Arrow column form).
Status ValidateTextBytes(std::string_view text, const DataType& type, std::string_view column);

// Human-readable rendering for CLIs and test failures: 42, 'abc', x'0a0b', 12.50, NULL,
// 2024-01-02 03:04:05.123 (timestamps), 2024-01-02 (dates), 12:00:00.000 (times).
std::string DatumToString(const Datum& d, const DataType& type);

}  // namespace fluss
