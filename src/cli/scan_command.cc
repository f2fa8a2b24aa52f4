// fluss scan: read a log table (or a primary-key table's changelog) from a start position and print
// it as a table, JSON lines, CSV or an Arrow IPC stream. The rows of a primary-key table carry their
// change type (+I, -U, +U, -D) in a `_change` field/column. --snapshot-then-follow prints each
// bucket's snapshot (ScanKv) as +I rows, then follows the changelog from the snapshot's offset.
//
// Without --follow the scan stops once every bucket reached the latest offset it had when the scan
// started (rows appended later are not printed); with --follow it polls until SIGINT/SIGTERM or a
// closed pipe, then ends the output cleanly (exit 0).
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/csv.h"
#include "cli/interrupt.h"
#include "cli/table_output.h"
#include "cli/value_codec.h"
#include "format/arrow/record_batch.h"
#include "format/arrow/stream.h"
#include "lake/tiering/lake_snapshot_scanner.h"

namespace fluss::cli {
namespace {

// Writes to stdout; remembers a closed pipe (the reader went away: stop quietly) or another error.
class Stdout {
 public:
  bool Write(std::string_view bytes) {
    if (broken_ || bytes.empty()) return !broken_;
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) Broke();
    return !broken_;
  }
  bool Write(std::span<const uint8_t> bytes) {
    return Write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  bool Flush() {
    if (!broken_ && std::fflush(stdout) != 0) Broke();
    return !broken_;
  }
  // True once stdout is a pipe whose reader went away (checked while a --follow scan idles, when
  // no write would notice it).
  bool ReaderGone() {
    if (broken_) return true;
    pollfd p{STDOUT_FILENO, 0, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) {
      broken_ = true;
      errno_ = EPIPE;
    }
    return broken_;
  }
  bool broken() const { return broken_; }
  bool pipe_closed() const { return errno_ == EPIPE; }
  int error() const { return errno_; }

 private:
  void Broke() {
    broken_ = true;
    errno_ = errno;
  }
  bool broken_ = false;
  int errno_ = 0;
};

// One output format. Rows arrive in the order the scanner returns them.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Begin() {}
  virtual void Rows(const std::vector<const ScanRecord*>& rows) = 0;
  // End of one poll's output (the table format prints what it buffered; every format flushes).
  virtual void EndPoll(bool final) {}
  virtual void End() {}
};

class JsonSink final : public Sink {
 public:
  JsonSink(const Schema& schema, Stdout& out, bool show_change)
      : schema_(schema), out_(out), show_change_(show_change) {}
  void Rows(const std::vector<const ScanRecord*>& rows) override {
    std::string buf;
    for (const ScanRecord* r : rows) {
      nlohmann::ordered_json j = nlohmann::ordered_json::object();
      if (show_change_) j["_change"] = std::string(ChangeTypeShortString(r->change_type));
      for (size_t c = 0; c < schema_.num_columns(); ++c) {
        j[schema_.column(c).name] = DatumToJson(r->row.field(c), schema_.column(c).type);
      }
      buf += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      buf += '\n';
    }
    out_.Write(buf);
  }

 private:
  const Schema& schema_;
  Stdout& out_;
  bool show_change_;
};

class CsvSink final : public Sink {
 public:
  CsvSink(const Schema& schema, Stdout& out, bool show_change)
      : schema_(schema), out_(out), show_change_(show_change) {}
  void Begin() override {
    std::string buf;
    if (show_change_) buf += schema_.num_columns() > 0 ? "_change," : "_change";
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      if (c > 0) buf += ',';
      AppendCsvField(&buf, schema_.column(c).name, ',');
    }
    buf += '\n';
    out_.Write(buf);
  }
  void Rows(const std::vector<const ScanRecord*>& rows) override {
    std::string buf;
    for (const ScanRecord* r : rows) {
      if (show_change_) {
        buf += ChangeTypeShortString(r->change_type);
        if (schema_.num_columns() > 0) buf += ',';
      }
      for (size_t c = 0; c < schema_.num_columns(); ++c) {
        if (c > 0) buf += ',';
        const Datum& d = r->row.field(c);
        if (std::holds_alternative<std::monostate>(d)) continue;  // NULL: an empty unquoted field
        AppendCsvField(&buf, FormatValue(d, schema_.column(c).type), ',');
      }
      buf += '\n';
    }
    out_.Write(buf);
  }

 private:
  const Schema& schema_;
  Stdout& out_;
  bool show_change_;
};

// Aligned columns (TableWriter): rows are buffered and printed per poll under --follow, else at the
// end (in blocks of kBlockRows so memory stays bounded); the header is printed again only when a
// block has a cell wider than its column.
class TableSink final : public Sink {
 public:
  static constexpr size_t kBlockRows = 10000;
  TableSink(const Schema& schema, Stdout& out, bool follow, bool show_change, size_t max_width)
      : schema_(schema), out_(out), follow_(follow), show_change_(show_change), max_width_(max_width),
        writer_(Header(schema, show_change), RightAlign(schema, show_change), max_width) {}
  void Rows(const std::vector<const ScanRecord*>& rows) override {
    for (const ScanRecord* r : rows) {
      std::vector<std::string> cells;
      if (show_change_) cells.emplace_back(ChangeTypeShortString(r->change_type));
      for (size_t c = 0; c < schema_.num_columns(); ++c) {
        cells.push_back(FormatTableCell(r->row.field(c), schema_.column(c).type, max_width_));
      }
      rows_.push_back(std::move(cells));
    }
    if (rows_.size() >= kBlockRows) Print();
  }
  void EndPoll(bool final) override {
    if (follow_ || final) Print();
  }
  void End() override {
    Print();
    out_.Write(writer_.Finish());
  }

 private:
  static std::vector<std::string> Header(const Schema& schema, bool show_change) {
    std::vector<std::string> header;
    if (show_change) header.push_back("_change");
    for (const auto& c : schema.columns()) header.push_back(c.name);
    return header;
  }
  static std::vector<bool> RightAlign(const Schema& schema, bool show_change) {
    std::vector<bool> right;
    if (show_change) right.push_back(false);
    for (const auto& c : schema.columns()) right.push_back(IsRightAligned(c.type));
    return right;
  }
  void Print() {
    out_.Write(writer_.Add(rows_));
    rows_.clear();
  }

  const Schema& schema_;
  Stdout& out_;
  bool follow_;
  bool show_change_;
  size_t max_width_;
  TableWriter writer_;
  std::vector<std::vector<std::string>> rows_;
};

// Where each bucket starts and (without --follow) where it ends.
struct BucketRange {
  int64_t start = 0;
  int64_t end = INT64_MAX;  // first offset not to print
};

class ScanRun {
 public:
  ScanRun(const ScanArgs& args, LogScanner& scanner, std::map<int32_t, BucketRange> ranges, Stdout& out)
      : args_(args), scanner_(scanner), ranges_(std::move(ranges)), out_(out) {}

  // Subscribes the buckets that have something to read; false when none has.
  Status Subscribe() {
    for (const auto& [b, r] : ranges_) {
      if (!args_.follow && r.start >= r.end) continue;
      FLUSS_RETURN_NOT_OK(scanner_.Subscribe(b, r.start));
      active_.insert(b);
    }
    return Status::OK();
  }

  bool Finished() const {
    return Interrupted() || out_.broken() || (args_.limit && printed_ >= *args_.limit) ||
           (!args_.follow && active_.empty());
  }

  // How many more rows may be printed.
  int64_t Budget() const { return args_.limit ? *args_.limit - printed_ : INT64_MAX; }

  // Records the rows of `bucket` up to `last_offset` as printed; ends buckets that reached their end.
  void Advance(int32_t bucket, int64_t last_offset) {
    if (!args_.follow && last_offset + 1 >= ranges_[bucket].end) Done(bucket);
  }
  // After an empty poll: buckets whose position passed their end are done (e.g. skipped offsets).
  void CheckPositions() {
    if (args_.follow) return;
    const auto positions = scanner_.positions();
    for (const auto& [b, pos] : positions) {
      if (active_.count(b) && pos >= 0 && pos >= ranges_[b].end) Done(b);
    }
  }
  bool InRange(int32_t bucket, int64_t offset) const {
    return args_.follow || offset < ranges_.at(bucket).end;
  }
  void Printed(int64_t n) { printed_ += n; }

 private:
  void Done(int32_t bucket) {
    if (active_.erase(bucket)) (void)scanner_.Unsubscribe(bucket);
  }

  const ScanArgs& args_;
  LogScanner& scanner_;
  std::map<int32_t, BucketRange> ranges_;
  Stdout& out_;
  std::set<int32_t> active_;
  int64_t printed_ = 0;
};

constexpr std::chrono::milliseconds kPollTimeout{500};

Status ScanRows(ScanRun& run, LogScanner& scanner, Sink& sink, Stdout& out) {
  while (!run.Finished()) {
    FLUSS_ASSIGN_OR_RETURN(auto records, scanner.Poll(kPollTimeout));
    std::vector<const ScanRecord*> chosen;
    std::map<int32_t, int64_t> last;  // bucket -> last offset seen in this poll
    for (const auto& r : records) {
      if (static_cast<int64_t>(chosen.size()) >= run.Budget()) break;
      last[r.bucket] = r.offset;
      if (run.InRange(r.bucket, r.offset)) chosen.push_back(&r);
    }
    sink.Rows(chosen);
    run.Printed(static_cast<int64_t>(chosen.size()));
    for (const auto& [b, off] : last) run.Advance(b, off);
    if (records.empty()) {
      run.CheckPositions();
      out.ReaderGone();
    }
    sink.EndPoll(run.Finished());
    out.Flush();
  }
  sink.End();
  out.Flush();
  return Status::OK();
}

// Arrow: a Schema message, one RecordBatch message per fetched batch (cut at the end offset and the
// limit), the end-of-stream marker.
Status ScanArrow(ScanRun& run, LogScanner& scanner, Stdout& out) {
  const Schema& schema = scanner.schema();
  out.Write(arrow::EncodeSchemaMessage(schema));
  while (!run.Finished()) {
    FLUSS_ASSIGN_OR_RETURN(auto batches, scanner.PollBatches(kPollTimeout));
    for (const auto& b : batches) {
      if (run.Finished()) break;
      const int64_t n = static_cast<int64_t>(b.num_rows());
      int64_t keep = n;
      while (keep > 0 && !run.InRange(b.bucket, b.base_offset + keep - 1)) --keep;
      keep = std::min(keep, run.Budget());
      if (keep > 0) {
        std::vector<uint8_t> message;
        if (keep == n) {
          FLUSS_ASSIGN_OR_RETURN(message, arrow::EncodeColumns(schema, b.columns));
        } else {
          FLUSS_ASSIGN_OR_RETURN(auto rows, arrow::ColumnsToRows(b.columns));
          rows.resize(static_cast<size_t>(keep));
          FLUSS_ASSIGN_OR_RETURN(message, arrow::EncodeRecordBatch(schema, rows));
        }
        out.Write(message);
        run.Printed(keep);
      }
      if (n > 0) run.Advance(b.bucket, b.base_offset + n - 1);
    }
    if (batches.empty()) {
      run.CheckPositions();
      out.ReaderGone();
    }
    out.Flush();
  }
  out.Write(std::span<const uint8_t>(arrow::kEndOfStream, sizeof(arrow::kEndOfStream)));
  out.Flush();
  return Status::OK();
}

// Per-bucket start offsets (and end offsets without --follow) from ListOffsets.
Result<std::map<int32_t, BucketRange>> ResolveRanges(Admin& admin, const Table& table, const PositionSpec& from,
                                                     const std::vector<int32_t>& buckets, bool follow) {
  FLUSS_ASSIGN_OR_RETURN(auto latest, admin.ListOffsets(table.path(), OffsetSpec::Latest(), buckets));
  std::map<int32_t, int64_t> start;
  switch (from.kind) {
    case PositionSpec::Kind::kEarliest: {
      FLUSS_ASSIGN_OR_RETURN(start, admin.ListOffsets(table.path(), OffsetSpec::Earliest(), buckets));
      break;
    }
    case PositionSpec::Kind::kLatest: start = latest; break;
    case PositionSpec::Kind::kTimestamp: {
      FLUSS_ASSIGN_OR_RETURN(start, admin.ListOffsets(table.path(), OffsetSpec::Timestamp(from.value), buckets));
      break;
    }
    case PositionSpec::Kind::kOffset:
      for (const auto& [b, off] : latest) start[b] = from.value;
      break;
  }
  std::map<int32_t, BucketRange> ranges;
  std::vector<int32_t> past;  // buckets that --from offset:N starts beyond the end of
  std::vector<int64_t> past_ends;
  for (const auto& [b, end] : latest) {
    auto it = start.find(b);
    ranges[b] = BucketRange{it == start.end() ? end : it->second, follow ? INT64_MAX : end};
    if (ranges[b].start > end) {
      past.push_back(b);
      past_ends.push_back(end);
    }
  }
  if (follow && !past.empty()) {
    // The server does not read past a bucket's end: a following scan cannot wait there.
    const bool one = past.size() == 1;
    return Status::Invalid(fmt::format("--from offset:{} is past the end of bucket{} {} ({} {}): --follow can start "
                                       "at most at the end (--from latest)",
                                       from.value, one ? "" : "s", fmt::join(past, ", "),
                                       one ? "its latest offset is" : "latest offsets", fmt::join(past_ends, ", ")));
  }
  if (!latest.empty() && past.size() == latest.size()) {
    // Nothing at all to print: not an error (rows may come later), but not silence either.
    const bool one = past.size() == 1;
    std::string note = fmt::format("fluss: --from offset:{} is past the end of {} ({} {}): nothing to print\n",
                                   from.value, one ? fmt::format("bucket {}", past[0]) : "every bucket",
                                   one ? "its latest offset is" : "latest offsets", fmt::join(past_ends, ", "));
    std::fflush(stdout);
    std::fwrite(note.data(), 1, note.size(), stderr);
  }
  return ranges;
}

// Prints the snapshot of each bucket (as +I rows) and returns where each bucket's changelog goes on.
Result<std::map<int32_t, BucketRange>> PrintSnapshots(Table& table, const std::vector<int32_t>& buckets,
                                                      const ScanArgs& a, Sink& sink, Stdout& out, int64_t* printed) {
  std::map<int32_t, BucketRange> ranges;
  for (int32_t b : buckets) {
    FLUSS_ASSIGN_OR_RETURN(auto snapshot, table.NewBatchScanner(b, ScanOptions{.columns = a.columns}));
    while (!Interrupted() && !out.broken() && !(a.limit && *printed >= *a.limit)) {
      FLUSS_ASSIGN_OR_RETURN(auto rows, snapshot->PollBatch());
      if (!rows) break;
      std::vector<ScanRecord> records;
      records.reserve(rows->size());
      for (auto& row : *rows) {
        if (a.limit && *printed + static_cast<int64_t>(records.size()) >= *a.limit) break;
        records.push_back(ScanRecord{kNoPartition, b, -1, 0, ChangeType::kInsert, std::move(row)});
      }
      std::vector<const ScanRecord*> ptrs;
      for (const auto& r : records) ptrs.push_back(&r);
      sink.Rows(ptrs);
      *printed += static_cast<int64_t>(records.size());
      out.Flush();
    }
    ranges[b] = BucketRange{snapshot->snapshot_log_offset(), INT64_MAX};
    if (snapshot->snapshot_log_offset() < 0) {
      // Stopped before the first page: no offset to follow from.
      FLUSS_RETURN_NOT_OK(snapshot->Close());
      break;
    }
  }
  return ranges;
}

// --union: the rows of the lake snapshot, then each bucket's log from the snapshot's offsets
// (lake::LakeSnapshotScanner; a primary-key table's lake rows as +I, then its changelog).
Status ScanUnion(lake::LakeSnapshotScanner& scanner, const ScanArgs& a, Sink& sink, Stdout& out) {
  int64_t printed = 0;
  auto finished = [&] {
    return Interrupted() || out.broken() || (a.limit && printed >= *a.limit) || scanner.done();
  };
  while (!finished()) {
    FLUSS_ASSIGN_OR_RETURN(auto records, scanner.Poll(kPollTimeout));
    std::vector<const ScanRecord*> chosen;
    for (const auto& r : records) {
      if (a.limit && printed + static_cast<int64_t>(chosen.size()) >= *a.limit) break;
      chosen.push_back(&r);
    }
    sink.Rows(chosen);
    printed += static_cast<int64_t>(chosen.size());
    if (records.empty()) out.ReaderGone();
    sink.EndPoll(finished());
    out.Flush();
  }
  sink.End();
  out.Flush();
  return Status::OK();
}

}  // namespace

int RunScan(const GlobalOptions& g, const ScanArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  auto from = ParsePositionSpec(a.from, /*allow_offset=*/true);
  if (!from.ok()) return UsageError("--from " + from.status().message());
  if (a.format != "table" && a.format != "json" && a.format != "csv" && a.format != "arrow") {
    return UsageError(fmt::format("--format '{}': expected table, json, csv or arrow", a.format));
  }
  if (a.limit && *a.limit < 0) return UsageError("--limit must be >= 0");

  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return Fail(table.status());
  std::vector<int32_t> buckets = a.buckets;
  for (int32_t b : buckets) {
    if (b < 0 || b >= table->info().num_buckets) {
      return Fail(fmt::format("table '{}' has no bucket {} (it has {})", path->ToString(), b, table->info().num_buckets));
    }
  }
  const bool has_pk = table->info().schema().has_primary_key();
  if (a.snapshot_then_follow) {
    if (!has_pk) {
      return Fail(Status(ErrorCode::kNonPrimaryKeyTable,
                         fmt::format("--snapshot-then-follow needs a primary-key table; '{}' has no primary key",
                                     path->ToString())));
    }
    if (a.from != "earliest") return UsageError("--snapshot-then-follow starts at the snapshot; drop --from");
    if (a.format == "arrow") return UsageError("--snapshot-then-follow prints rows: use --format table, json or csv");
  }
  std::string warehouse = a.warehouse;
  if (a.union_read) {
    if (a.snapshot_then_follow) return UsageError("--union and --snapshot-then-follow do not go together");
    if (a.from != "earliest") return UsageError("--union starts at the lake snapshot; drop --from");
    if (a.format == "arrow") return UsageError("--union prints rows: use --format table, json or csv");
    if (warehouse.empty()) {
      const char* env = std::getenv("FLUSS_WAREHOUSE");
      if (env != nullptr) warehouse = env;
    }
    if (warehouse.empty()) {
      return UsageError("--union needs the lake's warehouse: --warehouse DIR or $FLUSS_WAREHOUSE");
    }
    InstallInterruptHandlers(/*second_signal_kills=*/false);
    auto union_scanner = lake::LakeSnapshotScanner::Open(
        **conn, *path, {.warehouse = warehouse, .columns = a.columns, .buckets = buckets, .follow = a.follow});
    if (!union_scanner.ok()) return Fail(union_scanner.status());
    Stdout out;
    std::unique_ptr<Sink> sink;
    const Schema& schema = (*union_scanner)->schema();
    if (a.format == "json") sink = std::make_unique<JsonSink>(schema, out, has_pk);
    if (a.format == "csv") sink = std::make_unique<CsvSink>(schema, out, has_pk);
    if (a.format == "table") sink = std::make_unique<TableSink>(schema, out, a.follow, has_pk, a.max_width);
    sink->Begin();
    Status st = ScanUnion(**union_scanner, a, *sink, out);
    if (out.broken() && !out.pipe_closed()) {
      return Fail(fmt::format("cannot write the output: {}", std::strerror(out.error())));
    }
    if (!st.ok()) return Fail(st);
    return kExitOk;
  }
  auto scanner = table->NewLogScanner(ScanOptions{.columns = a.columns});
  if (!scanner.ok()) return Fail(scanner.status());
  Admin admin = (*conn)->GetAdmin();
  InstallInterruptHandlers(/*second_signal_kills=*/false);
  Stdout out;
  ScanArgs args = a;
  std::unique_ptr<Sink> sink;
  if (a.format != "arrow") {
    const Schema& schema = (*scanner)->schema();
    if (a.format == "json") sink = std::make_unique<JsonSink>(schema, out, has_pk);
    if (a.format == "csv") sink = std::make_unique<CsvSink>(schema, out, has_pk);
    if (a.format == "table") sink = std::make_unique<TableSink>(schema, out, a.follow || a.snapshot_then_follow, has_pk, a.max_width);
  }
  Result<std::map<int32_t, BucketRange>> ranges = std::map<int32_t, BucketRange>{};
  int64_t printed = 0;
  if (a.snapshot_then_follow) {
    sink->Begin();
    args.follow = true;
    if (buckets.empty()) {
      for (int32_t b = 0; b < table->info().num_buckets; ++b) buckets.push_back(b);
    }
    ranges = PrintSnapshots(*table, buckets, args, *sink, out, &printed);
    sink->EndPoll(false);
  } else {
    ranges = ResolveRanges(admin, *table, *from, buckets, a.follow);
    if (ranges.ok() && sink) sink->Begin();  // (the CSV header: after a note on stderr, none on error)
  }
  if (!ranges.ok()) return Fail(ranges.status());

  ScanRun run(args, **scanner, std::move(ranges).value(), out);
  run.Printed(printed);
  // (A limit the snapshot already reached, or a reader gone: nothing to subscribe.)
  const bool done = (a.limit && printed >= *a.limit) || out.broken();
  Status st = done ? Status::OK() : run.Subscribe();
  if (st.ok()) {
    if (a.format == "arrow") {
      st = ScanArrow(run, **scanner, out);
    } else {
      st = ScanRows(run, **scanner, *sink, out);
    }
  }
  if (out.broken() && !out.pipe_closed()) return Fail(fmt::format("cannot write the output: {}", std::strerror(out.error())));
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace fluss::cli
