// IcebergTable: one Iceberg v2 table in a filesystem warehouse directory (layout and commit protocol:
// docs/formats/iceberg.md).
//
//   <table>/metadata/v<N>.metadata.json           table metadata, one file per version
//   <table>/metadata/version-hint.text            the current N (a hint; newer vN files win)
//   <table>/metadata/snap-<id>-1-<uuid>.avro      manifest list of a snapshot
//   <table>/metadata/<uuid>-m0.avro               manifest
//   <table>/data/...                              data files (written by the caller)
//
// A commit writes v<N+1>.metadata.json with an atomic create-if-absent (link of a fully written
// temporary file), then swaps version-hint.text by rename. A commit based on version N fails with
// INVALID_UPDATE_VERSION when v<N+1> already exists: the caller refreshes and retries.
//
// Not thread-safe; several processes may commit to one table (the link decides who wins).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fs/file_system.h"
#include "lake/iceberg/manifest.h"
#include "lake/iceberg/manifest_list.h"
#include "lake/iceberg/table_metadata.h"
#include "types/schema.h"

namespace fluss::iceberg {

// The live files of a snapshot: data files, and delete files (content kEqualityDeletes or
// kPositionDeletes) from the delete manifests. Every entry has its sequence numbers and snapshot id
// filled in (inherited from the manifest list entry where the manifest leaves them null).
struct SnapshotFiles {
  std::vector<ManifestEntry> data;
  std::vector<ManifestEntry> deletes;
};

class IcebergTable {
 public:
  // Creates the table at `table_dir` (absolute; created if missing) with metadata v1: the schema
  // (column ids as field ids), no snapshot, and partition spec 0: identity on `partition_columns`
  // (field ids from 1000; none: unpartitioned). Errors with LAKE_TABLE_ALREADY_EXIST if v1 exists.
  // Everything it writes goes through `fs` (and is durable before a commit returns).
  static Result<IcebergTable> Create(const std::string& table_dir, const Schema& schema,
                                     std::map<std::string, std::string> properties = {},
                                     FileSystem& fs = FileSystem::Local(),
                                     const std::vector<std::string>& partition_columns = {});
  // Loads the latest metadata version of the table at `table_dir`; commits write through `fs`.
  // NotFound when there is no table there.
  static Result<IcebergTable> Open(const std::string& table_dir, FileSystem& fs = FileSystem::Local());

  // Re-reads the latest version (after a conflict).
  Status Refresh();

  // Adds `files` (content DATA, paths as URIs) as a new snapshot with operation "append": a new
  // manifest with the files as ADDED, a manifest list with it and the parent's manifests, and
  // metadata version N+1. `summary_properties` are added to the snapshot summary (e.g. the Fluss
  // log offsets per bucket); they may not replace the spec's keys ("operation", "added-*",
  // "total-*"). Returns the new snapshot.
  Result<Snapshot> Append(const std::vector<DataFile>& files,
                          const std::map<std::string, std::string>& summary_properties = {});

  // Adds `data_files` (content DATA) and `delete_files` (equality delete files, each with
  // equality_ids) in one snapshot. Every file's partition tuple must fit the default partition spec
  // (one value per field, of its type); the manifests are written with that spec and their manifest
  // list entries carry the partition field summaries of their files. The files: a data manifest and a delete manifest (content "deletes", list
  // entry content 1), both at the new sequence number — so the deletes apply to the rows of earlier
  // snapshots only, not to the data files committed with them. The operation is "overwrite" when
  // there are delete files, "append" otherwise; the summary adds added-delete-files,
  // added-equality-delete-files, added-equality-deletes and the total-* counters (spec "Snapshot
  // summary"). Same rules for `summary_properties` as Append.
  Result<Snapshot> Commit(const std::vector<DataFile>& data_files, const std::vector<DataFile>& delete_files,
                          const std::map<std::string, std::string>& summary_properties = {});

  // Replaces the table's schema and properties in a new metadata version that has no current
  // snapshot (Iceberg's "replace table"): readers of the current snapshot see an empty table with the
  // new schema; the earlier snapshots and their files stay in the history (time travel by snapshot
  // id). The table keeps its uuid, location and sequence numbers. The new schema gets the next
  // schema id; its field ids are kept as given. The default partition spec becomes identity on
  // `partition_columns`: an existing spec that partitions the same way, else a new spec (next spec
  // id, field ids after last-partition-id). INVALID_UPDATE_VERSION when another commit came first.
  Status Replace(const Schema& schema, std::map<std::string, std::string> properties,
                 const std::vector<std::string>& partition_columns = {});

  // Data and delete files of the current snapshot (empty when there is none). Errors: a manifest
  // whose content disagrees with its manifest list entry or its header, wrong lengths, corruption.
  Result<SnapshotFiles> ListFiles() const;
  // The same for snapshot `snapshot_id` (NOT_FOUND-style INVALID when the table has no such snapshot).
  Result<SnapshotFiles> ListFiles(int64_t snapshot_id) const;

  // The live (not DELETED) data file entries of the current snapshot (ListFiles().data): with
  // inherited sequence numbers and snapshot ids filled in. Empty when the table has no snapshot.
  Result<std::vector<ManifestEntry>> ListDataFiles() const;

  const TableMetadata& metadata() const { return metadata_; }
  int64_t version() const { return version_; }
  const std::string& table_dir() const { return dir_; }
  std::string MetadataFilePath(int64_t version) const;

  // The local path of a file:// URI ("file:///a/b", "file:/a/b") or an absolute path; other schemes
  // are NotSupported.
  static Result<std::string> LocalPath(std::string_view uri);

 private:
  IcebergTable() = default;
  Result<SnapshotFiles> ListFilesOf(const Snapshot& snapshot) const;
  // Writes metadata as version `version` if that version does not exist yet (INVALID_UPDATE_VERSION
  // when it does), durably. `linked` tells whether the version became visible (then the files it
  // names must stay, whatever the result).
  Status CommitVersion(int64_t version, const TableMetadata& metadata, bool* linked);
  Status Load();

  FileSystem* fs_ = &FileSystem::Local();
  std::string dir_;
  int64_t version_ = 0;
  TableMetadata metadata_;
};

}  // namespace fluss::iceberg
