// AvroValue: a generic Avro datum. A union value is the value of its branch: the encoder picks the
// first branch whose type matches the value's kind (null -> "null", a record -> the first record
// branch, ...), which is exact for the ["null", T] unions Iceberg uses.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fluss::avro {

struct AvroValue;

struct AvroBytes {
  std::vector<uint8_t> data;
  bool operator==(const AvroBytes&) const = default;
};
struct AvroFixed {
  std::vector<uint8_t> data;
  bool operator==(const AvroFixed&) const = default;
};
struct AvroEnum {
  int32_t index = 0;
  bool operator==(const AvroEnum&) const = default;
};
struct AvroArray {
  std::vector<AvroValue> items;
  bool operator==(const AvroArray&) const;
};
struct AvroMap {
  std::vector<std::pair<std::string, AvroValue>> entries;  // in encoding order
  bool operator==(const AvroMap&) const;
};
struct AvroRecord {
  std::vector<AvroValue> fields;  // in schema field order
  bool operator==(const AvroRecord&) const;
};

struct AvroValue {
  using Variant = std::variant<std::monostate, bool, int32_t, int64_t, float, double, AvroBytes, std::string,
                               AvroEnum, AvroFixed, AvroArray, AvroMap, AvroRecord>;
  Variant v;

  AvroValue() = default;
  AvroValue(bool b) : v(b) {}                 // NOLINT(google-explicit-constructor)
  AvroValue(int32_t i) : v(i) {}              // NOLINT(google-explicit-constructor)
  AvroValue(int64_t l) : v(l) {}              // NOLINT(google-explicit-constructor)
  AvroValue(float f) : v(f) {}                // NOLINT(google-explicit-constructor)
  AvroValue(double d) : v(d) {}               // NOLINT(google-explicit-constructor)
  AvroValue(std::string s) : v(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  AvroValue(const char* s) : v(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  AvroValue(AvroBytes b) : v(std::move(b)) {}    // NOLINT(google-explicit-constructor)
  AvroValue(AvroFixed f) : v(std::move(f)) {}    // NOLINT(google-explicit-constructor)
  AvroValue(AvroEnum e) : v(e) {}                // NOLINT(google-explicit-constructor)
  AvroValue(AvroArray a) : v(std::move(a)) {}    // NOLINT(google-explicit-constructor)
  AvroValue(AvroMap m) : v(std::move(m)) {}      // NOLINT(google-explicit-constructor)
  AvroValue(AvroRecord r) : v(std::move(r)) {}   // NOLINT(google-explicit-constructor)

  static AvroValue Null() { return AvroValue(); }
  static AvroValue Bytes(std::vector<uint8_t> b) { return AvroValue(AvroBytes{std::move(b)}); }

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
  template <typename T>
  bool is() const {
    return std::holds_alternative<T>(v);
  }
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&v);
  }

  bool operator==(const AvroValue& o) const { return v == o.v; }
};

inline bool AvroArray::operator==(const AvroArray& o) const { return items == o.items; }
inline bool AvroMap::operator==(const AvroMap& o) const { return entries == o.entries; }
inline bool AvroRecord::operator==(const AvroRecord& o) const { return fields == o.fields; }

}  // namespace fluss::avro
