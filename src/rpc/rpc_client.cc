#include "rpc/rpc_client.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <climits>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rpc/frame.h"
#include "rpc/frame_assembler.h"
#include "rpc/io_util.h"
#include "rpc/outbound_queue.h"

namespace fluss::rpc {

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The io_context of one RpcClientIo. Shared by the RpcClientIo, its thread and every connection on
// it, so it is destroyed only after all of them: never under a running handler, never before a
// socket bound to it.
struct IoCore {
  asio::io_context ioc{1};
};

void InvokeCallback(const RpcClient::Callback& cb, Result<std::string> result) {
  try {
    cb(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("RPC client callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("RPC client callback threw");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// RpcClientIo

class RpcClientIo::Impl {
 public:
  Impl() : core_(std::make_shared<IoCore>()), guard_(asio::make_work_guard(core_->ioc)) {
    thread_ = std::thread([core = core_] {
      pthread_setname_np(pthread_self(), "fluss-rpc-cli");
      RunIoContext(core->ioc, "RPC client");
    });
  }

  ~Impl() {
    // The thread ends when the last connection's handlers have run.
    guard_.reset();
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // destroyed from a callback: the thread holds core_ and finishes on its own
    } else {
      thread_.join();
    }
  }

  const std::shared_ptr<IoCore>& core() const { return core_; }

 private:
  std::shared_ptr<IoCore> core_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

RpcClientIo::RpcClientIo() : impl_(std::make_unique<Impl>()) {}
RpcClientIo::~RpcClientIo() = default;

std::shared_ptr<RpcClientIo> RpcClientIo::Create() { return std::shared_ptr<RpcClientIo>(new RpcClientIo()); }

// ---------------------------------------------------------------------------------------------------
// RpcClient::Impl: one connection. Socket, timer, read state and the write batch belong to the io
// thread; the call table and the queue of unsent frames are shared with callers under mu_.

class RpcClient::Impl : public std::enable_shared_from_this<RpcClient::Impl> {
 public:
  Impl(std::shared_ptr<IoCore> core, std::string host, uint16_t port, RpcClientOptions options)
      : core_(std::move(core)),
        ioc_(core_->ioc),
        socket_(ioc_),
        resolver_(ioc_),
        timer_(ioc_),
        host_(std::move(host)),
        port_(port),
        address_(fmt::format("{}:{}", host_, port_)),
        options_(options),
        assembler_({kServerFailureHeaderSize, kResponseHeaderSize, options.max_response_size, "response",
                    "RpcClientOptions.max_response_size"}) {}

  bool on_io_thread() const { return ioc_.get_executor().running_in_this_thread(); }
  const std::string& address() const { return address_; }

  Status ConnectBlocking() {
    auto done = std::make_shared<std::promise<Status>>();
    auto result = done->get_future();
    asio::post(ioc_, [self = shared_from_this(), done] { self->StartConnect(done); });
    return result.get();
  }

  void Call(int16_t api_key, int16_t api_version, std::string body, std::chrono::milliseconds timeout,
            Callback cb) {
    if (body.size() > static_cast<size_t>(INT32_MAX) - kRequestHeaderSize) {
      PostCallback(std::move(cb), Status(ErrorCode::kRecordTooLarge,
                                         fmt::format("request body of {} bytes (api key {}) does not fit in a frame",
                                                     body.size(), api_key)));
      return;
    }
    bool kick = false;
    {
      std::lock_guard lock(mu_);
      if (!open_) {
        Status st = close_reason_;
        PostCallback(std::move(cb), std::move(st));
        return;
      }
      int32_t id = NextRequestId();
      Clock::time_point deadline = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
      pending_.emplace(id, Pending{std::move(cb), deadline, api_key, timeout});
      if (deadline != Clock::time_point::max()) deadlines_.emplace(deadline, id);
      OutFrame frame;
      frame.SetPrefix(EncodeRequestPrefix(RequestHeader{api_key, api_version, id}, body.size()));
      frame.body = std::move(body);
      queue_.Push(std::move(frame));
      if (!kick_posted_ && (!writing_ || deadline < timer_expiry_)) {
        kick_posted_ = true;
        kick = true;
      }
    }
    if (kick) asio::post(ioc_, [self = shared_from_this()] { self->Kick(); });
  }

  bool is_open() const {
    std::lock_guard lock(mu_);
    return open_;
  }

  size_t pending_calls() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }

  void Close() {
    Status st(ErrorCode::kNetworkException, fmt::format("connection to {} closed", address_));
    {
      std::lock_guard lock(mu_);
      if (close_requested_) return;
      close_requested_ = true;
      open_ = false;
      if (close_reason_.ok()) close_reason_ = st;
    }
    if (on_io_thread()) {
      Shutdown(st, st);
    } else {
      asio::post(ioc_, [self = shared_from_this(), st] { self->Shutdown(st, st); });
    }
  }

 private:
  struct Pending {
    Callback cb;
    Clock::time_point deadline;
    int16_t api_key;
    std::chrono::milliseconds timeout;
  };

  // REQUIRES: mu_ held.
  int32_t NextRequestId() {
    for (;;) {
      int32_t id = next_id_;
      next_id_ = next_id_ == INT32_MAX ? 0 : next_id_ + 1;
      if (pending_.find(id) == pending_.end()) return id;
    }
  }

  void PostCallback(Callback cb, Status status) {
    asio::post(ioc_, [cb = std::move(cb), status = std::move(status)] { InvokeCallback(cb, status); });
  }

  // --- connecting (io thread) ---

  void StartConnect(std::shared_ptr<std::promise<Status>> done) {
    auto self = shared_from_this();
    connecting_ = true;
    timer_.expires_after(options_.connect_timeout);
    timer_.async_wait([self](const asio::error_code& ec) {
      if (ec || !self->connecting_) return;
      self->connect_timed_out_ = true;
      self->resolver_.cancel();
      asio::error_code ignored;
      self->socket_.close(ignored);
    });
    resolver_.async_resolve(host_, std::to_string(port_),
                            [self, done](const asio::error_code& ec, const tcp::resolver::results_type& results) {
                              if (ec || self->connect_timed_out_) {
                                self->FinishConnect(done, ec);
                                return;
                              }
                              asio::async_connect(self->socket_, results,
                                                  [self, done](const asio::error_code& e, const tcp::endpoint&) {
                                                    self->FinishConnect(done, e);
                                                  });
                            });
  }

  void FinishConnect(const std::shared_ptr<std::promise<Status>>& done, const asio::error_code& ec) {
    connecting_ = false;
    timer_.cancel();
    if (connect_timed_out_ || ec) {
      std::string reason = connect_timed_out_
                               ? fmt::format("timed out after {} ms", options_.connect_timeout.count())
                               : ec.message();
      Status st(ErrorCode::kNetworkException, fmt::format("cannot connect to {}: {}", address_, reason));
      {
        std::lock_guard lock(mu_);
        close_reason_ = st;
      }
      shut_ = true;
      asio::error_code ignored;
      socket_.close(ignored);
      done->set_value(st);
      return;
    }
    asio::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    spdlog::debug("RPC connection to {} opened", address_);
    DoRead();
    done->set_value(Status::OK());
  }

  // --- writing (io thread) ---

  void Kick() {
    bool start = false;
    {
      std::lock_guard lock(mu_);
      kick_posted_ = false;
      if (!shut_ && !writing_ && queue_.has_queued()) {
        queue_.MoveQueuedToBatch();
        writing_ = true;
        start = true;
      }
    }
    if (start) StartWrite();
    ArmTimer();
  }

  void StartWrite() {
    asio::async_write(socket_, queue_.BatchBuffers(),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(const asio::error_code& ec) {
    queue_.ReleaseBatch();
    bool more = false;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ec && !shut_ && queue_.has_queued()) {
        queue_.MoveQueuedToBatch();
        writing_ = true;
        more = true;
      }
    }
    if (shut_) return;
    if (ec) {
      Fail(fmt::format("write failed: {}", ec.message()));
      return;
    }
    if (more) StartWrite();
  }

  // --- reading (io thread) ---

  void DoRead() {
    auto buf = assembler_.ReadBuffer();
    socket_.async_read_some(asio::buffer(buf.data(), buf.size()),
                            [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const asio::error_code& ec, size_t n) {
    if (shut_) return;
    if (ec) {
      Fail(ec == asio::error::eof ? std::string("closed by the server") : fmt::format("read failed: {}", ec.message()));
      return;
    }
    Status st = assembler_.OnRead(
        n, [this](std::span<const uint8_t> header, std::string body) { return OnFrame(header, std::move(body)); });
    if (shut_) return;
    if (!st.ok()) {
      spdlog::warn("RPC connection to {}: {}; closing it", address_, st.message());
      Fail(st.message());
      return;
    }
    DoRead();
  }

  Status OnFrame(std::span<const uint8_t> header, std::string body) {
    auto h = DecodeResponseHeader(header);
    if (!h.ok()) return h.status();
    if (h->type == ResponseType::kServerFailure) {
      std::string payload(reinterpret_cast<const char*>(header.data()) + 1, header.size() - 1);
      payload += body;
      auto decoded = DecodeErrorResponse(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
      Status failure = decoded.ok() ? ErrorResponseToStatus(*decoded)
                                    : Status(ErrorCode::kNetworkException,
                                             fmt::format("server failure from {} with an unreadable body: {}",
                                                         address_, decoded.status().message()));
      spdlog::warn("RPC connection to {}: server failure: {}", address_, failure.ToString());
      Status closed(ErrorCode::kNetworkException,
                    fmt::format("connection to {} closed after a server failure: {}", address_, failure.message()));
      Shutdown(failure, closed);
      return closed;
    }
    std::optional<Pending> call;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(h->request_id);
      if (it != pending_.end()) {
        call.emplace(std::move(it->second));
        if (call->deadline != Clock::time_point::max()) deadlines_.erase({call->deadline, h->request_id});
        pending_.erase(it);
      }
    }
    if (!call) {
      spdlog::debug("RPC connection to {}: dropping the response to request {} (timed out or unknown)", address_,
                    h->request_id);
      return Status::OK();
    }
    if (h->type == ResponseType::kSuccess) {
      InvokeCallback(call->cb, std::move(body));
      return Status::OK();
    }
    auto decoded =
        DecodeErrorResponse(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
    InvokeCallback(call->cb, decoded.ok() ? ErrorResponseToStatus(*decoded)
                                          : decoded.status().WithContext(fmt::format(
                                                "error response to request {} from {}", h->request_id, address_)));
    return Status::OK();
  }

  // --- timeouts (io thread) ---

  void ArmTimer() {
    if (shut_) return;
    Clock::time_point next;
    {
      std::lock_guard lock(mu_);
      next = deadlines_.empty() ? Clock::time_point::max() : deadlines_.begin()->first;
      if (next == timer_expiry_) return;
      timer_expiry_ = next;
    }
    if (next == Clock::time_point::max()) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(next);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->OnTimer();
    });
  }

  void OnTimer() {
    if (shut_) return;
    std::vector<std::pair<int32_t, Pending>> expired;
    {
      std::lock_guard lock(mu_);
      auto now = Clock::now();
      while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        int32_t id = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;
        expired.emplace_back(id, std::move(it->second));
        pending_.erase(it);
      }
      timer_expiry_ = Clock::time_point::max();
    }
    for (auto& [id, call] : expired) {
      InvokeCallback(call.cb, Status(ErrorCode::kRequestTimeOut,
                                     fmt::format("request {} (api key {}) to {} timed out after {} ms", id,
                                                 call.api_key, address_, call.timeout.count())));
    }
    ArmTimer();
  }

  // --- closing (io thread) ---

  void Fail(std::string_view reason) {
    Status st(ErrorCode::kNetworkException, fmt::format("connection to {} closed: {}", address_, reason));
    Shutdown(st, st);
  }

  // Closes the socket and fails every pending call with `pending_error`; later calls fail with
  // `close_reason` (unless a reason was recorded before). Idempotent.
  void Shutdown(const Status& pending_error, const Status& close_reason) {
    std::vector<Pending> calls;
    {
      std::lock_guard lock(mu_);
      open_ = false;
      if (close_reason_.ok()) close_reason_ = close_reason;
      calls.reserve(pending_.size());
      for (auto& [id, call] : pending_) calls.push_back(std::move(call));
      pending_.clear();
      deadlines_.clear();
      queue_.ClearQueued();
    }
    if (!shut_) {
      shut_ = true;
      asio::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
      timer_.cancel();
      resolver_.cancel();
      spdlog::debug("RPC connection to {} closed: {}", address_, close_reason.message());
    }
    for (auto& call : calls) InvokeCallback(call.cb, pending_error);
  }

  std::shared_ptr<IoCore> core_;  // first: outlives the socket and timers below
  asio::io_context& ioc_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;  // the connect timeout, then the earliest call deadline
  const std::string host_;
  const uint16_t port_;
  const std::string address_;
  const RpcClientOptions options_;

  // io thread only.
  FrameAssembler assembler_;
  bool connecting_ = false;
  bool connect_timed_out_ = false;
  bool shut_ = false;  // the socket is closed for good

  mutable std::mutex mu_;
  bool open_ = false;
  bool close_requested_ = false;
  Status close_reason_;
  int32_t next_id_ = 0;
  std::unordered_map<int32_t, Pending> pending_;
  std::set<std::pair<Clock::time_point, int32_t>> deadlines_;
  Clock::time_point timer_expiry_ = Clock::time_point::max();  // what timer_ is armed for
  bool kick_posted_ = false;
  bool writing_ = false;
  OutboundQueue queue_;  // queued frames under mu_; the batch in flight is the io thread's
};

// ---------------------------------------------------------------------------------------------------
// RpcClient

Result<std::shared_ptr<RpcClient>> RpcClient::Connect(const std::string& host, uint16_t port, Options options) {
  return Connect(RpcClientIo::Create(), host, port, options);
}

Result<std::shared_ptr<RpcClient>> RpcClient::Connect(std::shared_ptr<RpcClientIo> io, const std::string& host,
                                                      uint16_t port, Options options) {
  if (!io) return Status::Invalid("RpcClient::Connect needs an RpcClientIo");
  if (options.max_response_size < kResponseHeaderSize || options.max_response_size > size_t{INT32_MAX}) {
    return Status::Invalid(fmt::format("RPC client max_response_size must be in [{}, {}], not {}",
                                       kResponseHeaderSize, INT32_MAX, options.max_response_size));
  }
  auto impl = std::make_shared<Impl>(io->impl().core(), host, port, options);
  if (impl->on_io_thread()) {
    return Status(ErrorCode::kUnknownServerError,
                  fmt::format("cannot connect to {}: RpcClient::Connect called on the client io thread", impl->address()));
  }
  FLUSS_RETURN_NOT_OK(impl->ConnectBlocking());
  return std::shared_ptr<RpcClient>(new RpcClient(std::move(io), std::move(impl)));
}

RpcClient::RpcClient(std::shared_ptr<RpcClientIo> io, std::shared_ptr<Impl> impl)
    : io_(std::move(io)), impl_(std::move(impl)) {}

RpcClient::~RpcClient() {
  impl_->Close();
  impl_.reset();
  io_.reset();  // may join the io thread if this was its last user
}

void RpcClient::Call(int16_t api_key, int16_t api_version, std::string body, std::chrono::milliseconds timeout,
                     Callback cb) {
  impl_->Call(api_key, api_version, std::move(body), timeout, std::move(cb));
}

Result<std::string> RpcClient::CallSync(int16_t api_key, int16_t api_version, std::string body,
                                        std::chrono::milliseconds timeout) {
  if (impl_->on_io_thread()) {
    return Status(ErrorCode::kUnknownServerError,
                  fmt::format("RpcClient::CallSync to {} called on the client io thread (it would deadlock)",
                              impl_->address()));
  }
  auto promise = std::make_shared<std::promise<Result<std::string>>>();
  auto future = promise->get_future();
  Call(api_key, api_version, std::move(body), timeout,
       [promise](Result<std::string> result) { promise->set_value(std::move(result)); });
  return future.get();
}

bool RpcClient::is_open() const { return impl_->is_open(); }
void RpcClient::Close() { impl_->Close(); }
std::string RpcClient::address() const { return impl_->address(); }
size_t RpcClient::pending_calls() const { return impl_->pending_calls(); }

}  // namespace fluss::rpc
