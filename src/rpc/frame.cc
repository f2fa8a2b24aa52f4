#include "rpc/frame.h"

#include <fmt/format.h>

#include <vector>

#include "common/byte_io.h"
#include "common/varint.h"

namespace fluss::rpc {

namespace {

int32_t FrameLength(size_t header_size, size_t body_size) {
  return static_cast<int32_t>(header_size + body_size);
}

// Protobuf wire types.
constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireFixed64 = 1;
constexpr uint32_t kWireLengthDelimited = 2;
constexpr uint32_t kWireFixed32 = 5;

Status Malformed(std::string_view reason) {
  return Status(ErrorCode::kCorruptMessage, fmt::format("malformed ErrorResponse: {}", reason));
}

}  // namespace

std::array<uint8_t, kFrameLengthSize + kRequestHeaderSize> EncodeRequestPrefix(const RequestHeader& header,
                                                                               size_t body_size) {
  std::array<uint8_t, kFrameLengthSize + kRequestHeaderSize> out;
  StoreBE<int32_t>(out.data(), FrameLength(kRequestHeaderSize, body_size));
  StoreBE<int16_t>(out.data() + 4, header.api_key);
  StoreBE<int16_t>(out.data() + 6, header.api_version);
  StoreBE<int32_t>(out.data() + 8, header.request_id);
  return out;
}

std::array<uint8_t, kFrameLengthSize + kResponseHeaderSize> EncodeResponsePrefix(ResponseType type,
                                                                                 int32_t request_id,
                                                                                 size_t body_size) {
  std::array<uint8_t, kFrameLengthSize + kResponseHeaderSize> out;
  StoreBE<int32_t>(out.data(), FrameLength(kResponseHeaderSize, body_size));
  out[4] = static_cast<uint8_t>(type);
  StoreBE<int32_t>(out.data() + 5, request_id);
  return out;
}

std::array<uint8_t, kFrameLengthSize + kServerFailureHeaderSize> EncodeServerFailurePrefix(size_t body_size) {
  std::array<uint8_t, kFrameLengthSize + kServerFailureHeaderSize> out;
  StoreBE<int32_t>(out.data(), FrameLength(kServerFailureHeaderSize, body_size));
  out[4] = static_cast<uint8_t>(ResponseType::kServerFailure);
  return out;
}

std::string EncodeRequestFrame(const RequestHeader& header, std::string_view body) {
  auto prefix = EncodeRequestPrefix(header, body.size());
  std::string out(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  out.append(body);
  return out;
}

std::string EncodeResponseFrame(ResponseType type, int32_t request_id, std::string_view body) {
  auto prefix = EncodeResponsePrefix(type, request_id, body.size());
  std::string out(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  out.append(body);
  return out;
}

std::string EncodeErrorFrame(int32_t request_id, const Status& error) {
  return EncodeResponseFrame(ResponseType::kError, request_id, EncodeErrorResponse(error));
}

std::string EncodeServerFailureFrame(const Status& error) {
  std::string body = EncodeErrorResponse(error);
  auto prefix = EncodeServerFailurePrefix(body.size());
  std::string out(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  out.append(body);
  return out;
}

Status CheckFrameLength(int32_t length, size_t min_length, size_t max_length, std::string_view what,
                        std::string_view limit_name) {
  if (length <= 0 || static_cast<size_t>(length) < min_length) {
    return Status(ErrorCode::kCorruptMessage,
                  fmt::format("{} frame length {} is shorter than the {}-byte {} header", what, length,
                              min_length, what));
  }
  if (static_cast<size_t>(length) > max_length) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("{} of {} bytes exceeds the limit of {} bytes ({})",
                                                          what, length, max_length, limit_name));
  }
  return Status::OK();
}

Result<RequestHeader> DecodeRequestHeader(std::span<const uint8_t> payload) {
  if (payload.size() < kRequestHeaderSize) {
    return Status(ErrorCode::kCorruptMessage,
                  fmt::format("request of {} bytes is shorter than the {}-byte request header", payload.size(),
                              kRequestHeaderSize));
  }
  RequestHeader h;
  h.api_key = LoadBE<int16_t>(payload.data());
  h.api_version = LoadBE<int16_t>(payload.data() + 2);
  h.request_id = LoadBE<int32_t>(payload.data() + 4);
  return h;
}

Result<ResponseHeader> DecodeResponseHeader(std::span<const uint8_t> payload) {
  if (payload.empty()) return Status(ErrorCode::kCorruptMessage, "empty response frame");
  auto type = static_cast<int8_t>(payload[0]);
  ResponseHeader h;
  switch (type) {
    case static_cast<int8_t>(ResponseType::kServerFailure):
      h.type = ResponseType::kServerFailure;
      h.request_id = -1;
      h.size = kServerFailureHeaderSize;
      return h;
    case static_cast<int8_t>(ResponseType::kSuccess):
    case static_cast<int8_t>(ResponseType::kError):
      if (payload.size() < kResponseHeaderSize) {
        return Status(ErrorCode::kCorruptMessage,
                      fmt::format("response of {} bytes is shorter than the {}-byte response header",
                                  payload.size(), kResponseHeaderSize));
      }
      h.type = static_cast<ResponseType>(type);
      h.request_id = LoadBE<int32_t>(payload.data() + 1);
      h.size = kResponseHeaderSize;
      return h;
    default:
      return Status(ErrorCode::kCorruptMessage, fmt::format("unknown response type {}", type));
  }
}

std::string EncodeErrorResponse(const Status& error) {
  ErrorCode code = error.ok() ? ErrorCode::kUnknownServerError : error.code();
  std::string_view message = error.ok() ? std::string_view("error response without an error") : error.message();
  std::vector<uint8_t> out;
  out.reserve(16 + message.size());
  out.push_back(0x08);  // field 1, varint
  // int32 fields are sign-extended to 64 bits: a negative code takes 10 bytes.
  varint::PutVarint64(&out, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(code))));
  if (!message.empty()) {
    out.push_back(0x12);  // field 2, length-delimited
    varint::PutVarint64(&out, message.size());
    out.insert(out.end(), message.begin(), message.end());
  }
  return std::string(out.begin(), out.end());
}

Result<ErrorResponse> DecodeErrorResponse(std::span<const uint8_t> bytes) {
  ErrorResponse out;
  bool has_code = false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n = 0;
    auto key = varint::GetVarint64(bytes.subspan(pos), &n);
    if (!key.ok()) return Malformed(fmt::format("field key at byte {}: {}", pos, key.status().message()));
    pos += n;
    uint64_t field = *key >> 3;
    auto wire = static_cast<uint32_t>(*key & 7);
    if (field == 0 || field > 0x1FFFFFFF) return Malformed(fmt::format("invalid field number {}", field));
    switch (wire) {
      case kWireVarint: {
        auto v = varint::GetVarint64(bytes.subspan(pos), &n);
        if (!v.ok()) return Malformed(fmt::format("field {} at byte {}: {}", field, pos, v.status().message()));
        pos += n;
        if (field == 1) {
          out.error_code = static_cast<int32_t>(static_cast<uint32_t>(*v));  // int32: low 32 bits
          has_code = true;
        }
        break;
      }
      case kWireFixed64:
      case kWireFixed32: {
        size_t size = wire == kWireFixed64 ? 8 : 4;
        if (bytes.size() - pos < size) return Malformed(fmt::format("field {} truncated at byte {}", field, pos));
        if (field == 1 || field == 2) return Malformed(fmt::format("field {} has wire type {}", field, wire));
        pos += size;
        break;
      }
      case kWireLengthDelimited: {
        auto len = varint::GetVarint64(bytes.subspan(pos), &n);
        if (!len.ok()) {
          return Malformed(fmt::format("length of field {} at byte {}: {}", field, pos, len.status().message()));
        }
        pos += n;
        if (*len > bytes.size() - pos) {
          return Malformed(fmt::format("field {} of {} bytes overruns the message at byte {}", field, *len, pos));
        }
        if (field == 1) return Malformed("field 1 has wire type 2");
        if (field == 2) out.error_message.emplace(reinterpret_cast<const char*>(bytes.data() + pos), *len);
        pos += *len;
        break;
      }
      default:
        return Malformed(fmt::format("field {} has unsupported wire type {}", field, wire));
    }
    if (field == 2 && wire == kWireVarint) return Malformed("field 2 has wire type 0");
  }
  if (!has_code) return Malformed("required field error_code is missing");
  return out;
}

Status ErrorResponseToStatus(const ErrorResponse& response) {
  std::string message = response.error_message.value_or("");
  if (response.error_code == 0) {
    return Status(ErrorCode::kUnknownServerError,
                  message.empty() ? "error response with error code 0" : std::move(message));
  }
  return Status(static_cast<ErrorCode>(response.error_code), std::move(message));
}

}  // namespace fluss::rpc
