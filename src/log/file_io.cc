#include "log/file_io.h"

#include <fmt/format.h>

namespace fluss {

namespace {

// Reads exactly `n` bytes at `position` of `file` into a new Buffer.
Result<Buffer> ReadExactly(const RandomRWFile& file, uint64_t position, size_t n) {
  if (n == 0) return Buffer();
  // Not zero-filled first (a fetch reads megabytes): the read overwrites every byte kept.
  std::shared_ptr<uint8_t[]> bytes(new uint8_t[n]);
  FLUSS_ASSIGN_OR_RETURN(size_t done, file.ReadAt(position, std::span(bytes.get(), n)));
  if (done != n) {
    return Status::Corruption(
        fmt::format("short read of '{}': {} bytes at position {}, only {} present", file.path(), n, position, done));
  }
  const uint8_t* data = bytes.get();
  return Buffer::Wrap(std::shared_ptr<const void>(std::move(bytes), data), data, n);
}

}  // namespace

Result<std::shared_ptr<LogFile>> LogFile::Open(FileSystem& fs, const std::string& path, bool create) {
  FLUSS_ASSIGN_OR_RETURN(std::shared_ptr<RandomRWFile> file,
                         fs.OpenRandomRWFile(path, create ? OpenMode::kCreateNew : OpenMode::kOpenExisting));
  FLUSS_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  return std::shared_ptr<LogFile>(new LogFile(fs, path, std::move(file), size));
}

std::string LogFile::path() const {
  std::lock_guard lock(mu_);
  return path_;
}

std::shared_ptr<RandomRWFile> LogFile::open_file() const {
  std::lock_guard lock(mu_);
  return file_;
}

void LogFile::Close() {
  std::shared_ptr<RandomRWFile> closing;
  std::lock_guard lock(mu_);
  closing.swap(file_);
}

Status LogFile::Reopen() {
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (file_ != nullptr) return Status::OK();
    path = path_;
  }
  FLUSS_ASSIGN_OR_RETURN(std::shared_ptr<RandomRWFile> file,
                         fs_.OpenRandomRWFile(path, OpenMode::kOpenExisting));
  FLUSS_ASSIGN_OR_RETURN(uint64_t on_disk, file->Size());
  if (on_disk < size()) {
    return Status::Corruption(
        fmt::format("log file '{}' shrank to {} bytes while closed (it had {})", path, on_disk, size()));
  }
  std::lock_guard lock(mu_);
  file_ = std::move(file);
  return Status::OK();
}

Result<std::shared_ptr<RandomRWFile>> LogFile::Handle() const {
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (file_ != nullptr) return file_;
    path = path_;
  }
  FLUSS_ASSIGN_OR_RETURN(std::shared_ptr<RandomRWFile> file,
                         fs_.OpenRandomRWFile(path, OpenMode::kOpenExisting));
  return file;
}

Status LogFile::AppendParts(std::span<const std::span<const uint8_t>> parts) {
  FLUSS_ASSIGN_OR_RETURN(auto file, Handle());
  const uint64_t start = size();
  uint64_t total = 0;
  for (auto p : parts) total += p.size();
  Status st = file->WriteAt(start, parts);
  if (!st.ok()) {
    // Whatever part was written goes: the file is as before the call.
    Status cut = file->Truncate(start);
    if (!cut.ok()) return cut.WithContext(fmt::format("after the failed write: {}", st.message()));
    return st;
  }
  size_.store(start + total, std::memory_order_release);
  return Status::OK();
}

Status LogFile::Append(std::span<const uint8_t> data) {
  const std::span<const uint8_t> parts[] = {data};
  return AppendParts(parts);
}

Status LogFile::ReadUpTo(uint64_t position, size_t n, std::vector<uint8_t>* out) const {
  FLUSS_ASSIGN_OR_RETURN(auto file, Handle());
  out->resize(n);
  FLUSS_ASSIGN_OR_RETURN(size_t done, file->ReadAt(position, *out));
  out->resize(done);
  return Status::OK();
}

Result<Buffer> LogFile::ReadAt(uint64_t position, size_t n) const {
  if (n == 0) return Buffer();
  FLUSS_ASSIGN_OR_RETURN(auto file, Handle());
  return ReadExactly(*file, position, n);
}

void LogFile::StartWriteback(uint64_t min_bytes) {
  auto file = open_file();
  if (file == nullptr) return;
  const uint64_t end = size();
  if (writeback_start_ > end) writeback_start_ = end;  // after a truncation
  if (end - writeback_start_ < min_bytes) return;
  file->StartWriteback(writeback_start_, end - writeback_start_);
  writeback_start_ = end;
}

Status LogFile::Flush() const {
  auto file = Handle();
  if (!file.ok()) {
    // Closed by the budget and deleted (renamed, unlinked) since: nothing is left to make durable.
    if (!open_file() && !fs_.Exists(path()).ValueOr(true)) return Status::OK();
    return file.status();
  }
  return (*file)->Sync();
}

Status LogFile::TruncateTo(uint64_t new_size) {
  FLUSS_ASSIGN_OR_RETURN(auto file, Handle());
  FLUSS_RETURN_NOT_OK(file->Truncate(new_size));
  size_.store(new_size, std::memory_order_release);
  return Status::OK();
}

Status LogFile::RenameTo(const std::string& new_path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(fs_.Rename(path_, new_path));
  path_ = new_path;
  return Status::OK();
}

Result<Buffer> FileRegion::Read() const {
  if (size == 0) return Buffer();
  if (open_file == nullptr) return file->ReadAt(position, size);
  return ReadExactly(*open_file, position, size);
}

Status SyncDirectory(const std::string& dir) {
  return FileSystem::Local().SyncDirectory(dir.empty() ? "." : dir);
}

}  // namespace fluss
