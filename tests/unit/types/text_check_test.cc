// CHAR(n) and STRING values: UTF-8 validity and CHAR length in code points (ValidateText), checked by
// ValidateDatum unless TextCheck::kNone.
#include <gtest/gtest.h>

#include "types/row.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

TEST(TextCheckTest, CharLengthCountsCodePoints) {
  const DataType c3 = DataType::Char(3);
  EXPECT_OK(ValidateDatum(Datum(std::string("abc")), c3, "code"));
  EXPECT_OK(ValidateDatum(Datum(std::string("日本語")), c3, "code"));  // 9 bytes, 3 characters
  EXPECT_OK(ValidateDatum(Datum(std::string("a")), c3, "code"));       // shorter: stored as given
  EXPECT_OK(ValidateDatum(Datum(std::string()), c3, "code"));
  Status st = ValidateDatum(Datum(std::string("abcd")), c3, "code");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(st.message(), "column 'code' is CHAR(3) but the value has 4 characters");
  st = ValidateDatum(Datum(std::string("日本語x")), c3.NotNull(), "code");
  EXPECT_EQ(st.message(), "column 'code' is CHAR(3) but the value has 4 characters");
  // STRING has no length limit.
  EXPECT_OK(ValidateDatum(Datum(std::string(10000, 'x')), DataType::String(), "s"));
}

TEST(TextCheckTest, InvalidUtf8IsRefusedNamingTheByte) {
  for (const DataType& t : {DataType::String(), DataType::Char(10)}) {
    Status st = ValidateDatum(Datum(std::string("ab\xFF")), t, "name");
    EXPECT_FALSE(st.ok()) << t.ToString();
    EXPECT_EQ(st.message(),
              "column 'name' (" + t.ToString() + "): the value is not valid UTF-8 (byte 0xff at offset 2)");
  }
  // Surrogates encoded as UTF-8 (CESU-style) are not UTF-8.
  EXPECT_FALSE(ValidateText(Datum(std::string("\xED\xA0\x80")), DataType::String(), "s").ok());
  // BYTES and BINARY hold any bytes.
  EXPECT_OK(ValidateDatum(Datum(std::string("\xFF\xFE")), DataType::Bytes(), "b"));
  EXPECT_OK(ValidateDatum(Datum(std::string("\xFF\xFE")), DataType::Binary(2), "b"));
  // Nulls pass.
  EXPECT_OK(ValidateText(Datum(), DataType::Char(1), "c"));
}

TEST(TextCheckTest, StoredTextIsNotCheckedWhenAsked) {
  // Readers return what was stored; only writers check.
  EXPECT_OK(ValidateDatum(Datum(std::string("ab\xFF")), DataType::String(), "s", TextCheck::kNone));
  EXPECT_OK(ValidateDatum(Datum(std::string("abcd")), DataType::Char(3), "c", TextCheck::kNone));
  // The other checks still apply.
  EXPECT_FALSE(ValidateDatum(Datum(int32_t{1}), DataType::String(), "s", TextCheck::kNone).ok());
  EXPECT_FALSE(ValidateDatum(Datum(), DataType::String().NotNull(), "s", TextCheck::kNone).ok());
}

}  // namespace
}  // namespace fluss
