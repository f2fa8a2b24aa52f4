#include "client/partition_router.h"

#include <fmt/format.h>

#include "client/client_context.h"
#include "fluss_api.pb.h"

namespace fluss {

PartitionRouter::PartitionRouter(const TableInfo& table, bool dynamic_create, LookupId lookup, Create create)
    : table_name_(table.path.ToString()), schema_(table.schema()), keys_(table.descriptor.partition_keys()),
      dynamic_create_(dynamic_create), lookup_(std::move(lookup)), create_(std::move(create)) {}

Result<int64_t> PartitionRouter::PartitionOf(const GenericRow& row) {
  FLUSS_ASSIGN_OR_RETURN(auto spec, ResolvedPartitionSpec::FromRow(schema_, keys_, row));
  return IdOf(spec);
}

Result<int64_t> PartitionRouter::IdOf(const ResolvedPartitionSpec& spec) {
  const std::string name = spec.Name();
  std::shared_ptr<Pending> waiting;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto known = ids_.find(name);
    if (known != ids_.end()) return known->second;
    auto it = pending_.find(name);
    if (it != pending_.end()) {
      // Another thread is finding or creating it: share its answer.
      auto p = it->second;
      cv_.wait(lock, [&] { return p->done; });
      if (!p->status.ok()) return p->status;
      return p->id;
    }
    waiting = std::make_shared<Pending>();
    pending_[name] = waiting;
  }
  // This thread finds (or creates) the partition; the others wait for it.
  auto resolve = [&]() -> Result<int64_t> {
    FLUSS_ASSIGN_OR_RETURN(auto id, lookup_(name));
    if (id) return *id;
    if (!dynamic_create_) {
      return Status(ErrorCode::kPartitionNotExists,
                    fmt::format("table '{}' has no partition '{}' (client.writer.dynamic-create-partition.enabled "
                                "is off: create it first)",
                                table_name_, spec.QualifiedName()));
    }
    Status created = create_(spec);
    if (!created.ok() && created.code() != ErrorCode::kPartitionAlreadyExists) {
      return created.WithContext(
          fmt::format("creating partition '{}' of table '{}'", spec.QualifiedName(), table_name_));
    }
    if (created.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++created_;
    }
    FLUSS_ASSIGN_OR_RETURN(id, lookup_(name));
    if (!id) {
      return Status(ErrorCode::kPartitionNotExists,
                    fmt::format("partition '{}' of table '{}' was created but is not in the metadata",
                                spec.QualifiedName(), table_name_));
    }
    return *id;
  };
  Result<int64_t> result = resolve();
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting->done = true;
    if (result.ok()) {
      waiting->id = *result;
      ids_[name] = *result;
    } else {
      waiting->status = result.status();
    }
    pending_.erase(name);
  }
  cv_.notify_all();
  return result;
}

void PartitionRouter::Forget(int64_t partition_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = ids_.begin(); it != ids_.end();) {
    it = it->second == partition_id ? ids_.erase(it) : std::next(it);
  }
}

int64_t PartitionRouter::created() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

std::unique_ptr<PartitionRouter> NewWriterPartitionRouter(const std::shared_ptr<ClientContext>& ctx,
                                                          const TableInfo& table) {
  const TablePath path = table.path;
  auto lookup = [ctx, path](const std::string& name) -> Result<std::optional<int64_t>> {
    auto meta = ctx->GetPartitionMetadata(path, name);
    if (meta.ok()) return std::optional<int64_t>(meta->partition_id);
    if (meta.status().code() == ErrorCode::kPartitionNotExists) return std::optional<int64_t>();
    return meta.status();
  };
  auto create = [ctx, path](const ResolvedPartitionSpec& spec) -> Status {
    proto::CreatePartitionRequest req;
    req.mutable_table_path()->set_database_name(path.database());
    req.mutable_table_path()->set_table_name(path.table());
    for (size_t i = 0; i < spec.keys().size(); ++i) {
      auto* kv = req.mutable_partition_spec()->add_partition_key_values();
      kv->set_key(spec.keys()[i]);
      kv->set_value(spec.values()[i]);
    }
    req.set_ignore_if_not_exists(false);  // upstream's name: PARTITION_ALREADY_EXISTS is answered, and is success
    auto resp = ctx->AdminCall<proto::CreatePartitionResponse>(rpc::ApiKey::kCreatePartition, req);
    if (resp.ok()) ClientLog().debug("created partition '{}' of '{}'", spec.QualifiedName(), path.ToString());
    return resp.status();
  };
  return std::make_unique<PartitionRouter>(table, ctx->config.writer_dynamic_create_partition, std::move(lookup),
                                           std::move(create));
}

}  // namespace fluss
