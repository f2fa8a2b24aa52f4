#include "lake/iceberg/iceberg_table.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "lake/avro/avro_container.h"
#include "lake/iceberg/iceberg_schema.h"

namespace fluss::iceberg {

namespace {

constexpr int64_t kMaxVersionProbe = 1000000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t Random64() {
  static thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(NowMs());
  }());
  return rng();
}

std::string NewUuid() {
  uint64_t hi = Random64();
  uint64_t lo = Random64();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                     lo & 0xffffffffffffULL);
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status Conflict(int64_t version) {
  return Status(ErrorCode::kInvalidUpdateVersion,
                fmt::format("iceberg: metadata version {} was committed by someone else; refresh and retry", version));
}

int64_t SummaryLong(const Snapshot* s, const char* key) {
  if (s == nullptr) return 0;
  auto it = s->summary.find(key);
  if (it == s->summary.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

}  // namespace

Result<std::string> IcebergTable::LocalPath(std::string_view uri) {
  if (uri.rfind("file://", 0) == 0) uri.remove_prefix(7);
  else if (uri.rfind("file:", 0) == 0) uri.remove_prefix(5);
  if (uri.empty() || uri[0] != '/') {
    return Status::NotSupported(fmt::format("iceberg: '{}' is not a local file URI", uri));
  }
  return std::string(uri);
}

std::string IcebergTable::MetadataFilePath(int64_t version) const {
  return fmt::format("{}/metadata/v{}.metadata.json", dir_, version);
}

Result<IcebergTable> IcebergTable::Create(const std::string& table_dir, const Schema& schema,
                                          std::map<std::string, std::string> properties, FileSystem& fs,
                                          const std::vector<std::string>& partition_columns) {
  if (table_dir.empty() || table_dir[0] != '/') {
    return Status::Invalid(fmt::format("iceberg: table dir '{}' must be absolute", table_dir));
  }
  IcebergTable t;
  t.dir_ = table_dir;
  while (t.dir_.size() > 1 && t.dir_.back() == '/') t.dir_.pop_back();
  t.fs_ = &fs;
  FLUSS_RETURN_NOT_OK(fs.CreateDirectories(t.dir_ + "/metadata"));
  FLUSS_RETURN_NOT_OK(fs.CreateDirectories(t.dir_ + "/data"));
  FLUSS_ASSIGN_OR_RETURN(nlohmann::json schema_json, IcebergSchemaJson(schema, 0));
  TableMetadata m;
  m.table_uuid = NewUuid();
  m.location = "file://" + t.dir_;
  m.last_updated_ms = NowMs();
  m.last_column_id = std::max(HighestFieldId(schema_json), schema.highest_field_id());
  m.schemas.push_back(std::move(schema_json));
  FLUSS_ASSIGN_OR_RETURN(PartitionSpec spec, PartitionSpec::Identity(schema, partition_columns, 0));
  m.last_partition_id = spec.HighestFieldId();
  m.partition_specs = {std::move(spec)};
  m.default_spec_id = 0;
  m.properties = std::move(properties);
  bool linked = false;
  Status st = t.CommitVersion(1, m, &linked);
  if (st.code() == ErrorCode::kInvalidUpdateVersion) {
    return Status(ErrorCode::kLakeTableAlreadyExist, fmt::format("iceberg: table '{}' already exists", t.dir_));
  }
  FLUSS_RETURN_NOT_OK(st);
  t.version_ = 1;
  t.metadata_ = std::move(m);
  return t;
}

Result<IcebergTable> IcebergTable::Open(const std::string& table_dir, FileSystem& fs) {
  IcebergTable t;
  t.fs_ = &fs;
  t.dir_ = table_dir;
  while (t.dir_.size() > 1 && t.dir_.back() == '/') t.dir_.pop_back();
  FLUSS_RETURN_NOT_OK(t.Load());
  return t;
}

Status IcebergTable::Refresh() { return Load(); }

Status IcebergTable::Load() {
  int64_t version = 0;
  auto hint = avro::ReadWholeFile(dir_ + "/metadata/version-hint.text");
  if (hint.ok()) {
    std::string text(hint->begin(), hint->end());
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (end != text.c_str() && v > 0) version = v;
  }
  if (version == 0) {
    // No usable hint: the highest v<N>.metadata.json in the directory.
    DIR* d = ::opendir((dir_ + "/metadata").c_str());
    if (d == nullptr) return Status::NotFound(fmt::format("iceberg: no table at '{}'", dir_));
    while (dirent* e = ::readdir(d)) {
      long long v = 0;
      char tail[32] = {0};
      if (std::sscanf(e->d_name, "v%lld.metadata.jso%1s", &v, tail) == 2 && tail[0] == 'n' &&
          std::string_view(e->d_name).ends_with(".metadata.json")) {
        version = std::max<int64_t>(version, v);
      }
    }
    ::closedir(d);
    if (version == 0) return Status::NotFound(fmt::format("iceberg: no metadata in '{}'", dir_));
  }
  // The hint may lag a commit that crashed before swapping it: newer versions win.
  for (int64_t i = 0; i < kMaxVersionProbe && FileExists(MetadataFilePath(version + 1)); ++i) ++version;
  FLUSS_ASSIGN_OR_RETURN(auto bytes, avro::ReadWholeFile(MetadataFilePath(version)));
  auto m = TableMetadata::Parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!m.ok()) return m.status().WithContext(MetadataFilePath(version));
  version_ = version;
  metadata_ = std::move(m).value();
  return Status::OK();
}

Status IcebergTable::CommitVersion(int64_t version, const TableMetadata& metadata, bool* linked) {
  *linked = false;
  const std::string path = MetadataFilePath(version);
  const std::string text = metadata.ToJson().dump(2);
  const std::string tmp = fmt::format("{}/metadata/.v{}.{:016x}.tmp", dir_, version, Random64());
  auto write = [&]() -> Status {
    FLUSS_ASSIGN_OR_RETURN(auto file, fs_->NewWritableFile(tmp));
    FLUSS_RETURN_NOT_OK(file->Append(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
    FLUSS_RETURN_NOT_OK(file->Sync());
    return file->Close();
  };
  Status written = write();
  if (!written.ok()) {
    (void)fs_->Remove(tmp);
    return written;
  }
  // Atomic create-if-absent: exactly one committer of `version` succeeds.
  Result<bool> link = fs_->LinkIfAbsent(tmp, path);
  (void)fs_->Remove(tmp);
  if (!link.ok()) return link.status();
  if (!*link) return Conflict(version);
  *linked = true;
  // The new version's name must survive a power loss before anyone is told it committed (the
  // tiering's caller then lets retention delete the log below the offsets it records).
  FLUSS_RETURN_NOT_OK(fs_->SyncDirectory(dir_ + "/metadata"));
  // The version is committed. The hint only speeds up Load (which probes for newer versions), so a
  // hint that cannot be written is no error: failing here would make the caller delete the files of
  // a committed snapshot.
  (void)WriteFileDurably(*fs_, dir_ + "/metadata/version-hint.text", std::to_string(version));
  return Status::OK();
}

Result<Snapshot> IcebergTable::Append(const std::vector<DataFile>& files,
                                      const std::map<std::string, std::string>& summary_properties) {
  return Commit(files, {}, summary_properties);
}

Result<Snapshot> IcebergTable::Commit(const std::vector<DataFile>& data_files, const std::vector<DataFile>& delete_files,
                                      const std::map<std::string, std::string>& summary_properties) {
  const Snapshot* parent = metadata_.CurrentSnapshot();
  int64_t snapshot_id;
  do {
    snapshot_id = static_cast<int64_t>(Random64() >> 1);
  } while (snapshot_id == 0 || metadata_.FindSnapshot(snapshot_id) != nullptr);
  int64_t seq = metadata_.last_sequence_number + 1;
  int64_t now = std::max(NowMs(), metadata_.last_updated_ms);

  for (const auto& f : data_files) {
    if (f.content != DataFileContent::kData) return Status::Invalid(fmt::format("iceberg: '{}' is no data file", f.file_path));
  }
  for (const auto& f : delete_files) {
    if (f.content != DataFileContent::kEqualityDeletes || f.equality_ids.empty()) {
      return Status::Invalid(fmt::format("iceberg: '{}' is no equality delete file with equality_ids", f.file_path));
    }
  }
  for (const auto* group : {&data_files, &delete_files}) {
    for (const auto& f : *group) {
      if (f.record_count < 0 || f.file_size_in_bytes < 0) {
        return Status::Invalid(fmt::format("iceberg: file '{}' has negative counts", f.file_path));
      }
    }
  }

  // Every file's partition tuple fits the default spec.
  const PartitionSpec* spec = metadata_.DefaultSpec();
  if (spec == nullptr) return Status::Corruption(fmt::format("iceberg: table '{}' has no default partition spec", dir_));
  const nlohmann::json* current_schema = metadata_.CurrentSchema();
  std::vector<std::string> field_types;
  if (!spec->unpartitioned()) {
    if (current_schema == nullptr) return Status::Corruption(fmt::format("iceberg: table '{}' has no schema", dir_));
    FLUSS_ASSIGN_OR_RETURN(field_types, PartitionFieldTypes(*spec, *current_schema));
  }
  for (const auto* group : {&data_files, &delete_files}) {
    for (const auto& f : *group) {
      FLUSS_RETURN_NOT_OK(CheckPartitionTuple(f.partition, field_types, fmt::format("file '{}'", f.file_path)));
    }
  }

  // 1. One manifest per kind of new file.
  std::vector<ManifestFile> manifests;
  std::vector<std::string> written;  // this commit's Avro files, removed when another commit wins
  auto write_manifest = [&](const std::vector<DataFile>& files, ManifestContent content) -> Result<int64_t> {
    if (files.empty()) return int64_t{0};
    std::vector<ManifestEntry> entries;
    std::vector<const PartitionTuple*> tuples;
    int64_t records = 0;
    for (const auto& f : files) {
      tuples.push_back(&f.partition);
      ManifestEntry e;
      e.status = ManifestEntryStatus::kAdded;
      e.snapshot_id = snapshot_id;
      e.sequence_number = seq;
      e.file_sequence_number = seq;
      e.data_file = f;
      entries.push_back(std::move(e));
      records += f.record_count;
    }
    ManifestWriteOptions mo;
    mo.content = content;
    const nlohmann::json* schema = metadata_.CurrentSchema();
    mo.table_schema_json = schema ? schema->dump() : "{}";
    mo.schema_id = metadata_.current_schema_id;
    mo.partition_spec = *spec;
    FLUSS_ASSIGN_OR_RETURN(auto manifest_bytes, WriteManifest(mo, entries));
    std::string manifest_uri = fmt::format("{}/metadata/{}-m{}.avro", metadata_.location, NewUuid(),
                                           static_cast<int>(content));
    FLUSS_ASSIGN_OR_RETURN(std::string manifest_path, LocalPath(manifest_uri));
    FLUSS_RETURN_NOT_OK(WriteFileDurably(*fs_, manifest_path, manifest_bytes));
    written.push_back(manifest_path);
    ManifestFile mf;
    mf.manifest_path = manifest_uri;
    mf.manifest_length = static_cast<int64_t>(manifest_bytes.size());
    mf.partition_spec_id = spec->spec_id;
    mf.partitions = SummarizePartitions(field_types, tuples);
    mf.content = static_cast<int32_t>(content);
    mf.sequence_number = seq;
    mf.min_sequence_number = seq;
    mf.added_snapshot_id = snapshot_id;
    mf.added_files_count = static_cast<int32_t>(entries.size());
    mf.added_rows_count = records;
    manifests.push_back(std::move(mf));
    return records;
  };
  FLUSS_ASSIGN_OR_RETURN(int64_t added_records, write_manifest(data_files, ManifestContent::kData));
  FLUSS_ASSIGN_OR_RETURN(int64_t added_deletes, write_manifest(delete_files, ManifestContent::kDeletes));
  int64_t added_size = 0;
  for (const auto& f : data_files) added_size += f.file_size_in_bytes;
  for (const auto& f : delete_files) added_size += f.file_size_in_bytes;

  // 2. The manifest list: the new manifests, then every manifest of the parent snapshot.
  if (parent != nullptr) {
    FLUSS_ASSIGN_OR_RETURN(std::string list_path, LocalPath(parent->manifest_list));
    FLUSS_ASSIGN_OR_RETURN(auto list_bytes, avro::ReadWholeFile(list_path));
    FLUSS_ASSIGN_OR_RETURN(ManifestList parent_list, ReadManifestList(list_bytes));
    for (auto& m : parent_list.manifests) manifests.push_back(std::move(m));
  }
  ManifestListWriteOptions lo;
  lo.snapshot_id = snapshot_id;
  if (parent) lo.parent_snapshot_id = parent->snapshot_id;
  lo.sequence_number = seq;
  FLUSS_ASSIGN_OR_RETURN(auto list_bytes, WriteManifestList(lo, manifests));
  std::string list_uri = fmt::format("{}/metadata/snap-{}-1-{}.avro", metadata_.location, snapshot_id, NewUuid());
  FLUSS_ASSIGN_OR_RETURN(std::string list_path, LocalPath(list_uri));
  FLUSS_RETURN_NOT_OK(WriteFileDurably(*fs_, list_path, list_bytes));
  written.push_back(list_path);

  // 3. The snapshot and metadata version N+1.
  Snapshot s;
  s.snapshot_id = snapshot_id;
  if (parent) s.parent_snapshot_id = parent->snapshot_id;
  s.sequence_number = seq;
  s.timestamp_ms = now;
  s.manifest_list = list_uri;
  s.schema_id = metadata_.current_schema_id;
  for (const auto& [k, v] : summary_properties) {
    if (k == "operation" || k.rfind("added-", 0) == 0 || k.rfind("total-", 0) == 0) {
      return Status::Invalid(fmt::format("iceberg: summary key '{}' is reserved", k));
    }
    s.summary[k] = v;
  }
  const auto n_data = static_cast<int64_t>(data_files.size());
  const auto n_deletes = static_cast<int64_t>(delete_files.size());
  s.summary["operation"] = n_deletes > 0 ? "overwrite" : "append";
  s.summary["added-data-files"] = std::to_string(n_data);
  s.summary["added-records"] = std::to_string(added_records);
  s.summary["added-files-size"] = std::to_string(added_size);
  if (n_deletes > 0) {
    s.summary["added-delete-files"] = std::to_string(n_deletes);
    s.summary["added-equality-delete-files"] = std::to_string(n_deletes);
    s.summary["added-equality-deletes"] = std::to_string(added_deletes);
  }
  s.summary["total-data-files"] = std::to_string(SummaryLong(parent, "total-data-files") + n_data);
  s.summary["total-records"] = std::to_string(SummaryLong(parent, "total-records") + added_records);
  s.summary["total-files-size"] = std::to_string(SummaryLong(parent, "total-files-size") + added_size);
  s.summary["total-delete-files"] = std::to_string(SummaryLong(parent, "total-delete-files") + n_deletes);
  s.summary["total-position-deletes"] = std::to_string(SummaryLong(parent, "total-position-deletes"));
  s.summary["total-equality-deletes"] =
      std::to_string(SummaryLong(parent, "total-equality-deletes") + added_deletes);

  TableMetadata next = metadata_;
  next.last_sequence_number = seq;
  next.last_updated_ms = now;
  next.current_snapshot_id = snapshot_id;
  next.snapshots.push_back(s);
  next.snapshot_log.push_back({now, snapshot_id});
  next.metadata_log.push_back({metadata_.last_updated_ms, "file://" + MetadataFilePath(version_)});
  bool linked = false;
  Status committed = CommitVersion(version_ + 1, next, &linked);
  if (!committed.ok()) {
    // Version N+1 is not ours (another commit won, or its file could not be written): nothing
    // references this commit's manifest and manifest list. (Once linked, it may be visible: keep
    // every file it names.)
    if (!linked) {
      for (const auto& f : written) (void)fs_->Remove(f);
    }
    return committed;
  }
  ++version_;
  metadata_ = std::move(next);
  return s;
}

Result<std::vector<ManifestEntry>> IcebergTable::ListDataFiles() const {
  FLUSS_ASSIGN_OR_RETURN(SnapshotFiles files, ListFiles());
  return std::move(files.data);
}

Status IcebergTable::Replace(const Schema& schema, std::map<std::string, std::string> properties,
                             const std::vector<std::string>& partition_columns) {
  int32_t schema_id = 0;
  for (const auto& existing : metadata_.schemas) {
    auto id = existing.find("schema-id");
    if (id != existing.end() && id->is_number_integer()) schema_id = std::max(schema_id, id->get<int32_t>() + 1);
  }
  FLUSS_ASSIGN_OR_RETURN(nlohmann::json schema_json, IcebergSchemaJson(schema, schema_id));
  const int64_t now = std::max(NowMs(), metadata_.last_updated_ms);
  TableMetadata next = metadata_;
  next.last_column_id = std::max({next.last_column_id, HighestFieldId(schema_json), schema.highest_field_id()});
  next.schemas.push_back(std::move(schema_json));
  next.current_schema_id = schema_id;
  FLUSS_ASSIGN_OR_RETURN(PartitionSpec wanted, PartitionSpec::Identity(schema, partition_columns, 0));
  const PartitionSpec* same = nullptr;
  int32_t next_spec_id = 0;
  for (const auto& existing : next.partition_specs) {
    if (same == nullptr && existing.SamePartitioning(wanted)) same = &existing;
    next_spec_id = std::max(next_spec_id, existing.spec_id + 1);
  }
  if (same != nullptr) {
    next.default_spec_id = same->spec_id;
  } else {
    FLUSS_ASSIGN_OR_RETURN(wanted, PartitionSpec::Identity(schema, partition_columns, next_spec_id,
                                                           next.last_partition_id + 1));
    next.last_partition_id = std::max(next.last_partition_id, wanted.HighestFieldId());
    next.default_spec_id = wanted.spec_id;
    next.partition_specs.push_back(std::move(wanted));
  }
  next.properties = std::move(properties);
  next.current_snapshot_id.reset();
  next.last_updated_ms = now;
  next.metadata_log.push_back({metadata_.last_updated_ms, "file://" + MetadataFilePath(version_)});
  bool linked = false;
  FLUSS_RETURN_NOT_OK(CommitVersion(version_ + 1, next, &linked));
  ++version_;
  metadata_ = std::move(next);
  return Status::OK();
}

Result<SnapshotFiles> IcebergTable::ListFiles() const {
  const Snapshot* s = metadata_.CurrentSnapshot();
  if (s == nullptr) return SnapshotFiles{};
  return ListFilesOf(*s);
}

Result<SnapshotFiles> IcebergTable::ListFiles(int64_t snapshot_id) const {
  const Snapshot* s = metadata_.FindSnapshot(snapshot_id);
  if (s == nullptr) {
    return Status::Invalid(fmt::format("iceberg: table '{}' has no snapshot {}", dir_, snapshot_id));
  }
  return ListFilesOf(*s);
}

Result<SnapshotFiles> IcebergTable::ListFilesOf(const Snapshot& snapshot) const {
  SnapshotFiles out;
  const Snapshot* s = &snapshot;
  FLUSS_ASSIGN_OR_RETURN(std::string list_path, LocalPath(s->manifest_list));
  FLUSS_ASSIGN_OR_RETURN(auto list_bytes, avro::ReadWholeFile(list_path));
  auto list = ReadManifestList(list_bytes);
  if (!list.ok()) return list.status().WithContext(list_path);
  for (const auto& mf : list->manifests) {
    FLUSS_ASSIGN_OR_RETURN(std::string path, LocalPath(mf.manifest_path));
    FLUSS_ASSIGN_OR_RETURN(auto bytes, avro::ReadWholeFile(path));
    if (static_cast<int64_t>(bytes.size()) != mf.manifest_length) {
      return Status::Corruption(fmt::format("iceberg: manifest '{}' is {} bytes, the manifest list says {}", path,
                                            bytes.size(), mf.manifest_length));
    }
    auto manifest = ReadManifest(bytes);
    if (!manifest.ok()) return manifest.status().WithContext(path);
    if (static_cast<int32_t>(manifest->content) != mf.content) {
      return Status::Corruption(fmt::format("iceberg: manifest '{}' holds {} files but the manifest list says content {}",
                                            path, manifest->content == ManifestContent::kData ? "data" : "delete",
                                            mf.content));
    }
    for (auto& e : manifest->entries) {
      if (e.status == ManifestEntryStatus::kDeleted) continue;
      if (!e.snapshot_id) e.snapshot_id = mf.added_snapshot_id;
      if (e.status == ManifestEntryStatus::kAdded) {
        if (!e.sequence_number) e.sequence_number = mf.sequence_number;
        if (!e.file_sequence_number) e.file_sequence_number = mf.sequence_number;
      } else if (!e.sequence_number || !e.file_sequence_number) {
        return Status::Corruption(fmt::format("iceberg: EXISTING entry '{}' without sequence numbers",
                                              e.data_file.file_path));
      }
      (mf.content == 0 ? out.data : out.deletes).push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace fluss::iceberg
