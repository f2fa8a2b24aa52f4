// The CLI's value forms: every type parses from text and JSON, formats back to the same text, and
// bad text gives "'<text>' is not a <TYPE>".
#include "cli/value_codec.h"

#include <cmath>

#include <gtest/gtest.h>

#include "types/schema_parser.h"

namespace fluss::cli {
namespace {

DataType T(std::string_view s) { return ParseDataType(s).value(); }

std::string RoundTrip(std::string_view text, std::string_view type) {
  auto d = ParseValue(text, T(type));
  EXPECT_TRUE(d.ok()) << text << " as " << type << ": " << d.status().ToString();
  if (!d.ok()) return "";
  return FormatValue(*d, T(type));
}

std::string ErrorOf(std::string_view text, std::string_view type) {
  auto d = ParseValue(text, T(type));
  EXPECT_FALSE(d.ok()) << text << " as " << type;
  return d.ok() ? "" : d.status().message();
}

TEST(ValueCodecTest, TextFormsRoundTrip) {
  EXPECT_EQ(RoundTrip("true", "BOOLEAN"), "true");
  EXPECT_EQ(RoundTrip("FALSE", "BOOLEAN"), "false");
  EXPECT_EQ(RoundTrip("-128", "TINYINT"), "-128");
  EXPECT_EQ(RoundTrip("32767", "SMALLINT"), "32767");
  EXPECT_EQ(RoundTrip("-2147483648", "INT"), "-2147483648");
  EXPECT_EQ(RoundTrip("9223372036854775807", "BIGINT"), "9223372036854775807");
  EXPECT_EQ(RoundTrip("1.1", "FLOAT"), "1.1");
  EXPECT_EQ(RoundTrip("0.1", "DOUBLE"), "0.1");
  EXPECT_EQ(RoundTrip("1e300", "DOUBLE"), "1e+300");
  EXPECT_EQ(RoundTrip("NaN", "DOUBLE"), "NaN");
  EXPECT_EQ(RoundTrip("-Infinity", "FLOAT"), "-Infinity");
  EXPECT_EQ(RoundTrip("-12.34", "DECIMAL(10, 2)"), "-12.34");
  EXPECT_EQ(RoundTrip("7", "DECIMAL(10, 2)"), "7.00");
  EXPECT_EQ(RoundTrip("héllo, \"world\"", "STRING"), "héllo, \"world\"");
  EXPECT_EQ(RoundTrip("AAEC/w==", "BYTES"), "AAEC/w==");
  EXPECT_EQ(RoundTrip("AAEC", "BINARY(3)"), "AAEC");
  EXPECT_EQ(RoundTrip("2024-02-29", "DATE"), "2024-02-29");
  EXPECT_EQ(RoundTrip("1969-12-31", "DATE"), "1969-12-31");
  EXPECT_EQ(RoundTrip("0001-01-01", "DATE"), "0001-01-01");
  EXPECT_EQ(RoundTrip("23:59:59.999", "TIME(3)"), "23:59:59.999");
  EXPECT_EQ(RoundTrip("12:00:01", "TIME"), "12:00:01");
  EXPECT_EQ(RoundTrip("2024-01-02 03:04:05.123", "TIMESTAMP(3)"), "2024-01-02 03:04:05.123");
  EXPECT_EQ(RoundTrip("2024-01-02T03:04:05.123456789", "TIMESTAMP(9)"), "2024-01-02 03:04:05.123456789");
  EXPECT_EQ(RoundTrip("1960-01-02 03:04:05.5", "TIMESTAMP(6)"), "1960-01-02 03:04:05.500000");
  EXPECT_EQ(RoundTrip("2024-01-02 03:04:05Z", "TIMESTAMP_LTZ(0)"), "2024-01-02 03:04:05Z");
  EXPECT_EQ(RoundTrip("0", "TIMESTAMP(3)"), "1970-01-01 00:00:00.000");
  EXPECT_EQ(RoundTrip("1704164645123", "TIMESTAMP_LTZ(3)"), "2024-01-02 03:04:05.123Z");
}

TEST(ValueCodecTest, BadTextNamesTheTypeAndReason) {
  EXPECT_EQ(ErrorOf("abc", "DOUBLE"), "'abc' is not a DOUBLE");
  EXPECT_EQ(ErrorOf("1.5", "INT"), "'1.5' is not an INT");
  EXPECT_EQ(ErrorOf("300", "TINYINT"), "'300' is not a TINYINT: out of range");
  EXPECT_EQ(ErrorOf("99999999999999999999", "BIGINT"), "'99999999999999999999' is not a BIGINT: out of range");
  EXPECT_EQ(ErrorOf("yes", "BOOLEAN"), "'yes' is not a BOOLEAN");
  EXPECT_EQ(ErrorOf("1.234", "DECIMAL(10, 2)"), "'1.234' is not a DECIMAL(10, 2): more than 2 fractional digits");
  EXPECT_EQ(ErrorOf("123456789", "DECIMAL(5, 0)"), "'123456789' is not a DECIMAL(5, 0): more than 5 digits");
  EXPECT_EQ(ErrorOf("2024-02-30", "DATE"), "'2024-02-30' is not a DATE");
  EXPECT_EQ(ErrorOf("24:00:00", "TIME"), "'24:00:00' is not a TIME(0)");
  EXPECT_EQ(ErrorOf("2024-01-02 03:04:05.1234", "TIMESTAMP(3)"),
            "'2024-01-02 03:04:05.1234' is not a TIMESTAMP(3): more than 3 fractional digits");
  EXPECT_EQ(ErrorOf("AAE", "BYTES"), "'AAE' is not a BYTES: not base64");
  EXPECT_EQ(ErrorOf("AAEC", "BINARY(4)"), "'AAEC' is not a BINARY(4): 3 bytes, expected 4");
}

TEST(ValueCodecTest, JsonValues) {
  using nlohmann::json;
  EXPECT_EQ(std::get<int32_t>(JsonToDatum(json(42), T("INT")).value()), 42);
  EXPECT_EQ(std::get<int32_t>(JsonToDatum(json("42"), T("INT")).value()), 42);
  EXPECT_FALSE(JsonToDatum(json(1.5), T("INT")).ok());
  EXPECT_EQ(JsonToDatum(json(1.5), T("INT")).status().message(), "'1.5' is not an INT");
  EXPECT_EQ(std::get<double>(JsonToDatum(json(2.5), T("DOUBLE")).value()), 2.5);
  EXPECT_EQ(std::get<bool>(JsonToDatum(json(true), T("BOOLEAN")).value()), true);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(JsonToDatum(json(nullptr), T("INT")).value()));
  EXPECT_EQ(std::get<TimestampValue>(JsonToDatum(json(1704164645123), T("TIMESTAMP(3)")).value()).millis,
            1704164645123);
  EXPECT_FALSE(JsonToDatum(json::array(), T("STRING")).ok());
}

TEST(ValueCodecTest, JsonOutputTypes) {
  EXPECT_EQ(DatumToJson(Datum(int64_t{9007199254740993}), T("BIGINT")).dump(), "9007199254740993");
  EXPECT_EQ(DatumToJson(Datum(1.1f), T("FLOAT")).dump(), "1.1");
  EXPECT_EQ(DatumToJson(Datum(std::nan("")), T("DOUBLE")).dump(), "\"NaN\"");
  EXPECT_EQ(DatumToJson(Datum(DecimalValue{1234}), T("DECIMAL(10, 2)")).dump(), "\"12.34\"");
  EXPECT_EQ(DatumToJson(Datum(std::string("\x01\x02")), T("BYTES")).dump(), "\"AQI=\"");
  EXPECT_EQ(DatumToJson(Datum(), T("INT")).dump(), "null");
}

TEST(ValueCodecTest, EpochMillis) {
  EXPECT_EQ(ParseEpochMillis("1704164645123").value(), 1704164645123);
  EXPECT_EQ(ParseEpochMillis("2024-01-02 03:04:05").value(), 1704164645000);
  EXPECT_EQ(ParseEpochMillis("2024-01-02T03:04:05.123Z").value(), 1704164645123);
  EXPECT_EQ(ParseEpochMillis("2024-01-02").value(), 1704153600000);
  EXPECT_FALSE(ParseEpochMillis("yesterday").ok());
}

TEST(ValueCodecTest, Base64) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)).value(), s);
  }
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_FALSE(Base64Decode("YW=j").ok());
  EXPECT_FALSE(Base64Decode("Y").ok());
}

}  // namespace
}  // namespace fluss::cli
