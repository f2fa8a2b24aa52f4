// Status and Result<T>: errors are values. A Status is OK or carries an ErrorCode (the wire code) and
// a message that names the object and the reason ("batch CRC mismatch at offset 1200").
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "fluss/error_code.h"

namespace fluss {

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message);

  static Status OK() { return Status(); }
  // Shorthands for the codes the storage and format layers use most.
  static Status Invalid(std::string msg) { return Status(ErrorCode::kInvalidConfig, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(ErrorCode::kCorruptRecord, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(ErrorCode::kStorageException, std::move(msg)); }
  static Status NotSupported(std::string msg) {
    return Status(ErrorCode::kUnsupportedVersion, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(ErrorCode::kUnknownServerError, std::move(msg)); }

  bool ok() const { return state_ == nullptr; }
  ErrorCode code() const { return state_ ? state_->code : ErrorCode::kNone; }
  const std::string& message() const;
  // "CORRUPT_RECORD: batch CRC mismatch at offset 1200", or "OK".
  std::string ToString() const;

  // Returns a copy with "context: " prepended to the message; OK stays OK.
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const {
    return code() == other.code() && message() == other.message();
  }

 private:
  struct State {
    ErrorCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;  // null when OK: an OK status costs one pointer.
};

// Either a value or an error Status (never an OK status without a value).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  // By value: `for (auto& x : F().value())` then owns what it iterates (a T&& into the dead temporary
  // Result would dangle).
  T value() && { return std::get<T>(std::move(v_)); }
  T ValueOr(T fallback) const { return ok() ? value() : std::move(fallback); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace fluss

#define FLUSS_CONCAT_INNER(a, b) a##b
#define FLUSS_CONCAT(a, b) FLUSS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define FLUSS_RETURN_NOT_OK(expr)                   \
  do {                                              \
    ::fluss::Status _fluss_st = (expr);             \
    if (!_fluss_st.ok()) return _fluss_st;          \
  } while (0)

#define FLUSS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// `FLUSS_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result, or returns its error.
#define FLUSS_ASSIGN_OR_RETURN(lhs, rexpr) \
  FLUSS_ASSIGN_OR_RETURN_IMPL(FLUSS_CONCAT(_fluss_result_, __LINE__), lhs, rexpr)
