#include "lake/parquet/parquet_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "common/byte_io.h"
#include "format/arrow/column_vector.h"
#include "lake/parquet/page_codec.h"
#include "lake/parquet/parquet_schema.h"
#include "lake/parquet/rle_hybrid.h"

namespace fluss::parquet {
namespace {

constexpr char kMagic[4] = {'P', 'A', 'R', '1'};
// Statistics of BYTE_ARRAY values longer than this are left out (readers gain little from them).
constexpr size_t kMaxByteArrayStatSize = 4096;

// The non-null values of one column chunk in their Parquet physical form, plus per-row presence.
struct ChunkValues {
  std::vector<uint32_t> def_levels;  // one per row (1 = value present), optional columns only
  std::vector<uint8_t> bools;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  std::vector<float> f32;
  std::vector<double> f64;
  // BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY: value i is bytes_data[ends[i - 1], ends[i]) (one arena).
  std::vector<char> bytes_data;
  std::vector<size_t> bytes_ends;
  std::vector<__int128> decimals;  // FIXED_LEN_BYTE_ARRAY decimals, for statistics
  size_t size = 0;                 // number of non-null values

  std::string_view bytes(size_t i) const {
    const size_t b = i == 0 ? 0 : bytes_ends[i - 1];
    return {bytes_data.data() + b, bytes_ends[i] - b};
  }
  size_t bytes_size(size_t i) const { return bytes_ends[i] - (i == 0 ? 0 : bytes_ends[i - 1]); }
  void AppendBytes(const char* p, size_t n) {
    bytes_data.insert(bytes_data.end(), p, p + n);
    bytes_ends.push_back(bytes_data.size());
  }
  void Clear() {  // keeps the capacity for the next row group
    def_levels.clear();
    bools.clear();
    i32.clear();
    i64.clear();
    f32.clear();
    f64.clear();
    bytes_data.clear();
    bytes_ends.clear();
    decimals.clear();
    size = 0;
  }
};

size_t FixedWidth(PhysicalType t, int32_t type_length) {
  switch (t) {
    case PhysicalType::kBoolean: return 1;
    case PhysicalType::kInt32: case PhysicalType::kFloat: return 4;
    case PhysicalType::kInt64: case PhysicalType::kDouble: return 8;
    case PhysicalType::kFixedLenByteArray: return static_cast<size_t>(type_length);
    default: return 0;  // BYTE_ARRAY: 4 + length
  }
}

Result<int64_t> TimestampMicros(const TimestampValue& ts) {
  int64_t micros;
  if (__builtin_mul_overflow(ts.millis, int64_t{1000}, &micros) ||
      __builtin_add_overflow(micros, int64_t{ts.nanos_of_milli / 1000}, &micros)) {
    return Status::Invalid(fmt::format("timestamp {} ms is out of the int64 microsecond range", ts.millis));
  }
  return micros;
}

std::string DecimalBigEndian(__int128 v, int width) {
  std::string s(static_cast<size_t>(width), '\0');
  auto u = static_cast<unsigned __int128>(v);
  for (int i = width - 1; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(u));
    u >>= 8;
  }
  return s;
}

void AppendDecimal(__int128 v, const SchemaElement& leaf, ChunkValues* out) {
  if (*leaf.type == PhysicalType::kInt32) {
    out->i32.push_back(static_cast<int32_t>(v));
  } else if (*leaf.type == PhysicalType::kInt64) {
    out->i64.push_back(static_cast<int64_t>(v));
  } else {
    out->decimals.push_back(v);
    const std::string be = DecimalBigEndian(v, *leaf.type_length);
    out->AppendBytes(be.data(), be.size());
  }
}

// Appends one value (or null) of a column. REQUIRES: ValidateDatum(d, type) and, for timestamps,
// TimestampMicros(d) succeeded.
void AppendDatum(const Datum& d, const DataType& type, const SchemaElement& leaf, ChunkValues* out) {
  const bool optional = type.nullable();
  if (std::holds_alternative<std::monostate>(d)) {
    out->def_levels.push_back(0);
    return;
  }
  if (optional) out->def_levels.push_back(1);
  ++out->size;
  switch (type.root()) {
    case TypeRoot::kBoolean: out->bools.push_back(std::get<bool>(d) ? 1 : 0); break;
    case TypeRoot::kTinyInt: out->i32.push_back(std::get<int8_t>(d)); break;
    case TypeRoot::kSmallInt: out->i32.push_back(std::get<int16_t>(d)); break;
    case TypeRoot::kInt: case TypeRoot::kDate: out->i32.push_back(std::get<int32_t>(d)); break;
    case TypeRoot::kTime: out->i64.push_back(int64_t{std::get<int32_t>(d)} * 1000); break;
    case TypeRoot::kBigInt: out->i64.push_back(std::get<int64_t>(d)); break;
    case TypeRoot::kFloat: out->f32.push_back(std::get<float>(d)); break;
    case TypeRoot::kDouble: out->f64.push_back(std::get<double>(d)); break;
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz: out->i64.push_back(*TimestampMicros(std::get<TimestampValue>(d))); break;
    case TypeRoot::kDecimal: AppendDecimal(std::get<DecimalValue>(d).unscaled, leaf, out); break;
    case TypeRoot::kChar: case TypeRoot::kString: case TypeRoot::kBinary: case TypeRoot::kBytes: {
      const std::string& s = std::get<std::string>(d);
      out->AppendBytes(s.data(), s.size());
      break;
    }
  }
}

// The dictionary's id of each distinct string: open addressing over (hash, id) slots, the strings
// themselves in the dictionary (no node or key allocations per value).
class StringIds {
 public:
  static constexpr uint32_t kNew = UINT32_MAX;

  // The id of `s`, or kNew.
  uint32_t Find(std::string_view s, const std::vector<std::string_view>& dict) {
    if (slots_.empty()) Rehash(1024);
    last_hash_ = std::hash<std::string_view>{}(s);
    for (size_t i = last_hash_ & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id == kNew) return kNew;
      if (slot.hash == last_hash_ && dict[slot.id] == s) return slot.id;
    }
  }
  // Adds the string Find just looked up (and did not find) as `id`.
  void Insert(uint32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    Place(last_hash_, id);
    ++size_;
  }

 private:
  struct Slot {
    size_t hash = 0;
    uint32_t id = kNew;
  };
  void Place(size_t hash, uint32_t id) {
    size_t i = hash & mask_;
    while (slots_[i].id != kNew) i = (i + 1) & mask_;
    slots_[i] = Slot{hash, id};
  }
  void Rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& slot : old) {
      if (slot.id != kNew) Place(slot.hash, slot.id);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t last_hash_ = 0;
};

// PLAIN encoding of values [begin, end).
void EncodePlain(const ChunkValues& v, PhysicalType type, size_t begin, size_t end, std::vector<uint8_t>* out) {
  ByteWriter w(out);
  switch (type) {
    case PhysicalType::kBoolean: {
      size_t start = out->size();
      out->resize(start + (end - begin + 7) / 8, 0);
      for (size_t i = begin; i < end; ++i) {
        if (v.bools[i]) (*out)[start + (i - begin) / 8] |= static_cast<uint8_t>(1u << ((i - begin) % 8));
      }
      break;
    }
    case PhysicalType::kInt32: for (size_t i = begin; i < end; ++i) w.WriteLE(v.i32[i]); break;
    case PhysicalType::kInt64: for (size_t i = begin; i < end; ++i) w.WriteLE(v.i64[i]); break;
    case PhysicalType::kFloat: for (size_t i = begin; i < end; ++i) w.WriteLE(v.f32[i]); break;
    case PhysicalType::kDouble: for (size_t i = begin; i < end; ++i) w.WriteLE(v.f64[i]); break;
    case PhysicalType::kByteArray:
      for (size_t i = begin; i < end; ++i) {
        const std::string_view s = v.bytes(i);
        w.WriteLE(static_cast<uint32_t>(s.size()));
        w.WriteBytes(s.data(), s.size());
      }
      break;
    case PhysicalType::kFixedLenByteArray: {
      const size_t b = begin == 0 ? 0 : v.bytes_ends[begin - 1];
      if (end > begin) w.WriteBytes(v.bytes_data.data() + b, v.bytes_ends[end - 1] - b);
      break;
    }
    case PhysicalType::kInt96:
      break;
  }
}

template <typename T>
std::string LE(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

template <typename T>
void MinMaxFloat(const std::vector<T>& values, Statistics* s) {
  bool any = false;
  T lo = 0, hi = 0;
  for (T x : values) {
    if (std::isnan(x)) continue;
    if (!any) { lo = hi = x; any = true; continue; }
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (!any) return;  // all NaN: no min/max (the spec's rule)
  if (lo == 0) lo = -T(0);  // a zero minimum is written as -0.0, a zero maximum as +0.0
  if (hi == 0) hi = T(0);
  s->min_value = LE(lo);
  s->max_value = LE(hi);
}

// `distinct`: for a dictionary-encoded BYTE_ARRAY chunk, its dictionary (every distinct value once:
// the same bounds as over all values, found with fewer comparisons); empty otherwise.
Statistics ComputeStatistics(const ChunkValues& v, PhysicalType type, int64_t null_count,
                             std::span<const std::string_view> distinct) {
  Statistics s;
  s.null_count = null_count;
  if (v.size > 0) {
    switch (type) {
      case PhysicalType::kBoolean: {
        auto [lo, hi] = std::minmax_element(v.bools.begin(), v.bools.end());
        s.min_value = std::string(1, static_cast<char>(*lo));
        s.max_value = std::string(1, static_cast<char>(*hi));
        break;
      }
      case PhysicalType::kInt32: {
        auto [lo, hi] = std::minmax_element(v.i32.begin(), v.i32.end());
        s.min_value = LE(*lo);
        s.max_value = LE(*hi);
        break;
      }
      case PhysicalType::kInt64: {
        auto [lo, hi] = std::minmax_element(v.i64.begin(), v.i64.end());
        s.min_value = LE(*lo);
        s.max_value = LE(*hi);
        break;
      }
      case PhysicalType::kFloat: MinMaxFloat(v.f32, &s); break;
      case PhysicalType::kDouble: MinMaxFloat(v.f64, &s); break;
      case PhysicalType::kByteArray: {
        std::string_view lo = v.bytes(0), hi = lo;  // unsigned bytewise
        if (!distinct.empty()) {
          for (const std::string_view x : distinct) {
            if (x < lo) lo = x;
            if (hi < x) hi = x;
          }
        } else {
          for (size_t i = 1; i < v.size; ++i) {
            const std::string_view x = v.bytes(i);
            if (x < lo) lo = x;
            if (hi < x) hi = x;
          }
        }
        if (lo.size() <= kMaxByteArrayStatSize && hi.size() <= kMaxByteArrayStatSize) {
          s.min_value = std::string(lo);
          s.max_value = std::string(hi);
        }
        break;
      }
      case PhysicalType::kFixedLenByteArray: {  // decimals: signed numeric order
        auto [lo, hi] = std::minmax_element(v.decimals.begin(), v.decimals.end());
        s.min_value = std::string(v.bytes(static_cast<size_t>(lo - v.decimals.begin())));
        s.max_value = std::string(v.bytes(static_cast<size_t>(hi - v.decimals.begin())));
        break;
      }
      case PhysicalType::kInt96:
        break;
    }
  }
  // The deprecated min/max carry the same values where their (signed) order agrees with the type's.
  if (type != PhysicalType::kByteArray && type != PhysicalType::kFixedLenByteArray) {
    s.min = s.min_value;
    s.max = s.max_value;
  }
  return s;
}

}  // namespace

struct ParquetWriter::ColumnBuffer : ChunkValues {};

ParquetWriter::ParquetWriter(Schema schema, ParquetWriterOptions options, std::vector<SchemaElement> elements)
    : schema_(std::move(schema)), options_(std::move(options)), elements_(std::move(elements)) {
  metadata_.version = 1;
  metadata_.schema = elements_;
  metadata_.key_value_metadata = options_.key_value_metadata;
  metadata_.created_by = options_.created_by;
  metadata_.type_defined_column_orders = static_cast<int32_t>(schema_.num_columns());
  nan_counts_.assign(schema_.num_columns(), 0);
  buffers_.resize(schema_.num_columns());
}

ParquetWriter::~ParquetWriter() = default;

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Make(Schema schema, ParquetWriterOptions options) {
  if (schema.num_columns() == 0) return Status::Invalid("parquet writer: the schema has no columns");
  if (options.compression != Codec::kUncompressed && options.compression != Codec::kSnappy &&
      options.compression != Codec::kZstd) {
    return Status::NotSupported("parquet writer: compression must be UNCOMPRESSED, SNAPPY or ZSTD");
  }
  if (options.row_group_max_rows <= 0 || options.row_group_max_bytes <= 0 || options.page_max_bytes <= 0) {
    return Status::Invalid("parquet writer: row group and page sizes must be positive");
  }
  FLUSS_ASSIGN_OR_RETURN(std::vector<SchemaElement> elements, ToParquetSchema(schema));
  std::unique_ptr<ParquetWriter> w(new ParquetWriter(std::move(schema), std::move(options), std::move(elements)));
  FLUSS_RETURN_NOT_OK(w->Emit({reinterpret_cast<const uint8_t*>(kMagic), 4}));
  return w;
}

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(const std::string& path, Schema schema,
                                                           ParquetWriterOptions options, FileSystem& fs) {
  FLUSS_ASSIGN_OR_RETURN(auto w, Make(std::move(schema), std::move(options)));
  FLUSS_ASSIGN_OR_RETURN(w->file_, fs.NewWritableFile(path));
  return w;
}

Status ParquetWriter::Emit(std::span<const uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  offset_ += static_cast<int64_t>(bytes.size());
  return Status::OK();
}

Status ParquetWriter::Write(const GenericRow& row) {
  if (finished_) return Status::Invalid("parquet writer: Write after Finish");
  if (row.arity() != schema_.num_columns()) {
    return Status::Invalid(fmt::format("parquet writer: row has {} fields, schema has {} columns", row.arity(),
                                       schema_.num_columns()));
  }
  int64_t bytes = 0;
  for (size_t i = 0; i < row.arity(); ++i) {
    const Column& c = schema_.column(i);
    // Text goes to the lake as the log holds it (writers check it before it is appended).
    FLUSS_RETURN_NOT_OK(ValidateDatum(row.field(i), c.type, c.name, TextCheck::kNone));
    if (row.IsNullAt(i)) continue;
    if (const auto* ts = std::get_if<TimestampValue>(&row.field(i))) {
      FLUSS_RETURN_NOT_OK(TimestampMicros(*ts).status());
    }
    size_t w = FixedWidth(*elements_[i + 1].type, elements_[i + 1].type_length.value_or(0));
    if (w == 0 && row.GetString(i).size() > 0x7FFFFFFFu) {
      return Status::Invalid("parquet BYTE_ARRAY value longer than 2 GiB");
    }
    bytes += w != 0 ? static_cast<int64_t>(w) : 4 + static_cast<int64_t>(row.GetString(i).size());
  }
  // Appended and counted once the whole row is accepted.
  for (size_t i = 0; i < row.arity(); ++i) {
    AppendDatum(row.field(i), schema_.column(i).type, elements_[i + 1], &buffers_[i]);
    if (const auto* f = std::get_if<float>(&row.field(i)); f && std::isnan(*f)) ++nan_counts_[i];
    if (const auto* d = std::get_if<double>(&row.field(i)); d && std::isnan(*d)) ++nan_counts_[i];
  }
  ++pending_rows_;
  pending_bytes_ += bytes;
  if (pending_rows_ >= options_.row_group_max_rows || pending_bytes_ >= options_.row_group_max_bytes) {
    return FlushRowGroup();
  }
  return Status::OK();
}

Status ParquetWriter::Write(std::span<const GenericRow> rows) {
  for (const GenericRow& r : rows) FLUSS_RETURN_NOT_OK(Write(r));
  return Status::OK();
}

Status ParquetWriter::WriteColumns(std::span<const arrow::ColumnVector* const> columns, size_t begin, size_t end) {
  if (finished_) return Status::Invalid("parquet writer: Write after Finish");
  if (columns.size() != schema_.num_columns()) {
    return Status::Invalid(fmt::format("parquet writer: {} columns given, schema has {} columns", columns.size(),
                                       schema_.num_columns()));
  }
  if (begin > end) return Status::Invalid("parquet writer: row range begins after its end");
  const size_t n = end - begin;
  // Checks first (nothing is appended unless every column passes), and the plain-encoded bytes per row.
  std::vector<int64_t> row_bytes(n, 0);
  for (size_t c = 0; c < columns.size(); ++c) {
    const Column& col = schema_.column(c);
    const arrow::ColumnVector& v = *columns[c];
    if (v.type.WithNullable(true) != col.type.WithNullable(true)) {
      return Status::Invalid(fmt::format("parquet writer: column '{}' is {}, the vector given is {}", col.name,
                                         col.type.ToString(), v.type.ToString()));
    }
    if (end > v.length) {
      return Status::Invalid(fmt::format("parquet writer: rows up to {} asked of column '{}' of {} rows", end, col.name,
                                         v.length));
    }
    FLUSS_RETURN_NOT_OK(v.Validate(col.name));
    const bool nulls = v.null_count > 0;
    if (nulls && !col.type.nullable()) {
      for (size_t r = begin; r < end; ++r) {
        if (v.IsNull(r)) {
          return Status::Invalid(fmt::format("column '{}' is NOT NULL but row {} is null", col.name, r));
        }
      }
    }
    const size_t w = FixedWidth(*elements_[c + 1].type, elements_[c + 1].type_length.value_or(0));
    if (w != 0) {
      for (size_t r = 0; r < n; ++r) row_bytes[r] += (nulls && v.IsNull(begin + r)) ? 0 : static_cast<int64_t>(w);
    } else {  // CHAR/STRING/BYTES: int32 offsets; BINARY(n) is fixed in Arrow but BYTE_ARRAY here
      const bool variable = v.type.root() != TypeRoot::kBinary;
      for (size_t r = 0; r < n; ++r) {
        if (nulls && v.IsNull(begin + r)) continue;
        int64_t len = v.type.length();
        if (variable) {
          int32_t o0, o1;
          std::memcpy(&o0, v.offsets.data() + (begin + r) * 4, 4);
          std::memcpy(&o1, v.offsets.data() + (begin + r + 1) * 4, 4);
          len = o1 - o0;
        }
        row_bytes[r] += 4 + len;
      }
    }
    if (col.type.root() == TypeRoot::kTimestamp || col.type.root() == TypeRoot::kTimestampLtz) {
      const bool millis = col.type.precision() >= 1 && col.type.precision() <= 3;
      for (size_t r = begin; r < end; ++r) {
        if (nulls && v.IsNull(r)) continue;
        if (millis) {
          int64_t ms, us;
          std::memcpy(&ms, v.values.data() + r * 8, 8);
          if (!__builtin_mul_overflow(ms, int64_t{1000}, &us)) continue;
        }
        FLUSS_RETURN_NOT_OK(TimestampMicros(std::get<TimestampValue>(v.Get(r))).status());
      }
    }
  }
  // Row groups close at the same rows as with Write of each row.
  size_t seg = 0;
  while (seg < n) {
    size_t cut = seg;
    bool full = false;
    while (cut < n && !full) {
      ++pending_rows_;
      pending_bytes_ += row_bytes[cut++];
      full = pending_rows_ >= options_.row_group_max_rows || pending_bytes_ >= options_.row_group_max_bytes;
    }
    for (size_t c = 0; c < columns.size(); ++c) {
      FLUSS_RETURN_NOT_OK(AppendColumnRange(c, *columns[c], begin + seg, begin + cut));
    }
    if (full) FLUSS_RETURN_NOT_OK(FlushRowGroup());
    seg = cut;
  }
  return Status::OK();
}

Status ParquetWriter::AppendColumnRange(size_t col, const arrow::ColumnVector& v, size_t begin, size_t end) {
  const DataType& type = schema_.column(col).type;
  ChunkValues& out = buffers_[col];
  const bool optional = type.nullable();
  const bool nulls = v.null_count > 0;
  const uint8_t* values = v.values.data();
  // Presence first; then the non-null values by type.
  size_t present = end - begin;
  if (optional) {
    if (nulls) {
      present = 0;
      for (size_t r = begin; r < end; ++r) {
        const uint32_t p = v.IsNull(r) ? 0 : 1;
        out.def_levels.push_back(p);
        present += p;
      }
    } else {
      out.def_levels.insert(out.def_levels.end(), end - begin, 1);
    }
  }
  out.size += present;
  auto each = [&](auto&& f) {
    for (size_t r = begin; r < end; ++r) {
      if (!nulls || !v.IsNull(r)) f(r);
    }
  };
  auto load = [&]<typename T>(size_t r) {
    T x;
    std::memcpy(&x, values + r * sizeof(T), sizeof(T));
    return x;
  };
  switch (type.root()) {
    case TypeRoot::kBoolean:
      each([&](size_t r) { out.bools.push_back((values[r >> 3] >> (r & 7)) & 1); });
      return Status::OK();
    case TypeRoot::kTinyInt:
      each([&](size_t r) { out.i32.push_back(load.template operator()<int8_t>(r)); });
      return Status::OK();
    case TypeRoot::kSmallInt:
      each([&](size_t r) { out.i32.push_back(load.template operator()<int16_t>(r)); });
      return Status::OK();
    case TypeRoot::kInt:
    case TypeRoot::kDate:
      each([&](size_t r) { out.i32.push_back(load.template operator()<int32_t>(r)); });
      return Status::OK();
    case TypeRoot::kBigInt:
      each([&](size_t r) { out.i64.push_back(load.template operator()<int64_t>(r)); });
      return Status::OK();
    case TypeRoot::kFloat:
      each([&](size_t r) {
        const float x = load.template operator()<float>(r);
        if (std::isnan(x)) ++nan_counts_[col];
        out.f32.push_back(x);
      });
      return Status::OK();
    case TypeRoot::kDouble:
      each([&](size_t r) {
        const double x = load.template operator()<double>(r);
        if (std::isnan(x)) ++nan_counts_[col];
        out.f64.push_back(x);
      });
      return Status::OK();
    case TypeRoot::kTimestamp:
    case TypeRoot::kTimestampLtz:
      if (type.precision() >= 1 && type.precision() <= 3) {  // Arrow milliseconds (range checked before)
        each([&](size_t r) { out.i64.push_back(load.template operator()<int64_t>(r) * 1000); });
        return Status::OK();
      }
      break;
    case TypeRoot::kChar:
    case TypeRoot::kString:
    case TypeRoot::kBytes:
      each([&](size_t r) {
        int32_t o0, o1;
        std::memcpy(&o0, v.offsets.data() + r * 4, 4);
        std::memcpy(&o1, v.offsets.data() + (r + 1) * 4, 4);
        out.AppendBytes(reinterpret_cast<const char*>(values) + o0, static_cast<size_t>(o1 - o0));
      });
      return Status::OK();
    default:
      break;
  }
  // DECIMAL, TIME, BINARY(n) and other timestamp precisions: through their row-form value.
  const SchemaElement& leaf = elements_[col + 1];
  each([&](size_t r) {
    const Datum d = v.Get(r);
    switch (type.root()) {
      case TypeRoot::kTime: out.i64.push_back(int64_t{std::get<int32_t>(d)} * 1000); break;
      case TypeRoot::kTimestamp:
      case TypeRoot::kTimestampLtz: out.i64.push_back(*TimestampMicros(std::get<TimestampValue>(d))); break;
      case TypeRoot::kDecimal: AppendDecimal(std::get<DecimalValue>(d).unscaled, leaf, &out); break;
      default: {
        const std::string& s = std::get<std::string>(d);
        out.AppendBytes(s.data(), s.size());
        break;
      }
    }
  });
  return Status::OK();
}

Status ParquetWriter::WriteColumnChunk(size_t col, ColumnChunk* chunk) {
  const Column& column = schema_.column(col);
  const SchemaElement& leaf = elements_[col + 1];
  const PhysicalType type = *leaf.type;
  const bool optional = column.type.nullable();
  const ChunkValues& v = buffers_[col];
  const size_t num_rows = static_cast<size_t>(pending_rows_);
  const int64_t null_count = static_cast<int64_t>(num_rows - v.size);

  ColumnMetaData meta;
  meta.type = type;
  meta.path_in_schema = {column.name};
  meta.codec = options_.compression;
  meta.num_values = static_cast<int64_t>(num_rows);

  std::vector<uint8_t> body, compressed, header;
  auto write_page = [&](PageHeader h) -> Status {
    compressed.clear();
    FLUSS_RETURN_NOT_OK(CompressPage(options_.compression, options_.zstd_level, body, &compressed));
    if (body.size() > 0x7FFFFFFFu || compressed.size() > 0x7FFFFFFFu) {
      return Status::Invalid("parquet writer: page larger than 2 GiB");
    }
    h.uncompressed_page_size = static_cast<int32_t>(body.size());
    h.compressed_page_size = static_cast<int32_t>(compressed.size());
    header.clear();
    EncodePageHeader(h, &header);
    FLUSS_RETURN_NOT_OK(Emit(header));
    FLUSS_RETURN_NOT_OK(Emit(compressed));
    meta.total_uncompressed_size += static_cast<int64_t>(header.size() + body.size());
    meta.total_compressed_size += static_cast<int64_t>(header.size() + compressed.size());
    return Status::OK();
  };

  // Dictionary for byte arrays when it pays: dictionary page + indices smaller than PLAIN.
  std::vector<uint32_t> indices;
  std::vector<std::string_view> dict;
  if (options_.dictionary && type == PhysicalType::kByteArray && v.size > 0) {
    StringIds ids;
    int64_t dict_bytes = 0, plain_bytes = 0;
    indices.reserve(v.size);
    for (size_t i = 0; i < v.size; ++i) {
      const std::string_view s = v.bytes(i);
      plain_bytes += 4 + static_cast<int64_t>(s.size());
      const uint32_t id = ids.Find(s, dict);
      if (id == StringIds::kNew) {
        ids.Insert(static_cast<uint32_t>(dict.size()));
        dict.push_back(s);
        dict_bytes += 4 + static_cast<int64_t>(s.size());
        if (dict_bytes > options_.dictionary_max_bytes) break;
        indices.push_back(static_cast<uint32_t>(dict.size() - 1));
      } else {
        indices.push_back(id);
      }
    }
    const int width = std::max(1, BitWidthFor(static_cast<uint32_t>(dict.size() - 1)));
    const int64_t index_bytes = static_cast<int64_t>(v.size) * width / 8 + 1;
    if (dict_bytes > options_.dictionary_max_bytes || dict_bytes + index_bytes >= plain_bytes) {
      dict.clear();
      indices.clear();
    }
  }
  const bool use_dict = !dict.empty();
  meta.statistics = ComputeStatistics(v, type, null_count, dict);
  if (use_dict) {
    meta.dictionary_page_offset = offset_;
    body.clear();
    ByteWriter w(&body);
    for (std::string_view s : dict) {
      w.WriteLE(static_cast<uint32_t>(s.size()));
      w.WriteBytes(s.data(), s.size());
    }
    PageHeader h;
    h.type = PageType::kDictionaryPage;
    h.dictionary_page_header = DictionaryPageHeader{static_cast<int32_t>(dict.size()), Encoding::kPlain, false};
    FLUSS_RETURN_NOT_OK(write_page(h));
  }
  meta.data_page_offset = offset_;
  const int dict_width = use_dict ? std::max(1, BitWidthFor(static_cast<uint32_t>(dict.size() - 1))) : 0;
  const size_t fixed = FixedWidth(type, leaf.type_length.value_or(0));

  // Data pages: rows [row, row_end) holding values [value, value_end).
  size_t row = 0, value = 0;
  do {
    size_t row_end = row, value_end = value;
    int64_t page_bits = 0;  // of values only; a page holds at least one row
    const int64_t max_bits = options_.page_max_bytes * 8;
    while (row_end < num_rows && (page_bits < max_bits || row_end == row)) {
      if (!optional || v.def_levels[row_end] == 1) {
        page_bits += use_dict ? dict_width
                              : 8 * (fixed != 0 ? static_cast<int64_t>(fixed)
                                                : 4 + static_cast<int64_t>(v.bytes_size(value_end)));
        ++value_end;
      }
      ++row_end;
    }
    body.clear();
    if (optional) {
      std::vector<uint8_t> levels;
      EncodeRleHybrid(std::span(v.def_levels).subspan(row, row_end - row), 1, &levels);
      ByteWriter(&body).WriteLE(static_cast<uint32_t>(levels.size()));
      body.insert(body.end(), levels.begin(), levels.end());
    }
    if (use_dict) {
      body.push_back(static_cast<uint8_t>(dict_width));
      EncodeRleHybrid(std::span(indices).subspan(value, value_end - value), dict_width, &body);
    } else {
      EncodePlain(v, type, value, value_end, &body);
    }
    PageHeader h;
    h.type = PageType::kDataPage;
    h.data_page_header = DataPageHeader{static_cast<int32_t>(row_end - row),
                                        use_dict ? Encoding::kRleDictionary : Encoding::kPlain, Encoding::kRle,
                                        Encoding::kRle};
    FLUSS_RETURN_NOT_OK(write_page(h));
    row = row_end;
    value = value_end;
  } while (row < num_rows);

  meta.encodings = use_dict ? std::vector<Encoding>{Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary}
                            : std::vector<Encoding>{Encoding::kPlain, Encoding::kRle};
  chunk->file_offset = 0;  // deprecated; the spec asks writers for 0 (no ColumnMetaData outside the footer)
  chunk->meta_data = std::move(meta);
  return Status::OK();
}

Status ParquetWriter::FlushRowGroup() {
  if (pending_rows_ == 0) return Status::OK();
  RowGroup group;
  group.num_rows = pending_rows_;
  group.file_offset = offset_;
  group.ordinal = static_cast<int16_t>(std::min<size_t>(metadata_.row_groups.size(), INT16_MAX));
  int64_t compressed = 0;
  for (size_t c = 0; c < schema_.num_columns(); ++c) {
    ColumnChunk chunk;
    FLUSS_RETURN_NOT_OK(WriteColumnChunk(c, &chunk));
    group.total_byte_size += chunk.meta_data->total_uncompressed_size;
    compressed += chunk.meta_data->total_compressed_size;
    group.columns.push_back(std::move(chunk));
  }
  group.total_compressed_size = compressed;
  metadata_.num_rows += group.num_rows;
  metadata_.row_groups.push_back(std::move(group));
  for (ColumnBuffer& b : buffers_) b.Clear();
  pending_rows_ = 0;
  pending_bytes_ = 0;
  if (file_) {
    if (!out_.empty()) FLUSS_RETURN_NOT_OK(file_->Append(out_));
    out_.clear();
  }
  return Status::OK();
}

Result<std::vector<uint8_t>> ParquetWriter::Finish() {
  if (finished_) return Status::Invalid("parquet writer: Finish called twice");
  FLUSS_RETURN_NOT_OK(FlushRowGroup());
  finished_ = true;
  std::vector<uint8_t> footer;
  EncodeFileMetaData(metadata_, &footer);
  FLUSS_RETURN_NOT_OK(Emit(footer));
  std::vector<uint8_t> tail;
  ByteWriter(&tail).WriteLE(static_cast<uint32_t>(footer.size()));
  tail.insert(tail.end(), kMagic, kMagic + 4);
  FLUSS_RETURN_NOT_OK(Emit(tail));
  if (file_) {
    // Durable before anyone can name it (a lake snapshot commit follows). The caller syncs the
    // directory that holds the new name.
    FLUSS_RETURN_NOT_OK(file_->Append(out_));
    FLUSS_RETURN_NOT_OK(file_->Sync());
    FLUSS_RETURN_NOT_OK(file_->Close());
    file_.reset();
    out_.clear();
    return std::vector<uint8_t>{};
  }
  return std::move(out_);
}

Result<std::vector<uint8_t>> WriteParquet(const Schema& schema, std::span<const GenericRow> rows,
                                          ParquetWriterOptions options) {
  FLUSS_ASSIGN_OR_RETURN(auto w, ParquetWriter::Make(schema, std::move(options)));
  FLUSS_RETURN_NOT_OK(w->Write(rows));
  return w->Finish();
}

}  // namespace fluss::parquet
