// Small helpers shared by the RPC server and client (internal to src/rpc).
#pragma once

#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <exception>
#include <string_view>

namespace fluss::rpc {

// Runs `ioc` until it stops or runs out of work. Handlers are written not to throw; should one do so
// anyway, it is logged and the loop goes on rather than taking the process down.
inline void RunIoContext(asio::io_context& ioc, std::string_view owner) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("{} io thread: unexpected exception: {}", owner, e.what());
    } catch (...) {
      spdlog::error("{} io thread: unexpected exception", owner);
    }
  }
}

}  // namespace fluss::rpc
