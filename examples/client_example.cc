// A client program built on nothing but the installed fluss-cpp SDK (include/fluss/ and the
// fluss::fluss_client library): it creates a database, a log table and a primary-key table, appends
// rows and scans them back, then upserts, looks up and deletes rows.
//
//   fluss_client_example [bootstrap-servers]     default localhost:9123 (a running fluss-server)
//
// Each step prints what it did. Exit 0 when every step did what it should; otherwise the failed step
// and its error go to stderr and the exit code is 1. Running it again recreates its tables.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fluss/client.h"

namespace {

[[noreturn]] void Fail(const std::string& step, const std::string& error) {
  std::fprintf(stderr, "FAILED: %s: %s\n", step.c_str(), error.c_str());
  std::exit(1);
}

void Check(const fluss::Status& status, const std::string& step) {
  if (!status.ok()) Fail(step, status.ToString());
}

template <typename T>
T Take(fluss::Result<T> result, const std::string& step) {
  if (!result.ok()) Fail(step, result.status().ToString());
  return std::move(result).value();
}

// "(1, 'apple', 3.50)" in the columns' SQL rendering.
std::string RowToString(const fluss::GenericRow& row, const fluss::Schema& schema) {
  std::string out = "(";
  for (size_t i = 0; i < row.arity(); ++i) {
    if (i > 0) out += ", ";
    out += fluss::DatumToString(row.field(i), schema.column(i).type);
  }
  return out + ")";
}

// Drops `path` if it is there, then creates it: every run starts from empty tables.
void Recreate(fluss::Admin& admin, const fluss::TablePath& path, const fluss::TableDescriptor& descriptor) {
  Check(admin.DropTable(path, /*ignore_if_not_exists=*/true), "drop table " + path.ToString());
  Check(admin.CreateTable(path, descriptor), "create table " + path.ToString());
  std::printf("created table %s: %s\n", path.ToString().c_str(), descriptor.schema().ToString().c_str());
}

// A log table: append rows, then read them back from the start of every bucket.
void LogTable(fluss::Connection& conn, fluss::Admin& admin) {
  const auto path = Take(fluss::TablePath::Make("example_db", "orders"), "table path");
  auto schema = Take(fluss::ParseSchema("order_id BIGINT NOT NULL, item STRING, amount DECIMAL(10, 2), "
                                        "ordered_at TIMESTAMP_LTZ(3)"),
                     "parse schema");
  fluss::TableDescriptor descriptor(schema);
  descriptor.DistributedBy(2);
  Recreate(admin, path, descriptor);

  fluss::Table table = Take(conn.GetTable(path), "get table " + path.ToString());
  auto writer = Take(table.NewAppendWriter(), "append writer");
  const std::vector<fluss::GenericRow> orders = {
      fluss::GenericRow({int64_t{1}, std::string("apple"), fluss::DecimalValue{350}, fluss::TimestampValue{1735689600000, 0}}),
      fluss::GenericRow({int64_t{2}, std::string("pear"), fluss::DecimalValue{1275}, fluss::TimestampValue{1735689660000, 0}}),
      fluss::GenericRow({int64_t{3}, std::string("plum"), {}, fluss::TimestampValue{1735689720000, 0}}),
  };
  std::vector<fluss::WriteResult> acks;
  for (const auto& row : orders) acks.push_back(Take(writer->Append(row), "append"));
  Check(writer->Flush(), "flush the append writer");
  for (size_t i = 0; i < orders.size(); ++i) {
    Check(acks[i].Wait(), "append acknowledgement");
    std::printf("appended %s -> bucket %d offset %lld\n", RowToString(orders[i], schema).c_str(), acks[i].bucket(),
                static_cast<long long>(acks[i].offset()));
  }
  Check(writer->Close(), "close the append writer");

  auto scanner = Take(table.NewLogScanner(), "log scanner");
  for (int32_t b = 0; b < table.info().num_buckets; ++b) {
    Check(scanner->Subscribe(b, fluss::kEarliestOffset), "subscribe to bucket " + std::to_string(b));
  }
  std::map<int64_t, fluss::GenericRow> scanned;  // by order_id
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (scanned.size() < orders.size()) {
    if (std::chrono::steady_clock::now() > deadline) {
      Fail("scan " + path.ToString(), "read " + std::to_string(scanned.size()) + " of 3 rows within 60 s");
    }
    for (const fluss::ScanRecord& r : Take(scanner->Poll(std::chrono::seconds(1)), "poll")) {
      std::printf("scanned %s bucket %d offset %lld: %s\n", std::string(fluss::ChangeTypeShortString(r.change_type)).c_str(),
                  r.bucket, static_cast<long long>(r.offset), RowToString(r.row, scanner->schema()).c_str());
      scanned.emplace(r.row.GetBigInt(0), r.row);
    }
  }
  for (const auto& row : orders) {
    auto it = scanned.find(row.GetBigInt(0));
    if (it == scanned.end() || !(it->second == row)) {
      Fail("scan " + path.ToString(), "order " + std::to_string(row.GetBigInt(0)) + " did not come back as appended");
    }
  }
  std::printf("log table: %zu rows appended, %zu scanned back, all equal\n", orders.size(), scanned.size());
}

// A primary-key table: upsert rows (one of them twice), look them up, delete one.
void PrimaryKeyTable(fluss::Connection& conn, fluss::Admin& admin) {
  const auto path = Take(fluss::TablePath::Make("example_db", "stock"), "table path");
  auto schema = Take(fluss::ParseSchema("item STRING NOT NULL, quantity INT, price DECIMAL(10, 2), PRIMARY KEY (item)"),
                     "parse schema");
  fluss::TableDescriptor descriptor(schema);
  descriptor.DistributedBy(2);
  Recreate(admin, path, descriptor);

  fluss::Table table = Take(conn.GetTable(path), "get table " + path.ToString());
  auto writer = Take(table.NewUpsertWriter(), "upsert writer");
  auto stock = [](std::string item, int32_t quantity, int64_t cents) {
    return fluss::GenericRow({std::move(item), quantity, fluss::DecimalValue{cents}});
  };
  for (const auto& row : {stock("apple", 10, 50), stock("pear", 4, 80), stock("plum", 7, 120), stock("apple", 8, 55)}) {
    Take(writer->Upsert(row), "upsert");
    std::printf("upserted %s\n", RowToString(row, schema).c_str());
  }
  Check(writer->Flush(), "flush the upsert writer");

  auto lookuper = Take(table.NewLookuper(), "lookuper");
  auto lookup = [&](const std::string& item) {
    return Take(lookuper->Lookup(fluss::GenericRow({item})), "lookup '" + item + "'");
  };
  auto apple = lookup("apple");
  if (!apple || !(*apple == stock("apple", 8, 55))) Fail("lookup 'apple'", "expected the second upsert (8, 0.55)");
  std::printf("lookup apple: %s\n", RowToString(*apple, schema).c_str());

  // A delete reads only the key columns of the row.
  Take(writer->Delete(fluss::GenericRow({std::string("pear"), {}, {}})), "delete 'pear'");
  Check(writer->Flush(), "flush the delete");
  std::printf("deleted pear\n");
  if (lookup("pear")) Fail("lookup 'pear'", "the deleted row is still there");
  std::printf("lookup pear: not found\n");
  auto plum = lookup("plum");
  if (!plum || !(*plum == stock("plum", 7, 120))) Fail("lookup 'plum'", "expected (7, 1.20)");
  std::printf("lookup plum: %s\n", RowToString(*plum, schema).c_str());
  Check(writer->Close(), "close the upsert writer");
}

}  // namespace

int main(int argc, char** argv) {
  fluss::Configuration config;
  if (argc > 1) config.bootstrap_servers = argv[1];
  auto conn = Take(fluss::Connection::Create(config), "connect to " + config.bootstrap_servers);
  std::printf("connected to %s\n", config.bootstrap_servers.c_str());

  fluss::Admin admin = conn->GetAdmin();
  Check(admin.CreateDatabase("example_db", /*ignore_if_exists=*/true), "create database example_db");
  std::printf("database example_db ready\n");

  LogTable(*conn, admin);
  PrimaryKeyTable(*conn, admin);
  conn->Close();
  std::printf("done\n");
  return 0;
}
