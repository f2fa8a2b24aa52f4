// S3Client: the S3 REST API over libcurl, each request signed with our SigV4 (aws_sigv4.h), with
// bounded retries and exponential back-off; and S3Options, the `s3.*` options it is configured by.
// S3FileSystem (s3_file_system.h) is built on it.
//
// Thread-safety: an S3Client may be used from any number of threads at once (it keeps a small pool
// of libcurl handles, so connections are reused).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "fs/aws_sigv4.h"

namespace fluss {

// The `s3.*` options (docs/configuration.md, "Object storage"). Names follow upstream Fluss's S3
// file system, which hands `s3.<x>` to Hadoop's `fs.s3a.<x>`.
struct S3Options {
  // "http://127.0.0.1:9000" or "https://minio.example.com"; without a scheme, https. Empty: AWS,
  // https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  // Both or neither; neither sends requests unsigned (anonymous access to a public bucket).
  std::string access_key;
  std::string secret_key;
  // true: http://endpoint/bucket/key; false: http://bucket.endpoint/key (virtual-hosted style).
  bool path_style_access = false;
  // Attempts after the first one for a request that failed with a network error, HTTP 5xx or 429
  // (or S3's SlowDown / InternalError / RequestTimeout codes).
  int retry_limit = 7;
  // The wait before the first retry; each further retry waits twice as long, at most kMaxRetryWait.
  std::chrono::milliseconds retry_interval{500};
  // Objects are uploaded in parts of this size (at least 5 MiB, S3's minimum part) once they grow
  // beyond one part; smaller ones go up in a single PUT.
  uint64_t multipart_size = 16ull << 20;
  // How long to wait for a TCP (and TLS) connection.
  std::chrono::milliseconds connection_timeout{10000};

  // Keys per ListObjectsV2 page; 0: the server's default (1000 on S3). Not an option: tests set a
  // small one to walk continuation tokens.
  int list_max_keys = 0;

  static constexpr std::chrono::milliseconds kMaxRetryWait{20000};
  static constexpr uint64_t kMinPartSize = 5ull << 20;

  // Reads the `s3.*` keys of `config` (other keys are ignored). Error: an unknown `s3.` key (named,
  // with the known ones), a value that does not parse, a part size below 5 MiB, or only one of
  // access key and secret key.
  static Result<S3Options> FromConfig(const std::map<std::string, std::string>& config);
};

// One request. `key` may be empty (a bucket-level request such as ListObjectsV2).
struct S3Request {
  std::string method;
  std::string bucket;
  std::string key;
  std::vector<std::pair<std::string, std::string>> query;
  // Extra headers, all signed (e.g. Range, x-amz-copy-source, Content-MD5).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

struct S3Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased

  const std::string* Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

class S3Client {
 public:
  // Error: an endpoint that does not parse.
  static Result<std::unique_ptr<S3Client>> Make(S3Options options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Options& options() const { return options_; }

  // Sends `request` and returns the response when its status is 2xx. Retries network errors, 5xx and
  // 429 up to options().retry_limit times with back-off. Errors name `what`, the object
  // ("s3://bucket/key"), the S3 error code and message from the XML body and the HTTP status, and
  // for a network failure the number of attempts: NotFound for HTTP 404, IOError otherwise. A HEAD
  // or a ranged GET past the end answers with its status (404 / 416) in the error's message.
  Result<S3Response> Send(const S3Request& request, std::string_view what);

  // The URL `request` is sent to (for messages and tests).
  std::string UrlOf(const S3Request& request) const;

 private:
  struct Handle;
  explicit S3Client(S3Options options);
  struct Attempt {
    bool network_error = false;
    std::string network_message;
    S3Response response;
  };
  Attempt SendOnce(const S3Request& request);
  std::unique_ptr<Handle> AcquireHandle();
  void ReleaseHandle(std::unique_ptr<Handle> handle);

  S3Options options_;
  std::string scheme_;     // "http" / "https"
  std::string host_port_;  // "127.0.0.1:9000"
  std::string base_path_;  // "" or "/prefix" of the endpoint
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

// "s3://bucket/key" of a request's object (for messages).
std::string S3ObjectName(std::string_view bucket, std::string_view key);

}  // namespace fluss
