// Bad bytes on the wire against a real fluss-server: garbage, an oversized length, a truncated
// frame, an unknown api key, an unsupported version and a body that is not the message it claims.
// Each gets an error answer or costs only its own connection; the server keeps serving others.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "fluss/client.h"
#include "fluss_api.pb.h"
#include "support/server_process.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::ServerProcess;

// A raw TCP connection that speaks frames by hand.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), (ssize_t)bytes.size()); }

  static std::string Be32(int32_t v) {
    uint32_t n = htonl(static_cast<uint32_t>(v));
    return std::string(reinterpret_cast<char*>(&n), 4);
  }
  static std::string Be16(int16_t v) {
    uint16_t n = htons(static_cast<uint16_t>(v));
    return std::string(reinterpret_cast<char*>(&n), 2);
  }
  static std::string Request(int16_t api_key, int16_t version, int32_t id, const std::string& body) {
    return Be32(static_cast<int32_t>(8 + body.size())) + Be16(api_key) + Be16(version) + Be32(id) + body;
  }

  struct Response {
    int8_t type = -1;
    int32_t request_id = -1;
    std::string body;
  };
  // One response frame, or nullopt when the server closed the connection (or timed out).
  std::optional<Response> Read() {
    std::string len;
    if (!ReadExactly(4, &len)) return std::nullopt;
    uint32_t n;
    std::memcpy(&n, len.data(), 4);
    n = ntohl(n);
    std::string payload;
    if (!ReadExactly(n, &payload)) return std::nullopt;
    Response r;
    r.type = static_cast<int8_t>(payload[0]);
    if (r.type == 2) {
      r.body = payload.substr(1);
      return r;
    }
    uint32_t id = 0;
    std::memcpy(&id, payload.data() + 1, 4);
    r.request_id = static_cast<int32_t>(ntohl(id));
    r.body = payload.substr(5);
    return r;
  }
  // True when the peer closed: a read returns 0.
  bool ClosedByPeer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool ReadExactly(size_t n, std::string* out) {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out->data() + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
};

class BadWireInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start({.sets = {"netty.server.max-request-size=1mb"}});
    ASSERT_OK(server);
    server_ = std::move(server).value();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << server_->ReadLog();
  }

  // A well-behaved client still works.
  void ExpectServerServes() {
    Configuration c;
    c.bootstrap_servers = server_->address();
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    auto dbs = (*conn)->GetAdmin().ListDatabases();
    EXPECT_OK(dbs);
  }

  static proto::ErrorResponse ParseError(const std::string& body) {
    proto::ErrorResponse e;
    EXPECT_TRUE(e.ParseFromString(body));
    return e;
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BadWireInputTest, UnknownApiKeyIsAnsweredWithAnErrorAndTheConnectionStays) {
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send(RawConnection::Request(999, 0, 7, ""));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type, 1);
  EXPECT_EQ(r->request_id, 7);
  auto e = ParseError(r->body);
  EXPECT_EQ(e.error_code(), static_cast<int>(ErrorCode::kUnsupportedVersion));
  EXPECT_NE(e.error_message().find("999"), std::string::npos);
  // Same connection, a valid request.
  proto::ListDatabasesRequest list;
  c.Send(RawConnection::Request(1003, 0, 8, list.SerializeAsString()));
  auto ok = c.Read();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->type, 0);
  EXPECT_EQ(ok->request_id, 8);
}

TEST_F(BadWireInputTest, UnsupportedVersionAndMalformedBodyAreErrors) {
  RawConnection c(server_->port());
  c.Send(RawConnection::Request(1003, 9, 1, ""));
  auto v = c.Read();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->type, 1);
  EXPECT_EQ(ParseError(v->body).error_code(), static_cast<int>(ErrorCode::kUnsupportedVersion));
  // CreateTable with garbage instead of a protobuf message.
  c.Send(RawConnection::Request(1005, 0, 2, std::string("\xff\xff\xff\xff garbage", 13)));
  auto g = c.Read();
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->type, 1);
  EXPECT_EQ(g->request_id, 2);
  EXPECT_EQ(ParseError(g->body).error_code(), static_cast<int>(ErrorCode::kCorruptMessage));
  // A valid protobuf missing required fields.
  c.Send(RawConnection::Request(1005, 0, 3, ""));
  auto m = c.Read();
  ASSERT_TRUE(m.has_value());
  auto e = ParseError(m->body);
  EXPECT_EQ(e.error_code(), static_cast<int>(ErrorCode::kCorruptMessage));
  EXPECT_NE(e.error_message().find("table_path"), std::string::npos) << e.error_message();
  // Produce with records that are not a log batch: a per-bucket error, nothing appended.
  proto::ProduceLogRequest produce;
  produce.set_acks(-1);
  produce.set_table_id(12345);
  produce.set_timeout_ms(1000);
  auto* b = produce.add_buckets_req();
  b->set_bucket_id(0);
  b->set_records("not a batch");
  c.Send(RawConnection::Request(1014, 0, 4, produce.SerializeAsString()));
  auto p = c.Read();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, 0);
  proto::ProduceLogResponse pr;
  ASSERT_TRUE(pr.ParseFromString(p->body));
  ASSERT_EQ(pr.buckets_resp_size(), 1);
  EXPECT_EQ(pr.buckets_resp(0).error_code(), static_cast<int>(ErrorCode::kUnknownTableOrBucket));
  ExpectServerServes();
}

TEST_F(BadWireInputTest, GarbageClosesOnlyThatConnection) {
  RawConnection bystander(server_->port());
  RawConnection bad(server_->port());
  bad.Send("\x7f\xff\xff\xff this is not a fluss frame");
  auto r = bad.Read();
  if (r.has_value()) {
    EXPECT_EQ(r->type, 2);  // SERVER_FAILURE, then the connection closes
    EXPECT_EQ(ParseError(r->body).error_code(), static_cast<int>(ErrorCode::kCorruptMessage));
  }
  EXPECT_TRUE(bad.ClosedByPeer());
  proto::ListDatabasesRequest list;
  bystander.Send(RawConnection::Request(1003, 0, 1, list.SerializeAsString()));
  auto ok = bystander.Read();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->type, 0);
  ExpectServerServes();
}

TEST_F(BadWireInputTest, OversizedRequestIsRefusedWithTheLimitNamed) {
  RawConnection bad(server_->port());
  bad.Send(RawConnection::Be32(2 << 20) + std::string(64, 'x'));  // 2 MiB > the 1 MiB limit
  auto r = bad.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type, 2);
  auto e = ParseError(r->body);
  EXPECT_EQ(e.error_code(), static_cast<int>(ErrorCode::kCorruptMessage));
  EXPECT_NE(e.error_message().find("max-request-size"), std::string::npos) << e.error_message();
  EXPECT_TRUE(bad.ClosedByPeer());
  ExpectServerServes();
}

TEST_F(BadWireInputTest, TruncatedFrameThenDisconnectLeavesTheServerServing) {
  {
    RawConnection bad(server_->port());
    std::string frame = RawConnection::Request(1003, 0, 1, std::string(100, 'a'));
    bad.Send(frame.substr(0, 20));  // half a frame, then the client goes away
  }
  ExpectServerServes();
}

}  // namespace
}  // namespace fluss
