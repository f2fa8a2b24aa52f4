#include "server/data_dir_layout.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "log/file_io.h"

namespace fluss {

namespace fs = std::filesystem;

namespace {

// "{prefix}{n}" with n in [0, limit) written without leading zeros, as the server names bucket dirs.
bool IsBucketDir(std::string_view name, std::string_view prefix, int32_t limit) {
  if (!name.starts_with(prefix)) return false;
  std::string_view digits = name.substr(prefix.size());
  int32_t bucket = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bucket);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  return bucket >= 0 && bucket < limit && std::to_string(bucket) == digits;
}

bool IsReservedRootName(std::string_view name) {
  for (std::string_view reserved : TablePath::kReservedDatabaseNames) {
    if (name == reserved) return true;
  }
  return false;
}

std::string Stamp(int64_t now_ms) {
  const std::time_t secs = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  return buf;
}

class Reconciler {
 public:
  Reconciler(std::string data_dir, const std::vector<LocalTable>& live, const std::vector<DroppedTableRecord>& dropped,
             const std::vector<DroppedPartitionRecord>& dropped_partitions, int64_t now_ms)
      : data_dir_(std::move(data_dir)), now_ms_(now_ms) {
    for (const auto& t : live) live_[t.table_id] = &t;
    for (const auto& d : dropped) dropped_[d.table_id] = &d;
    for (const auto& d : dropped_partitions) dropped_partitions_[d.partition_id] = &d;
    for (const auto& t : live) live_databases_.insert(t.path.database());
  }

  Result<DataDirReport> Run() {
    for (const auto& db : live_databases_) {
      if (IsReservedRootName(db)) {
        return Status(ErrorCode::kInvalidDatabase,
                      fmt::format("database '{}' has the name of a file the server keeps in its data dir '{}'; "
                                  "such names are refused since this version: copy its tables' data to another "
                                  "database and drop it with an older fluss-server",
                                  db, data_dir_));
      }
    }
    std::error_code ec;
    std::vector<fs::directory_entry> roots;
    for (const auto& e : fs::directory_iterator(data_dir_, ec)) roots.push_back(e);
    if (ec) return Status::IOError(fmt::format("cannot list data dir '{}': {}", data_dir_, ec.message()));
    for (const auto& entry : roots) {
      const std::string name = entry.path().filename().string();
      // The server's own entries: names no database can have (they start with '.', or hold a '.' like
      // "high-watermark-checkpoint.tmp"), and the reserved ones. Left alone.
      if (!TablePath::ValidateName(name, "database").ok() || IsReservedRootName(name)) continue;
      if (!IsDirectory(entry)) {
        FLUSS_RETURN_NOT_OK(Quarantine(name, "a file where only database directories belong"));
        continue;
      }
      FLUSS_RETURN_NOT_OK(ReconcileDatabase(name));
    }
    return std::move(report_);
  }

 private:
  static bool IsDirectory(const fs::directory_entry& e) {
    std::error_code ec;
    return e.symlink_status(ec).type() == fs::file_type::directory;
  }

  Status ReconcileDatabase(const std::string& db) {
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (const auto& e : fs::directory_iterator(fs::path(data_dir_) / db, ec)) entries.push_back(e);
    if (ec) return Status::IOError(fmt::format("cannot list '{}/{}': {}", data_dir_, db, ec.message()));
    for (const auto& entry : entries) {
      const std::string name = entry.path().filename().string();
      const std::string rel = db + "/" + name;
      std::string table;
      int64_t id = -1;
      if (!IsDirectory(entry) || !DataDirLayout::ParseTableDirName(name, &table, &id)) {
        FLUSS_RETURN_NOT_OK(Quarantine(rel, "not a table directory ({table}-{table id})"));
        continue;
      }
      if (auto it = live_.find(id); it != live_.end()) {
        const LocalTable& t = *it->second;
        if (t.path.database() == db && t.path.table() == table) {
          FLUSS_RETURN_NOT_OK(ReconcileTable(rel, t));
          continue;
        }
        FLUSS_RETURN_NOT_OK(Quarantine(rel, fmt::format("table id {} is '{}', not '{}.{}'", id, t.path.ToString(), db,
                                                        table)));
        continue;
      }
      if (auto it = dropped_.find(id); it != dropped_.end() && it->second->path.database() == db &&
                                       it->second->path.table() == table) {
        spdlog::warn("deleting '{}': table '{}' (id {}) was dropped at {} ms", rel, it->second->path.ToString(), id,
                     it->second->dropped_time_ms);
        fs::remove_all(entry.path(), ec);
        if (ec) return Status::IOError(fmt::format("cannot delete '{}/{}': {}", data_dir_, rel, ec.message()));
        report_.deleted.push_back(rel);
        continue;
      }
      FLUSS_RETURN_NOT_OK(Quarantine(rel, fmt::format("no table '{}.{}' with id {} exists or was dropped", db, table, id)));
    }
    if (!live_databases_.contains(db) && fs::is_empty(fs::path(data_dir_) / db, ec) && !ec) {
      fs::remove(fs::path(data_dir_) / db, ec);  // an empty directory: no data in it
    }
    return Status::OK();
  }

  Status ReconcileTable(const std::string& rel, const LocalTable& t) {
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (const auto& e : fs::directory_iterator(fs::path(data_dir_) / rel, ec)) entries.push_back(e);
    if (ec) return Status::IOError(fmt::format("cannot list '{}/{}': {}", data_dir_, rel, ec.message()));
    std::sort(entries.begin(), entries.end());
    if (t.partitioned) return ReconcilePartitions(rel, t, entries);
    return ReconcileBuckets(rel, t, entries, "");
  }

  // The entries of a partitioned table's directory: its partitions' directories.
  Status ReconcilePartitions(const std::string& rel, const LocalTable& t, const std::vector<fs::directory_entry>& entries) {
    std::map<int64_t, const LocalTable::Partition*> live;
    for (const auto& p : t.partitions) live[p.partition_id] = &p;
    for (const auto& entry : entries) {
      const std::string name = entry.path().filename().string();
      const std::string child = rel + "/" + name;
      std::string partition;
      int64_t id = -1;
      if (!IsDirectory(entry) || !DataDirLayout::ParsePartitionDirName(name, &partition, &id)) {
        FLUSS_RETURN_NOT_OK(Quarantine(child, fmt::format("not a partition directory ({{partition}}-p{{partition id}}) "
                                                          "of partitioned table '{}'",
                                                          t.path.ToString())));
        continue;
      }
      if (auto it = live.find(id); it != live.end() && it->second->name == partition) {
        std::error_code ec;
        std::vector<fs::directory_entry> buckets;
        for (const auto& e : fs::directory_iterator(entry.path(), ec)) buckets.push_back(e);
        if (ec) return Status::IOError(fmt::format("cannot list '{}/{}': {}", data_dir_, child, ec.message()));
        std::sort(buckets.begin(), buckets.end());
        FLUSS_RETURN_NOT_OK(ReconcileBuckets(child, t, buckets, fmt::format(" partition '{}'", partition)));
        continue;
      }
      if (auto it = dropped_partitions_.find(id); it != dropped_partitions_.end() &&
                                                  it->second->table_id == t.table_id &&
                                                  it->second->partition_name == partition) {
        spdlog::warn("deleting '{}': partition '{}' (id {}) of table '{}' was dropped at {} ms", child, partition, id,
                     t.path.ToString(), it->second->dropped_time_ms);
        std::error_code ec;
        fs::remove_all(entry.path(), ec);
        if (ec) return Status::IOError(fmt::format("cannot delete '{}/{}': {}", data_dir_, child, ec.message()));
        report_.deleted.push_back(child);
        continue;
      }
      FLUSS_RETURN_NOT_OK(Quarantine(child, fmt::format("no partition '{}' with id {} of table '{}' exists or was "
                                                        "dropped",
                                                        partition, id, t.path.ToString())));
    }
    return Status::OK();
  }

  // The entries of a table's (or partition's: `what` names it) directory: its buckets' logs and KV stores.
  Status ReconcileBuckets(const std::string& rel, const LocalTable& t, const std::vector<fs::directory_entry>& entries,
                          const std::string& what) {
    for (const auto& entry : entries) {
      const std::string name = entry.path().filename().string();
      const std::string child = rel + "/" + name;
      if (IsDirectory(entry) && IsBucketDir(name, "log-", t.bucket_count)) {
        report_.bucket_logs.push_back(child);
      } else if (IsDirectory(entry) && t.primary_key && IsBucketDir(name, "kv-", t.bucket_count)) {
        // the bucket's RocksDB, opened with its table
      } else {
        FLUSS_RETURN_NOT_OK(Quarantine(child, fmt::format("not a bucket of{} table '{}' ({} buckets{})", what,
                                                          t.path.ToString(), t.bucket_count,
                                                          t.primary_key ? ", primary key" : "")));
      }
    }
    return Status::OK();
  }

  // Moves `rel` to .quarantine/{stamp}/{rel}.
  Status Quarantine(const std::string& rel, const std::string& why) {
    if (report_.quarantine_dir.empty()) {
      const fs::path base = fs::path(data_dir_) / DataDirLayout::kQuarantineDir;
      std::string dir = (base / Stamp(now_ms_)).string();
      std::error_code ec;
      for (int n = 1; fs::exists(dir, ec); ++n) dir = (base / fmt::format("{}-{}", Stamp(now_ms_), n)).string();
      report_.quarantine_dir = dir;
    }
    const fs::path from = fs::path(data_dir_) / rel;
    const fs::path to = fs::path(report_.quarantine_dir) / rel;
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (ec) return Status::IOError(fmt::format("cannot create '{}': {}", to.parent_path().string(), ec.message()));
    fs::rename(from, to, ec);
    if (ec) {
      return Status::IOError(fmt::format("cannot move '{}' aside to '{}': {}", from.string(), to.string(), ec.message()));
    }
    FLUSS_RETURN_NOT_OK(SyncDirectory(to.parent_path().string()));
    FLUSS_RETURN_NOT_OK(SyncDirectory(from.parent_path().string()));
    spdlog::warn("moved '{}' aside to '{}': {}", rel, to.string(), why);
    report_.quarantined.push_back(rel);
    return Status::OK();
  }

  const std::string data_dir_;
  const int64_t now_ms_;
  std::map<int64_t, const LocalTable*> live_;
  std::map<int64_t, const DroppedTableRecord*> dropped_;
  std::map<int64_t, const DroppedPartitionRecord*> dropped_partitions_;
  std::set<std::string> live_databases_;
  DataDirReport report_;
};

}  // namespace

std::string DataDirLayout::TableDir(const TablePath& path, int64_t table_id) {
  return fmt::format("{}/{}-{}", path.database(), path.table(), table_id);
}

bool DataDirLayout::ParseTableDirName(std::string_view name, std::string* table, int64_t* table_id) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return false;
  std::string_view digits = name.substr(dash + 1);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id < 1 || std::to_string(id) != digits) return false;
  *table = std::string(name.substr(0, dash));
  *table_id = id;
  return true;
}

std::string DataDirLayout::PartitionDirName(std::string_view partition_name, int64_t partition_id) {
  return fmt::format("{}-p{}", partition_name, partition_id);
}

bool DataDirLayout::ParsePartitionDirName(std::string_view name, std::string* partition_name, int64_t* partition_id) {
  const size_t sep = name.rfind("-p");
  if (sep == std::string_view::npos || sep == 0 || sep + 2 == name.size()) return false;
  std::string_view digits = name.substr(sep + 2);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id < 0 || std::to_string(id) != digits) return false;
  *partition_name = std::string(name.substr(0, sep));
  *partition_id = id;
  return true;
}

Result<DataDirReport> DataDirLayout::Reconcile(const std::string& data_dir, const std::vector<LocalTable>& live,
                                               const std::vector<DroppedTableRecord>& dropped, int64_t now_ms,
                                               const std::vector<DroppedPartitionRecord>& dropped_partitions) {
  return Reconciler(data_dir, live, dropped, dropped_partitions, now_ms).Run();
}

}  // namespace fluss
