#include "fs/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fmt/format.h>

namespace fluss {

namespace {

// The error of a failed system call on `path`: NotFound for a missing file or directory,
// AlreadyExists for one that must not exist, IOError for everything else (a full disk says so).
Status Errno(std::string_view what, const std::string& path, int err) {
  const char* full = err == ENOSPC || err == EDQUOT ? " (disk full)" : "";
  std::string message = fmt::format("{} '{}': {}{}", what, path, std::strerror(err), full);
  if (err == ENOENT) return Status::NotFound(std::move(message));
  if (err == EEXIST) return Status::AlreadyExists(std::move(message));
  return Status::IOError(std::move(message));
}

class PosixRandomRWFile final : public RandomRWFile {
 public:
  PosixRandomRWFile(std::string path, int fd) : RandomRWFile(std::move(path)), fd_(fd) {}
  ~PosixRandomRWFile() override { ::close(fd_); }

  int native_handle() const override { return fd_; }

  Result<uint64_t> Size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return Errno("fstat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status WriteAt(uint64_t position, std::span<const std::span<const uint8_t>> parts) override {
    iovec small[8];
    std::vector<iovec> large;
    iovec* iov = small;
    if (parts.size() > std::size(small)) {
      large.resize(parts.size());
      iov = large.data();
    }
    size_t count = 0;
    uint64_t total = 0;
    for (auto p : parts) {
      if (p.empty()) continue;
      iov[count++] = {const_cast<uint8_t*>(p.data()), p.size()};
      total += p.size();
    }
    size_t first = 0;  // first iovec not fully written
    uint64_t done = 0;
    while (first < count) {
      const int n_iov = static_cast<int>(std::min<size_t>(count - first, IOV_MAX));
      ssize_t n = ::pwritev(fd_, iov + first, n_iov, static_cast<off_t>(position + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Errno(fmt::format("write of {} bytes at position {} to", total, position), path_, n < 0 ? errno : ENOSPC);
      }
      done += static_cast<uint64_t>(n);
      size_t left = static_cast<size_t>(n);
      while (first < count && left >= iov[first].iov_len) left -= iov[first++].iov_len;
      if (left > 0) {
        iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    return Status::OK();
  }

  Result<size_t> ReadAt(uint64_t position, std::span<uint8_t> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t r = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(position + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Errno("read", path_, errno);
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Errno("truncate", path_, errno);
    return Status::OK();
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    int rc = ::posix_fallocate(fd_, static_cast<off_t>(offset), static_cast<off_t>(length));
    if (rc == EOPNOTSUPP || rc == EINVAL) {
      // A file system that cannot reserve: extend the file (its pages are allocated when written).
      FLUSS_ASSIGN_OR_RETURN(uint64_t size, Size());
      if (size < offset + length) return Truncate(offset + length);
      return Status::OK();
    }
    if (rc != 0) return Errno(fmt::format("allocate {} bytes at position {} of", length, offset), path_, rc);
    return Status::OK();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("fdatasync", path_, errno);
    return Status::OK();
  }

  void StartWriteback(uint64_t offset, uint64_t length) override {
    (void)::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
  }

 private:
  const int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : WritableFile(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::span<const uint8_t> data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Errno("write to", path_, n < 0 ? errno : ENOSPC);
      done += static_cast<size_t>(n);
    }
    size_ += data.size();
    return Status::OK();
  }

  Status Sync() override {
    if (::fsync(fd_) != 0) return Errno("fsync", path_, errno);
    return Status::OK();
  }

  Status Close() override {
    const int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return Errno("close", path_, errno);
    return Status::OK();
  }

 private:
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    std::vector<uint8_t> out;
    uint8_t buf[65536];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return Errno("read", path, err);
      }
      if (n == 0) break;
      out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
  }

  Result<std::vector<uint8_t>> ReadRange(const std::string& path, uint64_t offset, uint64_t length) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return Errno("fstat", path, err);
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    std::vector<uint8_t> out(offset >= size ? 0 : std::min(length, size - offset));
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return Errno(fmt::format("read of {} bytes at position {} of", length, offset), path, err);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Errno("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status CreateDirectories(const std::string& path) override {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return Status::OK();
    const std::string parent = ParentDirectory(path);
    if (parent != path && parent != "." && parent != "/") FLUSS_RETURN_NOT_OK(CreateDirectories(parent));
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", path, errno);
    return SyncDirectory(parent);
  }

  Status CreateDirectoryUnsynced(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) == 0) return Status::OK();
    const int err = errno;
    std::error_code ec;
    if (err == EEXIST && std::filesystem::is_directory(path, ec)) return Status::OK();
    return Errno("mkdir", path, err);
  }

  Status SyncDirectory(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open directory", path, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Errno("fsync directory", path, err);
    return Status::OK();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename to '" + to + "' of", from, errno);
    return Status::OK();
  }

  Result<bool> LinkIfAbsent(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) == 0) return true;
    if (errno == EEXIST) return false;
    return Errno("link to '" + to + "' of", from, errno);
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("remove", path, errno);
    return Status::OK();
  }

  Status RemoveAll(const std::string& path) override {
    // A file or an empty directory goes without opening anything (remove(3): unlink or rmdir), so
    // undoing a create that failed for want of descriptors (EMFILE) still works; a directory with
    // entries is walked (which needs a descriptor per level).
    if (::remove(path.c_str()) == 0 || errno == ENOENT) return Status::OK();
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return Status::IOError(fmt::format("remove '{}': {}", path, ec.message()));
    return Status::OK();
  }

  Result<bool> Exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return Errno("stat", path, errno);
  }

  Result<std::unique_ptr<RandomRWFile>> OpenRandomRWFile(const std::string& path, OpenMode mode,
                                                         bool writable) override {
    int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    if (mode == OpenMode::kCreateNew) flags |= O_CREAT | O_EXCL;
    if (mode == OpenMode::kOpenOrCreate) flags |= O_CREAT;
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return Errno(mode == OpenMode::kCreateNew ? "create" : "open", path, errno);
    return std::unique_ptr<RandomRWFile>(new PosixRandomRWFile(path, fd));
  }

  Status SyncFileSystem(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    int rc = ::syncfs(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Errno("syncfs of the file system of", path, err);
    return Status::OK();
  }

  Result<std::vector<std::string>> ListDirectory(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return Errno("list", path, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }
};

uint64_t RandomSuffix() {
  static std::atomic<uint64_t> counter{std::random_device{}()};
  return counter.fetch_add(0x9e3779b97f4a7c15ULL);
}

}  // namespace

Result<std::unique_ptr<RandomRWFile>> FileSystem::OpenRandomRWFile(const std::string& path, OpenMode, bool) {
  return Status::NotSupported(fmt::format("open '{}' for positional writes: not supported by this file system", path));
}

Result<std::vector<uint8_t>> FileSystem::ReadRange(const std::string& path, uint64_t offset, uint64_t length) {
  FLUSS_ASSIGN_OR_RETURN(auto all, ReadFile(path));
  if (offset >= all.size()) return std::vector<uint8_t>{};
  const uint64_t n = std::min<uint64_t>(length, all.size() - offset);
  return std::vector<uint8_t>(all.begin() + static_cast<ptrdiff_t>(offset), all.begin() + static_cast<ptrdiff_t>(offset + n));
}

Result<uint64_t> FileSystem::FileSize(const std::string& path) {
  FLUSS_ASSIGN_OR_RETURN(auto all, ReadFile(path));
  return static_cast<uint64_t>(all.size());
}

Status FileSystem::CreateDirectoryUnsynced(const std::string& path) { return CreateDirectories(path); }

Status FileSystem::SyncFileSystem(const std::string& path) {
  return Status::NotSupported(fmt::format("sync the file system of '{}': not supported by this file system", path));
}

FileSystem& FileSystem::Local() {
  static PosixFileSystem local;  // stateless
  return local;
}

std::string ParentDirectory(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

Status WriteFileDurably(FileSystem& fs, const std::string& path, std::span<const uint8_t> bytes,
                        Durability durability) {
  const bool now = durability == Durability::kNow;
  const std::string tmp = fmt::format("{}.{:016x}.tmp", path, RandomSuffix());
  auto write = [&]() -> Status {
    FLUSS_ASSIGN_OR_RETURN(auto file, fs.NewWritableFile(tmp));
    FLUSS_RETURN_NOT_OK(file->Append(bytes));
    if (now) FLUSS_RETURN_NOT_OK(file->Sync());
    FLUSS_RETURN_NOT_OK(file->Close());
    return fs.Rename(tmp, path);
  };
  Status st = write();
  if (!st.ok()) {
    (void)fs.Remove(tmp);
    return st;
  }
  return now ? fs.SyncDirectory(ParentDirectory(path)) : Status::OK();
}

Status WriteFileDurably(FileSystem& fs, const std::string& path, std::string_view text, Durability durability) {
  return WriteFileDurably(fs, path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), durability);
}

bool IsDurableWriteTemporary(std::string_view name) {
  constexpr std::string_view kSuffix = ".tmp";
  constexpr size_t kHex = 16;
  if (name.size() < 1 + kHex + kSuffix.size() + 1 || !name.ends_with(kSuffix)) return false;
  const std::string_view hex = name.substr(name.size() - kSuffix.size() - kHex, kHex);
  if (name[name.size() - kSuffix.size() - kHex - 1] != '.') return false;
  return std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace fluss
