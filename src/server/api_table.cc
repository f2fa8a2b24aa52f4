#include "server/api_table.h"

#include <spdlog/spdlog.h>

#include "fluss_api.pb.h"
#include "server/wire_error.h"

namespace fluss {

ApiTable::ApiTable(Executor workers, NotServedMessage not_served)
    : workers_(std::move(workers)), not_served_(std::move(not_served)) {}

Status ApiTable::Add(rpc::ApiKey key, ApiHandler handler, ApiThread thread) {
  auto api = rpc::FindServedApi(static_cast<int16_t>(key));
  if (!api) {
    return Status::Invalid(fmt::format("api key {} has no served version range in rpc/api_keys.h",
                                       static_cast<int16_t>(key)));
  }
  if (entries_.count(key) != 0) {
    return Status::Invalid(fmt::format("{} (api key {}) is registered twice", api->name, static_cast<int16_t>(key)));
  }
  entries_.emplace(key, Entry{*api, std::move(handler), thread});
  return Status::OK();
}

Status ApiTable::AddBody(rpc::ApiKey key, ApiBodyHandler handler, ApiThread thread) {
  auto api = rpc::FindServedApi(static_cast<int16_t>(key));
  const std::string_view name = api ? api->name : std::string_view("?");
  return Add(
      key,
      [handler = std::move(handler), name, key](const rpc::RpcRequest& request,
                                                const std::shared_ptr<rpc::RpcResponder>& responder) {
        Result<std::string> result = handler(request.body);
        if (result.ok()) {
          responder->SendSuccess(std::move(result).value());
        } else {
          spdlog::debug("{} from {} failed: {}", name, request.peer, result.status().ToString());
          SendWireError(*responder, result.status(), key);
        }
      },
      thread);
}

Status ApiTable::AddApiVersions(std::optional<int32_t> server_type) {
  return AddBody(rpc::ApiKey::kApiVersions, [this, server_type](const std::string& body) -> Result<std::string> {
    FLUSS_ASSIGN_OR_RETURN(auto req, ParseRequest<proto::ApiVersionsRequest>(body));
    (void)req;
    proto::ApiVersionsResponse resp;
    for (const auto& api : served()) {
      auto* v = resp.add_api_versions();
      v->set_api_key(static_cast<int32_t>(api.key));
      v->set_min_version(api.min_version);
      v->set_max_version(api.max_version);
    }
    // Clients that check server_type only do so when it is present.
    if (server_type) resp.set_server_type(*server_type);
    return resp.SerializeAsString();
  });
}

std::vector<rpc::ApiVersionRange> ApiTable::served() const {
  std::vector<rpc::ApiVersionRange> out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(entry.api);
  return out;
}

const ApiTable::Entry* ApiTable::Find(const rpc::RpcRequest& request,
                                      const std::shared_ptr<rpc::RpcResponder>& responder) const {
  auto api = rpc::FindServedApi(request.api_key);
  if (!api) {
    spdlog::warn("request {} from {}: unknown api key {}", request.request_id, request.peer, request.api_key);
    SendWireError(*responder,
                  Status(ErrorCode::kUnsupportedVersion,
                         fmt::format("api key {} is not supported by this server", request.api_key)),
                  std::nullopt);
    return nullptr;
  }
  if (request.api_version < api->min_version || request.api_version > api->max_version) {
    SendWireError(*responder,
                  Status(ErrorCode::kUnsupportedVersion,
                         fmt::format("{} version {} is not supported (this server serves {}..{})", api->name,
                                     request.api_version, api->min_version, api->max_version)),
                  api->key);
    return nullptr;
  }
  auto it = entries_.find(api->key);
  if (it == entries_.end()) {
    SendWireError(*responder,
                  Status(ErrorCode::kUnsupportedVersion,
                         not_served_ ? not_served_(request.api_key)
                                     : fmt::format("api key {} is not supported by this server", request.api_key)),
                  api->key);
    return nullptr;
  }
  return &it->second;
}

void ApiTable::Handle(rpc::RpcRequest request, std::shared_ptr<rpc::RpcResponder> responder) const {
  const Entry* entry = Find(request, responder);
  if (entry == nullptr) return;
  if (entry->thread == ApiThread::kNetwork) {
    // Appends run on the connection's network thread, in arrival order: a writer pipelines several
    // requests per bucket on one connection and relies on them being applied in the order sent
    // (the worker pool could run them out of order).
    entry->handler(request, responder);
    return;
  }
  auto req = std::make_shared<rpc::RpcRequest>(std::move(request));
  workers_([entry, req, responder = std::move(responder)] { entry->handler(*req, responder); });
}

void ApiTable::Process(const rpc::RpcRequest& request, const std::shared_ptr<rpc::RpcResponder>& responder) const {
  const Entry* entry = Find(request, responder);
  if (entry != nullptr) entry->handler(request, responder);
}

}  // namespace fluss
