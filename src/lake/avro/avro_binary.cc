#include "lake/avro/avro_binary.h"

#include <cstring>

#include <fmt/format.h>

#include "common/varint.h"

namespace fluss::avro {

void PutLong(std::vector<uint8_t>* out, int64_t v) { varint::PutVarint64(out, varint::ZigZagEncode64(v)); }

void PutString(std::vector<uint8_t>* out, std::string_view s) {
  PutLong(out, static_cast<int64_t>(s.size()));
  out->insert(out->end(), s.begin(), s.end());
}

Result<int64_t> ReadLong(ByteReader* in, std::string_view what) {
  uint64_t result = 0;
  for (int i = 0; i < varint::kMaxLen64; ++i) {
    FLUSS_ASSIGN_OR_RETURN(uint8_t b, in->ReadLE<uint8_t>(what));
    if (i == varint::kMaxLen64 - 1 && b > 1) {
      return Status::Corruption(fmt::format("avro: {} varint overflows 64 bits", what));
    }
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return varint::ZigZagDecode64(result);
  }
  return Status::Corruption(fmt::format("avro: {} varint longer than 10 bytes", what));
}

Result<int32_t> ReadInt(ByteReader* in, std::string_view what) {
  FLUSS_ASSIGN_OR_RETURN(int64_t v, ReadLong(in, what));
  if (v < INT32_MIN || v > INT32_MAX) {
    return Status::Corruption(fmt::format("avro: {} = {} does not fit an int", what, v));
  }
  return static_cast<int32_t>(v);
}

namespace {

Status Mismatch(const AvroNode& schema, std::string_view got) {
  return Status::Invalid(fmt::format("avro: a {} value does not fit schema type {}{}", got,
                                     AvroTypeName(schema.type), schema.name.empty() ? "" : " " + schema.name));
}

std::string_view KindName(const AvroValue& v) {
  static constexpr std::string_view kNames[] = {"null",   "boolean", "int",   "long",  "float", "double", "bytes",
                                                "string", "enum",    "fixed", "array", "map",   "record"};
  return kNames[v.v.index()];
}

// Whether a value of this kind can be encoded as `branch` (used to pick a union branch).
bool Fits(const AvroNode& branch, const AvroValue& v) {
  switch (branch.type) {
    case AvroType::kNull: return v.is_null();
    case AvroType::kBoolean: return v.is<bool>();
    case AvroType::kInt: return v.is<int32_t>();
    case AvroType::kLong: return v.is<int64_t>() || v.is<int32_t>();
    case AvroType::kFloat: return v.is<float>();
    case AvroType::kDouble: return v.is<double>() || v.is<float>();
    case AvroType::kBytes: return v.is<AvroBytes>();
    case AvroType::kString: return v.is<std::string>();
    case AvroType::kRecord: return v.is<AvroRecord>() && v.get_if<AvroRecord>()->fields.size() == branch.fields.size();
    case AvroType::kEnum: return v.is<AvroEnum>();
    case AvroType::kArray: return v.is<AvroArray>();
    case AvroType::kMap: return v.is<AvroMap>();
    case AvroType::kUnion: return false;
    case AvroType::kFixed: return v.is<AvroFixed>();
  }
  return false;
}

}  // namespace

Status EncodeDatum(const AvroNode& schema, const AvroValue& value, std::vector<uint8_t>* out) {
  switch (schema.type) {
    case AvroType::kNull:
      if (!value.is_null()) return Mismatch(schema, KindName(value));
      return Status::OK();
    case AvroType::kBoolean:
      if (!value.is<bool>()) return Mismatch(schema, KindName(value));
      out->push_back(*value.get_if<bool>() ? 1 : 0);
      return Status::OK();
    case AvroType::kInt:
      if (!value.is<int32_t>()) return Mismatch(schema, KindName(value));
      PutLong(out, *value.get_if<int32_t>());
      return Status::OK();
    case AvroType::kLong:
      if (value.is<int64_t>()) {
        PutLong(out, *value.get_if<int64_t>());
      } else if (value.is<int32_t>()) {
        PutLong(out, *value.get_if<int32_t>());
      } else {
        return Mismatch(schema, KindName(value));
      }
      return Status::OK();
    case AvroType::kFloat: {
      if (!value.is<float>()) return Mismatch(schema, KindName(value));
      ByteWriter(out).WriteLE(*value.get_if<float>());
      return Status::OK();
    }
    case AvroType::kDouble: {
      double d;
      if (value.is<double>()) {
        d = *value.get_if<double>();
      } else if (value.is<float>()) {
        d = *value.get_if<float>();
      } else {
        return Mismatch(schema, KindName(value));
      }
      ByteWriter(out).WriteLE(d);
      return Status::OK();
    }
    case AvroType::kBytes: {
      const auto* b = value.get_if<AvroBytes>();
      if (!b) return Mismatch(schema, KindName(value));
      PutLong(out, static_cast<int64_t>(b->data.size()));
      out->insert(out->end(), b->data.begin(), b->data.end());
      return Status::OK();
    }
    case AvroType::kString: {
      const auto* s = value.get_if<std::string>();
      if (!s) return Mismatch(schema, KindName(value));
      PutString(out, *s);
      return Status::OK();
    }
    case AvroType::kFixed: {
      const auto* f = value.get_if<AvroFixed>();
      if (!f) return Mismatch(schema, KindName(value));
      if (static_cast<int64_t>(f->data.size()) != schema.fixed_size) {
        return Status::Invalid(fmt::format("avro: fixed '{}' needs {} bytes, got {}", schema.name, schema.fixed_size,
                                           f->data.size()));
      }
      out->insert(out->end(), f->data.begin(), f->data.end());
      return Status::OK();
    }
    case AvroType::kEnum: {
      const auto* e = value.get_if<AvroEnum>();
      if (!e) return Mismatch(schema, KindName(value));
      if (e->index < 0 || static_cast<size_t>(e->index) >= schema.symbols.size()) {
        return Status::Invalid(fmt::format("avro: enum '{}' has no symbol {}", schema.name, e->index));
      }
      PutLong(out, e->index);
      return Status::OK();
    }
    case AvroType::kArray: {
      const auto* a = value.get_if<AvroArray>();
      if (!a) return Mismatch(schema, KindName(value));
      if (!a->items.empty()) {
        PutLong(out, static_cast<int64_t>(a->items.size()));
        for (const auto& item : a->items) FLUSS_RETURN_NOT_OK(EncodeDatum(*schema.items, item, out));
      }
      PutLong(out, 0);
      return Status::OK();
    }
    case AvroType::kMap: {
      const auto* m = value.get_if<AvroMap>();
      if (!m) return Mismatch(schema, KindName(value));
      if (!m->entries.empty()) {
        PutLong(out, static_cast<int64_t>(m->entries.size()));
        for (const auto& [k, v] : m->entries) {
          PutString(out, k);
          FLUSS_RETURN_NOT_OK(EncodeDatum(*schema.values, v, out));
        }
      }
      PutLong(out, 0);
      return Status::OK();
    }
    case AvroType::kRecord: {
      const auto* r = value.get_if<AvroRecord>();
      if (!r) return Mismatch(schema, KindName(value));
      if (r->fields.size() != schema.fields.size()) {
        return Status::Invalid(fmt::format("avro: record '{}' has {} fields, value has {}", schema.name,
                                           schema.fields.size(), r->fields.size()));
      }
      for (size_t i = 0; i < r->fields.size(); ++i) {
        Status st = EncodeDatum(*schema.fields[i].type, r->fields[i], out);
        if (!st.ok()) return st.WithContext(fmt::format("field '{}'", schema.fields[i].name));
      }
      return Status::OK();
    }
    case AvroType::kUnion: {
      for (size_t i = 0; i < schema.branches.size(); ++i) {
        if (Fits(*schema.branches[i], value)) {
          PutLong(out, static_cast<int64_t>(i));
          return EncodeDatum(*schema.branches[i], value, out);
        }
      }
      return Mismatch(schema, KindName(value));
    }
  }
  return Status::Internal("avro: unknown schema type");
}

namespace {

class Decoder {
 public:
  Decoder(ByteReader* in, const DecodeLimits& limits) : in_(in), limits_(limits), items_left_(limits.max_items) {}

  Result<AvroValue> Decode(const AvroNode& s, int depth) {
    if (depth > limits_.max_depth) return Status::Corruption("avro: datum nested too deeply");
    switch (s.type) {
      case AvroType::kNull: return AvroValue();
      case AvroType::kBoolean: {
        FLUSS_ASSIGN_OR_RETURN(uint8_t b, in_->ReadLE<uint8_t>("avro boolean"));
        if (b > 1) return Status::Corruption(fmt::format("avro: boolean byte {} is not 0 or 1", b));
        return AvroValue(b == 1);
      }
      case AvroType::kInt: {
        FLUSS_ASSIGN_OR_RETURN(int32_t v, ReadInt(in_, "avro int"));
        return AvroValue(v);
      }
      case AvroType::kLong: {
        FLUSS_ASSIGN_OR_RETURN(int64_t v, ReadLong(in_, "avro long"));
        return AvroValue(v);
      }
      case AvroType::kFloat: {
        FLUSS_ASSIGN_OR_RETURN(float v, in_->ReadLE<float>("avro float"));
        return AvroValue(v);
      }
      case AvroType::kDouble: {
        FLUSS_ASSIGN_OR_RETURN(double v, in_->ReadLE<double>("avro double"));
        return AvroValue(v);
      }
      case AvroType::kBytes: {
        FLUSS_ASSIGN_OR_RETURN(auto span, ReadLengthPrefixed("avro bytes"));
        return AvroValue::Bytes({span.begin(), span.end()});
      }
      case AvroType::kString: {
        FLUSS_ASSIGN_OR_RETURN(auto span, ReadLengthPrefixed("avro string"));
        return AvroValue(std::string(span.begin(), span.end()));
      }
      case AvroType::kFixed: {
        FLUSS_ASSIGN_OR_RETURN(auto span, in_->ReadBytes(static_cast<size_t>(s.fixed_size), "avro fixed"));
        return AvroValue(AvroFixed{{span.begin(), span.end()}});
      }
      case AvroType::kEnum: {
        FLUSS_ASSIGN_OR_RETURN(int32_t idx, ReadInt(in_, "avro enum index"));
        if (idx < 0 || static_cast<size_t>(idx) >= s.symbols.size()) {
          return Status::Corruption(fmt::format("avro: enum '{}' index {} out of range", s.name, idx));
        }
        return AvroValue(AvroEnum{idx});
      }
      case AvroType::kUnion: {
        FLUSS_ASSIGN_OR_RETURN(int64_t idx, ReadLong(in_, "avro union index"));
        if (idx < 0 || static_cast<uint64_t>(idx) >= s.branches.size()) {
          return Status::Corruption(fmt::format("avro: union index {} out of range (0..{})", idx,
                                                s.branches.size() - 1));
        }
        return Decode(*s.branches[static_cast<size_t>(idx)], depth + 1);
      }
      case AvroType::kRecord: {
        AvroRecord r;
        r.fields.reserve(s.fields.size());
        for (const auto& f : s.fields) {
          auto v = Decode(*f.type, depth + 1);
          if (!v.ok()) return v.status().WithContext(fmt::format("field '{}'", f.name));
          r.fields.push_back(std::move(v).value());
        }
        return AvroValue(std::move(r));
      }
      case AvroType::kArray: {
        AvroArray a;
        FLUSS_RETURN_NOT_OK(ReadBlocks("avro array", MinSize(*s.items), [&]() -> Status {
          FLUSS_ASSIGN_OR_RETURN(AvroValue item, Decode(*s.items, depth + 1));
          a.items.push_back(std::move(item));
          return Status::OK();
        }));
        return AvroValue(std::move(a));
      }
      case AvroType::kMap: {
        AvroMap m;
        FLUSS_RETURN_NOT_OK(ReadBlocks("avro map", 1 + MinSize(*s.values), [&]() -> Status {
          FLUSS_ASSIGN_OR_RETURN(auto key, ReadLengthPrefixed("avro map key"));
          FLUSS_ASSIGN_OR_RETURN(AvroValue v, Decode(*s.values, depth + 1));
          m.entries.emplace_back(std::string(key.begin(), key.end()), std::move(v));
          return Status::OK();
        }));
        return AvroValue(std::move(m));
      }
    }
    return Status::Internal("avro: unknown schema type");
  }

 private:
  Result<std::span<const uint8_t>> ReadLengthPrefixed(std::string_view what) {
    FLUSS_ASSIGN_OR_RETURN(int64_t n, ReadLong(in_, what));
    if (n < 0 || static_cast<uint64_t>(n) > in_->remaining()) {
      return Status::Corruption(fmt::format("avro: {} length {} with {} bytes left", what, n, in_->remaining()));
    }
    return in_->ReadBytes(static_cast<size_t>(n), what);
  }

  // The fewest bytes a datum of `s` encodes to (0 for null, empty records and fixed(0)).
  static uint64_t MinSize(const AvroNode& s, int depth = 0) {
    switch (s.type) {
      case AvroType::kNull: return 0;
      case AvroType::kFixed: return static_cast<uint64_t>(s.fixed_size);
      case AvroType::kFloat: return 4;
      case AvroType::kDouble: return 8;
      case AvroType::kRecord: {
        if (depth > 8) return 0;
        uint64_t n = 0;
        for (const auto& f : s.fields) n += MinSize(*f.type, depth + 1);
        return n;
      }
      default: return 1;
    }
  }

  template <typename ReadItem>
  Status ReadBlocks(std::string_view what, uint64_t min_item_size, ReadItem&& read_item) {
    for (;;) {
      FLUSS_ASSIGN_OR_RETURN(int64_t count, ReadLong(in_, what));
      if (count == 0) return Status::OK();
      if (count < 0) {
        if (count == INT64_MIN) return Status::Corruption(fmt::format("avro: {} block count overflows", what));
        count = -count;
        FLUSS_ASSIGN_OR_RETURN(int64_t size, ReadLong(in_, what));
        if (size < 0 || static_cast<uint64_t>(size) > in_->remaining()) {
          return Status::Corruption(fmt::format("avro: {} block of {} bytes with {} bytes left", what, size,
                                                in_->remaining()));
        }
      }
      // Every item of a type that takes at least one byte must still be in the input.
      if (min_item_size > 0 && static_cast<uint64_t>(count) > in_->remaining() / min_item_size) {
        return Status::Corruption(fmt::format("avro: {} block count {} with {} bytes left", what, count,
                                              in_->remaining()));
      }
      if (count > items_left_) {
        return Status::Corruption(fmt::format("avro: {} block count {} exceeds the limit", what, count));
      }
      items_left_ -= count;
      for (int64_t i = 0; i < count; ++i) FLUSS_RETURN_NOT_OK(read_item());
    }
  }

  ByteReader* in_;
  const DecodeLimits& limits_;
  int64_t items_left_;
};

}  // namespace

Result<AvroValue> DecodeDatum(const AvroNode& schema, ByteReader* in, const DecodeLimits& limits) {
  Decoder d(in, limits);
  return d.Decode(schema, 0);
}

}  // namespace fluss::avro
