// ApiTable: what one server answers, as a table from api key to handler. Each role fills it from its
// services (TabletService, CoordinatorService, MetadataService) and the RpcServer dispatches every
// request through it; API_VERSIONS is answered from the same table, so what a role serves is what it
// advertises.
//
// Dispatch: a key this build does not know, or a version outside the served range, is answered
// UNSUPPORTED_VERSION; a known key the role did not register is answered UNSUPPORTED_VERSION with
// the role's message (which role serves it). The connection stays open either way.
//
// Threading: filled before the server starts (Add is not thread-safe), read-only afterwards; Handle
// and Process may then run on any thread at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/status.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_server.h"

namespace fluss {

// Where a handler runs.
enum class ApiThread {
  kWorker,   // on the worker pool (anything that reads the disk, RocksDB or the metadata store)
  kNetwork,  // on the connection's network thread, in arrival order (appends: ProduceLog, PutKv)
};

// Answers one request through the responder, now or later (long polls, acks=-1 writes).
using ApiHandler = std::function<void(const rpc::RpcRequest&, const std::shared_ptr<rpc::RpcResponder>&)>;
// Answers one request body with a response body or an error.
using ApiBodyHandler = std::function<Result<std::string>(const std::string& body)>;

class ApiTable {
 public:
  using Executor = std::function<void(std::function<void()>)>;
  // The message of the UNSUPPORTED_VERSION answer to a known key this role does not serve.
  using NotServedMessage = std::function<std::string(int16_t api_key)>;

  // `workers` runs kWorker handlers. `not_served` empty: "api key K is not supported by this server".
  explicit ApiTable(Executor workers, NotServedMessage not_served = {});
  ApiTable(const ApiTable&) = delete;
  ApiTable& operator=(const ApiTable&) = delete;

  // Registers `key` at the versions of rpc::kServedApis. Error (and nothing registered): a key
  // without a served range, or one already registered.
  Status Add(rpc::ApiKey key, ApiHandler handler, ApiThread thread = ApiThread::kWorker);
  // A handler that answers SUCCESS with the body it returns, or ERROR with its status.
  Status AddBody(rpc::ApiKey key, ApiBodyHandler handler, ApiThread thread = ApiThread::kWorker);
  // API_VERSIONS answered from this table (every key registered, before or after this call);
  // `server_type` is ApiVersionsResponse.server_type (a standalone server leaves it unset).
  Status AddApiVersions(std::optional<int32_t> server_type);

  bool serves(rpc::ApiKey key) const { return entries_.count(key) != 0; }
  // The served keys and versions, by key.
  std::vector<rpc::ApiVersionRange> served() const;
  size_t size() const { return entries_.size(); }

  // The RpcHandler: network-thread handlers run in place, the others go to the workers.
  void Handle(rpc::RpcRequest request, std::shared_ptr<rpc::RpcResponder> responder) const;
  // Answers on the calling thread, whatever the handler's ApiThread (tests).
  void Process(const rpc::RpcRequest& request, const std::shared_ptr<rpc::RpcResponder>& responder) const;

 private:
  struct Entry {
    rpc::ApiVersionRange api;
    ApiHandler handler;
    ApiThread thread;
  };
  // The entry for `request`, or nullptr after answering it UNSUPPORTED_VERSION.
  const Entry* Find(const rpc::RpcRequest& request, const std::shared_ptr<rpc::RpcResponder>& responder) const;

  Executor workers_;
  NotServedMessage not_served_;
  std::map<rpc::ApiKey, Entry> entries_;
};

// Parses a request body as the proto2 message M with its required fields: a body that does not parse
// is CORRUPT_MESSAGE naming the message.
template <typename M>
Result<M> ParseRequest(const std::string& body) {
  M m;
  if (!m.ParsePartialFromString(body)) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("cannot parse {}: malformed protobuf", M::descriptor()->name()));
  }
  if (!m.IsInitialized()) {
    return Status(ErrorCode::kCorruptMessage, fmt::format("cannot parse {}: missing required fields: {}",
                                                          M::descriptor()->name(), m.InitializationErrorString()));
  }
  return m;
}

}  // namespace fluss
