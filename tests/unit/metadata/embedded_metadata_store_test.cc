// EmbeddedMetadataStore: the MetadataStore contract (metadata_store_contract.h) plus what only a
// store in a local directory has: the directory lock and failed writes.
#include "metadata/embedded_metadata_store.h"

#include <gtest/gtest.h>

#include "metadata_store_contract.h"
#include "metadata_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using metadata_testing::MetadataStoreContractTest;
using metadata_testing::CreateOrDie;
using metadata_testing::OpenOrDie;
using metadata_testing::TempDir;

struct EmbeddedEnv {
  static bool Available(std::string*) { return true; }
  std::unique_ptr<MetadataStore> Open(MetadataClock clock) { return OpenOrDie(dir.path(), std::move(clock)); }
  TempDir dir;
};


class EmbeddedMetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.path(), [this] { return now_.load(); });
    ASSERT_NE(store_, nullptr);
  }
  void Reopen() {
    store_.reset();
    store_ = OpenOrDie(dir_.path(), [this] { return now_.load(); });
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::atomic<int64_t> now_{1000};
  std::unique_ptr<EmbeddedMetadataStore> store_;
};

TEST_F(EmbeddedMetadataStoreTest, SecondOpenOfSameDirIsRefused) {
  auto second = EmbeddedMetadataStore::Open(dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kStorageException);
  EXPECT_NE(second.status().message().find("is in use"), std::string::npos) << second.status().message();
  store_.reset();
  EXPECT_OK(EmbeddedMetadataStore::Open(dir_.path()));
}

TEST_F(EmbeddedMetadataStoreTest, FailedCompactionLosesNothing) {
  // Compaction writes metadata.log.tmp; a directory in its place makes every compaction fail. The
  // changes are durable in the log already, so each still succeeds.
  store_.reset();
  EmbeddedMetadataStoreOptions options;
  options.compaction_min_bytes = 2048;
  store_ = std::move(EmbeddedMetadataStore::Open(dir_.path(), nullptr, options)).value();
  std::filesystem::create_directory(store_->file_path() + ".tmp");
  ASSERT_OK(store_->CreateDatabase("db", "{}", false));
  for (int i = 0; i < 20; ++i) metadata_testing::CreateOrDie(*store_, metadata_testing::Path("db", "t" + std::to_string(i)));
  EXPECT_EQ(store_->compactions(), 0u);
  EXPECT_GT(std::filesystem::file_size(store_->file_path()), 4 * options.compaction_min_bytes);
  std::filesystem::remove(store_->file_path() + ".tmp");
  CreateOrDie(*store_, metadata_testing::Path("db", "last"));
  EXPECT_EQ(store_->compactions(), 1u);
  store_.reset();
  store_ = std::move(EmbeddedMetadataStore::Open(dir_.path(), nullptr, options)).value();
  EXPECT_EQ(store_->ListTables("db")->size(), 21u);
}

}  // namespace

namespace metadata_testing {
using EmbeddedImplementations = ::testing::Types<EmbeddedEnv>;
INSTANTIATE_TYPED_TEST_SUITE_P(EmbeddedMetadataStore, MetadataStoreContractTest, EmbeddedImplementations);
}  // namespace metadata_testing
}  // namespace fluss
