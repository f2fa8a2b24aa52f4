#include "fs/fault_injection_file_system.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace fluss {

namespace sfs = std::filesystem;

namespace {

// Moves `from` to `to`, also across file systems (the trash may live on another one).
Status MoveTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  sfs::rename(from, to, ec);
  if (!ec) return Status::OK();
  if (ec != std::errc::cross_device_link) {
    return Status::IOError(fmt::format("fault injection: move '{}' to '{}': {}", from, to, ec.message()));
  }
  sfs::copy(from, to, sfs::copy_options::recursive | sfs::copy_options::copy_symlinks, ec);
  if (ec) return Status::IOError(fmt::format("fault injection: copy '{}' to '{}': {}", from, to, ec.message()));
  sfs::remove_all(from, ec);
  return Status::OK();
}

// The whole content of an open file, through its handle.
Result<std::vector<uint8_t>> ContentOf(const RandomRWFile& file) {
  FLUSS_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  std::vector<uint8_t> bytes(size);
  FLUSS_ASSIGN_OR_RETURN(size_t n, file.ReadAt(0, bytes));
  bytes.resize(n);
  return bytes;
}

Result<std::vector<uint8_t>> ContentAt(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("fault injection: read '{}'", path));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// A random-access file whose writes, truncations, allocations and syncs are counted operations,
// and whose content at each Sync is kept for PowerCut (under the name it was opened by: a file
// renamed while open is not synced again by its users here — the log renames only to delete).
class FaultInjectionFileSystem::RWFile final : public RandomRWFile {
 public:
  RWFile(FaultInjectionFileSystem* owner, std::unique_ptr<RandomRWFile> base)
      : RandomRWFile(base->path()), owner_(owner), base_(std::move(base)) {}

  int native_handle() const override { return base_->native_handle(); }
  Result<uint64_t> Size() const override { return base_->Size(); }
  Result<size_t> ReadAt(uint64_t position, std::span<uint8_t> out) const override { return base_->ReadAt(position, out); }
  void StartWriteback(uint64_t offset, uint64_t length) override { base_->StartWriteback(offset, length); }

  Status WriteAt(uint64_t position, std::span<const std::span<const uint8_t>> parts) override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("write to", path_));
    return base_->WriteAt(position, parts);
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("truncate", path_));
    return base_->Truncate(size);
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("allocate", path_));
    return base_->Allocate(offset, length);
  }

  Status Sync() override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("fsync", path_));
    if (owner_->real_syncs_) FLUSS_RETURN_NOT_OK(base_->Sync());
    FLUSS_ASSIGN_OR_RETURN(owner_->synced_content_[path_], ContentOf(*base_));
    return Status::OK();
  }

 private:
  FaultInjectionFileSystem* owner_;
  std::unique_ptr<RandomRWFile> base_;
};

class FaultInjectionFileSystem::File final : public WritableFile {
 public:
  File(FaultInjectionFileSystem* owner, std::unique_ptr<WritableFile> base)
      : WritableFile(base->path()), owner_(owner), base_(std::move(base)) {
    owner_->open_files_.insert(this);  // the owner's lock is held by NewWritableFile
  }
  ~File() override {
    std::lock_guard lock(owner_->mu_);
    owner_->open_files_.erase(this);
  }
  // A rename moved the file: its appends and syncs now count for `to`.
  void Renamed(const std::string& to) { path_ = to; }

  Status Append(std::span<const uint8_t> data) override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("append to", path_));
    FLUSS_RETURN_NOT_OK(base_->Append(data));
    size_ += data.size();
    return Status::OK();
  }

  Status Sync() override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("fsync", path_));
    if (owner_->real_syncs_) FLUSS_RETURN_NOT_OK(base_->Sync());
    owner_->synced_size_[path_] = size_;
    return Status::OK();
  }

  Status Close() override {
    std::lock_guard lock(owner_->mu_);
    FLUSS_RETURN_NOT_OK(owner_->Begin("close", path_));
    return base_->Close();
  }

 private:
  FaultInjectionFileSystem* owner_;
  std::unique_ptr<WritableFile> base_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem& base) : FaultInjectionFileSystem(base, true) {}

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem& base, bool real_syncs)
    : base_(base), real_syncs_(real_syncs) {
  std::string tmpl = (sfs::temp_directory_path() / "fluss-fault-trash-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) != nullptr) trash_ = tmpl;
}

FaultInjectionFileSystem::~FaultInjectionFileSystem() {
  std::error_code ec;
  if (!trash_.empty()) sfs::remove_all(trash_, ec);
}

void FaultInjectionFileSystem::FailFrom(int64_t n) {
  std::lock_guard lock(mu_);
  fail_from_ = n;
}

int64_t FaultInjectionFileSystem::operations() const {
  std::lock_guard lock(mu_);
  return ops_;
}

Status FaultInjectionFileSystem::Begin(const std::string& what, const std::string& path) {
  ++ops_;
  if (fail_from_ > 0 && ops_ >= fail_from_) {
    return Status::IOError(fmt::format("injected fault: {} '{}' (operation {})", what, path, ops_));
  }
  return Status::OK();
}

void FaultInjectionFileSystem::Record(const std::string& dir, NameChange change) {
  pending_[dir].push_back(std::move(change));
}

std::string FaultInjectionFileSystem::TrashPath() { return fmt::format("{}/{}", trash_, ++trash_seq_); }

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewWritableFile(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("create", path));
  FLUSS_ASSIGN_OR_RETURN(bool existed, base_.Exists(path));
  FLUSS_ASSIGN_OR_RETURN(auto file, base_.NewWritableFile(path));
  if (!existed) Record(ParentDirectory(path), NameChange{NameChange::kCreated, path, {}, std::nullopt});
  synced_size_[path] = 0;
  synced_content_.erase(path);
  return std::unique_ptr<WritableFile>(new File(this, std::move(file)));
}

Status FaultInjectionFileSystem::CreateDirectories(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("create directories", path));
  // Each missing directory from the top, synced into its parent (as the local file system does).
  std::vector<std::string> missing;
  for (std::string p = path; !p.empty() && p != "." && p != "/"; p = ParentDirectory(p)) {
    std::error_code ec;
    if (sfs::is_directory(p, ec)) break;
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::error_code ec;
    sfs::create_directory(*it, ec);
    if (ec) return Status::IOError(fmt::format("mkdir '{}': {}", *it, ec.message()));
    const std::string parent = ParentDirectory(*it);
    if (real_syncs_) FLUSS_RETURN_NOT_OK(base_.SyncDirectory(parent));
    pending_.erase(parent);  // the parent's fsync made its earlier changes durable too
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::CreateDirectoryUnsynced(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("create directory", path));
  std::error_code ec;
  if (sfs::is_directory(path, ec)) return Status::OK();
  sfs::create_directory(path, ec);
  if (ec) return Status::IOError(fmt::format("mkdir '{}': {}", path, ec.message()));
  Record(ParentDirectory(path), NameChange{NameChange::kCreated, path, {}, std::nullopt});
  return Status::OK();
}

Status FaultInjectionFileSystem::SyncDirectory(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("fsync directory", path));
  if (real_syncs_) FLUSS_RETURN_NOT_OK(base_.SyncDirectory(path));
  auto it = pending_.find(path);
  if (it == pending_.end()) return Status::OK();
  for (const NameChange& c : it->second) {
    std::error_code ec;
    if (c.backup) sfs::remove_all(*c.backup, ec);  // the old data is gone for good now
  }
  pending_.erase(it);
  return Status::OK();
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("rename", from));
  FLUSS_ASSIGN_OR_RETURN(bool from_exists, base_.Exists(from));
  if (!from_exists) return base_.Rename(from, to);  // the error of the real call
  std::optional<std::string> backup;
  FLUSS_ASSIGN_OR_RETURN(bool replaces, base_.Exists(to));
  if (replaces) {
    backup = TrashPath();
    FLUSS_RETURN_NOT_OK(MoveTree(to, *backup));
  }
  Status st = base_.Rename(from, to);
  if (!st.ok()) {
    if (backup) (void)MoveTree(*backup, to);
    return st;
  }
  if (backup) MoveDurableState(to, *backup);  // the replaced file waits in the trash as it was
  MoveDurableState(from, to);
  for (File* file : open_files_) {
    if (file->path() == from) file->Renamed(to);  // its later syncs count under the new name
  }
  Record(ParentDirectory(to), NameChange{NameChange::kRenamed, to, from, std::move(backup)});
  return Status::OK();
}

Result<bool> FaultInjectionFileSystem::LinkIfAbsent(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("link", to));
  FLUSS_ASSIGN_OR_RETURN(bool linked, base_.LinkIfAbsent(from, to));
  if (linked) Record(ParentDirectory(to), NameChange{NameChange::kCreated, to, {}, std::nullopt});
  return linked;
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("remove", path));
  FLUSS_ASSIGN_OR_RETURN(bool exists, base_.Exists(path));
  if (!exists) return Status::OK();
  const std::string backup = TrashPath();
  FLUSS_RETURN_NOT_OK(MoveTree(path, backup));
  MoveDurableState(path, backup);
  Record(ParentDirectory(path), NameChange{NameChange::kRemoved, path, {}, backup});
  return Status::OK();
}

Status FaultInjectionFileSystem::RemoveAll(const std::string& path) {
  // The same deferred move: a tree comes back whole until its parent is synced.
  return Remove(path);
}

Result<std::vector<std::string>> FaultInjectionFileSystem::ListDirectory(const std::string& path) {
  return base_.ListDirectory(path);
}

void FaultInjectionFileSystem::MoveDurableState(const std::string& from, const std::string& to) {
  if (from == to) return;
  auto move = [&](auto& map) {
    using Map = std::remove_reference_t<decltype(map)>;
    Map moved;
    const std::string below = from + "/";
    for (auto it = map.begin(); it != map.end();) {
      if (it->first == from) {
        moved[to] = std::move(it->second);
      } else if (it->first.starts_with(below)) {
        moved[to + it->first.substr(from.size())] = std::move(it->second);
      } else {
        ++it;
        continue;
      }
      it = map.erase(it);
    }
    // Whatever was known of the target names, they are the moved files now.
    for (auto it = map.begin(); it != map.end();) {
      it = it->first == to || it->first.starts_with(to + "/") ? map.erase(it) : std::next(it);
    }
    map.merge(moved);
  };
  move(synced_size_);
  move(synced_content_);
}

Result<std::unique_ptr<RandomRWFile>> FaultInjectionFileSystem::OpenRandomRWFile(const std::string& path,
                                                                                 OpenMode mode, bool writable) {
  if (!writable && mode == OpenMode::kOpenExisting) return base_.OpenRandomRWFile(path, mode, false);  // a read
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin(mode == OpenMode::kCreateNew ? "create" : "open", path));
  FLUSS_ASSIGN_OR_RETURN(bool existed, base_.Exists(path));
  FLUSS_ASSIGN_OR_RETURN(auto file, base_.OpenRandomRWFile(path, mode, writable));
  if (!existed) Record(ParentDirectory(path), NameChange{NameChange::kCreated, path, {}, std::nullopt});
  if (!synced_content_.contains(path)) {
    // First sight of the file: what it holds now is durable (it was written before this object, or
    // is new and empty), except for the unsynced tail of a file appended here.
    std::vector<uint8_t> content;
    if (existed) {
      FLUSS_ASSIGN_OR_RETURN(content, ContentOf(*file));
    }
    if (auto it = synced_size_.find(path); it != synced_size_.end()) {
      content.resize(std::min<uint64_t>(content.size(), it->second));
      synced_size_.erase(it);
    }
    synced_content_[path] = std::move(content);
  }
  return std::unique_ptr<RandomRWFile>(new RWFile(this, std::move(file)));
}

Status FaultInjectionFileSystem::SyncFileSystem(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("sync the file system of", path));
  if (real_syncs_) FLUSS_RETURN_NOT_OK(base_.SyncFileSystem(path));
  // Every byte and every name is durable now.
  for (auto& [file, size] : synced_size_) {
    std::error_code ec;
    if (sfs::is_regular_file(file, ec)) size = sfs::file_size(file, ec);
  }
  for (auto& [file, content] : synced_content_) {
    std::error_code ec;
    if (sfs::is_regular_file(file, ec)) {
      FLUSS_ASSIGN_OR_RETURN(content, ContentAt(file));
    }
  }
  for (auto& [dir, changes] : pending_) {
    for (const NameChange& c : changes) {
      std::error_code ec;
      if (c.backup) sfs::remove_all(*c.backup, ec);
    }
  }
  pending_.clear();
  return Status::OK();
}

Status FaultInjectionFileSystem::PowerCut(PowerCutTail tail) {
  std::lock_guard lock(mu_);
  // The bytes past `durable` a torn write leaves of a file now `size` long.
  auto kept_after = [&](uint64_t durable, uint64_t size) -> uint64_t {
    return tail == PowerCutTail::kTorn && size > durable ? (size - durable) / 2 : 0;
  };
  // 1. Unsynced bytes go, by the files' current names.
  for (const auto& [path, synced] : synced_size_) {
    std::error_code ec;
    if (!sfs::is_regular_file(path, ec)) continue;
    const uint64_t size = sfs::file_size(path, ec);
    if (!ec && size > synced) {
      const uint64_t keep = synced + kept_after(synced, size);
      if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
        return Status::IOError(fmt::format("power cut: truncate '{}': {}", path, std::strerror(errno)));
      }
    }
  }
  for (const auto& [path, content] : synced_content_) {
    std::error_code ec;
    if (!sfs::is_regular_file(path, ec)) continue;
    FLUSS_ASSIGN_OR_RETURN(std::vector<uint8_t> now, ContentAt(path));
    std::vector<uint8_t> kept = content;
    if (now.size() > content.size() && std::equal(content.begin(), content.end(), now.begin())) {
      // It only grew: a torn write may leave part of the growth.
      const auto extra = static_cast<std::ptrdiff_t>(kept_after(content.size(), now.size()));
      kept.insert(kept.end(), now.begin() + static_cast<std::ptrdiff_t>(content.size()),
                  now.begin() + static_cast<std::ptrdiff_t>(content.size()) + extra);
    }
    if (kept == now) continue;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(kept.data()), static_cast<std::streamsize>(kept.size()));
    if (!out) return Status::IOError(fmt::format("power cut: rewrite '{}'", path));
  }
  // 2. Unsynced name changes are undone, newest first (within each directory).
  for (auto& [dir, changes] : pending_) {
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      std::error_code ec;
      switch (it->kind) {
        case NameChange::kCreated:
          sfs::remove_all(it->path, ec);
          break;
        case NameChange::kRenamed:
          if (sfs::exists(it->path, ec)) FLUSS_RETURN_NOT_OK(MoveTree(it->path, it->from));
          if (it->backup) FLUSS_RETURN_NOT_OK(MoveTree(*it->backup, it->path));
          break;
        case NameChange::kRemoved:
          sfs::remove_all(it->path, ec);
          FLUSS_RETURN_NOT_OK(MoveTree(*it->backup, it->path));
          break;
      }
    }
  }
  pending_.clear();
  synced_size_.clear();
  synced_content_.clear();
  fail_from_ = 0;
  ops_ = 0;
  return Status::OK();
}

}  // namespace fluss
