#include "format/arrow/arrow_type.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

namespace fluss::arrow {
namespace {

constexpr std::string_view kDataTypeKey = "fluss.data_type";
constexpr std::string_view kColumnIdKey = "fluss.column_id";

int PrecisionForUnit(fb::TimeUnit unit) {
  switch (unit) {
    case fb::TimeUnit::SECOND: return 0;
    case fb::TimeUnit::MILLISECOND: return 3;
    case fb::TimeUnit::MICROSECOND: return 6;
    case fb::TimeUnit::NANOSECOND: return 9;
  }
  return 3;
}

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->c_str(), s->size());
}

Status Unsupported(size_t index, std::string_view name, std::string_view what) {
  return Status::NotSupported(fmt::format("Arrow field {} '{}': {} has no Fluss type", index, name, what));
}

// The Fluss type Arrow type `t` maps back to (nullability not set).
Result<DataType> DataTypeFromArrow(const ArrowTypeDesc& t, bool has_timezone, size_t index, std::string_view name) {
  switch (t.id) {
    case fb::Type::Int:
      if (!t.is_signed) return Unsupported(index, name, fmt::format("unsigned Int({})", t.bit_width));
      switch (t.bit_width) {
        case 8: return DataType::TinyInt();
        case 16: return DataType::SmallInt();
        case 32: return DataType::Int();
        case 64: return DataType::BigInt();
        default: return Unsupported(index, name, fmt::format("Int({})", t.bit_width));
      }
    case fb::Type::Bool: return DataType::Boolean();
    case fb::Type::FloatingPoint:
      if (t.float_precision == fb::Precision::SINGLE) return DataType::Float();
      if (t.float_precision == fb::Precision::DOUBLE) return DataType::Double();
      return Unsupported(index, name, "a half-precision float");
    case fb::Type::Utf8: return DataType::String();
    case fb::Type::Binary: return DataType::Bytes();
    case fb::Type::FixedSizeBinary:
      if (t.byte_width < 1) return Unsupported(index, name, fmt::format("FixedSizeBinary({})", t.byte_width));
      return DataType::Binary(t.byte_width);
    case fb::Type::Decimal:
      if (t.bit_width != 128 || t.precision < 1 || t.precision > DataType::kMaxDecimalPrecision || t.scale < 0 ||
          t.scale > t.precision) {
        return Unsupported(index, name, fmt::format("Decimal({}, {}, {} bits)", t.precision, t.scale, t.bit_width));
      }
      return DataType::Decimal(t.precision, t.scale);
    case fb::Type::Date:
      if (t.date_unit != fb::DateUnit::DAY) return Unsupported(index, name, "Date(MILLISECOND)");
      return DataType::Date();
    case fb::Type::Time: {
      const bool is32 = t.time_unit == fb::TimeUnit::SECOND || t.time_unit == fb::TimeUnit::MILLISECOND;
      if (t.bit_width != (is32 ? 32 : 64)) {
        return Unsupported(index, name, fmt::format("Time with a {}-bit width for its unit", t.bit_width));
      }
      return DataType::Time(PrecisionForUnit(t.time_unit));
    }
    case fb::Type::Timestamp: {
      const int p = PrecisionForUnit(t.time_unit);
      return has_timezone ? DataType::TimestampLtz(p) : DataType::Timestamp(p);
    }
    default:
      return Unsupported(index, name, fmt::format("Arrow type {}", fb::EnumNameType(t.id)));
  }
}

}  // namespace

ArrowLayout LayoutOf(const DataType& type) {
  switch (type.root()) {
    case TypeRoot::kBoolean: return ArrowLayout::kBitmap;
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes: return ArrowLayout::kVariable;
    default: return ArrowLayout::kFixed;
  }
}

size_t ValueWidthOf(const DataType& type) {
  switch (type.root()) {
    case TypeRoot::kTinyInt: return 1;
    case TypeRoot::kSmallInt: return 2;
    case TypeRoot::kInt:
    case TypeRoot::kDate:
    case TypeRoot::kFloat: return 4;
    case TypeRoot::kBigInt:
    case TypeRoot::kDouble:
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: return 8;
    case TypeRoot::kTime: return type.precision() <= 3 ? 4 : 8;
    case TypeRoot::kDecimal: return 16;
    case TypeRoot::kBinary: return static_cast<size_t>(type.length());
    case TypeRoot::kBoolean:
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes: return 0;
  }
  return 0;
}

fb::TimeUnit TimeUnitForPrecision(int precision) {
  if (precision <= 0) return fb::TimeUnit::SECOND;
  if (precision <= 3) return fb::TimeUnit::MILLISECOND;
  if (precision <= 6) return fb::TimeUnit::MICROSECOND;
  return fb::TimeUnit::NANOSECOND;
}

ArrowTypeDesc ArrowTypeOf(const DataType& type) {
  ArrowTypeDesc d;
  switch (type.root()) {
    case TypeRoot::kBoolean: d.id = fb::Type::Bool; break;
    case TypeRoot::kTinyInt:
    case TypeRoot::kSmallInt:
    case TypeRoot::kInt:
    case TypeRoot::kBigInt:
      d.id = fb::Type::Int;
      d.bit_width = static_cast<int32_t>(ValueWidthOf(type) * 8);
      d.is_signed = true;
      break;
    case TypeRoot::kFloat:
      d.id = fb::Type::FloatingPoint;
      d.float_precision = fb::Precision::SINGLE;
      break;
    case TypeRoot::kDouble:
      d.id = fb::Type::FloatingPoint;
      d.float_precision = fb::Precision::DOUBLE;
      break;
    case TypeRoot::kChar:
    case TypeRoot::kString: d.id = fb::Type::Utf8; break;
    case TypeRoot::kBytes: d.id = fb::Type::Binary; break;
    case TypeRoot::kBinary:
      d.id = fb::Type::FixedSizeBinary;
      d.byte_width = type.length();
      break;
    case TypeRoot::kDecimal:
      d.id = fb::Type::Decimal;
      d.precision = type.precision();
      d.scale = type.scale();
      d.bit_width = 128;
      break;
    case TypeRoot::kDate:
      d.id = fb::Type::Date;
      d.date_unit = fb::DateUnit::DAY;
      break;
    case TypeRoot::kTime:
      d.id = fb::Type::Time;
      d.time_unit = TimeUnitForPrecision(type.precision());
      d.bit_width = type.precision() <= 3 ? 32 : 64;
      break;
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      d.id = fb::Type::Timestamp;
      d.time_unit = TimeUnitForPrecision(type.precision());
      break;
  }
  return d;
}

Result<ArrowTypeDesc> DescribeFieldType(const fb::Field& field) {
  ArrowTypeDesc d;
  d.id = field.type_type();
  auto missing = [&]() {
    return Status::Corruption(fmt::format("Arrow field '{}' has type {} but no type table", View(field.name()),
                                          fb::EnumNameType(d.id)));
  };
  switch (d.id) {
    case fb::Type::NONE:
      return Status::Corruption(fmt::format("Arrow field '{}' has no type", View(field.name())));
    case fb::Type::Int: {
      const auto* t = field.type_as_Int();
      if (t == nullptr) return missing();
      d.bit_width = t->bitWidth();
      d.is_signed = t->is_signed();
      break;
    }
    case fb::Type::FloatingPoint: {
      const auto* t = field.type_as_FloatingPoint();
      if (t == nullptr) return missing();
      d.float_precision = t->precision();
      break;
    }
    case fb::Type::FixedSizeBinary: {
      const auto* t = field.type_as_FixedSizeBinary();
      if (t == nullptr) return missing();
      d.byte_width = t->byteWidth();
      break;
    }
    case fb::Type::Decimal: {
      const auto* t = field.type_as_Decimal();
      if (t == nullptr) return missing();
      d.precision = t->precision();
      d.scale = t->scale();
      d.bit_width = t->bitWidth();
      break;
    }
    case fb::Type::Date: {
      const auto* t = field.type_as_Date();
      if (t == nullptr) return missing();
      d.date_unit = t->unit();
      break;
    }
    case fb::Type::Time: {
      const auto* t = field.type_as_Time();
      if (t == nullptr) return missing();
      d.time_unit = t->unit();
      d.bit_width = t->bitWidth();
      break;
    }
    case fb::Type::Timestamp: {
      const auto* t = field.type_as_Timestamp();
      if (t == nullptr) return missing();
      d.time_unit = t->unit();
      break;
    }
    default:
      break;  // parameterless types, or types without a Fluss counterpart
  }
  return d;
}

flatbuffers::Offset<fb::Field> BuildField(flatbuffers::FlatBufferBuilder& fbb, const Column& column) {
  const DataType& type = column.type;
  const ArrowTypeDesc d = ArrowTypeOf(type);
  flatbuffers::Offset<void> type_table;
  switch (d.id) {
    case fb::Type::Bool: type_table = fb::CreateBool(fbb).Union(); break;
    case fb::Type::Int: type_table = fb::CreateInt(fbb, d.bit_width, d.is_signed).Union(); break;
    case fb::Type::FloatingPoint: type_table = fb::CreateFloatingPoint(fbb, d.float_precision).Union(); break;
    case fb::Type::Utf8: type_table = fb::CreateUtf8(fbb).Union(); break;
    case fb::Type::Binary: type_table = fb::CreateBinary(fbb).Union(); break;
    case fb::Type::FixedSizeBinary: type_table = fb::CreateFixedSizeBinary(fbb, d.byte_width).Union(); break;
    case fb::Type::Decimal: type_table = fb::CreateDecimal(fbb, d.precision, d.scale, d.bit_width).Union(); break;
    case fb::Type::Date: type_table = fb::CreateDate(fbb, d.date_unit).Union(); break;
    case fb::Type::Time: type_table = fb::CreateTime(fbb, d.time_unit, d.bit_width).Union(); break;
    case fb::Type::Timestamp: type_table = fb::CreateTimestamp(fbb, d.time_unit).Union(); break;
    default: break;  // every Fluss type maps to one of the above
  }
  std::vector<flatbuffers::Offset<fb::KeyValue>> metadata;
  metadata.push_back(fb::CreateKeyValue(fbb, fbb.CreateString(kDataTypeKey.data(), kDataTypeKey.size()),
                                        fbb.CreateString(DataTypeToJson(type).dump())));
  if (column.id >= 0) {
    metadata.push_back(fb::CreateKeyValue(fbb, fbb.CreateString(kColumnIdKey.data(), kColumnIdKey.size()),
                                          fbb.CreateString(std::to_string(column.id))));
  }
  auto name = fbb.CreateString(column.name);
  auto children = fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Field>>());
  auto custom = fbb.CreateVector(metadata);
  return fb::CreateField(fbb, name, type.nullable(), d.id, type_table, /*dictionary=*/0, children, custom);
}

Result<Column> ColumnFromField(const fb::Field& field, size_t index) {
  const std::string_view name = View(field.name());
  if (field.dictionary() != nullptr) return Unsupported(index, name, "a dictionary-encoded field");
  if (field.children() != nullptr && field.children()->size() > 0) {
    return Unsupported(index, name, "a nested field");
  }
  FLUSS_ASSIGN_OR_RETURN(ArrowTypeDesc desc, DescribeFieldType(field));
  bool has_timezone = false;
  if (desc.id == fb::Type::Timestamp) {
    const auto* tz = field.type_as_Timestamp()->timezone();
    has_timezone = tz != nullptr && tz->size() > 0;
  }
  FLUSS_ASSIGN_OR_RETURN(DataType type, DataTypeFromArrow(desc, has_timezone, index, name));

  int32_t column_id = -1;
  if (const auto* kvs = field.custom_metadata(); kvs != nullptr) {
    for (const fb::KeyValue* kv : *kvs) {
      if (kv == nullptr) continue;
      const std::string_view key = View(kv->key());
      const std::string_view value = View(kv->value());
      if (key == kDataTypeKey) {
        auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
        if (json.is_discarded()) continue;
        Result<DataType> exact = DataTypeFromJson(json);
        // Only a type Arrow-identical to the field's own refines it (CHAR(n), TIME(p), TIMESTAMP_LTZ).
        if (exact.ok() && ArrowTypeOf(*exact) == desc) type = *exact;
      } else if (key == kColumnIdKey) {
        int32_t id = -1;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
        if (ec == std::errc() && end == value.data() + value.size() && id >= 0) column_id = id;
      }
    }
  }
  return Column{std::string(name), type.WithNullable(field.nullable()), column_id, ""};
}

}  // namespace fluss::arrow
