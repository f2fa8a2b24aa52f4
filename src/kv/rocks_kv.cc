#include "kv/rocks_kv.h"

#include <pthread.h>

#include <filesystem>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include "common/byte_io.h"

namespace fluss {

namespace {

constexpr const char* kMetaFamily = "fluss_meta";
constexpr std::string_view kAppliedOffsetKey = "applied_offset";

// A RocksDB error as a Status of the same kind (corruption, not supported, or an I/O failure):
// "<what>: <RocksDB's message>".
Status FromRocks(const rocksdb::Status& st, std::string_view what) {
  if (st.ok()) return Status::OK();
  std::string message = fmt::format("{}: {}", what, st.ToString());
  if (st.IsCorruption()) return Status::Corruption(std::move(message));
  if (st.IsNotSupported()) return Status::NotSupported(std::move(message));
  return Status::IOError(std::move(message));
}

// "<what> in '<dir>': <RocksDB's message>".
Status FromRocks(const rocksdb::Status& st, std::string_view what, const std::string& dir) {
  if (st.ok()) return Status::OK();
  return FromRocks(st, fmt::format("{} in '{}'", what, dir));
}

std::string EncodeOffset(int64_t offset) {
  std::string out(8, '\0');
  StoreLE<int64_t>(reinterpret_cast<uint8_t*>(out.data()), offset);
  return out;
}

}  // namespace

std::shared_ptr<KvResources> KvResources::Create(const KvOptions& options) {
  auto r = std::make_shared<KvResources>();
  r->options_ = options;
  r->cache_ = rocksdb::NewLRUCache(static_cast<size_t>(options.block_cache_bytes));
  // Memtables are charged against the block cache, so one budget bounds both.
  r->wbm_ = std::make_shared<rocksdb::WriteBufferManager>(static_cast<size_t>(options.shared_write_buffer_bytes),
                                                          r->cache_);
  rocksdb::Env::Default()->SetBackgroundThreads(options.background_threads, rocksdb::Env::Priority::LOW);
  rocksdb::Env::Default()->SetBackgroundThreads(1, rocksdb::Env::Priority::HIGH);
  for (int i = 0; i < std::max(1, options.flush_threads); ++i) {
    r->threads_.emplace_back([raw = r.get()] { raw->FlushThread(); });
  }
  return r;
}

KvResources::~KvResources() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void KvResources::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void KvResources::FlushThread() {
  pthread_setname_np(pthread_self(), "fluss-kv-flush");
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

size_t KvResources::memtable_usage() const { return wbm_->memory_usage(); }

Result<std::unique_ptr<RocksKv>> RocksKv::Open(const std::string& dir, std::shared_ptr<KvResources> resources) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create '{}': {}", dir, ec.message()));
  const KvOptions& o = resources->options();
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.write_buffer_manager = resources->write_buffer_manager();
  options.write_buffer_size = static_cast<size_t>(o.write_buffer_bytes);
  options.max_write_buffer_number = o.max_write_buffers;
  options.compression = rocksdb::kLZ4Compression;
  options.bottommost_compression = rocksdb::kZSTD;
  options.max_background_jobs = o.background_threads;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 2;
  // Every upsert reads its key first (to emit -U/+U or +I): a bloom filter over the memtable's keys
  // answers "not here" for new keys without walking the skip list.
  options.memtable_prefix_bloom_size_ratio = 0.1;
  options.memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = resources->cache();
  table.block_size = static_cast<size_t>(o.block_bytes);
  if (o.bloom_filter) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kMetaFamily, rocksdb::ColumnFamilyOptions(options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  FLUSS_RETURN_NOT_OK(FromRocks(rocksdb::DB::Open(rocksdb::DBOptions(options), dir, families, &handles, &db),
                                "opening RocksDB", dir));
  return std::unique_ptr<RocksKv>(new RocksKv(dir, std::move(resources), db, handles[0], handles[1]));
}

void RocksKv::CloseDb() {
  if (db_ == nullptr) return;
  (void)db_->DestroyColumnFamilyHandle(rows_);
  (void)db_->DestroyColumnFamilyHandle(meta_);
  (void)db_->Close();
  delete db_;
  db_ = nullptr;
}

RocksKv::~RocksKv() { CloseDb(); }

Result<std::optional<std::string>> RocksKv::Get(std::string_view key) const {
  std::string value;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), rows_, rocksdb::Slice(key.data(), key.size()), &value);
  if (st.IsNotFound()) return std::optional<std::string>();
  FLUSS_RETURN_NOT_OK(FromRocks(st, "reading a key", dir_));
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::optional<std::string>>> RocksKv::MultiGet(const std::vector<std::string>& keys) const {
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const auto& k : keys) slices.emplace_back(k);
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), rows_);
  std::vector<std::string> values;
  auto statuses = db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    FLUSS_RETURN_NOT_OK(FromRocks(statuses[i], "reading keys", dir_));
    out[i] = std::move(values[i]);
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> RocksKv::PrefixScan(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), rows_));
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  FLUSS_RETURN_NOT_OK(FromRocks(it->status(), "scanning a prefix", dir_));
  return out;
}

Status RocksKv::Write(const KvWrite& write) {
  rocksdb::WriteBatch batch;
  for (const auto& op : write.ops) {
    if (op.value) {
      batch.Put(rows_, op.key, *op.value);
    } else {
      batch.Delete(rows_, op.key);
    }
  }
  if (write.applied_offset >= 0) batch.Put(meta_, rocksdb::Slice(kAppliedOffsetKey.data(), kAppliedOffsetKey.size()),
                                          EncodeOffset(write.applied_offset));
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // the bucket's log is the write-ahead log (see the header)
  return FromRocks(db_->Write(wo, &batch), "writing", dir_);
}

Result<int64_t> RocksKv::AppliedOffset() const {
  std::string value;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), meta_,
                                rocksdb::Slice(kAppliedOffsetKey.data(), kAppliedOffsetKey.size()), &value);
  if (st.IsNotFound()) return int64_t{0};
  FLUSS_RETURN_NOT_OK(FromRocks(st, "reading the applied offset", dir_));
  if (value.size() != 8) {
    return Status::Corruption(fmt::format("applied offset in '{}' has {} bytes, not 8", dir_, value.size()));
  }
  return LoadLE<int64_t>(reinterpret_cast<const uint8_t*>(value.data()));
}

Status RocksKv::Flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, {rows_, meta_}), "flushing", dir_);
}

Result<std::unique_ptr<RocksKv::Snapshot>> RocksKv::TakeSnapshot() const {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string value;
  rocksdb::Status st = db_->Get(ro, meta_, rocksdb::Slice(kAppliedOffsetKey.data(), kAppliedOffsetKey.size()), &value);
  int64_t offset = 0;
  if (st.ok() && value.size() == 8) {
    offset = LoadLE<int64_t>(reinterpret_cast<const uint8_t*>(value.data()));
  } else if (!st.IsNotFound()) {
    db_->ReleaseSnapshot(snap);
    FLUSS_RETURN_NOT_OK(FromRocks(st, "reading the applied offset", dir_));
  }
  return std::unique_ptr<Snapshot>(new Snapshot(db_, rows_, snap, offset));
}

RocksKv::Snapshot::~Snapshot() { db_->ReleaseSnapshot(snap_); }

Status RocksKv::Snapshot::Scan(const std::function<bool(std::string_view, std::string_view)>& visit,
                               std::optional<std::string_view> start_after) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, rows_));
  if (start_after) {
    const rocksdb::Slice after(start_after->data(), start_after->size());
    it->Seek(after);
    if (it->Valid() && it->key() == after) it->Next();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning a snapshot");
  return Status::OK();
}

Status RocksKv::Destroy() {
  CloseDb();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) return Status::IOError(fmt::format("removing '{}': {}", dir_, ec.message()));
  return Status::OK();
}

}  // namespace fluss
