// The one fixture for tests that run a standalone FlussServer inside the test process and drive it
// with the real client (header-only; the test target links fluss_server and fluss_client).
//
//   class MyTest : public testing::InProcessServerTest {};     // a server on 127.0.0.1:0, a connection
//   TEST_F(MyTest, X) { auto table = CreateTable("t", "id INT, v STRING", 2); ... }
//
// Override ServerOptions() for extra `key=value` options, Hooks() for what to plug into the server
// and ConfigureClient() for client settings;
// RestartServer() stops and starts it on the same data dir (a new port, a new connection).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fluss/client.h"
#include "fluss/schema_parser.h"
#include "server/fluss_server.h"
#include "server/server_config.h"
#include "support/temp_dir.h"
#include "support/status_macros.h"

namespace fluss::testing {

class InProcessServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { StopServer(); }

  // Options beyond the listener (127.0.0.1, a free port) and the data dir (data_dir()).
  virtual std::vector<std::string> ServerOptions() const { return {}; }
  // Client settings beyond the bootstrap address; the default batches quickly (5 ms, 16 KiB), so a
  // test sees several batches spread over the buckets.
  virtual void ConfigureClient(Configuration& c) const {
    c.writer_batch_timeout = std::chrono::milliseconds(5);
    c.writer_batch_size = 16 << 10;
  }
  virtual std::string data_dir() const { return dir_.path(); }
  // What the test plugs into the server (e.g. a clock it moves); called at every start.
  virtual ServerHooks Hooks() { return {}; }

  void StartServer() {
    std::vector<std::string> options = {"bind.listeners=FLUSS://127.0.0.1:0", "data.dir=" + data_dir()};
    for (auto& o : ServerOptions()) options.push_back(std::move(o));
    auto config = ServerConfig::Load("", options);
    ASSERT_OK(config);
    auto server = FlussServer::Start(*config, Hooks());
    ASSERT_OK(server);
    server_ = std::move(server).value();
    Configuration c;
    c.bootstrap_servers = "127.0.0.1:" + std::to_string(server_->port());
    ConfigureClient(c);
    auto conn = Connection::Create(c);
    ASSERT_OK(conn);
    conn_ = *conn;
  }

  void StopServer() {
    conn_.reset();
    if (server_) {
      const Status st = server_->Stop();
      server_.reset();
      ASSERT_OK(st);
    }
  }

  void RestartServer() {
    StopServer();
    StartServer();
  }

  // Creates db.<name> (and the database) from the schema DSL; fails the test on error.
  Table CreateTable(const std::string& name, const std::string& dsl, int buckets,
                    std::vector<std::string> bucket_keys = {}) {
    Admin admin = conn_->GetAdmin();
    const Status db = admin.CreateDatabase("db", /*ignore_if_exists=*/true);
    EXPECT_OK(db);
    auto schema = ParseSchema(dsl);
    EXPECT_OK(schema);
    TableDescriptor d(*schema);
    d.DistributedBy(buckets, std::move(bucket_keys));
    auto path = TablePath::Make("db", name).value();
    const Status st = admin.CreateTable(path, d);
    EXPECT_OK(st);
    auto table = conn_->GetTable(path);
    EXPECT_OK(table);
    return std::move(table).value();
  }

  TempDir dir_;
  std::unique_ptr<FlussServer> server_;
  std::shared_ptr<Connection> conn_;
};

}  // namespace fluss::testing
