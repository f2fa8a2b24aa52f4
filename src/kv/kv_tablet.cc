#include "kv/kv_tablet.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/log_record_batch.h"
#include "format/value_encoding.h"
#include "common/ascii.h"

namespace fluss {

namespace {

// Largest read of the changelog per catch-up step.
constexpr size_t kCatchUpReadBytes = 16 << 20;

Status BadRecord(size_t index, const std::string& what) {
  return Status::Corruption(fmt::format("record {} of the batch: {}", index, what));
}

// The key columns of a key-only row (key order) placed into a row of the full schema.
GenericRow KeyToFullRow(const GenericRow& key_row, const std::vector<size_t>& key_indexes, size_t arity) {
  GenericRow full(arity);
  for (size_t j = 0; j < key_indexes.size(); ++j) full.SetField(key_indexes[j], key_row.field(j));
  return full;
}

}  // namespace

Result<ChangelogImage> ParseChangelogImage(const std::map<std::string, std::string>& properties) {
  auto it = properties.find("table.changelog.image");
  if (it == properties.end()) return ChangelogImage::kFull;
  const std::string v = AsciiUpper(it->second);
  if (v == "FULL") return ChangelogImage::kFull;
  if (v == "WAL") return ChangelogImage::kWal;
  return Status::InvalidArgument(fmt::format("table.changelog.image must be FULL or WAL, not '{}'", it->second));
}

KvTablet::KvTablet(std::shared_ptr<LogTablet> log, std::unique_ptr<RocksKv> kv, std::map<int32_t, Schema> schemas,
                   KvTabletOptions options, ChangelogImage image, std::vector<size_t> key_indexes,
                   std::vector<size_t> bucket_key_indexes, std::shared_ptr<KvResources> resources)
    : log_(std::move(log)),
      kv_(std::move(kv)),
      options_(std::move(options)),
      image_(image),
      compression_(arrow::TableLogCompression(options_.properties)),
      key_indexes_(std::move(key_indexes)),
      bucket_key_indexes_(std::move(bucket_key_indexes)),
      schemas_(std::move(schemas)),
      resources_(std::move(resources)) {}

KvTablet::~KvTablet() {
  // The flush threads must be done with this tablet.
  std::unique_lock lock(buffer_mu_);
  buffer_cv_.wait(lock, [this] { return !flushing_; });
}

Result<std::unique_ptr<KvTablet>> KvTablet::Open(std::string dir, std::shared_ptr<LogTablet> log,
                                                 std::map<int32_t, Schema> schemas, KvTabletOptions options,
                                                 std::shared_ptr<KvResources> resources) {
  if (schemas.empty()) return Status::Internal("a KV tablet needs the table's schema");
  const Schema& latest = schemas.rbegin()->second;
  if (!latest.has_primary_key()) {
    return Status(ErrorCode::kNonPrimaryKeyTable, "a KV tablet needs a table with a primary key");
  }
  FLUSS_ASSIGN_OR_RETURN(auto image, ParseChangelogImage(options.properties));
  std::vector<size_t> key_indexes = latest.primary_key_indexes();
  std::vector<size_t> physical_key;  // without the partition keys: what a record's key encodes
  for (size_t k : key_indexes) {
    const std::string& name = latest.column(k).name;
    if (std::find(options.partition_keys.begin(), options.partition_keys.end(), name) == options.partition_keys.end()) {
      physical_key.push_back(k);
    }
  }
  if (physical_key.empty()) {
    return Status(ErrorCode::kInvalidTable, "the primary key has no column besides the partition keys");
  }
  std::vector<size_t> bucket_key_indexes;
  for (const auto& name : options.bucket_keys) {
    auto idx = latest.IndexOf(name);
    if (!idx) return Status(ErrorCode::kInvalidTable, fmt::format("bucket key '{}' is not a column", name));
    bucket_key_indexes.push_back(*idx);
  }
  if (bucket_key_indexes.empty()) bucket_key_indexes = physical_key;

  FLUSS_ASSIGN_OR_RETURN(auto kv, RocksKv::Open(dir, resources));
  FLUSS_ASSIGN_OR_RETURN(int64_t applied, kv->AppliedOffset());
  if (applied > log->log_end_offset()) {
    // The store saw changes the log no longer has (an unflushed log tail was lost): the log wins.
    spdlog::warn("KV state in '{}' is at changelog offset {} but the log ends at {}: rebuilding it from the log", dir,
                 applied, log->log_end_offset());
    FLUSS_RETURN_NOT_OK(kv->Destroy());
    FLUSS_ASSIGN_OR_RETURN(kv, RocksKv::Open(dir, resources));
    applied = 0;
  }
  if (applied < log->log_start_offset()) {
    return Status::Corruption(fmt::format(
        "KV state in '{}' is at changelog offset {}, but the log now starts at {}: the changes in between are gone",
        dir, applied, log->log_start_offset()));
  }
  log->SetRetentionHold(RetentionHold::kKvApplied, options.hold_whole_log ? 0 : applied);
  std::unique_ptr<KvTablet> tablet(new KvTablet(std::move(log), std::move(kv), std::move(schemas), std::move(options),
                                                image, std::move(key_indexes), std::move(bucket_key_indexes),
                                                std::move(resources)));
  {
    std::lock_guard lock(tablet->put_mu_);
    FLUSS_RETURN_NOT_OK(tablet->CatchUp());
  }
  return tablet;
}

std::vector<size_t> KvTablet::KeyIndexes(const Schema& schema) const {
  std::vector<size_t> out;
  for (size_t k : schema.primary_key_indexes()) {
    const std::string& name = schema.column(k).name;
    const auto& parts = options_.partition_keys;
    if (std::find(parts.begin(), parts.end(), name) == parts.end()) out.push_back(k);
  }
  return out;
}

Status KvTablet::CatchUp() {
  FLUSS_ASSIGN_OR_RETURN(int64_t offset, kv_->AppliedOffset());
  const int64_t start = offset;
  int64_t replayed = 0;
  while (offset < log_->log_end_offset()) {
    FLUSS_ASSIGN_OR_RETURN(auto data, log_->Read(offset, kCatchUpReadBytes));
    FLUSS_ASSIGN_OR_RETURN(auto records, data.ReadRecords());
    FLUSS_ASSIGN_OR_RETURN(auto batches,
                           ParseLogRecordBatches(records, /*verify_crc=*/true, /*allow_partial_tail=*/true));
    if (batches.empty()) {
      return Status::Corruption(
          fmt::format("replaying the changelog of '{}': no whole batch at offset {}", kv_->dir(), offset));
    }
    KvWrite write;
    for (const auto& batch : batches) {
      if (batch.next_offset() <= offset) continue;
      if (batch.record_count() > 0) {
        Schema schema;
        {
          std::lock_guard lock(schema_mu_);
          auto it = schemas_.find(batch.schema_id());
          if (it == schemas_.end()) {
            return Status(ErrorCode::kSchemaNotExist,
                          fmt::format("changelog batch at offset {} names unknown schema id {}", batch.base_offset(),
                                      batch.schema_id()));
          }
          schema = it->second;
        }
        const auto key_indexes = KeyIndexes(schema);
        FLUSS_ASSIGN_OR_RETURN(auto rows, batch.ReadRecords(schema));
        for (const auto& r : rows) {
          if (r.change_type == ChangeType::kUpdateBefore) continue;
          FLUSS_ASSIGN_OR_RETURN(auto key, EncodeCompactedKey(schema, key_indexes, r.row));
          std::string k(key.begin(), key.end());
          if (r.change_type == ChangeType::kDelete) {
            write.ops.push_back({std::move(k), std::nullopt});
          } else {
            FLUSS_ASSIGN_OR_RETURN(auto value, EncodeKvValue(batch.schema_id(), schema, r.row));
            write.ops.push_back({std::move(k), std::string(value.begin(), value.end())});
          }
          ++replayed;
        }
      }
      offset = batch.next_offset();
    }
    write.applied_offset = offset;
    FLUSS_RETURN_NOT_OK(kv_->Write(write));
  }
  if (offset > start) {
    spdlog::info("KV state in '{}' caught up with the changelog from offset {} to {} ({} changes replayed)",
                 kv_->dir(), start, offset, replayed);
  }
  return Status::OK();
}

void KvTablet::AddSchema(int32_t schema_id, Schema schema) {
  std::lock_guard lock(schema_mu_);
  schemas_[schema_id] = std::move(schema);
}

Result<GenericRow> KvTablet::ToLatest(int32_t schema_id, GenericRow row) const {
  std::lock_guard lock(schema_mu_);
  const auto latest = schemas_.rbegin();
  if (schema_id == latest->first) return row;
  auto from = schemas_.find(schema_id);
  if (from == schemas_.end()) {
    return Status(ErrorCode::kSchemaNotExist, fmt::format("unknown schema id {}", schema_id));
  }
  // Columns are matched by id; a column the old schema did not have is NULL.
  GenericRow out(latest->second.num_columns());
  for (size_t i = 0; i < latest->second.num_columns(); ++i) {
    const int32_t id = latest->second.column(i).id;
    for (size_t j = 0; j < from->second.num_columns() && j < row.arity(); ++j) {
      if (from->second.column(j).id == id) {
        out.SetField(i, row.field(j));
        break;
      }
    }
  }
  return out;
}

Result<GenericRow> KvTablet::DecodeValue(std::string_view value) const {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  FLUSS_ASSIGN_OR_RETURN(auto view, ParseKvValue(bytes));
  Schema schema;
  {
    std::lock_guard lock(schema_mu_);
    auto it = schemas_.find(view.schema_id);
    if (it == schemas_.end()) {
      return Status(ErrorCode::kSchemaNotExist, fmt::format("stored value names unknown schema id {}", view.schema_id));
    }
    schema = it->second;
  }
  FLUSS_ASSIGN_OR_RETURN(auto row, DecodeCompactedRow(schema, view.row));
  return ToLatest(view.schema_id, std::move(row));
}

Result<const RowMerger*> KvTablet::MergerFor(const std::vector<int32_t>& target_columns) {
  Schema latest;
  int32_t latest_id;
  {
    std::lock_guard lock(schema_mu_);
    latest_id = schemas_.rbegin()->first;
    latest = schemas_.rbegin()->second;
  }
  if (latest_id != mergers_schema_id_) {
    mergers_.clear();
    mergers_schema_id_ = latest_id;
  }
  auto it = mergers_.find(target_columns);
  if (it != mergers_.end()) return it->second.get();
  std::optional<std::vector<size_t>> targets;
  if (!target_columns.empty()) {
    targets.emplace();
    for (int32_t c : target_columns) {
      if (c < 0 || static_cast<size_t>(c) >= latest.num_columns()) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("target column {} does not exist: the table has {} columns", c,
                                  latest.num_columns()));
      }
      targets->push_back(static_cast<size_t>(c));
    }
    for (size_t k : key_indexes_) {
      if (std::find(targets->begin(), targets->end(), k) == targets->end()) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("a partial update must write every primary-key column; '{}' is missing",
                                  latest.column(k).name));
      }
    }
  }
  FLUSS_ASSIGN_OR_RETURN(auto merger, RowMerger::Create(latest, options_.properties, targets));
  const RowMerger* raw = merger.get();
  mergers_[target_columns] = std::move(merger);
  return raw;
}

Status KvTablet::CheckOpen() const {
  if (closed_) return Status::Unavailable(fmt::format("KV tablet '{}' is closed", kv_->dir()));
  return Status::OK();
}

Result<KvPutResult> KvTablet::Put(const KvRecordBatch& batch, const std::vector<int32_t>& target_columns) {
  std::lock_guard put_lock(put_mu_);
  std::shared_lock open_lock(close_mu_);
  FLUSS_RETURN_NOT_OK(CheckOpen());
  {
    std::lock_guard lock(buffer_mu_);
    if (!flush_error_.ok()) {
      return Status::IOError(fmt::format("the KV state of '{}' could not be written ({}); it is rebuilt from the "
                                         "changelog when the server restarts",
                                         kv_->dir(), flush_error_.message()));
    }
  }
  KvPutResult result;

  // A retry of one of the writer's last batches: answered without touching the state.
  if (batch.writer_id() != kv_batch::kNoWriterId && batch.batch_sequence() != kv_batch::kNoBatchSequence) {
    if (auto state = log_->writer_state(batch.writer_id())) {
      for (const auto& b : state->batches) {
        if (b.batch_sequence == batch.batch_sequence()) {
          result.duplicate = true;
          result.log_end_offset = log_->log_end_offset();
          return result;
        }
      }
    }
  }

  Schema batch_schema;
  Schema latest;
  int32_t latest_id;
  {
    std::lock_guard lock(schema_mu_);
    auto it = schemas_.find(batch.schema_id());
    if (it == schemas_.end()) {
      return Status(ErrorCode::kSchemaNotExist,
                    fmt::format("the batch names schema id {}, which the table does not have", batch.schema_id()));
    }
    batch_schema = it->second;
    latest_id = schemas_.rbegin()->first;
    latest = schemas_.rbegin()->second;
  }
  if (!target_columns.empty() && batch.schema_id() != latest_id) {
    return Status(ErrorCode::kInvalidTargetColumn,
                  fmt::format("a partial update must be written with the latest schema (id {}), not id {}", latest_id,
                              batch.schema_id()));
  }
  FLUSS_ASSIGN_OR_RETURN(const RowMerger* merger, MergerFor(target_columns));
  const std::vector<size_t> batch_key_indexes = KeyIndexes(batch_schema);

  // 1. Decode and check every record before anything is written. Each distinct key gets one slot
  //    holding the value it has as the batch is applied.
  struct Slot {
    std::string_view key;           // points into the batch
    std::optional<GenericRow> row;  // the current value (latest schema); nullopt: absent
    // The incoming row bytes when the current value is exactly that row in the latest schema
    // (its stored form is then schema id + these bytes: no re-encoding).
    std::optional<std::span<const uint8_t>> raw;
    bool dirty = false;
  };
  struct Pending {
    size_t slot = 0;
    std::optional<GenericRow> row;  // nullopt: delete
    std::span<const uint8_t> bytes;
  };
  std::vector<Slot> slots;
  std::unordered_map<std::string_view, size_t> slot_of;
  std::vector<Pending> pending;
  pending.reserve(static_cast<size_t>(batch.record_count()));
  slot_of.reserve(static_cast<size_t>(batch.record_count()));
  std::vector<size_t> bucket_idx;  // the bucket-key columns in the batch's schema
  for (size_t b : bucket_key_indexes_) {
    auto idx = batch_schema.IndexOf(latest.column(b).name);
    if (!idx) return Status(ErrorCode::kSchemaNotExist, "the batch's schema lacks a bucket-key column");
    bucket_idx.push_back(*idx);
  }
  const bool bucket_key_is_key = bucket_idx == batch_key_indexes;
  size_t index = 0;
  for (const KvRecordView& rec : batch) {
    Pending p;
    const std::string_view key(reinterpret_cast<const char*>(rec.key.data()), rec.key.size());
    GenericRow full;
    if (rec.is_delete()) {
      auto key_row = DecodeCompactedKey(batch_schema, batch_key_indexes, rec.key);
      if (!key_row.ok()) return BadRecord(index, "its key does not decode: " + key_row.status().message());
      full = KeyToFullRow(*key_row, batch_key_indexes, batch_schema.num_columns());
    } else {
      auto row = DecodeCompactedRow(batch_schema, *rec.row);
      if (!row.ok()) return BadRecord(index, "its row does not decode: " + row.status().message());
      // Text as a writer must send it (decoding returns stored text as is): valid UTF-8, CHAR(n) length.
      for (size_t c = 0; c < batch_schema.num_columns(); ++c) {
        Status text = ValidateText(row->field(c), batch_schema.column(c).type, batch_schema.column(c).name);
        if (!text.ok()) return BadRecord(index, text.message());
      }
      for (size_t k : batch_key_indexes) {
        if (row->IsNullAt(k)) {
          return BadRecord(index, fmt::format("primary-key column '{}' is NULL", batch_schema.column(k).name));
        }
      }
      auto encoded = EncodeCompactedKey(batch_schema, batch_key_indexes, *row);
      if (!encoded.ok()) return BadRecord(index, encoded.status().message());
      if (!std::equal(encoded->begin(), encoded->end(), rec.key.begin(), rec.key.end())) {
        return BadRecord(index, "its key bytes are not the encoding of its row's primary-key columns");
      }
      full = std::move(*row);
      p.bytes = *rec.row;
    }
    // The key must belong to this bucket, or lookups would never find it.
    Result<int32_t> bucket = 0;
    if (bucket_key_is_key) {
      bucket = BucketForKey(rec.key, options_.bucket_count);
    } else {
      auto bucket_key = EncodeCompactedKey(batch_schema, bucket_idx, full);
      if (!bucket_key.ok()) return BadRecord(index, bucket_key.status().message());
      bucket = BucketForKey(*bucket_key, options_.bucket_count);
    }
    if (!bucket.ok()) return BadRecord(index, bucket.status().message());
    if (*bucket != options_.bucket_id) {
      return BadRecord(index, fmt::format("its key belongs to bucket {}, not bucket {}", *bucket, options_.bucket_id));
    }
    if (!rec.is_delete()) {
      FLUSS_ASSIGN_OR_RETURN(auto row, ToLatest(batch.schema_id(), std::move(full)));
      p.row = std::move(row);
    }
    auto [it, added] = slot_of.emplace(key, slots.size());
    if (added) slots.push_back(Slot{key, std::nullopt, std::nullopt, false});
    p.slot = it->second;
    pending.push_back(std::move(p));
    ++index;
  }

  // 2. Old values: one MultiGet for the batch's distinct keys.
  {
    std::vector<std::string> keys;
    keys.reserve(slots.size());
    for (const auto& slot : slots) keys.emplace_back(slot.key);
    FLUSS_ASSIGN_OR_RETURN(auto values, Read(keys));
    for (size_t i = 0; i < slots.size(); ++i) {
      if (!values[i]) continue;
      FLUSS_ASSIGN_OR_RETURN(auto row, DecodeValue(*values[i]));
      slots[i].row = std::move(row);
    }
  }

  // 3. Merge, in order, building the changelog.
  LogRecordBatchBuilderOptions build;
  build.schema_id = static_cast<int16_t>(latest_id);
  build.compression = compression_;
  build.max_batch_bytes = SIZE_MAX;
  build.append_only = false;
  build.writer_id = batch.writer_id();
  build.batch_sequence = batch.batch_sequence();
  LogRecordBatchBuilder changelog(latest, build);
  auto emit_update = [&](const GenericRow& before, const GenericRow& after) -> Status {
    if (image_ == ChangelogImage::kFull) FLUSS_RETURN_NOT_OK(changelog.Append(ChangeType::kUpdateBefore, before));
    return changelog.Append(ChangeType::kUpdateAfter, after);
  };
  const bool raw_reusable = batch.schema_id() == latest_id;
  for (auto& p : pending) {
    Slot& slot = slots[p.slot];
    std::optional<GenericRow>& cur = slot.row;
    if (!p.row) {
      switch (merger->delete_behavior()) {
        case DeleteBehavior::kIgnore: continue;
        case DeleteBehavior::kDisable:
          return Status(ErrorCode::kDeletionDisabled,
                        fmt::format("deletes are disabled on this table (table.delete.behavior, merge engine {})",
                                    merger->name()));
        case DeleteBehavior::kAllow: break;
      }
      if (!cur) continue;
      FLUSS_ASSIGN_OR_RETURN(auto after, merger->Delete(*cur));
      if (!after) {
        FLUSS_RETURN_NOT_OK(changelog.Append(ChangeType::kDelete, *cur));
        cur.reset();
      } else if (*after != *cur) {
        FLUSS_RETURN_NOT_OK(emit_update(*cur, *after));
        cur = std::move(*after);
      } else {
        continue;
      }
      slot.raw.reset();
    } else {
      FLUSS_ASSIGN_OR_RETURN(auto merged, merger->Merge(cur ? &*cur : nullptr, *p.row));
      if (!cur) {
        FLUSS_RETURN_NOT_OK(changelog.Append(ChangeType::kInsert, merged));
      } else if (merged != *cur) {
        FLUSS_RETURN_NOT_OK(emit_update(*cur, merged));
      } else {
        continue;
      }
      if (raw_reusable && merged == *p.row) {
        slot.raw = p.bytes;
      } else {
        slot.raw.reset();
      }
      cur = std::move(merged);
    }
    slot.dirty = true;
  }
  result.changes = static_cast<int32_t>(changelog.num_records());

  // 4. The changelog first (the source of truth), then the state with the offset it reflects.
  FLUSS_ASSIGN_OR_RETURN(auto records, changelog.Build());
  FLUSS_ASSIGN_OR_RETURN(auto info, log_->AppendAsLeader(records));
  result.log_end_offset = info.log_end_offset;
  if (info.duplicate) {
    result.duplicate = true;
    result.changes = 0;
    return result;
  }
  KvWrite write;
  write.ops.reserve(slots.size());
  for (auto& slot : slots) {
    if (!slot.dirty) continue;
    std::string key(slot.key);
    if (!slot.row) {
      write.ops.push_back({std::move(key), std::nullopt});
      continue;
    }
    std::vector<uint8_t> value;
    if (slot.raw) {
      value = EncodeKvValue(static_cast<int16_t>(latest_id), *slot.raw);
    } else {
      FLUSS_ASSIGN_OR_RETURN(value, EncodeKvValue(static_cast<int16_t>(latest_id), latest, *slot.row));
    }
    write.ops.push_back({std::move(key), std::string(value.begin(), value.end())});
  }
  write.applied_offset = info.log_end_offset;
  Buffer(std::move(write));
  return result;
}

void KvTablet::Buffer(KvWrite write) {
  std::unique_lock lock(buffer_mu_);
  // Back-pressure: the decoding of new batches waits for RocksDB when it falls behind.
  buffer_cv_.wait(lock, [this] { return queue_.size() < kMaxQueuedWrites || !flush_error_.ok(); });
  const uint64_t seq = ++next_seq_;
  for (const auto& op : write.ops) buffered_[op.key] = Buffered{seq, op.value};
  queue_.emplace_back(seq, std::move(write));
  if (!flushing_) {
    flushing_ = true;
    resources_->Submit([this] { FlushQueued(); });
  }
}

void KvTablet::FlushQueued() {
  std::unique_lock lock(buffer_mu_);
  while (!queue_.empty() && flush_error_.ok()) {
    // Everything queued goes in one RocksDB write (later ops of a key override earlier ones).
    std::vector<std::pair<uint64_t, KvWrite>> taken(std::make_move_iterator(queue_.begin()),
                                                    std::make_move_iterator(queue_.end()));
    queue_.clear();
    buffer_cv_.notify_all();
    lock.unlock();
    KvWrite merged;
    for (auto& [seq, w] : taken) {
      if (taken.size() == 1) {
        merged = std::move(w);
        break;
      }
      for (auto& op : w.ops) merged.ops.push_back(std::move(op));
      merged.applied_offset = w.applied_offset;
    }
    Status st = kv_->Write(merged);
    lock.lock();
    if (!st.ok()) {
      // The buffer keeps the values (reads stay right); puts fail until the bucket reopens and
      // catches up from the changelog.
      spdlog::error("writing buffered changes into '{}': {}", kv_->dir(), st.ToString());
      flush_error_ = st;
      break;
    }
    const uint64_t last = taken.back().first;
    for (const auto& op : merged.ops) {
      auto it = buffered_.find(op.key);
      if (it != buffered_.end() && it->second.seq <= last) buffered_.erase(it);
    }
  }
  flushing_ = false;
  buffer_cv_.notify_all();
}

Status KvTablet::Drain() const {
  std::unique_lock lock(buffer_mu_);
  buffer_cv_.wait(lock, [this] { return !flushing_; });
  return flush_error_;
}

Result<std::vector<std::optional<std::string>>> KvTablet::Read(const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> out(keys.size());
  std::vector<std::string> misses;
  std::vector<size_t> miss_index;
  {
    std::lock_guard lock(buffer_mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = buffered_.find(keys[i]);
      if (it != buffered_.end()) {
        out[i] = it->second.value;
      } else {
        misses.push_back(keys[i]);
        miss_index.push_back(i);
      }
    }
  }
  // A key not buffered a moment ago is in RocksDB already: the buffer drops a key only after
  // RocksDB has it, and only Put (serialized) adds keys.
  if (misses.empty()) return out;
  FLUSS_ASSIGN_OR_RETURN(auto values, kv_->MultiGet(misses));
  for (size_t j = 0; j < values.size(); ++j) out[miss_index[j]] = std::move(values[j]);
  return out;
}

Result<int64_t> KvTablet::AppliedOffset() const {
  FLUSS_RETURN_NOT_OK(Drain());
  return kv_->AppliedOffset();
}

Result<std::vector<std::optional<std::string>>> KvTablet::Lookup(const std::vector<std::string>& keys) const {
  std::shared_lock open_lock(close_mu_);
  FLUSS_RETURN_NOT_OK(CheckOpen());
  return Read(keys);
}

Result<std::vector<std::string>> KvTablet::PrefixLookup(const std::string& prefix) const {
  std::unique_lock put_lock(put_mu_);  // no new batches while the buffer drains
  std::shared_lock open_lock(close_mu_);
  FLUSS_RETURN_NOT_OK(CheckOpen());
  FLUSS_RETURN_NOT_OK(Drain());
  put_lock.unlock();
  FLUSS_ASSIGN_OR_RETURN(auto rows, kv_->PrefixScan(prefix));
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (auto& [k, v] : rows) values.push_back(std::move(v));
  return values;
}

Result<std::unique_ptr<RocksKv::Snapshot>> KvTablet::TakeSnapshot() const {
  // Draining first makes the snapshot current; without it, it would still be consistent (its
  // applied offset says which changes it holds), only older.
  std::unique_lock put_lock(put_mu_);
  std::shared_lock open_lock(close_mu_);
  FLUSS_RETURN_NOT_OK(CheckOpen());
  FLUSS_RETURN_NOT_OK(Drain());
  return kv_->TakeSnapshot();
}

Status KvTablet::Flush() {
  std::lock_guard lock(put_mu_);
  std::shared_lock open_lock(close_mu_);
  FLUSS_RETURN_NOT_OK(CheckOpen());
  FLUSS_RETURN_NOT_OK(Drain());
  FLUSS_RETURN_NOT_OK(kv_->Flush());
  FLUSS_ASSIGN_OR_RETURN(int64_t applied, kv_->AppliedOffset());
  log_->SetRetentionHold(RetentionHold::kKvApplied, options_.hold_whole_log ? 0 : applied);
  return Status::OK();
}

Status KvTablet::Destroy() {
  std::lock_guard lock(put_mu_);
  (void)Drain();  // the flush threads are done with the store (an error no longer matters)
  std::unique_lock close_lock(close_mu_);
  if (closed_) return Status::OK();
  closed_ = true;
  return kv_->Destroy();
}

}  // namespace fluss
