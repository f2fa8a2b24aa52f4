// Thrift Compact Protocol, the encoding of Parquet's footer and page headers (parquet.thrift). Only
// what Parquet uses: structs, i8/i16/i32/i64 (zig-zag varints), double, binary/string, bool, lists
// (sets read as lists; maps only skipped). The reader checks every length against the input and
// limits nesting depth and collection sizes, so corrupt bytes give a Corruption status, never a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fluss::parquet::thrift {

// Compact type ids as they appear in field headers and list headers.
enum class CType : uint8_t {
  kStop = 0,
  kTrue = 1,  // a bool field whose value is true (in lists: the element type "bool")
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Appends compact-protocol bytes to a vector. Field ids must rise within a struct for the short
// (delta) header form; any order is still encoded correctly (long form).
class CompactWriter {
 public:
  explicit CompactWriter(std::vector<uint8_t>* out) : out_(out) {}

  // A top-level struct: BeginStruct() ... EndStruct().
  void BeginStruct();
  void EndStruct();  // writes the stop byte

  void FieldI32(int16_t id, int32_t v);
  void FieldI64(int16_t id, int64_t v);
  void FieldI16(int16_t id, int16_t v);
  void FieldByte(int16_t id, int8_t v);
  void FieldBool(int16_t id, bool v);
  void FieldBinary(int16_t id, std::string_view v);
  // Field header of a nested struct, then BeginStruct(); close with EndStruct().
  void FieldStructBegin(int16_t id);
  // Field header of a list of `size` elements of type `elem`; then write exactly `size` elements
  // with the List* calls below (or BeginStruct/EndStruct for struct elements).
  void FieldListBegin(int16_t id, CType elem, size_t size);

  void ListI32(int32_t v) { PutVarint(ZigZag32(v)); }
  void ListBinary(std::string_view v);

 private:
  static uint64_t ZigZag32(int32_t v) {
    return static_cast<uint32_t>((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
  }
  static uint64_t ZigZag64(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void FieldHeader(int16_t id, CType type);
  void PutVarint(uint64_t v);

  std::vector<uint8_t>* out_;
  std::vector<int16_t> last_ids_;  // last field id of each open struct
};

struct ReaderLimits {
  int max_depth = 32;                   // nested structs/lists
  uint32_t max_collection_size = 1u << 24;
  uint32_t max_binary_size = 1u << 30;  // also bounded by the remaining input
};

// Reads compact-protocol bytes from a span; every read is bounds-checked.
//   BeginStruct(); while (NextField(&id, &type) says true) { read or Skip(type) }  (stop pops it)
class CompactReader {
 public:
  explicit CompactReader(std::span<const uint8_t> data, ReaderLimits limits = {})
      : data_(data), limits_(limits) {}

  size_t position() const { return pos_; }

  Status BeginStruct();
  // Reads the next field header. Returns false at the stop byte (and closes the struct).
  Result<bool> NextField(int16_t* id, CType* type);

  // Values of a field of type `type` (as given by NextField), checked against the type.
  Result<bool> ReadBool(CType type);  // a bool field (value in the type) or a list element
  Result<int8_t> ReadByte(CType type);
  Result<int16_t> ReadI16(CType type);
  Result<int32_t> ReadI32(CType type);
  Result<int64_t> ReadI64(CType type);
  Result<std::string> ReadBinary(CType type);
  // A list (or set) header: element type and size. Elements follow; for bool elements call
  // ReadBool(CType::kByte)-style via ReadListBool.
  Status ReadListHeader(CType type, CType* elem, uint32_t* size);
  Result<bool> ReadListBool();
  // Skips one value of `type`, recursively (structs, lists, sets, maps), within the depth limit.
  Status Skip(CType type);

 private:
  Status Expect(CType got, CType want, std::string_view what) const;
  Result<uint64_t> Varint(std::string_view what);
  Result<uint8_t> Byte(std::string_view what);
  Status SkipDepth(CType type, int depth);

  std::span<const uint8_t> data_;
  ReaderLimits limits_;
  size_t pos_ = 0;
  std::vector<int16_t> last_ids_;
};

}  // namespace fluss::parquet::thrift
