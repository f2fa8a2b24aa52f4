// fluss produce: CSV or JSON lines into a log table, converted and checked a chunk at a time.
//
// The input is read in chunks of `chunk_rows` rows. A chunk is appended only after every row of it
// converted; on the first bad value nothing of that chunk is appended, the chunks before it are
// flushed (written), and the error names the line, the column and the text.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/csv.h"
#include "cli/value_codec.h"

namespace fluss::cli {
namespace {

using Clock = std::chrono::steady_clock;

// A row converted from the input, with the line it started on (for messages).
struct InputRow {
  int64_t line = 0;
  GenericRow row;
};

// Reads one row at a time from CSV or JSON lines and converts it to the table's types.
class RowSource {
 public:
  virtual ~RowSource() = default;
  // The next row into *out; false at the end. Errors name the line (and column).
  virtual Result<bool> Next(InputRow* out) = 0;
  virtual int64_t bytes_read() const = 0;
};

Status ValueError(int64_t line, const Column& column, const Status& st) {
  return Status(st.code(), fmt::format("line {}, column '{}': {}", line, column.name, st.message()));
}

Status NullError(int64_t line, const Column& column) {
  return Status::Invalid(fmt::format("line {}, column '{}': NULL is not allowed (the column is {})", line,
                                     column.name, column.type.ToString()));
}

class CsvSource final : public RowSource {
 public:
  CsvSource(std::istream& in, char delimiter, const Schema& schema, bool header)
      : reader_(in, delimiter), schema_(schema), header_(header) {
    for (size_t i = 0; i < schema.num_columns(); ++i) mapping_.push_back(i);
  }

  Result<bool> Next(InputRow* out) override {
    if (header_) {
      header_ = false;
      FLUSS_ASSIGN_OR_RETURN(bool more, reader_.Next(&fields_));
      if (!more) return false;
      FLUSS_RETURN_NOT_OK(ReadHeader());
    }
    FLUSS_ASSIGN_OR_RETURN(bool more, reader_.Next(&fields_));
    if (!more) return false;
    const int64_t line = reader_.record_line();
    if (fields_.size() != mapping_.size()) {
      return Status::Invalid(fmt::format("line {}: {} field{}, expected {} ({})", line, fields_.size(),
                                         fields_.size() == 1 ? "" : "s", mapping_.size(),
                                         fmt::join(schema_.column_names(), ", ")));
    }
    out->line = line;
    out->row = GenericRow(schema_.num_columns());
    for (size_t f = 0; f < fields_.size(); ++f) {
      const Column& column = schema_.column(mapping_[f]);
      if (fields_[f].text.empty() && !fields_[f].quoted) {
        if (!column.type.nullable()) return NullError(line, column);
        continue;
      }
      auto d = ParseValue(fields_[f].text, column.type);
      if (!d.ok()) return ValueError(line, column, d.status());
      out->row.SetField(mapping_[f], std::move(d).value());
    }
    return true;
  }

  int64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  // The header names the table's columns, each once, in any order.
  Status ReadHeader() {
    mapping_.clear();
    std::set<size_t> seen;
    for (const auto& f : fields_) {
      auto idx = schema_.IndexOf(f.text);
      if (!idx) {
        return Status::Invalid(fmt::format("line {}: the header names '{}', which is not a column of the table ({})",
                                           reader_.record_line(), f.text, fmt::join(schema_.column_names(), ", ")));
      }
      if (!seen.insert(*idx).second) {
        return Status::Invalid(fmt::format("line {}: the header names '{}' twice", reader_.record_line(), f.text));
      }
      mapping_.push_back(*idx);
    }
    std::vector<std::string> missing;
    for (size_t i = 0; i < schema_.num_columns(); ++i) {
      if (!seen.count(i)) missing.push_back(schema_.column(i).name);
    }
    if (!missing.empty()) {
      return Status::Invalid(fmt::format("line {}: the header lacks column{} {}", reader_.record_line(),
                                         missing.size() == 1 ? "" : "s", fmt::join(missing, ", ")));
    }
    return Status::OK();
  }

  CsvReader reader_;
  const Schema& schema_;
  bool header_;
  std::vector<size_t> mapping_;  // field position -> column index
  std::vector<CsvField> fields_;
};

class JsonLinesSource final : public RowSource {
 public:
  JsonLinesSource(std::istream& in, const Schema& schema) : in_(in), schema_(schema) {}

  Result<bool> Next(InputRow* out) override {
    std::string text;
    while (true) {
      if (!std::getline(in_, text)) return false;
      ++line_;
      bytes_read_ += static_cast<int64_t>(text.size()) + 1;
      if (text.find_first_not_of(" \t\r") != std::string::npos) break;
    }
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::Invalid(fmt::format("line {}: not valid JSON", line_));
    if (!j.is_object()) return Status::Invalid(fmt::format("line {}: expected a JSON object, found {}", line_, j.type_name()));
    out->line = line_;
    out->row = GenericRow(schema_.num_columns());
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!schema_.IndexOf(it.key())) {
        return Status::Invalid(fmt::format("line {}: '{}' is not a column of the table ({})", line_, it.key(),
                                           fmt::join(schema_.column_names(), ", ")));
      }
    }
    for (size_t c = 0; c < schema_.num_columns(); ++c) {
      const Column& column = schema_.column(c);
      auto it = j.find(column.name);
      if (it == j.end() || it->is_null()) {
        if (!column.type.nullable()) return NullError(line_, column);
        continue;
      }
      auto d = JsonToDatum(*it, column.type);
      if (!d.ok()) return ValueError(line_, column, d.status());
      out->row.SetField(c, std::move(d).value());
    }
    return true;
  }

  int64_t bytes_read() const override { return bytes_read_; }

 private:
  std::istream& in_;
  const Schema& schema_;
  int64_t line_ = 0;
  int64_t bytes_read_ = 0;
};

std::string Lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// csv for .csv, json for .json / .jsonl / .ndjson, else csv.
std::string FormatFromExtension(const std::string& file) {
  const size_t dot = file.find_last_of('.');
  if (dot == std::string::npos) return "csv";
  const std::string ext = Lowercase(file.substr(dot + 1));
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

class Progress {
 public:
  Progress(bool enabled, bool quiet) : enabled_(enabled && !quiet), quiet_(quiet) {}

  void Tick(int64_t rows, int64_t bytes) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    Print(fmt::format("produced {} rows", rows), rows, bytes);
  }

  void Summary(int64_t rows, int64_t bytes, const std::string& table) {
    if (quiet_) return;
    Print(fmt::format("produced {} rows to {} in {:.2f} s", rows, table, Seconds()), rows, bytes);
  }

 private:
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void Print(const std::string& what, int64_t rows, int64_t bytes) {
    const double s = std::max(Seconds(), 1e-6);
    std::string line = fmt::format("{} ({:.0f} rows/s, {:.2f} MB/s)\n", what, rows / s, bytes / s / 1e6);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }

  bool enabled_;
  bool quiet_;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
};

}  // namespace

int RunProduce(const GlobalOptions& g, const ProduceArgs& a) {
  auto path = TablePath::Parse(a.table);
  if (!path.ok()) return UsageError(path.status().message());
  const bool from_stdin = a.file.empty() || a.file == "-";
  std::string format = a.format.empty() ? (from_stdin ? "csv" : FormatFromExtension(a.file)) : Lowercase(a.format);
  if (format == "jsonl" || format == "ndjson") format = "json";
  if (format != "csv" && format != "json") return UsageError(fmt::format("--format '{}': expected csv or json", a.format));
  auto delimiter = ParseDelimiter(a.delimiter);
  if (!delimiter.ok()) return UsageError(delimiter.status().message());
  if (a.chunk_rows < 1) return UsageError("--chunk-rows must be at least 1");

  std::ifstream file;
  if (!from_stdin) {
    file.open(a.file, std::ios::binary);
    if (!file) return Fail(fmt::format("cannot open '{}': {}", a.file, std::strerror(errno)));
  }
  std::istream& in = from_stdin ? std::cin : file;
  if (from_stdin) std::ios::sync_with_stdio(false);

  auto conn = Connect(g);
  if (!conn.ok()) return Fail(conn.status());
  auto table = (*conn)->GetTable(*path);
  if (!table.ok()) return Fail(table.status());
  const Schema& schema = table->info().schema();
  auto writer = table->NewAppendWriter();
  if (!writer.ok()) return Fail(writer.status());

  std::unique_ptr<RowSource> source;
  if (format == "csv") {
    source = std::make_unique<CsvSource>(in, *delimiter, schema, a.header);
  } else {
    source = std::make_unique<JsonLinesSource>(in, schema);
  }
  Progress progress(!from_stdin || a.progress || isatty(STDERR_FILENO), a.quiet);

  int64_t written = 0;  // rows appended in whole chunks
  std::vector<InputRow> chunk;
  chunk.reserve(static_cast<size_t>(std::min<int64_t>(a.chunk_rows, 100000)));
  while (true) {
    // Read and convert a whole chunk before appending any of it.
    chunk.clear();
    bool end = false;
    while (static_cast<int64_t>(chunk.size()) < a.chunk_rows) {
      InputRow row;
      auto more = source->Next(&row);
      if (!more.ok()) {
        // The chunks before this one are written; this one is not.
        Status flushed = (*writer)->Flush();
        if (!flushed.ok()) return Fail(flushed);
        return Fail(fmt::format("{}; {} rows written (none of the chunk of up to {} rows that holds this line)",
                                more.status().message(), written, a.chunk_rows));
      }
      if (!*more) {
        end = true;
        break;
      }
      chunk.push_back(std::move(row));
    }
    for (const auto& r : chunk) {
      auto result = (*writer)->Append(r.row);
      if (!result.ok()) {
        // Not expected: the row passed the same checks during conversion.
        Status flushed = (*writer)->Flush();
        return Fail(fmt::format("line {}: {}; {} rows written{}", r.line, result.status().message(),
                                flushed.ok() ? written : 0, flushed.ok() ? "" : " at most"));
      }
      ++written;
    }
    progress.Tick(written, source->bytes_read());
    if (end) break;
  }
  // Flush waits for every acknowledgement and returns the first failed batch's error.
  Status st = (*writer)->Flush();
  if (!st.ok()) return Fail(st);
  st = (*writer)->Close();
  if (!st.ok()) return Fail(st);
  progress.Summary(written, source->bytes_read(), path->ToString());
  return kExitOk;
}

}  // namespace fluss::cli
