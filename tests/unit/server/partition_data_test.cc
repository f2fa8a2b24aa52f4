// The per-bucket data path of partitioned tables on a standalone server, spoken on the wire (raw
// requests with partition_id, as any client sends them): produce, fetch and list offsets per
// partition; put, lookup, prefix lookup and scan of a partitioned primary-key table; partitions'
// data kept apart; a bucket named without its partition (or with another table's) refused with
// UNKNOWN_TABLE_OR_BUCKET as upstream's server answers; a dropped partition's directory deleted;
// partitions reopened after a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "fluss_api.pb.h"
#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "format/log_record_batch.h"
#include "format/value_encoding.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "support/eventually.h"
#include "support/in_process_server.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;
using rpc::ApiKey;
using testing::Eventually;
constexpr auto kPartitionCallTimeout = std::chrono::seconds(30);

class PartitionDataTest : public testing::InProcessServerTest {
 protected:
  void SetUp() override {
    InProcessServerTest::SetUp();
    if (HasFatalFailure()) return;
    Connect();
  }
  void TearDown() override {
    rpc_.reset();
    InProcessServerTest::TearDown();
  }
  void Connect() { rpc_ = rpc::RpcClient::Connect("127.0.0.1", server_->port()).value(); }
  void Restart() {
    rpc_.reset();
    RestartServer();
    Connect();
  }

  Admin admin() { return conn_->GetAdmin(); }

  // db.<name> from the DSL (with PARTITIONED BY) and the given partitions (values of its one key);
  // remembers its schema and table id, and the partition ids by name.
  void CreatePartitioned(const std::string& name, const std::string& dsl, int buckets,
                         const std::vector<std::string>& partitions, std::vector<std::string> bucket_keys = {}) {
    ASSERT_OK(admin().CreateDatabase("db", /*ignore_if_exists=*/true));
    auto parsed = ParseTableSchema(dsl);
    ASSERT_OK(parsed);
    schema_ = parsed->schema;
    TableDescriptor d(parsed->schema);
    d.DistributedBy(buckets, std::move(bucket_keys)).PartitionedBy(parsed->partition_keys);
    path_ = *TablePath::Make("db", name);
    ASSERT_OK(admin().CreateTable(path_, d));
    auto info = admin().GetTableInfo(path_);
    ASSERT_OK(info);
    table_id_ = info->table_id;
    for (const auto& value : partitions) {
      ASSERT_OK(admin().CreatePartition(path_, {{parsed->partition_keys.at(0), value}}));
    }
    LoadPartitionIds();
  }
  void LoadPartitionIds() {
    auto listed = admin().ListPartitionInfos(path_);
    ASSERT_OK(listed);
    partition_ids_.clear();
    for (const auto& p : *listed) partition_ids_[p.partition_name] = p.partition_id;
  }

  template <typename Resp, typename Req>
  Resp Call(ApiKey key, const Req& req) {
    // The KV writes and lookups are served at version 1 (as upstream's), the rest at 0.
    const int16_t version = key == ApiKey::kPutKv || key == ApiKey::kLookup || key == ApiKey::kPrefixLookup ? 1 : 0;
    auto body = rpc_->CallSync(static_cast<int16_t>(key), version, req.SerializeAsString(), kPartitionCallTimeout);
    EXPECT_OK(body);
    Resp resp;
    if (body.ok()) EXPECT_TRUE(resp.ParseFromString(*body));
    return resp;
  }

  // One ARROW batch of rows (id, dt) with ids [first, first + n).
  Buffer LogBatch(int first, int n, const std::string& dt) {
    LogRecordBatchBuilder builder(schema_, {.schema_id = 1});
    for (int i = first; i < first + n; ++i) {
      GenericRow row(2);
      row.SetField(0, int32_t{i});
      row.SetField(1, dt);
      EXPECT_OK(builder.Append(row));
    }
    return builder.Build().value();
  }

  static void AddProduce(proto::ProduceLogRequest* req, std::optional<int64_t> partition, int32_t bucket,
                         const Buffer& batch) {
    auto* b = req->add_buckets_req();
    if (partition) b->set_partition_id(*partition);
    b->set_bucket_id(bucket);
    b->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
  }
  proto::ProduceLogRequest ProduceRequest() const {
    proto::ProduceLogRequest req;
    req.set_acks(-1);
    req.set_table_id(table_id_);
    req.set_timeout_ms(10000);
    return req;
  }

  proto::FetchLogRequest FetchRequest(std::optional<int64_t> partition, int32_t bucket, int64_t offset) const {
    proto::FetchLogRequest req;
    req.set_follower_server_id(-1);
    req.set_max_bytes(1 << 20);
    auto* t = req.add_tables_req();
    t->set_table_id(table_id_);
    t->set_projection_pushdown_enabled(false);
    auto* b = t->add_buckets_req();
    if (partition) b->set_partition_id(*partition);
    b->set_bucket_id(bucket);
    b->set_fetch_offset(offset);
    b->set_max_fetch_bytes(1 << 20);
    return req;
  }
  // The (id, dt) rows of the one bucket a fetch answered.
  std::vector<std::pair<int32_t, std::string>> RowsOf(const proto::FetchLogResponse& resp) {
    std::vector<std::pair<int32_t, std::string>> out;
    const auto& b = resp.tables_resp(0).buckets_resp(0);
    EXPECT_FALSE(b.has_error_code()) << b.error_message();
    auto batches = ParseLogRecordBatches(Buffer::Copy(std::string_view(b.records())));
    EXPECT_OK(batches);
    if (!batches.ok()) return out;
    for (const auto& batch : *batches) {
      auto records = batch.ReadRecords(schema_);
      EXPECT_OK(records);
      if (!records.ok()) continue;
      for (const auto& r : *records) out.emplace_back(r.row.GetInt(0), std::string(r.row.GetString(1)));
    }
    return out;
  }
  std::vector<std::pair<int32_t, std::string>> FetchRows(std::optional<int64_t> partition, int32_t bucket,
                                                         int64_t offset = 0) {
    return RowsOf(Call<proto::FetchLogResponse>(ApiKey::kFetchLog, FetchRequest(partition, bucket, offset)));
  }

  proto::ListOffsetsResponse ListLatest(std::optional<int64_t> partition, std::vector<int32_t> buckets) {
    proto::ListOffsetsRequest req;
    req.set_follower_server_id(-1);
    req.set_offset_type(1);  // latest
    req.set_table_id(table_id_);
    if (partition) req.set_partition_id(*partition);
    for (int32_t b : buckets) req.add_bucket_id(b);
    return Call<proto::ListOffsetsResponse>(ApiKey::kListOffsets, req);
  }

  std::string PartitionDir(const std::string& name) const {
    return fmt::format("{}/db/{}-{}/{}-p{}", data_dir(), path_.table(), table_id_, name, partition_ids_.at(name));
  }

  // ---- primary-key tables: (tenant INT, id INT, dt STRING, name STRING), key (tenant, id, dt) ----
  // The physical key (tenant, id): the partition key is not part of a record's key.
  std::string Key(int32_t tenant, int32_t id) const {
    GenericRow r(2);
    r.SetField(0, tenant);
    r.SetField(1, id);
    auto k = EncodeCompactedKey(std::vector<DataType>{DataType::Int(), DataType::Int()}, r).value();
    return std::string(k.begin(), k.end());
  }
  std::string TenantPrefix(int32_t tenant) const {
    GenericRow r(1);
    r.SetField(0, tenant);
    auto k = EncodeCompactedKey(std::vector<DataType>{DataType::Int()}, r).value();
    return std::string(k.begin(), k.end());
  }
  proto::PutKvResponse Put(std::optional<int64_t> partition, const std::string& dt,
                           const std::vector<std::pair<int32_t, std::string>>& rows, int32_t tenant = 1) {
    KvRecordBatchBuilderOptions o;
    o.schema_id = 1;
    KvRecordBatchBuilder b(o);
    for (const auto& [id, name] : rows) {
      GenericRow r(4);
      r.SetField(0, tenant);
      r.SetField(1, id);
      r.SetField(2, dt);
      r.SetField(3, name);
      const std::string key = Key(tenant, id);
      EXPECT_OK(b.AppendUpsert(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()),
                               EncodeCompactedRow(schema_, r).value()));
    }
    auto batch = b.Build().value();
    proto::PutKvRequest req;
    req.set_acks(-1);
    req.set_table_id(table_id_);
    req.set_timeout_ms(10000);
    auto* br = req.add_buckets_req();
    if (partition) br->set_partition_id(*partition);
    br->set_bucket_id(0);
    br->set_records(reinterpret_cast<const char*>(batch.data()), batch.size());
    return Call<proto::PutKvResponse>(ApiKey::kPutKv, req);
  }
  // "dt/name" of each key by lookup ("" when absent).
  std::vector<std::string> Lookup(std::optional<int64_t> partition, const std::vector<int32_t>& ids) {
    proto::LookupRequest req;
    req.set_table_id(table_id_);
    auto* br = req.add_buckets_req();
    if (partition) br->set_partition_id(*partition);
    br->set_bucket_id(0);
    for (int32_t id : ids) br->add_keys(Key(1, id));
    auto resp = Call<proto::LookupResponse>(ApiKey::kLookup, req);
    std::vector<std::string> out;
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    if (resp.buckets_resp_size() != 1) return out;
    EXPECT_EQ(resp.buckets_resp(0).partition_id(), partition.value_or(-1));
    EXPECT_FALSE(resp.buckets_resp(0).has_error_code()) << resp.buckets_resp(0).error_message();
    for (const auto& v : resp.buckets_resp(0).values()) out.push_back(v.has_values() ? Value(v.values()) : "");
    return out;
  }
  std::string Value(const std::string& stored) const {
    auto row = DecodeKvValue(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(stored.data()), stored.size()),
                             schema_)
                   .value();
    return std::string(row.GetString(2)) + "/" + std::string(row.GetString(3));
  }

  Schema schema_;
  TablePath path_;
  int64_t table_id_ = -1;
  std::map<std::string, int64_t> partition_ids_;
  std::shared_ptr<rpc::RpcClient> rpc_;
};

using IdRows = std::vector<std::pair<int32_t, std::string>>;

TEST_F(PartitionDataTest, ProduceFetchAndListOffsetsPerPartitionKeepTheirDataApart) {
  CreatePartitioned("events", "id INT, dt STRING PARTITIONED BY (dt)", 2, {"2026-12-07", "2026-12-08"});
  const int64_t p7 = partition_ids_.at("2026-12-07");
  const int64_t p8 = partition_ids_.at("2026-12-08");
  ASSERT_NE(p7, p8);
  EXPECT_TRUE(fs::is_directory(PartitionDir("2026-12-07") + "/log-0"));
  EXPECT_TRUE(fs::is_directory(PartitionDir("2026-12-07") + "/log-1"));
  EXPECT_TRUE(fs::is_directory(PartitionDir("2026-12-08") + "/log-1"));

  // One request, bucket 0 of both partitions: each answer names its partition.
  auto req = ProduceRequest();
  AddProduce(&req, p7, 0, LogBatch(0, 3, "2026-12-07"));
  AddProduce(&req, p8, 0, LogBatch(100, 5, "2026-12-08"));
  auto resp = Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req);
  ASSERT_EQ(resp.buckets_resp_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(resp.buckets_resp(i).has_error_code()) << resp.buckets_resp(i).error_message();
    EXPECT_EQ(resp.buckets_resp(i).base_offset(), 0);
    EXPECT_EQ(resp.buckets_resp(i).bucket_id(), 0);
  }
  EXPECT_EQ(resp.buckets_resp(0).partition_id(), p7);
  EXPECT_EQ(resp.buckets_resp(1).partition_id(), p8);
  req = ProduceRequest();
  AddProduce(&req, p7, 0, LogBatch(3, 2, "2026-12-07"));
  AddProduce(&req, p7, 1, LogBatch(50, 1, "2026-12-07"));
  resp = Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req);
  EXPECT_EQ(resp.buckets_resp(0).base_offset(), 3);
  EXPECT_EQ(resp.buckets_resp(1).base_offset(), 0);

  EXPECT_EQ(FetchRows(p7, 0), (IdRows{{0, "2026-12-07"}, {1, "2026-12-07"}, {2, "2026-12-07"}, {3, "2026-12-07"},
                                    {4, "2026-12-07"}}));
  EXPECT_EQ(FetchRows(p7, 1), (IdRows{{50, "2026-12-07"}}));
  EXPECT_EQ(FetchRows(p8, 0), (IdRows{{100, "2026-12-08"}, {101, "2026-12-08"}, {102, "2026-12-08"},
                                    {103, "2026-12-08"}, {104, "2026-12-08"}}));
  EXPECT_TRUE(FetchRows(p8, 1).empty());
  EXPECT_EQ(FetchRows(p7, 0, 3), (IdRows{{3, "2026-12-07"}, {4, "2026-12-07"}}));
  auto fetched = Call<proto::FetchLogResponse>(ApiKey::kFetchLog, FetchRequest(p8, 0, 0));
  EXPECT_EQ(fetched.tables_resp(0).buckets_resp(0).partition_id(), p8);
  EXPECT_EQ(fetched.tables_resp(0).buckets_resp(0).high_watermark(), 5);

  auto offsets = ListLatest(p7, {0, 1});
  ASSERT_EQ(offsets.buckets_resp_size(), 2);
  EXPECT_EQ(offsets.buckets_resp(0).offset(), 5);
  EXPECT_EQ(offsets.buckets_resp(1).offset(), 1);
  offsets = ListLatest(p8, {0, 1});
  EXPECT_EQ(offsets.buckets_resp(0).offset(), 5);
  EXPECT_EQ(offsets.buckets_resp(1).offset(), 0);
}

TEST_F(PartitionDataTest, ALongPollOnAPartitionWakesWhenItsBucketGetsData) {
  CreatePartitioned("events", "id INT, dt STRING PARTITIONED BY (dt)", 1, {"a", "b"});
  const int64_t pa = partition_ids_.at("a");
  auto poll = FetchRequest(pa, 0, 0);
  poll.set_min_bytes(1);
  poll.set_max_wait_ms(30000);  // the server's cap; an answer well before it came from the append
  std::optional<proto::FetchLogResponse> answer;
  std::thread poller([&] {
    auto client = rpc::RpcClient::Connect("127.0.0.1", server_->port());
    ASSERT_OK(client);
    auto body = (*client)->CallSync(static_cast<int16_t>(ApiKey::kFetchLog), 0, poll.SerializeAsString(),
                                    std::chrono::seconds(60));
    ASSERT_OK(body);
    answer.emplace();
    EXPECT_TRUE(answer->ParseFromString(*body));
  });
  ASSERT_TRUE(Eventually([&] { return server_->waiting_fetches() == 1; }));
  // Data in the other partition's bucket 0 does not answer it; its own does.
  auto req = ProduceRequest();
  AddProduce(&req, partition_ids_.at("b"), 0, LogBatch(0, 1, "b"));
  ASSERT_FALSE(Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req).buckets_resp(0).has_error_code());
  EXPECT_EQ(server_->waiting_fetches(), 1u);
  req = ProduceRequest();
  AddProduce(&req, pa, 0, LogBatch(7, 2, "a"));
  const auto appended = std::chrono::steady_clock::now();
  ASSERT_FALSE(Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req).buckets_resp(0).has_error_code());
  poller.join();
  // Woken by the append (milliseconds), not answered when its wait ran out (30 s): a generous bound
  // between the two.
  EXPECT_LT(std::chrono::steady_clock::now() - appended, std::chrono::seconds(20));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(RowsOf(*answer), (IdRows{{7, "a"}, {8, "a"}}));
}

TEST_F(PartitionDataTest, ABucketWithoutItsPartitionOrWithAnotherTablesIsUnknown) {
  CreatePartitioned("events", "id INT, dt STRING PARTITIONED BY (dt)", 1, {"a"});
  const int64_t pa = partition_ids_.at("a");
  const int64_t events_id = table_id_;
  // A second partitioned table: its partition id is not one of db.events'.
  CreatePartitioned("other", "id INT, dt STRING PARTITIONED BY (dt)", 1, {"x"});
  const int64_t px = partition_ids_.at("x");
  table_id_ = events_id;
  path_ = *TablePath::Make("db", "events");

  auto code = [](const auto& b) { return static_cast<ErrorCode>(b.error_code()); };
  auto req = ProduceRequest();
  AddProduce(&req, std::nullopt, 0, LogBatch(0, 1, "a"));
  AddProduce(&req, px, 0, LogBatch(0, 1, "a"));
  AddProduce(&req, 999, 0, LogBatch(0, 1, "a"));
  AddProduce(&req, pa, 5, LogBatch(0, 1, "a"));
  auto resp = Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req);
  ASSERT_EQ(resp.buckets_resp_size(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(code(resp.buckets_resp(i)), ErrorCode::kUnknownTableOrBucket) << i;
  EXPECT_EQ(resp.buckets_resp(0).error_message(),
            fmt::format("table 'db.events' (id {}) is partitioned: bucket 0 needs a partition id", events_id));
  EXPECT_FALSE(resp.buckets_resp(0).has_partition_id());
  EXPECT_EQ(resp.buckets_resp(1).error_message(),
            fmt::format("unknown partition id {} of table 'db.events' (id {})", px, events_id));
  EXPECT_EQ(resp.buckets_resp(1).partition_id(), px);
  EXPECT_EQ(resp.buckets_resp(2).partition_id(), 999);
  EXPECT_EQ(resp.buckets_resp(3).error_message(), fmt::format("unknown bucket 5 of partition {} of table id {}", pa,
                                                              events_id));
  // Nothing was written anywhere.
  EXPECT_EQ(ListLatest(pa, {0}).buckets_resp(0).offset(), 0);

  auto fetched = Call<proto::FetchLogResponse>(ApiKey::kFetchLog, FetchRequest(std::nullopt, 0, 0));
  EXPECT_EQ(code(fetched.tables_resp(0).buckets_resp(0)), ErrorCode::kUnknownTableOrBucket);
  auto listed = ListLatest(std::nullopt, {0});
  EXPECT_EQ(code(listed.buckets_resp(0)), ErrorCode::kUnknownTableOrBucket);
  EXPECT_EQ(code(ListLatest(px, {0}).buckets_resp(0)), ErrorCode::kUnknownTableOrBucket);

  // A partition id on a table without partitions.
  ASSERT_OK(admin().CreateDatabase("db", true));
  TableDescriptor plain(ParseSchema("id INT, dt STRING").value());
  plain.DistributedBy(1);
  ASSERT_OK(admin().CreateTable(*TablePath::Make("db", "plain"), plain));
  table_id_ = admin().GetTableInfo(*TablePath::Make("db", "plain"))->table_id;
  req = ProduceRequest();
  AddProduce(&req, pa, 0, LogBatch(0, 1, "a"));
  resp = Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req);
  EXPECT_EQ(code(resp.buckets_resp(0)), ErrorCode::kUnknownTableOrBucket);
  EXPECT_EQ(resp.buckets_resp(0).error_message(),
            fmt::format("table 'db.plain' (id {}) is not partitioned: bucket 0 has partition id {}", table_id_, pa));
}

TEST_F(PartitionDataTest, PrimaryKeyPartitionsPutLookUpAndScanTheirOwnState) {
  CreatePartitioned("users",
                    "tenant INT NOT NULL, id INT NOT NULL, dt STRING NOT NULL, name STRING, "
                    "PRIMARY KEY (tenant, id, dt) PARTITIONED BY (dt)",
                    1, {"a", "b"}, {"tenant"});
  const int64_t pa = partition_ids_.at("a");
  const int64_t pb = partition_ids_.at("b");
  EXPECT_TRUE(fs::is_directory(PartitionDir("a") + "/kv-0"));
  // The same keys in both partitions are different rows.
  auto put = Put(pa, "a", {{1, "ann"}, {2, "bob"}});
  ASSERT_FALSE(put.buckets_resp(0).has_error_code()) << put.buckets_resp(0).error_message();
  EXPECT_EQ(put.buckets_resp(0).partition_id(), pa);
  EXPECT_EQ(put.buckets_resp(0).log_end_offset(), 2);
  put = Put(pb, "b", {{2, "bea"}, {3, "cy"}, {2, "bo"}});
  ASSERT_FALSE(put.buckets_resp(0).has_error_code()) << put.buckets_resp(0).error_message();
  EXPECT_EQ(put.buckets_resp(0).log_end_offset(), 4);  // +I bea, +I cy, -U bea, +U bo: this partition's changelog
  EXPECT_EQ(Lookup(pa, {1, 2, 3}), (std::vector<std::string>{"a/ann", "a/bob", ""}));
  EXPECT_EQ(Lookup(pb, {1, 2, 3}), (std::vector<std::string>{"", "b/bo", "b/cy"}));

  // Without a partition: refused, nothing written.
  put = Put(std::nullopt, "a", {{9, "x"}});
  EXPECT_EQ(static_cast<ErrorCode>(put.buckets_resp(0).error_code()), ErrorCode::kUnknownTableOrBucket);
  proto::LookupRequest bad;
  bad.set_table_id(table_id_);
  bad.add_buckets_req()->set_bucket_id(0);
  EXPECT_EQ(static_cast<ErrorCode>(Call<proto::LookupResponse>(ApiKey::kLookup, bad).buckets_resp(0).error_code()),
            ErrorCode::kUnknownTableOrBucket);

  // Prefix lookup by the bucket key (tenant), per partition.
  proto::PrefixLookupRequest prefix;
  prefix.set_table_id(table_id_);
  auto* pbr = prefix.add_buckets_req();
  pbr->set_partition_id(pb);
  pbr->set_bucket_id(0);
  pbr->add_keys(TenantPrefix(1));
  pbr->add_keys(TenantPrefix(2));
  auto prefixed = Call<proto::PrefixLookupResponse>(ApiKey::kPrefixLookup, prefix);
  ASSERT_EQ(prefixed.buckets_resp_size(), 1);
  EXPECT_FALSE(prefixed.buckets_resp(0).has_error_code()) << prefixed.buckets_resp(0).error_message();
  EXPECT_EQ(prefixed.buckets_resp(0).partition_id(), pb);
  ASSERT_EQ(prefixed.buckets_resp(0).value_lists_size(), 2);
  std::vector<std::string> values;
  for (const auto& v : prefixed.buckets_resp(0).value_lists(0).values()) values.push_back(Value(v));
  EXPECT_EQ(values, (std::vector<std::string>{"b/bo", "b/cy"}));
  EXPECT_EQ(prefixed.buckets_resp(0).value_lists(1).values_size(), 0);

  // Scan KV of one partition's bucket: its rows only.
  proto::ScanKvRequest scan;
  scan.mutable_bucket_scan_req()->set_table_id(table_id_);
  scan.mutable_bucket_scan_req()->set_partition_id(pa);
  scan.mutable_bucket_scan_req()->set_bucket_id(0);
  scan.set_batch_size_bytes(1 << 20);
  auto scanned = Call<proto::ScanKvResponse>(ApiKey::kScanKv, scan);
  ASSERT_FALSE(scanned.has_error_code()) << scanned.error_message();
  EXPECT_EQ(scanned.log_offset(), 2);
  ASSERT_TRUE(scanned.has_records());
  auto batch = ValueRecordBatch::Parse(Buffer::Copy(std::string_view(scanned.records())));
  ASSERT_OK(batch);
  EXPECT_EQ(batch->record_count(), 2);
  scan.mutable_bucket_scan_req()->clear_partition_id();
  EXPECT_EQ(static_cast<ErrorCode>(Call<proto::ScanKvResponse>(ApiKey::kScanKv, scan).error_code()),
            ErrorCode::kUnknownTableOrBucket);

  // The state survives a restart (each partition's KV state and changelog reopened).
  Restart();
  EXPECT_EQ(Lookup(pa, {1, 2, 3}), (std::vector<std::string>{"a/ann", "a/bob", ""}));
  EXPECT_EQ(Lookup(pb, {1, 2, 3}), (std::vector<std::string>{"", "b/bo", "b/cy"}));
}

TEST_F(PartitionDataTest, DropPartitionDeletesItsDataAndRestartReopensTheRest) {
  CreatePartitioned("events", "id INT, dt STRING PARTITIONED BY (dt)", 2, {"a", "b", "c"});
  for (const char* name : {"a", "b", "c"}) {
    auto req = ProduceRequest();
    AddProduce(&req, partition_ids_.at(name), 1, LogBatch(0, 4, name));
    ASSERT_FALSE(Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req).buckets_resp(0).has_error_code());
  }
  const std::string b_dir = PartitionDir("b");
  const int64_t pb = partition_ids_.at("b");
  ASSERT_TRUE(fs::is_directory(b_dir + "/log-1"));
  ASSERT_OK(admin().DropPartition(path_, {{"dt", "b"}}));
  EXPECT_FALSE(fs::exists(b_dir));
  auto fetched = Call<proto::FetchLogResponse>(ApiKey::kFetchLog, FetchRequest(pb, 1, 0));
  EXPECT_EQ(static_cast<ErrorCode>(fetched.tables_resp(0).buckets_resp(0).error_code()),
            ErrorCode::kUnknownTableOrBucket);
  EXPECT_EQ(fetched.tables_resp(0).buckets_resp(0).error_message(),
            fmt::format("unknown partition id {} of table 'db.events' (id {})", pb, table_id_));
  EXPECT_EQ(FetchRows(partition_ids_.at("a"), 1).size(), 4u);

  Restart();
  EXPECT_FALSE(fs::exists(b_dir));
  EXPECT_EQ(FetchRows(partition_ids_.at("a"), 1), (IdRows{{0, "a"}, {1, "a"}, {2, "a"}, {3, "a"}}));
  EXPECT_EQ(FetchRows(partition_ids_.at("c"), 1), (IdRows{{0, "c"}, {1, "c"}, {2, "c"}, {3, "c"}}));
  EXPECT_EQ(ListLatest(partition_ids_.at("c"), {0, 1}).buckets_resp(1).offset(), 4);
  // A new partition after the restart opens too, and the table's drop takes every partition's data.
  ASSERT_OK(admin().CreatePartition(path_, {{"dt", "d"}}));
  LoadPartitionIds();
  auto req = ProduceRequest();
  AddProduce(&req, partition_ids_.at("d"), 0, LogBatch(0, 1, "d"));
  ASSERT_FALSE(Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req).buckets_resp(0).has_error_code());
  const std::string table_dir = fmt::format("{}/db/events-{}", data_dir(), table_id_);
  ASSERT_TRUE(fs::is_directory(PartitionDir("d")));
  ASSERT_OK(admin().DropTable(path_));
  EXPECT_FALSE(fs::exists(table_dir));
}

TEST_F(PartitionDataTest, ADroppedPartitionsLeftoverIsDeletedAndAnUnknownOneMovedAside) {
  CreatePartitioned("events", "id INT, dt STRING PARTITIONED BY (dt)", 1, {"a", "b"});
  const std::string a_dir = PartitionDir("a");
  const std::string b_dir = PartitionDir("b");
  const std::string table_dir = fs::path(a_dir).parent_path().string();
  rpc_.reset();
  StopServer();
  // Partition b's data copied aside while the server is down; b dropped meanwhile (another server
  // start drops it: the copy comes back as the leftover of a dropped partition).
  const std::string saved = data_dir() + "-saved-b";
  fs::copy(b_dir, saved, fs::copy_options::recursive);
  StartServer();
  Connect();
  ASSERT_OK(admin().DropPartition(path_, {{"dt", "b"}}));
  ASSERT_FALSE(fs::exists(b_dir));
  rpc_.reset();
  StopServer();
  fs::copy(saved, b_dir, fs::copy_options::recursive);
  fs::remove_all(saved);
  // A partition directory no record explains, and a bucket log directly in the partitioned table's dir.
  fs::create_directories(table_dir + "/zz-p77/log-0");
  fs::create_directories(table_dir + "/log-0");
  StartServer();
  Connect();
  EXPECT_FALSE(fs::exists(b_dir));
  EXPECT_FALSE(fs::exists(table_dir + "/zz-p77"));
  EXPECT_FALSE(fs::exists(table_dir + "/log-0"));
  EXPECT_TRUE(fs::is_directory(a_dir + "/log-0"));
  bool quarantined = false;
  for (const auto& e : fs::directory_iterator(data_dir() + "/.quarantine")) {
    quarantined = fs::is_directory(e.path() / fs::path(table_dir).lexically_relative(data_dir()) / "zz-p77");
  }
  EXPECT_TRUE(quarantined);
  auto req = ProduceRequest();
  AddProduce(&req, partition_ids_.at("a"), 0, LogBatch(0, 1, "a"));
  EXPECT_FALSE(Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, req).buckets_resp(0).has_error_code());
}

}  // namespace
}  // namespace fluss
