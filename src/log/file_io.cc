#include "log/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
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

Status LogFile::Append(std::span<const uint8_t> data) {
  const uint64_t start = size();
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(start + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;  // a zero-byte write on a regular file means no room
      // Cut any partial write back so the bytes on disk end where the log ends.
      if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
        return ErrnoStatus("ftruncate after failed write of", path_, errno).WithContext(std::strerror(err));
      }
      return ErrnoStatus(fmt::format("append of {} bytes at position {} to", data.size(), start), path_, err);
    }
    done += static_cast<size_t>(n);
  }
  size_.store(start + data.size(), std::memory_order_release);
  return Status::OK();
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
  std::vector<uint8_t> bytes;
  FLUSS_RETURN_NOT_OK(ReadUpTo(position, n, &bytes));
  if (bytes.size() != n) {
    return Status::Corruption(
        fmt::format("short read of '{}': {} bytes at position {}, only {} present", path_, n, position, bytes.size()));
  }
  return Buffer::FromVector(std::move(bytes));
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
