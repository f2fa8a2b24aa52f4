#include "client/kv_encoding.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/value_encoding.h"

namespace fluss {

namespace {

Status NoPrimaryKey(const TableInfo& info, std::string_view what) {
  return Status(ErrorCode::kNonPrimaryKeyTable,
                fmt::format("table '{}' has no primary key: {} are for primary-key tables", info.path.ToString(), what));
}

// The columns a stored key encodes: the primary key, minus the partition keys in a partitioned
// table (upstream's physical primary key: a partition's KV state holds one partition).
std::vector<std::string> PhysicalPrimaryKey(const TableInfo& info) {
  const auto& partition_keys = info.descriptor.partition_keys();
  std::vector<std::string> out;
  for (const auto& k : info.schema().primary_key()) {
    if (std::find(partition_keys.begin(), partition_keys.end(), k) == partition_keys.end()) out.push_back(k);
  }
  return out;
}

// The bucket-key columns of a primary-key table (the primary key when none are set).
std::vector<std::string> BucketKeyNames(const TableInfo& info) {
  auto keys = info.descriptor.bucket_keys();
  if (keys.empty()) keys = info.schema().primary_key();
  return keys;
}

}  // namespace

// ---- KvWriteEncoder -----------------------------------------------------------------------------

Result<KvWriteEncoder> KvWriteEncoder::Make(const TableInfo& info, const std::vector<std::string>& target_columns) {
  const Schema& schema = info.schema();
  if (!schema.has_primary_key()) return NoPrimaryKey(info, "upserts and deletes");
  KvWriteEncoder e;
  e.table_name_ = info.path.ToString();
  e.schema_ = schema;
  e.num_buckets_ = info.num_buckets;
  e.key_indexes_ = schema.primary_key_indexes();
  for (const auto& name : PhysicalPrimaryKey(info)) e.encoded_key_indexes_.push_back(*schema.IndexOf(name));
  for (const auto& name : BucketKeyNames(info)) {
    auto idx = schema.IndexOf(name);
    if (!idx) return Status::Invalid(fmt::format("table '{}': bucket key '{}' is not a column", e.table_name_, name));
    e.bucket_key_indexes_.push_back(*idx);
  }
  e.bucket_key_is_primary_key_ = e.bucket_key_indexes_ == e.encoded_key_indexes_;
  e.written_.assign(schema.num_columns(), target_columns.empty());
  for (const auto& name : target_columns) {
    auto idx = schema.IndexOf(name);
    if (!idx) {
      return Status(ErrorCode::kInvalidTargetColumn,
                    fmt::format("partial update of '{}': no column '{}' (columns: {})", e.table_name_, name,
                                fmt::join(schema.column_names(), ", ")));
    }
    if (e.written_[*idx]) {
      return Status(ErrorCode::kInvalidTargetColumn,
                    fmt::format("partial update of '{}': column '{}' is named twice", e.table_name_, name));
    }
    e.written_[*idx] = true;
    e.target_columns_.push_back(static_cast<int32_t>(*idx));
  }
  if (!target_columns.empty()) {
    for (size_t k : e.key_indexes_) {
      if (!e.written_[k]) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("partial update of '{}' must write every primary-key column ({}); '{}' is missing",
                                  e.table_name_, fmt::join(schema.primary_key(), ", "), schema.column(k).name));
      }
    }
    // A new key gets NULL in the columns left out, so they must take NULL (Fluss's rule too).
    for (size_t i = 0; i < schema.num_columns(); ++i) {
      if (!e.written_[i] && !schema.column(i).type.nullable()) {
        return Status(ErrorCode::kInvalidTargetColumn,
                      fmt::format("partial update of '{}' leaves out column '{}', which is NOT NULL: a partial "
                                  "update may leave out nullable columns only",
                                  e.table_name_, schema.column(i).name));
      }
    }
    std::sort(e.target_columns_.begin(), e.target_columns_.end());
  }
  return e;
}

Status KvWriteEncoder::CheckArity(const GenericRow& row) const {
  if (row.arity() != schema_.num_columns()) {
    return Status::Invalid(fmt::format("row has {} fields; table '{}' has {} columns ({})", row.arity(), table_name_,
                                       schema_.num_columns(), fmt::join(schema_.column_names(), ", ")));
  }
  return Status::OK();
}

Status KvWriteEncoder::CheckKey(const GenericRow& row) const {
  for (size_t k : key_indexes_) {
    const Column& c = schema_.column(k);
    if (row.IsNullAt(k)) {
      return Status::Invalid(fmt::format("primary-key column '{}' of '{}' is NULL", c.name, table_name_));
    }
    FLUSS_RETURN_NOT_OK(ValidateDatum(row.field(k), c.type, c.name));
  }
  return Status::OK();
}

Result<int32_t> KvWriteEncoder::BucketOf(const GenericRow& row, const std::vector<uint8_t>& key) const {
  if (bucket_key_is_primary_key_) return BucketForKey(key, num_buckets_);
  FLUSS_ASSIGN_OR_RETURN(auto bucket_key, EncodeCompactedKey(schema_, bucket_key_indexes_, row));
  return BucketForKey(bucket_key, num_buckets_);
}

Result<EncodedKvWrite> KvWriteEncoder::EncodeUpsert(const GenericRow& row) const {
  FLUSS_RETURN_NOT_OK(CheckArity(row));
  FLUSS_RETURN_NOT_OK(CheckKey(row));
  for (size_t i = 0; i < row.arity(); ++i) {
    if (written_[i]) FLUSS_RETURN_NOT_OK(ValidateDatum(row.field(i), schema_.column(i).type, schema_.column(i).name));
  }
  EncodedKvWrite w;
  FLUSS_ASSIGN_OR_RETURN(w.key, EncodeCompactedKey(schema_, encoded_key_indexes_, row));
  FLUSS_ASSIGN_OR_RETURN(w.bucket, BucketOf(row, w.key));
  if (target_columns_.empty()) {
    FLUSS_ASSIGN_OR_RETURN(w.row, EncodeCompactedRow(schema_, row));
  } else {
    GenericRow sent = row;
    for (size_t i = 0; i < sent.arity(); ++i) {
      if (!written_[i]) sent.SetNull(i);
    }
    FLUSS_ASSIGN_OR_RETURN(w.row, EncodeCompactedRow(schema_, sent));
  }
  return w;
}

Result<EncodedKvWrite> KvWriteEncoder::EncodeDelete(const GenericRow& row) const {
  FLUSS_RETURN_NOT_OK(CheckArity(row));
  FLUSS_RETURN_NOT_OK(CheckKey(row));
  EncodedKvWrite w;
  FLUSS_ASSIGN_OR_RETURN(w.key, EncodeCompactedKey(schema_, encoded_key_indexes_, row));
  FLUSS_ASSIGN_OR_RETURN(w.bucket, BucketOf(row, w.key));
  return w;
}

// ---- LookupKeyEncoder ---------------------------------------------------------------------------

Result<LookupKeyEncoder> LookupKeyEncoder::ForPrimaryKey(const TableInfo& info) {
  const Schema& schema = info.schema();
  if (!schema.has_primary_key()) return NoPrimaryKey(info, "lookups");
  LookupKeyEncoder e;
  e.table_name_ = info.path.ToString();
  e.num_buckets_ = info.num_buckets;
  e.names_ = schema.primary_key();
  for (size_t k : schema.primary_key_indexes()) e.types_.push_back(schema.column(k).type);
  for (const auto& name : PhysicalPrimaryKey(info)) {
    const size_t p = static_cast<size_t>(std::find(e.names_.begin(), e.names_.end(), name) - e.names_.begin());
    e.key_positions_.push_back(p);
    e.key_types_.push_back(e.types_[p]);
  }
  for (const auto& name : BucketKeyNames(info)) {
    auto pos = std::find(e.names_.begin(), e.names_.end(), name);
    if (pos == e.names_.end()) {
      return Status::Invalid(fmt::format("table '{}': bucket key '{}' is not part of the primary key", e.table_name_, name));
    }
    const size_t p = static_cast<size_t>(pos - e.names_.begin());
    e.bucket_positions_.push_back(p);
    e.bucket_types_.push_back(e.types_[p]);
  }
  e.bucket_key_is_key_ = e.bucket_positions_ == e.key_positions_;
  return e;
}

Result<LookupKeyEncoder> LookupKeyEncoder::ForPrefix(const TableInfo& info,
                                                     const std::vector<std::string>& lookup_columns) {
  const Schema& schema = info.schema();
  if (!schema.has_primary_key()) return NoPrimaryKey(info, "prefix lookups");
  const auto pk = PhysicalPrimaryKey(info);
  const auto bucket_key = BucketKeyNames(info);
  const bool proper_prefix =
      bucket_key.size() < pk.size() && std::equal(bucket_key.begin(), bucket_key.end(), pk.begin());
  if (!proper_prefix) {
    return Status::Invalid(fmt::format(
        "prefix lookups on '{}' need a bucket key that is a proper prefix of the primary key; the table has "
        "primary key ({}) and bucket key ({}) (create it with a shorter bucket key, e.g. DistributedBy(n, {{\"{}\"}}))",
        info.path.ToString(), fmt::join(pk, ", "), fmt::join(bucket_key, ", "), pk.front()));
  }
  if (lookup_columns != bucket_key) {
    return Status::Invalid(fmt::format("prefix lookups on '{}' take its bucket key ({}), in that order; got ({})",
                                       info.path.ToString(), fmt::join(bucket_key, ", "),
                                       fmt::join(lookup_columns, ", ")));
  }
  LookupKeyEncoder e;
  e.table_name_ = info.path.ToString();
  e.num_buckets_ = info.num_buckets;
  e.names_ = bucket_key;
  for (const auto& name : bucket_key) e.types_.push_back(schema.column(*schema.IndexOf(name)).type);
  for (size_t i = 0; i < bucket_key.size(); ++i) {
    e.key_positions_.push_back(i);
    e.bucket_positions_.push_back(i);
  }
  e.key_types_ = e.types_;
  e.bucket_types_ = e.types_;
  e.bucket_key_is_key_ = true;
  return e;
}

Result<LookupKey> LookupKeyEncoder::Encode(const GenericRow& key_row) const {
  if (key_row.arity() != names_.size()) {
    return Status::Invalid(fmt::format("lookup key of '{}' has {} fields; it takes {} ({})", table_name_,
                                       key_row.arity(), names_.size(), fmt::join(names_, ", ")));
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (key_row.IsNullAt(i)) {
      return Status::Invalid(fmt::format("lookup key column '{}' of '{}' is NULL", names_[i], table_name_));
    }
    FLUSS_RETURN_NOT_OK(ValidateDatum(key_row.field(i), types_[i], names_[i]));
  }
  LookupKey out;
  if (key_positions_.size() == names_.size()) {
    FLUSS_ASSIGN_OR_RETURN(out.key, EncodeCompactedKey(types_, key_row));
  } else {
    // A partitioned table: the stored key leaves the partition columns out.
    GenericRow physical(key_positions_.size());
    for (size_t i = 0; i < key_positions_.size(); ++i) physical.SetField(i, key_row.field(key_positions_[i]));
    FLUSS_ASSIGN_OR_RETURN(out.key, EncodeCompactedKey(key_types_, physical));
  }
  if (bucket_key_is_key_) {
    FLUSS_ASSIGN_OR_RETURN(out.bucket, BucketForKey(out.key, num_buckets_));
  } else {
    GenericRow bucket_row(bucket_positions_.size());
    for (size_t i = 0; i < bucket_positions_.size(); ++i) bucket_row.SetField(i, key_row.field(bucket_positions_[i]));
    FLUSS_ASSIGN_OR_RETURN(auto bucket_key, EncodeCompactedKey(bucket_types_, bucket_row));
    FLUSS_ASSIGN_OR_RETURN(out.bucket, BucketForKey(bucket_key, num_buckets_));
  }
  return out;
}

// ---- KvValueDecoder -----------------------------------------------------------------------------

KvValueDecoder::KvValueDecoder(Schema schema, int32_t schema_id, SchemaLookup schema_of)
    : schema_(std::move(schema)), schema_id_(schema_id), schema_of_(std::move(schema_of)) {}

Result<const KvValueDecoder::Source*> KvValueDecoder::SourceFor(int32_t schema_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sources_.find(schema_id);
    if (it != sources_.end()) return it->second.get();
  }
  // Fetched without the lock: a schema lookup is a round trip.
  FLUSS_ASSIGN_OR_RETURN(Schema schema, schema_of_(schema_id));
  auto source = std::make_unique<Source>();
  for (const auto& c : schema_.columns()) {
    int pos = -1;
    for (size_t i = 0; i < schema.num_columns(); ++i) {
      if (schema.column(i).id == c.id) pos = static_cast<int>(i);
    }
    source->positions.push_back(pos);
  }
  source->schema = std::move(schema);
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = sources_[schema_id];
  if (!slot) slot = std::move(source);
  return slot.get();
}

Result<GenericRow> KvValueDecoder::Decode(std::span<const uint8_t> value) {
  FLUSS_ASSIGN_OR_RETURN(auto view, ParseKvValue(value));
  return DecodeRow(view.schema_id, view.row);
}

Result<GenericRow> KvValueDecoder::DecodeRow(int32_t schema_id, std::span<const uint8_t> bytes) {
  if (schema_id == schema_id_) return DecodeCompactedRow(schema_, bytes);
  FLUSS_ASSIGN_OR_RETURN(const Source* source, SourceFor(schema_id));
  FLUSS_ASSIGN_OR_RETURN(auto stored, DecodeCompactedRow(source->schema, bytes));
  GenericRow row(schema_.num_columns());
  for (size_t i = 0; i < source->positions.size(); ++i) {
    if (source->positions[i] >= 0) row.SetField(i, stored.field(static_cast<size_t>(source->positions[i])));
  }
  return row;
}

// ---- columns ------------------------------------------------------------------------------------

Result<std::vector<size_t>> ResolveColumns(const TableInfo& info, const std::vector<std::string>& columns) {
  std::vector<size_t> out;
  if (columns.empty()) {
    for (size_t i = 0; i < info.schema().num_columns(); ++i) out.push_back(i);
    return out;
  }
  for (const auto& name : columns) {
    auto idx = info.schema().IndexOf(name);
    if (!idx) {
      return Status(ErrorCode::kInvalidColumnProjection,
                    fmt::format("table '{}' has no column '{}' (columns: {})", info.path.ToString(), name,
                                fmt::join(info.schema().column_names(), ", ")));
    }
    if (std::find(out.begin(), out.end(), *idx) != out.end()) {
      return Status(ErrorCode::kInvalidColumnProjection, fmt::format("column '{}' is asked for twice", name));
    }
    out.push_back(*idx);
  }
  return out;
}

}  // namespace fluss
