#include "fs/fault_injection_file_system.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

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

}  // namespace

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
    FLUSS_RETURN_NOT_OK(base_->Sync());
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

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem& base) : base_(base) {
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
    FLUSS_RETURN_NOT_OK(base_.SyncDirectory(parent));
    pending_.erase(parent);  // the parent's fsync made its earlier changes durable too
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::SyncDirectory(const std::string& path) {
  std::lock_guard lock(mu_);
  FLUSS_RETURN_NOT_OK(Begin("fsync directory", path));
  FLUSS_RETURN_NOT_OK(base_.SyncDirectory(path));
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
  if (auto it = synced_size_.find(from); it != synced_size_.end()) {
    synced_size_[to] = it->second;
    synced_size_.erase(it);
  } else {
    synced_size_.erase(to);  // whatever `to` was, it is the renamed file now
  }
  for (File* file : open_files_) {
    if (file->path() == from) file->Renamed(to);
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

Status FaultInjectionFileSystem::PowerCut() {
  std::lock_guard lock(mu_);
  // 1. Unsynced bytes go, by the files' current names.
  for (const auto& [path, synced] : synced_size_) {
    std::error_code ec;
    if (!sfs::is_regular_file(path, ec)) continue;
    if (sfs::file_size(path, ec) > synced && !ec) {
      if (::truncate(path.c_str(), static_cast<off_t>(synced)) != 0) {
        return Status::IOError(fmt::format("power cut: truncate '{}': {}", path, std::strerror(errno)));
      }
    }
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
  fail_from_ = 0;
  ops_ = 0;
  return Status::OK();
}

}  // namespace fluss
