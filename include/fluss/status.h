// Status and Result<T>: errors are values. A Status is OK, or an error with a kind (what went wrong:
// not found, corruption, I/O, invalid argument, ...), a message that names the object and the reason
// ("batch CRC mismatch at offset 1200"), and, when the error is a condition of Fluss's protocol
// (NOT_LEADER_OR_FOLLOWER, TABLE_NOT_EXIST, OUT_OF_ORDER_SEQUENCE, ...), that wire ErrorCode.
//
// Storage and format code says what went wrong with a kind (Status::Corruption, Status::IOError, ...)
// and leaves the wire code out; a server's services choose the code a response carries
// (src/server/wire_error.h). Errors a client receives from a server carry the server's code.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "fluss/error_code.h"

namespace fluss {

// What went wrong, whatever the protocol.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // a bad argument, option, property, schema, name or request field
  kNotFound,            // the named thing (file, table, key, scanner, writer, ...) does not exist
  kAlreadyExists,       // the named thing exists already
  kCorruption,          // bytes fail a check: CRC, length, magic, version, structure
  kIOError,             // the operating system or a storage backend failed (open, write, fsync, RocksDB)
  kNotSupported,        // valid, but not implemented by this build or this version
  kTimedOut,            // a deadline passed before the work was done
  kUnavailable,         // retriable: not the leader, network down, server or coordinator gone
  kPermissionDenied,    // authentication or authorization refused
  kResourceExhausted,   // a limit was reached: size, count, memory, open files
  kFailedPrecondition,  // the current state forbids it: a newer epoch or version, a sequence gap, a
                        // non-empty database, a table of the wrong kind for the call
  kInternal,            // a bug or an unexpected state of fluss-cpp itself
};

// "INVALID_ARGUMENT", "NOT_FOUND", ... ("OK" for kOk).
std::string_view StatusCodeName(StatusCode kind);
// The kind a Fluss error code stands for (TABLE_NOT_EXIST -> kNotFound, NOT_LEADER_OR_FOLLOWER ->
// kUnavailable, ...); a number this build does not know is kInternal, kNone is kOk.
StatusCode StatusCodeOf(ErrorCode code);
// The Fluss error code a kind stands for when nothing more specific is known (what Status::code()
// reports for an error without a wire code): kInvalidArgument INVALID_CONFIG, kCorruption
// CORRUPT_RECORD, kIOError / kNotFound / kAlreadyExists STORAGE_EXCEPTION, kNotSupported
// UNSUPPORTED_VERSION, kTimedOut REQUEST_TIME_OUT, kUnavailable NETWORK_EXCEPTION, kPermissionDenied
// AUTHORIZATION, the rest UNKNOWN_SERVER_ERROR. A server refines it per API (src/server/wire_error.h).
ErrorCode GenericErrorCode(StatusCode kind);

class [[nodiscard]] Status {
 public:
  Status() = default;
  // An error that is the protocol condition `code`; its kind is StatusCodeOf(code). kNone is OK.
  Status(ErrorCode code, std::string message);
  // An error of `kind` without a wire code. kOk is OK.
  Status(StatusCode kind, std::string message);

  static Status OK() { return Status(); }
  // One factory per kind, none with a wire code.
  static Status InvalidArgument(std::string msg) { return Status(StatusCode::kInvalidArgument, std::move(msg)); }
  static Status Invalid(std::string msg) { return InvalidArgument(std::move(msg)); }  // the short name
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) { return Status(StatusCode::kAlreadyExists, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(StatusCode::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(StatusCode::kIOError, std::move(msg)); }
  static Status NotSupported(std::string msg) { return Status(StatusCode::kNotSupported, std::move(msg)); }
  static Status TimedOut(std::string msg) { return Status(StatusCode::kTimedOut, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(StatusCode::kUnavailable, std::move(msg)); }
  static Status PermissionDenied(std::string msg) { return Status(StatusCode::kPermissionDenied, std::move(msg)); }
  static Status ResourceExhausted(std::string msg) {
    return Status(StatusCode::kResourceExhausted, std::move(msg));
  }
  static Status FailedPrecondition(std::string msg) {
    return Status(StatusCode::kFailedPrecondition, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

  bool ok() const { return state_ == nullptr; }
  // What went wrong (kOk when OK).
  StatusCode kind() const { return state_ ? state_->kind : StatusCode::kOk; }
  // The protocol condition this error is, if it is one: set by Status(ErrorCode, ...), and on every
  // error a client receives from a server.
  std::optional<ErrorCode> wire_code() const {
    return state_ && state_->wire ? std::optional<ErrorCode>(state_->code) : std::nullopt;
  }
  // The Fluss error code: wire_code() if set, else GenericErrorCode(kind()); kNone when OK.
  ErrorCode code() const { return state_ ? state_->code : ErrorCode::kNone; }
  const std::string& message() const;
  // "<name of code()>: <message>" ("CORRUPT_RECORD: batch CRC mismatch at offset 1200"), or "OK".
  std::string ToString() const;

  // Returns a copy with "context: " prepended to the message (kind and wire code kept); OK stays OK.
  Status WithContext(std::string_view context) const;
  // Returns a copy with `message` instead (kind and wire code kept); OK stays OK.
  Status WithMessage(std::string message) const;

  // Same kind, same wire code (or none) and same message.
  bool operator==(const Status& other) const {
    return kind() == other.kind() && wire_code() == other.wire_code() && message() == other.message();
  }

 private:
  struct State {
    StatusCode kind;
    ErrorCode code;  // the wire code, or GenericErrorCode(kind) when !wire
    bool wire;
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
