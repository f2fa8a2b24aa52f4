// RpcServer and RpcClient over loopback TCP: round trips, out-of-order answers, errors, corrupt
// streams, timeouts, closing and stopping.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rpc/frame.h"
#include "rpc/rpc_client.h"
#include "rpc/rpc_server.h"
#include "rpc_test_util.h"
#include "support/status_macros.h"

namespace fluss::rpc {
namespace {

using namespace std::chrono_literals;
using testing::RawListener;
using testing::RawSocket;
using testing::WaitFor;

constexpr auto kTimeout = std::chrono::milliseconds(30000);

// Requests whose answers the test gives later, possibly from another thread.
class HeldRequests {
 public:
  void Add(RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    std::lock_guard lock(mu_);
    items_.emplace_back(std::move(request), std::move(responder));
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  std::vector<std::pair<RpcRequest, std::shared_ptr<RpcResponder>>> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(items_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<RpcRequest, std::shared_ptr<RpcResponder>>> items_;
};

RpcHandler EchoHandler() {
  return [](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    responder->SendSuccess(std::move(request.body));
  };
}

RpcHandler HoldingHandler(HeldRequests* held) {
  return [held](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    held->Add(std::move(request), std::move(responder));
  };
}

std::unique_ptr<RpcServer> StartServer(RpcHandler handler, RpcServerOptions options = {}) {
  auto server = RpcServer::Start(std::move(options), std::move(handler));
  EXPECT_OK(server);
  return server.ok() ? std::move(server).value() : nullptr;
}

std::shared_ptr<RpcClient> ConnectTo(const RpcServer& server, RpcClientOptions options = {}) {
  auto client = RpcClient::Connect("127.0.0.1", server.port(), options);
  EXPECT_OK(client);
  return client.ok() ? *client : nullptr;
}

// Collects callback results.
class Results {
 public:
  RpcClient::Callback Callback() {
    return [this](Result<std::string> r) {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  bool WaitForCount(size_t n, std::chrono::milliseconds limit = kTimeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return results_.size() >= n; });
  }
  std::vector<Result<std::string>> Get() {
    std::lock_guard lock(mu_);
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Result<std::string>> results_;
};

TEST(RpcTransportTest, EchoRoundTrip) {
  auto server = StartServer(EchoHandler());
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->host(), "127.0.0.1");
  auto client = ConnectTo(*server);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->is_open());
  EXPECT_EQ(client->address(), fmt::format("127.0.0.1:{}", server->port()));

  auto body = client->CallSync(1000, 0, "hello", kTimeout);
  ASSERT_OK(body);
  EXPECT_EQ(*body, "hello");
  auto empty = client->CallSync(1000, 0, "", kTimeout);
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, "");
  EXPECT_TRUE(WaitFor([&] { return server->connection_count() == 1; }));
  EXPECT_EQ(client->pending_calls(), 0u);
}

TEST(RpcTransportTest, HandlerSeesHeaderFieldsAndPeer) {
  HeldRequests held;
  auto server = StartServer(HoldingHandler(&held));
  auto client = ConnectTo(*server);
  Results results;
  client->Call(1012, 3, "payload", kTimeout, results.Callback());
  ASSERT_TRUE(WaitFor([&] { return held.size() == 1; }));
  auto items = held.Take();
  const RpcRequest& request = items[0].first;
  EXPECT_EQ(request.api_key, 1012);
  EXPECT_EQ(request.api_version, 3);
  EXPECT_GE(request.request_id, 0);
  EXPECT_EQ(request.body, "payload");
  EXPECT_EQ(request.peer.rfind("127.0.0.1:", 0), 0u) << request.peer;
  items[0].second->SendSuccess("done");
  ASSERT_TRUE(results.WaitForCount(1));
  EXPECT_EQ(*results.Get()[0], "done");
}

TEST(RpcTransportTest, ThousandConcurrentCallsAnsweredOutOfOrderAreMatched) {
  HeldRequests held;
  auto server = StartServer(HoldingHandler(&held));
  auto client = ConnectTo(*server);
  constexpr int kCalls = 1000;
  std::atomic<int> matched{0};
  std::atomic<int> mismatched{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = t; i < kCalls; i += 4) {
        std::string body = std::to_string(i);
        client->Call(1000, 0, body, kTimeout, [&, body](Result<std::string> r) {
          (r.ok() && *r == "re:" + body ? matched : mismatched).fetch_add(1);
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  ASSERT_TRUE(WaitFor([&] { return held.size() == kCalls; }));
  // Answer from another thread, in a shuffled order.
  std::thread answerer([&] {
    auto items = held.Take();
    std::shuffle(items.begin(), items.end(), std::mt19937(42));
    for (auto& [request, responder] : items) responder->SendSuccess("re:" + request.body);
  });
  answerer.join();
  ASSERT_TRUE(WaitFor([&] { return matched + mismatched == kCalls; }));
  EXPECT_EQ(matched.load(), kCalls);
  EXPECT_EQ(mismatched.load(), 0);
}

TEST(RpcTransportTest, ErrorResponseCarriesCodeAndMessage) {
  auto server = StartServer([](RpcRequest, std::shared_ptr<RpcResponder> responder) {
    responder->SendError(Status(ErrorCode::kTableNotExist, "table 'db.orders' does not exist"));
  });
  auto client = ConnectTo(*server);
  auto r = client->CallSync(1007, 0, "x", kTimeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kTableNotExist);
  EXPECT_EQ(r.status().message(), "table 'db.orders' does not exist");
  EXPECT_TRUE(client->is_open());
}

TEST(RpcTransportTest, SuccessPartsArriveConcatenated) {
  std::string big(100000, 'b');
  auto server = StartServer([&](RpcRequest, std::shared_ptr<RpcResponder> responder) {
    responder->SendSuccessParts({Buffer::Copy(std::string_view("head:")), Buffer::Copy(std::string_view(big)),
                                 Buffer::Copy(std::string_view(":tail"))});
  });
  auto client = ConnectTo(*server);
  auto r = client->CallSync(1015, 0, "", kTimeout);
  ASSERT_OK(r);
  EXPECT_EQ(*r, "head:" + big + ":tail");
}

TEST(RpcTransportTest, OnlyTheFirstAnswerCounts) {
  auto server = StartServer([](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    responder->SendSuccess("first:" + request.body);
    responder->SendError(Status(ErrorCode::kNetworkException, "second"));
    responder->SendSuccess("third");
  });
  auto client = ConnectTo(*server);
  for (const char* body : {"a", "b"}) {
    auto r = client->CallSync(1000, 0, body, kTimeout);
    ASSERT_OK(r);
    EXPECT_EQ(*r, std::string("first:") + body);
  }
}

TEST(RpcTransportTest, UnansweredRequestIsAnsweredWithUnknownServerError) {
  auto server = StartServer([](RpcRequest request, std::shared_ptr<RpcResponder>) {
    if (request.api_key == 2) throw std::runtime_error("handler bug");
    // api key 1: the responder is dropped unanswered
  });
  auto client = ConnectTo(*server);
  for (int16_t key : {1, 2}) {
    auto r = client->CallSync(key, 0, "", kTimeout);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kUnknownServerError);
    EXPECT_NE(r.status().message().find("dropped without a response"), std::string::npos) << r.status().message();
  }
}

struct CorruptCase {
  const char* name;
  std::string bytes;
  const char* expected_message;  // nullptr: only the code is checked
};

std::string LengthPrefix(int32_t length) {
  std::string s(4, '\0');
  StoreBE<int32_t>(reinterpret_cast<uint8_t*>(s.data()), length);
  return s;
}

TEST(RpcTransportTest, CorruptStreamGetsServerFailureAndCloseWhileOthersWork) {
  RpcServerOptions options;
  options.max_request_size = 1 << 20;
  std::atomic<int> handled{0};
  auto server = StartServer(
      [&](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
        handled.fetch_add(1);
        responder->SendSuccess(std::move(request.body));
      },
      options);
  auto good = ConnectTo(*server);
  const std::vector<CorruptCase> cases = {
      {"garbage", "this is not a fluss frame, just text", "request of 1952999795 bytes exceeds the limit of 1048576 bytes (netty.server.max-request-size)"},
      {"oversized", LengthPrefix((1 << 20) + 1) + std::string(100, 'x'),
       "request of 1048577 bytes exceeds the limit of 1048576 bytes (netty.server.max-request-size)"},
      {"zero length", LengthPrefix(0), nullptr},
      {"negative length", LengthPrefix(-5) + "abcd", nullptr},
      {"shorter than header", LengthPrefix(4) + "abcd", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.Send(c.bytes));
    auto payload = raw.ReadFrame();
    ASSERT_TRUE(payload.has_value());
    ASSERT_GE(payload->size(), 1u);
    EXPECT_EQ(static_cast<int8_t>((*payload)[0]), static_cast<int8_t>(ResponseType::kServerFailure));
    auto error = DecodeErrorResponse(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload->data()) + 1, payload->size() - 1));
    ASSERT_OK(error);
    EXPECT_EQ(error->error_code, static_cast<int32_t>(ErrorCode::kCorruptMessage));
    if (c.expected_message != nullptr) {
      EXPECT_EQ(error->error_message.value_or(""), c.expected_message);
    }
    EXPECT_TRUE(raw.WaitForClose());

    auto r = good->CallSync(1000, 0, "still here", kTimeout);
    ASSERT_OK(r);
    EXPECT_EQ(*r, "still here");
  }
  EXPECT_EQ(handled.load(), static_cast<int>(cases.size()));  // only the good connection's calls
  EXPECT_TRUE(WaitFor([&] { return server->connection_count() == 1; }));
}

TEST(RpcTransportTest, TruncatedFrameThenEofClosesTheConnection) {
  std::atomic<int> handled{0};
  auto server = StartServer([&](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    handled.fetch_add(1);
    responder->SendSuccess(std::move(request.body));
  });
  auto good = ConnectTo(*server);
  {
    RawSocket raw(server->port());
    std::string frame = EncodeRequestFrame(RequestHeader{1000, 0, 1}, std::string(100, 'x'));
    ASSERT_TRUE(raw.Send(frame.substr(0, 30)));
    raw.ShutdownWrite();
    EXPECT_TRUE(raw.WaitForClose());
  }
  EXPECT_EQ(handled.load(), 0);
  EXPECT_TRUE(WaitFor([&] { return server->connection_count() == 1; }));
  auto r = good->CallSync(1000, 0, "ok", kTimeout);
  ASSERT_OK(r);
}

TEST(RpcTransportTest, WellFormedFramesFromARawClientAreAnswered) {
  auto server = StartServer(EchoHandler());
  RawSocket raw(server->port());
  // Two requests in one write, then one split across writes.
  std::string two = EncodeRequestFrame(RequestHeader{1000, 0, 7}, "seven") +
                    EncodeRequestFrame(RequestHeader{1000, 0, 8}, "eight");
  ASSERT_TRUE(raw.Send(two));
  std::string split = EncodeRequestFrame(RequestHeader{1000, 0, 9}, "nine");
  ASSERT_TRUE(raw.Send(split.substr(0, 6)));
  std::this_thread::sleep_for(20ms);  // two writes apart in time (usually two reads); it waits for nothing
  ASSERT_TRUE(raw.Send(split.substr(6)));
  for (auto [id, body] : {std::pair{7, "seven"}, {8, "eight"}, {9, "nine"}}) {
    auto payload = raw.ReadFrame();
    ASSERT_TRUE(payload.has_value());
    EXPECT_EQ(*payload, EncodeResponseFrame(ResponseType::kSuccess, id, body).substr(4));
  }
}

TEST(RpcTransportTest, IdleConnectionsAreClosedButNotWhileAnAnswerIsAwaited) {
  RpcServerOptions options;
  options.idle_timeout = 150ms;
  HeldRequests held;
  auto server = StartServer(HoldingHandler(&held), options);
  {
    auto start = std::chrono::steady_clock::now();  // before the connect: the server's clock starts later
    RawSocket idle(server->port());
    EXPECT_TRUE(idle.WaitForClose());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  }
  RawSocket waiting(server->port());
  ASSERT_TRUE(waiting.Send(EncodeRequestFrame(RequestHeader{1015, 0, 1}, "long poll")));
  ASSERT_TRUE(WaitFor([&] { return held.size() == 1; }));
  {
    // An idle connection opened after the request arrived is closed: the idle timeout has passed
    // for the waiting one too.
    RawSocket later(server->port());
    EXPECT_TRUE(later.WaitForClose());
  }
  auto items = held.Take();
  EXPECT_TRUE(items[0].second->connection_open());
  items[0].second->SendSuccess("late");
  auto payload = waiting.ReadFrame();
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(*payload, EncodeResponseFrame(ResponseType::kSuccess, 1, "late").substr(4));
  EXPECT_TRUE(waiting.WaitForClose());  // idle again
}

TEST(RpcTransportTest, CallTimesOutAndTheLateAnswerIsDropped) {
  HeldRequests held;
  auto server = StartServer([&](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    if (request.api_key == 1) {
      held.Add(std::move(request), std::move(responder));
    } else {
      responder->SendSuccess(std::move(request.body));
    }
  });
  auto client = ConnectTo(*server);
  auto start = std::chrono::steady_clock::now();
  auto r = client->CallSync(1, 0, "slow", 100ms);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kRequestTimeOut);
  EXPECT_NE(r.status().message().find("timed out after 100 ms"), std::string::npos) << r.status().message();
  EXPECT_GE(elapsed, 90ms);
  EXPECT_LT(elapsed, 30s);  // generous: it is the 100 ms timeout that ended the call, not kTimeout
  EXPECT_EQ(client->pending_calls(), 0u);

  ASSERT_TRUE(WaitFor([&] { return held.size() == 1; }));
  held.Take()[0].second->SendSuccess("too late");
  auto next = client->CallSync(2, 0, "next", kTimeout);
  ASSERT_OK(next);
  EXPECT_EQ(*next, "next");
  EXPECT_TRUE(client->is_open());
}

TEST(RpcTransportTest, ShortTimeoutBehindLongOnesStillFires) {
  HeldRequests held;
  auto server = StartServer(HoldingHandler(&held));
  auto client = ConnectTo(*server);
  Results results;
  client->Call(1, 0, "long", 60s, results.Callback());
  client->Call(1, 0, "none", 0ms, results.Callback());
  auto r = client->CallSync(1, 0, "short", 50ms);
  EXPECT_EQ(r.status().code(), ErrorCode::kRequestTimeOut);
  EXPECT_EQ(client->pending_calls(), 2u);
  client->Close();
  ASSERT_TRUE(results.WaitForCount(2));
  for (const auto& res : results.Get()) EXPECT_EQ(res.status().code(), ErrorCode::kNetworkException);
}

TEST(RpcTransportTest, ServerStopFailsPendingCallsAndResponderBecomesNoOp) {
  HeldRequests held;
  auto server = StartServer(HoldingHandler(&held));
  auto client = ConnectTo(*server);
  Results results;
  for (int i = 0; i < 3; ++i) client->Call(1000, 0, "x", kTimeout, results.Callback());
  ASSERT_TRUE(WaitFor([&] { return held.size() == 3; }));
  server->Stop();
  server->Stop();  // idempotent
  EXPECT_EQ(server->connection_count(), 0u);
  ASSERT_TRUE(results.WaitForCount(3));
  for (const auto& r : results.Get()) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kNetworkException);
  }
  EXPECT_TRUE(WaitFor([&] { return !client->is_open(); }));
  auto after = client->CallSync(1000, 0, "x", kTimeout);
  EXPECT_EQ(after.status().code(), ErrorCode::kNetworkException);

  auto items = held.Take();
  EXPECT_FALSE(items[0].second->connection_open());
  items[0].second->SendSuccess("ignored");
  server.reset();  // responders may outlive the server
  items[1].second->SendError(Status(ErrorCode::kNetworkException, "ignored"));
  EXPECT_FALSE(items[2].second->connection_open());
  items.clear();  // destroying unanswered responders is harmless too
}

TEST(RpcTransportTest, ClientCloseFailsPendingCallsAndLaterCalls) {
  HeldRequests held;
  auto server = StartServer(HoldingHandler(&held));
  auto client = ConnectTo(*server);
  Results results;
  client->Call(1000, 0, "x", kTimeout, results.Callback());
  ASSERT_TRUE(WaitFor([&] { return held.size() == 1; }));
  client->Close();
  EXPECT_FALSE(client->is_open());
  client->Call(1000, 0, "after", kTimeout, results.Callback());
  ASSERT_TRUE(results.WaitForCount(2));
  std::string expected = fmt::format("connection to 127.0.0.1:{} closed", server->port());
  for (const auto& r : results.Get()) {
    EXPECT_EQ(r.status().code(), ErrorCode::kNetworkException);
    EXPECT_EQ(r.status().message(), expected);
  }
  // The server notices; the held responder is now a no-op.
  ASSERT_TRUE(WaitFor([&] { return server->connection_count() == 0; }));
  auto items = held.Take();
  EXPECT_FALSE(items[0].second->connection_open());
  items[0].second->SendSuccess("nobody listens");
}

TEST(RpcTransportTest, ConnectToAClosedPortFailsQuickly) {
  uint16_t port = testing::UnusedPort();
  auto start = std::chrono::steady_clock::now();
  auto client = RpcClient::Connect("127.0.0.1", port);
  ASSERT_FALSE(client.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);  // refused at once, not retried
  EXPECT_EQ(client.status().code(), ErrorCode::kNetworkException);
  EXPECT_EQ(client.status().message().rfind(fmt::format("cannot connect to 127.0.0.1:{}: ", port), 0), 0u)
      << client.status().message();
}

TEST(RpcTransportTest, ConnectGivesUpWithinTheConnectTimeout) {
  // A listener whose accept queue is full drops further SYNs, so the connect hangs until our timeout.
  RawListener listener(/*backlog=*/0);
  std::vector<std::unique_ptr<RawSocket>> fillers;
  for (int i = 0; i < 2; ++i) fillers.push_back(std::make_unique<RawSocket>(listener.port(), 1s, /*nonblocking_connect=*/true));
  // The first fills the queue (its handshake completes); the second's SYN is dropped.
  if (!fillers[0]->WaitConnected(60s)) GTEST_SKIP() << "this network stack did not queue the first connection";
  RpcClientOptions options;
  options.connect_timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto client = RpcClient::Connect("127.0.0.1", listener.port(), options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  if (client.ok()) GTEST_SKIP() << "this network stack does not drop SYNs on a full accept queue";
  EXPECT_EQ(client.status().code(), ErrorCode::kNetworkException);
  EXPECT_EQ(client.status().message(), fmt::format("cannot connect to 127.0.0.1:{}: timed out after 200 ms", listener.port()));
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 30s);  // the kernel's own SYN retries would take minutes
}

TEST(RpcTransportTest, ConnectToAnUnresolvableHostFails) {
  auto client = RpcClient::Connect("no-such-host.invalid", 9123);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), ErrorCode::kNetworkException);
  EXPECT_EQ(client.status().message().rfind("cannot connect to no-such-host.invalid:9123: ", 0), 0u);
}

TEST(RpcTransportTest, HostNamesAreResolved) {
  RpcServerOptions options;
  options.host = "localhost";
  auto server = StartServer(EchoHandler(), options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->host(), "localhost");
  auto client = RpcClient::Connect("localhost", server->port());
  ASSERT_OK(client);
  auto r = (*client)->CallSync(1000, 0, "via name", kTimeout);
  ASSERT_OK(r);
  EXPECT_EQ(*r, "via name");
}

TEST(RpcTransportTest, BindFailureNamesTheAddress) {
  auto first = StartServer(EchoHandler());
  RpcServerOptions options;
  options.port = first->port();
  auto second = RpcServer::Start(options, EchoHandler());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kNetworkException);
  EXPECT_EQ(second.status().message(),
            fmt::format("cannot listen on 127.0.0.1:{}: Address already in use", first->port()));
}

TEST(RpcTransportTest, BadOptionsAreRejected) {
  RpcServerOptions options;
  options.io_threads = 0;
  EXPECT_EQ(RpcServer::Start(options, EchoHandler()).status().code(), ErrorCode::kInvalidConfig);
  EXPECT_FALSE(RpcServer::Start(RpcServerOptions{}, nullptr).ok());
}

TEST(RpcTransportTest, FiftyMebibyteBodyRoundTrip) {
  auto server = StartServer(EchoHandler());
  auto client = ConnectTo(*server);
  std::string body(50 << 20, '\0');
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>(i / 4096);
  body.back() = 'z';
  auto r = client->CallSync(1014, 0, body, 60s);
  ASSERT_OK(r);
  EXPECT_EQ(r->size(), body.size());
  EXPECT_TRUE(*r == body);
}

TEST(RpcTransportTest, OversizedResponseClosesTheClientConnection) {
  auto server = StartServer([](RpcRequest, std::shared_ptr<RpcResponder> responder) {
    responder->SendSuccess(std::string(2048, 'r'));
  });
  RpcClientOptions options;
  options.max_response_size = 1024;
  auto client = ConnectTo(*server, options);
  auto r = client->CallSync(1000, 0, "", kTimeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNetworkException);
  EXPECT_NE(r.status().message().find("exceeds the limit of 1024 bytes"), std::string::npos) << r.status().message();
  EXPECT_FALSE(client->is_open());
}

TEST(RpcTransportTest, ServerFailureFailsEveryPendingCallWithItsError) {
  RawListener listener;
  std::thread fake_server([&] {
    auto conn = listener.Accept();
    ASSERT_NE(conn, nullptr);
    // Read two requests, answer the first with a malformed error body, then fail the connection.
    auto first = conn->ReadFrame();
    auto second = conn->ReadFrame();
    ASSERT_TRUE(first && second);
    auto id = DecodeRequestHeader(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(first->data()), 8));
    ASSERT_OK(id);
    conn->Send(EncodeResponseFrame(ResponseType::kError, id->request_id, "\x12\x01"));
    conn->Send(EncodeServerFailureFrame(Status(ErrorCode::kCorruptMessage, "you sent junk")));
    conn->WaitForClose();
  });
  auto client = RpcClient::Connect("127.0.0.1", listener.port());
  ASSERT_OK(client);
  Results results;
  (*client)->Call(1000, 0, "one", kTimeout, results.Callback());
  (*client)->Call(1000, 0, "two", kTimeout, results.Callback());
  ASSERT_TRUE(results.WaitForCount(2));
  auto got = results.Get();
  EXPECT_EQ(got[0].status().code(), ErrorCode::kCorruptMessage);  // malformed ErrorResponse
  EXPECT_NE(got[0].status().message().find("malformed ErrorResponse"), std::string::npos);
  EXPECT_EQ(got[1].status(), Status(ErrorCode::kCorruptMessage, "you sent junk"));
  EXPECT_TRUE(WaitFor([&] { return !(*client)->is_open(); }));
  (*client)->Close();
  fake_server.join();
}

TEST(RpcTransportTest, ManyClientsShareOneIoThread) {
  auto server = StartServer(EchoHandler());
  auto io = RpcClientIo::Create();
  std::vector<std::shared_ptr<RpcClient>> clients;
  for (int i = 0; i < 20; ++i) {
    auto c = RpcClient::Connect(io, "127.0.0.1", server->port());
    ASSERT_OK(c);
    clients.push_back(*c);
  }
  io.reset();  // the clients keep it alive
  Results results;
  for (auto& c : clients) c->Call(1000, 0, c->address(), kTimeout, results.Callback());
  ASSERT_TRUE(results.WaitForCount(clients.size()));
  for (const auto& r : results.Get()) EXPECT_OK(r);
  EXPECT_TRUE(WaitFor([&] { return server->connection_count() == 20; }));
  clients.clear();
  EXPECT_TRUE(WaitFor([&] { return server->connection_count() == 0; }));
}

TEST(RpcTransportTest, ClientDroppedInsideItsOwnCallbackShutsDownCleanly) {
  auto server = StartServer(EchoHandler());
  auto client = ConnectTo(*server);
  std::atomic<bool> done{false};
  auto* raw = client.get();
  raw->Call(1000, 0, "x", kTimeout, [&done, c = std::move(client)](Result<std::string> r) mutable {
    EXPECT_OK(r);
    c.reset();  // the last reference, released on the io thread
    done = true;
  });
  EXPECT_TRUE(WaitFor([&] { return done.load(); }));
}

// Worker threads answer while the server stops and after it is destroyed: every call ends exactly
// once (answered or NETWORK_EXCEPTION), nothing crashes, nothing races.
TEST(RpcTransportTest, StopWhileWorkersAnswerFromOtherThreads) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<RpcRequest, std::shared_ptr<RpcResponder>>> queue;
  bool quit = false;
  auto server = StartServer([&](RpcRequest request, std::shared_ptr<RpcResponder> responder) {
    std::lock_guard lock(mu);
    queue.emplace_back(std::move(request), std::move(responder));
    cv.notify_one();
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return quit || !queue.empty(); });
        if (queue.empty()) return;
        auto item = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        item.second->SendSuccess(std::move(item.first.body));
      }
    });
  }
  auto client = ConnectTo(*server);
  constexpr int kCalls = 2000;
  std::atomic<int> ok{0}, network{0}, other{0};
  for (int i = 0; i < kCalls; ++i) {
    client->Call(1000, 0, std::to_string(i), kTimeout, [&](Result<std::string> r) {
      if (r.ok()) {
        ok.fetch_add(1);
      } else if (r.status().code() == ErrorCode::kNetworkException) {
        network.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
    if (i == kCalls / 4) WaitFor([&] { return ok.load() > 100; });
  }
  server->Stop();
  EXPECT_TRUE(WaitFor([&] { return ok + network + other == kCalls; }));
  server.reset();
  {
    std::lock_guard lock(mu);
    quit = true;
  }
  cv.notify_all();
  for (auto& w : workers) w.join();
  EXPECT_EQ(ok + network + other, kCalls);
  EXPECT_GT(ok.load(), 100);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace fluss::rpc
