#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "format/log_record_batch.h"
#include "format/value_encoding.h"
#include "kv/kv_tablet.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

std::shared_ptr<KvResources> SmallResources() {
  KvOptions o;
  o.shared_write_buffer_bytes = 8 << 20;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 1 << 20;
  return KvResources::Create(o);
}

Schema TestSchema() {
  return Schema::Make({{"id", DataType::Int()}, {"name", DataType::String()}, {"score", DataType::BigInt()}}, {"id"})
      .value();
}

GenericRow Row(int32_t id, std::optional<std::string> name, std::optional<int64_t> score) {
  GenericRow r(3);
  r.SetField(0, id);
  if (name) r.SetField(1, *name);
  if (score) r.SetField(2, *score);
  return r;
}

std::vector<uint8_t> KeyOf(const Schema& s, int32_t id) {
  GenericRow r(s.num_columns());
  r.SetField(0, id);
  return EncodeCompactedKey(s, s.primary_key_indexes(), r).value();
}

// One write of a batch: an upsert (row) or a delete (nullopt) of `id`.
struct Op {
  int32_t id;
  std::optional<GenericRow> row;
};

KvRecordBatch Batch(const Schema& s, const std::vector<Op>& ops, int64_t writer_id = -1, int32_t seq = -1) {
  KvRecordBatchBuilderOptions o;
  o.schema_id = 1;
  KvRecordBatchBuilder b(o);
  if (writer_id >= 0) b.SetWriterState(writer_id, seq);
  for (const auto& op : ops) {
    auto key = KeyOf(s, op.id);
    if (op.row) {
      auto row = EncodeCompactedRow(s, *op.row).value();
      EXPECT_OK(b.AppendUpsert(key, row));
    } else {
      EXPECT_OK(b.AppendDelete(key));
    }
  }
  return KvRecordBatch::Parse(b.Build().value()).value();
}

struct Change {
  std::string type;
  GenericRow row;
  bool operator==(const Change&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Change& c) {
  os << c.type << "(";
  const Schema s = TestSchema();
  for (size_t i = 0; i < c.row.arity() && i < s.num_columns(); ++i) {
    os << (i ? "," : "") << DatumToString(c.row.field(i), s.column(i).type);
  }
  return os << ")";
}

std::vector<Change> Changelog(const LogTablet& log, const Schema& s, int64_t from = 0) {
  std::vector<Change> out;
  int64_t offset = from;
  while (offset < log.log_end_offset()) {
    auto data = log.Read(offset, 1 << 20);
    EXPECT_OK(data);
    if (!data.ok()) return out;
    auto bytes = data->ReadRecords();
    EXPECT_OK(bytes);
    if (!bytes.ok()) return out;
    auto batches = ParseLogRecordBatches(*bytes);
    EXPECT_OK(batches);
    if (!batches.ok()) return out;
    for (const auto& b : *batches) {
      auto records = b.ReadRecords(s);
      EXPECT_OK(records);
      if (!records.ok()) return out;
      for (const auto& r : *records) {
        out.push_back({std::string(ChangeTypeShortString(r.change_type)), r.row});
      }
      offset = b.next_offset();
    }
  }
  return out;
}

class KvTabletTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(std::map<std::string, std::string> props = {}, int32_t buckets = 1) {
    tablet_.reset();
    log_.reset();
    props_ = props;
    log_ = std::shared_ptr<LogTablet>(LogTablet::Open(dir_.Sub("log"), LogConfig{}).value().release());
    KvTabletOptions o;
    o.bucket_count = buckets;
    o.properties = props;
    auto t = KvTablet::Open(dir_.Sub("kv"), log_, {{1, schema_}}, o, resources_);
    ASSERT_OK(t);
    tablet_ = std::move(*t);
  }

  std::optional<GenericRow> Get(int32_t id) {
    auto k = KeyOf(schema_, id);
    auto v = tablet_->Lookup({std::string(k.begin(), k.end())}).value()[0];
    if (!v) return std::nullopt;
    return DecodeKvValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v->data()), v->size()), schema_)
        .value();
  }

  testing::TempDir dir_;
  Schema schema_ = TestSchema();
  std::shared_ptr<KvResources> resources_ = SmallResources();
  std::map<std::string, std::string> props_;
  std::shared_ptr<LogTablet> log_;
  std::unique_ptr<KvTablet> tablet_;
};

TEST_F(KvTabletTest, UpsertsAndDeletesEmitInsertUpdatePairsAndDeletes) {
  auto r = tablet_->Put(Batch(schema_, {{1, Row(1, "a", 10)}, {2, Row(2, "b", 20)}}), {});
  ASSERT_OK(r);
  EXPECT_EQ(r->changes, 2);
  EXPECT_EQ(r->log_end_offset, 2);
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a2", 11)}, {2, std::nullopt}, {3, std::nullopt}}), {}));
  EXPECT_EQ(Changelog(*log_, schema_),
            (std::vector<Change>{{"+I", Row(1, "a", 10)},
                                 {"+I", Row(2, "b", 20)},
                                 {"-U", Row(1, "a", 10)},
                                 {"+U", Row(1, "a2", 11)},
                                 {"-D", Row(2, "b", 20)}}));
  EXPECT_EQ(Get(1), Row(1, "a2", 11));
  EXPECT_FALSE(Get(2).has_value());
  EXPECT_EQ(tablet_->AppliedOffset().value(), log_->log_end_offset());
}

TEST_F(KvTabletTest, ANoOpWriteEmitsNothingButStillTakesAnOffset) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 10)}}), {}));
  auto r = tablet_->Put(Batch(schema_, {{1, Row(1, "a", 10)}, {9, std::nullopt}}), {});
  ASSERT_OK(r);
  EXPECT_EQ(r->changes, 0);
  EXPECT_EQ(r->log_end_offset, 2);  // the empty batch advances the writer's sequence
  EXPECT_EQ(Changelog(*log_, schema_).size(), 1u);
}

TEST_F(KvTabletTest, SeveralWritesOfOneKeyInOneBatchChainInOrder) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}, {1, Row(1, "b", 2)}, {1, std::nullopt}, {1, Row(1, "c", 3)}}), {}));
  EXPECT_EQ(Changelog(*log_, schema_),
            (std::vector<Change>{{"+I", Row(1, "a", 1)},
                                 {"-U", Row(1, "a", 1)},
                                 {"+U", Row(1, "b", 2)},
                                 {"-D", Row(1, "b", 2)},
                                 {"+I", Row(1, "c", 3)}}));
  EXPECT_EQ(Get(1), Row(1, "c", 3));
}

TEST_F(KvTabletTest, WalImageEmitsOnlyAfterImages) {
  Open({{"table.changelog.image", "wal"}});
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}}), {}));
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "b", 2)}, {1, std::nullopt}}), {}));
  EXPECT_EQ(Changelog(*log_, schema_),
            (std::vector<Change>{{"+I", Row(1, "a", 1)}, {"+U", Row(1, "b", 2)}, {"-D", Row(1, "b", 2)}}));
}

TEST_F(KvTabletTest, PartialUpdateKeepsTheColumnsItDoesNotName) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 10)}}), {}));
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, std::nullopt, 99)}}), {0, 2}));
  EXPECT_EQ(Get(1), Row(1, "a", 99));
  EXPECT_EQ(Changelog(*log_, schema_, 1), (std::vector<Change>{{"-U", Row(1, "a", 10)}, {"+U", Row(1, "a", 99)}}));
  // A partial update must name every key column, and only columns that exist.
  auto no_key = tablet_->Put(Batch(schema_, {{1, Row(1, std::nullopt, 5)}}), {2});
  EXPECT_EQ(no_key.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(no_key.status().message().find("'id'"), std::string::npos) << no_key.status().message();
  auto missing = tablet_->Put(Batch(schema_, {{1, Row(1, std::nullopt, 5)}}), {0, 7});
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_EQ(Get(1), Row(1, "a", 99));
}

TEST_F(KvTabletTest, FirstRowKeepsTheFirstAndEmitsOnlyInserts) {
  Open({{"table.merge-engine", "first_row"}});
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "first", 1)}, {1, Row(1, "second", 2)}, {1, std::nullopt}}), {}));
  EXPECT_EQ(Changelog(*log_, schema_), (std::vector<Change>{{"+I", Row(1, "first", 1)}}));
  EXPECT_EQ(Get(1), Row(1, "first", 1));
}

TEST_F(KvTabletTest, VersionedKeepsTheLargerVersionAndRefusesANullOne) {
  Open({{"table.merge-engine", "versioned"}, {"table.merge-engine.versioned.ver-column", "score"}});
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "v5", 5)}, {1, Row(1, "v3", 3)}, {1, Row(1, "v7", 7)}}), {}));
  EXPECT_EQ(Changelog(*log_, schema_), (std::vector<Change>{{"+I", Row(1, "v5", 5)},
                                                            {"-U", Row(1, "v5", 5)},
                                                            {"+U", Row(1, "v7", 7)}}));
  const int64_t end = log_->log_end_offset();
  auto bad = tablet_->Put(Batch(schema_, {{2, Row(2, "ok", 1)}, {1, Row(1, "null version", std::nullopt)}}), {});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("score"), std::string::npos) << bad.status().message();
  EXPECT_EQ(log_->log_end_offset(), end);  // nothing of the batch was written
  EXPECT_FALSE(Get(2).has_value());
}

TEST_F(KvTabletTest, AggregationSumsAndDeletesAreIgnoredByDefault) {
  Open({{"table.merge-engine", "aggregation"}, {"fields.score.agg", "sum"}});
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "x", 1)}, {1, Row(1, "y", 2)}, {1, std::nullopt}}), {}));
  EXPECT_EQ(Get(1), Row(1, "y", 3));
  // name: last_value_ignore_nulls (the default function), score: sum; the delete is ignored.
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, std::nullopt, 4)}}), {}));
  EXPECT_EQ(Changelog(*log_, schema_), (std::vector<Change>{{"+I", Row(1, "x", 1)},
                                                            {"-U", Row(1, "x", 1)},
                                                            {"+U", Row(1, "y", 3)},
                                                            {"-U", Row(1, "y", 3)},
                                                            {"+U", Row(1, "y", 7)}}));
}

TEST_F(KvTabletTest, DisabledDeletesRefuseTheBatch) {
  Open({{"table.delete.behavior", "disable"}});
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}}), {}));
  auto r = tablet_->Put(Batch(schema_, {{2, Row(2, "b", 1)}, {1, std::nullopt}}), {});
  EXPECT_EQ(r.status().code(), ErrorCode::kDeletionDisabled);
  EXPECT_FALSE(Get(2).has_value());
  EXPECT_TRUE(Get(1).has_value());
}

TEST_F(KvTabletTest, BadRecordsRefuseTheWholeBatch) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}}), {}));
  const int64_t end = log_->log_end_offset();
  // Key bytes that are not the row's key.
  {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    ASSERT_OK(b.AppendUpsert(KeyOf(schema_, 2), EncodeCompactedRow(schema_, Row(2, "b", 2)).value()));
    ASSERT_OK(b.AppendUpsert(KeyOf(schema_, 3), EncodeCompactedRow(schema_, Row(4, "d", 4)).value()));
    auto r = tablet_->Put(KvRecordBatch::Parse(b.Build().value()).value(), {});
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
    EXPECT_NE(r.status().message().find("record 1"), std::string::npos) << r.status().message();
  }
  // A NULL key column (the row encoder lets it through; the tablet must not).
  {
    Schema nullable = Schema::Make({{"id", DataType::Int()}, {"name", DataType::String()}, {"score", DataType::BigInt()}})
                          .value();
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    ASSERT_OK(b.AppendUpsert(KeyOf(schema_, 5), EncodeCompactedRow(nullable, Row(5, "e", 5)).value()));
    GenericRow null_key(3);
    null_key.SetField(1, std::string("x"));
    ASSERT_OK(b.AppendUpsert(KeyOf(schema_, 6), EncodeCompactedRow(nullable, null_key).value()));
    auto r = tablet_->Put(KvRecordBatch::Parse(b.Build().value()).value(), {});
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("record 1"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("NOT NULL column 'id'"), std::string::npos) << r.status().message();
  }
  // A schema the table does not have.
  {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 9;
    KvRecordBatchBuilder b(o);
    ASSERT_OK(b.AppendUpsert(KeyOf(schema_, 7), EncodeCompactedRow(schema_, Row(7, "g", 7)).value()));
    EXPECT_EQ(tablet_->Put(KvRecordBatch::Parse(b.Build().value()).value(), {}).status().code(),
              ErrorCode::kSchemaNotExist);
  }
  EXPECT_EQ(log_->log_end_offset(), end);
  for (int id : {2, 3, 4, 5, 6, 7}) EXPECT_FALSE(Get(id).has_value()) << id;
}

TEST_F(KvTabletTest, KeysOfAnotherBucketAreRefused) {
  Open({}, 4);
  int32_t foreign = 1;
  while (BucketForKey(KeyOf(schema_, foreign), 4).value() == 0) ++foreign;
  auto r = tablet_->Put(Batch(schema_, {{foreign, Row(foreign, "x", 1)}}), {});
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptRecord);
  EXPECT_NE(r.status().message().find("belongs to bucket"), std::string::npos) << r.status().message();
}

TEST_F(KvTabletTest, ARetriedBatchIsADuplicateAndChangesNothing) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}}, 7, 0), {}));
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "b", 2)}}, 7, 1), {}));
  auto retry = tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}}, 7, 0), {});
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(Get(1), Row(1, "b", 2));
  auto gap = tablet_->Put(Batch(schema_, {{1, Row(1, "c", 3)}}, 7, 5), {});
  EXPECT_EQ(gap.status().code(), ErrorCode::kOutOfOrderSequence);
  EXPECT_EQ(Get(1), Row(1, "b", 2));
}

TEST_F(KvTabletTest, LostStateIsRebuiltFromTheChangelog) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(tablet_->Put(Batch(schema_, {{i % 7, Row(i % 7, "v" + std::to_string(i), i)}, {(i + 3) % 7, std::nullopt}}), {}));
  }
  std::map<int, std::optional<GenericRow>> expected;
  for (int id = 0; id < 7; ++id) expected[id] = Get(id);
  tablet_.reset();
  // The RocksDB files are gone (as if it had never flushed): everything comes back from the log.
  std::filesystem::remove_all(dir_.Sub("kv"));
  Open();
  for (int id = 0; id < 7; ++id) EXPECT_EQ(Get(id), expected[id]) << id;
  EXPECT_EQ(tablet_->AppliedOffset().value(), log_->log_end_offset());
}

TEST_F(KvTabletTest, StateAheadOfTheLogIsRebuilt) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}}), {}));
  ASSERT_OK(tablet_->Put(Batch(schema_, {{2, Row(2, "b", 2)}}), {}));
  ASSERT_OK(tablet_->Flush());
  tablet_.reset();
  ASSERT_OK(log_->TruncateTo(1));  // the log lost its tail; the KV state had it
  KvTabletOptions o;
  tablet_ = KvTablet::Open(dir_.Sub("kv"), log_, {{1, schema_}}, o, resources_).value();
  EXPECT_EQ(Get(1), Row(1, "a", 1));
  EXPECT_FALSE(Get(2).has_value());
  EXPECT_EQ(tablet_->AppliedOffset().value(), 1);
}

TEST_F(KvTabletTest, ASnapshotCarriesTheOffsetItReflects) {
  ASSERT_OK(tablet_->Put(Batch(schema_, {{1, Row(1, "a", 1)}, {2, Row(2, "b", 2)}}), {}));
  auto snap = tablet_->TakeSnapshot().value();
  ASSERT_OK(tablet_->Put(Batch(schema_, {{3, Row(3, "c", 3)}}), {}));
  EXPECT_EQ(snap->applied_offset(), 2);
  int rows = 0;
  ASSERT_OK(snap->Scan([&](std::string_view, std::string_view) {
                    ++rows;
                    return true;
                  }));
  EXPECT_EQ(rows, 2);
  // What follows the snapshot's offset in the changelog is exactly the later write.
  EXPECT_EQ(Changelog(*log_, schema_, snap->applied_offset()), (std::vector<Change>{{"+I", Row(3, "c", 3)}}));
}

TEST_F(KvTabletTest, PrefixLookupFindsEveryKeyWithTheBucketKeyPrefix) {
  Schema s = Schema::Make({{"tenant", DataType::Int()}, {"id", DataType::Int()}, {"v", DataType::String()}},
                          {"tenant", "id"})
                 .value();
  KvTabletOptions o;
  o.bucket_keys = {"tenant"};
  auto log = std::shared_ptr<LogTablet>(LogTablet::Open(dir_.Sub("log2"), LogConfig{}).value().release());
  auto t = KvTablet::Open(dir_.Sub("kv2"), log, {{1, s}}, o, resources_).value();
  KvRecordBatchBuilderOptions bo;
  bo.schema_id = 1;
  KvRecordBatchBuilder b(bo);
  for (int tenant : {1, 2}) {
    for (int id = 0; id < 3; ++id) {
      GenericRow r(3);
      r.SetField(0, tenant);
      r.SetField(1, id);
      r.SetField(2, std::string("t") + std::to_string(tenant));
      ASSERT_OK(b.AppendUpsert(EncodeCompactedKey(s, s.primary_key_indexes(), r).value(),
                                 EncodeCompactedRow(s, r).value()));
    }
  }
  ASSERT_OK(t->Put(KvRecordBatch::Parse(b.Build().value()).value(), {}));
  GenericRow prefix(1);
  prefix.SetField(0, 2);
  std::vector<DataType> types{DataType::Int()};
  auto p = EncodeCompactedKey(types, prefix).value();
  auto values = t->PrefixLookup(std::string(p.begin(), p.end())).value();
  ASSERT_EQ(values.size(), 3u);
  for (const auto& v : values) {
    auto row = DecodeKvValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size()), s).value();
    EXPECT_EQ(row.GetInt(0), 2);
  }
}

TEST_F(KvTabletTest, ReadsSeeEveryWriteWhileTheBufferDrainsIntoRocksDb) {
  // Each round writes version r of 200 keys. A write is visible as soon as Put returns (from the
  // pre-write buffer or RocksDB), and a reader running alongside never sees a key go back in time.
  std::atomic<bool> stop{false};
  std::atomic<int> regressions{0};
  std::thread reader([&] {
    std::map<int, int64_t> seen;
    while (!stop.load()) {
      for (int id = 0; id < 200; id += 7) {
        auto row = Get(id);
        if (!row) continue;
        const int64_t v = row->GetBigInt(2);
        if (v < seen[id]) ++regressions;
        seen[id] = v;
      }
    }
  });
  for (int64_t round = 1; round <= 60; ++round) {
    std::vector<Op> ops;
    for (int id = 0; id < 200; ++id) ops.push_back({id, Row(id, "r", round)});
    ASSERT_OK(tablet_->Put(Batch(schema_, ops), {}));
    ASSERT_EQ(Get(round % 200)->GetBigInt(2), round);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(regressions.load(), 0);
  // Prefix lookups and snapshots wait for the buffer: they see the last round too.
  auto snap = tablet_->TakeSnapshot().value();
  EXPECT_EQ(snap->applied_offset(), log_->log_end_offset());
  int rows = 0;
  ASSERT_OK(snap->Scan([&](std::string_view, std::string_view v) {
                    auto row = DecodeKvValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()),
                                                                      v.size()),
                                             schema_)
                                   .value();
                    EXPECT_EQ(row.GetBigInt(2), 60);
                    ++rows;
                    return true;
                  }));
  EXPECT_EQ(rows, 200);
}

TEST_F(KvTabletTest, GarbageRecordsWithValidChecksumsAreRefusedWithoutWriting) {
  // Batches whose CRC is right but whose keys and rows are random bytes (or valid rows cut short or
  // with a flipped byte) reach the row decoder: every one must be an error, nothing written, and
  // never a crash (this also runs under ASan/UBSan).
  std::mt19937 rng(1130);
  const auto good = EncodeCompactedRow(schema_, Row(1, "payload", 5)).value();
  const auto key = KeyOf(schema_, 1);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    std::vector<uint8_t> k = key;
    std::vector<uint8_t> row = good;
    switch (round % 3) {
      case 0:  // random bytes
        row.resize(rng() % 40 + 1);
        for (auto& c : row) c = static_cast<uint8_t>(rng());
        k.resize(rng() % 6 + 1);
        for (auto& c : k) c = static_cast<uint8_t>(rng());
        break;
      case 1:  // a valid row cut short
        row.resize(1 + rng() % (good.size() - 1));
        break;
      default:  // one flipped byte
        row[rng() % row.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        break;
    }
    ASSERT_OK(b.AppendUpsert(k, row));
    const int64_t end = log_->log_end_offset();
    auto r = tablet_->Put(KvRecordBatch::Parse(b.Build().value()).value(), {});
    if (r.ok()) {
      ++accepted;  // a flip that still decodes to a valid row of key 1 (e.g. inside the string)
      EXPECT_EQ(k, key);
    } else {
      EXPECT_EQ(log_->log_end_offset(), end) << r.status().ToString();
    }
  }
  // Whatever was accepted is a well-formed row of key 1; nothing else got in.
  for (int id : {0, 2, 3}) EXPECT_FALSE(Get(id).has_value());
  std::cerr << accepted << " of 3000 mutated batches decoded to valid rows\n";
}

}  // namespace
}  // namespace fluss
