#include "lake/parquet/parquet_schema.h"

#include <fmt/format.h>

namespace fluss::parquet {
namespace {

using K = LogicalType::Kind;

LogicalType Logical(K kind) {
  LogicalType t;
  t.kind = kind;
  return t;
}

void SetInteger(SchemaElement* e, int bits, ConvertedType converted) {
  LogicalType t = Logical(K::kInteger);
  t.bit_width = static_cast<int8_t>(bits);
  t.is_signed = true;
  e->logical_type = t;
  e->converted_type = static_cast<int32_t>(converted);
}

}  // namespace

int DecimalByteWidth(int precision) {
  // 10^precision < 2^(8n-1)  <=>  precision * log2(10) < 8n - 1
  for (int n = 1; n <= 16; ++n) {
    if (static_cast<double>(precision) * 3.321928094887362 < 8.0 * n - 1) return n;
  }
  return 16;
}

Result<SchemaElement> ToParquetLeaf(const Column& column) {
  const DataType& t = column.type;
  SchemaElement e;
  e.name = column.name;
  e.repetition = t.nullable() ? Repetition::kOptional : Repetition::kRequired;
  if (column.id >= 0) e.field_id = column.id;
  switch (t.root()) {
    case TypeRoot::kBoolean:
      e.type = PhysicalType::kBoolean;
      break;
    case TypeRoot::kTinyInt:
      e.type = PhysicalType::kInt32;
      SetInteger(&e, 8, ConvertedType::kInt8);
      break;
    case TypeRoot::kSmallInt:
      e.type = PhysicalType::kInt32;
      SetInteger(&e, 16, ConvertedType::kInt16);
      break;
    case TypeRoot::kInt:
      e.type = PhysicalType::kInt32;
      break;
    case TypeRoot::kBigInt:
      e.type = PhysicalType::kInt64;
      break;
    case TypeRoot::kFloat:
      e.type = PhysicalType::kFloat;
      break;
    case TypeRoot::kDouble:
      e.type = PhysicalType::kDouble;
      break;
    case TypeRoot::kDecimal: {
      const int p = t.precision();
      if (p <= 9) {
        e.type = PhysicalType::kInt32;
      } else if (p <= 18) {
        e.type = PhysicalType::kInt64;
      } else {
        e.type = PhysicalType::kFixedLenByteArray;
        e.type_length = DecimalByteWidth(p);
      }
      LogicalType lt = Logical(K::kDecimal);
      lt.precision = p;
      lt.scale = t.scale();
      e.logical_type = lt;
      e.converted_type = static_cast<int32_t>(ConvertedType::kDecimal);
      e.precision = p;
      e.scale = t.scale();
      break;
    }
    case TypeRoot::kChar:
    case TypeRoot::kString:
      e.type = PhysicalType::kByteArray;
      e.logical_type = Logical(K::kString);
      e.converted_type = static_cast<int32_t>(ConvertedType::kUtf8);
      break;
    case TypeRoot::kBinary:
    case TypeRoot::kBytes:
      e.type = PhysicalType::kByteArray;
      break;
    case TypeRoot::kDate:
      e.type = PhysicalType::kInt32;
      e.logical_type = Logical(K::kDate);
      e.converted_type = static_cast<int32_t>(ConvertedType::kDate);
      break;
    case TypeRoot::kTime: {
      e.type = PhysicalType::kInt64;
      LogicalType lt = Logical(K::kTime);
      lt.adjusted_to_utc = false;
      lt.unit = TimeUnit::kMicros;
      e.logical_type = lt;
      // TIME_MICROS implies isAdjustedToUTC=true in the spec's compatibility rules; keep only the
      // logical type so readers see a local time.
      break;
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      e.type = PhysicalType::kInt64;
      LogicalType lt = Logical(K::kTimestamp);
      lt.adjusted_to_utc = t.root() == TypeRoot::kTimestampLtz;
      lt.unit = TimeUnit::kMicros;
      e.logical_type = lt;
      if (lt.adjusted_to_utc) e.converted_type = static_cast<int32_t>(ConvertedType::kTimestampMicros);
      break;
    }
  }
  return e;
}

Result<std::vector<SchemaElement>> ToParquetSchema(const Schema& schema) {
  std::vector<SchemaElement> out;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema.num_columns());
  out.push_back(root);
  for (const Column& c : schema.columns()) {
    FLUSS_ASSIGN_OR_RETURN(SchemaElement e, ToParquetLeaf(c));
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

Result<DataType> LeafType(const SchemaElement& e) {
  auto unsupported = [&](std::string_view why) {
    return Status::NotSupported(fmt::format("parquet column '{}': {}", e.name, why));
  };
  const std::optional<LogicalType>& lt = e.logical_type;
  const int32_t conv = e.converted_type.value_or(-1);
  auto decimal = [&]() -> Result<DataType> {
    int p = lt && lt->kind == K::kDecimal ? lt->precision : e.precision.value_or(0);
    int s = lt && lt->kind == K::kDecimal ? lt->scale : e.scale.value_or(0);
    DataType d = DataType::Decimal(p, s);
    if (!d.Validate().ok()) return unsupported(fmt::format("DECIMAL({}, {}) out of range", p, s));
    return d;
  };
  const bool is_decimal = (lt && lt->kind == K::kDecimal) || (!lt && conv == static_cast<int32_t>(ConvertedType::kDecimal));
  if (lt && lt->kind == K::kOther) return unsupported(fmt::format("logical type #{}", lt->other_id));
  switch (e.type.value_or(PhysicalType::kInt96)) {
    case PhysicalType::kBoolean:
      return DataType::Boolean();
    case PhysicalType::kInt32: {
      if (is_decimal) return decimal();
      if ((lt && lt->kind == K::kDate) || (!lt && conv == static_cast<int32_t>(ConvertedType::kDate))) {
        return DataType::Date();
      }
      if (lt && lt->kind == K::kTime) {
        if (lt->unit != TimeUnit::kMillis) return unsupported("INT32 TIME must be MILLIS");
        return DataType::Time(3);
      }
      if (!lt && conv == static_cast<int32_t>(ConvertedType::kTimeMillis)) return DataType::Time(3);
      int bits = 32;
      bool is_signed = true;
      if (lt && lt->kind == K::kInteger) {
        bits = lt->bit_width;
        is_signed = lt->is_signed;
      } else if (!lt && conv == static_cast<int32_t>(ConvertedType::kInt8)) {
        bits = 8;
      } else if (!lt && conv == static_cast<int32_t>(ConvertedType::kInt16)) {
        bits = 16;
      } else if (!lt && conv >= 11 && conv <= 14) {
        is_signed = false;
      } else if (lt && lt->kind != K::kInteger) {
        return unsupported("INT32 with a non-integer logical type");
      }
      if (!is_signed) return unsupported("unsigned integers");
      if (bits == 8) return DataType::TinyInt();
      if (bits == 16) return DataType::SmallInt();
      if (bits == 32) return DataType::Int();
      return unsupported(fmt::format("INT32 with bit width {}", bits));
    }
    case PhysicalType::kInt64: {
      if (is_decimal) return decimal();
      auto precision_of = [](TimeUnit u) { return u == TimeUnit::kMillis ? 3 : u == TimeUnit::kMicros ? 6 : 9; };
      if (lt && lt->kind == K::kTimestamp) {
        int p = precision_of(lt->unit);
        return lt->adjusted_to_utc ? DataType::TimestampLtz(p) : DataType::Timestamp(p);
      }
      if (!lt && conv == static_cast<int32_t>(ConvertedType::kTimestampMicros)) return DataType::TimestampLtz(6);
      if (!lt && conv == static_cast<int32_t>(ConvertedType::kTimestampMillis)) return DataType::TimestampLtz(3);
      if (lt && lt->kind == K::kTime) {
        if (lt->unit == TimeUnit::kMillis) return unsupported("INT64 TIME must be MICROS or NANOS");
        return DataType::Time(precision_of(lt->unit));
      }
      if (!lt && conv == static_cast<int32_t>(ConvertedType::kTimeMicros)) return DataType::Time(6);
      if (lt && lt->kind == K::kInteger) {
        if (!lt->is_signed || lt->bit_width != 64) return unsupported("INT64 integer must be signed 64-bit");
      } else if (lt) {
        return unsupported("INT64 with an unexpected logical type");
      } else if (conv != -1 && conv != static_cast<int32_t>(ConvertedType::kInt64)) {
        return unsupported(fmt::format("INT64 with converted type {}", conv));
      }
      return DataType::BigInt();
    }
    case PhysicalType::kFloat:
      return DataType::Float();
    case PhysicalType::kDouble:
      return DataType::Double();
    case PhysicalType::kByteArray:
      if (is_decimal) return unsupported("BYTE_ARRAY decimals");
      if ((lt && lt->kind == K::kString) || (!lt && conv == static_cast<int32_t>(ConvertedType::kUtf8))) {
        return DataType::String();
      }
      return DataType::Bytes();
    case PhysicalType::kFixedLenByteArray: {
      int32_t len = e.type_length.value_or(-1);
      if (len <= 0) return unsupported("FIXED_LEN_BYTE_ARRAY without a positive type_length");
      if (is_decimal) {
        FLUSS_ASSIGN_OR_RETURN(DataType d, decimal());
        if (len > 16 || len < DecimalByteWidth(d.precision())) {
          return unsupported(fmt::format("DECIMAL({}) in {} bytes", d.precision(), len));
        }
        return d;
      }
      return DataType::Binary(len);
    }
    case PhysicalType::kInt96:
      break;
  }
  return unsupported(e.type ? "INT96 / unknown physical type" : "no physical type (nested group)");
}

}  // namespace

Result<Schema> FromParquetSchema(const std::vector<SchemaElement>& elements) {
  if (elements.empty()) return Status::Corruption("parquet schema is empty");
  const SchemaElement& root = elements[0];
  if (root.type || !root.num_children || *root.num_children < 0 ||
      static_cast<size_t>(*root.num_children) != elements.size() - 1) {
    return Status::NotSupported(
        fmt::format("parquet schema: root '{}' must be a group whose children are all {} other elements (flat schema)",
                    root.name, elements.size() - 1));
  }
  std::vector<Column> columns;
  for (size_t i = 1; i < elements.size(); ++i) {
    const SchemaElement& e = elements[i];
    if (e.num_children.value_or(0) != 0) {
      return Status::NotSupported(fmt::format("parquet column '{}': nested groups are not supported", e.name));
    }
    Repetition rep = e.repetition.value_or(Repetition::kRepeated);
    if (rep != Repetition::kRequired && rep != Repetition::kOptional) {
      return Status::NotSupported(fmt::format("parquet column '{}': repetition must be REQUIRED or OPTIONAL", e.name));
    }
    FLUSS_ASSIGN_OR_RETURN(DataType t, LeafType(e));
    Column c{e.name, t.WithNullable(rep == Repetition::kOptional), e.field_id.value_or(-1), ""};
    if (c.id < -1) return Status::Corruption(fmt::format("parquet column '{}': negative field_id", e.name));
    columns.push_back(std::move(c));
  }
  return Schema::Make(std::move(columns));
}

}  // namespace fluss::parquet
