// How a Status becomes the error code of a response (server/wire_error.h): protocol conditions keep
// their code, internal kinds take the closest upstream code for the API; and, end to end on an
// in-process server, corrupt and failed storage reaches the client as upstream's codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "format/compacted_key.h"
#include "format/compacted_row.h"
#include "format/kv_record_batch.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "server/wire_error.h"
#include "support/file_size_limit.h"
#include "support/in_process_server.h"
#include "support/status_macros.h"
#include "unit/log/log_test_support.h"

namespace fluss {
namespace {

using rpc::ApiKey;

constexpr StatusCode kEveryErrorKind[] = {
    StatusCode::kInvalidArgument,   StatusCode::kNotFound,           StatusCode::kAlreadyExists,
    StatusCode::kCorruption,        StatusCode::kIOError,            StatusCode::kNotSupported,
    StatusCode::kTimedOut,          StatusCode::kUnavailable,        StatusCode::kPermissionDenied,
    StatusCode::kResourceExhausted, StatusCode::kFailedPrecondition, StatusCode::kInternal,
};

// Every served API and "no API known".
std::vector<std::optional<ApiKey>> EveryApi() {
  std::vector<std::optional<ApiKey>> out = {std::nullopt};
  for (const auto& api : rpc::kServedApis) out.push_back(api.key);
  return out;
}

std::string ApiName(std::optional<ApiKey> api) {
  return api ? std::to_string(static_cast<int16_t>(*api)) : std::string("no api");
}

TEST(ToWireErrorTest, AProtocolConditionKeepsItsCodeAndMessageInEveryApi) {
  for (int32_t n = -1; n <= 128; ++n) {
    const auto code = static_cast<ErrorCode>(n);
    if (code == ErrorCode::kNone || ErrorCodeName(code) == "UNKNOWN_ERROR_CODE") continue;
    for (auto api : EveryApi()) {
      WireError e = ToWireError(Status(code, "the reason"), api);
      EXPECT_EQ(e.code, code) << ErrorCodeName(code) << " in " << ApiName(api);
      EXPECT_EQ(e.message, "the reason");
    }
  }
}

TEST(ToWireErrorTest, EveryKindMapsToAFlussCodeInEveryApi) {
  for (StatusCode kind : kEveryErrorKind) {
    for (auto api : EveryApi()) {
      WireError e = ToWireError(Status(kind, "the reason"), api);
      EXPECT_NE(e.code, ErrorCode::kNone) << StatusCodeName(kind) << " in " << ApiName(api);
      EXPECT_NE(ErrorCodeName(e.code), "UNKNOWN_ERROR_CODE") << StatusCodeName(kind) << " in " << ApiName(api);
      EXPECT_EQ(e.message, "the reason");
      // What the client decodes is an error again, never OK.
      EXPECT_FALSE(e.ToStatus().ok());
    }
  }
}

TEST(ToWireErrorTest, KindsTakeTheClosestUpstreamCode) {
  const std::pair<StatusCode, ErrorCode> table[] = {
      {StatusCode::kInvalidArgument, ErrorCode::kInvalidConfig},
      {StatusCode::kNotFound, ErrorCode::kStorageException},
      {StatusCode::kAlreadyExists, ErrorCode::kStorageException},
      {StatusCode::kCorruption, ErrorCode::kCorruptRecord},
      {StatusCode::kIOError, ErrorCode::kStorageException},
      {StatusCode::kNotSupported, ErrorCode::kUnsupportedVersion},
      {StatusCode::kTimedOut, ErrorCode::kRequestTimeOut},
      {StatusCode::kUnavailable, ErrorCode::kNetworkException},
      {StatusCode::kPermissionDenied, ErrorCode::kAuthorization},
      {StatusCode::kResourceExhausted, ErrorCode::kUnknownServerError},
      {StatusCode::kFailedPrecondition, ErrorCode::kUnknownServerError},
      {StatusCode::kInternal, ErrorCode::kUnknownServerError},
  };
  for (const auto& [kind, code] : table) {
    EXPECT_EQ(ToWireError(Status(kind, "m"), ApiKey::kCreateTable).code, code) << StatusCodeName(kind);
    EXPECT_EQ(ToWireError(Status(kind, "m"), std::nullopt).code, code) << StatusCodeName(kind);
  }
}

TEST(ToWireErrorTest, StorageFailuresTakeTheStorageCodeOfTheApi) {
  for (StatusCode kind : {StatusCode::kIOError, StatusCode::kNotFound, StatusCode::kAlreadyExists}) {
    const Status st(kind, "open 'x'");
    for (ApiKey api : {ApiKey::kProduceLog, ApiKey::kFetchLog, ApiKey::kListOffsets}) {
      EXPECT_EQ(ToWireError(st, api).code, ErrorCode::kLogStorageException) << StatusCodeName(kind);
    }
    for (ApiKey api : {ApiKey::kPutKv, ApiKey::kLookup, ApiKey::kPrefixLookup, ApiKey::kScanKv}) {
      EXPECT_EQ(ToWireError(st, api).code, ErrorCode::kKvStorageException) << StatusCodeName(kind);
    }
    for (ApiKey api : {ApiKey::kCreateTable, ApiKey::kGetTableInfo, ApiKey::kNotifyLeaderAndIsr}) {
      EXPECT_EQ(ToWireError(st, api).code, ErrorCode::kStorageException) << StatusCodeName(kind);
    }
  }
  // A corruption is CORRUPT_RECORD whatever the API.
  EXPECT_EQ(ToWireError(Status::Corruption("crc"), ApiKey::kPutKv).code, ErrorCode::kCorruptRecord);
  EXPECT_EQ(ToWireError(Status::Corruption("crc"), ApiKey::kFetchLog).code, ErrorCode::kCorruptRecord);
}

TEST(ToWireErrorTest, ResponseBuildersTakeTheApiFromTheResponseType) {
  const Status io = Status::IOError("disk");
  proto::PbProduceLogRespForBucket produce;
  SetResponseError(&produce, io);
  EXPECT_EQ(produce.error_code(), static_cast<int32_t>(ErrorCode::kLogStorageException));
  EXPECT_EQ(produce.error_message(), "disk");
  proto::PbLookupRespForBucket lookup;
  SetResponseError(&lookup, io);
  EXPECT_EQ(lookup.error_code(), static_cast<int32_t>(ErrorCode::kKvStorageException));
  proto::ScanKvResponse scan;
  SetResponseError(&scan, io);
  EXPECT_EQ(scan.error_code(), static_cast<int32_t>(ErrorCode::kKvStorageException));
  proto::PbNotifyLeaderAndIsrRespForBucket notify;
  SetResponseError(&notify, io);
  EXPECT_EQ(notify.error_code(), static_cast<int32_t>(ErrorCode::kStorageException));
  proto::PbFetchLogRespForBucket fetch;
  SetResponseError(&fetch, Status(ErrorCode::kNotLeaderOrFollower, "not here"));
  EXPECT_EQ(fetch.error_code(), static_cast<int32_t>(ErrorCode::kNotLeaderOrFollower));
}

// ---- end to end ---------------------------------------------------------------------------------

constexpr auto kTimeout = std::chrono::seconds(30);

class WireErrorServerTest : public testing::InProcessServerTest {
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

  // db.<name> with `dsl` and one bucket; its table id.
  int64_t Create(const std::string& name, const std::string& dsl) {
    CreateTable(name, dsl, 1);
    auto info = conn_->GetAdmin().GetTableInfo(TablePath::Make("db", name).value());
    EXPECT_OK(info);
    return info.ok() ? info->table_id : -1;
  }

  template <typename Resp, typename Req>
  Resp Call(ApiKey key, int16_t version, const Req& req) {
    auto body = rpc_->CallSync(static_cast<int16_t>(key), version, req.SerializeAsString(), kTimeout);
    EXPECT_OK(body);
    Resp resp;
    if (body.ok()) {
      EXPECT_TRUE(resp.ParseFromString(*body));
    }
    return resp;
  }

  proto::PbProduceLogRespForBucket Produce(int64_t table_id, const std::string& records) {
    proto::ProduceLogRequest req;
    req.set_acks(1);
    req.set_table_id(table_id);
    req.set_timeout_ms(10000);
    auto* b = req.add_buckets_req();
    b->set_bucket_id(0);
    b->set_records(records);
    auto resp = Call<proto::ProduceLogResponse>(ApiKey::kProduceLog, 0, req);
    EXPECT_EQ(resp.buckets_resp_size(), 1);
    return resp.buckets_resp_size() == 1 ? resp.buckets_resp(0) : proto::PbProduceLogRespForBucket();
  }

  proto::PbFetchLogRespForBucket Fetch(int64_t table_id, int64_t offset) {
    proto::FetchLogRequest req;
    req.set_follower_server_id(-1);
    req.set_max_bytes(1 << 20);
    auto* t = req.add_tables_req();
    t->set_table_id(table_id);
    t->set_projection_pushdown_enabled(false);
    auto* b = t->add_buckets_req();
    b->set_bucket_id(0);
    b->set_fetch_offset(offset);
    b->set_max_fetch_bytes(1 << 20);
    auto resp = Call<proto::FetchLogResponse>(ApiKey::kFetchLog, 0, req);
    if (resp.tables_resp_size() != 1 || resp.tables_resp(0).buckets_resp_size() != 1) {
      ADD_FAILURE() << "FetchLog answered " << resp.ShortDebugString();
      return {};
    }
    return resp.tables_resp(0).buckets_resp(0);
  }

  int64_t LatestOffset(const std::string& name) {
    auto offsets = conn_->GetAdmin().ListOffsets(TablePath::Make("db", name).value(), OffsetSpec::Latest());
    EXPECT_OK(offsets);
    return offsets.ok() ? offsets->at(0) : -1;
  }

  static std::string Bytes(const Buffer& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

  std::shared_ptr<rpc::RpcClient> rpc_;
};

TEST_F(WireErrorServerTest, ALogBatchFailingItsCrcIsCorruptRecordAndNothingIsWritten) {
  const int64_t id = Create("events", "id INT, v STRING");
  std::string records = Bytes(testing::MakeBatch(3));
  records.back() ^= 0x5A;  // inside the CRC's range
  auto resp = Produce(id, records);
  EXPECT_EQ(resp.error_code(), static_cast<int32_t>(ErrorCode::kCorruptRecord)) << resp.error_message();
  EXPECT_NE(resp.error_message().find("CRC"), std::string::npos) << resp.error_message();
  EXPECT_EQ(LatestOffset("events"), 0);
}

TEST_F(WireErrorServerTest, AKvBatchFailingItsCrcIsCorruptRecordAndNothingIsWritten) {
  const Schema schema = ParseSchema("id INT NOT NULL, name STRING, PRIMARY KEY (id)").value();
  const int64_t id = Create("users", "id INT NOT NULL, name STRING, PRIMARY KEY (id)");
  GenericRow row(2);
  row.SetField(0, int32_t{1});
  row.SetField(1, std::string("ann"));
  auto key = EncodeCompactedKey(schema, schema.primary_key_indexes(), row).value();
  KvRecordBatchBuilderOptions o;
  o.schema_id = 1;
  KvRecordBatchBuilder builder(o);
  ASSERT_OK(builder.AppendUpsert(key, EncodeCompactedRow(schema, row).value()));
  auto batch = builder.Build().value();
  std::string records(reinterpret_cast<const char*>(batch.data()), batch.size());
  records.back() ^= 0x5A;
  proto::PutKvRequest req;
  req.set_acks(1);
  req.set_table_id(id);
  req.set_timeout_ms(10000);
  auto* b = req.add_buckets_req();
  b->set_bucket_id(0);
  b->set_records(records);
  auto resp = Call<proto::PutKvResponse>(ApiKey::kPutKv, 1, req);
  ASSERT_EQ(resp.buckets_resp_size(), 1);
  EXPECT_EQ(resp.buckets_resp(0).error_code(), static_cast<int32_t>(ErrorCode::kCorruptRecord))
      << resp.buckets_resp(0).error_message();
  EXPECT_NE(resp.buckets_resp(0).error_message().find("CRC"), std::string::npos) << resp.buckets_resp(0).error_message();
  EXPECT_EQ(LatestOffset("users"), 0);
}

TEST_F(WireErrorServerTest, ADamagedSegmentOnDiskIsCorruptRecordForAFetch) {
  const int64_t id = Create("events", "id INT, v STRING");
  auto produced = Produce(id, Bytes(testing::MakeBatch(3)));
  ASSERT_FALSE(produced.has_error_code()) << produced.error_message();
  ASSERT_EQ(Fetch(id, 0).error_code(), 0);
  // The first batch's Length (int32 at byte 8) now claims more bytes than the segment holds.
  const std::string segment = fmt::format("{}/db/events-{}/log-0/{:020}.log", data_dir(), id, 0);
  ASSERT_TRUE(std::filesystem::exists(segment)) << segment;
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    const char huge[4] = {'\xff', '\xff', '\xff', '\x0f'};
    f.write(huge, sizeof(huge));
  }
  auto resp = Fetch(id, 0);
  EXPECT_EQ(resp.error_code(), static_cast<int32_t>(ErrorCode::kCorruptRecord)) << resp.error_message();
  EXPECT_NE(resp.error_message().find("segment '"), std::string::npos) << resp.error_message();
}

TEST_F(WireErrorServerTest, AWriteTheDiskCannotTakeIsLogStorageException) {
  const int64_t id = Create("events", "id INT, v STRING");
  auto first = Produce(id, Bytes(testing::MakeBatch(1)));
  ASSERT_FALSE(first.has_error_code()) << first.error_message();
  const std::string segment = fmt::format("{}/db/events-{}/log-0/{:020}.log", data_dir(), id, 0);
  const uint64_t size = std::filesystem::file_size(segment);
  proto::PbProduceLogRespForBucket resp;
  {
    testing::FileSizeLimit limit(size + 4096);  // the next batch (about 20 KB) does not fit
    resp = Produce(id, Bytes(testing::MakeBatch(200, -1, -1, 100)));
  }
  EXPECT_EQ(resp.error_code(), static_cast<int32_t>(ErrorCode::kLogStorageException)) << resp.error_message();
  EXPECT_NE(resp.error_message().find("File too large"), std::string::npos) << resp.error_message();
  EXPECT_EQ(LatestOffset("events"), 1);
}

}  // namespace
}  // namespace fluss
