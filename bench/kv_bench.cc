// KvTablet without the network: upserts (decode, merge, changelog, log append, RocksDB write) and
// lookups of one bucket, with the key and value sizes of db_bench's fillrandom/readrandom run in
// bench/run.sh (8-byte BIGINT key, ~100-byte value). Shows what the server's KV path costs per row
// before any RPC.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "kv/kv_tablet.h"

namespace fluss {
namespace {

constexpr int64_t kKeySpace = 1'000'000;

Schema BenchSchema() {
  return Schema::Make({{"id", DataType::BigInt()}, {"payload", DataType::String()}}, {"id"}).value();
}

struct Fixture {
  std::string dir;
  std::shared_ptr<LogTablet> log;
  std::unique_ptr<KvTablet> kv;
  Schema schema = BenchSchema();

  explicit Fixture(std::map<std::string, std::string> props) {
    dir = (std::filesystem::temp_directory_path() / ("fluss-kv-bench-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir);
    log = std::shared_ptr<LogTablet>(LogTablet::Open(dir + "/log-0", LogConfig{}).value().release());
    KvTabletOptions o;
    o.properties = std::move(props);
    kv = KvTablet::Open(dir + "/kv-0", log, {{1, schema}}, o, KvResources::Create(KvOptions{})).value();
  }
  ~Fixture() {
    kv.reset();
    log.reset();
    std::filesystem::remove_all(dir);
  }

  std::vector<uint8_t> Key(int64_t id) const {
    GenericRow r(2);
    r.SetField(0, id);
    return EncodeCompactedKey(schema, schema.primary_key_indexes(), r).value();
  }

  KvRecordBatch Batch(std::mt19937_64& rng, int rows) const {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    for (int i = 0; i < rows; ++i) {
      const int64_t id = static_cast<int64_t>(rng() % kKeySpace);
      GenericRow r(2);
      r.SetField(0, id);
      r.SetField(1, std::string(92, static_cast<char>('a' + id % 26)));
      (void)b.AppendUpsert(Key(id), EncodeCompactedRow(schema, r).value());
    }
    return KvRecordBatch::Parse(b.Build().value()).value();
  }
};

// Upserts in batches of state.range(0) rows; arg 1: changelog compression (0 none, 1 zstd).
void BM_KvPut(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  Fixture f(std::map<std::string, std::string>{{"table.log.arrow.compression.type", state.range(1) ? "ZSTD" : "NONE"}});
  std::mt19937_64 rng(42);
  std::vector<KvRecordBatch> batches;
  // A million distinct random writes (as many as db_bench fillrandom does), cycled.
  for (int i = 0; i < 1000000 / rows; ++i) batches.push_back(f.Batch(rng, rows));
  size_t i = 0;
  for (auto _ : state) {
    auto r = f.kv->Put(batches[i++ % batches.size()], {});
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
// Real time: the RocksDB writes run on the flush threads, outside the calling thread's CPU time.
BENCHMARK(BM_KvPut)->Args({1000, 0})->Args({1000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

// Lookups of state.range(0) random keys per call, after 200k upserts.
void BM_KvLookup(benchmark::State& state) {
  const int keys_per_call = static_cast<int>(state.range(0));
  Fixture f(std::map<std::string, std::string>{{"table.log.arrow.compression.type", "NONE"}});
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) (void)f.kv->Put(f.Batch(rng, 1000), {});
  std::vector<std::vector<std::string>> calls(64);
  for (auto& c : calls) {
    for (int k = 0; k < keys_per_call; ++k) {
      auto key = f.Key(static_cast<int64_t>(rng() % kKeySpace));
      c.emplace_back(key.begin(), key.end());
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    auto r = f.kv->Lookup(calls[i++ % calls.size()]);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * keys_per_call);
}
BENCHMARK(BM_KvLookup)->Arg(1)->Arg(128)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fluss

BENCHMARK_MAIN();
