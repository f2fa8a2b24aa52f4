#include "format/arrow/stream.h"

#include <fmt/format.h>

#include "common/byte_io.h"
#include "format/arrow/arrow_type.h"
#include "format/arrow/ipc_message_internal.h"
#include "format/arrow/record_batch.h"

namespace fluss::arrow {
namespace {

// True when `data` starts with an end-of-stream marker (the current one or the pre-1.0 zero length).
bool AtEndOfStream(std::span<const uint8_t> data) {
  if (data.size() >= 4 && LoadLE<uint32_t>(data.data()) == 0) return true;
  return data.size() >= kMessagePrefixSize && LoadLE<uint32_t>(data.data()) == kContinuationMarker &&
         LoadLE<int32_t>(data.data() + 4) == 0;
}

}  // namespace

std::vector<uint8_t> EncodeSchemaMessage(const Schema& schema) {
  flatbuffers::FlatBufferBuilder fbb(512);
  std::vector<flatbuffers::Offset<fb::Field>> fields;
  fields.reserve(schema.num_columns());
  for (const auto& c : schema.columns()) fields.push_back(BuildField(fbb, c));
  auto fields_offset = fbb.CreateVector(fields);
  auto schema_offset = fb::CreateSchema(fbb, fb::Endianness::Little, fields_offset);
  auto message = fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::Schema, schema_offset.Union(), 0);
  fbb.Finish(message);
  std::vector<uint8_t> out;
  WriteMessagePrefix(fbb, 0, &out);
  return out;
}

Result<Schema> DecodeSchemaMessage(std::span<const uint8_t> message, size_t* consumed) {
  FLUSS_ASSIGN_OR_RETURN(ParsedMessage parsed, ParseMessage(message));
  const fb::Message* m = parsed.message;
  if (m->header_type() != fb::MessageHeader::Schema || m->header_as_Schema() == nullptr) {
    return Status::Corruption(
        fmt::format("Arrow message is a {}, not a Schema", fb::EnumNameMessageHeader(m->header_type())));
  }
  const fb::Schema* s = m->header_as_Schema();
  if (s->endianness() != fb::Endianness::Little) return Status::NotSupported("big-endian Arrow data");
  std::vector<Column> columns;
  bool all_ids = true;
  if (s->fields() != nullptr) {
    for (flatbuffers::uoffset_t i = 0; i < s->fields()->size(); ++i) {
      const fb::Field* f = s->fields()->Get(i);
      if (f == nullptr) return Status::Corruption(fmt::format("Arrow schema field {} is missing", i));
      FLUSS_ASSIGN_OR_RETURN(Column c, ColumnFromField(*f, i));
      all_ids = all_ids && c.id >= 0;
      columns.push_back(std::move(c));
    }
  }
  if (!all_ids) {
    for (auto& c : columns) c.id = -1;
  }
  FLUSS_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(columns)));
  if (consumed != nullptr) *consumed = parsed.size;
  return schema;
}

Result<DecodedStream> ReadStream(std::span<const uint8_t> stream) {
  DecodedStream out;
  size_t pos = 0;
  FLUSS_ASSIGN_OR_RETURN(out.schema, DecodeSchemaMessage(stream, &pos));
  while (pos < stream.size()) {
    std::span<const uint8_t> rest = stream.subspan(pos);
    if (AtEndOfStream(rest)) break;
    FLUSS_ASSIGN_OR_RETURN(ParsedMessage parsed, ParseMessage(rest));
    const fb::MessageHeader type = parsed.message->header_type();
    if (type == fb::MessageHeader::DictionaryBatch) {
      return Status::NotSupported("Arrow dictionary batches (dictionary-encoded columns)");
    }
    if (type != fb::MessageHeader::RecordBatch) {
      return Status::Corruption(fmt::format("Arrow stream has a {} message at byte {} after its schema",
                                            fb::EnumNameMessageHeader(type), pos));
    }
    FLUSS_ASSIGN_OR_RETURN(std::vector<GenericRow> rows,
                           DecodeRecordBatch(out.schema, rest.subspan(0, parsed.size)));
    out.rows.insert(out.rows.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    pos += parsed.size;
  }
  return out;
}

Result<std::vector<uint8_t>> WriteStream(const Schema& schema, std::span<const GenericRow> rows,
                                         CompressionOptions options) {
  std::vector<uint8_t> out = EncodeSchemaMessage(schema);
  FLUSS_ASSIGN_OR_RETURN(std::vector<uint8_t> batch, EncodeRecordBatch(schema, rows, options));
  out.insert(out.end(), batch.begin(), batch.end());
  out.insert(out.end(), std::begin(kEndOfStream), std::end(kEndOfStream));
  return out;
}

}  // namespace fluss::arrow
