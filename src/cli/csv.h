// CSV as RFC 4180 has it, for the `fluss` CLI: records of fields separated by a one-character
// delimiter; a field in double quotes may hold the delimiter, line breaks and "" (one quote). The
// reader tells a quoted empty field ("" = empty string) from an unquoted one (nothing = NULL).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fluss::cli {

struct CsvField {
  std::string text;
  bool quoted = false;
};

// The UTF-8 byte order mark (U+FEFF) that some programs (Excel) write at the start of a file.
inline constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// Reads records from a stream. Lines end in LF or CRLF; blank lines (outside quotes) are skipped; a
// byte order mark at the start of the input is dropped.
class CsvReader {
 public:
  CsvReader(std::istream& in, char delimiter) : in_(in), delimiter_(delimiter) {}

  // The next record into *fields; false at the end of the input. Error: a quote not closed before
  // the end of the input, or text after a closing quote ("line 4: ...").
  Result<bool> Next(std::vector<CsvField>* fields);

  // The 1-based line on which the record last returned by Next starts.
  int64_t record_line() const { return record_line_; }
  // Bytes consumed so far.
  int64_t bytes_read() const { return bytes_read_; }
  // Lines consumed so far (the last line of the record last returned, or of the input).
  int64_t lines_read() const { return line_; }

 private:
  bool ReadLine(std::string* line);

  std::istream& in_;
  char delimiter_;
  int64_t line_ = 0;
  int64_t record_line_ = 0;
  int64_t bytes_read_ = 0;
};

// Appends `text` as a CSV field: quoted (with "" for quotes) when it holds the delimiter, a quote,
// CR or LF, leading or trailing spaces, or is empty (so that it reads back as an empty string, not NULL).
void AppendCsvField(std::string* out, std::string_view text, char delimiter);

}  // namespace fluss::cli
