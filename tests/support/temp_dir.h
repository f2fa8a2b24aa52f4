// The tests' one temporary directory and file-reading helper (header-only; any test target can
// include "support/temp_dir.h").
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fluss::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction (kept when
// FLUSS_KEEP_TEST_DIRS=1, to look at after a failure).
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fluss-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    const char* keep = std::getenv("FLUSS_KEEP_TEST_DIRS");
    if (keep != nullptr && std::string_view(keep) == "1") return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (not created).
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// The whole file as bytes; empty when it cannot be read.
inline std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace fluss::testing
