#include "cli/csv.h"

#include <fmt/format.h>

namespace fluss::cli {

bool CsvReader::ReadLine(std::string* line) {
  if (!std::getline(in_, *line)) return false;
  ++line_;
  bytes_read_ += static_cast<int64_t>(line->size()) + (in_.eof() ? 0 : 1);
  if (line_ == 1 && line->rfind(kUtf8ByteOrderMark, 0) == 0) line->erase(0, kUtf8ByteOrderMark.size());
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

Result<bool> CsvReader::Next(std::vector<CsvField>* fields) {
  fields->clear();
  std::string line;
  do {
    if (!ReadLine(&line)) return false;
  } while (line.empty());
  record_line_ = line_;

  CsvField field;
  size_t i = 0;
  // States: at the start of a field, inside an unquoted field, inside quotes, after a closing quote.
  enum { kStart, kUnquoted, kQuoted, kAfterQuote } state = kStart;
  while (true) {
    if (i == line.size()) {
      if (state == kQuoted) {
        // A line break inside quotes belongs to the field.
        field.text += '\n';
        if (!ReadLine(&line)) {
          return Status::Invalid(fmt::format("line {}: a quoted field is not closed before the end of the input",
                                             record_line_));
        }
        i = 0;
        continue;
      }
      fields->push_back(std::move(field));
      return true;
    }
    const char c = line[i++];
    switch (state) {
      case kStart:
        if (c == '"') {
          field.quoted = true;
          state = kQuoted;
        } else if (c == delimiter_) {
          fields->push_back(std::move(field));
          field = CsvField{};
        } else {
          field.text += c;
          state = kUnquoted;
        }
        break;
      case kUnquoted:
        if (c == delimiter_) {
          fields->push_back(std::move(field));
          field = CsvField{};
          state = kStart;
        } else {
          field.text += c;  // a quote inside an unquoted field is taken as is
        }
        break;
      case kQuoted:
        if (c == '"') {
          if (i < line.size() && line[i] == '"') {
            field.text += '"';
            ++i;
          } else {
            state = kAfterQuote;
          }
        } else {
          field.text += c;
        }
        break;
      case kAfterQuote:
        if (c == delimiter_) {
          fields->push_back(std::move(field));
          field = CsvField{};
          state = kStart;
        } else {
          return Status::Invalid(fmt::format("line {}: '{}' after the closing quote of field {}", line_, c,
                                             fields->size() + 1));
        }
        break;
    }
  }
}

void AppendCsvField(std::string* out, std::string_view text, char delimiter) {
  const bool quote = text.empty() || text.front() == ' ' || text.back() == ' ' ||
                     text.find_first_of(std::string{'"', '\r', '\n', delimiter}) != std::string_view::npos;
  if (!quote) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace fluss::cli
