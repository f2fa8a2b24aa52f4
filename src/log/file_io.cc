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

FileDescriptor::~FileDescriptor() { ::close(fd_); }

namespace {

Result<Buffer> PreadExactly(int fd, const std::string& path, uint64_t position, size_t n) {
  if (n == 0) return Buffer();
  // Not zero-filled first (a fetch reads megabytes): pread overwrites every byte kept.
  std::shared_ptr<uint8_t[]> bytes(new uint8_t[n]);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, bytes.get() + done, n - done, static_cast<off_t>(position + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("pread", path, errno);
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  if (done != n) {
    return Status::Corruption(
        fmt::format("short read of '{}': {} bytes at position {}, only {} present", path, n, position, done));
  }
  const uint8_t* data = bytes.get();
  return Buffer::Wrap(std::shared_ptr<const void>(std::move(bytes), data), data, n);
}

}  // namespace

Result<std::shared_ptr<LogFile>> LogFile::Open(const std::string& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC;
  if (create) flags |= O_CREAT | O_EXCL;
  int raw = ::open(path.c_str(), flags, 0644);
  if (raw < 0) return ErrnoStatus("open", path, errno);
  auto fd = std::make_shared<const FileDescriptor>(raw);
  struct stat st {};
  if (::fstat(raw, &st) != 0) return ErrnoStatus("fstat", path, errno);
  return std::shared_ptr<LogFile>(new LogFile(path, std::move(fd), static_cast<uint64_t>(st.st_size)));
}

std::string LogFile::path() const {
  std::lock_guard lock(mu_);
  return path_;
}

std::shared_ptr<const FileDescriptor> LogFile::descriptor() const {
  std::lock_guard lock(mu_);
  return fd_;
}

void LogFile::Close() {
  std::shared_ptr<const FileDescriptor> closing;
  std::lock_guard lock(mu_);
  closing.swap(fd_);
}

Status LogFile::Reopen() {
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (fd_ != nullptr) return Status::OK();
    path = path_;
  }
  int raw = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (raw < 0) return ErrnoStatus("reopen", path, errno);
  auto fd = std::make_shared<const FileDescriptor>(raw);
  struct stat st {};
  if (::fstat(raw, &st) != 0) return ErrnoStatus("fstat", path, errno);
  if (static_cast<uint64_t>(st.st_size) < size()) {
    return Status(ErrorCode::kLogStorageException,
                  fmt::format("log file '{}' shrank to {} bytes while closed (it had {})", path,
                              static_cast<uint64_t>(st.st_size), size()));
  }
  std::lock_guard lock(mu_);
  fd_ = std::move(fd);
  return Status::OK();
}

Result<std::shared_ptr<const FileDescriptor>> LogFile::Descriptor() const {
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (fd_ != nullptr) return fd_;
    path = path_;
  }
  int raw = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (raw < 0) return ErrnoStatus("open", path, errno);
  return std::make_shared<const FileDescriptor>(raw);
}

Status LogFile::AppendParts(std::span<const std::span<const uint8_t>> parts) {
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, Descriptor());
  const int fd = descriptor->get();
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
    ssize_t n = ::pwritev(fd, iov.data() + first, count, static_cast<off_t>(start + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      if (::ftruncate(fd, static_cast<off_t>(start)) != 0) {
        return ErrnoStatus("ftruncate after failed write of", path(), errno).WithContext(std::strerror(err));
      }
      return ErrnoStatus(fmt::format("append of {} bytes at position {} to", total, start), path(), err);
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
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, Descriptor());
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(descriptor->get(), out->data() + done, n - done, static_cast<off_t>(position + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("pread", path(), errno);
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  out->resize(done);
  return Status::OK();
}

Result<Buffer> LogFile::ReadAt(uint64_t position, size_t n) const {
  if (n == 0) return Buffer();
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, Descriptor());
  return PreadExactly(descriptor->get(), path(), position, n);
}

void LogFile::StartWriteback(uint64_t min_bytes) {
  auto descriptor = this->descriptor();
  if (descriptor == nullptr) return;
  const uint64_t end = size();
  if (writeback_start_ > end) writeback_start_ = end;  // after a truncation
  if (end - writeback_start_ < min_bytes) return;
  // Best effort: an error here changes nothing (Flush reports real write errors).
  (void)::sync_file_range(descriptor->get(), static_cast<off_t>(writeback_start_),
                          static_cast<off_t>(end - writeback_start_), SYNC_FILE_RANGE_WRITE);
  writeback_start_ = end;
}

Status LogFile::Flush() const {
  auto descriptor = Descriptor();
  if (!descriptor.ok()) {
    // Closed by the budget and deleted (renamed, unlinked) since: nothing is left to make durable.
    if (!this->descriptor() && !std::filesystem::exists(path())) return Status::OK();
    return descriptor.status();
  }
  if (::fdatasync((*descriptor)->get()) != 0) return ErrnoStatus("fdatasync", path(), errno);
  return Status::OK();
}

Status LogFile::TruncateTo(uint64_t new_size) {
  FLUSS_ASSIGN_OR_RETURN(auto descriptor, Descriptor());
  if (::ftruncate(descriptor->get(), static_cast<off_t>(new_size)) != 0) return ErrnoStatus("ftruncate", path(), errno);
  size_.store(new_size, std::memory_order_release);
  return Status::OK();
}

Status LogFile::RenameTo(const std::string& new_path) {
  std::lock_guard lock(mu_);
  if (::rename(path_.c_str(), new_path.c_str()) != 0) return ErrnoStatus("rename to " + new_path + " of", path_, errno);
  path_ = new_path;
  return Status::OK();
}

Result<Buffer> FileRegion::Read() const {
  if (size == 0) return Buffer();
  if (descriptor == nullptr) return file->ReadAt(position, size);
  return PreadExactly(descriptor->get(), file->path(), position, size);
}

Status WriteFileAtomically(const std::string& path, std::string_view content, bool sync) {
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
  if (sync && ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus("fsync", tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename", tmp, errno);
  if (!sync) return Status::OK();
  return SyncDirectory(std::filesystem::path(path).parent_path().string());
}

Status SyncFileSystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("syncfs", path, err);
  return Status::OK();
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
