#include "types/row.h"
#include "support/status_macros.h"

#include <gtest/gtest.h>

namespace fluss {
namespace {

TEST(DecimalValueTest, ParsesAndPrintsWithScale) {
  auto d = DecimalValue::Parse("-12.5", 10, 2);
  ASSERT_OK(d);
  EXPECT_EQ(d->unscaled, -1250);
  EXPECT_EQ(d->ToString(2), "-12.50");
  EXPECT_EQ(DecimalValue{5}.ToString(3), "0.005");
  EXPECT_FALSE(DecimalValue::Parse("1.234", 10, 2).ok());
  EXPECT_FALSE(DecimalValue::Parse("123", 2, 0).ok());
  EXPECT_FALSE(DecimalValue::Parse("1x", 5, 0).ok());
}

TEST(DecimalValueTest, HandlesThirtyEightDigits) {
  std::string nines(38, '9');
  auto d = DecimalValue::Parse("-" + nines, 38, 0);
  ASSERT_OK(d);
  EXPECT_EQ(d->ToString(0), "-" + nines);
  EXPECT_OK(ValidateDatum(*d, DataType::Decimal(38, 0), "x"));
  DecimalValue too_big{d->unscaled - 1};
  EXPECT_FALSE(ValidateDatum(too_big, DataType::Decimal(38, 0), "x").ok());
}

TEST(ValidateDatumTest, ChecksNullabilityAndAlternative) {
  EXPECT_OK(ValidateDatum(std::monostate{}, DataType::Int(), "c"));
  auto nn = ValidateDatum(std::monostate{}, DataType::Int().NotNull(), "c");
  ASSERT_FALSE(nn.ok());
  EXPECT_EQ(nn.message(), "column 'c' is NOT NULL but the value is null");
  EXPECT_FALSE(ValidateDatum(int64_t{1}, DataType::Int(), "c").ok());
  EXPECT_OK(ValidateDatum(int32_t{1}, DataType::Date(), "c"));
  EXPECT_FALSE(ValidateDatum(std::string("abc"), DataType::Binary(4), "c").ok());
  EXPECT_OK(ValidateDatum(std::string("abcd"), DataType::Binary(4), "c"));
  EXPECT_FALSE(ValidateDatum(TimestampValue{0, 1000000}, DataType::Timestamp(9), "c").ok());
}

TEST(DatumToStringTest, RendersDatesTimesAndBytes) {
  EXPECT_EQ(DatumToString(int32_t{19723}, DataType::Date()), "2024-01-01");
  EXPECT_EQ(DatumToString(int32_t{-1}, DataType::Date()), "1969-12-31");
  EXPECT_EQ(DatumToString(int32_t{3723004}, DataType::Time(3)), "01:02:03.004");
  EXPECT_EQ(DatumToString(TimestampValue{-1, 0}, DataType::Timestamp(3)), "1969-12-31 23:59:59.999");
  EXPECT_EQ(DatumToString(std::string("\x0a\xff", 2), DataType::Bytes()), "x'0aff'");
  EXPECT_EQ(DatumToString(std::monostate{}, DataType::Bytes()), "NULL");
}

}  // namespace
}  // namespace fluss
