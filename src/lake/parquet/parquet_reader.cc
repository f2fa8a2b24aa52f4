#include "lake/parquet/parquet_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/byte_io.h"
#include "lake/parquet/page_codec.h"
#include "lake/parquet/parquet_values_internal.h"
#include "lake/parquet/parquet_schema.h"
#include "lake/parquet/rle_hybrid.h"

namespace fluss::parquet {
namespace {

constexpr size_t kMagicSize = 4;
constexpr size_t kTailSize = 8;  // footer length (uint32 LE) + "PAR1"

bool IsMagic(const uint8_t* p) { return std::memcmp(p, "PAR1", 4) == 0; }

}  // namespace

Result<std::unique_ptr<ParquetReader>> ParquetReader::Open(Buffer file) {
  const size_t size = file.size();
  if (size < kMagicSize + kTailSize) {
    return Status::Corruption(fmt::format("parquet file of {} bytes is too short (at least 12)", size));
  }
  if (!IsMagic(file.data()) || !IsMagic(file.data() + size - kMagicSize)) {
    return Status::Corruption("parquet file does not start and end with magic 'PAR1'");
  }
  const uint32_t footer_len = LoadLE<uint32_t>(file.data() + size - kTailSize);
  if (footer_len == 0 || footer_len > size - kMagicSize - kTailSize) {
    return Status::Corruption(fmt::format("parquet footer length {} does not fit a {} byte file", footer_len, size));
  }
  const size_t footer_start = size - kTailSize - footer_len;
  FLUSS_ASSIGN_OR_RETURN(FileMetaData meta,
                         DecodeFileMetaData(file.span().subspan(footer_start, footer_len)));
  auto schema = FromParquetSchema(meta.schema);
  if (!schema.ok()) return schema.status();
  std::unique_ptr<ParquetReader> r(new ParquetReader(std::move(file), std::move(meta), std::move(schema).value(), footer_start));
  FLUSS_RETURN_NOT_OK(r->ValidateRowGroups());
  return r;
}

Result<std::unique_ptr<ParquetReader>> ParquetReader::OpenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("cannot open parquet file '{}': {}", path, std::strerror(errno)));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(fmt::format("cannot read parquet file '{}'", path));
  auto r = Open(Buffer::FromVector(std::move(bytes)));
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}

Status ParquetReader::ValidateRowGroups() const {
  if (metadata_.num_rows < 0) return Status::Corruption("parquet footer: negative num_rows");
  int64_t total = 0;
  for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
    const RowGroup& group = metadata_.row_groups[g];
    if (group.num_rows > kMaxRowGroupRows) {
      return Status::NotSupported(fmt::format("parquet row group {} has {} rows, more than the reader's limit {}", g,
                                              group.num_rows, kMaxRowGroupRows));
    }
    if (group.num_rows < 0 || group.columns.size() != schema_.num_columns()) {
      return Status::Corruption(fmt::format("parquet row group {}: {} rows, {} column chunks for {} columns", g,
                                            group.num_rows, group.columns.size(), schema_.num_columns()));
    }
    if (__builtin_add_overflow(total, group.num_rows, &total)) return Status::Corruption("parquet: row count overflow");
    for (size_t c = 0; c < group.columns.size(); ++c) {
      const ColumnChunk& chunk = group.columns[c];
      const SchemaElement& leaf = metadata_.schema[c + 1];
      if (chunk.file_path) return Status::NotSupported("parquet column chunks in other files are not supported");
      if (!chunk.meta_data) return Status::Corruption(fmt::format("parquet row group {} column {}: no metadata", g, c));
      const ColumnMetaData& m = *chunk.meta_data;
      if (m.type != *leaf.type || m.path_in_schema.size() != 1 || m.path_in_schema[0] != leaf.name) {
        return Status::Corruption(fmt::format("parquet row group {} column {}: type or path disagrees with the schema", g, c));
      }
      if (m.num_values != group.num_rows) {
        return Status::Corruption(fmt::format("parquet row group {} column '{}': {} values for {} rows", g, leaf.name,
                                              m.num_values, group.num_rows));
      }
      if (m.codec != Codec::kUncompressed && m.codec != Codec::kSnappy && m.codec != Codec::kZstd) {
        return Status::NotSupported(fmt::format("parquet column '{}': codec {} not supported", leaf.name,
                                                static_cast<int>(m.codec)));
      }
      int64_t start = m.data_page_offset;
      if (m.dictionary_page_offset && *m.dictionary_page_offset > 0) start = std::min(start, *m.dictionary_page_offset);
      int64_t end;
      if (start < static_cast<int64_t>(kMagicSize) || m.total_compressed_size < 0 ||
          __builtin_add_overflow(start, m.total_compressed_size, &end) || end > static_cast<int64_t>(footer_start_) ||
          m.data_page_offset >= end) {
        return Status::Corruption(fmt::format("parquet row group {} column '{}': chunk [{}, +{}) is outside the data "
                                              "area [4, {})", g, leaf.name, start, m.total_compressed_size,
                                              footer_start_));
      }
    }
  }
  if (total != metadata_.num_rows) {
    return Status::Corruption(fmt::format("parquet footer: num_rows {} but row groups hold {}", metadata_.num_rows, total));
  }
  return Status::OK();
}

Result<std::vector<Datum>> ParquetReader::ReadColumn(int row_group, size_t column) const {
  std::vector<Datum> out;
  FLUSS_RETURN_NOT_OK(ReadColumn(row_group, column, &out));
  return out;
}

Status ParquetReader::ReadColumn(int row_group, size_t column, std::vector<Datum>* out_values) const {
  out_values->clear();
  if (row_group < 0 || row_group >= num_row_groups()) {
    return Status::Invalid(fmt::format("parquet: no row group {} (file has {})", row_group, num_row_groups()));
  }
  if (column >= schema_.num_columns()) {
    return Status::Invalid(fmt::format("parquet: no column {} (file has {})", column, schema_.num_columns()));
  }
  const RowGroup& group = metadata_.row_groups[static_cast<size_t>(row_group)];
  const ColumnMetaData& m = *group.columns[column].meta_data;
  const Column& col = schema_.column(column);
  const SchemaElement& leaf = metadata_.schema[column + 1];
  const bool optional = col.type.nullable();
  const ValueConverter conv(col, leaf);
  auto corrupt = [&](std::string_view what) {
    return Status::Corruption(fmt::format("parquet row group {} column '{}': {}", row_group, col.name, what));
  };

  const bool has_dict = m.dictionary_page_offset && *m.dictionary_page_offset > 0;
  const size_t start = static_cast<size_t>(has_dict ? std::min(m.data_page_offset, *m.dictionary_page_offset)
                                                    : m.data_page_offset);
  const size_t end = static_cast<size_t>(start + m.total_compressed_size);  // checked by ValidateRowGroups
  const size_t num_rows = static_cast<size_t>(group.num_rows);

  std::vector<Datum>& out = *out_values;
  out.reserve(num_rows);
  std::vector<Datum> dict;
  bool dict_seen = false;
  std::vector<uint8_t> page;
  std::vector<uint32_t> levels, indices;
  std::vector<Datum> values;
  size_t pos = start;
  while (out.size() < num_rows) {
    if (pos >= end) return corrupt("pages end before all values are read");
    size_t header_size = 0;
    auto header = DecodePageHeader(file_.span().subspan(pos, end - pos), &header_size);
    if (!header.ok()) return header.status().WithContext(fmt::format("page header at offset {}", pos));
    const PageHeader& h = *header;
    pos += header_size;
    if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0 ||
        static_cast<size_t>(h.compressed_page_size) > end - pos) {
      return corrupt(fmt::format("page at offset {} claims {} bytes, {} left in the chunk", pos,
                                 h.compressed_page_size, end - pos));
    }
    auto stored = file_.span().subspan(pos, static_cast<size_t>(h.compressed_page_size));
    pos += stored.size();
    if (h.type != PageType::kDictionaryPage && h.type != PageType::kDataPage) {
      if (h.type == PageType::kIndexPage) continue;
      return Status::NotSupported(fmt::format("parquet column '{}': page type {} (only data page V1 and dictionary "
                                              "pages)", col.name, static_cast<int>(h.type)));
    }
    auto st = DecompressPage(m.codec, stored, static_cast<size_t>(h.uncompressed_page_size), &page);
    if (!st.ok()) return st.WithContext(fmt::format("parquet column '{}'", col.name));

    if (h.type == PageType::kDictionaryPage) {
      if (dict_seen || !out.empty() || !h.dictionary_page_header) return corrupt("misplaced dictionary page");
      const auto& dh = *h.dictionary_page_header;
      if (dh.encoding != Encoding::kPlain && dh.encoding != Encoding::kPlainDictionary) {
        return corrupt("dictionary page not PLAIN encoded");
      }
      if (dh.num_values < 0 || static_cast<size_t>(dh.num_values) > page.size() * 8 + 1) {
        return corrupt("dictionary page value count does not fit the page");
      }
      dict_seen = true;
      FLUSS_RETURN_NOT_OK(conv.DecodePlain(page, static_cast<size_t>(dh.num_values), &dict));
      continue;
    }
    if (!h.data_page_header) return corrupt("data page without a data_page_header");
    const DataPageHeader& dh = *h.data_page_header;
    if (dh.num_values < 0 || static_cast<size_t>(dh.num_values) > num_rows - out.size()) {
      return corrupt(fmt::format("data page holds {} values, {} rows left", dh.num_values, num_rows - out.size()));
    }
    const size_t n = static_cast<size_t>(dh.num_values);
    std::span<const uint8_t> body(page);
    levels.clear();
    size_t present = n;
    if (optional) {
      if (dh.definition_level_encoding != Encoding::kRle) return corrupt("definition levels not RLE encoded");
      if (body.size() < 4) return corrupt("truncated definition levels");
      uint32_t len = LoadLE<uint32_t>(body.data());
      if (len > body.size() - 4) return corrupt("definition levels longer than the page");
      FLUSS_RETURN_NOT_OK(DecodeRleHybrid(body.subspan(4, len), 1, n, &levels));
      body = body.subspan(4 + len);
      present = 0;
      for (uint32_t l : levels) present += l;
    }
    // Values go straight into `out`; an optional column's PLAIN values pass through `values` (kept
    // between pages) to be placed between the nulls.
    if (dh.encoding == Encoding::kPlain) {
      if (optional) {
        values.clear();
        FLUSS_RETURN_NOT_OK(conv.DecodePlain(body, present, &values));
        size_t k = 0;
        for (uint32_t l : levels) {
          if (l) out.push_back(std::move(values[k++]));
          else out.emplace_back(std::monostate{});
        }
      } else {
        FLUSS_RETURN_NOT_OK(conv.DecodePlain(body, present, &out));
      }
    } else if (dh.encoding == Encoding::kRleDictionary || dh.encoding == Encoding::kPlainDictionary) {
      if (!dict_seen) return corrupt("dictionary-encoded page without a dictionary page");
      indices.clear();
      if (present > 0) {
        if (body.empty()) return corrupt("missing dictionary index bit width");
        FLUSS_RETURN_NOT_OK(DecodeRleHybrid(body.subspan(1), body[0], present, &indices));
        for (uint32_t i : indices) {
          if (i >= dict.size()) return corrupt(fmt::format("dictionary index {} >= dictionary size {}", i, dict.size()));
        }
      }
      if (optional) {
        size_t k = 0;
        for (uint32_t l : levels) {
          if (l) out.push_back(dict[indices[k++]]);
          else out.emplace_back(std::monostate{});
        }
      } else {
        for (uint32_t i : indices) out.push_back(dict[i]);
      }
    } else {
      return Status::NotSupported(fmt::format("parquet column '{}': encoding {} not supported", col.name,
                                              static_cast<int>(dh.encoding)));
    }
  }
  return Status::OK();
}

Result<std::vector<GenericRow>> ParquetReader::ReadRowGroup(int index,
                                                            const std::optional<std::vector<size_t>>& columns) const {
  std::vector<size_t> cols;
  if (columns) {
    cols = *columns;
  } else {
    for (size_t i = 0; i < schema_.num_columns(); ++i) cols.push_back(i);
  }
  if (index < 0 || index >= num_row_groups()) {
    return Status::Invalid(fmt::format("parquet: no row group {} (file has {})", index, num_row_groups()));
  }
  const size_t num_rows = static_cast<size_t>(metadata_.row_groups[static_cast<size_t>(index)].num_rows);
  std::vector<std::vector<Datum>> columns_read;
  for (size_t c : cols) {
    FLUSS_ASSIGN_OR_RETURN(std::vector<Datum> values, ReadColumn(index, c));
    columns_read.push_back(std::move(values));
  }
  std::vector<GenericRow> rows;
  rows.reserve(num_rows);
  for (size_t r = 0; r < num_rows; ++r) {
    std::vector<Datum> fields;
    fields.reserve(cols.size());
    for (auto& column : columns_read) fields.push_back(std::move(column[r]));
    rows.emplace_back(std::move(fields));
  }
  return rows;
}

Result<std::vector<GenericRow>> ParquetReader::ReadAll(const std::optional<std::vector<size_t>>& columns) const {
  std::vector<GenericRow> all;
  for (int g = 0; g < num_row_groups(); ++g) {
    FLUSS_ASSIGN_OR_RETURN(std::vector<GenericRow> rows, ReadRowGroup(g, columns));
    for (auto& r : rows) all.push_back(std::move(r));
  }
  return all;
}

}  // namespace fluss::parquet
