// The api key -> handler table and what each role registers in it: dispatch (unknown key, version,
// a key of the other role, network thread vs workers), API_VERSIONS answered from the table, one
// entry per served key, and the keys of TabletService, CoordinatorService and MetadataService; then
// a standalone and a tablet-role server over RPC answering exactly their keys. (The cluster
// coordinator and a cluster tablet server are checked in tests/zk/cluster_test.cc.)
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fluss_api.pb.h"
#include "metadata/embedded_metadata_store.h"
#include "rpc/api_keys.h"
#include "rpc/rpc_client.h"
#include "server/api_table.h"
#include "server/coordinator_service.h"
#include "server/fluss_server.h"
#include "server/metadata_service.h"
#include "server/tablet_service.h"
#include "support/status_macros.h"
#include "support/temp_dir.h"

namespace fluss {
namespace {

using rpc::ApiKey;

// What one request was answered.
class CapturingResponder : public rpc::RpcResponder {
 public:
  void SendSuccess(std::string body) override {
    std::lock_guard lock(mu_);
    ++answers_;
    ok_ = true;
    body_ = std::move(body);
  }
  void SendSuccessParts(std::vector<Buffer> parts) override {
    std::string joined;
    for (const auto& p : parts) joined.append(reinterpret_cast<const char*>(p.data()), p.size());
    SendSuccess(std::move(joined));
  }
  void SendError(Status status) override {
    std::lock_guard lock(mu_);
    ++answers_;
    ok_ = false;
    error_ = std::move(status);
  }
  bool connection_open() const override { return true; }

  int answers() const { return answers_; }
  bool ok() const { return ok_; }
  const std::string& body() const { return body_; }
  const Status& error() const { return error_; }

 private:
  std::mutex mu_;
  int answers_ = 0;
  bool ok_ = false;
  std::string body_;
  Status error_;
};

rpc::RpcRequest MakeRequest(int16_t key, int16_t version, std::string body = "") {
  rpc::RpcRequest r;
  r.api_key = key;
  r.api_version = version;
  r.request_id = 1;
  r.body = std::move(body);
  r.peer = "test";
  return r;
}

rpc::RpcRequest MakeRequest(ApiKey key, std::string body = "") {
  const auto api = rpc::FindServedApi(static_cast<int16_t>(key));
  return MakeRequest(static_cast<int16_t>(key), api ? api->max_version : 0, std::move(body));
}

std::string ApiVersionsBody() {
  proto::ApiVersionsRequest r;
  r.set_client_software_name("api-table-test");
  r.set_client_software_version("0");
  return r.SerializeAsString();
}

std::set<ApiKey> KeysOf(const ApiTable& table) {
  std::set<ApiKey> keys;
  for (const auto& api : table.served()) keys.insert(api.key);
  return keys;
}

// The keys each part serves, written out here (not taken from the code under test).
const std::set<ApiKey> kTabletServiceKeys = {
    ApiKey::kProduceLog, ApiKey::kFetchLog,     ApiKey::kListOffsets,        ApiKey::kPutKv,
    ApiKey::kLookup,     ApiKey::kPrefixLookup, ApiKey::kScanKv,             ApiKey::kNotifyLeaderAndIsr,
    ApiKey::kStopReplica};
const std::set<ApiKey> kMetadataServiceKeys = {
    ApiKey::kListDatabases, ApiKey::kDatabaseExists, ApiKey::kGetDatabaseInfo,
    ApiKey::kGetTableInfo,  ApiKey::kListTables,     ApiKey::kTableExists,
    ApiKey::kGetTableSchema, ApiKey::kGetMetadata,   ApiKey::kInitWriter,
    ApiKey::kListPartitionInfos};
const std::set<ApiKey> kDdlKeys = {ApiKey::kCreateDatabase, ApiKey::kDropDatabase,    ApiKey::kCreateTable,
                                   ApiKey::kDropTable,      ApiKey::kCreatePartition, ApiKey::kDropPartition};
const std::set<ApiKey> kClusterControlKeys = {ApiKey::kAdjustIsr, ApiKey::kControlledShutdown};

std::set<ApiKey> Union(std::initializer_list<std::set<ApiKey>> parts) {
  std::set<ApiKey> out;
  for (const auto& p : parts) out.insert(p.begin(), p.end());
  return out;
}

ApiTable::Executor InlineExecutor() {
  return [](std::function<void()> task) { task(); };
}

// A ClusterControl that is registered, never called.
class UnusedClusterControl : public ClusterControl {
 public:
  Status CheckActive() const override { return Status::OK(); }
  Result<proto::AdjustIsrResponse> AdjustIsr(const proto::AdjustIsrRequest&) override {
    return Status::Internal("not called in this test");
  }
  Result<proto::ControlledShutdownResponse> ControlledShutdown(const proto::ControlledShutdownRequest&) override {
    return Status::Internal("not called in this test");
  }
};

// ---- the table ------------------------------------------------------------------------------

TEST(ApiTableTest, DispatchesARegisteredKeyToItsHandler) {
  ApiTable table(InlineExecutor());
  std::string seen;
  ASSERT_OK(table.AddBody(ApiKey::kListTables, [&](const std::string& body) -> Result<std::string> {
    seen = body;
    return std::string("answer");
  }));
  auto responder = std::make_shared<CapturingResponder>();
  table.Process(MakeRequest(ApiKey::kListTables, "request"), responder);
  EXPECT_EQ(seen, "request");
  ASSERT_EQ(responder->answers(), 1);
  EXPECT_TRUE(responder->ok());
  EXPECT_EQ(responder->body(), "answer");
}

TEST(ApiTableTest, HandlerErrorIsTheErrorAnswer) {
  ApiTable table(InlineExecutor());
  ASSERT_OK(table.AddBody(ApiKey::kListTables, [](const std::string&) -> Result<std::string> {
    return Status(ErrorCode::kDatabaseNotExist, "database 'x' does not exist");
  }));
  auto responder = std::make_shared<CapturingResponder>();
  table.Process(MakeRequest(ApiKey::kListTables), responder);
  ASSERT_EQ(responder->answers(), 1);
  EXPECT_FALSE(responder->ok());
  EXPECT_EQ(responder->error().code(), ErrorCode::kDatabaseNotExist);
}

TEST(ApiTableTest, AKeyRegisteredTwiceOrWithoutAServedRangeIsRefused) {
  ApiTable table(InlineExecutor());
  auto answer = [](const std::string&) -> Result<std::string> { return std::string(); };
  ASSERT_OK(table.AddBody(ApiKey::kListTables, answer));
  Status twice = table.AddBody(ApiKey::kListTables, answer);
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.message().find("ListTables"), std::string::npos) << twice.ToString();
  // UPDATE_METADATA has a number but no served version range.
  EXPECT_FALSE(table.AddBody(ApiKey::kUpdateMetadata, answer).ok());
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(KeysOf(table), std::set<ApiKey>{ApiKey::kListTables});
}

TEST(ApiTableTest, UnknownKeyUnsupportedVersionAndUnservedKeyAreUnsupportedVersion) {
  ApiTable table(InlineExecutor(), [](int16_t key) { return "key " + std::to_string(key) + " is the other role's"; });
  ASSERT_OK(table.AddBody(ApiKey::kListTables, [](const std::string&) -> Result<std::string> {
    return std::string();
  }));

  auto unknown = std::make_shared<CapturingResponder>();
  table.Process(MakeRequest(999, 0), unknown);
  ASSERT_EQ(unknown->answers(), 1);
  EXPECT_EQ(unknown->error().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(unknown->error().message().find("999"), std::string::npos);

  auto version = std::make_shared<CapturingResponder>();
  table.Process(MakeRequest(static_cast<int16_t>(ApiKey::kListTables), 7), version);
  ASSERT_EQ(version->answers(), 1);
  EXPECT_EQ(version->error().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(version->error().message().find("version 7"), std::string::npos) << version->error().ToString();

  auto other_role = std::make_shared<CapturingResponder>();
  table.Process(MakeRequest(ApiKey::kProduceLog), other_role);
  ASSERT_EQ(other_role->answers(), 1);
  EXPECT_EQ(other_role->error().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(other_role->error().message(), "key 1014 is the other role's");
}

TEST(ApiTableTest, NetworkThreadHandlersRunInPlaceAndTheOthersOnTheWorkers) {
  std::vector<std::function<void()>> queued;
  ApiTable table([&](std::function<void()> task) { queued.push_back(std::move(task)); });
  int network_calls = 0;
  int worker_calls = 0;
  ASSERT_OK(table.Add(ApiKey::kProduceLog,
                        [&](const rpc::RpcRequest&, const std::shared_ptr<rpc::RpcResponder>& r) {
                          ++network_calls;
                          r->SendSuccess("");
                        },
                        ApiThread::kNetwork)
                  );
  ASSERT_OK(table.Add(ApiKey::kFetchLog, [&](const rpc::RpcRequest&, const std::shared_ptr<rpc::RpcResponder>& r) {
    ++worker_calls;
    r->SendSuccess("");
  }));
  table.Handle(MakeRequest(ApiKey::kProduceLog), std::make_shared<CapturingResponder>());
  EXPECT_EQ(network_calls, 1);
  EXPECT_TRUE(queued.empty());
  auto fetch = std::make_shared<CapturingResponder>();
  table.Handle(MakeRequest(ApiKey::kFetchLog), fetch);
  EXPECT_EQ(worker_calls, 0);
  ASSERT_EQ(queued.size(), 1u);
  queued.front()();
  EXPECT_EQ(worker_calls, 1);
  EXPECT_EQ(fetch->answers(), 1);
}

TEST(ApiTableTest, ApiVersionsListsExactlyTheRegisteredKeys) {
  ApiTable table(InlineExecutor());
  auto answer = [](const std::string&) -> Result<std::string> { return std::string(); };
  ASSERT_OK(table.AddBody(ApiKey::kListTables, answer));
  ASSERT_OK(table.AddApiVersions(rpc::kServerTypeTabletServer));
  // Registered after ApiVersions: listed too.
  ASSERT_OK(table.AddBody(ApiKey::kPutKv, answer));
  auto responder = std::make_shared<CapturingResponder>();
  table.Process(MakeRequest(ApiKey::kApiVersions, ApiVersionsBody()), responder);
  ASSERT_TRUE(responder->ok()) << responder->error().ToString();
  proto::ApiVersionsResponse resp;
  ASSERT_TRUE(resp.ParseFromString(responder->body()));
  ASSERT_EQ(resp.api_versions_size(), 3);
  std::set<int32_t> keys;
  for (const auto& v : resp.api_versions()) {
    keys.insert(v.api_key());
    if (v.api_key() == static_cast<int32_t>(ApiKey::kPutKv)) {
      EXPECT_EQ(v.min_version(), 1);
      EXPECT_EQ(v.max_version(), 1);
    }
  }
  EXPECT_EQ(keys, (std::set<int32_t>{1000, 1008, 1016}));
  EXPECT_TRUE(resp.has_server_type());
  EXPECT_EQ(resp.server_type(), rpc::kServerTypeTabletServer);
}

// ---- what each service registers --------------------------------------------------------------

TEST(ServiceRegistrationTest, EachServiceRegistersExactlyItsKeys) {
  const ServerConfig config;
  {
    ApiTable table(InlineExecutor());
    TabletService tablets(config, nullptr, nullptr, nullptr);
    ASSERT_OK(tablets.Register(table));
    EXPECT_EQ(KeysOf(table), kTabletServiceKeys);
  }
  {
    ApiTable table(InlineExecutor());
    MetadataService metadata(config, nullptr);
    ASSERT_OK(metadata.Register(table));
    EXPECT_EQ(KeysOf(table), kMetadataServiceKeys);
  }
  {
    ApiTable table(InlineExecutor());
    CoordinatorService standalone(config, nullptr, nullptr);
    ASSERT_OK(standalone.Register(table));
    EXPECT_EQ(KeysOf(table), kDdlKeys);
  }
  {
    ApiTable table(InlineExecutor());
    UnusedClusterControl control;
    CoordinatorService cluster(config, nullptr, nullptr, &control);
    ASSERT_OK(cluster.Register(table));
    EXPECT_EQ(KeysOf(table), Union({kDdlKeys, kClusterControlKeys}));
  }
}

TEST(ServiceRegistrationTest, TheServicesOfOneServerShareNoKey) {
  // A standalone server registers all three: a key in two of them would be refused by Add.
  const ServerConfig config;
  ApiTable table(InlineExecutor());
  TabletService tablets(config, nullptr, nullptr, nullptr);
  MetadataService metadata(config, nullptr);
  UnusedClusterControl control;
  CoordinatorService coordinator(config, nullptr, nullptr, &control);
  ASSERT_OK(tablets.Register(table));
  ASSERT_OK(metadata.Register(table));
  ASSERT_OK(coordinator.Register(table));
  ASSERT_OK(table.AddApiVersions(std::nullopt));
  EXPECT_EQ(table.size(), kTabletServiceKeys.size() + kMetadataServiceKeys.size() + kDdlKeys.size() +
                              kClusterControlKeys.size() + 1);
  // Every API with a served range has exactly one handler here.
  std::set<ApiKey> all;
  for (const auto& api : rpc::kServedApis) all.insert(api.key);
  EXPECT_EQ(KeysOf(table), all);
}

// ---- servers over RPC -------------------------------------------------------------------------

class RoleApisTest : public ::testing::Test {
 protected:
  void Start(ServerRole role) {
    std::vector<std::string> sets = {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + dir_.Sub("data")};
    ServerHooks hooks;
    if (role == ServerRole::kTablet) {
      sets.push_back("zookeeper.address=unused:2181");
      auto store = EmbeddedMetadataStore::Open(dir_.Sub("meta"));
      ASSERT_OK(store);
      hooks.metadata = std::shared_ptr<MetadataStore>(std::move(store).value());
    }
    auto config = ServerConfig::Load("", sets);
    ASSERT_OK(config);
    config->role = role;
    auto server = FlussServer::Start(*config, std::move(hooks));
    ASSERT_OK(server);
    server_ = std::move(server).value();
    auto client = rpc::RpcClient::Connect("127.0.0.1", server_->port());
    ASSERT_OK(client);
    client_ = std::move(client).value();
  }

  void TearDown() override {
    client_.reset();
    if (server_) {
      EXPECT_OK(server_->Stop());
    }
  }

  proto::ApiVersionsResponse ApiVersions() {
    auto body = client_->CallSync(static_cast<int16_t>(ApiKey::kApiVersions), 0,
                                  ApiVersionsBody(), std::chrono::seconds(30));
    EXPECT_OK(body);
    proto::ApiVersionsResponse resp;
    if (body.ok()) {
      EXPECT_TRUE(resp.ParseFromString(*body));
    }
    return resp;
  }

  static std::set<ApiKey> Advertised(const proto::ApiVersionsResponse& resp) {
    std::set<ApiKey> keys;
    for (const auto& v : resp.api_versions()) {
      EXPECT_TRUE(keys.insert(static_cast<ApiKey>(v.api_key())).second) << "listed twice: " << v.api_key();
    }
    return keys;
  }

  // Every key with a served range that `served` lacks is answered UNSUPPORTED_VERSION; the
  // connection stays usable.
  void ExpectOthersUnsupported(const std::set<ApiKey>& served, const std::string& message_part) {
    for (const auto& api : rpc::kServedApis) {
      if (served.count(api.key) != 0) continue;
      auto r = client_->CallSync(static_cast<int16_t>(api.key), api.max_version, "", std::chrono::seconds(30));
      ASSERT_FALSE(r.ok()) << api.name;
      EXPECT_EQ(r.status().code(), ErrorCode::kUnsupportedVersion) << api.name << ": " << r.status().ToString();
      EXPECT_NE(r.status().message().find(message_part), std::string::npos) << r.status().ToString();
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<FlussServer> server_;
  std::shared_ptr<rpc::RpcClient> client_;
};

TEST_F(RoleApisTest, StandaloneServesAndAdvertisesTabletCoordinatorAndMetadataApis) {
  Start(ServerRole::kStandalone);
  const auto resp = ApiVersions();
  EXPECT_FALSE(resp.has_server_type());
  const auto served = Union({{ApiKey::kApiVersions}, kTabletServiceKeys, kMetadataServiceKeys, kDdlKeys});
  EXPECT_EQ(Advertised(resp), served);
  ExpectOthersUnsupported(served, "not by a standalone server");
}

TEST_F(RoleApisTest, TabletRoleServesAndAdvertisesTabletAndMetadataApis) {
  Start(ServerRole::kTablet);
  const auto resp = ApiVersions();
  EXPECT_EQ(resp.server_type(), rpc::kServerTypeTabletServer);
  // Without a cluster member's forwarding (ServerHooks::add_apis) the DDL is not served here.
  const auto served = Union({{ApiKey::kApiVersions}, kTabletServiceKeys, kMetadataServiceKeys});
  EXPECT_EQ(Advertised(resp), served);
  ExpectOthersUnsupported(served, "served by the coordinator, not by tablet server");
}

}  // namespace
}  // namespace fluss
