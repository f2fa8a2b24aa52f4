#include "types/partition_spec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/status_macros.h"
#include "types/schema_parser.h"

namespace fluss {
namespace {

std::string Text(const Datum& d, const DataType& type) {
  auto text = PartitionValueToString(d, type, "p");
  EXPECT_OK(text);
  return text.ok() ? *text : "";
}

// The expected strings are upstream Fluss's (PartitionUtilsTest): clients must produce them byte for
// byte to find a partition another client created.
TEST(PartitionValueTest, UpstreamExamples) {
  EXPECT_EQ(Text(std::string("Fluss"), DataType::String()), "Fluss");
  EXPECT_EQ(Text(std::string("F"), DataType::Char(1)), "F");
  EXPECT_EQ(Text(true, DataType::Boolean()), "true");
  EXPECT_EQ(Text(false, DataType::Boolean()), "false");
  EXPECT_EQ(Text(std::string("\x10\x20\x30\x40\x50\xff"), DataType::Bytes()), "1020304050ff");
  EXPECT_EQ(Text(std::string("\x10\x20\x30\x40\x50\xff"), DataType::Binary(6)), "1020304050ff");
  EXPECT_EQ(Text(int8_t{100}, DataType::TinyInt()), "100");
  EXPECT_EQ(Text(int16_t{-32760}, DataType::SmallInt()), "-32760");
  EXPECT_EQ(Text(int32_t{299000}, DataType::Int()), "299000");
  EXPECT_EQ(Text(int64_t{1748662955428}, DataType::BigInt()), "1748662955428");
  EXPECT_EQ(Text(int32_t{20235}, DataType::Date()), "2025-05-27");
  EXPECT_EQ(Text(int32_t{5402199}, DataType::Time(3)), "01-30-02_199");
  EXPECT_EQ(Text(5.73f, DataType::Float()), "5_73");
  EXPECT_EQ(Text(5.73, DataType::Double()), "5_73");
}

TEST(PartitionValueTest, TimestampsAsUpstreamWritesThem) {
  for (const DataType& type : {DataType::Timestamp(9), DataType::TimestampLtz(9)}) {
    EXPECT_EQ(Text(TimestampValue{1748662955428, 99988}, type), "2025-05-31-03-42-35_428099988");
    EXPECT_EQ(Text(TimestampValue{1748662955428, 0}, type), "2025-05-31-03-42-35_428");
    EXPECT_EQ(Text(TimestampValue{1748662955000, 99988}, type), "2025-05-31-03-42-35_000099988");
    EXPECT_EQ(Text(TimestampValue{1748662955000, 0}, type), "2025-05-31-03-42-35_");
    EXPECT_EQ(Text(TimestampValue{-1748662955428, 99988}, type), "1914-08-03-20-17-24_572099988");
  }
}

TEST(PartitionValueTest, FloatingPointFollowsJavaToString) {
  EXPECT_EQ(Text(100.0, DataType::Double()), "100_0");
  EXPECT_EQ(Text(0.0, DataType::Double()), "0_0");
  EXPECT_EQ(Text(-0.0, DataType::Double()), "-0_0");
  EXPECT_EQ(Text(-1.5, DataType::Double()), "-1_5");
  EXPECT_EQ(Text(0.001, DataType::Double()), "0_001");
  EXPECT_EQ(Text(0.0001, DataType::Double()), "1_0E-4");
  EXPECT_EQ(Text(1234567.0, DataType::Double()), "1234567_0");
  EXPECT_EQ(Text(1.0e7, DataType::Double()), "1_0E7");
  EXPECT_EQ(Text(1.2345e10, DataType::Double()), "1_2345E10");
  EXPECT_EQ(Text(0.1f, DataType::Float()), "0_1");
  EXPECT_EQ(Text(1.0e10f, DataType::Float()), "1_0E10");
  EXPECT_EQ(Text(std::nan(""), DataType::Double()), "NaN");
  EXPECT_EQ(Text(std::numeric_limits<float>::quiet_NaN(), DataType::Float()), "NaN");
  EXPECT_EQ(Text(std::numeric_limits<double>::infinity(), DataType::Double()), "Inf");
  EXPECT_EQ(Text(-std::numeric_limits<float>::infinity(), DataType::Float()), "-Inf");
}

TEST(PartitionValueTest, DatesAndTimesAtTheEdges) {
  EXPECT_EQ(Text(int32_t{0}, DataType::Date()), "1970-01-01");
  EXPECT_EQ(Text(int32_t{-1}, DataType::Date()), "1969-12-31");
  EXPECT_EQ(Text(int32_t{0}, DataType::Time(0)), "00-00-00_000");
  EXPECT_EQ(Text(int32_t{86399999}, DataType::Time(3)), "23-59-59_999");
  EXPECT_EQ(Text(TimestampValue{0, 0}, DataType::Timestamp(3)), "1970-01-01-00-00-00_");
  EXPECT_EQ(Text(TimestampValue{0, 1}, DataType::Timestamp(9)), "1970-01-01-00-00-00_000000001");
}

TEST(PartitionValueTest, NullsAndWrongKindsAreErrors) {
  auto null = PartitionValueToString(std::monostate{}, DataType::String(), "dt");
  EXPECT_EQ(null.status().code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(null.status().message(), "partition key 'dt' is null; a row needs a value for every partition key");
  auto wrong = PartitionValueToString(int32_t{1}, DataType::String(), "dt");
  EXPECT_EQ(wrong.status().message(), "partition key 'dt' is STRING but the value is of another type");
  auto decimal = PartitionValueToString(DecimalValue{1}, DataType::Decimal(5, 2), "d");
  EXPECT_EQ(decimal.status().message(), "partition key 'd' is DECIMAL(5, 2), which cannot be a partition key");
}

// Upstream's messages (PartitionUtilsTest.testValidatePartitionValues).
TEST(PartitionValueTest, ValidationMessagesAreUpstreams) {
  Status chars = ValidatePartitionValue("$1", true);
  EXPECT_EQ(chars.code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(chars.message(),
            "The partition value $1 is invalid: '$1' contains one or more characters other than ASCII alphanumerics, "
            "'_' and '-'");
  EXPECT_EQ(ValidatePartitionValue("?1", false).message(),
            "The partition value ?1 is invalid: '?1' contains one or more characters other than ASCII alphanumerics, "
            "'_' and '-'");
  EXPECT_EQ(ValidatePartitionValue("__p1", true).message(),
            "The partition value __p1 is invalid: '__' is not allowed as prefix, since it is reserved for internal "
            "databases/internal tables/internal partitions in Fluss server");
  EXPECT_OK(ValidatePartitionValue("__p1", false));  // an existing system partition may be named
  EXPECT_EQ(ValidatePartitionValue("", true).message(),
            "The partition value  is invalid: the empty string is not allowed");
  const std::string long_value(201, 'x');
  EXPECT_EQ(ValidatePartitionValue(long_value, true).message(),
            "The partition value " + long_value + " is invalid: the length of '" + long_value +
                "' is longer than the max allowed length 200");
  EXPECT_OK(ValidatePartitionValue(std::string(200, 'x'), true));
  EXPECT_OK(ValidatePartitionValue("2026-12-07", true));
  EXPECT_OK(ValidatePartitionValue("A_z-09", true));
  EXPECT_FALSE(ValidatePartitionValue("a.b", true).ok());
  EXPECT_FALSE(ValidatePartitionValue("a b", true).ok());
}

TEST(ResolvedPartitionSpecTest, NameAndQualifiedName) {
  ResolvedPartitionSpec spec({"a", "b", "c"}, {"1", "2", "3"});
  EXPECT_EQ(spec.Name(), "1$2$3");
  EXPECT_EQ(spec.QualifiedName(), "a=1/b=2/c=3");
  ResolvedPartitionSpec single({"dt"}, {"2026-12-07"});
  EXPECT_EQ(single.Name(), "2026-12-07");
  EXPECT_EQ(single.QualifiedName(), "dt=2026-12-07");
  PartitionInfo info = spec.ToInfo(7);
  EXPECT_EQ(info.partition_id, 7);
  EXPECT_EQ(info.partition_name, "1$2$3");
  EXPECT_EQ(info.QualifiedName(), "a=1/b=2/c=3");
}

TEST(ResolvedPartitionSpecTest, FromSpecReordersIntoKeyOrderAndChecksValues) {
  const TablePath table = *TablePath::Make("db", "t");
  auto spec = ResolvedPartitionSpec::FromSpec(table, {"region", "dt"}, {{"dt", "2026-12-07"}, {"region", "eu"}}, true);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->Name(), "eu$2026-12-07");

  auto missing = ResolvedPartitionSpec::FromSpec(table, {"region", "dt"}, {{"dt", "x"}}, true);
  EXPECT_EQ(missing.status().code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(missing.status().message(),
            "PartitionSpec size is not equal to partition keys size for partitioned table db.t: the partition keys "
            "are region, dt, the spec names 1");
  auto wrong_key = ResolvedPartitionSpec::FromSpec(table, {"region", "dt"}, {{"dt", "x"}, {"zone", "y"}}, true);
  EXPECT_EQ(wrong_key.status().message(),
            "PartitionSpec {dt=x, zone=y} does not contain partition key 'region' for partitioned table db.t.");
  auto bad_value = ResolvedPartitionSpec::FromSpec(table, {"dt"}, {{"dt", "__x"}}, true);
  EXPECT_EQ(bad_value.status().code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_OK(ResolvedPartitionSpec::FromSpec(table, {"dt"}, {{"dt", "__x"}}, /*is_create=*/false));
}

TEST(ResolvedPartitionSpecTest, PartialSpecsMatchByTheirKeys) {
  const TablePath table = *TablePath::Make("db", "t");
  ResolvedPartitionSpec p({"a", "dt", "b"}, {"1", "20250506", "x"});
  auto dt = ResolvedPartitionSpec::FromPartialSpec(table, {"a", "dt", "b"}, {{"dt", "20250506"}});
  ASSERT_OK(dt);
  EXPECT_TRUE(p.Matches(*dt));
  auto both = ResolvedPartitionSpec::FromPartialSpec(table, {"a", "dt", "b"}, {{"b", "x"}, {"a", "2"}});
  ASSERT_OK(both);
  EXPECT_EQ(both->keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(p.Matches(*both));
  auto empty = ResolvedPartitionSpec::FromPartialSpec(table, {"a", "dt", "b"}, {});
  ASSERT_OK(empty);
  EXPECT_TRUE(p.Matches(*empty));
  auto unknown = ResolvedPartitionSpec::FromPartialSpec(table, {"a", "dt", "b"}, {{"zz", "1"}});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(unknown.status().message(), "table db.t has no partition key 'zz' (its partition keys are a, dt, b)");
}

TEST(ResolvedPartitionSpecTest, FromNameSplitsAtTheSeparator) {
  auto spec = ResolvedPartitionSpec::FromName({"a", "b"}, "eu$2026");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->values(), (std::vector<std::string>{"eu", "2026"}));
  EXPECT_EQ(spec->QualifiedName(), "a=eu/b=2026");
  auto wrong = ResolvedPartitionSpec::FromName({"a", "b"}, "eu");
  EXPECT_EQ(wrong.status().message(), "partition name 'eu' has 1 values for 2 partition keys (a, b)");
}

TEST(ResolvedPartitionSpecTest, FromRowTakesThePartitionColumnsInKeyOrder) {
  auto schema = ParseSchema("id BIGINT, dt DATE, region STRING, v DOUBLE");
  ASSERT_OK(schema);
  GenericRow row({int64_t{1}, int32_t{20235}, std::string("eu-west"), 1.5});
  auto spec = ResolvedPartitionSpec::FromRow(*schema, {"region", "dt"}, row);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->Name(), "eu-west$2025-05-27");
  GenericRow bad({int64_t{1}, int32_t{20235}, std::string("eu west"), 1.5});
  auto invalid = ResolvedPartitionSpec::FromRow(*schema, {"region", "dt"}, bad);
  EXPECT_EQ(invalid.status().code(), ErrorCode::kPartitionSpecInvalid);
  GenericRow null_key({int64_t{1}, std::monostate{}, std::string("eu"), 1.5});
  EXPECT_EQ(ResolvedPartitionSpec::FromRow(*schema, {"region", "dt"}, null_key).status().message(),
            "partition key 'dt' is null; a row needs a value for every partition key");
}

TEST(PartitionSpecTest, ParsesTheCommandLineForm) {
  auto one = ParsePartitionSpec("dt=2026-12-07");
  ASSERT_OK(one);
  EXPECT_EQ(*one, (PartitionSpec{{"dt", "2026-12-07"}}));
  auto two = ParsePartitionSpec("dt=2026-12-07/region=eu");
  ASSERT_OK(two);
  EXPECT_EQ(*two, (PartitionSpec{{"dt", "2026-12-07"}, {"region", "eu"}}));
  auto comma = ParsePartitionSpec("region=eu,dt=1");
  ASSERT_OK(comma);
  EXPECT_EQ(comma->size(), 2u);
  EXPECT_EQ(ParsePartitionSpec("dt").status().message(), "partition spec 'dt': 'dt' is not key=value");
  EXPECT_EQ(ParsePartitionSpec("=1").status().code(), ErrorCode::kPartitionSpecInvalid);
  EXPECT_EQ(ParsePartitionSpec("a=1/a=2").status().message(), "partition spec 'a=1/a=2': key 'a' is given twice");
}

}  // namespace
}  // namespace fluss
