// SigV4 byte for byte against AWS's published examples: the aws-sig-v4-test-suite cases (access key
// AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service"; canonical request, string to sign and
// signature of each), the IAM user guide's ListUsers example (service "iam") and the S3 API
// reference's examples (examplebucket, 20130524T000000Z, service "s3").
#include <gtest/gtest.h>

#include <chrono>

#include "fs/aws_sigv4.h"

namespace fluss {
namespace {

const SigV4Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
const SigV4Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
constexpr std::string_view kSuiteDate = "20150830T123600Z";

struct SuiteCase {
  std::string name;
  SigV4Request request;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

SigV4Request Get(std::string path, std::vector<std::pair<std::string, std::string>> query = {},
                 std::vector<std::pair<std::string, std::string>> extra_headers = {}, std::string method = "GET") {
  SigV4Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}};
  for (auto& h : extra_headers) r.headers.push_back(std::move(h));
  r.headers.emplace_back("X-Amz-Date", std::string(kSuiteDate));
  r.payload_hash = std::string(kEmptyPayloadSha256);
  return r;
}

std::string Lines(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (auto l : lines) {
    if (!out.empty()) out.push_back('\n');
    out += l;
  }
  return out;
}

std::string SuiteStringToSign(std::string_view canonical_hash) {
  return Lines({"AWS4-HMAC-SHA256", "20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical_hash});
}

std::vector<SuiteCase> SuiteCases() {
  const std::string empty(kEmptyPayloadSha256);
  std::vector<SuiteCase> cases;
  cases.push_back({"get-vanilla", Get("/"),
                   Lines({"GET", "/", "", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
                   "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"});
  cases.push_back({"post-vanilla", Get("/", {}, {}, "POST"),
                   Lines({"POST", "/", "", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
                   "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"});
  cases.push_back({"get-vanilla-query-order-key-case", Get("/", {{"Param2", "value2"}, {"Param1", "value1"}}),
                   Lines({"GET", "/", "Param1=value1&Param2=value2", "host:example.amazonaws.com",
                          "x-amz-date:20150830T123600Z", "", "host;x-amz-date", empty}),
                   SuiteStringToSign("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
                   "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"});
  const std::string unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  cases.push_back({"get-vanilla-query-unreserved", Get("/", {{unreserved, unreserved}}),
                   Lines({"GET", "/", unreserved + "=" + unreserved, "host:example.amazonaws.com",
                          "x-amz-date:20150830T123600Z", "", "host;x-amz-date", empty}),
                   SuiteStringToSign("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
                   "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"});
  cases.push_back({"get-vanilla-utf8-query", Get("/", {{"\xE1\x88\xB4", "bar"}}),
                   Lines({"GET", "/", "%E1%88%B4=bar", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
                   "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"});
  cases.push_back({"get-header-key-duplicate",
                   Get("/", {}, {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
                   Lines({"GET", "/", "", "host:example.amazonaws.com", "my-header1:value2,value2,value1",
                          "x-amz-date:20150830T123600Z", "", "host;my-header1;x-amz-date", empty}),
                   SuiteStringToSign("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
                   "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"});
  cases.push_back({"get-header-value-trim", Get("/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
                   Lines({"GET", "/", "", "host:example.amazonaws.com", "my-header1:value1", "my-header2:\"a b c\"",
                          "x-amz-date:20150830T123600Z", "", "host;my-header1;my-header2;x-amz-date", empty}),
                   SuiteStringToSign("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
                   "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"});
  cases.push_back({"get-unreserved", Get("/" + unreserved),
                   Lines({"GET", "/" + unreserved, "", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
                   "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"});
  cases.push_back({"get-utf8", Get("/\xE1\x88\xB4"),
                   Lines({"GET", "/%E1%88%B4", "", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102"),
                   "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"});
  // S3 signs the path as sent: encoded once, never normalized.
  cases.push_back({"get-space-unnormalized", Get("/example space/"),
                   Lines({"GET", "/example%20space/", "", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z",
                          "", "host;x-amz-date", empty}),
                   SuiteStringToSign("63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86"),
                   "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"});
  cases.push_back({"get-slashes-unnormalized", Get("//example//"),
                   Lines({"GET", "//example//", "", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240"),
                   "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"});
  cases.push_back({"post-vanilla-query", Get("/", {{"Param1", "value1"}}, {}, "POST"),
                   Lines({"POST", "/", "Param1=value1", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
                          "host;x-amz-date", empty}),
                   SuiteStringToSign("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
                   "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"});
  cases.push_back({"post-header-key-sort", Get("/", {}, {{"My-Header1", "value1"}}, "POST"),
                   Lines({"POST", "/", "", "host:example.amazonaws.com", "my-header1:value1",
                          "x-amz-date:20150830T123600Z", "", "host;my-header1;x-amz-date", empty}),
                   SuiteStringToSign("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
                   "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"});
  {
    // A signed body ("Param1=value1"), its hash also sent as x-amz-content-sha256.
    const std::string body_hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
    SigV4Request r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Host", "example.amazonaws.com"},
                 {"Content-Length", "13"},
                 {"X-Amz-Date", std::string(kSuiteDate)},
                 {"X-Amz-Content-Sha256", body_hash}};
    r.payload_hash = body_hash;
    cases.push_back(
        {"post-x-www-form-urlencoded", r,
         Lines({"POST", "/", "", "content-length:13", "content-type:application/x-www-form-urlencoded",
                "host:example.amazonaws.com", "x-amz-content-sha256:" + body_hash, "x-amz-date:20150830T123600Z", "",
                "content-length;content-type;host;x-amz-content-sha256;x-amz-date", body_hash}),
         SuiteStringToSign("b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb"),
         "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"});
  }
  return cases;
}

TEST(AwsSigV4Test, MatchesEveryStageOfTheAwsTestSuite) {
  for (const SuiteCase& c : SuiteCases()) {
    SCOPED_TRACE(c.name);
    const SigV4Signature s = SignV4(c.request, kSuite, "us-east-1", "service", kSuiteDate);
    EXPECT_EQ(s.canonical_request, c.canonical_request);
    EXPECT_EQ(s.string_to_sign, c.string_to_sign);
    EXPECT_EQ(s.signature, c.signature);
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=" +
                  s.signed_headers + ", Signature=" + c.signature);
  }
}

TEST(AwsSigV4Test, MatchesTheIamUserGuideListUsersExample) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}};
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"Host", "iam.amazonaws.com"},
               {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = std::string(kEmptyPayloadSha256);
  const SigV4Signature s = SignV4(r, kSuite, "us-east-1", "iam", "20150830T123600Z");
  EXPECT_EQ(s.canonical_request,
            Lines({"GET", "/", "Action=ListUsers&Version=2010-05-08",
                   "content-type:application/x-www-form-urlencoded; charset=utf-8", "host:iam.amazonaws.com",
                   "x-amz-date:20150830T123600Z", "", "content-type;host;x-amz-date", kEmptyPayloadSha256}));
  EXPECT_EQ(s.string_to_sign, Lines({"AWS4-HMAC-SHA256", "20150830T123600Z", "20150830/us-east-1/iam/aws4_request",
                                     "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"}));
  EXPECT_EQ(s.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

SigV4Request S3DocsRequest(std::string method, std::string path, std::vector<std::pair<std::string, std::string>> query,
                           std::string payload_hash) {
  SigV4Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", payload_hash},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = std::move(payload_hash);
  return r;
}

TEST(AwsSigV4Test, MatchesTheS3GetObjectWithRangeExample) {
  SigV4Request r = S3DocsRequest("GET", "/test.txt", {}, std::string(kEmptyPayloadSha256));
  r.headers.emplace_back("Range", "bytes=0-9");
  const SigV4Signature s = SignV4(r, kS3Docs, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_EQ(
      s.canonical_request,
      Lines({"GET", "/test.txt", "", "host:examplebucket.s3.amazonaws.com", "range:bytes=0-9",
             "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             "x-amz-date:20130524T000000Z", "", "host;range;x-amz-content-sha256;x-amz-date", kEmptyPayloadSha256}));
  EXPECT_EQ(s.string_to_sign, Lines({"AWS4-HMAC-SHA256", "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                                     "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"}));
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(AwsSigV4Test, MatchesTheS3PutObjectExample) {
  // "Welcome to Amazon S3." to /test$file.text: the '$' is encoded in the signed path.
  const std::string body = "Welcome to Amazon S3.";
  EXPECT_EQ(Sha256Hex(body), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SigV4Request r = S3DocsRequest("PUT", "/test$file.text", {}, Sha256Hex(body));
  r.headers.emplace_back("Date", "Fri, 24 May 2013 00:00:00 GMT");
  r.headers.emplace_back("x-amz-storage-class", "REDUCED_REDUNDANCY");
  const SigV4Signature s = SignV4(r, kS3Docs, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_EQ(s.canonical_request.substr(0, s.canonical_request.find('\n', 4)), "PUT\n/test%24file.text");
  EXPECT_EQ(s.signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(AwsSigV4Test, MatchesTheS3GetBucketLifecycleAndListObjectsExamples) {
  const SigV4Signature lifecycle =
      SignV4(S3DocsRequest("GET", "/", {{"lifecycle", ""}}, std::string(kEmptyPayloadSha256)), kS3Docs, "us-east-1",
             "s3", "20130524T000000Z");
  EXPECT_NE(lifecycle.canonical_request.find("\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(lifecycle.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  const SigV4Signature list =
      SignV4(S3DocsRequest("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, std::string(kEmptyPayloadSha256)), kS3Docs,
             "us-east-1", "s3", "20130524T000000Z");
  EXPECT_NE(list.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos);
  EXPECT_EQ(list.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(AwsSigV4Test, UnsignedPayloadIsSignedVerbatimAndChangesTheSignature) {
  SigV4Request r = S3DocsRequest("PUT", "/bucket/object", {}, std::string(kUnsignedPayload));
  const SigV4Signature unsigned_payload = SignV4(r, kS3Docs, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_TRUE(unsigned_payload.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(unsigned_payload.canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
  r.payload_hash = Sha256Hex("x");
  r.headers[1].second = r.payload_hash;
  EXPECT_NE(SignV4(r, kS3Docs, "us-east-1", "s3", "20130524T000000Z").signature, unsigned_payload.signature);
}

TEST(AwsSigV4Test, EncodingAndQueryOrder) {
  EXPECT_EQ(UriEncode("a b/c+d=e&f~g", false), "a%20b/c%2Bd%3De%26f~g");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(CanonicalQueryString(std::vector<std::pair<std::string, std::string>>{
                {"prefix", "log/x y/"}, {"list-type", "2"}, {"delimiter", "/"}, {"continuation-token", "a+b="}}),
            "continuation-token=a%2Bb%3D&delimiter=%2F&list-type=2&prefix=log%2Fx%20y%2F");
  EXPECT_EQ(CanonicalQueryString(std::vector<std::pair<std::string, std::string>>{{"uploads", ""}}), "uploads=");
}

TEST(AwsSigV4Test, AmzDateIsUtc) {
  using namespace std::chrono;
  const auto t = sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
  EXPECT_EQ(AmzDate(t), "20150830T123600Z");
}

TEST(AwsSigV4Test, Md5Base64OfAKnownString) {
  // RFC 1321: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
  EXPECT_EQ(Md5Base64("abc"), "kAFQmDzST7DWlj99KOF/cg==");
}

}  // namespace
}  // namespace fluss
