// What the client encodes and decodes for primary-key tables, as pure functions of the table's info
// (no I/O, so tests drive them directly):
//   KvWriteEncoder   rows → the key, bucket and value of an upsert or delete (UpsertWriter)
//   LookupKeyEncoder key-only rows → encoded primary keys or bucket-key prefixes and their bucket
//   KvValueDecoder   stored values (schema id + COMPACTED row) → rows of the table's schema
// Keys are CompactedKeys (format/compacted_key.h) of the primary key — in a partitioned table
// without the partition keys (upstream's physical primary key) — values COMPACTED rows, and the
// bucket Fluss's hash of the bucket-key columns (format/bucketing.h), so a key lands where the
// server and every other Fluss client put it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "fluss/client.h"

namespace fluss {

// One encoded write.
struct EncodedKvWrite {
  int32_t bucket = 0;
  std::vector<uint8_t> key;                 // CompactedKey of the primary key
  std::optional<std::vector<uint8_t>> row;  // COMPACTED row; nullopt: delete
};

class KvWriteEncoder {
 public:
  // `target_columns`: column names of a partial update (empty: whole rows). Errors:
  // NON_PRIMARY_KEY_TABLE for a table without a primary key; INVALID_TARGET_COLUMN for an unknown or
  // repeated name, a target list without every primary-key column, or a column left out that is
  // NOT NULL (a new key could never be stored).
  static Result<KvWriteEncoder> Make(const TableInfo& info, const std::vector<std::string>& target_columns);

  // `row`: every column in schema order; the primary key set; every written column checked (type,
  // NOT NULL, range). In a partial update the other columns are not read and are sent as NULL.
  Result<EncodedKvWrite> EncodeUpsert(const GenericRow& row) const;
  // `row`: every column in schema order, of which only the primary key is read.
  Result<EncodedKvWrite> EncodeDelete(const GenericRow& row) const;

  // Schema indexes of the target columns, ascending (empty: whole rows): PutKvRequest.target_columns.
  const std::vector<int32_t>& target_columns() const { return target_columns_; }

 private:
  KvWriteEncoder() = default;
  Status CheckArity(const GenericRow& row) const;
  Status CheckKey(const GenericRow& row) const;
  Result<int32_t> BucketOf(const GenericRow& row, const std::vector<uint8_t>& key) const;

  std::string table_name_;
  Schema schema_;
  int32_t num_buckets_ = 0;
  std::vector<size_t> key_indexes_;          // the primary key (checked: set, valid)
  std::vector<size_t> encoded_key_indexes_;  // what the key encodes: the primary key minus partition keys
  std::vector<size_t> bucket_key_indexes_;
  bool bucket_key_is_primary_key_ = false;
  std::vector<int32_t> target_columns_;
  std::vector<bool> written_;  // per column: an upsert sends its value
};

// An encoded lookup key and the bucket it lives in.
struct LookupKey {
  int32_t bucket = 0;
  std::vector<uint8_t> key;
};

class LookupKeyEncoder {
 public:
  // Keys of Lookup: the primary-key columns in key order. NON_PRIMARY_KEY_TABLE without a primary key.
  static Result<LookupKeyEncoder> ForPrimaryKey(const TableInfo& info);
  // Prefixes of PrefixLookup: `lookup_columns` must be exactly the bucket key, in order, and the
  // bucket key a proper prefix of the primary key (INVALID_CONFIG otherwise, naming what is allowed).
  static Result<LookupKeyEncoder> ForPrefix(const TableInfo& info, const std::vector<std::string>& lookup_columns);

  // `key_row`: the key columns in order, none NULL, each checked against its type.
  Result<LookupKey> Encode(const GenericRow& key_row) const;
  const std::vector<std::string>& column_names() const { return names_; }

 private:
  LookupKeyEncoder() = default;

  std::string table_name_;
  int32_t num_buckets_ = 0;
  std::vector<std::string> names_;
  std::vector<DataType> types_;
  std::vector<size_t> key_positions_;  // positions in the key row of the encoded key (no partition keys)
  std::vector<DataType> key_types_;
  std::vector<size_t> bucket_positions_;  // positions in the key row of the bucket-key columns
  std::vector<DataType> bucket_types_;
  bool bucket_key_is_key_ = false;
};

// Stored values back to rows of the table's schema. A value written under an older (or newer)
// schema is decoded with that schema, fetched once through `schema_of`, and its columns matched to
// the table's by column id: a column the value's schema lacks reads as NULL. Thread-safe.
class KvValueDecoder {
 public:
  using SchemaLookup = std::function<Result<Schema>(int32_t schema_id)>;
  KvValueDecoder(Schema schema, int32_t schema_id, SchemaLookup schema_of);

  Result<GenericRow> Decode(std::span<const uint8_t> value);
  // The row bytes of a value already split from its schema id (ValueRecordBatch records).
  Result<GenericRow> DecodeRow(int32_t schema_id, std::span<const uint8_t> row);
  const Schema& schema() const { return schema_; }

 private:
  struct Source {
    Schema schema;
    std::vector<int> positions;  // per column of schema_: its index in `schema`, or -1
  };
  Result<const Source*> SourceFor(int32_t schema_id);

  const Schema schema_;
  const int32_t schema_id_;
  const SchemaLookup schema_of_;
  std::mutex mu_;
  std::map<int32_t, std::unique_ptr<Source>> sources_;
};

// Column indexes of `columns` (names) in `schema`; all columns when empty. INVALID_COLUMN_PROJECTION
// for an unknown or repeated name.
Result<std::vector<size_t>> ResolveColumns(const TableInfo& info, const std::vector<std::string>& columns);

}  // namespace fluss
