// UpsertWriter against a scripted server: the PutKv requests it sends (version, target columns, one
// KvRecordBatch per bucket with the writer id and gapless sequences, the records in write order),
// retries with the same sequence, and rows refused before anything is queued.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "client/kv_encoding.h"
#include "fake_tablet_server.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "support/eventually.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeTabletServer;

TableDescriptor PkTable(const std::string& dsl, int buckets) {
  TableDescriptor d(ParseSchema(dsl).value());
  d.DistributedBy(buckets);
  return d;
}

const char* kSchema = "id BIGINT, name STRING, qty INT, PRIMARY KEY (id)";

// Answers PutKv with success for every bucket, changelog end offset = 100 + bucket.
std::string AckAll(const rpc::RpcRequest& req) {
  proto::PutKvRequest put;
  EXPECT_TRUE(put.ParseFromString(req.body));
  proto::PutKvResponse resp;
  for (const auto& b : put.buckets_req()) {
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(b.bucket_id());
    r->set_log_end_offset(100 + b.bucket_id());
  }
  return resp.SerializeAsString();
}

std::string KeyString(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

struct SentBatch {
  int32_t bucket;
  int64_t writer_id;
  int32_t sequence;
  int16_t schema_id;
  std::vector<std::pair<std::string, std::optional<std::string>>> records;  // key, row
};

std::vector<SentBatch> SentBatches(const FakeTabletServer& server, std::vector<int32_t>* target_columns = nullptr) {
  std::vector<SentBatch> out;
  for (const auto& req : server.Requests(rpc::ApiKey::kPutKv)) {
    EXPECT_EQ(req.api_version, 1);
    proto::PutKvRequest put;
    EXPECT_TRUE(put.ParseFromString(req.body));
    EXPECT_EQ(put.table_id(), FakeTabletServer::kTableId);
    if (target_columns) target_columns->assign(put.target_columns().begin(), put.target_columns().end());
    for (const auto& b : put.buckets_req()) {
      auto batch = KvRecordBatch::Parse(Buffer::Copy(b.records()));
      EXPECT_OK(batch);
      if (!batch.ok()) continue;
      SentBatch s{b.bucket_id(), batch->writer_id(), batch->batch_sequence(), batch->schema_id(), {}};
      for (const auto& r : *batch) {
        std::string key(r.key.begin(), r.key.end());
        std::optional<std::string> row;
        if (r.row) row = std::string(r.row->begin(), r.row->end());
        s.records.emplace_back(std::move(key), std::move(row));
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

GenericRow Row(int64_t id, std::string name, int32_t qty) {
  return GenericRow({Datum(id), Datum(std::move(name)), Datum(qty)});
}

class UpsertWriterTest : public ::testing::Test {
 protected:
  void Connect(FakeTabletServer& server, Configuration config) {
    auto conn = Connection::Create(config);
    ASSERT_OK(conn);
    conn_ = *conn;
    auto table = conn_->GetTable(server.path());
    ASSERT_OK(table);
    table_ = std::make_unique<Table>(std::move(table).value());
  }
  std::shared_ptr<Connection> conn_;
  std::unique_ptr<Table> table_;
};

TEST_F(UpsertWriterTest, BatchesPerBucketInWriteOrderWithGaplessSequences) {
  FakeTabletServer server("orders", PkTable(kSchema, 3), /*schema_id=*/4);
  server.On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest& req) -> Result<std::string> { return AckAll(req); });
  Configuration config = server.ClientConfig();
  config.writer_batch_size = 512;  // several batches per bucket
  Connect(server, config);
  auto writer = table_->NewUpsertWriter();
  ASSERT_OK(writer);
  auto encoder = KvWriteEncoder::Make(table_->info(), {}).value();
  std::map<int32_t, std::vector<std::pair<std::string, std::optional<std::string>>>> expected;
  std::vector<WriteResult> results;
  for (int i = 0; i < 300; ++i) {
    const int64_t id = i % 40;  // the same keys again and again: order matters
    if (i % 7 == 3) {
      GenericRow key_only(3);
      key_only.SetField(0, Datum(id));
      auto r = (*writer)->Delete(key_only);
      ASSERT_OK(r);
      results.push_back(*r);
      auto w = encoder.EncodeDelete(key_only).value();
      expected[w.bucket].emplace_back(std::string(w.key.begin(), w.key.end()), std::nullopt);
    } else {
      GenericRow row = Row(id, fmt::format("n{}", i), i);
      auto r = (*writer)->Upsert(row);
      ASSERT_OK(r);
      results.push_back(*r);
      auto w = encoder.EncodeUpsert(row).value();
      expected[w.bucket].emplace_back(std::string(w.key.begin(), w.key.end()),
                                      std::string(w.row->begin(), w.row->end()));
    }
  }
  ASSERT_OK((*writer)->Flush());
  for (const auto& r : results) {
    ASSERT_OK(r.Wait());
    EXPECT_EQ(r.offset(), 100 + r.bucket());  // the bucket's changelog end offset, not per record
  }
  std::vector<int32_t> targets = {99};
  auto sent = SentBatches(server, &targets);
  EXPECT_TRUE(targets.empty());
  std::map<int32_t, std::vector<std::pair<std::string, std::optional<std::string>>>> got;
  std::map<int32_t, int32_t> next_sequence;
  for (const auto& b : sent) {
    EXPECT_EQ(b.writer_id, FakeTabletServer::kWriterId);
    EXPECT_EQ(b.schema_id, 4);
    EXPECT_EQ(b.sequence, next_sequence[b.bucket]++) << "bucket " << b.bucket;
    EXPECT_FALSE(b.records.empty());
    for (const auto& r : b.records) got[b.bucket].push_back(r);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(expected.size(), 3u);
  EXPECT_GT(sent.size(), 3u);
  EXPECT_EQ((*writer)->stats().records_sent, 300);
}

TEST_F(UpsertWriterTest, PartialUpdateSendsTargetColumnsAndNullsElsewhere) {
  FakeTabletServer server("orders", PkTable(kSchema, 2));
  server.On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest& req) -> Result<std::string> { return AckAll(req); });
  Connect(server, server.ClientConfig());
  auto writer = table_->NewUpsertWriter({.columns = {"qty", "id"}});
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->Upsert(Row(1, "not sent", 5)));
  ASSERT_OK((*writer)->Flush());
  std::vector<int32_t> targets;
  auto sent = SentBatches(server, &targets);
  EXPECT_EQ(targets, (std::vector<int32_t>{0, 2}));
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].records.size(), 1u);
  const auto& row_bytes = *sent[0].records[0].second;
  auto row = DecodeCompactedRow(table_->info().schema(),
                                std::span(reinterpret_cast<const uint8_t*>(row_bytes.data()), row_bytes.size()));
  ASSERT_OK(row);
  EXPECT_EQ(*row, GenericRow({Datum(int64_t{1}), Datum(), Datum(int32_t{5})}));
}

TEST_F(UpsertWriterTest, RetriableErrorResendsTheSameSequence) {
  FakeTabletServer server("orders", PkTable(kSchema, 1));
  std::atomic<int> calls{0};
  server.On(rpc::ApiKey::kPutKv, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    if (calls++ == 0) {
      proto::PutKvRequest put;
      put.ParseFromString(req.body);
      proto::PutKvResponse resp;
      auto* r = resp.add_buckets_resp();
      r->set_bucket_id(put.buckets_req(0).bucket_id());
      r->set_error_code(static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower));
      r->set_error_message("moved");
      return resp.SerializeAsString();
    }
    return AckAll(req);
  });
  Connect(server, server.ClientConfig());
  auto writer = table_->NewUpsertWriter().value();
  auto r = writer->Upsert(Row(1, "a", 1)).value();
  ASSERT_OK(writer->Flush());
  EXPECT_OK(r.Wait());
  auto sent = SentBatches(server);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].sequence, 0);
  EXPECT_EQ(sent[1].sequence, 0);
  EXPECT_EQ(sent[0].records, sent[1].records);
  EXPECT_EQ(writer->stats().retries, 1);
}

TEST_F(UpsertWriterTest, RefusedBatchFailsItsRowsAndFlushNamesTheBucket) {
  FakeTabletServer server("orders", PkTable(kSchema, 1));
  server.On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest&) -> Result<std::string> {
    proto::PutKvResponse resp;
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(0);
    r->set_error_code(static_cast<int32_t>(ErrorCode::kInvalidTargetColumn));
    r->set_error_message("record 0: bad");
    return resp.SerializeAsString();
  });
  Connect(server, server.ClientConfig());
  auto writer = table_->NewUpsertWriter().value();
  auto r = writer->Upsert(Row(1, "a", 1)).value();
  Status st = writer->Flush();
  EXPECT_EQ(st.code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_NE(st.message().find("writing to bucket 0 of 'db.orders'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("record 0: bad"), std::string::npos) << st.message();
  EXPECT_EQ(r.Wait().code(), ErrorCode::kInvalidTargetColumn);
  EXPECT_OK(writer->Flush());  // the error was reported once
}

// The server's sequence rule (a known writer's next batch is last + 1; at or below it, a duplicate;
// above, OUT_OF_ORDER_SEQUENCE), refusing every batch that holds the key of `bad_id`. The refusal is
// held back until ten later batches (one row each) were sent behind the refused one, so they are in
// flight when it fails, whatever the speed of the machine.
TEST_F(UpsertWriterTest, RefusedBatchIsReplacedByAnEmptyOneSoLaterBatchesLand) {
  FakeTabletServer server("orders", PkTable(kSchema, 1));
  std::mutex mu;
  std::condition_variable cv;
  bool bad_arrived = false;
  bool release_bad = false;
  std::optional<int32_t> last;
  std::vector<std::string> stored;  // keys, in the order the server took them
  int fillers = 0;
  // Lets the held refusal go when the test ends early (the server's Stop waits for its handler).
  struct Release {
    std::mutex& mu;
    std::condition_variable& cv;
    bool& release;
    ~Release() {
      std::lock_guard<std::mutex> lock(mu);
      release = true;
      cv.notify_all();
    }
  } release_at_exit{mu, cv, release_bad};
  Configuration config = server.ClientConfig();
  config.writer_max_inflight_per_bucket = 16;  // the ten later batches all go out behind the held one
  Connect(server, config);
  auto encoder = KvWriteEncoder::Make(table_->info(), {}).value();
  const auto bad_key = encoder.EncodeUpsert(Row(666, "bad", 0)).value().key;
  server.On(rpc::ApiKey::kPutKv, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    proto::PutKvRequest put;
    EXPECT_TRUE(put.ParseFromString(req.body));
    auto batch = KvRecordBatch::Parse(Buffer::Copy(put.buckets_req(0).records())).value();
    proto::PutKvResponse resp;
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(0);
    bool bad = false;
    for (const auto& rec : batch) bad |= std::equal(rec.key.begin(), rec.key.end(), bad_key.begin(), bad_key.end());
    std::unique_lock<std::mutex> lock(mu);
    if (bad) {
      bad_arrived = true;
      cv.notify_all();
      cv.wait_for(lock, testing::kGenerousWait, [&] { return release_bad; });
      r->set_error_code(static_cast<int32_t>(ErrorCode::kCorruptRecord));
      r->set_error_message("record 0: refused");
      return resp.SerializeAsString();
    }
    const int32_t seq = batch.batch_sequence();
    if (last && seq <= *last) {
      r->set_error_code(static_cast<int32_t>(ErrorCode::kDuplicateSequence));
    } else if (last && seq != *last + 1) {
      r->set_error_code(static_cast<int32_t>(ErrorCode::kOutOfOrderSequence));
      r->set_error_message("out of order");
    } else {
      last = seq;
      if (batch.record_count() == 0) ++fillers;
      for (const auto& rec : batch) stored.emplace_back(rec.key.begin(), rec.key.end());
      r->set_log_end_offset(seq);
    }
    return resp.SerializeAsString();
  });
  auto writer = table_->NewUpsertWriter().value();
  ASSERT_OK(writer->Upsert(Row(1, "first", 1)));
  ASSERT_OK(writer->Flush());
  auto bad = writer->Upsert(Row(666, "bad", 0)).value();
  {
    // The bad row's batch reached the server before any later row is written: none can join it.
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, testing::kGenerousWait, [&] { return bad_arrived; }));
  }
  std::vector<WriteResult> later;
  std::vector<std::string> expected = {KeyString(encoder.EncodeUpsert(Row(1, "first", 1)).value().key)};
  for (int64_t id = 10; id < 20; ++id) {
    const int64_t sent = writer->stats().batches_sent;
    later.push_back(writer->Upsert(Row(id, "later", 1)).value());
    expected.push_back(KeyString(encoder.EncodeUpsert(Row(id, "later", 1)).value().key));
    // One batch each: the next row is written once this one's batch went out.
    ASSERT_TRUE(testing::Eventually([&] { return writer->stats().batches_sent > sent; })) << "row " << id;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release_bad = true;
    cv.notify_all();
  }
  Status st = writer->Flush();
  EXPECT_EQ(st.code(), ErrorCode::kCorruptRecord);
  EXPECT_EQ(bad.Wait().code(), ErrorCode::kCorruptRecord);
  for (const auto& r : later) EXPECT_OK(r.Wait());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(stored, expected);
  EXPECT_EQ(fillers, 1);
  EXPECT_GE(writer->stats().retries, 10);  // every later batch was in flight behind the refused one
}

TEST_F(UpsertWriterTest, BadRowsQueueNothing) {
  FakeTabletServer server("orders", PkTable(kSchema, 2));
  server.On(rpc::ApiKey::kPutKv, [](const rpc::RpcRequest& req) -> Result<std::string> { return AckAll(req); });
  Connect(server, server.ClientConfig());
  auto writer = table_->NewUpsertWriter().value();
  GenericRow null_key = Row(1, "a", 1);
  null_key.SetNull(0);
  EXPECT_FALSE(writer->Upsert(null_key).ok());
  EXPECT_FALSE(writer->Delete(null_key).ok());
  EXPECT_FALSE(writer->Upsert(GenericRow({Datum(int64_t{1})})).ok());
  EXPECT_FALSE(writer->Upsert(GenericRow({Datum(int64_t{1}), Datum(int64_t{2}), Datum(int32_t{3})})).ok());
  ASSERT_OK(writer->Flush());
  EXPECT_TRUE(server.Requests(rpc::ApiKey::kPutKv).empty());
  EXPECT_EQ(writer->stats().batches_sent, 0);
}

TEST_F(UpsertWriterTest, WritersMatchTheKindOfTable) {
  FakeTabletServer pk("orders", PkTable(kSchema, 1));
  Connect(pk, pk.ClientConfig());
  auto append = table_->NewAppendWriter();
  EXPECT_EQ(append.status().code(), ErrorCode::kInvalidTable);
  EXPECT_NE(append.status().message().find("NewUpsertWriter"), std::string::npos) << append.status().message();
  auto unknown = table_->NewUpsertWriter({.columns = {"id", "nope"}});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidTargetColumn);

  TableDescriptor log(ParseSchema("id BIGINT, name STRING").value());
  log.DistributedBy(1);
  FakeTabletServer log_server("events", log);
  Connect(log_server, log_server.ClientConfig());
  auto upsert = table_->NewUpsertWriter();
  EXPECT_EQ(upsert.status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_NE(upsert.status().message().find("'db.events' has no primary key"), std::string::npos);
  EXPECT_EQ(table_->NewLookuper().status().code(), ErrorCode::kNonPrimaryKeyTable);
  EXPECT_EQ(table_->NewBatchScanner(0).status().code(), ErrorCode::kNonPrimaryKeyTable);
}

}  // namespace
}  // namespace fluss
