#include "format/arrow/record_batch.h"

#include <fmt/format.h>

#include <cstring>

#include "common/byte_io.h"
#include "format/arrow/arrow_type.h"
#include "format/arrow/record_batch_internal.h"

namespace fluss::arrow {
namespace {

size_t BitmapBytes(size_t bits) { return (bits + 7) / 8; }

Status AsCorruption(const Status& st) {
  if (st.ok() || st.kind() == StatusCode::kCorruption) return st;
  return Status::Corruption(st.message());
}

// The body buffers of one column in IPC order, unpadded.
void ColumnBuffers(const ColumnVector& c, std::vector<std::span<const uint8_t>>* out) {
  const size_t n = c.length;
  out->push_back(c.null_count > 0 ? std::span<const uint8_t>(c.validity.data(), BitmapBytes(n))
                                  : std::span<const uint8_t>());
  switch (LayoutOf(c.type)) {
    case ArrowLayout::kBitmap: out->push_back(std::span<const uint8_t>(c.values.data(), BitmapBytes(n))); break;
    case ArrowLayout::kFixed: out->push_back(std::span<const uint8_t>(c.values.data(), n * ValueWidthOf(c.type))); break;
    case ArrowLayout::kVariable: {
      out->push_back(std::span<const uint8_t>(c.offsets.data(), (n + 1) * 4));
      const auto data_end = static_cast<size_t>(LoadLE<int32_t>(c.offsets.data() + n * 4));
      out->push_back(std::span<const uint8_t>(c.values.data(), data_end));
      break;
    }
  }
}

void AppendPadding(std::vector<uint8_t>* out, size_t from) {
  out->resize(from + PaddedTo8(out->size() - from), 0);
}

// Encodes validated columns of `num_rows` rows each.
Result<std::vector<uint8_t>> EncodeValidColumns(std::span<const ColumnVector> columns, size_t num_rows,
                                                const CompressionOptions& options) {
  std::vector<fb::FieldNode> nodes;
  nodes.reserve(columns.size());
  std::vector<std::span<const uint8_t>> raw;
  raw.reserve(columns.size() * 3);
  for (const auto& c : columns) {
    nodes.emplace_back(static_cast<int64_t>(c.length), static_cast<int64_t>(c.null_count));
    ColumnBuffers(c, &raw);
  }
  std::vector<fb::Buffer> buffers;
  buffers.reserve(raw.size());
  flatbuffers::FlatBufferBuilder fbb(256 + 32 * raw.size());
  std::vector<uint8_t> out;

  if (options.codec == CompressionCodec::kNone) {
    size_t cursor = 0;
    for (const auto& r : raw) {
      buffers.emplace_back(static_cast<int64_t>(cursor), static_cast<int64_t>(r.size()));
      cursor += PaddedTo8(r.size());
    }
    BuildRecordBatchMetadata(fbb, static_cast<int64_t>(num_rows), nodes, buffers, options.codec,
                             static_cast<int64_t>(cursor));
    WriteMessagePrefix(fbb, cursor, &out);
    const size_t body_start = out.size();
    for (const auto& r : raw) {
      out.insert(out.end(), r.begin(), r.end());
      AppendPadding(&out, body_start);
    }
    return out;
  }

  std::vector<uint8_t> body;
  BufferCompressor compressor(options);
  for (const auto& r : raw) {
    const size_t start = body.size();
    FLUSS_RETURN_NOT_OK(compressor.Compress(r, &body));
    buffers.emplace_back(static_cast<int64_t>(start), static_cast<int64_t>(body.size() - start));
    AppendPadding(&body, 0);
  }
  BuildRecordBatchMetadata(fbb, static_cast<int64_t>(num_rows), nodes, buffers, options.codec,
                           static_cast<int64_t>(body.size()));
  WriteMessagePrefix(fbb, body.size(), &out);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Status CheckCompressionOptions(const CompressionOptions& options) {
  switch (options.codec) {
    case CompressionCodec::kNone:
    case CompressionCodec::kLz4Frame:
    case CompressionCodec::kZstd: return Status::OK();
  }
  return Status::Invalid(fmt::format("unknown Arrow compression codec {}", static_cast<int>(options.codec)));
}

// Decodes column `i` of `view` into a ColumnVector with exactly sized, zero-based buffers.
Result<ColumnVector> DecodeColumn(const Column& column, const RecordBatchView& view, size_t i,
                                  BufferDecompressor* decompressor) {
  const auto n = static_cast<size_t>(view.length);
  const fb::FieldNode& node = view.node(i);
  size_t b = view.first_buffer[i];
  // Inflated buffers land in `scratch`, so each fetched span is copied out before the next fetch.
  std::vector<uint8_t> scratch;
  auto fetch = [&](size_t index, const char* what) -> Result<std::span<const uint8_t>> {
    std::span<const uint8_t> stored = view.stored(index);
    if (view.codec == CompressionCodec::kNone) return stored;
    Result<std::span<const uint8_t>> r = decompressor->Decompress(stored, &scratch);
    if (!r.ok()) return r.status().WithContext(fmt::format("column '{}' {} buffer", column.name, what));
    return r;
  };
  auto too_short = [&](const char* what, size_t have, size_t need) {
    return Status::Corruption(fmt::format("column '{}': {} buffer has {} bytes, {} rows need {}", column.name, what,
                                          have, n, need));
  };
  auto mask_tail = [n](std::vector<uint8_t>* bitmap) {
    if (n % 8 != 0 && !bitmap->empty()) bitmap->back() &= static_cast<uint8_t>((1u << (n % 8)) - 1);
  };

  ColumnVector col(column.type);
  col.length = n;
  col.null_count = static_cast<size_t>(node.null_count());
  if (col.null_count > 0) {
    FLUSS_ASSIGN_OR_RETURN(auto validity, fetch(b, "validity"));
    if (validity.size() < BitmapBytes(n)) return too_short("validity", validity.size(), BitmapBytes(n));
    col.validity.assign(validity.begin(), validity.begin() + BitmapBytes(n));
    mask_tail(&col.validity);
  }
  ++b;
  switch (LayoutOf(column.type)) {
    case ArrowLayout::kBitmap: {
      FLUSS_ASSIGN_OR_RETURN(auto values, fetch(b, "values"));
      if (values.size() < BitmapBytes(n)) return too_short("values", values.size(), BitmapBytes(n));
      col.values.assign(values.begin(), values.begin() + BitmapBytes(n));
      mask_tail(&col.values);
      break;
    }
    case ArrowLayout::kFixed: {
      const size_t w = ValueWidthOf(column.type);
      FLUSS_ASSIGN_OR_RETURN(auto values, fetch(b, "values"));
      if (values.size() / w < n) return too_short("values", values.size(), n * w);
      col.values.assign(values.begin(), values.begin() + n * w);
      break;
    }
    case ArrowLayout::kVariable: {
      FLUSS_ASSIGN_OR_RETURN(auto offsets, fetch(b, "offsets"));
      if (n == 0 && offsets.empty()) break;  // a zero-length array may omit its offsets
      if (offsets.size() / 4 < n + 1) return too_short("offsets", offsets.size(), (n + 1) * 4);
      const int32_t first = LoadLE<int32_t>(offsets.data());
      if (first < 0) return Status::Corruption(fmt::format("column '{}': negative first offset {}", column.name, first));
      col.offsets.resize((n + 1) * 4);
      int32_t prev = first;
      for (size_t r = 0; r <= n; ++r) {
        const int32_t cur = LoadLE<int32_t>(offsets.data() + r * 4);
        if (cur < prev) {
          return Status::Corruption(
              fmt::format("column '{}': offset {} of row {} is below the previous {}", column.name, cur, r, prev));
        }
        StoreLE<int32_t>(col.offsets.data() + r * 4, cur - first);
        prev = cur;
      }
      ++b;
      FLUSS_ASSIGN_OR_RETURN(auto data, fetch(b, "data"));
      if (static_cast<size_t>(prev) > data.size()) {
        return Status::Corruption(fmt::format("column '{}': last offset {} is past the {} data bytes", column.name,
                                              prev, data.size()));
      }
      col.values.assign(data.begin() + first, data.begin() + prev);
      break;
    }
  }
  FLUSS_RETURN_NOT_OK(AsCorruption(col.Validate(column.name)));
  return col;
}

}  // namespace

void BuildRecordBatchMetadata(flatbuffers::FlatBufferBuilder& fbb, int64_t length, const std::vector<fb::FieldNode>& nodes,
                              const std::vector<fb::Buffer>& buffers, CompressionCodec codec, int64_t body_length) {
  auto nodes_offset = fbb.CreateVectorOfStructs(nodes);
  auto buffers_offset = fbb.CreateVectorOfStructs(buffers);
  flatbuffers::Offset<fb::BodyCompression> compression = 0;
  if (codec != CompressionCodec::kNone) {
    compression = fb::CreateBodyCompression(
        fbb, codec == CompressionCodec::kZstd ? fb::CompressionType::ZSTD : fb::CompressionType::LZ4_FRAME,
        fb::BodyCompressionMethod::BUFFER);
  }
  auto batch = fb::CreateRecordBatch(fbb, length, nodes_offset, buffers_offset, compression);
  auto message = fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::RecordBatch, batch.Union(),
                                   body_length);
  fbb.Finish(message);
}

Result<RecordBatchView> ParseRecordBatch(const Schema& schema, std::span<const uint8_t> message) {
  RecordBatchView view;
  FLUSS_ASSIGN_OR_RETURN(view.parsed, ParseMessage(message));
  const fb::Message* m = view.parsed.message;
  if (m->header_type() != fb::MessageHeader::RecordBatch || m->header_as_RecordBatch() == nullptr) {
    return Status::Corruption(
        fmt::format("Arrow message is a {}, not a RecordBatch", fb::EnumNameMessageHeader(m->header_type())));
  }
  view.batch = m->header_as_RecordBatch();
  view.length = view.batch->length();
  if (view.length < 0) return Status::Corruption(fmt::format("Arrow RecordBatch length {} is negative", view.length));

  const size_t num_columns = schema.num_columns();
  const auto* nodes = view.batch->nodes();
  const size_t num_nodes = nodes == nullptr ? 0 : nodes->size();
  if (num_nodes != num_columns) {
    return Status::Corruption(
        fmt::format("Arrow RecordBatch has {} field nodes, the schema {} columns", num_nodes, num_columns));
  }
  size_t expected_buffers = 0;
  view.first_buffer.reserve(num_columns);
  for (size_t i = 0; i < num_columns; ++i) {
    view.first_buffer.push_back(expected_buffers);
    expected_buffers += BufferCountOf(schema.column(i).type);
    const fb::FieldNode& node = view.node(i);
    if (node.length() != view.length) {
      return Status::Corruption(fmt::format("column '{}' has {} rows in a batch of {}", schema.column(i).name,
                                            node.length(), view.length));
    }
    if (node.null_count() < 0 || node.null_count() > node.length()) {
      return Status::Corruption(fmt::format("column '{}' has a null count of {} for {} rows", schema.column(i).name,
                                            node.null_count(), node.length()));
    }
  }
  const auto* buffers = view.batch->buffers();
  const size_t num_buffers = buffers == nullptr ? 0 : buffers->size();
  if (num_buffers != expected_buffers) {
    return Status::Corruption(
        fmt::format("Arrow RecordBatch has {} buffers, the schema needs {}", num_buffers, expected_buffers));
  }
  const auto body_size = static_cast<int64_t>(view.parsed.body.size());
  for (size_t i = 0; i < num_buffers; ++i) {
    const fb::Buffer& b = view.buffer(i);
    if (b.offset() < 0 || b.length() < 0 || b.offset() > body_size || b.length() > body_size - b.offset()) {
      return Status::Corruption(fmt::format("Arrow buffer {} [offset {}, length {}] is outside the {}-byte body", i,
                                            b.offset(), b.length(), body_size));
    }
  }
  if (const auto* variadic = view.batch->variadicBufferCounts(); variadic != nullptr && variadic->size() > 0) {
    return Status::Corruption("Arrow RecordBatch has variadic buffers, which no Fluss type uses");
  }
  if (const fb::BodyCompression* c = view.batch->compression(); c != nullptr) {
    if (c->method() != fb::BodyCompressionMethod::BUFFER) {
      return Status::Corruption(fmt::format("unknown Arrow body compression method {}", static_cast<int>(c->method())));
    }
    switch (c->codec()) {
      case fb::CompressionType::LZ4_FRAME: view.codec = CompressionCodec::kLz4Frame; break;
      case fb::CompressionType::ZSTD: view.codec = CompressionCodec::kZstd; break;
      default:
        return Status::Corruption(fmt::format("unknown Arrow compression codec {}", static_cast<int>(c->codec())));
    }
  }
  return view;
}

RecordBatchBuilder::RecordBatchBuilder(const Schema& schema, CompressionOptions options)
    : schema_(schema), options_(options) {
  size_t num_buffers = 0;
  for (const auto& c : schema_.columns()) {
    num_buffers += BufferCountOf(c.type);
    if (c.type.nullable()) ++bitmaps_per_row_;
    switch (LayoutOf(c.type)) {
      case ArrowLayout::kBitmap: ++bitmaps_per_row_; break;
      case ArrowLayout::kFixed: fixed_bytes_per_row_ += ValueWidthOf(c.type); break;
      case ArrowLayout::kVariable: ++variable_columns_; break;
    }
  }
  // The metadata's size depends only on the schema (non-zero int64 fields take their full 8 bytes).
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<fb::FieldNode> nodes(schema_.num_columns(), fb::FieldNode(1, 1));
  std::vector<fb::Buffer> buffers(num_buffers, fb::Buffer(8, 8));
  BuildRecordBatchMetadata(fbb, 1, nodes, buffers, options_.codec, 8);
  // Prefix, metadata padding, then per buffer: padding and (when compressing) the length prefix.
  metadata_bound_ = kMessagePrefixSize + PaddedTo8(fbb.GetSize()) + num_buffers * 7 +
                    (options_.codec == CompressionCodec::kNone ? 0 : num_buffers * kCompressedLengthPrefix);
  Reset();
}

void RecordBatchBuilder::Reset() {
  columns_.clear();
  columns_.reserve(schema_.num_columns());
  for (const auto& c : schema_.columns()) columns_.emplace_back(c.type);
  num_rows_ = 0;
  variable_bytes_ = 0;
}

Status RecordBatchBuilder::Append(const GenericRow& row) {
  if (row.arity() != columns_.size()) {
    return Status::Invalid(
        fmt::format("row of {} fields does not fit a schema of {} columns", row.arity(), columns_.size()));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    FLUSS_RETURN_NOT_OK(columns_[i].CheckAppend(row.field(i), schema_.column(i).name));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Datum& d = row.field(i);
    if (LayoutOf(columns_[i].type) == ArrowLayout::kVariable && !row.IsNullAt(i)) {
      variable_bytes_ += std::get<std::string>(d).size();
    }
    columns_[i].AppendUnchecked(d);
  }
  ++num_rows_;
  return Status::OK();
}

size_t RecordBatchBuilder::EstimatedSizeInBytes() const {
  return metadata_bound_ + fixed_bytes_per_row_ * num_rows_ + bitmaps_per_row_ * BitmapBytes(num_rows_) +
         variable_columns_ * 4 * (num_rows_ + 1) + variable_bytes_;
}

Result<std::vector<uint8_t>> RecordBatchBuilder::Finish() {
  Status options_ok = CheckCompressionOptions(options_);
  if (!options_ok.ok()) {
    Reset();
    return options_ok;
  }
  Result<std::vector<uint8_t>> out = EncodeValidColumns(columns_, num_rows_, options_);
  Reset();
  return out;
}

Result<std::vector<uint8_t>> EncodeRecordBatch(const Schema& schema, std::span<const GenericRow> rows,
                                               CompressionOptions options) {
  RecordBatchBuilder builder(schema, options);
  for (const auto& row : rows) FLUSS_RETURN_NOT_OK(builder.Append(row));
  return builder.Finish();
}

Result<std::vector<uint8_t>> EncodeColumns(const Schema& schema, std::span<const ColumnVector> columns,
                                           CompressionOptions options) {
  FLUSS_RETURN_NOT_OK(CheckCompressionOptions(options));
  if (columns.size() != schema.num_columns()) {
    return Status::Invalid(
        fmt::format("{} column vectors for a schema of {} columns", columns.size(), schema.num_columns()));
  }
  const size_t num_rows = columns.empty() ? 0 : columns[0].length;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = schema.column(i);
    const ColumnVector& c = columns[i];
    if (c.type.WithNullable(true) != column.type.WithNullable(true)) {
      return Status::Invalid(fmt::format("column '{}' is {} but its vector holds {}", column.name,
                                         column.type.ToString(), c.type.ToString()));
    }
    if (c.length != num_rows) {
      return Status::Invalid(
          fmt::format("column '{}' has {} rows, the first column {}", column.name, c.length, num_rows));
    }
    if (!column.type.nullable() && c.null_count > 0) {
      return Status::Invalid(fmt::format("column '{}' is NOT NULL but its vector has {} nulls", column.name,
                                         c.null_count));
    }
    FLUSS_RETURN_NOT_OK(c.Validate(column.name));
  }
  return EncodeValidColumns(columns, num_rows, options);
}

Result<std::vector<ColumnVector>> DecodeColumns(const Schema& schema, std::span<const uint8_t> message) {
  FLUSS_ASSIGN_OR_RETURN(RecordBatchView view, ParseRecordBatch(schema, message));
  BufferDecompressor decompressor(view.codec);
  std::vector<ColumnVector> columns;
  columns.reserve(schema.num_columns());
  for (size_t i = 0; i < schema.num_columns(); ++i) {
    FLUSS_ASSIGN_OR_RETURN(ColumnVector c, DecodeColumn(schema.column(i), view, i, &decompressor));
    columns.push_back(std::move(c));
  }
  return columns;
}

Result<std::vector<GenericRow>> DecodeRecordBatch(const Schema& schema, std::span<const uint8_t> message) {
  FLUSS_ASSIGN_OR_RETURN(std::vector<ColumnVector> columns, DecodeColumns(schema, message));
  return ColumnsToRows(columns);
}

}  // namespace fluss::arrow
