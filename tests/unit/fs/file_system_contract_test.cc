// The FileSystem contract (file_system_contract.h) on the local file system; the same functions run
// on S3 against s3rver in tests/interop/s3_file_system_test.cc.
#include "unit/fs/file_system_contract.h"
#include "fs/file_system.h"
#include "support/temp_dir.h"

namespace fluss {
namespace {

class LocalFileSystemContractTest : public ::testing::Test {
 protected:
  fluss::testing::TempDir dir_;
  FileSystem& fs_ = FileSystem::Local();
};

TEST_F(LocalFileSystemContractTest, WriteReadRangeAndSize) { contract::WriteReadRangeAndSize(fs_, dir_.path()); }
TEST_F(LocalFileSystemContractTest, MissingFile) { contract::MissingFile(fs_, dir_.path()); }
TEST_F(LocalFileSystemContractTest, ListExistsRemoveAll) { contract::ListExistsRemoveAll(fs_, dir_.path()); }
TEST_F(LocalFileSystemContractTest, RenameMovesTheContent) { contract::RenameMovesTheContent(fs_, dir_.path()); }
TEST_F(LocalFileSystemContractTest, EmptyFile) { contract::EmptyFile(fs_, dir_.path()); }

}  // namespace
}  // namespace fluss
