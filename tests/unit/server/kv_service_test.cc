// The key-value APIs of an in-process standalone server, spoken on the wire (raw PutKv, Lookup,
// PrefixLookup and ScanKv requests): what the server answers, whatever client sends them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fluss/client.h"
#include "fluss_api.pb.h"
#include "format/bucketing.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "format/value_encoding.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "server/fluss_server.h"
#include "support/in_process_server.h"
#include "types/schema_parser.h"
#include "unit/log/log_test_support.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

using rpc::ApiKey;
constexpr auto kTimeout = std::chrono::seconds(10);

class KvServiceTest : public testing::InProcessServerTest {
 protected:
  void SetUp() override {
    InProcessServerTest::SetUp();
    if (HasFatalFailure()) return;
    rpc_ = rpc::RpcClient::Connect("127.0.0.1", server_->port()).value();
  }

  void TearDown() override {
    rpc_.reset();
    InProcessServerTest::TearDown();
  }

  Status Create(const std::string& name, int buckets, std::map<std::string, std::string> props = {},
                std::vector<std::string> bucket_keys = {}) {
    Admin admin = conn_->GetAdmin();
    EXPECT_OK(admin.CreateDatabase("db", true));
    TableDescriptor d(schema_);
    d.DistributedBy(buckets, bucket_keys);
    for (const auto& [k, v] : props) d.Property(k, v);
    FLUSS_RETURN_NOT_OK(admin.CreateTable(TablePath::Make("db", name).value(), d));
    auto info = admin.GetTableInfo(TablePath::Make("db", name).value());
    if (!info.ok()) return info.status();
    table_id_ = info->table_id;
    return Status::OK();
  }

  template <typename Resp, typename Req>
  Resp Call(ApiKey key, int16_t version, const Req& req) {
    auto body = rpc_->CallSync(static_cast<int16_t>(key), version, req.SerializeAsString(), kTimeout);
    EXPECT_OK(body);
    Resp resp;
    if (body.ok()) { EXPECT_TRUE(resp.ParseFromString(*body)); }
    return resp;
  }

  std::string Key(int32_t id) {
    GenericRow r(schema_.num_columns());
    r.SetField(0, id);
    auto k = EncodeCompactedKey(schema_, schema_.primary_key_indexes(), r).value();
    return std::string(k.begin(), k.end());
  }

  int32_t BucketOf(int32_t id, int32_t buckets) {
    auto k = Key(id);
    return BucketForKey(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(k.data()), k.size()), buckets)
        .value();
  }

  // One PutKv request: the upserts (id -> name) and deletes of one bucket.
  proto::PutKvResponse Put(int32_t bucket, const std::vector<std::pair<int32_t, std::optional<std::string>>>& ops,
                           std::vector<int32_t> targets = {}) {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    for (const auto& [id, name] : ops) {
      auto key = Key(id);
      std::span<const uint8_t> k(reinterpret_cast<const uint8_t*>(key.data()), key.size());
      if (name) {
        GenericRow r(schema_.num_columns());
        r.SetField(0, id);
        r.SetField(1, *name);
        EXPECT_OK(b.AppendUpsert(k, EncodeCompactedRow(schema_, r).value()));
      } else {
        EXPECT_OK(b.AppendDelete(k));
      }
    }
    auto batch = b.Build().value();
    proto::PutKvRequest req;
    req.set_acks(-1);
    req.set_table_id(table_id_);
    req.set_timeout_ms(10000);
    for (int32_t t : targets) req.add_target_columns(t);
    auto* br = req.add_buckets_req();
    br->set_bucket_id(bucket);
    br->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
    return Call<proto::PutKvResponse>(ApiKey::kPutKv, 1, req);
  }

  // The names of `ids` by lookup (nullopt: absent).
  std::vector<std::optional<std::string>> Lookup(int32_t bucket, const std::vector<int32_t>& ids) {
    proto::LookupRequest req;
    req.set_table_id(table_id_);
    auto* br = req.add_buckets_req();
    br->set_bucket_id(bucket);
    for (int32_t id : ids) br->add_keys(Key(id));
    auto resp = Call<proto::LookupResponse>(ApiKey::kLookup, 1, req);
    std::vector<std::optional<std::string>> out;
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    if (resp.buckets_resp_size() != 1) return out;
    EXPECT_FALSE(resp.buckets_resp(0).has_error_code()) << resp.buckets_resp(0).error_message();
    for (const auto& v : resp.buckets_resp(0).values()) {
      if (!v.has_values()) {
        out.push_back(std::nullopt);
        continue;
      }
      auto row = DecodeKvValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.values().data()),
                                                        v.values().size()),
                               schema_)
                     .value();
      out.push_back(row.GetString(1));
    }
    return out;
  }

  Schema schema_ = ParseSchema("id INT NOT NULL, name STRING, note STRING, PRIMARY KEY (id)").value();
  std::shared_ptr<rpc::RpcClient> rpc_;
  int64_t table_id_ = -1;
};

TEST_F(KvServiceTest, PutThenLookupSeesEveryWriteAndTheChangelogEnd) {
  ASSERT_OK(Create("users", 1));
  auto put = Put(0, {{1, "ann"}, {2, "bob"}, {3, "cy"}});
  ASSERT_EQ(put.buckets_resp_size(), 1);
  EXPECT_FALSE(put.buckets_resp(0).has_error_code()) << put.buckets_resp(0).error_message();
  EXPECT_EQ(put.buckets_resp(0).log_end_offset(), 3);
  put = Put(0, {{2, "bea"}, {3, std::nullopt}});
  EXPECT_EQ(put.buckets_resp(0).log_end_offset(), 6);  // -U +U -D
  EXPECT_EQ(Lookup(0, {1, 2, 3, 4}),
            (std::vector<std::optional<std::string>>{"ann", "bea", std::nullopt, std::nullopt}));
  auto offsets = conn_->GetAdmin().ListOffsets(TablePath::Make("db", "users").value(), OffsetSpec::Latest());
  ASSERT_OK(offsets);
  EXPECT_EQ(offsets->at(0), 6);
}

TEST_F(KvServiceTest, ErrorsAreAnsweredPerBucketAndNothingIsWritten) {
  ASSERT_OK(Create("users", 2));
  int32_t id = 1;
  while (BucketOf(id, 2) != 0) ++id;
  // Sent to the wrong bucket.
  auto wrong = Put(1, {{id, "x"}});
  EXPECT_EQ(wrong.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kCorruptRecord));
  EXPECT_NE(wrong.buckets_resp(0).error_message().find("belongs to bucket 0"), std::string::npos)
      << wrong.buckets_resp(0).error_message();
  // A partial update without the key column.
  auto no_key = Put(0, {{id, "x"}}, {1});
  EXPECT_EQ(no_key.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kInvalidTargetColumn));
  // An unknown bucket.
  auto unknown = Put(7, {{id, "x"}});
  EXPECT_EQ(unknown.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kUnknownTableOrBucket));
  EXPECT_EQ(Lookup(0, {id}), (std::vector<std::optional<std::string>>{std::nullopt}));

  // ProduceLog to a primary-key table is refused: its log is the changelog.
  proto::ProduceLogRequest produce;
  produce.set_acks(-1);
  produce.set_table_id(table_id_);
  produce.set_timeout_ms(1000);
  auto* br = produce.add_buckets_req();
  br->set_bucket_id(0);
  br->set_records("");
  auto presp = Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, 0, produce);
  EXPECT_EQ(presp.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kInvalidTable));
  EXPECT_NE(presp.buckets_resp(0).error_message().find("primary key"), std::string::npos);
}

TEST_F(KvServiceTest, BadMergeEngineOptionsFailAtCreateTable) {
  Status st = Create("bad", 1, {{"table.merge-engine", "versioned"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig) << st.ToString();
  EXPECT_NE(st.message().find("ver-column"), std::string::npos) << st.ToString();
  st = Create("bad2", 1, {{"table.changelog.image", "PARTIAL"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig) << st.ToString();
  EXPECT_FALSE(conn_->GetAdmin().TableExists(TablePath::Make("db", "bad").value()).value());
}

TEST_F(KvServiceTest, PrefixLookupReturnsEveryRowOfTheBucketKey) {
  schema_ = ParseSchema("tenant INT NOT NULL, id INT NOT NULL, name STRING, PRIMARY KEY (tenant, id)").value();
  ASSERT_OK(Create("multi", 3, {}, {"tenant"}));
  KvRecordBatchBuilderOptions o;
  o.schema_id = 1;
  // Tenant 5's rows all live in one bucket (the bucket key is the tenant).
  GenericRow tenant(1);
  tenant.SetField(0, 5);
  std::vector<DataType> types{DataType::Int()};
  auto prefix = EncodeCompactedKey(types, tenant).value();
  const int32_t bucket = BucketForKey(prefix, 3).value();
  KvRecordBatchBuilder b(o);
  for (int id = 0; id < 4; ++id) {
    GenericRow r(3);
    r.SetField(0, 5);
    r.SetField(1, id);
    r.SetField(2, std::string("n") + std::to_string(id));
    ASSERT_OK(b.AppendUpsert(EncodeCompactedKey(schema_, schema_.primary_key_indexes(), r).value(),
                               EncodeCompactedRow(schema_, r).value()));
  }
  auto batch = b.Build().value();
  proto::PutKvRequest put;
  put.set_acks(-1);
  put.set_table_id(table_id_);
  put.set_timeout_ms(1000);
  auto* pb = put.add_buckets_req();
  pb->set_bucket_id(bucket);
  pb->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
  auto presp = Call<proto::PutKvResponse>(ApiKey::kPutKv, 1, put);
  ASSERT_FALSE(presp.buckets_resp(0).has_error_code()) << presp.buckets_resp(0).error_message();

  proto::PrefixLookupRequest req;
  req.set_table_id(table_id_);
  auto* br = req.add_buckets_req();
  br->set_bucket_id(bucket);
  br->add_keys(std::string(prefix.begin(), prefix.end()));
  GenericRow other(1);
  other.SetField(0, 6);
  auto other_prefix = EncodeCompactedKey(types, other).value();
  br->add_keys(std::string(other_prefix.begin(), other_prefix.end()));
  auto resp = Call<proto::PrefixLookupResponse>(ApiKey::kPrefixLookup, 1, req);
  ASSERT_EQ(resp.buckets_resp_size(), 1);
  ASSERT_EQ(resp.buckets_resp(0).value_lists_size(), 2);
  EXPECT_EQ(resp.buckets_resp(0).value_lists(0).values_size(), 4);
  EXPECT_EQ(resp.buckets_resp(0).value_lists(1).values_size(), 0);
}

TEST_F(KvServiceTest, ScanKvPagesASnapshotAndTellsItsChangelogOffset) {
  ASSERT_OK(Create("users", 1));
  std::vector<std::pair<int32_t, std::optional<std::string>>> ops;
  for (int i = 0; i < 500; ++i) ops.push_back({i, std::string(100, static_cast<char>('a' + i % 26))});
  ASSERT_FALSE(Put(0, ops).buckets_resp(0).has_error_code());

  proto::ScanKvRequest open;
  open.mutable_bucket_scan_req()->set_table_id(table_id_);
  open.mutable_bucket_scan_req()->set_bucket_id(0);
  open.set_batch_size_bytes(8 << 10);
  auto first = Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, open);
  ASSERT_FALSE(first.has_error_code()) << first.error_message();
  EXPECT_EQ(first.log_offset(), 500);
  ASSERT_TRUE(first.has_more_results());
  // Writes after the snapshot do not show in it.
  ASSERT_FALSE(Put(0, {{1000, "late"}}).buckets_resp(0).has_error_code());

  int rows = 0;
  int pages = 0;
  auto count = [&](const proto::ScanKvResponse& r) {
    if (!r.has_records()) return;
    auto batch = ValueRecordBatch::Parse(Buffer::Copy(std::string_view(r.records()))).value();
    rows += batch.record_count();
    ++pages;
  };
  count(first);
  proto::ScanKvResponse page = first;
  int32_t seq = 0;
  while (page.has_more_results()) {
    proto::ScanKvRequest next;
    next.set_scanner_id(first.scanner_id());
    next.set_call_seq_id(seq++);
    next.set_batch_size_bytes(8 << 10);
    page = Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, next);
    ASSERT_FALSE(page.has_error_code()) << page.error_message();
    count(page);
  }
  EXPECT_EQ(rows, 500);
  EXPECT_GT(pages, 3);

  // The finished scanner is gone; a request naming both or neither is refused.
  proto::ScanKvRequest gone;
  gone.set_scanner_id(first.scanner_id());
  EXPECT_EQ(Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, gone).error_code(),
            static_cast<int32_t>(ErrorCode::kUnknownScannerId));
  proto::ScanKvRequest neither;
  EXPECT_EQ(Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, neither).error_code(),
            static_cast<int32_t>(ErrorCode::kInvalidScanRequest));

  // A limit, and closing early.
  open.mutable_bucket_scan_req()->set_limit(7);
  auto limited = Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, open);
  rows = 0;
  count(limited);
  EXPECT_EQ(rows, 7);
  EXPECT_FALSE(limited.has_more_results());
  open.mutable_bucket_scan_req()->clear_limit();
  auto early = Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, open);
  ASSERT_TRUE(early.has_more_results());
  proto::ScanKvRequest close;
  close.set_scanner_id(early.scanner_id());
  close.set_close_scanner(true);
  EXPECT_FALSE(Call<proto::ScanKvResponse>(ApiKey::kScanKv, 0, close).has_more_results());
}

TEST_F(KvServiceTest, StateSurvivesARestart) {
  ASSERT_OK(Create("users", 1));
  for (int round = 0; round < 20; ++round) {
    ASSERT_FALSE(Put(0, {{round % 5, "v" + std::to_string(round)}, {(round + 2) % 5, std::nullopt}})
                     .buckets_resp(0)
                     .has_error_code());
  }
  const auto before = Lookup(0, {0, 1, 2, 3, 4});
  rpc_.reset();
  conn_.reset();
  ASSERT_OK(server_->Stop());
  SetUp();
  EXPECT_EQ(Lookup(0, {0, 1, 2, 3, 4}), before);
}

TEST_F(KvServiceTest, ApiVersionsAdvertiseTheKvApis) {
  auto body = rpc_->CallSync(static_cast<int16_t>(ApiKey::kApiVersions), 0, [] {
    proto::ApiVersionsRequest r;
    r.set_client_software_name("test");
    r.set_client_software_version("0");
    return r.SerializeAsString();
  }(), kTimeout);
  ASSERT_OK(body);
  proto::ApiVersionsResponse resp;
  ASSERT_TRUE(resp.ParseFromString(*body));
  std::set<int32_t> keys;
  for (const auto& v : resp.api_versions()) keys.insert(v.api_key());
  for (auto k : {ApiKey::kPutKv, ApiKey::kLookup, ApiKey::kPrefixLookup, ApiKey::kScanKv}) {
    EXPECT_EQ(keys.count(static_cast<int32_t>(k)), 1u) << static_cast<int>(k);
  }
}

// Rows of the current schema_ (any columns) upserted in one PutKv request to `bucket`.
proto::PutKvResponse PutRows(rpc::RpcClient& rpc, const Schema& schema, int64_t table_id, int32_t bucket,
                             const std::vector<GenericRow>& rows) {
  KvRecordBatchBuilderOptions o;
  o.schema_id = 1;
  KvRecordBatchBuilder b(o);
  for (const auto& r : rows) {
    // The formats encode text as given, so this writes what a client that checks nothing would send.
    auto key = EncodeCompactedKey(schema, schema.primary_key_indexes(), r).value();
    EXPECT_OK(b.AppendUpsert(key, EncodeCompactedRow(schema, r).value()));
  }
  auto batch = b.Build().value();
  proto::PutKvRequest req;
  req.set_acks(-1);
  req.set_table_id(table_id);
  req.set_timeout_ms(10000);
  auto* br = req.add_buckets_req();
  br->set_bucket_id(bucket);
  br->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
  auto body = rpc.CallSync(static_cast<int16_t>(ApiKey::kPutKv), 1, req.SerializeAsString(), kTimeout);
  EXPECT_OK(body);
  proto::PutKvResponse resp;
  if (body.ok()) { EXPECT_TRUE(resp.ParseFromString(*body)); }
  return resp;
}

TEST_F(KvServiceTest, TheServerChecksTheTextOfRowsItDecodes) {
  schema_ = ParseSchema("id INT NOT NULL, code CHAR(3), note STRING, PRIMARY KEY (id)").value();
  ASSERT_OK(Create("texts", 1));
  auto row = [](int32_t id, std::string code, std::string note) {
    return GenericRow({Datum(id), Datum(std::move(code)), Datum(std::move(note))});
  };
  // One bad record refuses the whole batch: the good one before it is not written either.
  auto put = PutRows(*rpc_, schema_, table_id_, 0, {row(1, "abc", "ok"), row(2, "abcd", "x")});
  ASSERT_EQ(put.buckets_resp_size(), 1);
  EXPECT_EQ(put.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kCorruptRecord));
  EXPECT_EQ(put.buckets_resp(0).error_message(),
            "record 1 of the batch: column 'code' is CHAR(3) but the value has 4 characters");
  put = PutRows(*rpc_, schema_, table_id_, 0, {row(3, "日本語", "bad\xFF")});
  EXPECT_EQ(put.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kCorruptRecord));
  EXPECT_EQ(put.buckets_resp(0).error_message(),
            "record 0 of the batch: column 'note' (STRING): the value is not valid UTF-8 (byte 0xff at offset 3)");
  EXPECT_EQ(Lookup(0, {1, 2, 3}), (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt, std::nullopt}));
  auto offsets = conn_->GetAdmin().ListOffsets(TablePath::Make("db", "texts").value(), OffsetSpec::Latest());
  ASSERT_OK(offsets);
  EXPECT_EQ(offsets->at(0), 0);  // no changelog either
  // Three characters of three bytes each fit CHAR(3).
  put = PutRows(*rpc_, schema_, table_id_, 0, {row(1, "日本語", "ok")});
  EXPECT_FALSE(put.buckets_resp(0).has_error_code()) << put.buckets_resp(0).error_message();
  EXPECT_EQ(Lookup(0, {1}), (std::vector<std::optional<std::string>>{"日本語"}));
}

TEST_F(KvServiceTest, TheServerChecksTablePropertiesWhateverTheClient) {
  ASSERT_OK(conn_->GetAdmin().CreateDatabase("db", true));
  const Schema log_schema = ParseSchema("id INT, name STRING").value();
  // Sent raw, as a client that checks nothing would; the server is the authority.
  auto create = [&](std::map<std::string, std::string> props) {
    TableDescriptor d(log_schema);
    d.DistributedBy(1);
    for (const auto& [k, v] : props) d.Property(k, v);
    proto::CreateTableRequest req;
    req.mutable_table_path()->set_database_name("db");
    req.mutable_table_path()->set_table_name("raw");
    req.set_table_json(TableDescriptorToJson(d).dump());
    req.set_ignore_if_exists(false);
    auto body = rpc_->CallSync(static_cast<int16_t>(ApiKey::kCreateTable), 0, req.SerializeAsString(), kTimeout);
    return body.ok() ? Status::OK() : body.status();
  };
  Status st = create({{"table.log.ttl", "abc"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig) << st.ToString();
  EXPECT_EQ(st.message(),
            "cannot create 'db.raw': table property 'table.log.ttl': 'abc' is not a duration (e.g. 7d, 12h, 30min, "
            "500ms)");
  st = create({{"table.log.ttl", "-5d"}});
  EXPECT_EQ(st.message(), "cannot create 'db.raw': table property 'table.log.ttl': '-5d' is negative");
  st = create({{"table.nonsense", "1"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(st.message().find("unknown table property 'table.nonsense'"), std::string::npos) << st.message();
  st = create({{"table.merge-engine", "aggregation"}});
  EXPECT_NE(st.message().find("a merge engine needs a primary-key table"), std::string::npos) << st.message();
  EXPECT_FALSE(conn_->GetAdmin().TableExists(TablePath::Make("db", "raw").value()).value());
  // A standalone server has one replica per bucket.
  st = create({{"table.replication.factor", "3"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidReplicationFactor) << st.ToString();
  EXPECT_OK(create({{"table.log.ttl", "3d"}, {"table.replication.factor", "1"}}));
}

TEST_F(KvServiceTest, LakePropertiesAreCheckedAtCreateTable) {
  // This server has no lake: enabling tiering is refused with LAKE_STORAGE_NOT_CONFIGURED.
  Status st = Create("laky", 1, {{"table.datalake.enabled", "true"}});
  EXPECT_EQ(st.code(), ErrorCode::kLakeStorageNotConfigured) << st.ToString();
  EXPECT_NE(st.message().find("datalake.format=iceberg"), std::string::npos) << st.ToString();
  st = Create("laky2", 1, {{"table.datalake.enabled", "yes"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig) << st.ToString();
  st = Create("laky3", 1, {{"table.datalake.freshness", "soon"}});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig) << st.ToString();
  EXPECT_OK(Create("laky4", 1, {{"table.datalake.enabled", "false"}, {"table.datalake.freshness", "3min"}}));
}

}  // namespace
}  // namespace fluss
