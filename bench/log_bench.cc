// Log storage engine throughput: appends of 1 MiB (and 64 KiB) ARROW batches to a LogTablet with no
// fsync, with a background fsync every 100 ms, and with fsync per append; then sequential reads.
// Each append iteration writes kRunBytes and ends with one fsync, like `dd bs=1M conv=fdatasync`,
// which bench/run.sh runs beside it on the same directory. Throughput = batch bytes per second.
// `--log_dir=<dir>` picks where the logs are written (default: $TMPDIR or /tmp).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "format/log_record_batch.h"
#include "log/log_manager.h"
#include "log/log_tablet.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

constexpr int64_t kRunBytes = 256LL * 1024 * 1024;
std::string g_log_dir;

// One batch of about `bytes` bytes: rows of an INT and a 1000-byte string.
Buffer MakeBatch(size_t bytes) {
  static const Schema schema = *ParseSchema("id INT, v STRING");
  LogRecordBatchBuilder builder(schema, {.schema_id = 1, .max_batch_bytes = bytes * 2});
  const int rows = static_cast<int>(bytes / 1008);
  for (int i = 0; i < rows; ++i) {
    GenericRow row(2);
    row.SetField(0, int32_t{i});
    row.SetField(1, std::string(1000, static_cast<char>('a' + i % 26)));
    (void)builder.Append(row);
  }
  return *builder.Build();
}

struct BenchDir {
  std::string path;
  BenchDir() {
    std::string tmpl = g_log_dir + "/fluss-log-bench-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~BenchDir() { std::filesystem::remove_all(path); }
};

LogConfig BenchConfig() {
  LogConfig c;  // Fluss defaults: 1 GiB segments, 4 KiB index interval
  c.flush_interval_ms = 0;
  return c;
}

// Appends kRunBytes then fsyncs once per iteration; `per_append` fsyncs every append instead.
void AppendRun(benchmark::State& state, LogConfig config, bool background_flush_100ms) {
  const Buffer batch = MakeBatch(static_cast<size_t>(state.range(0)));
  const int64_t batches = std::max<int64_t>(1, kRunBytes / static_cast<int64_t>(batch.size()));
  BenchDir dir;
  LogManagerOptions options;
  options.background = background_flush_100ms;
  if (background_flush_100ms) config.flush_interval_ms = 100;
  auto manager = std::move(LogManager::Open(dir.path, config, options)).value();
  auto log = *manager->GetOrCreateLog("db/bench-1/log-0");
  for (auto _ : state) {
    for (int64_t i = 0; i < batches; ++i) {
      auto r = log->AppendAsLeader(batch);
      if (!r.ok()) {
        state.SkipWithError(r.status().ToString().c_str());
        return;
      }
    }
    if (!log->Flush().ok()) state.SkipWithError("flush failed");
    state.PauseTiming();
    (void)log->TruncateFullyAndStartAt(0);  // keep the disk footprint at one run
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * batches * static_cast<int64_t>(batch.size()));
  state.counters["batch_bytes"] = static_cast<double>(batch.size());
}

void BM_AppendNoFsync(benchmark::State& state) { AppendRun(state, BenchConfig(), false); }

void BM_AppendFsyncEvery100ms(benchmark::State& state) { AppendRun(state, BenchConfig(), true); }

void BM_AppendFsyncPerAppend(benchmark::State& state) {
  LogConfig c = BenchConfig();
  c.flush_interval_messages = 1;
  AppendRun(state, c, false);
}

// Sequential read of a 256 MiB log (in the page cache) with Read(offset, 1 MiB): region lookup plus
// pread into a Buffer; `verify` also parses every batch and checks its CRC, as a consumer does.
void SequentialRead(benchmark::State& state, bool verify) {
  const Buffer batch = MakeBatch(64 * 1024);
  BenchDir dir;
  auto log = std::move(LogTablet::Open(dir.path + "/log-0", BenchConfig())).value();
  for (int64_t written = 0; written < kRunBytes; written += static_cast<int64_t>(batch.size())) {
    (void)log->AppendAsLeader(batch);
  }
  const uint64_t total = log->size_in_bytes();
  for (auto _ : state) {
    int64_t offset = 0;
    while (offset < log->log_end_offset()) {
      auto data = log->Read(offset, 1 << 20);
      auto bytes = data->ReadRecords();
      if (!bytes.ok()) {
        state.SkipWithError(bytes.status().ToString().c_str());
        return;
      }
      auto batches = ParseLogRecordBatches(*bytes, verify, false);
      offset = batches->back().next_offset();
      benchmark::DoNotOptimize(batches);
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(total));
}

void BM_SequentialRead(benchmark::State& state) { SequentialRead(state, false); }
void BM_SequentialReadVerifyCrc(benchmark::State& state) { SequentialRead(state, true); }

BENCHMARK(BM_AppendNoFsync)->Arg(1 << 20)->Arg(64 << 10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AppendFsyncEvery100ms)->Arg(1 << 20)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AppendFsyncPerAppend)->Arg(1 << 20)->Arg(64 << 10)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK(BM_SequentialRead)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SequentialReadVerifyCrc)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace fluss

int main(int argc, char** argv) {
  constexpr std::string_view kDir = "--log_dir=";
  const char* tmp = std::getenv("TMPDIR");
  fluss::g_log_dir = tmp != nullptr ? tmp : "/tmp";
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, kDir.size()) == kDir) {
      fluss::g_log_dir = std::string(arg.substr(kDir.size()));
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  spdlog::set_level(spdlog::level::warn);  // no per-truncation info lines in the report
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
