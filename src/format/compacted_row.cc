#include "format/compacted_row.h"

#include <fmt/format.h>

#include <climits>
#include <cstring>
#include <string>

#include "common/byte_io.h"
#include "common/varint.h"
#include "format/compacted_fields_internal.h"

namespace fluss {
namespace compacted {
namespace {

void AppendDecimal(const DataType& type, __int128 unscaled, std::vector<uint8_t>* out) {
  if (type.precision() <= kMaxCompactDecimalPrecision) {
    // |unscaled| < 10^18 < 2^63: the value fits an int64.
    varint::PutVarint64(out, static_cast<uint64_t>(static_cast<int64_t>(unscaled)));
    return;
  }
  // Big-endian two's complement, then drop leading bytes that only repeat the sign (keeping the byte
  // whose top bit carries it): Java's BigInteger.toByteArray.
  uint8_t be[kMaxDecimalBytes];
  auto u = static_cast<unsigned __int128>(unscaled);
  for (size_t i = 0; i < kMaxDecimalBytes; ++i) {
    be[kMaxDecimalBytes - 1 - i] = static_cast<uint8_t>(u);
    u >>= 8;
  }
  size_t start = 0;
  while (start + 1 < kMaxDecimalBytes &&
         ((be[start] == 0x00 && (be[start + 1] & 0x80) == 0) || (be[start] == 0xFF && (be[start + 1] & 0x80) != 0))) {
    ++start;
  }
  varint::PutVarint32(out, static_cast<uint32_t>(kMaxDecimalBytes - start));
  out->insert(out->end(), be + start, be + kMaxDecimalBytes);
}

template <typename T>
void AppendRawLE(T v, std::vector<uint8_t>* out) {
  ByteWriter(out).WriteLE<T>(v);
}

// A bounds-checked cursor whose errors name the field being read.
class FieldCursor {
 public:
  FieldCursor(std::span<const uint8_t> in, size_t* pos, const DataType& type, std::string_view column)
      : in_(in), pos_(pos), type_(type), column_(column) {}

  Status Fail(std::string_view reason) const {
    return Status::Corruption(
        fmt::format("compacted field '{}' ({}) at byte {}: {}", column_, type_.ToString(), *pos_, reason));
  }

  Result<std::span<const uint8_t>> Take(size_t n, std::string_view what) {
    if (in_.size() - *pos_ < n) {
      return Fail(fmt::format("{} needs {} bytes, {} left", what, n, in_.size() - *pos_));
    }
    auto s = in_.subspan(*pos_, n);
    *pos_ += n;
    return s;
  }

  Result<uint32_t> Varint32(std::string_view what) {
    size_t consumed = 0;
    auto v = varint::GetVarint32(in_.subspan(*pos_), &consumed);
    if (!v.ok()) return Fail(fmt::format("{}: {}", what, v.status().message()));
    *pos_ += consumed;
    return *v;
  }

  Result<uint64_t> Varint64(std::string_view what) {
    size_t consumed = 0;
    auto v = varint::GetVarint64(in_.subspan(*pos_), &consumed);
    if (!v.ok()) return Fail(fmt::format("{}: {}", what, v.status().message()));
    *pos_ += consumed;
    return *v;
  }

  // A varint length (Java reads it as a signed int) followed by that many bytes.
  Result<std::span<const uint8_t>> LengthPrefixed(std::string_view what) {
    FLUSS_ASSIGN_OR_RETURN(uint32_t len, Varint32(fmt::format("{} length", what)));
    if (len > static_cast<uint32_t>(INT32_MAX)) return Fail(fmt::format("negative {} length", what));
    return Take(len, what);
  }

 private:
  std::span<const uint8_t> in_;
  size_t* pos_;
  const DataType& type_;
  std::string_view column_;
};

Result<Datum> ReadRaw(const DataType& type, FieldCursor& c) {
  switch (type.root()) {
    case TypeRoot::kBoolean: {
      FLUSS_ASSIGN_OR_RETURN(auto b, c.Take(1, "BOOLEAN"));
      if (b[0] > 1) return c.Fail(fmt::format("BOOLEAN byte {} is neither 0 nor 1", b[0]));
      return Datum(b[0] == 1);
    }
    case TypeRoot::kTinyInt: {
      FLUSS_ASSIGN_OR_RETURN(auto b, c.Take(1, "TINYINT"));
      return Datum(static_cast<int8_t>(b[0]));
    }
    case TypeRoot::kSmallInt: {
      FLUSS_ASSIGN_OR_RETURN(auto b, c.Take(2, "SMALLINT"));
      return Datum(LoadLE<int16_t>(b.data()));
    }
    case TypeRoot::kInt:
    case TypeRoot::kDate:
    case TypeRoot::kTime: {
      FLUSS_ASSIGN_OR_RETURN(uint32_t v, c.Varint32("varint-int"));
      return Datum(static_cast<int32_t>(v));
    }
    case TypeRoot::kBigInt: {
      FLUSS_ASSIGN_OR_RETURN(uint64_t v, c.Varint64("varint-long"));
      return Datum(static_cast<int64_t>(v));
    }
    case TypeRoot::kFloat: {
      FLUSS_ASSIGN_OR_RETURN(auto b, c.Take(4, "FLOAT"));
      return Datum(LoadLE<float>(b.data()));
    }
    case TypeRoot::kDouble: {
      FLUSS_ASSIGN_OR_RETURN(auto b, c.Take(8, "DOUBLE"));
      return Datum(LoadLE<double>(b.data()));
    }
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: {
      FLUSS_ASSIGN_OR_RETURN(auto b, c.LengthPrefixed("value"));
      return Datum(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    case TypeRoot::kDecimal: {
      if (type.precision() <= kMaxCompactDecimalPrecision) {
        FLUSS_ASSIGN_OR_RETURN(uint64_t v, c.Varint64("unscaled varint-long"));
        return Datum(DecimalValue{static_cast<int64_t>(v)});
      }
      FLUSS_ASSIGN_OR_RETURN(auto b, c.LengthPrefixed("unscaled bytes"));
      if (b.empty()) return c.Fail("zero-length unscaled value");
      if (b.size() > kMaxDecimalBytes) {
        return c.Fail(fmt::format("unscaled value of {} bytes exceeds {}", b.size(), kMaxDecimalBytes));
      }
      // Sign-extend from the first byte, then shift the big-endian bytes in.
      unsigned __int128 u = (b[0] & 0x80) != 0 ? ~static_cast<unsigned __int128>(0) : 0;
      for (uint8_t byte : b) u = (u << 8) | byte;
      return Datum(DecimalValue{static_cast<__int128>(u)});
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      FLUSS_ASSIGN_OR_RETURN(uint64_t millis, c.Varint64("millis varint-long"));
      TimestampValue ts{static_cast<int64_t>(millis), 0};
      if (type.precision() > kMaxCompactTimestampPrecision) {
        FLUSS_ASSIGN_OR_RETURN(uint32_t nanos, c.Varint32("nano-of-millisecond varint-int"));
        ts.nanos_of_milli = static_cast<int32_t>(nanos);
      }
      return Datum(ts);
    }
  }
  return c.Fail("unsupported type");
}

}  // namespace

void AppendField(const DataType& type, const Datum& value, std::vector<uint8_t>* out) {
  switch (type.root()) {
    case TypeRoot::kBoolean:
      out->push_back(std::get<bool>(value) ? 1 : 0);
      return;
    case TypeRoot::kTinyInt:
      out->push_back(static_cast<uint8_t>(std::get<int8_t>(value)));
      return;
    case TypeRoot::kSmallInt:
      AppendRawLE<int16_t>(std::get<int16_t>(value), out);
      return;
    case TypeRoot::kInt:
    case TypeRoot::kDate:
    case TypeRoot::kTime:
      varint::PutVarint32(out, static_cast<uint32_t>(std::get<int32_t>(value)));
      return;
    case TypeRoot::kBigInt:
      varint::PutVarint64(out, static_cast<uint64_t>(std::get<int64_t>(value)));
      return;
    case TypeRoot::kFloat:
      AppendRawLE<float>(std::get<float>(value), out);
      return;
    case TypeRoot::kDouble:
      AppendRawLE<double>(std::get<double>(value), out);
      return;
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBinary:
    case TypeRoot::kBytes: {
      const auto& s = std::get<std::string>(value);
      varint::PutVarint32(out, static_cast<uint32_t>(s.size()));
      out->insert(out->end(), s.begin(), s.end());
      return;
    }
    case TypeRoot::kDecimal:
      AppendDecimal(type, std::get<DecimalValue>(value).unscaled, out);
      return;
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      const auto& ts = std::get<TimestampValue>(value);
      varint::PutVarint64(out, static_cast<uint64_t>(ts.millis));
      if (type.precision() > kMaxCompactTimestampPrecision) {
        varint::PutVarint32(out, static_cast<uint32_t>(ts.nanos_of_milli));
      }
      return;
    }
  }
}

Result<Datum> ReadField(const DataType& type, std::span<const uint8_t> in, size_t* pos, std::string_view column) {
  const size_t start = *pos;
  FieldCursor cursor(in, pos, type, column);
  FLUSS_ASSIGN_OR_RETURN(Datum d, ReadRaw(type, cursor));
  // Range checks (DECIMAL precision, TIME of day, nanos, BINARY(n) length) as for a written value.
  // Text is returned as it was stored: what a writer sends is checked where it is received.
  Status valid = ValidateDatum(d, type, column, TextCheck::kNone);
  if (!valid.ok()) {
    return Status::Corruption(fmt::format("compacted field '{}' at byte {}: {}", column, start, valid.message()));
  }
  return d;
}

}  // namespace compacted

namespace compacted_internal {

std::string_view FieldList::name(size_t i, std::string* scratch) const {
  if (schema != nullptr) return schema->column(i).name;
  *scratch = fmt::format("#{}", i);
  return *scratch;
}

Status ValidateValue(const FieldList& fields, size_t i, const Datum& d) {
  // Name-free first, so the common (valid) path formats nothing.
  // Text is encoded as given (stored rows are re-encoded too); writers check it where it enters.
  if (ValidateDatum(d, fields.type(i), {}, TextCheck::kNone).ok()) return Status::OK();
  std::string scratch;
  return ValidateDatum(d, fields.type(i), fields.name(i, &scratch), TextCheck::kNone);
}

Status CheckLength(size_t n, std::string_view column) {
  if (n > static_cast<size_t>(INT32_MAX)) {
    return Status(ErrorCode::kRecordTooLarge,
                  fmt::format("value of column '{}' is {} bytes, above 2^31 - 1", column, n));
  }
  return Status::OK();
}

}  // namespace compacted_internal

namespace {

using compacted_internal::FieldList;

Status AppendRow(const FieldList& fields, const GenericRow& row, std::vector<uint8_t>* out) {
  const size_t n = fields.size();
  if (row.arity() != n) {
    return Status::Invalid(fmt::format("compacted row: the row has {} fields, the row type {}", row.arity(), n));
  }
  size_t payload = 0;
  for (size_t i = 0; i < n; ++i) {
    FLUSS_RETURN_NOT_OK(compacted_internal::ValidateValue(fields, i, row.field(i)));
    if (const auto* s = std::get_if<std::string>(&row.field(i))) {
      if (s->size() > static_cast<size_t>(INT32_MAX)) {
        std::string scratch;
        return compacted_internal::CheckLength(s->size(), fields.name(i, &scratch));
      }
      payload += s->size() + varint::kMaxLen32;
    } else {
      payload += varint::kMaxLen64 + varint::kMaxLen32;
    }
  }
  const size_t base = out->size();
  out->reserve(base + compacted::NullBitsetSize(n) + payload);
  out->resize(base + compacted::NullBitsetSize(n), 0);
  for (size_t i = 0; i < n; ++i) {
    if (row.IsNullAt(i)) {
      (*out)[base + i / 8] |= static_cast<uint8_t>(1u << (i % 8));
    } else {
      compacted::AppendField(fields.type(i), row.field(i), out);
    }
  }
  return Status::OK();
}

Result<GenericRow> DecodeRow(const FieldList& fields, std::span<const uint8_t> bytes) {
  const size_t n = fields.size();
  const size_t bitset = compacted::NullBitsetSize(n);
  if (bytes.size() < bitset) {
    return Status::Corruption(fmt::format("compacted row of {} bytes is shorter than its {}-byte null bitset",
                                          bytes.size(), bitset));
  }
  if (n % 8 != 0 && (bytes[bitset - 1] >> (n % 8)) != 0) {
    return Status::Corruption(fmt::format("compacted row: null bitset byte {:#04x} has bits set past field {}",
                                          bytes[bitset - 1], n - 1));
  }
  GenericRow row(n);
  size_t pos = bitset;
  std::string scratch;
  for (size_t i = 0; i < n; ++i) {
    if ((bytes[i / 8] >> (i % 8)) & 1) {
      if (!fields.type(i).nullable()) {
        return Status::Corruption(
            fmt::format("compacted row: null bit set for NOT NULL column '{}'", fields.name(i, &scratch)));
      }
      continue;  // a null field has no payload
    }
    FLUSS_ASSIGN_OR_RETURN(Datum d, compacted::ReadField(fields.type(i), bytes, &pos, fields.name(i, &scratch)));
    row.SetField(i, std::move(d));
  }
  if (pos != bytes.size()) {
    return Status::Corruption(
        fmt::format("compacted row: {} trailing bytes after the last field (row ends at byte {})",
                    bytes.size() - pos, pos));
  }
  return row;
}

}  // namespace

Status AppendCompactedRow(const Schema& schema, const GenericRow& row, std::vector<uint8_t>* out) {
  return AppendRow(FieldList::Of(schema), row, out);
}

Result<std::vector<uint8_t>> EncodeCompactedRow(const Schema& schema, const GenericRow& row) {
  std::vector<uint8_t> out;
  FLUSS_RETURN_NOT_OK(AppendRow(FieldList::Of(schema), row, &out));
  return out;
}

Result<std::vector<uint8_t>> EncodeCompactedRow(std::span<const DataType> types, const GenericRow& row) {
  std::vector<uint8_t> out;
  FLUSS_RETURN_NOT_OK(AppendRow(FieldList::Of(types), row, &out));
  return out;
}

Result<GenericRow> DecodeCompactedRow(const Schema& schema, std::span<const uint8_t> bytes) {
  return DecodeRow(FieldList::Of(schema), bytes);
}

Result<GenericRow> DecodeCompactedRow(std::span<const DataType> types, std::span<const uint8_t> bytes) {
  return DecodeRow(FieldList::Of(types), bytes);
}

}  // namespace fluss
