// S3Interop (README.md): S3FileSystem against a real S3-compatible server (s3rver, started here on
// 127.0.0.1 and a kernel-picked port), checked by an S3 client nobody here wrote (@aws-sdk/client-s3),
// and our SigV4 signer against the AWS SDK's own (@smithy/signature-v4) on the requests S3FileSystem
// sends. Run by run_s3.sh, which skips (77) without node and fails without the npm packages.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "fs/aws_sigv4.h"
#include "fs/s3_file_system.h"
#include "interop/s3rver_process.h"
#include "support/status_macros.h"
#include "support/temp_dir.h"
#include "unit/fs/file_system_contract.h"

namespace fluss {
namespace {

using fluss::testing::RunNode;
using fluss::testing::S3rverProcess;

const std::string kInteropDir = FLUSS_INTEROP_DIR;
constexpr uint64_t kPart = 5ull << 20;

// One server for the whole binary (each test writes under its own prefix).
S3rverProcess* server = nullptr;

class S3rverEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    server_ = std::make_unique<S3rverProcess>(kInteropDir, "fluss");
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    server = server_.get();
  }
  void TearDown() override {
    server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<S3rverProcess> server_;
};

S3Options OptionsFor(const std::string& endpoint) {
  S3Options o;
  o.endpoint = endpoint;
  o.access_key = "S3RVER";
  o.secret_key = "S3RVER";
  o.path_style_access = true;
  o.multipart_size = kPart;
  o.retry_limit = 2;
  o.retry_interval = std::chrono::milliseconds(10);
  return o;
}

std::unique_ptr<S3FileSystem> MakeFs(S3Options options) {
  auto fs = S3FileSystem::Make(std::move(options));
  EXPECT_TRUE(fs.ok()) << fs.status().ToString();
  return fs.ok() ? std::move(fs).value() : nullptr;
}

std::string Root(const std::string& name) { return "s3://fluss/" + name; }

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Sizes of the parts s3rver holds for pending multipart uploads of `key`:
// <data>/<bucket>/._S3rver_uploads/<upload id>/{key, 1, 2, ...}.
std::vector<uint64_t> PendingPartSizes(const std::string& key) {
  std::vector<uint64_t> sizes;
  const auto uploads = std::filesystem::path(server->dir()) / "data" / "fluss" / "._S3rver_uploads";
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(uploads, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (fluss::testing::ReadWholeFile((it->path() / "key").string()) != key) continue;
    for (int part = 1; std::filesystem::exists(it->path() / std::to_string(part)); ++part) {
      sizes.push_back(std::filesystem::file_size(it->path() / std::to_string(part)));
    }
  }
  return sizes;
}

class S3FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server, nullptr);
    fs_ = MakeFs(OptionsFor(server->endpoint()));
    ASSERT_NE(fs_, nullptr);
  }
  std::unique_ptr<S3FileSystem> fs_;
};

// The FileSystem contract, as on the local file system (tests/unit/fs/file_system_contract_test.cc).
TEST_F(S3FileSystemTest, ContractWriteReadRangeAndSize) { contract::WriteReadRangeAndSize(*fs_, Root("c1")); }
TEST_F(S3FileSystemTest, ContractMissingFile) { contract::MissingFile(*fs_, Root("c2")); }
TEST_F(S3FileSystemTest, ContractListExistsRemoveAll) { contract::ListExistsRemoveAll(*fs_, Root("c3")); }
TEST_F(S3FileSystemTest, ContractRenameMovesTheContent) { contract::RenameMovesTheContent(*fs_, Root("c4")); }
TEST_F(S3FileSystemTest, ContractEmptyFile) { contract::EmptyFile(*fs_, Root("c5")); }

TEST_F(S3FileSystemTest, SmallObjectAppearsOnlyAtClose) {
  const std::string path = Root("small/object");
  auto file = fs_->NewWritableFile(path);
  ASSERT_OK(file);
  ASSERT_OK((*file)->Append(contract::Bytes("hello")));
  ASSERT_OK((*file)->Sync());
  auto before = fs_->Exists(path);
  ASSERT_OK(before);
  EXPECT_FALSE(*before);
  ASSERT_OK((*file)->Close());
  auto after = fs_->ReadFile(path);
  ASSERT_OK(after);
  EXPECT_EQ(contract::Text(*after), "hello");
}

TEST_F(S3FileSystemTest, LargeObjectGoesUpInPartsAndAppearsOnlyAtClose) {
  const std::string path = Root("multipart/segment.log");
  const std::vector<uint8_t> data = RandomBytes(2 * kPart + kPart / 2 + 777, 7);  // 3 parts
  auto file = fs_->NewWritableFile(path);
  ASSERT_OK(file);
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min<size_t>((1 << 20) + 13, data.size() - at);
    ASSERT_OK((*file)->Append(std::span(data).subspan(at, n)));
    at += n;
  }
  // Two full parts are on the server, and no object yet.
  EXPECT_EQ(PendingPartSizes("multipart/segment.log"), (std::vector<uint64_t>{kPart, kPart}));
  auto before = fs_->Exists(path);
  ASSERT_OK(before);
  EXPECT_FALSE(*before);
  ASSERT_OK((*file)->Close());
  EXPECT_TRUE(PendingPartSizes("multipart/segment.log").empty());  // completed
  auto all = fs_->ReadFile(path);
  ASSERT_OK(all);
  EXPECT_TRUE(*all == data);
  auto size = fs_->FileSize(path);
  ASSERT_OK(size);
  EXPECT_EQ(*size, data.size());
  // A range across the first part boundary.
  auto range = fs_->ReadRange(path, kPart - 10, 20);
  ASSERT_OK(range);
  EXPECT_TRUE(std::equal(range->begin(), range->end(), data.begin() + kPart - 10, data.begin() + kPart + 10));
}

TEST_F(S3FileSystemTest, AbandonedUploadLeavesNoObject) {
  const std::string path = Root("abandoned/segment.log");
  {
    auto file = fs_->NewWritableFile(path);
    ASSERT_OK(file);
    ASSERT_OK((*file)->Append(RandomBytes(kPart + 100, 3)));  // one part uploaded
    // Destroyed without Close(): the upload is aborted (best effort), never completed.
  }
  auto exists = fs_->Exists(path);
  ASSERT_OK(exists);
  EXPECT_FALSE(*exists);
  auto keys = fs_->ListKeys("fluss", "abandoned/");
  ASSERT_OK(keys);
  EXPECT_TRUE(keys->empty());
}

TEST_F(S3FileSystemTest, ListingWalksEveryPage) {
  S3Options small_pages = OptionsFor(server->endpoint());
  small_pages.list_max_keys = 2;
  auto fs = MakeFs(small_pages);
  ASSERT_NE(fs, nullptr);
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    ASSERT_NO_FATAL_FAILURE(contract::WriteText(*fs, Root("pages/f" + std::to_string(i)), "x"));
    expected.push_back("f" + std::to_string(i));
  }
  ASSERT_NO_FATAL_FAILURE(contract::WriteText(*fs, Root("pages/d1/a"), "x"));
  ASSERT_NO_FATAL_FAILURE(contract::WriteText(*fs, Root("pages/d2/b"), "x"));
  expected.push_back("d1");
  expected.push_back("d2");
  auto names = fs->ListDirectory(Root("pages"));
  ASSERT_OK(names);
  EXPECT_EQ(contract::Sorted(*names), contract::Sorted(expected));
  auto keys = fs->ListKeys("fluss", "pages/");
  ASSERT_OK(keys);
  EXPECT_EQ(keys->size(), 7u);
  ASSERT_OK(fs->RemoveAll(Root("pages")));
  auto after = fs->ListKeys("fluss", "pages/");
  ASSERT_OK(after);
  EXPECT_TRUE(after->empty());
}

TEST_F(S3FileSystemTest, TheAwsSdkClientReadsWhatWeWroteAndWeReadWhatItWrote) {
  fluss::testing::TempDir tmp;
  const std::vector<uint8_t> big = RandomBytes(2 * kPart + 1234, 11);
  ASSERT_NO_FATAL_FAILURE(contract::WriteText(*fs_, Root("interop/small.json"), "{\"a\": 1}"));
  {
    auto file = fs_->NewWritableFile(Root("interop/dir/big.log"));
    ASSERT_OK(file);
    ASSERT_OK((*file)->Append(big));
    ASSERT_OK((*file)->Close());
  }
  auto listed = RunNode({kInteropDir + "/s3_client_check.mjs", server->endpoint(), "list", "fluss", "interop/"});
  ASSERT_OK(listed);
  const auto objects = nlohmann::json::parse(*listed);
  ASSERT_EQ(objects.size(), 2u) << *listed;
  EXPECT_EQ(objects[0]["key"], "interop/dir/big.log");
  EXPECT_EQ(objects[0]["size"], big.size());
  EXPECT_EQ(objects[1]["key"], "interop/small.json");
  EXPECT_EQ(objects[1]["size"], 8);
  const std::string got = tmp.Sub("big.log");
  ASSERT_OK(
      RunNode({kInteropDir + "/s3_client_check.mjs", server->endpoint(), "get", "fluss", "interop/dir/big.log", got}));
  const std::string bytes = fluss::testing::ReadWholeFile(got);
  ASSERT_EQ(bytes.size(), big.size());
  EXPECT_EQ(std::memcmp(bytes.data(), big.data(), big.size()), 0);

  const std::string put = tmp.Sub("from-sdk.bin");
  {
    std::ofstream out(put, std::ios::binary);
    out << "written by @aws-sdk/client-s3 \x01\x02";
  }
  ASSERT_OK(
      RunNode({kInteropDir + "/s3_client_check.mjs", server->endpoint(), "put", "fluss", "interop/dir/sdk.bin", put}));
  auto read = fs_->ReadFile(Root("interop/dir/sdk.bin"));
  ASSERT_OK(read);
  EXPECT_EQ(contract::Text(*read), fluss::testing::ReadWholeFile(put));
  auto names = fs_->ListDirectory(Root("interop/dir"));
  ASSERT_OK(names);
  EXPECT_EQ(contract::Sorted(*names), (std::vector<std::string>{"big.log", "sdk.bin"}));
}

TEST_F(S3FileSystemTest, AMissingBucketGivesTheS3Error) {
  auto file = fs_->NewWritableFile("s3://no-such-bucket/x");
  ASSERT_OK(file);
  ASSERT_OK((*file)->Append(contract::Bytes("x")));
  Status closed = (*file)->Close();
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.message().find("s3://no-such-bucket/x"), std::string::npos) << closed.ToString();
  EXPECT_NE(closed.message().find("NoSuchBucket"), std::string::npos) << closed.ToString();
  auto read = fs_->ReadFile("s3://no-such-bucket/x");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().kind(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("NoSuchBucket"), std::string::npos) << read.status().ToString();
  auto list = fs_->ListDirectory("s3://no-such-bucket/dir");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("NoSuchBucket"), std::string::npos) << list.status().ToString();
}

TEST_F(S3FileSystemTest, AnUnknownAccessKeyGivesTheS3Error) {
  S3Options wrong = OptionsFor(server->endpoint());
  wrong.access_key = "NOBODY";
  auto fs = MakeFs(wrong);
  ASSERT_NE(fs, nullptr);
  auto read = fs->ReadFile(Root("anything"));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("InvalidAccessKeyId"), std::string::npos) << read.status().ToString();
  EXPECT_NE(read.status().message().find("HTTP 403"), std::string::npos) << read.status().ToString();
}

int UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST(S3FileSystemDownTest, AnUnreachableServerFailsAfterTheBoundedRetries) {
  auto fs = MakeFs(OptionsFor("http://127.0.0.1:" + std::to_string(UnusedLoopbackPort())));
  ASSERT_NE(fs, nullptr);
  auto read = fs->ReadFile("s3://fluss/log/x.log");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().kind(), StatusCode::kIOError);
  EXPECT_NE(read.status().message().find("S3 GET 's3://fluss/log/x.log'"), std::string::npos)
      << read.status().ToString();
  EXPECT_NE(read.status().message().find("gave up after 3 attempts"), std::string::npos) << read.status().ToString();
  auto file = fs->NewWritableFile("s3://fluss/log/y.log");
  ASSERT_OK(file);
  ASSERT_OK((*file)->Append(contract::Bytes("y")));
  Status closed = (*file)->Close();
  EXPECT_NE(closed.message().find("gave up after 3 attempts"), std::string::npos) << closed.ToString();
}

TEST(S3FileSystemDownTest, AServerThatGoesAwayFailsAfterTheBoundedRetries) {
  S3rverProcess own(kInteropDir, "fluss");
  ASSERT_OK(own.Start());
  auto fs = MakeFs(OptionsFor(own.endpoint()));
  ASSERT_NE(fs, nullptr);
  ASSERT_NO_FATAL_FAILURE(contract::WriteText(*fs, "s3://fluss/a", "a"));
  ASSERT_OK(own.Kill());
  auto read = fs->ReadFile("s3://fluss/a");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("gave up after 3 attempts"), std::string::npos) << read.status().ToString();
}

// The Authorization header of our SignV4 equals the AWS SDK's for the requests S3FileSystem sends.
TEST(SigV4AgainstTheAwsSdkTest, SameAuthorizationForEveryKindOfRequest) {
  struct Case {
    std::string method, path;
    std::vector<std::pair<std::string, std::string>> query, headers;
    std::string body;
    bool unsigned_payload = false;
  };
  const std::string key = "/fluss/log/db/orders-7/0/3f1c-uuid/00000000000000001234.log";
  const std::string complete =
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"abc\"</ETag></Part></CompleteMultipartUpload>";
  const std::string del = "<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object></Delete>";
  const std::vector<Case> cases = {
      {"PUT", key, {}, {}, "segment bytes"},
      {"PUT", "/fluss/dir/a b/\xC3\xBC+x=y&z(1)!*'.log", {}, {}, "odd key"},
      {"GET", key, {}, {{"range", "bytes=1048576-2097151"}}, ""},
      {"HEAD", key, {}, {}, ""},
      {"GET",
       "/fluss/",
       {{"list-type", "2"}, {"delimiter", "/"}, {"prefix", "log/db/orders-7/"}, {"continuation-token", "1/a+b=="}},
       {},
       ""},
      {"POST", key, {{"uploads", ""}}, {}, ""},
      {"PUT", key, {{"partNumber", "2"}, {"uploadId", "VXBsb2FkIElE/+="}}, {}, "part bytes"},
      {"POST", key, {{"uploadId", "VXBsb2FkIElE/+="}}, {}, complete},
      {"DELETE", key, {{"uploadId", "VXBsb2FkIElE/+="}}, {}, ""},
      {"POST", "/fluss/", {{"delete", ""}}, {{"content-md5", Md5Base64(del)}}, del},
      {"PUT", "/fluss/to", {}, {{"x-amz-copy-source", UriEncode("/fluss/from dir/x", false)}}, ""},
      {"PUT", key, {}, {}, "streamed without a signed payload", true},
  };
  const std::string host = "127.0.0.1:9000";
  const std::string date = "20261208T013000Z";
  const SigV4Credentials creds{"AKIAFLUSSEXAMPLE", "fluss/secret+KEY"};
  nlohmann::json requests = nlohmann::json::array();
  std::vector<std::string> ours;
  for (const Case& c : cases) {
    const std::string hash = c.unsigned_payload ? std::string(kUnsignedPayload) : Sha256Hex(c.body);
    SigV4Request r;
    r.method = c.method;
    r.path = c.path;
    r.query = c.query;
    r.headers = {{"host", host}, {"x-amz-content-sha256", hash}, {"x-amz-date", date}};
    for (const auto& h : c.headers) r.headers.push_back(h);
    r.payload_hash = hash;
    ours.push_back(SignV4(r, creds, "eu-west-1", "s3", date).authorization);
    nlohmann::json q = nlohmann::json::array();
    for (const auto& [n, v] : c.query) q.push_back({n, v});
    nlohmann::json h = nlohmann::json::array();
    for (const auto& [n, v] : c.headers) h.push_back({n, v});
    requests.push_back({{"method", c.method},
                        {"host", host},
                        {"path", c.path},
                        {"query", q},
                        {"headers", h},
                        {"body", c.body},
                        {"payload_hash", c.unsigned_payload ? std::string(kUnsignedPayload) : std::string()},
                        {"date", "2026-12-08T01:30:00Z"},
                        {"access_key", creds.access_key_id},
                        {"secret_key", creds.secret_access_key},
                        {"region", "eu-west-1"}});
  }
  fluss::testing::TempDir tmp;
  const std::string file = tmp.Sub("requests.json");
  std::ofstream(file) << requests.dump();
  auto signed_by_sdk = RunNode({kInteropDir + "/s3_sigv4_sign.mjs", file});
  ASSERT_OK(signed_by_sdk);
  const auto theirs = nlohmann::json::parse(*signed_by_sdk);
  ASSERT_EQ(theirs.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ours[i], theirs[i].get<std::string>()) << cases[i].method << " " << cases[i].path;
  }
  // The comparison can fail: a different secret gives a different header.
  SigV4Request r;
  r.method = "GET";
  r.path = key;
  r.headers = {{"host", host},
               {"x-amz-content-sha256", Sha256Hex("")},
               {"x-amz-date", date},
               {"range", "bytes=1048576-2097151"}};
  r.payload_hash = Sha256Hex("");
  EXPECT_EQ(SignV4(r, creds, "eu-west-1", "s3", date).authorization, theirs[2].get<std::string>());
  EXPECT_NE(SignV4(r, {creds.access_key_id, "other"}, "eu-west-1", "s3", date).authorization,
            theirs[2].get<std::string>());
}

}  // namespace
}  // namespace fluss

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new fluss::S3rverEnvironment);
  return RUN_ALL_TESTS();
}
