#include "lake/parquet/parquet_stats.h"

#include <fmt/format.h>

#include "lake/parquet/parquet_values_internal.h"

namespace fluss::parquet {
namespace {

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : b < a ? 1 : 0;
}

Result<Datum> DecodeStat(const ValueConverter& conv, const SchemaElement& leaf, const std::string& bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  std::span<const uint8_t> s(p, bytes.size());
  if (*leaf.type == PhysicalType::kByteArray) return conv.FromBytes(s);
  size_t width = *leaf.type == PhysicalType::kBoolean                                       ? 1
                 : *leaf.type == PhysicalType::kInt32 || *leaf.type == PhysicalType::kFloat ? 4
                 : *leaf.type == PhysicalType::kFixedLenByteArray ? static_cast<size_t>(*leaf.type_length)
                                                                  : 8;
  if (bytes.size() != width) {
    return Status::Corruption(fmt::format("parquet statistics of column '{}': {} bytes, expected {}", leaf.name,
                                          bytes.size(), width));
  }
  std::vector<Datum> out;
  FLUSS_RETURN_NOT_OK(conv.DecodePlain(s, 1, &out));
  return std::move(out[0]);
}

}  // namespace

int CompareDatums(const Datum& a, const Datum& b) {
  if (a.index() != b.index()) return Cmp(a.index(), b.index());
  return std::visit(
      [&](const auto& x) -> int {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, std::monostate>) {
          return 0;
        } else if constexpr (std::is_same_v<T, DecimalValue>) {
          return Cmp(x.unscaled, y.unscaled);
        } else if constexpr (std::is_same_v<T, TimestampValue>) {
          int c = Cmp(x.millis, y.millis);
          return c != 0 ? c : Cmp(x.nanos_of_milli, y.nanos_of_milli);
        } else {
          return Cmp(x, y);  // std::string compares as unsigned bytes
        }
      },
      a);
}

Result<std::vector<ColumnFileStats>> FileColumnStats(const FileMetaData& metadata, const Schema& schema) {
  if (metadata.schema.size() != schema.num_columns() + 1) {
    return Status::Invalid("parquet statistics: the schema does not match the file's");
  }
  std::vector<ColumnFileStats> out(schema.num_columns());
  for (size_t c = 0; c < schema.num_columns(); ++c) {
    const Column& column = schema.column(c);
    const SchemaElement& leaf = metadata.schema[c + 1];
    const ValueConverter conv(column, leaf);
    ColumnFileStats& st = out[c];
    st.field_id = column.id;
    int64_t nulls = 0;
    bool nulls_known = true, bounds_known = true;
    for (const RowGroup& group : metadata.row_groups) {
      if (c >= group.columns.size() || !group.columns[c].meta_data) {
        return Status::Corruption("parquet statistics: row group without this column's metadata");
      }
      const ColumnMetaData& m = *group.columns[c].meta_data;
      st.column_size += m.total_compressed_size;
      st.value_count += m.num_values;
      const std::optional<Statistics>& s = m.statistics;
      if (!s || !s->null_count) {
        nulls_known = false;
      } else {
        nulls += *s->null_count;
      }
      const bool all_null = s && s->null_count && *s->null_count == m.num_values;
      if (all_null) continue;
      if (!s || !s->min_value || !s->max_value) {
        bounds_known = false;
        continue;
      }
      FLUSS_ASSIGN_OR_RETURN(Datum lo, DecodeStat(conv, leaf, *s->min_value));
      FLUSS_ASSIGN_OR_RETURN(Datum hi, DecodeStat(conv, leaf, *s->max_value));
      if (!st.min || CompareDatums(lo, *st.min) < 0) st.min = std::move(lo);
      if (!st.max || CompareDatums(hi, *st.max) > 0) st.max = std::move(hi);
    }
    if (nulls_known) st.null_count = nulls;
    if (!bounds_known) {
      st.min.reset();
      st.max.reset();
    }
  }
  return out;
}

}  // namespace fluss::parquet
