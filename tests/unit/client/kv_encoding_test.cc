// The client's encodings for primary-key tables: what an upsert, a delete and a lookup key become,
// the bucket they go to, and stored values read back across schema versions.
#include "client/kv_encoding.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/value_encoding.h"
#include "types/schema_parser.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TableInfo MakeInfo(const std::string& dsl, int buckets, std::vector<std::string> bucket_keys = {}) {
  TableInfo info;
  info.path = TablePath::Make("db", "t").value();
  info.table_id = 1;
  info.schema_id = 1;
  TableDescriptor d(ParseSchema(dsl).value());
  d.DistributedBy(buckets, std::move(bucket_keys));
  info.descriptor = d;
  info.num_buckets = buckets;
  return info;
}

const char* kOrders = "id BIGINT, region STRING, name STRING, amount DOUBLE NOT NULL, PRIMARY KEY (id, region)";

GenericRow Order(int64_t id, std::string region, std::string name, double amount) {
  return GenericRow({Datum(id), Datum(std::move(region)), Datum(std::move(name)), Datum(amount)});
}

TEST(KvWriteEncoderTest, UpsertCarriesKeyRowAndTheKeysBucket) {
  TableInfo info = MakeInfo(kOrders, 8);
  auto enc = KvWriteEncoder::Make(info, {});
  ASSERT_OK(enc);
  GenericRow row = Order(5, "eu", "pen", 2.5);
  auto w = enc->EncodeUpsert(row);
  ASSERT_OK(w);
  const Schema& s = info.schema();
  EXPECT_EQ(w->key, EncodeCompactedKey(s, s.primary_key_indexes(), row).value());
  ASSERT_TRUE(w->row.has_value());
  EXPECT_EQ(DecodeCompactedRow(s, *w->row).value(), row);
  EXPECT_EQ(w->bucket, BucketForKey(w->key, 8).value());
  EXPECT_TRUE(enc->target_columns().empty());
}

TEST(KvWriteEncoderTest, BucketComesFromTheBucketKeyNotTheWholeKey) {
  TableInfo info = MakeInfo(kOrders, 16, {"id"});
  auto enc = KvWriteEncoder::Make(info, {}).value();
  for (int64_t id = 0; id < 50; ++id) {
    GenericRow row = Order(id, id % 2 ? "eu" : "us", "x", 1);
    auto w = enc.EncodeUpsert(row).value();
    const std::vector<size_t> id_only = {0};
    EXPECT_EQ(w.bucket, BucketForKey(EncodeCompactedKey(info.schema(), id_only, row).value(), 16).value());
  }
}

TEST(KvWriteEncoderTest, DeleteReadsOnlyTheKey) {
  TableInfo info = MakeInfo(kOrders, 4);
  auto enc = KvWriteEncoder::Make(info, {}).value();
  GenericRow key_only(4);
  key_only.SetField(0, Datum(int64_t{9}));
  key_only.SetField(1, Datum(std::string("us")));  // amount is NOT NULL, but a delete does not read it
  auto w = enc.EncodeDelete(key_only);
  ASSERT_OK(w);
  EXPECT_FALSE(w->row.has_value());
  EXPECT_EQ(w->key, enc.EncodeUpsert(Order(9, "us", "n", 1)).value().key);
  EXPECT_EQ(w->bucket, enc.EncodeUpsert(Order(9, "us", "n", 1)).value().bucket);
}

TEST(KvWriteEncoderTest, BadRowsAreRefusedNamingTheColumn) {
  TableInfo info = MakeInfo(kOrders, 4);
  auto enc = KvWriteEncoder::Make(info, {}).value();
  GenericRow null_key = Order(1, "eu", "a", 1);
  null_key.SetNull(1);
  auto st = enc.EncodeUpsert(null_key).status();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("primary-key column 'region'"), std::string::npos) << st.message();
  EXPECT_FALSE(enc.EncodeDelete(null_key).ok());

  GenericRow null_amount = Order(1, "eu", "a", 1);
  null_amount.SetNull(3);
  st = enc.EncodeUpsert(null_amount).status();
  EXPECT_NE(st.message().find("'amount'"), std::string::npos) << st.message();

  GenericRow wrong_type({Datum(int32_t{1}), Datum(std::string("eu")), Datum(std::string("a")), Datum(1.0)});
  st = enc.EncodeUpsert(wrong_type).status();
  EXPECT_NE(st.message().find("'id'"), std::string::npos) << st.message();

  st = enc.EncodeUpsert(GenericRow({Datum(int64_t{1}), Datum(std::string("eu"))})).status();
  EXPECT_NE(st.message().find("row has 2 fields"), std::string::npos) << st.message();
}

TEST(KvWriteEncoderTest, PartialUpdateSendsNullOutsideTheTargetColumns) {
  TableInfo info = MakeInfo("id BIGINT, a STRING, b INT, c DOUBLE, PRIMARY KEY (id)", 4);
  auto enc = KvWriteEncoder::Make(info, {"c", "id"});
  ASSERT_OK(enc);
  EXPECT_EQ(enc->target_columns(), (std::vector<int32_t>{0, 3}));  // schema order
  // Values outside the target are not read: not even checked against their type.
  GenericRow row({Datum(int64_t{3}), Datum(std::string("ignored")), Datum(std::string("wrong type")), Datum(7.5)});
  auto w = enc->EncodeUpsert(row);
  ASSERT_OK(w);
  GenericRow sent = DecodeCompactedRow(info.schema(), *w->row).value();
  EXPECT_EQ(sent, GenericRow({Datum(int64_t{3}), Datum(), Datum(), Datum(7.5)}));
}

TEST(KvWriteEncoderTest, PartialUpdateTargetsAreChecked) {
  TableInfo info = MakeInfo("id BIGINT, k2 INT, a STRING, b INT NOT NULL, PRIMARY KEY (id, k2)", 4);
  auto unknown = KvWriteEncoder::Make(info, {"id", "k2", "nope", "b"});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(unknown.status().message().find("no column 'nope'"), std::string::npos) << unknown.status().message();

  auto no_key = KvWriteEncoder::Make(info, {"id", "a", "b"});
  EXPECT_EQ(no_key.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(no_key.status().message().find("'k2' is missing"), std::string::npos) << no_key.status().message();

  auto twice = KvWriteEncoder::Make(info, {"id", "k2", "b", "b"});
  EXPECT_EQ(twice.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(twice.status().message().find("'b' is named twice"), std::string::npos);

  auto not_null_left_out = KvWriteEncoder::Make(info, {"id", "k2", "a"});
  EXPECT_EQ(not_null_left_out.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(not_null_left_out.status().message().find("'b', which is NOT NULL"), std::string::npos)
      << not_null_left_out.status().message();

  EXPECT_OK(KvWriteEncoder::Make(info, {"k2", "id", "b"}));
}

TEST(KvWriteEncoderTest, LogTableIsNotAPrimaryKeyTable) {
  TableInfo info = MakeInfo("id BIGINT, a STRING", 2);
  auto enc = KvWriteEncoder::Make(info, {});
  EXPECT_EQ(enc.status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_NE(enc.status().message().find("'db.t' has no primary key"), std::string::npos) << enc.status().message();
  EXPECT_EQ(LookupKeyEncoder::ForPrimaryKey(info).status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_EQ(LookupKeyEncoder::ForPrefix(info, {"id"}).status().code(), ErrorCode::kNonPrimaryKeyTable);
}

TEST(LookupKeyEncoderTest, KeyAndBucketEqualTheWritersForTheSameRow) {
  for (auto bucket_keys : {std::vector<std::string>{}, std::vector<std::string>{"region"}}) {
    TableInfo info = MakeInfo(kOrders, 7, bucket_keys);
    auto writer = KvWriteEncoder::Make(info, {}).value();
    auto lookup = LookupKeyEncoder::ForPrimaryKey(info).value();
    EXPECT_EQ(lookup.column_names(), (std::vector<std::string>{"id", "region"}));
    for (int64_t id = 0; id < 40; ++id) {
      const std::string region = fmt::format("r{}", id % 5);
      auto w = writer.EncodeUpsert(Order(id, region, "n", 1)).value();
      auto k = lookup.Encode(GenericRow({Datum(id), Datum(region)}));
      ASSERT_OK(k);
      EXPECT_EQ(k->key, w.key);
      EXPECT_EQ(k->bucket, w.bucket) << "id " << id;
    }
  }
}

// A partitioned table's stored key is the primary key without the partition keys (upstream's
// physical primary key: each partition has its own KV state); lookups take the whole primary key
// and encode the same bytes, and the default bucket key is that physical key.
TEST(LookupKeyEncoderTest, PartitionedTableKeysLeaveThePartitionKeysOut) {
  TableInfo info = MakeInfo("id BIGINT, dt STRING, seq INT, v STRING, PRIMARY KEY (id, dt, seq)", 3);
  info.descriptor.PartitionedBy({"dt"});
  auto writer = KvWriteEncoder::Make(info, {}).value();
  auto lookup = LookupKeyEncoder::ForPrimaryKey(info).value();
  EXPECT_EQ(lookup.column_names(), (std::vector<std::string>{"id", "dt", "seq"}));
  Schema physical = ParseSchema("id BIGINT, seq INT").value();
  for (int64_t id = 0; id < 30; ++id) {
    GenericRow row({Datum(id), Datum(std::string("2026-12-07")), Datum(int32_t(id % 3)), Datum(std::string("x"))});
    auto w = writer.EncodeUpsert(row).value();
    auto expected = EncodeCompactedKey(physical, std::vector<size_t>{0, 1},
                                       GenericRow({Datum(id), Datum(int32_t(id % 3))}));
    ASSERT_OK(expected);
    EXPECT_EQ(w.key, *expected);
    EXPECT_EQ(w.bucket, BucketForKey(*expected, 3).value());
    auto k = lookup.Encode(GenericRow({Datum(id), Datum(std::string("2026-12-07")), Datum(int32_t(id % 3))}));
    ASSERT_OK(k);
    EXPECT_EQ(k->key, w.key);
    EXPECT_EQ(k->bucket, w.bucket);
    EXPECT_EQ(writer.EncodeDelete(row).value().key, w.key);
  }
  // Prefix lookups: the bucket key must be a proper prefix of the physical key.
  TableInfo by_id = MakeInfo("id BIGINT, dt STRING, seq INT, v STRING, PRIMARY KEY (id, dt, seq)", 3, {"id"});
  by_id.descriptor.PartitionedBy({"dt"});
  auto prefix = LookupKeyEncoder::ForPrefix(by_id, {"id"});
  ASSERT_OK(prefix);
  auto w = KvWriteEncoder::Make(by_id, {}).value().EncodeUpsert(
      GenericRow({Datum(int64_t{9}), Datum(std::string("d")), Datum(int32_t{1}), Datum()})).value();
  auto p = prefix->Encode(GenericRow({Datum(int64_t{9})})).value();
  EXPECT_EQ(p.bucket, w.bucket);
  EXPECT_TRUE(std::equal(p.key.begin(), p.key.end(), w.key.begin()));
}

TEST(LookupKeyEncoderTest, BadKeysAreRefused) {
  TableInfo info = MakeInfo(kOrders, 4);
  auto lookup = LookupKeyEncoder::ForPrimaryKey(info).value();
  auto st = lookup.Encode(GenericRow({Datum(int64_t{1})})).status();
  EXPECT_NE(st.message().find("takes 2 (id, region)"), std::string::npos) << st.message();
  st = lookup.Encode(GenericRow({Datum(int64_t{1}), Datum()})).status();
  EXPECT_NE(st.message().find("'region' of 'db.t' is NULL"), std::string::npos) << st.message();
  st = lookup.Encode(GenericRow({Datum(std::string("1")), Datum(std::string("eu"))})).status();
  EXPECT_NE(st.message().find("'id'"), std::string::npos) << st.message();
}

TEST(LookupKeyEncoderTest, PrefixIsTheBucketKeyAndABytePrefixOfTheKey) {
  TableInfo info = MakeInfo(kOrders, 5, {"id"});
  auto prefix = LookupKeyEncoder::ForPrefix(info, {"id"});
  ASSERT_OK(prefix);
  auto writer = KvWriteEncoder::Make(info, {}).value();
  auto w = writer.EncodeUpsert(Order(123456, "eu", "n", 1)).value();
  auto p = prefix->Encode(GenericRow({Datum(int64_t{123456})})).value();
  EXPECT_EQ(p.bucket, w.bucket);
  ASSERT_LT(p.key.size(), w.key.size());
  EXPECT_TRUE(std::equal(p.key.begin(), p.key.end(), w.key.begin()));
}

TEST(LookupKeyEncoderTest, PrefixLookupNeedsTheBucketKeyAsAProperPrefix) {
  // Bucket key = the whole primary key (the default): no proper prefix.
  auto whole = LookupKeyEncoder::ForPrefix(MakeInfo(kOrders, 4), {"id"});
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.status().message().find("proper prefix of the primary key"), std::string::npos)
      << whole.status().message();
  EXPECT_NE(whole.status().message().find("bucket key (id, region)"), std::string::npos) << whole.status().message();
  // Bucket key not at the front of the primary key.
  EXPECT_FALSE(LookupKeyEncoder::ForPrefix(MakeInfo(kOrders, 4, {"region"}), {"region"}).ok());
  // Lookup columns other than the bucket key.
  auto other = LookupKeyEncoder::ForPrefix(MakeInfo(kOrders, 4, {"id"}), {"name"});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("take its bucket key (id), in that order; got (name)"), std::string::npos)
      << other.status().message();
}

TEST(KvValueDecoderTest, OlderSchemasAreMatchedByColumnId) {
  Schema v1 = ParseSchema("id BIGINT, name STRING, PRIMARY KEY (id)").value();
  Schema v2 = v1.AddColumn("score", DataType::Double()).value();
  int fetched = 0;
  KvValueDecoder decoder(v2, 2, [&](int32_t id) -> Result<Schema> {
    ++fetched;
    if (id == 1) return v1;
    return Status(ErrorCode::kSchemaNotExist, "no schema");
  });
  GenericRow old_row({Datum(int64_t{1}), Datum(std::string("a"))});
  auto old_value = EncodeKvValue(1, v1, old_row).value();
  for (int i = 0; i < 3; ++i) {
    auto row = decoder.Decode(old_value);
    ASSERT_OK(row);
    EXPECT_EQ(*row, GenericRow({Datum(int64_t{1}), Datum(std::string("a")), Datum()}));
  }
  EXPECT_EQ(fetched, 1);  // cached
  GenericRow new_row({Datum(int64_t{2}), Datum(std::string("b")), Datum(0.5)});
  EXPECT_EQ(decoder.Decode(EncodeKvValue(2, v2, new_row).value()).value(), new_row);
  EXPECT_EQ(fetched, 1);  // the table's own schema needs no fetch
  EXPECT_EQ(decoder.Decode(EncodeKvValue(9, v2, new_row).value()).status().code(), ErrorCode::kSchemaNotExist);
}

}  // namespace
}  // namespace fluss
