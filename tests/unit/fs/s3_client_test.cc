// S3Client and S3FileSystem against a scripted HTTP server on 127.0.0.1 (a thread of this test):
// what is retried (5xx, 429, S3's SlowDown) and what is not (4xx), the bounded number of attempts,
// the S3 error code and message in the error; and that every request, as it arrives, carries a
// SigV4 signature that verifies over exactly what was received (s3rver does not check signatures).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fs/aws_sigv4.h"
#include "fs/s3_client.h"
#include "fs/s3_file_system.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

struct Received {
  std::string method;
  std::string target;                          // path?query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct Scripted {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Answers each request with the next scripted response (200 with no body when none is left), one
// request per connection ("Connection: close").
class FakeS3Server {
 public:
  FakeS3Server() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeS3Server() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Script(Scripted response) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(response));
  }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      Handle(fd);
      ::close(fd);
    }
  }

  void Handle(int fd) {
    std::string data;
    char buf[65536];
    size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
      header_end = data.find("\r\n\r\n");
    }
    Received r;
    const std::string head = data.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t sp1 = request_line.find(' ');
    const size_t sp2 = request_line.rfind(' ');
    r.method = request_line.substr(0, sp1);
    r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      const std::string line = head.substr(pos, end - pos);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
      pos = end + 2;
    }
    const size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    r.body = data.substr(header_end + 4);
    while (r.body.size() < length) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      r.body.append(buf, static_cast<size_t>(n));
    }
    Scripted answer;
    {
      std::lock_guard lock(mu_);
      received_.push_back(r);
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      }
    }
    std::string out = "HTTP/1.1 " + std::to_string(answer.status) + " X\r\nConnection: close\r\n";
    for (const auto& [n, v] : answer.headers) out += n + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(r.method == "HEAD" ? 0 : answer.body.size()) + "\r\n\r\n";
    if (r.method != "HEAD") out += answer.body;
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<Scripted> script_;
  std::vector<Received> received_;
  std::thread thread_;
};

std::string S3ErrorXml(std::string_view code, std::string_view message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + std::string(code) + "</Code><Message>" +
         std::string(message) + "</Message></Error>";
}

S3Options OptionsFor(const FakeS3Server& server, int retry_limit = 3) {
  S3Options o;
  o.endpoint = server.endpoint();
  o.access_key = "AKIDFAKE";
  o.secret_key = "fake/secret";
  o.region = "eu-west-1";
  o.path_style_access = true;
  o.retry_limit = retry_limit;
  o.retry_interval = std::chrono::milliseconds(1);
  o.multipart_size = S3Options::kMinPartSize;
  return o;
}

std::unique_ptr<S3FileSystem> FsFor(const FakeS3Server& server, int retry_limit = 3) {
  auto fs = S3FileSystem::Make(OptionsFor(server, retry_limit));
  EXPECT_TRUE(fs.ok());
  return std::move(fs).value();
}

int Hex(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Recomputes the signature of `r` as a server would: from the method, the decoded path and query,
// the headers the Authorization names and the x-amz-content-sha256 the request carries, which must
// be the body's SHA-256. Returns the Authorization header a correct client sends.
std::string ExpectedAuthorization(const Received& r) {
  SigV4Request s;
  s.method = r.method;
  const size_t q = r.target.find('?');
  s.path = PercentDecode(r.target.substr(0, q));
  if (q != std::string::npos) {
    std::string_view query = std::string_view(r.target).substr(q + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      s.query.emplace_back(PercentDecode(pair.substr(0, eq)),
                           eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  const std::string& auth = r.headers.at("authorization");
  const size_t sh = auth.find("SignedHeaders=") + 14;
  std::string_view names = std::string_view(auth).substr(sh, auth.find(',', sh) - sh);
  while (!names.empty()) {
    const size_t semi = names.find(';');
    const std::string name(names.substr(0, semi));
    s.headers.emplace_back(name, r.headers.at(name));
    names = semi == std::string_view::npos ? std::string_view() : names.substr(semi + 1);
  }
  s.payload_hash = r.headers.at("x-amz-content-sha256");
  EXPECT_EQ(s.payload_hash, Sha256Hex(r.body)) << r.method << " " << r.target;
  return SignV4(s, {"AKIDFAKE", "fake/secret"}, "eu-west-1", "s3", r.headers.at("x-amz-date")).authorization;
}

TEST(S3ClientTest, RetriesServerErrorsAndThrottlingThenSucceeds) {
  FakeS3Server server;
  server.Script({503, S3ErrorXml("SlowDown", "Please reduce your request rate."), {}});
  server.Script({500, S3ErrorXml("InternalError", "We encountered an internal error."), {}});
  server.Script({429, "", {}});
  server.Script({200, "payload", {}});
  auto fs = FsFor(server);
  auto read = fs->ReadFile("s3://bucket/dir/object");
  ASSERT_OK(read);
  EXPECT_EQ(std::string(read->begin(), read->end()), "payload");
  EXPECT_EQ(server.received().size(), 4u);
}

TEST(S3ClientTest, GivesUpAfterTheRetryLimitWithS3sCodeAndMessage) {
  FakeS3Server server;
  for (int i = 0; i < 5; ++i) server.Script({503, S3ErrorXml("SlowDown", "Please reduce your request rate."), {}});
  auto fs = FsFor(server, /*retry_limit=*/2);
  auto read = fs->ReadFile("s3://bucket/dir/object");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().kind(), StatusCode::kIOError);
  EXPECT_EQ(read.status().message(),
            "S3 GET 's3://bucket/dir/object': SlowDown: Please reduce your request rate. (HTTP 503) (gave up after 3 "
            "attempts)");
  EXPECT_EQ(server.received().size(), 3u);  // the first attempt and two retries
}

TEST(S3ClientTest, ClientErrorsAreNotRetried) {
  FakeS3Server server;
  server.Script({403, S3ErrorXml("AccessDenied", "Access Denied"), {}});
  auto fs = FsFor(server);
  auto read = fs->ReadFile("s3://bucket/k");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "S3 GET 's3://bucket/k': AccessDenied: Access Denied (HTTP 403)");
  EXPECT_EQ(server.received().size(), 1u);
  server.Script({404, S3ErrorXml("NoSuchKey", "The specified key does not exist."), {}});
  EXPECT_EQ(fs->ReadFile("s3://bucket/k").status().kind(), StatusCode::kNotFound);
  EXPECT_EQ(server.received().size(), 2u);
}

TEST(S3ClientTest, EveryRequestVerifiesAsReceived) {
  FakeS3Server server;
  auto fs = FsFor(server);
  // A single PUT of an odd key, a ranged GET, a listing with a prefix, a copy + delete, a listing
  // + DeleteObjects.
  {
    auto file = fs->NewWritableFile("s3://bucket/dir/a b/\xC3\xBC+x=y&z(1)!*'.log");
    ASSERT_OK(file);
    ASSERT_OK((*file)->Append(std::span(reinterpret_cast<const uint8_t*>("body"), 4)));
    ASSERT_OK((*file)->Close());
  }
  server.Script({206, "ang", {}});
  ASSERT_OK(fs->ReadRange("s3://bucket/dir/x", 1, 3));
  server.Script({200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>", {}});
  ASSERT_OK(fs->ListDirectory("s3://bucket/log/db/t-1"));
  server.Script({200, "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>", {}});
  ASSERT_OK(fs->Rename("s3://bucket/from dir/x", "s3://bucket/to"));
  server.Script({200,
                 "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>t/a&amp;b</Key></Contents>"
                 "</ListBucketResult>",
                 {}});
  ASSERT_OK(fs->RemoveAll("s3://bucket/t"));
  const auto received = server.received();
  ASSERT_EQ(received.size(), 7u);
  for (const Received& r : received) {
    SCOPED_TRACE(r.method + " " + r.target);
    ASSERT_TRUE(r.headers.count("authorization"));
    EXPECT_EQ(r.headers.at("authorization"), ExpectedAuthorization(r));
    EXPECT_EQ(r.headers.at("host"), server.endpoint().substr(7));
  }
  EXPECT_EQ(received[0].method, "PUT");
  EXPECT_EQ(received[0].target, "/bucket/dir/a%20b/%C3%BC%2Bx%3Dy%26z%281%29%21%2A%27.log");
  EXPECT_EQ(received[0].body, "body");
  EXPECT_EQ(received[1].headers.at("range"), "bytes=1-3");
  EXPECT_EQ(received[2].target, "/bucket/?delimiter=%2F&list-type=2&prefix=log%2Fdb%2Ft-1%2F");
  EXPECT_EQ(received[3].headers.at("x-amz-copy-source"), "/bucket/from%20dir/x");
  EXPECT_EQ(received[4].method, "DELETE");
  EXPECT_EQ(received[4].target, "/bucket/from%20dir/x");
  EXPECT_EQ(received[6].target, "/bucket/?delete=");
  EXPECT_EQ(received[6].headers.at("content-md5"), Md5Base64(received[6].body));
  EXPECT_NE(received[6].body.find("<Key>t/a&amp;b</Key>"), std::string::npos);
  EXPECT_NE(received[6].body.find("<Key>t</Key>"), std::string::npos);
}

TEST(S3ClientTest, AFailedCompletionIsAbortedAndLeavesAnError) {
  FakeS3Server server;
  server.Script({200, "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>", {}});
  server.Script({200, "", {{"ETag", "\"p1\""}}});  // part 1
  server.Script({200, "", {{"ETag", "\"p2\""}}});  // part 2 (the last, at Close)
  // S3 may answer a completion 200 and report the failure in the body.
  server.Script({200, S3ErrorXml("InternalError", "completion failed"), {}});
  auto fs = FsFor(server);
  auto file = fs->NewWritableFile("s3://bucket/seg.log");
  ASSERT_OK(file);
  const std::vector<uint8_t> data(S3Options::kMinPartSize + 10, 7);
  ASSERT_OK((*file)->Append(data));
  Status closed = (*file)->Close();
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.message().find("CompleteMultipartUpload 's3://bucket/seg.log': InternalError: completion failed"),
            std::string::npos)
      << closed.ToString();
  const auto received = server.received();
  ASSERT_EQ(received.size(), 5u);
  EXPECT_EQ(received[0].target, "/bucket/seg.log?uploads=");
  EXPECT_EQ(received[1].target, "/bucket/seg.log?partNumber=1&uploadId=up-1");
  EXPECT_EQ(received[1].body.size(), S3Options::kMinPartSize);
  EXPECT_EQ(received[2].target, "/bucket/seg.log?partNumber=2&uploadId=up-1");
  EXPECT_EQ(received[2].body.size(), 10u);
  EXPECT_EQ(received[3].method, "POST");
  EXPECT_NE(received[3].body.find("<Part><PartNumber>2</PartNumber><ETag>&quot;p2&quot;</ETag></Part>"),
            std::string::npos);
  EXPECT_EQ(received[4].method, "DELETE");  // AbortMultipartUpload
  EXPECT_EQ(received[4].target, "/bucket/seg.log?uploadId=up-1");
}

TEST(S3ClientTest, AFileDestroyedWithoutCloseAbortsItsUpload) {
  FakeS3Server server;
  server.Script({200, "<InitiateMultipartUploadResult><UploadId>up-2</UploadId></InitiateMultipartUploadResult>", {}});
  server.Script({200, "", {{"ETag", "\"p1\""}}});
  auto fs = FsFor(server);
  {
    auto file = fs->NewWritableFile("s3://bucket/seg.log");
    ASSERT_OK(file);
    ASSERT_OK((*file)->Append(std::vector<uint8_t>(S3Options::kMinPartSize + 1, 1)));
  }
  const auto received = server.received();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[2].method, "DELETE");
  EXPECT_EQ(received[2].target, "/bucket/seg.log?uploadId=up-2");
}

TEST(S3ClientTest, ABucketIsNeverTakenForAnObject) {
  FakeS3Server server;
  auto fs = FsFor(server);
  EXPECT_EQ(fs->Remove("s3://bucket").kind(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fs->ReadFile("s3://bucket/").status().kind(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fs->NewWritableFile("s3://bucket").status().kind(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(server.received().empty());
}

}  // namespace
}  // namespace fluss
