// StrongValue<Tag, Rep>: an integer that means one thing — a log offset, a leader epoch, a server
// id — and does not mix with integers that mean another. The replica and coordinator code passes
// these between its functions; raw integers appear only where the bytes are (protobuf messages,
// ZooKeeper records, the log's files and its leader-epoch cache), converted there.
//
// - Construction from the raw integer is explicit (`LeaderEpoch(3)`), reading it is `value()`.
// - Values of one kind compare with each other, never with another kind or a raw integer.
// - They format as the bare number ({fmt} and iostreams: messages, logs, test failures) and hash
//   like it.
// - Arithmetic only where the kind has it (log_offset.h, epochs.h), as free functions there.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>

#include <fmt/format.h>

namespace fluss {

template <typename Tag, typename Rep>
class StrongValue {
 public:
  using rep = Rep;

  // The zero of the representation; each kind names its "none" (kNoServer, kNoLeaderEpoch, ...).
  constexpr StrongValue() = default;
  constexpr explicit StrongValue(Rep value) : value_(value) {}

  constexpr Rep value() const { return value_; }

  friend constexpr bool operator==(StrongValue, StrongValue) = default;
  friend constexpr std::strong_ordering operator<=>(StrongValue a, StrongValue b) { return a.value_ <=> b.value_; }

  friend std::ostream& operator<<(std::ostream& out, StrongValue v) { return out << v.value_; }

 private:
  Rep value_{};
};

}  // namespace fluss

template <typename Tag, typename Rep>
struct std::hash<fluss::StrongValue<Tag, Rep>> {
  size_t operator()(fluss::StrongValue<Tag, Rep> v) const noexcept { return std::hash<Rep>{}(v.value()); }
};

template <typename Tag, typename Rep>
struct fmt::formatter<fluss::StrongValue<Tag, Rep>> : fmt::formatter<Rep> {
  template <typename FormatContext>
  auto format(fluss::StrongValue<Tag, Rep> v, FormatContext& ctx) const {
    return fmt::formatter<Rep>::format(v.value(), ctx);
  }
};
