// SQL data types of Fluss tables: each a root, optional length/precision/scale, and nullability.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fluss/status.h"

namespace fluss {

namespace internal {
struct DataTypeJson;
}  // namespace internal

enum class TypeRoot : uint8_t {
  kBoolean,
  kTinyInt,
  kSmallInt,
  kInt,
  kBigInt,
  kFloat,
  kDouble,
  kDecimal,       // precision 1..38, scale 0..precision
  kChar,          // CHAR(n), n >= 1
  kString,
  kBinary,        // BINARY(n), fixed n bytes, n >= 1
  kBytes,
  kDate,          // days since 1970-01-01
  kTime,          // TIME(p), p 0..9; values are milliseconds of the day
  kTimestamp,     // TIMESTAMP(p) without time zone, p 0..9
  kTimestampLtz,  // TIMESTAMP_LTZ(p), an instant, p 0..9
};

class DataType {
 public:
  static constexpr int kMaxDecimalPrecision = 38;
  static constexpr int kMaxTimePrecision = 9;
  static constexpr int kDefaultTimestampPrecision = 6;

  static DataType Boolean() { return DataType(TypeRoot::kBoolean); }
  static DataType TinyInt() { return DataType(TypeRoot::kTinyInt); }
  static DataType SmallInt() { return DataType(TypeRoot::kSmallInt); }
  static DataType Int() { return DataType(TypeRoot::kInt); }
  static DataType BigInt() { return DataType(TypeRoot::kBigInt); }
  static DataType Float() { return DataType(TypeRoot::kFloat); }
  static DataType Double() { return DataType(TypeRoot::kDouble); }
  static DataType Decimal(int precision, int scale) { return DataType(TypeRoot::kDecimal, 0, precision, scale); }
  static DataType Char(int length) { return DataType(TypeRoot::kChar, length); }
  static DataType String() { return DataType(TypeRoot::kString); }
  static DataType Binary(int length) { return DataType(TypeRoot::kBinary, length); }
  static DataType Bytes() { return DataType(TypeRoot::kBytes); }
  static DataType Date() { return DataType(TypeRoot::kDate); }
  static DataType Time(int precision = 0) { return DataType(TypeRoot::kTime, 0, precision); }
  static DataType Timestamp(int precision = kDefaultTimestampPrecision) {
    return DataType(TypeRoot::kTimestamp, 0, precision);
  }
  static DataType TimestampLtz(int precision = kDefaultTimestampPrecision) {
    return DataType(TypeRoot::kTimestampLtz, 0, precision);
  }

  // Checks length/precision/scale ranges; the factories do not.
  Status Validate() const;

  TypeRoot root() const { return root_; }
  bool nullable() const { return nullable_; }
  int length() const { return length_; }        // CHAR / BINARY
  int precision() const { return precision_; }  // DECIMAL / TIME / TIMESTAMP / TIMESTAMP_LTZ
  int scale() const { return scale_; }          // DECIMAL

  DataType WithNullable(bool nullable) const {
    DataType t = *this;
    t.nullable_ = nullable;
    return t;
  }
  DataType NotNull() const { return WithNullable(false); }

  // SQL spelling that the schema DSL parses back: "DECIMAL(10, 2) NOT NULL", "TIMESTAMP_LTZ(3)".
  std::string ToString() const;
  // Fluss's DataTypeRoot name used in its JSON: "INTEGER", "TIMESTAMP_WITH_LOCAL_TIME_ZONE", ...
  std::string_view RootName() const;

  bool operator==(const DataType& o) const = default;

 private:
  // Fluss's JSON form of a data type (metadata and the wire) is internal to fluss-cpp.
  friend struct internal::DataTypeJson;
  explicit DataType(TypeRoot root, int length = 0, int precision = 0, int scale = 0)
      : root_(root), length_(length), precision_(precision), scale_(scale) {}

  TypeRoot root_;
  bool nullable_ = true;
  int length_ = 0;
  int precision_ = 0;
  int scale_ = 0;
};

}  // namespace fluss
