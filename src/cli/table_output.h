// The `table` output format of the `fluss` CLI: a header, a rule, then one line per row, columns
// separated by " | ", numbers right-aligned, widths in terminal columns (text_width.h).
//
//   id | name | v
//   ---+------+----
//    1 | one  | 1.5
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "types/data_type.h"
#include "types/row.h"

namespace fluss::cli {

// The default of --max-width: the most terminal columns a cell of `scan` and `lookup` takes.
inline constexpr size_t kDefaultMaxCellWidth = 40;

// Renders a table in parts, for output that arrives a batch of rows at a time (scan, --follow):
// the header is printed once, and later rows continue the same table as long as they fit its
// column widths; a batch with a wider cell starts a new table (a blank line, then the header with
// the wider widths). Every cell has its control characters escaped and is cut to `max_width`
// columns (0: no limit); header names are escaped but never cut.
class TableWriter {
 public:
  TableWriter(std::vector<std::string> header, std::vector<bool> right_align, size_t max_width = 0);

  // The lines of `rows` (each with one cell per header column), preceded by the header when they
  // start a table. Nothing for no rows.
  std::string Add(const std::vector<std::vector<std::string>>& rows);
  // The header and rule alone when no row was added (an empty result still shows its columns);
  // else nothing.
  std::string Finish();

 private:
  std::string Line(const std::vector<std::string>& cells, bool header) const;
  std::string Header() const;  // the header line and the rule under it

  std::vector<std::string> header_;
  std::vector<bool> right_;
  size_t max_width_;
  std::vector<size_t> width_;
  bool started_ = false;
};

// All rows as one table (the header even when there are none); cells escaped, never cut.
std::string RenderTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& right_align);

// A value as a table cell: FormatValue's form (binary as hex x'..', NULL as "NULL"). A long string
// or binary value is cut before it is formatted (keeping enough to fill `max_width` columns, then
// "…"), so a 5 MB value costs no more than a short one. max_width 0: the whole value.
std::string FormatTableCell(const Datum& d, const DataType& type, size_t max_width);

}  // namespace fluss::cli
