// Fluss RPC framing (docs/formats/rpc-framing.md): an int32 big-endian length that excludes itself,
// then a request header (int16 api key, int16 api version, int32 request id) or a response header
// (int8 type, int32 request id), then the body. Error bodies are an ErrorResponse protobuf message,
// encoded here by hand so the transport does not depend on generated code.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fluss::rpc {

inline constexpr size_t kFrameLengthSize = 4;
inline constexpr size_t kRequestHeaderSize = 8;   // api key, api version, request id
inline constexpr size_t kResponseHeaderSize = 5;  // response type, request id
inline constexpr size_t kServerFailureHeaderSize = 1;  // response type only
inline constexpr size_t kDefaultMaxRequestSize = size_t{100} << 20;
inline constexpr size_t kDefaultMaxResponseSize = size_t{256} << 20;

enum class ResponseType : int8_t {
  kSuccess = 0,
  kError = 1,
  kServerFailure = 2,  // not tied to a request; the connection is about to close
};

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t request_id = 0;
};

struct ResponseHeader {
  ResponseType type = ResponseType::kSuccess;
  int32_t request_id = -1;  // -1 for kServerFailure
  size_t size = 0;          // header bytes consumed: 5, or 1 for kServerFailure
};

// The bytes before a request body: length prefix + request header.
std::array<uint8_t, kFrameLengthSize + kRequestHeaderSize> EncodeRequestPrefix(const RequestHeader& header,
                                                                               size_t body_size);
// The bytes before a SUCCESS or ERROR response body: length prefix + response header.
std::array<uint8_t, kFrameLengthSize + kResponseHeaderSize> EncodeResponsePrefix(ResponseType type,
                                                                                 int32_t request_id,
                                                                                 size_t body_size);
// The bytes before a SERVER_FAILURE body: length prefix + type byte.
std::array<uint8_t, kFrameLengthSize + kServerFailureHeaderSize> EncodeServerFailurePrefix(size_t body_size);

// Whole frames, for small messages and tests.
std::string EncodeRequestFrame(const RequestHeader& header, std::string_view body);
std::string EncodeResponseFrame(ResponseType type, int32_t request_id, std::string_view body);
std::string EncodeErrorFrame(int32_t request_id, const Status& error);
std::string EncodeServerFailureFrame(const Status& error);

// Checks a frame length prefix against [min_length, max_length]. `what` names the frame ("request",
// "response") and `limit_name` the option that sets max_length. Errors are CORRUPT_MESSAGE, e.g.
// "request of 200000000 bytes exceeds the limit of 104857600 bytes (netty.server.max-request-size)".
Status CheckFrameLength(int32_t length, size_t min_length, size_t max_length, std::string_view what,
                        std::string_view limit_name);

// `payload` is a frame without its length prefix (at least the header).
Result<RequestHeader> DecodeRequestHeader(std::span<const uint8_t> payload);
Result<ResponseHeader> DecodeResponseHeader(std::span<const uint8_t> payload);

// ErrorResponse { required int32 error_code = 1; optional string error_message = 2; }.
// An OK status encodes as UNKNOWN_SERVER_ERROR (an error frame must carry an error).
std::string EncodeErrorResponse(const Status& error);
struct ErrorResponse {
  int32_t error_code = 0;
  std::optional<std::string> error_message;
};
// Skips unknown fields; rejects truncated or malformed messages and a missing error_code
// (CORRUPT_MESSAGE).
Result<ErrorResponse> DecodeErrorResponse(std::span<const uint8_t> bytes);
// The error a client reports for an ErrorResponse: its code and message (code 0 becomes
// UNKNOWN_SERVER_ERROR, since a Status with code NONE would read as success).
Status ErrorResponseToStatus(const ErrorResponse& response);

}  // namespace fluss::rpc
