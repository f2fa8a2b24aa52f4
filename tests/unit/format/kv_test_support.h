// Helpers shared by the KV format tests (compacted rows and keys, KV and value batches).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "types/data_type.h"
#include "types/row.h"
#include "types/schema.h"
#include "support/status_macros.h"

namespace fluss::kv_test {

// "0a ff 01": byte strings compare with a readable diff in failures.
inline std::string Bytes(std::span<const uint8_t> b) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) s.push_back(' ');
    s.push_back(kHex[b[i] >> 4]);
    s.push_back(kHex[b[i] & 15]);
  }
  return s;
}
inline std::string Bytes(std::initializer_list<uint8_t> b) { return Bytes(std::span<const uint8_t>(b.begin(), b.size())); }

inline Schema MakeSchema(std::vector<std::pair<std::string, DataType>> columns, std::vector<std::string> pk = {}) {
  std::vector<Column> cols;
  for (auto& [name, type] : columns) cols.push_back(Column{name, type, -1, ""});
  auto s = Schema::Make(std::move(cols), std::move(pk));
  EXPECT_OK(s);
  return s.ok() ? *s : Schema();
}

// One of each type, both encodings of DECIMAL and TIMESTAMP precisions.
inline std::vector<DataType> EveryType() {
  return {DataType::Boolean(),        DataType::TinyInt(),         DataType::SmallInt(),      DataType::Int(),
          DataType::BigInt(),         DataType::Float(),           DataType::Double(),        DataType::Char(4),
          DataType::String(),         DataType::Binary(3),         DataType::Bytes(),         DataType::Decimal(18, 4),
          DataType::Decimal(38, 10),  DataType::Decimal(19, 0),    DataType::Date(),          DataType::Time(3),
          DataType::Timestamp(3),     DataType::Timestamp(9),      DataType::TimestampLtz(0), DataType::TimestampLtz(6)};
}

inline int64_t RandomInt64(std::mt19937_64& rng) {
  // Mix small values (1-2 byte varints) with full-range ones (negative: 10 bytes).
  switch (rng() % 3) {
    case 0: return static_cast<int64_t>(rng() % 300);
    case 1: return -static_cast<int64_t>(rng() % 300);
    default: return static_cast<int64_t>(rng());
  }
}

inline std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A random non-null value valid for `type` (finite floats, so rows compare equal after a round trip).
inline Datum RandomDatum(const DataType& type, std::mt19937_64& rng) {
  switch (type.root()) {
    case TypeRoot::kBoolean: return rng() % 2 == 0;
    case TypeRoot::kTinyInt: return static_cast<int8_t>(rng());
    case TypeRoot::kSmallInt: return static_cast<int16_t>(rng());
    case TypeRoot::kInt: return static_cast<int32_t>(RandomInt64(rng));
    case TypeRoot::kDate: return static_cast<int32_t>(static_cast<int64_t>(rng() % 200000) - 100000);
    case TypeRoot::kTime: return static_cast<int32_t>(rng() % 86400000);
    case TypeRoot::kBigInt: return RandomInt64(rng);
    case TypeRoot::kFloat: return static_cast<float>(RandomInt64(rng)) / 8.0f;
    case TypeRoot::kDouble: return static_cast<double>(RandomInt64(rng)) / 1024.0;
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes: return RandomBytes(rng, rng() % 5 == 0 ? 200 + rng() % 100 : rng() % 8);
    case TypeRoot::kBinary: return RandomBytes(rng, static_cast<size_t>(type.length()));
    case TypeRoot::kDecimal: {
      __int128 limit = 1;
      for (int i = 0; i < type.precision(); ++i) limit *= 10;
      const auto wide = static_cast<__int128>((static_cast<unsigned __int128>(rng()) << 64) | rng());
      __int128 v = wide % limit;  // |v| < 10^precision, either sign
      if (rng() % 4 == 0) v = static_cast<__int128>(rng() % 1000) - 500;
      return DecimalValue{v};
    }
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: {
      TimestampValue ts{RandomInt64(rng), 0};
      if (type.precision() > 3) ts.nanos_of_milli = static_cast<int32_t>(rng() % 1000000);
      return ts;
    }
  }
  return std::monostate{};
}

// A random corruption of `bytes`: flipped bits, an overwritten byte, a truncation, or inserted bytes.
inline std::vector<uint8_t> Mutate(std::vector<uint8_t> bytes, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 4) {
      case 0:
        if (!bytes.empty()) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        if (!bytes.empty()) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
        break;
      case 2:
        bytes.resize(bytes.empty() ? 0 : rng() % bytes.size());
        break;
      default:
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(bytes.empty() ? 0 : rng() % bytes.size()),
                     static_cast<uint8_t>(rng()));
        break;
    }
  }
  return bytes;
}

}  // namespace fluss::kv_test
