// Lookuper, PrefixLookuper and BatchScanner against a scripted server: the requests they send
// (keys grouped per bucket in one request, API versions, scanner paging), the answers decoded
// (absent rows, rows of an older schema, pages), and retries.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>

#include "client/kv_encoding.h"
#include "fake_tablet_server.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/value_encoding.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using testing::FakeTabletServer;

std::string Bytes(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

class KvReadTest : public ::testing::Test {
 protected:
  void Start(const std::string& dsl, int buckets, std::vector<std::string> bucket_keys = {}, int32_t schema_id = 1) {
    TableDescriptor d(ParseSchema(dsl).value());
    d.DistributedBy(buckets, std::move(bucket_keys));
    server_ = std::make_unique<FakeTabletServer>("t", d, schema_id);
    auto conn = Connection::Create(server_->ClientConfig());
    ASSERT_OK(conn);
    conn_ = *conn;
    table_ = std::make_unique<Table>(conn_->GetTable(server_->path()).value());
  }
  std::unique_ptr<FakeTabletServer> server_;
  std::shared_ptr<Connection> conn_;
  std::unique_ptr<Table> table_;
};

TEST_F(KvReadTest, LookupManyAsksOnceForAllBucketsAndKeepsKeyOrder) {
  Start("id BIGINT, name STRING, PRIMARY KEY (id)", 4);
  const Schema schema = table_->info().schema();
  // The "server" holds even ids.
  server_->On(rpc::ApiKey::kLookup, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    EXPECT_EQ(req.api_version, 1);
    proto::LookupRequest lookup;
    EXPECT_TRUE(lookup.ParseFromString(req.body));
    proto::LookupResponse resp;
    for (const auto& b : lookup.buckets_req()) {
      auto* r = resp.add_buckets_resp();
      r->set_bucket_id(b.bucket_id());
      for (const auto& key : b.keys()) {
        auto k = DecodeCompactedKey(schema, schema.primary_key_indexes(),
                                    std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()))
                     .value();
        auto* v = r->add_values();
        const int64_t id = k.GetBigInt(0);
        if (id % 2 == 0) {
          GenericRow row({Datum(id), Datum(fmt::format("row{}", id))});
          v->set_values(Bytes(EncodeKvValue(1, schema, row).value()));
        }
      }
    }
    return resp.SerializeAsString();
  });
  auto lookuper = table_->NewLookuper();
  ASSERT_OK(lookuper);
  std::vector<GenericRow> keys;
  for (int64_t id = 0; id < 30; ++id) keys.push_back(GenericRow({Datum(id)}));
  auto rows = (*lookuper)->LookupMany(keys);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 30u);
  for (int64_t id = 0; id < 30; ++id) {
    if (id % 2) {
      EXPECT_FALSE((*rows)[id].has_value()) << id;
    } else {
      ASSERT_TRUE((*rows)[id].has_value()) << id;
      EXPECT_EQ((*rows)[id]->GetString(1), fmt::format("row{}", id));
    }
  }
  auto requests = server_->Requests(rpc::ApiKey::kLookup);
  ASSERT_EQ(requests.size(), 1u);
  proto::LookupRequest sent;
  sent.ParseFromString(requests[0].body);
  EXPECT_EQ(sent.table_id(), FakeTabletServer::kTableId);
  EXPECT_EQ(sent.buckets_req_size(), 4);
  auto one = (*lookuper)->Lookup(GenericRow({Datum(int64_t{8})}));
  ASSERT_OK(one);
  EXPECT_EQ(**one, GenericRow({Datum(int64_t{8}), Datum(std::string("row8"))}));
  EXPECT_FALSE((*lookuper)->Lookup(GenericRow({Datum(int64_t{9})})).value().has_value());
}

TEST_F(KvReadTest, RowsOfAnOlderSchemaComeBackInTheTablesSchema) {
  Start("id BIGINT, name STRING, score DOUBLE, PRIMARY KEY (id)", 1, {}, /*schema_id=*/2);
  Schema v1 = ParseSchema("id BIGINT, name STRING, PRIMARY KEY (id)").value();
  server_->AddSchema(1, v1);
  server_->On(rpc::ApiKey::kLookup, [&](const rpc::RpcRequest&) -> Result<std::string> {
    proto::LookupResponse resp;
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(0);
    r->add_values()->set_values(Bytes(EncodeKvValue(1, v1, GenericRow({Datum(int64_t{1}), Datum(std::string("old"))})).value()));
    return resp.SerializeAsString();
  });
  auto row = table_->NewLookuper().value()->Lookup(GenericRow({Datum(int64_t{1})}));
  ASSERT_OK(row);
  EXPECT_EQ(**row, GenericRow({Datum(int64_t{1}), Datum(std::string("old")), Datum()}));
}

TEST_F(KvReadTest, LookupRetriesWhileTheLeaderMovesAndReportsOtherErrors) {
  Start("id BIGINT, PRIMARY KEY (id)", 1);
  std::atomic<int> calls{0};
  std::atomic<int> code{static_cast<int>(ErrorCode::kNotLeaderOrFollower)};
  server_->On(rpc::ApiKey::kLookup, [&](const rpc::RpcRequest&) -> Result<std::string> {
    proto::LookupResponse resp;
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(0);
    if (calls++ == 0) {
      r->set_error_code(code);
      r->set_error_message("not now");
    } else {
      r->add_values();
    }
    return resp.SerializeAsString();
  });
  auto lookuper = table_->NewLookuper().value();
  auto row = lookuper->Lookup(GenericRow({Datum(int64_t{1})}));
  ASSERT_OK(row);
  EXPECT_FALSE(row->has_value());
  EXPECT_EQ(calls, 2);

  calls = 0;
  code = static_cast<int>(ErrorCode::kKvStorageException);
  auto failed = lookuper->Lookup(GenericRow({Datum(int64_t{1})}));
  EXPECT_EQ(failed.status().code(), ErrorCode::kKvStorageException);
  EXPECT_NE(failed.status().message().find("bucket 0 of 'db.t': not now"), std::string::npos) << failed.status().message();
  EXPECT_EQ(calls, 1);
}

TEST_F(KvReadTest, PrefixLookupSendsTheBucketKeyAndDecodesTheList) {
  Start("uid BIGINT, ts BIGINT, v STRING, PRIMARY KEY (uid, ts)", 3, {"uid"});
  const Schema schema = table_->info().schema();
  std::string seen_prefix;
  int32_t seen_bucket = -1;
  server_->On(rpc::ApiKey::kPrefixLookup, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    EXPECT_EQ(req.api_version, 1);
    proto::PrefixLookupRequest p;
    EXPECT_TRUE(p.ParseFromString(req.body));
    seen_bucket = p.buckets_req(0).bucket_id();
    seen_prefix = p.buckets_req(0).keys(0);
    proto::PrefixLookupResponse resp;
    auto* r = resp.add_buckets_resp();
    r->set_bucket_id(seen_bucket);
    auto* list = r->add_value_lists();
    for (int64_t ts : {1, 2}) {
      list->add_values(Bytes(EncodeKvValue(1, schema, GenericRow({Datum(int64_t{5}), Datum(ts), Datum(std::string("x"))})).value()));
    }
    return resp.SerializeAsString();
  });
  auto bad = table_->NewPrefixLookuper({"ts"});
  EXPECT_FALSE(bad.ok());
  auto lookuper = table_->NewPrefixLookuper({"uid"});
  ASSERT_OK(lookuper);
  auto rows = (*lookuper)->Lookup(GenericRow({Datum(int64_t{5})}));
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].GetBigInt(1), 2);
  auto expected = LookupKeyEncoder::ForPrefix(table_->info(), {"uid"}).value().Encode(GenericRow({Datum(int64_t{5})})).value();
  EXPECT_EQ(seen_prefix, Bytes(expected.key));
  EXPECT_EQ(seen_bucket, expected.bucket);
}

TEST_F(KvReadTest, BatchScannerPagesThroughTheSnapshot) {
  Start("id BIGINT, name STRING, PRIMARY KEY (id)", 2);
  const Schema schema = table_->info().schema();
  std::vector<proto::ScanKvRequest> seen;
  server_->On(rpc::ApiKey::kScanKv, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    proto::ScanKvRequest r;
    EXPECT_TRUE(r.ParseFromString(req.body));
    seen.push_back(r);
    proto::ScanKvResponse resp;
    if (r.close_scanner()) return resp.SerializeAsString();
    const int page = r.has_bucket_scan_req() ? 0 : r.call_seq_id() + 1;
    ValueRecordBatchBuilder builder;
    if (page != 1) {  // the second page is empty: the scanner must ask again
      for (int i = 0; i < 3; ++i) {
        const int64_t id = page * 3 + i;
        GenericRow row({Datum(id), Datum(fmt::format("n{}", id))});
        EXPECT_OK(builder.Append(1, EncodeCompactedRow(schema, row).value()));
      }
    }
    Buffer batch = builder.Build();
    resp.set_records(std::string(batch.view()));
    resp.set_scanner_id("scanner-1");
    resp.set_has_more_results(page < 2);
    if (page == 0) resp.set_log_offset(1234);
    return resp.SerializeAsString();
  });
  auto scanner = table_->NewBatchScanner(1, {.columns = {"name", "id"}});
  ASSERT_OK(scanner);
  EXPECT_EQ((*scanner)->snapshot_log_offset(), -1);
  std::vector<GenericRow> rows;
  while (true) {
    auto page = (*scanner)->PollBatch();
    ASSERT_OK(page);
    if (!page->has_value()) break;
    EXPECT_FALSE((*page)->empty());
    for (auto& r : **page) rows.push_back(std::move(r));
  }
  EXPECT_EQ((*scanner)->snapshot_log_offset(), 1234);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0], GenericRow({Datum(std::string("n0")), Datum(int64_t{0})}));
  EXPECT_EQ(rows[5], GenericRow({Datum(std::string("n8")), Datum(int64_t{8})}));
  EXPECT_EQ((*scanner)->schema().column(0).name, "name");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].bucket_scan_req().bucket_id(), 1);
  EXPECT_EQ(seen[0].bucket_scan_req().table_id(), FakeTabletServer::kTableId);
  EXPECT_EQ(seen[0].batch_size_bytes(), 4 << 20);
  EXPECT_EQ(seen[1].scanner_id(), "scanner-1");
  EXPECT_EQ(seen[1].call_seq_id(), 0);
  EXPECT_EQ(seen[2].call_seq_id(), 1);
  EXPECT_TRUE((*scanner)->PollBatch().value() == std::nullopt);
  scanner->reset();
  EXPECT_EQ(seen.size(), 3u);  // done: nothing to close
}

TEST_F(KvReadTest, BatchScannerClosedEarlyClosesTheServersScanner) {
  Start("id BIGINT, PRIMARY KEY (id)", 1);
  const Schema schema = table_->info().schema();
  std::vector<proto::ScanKvRequest> seen;
  server_->On(rpc::ApiKey::kScanKv, [&](const rpc::RpcRequest& req) -> Result<std::string> {
    proto::ScanKvRequest r;
    r.ParseFromString(req.body);
    seen.push_back(r);
    proto::ScanKvResponse resp;
    if (seen.size() == 1) {
      ValueRecordBatchBuilder builder;
      EXPECT_OK(builder.Append(1, EncodeCompactedRow(schema, GenericRow({Datum(int64_t{1})})).value()));
      resp.set_records(std::string(builder.Build().view()));
      resp.set_scanner_id("s");
      resp.set_has_more_results(true);
      resp.set_log_offset(0);
    }
    return resp.SerializeAsString();
  });
  {
    auto scanner = table_->NewBatchScanner(0).value();
    ASSERT_EQ(scanner->PollBatch().value()->size(), 1u);
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[1].close_scanner());
  EXPECT_EQ(seen[1].scanner_id(), "s");
}

TEST_F(KvReadTest, BatchScannerErrorsNameTheBucket) {
  Start("id BIGINT, PRIMARY KEY (id)", 2);
  server_->On(rpc::ApiKey::kScanKv, [&](const rpc::RpcRequest&) -> Result<std::string> {
    proto::ScanKvResponse resp;
    resp.set_error_code(static_cast<int32_t>(ErrorCode::kTooManyScanners));
    resp.set_error_message("too many scanners");
    return resp.SerializeAsString();
  });
  EXPECT_EQ(table_->NewBatchScanner(2).status().code(), ErrorCode::kUnknownTableOrBucket);
  auto scanner = table_->NewBatchScanner(1).value();
  auto page = scanner->PollBatch();
  EXPECT_EQ(page.status().code(), ErrorCode::kTooManyScanners);
  EXPECT_NE(page.status().message().find("scanning bucket 1 of 'db.t'"), std::string::npos) << page.status().message();
  EXPECT_EQ(scanner->PollBatch().status().code(), ErrorCode::kTooManyScanners);  // the scan is over
}

}  // namespace
}  // namespace fluss
