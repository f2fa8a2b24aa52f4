// The primary key of a row as a byte string, to group a changelog by key (tiering) and to match
// equality deletes to data rows (lake reads). Integer alternatives are widened to 64 bits, so a
// SMALLINT key read back from Parquet as INT still encodes the same.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "types/row.h"

namespace fluss::lake::internal {

inline void AppendKeyDatum(const Datum& d, std::string* out) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        auto raw = [out](const void* p, size_t n) { out->append(static_cast<const char*>(p), n); };
        if constexpr (std::is_same_v<T, std::monostate>) {
          out->push_back('n');
        } else if constexpr (std::is_same_v<T, bool>) {
          out->push_back('b');
          out->push_back(v ? 1 : 0);
        } else if constexpr (std::is_integral_v<T>) {
          out->push_back('i');
          const int64_t w = v;
          raw(&w, sizeof w);
        } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          out->push_back('f');
          const double w = v;
          raw(&w, sizeof w);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out->push_back('s');
          const uint64_t n = v.size();
          raw(&n, sizeof n);
          out->append(v);
        } else if constexpr (std::is_same_v<T, DecimalValue>) {
          out->push_back('d');
          raw(&v.unscaled, sizeof v.unscaled);
        } else if constexpr (std::is_same_v<T, TimestampValue>) {
          out->push_back('t');
          raw(&v.millis, sizeof v.millis);
          raw(&v.nanos_of_milli, sizeof v.nanos_of_milli);
        }
      },
      d);
}

// The key of `row` made of the fields at `indexes`, in that order.
inline std::string KeyOf(const GenericRow& row, const std::vector<size_t>& indexes) {
  std::string key;
  for (size_t i : indexes) AppendKeyDatum(row.field(i), &key);
  return key;
}

}  // namespace fluss::lake::internal
