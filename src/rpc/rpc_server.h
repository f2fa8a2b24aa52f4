// RpcServer: accepts TCP connections speaking Fluss's framing (docs/formats/rpc-framing.md) and hands
// every request to one handler. Bodies are bytes: this layer knows nothing of protobuf.
//
// Threading: `io_threads` threads, each running its own io_context; connections are spread over them
// round robin and stay on one thread for life. A connection reads frames continuously, so many
// requests may be in flight on it; responses are written in the order the handler answers them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"

namespace fluss::rpc {

struct RpcServerOptions {
  std::string host = "127.0.0.1";  // an IP address or a name ("localhost"), resolved at Start
  uint16_t port = 0;               // 0 = an ephemeral port; see RpcServer::port()
  int io_threads = 2;
  // Largest accepted frame length (the int32 length prefix, which excludes itself);
  // Fluss's netty.server.max-request-size.
  size_t max_request_size = size_t{100} << 20;
  // A connection with no traffic and no request awaiting an answer for this long is closed;
  // Fluss's netty.connection.max-idle-time.
  std::chrono::milliseconds idle_timeout{600000};
};

struct RpcRequest {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t request_id = 0;
  std::string body;  // the serialized request message, as received
  std::string peer;  // "ip:port" of the client
};

// Answers one request. Thread-safe; may be used from any thread at any later time (long polling),
// including after the connection closed, when every Send* is a no-op. Only the first Send* counts;
// later ones are ignored. A responder of the server that is destroyed unanswered answers
// UNKNOWN_SERVER_ERROR "request <id> (api key <k>) was dropped without a response", so a client
// never waits for a request the handler lost.
//
// It is an interface so that handler tests can pass their own implementation.
class RpcResponder {
 public:
  virtual ~RpcResponder() = default;

  // SUCCESS response; `body` is the serialized response message.
  virtual void SendSuccess(std::string body) = 0;
  // SUCCESS response whose body is `body_parts` written back to back, without concatenating them
  // (e.g. a hand-encoded message prefix followed by record batches sliced from a log segment).
  virtual void SendSuccessParts(std::vector<Buffer> body_parts) = 0;
  // ERROR response carrying status.code() as the wire error code and status.message().
  // An OK status is sent as UNKNOWN_SERVER_ERROR.
  virtual void SendError(Status status) = 0;
  // False once the connection closed (answers would go nowhere; long work may be abandoned).
  virtual bool connection_open() const = 0;
};

// Called on a server io thread for every well-formed request, in arrival order per connection.
// It must not block: hand slow work (disk, RocksDB, waiting) to other threads and answer through the
// responder from there. It must answer unknown api keys itself (with an error). It must not call
// RpcServer::Stop or destroy the server.
using RpcHandler = std::function<void(RpcRequest request, std::shared_ptr<RpcResponder> responder)>;

class RpcServer {
 public:
  // Resolves and binds options.host:options.port, starts the io threads and begins accepting.
  // Errors: "cannot listen on 127.0.0.1:9123: Address already in use" (NETWORK_EXCEPTION),
  // or INVALID_CONFIG for bad options.
  static Result<std::unique_ptr<RpcServer>> Start(RpcServerOptions options, RpcHandler handler);

  ~RpcServer();  // calls Stop()
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // The bound port (the ephemeral one chosen by the OS when options.port was 0).
  uint16_t port() const;
  // options.host as given.
  std::string host() const;

  // Closes the acceptor and every connection and joins the io threads. After it returns the handler
  // is not called again, and responders still held elsewhere are no-ops. Idempotent.
  // REQUIRES: not called from the handler (an io thread).
  void Stop();

  // Open connections right now.
  size_t connection_count() const;

  class Impl;

 private:
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fluss::rpc
