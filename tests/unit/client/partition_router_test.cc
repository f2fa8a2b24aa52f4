// Routing rows of a partitioned table: the partition's name from the row's partition-key values,
// and a missing partition created once however many writers miss it at the same time — driven
// with a fake metadata and coordinator (PartitionRouter's two functions).
#include "client/partition_router.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TableInfo MakeInfo(const std::string& dsl, std::vector<std::string> partition_keys) {
  TableInfo info;
  info.path = TablePath::Make("db", "events").value();
  info.table_id = 7;
  info.schema_id = 1;
  TableDescriptor d(ParseSchema(dsl).value());
  d.DistributedBy(2);
  d.PartitionedBy(std::move(partition_keys));
  info.descriptor = d;
  info.num_buckets = 2;
  return info;
}

// The metadata and coordinator of one table, in memory: partitions by name, made by Create.
struct FakeCatalog {
  std::mutex mu;
  std::map<std::string, int64_t> partitions;
  int64_t next_id = 100;
  std::atomic<int> lookups{0};
  std::atomic<int> creates{0};
  Status create_answer;  // what Create answers (OK: it creates)
  std::function<void()> inside_create;  // runs inside Create before it answers

  PartitionRouter::LookupId Lookup() {
    return [this](const std::string& name) -> Result<std::optional<int64_t>> {
      ++lookups;
      std::lock_guard<std::mutex> lock(mu);
      auto it = partitions.find(name);
      if (it == partitions.end()) return std::optional<int64_t>();
      return std::optional<int64_t>(it->second);
    };
  }
  PartitionRouter::Create Create() {
    return [this](const ResolvedPartitionSpec& spec) -> Status {
      ++creates;
      if (inside_create) inside_create();
      if (!create_answer.ok() && create_answer.code() != ErrorCode::kPartitionAlreadyExists) return create_answer;
      std::lock_guard<std::mutex> lock(mu);
      partitions.emplace(spec.Name(), next_id++);
      return create_answer;
    };
  }
};

const char* kEvents = "id BIGINT, dt DATE, region STRING, v STRING";
constexpr int32_t kDec7 = 20794;  // 2026-12-07 in days since the epoch

GenericRow Event(int64_t id, Datum dt, Datum region) {
  return GenericRow({Datum(id), std::move(dt), std::move(region), Datum(std::string("x"))});
}

TEST(PartitionRouterTest, NameComesFromThePartitionKeyValuesInKeyOrder) {
  FakeCatalog catalog;
  catalog.partitions["eu$2026-12-07"] = 5;
  PartitionRouter router(MakeInfo(kEvents, {"region", "dt"}), /*dynamic_create=*/false, catalog.Lookup(),
                         catalog.Create());
  auto id = router.PartitionOf(Event(1, Datum(kDec7), Datum(std::string("eu"))));
  ASSERT_OK(id);
  EXPECT_EQ(*id, 5);
  EXPECT_EQ(catalog.creates, 0);
  // Cached: the next row of the partition asks nobody.
  ASSERT_OK(router.PartitionOf(Event(2, Datum(kDec7), Datum(std::string("eu")))));
  EXPECT_EQ(catalog.lookups, 1);
}

TEST(PartitionRouterTest, MissingPartitionIsCreatedOnceAcrossConcurrentWriters) {
  FakeCatalog catalog;
  std::atomic<int> started{0};
  constexpr int kThreads = 8;
  // The first creation waits until every writer thread is about to ask (most then wait for it).
  catalog.inside_create = [&] {
    while (started.load() < kThreads) std::this_thread::yield();
  };
  PartitionRouter router(MakeInfo(kEvents, {"dt"}), /*dynamic_create=*/true, catalog.Lookup(), catalog.Create());
  std::vector<std::thread> threads;
  std::vector<Result<int64_t>> results(kThreads, Result<int64_t>(Status::Invalid("not run")));
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++started;
      results[i] = router.PartitionOf(Event(i, Datum(kDec7), Datum(std::string("eu"))));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(catalog.creates, 1);
  EXPECT_EQ(router.created(), 1);
  for (const auto& r : results) {
    ASSERT_OK(r);
    EXPECT_EQ(*r, 100);
  }
  ASSERT_EQ(catalog.partitions.size(), 1u);
  EXPECT_EQ(catalog.partitions.begin()->first, "2026-12-07");
}

TEST(PartitionRouterTest, AlreadyExistsIsSuccess) {
  FakeCatalog catalog;
  catalog.create_answer = Status(ErrorCode::kPartitionAlreadyExists, "made by another client meanwhile");
  PartitionRouter router(MakeInfo(kEvents, {"dt"}), true, catalog.Lookup(), catalog.Create());
  auto id = router.PartitionOf(Event(1, Datum(kDec7), Datum(std::string("eu"))));
  ASSERT_OK(id);
  EXPECT_EQ(*id, 100);
  EXPECT_EQ(router.created(), 0);  // not this router's creation
}

TEST(PartitionRouterTest, FailedCreationIsTheRowsErrorAndIsTriedAgain) {
  FakeCatalog catalog;
  catalog.create_answer = Status(ErrorCode::kPartitionMaxNum, "max.partition.num (3) reached");
  PartitionRouter router(MakeInfo(kEvents, {"dt"}), true, catalog.Lookup(), catalog.Create());
  auto id = router.PartitionOf(Event(1, Datum(kDec7), Datum(std::string("eu"))));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), ErrorCode::kPartitionMaxNum);
  EXPECT_NE(id.status().message().find("dt=2026-12-07"), std::string::npos) << id.status().ToString();
  EXPECT_NE(id.status().message().find("db.events"), std::string::npos) << id.status().ToString();
  catalog.create_answer = Status::OK();
  ASSERT_OK(router.PartitionOf(Event(2, Datum(kDec7), Datum(std::string("eu")))));
  EXPECT_EQ(catalog.creates, 2);
}

TEST(PartitionRouterTest, WithoutDynamicCreationAMissingPartitionIsAnError) {
  FakeCatalog catalog;
  PartitionRouter router(MakeInfo(kEvents, {"dt"}), /*dynamic_create=*/false, catalog.Lookup(), catalog.Create());
  auto id = router.PartitionOf(Event(1, Datum(kDec7), Datum(std::string("eu"))));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), ErrorCode::kPartitionNotExists);
  EXPECT_NE(id.status().message().find("dynamic-create-partition"), std::string::npos) << id.status().ToString();
  EXPECT_EQ(catalog.creates, 0);
  EXPECT_TRUE(catalog.partitions.empty());
}

TEST(PartitionRouterTest, InvalidPartitionValuesAreRefusedBeforeAnyCall) {
  FakeCatalog catalog;
  PartitionRouter router(MakeInfo(kEvents, {"region"}), true, catalog.Lookup(), catalog.Create());
  for (const Datum& bad : {Datum(), Datum(std::string(201, 'a')), Datum(std::string("__x")),
                           Datum(std::string("eu/west")), Datum(std::string("a.b")), Datum(std::string(""))}) {
    auto id = router.PartitionOf(Event(1, Datum(kDec7), bad));
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), ErrorCode::kPartitionSpecInvalid) << id.status().ToString();
    EXPECT_NE(id.status().message().find("region"), std::string::npos) << id.status().ToString();
  }
  EXPECT_EQ(catalog.lookups, 0);
  EXPECT_EQ(catalog.creates, 0);
}

}  // namespace
}  // namespace fluss
