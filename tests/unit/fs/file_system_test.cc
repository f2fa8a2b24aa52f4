// The file-system layer: durable writes on the local file system, and the fault-injecting one whose
// power cut undoes exactly what was not fsynced.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fs/fault_injection_file_system.h"
#include "fs/file_system.h"
#include "support/status_macros.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::TempDir;

namespace sfs = std::filesystem;


std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::span<const uint8_t> Bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(FileSystemTest, WriteFileDurablyReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  FileSystem& fs = FileSystem::Local();
  ASSERT_OK(WriteFileDurably(fs, dir.Sub("f"), std::string_view("one")));
  ASSERT_OK(WriteFileDurably(fs, dir.Sub("f"), std::string_view("two")));
  EXPECT_EQ(Read(dir.Sub("f")), "two");
  auto names = fs.ListDirectory(dir.path());
  ASSERT_OK(names);
  EXPECT_EQ(*names, std::vector<std::string>{"f"});
  auto bytes = fs.ReadFile(dir.Sub("f"));
  ASSERT_OK(bytes);
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "two");
}

TEST(FileSystemTest, ErrorsNameTheFile) {
  TempDir dir;
  Status st = WriteFileDurably(FileSystem::Local(), dir.Sub("missing/f"), std::string_view("x"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing/f"), std::string::npos) << st.message();
  EXPECT_FALSE(FileSystem::Local().ReadFile(dir.Sub("nope")).ok());
}

TEST(FileSystemTest, LinkIfAbsentCreatesOnlyOnce) {
  TempDir dir;
  FileSystem& fs = FileSystem::Local();
  Write(dir.Sub("a"), "a");
  Write(dir.Sub("b"), "b");
  EXPECT_TRUE(fs.LinkIfAbsent(dir.Sub("a"), dir.Sub("v1")).value());
  EXPECT_FALSE(fs.LinkIfAbsent(dir.Sub("b"), dir.Sub("v1")).value());
  EXPECT_EQ(Read(dir.Sub("v1")), "a");
}

TEST(FileSystemTest, ParentDirectory) {
  EXPECT_EQ(ParentDirectory("/a/b/c"), "/a/b");
  EXPECT_EQ(ParentDirectory("/a/b/"), "/a");
  EXPECT_EQ(ParentDirectory("/a"), "/");
  EXPECT_EQ(ParentDirectory("a"), ".");
}

TEST(FaultInjectionFileSystemTest, PowerCutKeepsOnlySyncedBytesAndSyncedNames) {
  TempDir dir;
  FaultInjectionFileSystem fs;
  // Durable: written, synced, its directory synced.
  {
    auto f = fs.NewWritableFile(dir.Sub("durable")).value();
    ASSERT_OK(f->Append(Bytes("abc")));
    ASSERT_OK(f->Sync());
    ASSERT_OK(f->Append(Bytes("def")));  // after the sync: lost
    ASSERT_OK(f->Close());
  }
  ASSERT_OK(fs.SyncDirectory(dir.path()));
  // Synced data, unsynced name: the file vanishes.
  {
    auto f = fs.NewWritableFile(dir.Sub("unnamed")).value();
    ASSERT_OK(f->Append(Bytes("x")));
    ASSERT_OK(f->Sync());
    ASSERT_OK(f->Close());
  }
  EXPECT_EQ(Read(dir.Sub("durable")), "abcdef");
  ASSERT_OK(fs.PowerCut());
  EXPECT_EQ(Read(dir.Sub("durable")), "abc");
  EXPECT_FALSE(sfs::exists(dir.Sub("unnamed")));
}

TEST(FaultInjectionFileSystemTest, AnUnsyncedReplaceAndRemoveAreUndone) {
  TempDir dir;
  Write(dir.Sub("f"), "old");
  Write(dir.Sub("g"), "keep me");
  sfs::create_directories(dir.Sub("tree/sub"));
  Write(dir.Sub("tree/sub/x"), "x");
  FaultInjectionFileSystem fs;
  ASSERT_OK(WriteFileDurably(fs, dir.Sub("f"), std::string_view("new")));  // synced: stays
  ASSERT_OK(fs.Remove(dir.Sub("g")));
  ASSERT_OK(fs.RemoveAll(dir.Sub("tree")));
  ASSERT_OK(fs.Rename(dir.Sub("f"), dir.Sub("f2")));
  EXPECT_FALSE(sfs::exists(dir.Sub("g")));
  EXPECT_FALSE(sfs::exists(dir.Sub("tree")));
  ASSERT_OK(fs.PowerCut());
  EXPECT_EQ(Read(dir.Sub("f")), "new");
  EXPECT_FALSE(sfs::exists(dir.Sub("f2")));
  EXPECT_EQ(Read(dir.Sub("g")), "keep me");
  EXPECT_EQ(Read(dir.Sub("tree/sub/x")), "x");
}

TEST(FaultInjectionFileSystemTest, APowerCutAtEveryStepOfAReplaceLeavesTheOldOrTheNewContent) {
  TempDir dir;
  Write(dir.Sub("f"), "old");
  int64_t steps = 0;
  {
    FaultInjectionFileSystem counting;
    ASSERT_OK(WriteFileDurably(counting, dir.Sub("f"), std::string_view("new")));
    steps = counting.operations();
    Write(dir.Sub("f"), "old");
  }
  ASSERT_GE(steps, 5);  // create, append, sync, close, rename, sync directory
  for (int64_t k = 1; k <= steps + 1; ++k) {
    SCOPED_TRACE(k);
    Write(dir.Sub("f"), "old");
    FaultInjectionFileSystem fs;
    fs.FailFrom(k);
    Status st = WriteFileDurably(fs, dir.Sub("f"), std::string_view("new"));
    EXPECT_EQ(st.ok(), k > steps);
    ASSERT_OK(fs.PowerCut());
    const std::string content = Read(dir.Sub("f"));
    if (k > steps) {
      EXPECT_EQ(content, "new");  // acknowledged: durable
    } else {
      EXPECT_TRUE(content == "old" || content == "new") << content;
    }
    auto names = FileSystem::Local().ListDirectory(dir.path()).value();
    EXPECT_EQ(names, std::vector<std::string>{"f"}) << "a temporary file was left";
  }
}

TEST(FaultInjectionFileSystemTest, AFailedOperationChangesNothing) {
  TempDir dir;
  FaultInjectionFileSystem fs;
  fs.FailFrom(1);
  EXPECT_FALSE(fs.NewWritableFile(dir.Sub("f")).ok());
  EXPECT_FALSE(sfs::exists(dir.Sub("f")));
  Status st = fs.CreateDirectories(dir.Sub("a/b"));
  EXPECT_NE(st.message().find("injected fault"), std::string::npos) << st.message();
  EXPECT_FALSE(sfs::exists(dir.Sub("a")));
  EXPECT_EQ(fs.operations(), 2);
}

// A file renamed while open (a log rewritten under a temporary name, then renamed over the old one,
// and appended to): its later appends and syncs count for the new name.
TEST(FaultInjectionFileSystemTest, AFileRenamedWhileOpenKeepsItsSyncedBytesUnderTheNewName) {
  TempDir dir;
  FaultInjectionFileSystem fs;
  auto file = fs.NewWritableFile(dir.Sub("log.tmp"));
  ASSERT_OK(file);
  ASSERT_OK((*file)->Append(Bytes("head")));
  ASSERT_OK((*file)->Sync());
  ASSERT_OK(fs.Rename(dir.Sub("log.tmp"), dir.Sub("log")));
  ASSERT_OK(fs.SyncDirectory(dir.path()));
  EXPECT_EQ((*file)->path(), dir.Sub("log"));
  ASSERT_OK((*file)->Append(Bytes("+synced")));
  ASSERT_OK((*file)->Sync());
  ASSERT_OK((*file)->Append(Bytes("+lost")));
  ASSERT_OK(fs.PowerCut());
  EXPECT_EQ(Read(dir.Sub("log")), "head+synced");
  EXPECT_FALSE(sfs::exists(dir.Sub("log.tmp")));
}

// The parts of one positional write, from text.
std::vector<std::span<const uint8_t>> Parts(const std::vector<std::string_view>& texts) {
  std::vector<std::span<const uint8_t>> parts;
  for (std::string_view t : texts) parts.push_back(Bytes(t));
  return parts;
}

std::string ReadAllOf(const RandomRWFile& file) {
  std::string out(file.Size().value(), '\0');
  auto n = file.ReadAt(0, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  EXPECT_OK(n);
  out.resize(n.ValueOr(0));
  return out;
}

TEST(FileSystemTest, RandomRWFileWritesReadsTruncatesAndAllocatesAtPositions) {
  TempDir dir;
  FileSystem& fs = FileSystem::Local();
  auto file = fs.OpenRandomRWFile(dir.Sub("seg"), OpenMode::kCreateNew);
  ASSERT_OK(file);
  auto& f = **file;
  ASSERT_OK(f.WriteAt(0, Parts({"hello", " ", "world"})));
  ASSERT_OK(f.WriteAt(6, Parts({"WORLD"})));
  EXPECT_EQ(ReadAllOf(f), "hello WORLD");
  std::string some(4, '\0');
  EXPECT_EQ(f.ReadAt(9, std::span(reinterpret_cast<uint8_t*>(some.data()), some.size())).value(), 2u);  // at the end
  ASSERT_OK(f.Truncate(5));
  EXPECT_EQ(f.Size().value(), 5u);
  ASSERT_OK(f.Allocate(5, 4096));
  EXPECT_EQ(f.Size().value(), 4101u);
  ASSERT_OK(f.Sync());
  EXPECT_GE(f.native_handle(), 0);
  // Create refuses an existing name; open refuses a missing one; both name the file.
  auto again = fs.OpenRandomRWFile(dir.Sub("seg"), OpenMode::kCreateNew);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find(dir.Sub("seg")), std::string::npos) << again.status().message();
  EXPECT_FALSE(fs.OpenRandomRWFile(dir.Sub("nope"), OpenMode::kOpenExisting).ok());
  auto created = fs.OpenRandomRWFile(dir.Sub("new"), OpenMode::kOpenOrCreate);
  ASSERT_OK(created);
  EXPECT_EQ((*created)->Size().value(), 0u);
  auto read_only = fs.OpenRandomRWFile(dir.Sub("seg"), OpenMode::kOpenExisting, /*writable=*/false);
  ASSERT_OK(read_only);
  EXPECT_FALSE((*read_only)->WriteAt(0, Parts({"x"})).ok());
}

TEST(FileSystemTest, DurableWriteTemporariesAreRecognised) {
  EXPECT_TRUE(IsDurableWriteTemporary("high-watermark-checkpoint.0123456789abcdef.tmp"));
  EXPECT_FALSE(IsDurableWriteTemporary("high-watermark-checkpoint.tmp"));
  EXPECT_FALSE(IsDurableWriteTemporary("x.0123456789abcdeg.tmp"));
  EXPECT_FALSE(IsDurableWriteTemporary("00000000000000000000.log"));
}

TEST(FaultInjectionFileSystemTest, APowerCutGivesARandomRWFileBackItsContentAtTheLastSync) {
  TempDir dir;
  Write(dir.Sub("old"), "0123456789");
  FaultInjectionFileSystem fs;
  ASSERT_OK(fs.SyncDirectory(dir.path()));
  {
    auto f = fs.OpenRandomRWFile(dir.Sub("old"), OpenMode::kOpenExisting).value();
    ASSERT_OK(f->WriteAt(2, Parts({"ab"})));
    ASSERT_OK(f->Sync());  // durable: 01ab456789
    ASSERT_OK(f->WriteAt(0, Parts({"zz"})));
    ASSERT_OK(f->Truncate(6));
    ASSERT_OK(f->Allocate(6, 100));
  }
  {
    auto f = fs.OpenRandomRWFile(dir.Sub("untouched-since-open"), OpenMode::kOpenOrCreate).value();
    ASSERT_OK(fs.SyncDirectory(dir.path()));  // the name is durable, the bytes never synced
    ASSERT_OK(f->WriteAt(0, Parts({"lost"})));
  }
  {
    auto f = fs.OpenRandomRWFile(dir.Sub("unnamed"), OpenMode::kCreateNew).value();
    ASSERT_OK(f->WriteAt(0, Parts({"synced, but its name is not"})));
    ASSERT_OK(f->Sync());
  }
  // sync dir; open, write, sync, write, truncate, allocate; open, sync dir, write; create, write, sync
  EXPECT_EQ(fs.operations(), 13);
  ASSERT_OK(fs.PowerCut());
  EXPECT_EQ(Read(dir.Sub("old")), "01ab456789");
  EXPECT_EQ(Read(dir.Sub("untouched-since-open")), "");
  EXPECT_FALSE(sfs::exists(dir.Sub("unnamed")));
}

TEST(FaultInjectionFileSystemTest, AFailedPositionalWriteChangesNothing) {
  TempDir dir;
  Write(dir.Sub("f"), "abc");
  FaultInjectionFileSystem fs;
  auto f = fs.OpenRandomRWFile(dir.Sub("f"), OpenMode::kOpenExisting).value();
  fs.FailFrom(2);
  Status st = f->WriteAt(3, Parts({"def"}));
  EXPECT_NE(st.message().find("injected fault"), std::string::npos) << st.message();
  EXPECT_FALSE(f->Truncate(0).ok());
  EXPECT_FALSE(f->Allocate(0, 4096).ok());
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_EQ(Read(dir.Sub("f")), "abc");
  // Reads are not operations and still work.
  EXPECT_EQ(ReadAllOf(*f), "abc");
  EXPECT_EQ(fs.operations(), 5);
}

TEST(FaultInjectionFileSystemTest, SyncFileSystemMakesDeferredWritesDurable) {
  TempDir dir;
  {
    FaultInjectionFileSystem fs;
    ASSERT_OK(WriteFileDurably(fs, dir.Sub("deferred"), std::string_view("x"), Durability::kAtNextSyncFileSystem));
    ASSERT_OK(fs.PowerCut());
    EXPECT_FALSE(sfs::exists(dir.Sub("deferred")));  // neither its bytes nor its name were synced
  }
  FaultInjectionFileSystem fs;
  ASSERT_OK(WriteFileDurably(fs, dir.Sub("deferred"), std::string_view("x"), Durability::kAtNextSyncFileSystem));
  {
    auto f = fs.OpenRandomRWFile(dir.Sub("rw"), OpenMode::kCreateNew).value();
    ASSERT_OK(f->WriteAt(0, Parts({"rw"})));
  }
  ASSERT_OK(fs.SyncFileSystem(dir.path()));
  ASSERT_OK(fs.PowerCut());
  EXPECT_EQ(Read(dir.Sub("deferred")), "x");
  EXPECT_EQ(Read(dir.Sub("rw")), "rw");
  EXPECT_EQ(FileSystem::Local().ListDirectory(dir.path()).value().size(), 2u) << "a temporary file was left";
}

TEST(FaultInjectionFileSystemTest, ATornPowerCutKeepsHalfOfWhatAFileGainedSinceItsSync) {
  TempDir dir;
  Write(dir.Sub("rw-grown"), "0123");
  Write(dir.Sub("rw-overwritten"), "0123");
  FaultInjectionFileSystem fs;
  {
    auto f = fs.NewWritableFile(dir.Sub("appended")).value();
    ASSERT_OK(f->Append(Bytes("abc")));
    ASSERT_OK(f->Sync());
    ASSERT_OK(f->Append(Bytes("defg")));
  }
  {
    auto f = fs.OpenRandomRWFile(dir.Sub("rw-grown"), OpenMode::kOpenExisting).value();
    ASSERT_OK(f->WriteAt(4, Parts({"4567"})));
  }
  {
    auto f = fs.OpenRandomRWFile(dir.Sub("rw-overwritten"), OpenMode::kOpenExisting).value();
    ASSERT_OK(f->WriteAt(2, Parts({"xxxxx"})));  // changed in place, then grown: not a torn append
  }
  ASSERT_OK(fs.SyncDirectory(dir.path()));
  ASSERT_OK(fs.PowerCut(FaultInjectionFileSystem::PowerCutTail::kTorn));
  EXPECT_EQ(Read(dir.Sub("appended")), "abcde");
  EXPECT_EQ(Read(dir.Sub("rw-grown")), "012345");
  EXPECT_EQ(Read(dir.Sub("rw-overwritten")), "0123");
}

}  // namespace
}  // namespace fluss
