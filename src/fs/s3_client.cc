#include "fs/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/closest_name.h"
#include "common/config_value.h"
#include "fs/s3_xml.h"

namespace fluss {

namespace {

constexpr std::string_view kEndpoint = "s3.endpoint";
constexpr std::string_view kRegion = "s3.region";
constexpr std::string_view kAccessKey = "s3.access-key";
constexpr std::string_view kSecretKey = "s3.secret-key";
constexpr std::string_view kPathStyle = "s3.path.style.access";
constexpr std::string_view kRetryLimit = "s3.retry.limit";
constexpr std::string_view kRetryInterval = "s3.retry.interval";
constexpr std::string_view kMultipartSize = "s3.multipart.size";
constexpr std::string_view kConnectionTimeout = "s3.connection.timeout";

const std::vector<std::string_view>& KnownKeys() {
  static const std::vector<std::string_view> keys = {kEndpoint,      kRegion,        kAccessKey,
                                                     kSecretKey,     kPathStyle,     kRetryLimit,
                                                     kRetryInterval, kMultipartSize, kConnectionTimeout};
  return keys;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool RetryableStatus(long status, std::string_view code) {
  return status >= 500 || status == 429 || code == "SlowDown" || code == "InternalError" || code == "RequestTimeout" ||
         code == "ServiceUnavailable";
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    (*headers)[Lower(line.substr(0, colon))] = std::string(value);
  }
  return size * count;
}

struct UploadSource {
  std::string_view body;
  size_t offset = 0;
};

size_t ReadBody(char* out, size_t size, size_t count, void* user) {
  auto* src = static_cast<UploadSource*>(user);
  const size_t n = std::min(size * count, src->body.size() - src->offset);
  std::copy_n(src->body.data() + src->offset, n, out);
  src->offset += n;
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string S3ObjectName(std::string_view bucket, std::string_view key) {
  return key.empty() ? fmt::format("s3://{}", bucket) : fmt::format("s3://{}/{}", bucket, key);
}

Result<S3Options> S3Options::FromConfig(const std::map<std::string, std::string>& config) {
  S3Options o;
  for (const auto& [key, value] : config) {
    if (!key.starts_with("s3.")) continue;
    if (std::find(KnownKeys().begin(), KnownKeys().end(), key) == KnownKeys().end()) {
      return Status::InvalidArgument(fmt::format("unknown object storage option '{}'{}; known: {}", key,
                                                 DidYouMean(key, KnownKeys()), fmt::join(KnownKeys(), ", ")));
    }
    if (key == kEndpoint) {
      o.endpoint = TrimSpace(value);
    } else if (key == kRegion) {
      o.region = TrimSpace(value);
    } else if (key == kAccessKey) {
      o.access_key = TrimSpace(value);
    } else if (key == kSecretKey) {
      o.secret_key = TrimSpace(value);
    } else if (key == kPathStyle) {
      FLUSS_ASSIGN_OR_RETURN(o.path_style_access, ParseBoolOption(key, value));
    } else if (key == kRetryLimit) {
      FLUSS_ASSIGN_OR_RETURN(int64_t n, ParseIntOption(key, value));
      if (n < 0 || n > 100) return Status::InvalidArgument(fmt::format("option '{}' must be 0..100, got {}", key, n));
      o.retry_limit = static_cast<int>(n);
    } else if (key == kRetryInterval) {
      FLUSS_ASSIGN_OR_RETURN(int64_t ms, ParseDurationOption(key, value));
      if (ms < 0) return Status::InvalidArgument(fmt::format("option '{}' must not be negative", key));
      o.retry_interval = std::chrono::milliseconds(ms);
    } else if (key == kMultipartSize) {
      FLUSS_ASSIGN_OR_RETURN(int64_t bytes, ParseSizeOption(key, value));
      if (bytes < static_cast<int64_t>(kMinPartSize) || bytes > (int64_t{5} << 30)) {
        return Status::InvalidArgument(
            fmt::format("option '{}' must be between 5 mb and 5 gb (S3's part sizes), got '{}'", key, value));
      }
      o.multipart_size = static_cast<uint64_t>(bytes);
    } else if (key == kConnectionTimeout) {
      FLUSS_ASSIGN_OR_RETURN(int64_t ms, ParseDurationOption(key, value));
      if (ms <= 0) return Status::InvalidArgument(fmt::format("option '{}' must be positive", key));
      o.connection_timeout = std::chrono::milliseconds(ms);
    }
  }
  if (o.region.empty()) return Status::InvalidArgument(fmt::format("option '{}' must not be empty", kRegion));
  if (o.access_key.empty() != o.secret_key.empty()) {
    return Status::InvalidArgument(fmt::format("options '{}' and '{}' must be given together", kAccessKey, kSecretKey));
  }
  return o;
}

struct S3Client::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

S3Client::S3Client(S3Options options) : options_(std::move(options)) {}
S3Client::~S3Client() = default;

Result<std::unique_ptr<S3Client>> S3Client::Make(S3Options options) {
  GlobalInit();
  std::unique_ptr<S3Client> client(new S3Client(std::move(options)));
  std::string_view endpoint = client->options_.endpoint;
  std::string default_endpoint;
  if (endpoint.empty()) {
    default_endpoint = fmt::format("https://s3.{}.amazonaws.com", client->options_.region);
    endpoint = default_endpoint;
  }
  client->scheme_ = "https";
  if (const size_t sep = endpoint.find("://"); sep != std::string_view::npos) {
    client->scheme_ = Lower(endpoint.substr(0, sep));
    endpoint.remove_prefix(sep + 3);
  }
  if (client->scheme_ != "http" && client->scheme_ != "https") {
    return Status::InvalidArgument(fmt::format("option 's3.endpoint' '{}': scheme '{}' is not http or https",
                                               client->options_.endpoint, client->scheme_));
  }
  const size_t slash = endpoint.find('/');
  client->host_port_ = std::string(endpoint.substr(0, slash));
  if (slash != std::string_view::npos) {
    std::string_view base = endpoint.substr(slash);
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    client->base_path_ = std::string(base);
  }
  if (client->host_port_.empty()) {
    return Status::InvalidArgument(fmt::format("option 's3.endpoint' '{}' has no host", client->options_.endpoint));
  }
  return client;
}

std::unique_ptr<S3Client::Handle> S3Client::AcquireHandle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  return handle;
}

void S3Client::ReleaseHandle(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 16) idle_.push_back(std::move(handle));
}

namespace {

// The path of an object as sent and signed: "/bucket/key" (path style) or "/key".
std::string RequestPath(const std::string& base, bool path_style, const S3Request& r) {
  std::string path = base;
  if (path_style) path += "/" + r.bucket;
  path += "/" + r.key;
  return path;
}

}  // namespace

std::string S3Client::UrlOf(const S3Request& request) const {
  const std::string host = options_.path_style_access ? host_port_ : request.bucket + "." + host_port_;
  std::string url = fmt::format("{}://{}{}", scheme_, host,
                                UriEncode(RequestPath(base_path_, options_.path_style_access, request), false));
  if (!request.query.empty()) url += "?" + CanonicalQueryString(request.query);
  return url;
}

S3Client::Attempt S3Client::SendOnce(const S3Request& request) {
  Attempt attempt;
  auto handle = AcquireHandle();
  CURL* curl = handle->curl;
  if (curl == nullptr) {
    attempt.network_error = true;
    attempt.network_message = "libcurl could not create a handle";
    return attempt;
  }
  curl_easy_reset(curl);

  const std::string host = options_.path_style_access ? host_port_ : request.bucket + "." + host_port_;
  const std::string payload_hash = Sha256Hex(request.body);
  SigV4Request sign;
  sign.method = request.method;
  sign.path = RequestPath(base_path_, options_.path_style_access, request);
  sign.query = request.query;
  sign.headers = {{"host", host},
                  {"x-amz-content-sha256", payload_hash},
                  {"x-amz-date", AmzDate(std::chrono::system_clock::now())}};
  for (const auto& h : request.headers) sign.headers.push_back(h);
  sign.payload_hash = payload_hash;

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : sign.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  if (!options_.access_key.empty()) {
    const SigV4Signature signature = SignV4(sign, SigV4Credentials{options_.access_key, options_.secret_key},
                                            options_.region, "s3", sign.headers[2].second);
    headers = curl_slist_append(headers, ("Authorization: " + signature.authorization).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  if (request.method == "POST") headers = curl_slist_append(headers, "Content-Type: application/xml");

  const std::string url = UrlOf(request);
  UploadSource upload{request.body, 0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connection_timeout.count()));
  // A transfer that stalls (under 1 byte/s for a minute) fails and is retried.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt.response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &attempt.response.headers);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    attempt.network_error = true;
    attempt.network_message = fmt::format("{} ({})", curl_easy_strerror(rc), url);
    // A failed connection is not reused.
    return attempt;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.response.status);
  ReleaseHandle(std::move(handle));
  return attempt;
}

Result<S3Response> S3Client::Send(const S3Request& request, std::string_view what) {
  const std::string object = S3ObjectName(request.bucket, request.key);
  std::chrono::milliseconds wait = options_.retry_interval;
  for (int attempt_no = 1;; ++attempt_no) {
    Attempt attempt = SendOnce(request);
    std::string failure;
    bool retryable = false;
    if (attempt.network_error) {
      failure = attempt.network_message;
      retryable = true;
    } else if (attempt.response.status >= 200 && attempt.response.status < 300) {
      return std::move(attempt.response);
    } else {
      const std::string code = XmlText(attempt.response.body, "Code").value_or("");
      const std::string message = XmlText(attempt.response.body, "Message").value_or("");
      const long status = attempt.response.status;
      retryable = RetryableStatus(status, code);
      if (!code.empty()) {
        failure = fmt::format("{}: {} (HTTP {})", code, message, status);
      } else {
        failure = fmt::format("HTTP {}", status);
      }
      if (status == 404 && !retryable) {
        return Status::NotFound(fmt::format("S3 {} '{}': {}", what, object, failure));
      }
      if (!retryable) return Status::IOError(fmt::format("S3 {} '{}': {}", what, object, failure));
    }
    if (attempt_no > options_.retry_limit) {
      return Status::IOError(fmt::format("S3 {} '{}': {} (gave up after {} attempt{})", what, object, failure,
                                         attempt_no, attempt_no == 1 ? "" : "s"));
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, S3Options::kMaxRetryWait);
  }
}

}  // namespace fluss
