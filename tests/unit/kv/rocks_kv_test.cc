#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "kv/rocks_kv.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

std::shared_ptr<KvResources> SmallBudget() {
  KvOptions o;
  o.shared_write_buffer_bytes = 8 << 20;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 1 << 20;
  return KvResources::Create(o);
}

TEST(RocksKvTest, PutGetDeleteAndAppliedOffsetAreOneWrite) {
  testing::TempDir dir;
  auto kv = RocksKv::Open(dir.Sub("kv"), SmallBudget()).value();
  EXPECT_EQ(kv->AppliedOffset().value(), 0);
  ASSERT_OK(kv->Write({{{"k1", std::string("v1")}, {"k2", std::string("v2")}}, 2}));
  EXPECT_EQ(kv->Get("k1").value(), std::optional<std::string>("v1"));
  EXPECT_EQ(kv->AppliedOffset().value(), 2);
  ASSERT_OK(kv->Write({{{"k1", std::nullopt}}, 3}));
  EXPECT_FALSE(kv->Get("k1").value().has_value());
  auto many = kv->MultiGet({"k1", "k2", "k3"}).value();
  EXPECT_FALSE(many[0].has_value());
  EXPECT_EQ(many[1], std::optional<std::string>("v2"));
  EXPECT_FALSE(many[2].has_value());
  EXPECT_EQ(kv->AppliedOffset().value(), 3);
}

TEST(RocksKvTest, PrefixScanReturnsOnlyThePrefixInKeyOrder) {
  testing::TempDir dir;
  auto kv = RocksKv::Open(dir.Sub("kv"), SmallBudget()).value();
  ASSERT_OK(kv->Write({{{"ab2", std::string("2")}, {"ab1", std::string("1")}, {"ac", std::string("x")}, {"a", std::string("y")}}, 1}));
  auto rows = kv->PrefixScan("ab").value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, "ab1");
  EXPECT_EQ(rows[1].first, "ab2");
}

TEST(RocksKvTest, SnapshotIsConsistentUnderLaterWrites) {
  testing::TempDir dir;
  auto kv = RocksKv::Open(dir.Sub("kv"), SmallBudget()).value();
  ASSERT_OK(kv->Write({{{"a", std::string("1")}, {"b", std::string("2")}}, 10}));
  auto snap = kv->TakeSnapshot().value();
  ASSERT_OK(kv->Write({{{"a", std::nullopt}, {"c", std::string("3")}}, 12}));
  EXPECT_EQ(snap->applied_offset(), 10);
  std::vector<std::string> seen;
  ASSERT_OK(snap->Scan([&](std::string_view k, std::string_view v) {
                seen.push_back(std::string(k) + "=" + std::string(v));
                return true;
              }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "b=2"}));
}

TEST(RocksKvTest, FlushedStateSurvivesReopen) {
  testing::TempDir dir;
  auto resources = SmallBudget();
  {
    auto kv = RocksKv::Open(dir.Sub("kv"), resources).value();
    ASSERT_OK(kv->Write({{{"k", std::string("v")}}, 5}));
    ASSERT_OK(kv->Flush());
  }
  auto kv = RocksKv::Open(dir.Sub("kv"), resources).value();
  EXPECT_EQ(kv->Get("k").value(), std::optional<std::string>("v"));
  EXPECT_EQ(kv->AppliedOffset().value(), 5);
  ASSERT_OK(kv->Destroy());
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("kv")));
}

TEST(RocksKvTest, ManyInstancesShareOneMemoryBudget) {
  testing::TempDir dir;
  auto resources = SmallBudget();
  std::vector<std::unique_ptr<RocksKv>> stores;
  for (int i = 0; i < 8; ++i) stores.push_back(RocksKv::Open(dir.Sub("kv" + std::to_string(i)), resources).value());
  std::string value(1000, 'x');
  for (int round = 0; round < 200; ++round) {
    for (auto& kv : stores) {
      KvWrite w;
      for (int j = 0; j < 20; ++j) w.ops.push_back({"key" + std::to_string(round * 20 + j), value});
      w.applied_offset = round;
      ASSERT_OK(kv->Write(w));
    }
  }
  // 8 stores x 4 MB written; the shared manager has them flush down to near its 8 MiB budget (on a
  // loaded machine the background flushes may trail the writes for a moment).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (resources->memtable_usage() > (static_cast<size_t>(16) << 20) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LE(resources->memtable_usage(), static_cast<size_t>(16) << 20);
}

}  // namespace
}  // namespace fluss
