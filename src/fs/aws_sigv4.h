// AWS Signature Version 4 (SigV4) for requests in the Authorization header, as S3 and every AWS
// service check it: the canonical request, the string to sign, the signing key (an HMAC-SHA256 chain
// over date, region, service and "aws4_request") and the Authorization header value. SHA-256 and
// HMAC come from OpenSSL's libcrypto; the rest is written here so it can be checked byte for byte
// against AWS's published examples (tests/unit/fs/aws_sigv4_test.cc) and the AWS SDK's own signer
// (tests/interop/s3_sigv4_check.mjs).
//
// Canonicalization follows S3's rules, which the AWS test suite's cases also satisfy: the path is
// URI-encoded once (unreserved characters A-Z a-z 0-9 - . _ ~ stay, '/' stays, every other byte is
// %XX with upper-case hex) and never normalized ("//a/./b" is signed as it is); query names and
// values are encoded the same way with '/' encoded too, then sorted by name, then value; header
// names are lower-cased, values trimmed with inner runs of spaces collapsed, repeated headers joined
// with ',' in the order given, and the headers sorted by name.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fluss {

// The payload hash of a request whose body is not signed (S3 accepts it; the body's integrity then
// rests on TLS or on the transport).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string, the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

// What is signed. Every header given here is signed (so give exactly the headers the request sends
// that must be covered: at least host and x-amz-date, and for S3 x-amz-content-sha256).
struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  // The path as the server sees it before decoding, unencoded here: "/bucket/key with space".
  std::string path;
  // Query parameters, unencoded (name, value); a parameter without a value has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  // Lower-case hex SHA-256 of the body, kEmptyPayloadSha256, or kUnsignedPayload.
  std::string payload_hash;
};

// Every stage, so a mismatch can be traced to the step that differs.
struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  // "AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request,
  //  SignedHeaders=<...>, Signature=<...>" (one line, ", " between the parts).
  std::string authorization;
};

// Signs `request` at `amz_date` ("YYYYMMDDTHHMMSSZ", the value of its x-amz-date header).
SigV4Signature SignV4(const SigV4Request& request, const SigV4Credentials& credentials, std::string_view region,
                      std::string_view service, std::string_view amz_date);

// URI encoding of SigV4: unreserved bytes as they are, the rest %XX (upper-case); '/' kept unless
// `encode_slash`.
std::string UriEncode(std::string_view text, bool encode_slash);
// "name=value&..." sorted by encoded name, then encoded value: the canonical query string, also the
// query a request must send so that what is signed is what arrives.
std::string CanonicalQueryString(std::span<const std::pair<std::string, std::string>> query);
// "YYYYMMDDTHHMMSSZ" (UTC) of `time`.
std::string AmzDate(std::chrono::system_clock::time_point time);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::span<const uint8_t> data);
std::string Sha256Hex(std::string_view data);
// Base64 of the MD5 of `data` (Content-MD5, which S3's DeleteObjects requires).
std::string Md5Base64(std::string_view data);

}  // namespace fluss
