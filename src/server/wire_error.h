// The one place a Status becomes the error code of a response. Storage, format and metadata code
// say what went wrong with a kind (Status::IOError, Status::Corruption, ...); protocol conditions
// carry their Fluss code (NOT_LEADER_OR_FOLLOWER, TABLE_NOT_EXIST, ...). The services answer every
// failed request, and every failed bucket of a multi-bucket request, through ToWireError (or
// SetResponseError / SendWireError, built on it), so the code a client sees is chosen here.
//
// The mapping (docs/protocol.md "Errors" has it as a table):
//   - an error with a wire code keeps it;
//   - kIOError, kNotFound, kAlreadyExists (a file, a znode, a RocksDB read: never an object the
//     request named, which carries its own code) are the API's storage code: LOG_STORAGE_EXCEPTION
//     for the log APIs (ProduceLog, FetchLog, ListOffsets), KV_STORAGE_EXCEPTION for the KV APIs
//     (PutKv, Lookup, PrefixLookup, ScanKv), STORAGE_EXCEPTION for the others;
//   - every other kind is GenericErrorCode(kind) (include/fluss/status.h): kInvalidArgument
//     INVALID_CONFIG, kCorruption CORRUPT_RECORD, kNotSupported UNSUPPORTED_VERSION, kTimedOut
//     REQUEST_TIME_OUT, kUnavailable NETWORK_EXCEPTION, kPermissionDenied AUTHORIZATION,
//     kResourceExhausted / kFailedPrecondition / kInternal UNKNOWN_SERVER_ERROR.
// The message is the Status's message, unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "fluss_api.pb.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_server.h"

namespace fluss {

// The error half of a response: ErrorResponse, or a bucket's error_code / error_message.
struct WireError {
  ErrorCode code = ErrorCode::kNone;
  std::string message;

  // A Status carrying exactly this code (what RpcResponder::SendError encodes).
  Status ToStatus() const { return Status(code, message); }
};

// The code and message a response carries for `status`, failing a request of `api` (nullopt: the
// API is not known, e.g. an unknown api key). REQUIRES: !status.ok().
WireError ToWireError(const Status& status, std::optional<rpc::ApiKey> api);

// Answers the request ERROR with ToWireError(status, api).
void SendWireError(rpc::RpcResponder& responder, const Status& status, std::optional<rpc::ApiKey> api);

// The API whose response carries a message of type Resp (a per-bucket entry, or a response with its
// own error_code), so that a response builder needs only the Status.
template <typename Resp>
struct ResponseApi;
template <>
struct ResponseApi<proto::PbProduceLogRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kProduceLog;
};
template <>
struct ResponseApi<proto::PbFetchLogRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kFetchLog;
};
template <>
struct ResponseApi<proto::PbListOffsetsRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kListOffsets;
};
template <>
struct ResponseApi<proto::PbPutKvRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kPutKv;
};
template <>
struct ResponseApi<proto::PbLookupRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kLookup;
};
template <>
struct ResponseApi<proto::PbPrefixLookupRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kPrefixLookup;
};
template <>
struct ResponseApi<proto::ScanKvResponse> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kScanKv;
};
template <>
struct ResponseApi<proto::PbNotifyLeaderAndIsrRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kNotifyLeaderAndIsr;
};
template <>
struct ResponseApi<proto::PbStopReplicaRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kStopReplica;
};
template <>
struct ResponseApi<proto::PbAdjustIsrRespForBucket> {
  static constexpr rpc::ApiKey kKey = rpc::ApiKey::kAdjustIsr;
};

// Sets resp's error_code and error_message from ToWireError(status, the API of Resp).
// REQUIRES: !status.ok().
template <typename Resp>
void SetResponseError(Resp* resp, const Status& status) {
  WireError e = ToWireError(status, ResponseApi<Resp>::kKey);
  resp->set_error_code(static_cast<int32_t>(e.code));
  resp->set_error_message(std::move(e.message));
}

}  // namespace fluss
