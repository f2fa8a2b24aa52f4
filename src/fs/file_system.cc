#include "fs/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fmt/format.h>

namespace fluss {

namespace {

Status Errno(std::string_view what, const std::string& path, int err) {
  return Status::IOError(fmt::format("{} '{}': {}", what, path, std::strerror(err)));
}

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

  Status CreateDirectories(const std::string& path) override {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return Status::OK();
    const std::string parent = ParentDirectory(path);
    if (parent != path && parent != "." && parent != "/") FLUSS_RETURN_NOT_OK(CreateDirectories(parent));
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", path, errno);
    return SyncDirectory(parent);
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

Status WriteFileDurably(FileSystem& fs, const std::string& path, std::span<const uint8_t> bytes) {
  const std::string tmp = fmt::format("{}.{:016x}.tmp", path, RandomSuffix());
  auto write = [&]() -> Status {
    FLUSS_ASSIGN_OR_RETURN(auto file, fs.NewWritableFile(tmp));
    FLUSS_RETURN_NOT_OK(file->Append(bytes));
    FLUSS_RETURN_NOT_OK(file->Sync());
    FLUSS_RETURN_NOT_OK(file->Close());
    return fs.Rename(tmp, path);
  };
  Status st = write();
  if (!st.ok()) {
    (void)fs.Remove(tmp);
    return st;
  }
  return fs.SyncDirectory(ParentDirectory(path));
}

Status WriteFileDurably(FileSystem& fs, const std::string& path, std::string_view text) {
  return WriteFileDurably(fs, path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace fluss
