#include "lake/parquet/thrift_compact.h"

#include <fmt/format.h>

namespace fluss::parquet::thrift {

// ---------------------------------------------------------------------------------------------------
// Writer

void CompactWriter::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<uint8_t>(v));
}

void CompactWriter::BeginStruct() { last_ids_.push_back(0); }

void CompactWriter::EndStruct() {
  out_->push_back(static_cast<uint8_t>(CType::kStop));
  last_ids_.pop_back();
}

void CompactWriter::FieldHeader(int16_t id, CType type) {
  int16_t& last = last_ids_.back();
  int delta = id - last;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<uint8_t>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    out_->push_back(static_cast<uint8_t>(type));
    PutVarint(ZigZag32(id));
  }
  last = id;
}

void CompactWriter::FieldI32(int16_t id, int32_t v) {
  FieldHeader(id, CType::kI32);
  PutVarint(ZigZag32(v));
}
void CompactWriter::FieldI64(int16_t id, int64_t v) {
  FieldHeader(id, CType::kI64);
  PutVarint(ZigZag64(v));
}
void CompactWriter::FieldI16(int16_t id, int16_t v) {
  FieldHeader(id, CType::kI16);
  PutVarint(ZigZag32(v));
}
void CompactWriter::FieldByte(int16_t id, int8_t v) {
  FieldHeader(id, CType::kByte);
  out_->push_back(static_cast<uint8_t>(v));
}
void CompactWriter::FieldBool(int16_t id, bool v) { FieldHeader(id, v ? CType::kTrue : CType::kFalse); }

void CompactWriter::FieldBinary(int16_t id, std::string_view v) {
  FieldHeader(id, CType::kBinary);
  ListBinary(v);
}

void CompactWriter::ListBinary(std::string_view v) {
  PutVarint(v.size());
  out_->insert(out_->end(), v.begin(), v.end());
}

void CompactWriter::FieldStructBegin(int16_t id) {
  FieldHeader(id, CType::kStruct);
  BeginStruct();
}

void CompactWriter::FieldListBegin(int16_t id, CType elem, size_t size) {
  FieldHeader(id, CType::kList);
  if (size < 15) {
    out_->push_back(static_cast<uint8_t>((size << 4) | static_cast<uint8_t>(elem)));
  } else {
    out_->push_back(static_cast<uint8_t>(0xF0 | static_cast<uint8_t>(elem)));
    PutVarint(size);
  }
}

// ---------------------------------------------------------------------------------------------------
// Reader

namespace {
int32_t UnZigZag32(uint64_t v) {
  auto u = static_cast<uint32_t>(v);
  return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}
int64_t UnZigZag64(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }
bool ValidType(uint8_t t) { return t <= static_cast<uint8_t>(CType::kStruct); }
}  // namespace

Result<uint8_t> CompactReader::Byte(std::string_view what) {
  if (pos_ >= data_.size()) {
    return Status::Corruption(fmt::format("thrift: truncated {} at offset {}", what, pos_));
  }
  return data_[pos_++];
}

Result<uint64_t> CompactReader::Varint(std::string_view what) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    FLUSS_ASSIGN_OR_RETURN(uint8_t b, Byte(what));
    if (shift == 63 && (b & 0x7E) != 0) break;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  return Status::Corruption(fmt::format("thrift: varint too long in {} at offset {}", what, pos_));
}

Status CompactReader::Expect(CType got, CType want, std::string_view what) const {
  if (got == want) return Status::OK();
  return Status::Corruption(fmt::format("thrift: {} has type {}, expected {} (offset {})", what,
                                        static_cast<int>(got), static_cast<int>(want), pos_));
}

Status CompactReader::BeginStruct() {
  if (static_cast<int>(last_ids_.size()) >= limits_.max_depth) {
    return Status::Corruption(fmt::format("thrift: structs nested deeper than {}", limits_.max_depth));
  }
  last_ids_.push_back(0);
  return Status::OK();
}

Result<bool> CompactReader::NextField(int16_t* id, CType* type) {
  if (last_ids_.empty()) return Status::Internal("thrift: NextField outside a struct");
  FLUSS_ASSIGN_OR_RETURN(uint8_t b, Byte("field header"));
  if (b == 0) {
    last_ids_.pop_back();
    return false;
  }
  uint8_t t = b & 0x0F;
  if (!ValidType(t) || t == 0) {
    return Status::Corruption(fmt::format("thrift: bad field type {} at offset {}", t, pos_ - 1));
  }
  int delta = b >> 4;
  int32_t fid;
  if (delta != 0) {
    fid = last_ids_.back() + delta;
  } else {
    FLUSS_ASSIGN_OR_RETURN(uint64_t raw, Varint("field id"));
    fid = UnZigZag32(raw);
  }
  if (fid < INT16_MIN || fid > INT16_MAX) {
    return Status::Corruption(fmt::format("thrift: field id {} out of range", fid));
  }
  last_ids_.back() = static_cast<int16_t>(fid);
  *id = static_cast<int16_t>(fid);
  *type = static_cast<CType>(t);
  return true;
}

Result<bool> CompactReader::ReadBool(CType type) {
  if (type == CType::kTrue) return true;
  if (type == CType::kFalse) return false;
  return Status::Corruption(fmt::format("thrift: bool field has type {}", static_cast<int>(type)));
}

Result<bool> CompactReader::ReadListBool() {
  FLUSS_ASSIGN_OR_RETURN(uint8_t b, Byte("bool element"));
  return b == 1;
}

Result<int8_t> CompactReader::ReadByte(CType type) {
  FLUSS_RETURN_NOT_OK(Expect(type, CType::kByte, "byte field"));
  FLUSS_ASSIGN_OR_RETURN(uint8_t b, Byte("byte"));
  return static_cast<int8_t>(b);
}

Result<int16_t> CompactReader::ReadI16(CType type) {
  FLUSS_RETURN_NOT_OK(Expect(type, CType::kI16, "i16 field"));
  FLUSS_ASSIGN_OR_RETURN(uint64_t raw, Varint("i16"));
  int32_t v = UnZigZag32(raw);
  if (raw > 0xFFFFFFFFu || v < INT16_MIN || v > INT16_MAX) return Status::Corruption("thrift: i16 out of range");
  return static_cast<int16_t>(v);
}

Result<int32_t> CompactReader::ReadI32(CType type) {
  if (type != CType::kI32) FLUSS_RETURN_NOT_OK(Expect(type, CType::kI32, "i32 field"));
  FLUSS_ASSIGN_OR_RETURN(uint64_t raw, Varint("i32"));
  if (raw > 0xFFFFFFFFu) return Status::Corruption("thrift: i32 varint out of range");
  return UnZigZag32(raw);
}

Result<int64_t> CompactReader::ReadI64(CType type) {
  FLUSS_RETURN_NOT_OK(Expect(type, CType::kI64, "i64 field"));
  FLUSS_ASSIGN_OR_RETURN(uint64_t raw, Varint("i64"));
  return UnZigZag64(raw);
}

Result<std::string> CompactReader::ReadBinary(CType type) {
  FLUSS_RETURN_NOT_OK(Expect(type, CType::kBinary, "binary field"));
  FLUSS_ASSIGN_OR_RETURN(uint64_t n, Varint("binary length"));
  if (n > limits_.max_binary_size || n > data_.size() - pos_) {
    return Status::Corruption(
        fmt::format("thrift: binary of {} bytes at offset {} exceeds the {} bytes left", n, pos_, data_.size() - pos_));
  }
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return s;
}

Status CompactReader::ReadListHeader(CType type, CType* elem, uint32_t* size) {
  if (type != CType::kList && type != CType::kSet) FLUSS_RETURN_NOT_OK(Expect(type, CType::kList, "list field"));
  FLUSS_ASSIGN_OR_RETURN(uint8_t b, Byte("list header"));
  uint8_t t = b & 0x0F;
  if (!ValidType(t) || t == 0) return Status::Corruption(fmt::format("thrift: bad list element type {}", t));
  uint64_t n = b >> 4;
  if (n == 15) {
    FLUSS_ASSIGN_OR_RETURN(n, Varint("list size"));
  }
  // Every element takes at least one byte, except bools... which also take one in lists.
  if (n > limits_.max_collection_size || n > data_.size() - pos_) {
    return Status::Corruption(fmt::format("thrift: list of {} elements at offset {} is longer than the input", n, pos_));
  }
  *elem = static_cast<CType>(t);
  *size = static_cast<uint32_t>(n);
  return Status::OK();
}

Status CompactReader::Skip(CType type) { return SkipDepth(type, static_cast<int>(last_ids_.size())); }

Status CompactReader::SkipDepth(CType type, int depth) {
  if (depth >= limits_.max_depth) {
    return Status::Corruption(fmt::format("thrift: values nested deeper than {}", limits_.max_depth));
  }
  switch (type) {
    case CType::kTrue:
    case CType::kFalse:
      return Status::OK();
    case CType::kByte:
      return Byte("byte").status();
    case CType::kI16:
    case CType::kI32:
    case CType::kI64:
      return Varint("integer").status();
    case CType::kDouble:
      if (data_.size() - pos_ < 8) return Status::Corruption("thrift: truncated double");
      pos_ += 8;
      return Status::OK();
    case CType::kBinary:
      return ReadBinary(type).status();
    case CType::kList:
    case CType::kSet: {
      CType elem;
      uint32_t n;
      FLUSS_RETURN_NOT_OK(ReadListHeader(type, &elem, &n));
      for (uint32_t i = 0; i < n; ++i) {
        if (elem == CType::kTrue || elem == CType::kFalse) {
          FLUSS_RETURN_NOT_OK(Byte("bool element").status());
        } else {
          FLUSS_RETURN_NOT_OK(SkipDepth(elem, depth + 1));
        }
      }
      return Status::OK();
    }
    case CType::kMap: {
      FLUSS_ASSIGN_OR_RETURN(uint64_t n, Varint("map size"));
      if (n == 0) return Status::OK();
      if (n > limits_.max_collection_size || n > data_.size() - pos_) {
        return Status::Corruption("thrift: map longer than the input");
      }
      FLUSS_ASSIGN_OR_RETURN(uint8_t kv, Byte("map types"));
      auto kt = static_cast<CType>(kv >> 4), vt = static_cast<CType>(kv & 0x0F);
      if (!ValidType(kv >> 4) || !ValidType(kv & 0x0F)) return Status::Corruption("thrift: bad map types");
      for (uint64_t i = 0; i < n; ++i) {
        for (CType t : {kt, vt}) {
          if (t == CType::kTrue || t == CType::kFalse) {
            FLUSS_RETURN_NOT_OK(Byte("bool element").status());
          } else {
            FLUSS_RETURN_NOT_OK(SkipDepth(t, depth + 1));
          }
        }
      }
      return Status::OK();
    }
    case CType::kStruct: {
      FLUSS_RETURN_NOT_OK(BeginStruct());
      int16_t id;
      CType t;
      while (true) {
        FLUSS_ASSIGN_OR_RETURN(bool more, NextField(&id, &t));
        if (!more) return Status::OK();
        FLUSS_RETURN_NOT_OK(SkipDepth(t, depth + 1));
      }
    }
    case CType::kStop:
      break;
  }
  return Status::Corruption(fmt::format("thrift: cannot skip type {}", static_cast<int>(type)));
}

}  // namespace fluss::parquet::thrift
