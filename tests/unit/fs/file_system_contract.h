// The FileSystem contract every implementation keeps, as functions of (file system, root directory):
// run on the local file system by file_system_contract_test.cc and on S3 (against s3rver) by
// tests/interop/s3_file_system_test.cc. Only what holds on both: no links, no random-access files,
// no atomic rename, no durability of names (those are the local file system's alone).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fs/file_system.h"
#include "support/status_macros.h"

namespace fluss::contract {

inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string Text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

inline void WriteText(FileSystem& fs, const std::string& path, std::string_view text) {
  ASSERT_OK(fs.CreateDirectories(ParentDirectory(path)));
  auto file = fs.NewWritableFile(path);
  ASSERT_OK(file);
  ASSERT_OK((*file)->Append(Bytes(text.substr(0, text.size() / 2))));
  ASSERT_OK((*file)->Append(Bytes(text.substr(text.size() / 2))));
  EXPECT_EQ((*file)->size(), text.size());
  ASSERT_OK((*file)->Sync());
  ASSERT_OK((*file)->Close());
}

inline std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A file written in two appends reads back whole, by range and by size.
inline void WriteReadRangeAndSize(FileSystem& fs, const std::string& root) {
  const std::string path = root + "/dir/file.log";
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, path, "0123456789abcdef"));
  auto all = fs.ReadFile(path);
  ASSERT_OK(all);
  EXPECT_EQ(Text(*all), "0123456789abcdef");
  auto size = fs.FileSize(path);
  ASSERT_OK(size);
  EXPECT_EQ(*size, 16u);
  auto mid = fs.ReadRange(path, 3, 5);
  ASSERT_OK(mid);
  EXPECT_EQ(Text(*mid), "34567");
  auto tail = fs.ReadRange(path, 12, 100);  // fewer at the end
  ASSERT_OK(tail);
  EXPECT_EQ(Text(*tail), "cdef");
  auto past = fs.ReadRange(path, 16, 4);  // none at or after it
  ASSERT_OK(past);
  EXPECT_TRUE(past->empty());
  auto none = fs.ReadRange(path, 2, 0);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  // Writing again replaces the content.
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, path, "new"));
  auto again = fs.ReadFile(path);
  ASSERT_OK(again);
  EXPECT_EQ(Text(*again), "new");
}

// A missing file: NotFound from every read, false from Exists, OK from Remove and RemoveAll.
inline void MissingFile(FileSystem& fs, const std::string& root) {
  const std::string path = root + "/missing/file";
  EXPECT_EQ(fs.ReadFile(path).status().kind(), StatusCode::kNotFound);
  EXPECT_EQ(fs.ReadRange(path, 0, 10).status().kind(), StatusCode::kNotFound);
  EXPECT_EQ(fs.FileSize(path).status().kind(), StatusCode::kNotFound);
  auto exists = fs.Exists(path);
  ASSERT_OK(exists);
  EXPECT_FALSE(*exists);
  EXPECT_OK(fs.Remove(path));
  EXPECT_OK(fs.RemoveAll(root + "/missing"));
}

// Files and subdirectories of a directory by name; Exists of both; a sibling that shares the name's
// prefix ("dir" and "dirx") is neither listed nor removed with it.
inline void ListExistsRemoveAll(FileSystem& fs, const std::string& root) {
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/tree/a", "a"));
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/tree/b", "bb"));
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/tree/sub/c", "ccc"));
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/tree/sub/deeper/d", "d"));
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/treex/e", "e"));
  auto names = fs.ListDirectory(root + "/tree");
  ASSERT_OK(names);
  EXPECT_EQ(Sorted(*names), (std::vector<std::string>{"a", "b", "sub"}));
  auto sub = fs.ListDirectory(root + "/tree/sub");
  ASSERT_OK(sub);
  EXPECT_EQ(Sorted(*sub), (std::vector<std::string>{"c", "deeper"}));
  for (const char* p : {"/tree", "/tree/a", "/tree/sub", "/tree/sub/deeper/d"}) {
    auto e = fs.Exists(root + p);
    ASSERT_OK(e);
    EXPECT_TRUE(*e) << p;
  }
  ASSERT_OK(fs.Remove(root + "/tree/a"));
  auto gone = fs.Exists(root + "/tree/a");
  ASSERT_OK(gone);
  EXPECT_FALSE(*gone);
  ASSERT_OK(fs.RemoveAll(root + "/tree"));
  for (const char* p : {"/tree", "/tree/b", "/tree/sub/c"}) {
    auto e = fs.Exists(root + p);
    ASSERT_OK(e);
    EXPECT_FALSE(*e) << p;
  }
  auto kept = fs.ReadFile(root + "/treex/e");
  ASSERT_OK(kept);
  EXPECT_EQ(Text(*kept), "e");
}

// Rename moves the content to the new name (replacing what was there) and the old name is gone.
inline void RenameMovesTheContent(FileSystem& fs, const std::string& root) {
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/r/from", "moved"));
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/r/to", "old"));
  ASSERT_OK(fs.Rename(root + "/r/from", root + "/r/to"));
  auto to = fs.ReadFile(root + "/r/to");
  ASSERT_OK(to);
  EXPECT_EQ(Text(*to), "moved");
  auto from = fs.Exists(root + "/r/from");
  ASSERT_OK(from);
  EXPECT_FALSE(*from);
  EXPECT_EQ(fs.Rename(root + "/r/absent", root + "/r/x").kind(), StatusCode::kNotFound);
}

// An empty file exists and reads back empty.
inline void EmptyFile(FileSystem& fs, const std::string& root) {
  ASSERT_NO_FATAL_FAILURE(WriteText(fs, root + "/empty", ""));
  auto all = fs.ReadFile(root + "/empty");
  ASSERT_OK(all);
  EXPECT_TRUE(all->empty());
  auto size = fs.FileSize(root + "/empty");
  ASSERT_OK(size);
  EXPECT_EQ(*size, 0u);
}

}  // namespace fluss::contract
