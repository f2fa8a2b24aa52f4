#include "log/index_file.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "log/file_io.h"

namespace fluss {

MappedIndexFile::~MappedIndexFile() { Unmap(); }

void MappedIndexFile::Unmap() {
  if (data_ != nullptr) ::munmap(data_, mapped_bytes_);
  data_ = nullptr;
  mapped_bytes_ = 0;
}

Result<std::unique_ptr<RandomRWFile>> MappedIndexFile::OpenExisting(bool writable) const {
  return fs_.OpenRandomRWFile(path_, OpenMode::kOpenExisting, writable);
}

Status MappedIndexFile::MapFile(const RandomRWFile& file, bool writable) {
  Unmap();
  released_ = false;
  if (file_size_ == 0) return Status::OK();
  if (file.native_handle() < 0) {
    return Status::NotSupported(fmt::format("index '{}': its file system cannot map files", path_));
  }
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, file_size_, prot, MAP_SHARED, file.native_handle(), 0);
  if (p == MAP_FAILED) {
    return Status::IOError(fmt::format("mmap '{}' failed: {}", path_, std::strerror(errno)));
  }
  data_ = static_cast<uint8_t*>(p);
  mapped_bytes_ = file_size_;
  return Status::OK();
}

Status MappedIndexFile::OpenFile(bool writable, int64_t max_bytes) {
  FLUSS_ASSIGN_OR_RETURN(auto file, fs_.OpenRandomRWFile(path_, OpenMode::kOpenOrCreate));
  FLUSS_ASSIGN_OR_RETURN(file_size_, file->Size());
  FLUSS_RETURN_NOT_OK(MapFile(*file, false));
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
  FLUSS_ASSIGN_OR_RETURN(auto file, OpenExisting(true));
  if (file_size_ != keep) {
    // What follows the entries (zeros of an untrimmed file, or garbage) goes: growth steps allocate
    // fresh, zeroed room.
    FLUSS_RETURN_NOT_OK(file->Truncate(keep));
    file_size_ = keep;
    dirty_ = true;
  }
  FLUSS_RETURN_NOT_OK(MapFile(*file, true));
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
  FLUSS_ASSIGN_OR_RETURN(auto file, OpenExisting(true));
  const uint64_t old_size = file_size_;
  // Allocate the step on disk before it is mapped: a full disk fails here, not on a mapped page.
  if (Status st = file->Allocate(old_size, bytes - old_size); !st.ok()) {
    (void)file->Truncate(old_size);  // drop whatever part was allocated
    return st.WithContext(fmt::format("growing the index from {} to {} bytes", old_size, bytes));
  }
  file_size_ = bytes;
  if (Status st = MapFile(*file, true); !st.ok()) {
    file_size_ = old_size;
    (void)file->Truncate(old_size);
    Status remap = MapFile(*file, true);
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
      FLUSS_ASSIGN_OR_RETURN(auto file, OpenExisting(false));
      writable_ = false;
      FLUSS_RETURN_NOT_OK(MapFile(*file, false));
    }
    writable_ = false;
    max_entries_ = entries_;
    return Status::OK();
  }
  FLUSS_ASSIGN_OR_RETURN(auto file, OpenExisting(true));
  const bool was_released = released_;
  Unmap();
  FLUSS_RETURN_NOT_OK(file->Truncate(bytes));
  file_size_ = bytes;
  writable_ = false;
  max_entries_ = entries_;
  FLUSS_RETURN_NOT_OK(file->Sync());
  dirty_ = false;
  if (was_released) {
    released_ = true;
    return Status::OK();
  }
  return MapFile(*file, false);
}

void MappedIndexFile::TruncateToEntries(size_t n) {
  if (n >= entries_) return;
  if (writable_) std::memset(data_ + n * entry_size_, 0, (entries_ - n) * entry_size_);
  entries_ = n;
  dirty_ = true;
  if (!writable_) {
    // A read-only (trimmed) file: cut it on disk too.
    auto file = OpenExisting(true);
    if (!file.ok()) return;
    if ((*file)->Truncate(n * entry_size_).ok()) file_size_ = n * entry_size_;
    max_entries_ = n;
    (void)MapFile(**file, false);
  }
}

Status MappedIndexFile::Flush() const {
  if (!dirty_) return Status::OK();
  // The written pages (through the mapping, or zeroed) are in the page cache: sync them through the
  // file, which also covers the pages of a live shared mapping.
  FLUSS_ASSIGN_OR_RETURN(auto file, OpenExisting(true));
  FLUSS_RETURN_NOT_OK(file->Sync());
  dirty_ = false;
  return Status::OK();
}

Status MappedIndexFile::RenameTo(const std::string& new_path) {
  FLUSS_RETURN_NOT_OK(fs_.Rename(path_, new_path));
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
  FLUSS_ASSIGN_OR_RETURN(auto file, OpenExisting(writable_));
  FLUSS_ASSIGN_OR_RETURN(uint64_t on_disk, file->Size());
  if (on_disk < file_size_) {
    // Mapping past the end would raise SIGBUS on access: refuse.
    return Status::Corruption(
        fmt::format("index '{}' shrank to {} bytes while closed (it had {})", path_, on_disk, file_size_));
  }
  return MapFile(*file, writable_);
}

}  // namespace fluss
