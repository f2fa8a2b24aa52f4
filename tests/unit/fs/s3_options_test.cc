// The pure parts of the S3 layer: `s3.*` options, s3:// paths, the file system a URI picks, the XML
// of S3's answers, and the URL a request goes to (path style and virtual-hosted style).
#include <gtest/gtest.h>

#include "fs/s3_client.h"
#include "fs/s3_file_system.h"
#include "fs/s3_xml.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TEST(S3OptionsTest, DefaultsAndEveryOption) {
  auto defaults = S3Options::FromConfig({{"data.dir", "/x"}});
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->region, "us-east-1");
  EXPECT_FALSE(defaults->path_style_access);
  EXPECT_EQ(defaults->retry_limit, 7);
  EXPECT_EQ(defaults->retry_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(defaults->multipart_size, 16u << 20);
  EXPECT_EQ(defaults->connection_timeout, std::chrono::milliseconds(10000));

  auto o = S3Options::FromConfig({{"s3.endpoint", "http://127.0.0.1:9000"},
                                  {"s3.region", "eu-west-1"},
                                  {"s3.access-key", "AK"},
                                  {"s3.secret-key", "SK"},
                                  {"s3.path.style.access", "true"},
                                  {"s3.retry.limit", "2"},
                                  {"s3.retry.interval", "20 ms"},
                                  {"s3.multipart.size", "5 mb"},
                                  {"s3.connection.timeout", "3 s"}});
  ASSERT_OK(o);
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_EQ(o->access_key, "AK");
  EXPECT_EQ(o->secret_key, "SK");
  EXPECT_TRUE(o->path_style_access);
  EXPECT_EQ(o->retry_limit, 2);
  EXPECT_EQ(o->retry_interval, std::chrono::milliseconds(20));
  EXPECT_EQ(o->multipart_size, 5u << 20);
  EXPECT_EQ(o->connection_timeout, std::chrono::milliseconds(3000));
}

TEST(S3OptionsTest, BadOptionsAreNamed) {
  auto typo = S3Options::FromConfig({{"s3.acess-key", "x"}});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("unknown object storage option 's3.acess-key'; did you mean 's3.access-key'?"),
            std::string::npos)
      << typo.status().ToString();
  auto small = S3Options::FromConfig({{"s3.multipart.size", "1 mb"}});
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("s3.multipart.size"), std::string::npos);
  auto half = S3Options::FromConfig({{"s3.access-key", "AK"}});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("given together"), std::string::npos);
  EXPECT_FALSE(S3Options::FromConfig({{"s3.path.style.access", "maybe"}}).ok());
  EXPECT_FALSE(S3Options::FromConfig({{"s3.retry.limit", "-1"}}).ok());
  S3Options bad;
  bad.endpoint = "ftp://host";
  auto client = S3Client::Make(bad);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("scheme 'ftp'"), std::string::npos);
}

TEST(S3PathTest, SplitsBucketAndKey) {
  auto p = S3Path::Parse("s3://bucket/log/db/t-1/0/");
  ASSERT_OK(p);
  EXPECT_EQ(p->bucket, "bucket");
  EXPECT_EQ(p->key, "log/db/t-1/0");
  auto root = S3Path::Parse("s3://bucket");
  ASSERT_OK(root);
  EXPECT_EQ(root->key, "");
  EXPECT_EQ(S3Path::Parse("s3:///key").status().kind(), StatusCode::kInvalidArgument);
  EXPECT_EQ(S3Path::Parse("/local/path").status().kind(), StatusCode::kInvalidArgument);
}

TEST(FileSystemForUriTest, PicksByScheme) {
  auto local = FileSystemForUri("/tmp/remote", {});
  ASSERT_OK(local);
  EXPECT_EQ(local->get(), &FileSystem::Local());
  auto s3 = FileSystemForUri("s3://bucket/prefix", {{"s3.endpoint", "http://127.0.0.1:1"}});
  ASSERT_OK(s3);
  EXPECT_NE(dynamic_cast<S3FileSystem*>(s3->get()), nullptr);
  auto hdfs = FileSystemForUri("hdfs://nn/x", {});
  ASSERT_FALSE(hdfs.ok());
  EXPECT_NE(hdfs.status().message().find("scheme 'hdfs' is not supported"), std::string::npos);
  EXPECT_FALSE(FileSystemForUri("s3://bucket/x", {{"s3.bogus", "1"}}).ok());
}

TEST(S3ClientTest, UrlsInPathAndVirtualHostedStyle) {
  S3Options o;
  o.endpoint = "http://127.0.0.1:9000";
  o.path_style_access = true;
  auto path_style = S3Client::Make(o);
  ASSERT_OK(path_style);
  S3Request r{"GET", "bucket", "dir/a b+c", {{"partNumber", "1"}, {"uploadId", "x/y"}}, {}, {}};
  EXPECT_EQ((*path_style)->UrlOf(r), "http://127.0.0.1:9000/bucket/dir/a%20b%2Bc?partNumber=1&uploadId=x%2Fy");
  o.endpoint = "minio.example.com/";
  o.path_style_access = false;
  auto virtual_hosted = S3Client::Make(o);
  ASSERT_OK(virtual_hosted);
  r.query.clear();
  EXPECT_EQ((*virtual_hosted)->UrlOf(r), "https://bucket.minio.example.com/dir/a%20b%2Bc");
  o.endpoint.clear();
  o.region = "eu-central-1";
  auto aws = S3Client::Make(o);
  ASSERT_OK(aws);
  EXPECT_EQ((*aws)->UrlOf(r), "https://bucket.s3.eu-central-1.amazonaws.com/dir/a%20b%2Bc");
}

TEST(S3XmlTest, ElementsTextAndEntities) {
  const std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b &lt;1&gt;</Key><Size>3</Size></Contents>"
      "<Contents><Key>caf&#233;/&#x41;</Key><Size>4</Size></Contents>"
      "<CommonPrefixes><Prefix>sub/</Prefix></CommonPrefixes><Empty/>"
      "<NextContinuationToken>t+/=</NextContinuationToken></ListBucketResult>";
  auto contents = XmlElements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(XmlText(contents[0], "Key"), "a&b <1>");
  EXPECT_EQ(XmlText(contents[1], "Key"), "caf\xC3\xA9/A");
  EXPECT_EQ(XmlText(xml, "Key"), "a&b <1>");  // not <KeyCount>
  EXPECT_EQ(XmlText(xml, "KeyCount"), "2");
  EXPECT_EQ(XmlText(xml, "Empty"), "");
  EXPECT_EQ(XmlText(xml, "NextContinuationToken"), "t+/=");
  EXPECT_EQ(XmlText(xml, "Missing"), std::nullopt);
  EXPECT_EQ(XmlEscape("<a & 'b'>\""), "&lt;a &amp; &apos;b&apos;&gt;&quot;");
  EXPECT_EQ(XmlUnescape(XmlEscape("<a & 'b'>\"")), "<a & 'b'>\"");
}

}  // namespace
}  // namespace fluss
