// A full disk in a test: FileSizeLimit caps the size of any file this process writes or allocates
// (RLIMIT_FSIZE) while it lives; writes past it fail with EFBIG after writing what fits, as a full
// disk fails with ENOSPC. Header-only; any test target can include "support/file_size_limit.h".
#pragma once

#include <signal.h>
#include <sys/resource.h>

namespace fluss::testing {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit r = saved_;
    r.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &saved_); }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
};

}  // namespace fluss::testing
