#include <gtest/gtest.h>

#include "common/buffer.h"
#include "common/byte_io.h"
#include "common/status.h"
#include "support/status_macros.h"

namespace fluss {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::Invalid("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  FLUSS_ASSIGN_OR_RETURN(int h, Half(v));
  FLUSS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkStatusHasCodeNone) {
  Status s;
  EXPECT_OK(s);
  EXPECT_EQ(s.code(), ErrorCode::kNone);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesWireCodeAndMessage) {
  Status s = Status::Corruption("batch CRC mismatch at offset 1200");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(static_cast<int>(s.code()), 14);
  EXPECT_EQ(s.ToString(), "CORRUPT_RECORD: batch CRC mismatch at offset 1200");
  EXPECT_EQ(s.WithContext("segment 0").message(), "segment 0: batch CRC mismatch at offset 1200");
}

TEST(StatusTest, AssignOrReturnPropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(BufferTest, SliceSharesStorageAndOutlivesParent) {
  Buffer slice;
  {
    Buffer b = Buffer::Copy(std::string_view("hello world"));
    slice = b.Slice(6, 5);
    EXPECT_EQ(slice.data(), b.data() + 6);
  }
  EXPECT_EQ(slice.view(), "world");
  EXPECT_EQ(slice.Slice(1).view(), "orld");
}

TEST(ByteIoTest, ReaderRejectsReadsPastTheEnd) {
  std::vector<uint8_t> data;
  ByteWriter w(&data);
  w.WriteLE<int32_t>(-2);
  w.WriteBE<int16_t>(0x0102);
  EXPECT_EQ(data, (std::vector<uint8_t>{0xFE, 0xFF, 0xFF, 0xFF, 0x01, 0x02}));
  ByteReader r(data);
  EXPECT_EQ(*r.ReadLE<int32_t>("a"), -2);
  EXPECT_EQ(*r.ReadBE<int16_t>("b"), 0x0102);
  auto past = r.ReadLE<int8_t>("trailing byte");
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("trailing byte"), std::string::npos);
}

}  // namespace
}  // namespace fluss
