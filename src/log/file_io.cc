#include "log/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <climits>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fluss {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string reason = std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) reason += " (disk full: the append is refused, the log stays readable)";
  return Status(ErrorCode::kLogStorageException, fmt::format("{} '{}' failed: {}", what, path, reason));
}

Result<std::shared_ptr<LogFile>> LogFile::Open(const std::string& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC;
  if (create) flags |= O_CREAT | O_EXCL;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus("fstat", path, err);
  }
  return std::shared_ptr<LogFile>(new LogFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

LogFile::~LogFile() { ::close(fd_); }

Status LogFile::AppendParts(std::span<const std::span<const uint8_t>> parts) {
  const uint64_t start = size();
  uint64_t total = 0;
  std::vector<iovec> iov;
  iov.reserve(parts.size());
  for (auto p : parts) {
    if (p.empty()) continue;
    iov.push_back({const_cast<uint8_t*>(p.data()), p.size()});
    total += p.size();
  }
  size_t first = 0;  // first iovec not fully written
  uint64_t done = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::pwritev(fd_, iov.data() + first, count, static_cast<off_t>(start + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
        return ErrnoStatus("ftruncate after failed write of", path_, errno).WithContext(std::strerror(err));
      }
      return ErrnoStatus(fmt::format("append of {} bytes at position {} to", total, start), path_, err);
    }
    done += static_cast<uint64_t>(n);
    size_t left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  size_.store(start + total, std::memory_order_release);
  return Status::OK();
}

Status LogFile::Append(std::span<const uint8_t> data) {
  const std::span<const uint8_t> parts[] = {data};
  return AppendParts(parts);
}

Status LogFile::ReadUpTo(uint64_t position, size_t n, std::vector<uint8_t>* out) const {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(position + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("pread", path_, errno);
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  out->resize(done);
  return Status::OK();
}

Result<Buffer> LogFile::ReadAt(uint64_t position, size_t n) const {
  if (n == 0) return Buffer();
  // Not zero-filled first (a fetch reads megabytes): pread overwrites every byte kept.
  std::shared_ptr<uint8_t[]> bytes(new uint8_t[n]);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, bytes.get() + done, n - done, static_cast<off_t>(position + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("pread", path_, errno);
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  if (done != n) {
    return Status::Corruption(
        fmt::format("short read of '{}': {} bytes at position {}, only {} present", path_, n, position, done));
  }
  const uint8_t* data = bytes.get();
  return Buffer::Wrap(std::shared_ptr<const void>(std::move(bytes), data), data, n);
}

void LogFile::StartWriteback(uint64_t min_bytes) {
  const uint64_t end = size();
  if (writeback_start_ > end) writeback_start_ = end;  // after a truncation
  if (end - writeback_start_ < min_bytes) return;
  // Best effort: an error here changes nothing (Flush reports real write errors).
  (void)::sync_file_range(fd_, static_cast<off_t>(writeback_start_), static_cast<off_t>(end - writeback_start_),
                          SYNC_FILE_RANGE_WRITE);
  writeback_start_ = end;
}

Status LogFile::Flush() const {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
  return Status::OK();
}

Status LogFile::TruncateTo(uint64_t new_size) {
  if (::ftruncate(fd_, static_cast<off_t>(new_size)) != 0) return ErrnoStatus("ftruncate", path_, errno);
  size_.store(new_size, std::memory_order_release);
  return Status::OK();
}

Status LogFile::RenameTo(const std::string& new_path) {
  if (::rename(path_.c_str(), new_path.c_str()) != 0) return ErrnoStatus("rename to " + new_path + " of", path_, errno);
  path_ = new_path;
  return Status::OK();
}

Result<Buffer> FileRegion::Read() const {
  if (size == 0) return Buffer();
  return file->ReadAt(position, size);
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open", tmp, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoStatus("write", tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus("fsync", tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename", tmp, errno);
  return SyncDirectory(std::filesystem::path(path).parent_path().string());
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync directory", dir, err);
  return Status::OK();
}

}  // namespace fluss
