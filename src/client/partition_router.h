// PartitionRouter: which partition a row of a partitioned table goes to, as the writers need it —
// the partition's name from the row's partition-key values (upstream's PartitionGetter), its id from
// the metadata, and a missing partition created once (upstream's DynamicPartitionCreator).
//
// Creation is once per name in flight: the first writer thread to miss a partition asks for it
// (CreatePartition with "ignore if it exists", so a partition another client made meanwhile is
// success) and looks its id up again; threads that miss the same name meanwhile wait for that one
// answer and share it. A failed creation is the error of every row waiting for it; the next row of
// that partition tries again. The I/O goes through two functions, so tests drive the router with
// fakes. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss/client.h"
#include "types/partition_spec.h"

namespace fluss {

class PartitionRouter {
 public:
  // The id of the partition named `name`; nullopt when it does not exist (PARTITION_NOT_EXISTS from
  // the metadata). Other errors are returned.
  using LookupId = std::function<Result<std::optional<int64_t>>(const std::string& name)>;
  // Creates the partition (an existing one is no error).
  using Create = std::function<Status(const ResolvedPartitionSpec& spec)>;

  // `table`: the table's info (its schema and partition keys); `dynamic_create`:
  // client.writer.dynamic-create-partition.enabled.
  PartitionRouter(const TableInfo& table, bool dynamic_create, LookupId lookup, Create create);

  // The partition of a whole row (every column in schema order): its spec from the partition-key
  // columns (PARTITION_SPEC_INVALID naming the column for a NULL or invalid value) and its id, the
  // partition created first when missing and dynamic creation is on (else PARTITION_NOT_EXISTS).
  Result<int64_t> PartitionOf(const GenericRow& row);
  // The same for a spec already resolved.
  Result<int64_t> IdOf(const ResolvedPartitionSpec& spec);
  // Forgets the cached id of a partition that was dropped: the next row of it looks it up again
  // (and, with dynamic creation, makes it anew).
  void Forget(int64_t partition_id);

  // How many partitions this router created (CreatePartition calls that succeeded).
  int64_t created() const;

 private:
  struct Pending {
    bool done = false;
    Status status;
    int64_t id = -1;
  };

  const std::string table_name_;
  const Schema schema_;
  const std::vector<std::string> keys_;
  const bool dynamic_create_;
  const LookupId lookup_;
  const Create create_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int64_t> ids_;                        // name -> id
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // names being created
  int64_t created_ = 0;
};

struct ClientContext;

// The router of a writer of the partitioned table `table`: ids from the connection's metadata cache
// (GetMetadata by partition name), creation with CreatePartition (ignore if it exists) on the
// coordinator, dynamic creation as client.writer.dynamic-create-partition.enabled says.
std::unique_ptr<PartitionRouter> NewWriterPartitionRouter(const std::shared_ptr<ClientContext>& ctx,
                                                          const TableInfo& table);

}  // namespace fluss
