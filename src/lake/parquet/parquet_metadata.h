// The subset of parquet.thrift that fluss-cpp writes and reads: file footer (FileMetaData), schema,
// row groups, column chunks, statistics, page headers. Field ids and enum values are parquet.thrift's.
// Encoded with the Thrift compact protocol (thrift_compact.h); decoders skip fields they do not know
// and check that required fields are present.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace fluss::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5, kByteArray = 6,
  kFixedLenByteArray = 7,
};
enum class ConvertedType : int32_t {
  kUtf8 = 0, kDecimal = 5, kDate = 6, kTimeMillis = 7, kTimeMicros = 8, kTimestampMillis = 9,
  kTimestampMicros = 10, kInt8 = 15, kInt16 = 16, kInt32 = 17, kInt64 = 18,
};
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum class Encoding : int32_t {
  kPlain = 0, kPlainDictionary = 2, kRle = 3, kBitPacked = 4, kRleDictionary = 8,
};
enum class Codec : int32_t { kUncompressed = 0, kSnappy = 1, kGzip = 2, kZstd = 6 };
enum class PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };
enum class TimeUnit : uint8_t { kMillis = 1, kMicros = 2, kNanos = 3 };  // TimeUnit union field ids

// LogicalType union (field ids: STRING 1, DECIMAL 5, DATE 6, TIME 7, TIMESTAMP 8, INTEGER 10). Other
// members are kept as kOther (their id in `other_id`) so a reader can report them.
struct LogicalType {
  enum class Kind : uint8_t { kString, kDecimal, kDate, kTime, kTimestamp, kInteger, kOther };
  Kind kind = Kind::kOther;
  int32_t scale = 0, precision = 0;    // DECIMAL
  bool adjusted_to_utc = false;        // TIME, TIMESTAMP
  TimeUnit unit = TimeUnit::kMicros;   // TIME, TIMESTAMP
  int8_t bit_width = 32;               // INTEGER
  bool is_signed = true;               // INTEGER
  int16_t other_id = 0;
  bool operator==(const LogicalType&) const = default;
};

struct SchemaElement {
  std::optional<PhysicalType> type;          // 1 (absent for the root / groups)
  std::optional<int32_t> type_length;        // 2
  std::optional<Repetition> repetition;      // 3
  std::string name;                          // 4 (required)
  std::optional<int32_t> num_children;       // 5
  std::optional<int32_t> converted_type;     // 6
  std::optional<int32_t> scale;              // 7
  std::optional<int32_t> precision;          // 8
  std::optional<int32_t> field_id;           // 9
  std::optional<LogicalType> logical_type;   // 10
  bool operator==(const SchemaElement&) const = default;
};

struct Statistics {
  std::optional<std::string> max;            // 1 (legacy, signed orders only)
  std::optional<std::string> min;            // 2 (legacy)
  std::optional<int64_t> null_count;         // 3
  std::optional<int64_t> distinct_count;     // 4
  std::optional<std::string> max_value;      // 5
  std::optional<std::string> min_value;      // 6
  bool operator==(const Statistics&) const = default;
};

struct KeyValue {
  std::string key;                           // 1
  std::optional<std::string> value;          // 2
  bool operator==(const KeyValue&) const = default;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kInt32;  // 1
  std::vector<Encoding> encodings;           // 2
  std::vector<std::string> path_in_schema;   // 3
  Codec codec = Codec::kUncompressed;        // 4
  int64_t num_values = 0;                    // 5
  int64_t total_uncompressed_size = 0;       // 6
  int64_t total_compressed_size = 0;         // 7
  int64_t data_page_offset = 0;              // 9
  std::optional<int64_t> dictionary_page_offset;  // 11
  std::optional<Statistics> statistics;      // 12
  bool operator==(const ColumnMetaData&) const = default;
};

struct ColumnChunk {
  std::optional<std::string> file_path;      // 1
  int64_t file_offset = 0;                   // 2
  std::optional<ColumnMetaData> meta_data;   // 3
  bool operator==(const ColumnChunk&) const = default;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;          // 1
  int64_t total_byte_size = 0;               // 2
  int64_t num_rows = 0;                      // 3
  std::optional<int64_t> file_offset;        // 5
  std::optional<int64_t> total_compressed_size;  // 6
  std::optional<int16_t> ordinal;            // 7
  bool operator==(const RowGroup&) const = default;
};

struct FileMetaData {
  int32_t version = 1;                       // 1
  std::vector<SchemaElement> schema;         // 2 (depth-first; [0] is the root)
  int64_t num_rows = 0;                      // 3
  std::vector<RowGroup> row_groups;          // 4
  std::vector<KeyValue> key_value_metadata;  // 5
  std::optional<std::string> created_by;     // 6
  // 7: column_orders; we write TYPE_ORDER for every leaf, and read back how many TYPE_ORDERs there are.
  int32_t type_defined_column_orders = 0;
  bool operator==(const FileMetaData&) const = default;
};

struct DataPageHeader {
  int32_t num_values = 0;                            // 1
  Encoding encoding = Encoding::kPlain;              // 2
  Encoding definition_level_encoding = Encoding::kRle;  // 3
  Encoding repetition_level_encoding = Encoding::kRle;  // 4
  bool operator==(const DataPageHeader&) const = default;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;                    // 1
  Encoding encoding = Encoding::kPlain;      // 2
  std::optional<bool> is_sorted;             // 3
  bool operator==(const DictionaryPageHeader&) const = default;
};

struct PageHeader {
  PageType type = PageType::kDataPage;       // 1
  int32_t uncompressed_page_size = 0;        // 2
  int32_t compressed_page_size = 0;          // 3
  std::optional<int32_t> crc;                // 4
  std::optional<DataPageHeader> data_page_header;              // 5
  std::optional<DictionaryPageHeader> dictionary_page_header;  // 7
  bool operator==(const PageHeader&) const = default;
};

void EncodeFileMetaData(const FileMetaData& m, std::vector<uint8_t>* out);
void EncodePageHeader(const PageHeader& h, std::vector<uint8_t>* out);

// Decodes a whole footer (the bytes must be exactly one FileMetaData struct).
Result<FileMetaData> DecodeFileMetaData(std::span<const uint8_t> bytes);
// Decodes the page header at the front of `bytes`; `*header_size` is set to its encoded length.
Result<PageHeader> DecodePageHeader(std::span<const uint8_t> bytes, size_t* header_size);

}  // namespace fluss::parquet
