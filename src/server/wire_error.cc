#include "server/wire_error.h"

namespace fluss {

namespace {

// The storage code of an I/O failure while serving `api`: upstream's LogStorageException and
// KvStorageException, both StorageExceptions (retriable for its clients).
ErrorCode StorageErrorOf(std::optional<rpc::ApiKey> api) {
  if (!api) return ErrorCode::kStorageException;
  switch (*api) {
    case rpc::ApiKey::kProduceLog:
    case rpc::ApiKey::kFetchLog:
    case rpc::ApiKey::kListOffsets:
      return ErrorCode::kLogStorageException;
    case rpc::ApiKey::kPutKv:
    case rpc::ApiKey::kLookup:
    case rpc::ApiKey::kPrefixLookup:
    case rpc::ApiKey::kScanKv:
      return ErrorCode::kKvStorageException;
    default:
      return ErrorCode::kStorageException;
  }
}

}  // namespace

WireError ToWireError(const Status& status, std::optional<rpc::ApiKey> api) {
  if (status.ok()) return {ErrorCode::kUnknownServerError, "error response without an error"};
  if (auto code = status.wire_code()) return {*code, status.message()};
  switch (status.kind()) {
    case StatusCode::kIOError:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
      return {StorageErrorOf(api), status.message()};
    default:
      return {GenericErrorCode(status.kind()), status.message()};
  }
}

void SendWireError(rpc::RpcResponder& responder, const Status& status, std::optional<rpc::ApiKey> api) {
  responder.SendError(ToWireError(status, api).ToStatus());
}

}  // namespace fluss
