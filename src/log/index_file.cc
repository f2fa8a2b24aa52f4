#include "log/index_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log/file_io.h"

namespace fluss {

MappedIndexFile::~MappedIndexFile() {
  Unmap();
  if (fd_ >= 0) ::close(fd_);
}

void MappedIndexFile::Unmap() {
  if (data_ != nullptr) ::munmap(data_, mapped_bytes_);
  data_ = nullptr;
  mapped_bytes_ = 0;
}

Status MappedIndexFile::Map(size_t bytes, bool writable) {
  Unmap();
  if (bytes == 0) return Status::OK();
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, bytes, prot, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return ErrnoStatus("mmap", path_, errno);
  data_ = static_cast<uint8_t*>(p);
  mapped_bytes_ = bytes;
  return Status::OK();
}

Status MappedIndexFile::OpenFile(bool writable, int64_t max_bytes) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoStatus("open", path_, errno);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("fstat", path_, errno);
  file_size_ = static_cast<uint64_t>(st.st_size);
  const size_t on_disk_entries = file_size_ / entry_size_;
  FLUSS_RETURN_NOT_OK(Map(on_disk_entries * entry_size_, false));
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
  size_t want = static_cast<size_t>(max_bytes) / entry_size_ * entry_size_;
  if (want < (entries_ + 1) * entry_size_) want = (entries_ + 1) * entry_size_;
  if (file_size_ < want) {
    int rc = ::posix_fallocate(fd_, 0, static_cast<off_t>(want));
    if (rc == EOPNOTSUPP || rc == EINVAL) {
      if (::ftruncate(fd_, static_cast<off_t>(want)) != 0) return ErrnoStatus("ftruncate", path_, errno);
    } else if (rc != 0) {
      return ErrnoStatus("preallocate", path_, rc);
    }
  } else if (file_size_ > want) {
    if (::ftruncate(fd_, static_cast<off_t>(want)) != 0) return ErrnoStatus("ftruncate", path_, errno);
  }
  file_size_ = want;
  FLUSS_RETURN_NOT_OK(Map(want, true));
  // Zero what follows the entries: stale bytes there must not read as entries after a crash.
  std::memset(data_ + entries_ * entry_size_, 0, want - entries_ * entry_size_);
  max_entries_ = want / entry_size_;
  writable_ = true;
  return Status::OK();
}

Status MappedIndexFile::TrimToEntries() {
  if (writable_) FLUSS_RETURN_NOT_OK(Flush());
  const size_t bytes = entries_ * entry_size_;
  Unmap();
  if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) return ErrnoStatus("ftruncate", path_, errno);
  file_size_ = bytes;
  writable_ = false;
  max_entries_ = entries_;
  FLUSS_RETURN_NOT_OK(Map(bytes, false));
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
  return Status::OK();
}

void MappedIndexFile::TruncateToEntries(size_t n) {
  if (n >= entries_) return;
  if (writable_) std::memset(data_ + n * entry_size_, 0, (entries_ - n) * entry_size_);
  entries_ = n;
  if (!writable_) {
    // A read-only (trimmed) file: cut it on disk too.
    if (::ftruncate(fd_, static_cast<off_t>(n * entry_size_)) == 0) file_size_ = n * entry_size_;
    max_entries_ = n;
    (void)Map(n * entry_size_, false);
  }
}

Status MappedIndexFile::Flush() const {
  if (data_ == nullptr || !writable_) return Status::OK();
  if (::msync(data_, mapped_bytes_, MS_SYNC) != 0) return ErrnoStatus("msync", path_, errno);
  return Status::OK();
}

Status MappedIndexFile::RenameTo(const std::string& new_path) {
  if (::rename(path_.c_str(), new_path.c_str()) != 0) return ErrnoStatus("rename to " + new_path + " of", path_, errno);
  path_ = new_path;
  return Status::OK();
}

}  // namespace fluss
