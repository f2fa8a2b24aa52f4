// RpcClient: one TCP connection to one Fluss server. Thread-safe; many calls may be in flight at
// once, matched to their responses by request id. Bodies are bytes: this layer knows nothing of
// protobuf. It never reconnects: a closed client stays closed (a connection pool above makes a new
// one).
//
// Threading: callbacks run on the io thread of the RpcClientIo the client was connected through.
// Many clients can share one RpcClientIo (one thread), which is what a connection pool should do.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace fluss::rpc {

struct RpcClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // Largest accepted response frame length (the int32 length prefix, which excludes itself). A larger
  // frame closes the connection.
  size_t max_response_size = size_t{256} << 20;
};

// One io thread shared by the RpcClients connected through it. The thread ends once this object and
// every client using it are gone (each client keeps it alive).
class RpcClientIo {
 public:
  static std::shared_ptr<RpcClientIo> Create();

  ~RpcClientIo();
  RpcClientIo(const RpcClientIo&) = delete;
  RpcClientIo& operator=(const RpcClientIo&) = delete;

  class Impl;
  Impl& impl() { return *impl_; }

 private:
  RpcClientIo();
  std::unique_ptr<Impl> impl_;
};

class RpcClient {
 public:
  using Options = RpcClientOptions;
  // The success response body; or the server's error (its code and message); or NETWORK_EXCEPTION
  // when the connection failed or closed; or REQUEST_TIME_OUT when the timeout passed first.
  using Callback = std::function<void(Result<std::string> body)>;

  // Connects within options.connect_timeout, using a new RpcClientIo of its own.
  // Error: NETWORK_EXCEPTION "cannot connect to 127.0.0.1:9123: Connection refused".
  // REQUIRES: not called on an RpcClientIo thread (i.e. not from a callback).
  static Result<std::shared_ptr<RpcClient>> Connect(const std::string& host, uint16_t port,
                                                    Options options = {});
  // Same, on a shared io thread.
  static Result<std::shared_ptr<RpcClient>> Connect(std::shared_ptr<RpcClientIo> io, const std::string& host,
                                                    uint16_t port, Options options = {});

  ~RpcClient();  // Close()
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Sends one request. `cb` is invoked exactly once, on the io thread, never inside Call itself.
  // A timeout <= 0 means none: the call waits until answered or the connection closes. A response
  // arriving after the timeout fired is dropped.
  void Call(int16_t api_key, int16_t api_version, std::string body, std::chrono::milliseconds timeout,
            Callback cb);
  // Call and wait. REQUIRES: not called on the io thread (i.e. not from a callback); doing so returns
  // an error instead of deadlocking.
  Result<std::string> CallSync(int16_t api_key, int16_t api_version, std::string body,
                               std::chrono::milliseconds timeout);

  bool is_open() const;
  // Closes the connection; pending calls fail with NETWORK_EXCEPTION "connection to host:port closed".
  // Idempotent.
  void Close();
  // "host:port" as given to Connect.
  std::string address() const;
  // Calls sent and not yet answered, timed out or failed.
  size_t pending_calls() const;

  class Impl;

 private:
  RpcClient(std::shared_ptr<RpcClientIo> io, std::shared_ptr<Impl> impl);
  std::shared_ptr<RpcClientIo> io_;  // declared first: outlives impl_
  std::shared_ptr<Impl> impl_;
};

}  // namespace fluss::rpc
