// EmbeddedMetadataStore: the MetadataStore contract (metadata_store_contract.h) plus what only a
// store in a local directory has: the directory lock and failed writes.
#include "metadata/embedded_metadata_store.h"

#include <gtest/gtest.h>

#include "metadata_store_contract.h"
#include "metadata_test_support.h"

namespace fluss {
namespace {

using metadata_testing::MetadataStoreContractTest;
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
  EXPECT_TRUE(EmbeddedMetadataStore::Open(dir_.path()).ok());
}

TEST_F(EmbeddedMetadataStoreTest, FailedWriteChangesNothing) {
  ASSERT_TRUE(store_->CreateDatabase("db", "{}", false).ok());
  // Make the tmp path a directory: the write fails with a storage error.
  std::filesystem::create_directory(store_->file_path() + ".tmp");
  Status st = store_->CreateDatabase("other", "{}", false);
  EXPECT_EQ(st.code(), ErrorCode::kStorageException);
  EXPECT_NE(st.message().find("metadata.json.tmp"), std::string::npos) << st.message();
  EXPECT_FALSE(store_->DatabaseExists("other"));
  std::filesystem::remove(store_->file_path() + ".tmp");
  Reopen();
  EXPECT_EQ(store_->ListDatabases(), std::vector<std::string>{"db"});
}

}  // namespace

namespace metadata_testing {
using EmbeddedImplementations = ::testing::Types<EmbeddedEnv>;
INSTANTIATE_TYPED_TEST_SUITE_P(EmbeddedMetadataStore, MetadataStoreContractTest, EmbeddedImplementations);
}  // namespace metadata_testing
}  // namespace fluss
