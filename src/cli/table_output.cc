#include "cli/table_output.h"

#include <algorithm>

#include "cli/text_width.h"
#include "cli/value_codec.h"

namespace fluss::cli {

TableWriter::TableWriter(std::vector<std::string> header, std::vector<bool> right_align, size_t max_width)
    : right_(std::move(right_align)), max_width_(max_width) {
  right_.resize(header.size(), false);
  for (auto& name : header) {
    header_.push_back(EscapeControl(name));
    width_.push_back(DisplayWidth(header_.back()));
  }
}

std::string TableWriter::Line(const std::vector<std::string>& cells, bool header) const {
  std::string out;
  for (size_t c = 0; c < cells.size() && c < width_.size(); ++c) {
    const size_t w = DisplayWidth(cells[c]);
    const size_t pad = width_[c] > w ? width_[c] - w : 0;
    const bool right = right_[c] && !header;  // header names are left-aligned
    if (c > 0) out += " | ";
    if (right) out.append(pad, ' ');
    out += cells[c];
    if (!right && c + 1 < width_.size()) out.append(pad, ' ');
  }
  out += '\n';
  return out;
}

std::string TableWriter::Header() const {
  std::string out = Line(header_, /*header=*/true);
  for (size_t c = 0; c < width_.size(); ++c) {
    if (c > 0) out += "-+-";
    out.append(width_[c], '-');
  }
  out += '\n';
  return out;
}

std::string TableWriter::Add(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  bool wider = false;
  for (const auto& row : rows) {
    std::vector<std::string> line;
    line.reserve(header_.size());
    for (size_t c = 0; c < header_.size(); ++c) {
      line.push_back(c < row.size() ? TruncateToWidth(EscapeControl(row[c]), max_width_) : std::string());
      const size_t w = DisplayWidth(line.back());
      if (w > width_[c]) {
        width_[c] = w;
        wider = true;
      }
    }
    cells.push_back(std::move(line));
  }
  std::string out;
  if (!started_ || wider) {
    // A new table: its header and rule (after a blank line when one was printed before).
    if (started_) out += '\n';
    out += Header();
    started_ = true;
  }
  for (const auto& line : cells) out += Line(line, /*header=*/false);
  return out;
}

std::string TableWriter::Finish() {
  if (started_) return "";
  started_ = true;
  return Header();
}

std::string RenderTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& right_align) {
  TableWriter writer(header, right_align);
  std::string out = writer.Add(rows);
  return out + writer.Finish();
}

std::string FormatTableCell(const Datum& d, const DataType& type, size_t max_width) {
  const TypeRoot t = type.root();
  const bool text = t == TypeRoot::kChar || t == TypeRoot::kString;
  const bool binary = t == TypeRoot::kBinary || t == TypeRoot::kBytes;
  if (max_width > 0 && (text || binary) && std::holds_alternative<std::string>(d)) {
    // Enough to fill max_width columns: a code point takes at most 4 bytes, a byte 2 hex digits.
    const std::string& value = std::get<std::string>(d);
    const size_t keep = text ? 4 * max_width + 4 : max_width / 2 + 2;
    if (value.size() > keep) {
      std::string cell = FormatValue(Datum(value.substr(0, keep)), type, BinaryForm::kHex);
      if (binary && !cell.empty() && cell.back() == '\'') cell.pop_back();  // not the closing quote: more follows
      return cell + "\u2026";
    }
  }
  return FormatValue(d, type, BinaryForm::kHex);
}

}  // namespace fluss::cli
