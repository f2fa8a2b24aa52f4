#include "log/index_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "log/file_io.h"

namespace fluss {

namespace {

// Closes a descriptor at the end of a scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedIndexFile::~MappedIndexFile() { Unmap(); }

void MappedIndexFile::Unmap() {
  if (data_ != nullptr) ::munmap(data_, mapped_bytes_);
  data_ = nullptr;
  mapped_bytes_ = 0;
}

Result<int> MappedIndexFile::OpenFd(bool writable) const {
  int fd = ::open(path_.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path_, errno);
  return fd;
}

Status MappedIndexFile::MapFd(int fd, bool writable) {
  Unmap();
  released_ = false;
  if (file_size_ == 0) return Status::OK();
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, file_size_, prot, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus("mmap", path_, errno);
  data_ = static_cast<uint8_t*>(p);
  mapped_bytes_ = file_size_;
  return Status::OK();
}

Status MappedIndexFile::OpenFile(bool writable, int64_t max_bytes) {
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open", path_, errno);
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("fstat", path_, errno);
  file_size_ = static_cast<uint64_t>(st.st_size);
  FLUSS_RETURN_NOT_OK(MapFd(fd, false));
  const size_t on_disk_entries = allocated_entries();
  size_t n = 0;
  while (n < on_disk_entries && !IsAfterEnd(n)) ++n;
  entries_ = n;
  max_entries_ = n;
  had_trailing_garbage_ = false;
  for (size_t i = n * entry_size_; i < on_disk_entries * entry_size_ && !had_trailing_garbage_; ++i) {
    had_trailing_garbage_ = data_[i] != 0;
  }
  if (writable) return MakeWritable(max_bytes);
  return Status::OK();
}

Status MappedIndexFile::MakeWritable(int64_t max_bytes) {
  const size_t max = std::max(static_cast<size_t>(max_bytes) / entry_size_, entries_ + 1);
  const uint64_t keep = entries_ * entry_size_;
  FLUSS_ASSIGN_OR_RETURN(int fd, OpenFd(true));
  FdCloser closer{fd};
  if (file_size_ != keep) {
    // What follows the entries (zeros of an untrimmed file, or garbage) goes: growth steps allocate
    // fresh, zeroed room.
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) return ErrnoStatus("ftruncate", path_, errno);
    file_size_ = keep;
    dirty_ = true;
  }
  FLUSS_RETURN_NOT_OK(MapFd(fd, true));
  max_entries_ = max;
  writable_ = true;
  return Status::OK();
}

Status MappedIndexFile::Reserve(size_t n) {
  const size_t need = std::min(entries_ + n, max_entries_);
  if (need <= allocated_entries()) return Status::OK();
  if (!writable_) return Status::Internal(fmt::format("index '{}' is read-only", path_));
  if (released_) return Status::Internal(fmt::format("index '{}' is not mapped", path_));
  const uint64_t need_bytes = need * entry_size_;
  const uint64_t max_bytes = max_entries_ * entry_size_;
  uint64_t target = std::max<uint64_t>(kFirstGrowthBytes, file_size_ * 2);
  while (target < need_bytes) target *= 2;
  return GrowTo(std::min(target, max_bytes));
}

Status MappedIndexFile::GrowTo(uint64_t bytes) {
  FLUSS_ASSIGN_OR_RETURN(int fd, OpenFd(true));
  FdCloser closer{fd};
  const uint64_t old_size = file_size_;
  // Allocate the step on disk before it is mapped: a full disk fails here, not on a mapped page.
  int rc = ::posix_fallocate(fd, static_cast<off_t>(old_size), static_cast<off_t>(bytes - old_size));
  if (rc == EOPNOTSUPP || rc == EINVAL) {
    // A file system without fallocate: extend the file (the pages are allocated when written).
    if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) return ErrnoStatus("ftruncate", path_, errno);
  } else if (rc != 0) {
    (void)!::ftruncate(fd, static_cast<off_t>(old_size));  // drop whatever part was allocated
    return ErrnoStatus(fmt::format("growing the index from {} to {} bytes:", old_size, bytes), path_, rc);
  }
  file_size_ = bytes;
  if (Status st = MapFd(fd, true); !st.ok()) {
    file_size_ = old_size;
    (void)!::ftruncate(fd, static_cast<off_t>(old_size));
    Status remap = MapFd(fd, true);
    if (!remap.ok()) released_ = true;  // EnsureMapped retries
    return st;
  }
  return Status::OK();
}

Status MappedIndexFile::TrimToEntries() {
  const uint64_t bytes = entries_ * entry_size_;
  if (file_size_ == bytes && !dirty_) {
    // Nothing to cut or sync: only the mapping becomes read-only.
    if (writable_ && !released_ && file_size_ > 0) {
      FLUSS_ASSIGN_OR_RETURN(int fd, OpenFd(false));
      FdCloser closer{fd};
      writable_ = false;
      FLUSS_RETURN_NOT_OK(MapFd(fd, false));
    }
    writable_ = false;
    max_entries_ = entries_;
    return Status::OK();
  }
  FLUSS_ASSIGN_OR_RETURN(int fd, OpenFd(true));
  FdCloser closer{fd};
  const bool was_released = released_;
  Unmap();
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) return ErrnoStatus("ftruncate", path_, errno);
  file_size_ = bytes;
  writable_ = false;
  max_entries_ = entries_;
  if (::fdatasync(fd) != 0) return ErrnoStatus("fdatasync", path_, errno);
  dirty_ = false;
  if (was_released) {
    released_ = true;
    return Status::OK();
  }
  return MapFd(fd, false);
}

void MappedIndexFile::TruncateToEntries(size_t n) {
  if (n >= entries_) return;
  if (writable_) std::memset(data_ + n * entry_size_, 0, (entries_ - n) * entry_size_);
  entries_ = n;
  dirty_ = true;
  if (!writable_) {
    // A read-only (trimmed) file: cut it on disk too.
    auto fd = OpenFd(true);
    if (!fd.ok()) return;
    FdCloser closer{*fd};
    if (::ftruncate(*fd, static_cast<off_t>(n * entry_size_)) == 0) file_size_ = n * entry_size_;
    max_entries_ = n;
    (void)MapFd(*fd, false);
  }
}

Status MappedIndexFile::Flush() const {
  if (!dirty_) return Status::OK();
  if (data_ != nullptr && writable_) {
    if (::msync(data_, mapped_bytes_, MS_SYNC) != 0) return ErrnoStatus("msync", path_, errno);
  } else {
    // Released (or read-only): the written pages are in the page cache; sync them through the file.
    FLUSS_ASSIGN_OR_RETURN(int fd, OpenFd(true));
    FdCloser closer{fd};
    if (::fdatasync(fd) != 0) return ErrnoStatus("fdatasync", path_, errno);
  }
  dirty_ = false;
  return Status::OK();
}

Status MappedIndexFile::RenameTo(const std::string& new_path) {
  if (::rename(path_.c_str(), new_path.c_str()) != 0) return ErrnoStatus("rename to " + new_path + " of", path_, errno);
  path_ = new_path;
  return Status::OK();
}

void MappedIndexFile::Release() {
  Unmap();
  released_ = true;
}

Status MappedIndexFile::EnsureMapped() {
  if (!released_) return Status::OK();
  if (file_size_ == 0) {
    released_ = false;
    return Status::OK();
  }
  FLUSS_ASSIGN_OR_RETURN(int fd, OpenFd(writable_));
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("fstat", path_, errno);
  if (static_cast<uint64_t>(st.st_size) < file_size_) {
    // Mapping past the end would raise SIGBUS on access: refuse.
    return Status::Corruption(fmt::format("index '{}' shrank to {} bytes while closed (it had {})", path_,
                                          static_cast<uint64_t>(st.st_size), file_size_));
  }
  return MapFd(fd, writable_);
}

}  // namespace fluss
