// fluss-bench: a load generator for a running fluss-server, through the public client library.
//
//   fluss-bench produce -b 127.0.0.1:9123 --table bench.t --records 1000000 --compression none
//   fluss-bench consume -b 127.0.0.1:9123 --table bench.t --project id,s2
//   fluss-bench e2e     -b 127.0.0.1:9123 --table bench.e2e --duration 10 --rate 10000
//   fluss-bench tables  -b 127.0.0.1:9123 --table bench.t --tables 2500 --buckets 4 [--check]
//
// tables: creates tables <table>0 .. <table>N-1 of (id INT, name STRING) one after another and writes
// one row into each of their buckets, timing every CREATE TABLE; --check instead reads every bucket's
// row back (after a restart, say) and fails unless each is there.
//
// The table (created when missing) is a log table of `--columns` columns: id BIGINT, ts BIGINT, then
// STRING, BIGINT, DOUBLE in turn (s2, n3, d4, s5, ...). A row's values take `--record-size` bytes:
// 8 per number, the strings share the rest and hold slices of a random word pool (so compression has
// something to do, but not too much). Those bytes are the "payload": MB/s is payload bytes / 10^6 per
// second; produce also prints the bytes the writer sent (Arrow batches with their headers).
//
// Latency: produce times each append call to its acknowledgement (`--api columns`: one AppendColumns
// call = one batch, via its WriteResult; `--api rows`: every `--sample`-th row's WriteResult). e2e
// puts the append time (system clock, µs) in `ts` and a scanner in the same process measures
// append → returned by Poll. Output: one human line per run; with `--json` one JSON object on stdout
// (the human line then goes to stderr).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"

namespace fluss::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bootstrap = "localhost:9123";
  std::string table = "fluss_bench.t";
  int columns = 20;
  int record_size = 1024;
  int buckets = 0;  // 0: the server's default.bucket.number
  int replication_factor = 0;  // 0: the server's default.replication.factor
  int64_t records = 0;
  double duration = 0;
  std::string compression = "zstd";
  std::vector<std::string> sets;
  bool json = false;
  std::string api = "columns";
  int batch_rows = 1024;
  int sample = 16;
  std::string project;
  double rate = 10000;
  int64_t keys = 1000000;  // upsert / lookup: the key space
  int value_size = 100;    // upsert: payload bytes per row (db_bench --value_size)
  int batch_keys = 128;    // lookup: keys per LookupMany call (Fluss client.lookup.max-batch-size)
  int threads = 1;         // lookup: concurrent lookupers
  int tables = 100;        // tables: how many
  bool check = false;      // tables: read back instead of create
  int partitions = 1000;   // partitions: how many
  int p_values = 0;          // produce/consume: a column `p` holding p00.. with this many values (0: none)
  bool partitioned = false;  // produce: the table is PARTITIONED BY (p)
  std::vector<std::string> scan_partitions;  // consume: only these partitions (default: all)
};

// The name of the bench table's partition column (--p-values) and the width of its values.
constexpr const char* kPartitionColumn = "p";

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---- the table and its rows ----

// With `p_values` > 0 a third column `p STRING NOT NULL` (p00, p01, ...: row id % p_values) comes
// before the payload columns, so the same rows can go to a partitioned and an unpartitioned table.
Result<Schema> BenchSchema(int columns, int p_values = 0) {
  if (columns < 3) return Status::Invalid("--columns must be at least 3 (id, ts and one payload column)");
  if (p_values < 0 || p_values > 100) return Status::Invalid("--p-values must be 0..100");
  std::vector<Column> cols;
  cols.push_back({"id", DataType::BigInt().NotNull(), -1, ""});
  cols.push_back({"ts", DataType::BigInt().NotNull(), -1, ""});
  if (p_values > 0) cols.push_back({kPartitionColumn, DataType::String().NotNull(), -1, ""});
  for (int i = 2; i < columns; ++i) {
    switch ((i - 2) % 3) {
      case 0: cols.push_back({fmt::format("s{}", i), DataType::String(), -1, ""}); break;
      case 1: cols.push_back({fmt::format("n{}", i), DataType::BigInt(), -1, ""}); break;
      default: cols.push_back({fmt::format("d{}", i), DataType::Double(), -1, ""}); break;
    }
  }
  return Schema::Make(std::move(cols));
}

const char* CodecProperty(const std::string& compression) {
  if (compression == "none") return "NONE";
  if (compression == "lz4") return "LZ4_FRAME";
  return "ZSTD";
}

// Makes rows and columns of the bench schema whose values take `record_size` bytes per row.
class RowGenerator {
 public:
  // `p_values`: the values of the partition column `p` when the schema has one (p00, p01, ...).
  RowGenerator(const Schema& schema, int record_size, uint64_t seed, int p_values = 0)
      : schema_(schema), rng_(seed), p_values_(p_values) {
    size_t fixed = 0;
    for (size_t c = 0; c < schema.num_columns(); ++c) {
      if (p_values_ > 0 && schema.column(c).name == kPartitionColumn) {
        p_column_ = c;
        fixed += 3;  // "p07"
      } else if (schema.column(c).type.root() == TypeRoot::kString) {
        string_columns_.push_back(c);
      } else {
        fixed += 8;
      }
    }
    const size_t target = static_cast<size_t>(record_size);
    const size_t rest = target > fixed ? target - fixed : 0;
    string_len_.assign(schema.num_columns(), 0);
    for (size_t k = 0; k < string_columns_.size(); ++k) {
      string_len_[string_columns_[k]] = rest / string_columns_.size() + (k < rest % string_columns_.size() ? 1 : 0);
    }
    payload_bytes_ = fixed + (string_columns_.empty() ? 0 : rest);
    // A pool of random lower-case words; strings are slices of it at random places.
    static const char* kWords[] = {"fluss", "stream", "log", "bucket", "arrow", "offset", "table", "lake",
                                   "order", "user", "event", "click", "amount", "city", "batch", "page"};
    const size_t max_len = std::max<size_t>(1, *std::max_element(string_len_.begin(), string_len_.end()));
    while (pool_.size() < (1u << 20) + max_len) {
      const std::string& w = kWords[rng_() % 16];
      pool_.append(w);
      pool_.push_back(static_cast<char>('a' + rng_() % 26));
      pool_.append(std::to_string(rng_() % 10000));
      pool_.push_back(' ');
    }
  }

  size_t payload_bytes() const { return payload_bytes_; }

  // Rows [first_id, first_id + n) as columns, every row with ts = `ts`.
  std::vector<arrow::ColumnVector> Columns(int64_t first_id, size_t n, int64_t ts) {
    std::vector<arrow::ColumnVector> out;
    out.reserve(schema_.num_columns());
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      arrow::ColumnVector v(schema_.column(c).type);
      v.length = n;
      if (c == 0) {
        v.values.resize(n * 8);
        for (size_t i = 0; i < n; ++i) Store(v.values.data() + i * 8, first_id + static_cast<int64_t>(i));
      } else if (c == 1) {
        v.values.resize(n * 8);
        for (size_t i = 0; i < n; ++i) Store(v.values.data() + i * 8, ts);
      } else if (c == p_column_) {
        v.offsets.resize((n + 1) * 4);
        v.values.resize(n * 3);
        for (size_t i = 0; i <= n; ++i) Store(v.offsets.data() + i * 4, static_cast<int32_t>(i * 3));
        for (size_t i = 0; i < n; ++i) {
          std::memcpy(v.values.data() + i * 3, PartitionValue(first_id + static_cast<int64_t>(i)).data(), 3);
        }
      } else if (v.type.root() == TypeRoot::kString) {
        const size_t len = string_len_[c];
        v.offsets.resize((n + 1) * 4);
        v.values.resize(n * len);
        for (size_t i = 0; i <= n; ++i) Store(v.offsets.data() + i * 4, static_cast<int32_t>(i * len));
        for (size_t i = 0; i < n; ++i) std::memcpy(v.values.data() + i * len, Slice(len), len);
      } else if (v.type.root() == TypeRoot::kDouble) {
        v.values.resize(n * 8);
        for (size_t i = 0; i < n; ++i) Store(v.values.data() + i * 8, static_cast<double>(rng_() % 1000000) / 100.0);
      } else {
        v.values.resize(n * 8);
        for (size_t i = 0; i < n; ++i) Store(v.values.data() + i * 8, static_cast<int64_t>(rng_() % 1000000000));
      }
      out.push_back(std::move(v));
    }
    return out;
  }

  GenericRow Row(int64_t id, int64_t ts) {
    GenericRow row(schema_.num_columns());
    row.SetField(0, id);
    row.SetField(1, ts);
    for (size_t c = 2; c < schema_.num_columns(); ++c) {
      if (c == p_column_) {
        row.SetField(c, PartitionValue(id));
        continue;
      }
      switch (schema_.column(c).type.root()) {
        case TypeRoot::kString: row.SetField(c, std::string(Slice(string_len_[c]), string_len_[c])); break;
        case TypeRoot::kDouble: row.SetField(c, static_cast<double>(rng_() % 1000000) / 100.0); break;
        default: row.SetField(c, static_cast<int64_t>(rng_() % 1000000000)); break;
      }
    }
    return row;
  }

 private:
  template <typename T>
  static void Store(uint8_t* p, T v) {
    std::memcpy(p, &v, sizeof(v));  // little-endian host (x86-64, aarch64)
  }
  const char* Slice(size_t len) { return pool_.data() + rng_() % (pool_.size() - len); }
  std::string PartitionValue(int64_t id) const { return fmt::format("p{:02}", id % p_values_); }

  const Schema& schema_;
  std::mt19937_64 rng_;
  const int p_values_;
  size_t p_column_ = SIZE_MAX;  // the index of `p`, if any
  std::vector<size_t> string_columns_;
  std::vector<size_t> string_len_;
  size_t payload_bytes_ = 0;
  std::string pool_;
};

// Payload bytes of the values in `columns` (8 per number, the bytes of each string).
size_t PayloadBytes(const std::vector<arrow::ColumnVector>& columns) {
  size_t bytes = 0;
  for (const auto& c : columns) {
    bytes += c.type.root() == TypeRoot::kString ? c.values.size() : c.length * 8;
  }
  return bytes;
}

size_t PayloadBytes(const GenericRow& row) {
  size_t bytes = 0;
  for (const auto& d : row.fields()) {
    if (const auto* s = std::get_if<std::string>(&d)) {
      bytes += s->size();
    } else if (!std::holds_alternative<std::monostate>(d)) {
      bytes += 8;
    }
  }
  return bytes;
}

// ---- measurements ----

struct Percentiles {
  size_t samples = 0;
  double p50 = 0, p99 = 0, p999 = 0, max = 0;  // milliseconds
};

Percentiles ComputePercentiles(std::vector<int64_t> micros) {
  Percentiles p;
  p.samples = micros.size();
  if (micros.empty()) return p;
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    // Nearest rank.
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(micros.size())));
    return static_cast<double>(micros[std::clamp<size_t>(rank, 1, micros.size()) - 1]) / 1000.0;
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = static_cast<double>(micros.back()) / 1000.0;
  return p;
}

// Waits for WriteResults in the order they were added (one thread), recording add → acknowledged.
// Acknowledgements arrive in order per bucket and one produce request carries every bucket, so a
// result found done late (behind a slower one) is rare.
class AckTracker {
 public:
  AckTracker() : thread_([this] { Run(); }) {}
  ~AckTracker() { (void)Finish(); }

  void Add(Clock::time_point appended, WriteResult result) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.emplace_back(appended, std::move(result));
    }
    cv_.notify_one();
  }

  // Waits for every added result; returns the first error.
  Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    return first_error_;
  }

  const std::vector<int64_t>& latencies_us() const { return latencies_; }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
      if (pending_.empty()) return;
      auto [appended, result] = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      Status st = result.Wait();
      const auto acked = Clock::now();
      if (st.ok()) {
        latencies_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(acked - appended).count());
      } else if (first_error_.ok()) {
        first_error_ = st;
      }
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Clock::time_point, WriteResult>> pending_;
  bool stop_ = false;
  std::vector<int64_t> latencies_;
  Status first_error_;
  std::thread thread_;
};

struct RunResult {
  std::string mode;
  std::string compression;  // the table's codec
  std::string what;  // human detail: api, projection
  int64_t records = 0;
  double seconds = 0;
  double payload_bytes = 0;
  double wire_bytes = -1;  // produce only
  bool has_latency = false;
  std::string latency_of;
  Percentiles latency;
  nlohmann::json extra = nlohmann::json::object();
};

void Report(const Options& o, const RunResult& r) {
  const double rps = r.seconds > 0 ? static_cast<double>(r.records) / r.seconds : 0;
  const double mbps = r.seconds > 0 ? r.payload_bytes / 1e6 / r.seconds : 0;
  std::string line = fmt::format("{} {} ({}): {} records in {:.2f} s = {:.0f} records/s, {:.1f} MB/s payload", r.mode,
                                 o.table, r.what, r.records, r.seconds, rps, mbps);
  if (r.wire_bytes >= 0) line += fmt::format(" ({:.1f} MB/s sent)", r.wire_bytes / 1e6 / r.seconds);
  if (r.has_latency) {
    line += fmt::format(", {} latency p50 {:.2f} ms, p99 {:.2f} ms, p999 {:.2f} ms, max {:.2f} ms ({} samples)",
                        r.latency_of, r.latency.p50, r.latency.p99, r.latency.p999, r.latency.max, r.latency.samples);
  }
  if (!o.json) {
    std::cout << line << std::endl;
    return;
  }
  std::cerr << line << std::endl;
  nlohmann::json j = {{"mode", r.mode},
                      {"table", o.table},
                      {"detail", r.what},
                      {"columns", o.columns},
                      {"compression", r.compression},
                      {"records", r.records},
                      {"seconds", r.seconds},
                      {"records_per_sec", rps},
                      {"payload_mb_per_sec", mbps}};
  if (r.mode != "consume") j["record_size"] = o.record_size;  // consume reads whatever the table holds
  if (r.wire_bytes >= 0) j["sent_mb_per_sec"] = r.wire_bytes / 1e6 / r.seconds;
  if (r.has_latency) {
    j["latency_of"] = r.latency_of;
    j["latency_ms"] = {{"p50", r.latency.p50},
                       {"p99", r.latency.p99},
                       {"p999", r.latency.p999},
                       {"max", r.latency.max},
                       {"samples", r.latency.samples}};
  }
  for (auto& [k, v] : r.extra.items()) j[k] = v;
  std::cout << j.dump() << std::endl;
}

// ---- setup ----

Result<std::shared_ptr<Connection>> Connect(const Options& o) {
  Configuration config;
  config.bootstrap_servers = o.bootstrap;
  for (const auto& kv : o.sets) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return Status::Invalid(fmt::format("--set '{}': expected key=value", kv));
    FLUSS_RETURN_NOT_OK(config.Set(kv.substr(0, eq), kv.substr(eq + 1)));
  }
  return Connection::Create(std::move(config));
}

// The table's table.log.arrow.compression.type as a --compression value.
std::string TableCodec(const Table& table) {
  const auto& props = table.info().descriptor.properties();
  auto it = props.find("table.log.arrow.compression.type");
  const std::string codec = it == props.end() ? "ZSTD" : it->second;
  return codec == "NONE" ? "none" : codec == "LZ4_FRAME" ? "lz4" : "zstd";
}

// The bench table: created when missing; an existing one must have the bench schema.
Result<Table> OpenTable(Connection& conn, const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Parse(o.table));
  FLUSS_ASSIGN_OR_RETURN(auto schema, BenchSchema(o.columns, o.p_values));
  if (o.partitioned && o.p_values <= 0) return Status::Invalid("--partitioned needs --p-values (the partition column)");
  Admin admin = conn.GetAdmin();
  FLUSS_ASSIGN_OR_RETURN(bool exists, admin.TableExists(path));
  if (!exists) {
    FLUSS_RETURN_NOT_OK(admin.CreateDatabase(path.database(), /*ignore_if_exists=*/true));
    TableDescriptor d(schema);
    d.DistributedBy(o.buckets > 0 ? std::optional<int>(o.buckets) : std::nullopt);
    if (o.partitioned) d.PartitionedBy({kPartitionColumn});
    d.Property("table.log.arrow.compression.type", CodecProperty(o.compression));
    if (o.replication_factor > 0) d.Property("table.replication.factor", std::to_string(o.replication_factor));
    FLUSS_RETURN_NOT_OK(admin.CreateTable(path, d, /*ignore_if_exists=*/true));
  }
  FLUSS_ASSIGN_OR_RETURN(auto table, conn.GetTable(path));
  const Schema& have = table.info().schema();
  bool same = have.num_columns() == schema.num_columns();
  for (size_t i = 0; same && i < have.num_columns(); ++i) {
    same = have.column(i).name == schema.column(i).name && have.column(i).type.root() == schema.column(i).type.root();
  }
  if (!same) {
    return Status::Invalid(fmt::format("table '{}' exists with columns ({}), not the {}-column bench schema ({}); "
                                       "drop it or pick another --table",
                                       o.table, have.ToString(), o.columns, schema.ToString()));
  }
  if (exists && TableCodec(table) != o.compression) {
    std::cerr << fmt::format("fluss-bench: note: table '{}' exists with compression {}; --compression {} ignored\n",
                             o.table, TableCodec(table), o.compression);
  }
  return table;
}

bool TimeUp(const Options& o, Clock::time_point start, int64_t done) {
  if (o.records > 0 && done >= o.records) return true;
  if (o.duration > 0 && Clock::now() - start >= std::chrono::duration<double>(o.duration)) return true;
  return false;
}

// ---- produce ----

Result<RunResult> Produce(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto table, OpenTable(*conn, o));
  FLUSS_ASSIGN_OR_RETURN(auto writer, table.NewAppendWriter());
  RowGenerator gen(table.info().schema(), o.record_size, 1, o.p_values);
  AckTracker tracker;
  int64_t done = 0;
  double payload = 0;
  const auto start = Clock::now();
  if (o.api == "columns") {
    while (!TimeUp(o, start, done)) {
      size_t n = static_cast<size_t>(o.batch_rows);
      if (o.records > 0) n = std::min<size_t>(n, static_cast<size_t>(o.records - done));
      auto columns = gen.Columns(done, n, WallMicros());
      payload += static_cast<double>(PayloadBytes(columns));
      const auto t0 = Clock::now();
      FLUSS_ASSIGN_OR_RETURN(auto result, writer->AppendColumns(std::move(columns)));
      tracker.Add(t0, std::move(result));
      done += static_cast<int64_t>(n);
    }
  } else {
    while (!TimeUp(o, start, done)) {
      GenericRow row = gen.Row(done, WallMicros());
      payload += static_cast<double>(PayloadBytes(row));
      const auto t0 = Clock::now();
      FLUSS_ASSIGN_OR_RETURN(auto result, writer->Append(row));
      if (done % o.sample == 0) tracker.Add(t0, std::move(result));
      ++done;
    }
  }
  FLUSS_RETURN_NOT_OK(writer->Flush());
  const double seconds = Seconds(Clock::now() - start);
  FLUSS_RETURN_NOT_OK(tracker.Finish());
  const auto stats = writer->stats();
  FLUSS_RETURN_NOT_OK(writer->Close());
  RunResult r;
  r.mode = "produce";
  r.compression = TableCodec(table);
  r.what = o.api == "columns" ? fmt::format("AppendColumns of {} rows, {}", o.batch_rows, r.compression)
                              : fmt::format("Append per row, {}", r.compression);
  r.records = done;
  r.seconds = seconds;
  r.payload_bytes = payload;
  r.wire_bytes = static_cast<double>(stats.bytes_sent);
  r.has_latency = true;
  r.latency_of = o.api == "columns" ? "append->ack per batch" : fmt::format("append->ack of every {}th row", o.sample);
  r.latency = ComputePercentiles(tracker.latencies_us());
  r.extra = {{"api", o.api}, {"batches_sent", stats.batches_sent}, {"requests_sent", stats.requests_sent},
             {"retries", stats.retries}, {"buckets", table.info().num_buckets},
             {"partitioned", table.info().descriptor.is_partitioned()}, {"p_values", o.p_values},
             {"partitions_created", stats.partitions_created}};
  return r;
}

// ---- consume ----

std::vector<std::string> SplitColumns(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Bytes this process has received over its TCP connections so far: the sum of tcpi_bytes_received
// over its open TCP sockets (the client's connections to the servers). -1 when not readable.
int64_t TcpBytesReceived() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return -1;
  int64_t total = 0;
  for (const auto& entry : it) {
    const int fd = std::atoi(entry.path().filename().c_str());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    struct tcp_info info {};
    socklen_t len = sizeof(info);
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) continue;  // not TCP
    total += static_cast<int64_t>(info.tcpi_bytes_received);
  }
  return total;
}

Result<RunResult> Consume(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Parse(o.table));
  FLUSS_ASSIGN_OR_RETURN(auto table, conn->GetTable(path));
  Admin admin = conn->GetAdmin();
  ScanOptions scan;
  scan.columns = SplitColumns(o.project);
  FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner(scan));
  int64_t available = 0;
  int partitions_read = 0;
  if (table.info().descriptor.is_partitioned()) {
    // Every partition, or those --partition names: each bucket of each from its earliest offset.
    FLUSS_ASSIGN_OR_RETURN(auto infos, admin.ListPartitionInfos(path));
    for (const auto& want : o.scan_partitions) {
      if (std::none_of(infos.begin(), infos.end(), [&](const PartitionInfo& p) { return p.partition_name == want; })) {
        return Status(ErrorCode::kPartitionNotExists, fmt::format("table '{}' has no partition '{}'", o.table, want));
      }
    }
    for (const auto& p : infos) {
      if (!o.scan_partitions.empty() &&
          std::find(o.scan_partitions.begin(), o.scan_partitions.end(), p.partition_name) == o.scan_partitions.end()) {
        continue;
      }
      FLUSS_ASSIGN_OR_RETURN(auto earliest, admin.ListPartitionOffsets(path, p.partition_name, OffsetSpec::Earliest()));
      FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListPartitionOffsets(path, p.partition_name, OffsetSpec::Latest()));
      for (const auto& [bucket, end] : latest) available += end - earliest[bucket];
      for (int32_t b = 0; b < table.info().num_buckets; ++b) {
        FLUSS_RETURN_NOT_OK(scanner->Subscribe(p.partition_id, b, kEarliestOffset));
      }
      ++partitions_read;
    }
  } else {
    if (!o.scan_partitions.empty()) return Status::Invalid(fmt::format("table '{}' has no partitions", o.table));
    FLUSS_ASSIGN_OR_RETURN(auto earliest, admin.ListOffsets(path, OffsetSpec::Earliest()));
    FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListOffsets(path, OffsetSpec::Latest()));
    for (const auto& [bucket, end] : latest) available += end - earliest[bucket];
    for (int32_t b = 0; b < table.info().num_buckets; ++b) FLUSS_RETURN_NOT_OK(scanner->Subscribe(b, kEarliestOffset));
  }
  const int64_t target = o.records > 0 ? o.records : available;
  if (target <= 0) return Status::Invalid(fmt::format("table '{}' is empty; run 'fluss-bench produce' first", o.table));
  const int64_t read_before = TcpBytesReceived();

  int64_t done = 0;
  double payload = 0;
  int64_t id_sum = 0;  // touches the values so nothing is left undecoded
  int empty_polls = 0;
  const auto start = Clock::now();
  while (done < target && !(o.duration > 0 && Clock::now() - start >= std::chrono::duration<double>(o.duration))) {
    size_t got = 0;
    if (o.api == "columns") {
      FLUSS_ASSIGN_OR_RETURN(auto batches, scanner->PollBatches(std::chrono::seconds(1)));
      for (const auto& b : batches) {
        got += b.num_rows();
        payload += static_cast<double>(PayloadBytes(b.columns));
        if (!b.columns.empty() && !b.columns[0].values.empty()) id_sum += b.columns[0].values[0];
      }
    } else {
      FLUSS_ASSIGN_OR_RETURN(auto records, scanner->Poll(std::chrono::seconds(1)));
      for (const auto& r : records) {
        payload += static_cast<double>(PayloadBytes(r.row));
        if (r.row.arity() > 0 && !r.row.IsNullAt(0)) id_sum += std::visit(
            [](const auto& v) -> int64_t {
              if constexpr (std::is_arithmetic_v<std::decay_t<decltype(v)>>) return static_cast<int64_t>(v);
              return 1;
            }, r.row.field(0));
      }
      got = records.size();
    }
    done += static_cast<int64_t>(got);
    empty_polls = got == 0 ? empty_polls + 1 : 0;
    if (empty_polls >= 10) {
      return Status(ErrorCode::kRequestTimeOut, fmt::format("no records for 10 s after {} of {}", done, target));
    }
  }
  const double seconds = Seconds(Clock::now() - start);
  const int64_t read_after = TcpBytesReceived();
  RunResult r;
  r.mode = "consume";
  r.compression = TableCodec(table);
  const size_t ncols = scan.columns.empty() ? table.info().schema().num_columns() : scan.columns.size();
  r.what = fmt::format("{} of {} columns{}, {}", ncols, table.info().schema().num_columns(),
                       scan.columns.empty() ? "" : " [" + o.project + "]",
                       o.api == "columns" ? "PollBatches" : "Poll rows");
  r.records = done;
  r.seconds = seconds;
  r.payload_bytes = payload;
  r.extra = {{"api", o.api}, {"project", o.project}, {"columns", table.info().schema().num_columns()},
             {"columns_read", ncols}, {"checksum", id_sum}, {"partitions_read", partitions_read},
             {"client_bytes_received", read_before >= 0 && read_after >= 0 ? read_after - read_before : -1}};
  return r;
}

// ---- end to end ----

Result<RunResult> EndToEnd(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto table, OpenTable(*conn, o));
  Admin admin = conn->GetAdmin();
  FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListOffsets(table.path(), OffsetSpec::Latest()));
  ScanOptions scan;
  scan.columns = SplitColumns(o.project);
  FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner(scan));
  for (const auto& [bucket, offset] : latest) FLUSS_RETURN_NOT_OK(scanner->Subscribe(bucket, offset));
  auto ts_index = scanner->schema().IndexOf("ts");
  if (!ts_index) return Status::Invalid("e2e reads the 'ts' column: keep it in --project");
  FLUSS_ASSIGN_OR_RETURN(auto writer, table.NewAppendWriter());

  std::atomic<int64_t> produced{-1};  // set once the producer is done
  std::vector<int64_t> latencies;
  int64_t received = 0;
  double payload = 0;
  Status consumer_status;
  std::thread consumer([&] {
    Clock::time_point give_up = Clock::time_point::max();
    while (true) {
      const int64_t total = produced.load();
      if (total >= 0) {
        if (received >= total) break;
        if (give_up == Clock::time_point::max()) give_up = Clock::now() + std::chrono::seconds(10);
        if (Clock::now() > give_up) {
          consumer_status = Status(ErrorCode::kRequestTimeOut, fmt::format("received {} of {} records", received, total));
          break;
        }
      }
      if (o.api == "columns") {
        auto batches = scanner->PollBatches(std::chrono::milliseconds(100));
        if (!batches.ok()) {
          consumer_status = batches.status();
          break;
        }
        const int64_t now = WallMicros();
        for (const auto& b : *batches) {
          const auto& ts = b.columns[*ts_index];
          for (size_t i = 0; i < b.num_rows(); ++i) {
            int64_t t;
            std::memcpy(&t, ts.values.data() + i * 8, 8);
            latencies.push_back(now - t);
          }
          received += static_cast<int64_t>(b.num_rows());
          payload += static_cast<double>(PayloadBytes(b.columns));
        }
      } else {
        auto records = scanner->Poll(std::chrono::milliseconds(100));
        if (!records.ok()) {
          consumer_status = records.status();
          break;
        }
        const int64_t now = WallMicros();
        for (const auto& r : *records) {
          latencies.push_back(now - r.row.GetBigInt(*ts_index));
          payload += static_cast<double>(PayloadBytes(r.row));
        }
        received += static_cast<int64_t>(records->size());
      }
    }
  });

  // The producer: `rate` rows a second in 1 ms ticks, each row stamped with its append time.
  RowGenerator gen(table.info().schema(), o.record_size, 2);
  Status producer_status;
  int64_t done = 0;
  const auto start = Clock::now();
  const auto tick = std::chrono::milliseconds(1);
  auto next = start;
  while (producer_status.ok() && !TimeUp(o, start, done)) {
    const double elapsed = Seconds(Clock::now() - start);
    int64_t due = o.rate > 0 ? static_cast<int64_t>(elapsed * o.rate) + 1 : done + o.batch_rows;
    if (o.records > 0) due = std::min(due, o.records);
    if (o.api == "columns" && due > done) {
      auto r = writer->AppendColumns(gen.Columns(done, static_cast<size_t>(due - done), WallMicros()));
      if (!r.ok()) producer_status = r.status();
      done = due;
    }
    for (; o.api != "columns" && done < due && producer_status.ok(); ++done) {
      auto r = writer->Append(gen.Row(done, WallMicros()));
      if (!r.ok()) producer_status = r.status();
    }
    if (o.rate > 0) {
      next += tick;
      std::this_thread::sleep_until(next);
    }
  }
  const double produce_seconds = Seconds(Clock::now() - start);
  Status flushed = writer->Flush();
  if (producer_status.ok()) producer_status = flushed;
  produced.store(producer_status.ok() ? done : received);
  consumer.join();
  FLUSS_RETURN_NOT_OK(producer_status);
  FLUSS_RETURN_NOT_OK(consumer_status);
  FLUSS_RETURN_NOT_OK(writer->Close());
  RunResult r;
  r.mode = "e2e";
  r.compression = TableCodec(table);
  r.what = fmt::format("{} at {} records/s target, {}", o.api == "columns" ? "AppendColumns per 1 ms tick" : "Append per row",
                       o.rate > 0 ? fmt::format("{:.0f}", o.rate) : "max", r.compression);
  r.records = received;
  r.seconds = produce_seconds;
  r.payload_bytes = payload;
  r.has_latency = true;
  r.latency_of = "append->poll per record";
  r.latency = ComputePercentiles(std::move(latencies));
  r.extra = {{"api", o.api}, {"rate", o.rate}, {"buckets", table.info().num_buckets}};
  return r;
}

// ---- upsert and lookup (primary-key tables) ----

// id BIGINT key (8 bytes, as db_bench --key_size=8) and a STRING payload (--value-size bytes).
Result<Table> OpenKvTable(Connection& conn, const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Parse(o.table));
  FLUSS_ASSIGN_OR_RETURN(auto schema, Schema::Make({{"id", DataType::BigInt()}, {"payload", DataType::String()}}, {"id"}));
  Admin admin = conn.GetAdmin();
  FLUSS_ASSIGN_OR_RETURN(bool exists, admin.TableExists(path));
  if (!exists) {
    FLUSS_RETURN_NOT_OK(admin.CreateDatabase(path.database(), /*ignore_if_exists=*/true));
    TableDescriptor d(schema);
    d.DistributedBy(o.buckets > 0 ? std::optional<int>(o.buckets) : std::nullopt);
    d.Property("table.log.arrow.compression.type", CodecProperty(o.compression));
    if (o.replication_factor > 0) d.Property("table.replication.factor", std::to_string(o.replication_factor));
    FLUSS_RETURN_NOT_OK(admin.CreateTable(path, d, /*ignore_if_exists=*/true));
  }
  FLUSS_ASSIGN_OR_RETURN(auto table, conn.GetTable(path));
  if (!table.info().schema().has_primary_key() || table.info().schema().num_columns() != 2) {
    return Status::Invalid(fmt::format("table '{}' exists but is not the (id BIGINT, payload STRING, PRIMARY KEY (id)) "
                                       "bench table; drop it or pick another --table",
                                       o.table));
  }
  return table;
}

// Random keys of the key space, as db_bench fillrandom writes them.
Result<RunResult> Upsert(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto table, OpenKvTable(*conn, o));
  FLUSS_ASSIGN_OR_RETURN(auto writer, table.NewUpsertWriter());
  std::mt19937_64 rng(301);
  AckTracker tracker;
  int64_t done = 0;
  const auto start = Clock::now();
  while (!TimeUp(o, start, done)) {
    const int64_t id = static_cast<int64_t>(rng() % static_cast<uint64_t>(o.keys));
    GenericRow row({Datum(id), Datum(std::string(static_cast<size_t>(o.value_size), static_cast<char>('a' + done % 26)))});
    const auto t0 = Clock::now();
    FLUSS_ASSIGN_OR_RETURN(auto result, writer->Upsert(row));
    if (done % o.sample == 0) tracker.Add(t0, std::move(result));
    ++done;
  }
  FLUSS_RETURN_NOT_OK(writer->Flush());
  const double seconds = Seconds(Clock::now() - start);
  FLUSS_RETURN_NOT_OK(tracker.Finish());
  const auto stats = writer->stats();
  FLUSS_RETURN_NOT_OK(writer->Close());
  RunResult r;
  r.mode = "upsert";
  r.compression = TableCodec(table);
  r.what = fmt::format("Upsert per row, random keys of {}, {}-byte values, changelog {}", o.keys, o.value_size,
                       r.compression);
  r.records = done;
  r.seconds = seconds;
  r.payload_bytes = static_cast<double>(done) * (8 + o.value_size);
  r.wire_bytes = static_cast<double>(stats.bytes_sent);
  r.has_latency = true;
  r.latency_of = fmt::format("upsert->ack of every {}th row", o.sample);
  r.latency = ComputePercentiles(tracker.latencies_us());
  r.extra = {{"keys", o.keys}, {"value_size", o.value_size}, {"buckets", table.info().num_buckets},
             {"requests_sent", stats.requests_sent}};
  return r;
}

// Random keys of the key space (some absent, as db_bench readrandom after fillrandom), --batch-keys
// per LookupMany call, from --threads lookupers at once.
Result<RunResult> Lookup(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto table, OpenKvTable(*conn, o));
  std::atomic<int64_t> done{0}, found{0};
  std::mutex mu;
  std::vector<int64_t> latencies;
  Status first_error;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      auto lookuper = table.NewLookuper();
      if (!lookuper.ok()) {
        std::lock_guard lock(mu);
        first_error = lookuper.status();
        return;
      }
      std::mt19937_64 rng(1000 + t);
      std::vector<int64_t> mine;
      while (!TimeUp(o, start, done.load())) {
        std::vector<GenericRow> keys;
        for (int k = 0; k < o.batch_keys; ++k) {
          keys.push_back(GenericRow({Datum(static_cast<int64_t>(rng() % static_cast<uint64_t>(o.keys)))}));
        }
        const auto t0 = Clock::now();
        auto rows = (*lookuper)->LookupMany(keys);
        mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
        if (!rows.ok()) {
          std::lock_guard lock(mu);
          first_error = rows.status();
          return;
        }
        int64_t hit = 0;
        for (const auto& row : *rows) hit += row.has_value() ? 1 : 0;
        found += hit;
        done += o.batch_keys;
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  FLUSS_RETURN_NOT_OK(first_error);
  RunResult r;
  r.mode = "lookup";
  r.compression = TableCodec(table);
  r.what = fmt::format("LookupMany of {} random keys of {}, {} thread{}", o.batch_keys, o.keys, o.threads,
                       o.threads == 1 ? "" : "s");
  r.records = done.load();
  r.seconds = Seconds(Clock::now() - start);
  r.payload_bytes = static_cast<double>(found.load()) * (8 + o.value_size);
  r.has_latency = true;
  r.latency_of = "LookupMany call";
  r.latency = ComputePercentiles(std::move(latencies));
  r.extra = {{"keys", o.keys}, {"batch_keys", o.batch_keys}, {"threads", o.threads}, {"found", found.load()}};
  return r;
}

// ---- many tables ----

Result<RunResult> Tables(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto base, TablePath::Parse(o.table));
  const int buckets = o.buckets > 0 ? o.buckets : 4;
  auto path_of = [&](int t) { return TablePath::Make(base.database(), base.table() + std::to_string(t)); };
  Admin admin = conn->GetAdmin();
  RunResult r;
  r.records = static_cast<int64_t>(o.tables) * buckets;  // rows: one per bucket
  r.payload_bytes = 0;
  const auto start = Clock::now();
  if (!o.check) {
    FLUSS_RETURN_NOT_OK(admin.CreateDatabase(base.database(), /*ignore_if_exists=*/true));
    std::vector<Column> cols;
    cols.push_back({"id", DataType::Int().NotNull(), -1, ""});
    cols.push_back({"name", DataType::String(), -1, ""});
    FLUSS_ASSIGN_OR_RETURN(auto schema, Schema::Make(std::move(cols)));
    TableDescriptor d(schema);
    d.DistributedBy(buckets);
    std::vector<int64_t> create_us;
    double first_ms = 0, last_ms = 0;  // average create time of the first and the last 100 tables
    for (int t = 0; t < o.tables; ++t) {
      FLUSS_ASSIGN_OR_RETURN(auto path, path_of(t));
      const auto t0 = Clock::now();
      FLUSS_RETURN_NOT_OK(admin.CreateTable(path, d));
      create_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
      if (t < 100) first_ms += create_us.back() / 1e3;
      if (t >= o.tables - 100) last_ms += create_us.back() / 1e3;
    }
    const double create_seconds = Seconds(Clock::now() - start);
    // One row per bucket: the writer of a table without bucket keys moves to the next bucket after each
    // batch it sends.
    const auto write_start = Clock::now();
    for (int t = 0; t < o.tables; ++t) {
      FLUSS_ASSIGN_OR_RETURN(auto path, path_of(t));
      FLUSS_ASSIGN_OR_RETURN(auto table, conn->GetTable(path));
      FLUSS_ASSIGN_OR_RETURN(auto writer, table.NewAppendWriter());
      for (int b = 0; b < buckets; ++b) {
        const int id = t * buckets + b;
        FLUSS_RETURN_NOT_OK(writer->Append(GenericRow({Datum(id), Datum("row-" + std::to_string(id))})).status());
        FLUSS_RETURN_NOT_OK(writer->Flush());
      }
    }
    r.mode = "tables";
    r.what = fmt::format("create {} tables of {} buckets, then one row per bucket", o.tables, buckets);
    r.seconds = Seconds(Clock::now() - start);
    const int n = std::min(o.tables, 100);
    r.has_latency = true;
    r.latency_of = "CREATE TABLE";
    r.latency = ComputePercentiles(std::move(create_us));
    r.extra = {{"tables", o.tables},
               {"buckets", buckets},
               {"create_seconds", create_seconds},
               {"write_seconds", Seconds(Clock::now() - write_start)},
               {"first_100_create_ms", n > 0 ? first_ms / n : 0},
               {"last_100_create_ms", n > 0 ? last_ms / n : 0}};
    return r;
  }
  int64_t rows = 0;
  for (int t = 0; t < o.tables; ++t) {
    FLUSS_ASSIGN_OR_RETURN(auto path, path_of(t));
    FLUSS_ASSIGN_OR_RETURN(auto table, conn->GetTable(path));
    FLUSS_ASSIGN_OR_RETURN(auto scanner, table.NewLogScanner());
    for (int b = 0; b < table.info().num_buckets; ++b) FLUSS_RETURN_NOT_OK(scanner->Subscribe(b, kEarliestOffset));
    std::vector<bool> seen(static_cast<size_t>(table.info().num_buckets), false);
    int found = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (found < table.info().num_buckets && Clock::now() < deadline) {
      FLUSS_ASSIGN_OR_RETURN(auto records, scanner->Poll(std::chrono::milliseconds(500)));
      for (const auto& rec : records) {
        const int32_t id = rec.row.GetInt(0);
        if (id / table.info().num_buckets != t) {
          return Status::Corruption(fmt::format("table '{}' holds row {} of another table", path.ToString(), id));
        }
        if (!seen[static_cast<size_t>(rec.bucket)]) ++found;
        seen[static_cast<size_t>(rec.bucket)] = true;
        ++rows;
      }
    }
    if (found < table.info().num_buckets) {
      return Status::Invalid(fmt::format("table '{}': only {} of its {} buckets gave their row back", path.ToString(),
                                         found, table.info().num_buckets));
    }
  }
  r.mode = "tables-check";
  r.what = fmt::format("read back one row from each bucket of {} tables", o.tables);
  r.records = rows;
  r.seconds = Seconds(Clock::now() - start);
  r.extra = {{"tables", o.tables}};
  return r;
}

// One partitioned table and `partitions` partitions of it, created one after another (each
// CreatePartition timed), then listed back.
Result<RunResult> Partitions(const Options& o) {
  FLUSS_ASSIGN_OR_RETURN(auto conn, Connect(o));
  FLUSS_ASSIGN_OR_RETURN(auto path, TablePath::Parse(o.table));
  const int buckets = o.buckets > 0 ? o.buckets : 4;
  Admin admin = conn->GetAdmin();
  FLUSS_RETURN_NOT_OK(admin.CreateDatabase(path.database(), /*ignore_if_exists=*/true));
  std::vector<Column> cols;
  cols.push_back({"id", DataType::Int().NotNull(), -1, ""});
  cols.push_back({"dt", DataType::String().NotNull(), -1, ""});
  FLUSS_ASSIGN_OR_RETURN(auto schema, Schema::Make(std::move(cols)));
  TableDescriptor d(schema);
  d.DistributedBy(buckets).PartitionedBy({"dt"});
  FLUSS_RETURN_NOT_OK(admin.CreateTable(path, d));
  RunResult r;
  r.payload_bytes = 0;
  std::vector<int64_t> create_us;
  double first_ms = 0, last_ms = 0;  // average create time of the first and the last 100 partitions
  const auto start = Clock::now();
  for (int p = 0; p < o.partitions; ++p) {
    const auto t0 = Clock::now();
    FLUSS_RETURN_NOT_OK(admin.CreatePartition(path, {{"dt", fmt::format("p{:06}", p)}}));
    create_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
    if (p < 100) first_ms += create_us.back() / 1e3;
    if (p >= o.partitions - 100) last_ms += create_us.back() / 1e3;
  }
  const double create_seconds = Seconds(Clock::now() - start);
  const auto list_start = Clock::now();
  FLUSS_ASSIGN_OR_RETURN(auto listed, admin.ListPartitionInfos(path));
  if (listed.size() != static_cast<size_t>(o.partitions)) {
    return Status::Invalid(fmt::format("created {} partitions, {} listed", o.partitions, listed.size()));
  }
  r.mode = "partitions";
  r.what = fmt::format("create {} partitions of {} buckets, then list them", o.partitions, buckets);
  r.records = o.partitions;
  r.seconds = Seconds(Clock::now() - start);
  const int n = std::min(o.partitions, 100);
  r.has_latency = true;
  r.latency_of = "CREATE PARTITION";
  r.latency = ComputePercentiles(std::move(create_us));
  r.extra = {{"partitions", o.partitions},
             {"buckets", buckets},
             {"create_seconds", create_seconds},
             {"list_seconds", Seconds(Clock::now() - list_start)},
             {"first_100_create_ms", n > 0 ? first_ms / n : 0},
             {"last_100_create_ms", n > 0 ? last_ms / n : 0}};
  return r;
}

}  // namespace
}  // namespace fluss::bench

int main(int argc, char** argv) {
  using fluss::bench::Options;
  CLI::App app{"fluss-bench: produce, consume, end-to-end, upsert and lookup load against a fluss-server"};
  app.require_subcommand(1);
  Options o;
  auto common = [&o](CLI::App* sub) {
    sub->add_option("-b,--bootstrap-server", o.bootstrap, "host:port of a fluss-server")->capture_default_str();
    sub->add_option("--table", o.table, "db.table; a log table of the bench schema, created when missing")
        ->capture_default_str();
    sub->add_option("--columns", o.columns, "columns: id BIGINT, ts BIGINT, then STRING/BIGINT/DOUBLE in turn")
        ->capture_default_str();
    sub->add_option("--record-size", o.record_size, "payload bytes per row (8 per number, strings share the rest)")
        ->capture_default_str();
    sub->add_option("--buckets", o.buckets, "buckets of a created table (default: the server's default)");
    sub->add_option("--replication-factor", o.replication_factor,
                    "replicas of a created table (cluster mode; default: the server's default.replication.factor)");
    sub->add_option("--records", o.records, "stop after this many records");
    sub->add_option("--duration", o.duration,
                    "stop after this many seconds (produce and e2e: 10 when neither this nor --records is given)");
    sub->add_option("--compression", o.compression, "codec of a created table")
        ->check(CLI::IsMember({"none", "lz4", "zstd"}))
        ->capture_default_str();
    sub->add_option("--set", o.sets, "client option key=value (repeatable), e.g. client.writer.batch-size=4mb");
    sub->add_option("--api", o.api, "columns (AppendColumns / PollBatches) or rows (Append / Poll)")
        ->check(CLI::IsMember({"columns", "rows"}))
        ->capture_default_str();
    sub->add_flag("--json", o.json, "print one JSON object per run on stdout (the human line goes to stderr)");
  };
  auto* produce = app.add_subcommand("produce", "append rows as fast as the writer takes them");
  common(produce);
  produce->add_option("--p-values", o.p_values, "add a column p STRING holding p00.. (row id % N; N <= 100)");
  produce->add_flag("--partitioned", o.partitioned, "create the table PARTITIONED BY (p) (--buckets per partition)");
  produce->add_option("--batch-rows", o.batch_rows, "rows per AppendColumns call (--api columns)")->capture_default_str();
  produce->add_option("--sample", o.sample, "--api rows: time every N-th row's acknowledgement")->capture_default_str();
  auto* consume = app.add_subcommand("consume", "read the table from the earliest offsets (default: all it holds)");
  common(consume);
  consume->add_option("--project", o.project, "columns to read, comma-separated (default: all)");
  consume->add_option("--partition", o.scan_partitions, "partitioned tables: read only this partition (repeatable)");
  auto* e2e = app.add_subcommand("e2e", "append at --rate while a scanner polls: append -> poll latency");
  common(e2e);
  e2e->add_option("--rate", o.rate, "records per second (0: as fast as possible)")->capture_default_str();
  e2e->add_option("--project", o.project, "columns the scanner reads (must include ts; default: all)");
  e2e->add_option("--batch-rows", o.batch_rows, "--rate 0 with --api columns: rows per call")->capture_default_str();
  auto kv_options = [&o](CLI::App* sub) {
    sub->add_option("--keys", o.keys, "key space: ids 0..keys-1, drawn at random")->capture_default_str();
    sub->add_option("--value-size", o.value_size, "payload bytes per row")->capture_default_str();
  };
  auto* upsert = app.add_subcommand("upsert", "upsert rows of random keys into a primary-key table");
  common(upsert);
  kv_options(upsert);
  upsert->add_option("--sample", o.sample, "time every N-th row's acknowledgement")->capture_default_str();
  auto* lookup = app.add_subcommand("lookup", "look random keys up in a primary-key table (after upsert)");
  common(lookup);
  kv_options(lookup);
  lookup->add_option("--batch-keys", o.batch_keys, "keys per LookupMany call")->capture_default_str();
  lookup->add_option("--threads", o.threads, "concurrent lookupers")->capture_default_str();
  auto* tables = app.add_subcommand("tables", "create many small tables and write a row into each bucket (or --check them)");
  tables->add_option("-b,--bootstrap-server", o.bootstrap, "host:port of a fluss-server")->capture_default_str();
  tables->add_option("--table", o.table, "db.prefix: the tables are db.prefix0, db.prefix1, ...")->capture_default_str();
  tables->add_option("--tables", o.tables, "how many tables")->capture_default_str();
  tables->add_option("--buckets", o.buckets, "buckets per table (default 4)");
  tables->add_flag("--check", o.check, "read one row back from every bucket instead of creating");
  tables->add_option("--set", o.sets, "client option key=value (repeatable)");
  tables->add_flag("--json", o.json, "print one JSON object on stdout (the human line goes to stderr)");
  auto* partitions = app.add_subcommand("partitions", "create a partitioned table and many partitions of it");
  partitions->add_option("-b,--bootstrap-server", o.bootstrap, "host:port of a fluss-server")->capture_default_str();
  partitions->add_option("--table", o.table, "db.table (created)")->capture_default_str();
  partitions->add_option("--partitions", o.partitions, "how many partitions")->capture_default_str();
  partitions->add_option("--buckets", o.buckets, "buckets per partition (default 4)");
  partitions->add_option("--set", o.sets, "client option key=value (repeatable)");
  partitions->add_flag("--json", o.json, "print one JSON object on stdout (the human line goes to stderr)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (e2e->parsed() && !e2e->count("--api")) o.api = "rows";
  if (o.batch_rows <= 0 || o.sample <= 0 || o.record_size <= 0) {
    std::cerr << "fluss-bench: --batch-rows, --sample and --record-size must be positive\n";
    return 2;
  }
  if ((produce->parsed() || e2e->parsed() || upsert->parsed() || lookup->parsed()) && o.records <= 0 &&
      o.duration <= 0) {
    o.duration = 10;
  }
  if (o.keys <= 0 || o.value_size <= 0 || o.batch_keys <= 0 || o.threads <= 0) {
    std::cerr << "fluss-bench: --keys, --value-size, --batch-keys and --threads must be positive\n";
    return 2;
  }

  fluss::Result<fluss::bench::RunResult> result = fluss::Status::Invalid("no subcommand");
  if (produce->parsed()) result = fluss::bench::Produce(o);
  if (consume->parsed()) result = fluss::bench::Consume(o);
  if (e2e->parsed()) result = fluss::bench::EndToEnd(o);
  if (upsert->parsed()) result = fluss::bench::Upsert(o);
  if (lookup->parsed()) result = fluss::bench::Lookup(o);
  if (tables->parsed()) result = fluss::bench::Tables(o);
  if (partitions->parsed()) result = fluss::bench::Partitions(o);
  if (!result.ok()) {
    std::cerr << "fluss-bench: " << result.status().ToString() << "\n";
    return 1;
  }
  fluss::bench::Report(o, *result);
  return 0;
}
