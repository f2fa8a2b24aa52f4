// Internal: physical Parquet values -> Fluss Datums for one column (reader and file statistics).
#pragma once

#include <fmt/format.h>

#include <span>
#include <vector>

#include "common/byte_io.h"
#include "common/status.h"
#include "lake/parquet/parquet_metadata.h"
#include "types/row.h"
#include "types/schema.h"

namespace fluss::parquet {

inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Converts physical values of one column to Datums of its Fluss type.
class ValueConverter {
 public:
  ValueConverter(const Column& column, const SchemaElement& leaf) : column_(column), leaf_(leaf) {}

  Result<Datum> FromInt32(int32_t v) const {
    const DataType& t = column_.type;
    switch (t.root()) {
      case TypeRoot::kTinyInt:
        if (v < INT8_MIN || v > INT8_MAX) return OutOfRange(v);
        return Datum(static_cast<int8_t>(v));
      case TypeRoot::kSmallInt:
        if (v < INT16_MIN || v > INT16_MAX) return OutOfRange(v);
        return Datum(static_cast<int16_t>(v));
      case TypeRoot::kDecimal:
        return Datum(DecimalValue{v});
      default:  // INT, DATE, TIME (millis)
        return Datum(v);
    }
  }

  Result<Datum> FromInt64(int64_t v) const {
    const DataType& t = column_.type;
    switch (t.root()) {
      case TypeRoot::kDecimal:
        return Datum(DecimalValue{v});
      case TypeRoot::kTime: {
        int64_t ms = FloorDiv(v, t.precision() == 9 ? 1000000 : 1000);
        if (ms < INT32_MIN || ms > INT32_MAX) return OutOfRange(v);
        return Datum(static_cast<int32_t>(ms));
      }
      case TypeRoot::kTimestamp:
      case TypeRoot::kTimestampLtz: {
        const int p = t.precision();
        if (p == 3) return Datum(TimestampValue{v, 0});
        const int64_t per_milli = p == 6 ? 1000 : 1000000;
        const int64_t ms = FloorDiv(v, per_milli);
        const int64_t rest = v - ms * per_milli;
        return Datum(TimestampValue{ms, static_cast<int32_t>(p == 6 ? rest * 1000 : rest)});
      }
      default:
        return Datum(v);
    }
  }

  Result<Datum> FromBytes(std::span<const uint8_t> b) const {
    if (column_.type.root() == TypeRoot::kDecimal) {
      if (b.empty() || b.size() > 16) return Status::Corruption(fmt::format("column '{}': bad decimal width", column_.name));
      unsigned __int128 u = (b[0] & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
      for (uint8_t byte : b) u = (u << 8) | byte;
      return Datum(DecimalValue{static_cast<__int128>(u)});
    }
    return Datum(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  }

  // Decodes `count` PLAIN values from `in`, appending them to `out`.
  Status DecodePlain(std::span<const uint8_t> in, size_t count, std::vector<Datum>* out) const {
    ByteReader r(in);
    const PhysicalType type = *leaf_.type;
    if (type == PhysicalType::kBoolean) {
      if ((count + 7) / 8 > in.size()) return Truncated();
      for (size_t i = 0; i < count; ++i) out->emplace_back(static_cast<bool>((in[i / 8] >> (i % 8)) & 1));
      return Status::OK();
    }
    for (size_t i = 0; i < count; ++i) {
      switch (type) {
        case PhysicalType::kInt32: {
          FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadLE<int32_t>("INT32 value"));
          FLUSS_ASSIGN_OR_RETURN(Datum d, FromInt32(v));
          out->push_back(std::move(d));
          break;
        }
        case PhysicalType::kInt64: {
          FLUSS_ASSIGN_OR_RETURN(int64_t v, r.ReadLE<int64_t>("INT64 value"));
          FLUSS_ASSIGN_OR_RETURN(Datum d, FromInt64(v));
          out->push_back(std::move(d));
          break;
        }
        case PhysicalType::kFloat: {
          FLUSS_ASSIGN_OR_RETURN(float v, r.ReadLE<float>("FLOAT value"));
          out->emplace_back(v);
          break;
        }
        case PhysicalType::kDouble: {
          FLUSS_ASSIGN_OR_RETURN(double v, r.ReadLE<double>("DOUBLE value"));
          out->emplace_back(v);
          break;
        }
        case PhysicalType::kByteArray: {
          FLUSS_ASSIGN_OR_RETURN(uint32_t n, r.ReadLE<uint32_t>("BYTE_ARRAY length"));
          FLUSS_ASSIGN_OR_RETURN(auto bytes, r.ReadBytes(n, "BYTE_ARRAY value"));
          FLUSS_ASSIGN_OR_RETURN(Datum d, FromBytes(bytes));
          out->push_back(std::move(d));
          break;
        }
        case PhysicalType::kFixedLenByteArray: {
          FLUSS_ASSIGN_OR_RETURN(auto bytes, r.ReadBytes(static_cast<size_t>(*leaf_.type_length), "FIXED_LEN_BYTE_ARRAY value"));
          FLUSS_ASSIGN_OR_RETURN(Datum d, FromBytes(bytes));
          out->push_back(std::move(d));
          break;
        }
        default:
          return Status::NotSupported("parquet physical type not supported");
      }
    }
    return Status::OK();
  }

 private:
  Status OutOfRange(int64_t v) const {
    return Status::Corruption(fmt::format("column '{}': value {} out of range for {}", column_.name, v,
                                          column_.type.ToString()));
  }
  Status Truncated() const {
    return Status::Corruption(fmt::format("column '{}': page values truncated", column_.name));
  }

  const Column& column_;
  const SchemaElement& leaf_;
};

}  // namespace fluss::parquet
