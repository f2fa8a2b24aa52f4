// Uses the installed fluss-cpp client the way an application would: exit 0 when the value types work
// and connecting to a port nobody listens on fails with NETWORK_EXCEPTION (as a Result, no throw).
#include <chrono>
#include <cstdio>
#include <string>

#include "fluss/client.h"
#include "types/schema_parser.h"

int main() {
  fluss::Configuration config;
  config.bootstrap_servers = "127.0.0.1:1";
  config.connect_timeout = std::chrono::milliseconds(5000);
  if (auto st = config.Set("client.writer.batch-size", "4mb"); !st.ok()) {
    std::fprintf(stderr, "Configuration::Set: %s\n", st.ToString().c_str());
    return 1;
  }

  auto schema = fluss::ParseSchema("id BIGINT NOT NULL, name STRING, amount DOUBLE");
  if (!schema.ok() || schema->columns().size() != 3) {
    std::fprintf(stderr, "ParseSchema: %s\n", schema.status().ToString().c_str());
    return 1;
  }
  fluss::GenericRow row({fluss::Datum(int64_t{1}), fluss::Datum(std::string("apple")), fluss::Datum(1.5)});
  auto path = fluss::TablePath::Parse("shop.orders");
  if (row.fields().size() != 3 || !path.ok()) {
    std::fprintf(stderr, "GenericRow / TablePath::Parse failed\n");
    return 1;
  }

  auto conn = fluss::Connection::Create(config);
  if (conn.ok()) {
    std::fprintf(stderr, "Connection::Create to 127.0.0.1:1 unexpectedly succeeded\n");
    return 1;
  }
  if (conn.status().code() != fluss::ErrorCode::kNetworkException) {
    std::fprintf(stderr, "expected NETWORK_EXCEPTION, got %s\n", conn.status().ToString().c_str());
    return 1;
  }
  std::printf("ok: %s\n", conn.status().ToString().c_str());
  return 0;
}
