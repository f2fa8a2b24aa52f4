#include "lake/parquet/parquet_metadata.h"

#include <fmt/format.h>

#include "lake/parquet/thrift_compact.h"

namespace fluss::parquet {

using thrift::CompactReader;
using thrift::CompactWriter;
using thrift::CType;

// ---------------------------------------------------------------------------------------------------
// Encoding

namespace {

void EncodeTimeUnit(CompactWriter& w, int16_t field, TimeUnit unit) {
  w.FieldStructBegin(field);
  w.FieldStructBegin(static_cast<int16_t>(unit));  // MILLIS 1 / MICROS 2 / NANOS 3: empty structs
  w.EndStruct();
  w.EndStruct();
}

void EncodeLogicalType(CompactWriter& w, const LogicalType& t) {
  using K = LogicalType::Kind;
  w.FieldStructBegin(10);
  switch (t.kind) {
    case K::kString:
      w.FieldStructBegin(1);
      w.EndStruct();
      break;
    case K::kDecimal:
      w.FieldStructBegin(5);
      w.FieldI32(1, t.scale);
      w.FieldI32(2, t.precision);
      w.EndStruct();
      break;
    case K::kDate:
      w.FieldStructBegin(6);
      w.EndStruct();
      break;
    case K::kTime:
    case K::kTimestamp:
      w.FieldStructBegin(t.kind == K::kTime ? 7 : 8);
      w.FieldBool(1, t.adjusted_to_utc);
      EncodeTimeUnit(w, 2, t.unit);
      w.EndStruct();
      break;
    case K::kInteger:
      w.FieldStructBegin(10);
      w.FieldByte(1, t.bit_width);
      w.FieldBool(2, t.is_signed);
      w.EndStruct();
      break;
    case K::kOther:
      w.FieldStructBegin(t.other_id);
      w.EndStruct();
      break;
  }
  w.EndStruct();
}

void EncodeSchemaElement(CompactWriter& w, const SchemaElement& e) {
  w.BeginStruct();
  if (e.type) w.FieldI32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.FieldI32(2, *e.type_length);
  if (e.repetition) w.FieldI32(3, static_cast<int32_t>(*e.repetition));
  w.FieldBinary(4, e.name);
  if (e.num_children) w.FieldI32(5, *e.num_children);
  if (e.converted_type) w.FieldI32(6, *e.converted_type);
  if (e.scale) w.FieldI32(7, *e.scale);
  if (e.precision) w.FieldI32(8, *e.precision);
  if (e.field_id) w.FieldI32(9, *e.field_id);
  if (e.logical_type) EncodeLogicalType(w, *e.logical_type);
  w.EndStruct();
}

void EncodeStatistics(CompactWriter& w, int16_t field, const Statistics& s) {
  w.FieldStructBegin(field);
  if (s.max) w.FieldBinary(1, *s.max);
  if (s.min) w.FieldBinary(2, *s.min);
  if (s.null_count) w.FieldI64(3, *s.null_count);
  if (s.distinct_count) w.FieldI64(4, *s.distinct_count);
  if (s.max_value) w.FieldBinary(5, *s.max_value);
  if (s.min_value) w.FieldBinary(6, *s.min_value);
  w.EndStruct();
}

void EncodeColumnMetaData(CompactWriter& w, const ColumnMetaData& m) {
  w.FieldStructBegin(3);
  w.FieldI32(1, static_cast<int32_t>(m.type));
  w.FieldListBegin(2, CType::kI32, m.encodings.size());
  for (Encoding e : m.encodings) w.ListI32(static_cast<int32_t>(e));
  w.FieldListBegin(3, CType::kBinary, m.path_in_schema.size());
  for (const auto& p : m.path_in_schema) w.ListBinary(p);
  w.FieldI32(4, static_cast<int32_t>(m.codec));
  w.FieldI64(5, m.num_values);
  w.FieldI64(6, m.total_uncompressed_size);
  w.FieldI64(7, m.total_compressed_size);
  w.FieldI64(9, m.data_page_offset);
  if (m.dictionary_page_offset) w.FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) EncodeStatistics(w, 12, *m.statistics);
  w.EndStruct();
}

void EncodeRowGroup(CompactWriter& w, const RowGroup& g) {
  w.BeginStruct();
  w.FieldListBegin(1, CType::kStruct, g.columns.size());
  for (const auto& c : g.columns) {
    w.BeginStruct();
    if (c.file_path) w.FieldBinary(1, *c.file_path);
    w.FieldI64(2, c.file_offset);
    if (c.meta_data) EncodeColumnMetaData(w, *c.meta_data);
    w.EndStruct();
  }
  w.FieldI64(2, g.total_byte_size);
  w.FieldI64(3, g.num_rows);
  if (g.file_offset) w.FieldI64(5, *g.file_offset);
  if (g.total_compressed_size) w.FieldI64(6, *g.total_compressed_size);
  if (g.ordinal) w.FieldI16(7, *g.ordinal);
  w.EndStruct();
}

}  // namespace

void EncodeFileMetaData(const FileMetaData& m, std::vector<uint8_t>* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, m.version);
  w.FieldListBegin(2, CType::kStruct, m.schema.size());
  for (const auto& e : m.schema) EncodeSchemaElement(w, e);
  w.FieldI64(3, m.num_rows);
  w.FieldListBegin(4, CType::kStruct, m.row_groups.size());
  for (const auto& g : m.row_groups) EncodeRowGroup(w, g);
  if (!m.key_value_metadata.empty()) {
    w.FieldListBegin(5, CType::kStruct, m.key_value_metadata.size());
    for (const auto& kv : m.key_value_metadata) {
      w.BeginStruct();
      w.FieldBinary(1, kv.key);
      if (kv.value) w.FieldBinary(2, *kv.value);
      w.EndStruct();
    }
  }
  if (m.created_by) w.FieldBinary(6, *m.created_by);
  if (m.type_defined_column_orders > 0) {
    w.FieldListBegin(7, CType::kStruct, static_cast<size_t>(m.type_defined_column_orders));
    for (int i = 0; i < m.type_defined_column_orders; ++i) {
      w.BeginStruct();
      w.FieldStructBegin(1);  // TYPE_ORDER: TypeDefinedOrder {}
      w.EndStruct();
      w.EndStruct();
    }
  }
  w.EndStruct();
}

void EncodePageHeader(const PageHeader& h, std::vector<uint8_t>* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, static_cast<int32_t>(h.type));
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page_header) {
    const auto& d = *h.data_page_header;
    w.FieldStructBegin(5);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    w.FieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.FieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    w.EndStruct();
  }
  if (h.dictionary_page_header) {
    const auto& d = *h.dictionary_page_header;
    w.FieldStructBegin(7);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.FieldBool(3, *d.is_sorted);
    w.EndStruct();
  }
  w.EndStruct();
}

// ---------------------------------------------------------------------------------------------------
// Decoding. Each Decode* is called after the caller consumed the field header of a struct value.

namespace {

// Runs `on_field(id, type)` for every field of the struct at the reader's position.
template <typename F>
Status ForEachField(CompactReader& r, F&& on_field) {
  FLUSS_RETURN_NOT_OK(r.BeginStruct());
  int16_t id;
  CType type;
  while (true) {
    FLUSS_ASSIGN_OR_RETURN(bool more, r.NextField(&id, &type));
    if (!more) return Status::OK();
    FLUSS_RETURN_NOT_OK(on_field(id, type));
  }
}

Status ExpectStruct(CType type, std::string_view what) {
  if (type == CType::kStruct) return Status::OK();
  return Status::Corruption(fmt::format("parquet metadata: {} is not a struct", what));
}

// Reads a list of structs, calling `on_elem()` for each.
template <typename F>
Status ForEachStructInList(CompactReader& r, CType type, std::string_view what, F&& on_elem) {
  CType elem;
  uint32_t n;
  FLUSS_RETURN_NOT_OK(r.ReadListHeader(type, &elem, &n));
  if (n > 0) FLUSS_RETURN_NOT_OK(ExpectStruct(elem, what));
  for (uint32_t i = 0; i < n; ++i) FLUSS_RETURN_NOT_OK(on_elem());
  return Status::OK();
}

Status Missing(std::string_view what) {
  return Status::Corruption(fmt::format("parquet metadata: required field {} missing", what));
}

Result<TimeUnit> DecodeTimeUnit(CompactReader& r) {
  std::optional<TimeUnit> unit;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    if (id >= 1 && id <= 3 && t == CType::kStruct) unit = static_cast<TimeUnit>(id);
    return r.Skip(t);
  }));
  if (!unit) return Status::Corruption("parquet metadata: TimeUnit without a known unit");
  return *unit;
}

Result<LogicalType> DecodeLogicalType(CompactReader& r) {
  using K = LogicalType::Kind;
  LogicalType lt;
  bool seen = false;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    if (seen) return r.Skip(t);  // a union has one member; ignore extras
    seen = true;
    FLUSS_RETURN_NOT_OK(ExpectStruct(t, "LogicalType member"));
    switch (id) {
      case 1: lt.kind = K::kString; return r.Skip(t);
      case 6: lt.kind = K::kDate; return r.Skip(t);
      case 5:
        lt.kind = K::kDecimal;
        return ForEachField(r, [&](int16_t fid, CType ft) -> Status {
          if (fid == 1) { FLUSS_ASSIGN_OR_RETURN(lt.scale, r.ReadI32(ft)); return Status::OK(); }
          if (fid == 2) { FLUSS_ASSIGN_OR_RETURN(lt.precision, r.ReadI32(ft)); return Status::OK(); }
          return r.Skip(ft);
        });
      case 7:
      case 8:
        lt.kind = id == 7 ? K::kTime : K::kTimestamp;
        return ForEachField(r, [&](int16_t fid, CType ft) -> Status {
          if (fid == 1) { FLUSS_ASSIGN_OR_RETURN(lt.adjusted_to_utc, r.ReadBool(ft)); return Status::OK(); }
          if (fid == 2) {
            FLUSS_RETURN_NOT_OK(ExpectStruct(ft, "TimeUnit"));
            FLUSS_ASSIGN_OR_RETURN(lt.unit, DecodeTimeUnit(r));
            return Status::OK();
          }
          return r.Skip(ft);
        });
      case 10:
        lt.kind = K::kInteger;
        return ForEachField(r, [&](int16_t fid, CType ft) -> Status {
          if (fid == 1) { FLUSS_ASSIGN_OR_RETURN(lt.bit_width, r.ReadByte(ft)); return Status::OK(); }
          if (fid == 2) { FLUSS_ASSIGN_OR_RETURN(lt.is_signed, r.ReadBool(ft)); return Status::OK(); }
          return r.Skip(ft);
        });
      default:
        lt.kind = K::kOther;
        lt.other_id = id;
        return r.Skip(t);
    }
  }));
  return lt;
}

Result<SchemaElement> DecodeSchemaElement(CompactReader& r) {
  SchemaElement e;
  bool has_name = false;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    switch (id) {
      case 1: { FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(t)); e.type = static_cast<PhysicalType>(v); return Status::OK(); }
      case 2: { FLUSS_ASSIGN_OR_RETURN(e.type_length, r.ReadI32(t)); return Status::OK(); }
      case 3: { FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(t)); e.repetition = static_cast<Repetition>(v); return Status::OK(); }
      case 4: { FLUSS_ASSIGN_OR_RETURN(e.name, r.ReadBinary(t)); has_name = true; return Status::OK(); }
      case 5: { FLUSS_ASSIGN_OR_RETURN(e.num_children, r.ReadI32(t)); return Status::OK(); }
      case 6: { FLUSS_ASSIGN_OR_RETURN(e.converted_type, r.ReadI32(t)); return Status::OK(); }
      case 7: { FLUSS_ASSIGN_OR_RETURN(e.scale, r.ReadI32(t)); return Status::OK(); }
      case 8: { FLUSS_ASSIGN_OR_RETURN(e.precision, r.ReadI32(t)); return Status::OK(); }
      case 9: { FLUSS_ASSIGN_OR_RETURN(e.field_id, r.ReadI32(t)); return Status::OK(); }
      case 10: {
        FLUSS_RETURN_NOT_OK(ExpectStruct(t, "SchemaElement.logicalType"));
        FLUSS_ASSIGN_OR_RETURN(e.logical_type, DecodeLogicalType(r));
        return Status::OK();
      }
      default: return r.Skip(t);
    }
  }));
  if (!has_name) return Missing("SchemaElement.name");
  return e;
}

Result<Statistics> DecodeStatistics(CompactReader& r) {
  Statistics s;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    switch (id) {
      case 1: { FLUSS_ASSIGN_OR_RETURN(s.max, r.ReadBinary(t)); return Status::OK(); }
      case 2: { FLUSS_ASSIGN_OR_RETURN(s.min, r.ReadBinary(t)); return Status::OK(); }
      case 3: { FLUSS_ASSIGN_OR_RETURN(s.null_count, r.ReadI64(t)); return Status::OK(); }
      case 4: { FLUSS_ASSIGN_OR_RETURN(s.distinct_count, r.ReadI64(t)); return Status::OK(); }
      case 5: { FLUSS_ASSIGN_OR_RETURN(s.max_value, r.ReadBinary(t)); return Status::OK(); }
      case 6: { FLUSS_ASSIGN_OR_RETURN(s.min_value, r.ReadBinary(t)); return Status::OK(); }
      default: return r.Skip(t);
    }
  }));
  return s;
}

Result<ColumnMetaData> DecodeColumnMetaData(CompactReader& r) {
  ColumnMetaData m;
  uint32_t seen = 0;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    if (id >= 1 && id <= 31) seen |= 1u << id;
    switch (id) {
      case 1: { FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(t)); m.type = static_cast<PhysicalType>(v); return Status::OK(); }
      case 2: {
        CType elem;
        uint32_t n;
        FLUSS_RETURN_NOT_OK(r.ReadListHeader(t, &elem, &n));
        m.encodings.clear();
        for (uint32_t i = 0; i < n; ++i) {
          FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(elem));
          m.encodings.push_back(static_cast<Encoding>(v));
        }
        return Status::OK();
      }
      case 3: {
        CType elem;
        uint32_t n;
        FLUSS_RETURN_NOT_OK(r.ReadListHeader(t, &elem, &n));
        m.path_in_schema.clear();
        for (uint32_t i = 0; i < n; ++i) {
          FLUSS_ASSIGN_OR_RETURN(std::string p, r.ReadBinary(elem));
          m.path_in_schema.push_back(std::move(p));
        }
        return Status::OK();
      }
      case 4: { FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(t)); m.codec = static_cast<Codec>(v); return Status::OK(); }
      case 5: { FLUSS_ASSIGN_OR_RETURN(m.num_values, r.ReadI64(t)); return Status::OK(); }
      case 6: { FLUSS_ASSIGN_OR_RETURN(m.total_uncompressed_size, r.ReadI64(t)); return Status::OK(); }
      case 7: { FLUSS_ASSIGN_OR_RETURN(m.total_compressed_size, r.ReadI64(t)); return Status::OK(); }
      case 9: { FLUSS_ASSIGN_OR_RETURN(m.data_page_offset, r.ReadI64(t)); return Status::OK(); }
      case 11: { FLUSS_ASSIGN_OR_RETURN(m.dictionary_page_offset, r.ReadI64(t)); return Status::OK(); }
      case 12: {
        FLUSS_RETURN_NOT_OK(ExpectStruct(t, "ColumnMetaData.statistics"));
        FLUSS_ASSIGN_OR_RETURN(m.statistics, DecodeStatistics(r));
        return Status::OK();
      }
      default: return r.Skip(t);
    }
  }));
  for (int id : {1, 2, 3, 4, 5, 6, 7, 9}) {
    if ((seen & (1u << id)) == 0) return Missing(fmt::format("ColumnMetaData field {}", id));
  }
  return m;
}

Result<ColumnChunk> DecodeColumnChunk(CompactReader& r) {
  ColumnChunk c;
  bool has_offset = false;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    switch (id) {
      case 1: { FLUSS_ASSIGN_OR_RETURN(c.file_path, r.ReadBinary(t)); return Status::OK(); }
      case 2: { FLUSS_ASSIGN_OR_RETURN(c.file_offset, r.ReadI64(t)); has_offset = true; return Status::OK(); }
      case 3: {
        FLUSS_RETURN_NOT_OK(ExpectStruct(t, "ColumnChunk.meta_data"));
        FLUSS_ASSIGN_OR_RETURN(c.meta_data, DecodeColumnMetaData(r));
        return Status::OK();
      }
      default: return r.Skip(t);
    }
  }));
  if (!has_offset) return Missing("ColumnChunk.file_offset");
  return c;
}

Result<RowGroup> DecodeRowGroup(CompactReader& r) {
  RowGroup g;
  bool has_cols = false, has_size = false, has_rows = false;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    switch (id) {
      case 1:
        has_cols = true;
        return ForEachStructInList(r, t, "ColumnChunk", [&]() -> Status {
          FLUSS_ASSIGN_OR_RETURN(ColumnChunk c, DecodeColumnChunk(r));
          g.columns.push_back(std::move(c));
          return Status::OK();
        });
      case 2: { FLUSS_ASSIGN_OR_RETURN(g.total_byte_size, r.ReadI64(t)); has_size = true; return Status::OK(); }
      case 3: { FLUSS_ASSIGN_OR_RETURN(g.num_rows, r.ReadI64(t)); has_rows = true; return Status::OK(); }
      case 5: { FLUSS_ASSIGN_OR_RETURN(g.file_offset, r.ReadI64(t)); return Status::OK(); }
      case 6: { FLUSS_ASSIGN_OR_RETURN(g.total_compressed_size, r.ReadI64(t)); return Status::OK(); }
      case 7: { FLUSS_ASSIGN_OR_RETURN(g.ordinal, r.ReadI16(t)); return Status::OK(); }
      default: return r.Skip(t);
    }
  }));
  if (!has_cols || !has_size || !has_rows) return Missing("RowGroup columns/total_byte_size/num_rows");
  return g;
}

}  // namespace

Result<FileMetaData> DecodeFileMetaData(std::span<const uint8_t> bytes) {
  CompactReader r(bytes);
  FileMetaData m;
  m.version = 0;
  bool has_version = false, has_schema = false, has_rows = false, has_groups = false;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    switch (id) {
      case 1: { FLUSS_ASSIGN_OR_RETURN(m.version, r.ReadI32(t)); has_version = true; return Status::OK(); }
      case 2:
        has_schema = true;
        return ForEachStructInList(r, t, "SchemaElement", [&]() -> Status {
          FLUSS_ASSIGN_OR_RETURN(SchemaElement e, DecodeSchemaElement(r));
          m.schema.push_back(std::move(e));
          return Status::OK();
        });
      case 3: { FLUSS_ASSIGN_OR_RETURN(m.num_rows, r.ReadI64(t)); has_rows = true; return Status::OK(); }
      case 4:
        has_groups = true;
        return ForEachStructInList(r, t, "RowGroup", [&]() -> Status {
          FLUSS_ASSIGN_OR_RETURN(RowGroup g, DecodeRowGroup(r));
          m.row_groups.push_back(std::move(g));
          return Status::OK();
        });
      case 5:
        return ForEachStructInList(r, t, "KeyValue", [&]() -> Status {
          KeyValue kv;
          bool has_key = false;
          FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t fid, CType ft) -> Status {
            if (fid == 1) { FLUSS_ASSIGN_OR_RETURN(kv.key, r.ReadBinary(ft)); has_key = true; return Status::OK(); }
            if (fid == 2) { FLUSS_ASSIGN_OR_RETURN(kv.value, r.ReadBinary(ft)); return Status::OK(); }
            return r.Skip(ft);
          }));
          if (!has_key) return Missing("KeyValue.key");
          m.key_value_metadata.push_back(std::move(kv));
          return Status::OK();
        });
      case 6: { FLUSS_ASSIGN_OR_RETURN(m.created_by, r.ReadBinary(t)); return Status::OK(); }
      case 7:
        return ForEachStructInList(r, t, "ColumnOrder", [&]() -> Status {
          return ForEachField(r, [&](int16_t fid, CType ft) -> Status {
            if (fid == 1 && ft == CType::kStruct) ++m.type_defined_column_orders;
            return r.Skip(ft);
          });
        });
      default: return r.Skip(t);
    }
  }));
  if (!has_version || !has_schema || !has_rows || !has_groups) {
    return Missing("FileMetaData version/schema/num_rows/row_groups");
  }
  if (r.position() != bytes.size()) {
    return Status::Corruption(fmt::format("parquet footer: {} trailing bytes after FileMetaData",
                                          bytes.size() - r.position()));
  }
  return m;
}

Result<PageHeader> DecodePageHeader(std::span<const uint8_t> bytes, size_t* header_size) {
  CompactReader r(bytes);
  PageHeader h;
  uint32_t seen = 0;
  FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t id, CType t) -> Status {
    if (id >= 1 && id <= 31) seen |= 1u << id;
    switch (id) {
      case 1: { FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(t)); h.type = static_cast<PageType>(v); return Status::OK(); }
      case 2: { FLUSS_ASSIGN_OR_RETURN(h.uncompressed_page_size, r.ReadI32(t)); return Status::OK(); }
      case 3: { FLUSS_ASSIGN_OR_RETURN(h.compressed_page_size, r.ReadI32(t)); return Status::OK(); }
      case 4: { FLUSS_ASSIGN_OR_RETURN(h.crc, r.ReadI32(t)); return Status::OK(); }
      case 5: {
        FLUSS_RETURN_NOT_OK(ExpectStruct(t, "PageHeader.data_page_header"));
        DataPageHeader d;
        uint32_t dseen = 0;
        FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t fid, CType ft) -> Status {
          if (fid >= 1 && fid <= 4) {
            dseen |= 1u << fid;
            FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(ft));
            if (fid == 1) d.num_values = v;
            if (fid == 2) d.encoding = static_cast<Encoding>(v);
            if (fid == 3) d.definition_level_encoding = static_cast<Encoding>(v);
            if (fid == 4) d.repetition_level_encoding = static_cast<Encoding>(v);
            return Status::OK();
          }
          return r.Skip(ft);
        }));
        if (dseen != 0x1E) return Missing("DataPageHeader fields 1-4");
        h.data_page_header = d;
        return Status::OK();
      }
      case 7: {
        FLUSS_RETURN_NOT_OK(ExpectStruct(t, "PageHeader.dictionary_page_header"));
        DictionaryPageHeader d;
        uint32_t dseen = 0;
        FLUSS_RETURN_NOT_OK(ForEachField(r, [&](int16_t fid, CType ft) -> Status {
          if (fid == 1 || fid == 2) {
            dseen |= 1u << fid;
            FLUSS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32(ft));
            if (fid == 1) d.num_values = v;
            else d.encoding = static_cast<Encoding>(v);
            return Status::OK();
          }
          if (fid == 3) { FLUSS_ASSIGN_OR_RETURN(d.is_sorted, r.ReadBool(ft)); return Status::OK(); }
          return r.Skip(ft);
        }));
        if (dseen != 0x6) return Missing("DictionaryPageHeader fields 1-2");
        h.dictionary_page_header = d;
        return Status::OK();
      }
      default: return r.Skip(t);
    }
  }));
  if ((seen & 0xE) != 0xE) return Missing("PageHeader type/uncompressed_page_size/compressed_page_size");
  *header_size = r.position();
  return h;
}

}  // namespace fluss::parquet
