// fluss produce / upsert / delete: CSV or JSON lines into a table, converted and checked a chunk at a
// time — appended to a log table, or upserted into / deleted from a primary-key table.
//
// The input is read in chunks of `chunk_rows` rows. A chunk is appended only after every row of it
// converted; on the first bad value nothing of that chunk is appended, the chunks before it are
// flushed (written), and the error names the line, the column and the text.
//
// Ctrl-C (or SIGTERM) stops the reading: the chunk being read is dropped, the chunks handed to the
// writer are flushed and acknowledged, and the command says how many rows that is and the input
// line to resume from, then exits 130 (143). A second Ctrl-C ends it at once.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <istream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "cli/commands.h"
#include "cli/csv.h"
#include "cli/interrupt.h"
#include "cli/progress.h"
#include "cli/value_codec.h"
#include "types/partition_spec.h"

namespace fluss::cli {
namespace {

// A row converted from the input, with the line it started on (for messages).
struct InputRow {
  int64_t line = 0;
  GenericRow row;
};

// Reads one row at a time from CSV or JSON lines and converts it to the table's types.
class RowSource {
 public:
  virtual ~RowSource() = default;
  // Reads what precedes the rows (a CSV header). Errors name the line.
  virtual Status Start() { return Status::OK(); }
  // The next row into *out; false at the end. Errors name the line (and column).
  virtual Result<bool> Next(InputRow* out) = 0;
  virtual int64_t bytes_read() const = 0;
  // Input lines consumed so far: the last line of the last row returned (or of the header).
  virtual int64_t lines_read() const = 0;
};

Status ValueError(int64_t line, const Column& column, const Status& st) {
  return st.WithContext(fmt::format("line {}, column '{}'", line, column.name));
}

// Which columns the input holds. Appends and whole-row upserts: every column. A partial upsert: the
// --columns (key included). A delete: the key columns, or whole rows (the others are ignored).
struct InputColumns {
  std::vector<size_t> positional;            // CSV without a header: the columns, in field order
  std::optional<std::vector<size_t>> alt;    // another accepted field order (delete: whole rows)
  std::vector<bool> required;                // per column: must be given (NOT NULL ones non-NULL)
  std::vector<bool> optional_in_header;      // per column: a CSV header may leave it out (NULL)
  std::vector<bool> allowed;                 // per column: may be given
  std::string what;                          // "the table's columns", for messages
  std::string lacking_hint;                  // why a header must name every required column

  std::vector<std::string> Names(const Schema& schema, const std::vector<size_t>& idx) const {
    std::vector<std::string> out;
    for (size_t i : idx) out.push_back(schema.column(i).name);
    return out;
  }
};


Status NullError(int64_t line, const Column& column) {
  return Status::Invalid(fmt::format("line {}, column '{}': NULL is not allowed (the column is {})", line,
                                     column.name, column.type.ToString()));
}

class CsvSource final : public RowSource {
 public:
  CsvSource(std::istream& in, char delimiter, const Schema& schema, bool header, const InputColumns& cols)
      : reader_(in, delimiter), schema_(schema), header_(header), cols_(cols), mapping_(cols.positional) {}

  Status Start() override {
    if (!header_) return Status::OK();
    header_ = false;
    FLUSS_ASSIGN_OR_RETURN(bool more, reader_.Next(&fields_));
    if (!more) return Status::OK();
    return ReadHeader();
  }

  Result<bool> Next(InputRow* out) override {
    FLUSS_ASSIGN_OR_RETURN(bool more, reader_.Next(&fields_));
    if (!more) return false;
    const int64_t line = reader_.record_line();
    const std::vector<size_t>* mapping = &mapping_;
    if (fields_.size() != mapping_.size() && !have_header_ && cols_.alt && fields_.size() == cols_.alt->size()) {
      mapping = &*cols_.alt;
    }
    if (fields_.size() != mapping->size()) {
      return Status::Invalid(fmt::format("line {}: {} field{}, expected {} ({}){}", line, fields_.size(),
                                         fields_.size() == 1 ? "" : "s", mapping_.size(),
                                         fmt::join(cols_.Names(schema_, mapping_), ", "),
                                         cols_.alt && !have_header_
                                             ? fmt::format(" or {} (whole rows)", cols_.alt->size())
                                             : ""));
    }
    out->line = line;
    out->row = GenericRow(schema_.num_columns());
    for (size_t f = 0; f < fields_.size(); ++f) {
      const Column& column = schema_.column((*mapping)[f]);
      if (fields_[f].text.empty() && !fields_[f].quoted) {
        if (!column.type.nullable() && cols_.required[(*mapping)[f]]) return NullError(line, column);
        continue;
      }
      auto d = ParseValue(fields_[f].text, column.type);
      if (!d.ok()) return ValueError(line, column, d.status());
      out->row.SetField((*mapping)[f], std::move(d).value());
    }
    return true;
  }

  int64_t bytes_read() const override { return reader_.bytes_read(); }
  int64_t lines_read() const override { return reader_.lines_read(); }

 private:
  // The column a header name means: the one of that exact name, else the one whose name matches in
  // any case (an error when several do).
  Result<std::optional<size_t>> HeaderColumn(const std::string& name) const {
    if (auto idx = schema_.IndexOf(name)) return idx;
    std::vector<size_t> matches;
    for (size_t i = 0; i < schema_.num_columns(); ++i) {
      if (AsciiLower(schema_.column(i).name) == AsciiLower(name)) matches.push_back(i);
    }
    if (matches.size() > 1) {
      return Status::Invalid(fmt::format("line {}: the header names '{}', which matches columns {} in case: write one "
                                         "of them exactly",
                                         reader_.record_line(), name, fmt::join(cols_.Names(schema_, matches), ", ")));
    }
    if (matches.empty()) return std::optional<size_t>();
    return std::optional<size_t>(matches[0]);
  }

  // The header names the input's columns, each once, in any order and any case; columns it leaves
  // out are NULL where InputColumns allows that.
  Status ReadHeader() {
    have_header_ = true;
    mapping_.clear();
    std::set<size_t> seen;
    for (const auto& f : fields_) {
      FLUSS_ASSIGN_OR_RETURN(auto idx, HeaderColumn(f.text));
      if (!idx) {
        return Status::Invalid(fmt::format("line {}: the header names '{}', which is not a column of the table ({})",
                                           reader_.record_line(), f.text, fmt::join(schema_.column_names(), ", ")));
      }
      if (!cols_.allowed[*idx]) {
        return Status::Invalid(fmt::format("line {}: the header names '{}', which is not among {}",
                                           reader_.record_line(), f.text, cols_.what));
      }
      if (!seen.insert(*idx).second) {
        return Status::Invalid(fmt::format("line {}: the header names '{}' twice", reader_.record_line(), f.text));
      }
      mapping_.push_back(*idx);
    }
    std::vector<std::string> missing;
    for (size_t i = 0; i < schema_.num_columns(); ++i) {
      if (cols_.required[i] && !cols_.optional_in_header[i] && !seen.count(i)) missing.push_back(schema_.column(i).name);
    }
    if (!missing.empty()) {
      return Status::Invalid(fmt::format("line {}: the header lacks column{} {}{}", reader_.record_line(),
                                         missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), cols_.lacking_hint));
    }
    return Status::OK();
  }

  CsvReader reader_;
  const Schema& schema_;
  bool header_;
  bool have_header_ = false;
  const InputColumns& cols_;
  std::vector<size_t> mapping_;  // field position -> column index
  std::vector<CsvField> fields_;
};

class JsonLinesSource final : public RowSource {
 public:
  JsonLinesSource(std::istream& in, const Schema& schema, const InputColumns& cols)
      : in_(in), schema_(schema), cols_(cols) {}

  Result<bool> Next(InputRow* out) override {
    std::string text;
    while (true) {
      if (!std::getline(in_, text)) return false;
      ++line_;
      bytes_read_ += static_cast<int64_t>(text.size()) + 1;
      if (line_ == 1 && text.rfind(kUtf8ByteOrderMark, 0) == 0) text.erase(0, kUtf8ByteOrderMark.size());
      if (text.find_first_not_of(" \t\r") != std::string::npos) break;
    }
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::Invalid(fmt::format("line {}: not valid JSON", line_));
    if (!j.is_object()) return Status::Invalid(fmt::format("line {}: expected a JSON object, found {}", line_, j.type_name()));
    out->line = line_;
    out->row = GenericRow(schema_.num_columns());
    for (auto it = j.begin(); it != j.end(); ++it) {
      auto idx = schema_.IndexOf(it.key());
      if (!idx) {
        return Status::Invalid(fmt::format("line {}: '{}' is not a column of the table ({})", line_, it.key(),
                                           fmt::join(schema_.column_names(), ", ")));
      }
      if (!cols_.allowed[*idx]) {
        return Status::Invalid(fmt::format("line {}: '{}' is not among {}", line_, it.key(), cols_.what));
      }
    }
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      const Column& column = schema_.column(c);
      auto it = j.find(column.name);
      if (it == j.end() || it->is_null()) {
        if (!column.type.nullable() && cols_.required[c]) return NullError(line_, column);
        continue;
      }
      auto d = JsonToDatum(*it, column.type);
      if (!d.ok()) return ValueError(line_, column, d.status());
      out->row.SetField(c, std::move(d).value());
    }
    return true;
  }

  int64_t bytes_read() const override { return bytes_read_; }
  int64_t lines_read() const override { return line_; }

 private:
  std::istream& in_;
  const Schema& schema_;
  const InputColumns& cols_;
  int64_t line_ = 0;
  int64_t bytes_read_ = 0;
};

// csv for .csv, json for .json / .jsonl / .ndjson, else csv.
std::string FormatFromExtension(const std::string& file) {
  const size_t dot = file.find_last_of('.');
  if (dot == std::string::npos) return "csv";
  const std::string ext = AsciiLower(file.substr(dot + 1));
  if (ext == "json" || ext == "jsonl" || ext == "ndjson") return "json";
  return "csv";
}

Result<char> ParseDelimiter(const std::string& d) {
  if (d == "\\t" || d == "tab" || d == "\t") return '\t';
  if (d.size() != 1) return Status::Invalid(fmt::format("--delimiter '{}': expected one character (or \\t)", d));
  if (d[0] == '"' || d[0] == '\n' || d[0] == '\r') {
    return Status::Invalid(fmt::format("--delimiter '{}' cannot be a quote or a line break", d));
  }
  return d[0];
}

// The writer of a mode: an AppendWriter, or an UpsertWriter that upserts or deletes.
class RowWriter {
 public:
  static Result<std::unique_ptr<RowWriter>> Make(Table& table, const ProduceArgs& a) {
    auto w = std::unique_ptr<RowWriter>(new RowWriter());
    w->mode_ = a.mode;
    if (a.mode == WriteMode::kAppend) {
      FLUSS_ASSIGN_OR_RETURN(w->append_, table.NewAppendWriter());
    } else {
      FLUSS_ASSIGN_OR_RETURN(w->upsert_, table.NewUpsertWriter(UpsertOptions{.columns = a.columns}));
    }
    return w;
  }
  Result<WriteResult> Write(const GenericRow& row) {
    switch (mode_) {
      case WriteMode::kAppend: return append_->Append(row);
      case WriteMode::kUpsert: return upsert_->Upsert(row);
      case WriteMode::kDelete: return upsert_->Delete(row);
    }
    return Status::Internal("unknown write mode");
  }
  Status Flush() { return append_ ? append_->Flush() : upsert_->Flush(); }
  Status Close() { return append_ ? append_->Close() : upsert_->Close(); }
  int64_t partitions_created() const {
    return append_ ? append_->stats().partitions_created : upsert_->stats().partitions_created;
  }

 private:
  RowWriter() = default;
  WriteMode mode_ = WriteMode::kAppend;
  std::unique_ptr<AppendWriter> append_;
  std::unique_ptr<UpsertWriter> upsert_;
};

Result<InputColumns> ChooseInputColumns(const ProduceArgs& a, const Schema& schema, const std::string& table) {
  const size_t n = schema.num_columns();
  InputColumns c;
  c.required.assign(n, true);
  c.allowed.assign(n, true);
  c.optional_in_header.assign(n, false);
  for (size_t i = 0; i < n; ++i) c.positional.push_back(i);
  c.what = fmt::format("the columns of {}", table);
  if (a.mode == WriteMode::kAppend) {
    // An appended row's nullable columns may be left out of a header: they are NULL.
    for (size_t i = 0; i < n; ++i) c.optional_in_header[i] = schema.column(i).type.nullable();
    c.lacking_hint = " (NOT NULL columns must be given)";
  } else if (a.mode == WriteMode::kUpsert && a.columns.empty()) {
    // An upsert replaces the whole row: a column left out would silently become NULL.
    c.lacking_hint = "; an upsert writes whole rows: name every column, or give --columns for a partial update";
  }
  const auto key = schema.primary_key_indexes();
  if (a.mode != WriteMode::kAppend && key.empty()) {
    return Status(ErrorCode::kNonPrimaryKeyTable,
                  fmt::format("table '{}' has no primary key: use 'fluss produce' to append to it", table));
  }
  if (a.mode == WriteMode::kAppend && !key.empty()) {
    return Status(ErrorCode::kInvalidTable,
                  fmt::format("table '{}' has a primary key: use 'fluss upsert' (or 'fluss delete')", table));
  }
  if (a.mode == WriteMode::kUpsert && !a.columns.empty()) {
    c.positional.clear();
    c.required.assign(n, false);
    c.allowed.assign(n, false);
    for (const auto& name : a.columns) {
      auto idx = schema.IndexOf(name);
      if (!idx) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("--columns names '{}', which is not a column of {} ({})", name, table,
                                  fmt::join(schema.column_names(), ", ")));
      }
      if (c.allowed[*idx]) return Status::Invalid(fmt::format("--columns names '{}' twice", name));
      c.positional.push_back(*idx);
      c.required[*idx] = c.allowed[*idx] = true;
    }
    for (size_t k : key) {
      if (!c.allowed[k]) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("--columns must include the primary key; '{}' is missing", schema.column(k).name));
      }
    }
    c.what = fmt::format("--columns ({})", fmt::join(a.columns, ", "));
  }
  if (a.mode == WriteMode::kDelete) {
    // The key columns (in key order) are enough; whole rows are accepted too, the rest ignored.
    c.alt = c.positional;
    c.positional = key;
    c.required.assign(n, false);
    for (size_t k : key) c.required[k] = true;
  }
  return c;
}

}  // namespace

int RunProduce(const GlobalOptions& g, const ProduceArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  const bool from_stdin = a.file.empty() || a.file == "-";
  std::string format = a.format.empty() ? (from_stdin ? "csv" : FormatFromExtension(a.file)) : AsciiLower(a.format);
  if (format == "jsonl" || format == "ndjson") format = "json";
  if (format != "csv" && format != "json") return UsageError(fmt::format("--format '{}': expected csv or json", a.format));
  auto delimiter = ParseDelimiter(a.delimiter);
  if (!delimiter.ok()) return UsageError(delimiter.status().message());
  if (a.chunk_rows < 1) return UsageError("--chunk-rows must be at least 1");

  // The input, read through an InterruptibleInput so that Ctrl-C ends a read that waits for data.
  int fd = STDIN_FILENO;
  if (!from_stdin) {
    fd = ::open(a.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(fmt::format("cannot open '{}': {}", a.file, std::strerror(errno)));
  }
  struct CloseFile {
    int fd;
    ~CloseFile() {
      if (fd != STDIN_FILENO) ::close(fd);
    }
  } close_file{fd};
  std::optional<int64_t> input_size;  // known for a regular file: progress shows a percentage
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) input_size = static_cast<int64_t>(st.st_size);
  InterruptibleInput input_buffer(fd);
  std::istream in(&input_buffer);
  const std::string input_name = from_stdin ? "stdin" : fmt::format("'{}'", a.file);

  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return Fail(table.status());
  const Schema& schema = table->info().schema();
  auto columns = ChooseInputColumns(a, schema, path->ToString());
  if (!columns.ok()) return Fail(columns.status());
  auto writer = RowWriter::Make(*table, a);
  if (!writer.ok()) return Fail(writer.status());

  std::unique_ptr<RowSource> source;
  if (format == "csv") {
    source = std::make_unique<CsvSource>(in, *delimiter, schema, a.header, *columns);
  } else {
    source = std::make_unique<JsonLinesSource>(in, schema, *columns);
  }
  const std::vector<std::string>& partition_keys = table->info().descriptor.partition_keys();
  const char* verb = a.mode == WriteMode::kAppend ? "produced" : a.mode == WriteMode::kUpsert ? "upserted" : "deleted";
  Progress progress(!from_stdin || a.progress || isatty(STDERR_FILENO), a.quiet, verb, input_size);
  // From here on Ctrl-C stops the reading and the accepted rows are flushed (the file comment).
  InstallInterruptHandlers(/*second_signal_kills=*/true);

  int64_t written = 0;       // rows handed to the writer, in whole chunks
  int64_t resume_line = 1;   // the input line after the last row handed to the writer
  bool interrupted = false;
  Status started = source->Start();
  if (Interrupted()) {
    interrupted = true;
  } else if (!started.ok()) {
    return Fail(started);
  } else {
    resume_line = source->lines_read() + 1;
  }
  std::vector<InputRow> chunk;
  chunk.reserve(static_cast<size_t>(std::min<int64_t>(a.chunk_rows, 100000)));
  while (!interrupted) {
    // Read and convert a whole chunk before appending any of it.
    chunk.clear();
    bool end = false;
    while (static_cast<int64_t>(chunk.size()) < a.chunk_rows) {
      InputRow row;
      auto more = source->Next(&row);
      // An interrupted read may end in the middle of a line: whatever it gave is dropped.
      if (Interrupted()) {
        interrupted = true;
        break;
      }
      if (!more.ok()) {
        // The chunks before this one are written; this one is not.
        Status flushed = (*writer)->Flush();
        if (!flushed.ok()) return Fail(flushed);
        return Fail(fmt::format("{}; {} written (none of the chunk of up to {} that holds this line)",
                                more.status().message(), RowCount(written), RowCount(a.chunk_rows)));
      }
      if (!*more) {
        if (input_buffer.error() != 0) {
          Status flushed = (*writer)->Flush();
          if (!flushed.ok()) return Fail(flushed);
          return Fail(fmt::format("cannot read {} after line {}: {}; {} written (none of the last chunk)", input_name,
                                  source->lines_read(), std::strerror(input_buffer.error()), RowCount(written)));
        }
        end = true;
        break;
      }
      // A partitioned table: the row's partition values must name a partition (checked here, with the
      // row's other checks, so a bad value writes nothing of its chunk).
      if (!partition_keys.empty()) {
        auto spec = ResolvedPartitionSpec::FromRow(schema, partition_keys, row.row);
        if (!spec.ok()) {
          Status flushed = (*writer)->Flush();
          if (!flushed.ok()) return Fail(flushed);
          return Fail(Status(spec.status().code(),
                             fmt::format("line {}: {}; {} written (none of the chunk of up to {} that holds this line)",
                                         row.line, spec.status().message(), RowCount(written),
                                         RowCount(a.chunk_rows))));
        }
      }
      chunk.push_back(std::move(row));
    }
    if (interrupted) break;  // the chunk being read is dropped whole
    const int64_t chunk_end_line = source->lines_read();
    for (const auto& r : chunk) {
      auto result = (*writer)->Write(r.row);
      if (!result.ok()) {
        // Not expected: the row passed the same checks during conversion.
        Status flushed = (*writer)->Flush();
        return Fail(fmt::format("line {}: {}; {} written{}", r.line, result.status().message(),
                                RowCount(flushed.ok() ? written : 0), flushed.ok() ? "" : " at most"));
      }
      ++written;
    }
    if (!chunk.empty()) resume_line = chunk_end_line + 1;
    progress.Tick(written, source->bytes_read());
    if (end) break;
    interrupted = Interrupted();
  }
  // Flush waits for every acknowledgement and returns the first failed batch's error.
  Status flushed = (*writer)->Flush();
  if (!flushed.ok()) return Fail(flushed);
  flushed = (*writer)->Close();
  if (!flushed.ok()) return Fail(flushed);
  if (interrupted) {
    // Exactly what the table holds from this input: `written` rows, the input before resume_line.
    Fail(fmt::format("interrupted: {} {} {}, all acknowledged; resume from input line {}", RowCount(written),
                     progress.verb(), a.mode == WriteMode::kDelete ? "from " + path->ToString()
                                      : a.mode == WriteMode::kUpsert ? "into " + path->ToString()
                                                                     : "to " + path->ToString(),
                     resume_line));
    return InterruptExitCode();
  }
  progress.Summary(written, source->bytes_read(), path->ToString(), (*writer)->partitions_created());
  return kExitOk;
}

}  // namespace fluss::cli
