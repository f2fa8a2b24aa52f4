#include "rpc/rpc_server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <atomic>
#include <climits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "rpc/frame.h"
#include "rpc/frame_assembler.h"
#include "rpc/io_util.h"
#include "rpc/outbound_queue.h"

namespace fluss::rpc {

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kServerStagingSize = 32 << 10;

class ServerConnection;

// One io thread and the connections it serves. Members other than `ioc` are touched on that thread
// only, or after the thread was joined.
struct Shard {
  explicit Shard(int index) : index(index) {}
  int index;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::unordered_set<std::shared_ptr<ServerConnection>> connections;
  std::thread thread;
};

// The connection as its responders see it. Responders hold this, never the connection: `open`
// turns false (under `mu`) before the connection closes, so a responder posts to the io_context
// only while the io_context is certain to be alive.
struct ResponseSink {
  std::mutex mu;
  bool open = true;
  std::weak_ptr<ServerConnection> conn;
  asio::io_context* ioc = nullptr;
};

// What every connection of one server shares; owned by RpcServer::Impl, outlives every connection
// that is still running.
struct ServerShared {
  RpcServerOptions options;
  RpcHandler handler;
  std::atomic<size_t> connection_count{0};
  std::atomic<bool> stopping{false};
};

class ServerResponder final : public RpcResponder {
 public:
  ServerResponder(std::shared_ptr<ResponseSink> sink, int32_t request_id, int16_t api_key)
      : sink_(std::move(sink)), request_id_(request_id), api_key_(api_key) {}

  ~ServerResponder() override {
    if (!answered_.load(std::memory_order_relaxed)) {
      SendError(Status(ErrorCode::kUnknownServerError,
                       fmt::format("request {} (api key {}) was dropped without a response", request_id_, api_key_)));
    }
  }

  void SendSuccess(std::string body) override {
    OutFrame f;
    f.SetPrefix(EncodeResponsePrefix(ResponseType::kSuccess, request_id_, body.size()));
    f.body = std::move(body);
    Send(std::move(f));
  }

  void SendSuccessParts(std::vector<Buffer> body_parts) override {
    OutFrame f;
    f.parts = std::move(body_parts);
    f.SetPrefix(EncodeResponsePrefix(ResponseType::kSuccess, request_id_, f.body_size()));
    Send(std::move(f));
  }

  void SendError(Status status) override {
    OutFrame f;
    f.body = EncodeErrorResponse(status);
    f.SetPrefix(EncodeResponsePrefix(ResponseType::kError, request_id_, f.body.size()));
    Send(std::move(f));
  }

  bool connection_open() const override {
    std::lock_guard lock(sink_->mu);
    return sink_->open;
  }

 private:
  void Send(OutFrame frame);

  std::shared_ptr<ResponseSink> sink_;
  int32_t request_id_;
  int16_t api_key_;
  std::atomic<bool> answered_{false};
};

class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(ServerShared& shared, Shard& shard, tcp::socket socket, std::string peer)
      : shared_(shared),
        shard_(shard),
        socket_(std::move(socket)),
        idle_timer_(shard.ioc),
        peer_(std::move(peer)),
        assembler_({kRequestHeaderSize, kRequestHeaderSize, shared.options.max_request_size, "request",
                    "netty.server.max-request-size"},
                   kServerStagingSize),
        sink_(std::make_shared<ResponseSink>()) {}

  void Start() {
    sink_->conn = weak_from_this();
    sink_->ioc = &shard_.ioc;
    last_activity_ = Clock::now();
    spdlog::debug("RPC connection from {} opened (io thread {})", peer_, shard_.index);
    ArmIdleTimer(shared_.options.idle_timeout);
    DoRead();
  }

  // On the io thread (or after it was joined). Idempotent.
  void Close(std::string_view reason) {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();  // the set below may hold the last reference
    {
      std::lock_guard lock(sink_->mu);
      sink_->open = false;
    }
    asio::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    idle_timer_.cancel();
    out_.ClearQueued();
    shard_.connections.erase(self);
    shared_.connection_count.fetch_sub(1, std::memory_order_relaxed);
    spdlog::debug("RPC connection from {} closed: {}", peer_, reason);
  }

  // A response from a responder, on the io thread.
  void EnqueueResponse(OutFrame frame) {
    if (closed_ || failing_) return;
    if (awaiting_answers_ > 0) --awaiting_answers_;
    out_.Push(std::move(frame));
    if (!writing_ && !dispatching_) StartWrite();
  }

 private:
  void DoRead() {
    auto buf = assembler_.ReadBuffer();
    socket_.async_read_some(asio::buffer(buf.data(), buf.size()),
                            [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const asio::error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) {
      if (ec == asio::error::eof) {
        if (assembler_.mid_frame()) spdlog::warn("RPC connection from {} ended in the middle of a frame", peer_);
        Close("closed by the client");
      } else {
        Close(fmt::format("read failed: {}", ec.message()));
      }
      return;
    }
    last_activity_ = Clock::now();
    // Answers given inline while this read's requests are dispatched go out in one write after it.
    dispatching_ = true;
    Status st = assembler_.OnRead(n, [this](std::span<const uint8_t> header, std::string body) {
      Dispatch(header, std::move(body));
      return closed_ ? Status(ErrorCode::kNetworkException, "connection closed") : Status::OK();
    });
    dispatching_ = false;
    if (closed_) return;
    if (!st.ok()) {
      spdlog::warn("RPC connection from {}: {}; closing it", peer_, st.message());
      FailAndClose(st);
      return;
    }
    if (!writing_ && out_.has_queued()) StartWrite();
    DoRead();
  }

  void Dispatch(std::span<const uint8_t> header, std::string body) {
    RpcRequest request;
    request.api_key = LoadBE<int16_t>(header.data());
    request.api_version = LoadBE<int16_t>(header.data() + 2);
    request.request_id = LoadBE<int32_t>(header.data() + 4);
    request.body = std::move(body);
    request.peer = peer_;
    auto responder = std::make_shared<ServerResponder>(sink_, request.request_id, request.api_key);
    ++awaiting_answers_;
    int16_t api_key = request.api_key;
    try {
      shared_.handler(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      spdlog::error("RPC handler threw on api key {} from {}: {}", api_key, peer_, e.what());
    } catch (...) {
      spdlog::error("RPC handler threw on api key {} from {}", api_key, peer_);
    }
  }

  // The request stream is corrupt: answer SERVER_FAILURE (no request id is known), flush what is
  // queued, then close.
  void FailAndClose(const Status& error) {
    {
      std::lock_guard lock(sink_->mu);
      sink_->open = false;
    }
    OutFrame f;
    f.body = EncodeErrorResponse(error);
    f.SetPrefix(EncodeServerFailurePrefix(f.body.size()));
    out_.Push(std::move(f));
    failing_ = true;
    if (!writing_) StartWrite();
  }

  void StartWrite() {
    writing_ = true;
    out_.MoveQueuedToBatch();
    asio::async_write(socket_, out_.BatchBuffers(),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(const asio::error_code& ec) {
    writing_ = false;
    out_.ReleaseBatch();
    if (closed_) return;
    if (ec) {
      Close(fmt::format("write failed: {}", ec.message()));
      return;
    }
    last_activity_ = Clock::now();
    if (out_.has_queued()) {
      StartWrite();
    } else if (failing_) {
      Close("corrupt request stream");
    }
  }

  void ArmIdleTimer(Clock::duration after) {
    idle_timer_.expires_after(after);
    idle_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->OnIdleCheck();
    });
  }

  void OnIdleCheck() {
    if (closed_) return;
    auto timeout = shared_.options.idle_timeout;
    if (awaiting_answers_ > 0 || writing_) {
      ArmIdleTimer(timeout);
      return;
    }
    auto idle = Clock::now() - last_activity_;
    if (idle >= timeout) {
      Close(fmt::format("idle for more than {} ms", timeout.count()));
    } else {
      ArmIdleTimer(timeout - idle);
    }
  }

  ServerShared& shared_;
  Shard& shard_;
  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  std::string peer_;
  FrameAssembler assembler_;
  OutboundQueue out_;
  std::shared_ptr<ResponseSink> sink_;
  Clock::time_point last_activity_;
  size_t awaiting_answers_ = 0;  // requests handed to the handler and not answered yet
  bool writing_ = false;
  bool dispatching_ = false;  // inside OnRead's dispatch loop
  bool failing_ = false;  // a SERVER_FAILURE is queued; close once it is written
  bool closed_ = false;
};

void ServerResponder::Send(OutFrame frame) {
  if (answered_.exchange(true)) {
    spdlog::debug("RPC request {} (api key {}) answered twice; the second answer is dropped", request_id_, api_key_);
    return;
  }
  std::shared_ptr<ServerConnection> conn;
  {
    std::lock_guard lock(sink_->mu);
    if (!sink_->open) return;
    conn = sink_->conn.lock();
    if (!conn) return;
    if (!sink_->ioc->get_executor().running_in_this_thread()) {
      // The io_context is alive while the sink is open; the posted handler owns the connection
      // reference from here on, so the connection is never destroyed on this thread.
      asio::post(*sink_->ioc, [conn = std::move(conn), frame = std::move(frame)]() mutable {
        conn->EnqueueResponse(std::move(frame));
      });
      return;
    }
  }
  conn->EnqueueResponse(std::move(frame));
}

}  // namespace

class RpcServer::Impl {
 public:
  Impl(RpcServerOptions options, RpcHandler handler) {
    shared_.options = std::move(options);
    shared_.handler = std::move(handler);
  }

  ~Impl() { Stop(); }

  Status Listen() {
    const auto& o = shared_.options;
    std::string where = fmt::format("{}:{}", o.host, o.port);
    for (int i = 0; i < o.io_threads; ++i) shards_.push_back(std::make_unique<Shard>(i));

    asio::error_code ec;
    tcp::resolver resolver(shards_[0]->ioc);
    auto endpoints = resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive, ec);
    if (ec) {
      return Status(ErrorCode::kNetworkException, fmt::format("cannot listen on {}: {}", where, ec.message()));
    }
    acceptor_ = std::make_unique<tcp::acceptor>(shards_[0]->ioc);
    for (const auto& entry : endpoints) {
      ec = BindTo(entry.endpoint());
      if (!ec) break;
    }
    if (ec || !acceptor_->is_open()) {
      return Status(ErrorCode::kNetworkException,
                    fmt::format("cannot listen on {}: {}", where, ec ? ec.message() : "no address"));
    }
    port_ = acceptor_->local_endpoint().port();

    for (auto& shard : shards_) {
      shard->guard.emplace(asio::make_work_guard(shard->ioc));
      Shard* s = shard.get();
      s->thread = std::thread([s] {
        std::string name = fmt::format("fluss-rpc-io{}", s->index);
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        RunIoContext(s->ioc, "RPC server");
      });
    }
    asio::post(shards_[0]->ioc, [this] { DoAccept(); });
    spdlog::info("RPC server listening on {}:{} ({} io threads)", o.host, port_, o.io_threads);
    return Status::OK();
  }

  void Stop() {
    for (const auto& shard : shards_) {
      if (shard->thread.get_id() == std::this_thread::get_id()) {
        // Joining our own thread would hang forever; this is a caller bug.
        spdlog::error("RpcServer::Stop called on one of its own io threads; ignored");
        return;
      }
    }
    {
      std::lock_guard lock(stop_mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    shared_.stopping.store(true);
    if (shards_.empty()) return;
    if (acceptor_) {
      asio::post(shards_[0]->ioc, [this] {
        asio::error_code ec;
        acceptor_->close(ec);
      });
    }
    for (auto& shard : shards_) {
      Shard* s = shard.get();
      asio::post(s->ioc, [s] {
        CloseAll(*s, "server stopping");
        s->ioc.stop();
      });
    }
    for (auto& shard : shards_) {
      if (shard->thread.joinable()) shard->thread.join();
    }
    // The threads are gone: close whatever slipped in behind the posts above, so every responder
    // sink is closed before the io_contexts are destroyed.
    asio::error_code ec;
    if (acceptor_) acceptor_->close(ec);
    for (auto& shard : shards_) {
      CloseAll(*shard, "server stopping");
      shard->guard.reset();
    }
    if (port_ != 0) spdlog::info("RPC server on {}:{} stopped", shared_.options.host, port_);
  }

  uint16_t port() const { return port_; }
  const std::string& host() const { return shared_.options.host; }
  size_t connection_count() const { return shared_.connection_count.load(); }

 private:
  asio::error_code BindTo(const tcp::endpoint& endpoint) {
    asio::error_code ec;
    if (acceptor_->is_open()) acceptor_->close(ec);
    acceptor_->open(endpoint.protocol(), ec);
    if (ec) return ec;
    acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
    if (ec) return ec;
    acceptor_->bind(endpoint, ec);
    if (ec) return ec;
    acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    return ec;
  }

  static void CloseAll(Shard& shard, std::string_view reason) {
    auto connections = shard.connections;  // Close() erases from the set
    for (const auto& c : connections) c->Close(reason);
  }

  // On shard 0's thread.
  void DoAccept() {
    if (shared_.stopping.load()) return;
    Shard* target = shards_[next_shard_++ % shards_.size()].get();
    acceptor_->async_accept(target->ioc, [this, target](const asio::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || shared_.stopping.load()) return;
      if (ec) {
        // Typically out of file descriptors: back off instead of spinning.
        spdlog::warn("RPC server on {}:{}: accept failed: {}", shared_.options.host, port_, ec.message());
        auto timer = std::make_shared<asio::steady_timer>(shards_[0]->ioc, std::chrono::milliseconds(100));
        timer->async_wait([this, timer](const asio::error_code& e) {
          if (!e) DoAccept();
        });
        return;
      }
      asio::post(target->ioc, [this, target, socket = std::move(socket)]() mutable {
        StartConnection(*target, std::move(socket));
      });
      DoAccept();
    });
  }

  // On the target shard's thread.
  void StartConnection(Shard& shard, tcp::socket socket) {
    if (shared_.stopping.load()) return;
    asio::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    socket.set_option(tcp::no_delay(true), ec);
    std::string peer = fmt::format("{}:{}", remote.address().to_string(), remote.port());
    auto conn = std::make_shared<ServerConnection>(shared_, shard, std::move(socket), std::move(peer));
    shard.connections.insert(conn);
    shared_.connection_count.fetch_add(1, std::memory_order_relaxed);
    conn->Start();
  }

  ServerShared shared_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<tcp::acceptor> acceptor_;  // on shards_[0]; declared after shards_, destroyed first
  size_t next_shard_ = 0;                    // shard 0's thread only
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

Result<std::unique_ptr<RpcServer>> RpcServer::Start(RpcServerOptions options, RpcHandler handler) {
  if (options.io_threads < 1 || options.io_threads > 1024) {
    return Status::Invalid(fmt::format("RPC server io_threads must be in [1, 1024], not {}", options.io_threads));
  }
  if (options.max_request_size < kRequestHeaderSize || options.max_request_size > size_t{INT32_MAX}) {
    return Status::Invalid(fmt::format("RPC server max_request_size must be in [{}, {}], not {}", kRequestHeaderSize,
                                       INT32_MAX, options.max_request_size));
  }
  if (options.idle_timeout.count() <= 0) {
    return Status::Invalid(
        fmt::format("RPC server idle_timeout must be positive, not {} ms", options.idle_timeout.count()));
  }
  if (!handler) return Status::Invalid("RPC server needs a request handler");
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  FLUSS_RETURN_NOT_OK(impl->Listen());
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RpcServer::~RpcServer() { Stop(); }
uint16_t RpcServer::port() const { return impl_->port(); }
std::string RpcServer::host() const { return impl_->host(); }
void RpcServer::Stop() { impl_->Stop(); }
size_t RpcServer::connection_count() const { return impl_->connection_count(); }

}  // namespace fluss::rpc
