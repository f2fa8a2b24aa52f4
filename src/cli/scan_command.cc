// fluss scan: read a log table (or a primary-key table's changelog) from a start position and print
// it as a table, JSON lines, CSV or an Arrow IPC stream. The rows of a primary-key table carry their
// change type (+I, -U, +U, -D) in a `_change` field/column. --snapshot-then-follow prints each
// bucket's snapshot (ScanKv) as +I rows, then follows the changelog from the snapshot's offset.
//
// Without --follow the scan stops once every bucket reached the latest offset it had when the scan
// started (rows appended later are not printed); with --follow it polls until SIGINT/SIGTERM or a
// closed pipe, then ends the output cleanly (exit 0).
//
// A partitioned table is read per (partition, bucket): every partition, or those --partition
// selects. With --follow the partitions are listed again every kPartitionDiscoveryInterval and new
// ones (that match) are read from their start; a partition dropped meanwhile (by hand or by
// auto-partitioning's retention) simply ends.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>

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
using BucketRanges = std::map<PartitionBucket, BucketRange>;

constexpr std::chrono::milliseconds kPollTimeout{500};
// How often a --follow scan of a partitioned table lists the partitions again.
constexpr std::chrono::seconds kPartitionDiscoveryInterval{3};

// "bucket 2", "bucket 2 of partition dt=2026-12-07".
std::string BucketLabel(const PartitionBucket& pb, const std::map<int64_t, PartitionInfo>& partitions) {
  if (pb.partition_id == kNoPartition) return fmt::format("bucket {}", pb.bucket);
  auto it = partitions.find(pb.partition_id);
  return fmt::format("bucket {} of partition {}", pb.bucket,
                     it == partitions.end() ? std::to_string(pb.partition_id) : it->second.QualifiedName());
}

// The partitions a partitioned table's scan reads, and (--follow) the discovery of new ones.
struct PartitionScope {
  Admin* admin = nullptr;
  const TableInfo* info = nullptr;
  std::vector<int32_t> buckets;               // the buckets to read of each partition (all when empty)
  std::map<int64_t, PartitionInfo> partitions;  // every partition seen, by id
  std::chrono::steady_clock::time_point last_listed;
};

class ScanRun {
 public:
  ScanRun(const ScanArgs& args, LogScanner& scanner, BucketRanges ranges, Stdout& out, PartitionScope* scope)
      : args_(args), scanner_(scanner), ranges_(std::move(ranges)), out_(out), scope_(scope) {}

  // Subscribes the buckets that have something to read.
  Status Subscribe() {
    for (const auto& [b, r] : ranges_) FLUSS_RETURN_NOT_OK(SubscribeOne(b, r));
    return Status::OK();
  }

  bool Finished() const {
    return Interrupted() || out_.broken() || (args_.limit && printed_ >= *args_.limit) ||
           (!args_.follow && active_.empty());
  }

  // How many more rows may be printed.
  int64_t Budget() const { return args_.limit ? *args_.limit - printed_ : INT64_MAX; }

  // Records the rows of `bucket` up to `last_offset` as printed; ends buckets that reached their end.
  void Advance(const PartitionBucket& bucket, int64_t last_offset) {
    if (!args_.follow && last_offset + 1 >= ranges_[bucket].end) Done(bucket);
  }
  // After an empty poll: buckets whose position passed their end are done (e.g. skipped offsets),
  // and so are those of a partition the scanner found dropped (no longer subscribed).
  void CheckPositions() {
    const auto positions = scanner_.bucket_positions();
    for (auto it = active_.begin(); it != active_.end();) {
      auto pos = positions.find(*it);
      if (pos == positions.end()) {
        it = active_.erase(it);  // its partition is gone
        continue;
      }
      const bool ended = !args_.follow && pos->second >= 0 && pos->second >= ranges_[*it].end;
      ++it;
      if (ended) Done(pos->first);
    }
  }
  // --follow on a partitioned table: true when no bucket is being read (no partition yet, or every
  // one was dropped) — the scan then only waits for new partitions. Forgets first the buckets of
  // partitions the scanner found dropped.
  bool Idle() {
    if (scope_ == nullptr) return false;
    const auto positions = scanner_.bucket_positions();
    for (auto it = active_.begin(); it != active_.end();) {
      it = positions.count(*it) ? std::next(it) : active_.erase(it);
    }
    return active_.empty();
  }
  bool InRange(const PartitionBucket& bucket, int64_t offset) const {
    return args_.follow || offset < ranges_.at(bucket).end;
  }
  void Printed(int64_t n) { printed_ += n; }

  // --follow on a partitioned table: lists the partitions again once kPartitionDiscoveryInterval has
  // passed and reads the new ones that match from their start.
  Status DiscoverPartitions() {
    if (!args_.follow || scope_ == nullptr) return Status::OK();
    const auto now = std::chrono::steady_clock::now();
    if (now - scope_->last_listed < kPartitionDiscoveryInterval) return Status::OK();
    scope_->last_listed = now;
    FLUSS_ASSIGN_OR_RETURN(auto partitions,
                           SelectPartitions(*scope_->admin, *scope_->info, args_.partitions, /*allow_unmatched=*/true));
    for (const auto& p : partitions) {
      if (!scope_->partitions.emplace(p.partition_id, p).second) continue;  // seen before
      for (int32_t b : BucketsOf(*scope_)) {
        const PartitionBucket pb{p.partition_id, b};
        ranges_[pb] = BucketRange{kEarliestOffset, INT64_MAX};
        Status st = SubscribeOne(pb, ranges_[pb]);
        if (st.code() == ErrorCode::kPartitionNotExists) break;  // dropped again already
        FLUSS_RETURN_NOT_OK(st);
      }
    }
    return Status::OK();
  }

  static std::vector<int32_t> BucketsOf(const PartitionScope& scope) {
    if (!scope.buckets.empty()) return scope.buckets;
    std::vector<int32_t> all;
    for (int32_t b = 0; b < scope.info->num_buckets; ++b) all.push_back(b);
    return all;
  }

 private:
  Status SubscribeOne(const PartitionBucket& b, const BucketRange& r) {
    if (!args_.follow && r.start >= r.end) return Status::OK();
    if (b.partition_id == kNoPartition) {
      FLUSS_RETURN_NOT_OK(scanner_.Subscribe(b.bucket, r.start));
    } else {
      Status st = scanner_.Subscribe(b.partition_id, b.bucket, r.start);
      if (st.code() == ErrorCode::kPartitionNotExists) return args_.follow ? st : Status::OK();  // dropped since listed
      FLUSS_RETURN_NOT_OK(st);
    }
    active_.insert(b);
    return Status::OK();
  }

  void Done(const PartitionBucket& bucket) {
    if (!active_.erase(bucket)) return;
    if (bucket.partition_id == kNoPartition) {
      (void)scanner_.Unsubscribe(bucket.bucket);
    } else {
      (void)scanner_.Unsubscribe(bucket.partition_id, bucket.bucket);
    }
  }

  const ScanArgs& args_;
  LogScanner& scanner_;
  BucketRanges ranges_;
  Stdout& out_;
  PartitionScope* scope_;
  std::set<PartitionBucket> active_;
  int64_t printed_ = 0;
};

Status ScanRows(ScanRun& run, LogScanner& scanner, Sink& sink, Stdout& out) {
  while (!run.Finished()) {
    FLUSS_RETURN_NOT_OK(run.DiscoverPartitions());
    if (run.Idle()) {
      // Nothing to read until a partition comes (--follow only: otherwise the scan has finished).
      std::this_thread::sleep_for(kPollTimeout);
      out.ReaderGone();
      continue;
    }
    FLUSS_ASSIGN_OR_RETURN(auto records, scanner.Poll(kPollTimeout));
    std::vector<const ScanRecord*> chosen;
    std::map<PartitionBucket, int64_t> last;  // bucket -> last offset seen in this poll
    for (const auto& r : records) {
      if (static_cast<int64_t>(chosen.size()) >= run.Budget()) break;
      const PartitionBucket pb{r.partition_id, r.bucket};
      last[pb] = r.offset;
      if (run.InRange(pb, r.offset)) chosen.push_back(&r);
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
    FLUSS_RETURN_NOT_OK(run.DiscoverPartitions());
    if (run.Idle()) {
      std::this_thread::sleep_for(kPollTimeout);
      out.ReaderGone();
      continue;
    }
    FLUSS_ASSIGN_OR_RETURN(auto batches, scanner.PollBatches(kPollTimeout));
    for (const auto& b : batches) {
      if (run.Finished()) break;
      const PartitionBucket pb{b.partition_id, b.bucket};
      const int64_t n = static_cast<int64_t>(b.num_rows());
      int64_t keep = n;
      while (keep > 0 && !run.InRange(pb, b.base_offset + keep - 1)) --keep;
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
      if (n > 0) run.Advance(pb, b.base_offset + n - 1);
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

// Per-bucket start offsets (and end offsets without --follow) from ListOffsets: of the table, or of
// each partition in `scope` (a partition dropped since it was listed is left out).
Result<BucketRanges> ResolveRanges(Admin& admin, const Table& table, const PositionSpec& from,
                                   const std::vector<int32_t>& buckets, bool follow, const PartitionScope* scope) {
  // One table's or partition's offsets for `spec`.
  auto offsets = [&](int64_t partition_id, const OffsetSpec& spec) -> Result<std::map<int32_t, int64_t>> {
    if (partition_id == kNoPartition) return admin.ListOffsets(table.path(), spec, buckets);
    return admin.ListPartitionOffsets(table.path(), scope->partitions.at(partition_id).partition_name, spec, buckets);
  };
  std::vector<int64_t> ids;
  if (scope == nullptr) {
    ids.push_back(kNoPartition);
  } else {
    for (const auto& [id, p] : scope->partitions) ids.push_back(id);
  }
  BucketRanges ranges;
  std::vector<std::string> past;  // buckets that --from offset:N starts beyond the end of
  std::vector<int64_t> past_ends;
  for (int64_t id : ids) {
    auto latest = offsets(id, OffsetSpec::Latest());
    if (!latest.ok() && latest.status().code() == ErrorCode::kPartitionNotExists && id != kNoPartition) continue;
    if (!latest.ok()) return latest.status();
    std::map<int32_t, int64_t> start;
    switch (from.kind) {
      case PositionSpec::Kind::kEarliest: {
        FLUSS_ASSIGN_OR_RETURN(start, offsets(id, OffsetSpec::Earliest()));
        break;
      }
      case PositionSpec::Kind::kLatest: start = *latest; break;
      case PositionSpec::Kind::kTimestamp: {
        FLUSS_ASSIGN_OR_RETURN(start, offsets(id, OffsetSpec::Timestamp(from.value)));
        break;
      }
      case PositionSpec::Kind::kOffset:
        for (const auto& [b, off] : *latest) start[b] = from.value;
        break;
    }
    for (const auto& [b, end] : *latest) {
      const PartitionBucket pb{id, b};
      auto it = start.find(b);
      ranges[pb] = BucketRange{it == start.end() ? end : it->second, follow ? INT64_MAX : end};
      if (ranges[pb].start > end) {
        past.push_back(BucketLabel(pb, scope ? scope->partitions : std::map<int64_t, PartitionInfo>{}));
        past_ends.push_back(end);
      }
    }
  }
  if (follow && !past.empty()) {
    // The server does not read past a bucket's end: a following scan cannot wait there.
    const bool one = past.size() == 1;
    return Status::Invalid(fmt::format("--from offset:{} is past the end of {} ({} {}): --follow can start "
                                       "at most at the end (--from latest)",
                                       from.value, fmt::join(past, ", "),
                                       one ? "its latest offset is" : "latest offsets", fmt::join(past_ends, ", ")));
  }
  if (!ranges.empty() && past.size() == ranges.size()) {
    // Nothing at all to print: not an error (rows may come later), but not silence either.
    const bool one = past.size() == 1;
    std::string note = fmt::format("fluss: --from offset:{} is past the end of {} ({} {}): nothing to print\n",
                                   from.value, one ? past[0] : "every bucket",
                                   one ? "its latest offset is" : "latest offsets", fmt::join(past_ends, ", "));
    std::fflush(stdout);
    std::fwrite(note.data(), 1, note.size(), stderr);
  }
  return ranges;
}

// Prints the snapshot of each bucket (as +I rows) and returns where each bucket's changelog goes on.
Result<BucketRanges> PrintSnapshots(Table& table, const std::vector<PartitionBucket>& buckets, const ScanArgs& a,
                                    Sink& sink, Stdout& out, int64_t* printed) {
  BucketRanges ranges;
  for (const PartitionBucket& b : buckets) {
    const ScanOptions options{.columns = a.columns};
    auto opened = b.partition_id == kNoPartition ? table.NewBatchScanner(b.bucket, options)
                                                 : table.NewBatchScanner(b.partition_id, b.bucket, options);
    if (!opened.ok() && opened.status().code() == ErrorCode::kPartitionNotExists) continue;  // dropped meanwhile
    FLUSS_ASSIGN_OR_RETURN(auto snapshot, std::move(opened));
    while (!Interrupted() && !out.broken() && !(a.limit && *printed >= *a.limit)) {
      FLUSS_ASSIGN_OR_RETURN(auto rows, snapshot->PollBatch());
      if (!rows) break;
      std::vector<ScanRecord> records;
      records.reserve(rows->size());
      for (auto& row : *rows) {
        if (a.limit && *printed + static_cast<int64_t>(records.size()) >= *a.limit) break;
        records.push_back(ScanRecord{b.partition_id, b.bucket, -1, 0, ChangeType::kInsert, std::move(row)});
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
  const bool partitioned = table->info().descriptor.is_partitioned();
  if (!a.partitions.empty() && !partitioned) {
    return Fail(Status(ErrorCode::kTableNotPartitioned,
                       fmt::format("--partition {}: table '{}' is not partitioned", a.partitions.front(),
                                   path->ToString())));
  }
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
    // A partitioned table: the partitions --partition selects (by name), or all of them.
    std::vector<std::string> partition_names;
    if (partitioned && !a.partitions.empty()) {
      Admin admin = (*conn)->GetAdmin();
      auto selected = SelectPartitions(admin, table->info(), a.partitions, /*allow_unmatched=*/false);
      if (!selected.ok()) return Fail(selected.status());
      for (const auto& p : *selected) partition_names.push_back(p.partition_name);
    }
    InstallInterruptHandlers(/*second_signal_kills=*/false);
    auto union_scanner = lake::LakeSnapshotScanner::Open(
        **conn, *path,
        {.warehouse = warehouse, .columns = a.columns, .buckets = buckets, .follow = a.follow,
         .partitions = std::move(partition_names)});
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
  // A partitioned table: the partitions to read (--partition), each with the buckets asked for.
  std::optional<PartitionScope> scope;
  if (partitioned) {
    auto partitions = SelectPartitions(admin, table->info(), a.partitions,
                                       /*allow_unmatched=*/a.follow || a.snapshot_then_follow);
    if (!partitions.ok()) return Fail(partitions.status());
    scope.emplace();
    scope->admin = &admin;
    scope->info = &table->info();
    scope->buckets = buckets;
    scope->last_listed = std::chrono::steady_clock::now();
    for (const auto& p : *partitions) scope->partitions[p.partition_id] = p;
  }
  Result<BucketRanges> ranges = BucketRanges{};
  int64_t printed = 0;
  if (a.snapshot_then_follow) {
    sink->Begin();
    args.follow = true;
    if (buckets.empty()) {
      for (int32_t b = 0; b < table->info().num_buckets; ++b) buckets.push_back(b);
    }
    std::vector<PartitionBucket> snapshot_buckets;
    if (scope) {
      for (const auto& [id, p] : scope->partitions) {
        for (int32_t b : buckets) snapshot_buckets.push_back({id, b});
      }
    } else {
      for (int32_t b : buckets) snapshot_buckets.push_back({kNoPartition, b});
    }
    ranges = PrintSnapshots(*table, snapshot_buckets, args, *sink, out, &printed);
    sink->EndPoll(false);
  } else {
    ranges = ResolveRanges(admin, *table, *from, buckets, a.follow, scope ? &*scope : nullptr);
    if (ranges.ok() && sink) sink->Begin();  // (the CSV header: after a note on stderr, none on error)
  }
  if (!ranges.ok()) return Fail(ranges.status());

  ScanRun run(args, **scanner, std::move(ranges).value(), out, scope ? &*scope : nullptr);
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
