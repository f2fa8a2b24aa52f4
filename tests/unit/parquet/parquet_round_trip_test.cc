// ParquetWriter -> ParquetReader: every type, nulls, each compression, dictionary and plain, several
// row groups and pages, projection, statistics, files on disk.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "format/arrow/column_vector.h"
#include "parquet_test_support.h"
#include "lake/parquet/parquet_schema.h"
#include "lake/parquet/parquet_stats.h"
#include "support/status_macros.h"

namespace fluss::parquet {
namespace {

using testing::AllTypesSchema;
using testing::MakeRows;

std::vector<GenericRow> RoundTrip(const Schema& schema, const std::vector<GenericRow>& rows,
                                  const ParquetWriterOptions& options, std::unique_ptr<ParquetReader>* reader_out = nullptr) {
  auto file = WriteParquet(schema, rows, options);
  EXPECT_OK(file);
  if (!file.ok()) return {};
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(file).value()));
  EXPECT_OK(reader);
  if (!reader.ok()) return {};
  auto back = (*reader)->ReadAll();
  EXPECT_OK(back);
  if (reader_out) *reader_out = std::move(reader).value();
  return back.ok() ? std::move(back).value() : std::vector<GenericRow>{};
}

void ExpectRowsEqual(const std::vector<GenericRow>& want, const std::vector<GenericRow>& got, const Schema& schema) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t r = 0; r < want.size(); ++r) {
    for (size_t c = 0; c < schema.num_columns(); ++c) {
      const DataType& t = schema.column(c).type;
      ASSERT_EQ(want[r].field(c), got[r].field(c))
          << "row " << r << " column " << schema.column(c).name << ": wrote " << DatumToString(want[r].field(c), t)
          << ", read " << DatumToString(got[r].field(c), t);
    }
  }
}

class ParquetCodecTest : public ::testing::TestWithParam<Codec> {};

TEST_P(ParquetCodecTest, EveryTypeRoundTripsOverRowGroupsAndPages) {
  Schema schema = AllTypesSchema();
  auto rows = MakeRows(schema, 2500);
  ParquetWriterOptions options;
  options.compression = GetParam();
  options.row_group_max_rows = 1000;
  options.page_max_bytes = 512;
  std::unique_ptr<ParquetReader> reader;
  auto back = RoundTrip(schema, rows, options, &reader);
  ExpectRowsEqual(rows, back, schema);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->num_row_groups(), 3);
  EXPECT_EQ(reader->num_rows(), 2500);
  for (const auto& chunk : reader->metadata().row_groups[0].columns) {
    EXPECT_EQ(chunk.meta_data->codec, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParquetCodecTest,
                         ::testing::Values(Codec::kUncompressed, Codec::kSnappy, Codec::kZstd),
                         [](const auto& info) {
                           return std::string(info.param == Codec::kUncompressed ? "Uncompressed"
                                              : info.param == Codec::kSnappy     ? "Snappy"
                                                                                 : "Zstd");
                         });

TEST(ParquetRoundTripTest, SchemaMapsBackWithFieldIds) {
  Schema schema = AllTypesSchema();
  auto file = WriteParquet(schema, MakeRows(schema, 3));
  ASSERT_OK(file);
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(file).value()));
  ASSERT_OK(reader);
  const Schema& got = (*reader)->schema();
  ASSERT_EQ(got.num_columns(), schema.num_columns());
  for (size_t i = 0; i < got.num_columns(); ++i) {
    const Column& w = schema.column(i);
    const Column& g = got.column(i);
    EXPECT_EQ(g.name, w.name);
    EXPECT_EQ(g.id, w.id);
    EXPECT_EQ(g.type.nullable(), w.type.nullable());
    // CHAR -> STRING, BINARY -> BYTES, TIME(p) -> TIME(6): what Parquet keeps.
    TypeRoot want = w.type.root() == TypeRoot::kChar ? TypeRoot::kString
                    : w.type.root() == TypeRoot::kBinary ? TypeRoot::kBytes : w.type.root();
    EXPECT_EQ(g.type.root(), want) << g.name;
    if (want == TypeRoot::kDecimal) {
      EXPECT_EQ(g.type.precision(), w.type.precision());
      EXPECT_EQ(g.type.scale(), w.type.scale());
    }
  }
}

TEST(ParquetRoundTripTest, DictionaryAndPlainGiveTheSameRows) {
  auto schema = Schema::Make({Column{"s", DataType::String(), 1, ""}, Column{"b", DataType::Bytes().NotNull(), 2, ""}}).value();
  std::vector<GenericRow> rows;
  for (int i = 0; i < 3000; ++i) {
    GenericRow row(2);
    if (i % 5 != 0) row.SetField(0, Datum("city-" + std::to_string(i % 17)));
    row.SetField(1, Datum(std::string(i % 3, 'x')));
    rows.push_back(std::move(row));
  }
  for (bool dict : {true, false}) {
    ParquetWriterOptions options;
    options.dictionary = dict;
    options.page_max_bytes = 100;
    std::unique_ptr<ParquetReader> reader;
    auto back = RoundTrip(schema, rows, options, &reader);
    ExpectRowsEqual(rows, back, schema);
    ASSERT_TRUE(reader);
    const auto& meta = *reader->metadata().row_groups[0].columns[0].meta_data;
    EXPECT_EQ(meta.dictionary_page_offset.has_value(), dict);
    bool has_dict_encoding = std::find(meta.encodings.begin(), meta.encodings.end(), Encoding::kRleDictionary) !=
                             meta.encodings.end();
    EXPECT_EQ(has_dict_encoding, dict);
  }
}

TEST(ParquetRoundTripTest, FallsBackToPlainWhenTheDictionaryGrowsLarge) {
  auto schema = Schema::Make({Column{"s", DataType::String().NotNull(), 1, ""}}).value();
  std::vector<GenericRow> rows;
  for (int i = 0; i < 2000; ++i) rows.emplace_back(std::vector<Datum>{Datum("distinct value " + std::to_string(i))});
  ParquetWriterOptions options;
  options.dictionary_max_bytes = 4096;
  std::unique_ptr<ParquetReader> reader;
  ExpectRowsEqual(rows, RoundTrip(schema, rows, options, &reader), schema);
  ASSERT_TRUE(reader);
  EXPECT_FALSE(reader->metadata().row_groups[0].columns[0].meta_data->dictionary_page_offset);
}

TEST(ParquetRoundTripTest, ProjectionReadsChosenColumnsInOrder) {
  Schema schema = AllTypesSchema();
  auto rows = MakeRows(schema, 300);
  auto file = WriteParquet(schema, rows);
  ASSERT_OK(file);
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(file).value()));
  ASSERT_OK(reader);
  std::vector<size_t> cols = {11, 3, 20};
  auto got = (*reader)->ReadAll(cols);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    ASSERT_EQ((*got)[r].arity(), 3u);
    for (size_t k = 0; k < cols.size(); ++k) EXPECT_EQ((*got)[r].field(k), rows[r].field(cols[k]));
  }
  EXPECT_FALSE((*reader)->ReadRowGroup(0, std::vector<size_t>{99}).ok());
  EXPECT_FALSE((*reader)->ReadRowGroup(5).ok());
}

TEST(ParquetRoundTripTest, ZeroRowsAndAllNulls) {
  auto schema = Schema::Make({Column{"a", DataType::Int(), 1, ""}, Column{"s", DataType::String(), 2, ""}}).value();
  auto empty = RoundTrip(schema, {}, {});
  EXPECT_TRUE(empty.empty());
  std::vector<GenericRow> nulls(10, GenericRow(2));
  std::unique_ptr<ParquetReader> reader;
  ExpectRowsEqual(nulls, RoundTrip(schema, nulls, {}, &reader), schema);
  ASSERT_TRUE(reader);
  const Statistics& st = *reader->metadata().row_groups[0].columns[0].meta_data->statistics;
  EXPECT_EQ(st.null_count, 10);
  EXPECT_FALSE(st.min_value);
  EXPECT_FALSE(st.max_value);
}

TEST(ParquetRoundTripTest, StatisticsHoldMinMaxAndNullCount) {
  auto schema = Schema::Make({Column{"i", DataType::Int(), 1, ""}, Column{"d", DataType::Double(), 2, ""},
                              Column{"s", DataType::String(), 3, ""}, Column{"m", DataType::Decimal(20, 2), 4, ""},
                              Column{"z", DataType::Float(), 5, ""}})
                    .value();
  std::vector<GenericRow> rows;
  rows.emplace_back(std::vector<Datum>{Datum(int32_t{5}), Datum(2.5), Datum(std::string("b")), Datum(DecimalValue{-300}),
                                       Datum(0.0f)});
  rows.emplace_back(std::vector<Datum>{Datum(int32_t{-7}), Datum(std::nan("")), Datum(std::string("\xC3\xA9")),
                                       Datum(DecimalValue{20}), Datum(3.0f)});
  rows.emplace_back(std::vector<Datum>{Datum(), Datum(-1.0), Datum(std::string("ab")), Datum(), Datum(-0.0f)});
  auto file = WriteParquet(schema, rows);
  ASSERT_OK(file);
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(file).value()));
  ASSERT_OK(reader);
  auto stats = [&](size_t c) { return *(*reader)->metadata().row_groups[0].columns[c].meta_data->statistics; };
  auto le32 = [](int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto le64d = [](double v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  auto le32f = [](float v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  EXPECT_EQ(stats(0).min_value, le32(-7));
  EXPECT_EQ(stats(0).max_value, le32(5));
  EXPECT_EQ(stats(0).min, le32(-7));  // legacy fields too, for the signed order
  EXPECT_EQ(stats(0).null_count, 1);
  EXPECT_EQ(stats(1).min_value, le64d(-1.0));  // NaN ignored
  EXPECT_EQ(stats(1).max_value, le64d(2.5));
  EXPECT_EQ(stats(2).min_value, "ab");
  EXPECT_EQ(stats(2).max_value, "\xC3\xA9");  // unsigned byte order
  EXPECT_FALSE(stats(2).min);                 // no legacy min/max for byte arrays
  EXPECT_EQ(stats(2).null_count, 0);
  // DECIMAL(20, 2): 9-byte big-endian two's complement, signed order.
  EXPECT_EQ(stats(3).min_value, std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFE\xD4", 9));
  EXPECT_EQ(stats(3).max_value, std::string("\0\0\0\0\0\0\0\0\x14", 9));
  // Float zero bounds: -0.0 as minimum, +0.0 as maximum.
  EXPECT_EQ(stats(4).min_value, le32f(-0.0f));
  EXPECT_EQ(stats(4).max_value, le32f(3.0f));
}

TEST(ParquetRoundTripTest, KeyValueMetadataAndCreatedBy) {
  auto schema = Schema::Make({Column{"a", DataType::Int(), 1, ""}}).value();
  ParquetWriterOptions options;
  options.key_value_metadata = {KeyValue{"iceberg.schema", std::string("{}")}, KeyValue{"flag", std::nullopt}};
  std::unique_ptr<ParquetReader> reader;
  RoundTrip(schema, {GenericRow(std::vector<Datum>{Datum(int32_t{1})})}, options, &reader);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->metadata().key_value_metadata, options.key_value_metadata);
  EXPECT_EQ(reader->metadata().created_by, options.created_by);
}

TEST(ParquetRoundTripTest, StreamsToAFile) {
  Schema schema = AllTypesSchema();
  auto rows = MakeRows(schema, 700);
  auto path = (std::filesystem::temp_directory_path() / "fluss_parquet_writer_test.parquet").string();
  ParquetWriterOptions options;
  options.row_group_max_rows = 300;
  auto w = ParquetWriter::Open(path, schema, options);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(rows));
  auto done = (*w)->Finish();
  ASSERT_OK(done);
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path)), (*w)->bytes_written());
  auto reader = ParquetReader::OpenFile(path);
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->num_row_groups(), 3);
  auto back = (*reader)->ReadAll();
  ASSERT_OK(back);
  ExpectRowsEqual(rows, *back, schema);
  std::filesystem::remove(path);
}

TEST(ParquetRoundTripTest, RejectsRowsThatDoNotMatchTheSchema) {
  auto schema = Schema::Make({Column{"a", DataType::Int().NotNull(), 1, ""}}).value();
  auto w = ParquetWriter::Make(schema);
  ASSERT_OK(w);
  EXPECT_FALSE((*w)->Write(GenericRow(1)).ok());                                   // null in NOT NULL
  EXPECT_FALSE((*w)->Write(GenericRow(std::vector<Datum>{Datum(int64_t{1})})).ok());  // wrong type
  EXPECT_FALSE((*w)->Write(GenericRow(2)).ok());                                   // arity
}

// Every type plus millisecond timestamps (WriteColumns' fast path) and a DOUBLE with NaNs.
Schema ColumnarSchema() {
  std::vector<Column> cols = AllTypesSchema().columns();
  int id = static_cast<int>(cols.size());
  cols.push_back(Column{"ms", DataType::TimestampLtz(3).NotNull(), ++id, ""});
  cols.push_back(Column{"t3", DataType::Timestamp(3), ++id, ""});
  cols.push_back(Column{"nan", DataType::Double(), ++id, ""});
  return Schema::Make(std::move(cols)).value();
}

std::vector<GenericRow> ColumnarRows(const Schema& schema, int64_t n) {
  auto rows = MakeRows(schema, n);
  const size_t c = schema.num_columns();
  for (int64_t r = 0; r < n; ++r) {
    auto& row = rows[static_cast<size_t>(r)];
    for (size_t t : {c - 3, c - 2}) {
      if (!row.IsNullAt(t)) row.SetField(t, TimestampValue{row.GetTimestamp(t).millis, 0});
    }
    if (r % 7 == 3) row.SetField(c - 1, std::nan(""));
  }
  return rows;
}

// Rows [from, to) of `rows` as Arrow-layout columns, `lead` rows before them.
std::vector<arrow::ColumnVector> ToColumns(const Schema& schema, const std::vector<GenericRow>& rows, size_t from,
                                           size_t to, size_t lead) {
  std::vector<arrow::ColumnVector> cols;
  for (const auto& c : schema.columns()) cols.emplace_back(c.type);
  for (size_t r = from - lead; r < to; ++r) {
    for (size_t c = 0; c < cols.size(); ++c) EXPECT_OK(cols[c].Append(rows[r].field(c)));
  }
  return cols;
}

std::vector<const arrow::ColumnVector*> Pointers(const std::vector<arrow::ColumnVector>& cols) {
  std::vector<const arrow::ColumnVector*> out;
  for (const auto& c : cols) out.push_back(&c);
  return out;
}

TEST(ParquetRoundTripTest, WriteColumnsGivesTheSameFileAsWrite) {
  const Schema schema = ColumnarSchema();
  const auto rows = ColumnarRows(schema, 2500);
  ParquetWriterOptions by_rows;
  by_rows.row_group_max_rows = 700;
  by_rows.page_max_bytes = 512;
  ParquetWriterOptions by_bytes;
  by_bytes.row_group_max_bytes = 40000;
  by_bytes.compression = Codec::kSnappy;
  for (const auto& options : {by_rows, by_bytes}) {
    auto want = ParquetWriter::Make(schema, options);
    ASSERT_OK(want);
    ASSERT_OK((*want)->Write(rows));
    auto want_file = (*want)->Finish();
    ASSERT_OK(want_file);

    auto w = ParquetWriter::Make(schema, options);
    ASSERT_OK(w);
    size_t at = 0, chunk = 1;
    while (at < rows.size()) {  // chunks of 1, 4, 13, 40, ... rows, some behind leading rows
      const size_t n = std::min(rows.size() - at, chunk);
      const size_t lead = std::min(at, chunk % 3);
      auto cols = ToColumns(schema, rows, at, at + n, lead);
      ASSERT_OK((*w)->WriteColumns(Pointers(cols), lead, lead + n));
      at += n;
      chunk = chunk * 3 + 1;
    }
    EXPECT_EQ((*w)->rows_written(), 2500);
    auto file = (*w)->Finish();
    ASSERT_OK(file);
    EXPECT_GT((*w)->metadata().row_groups.size(), 2u);
    EXPECT_EQ(*file, *want_file);
    EXPECT_EQ((*w)->nan_counts(), (*want)->nan_counts());
    EXPECT_EQ((*w)->nan_counts().back(), 357);  // rows 3, 10, ... below 2500, none null there
    EXPECT_EQ((*w)->metadata().row_groups.size(), (*want)->metadata().row_groups.size());
  }
}

TEST(ParquetRoundTripTest, WriteColumnsRejectsWhatDoesNotMatchAndWritesNothingOfIt) {
  auto schema = Schema::Make({Column{"a", DataType::Int().NotNull(), 1, ""},
                              Column{"t", DataType::TimestampLtz(3), 2, ""}})
                    .value();
  auto w = ParquetWriter::Make(schema);
  ASSERT_OK(w);
  arrow::ColumnVector a(DataType::Int());  // nullable vector, NOT NULL column: fine without nulls
  arrow::ColumnVector t(DataType::TimestampLtz(3));
  ASSERT_OK(a.Append(Datum(int32_t{1})));
  ASSERT_OK(t.Append(Datum(TimestampValue{5, 0})));
  const arrow::ColumnVector* both[] = {&a, &t};
  ASSERT_OK((*w)->WriteColumns(both, 0, 1));
  EXPECT_FALSE((*w)->WriteColumns(both, 0, 2).ok());                        // past the vectors' length
  EXPECT_FALSE((*w)->WriteColumns(std::span(both, 1), 0, 1).ok());          // one column short
  ASSERT_OK(a.Append(Datum()));                                      // a null for the NOT NULL column
  ASSERT_OK(t.Append(Datum(TimestampValue{6, 0})));
  EXPECT_FALSE((*w)->WriteColumns(both, 0, 2).ok());
  ASSERT_OK(a.Append(Datum(int32_t{3})));
  t.AppendNull();
  arrow::ColumnVector wrong(DataType::BigInt());
  ASSERT_OK(wrong.Append(Datum(int64_t{1})));
  const arrow::ColumnVector* mistyped[] = {&wrong, &t};
  EXPECT_FALSE((*w)->WriteColumns(mistyped, 0, 1).ok());
  // A millisecond timestamp beyond the int64 microsecond range.
  arrow::ColumnVector far(DataType::TimestampLtz(3));
  ASSERT_OK(far.Append(Datum(TimestampValue{INT64_MAX / 100, 0})));
  const arrow::ColumnVector* overflow[] = {&a, &far};
  EXPECT_FALSE((*w)->WriteColumns(overflow, 0, 1).ok());
  EXPECT_EQ((*w)->rows_written(), 1);
  ASSERT_OK((*w)->WriteColumns(both, 2, 3));  // row 2: a = 3, t null
  auto file = (*w)->Finish();
  ASSERT_OK(file);
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(file).value()));
  ASSERT_OK(reader);
  auto back = (*reader)->ReadAll();
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].field(0), Datum(int32_t{1}));
  EXPECT_EQ((*back)[0].field(1), Datum(TimestampValue{5, 0}));
  EXPECT_EQ((*back)[1].field(0), Datum(int32_t{3}));
  EXPECT_TRUE((*back)[1].IsNullAt(1));
}

TEST(ParquetRoundTripTest, TimestampsKeepMicrosecondsAndFloorNegativeValues) {
  auto schema = Schema::Make({Column{"t", DataType::Timestamp(9), 1, ""}, Column{"l", DataType::TimestampLtz(3), 2, ""}}).value();
  std::vector<GenericRow> rows;
  rows.emplace_back(std::vector<Datum>{Datum(TimestampValue{-1, 999999}), Datum(TimestampValue{-1, 0})});
  auto file = WriteParquet(schema, rows);
  ASSERT_OK(file);
  auto reader = ParquetReader::Open(Buffer::FromVector(std::move(file).value()));
  ASSERT_OK(reader);
  auto back = (*reader)->ReadAll();
  ASSERT_OK(back);
  // Nanoseconds below the microsecond are dropped (Parquet/Iceberg timestamps are microseconds).
  EXPECT_EQ((*back)[0].field(0), Datum(TimestampValue{-1, 999000}));
  EXPECT_EQ((*back)[0].field(1), Datum(TimestampValue{-1, 0}));
}

}  // namespace
}  // namespace fluss::parquet

namespace fluss::parquet {
namespace {

TEST(ParquetFileStatsTest, MergesRowGroupStatisticsIntoFileBounds) {
  Schema schema = testing::AllTypesSchema();
  auto rows = testing::MakeRows(schema, 1200);
  ParquetWriterOptions options;
  options.row_group_max_rows = 500;
  auto w = ParquetWriter::Make(schema, options);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(rows));
  ASSERT_OK((*w)->Finish());
  auto reader_schema = FromParquetSchema((*w)->metadata().schema);
  ASSERT_OK(reader_schema);
  auto stats = FileColumnStats((*w)->metadata(), *reader_schema);
  ASSERT_OK(stats);
  ASSERT_EQ(stats->size(), schema.num_columns());
  for (size_t c = 0; c < schema.num_columns(); ++c) {
    const ColumnFileStats& st = (*stats)[c];
    std::optional<Datum> lo, hi;
    int64_t nulls = 0;
    for (const auto& r : rows) {
      const Datum& d = r.field(c);
      if (std::holds_alternative<std::monostate>(d)) { ++nulls; continue; }
      if (!lo || CompareDatums(d, *lo) < 0) lo = d;
      if (!hi || CompareDatums(d, *hi) > 0) hi = d;
    }
    const std::string& name = schema.column(c).name;
    EXPECT_EQ(st.field_id, schema.column(c).id) << name;
    EXPECT_EQ(st.value_count, 1200) << name;
    EXPECT_EQ(st.null_count, nulls) << name;
    EXPECT_GT(st.column_size, 0) << name;
    // -0.0 and 0.0 compare equal; the file keeps -0.0 as a zero minimum.
    ASSERT_TRUE(st.min && st.max) << name;
    EXPECT_EQ(CompareDatums(*st.min, *lo), 0) << name;
    EXPECT_EQ(CompareDatums(*st.max, *hi), 0) << name;
  }
}

TEST(ParquetFileStatsTest, AllNullColumnsHaveNoBounds) {
  auto schema = Schema::Make({Column{"a", DataType::Int(), 7, ""}}).value();
  auto w = ParquetWriter::Make(schema);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(GenericRow(1)));
  ASSERT_OK((*w)->Finish());
  auto stats = FileColumnStats((*w)->metadata(), schema);
  ASSERT_OK(stats);
  EXPECT_EQ((*stats)[0].field_id, 7);
  EXPECT_EQ((*stats)[0].null_count, 1);
  EXPECT_FALSE((*stats)[0].min);
}

}  // namespace
}  // namespace fluss::parquet
