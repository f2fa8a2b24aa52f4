#include "log/writer_state.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "log/file_io.h"

namespace fluss {

namespace {

std::optional<int64_t> SnapshotOffsetOf(std::string_view name) {
  if (name.size() != 20 + kWriterSnapshotSuffix.size() || !name.ends_with(kWriterSnapshotSuffix)) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

std::string SnapshotPath(const std::string& dir, int64_t offset) {
  return fmt::format("{}/{:020d}{}", dir, offset, kWriterSnapshotSuffix);
}

}  // namespace

Result<WriterCheck> WriterStateManager::CheckBatch(int64_t writer_id, int32_t seq) const {
  WriterCheck check;
  if (writer_id < 0 || seq < 0) return check;
  auto it = writers_.find(writer_id);
  if (it == writers_.end() || it->second.batches.empty()) return check;  // unknown or expired: accept
  const WriterStateEntry& e = it->second;
  for (const WriterBatchMetadata& b : e.batches) {
    if (b.batch_sequence == seq) {
      check.duplicate = true;
      check.original = b;
      return check;
    }
  }
  const int32_t last = e.last_sequence();
  if (seq == last + 1 || (last == std::numeric_limits<int32_t>::max() && seq == 0)) return check;
  if (seq < last) {
    return Status(ErrorCode::kDuplicateSequence,
                  fmt::format("writer {}: batch sequence {} was already written (last sequence {}, offsets of "
                              "batches before sequence {} are no longer retained)",
                              writer_id, seq, last, e.batches.front().batch_sequence));
  }
  return Status(ErrorCode::kOutOfOrderSequence,
                fmt::format("writer {}: out of order batch sequence {}, expected {}", writer_id, seq, last + 1));
}

void WriterStateManager::Update(int64_t writer_id, const WriterBatchMetadata& batch) {
  if (writer_id < 0) return;
  WriterStateEntry& e = writers_[writer_id];
  e.batches.push_back(batch);
  while (e.batches.size() > WriterStateEntry::kNumBatchesToRetain) e.batches.pop_front();
}

const WriterStateEntry* WriterStateManager::Find(int64_t writer_id) const {
  auto it = writers_.find(writer_id);
  return it == writers_.end() ? nullptr : &it->second;
}

size_t WriterStateManager::RemoveExpired(int64_t now_ms) {
  if (expiration_ms_ <= 0) return 0;
  return std::erase_if(writers_, [&](const auto& kv) { return kv.second.last_timestamp() < now_ms - expiration_ms_; });
}

void WriterStateManager::TruncateHead(int64_t log_start_offset) {
  std::erase_if(writers_, [&](const auto& kv) { return kv.second.last_offset() < log_start_offset; });
}

std::string WriterStateManager::SerializeSnapshot() const {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [id, e] : writers_) {
    if (e.batches.empty()) continue;
    const WriterBatchMetadata& b = e.batches.back();
    entries.push_back({{"writer_id", id},
                       {"last_batch_sequence", b.batch_sequence},
                       {"last_batch_base_offset", b.base_offset},
                       {"offset_delta", b.offset_delta},
                       {"last_batch_timestamp", b.timestamp}});
  }
  nlohmann::json doc = {{"version", 1}, {"writer_id_entries", entries}};
  return doc.dump();
}

Status WriterStateManager::ParseSnapshot(std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("writer_id_entries") ||
      !doc["writer_id_entries"].is_array()) {
    return Status::Corruption("writer snapshot is not a JSON object with writer_id_entries");
  }
  std::map<int64_t, WriterStateEntry> loaded;
  for (const auto& e : doc["writer_id_entries"]) {
    for (const char* key : {"writer_id", "last_batch_sequence", "last_batch_base_offset", "offset_delta",
                            "last_batch_timestamp"}) {
      if (!e.contains(key) || !e[key].is_number_integer()) {
        return Status::Corruption(fmt::format("writer snapshot entry lacks integer '{}'", key));
      }
    }
    WriterBatchMetadata b{e["last_batch_sequence"].get<int32_t>(), e["last_batch_base_offset"].get<int64_t>(),
                          e["offset_delta"].get<int32_t>(), e["last_batch_timestamp"].get<int64_t>()};
    loaded[e["writer_id"].get<int64_t>()].batches.push_back(b);
  }
  writers_ = std::move(loaded);
  return Status::OK();
}

Status WriterStateManager::TakeSnapshot(int64_t offset, bool sync) const {
  return WriteFileDurably(fs_, SnapshotPath(dir_, offset), SerializeSnapshot(),
                                            sync ? Durability::kNow : Durability::kAtNextSyncFileSystem);
}

bool WriterStateManager::HasSnapshotAt(int64_t offset) const {
  return fs_.Exists(SnapshotPath(dir_, offset)).ValueOr(false);
}

std::vector<int64_t> WriterStateManager::SnapshotOffsets() const {
  std::vector<int64_t> out;
  for (const std::string& name : fs_.ListDirectory(dir_).ValueOr({})) {
    if (auto off = SnapshotOffsetOf(name)) out.push_back(*off);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::optional<int64_t>> WriterStateManager::LoadLatestSnapshot(int64_t max_offset) {
  writers_.clear();
  std::vector<int64_t> offsets = SnapshotOffsets();
  for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) {
    const std::string path = SnapshotPath(dir_, *it);
    if (*it > max_offset) {
      FLUSS_RETURN_NOT_OK(fs_.Remove(path));
      continue;
    }
    auto bytes = fs_.ReadFile(path);
    Status st = bytes.ok() ? ParseSnapshot(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()))
                           : bytes.status();
    if (st.ok()) return std::optional<int64_t>(*it);
    spdlog::warn("writer snapshot '{}' is unreadable ({}); deleting it and trying an older one", path, st.ToString());
    FLUSS_RETURN_NOT_OK(fs_.Remove(path));
    writers_.clear();
  }
  return std::optional<int64_t>();
}

void WriterStateManager::DeleteSnapshotsBefore(int64_t offset) {
  std::vector<int64_t> offsets = SnapshotOffsets();
  int64_t keep = -1;
  for (int64_t o : offsets) {
    if (o <= offset) keep = o;
  }
  for (int64_t o : offsets) {
    if (o < offset && o != keep) (void)fs_.Remove(SnapshotPath(dir_, o));
  }
}

void WriterStateManager::DeleteAllSnapshots() {
  for (int64_t o : SnapshotOffsets()) (void)fs_.Remove(SnapshotPath(dir_, o));
}

}  // namespace fluss
