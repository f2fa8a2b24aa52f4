// Encode / decode / projection throughput of ARROW log record batches for a 20-column mixed schema.
// Throughput is reported in bytes of encoded (uncompressed) batch per second.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string_view>

#include "format/log_record_batch.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

constexpr int kRows = 4096;

const Schema& MixedSchema() {
  static const Schema schema = *ParseSchema(
      "id BIGINT NOT NULL, user_id INT, amount DOUBLE, qty SMALLINT, flag BOOLEAN, name STRING, city STRING, "
      "price DECIMAL(12, 2), ts TIMESTAMP(3), ts_ltz TIMESTAMP_LTZ(6), day DATE, t TIME(3), score FLOAT, "
      "code CHAR(4), payload BYTES, tiny TINYINT, big BIGINT, note STRING, hash BINARY(8), ratio DOUBLE");
  return schema;
}

std::vector<GenericRow> MixedRows(int n) {
  std::mt19937_64 rng(42);
  static const char* kCities[] = {"Berlin", "Hangzhou", "Lisbon", "Austin", "Nairobi"};
  std::vector<GenericRow> rows;
  rows.reserve(n);
  for (int i = 0; i < n; ++i) {
    GenericRow r(20);
    r.SetField(0, int64_t{i});
    r.SetField(1, static_cast<int32_t>(rng() % 100000));
    r.SetField(2, static_cast<double>(rng() % 100000) / 100.0);
    r.SetField(3, static_cast<int16_t>(rng() % 100));
    r.SetField(4, (rng() & 1) != 0);
    r.SetField(5, "user-" + std::to_string(rng() % 100000));
    r.SetField(6, std::string(kCities[rng() % 5]));
    r.SetField(7, DecimalValue{static_cast<__int128>(rng() % 10000000)});
    r.SetField(8, TimestampValue{1700000000000 + i, 0});
    r.SetField(9, TimestampValue{1700000000000 + i, 123000});
    r.SetField(10, int32_t{19723 + i % 30});
    r.SetField(11, static_cast<int32_t>(rng() % 86400000));
    r.SetField(12, static_cast<float>(rng() % 1000) / 10.0f);
    r.SetField(13, std::string("ab") + std::to_string(i % 10) + "z");
    r.SetField(14, std::string(16, static_cast<char>(i)));
    r.SetField(15, static_cast<int8_t>(i % 100));
    if (i % 10 != 0) r.SetField(16, static_cast<int64_t>(rng()));  // 10% nulls
    if (i % 3 == 0) r.SetField(17, std::string("a longer free-text note about the order"));
    r.SetField(18, std::string(8, 'h'));
    r.SetField(19, 0.5);
    rows.push_back(std::move(r));
  }
  return rows;
}

Buffer BuildBatch(const std::vector<GenericRow>& rows, arrow::CompressionCodec codec) {
  LogRecordBatchBuilder builder(MixedSchema(), {.compression = {.codec = codec}, .max_batch_bytes = SIZE_MAX});
  for (const auto& r : rows) (void)builder.Append(r);
  return *builder.Build();
}

size_t UncompressedSize(const std::vector<GenericRow>& rows) {
  return BuildBatch(rows, arrow::CompressionCodec::kNone).size();
}

void BM_EncodeBatch(benchmark::State& state) {
  auto codec = static_cast<arrow::CompressionCodec>(state.range(0));
  auto rows = MixedRows(kRows);
  size_t bytes = UncompressedSize(rows);
  for (auto _ : state) {
    benchmark::DoNotOptimize(BuildBatch(rows, codec));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kRows, benchmark::Counter::kIsRate);
}

void BM_DecodeBatch(benchmark::State& state) {
  auto codec = static_cast<arrow::CompressionCodec>(state.range(0));
  auto rows = MixedRows(kRows);
  size_t bytes = UncompressedSize(rows);
  Buffer batch = BuildBatch(rows, codec);
  for (auto _ : state) {
    auto parsed = LogRecordBatch::Parse(batch);
    benchmark::DoNotOptimize(parsed->ReadRecords(MixedSchema()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kRows, benchmark::Counter::kIsRate);
}

// Projection of 2 of 20 columns on the encoded batch (what the server does per fetch).
void BM_Project2of20(benchmark::State& state) {
  auto rows = MixedRows(kRows);
  size_t bytes = UncompressedSize(rows);
  Buffer batch = BuildBatch(rows, arrow::CompressionCodec::kNone);
  auto parsed = *LogRecordBatch::Parse(batch);
  std::vector<size_t> cols = {0, 5};
  for (auto _ : state) {
    benchmark::DoNotOptimize(ProjectLogRecordBatch(parsed, MixedSchema(), cols));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// Projection then decoding of the 2 columns, against BM_DecodeBatch's full decode.
void BM_Project2of20AndDecode(benchmark::State& state) {
  auto rows = MixedRows(kRows);
  size_t bytes = UncompressedSize(rows);
  Buffer batch = BuildBatch(rows, arrow::CompressionCodec::kNone);
  auto parsed = *LogRecordBatch::Parse(batch);
  std::vector<size_t> cols = {0, 5};
  Schema projected = *MixedSchema().Project({0, 5});
  for (auto _ : state) {
    auto p = ProjectLogRecordBatch(parsed, MixedSchema(), cols);
    benchmark::DoNotOptimize(LogRecordBatch::Parse(*p, false)->ReadRecords(projected));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

}  // namespace

BENCHMARK(BM_EncodeBatch)->Arg(0)->Arg(1)->Arg(2)->ArgName("codec")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeBatch)->Arg(0)->Arg(1)->Arg(2)->ArgName("codec")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Project2of20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Project2of20AndDecode)->Unit(benchmark::kMicrosecond);

}  // namespace fluss

// `--dump_arrow_stream=<file>` writes the benchmark's batch as an Arrow stream (schema message,
// record batch, end marker) for the apache-arrow JS peer (bench/arrow_js_peer.mjs) and exits.
int main(int argc, char** argv) {
  constexpr std::string_view kDump = "--dump_arrow_stream=";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with(kDump)) {
      std::string path(arg.substr(kDump.size()));
      auto rows = fluss::MixedRows(fluss::kRows);
      std::vector<uint8_t> stream = fluss::arrow::EncodeSchemaMessage(fluss::MixedSchema());
      auto batch = fluss::arrow::EncodeRecordBatch(fluss::MixedSchema(), rows);
      if (!batch.ok()) {
        std::fprintf(stderr, "%s\n", batch.status().ToString().c_str());
        return 1;
      }
      stream.insert(stream.end(), batch->begin(), batch->end());
      const uint8_t eos[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
      stream.insert(stream.end(), eos, eos + 8);
      std::FILE* f = std::fopen(path.c_str(), "wb");
      if (f == nullptr || std::fwrite(stream.data(), 1, stream.size(), f) != stream.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      return 0;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
