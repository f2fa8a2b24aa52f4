// A Status says what went wrong (its kind) and, for a condition of Fluss's protocol, carries that wire
// code; code() stays the Fluss code callers compare.
#include <gtest/gtest.h>

#include <set>

#include "common/status.h"

namespace fluss {
namespace {

constexpr StatusCode kEveryKind[] = {
    StatusCode::kInvalidArgument, StatusCode::kNotFound,         StatusCode::kAlreadyExists,
    StatusCode::kCorruption,      StatusCode::kIOError,          StatusCode::kNotSupported,
    StatusCode::kTimedOut,        StatusCode::kUnavailable,      StatusCode::kPermissionDenied,
    StatusCode::kResourceExhausted, StatusCode::kFailedPrecondition, StatusCode::kInternal,
};

// Every ErrorCode this build names (ErrorCodeName knows it), kNone excluded.
std::vector<ErrorCode> EveryErrorCode() {
  std::vector<ErrorCode> out;
  for (int32_t n = -1; n <= 128; ++n) {
    const auto code = static_cast<ErrorCode>(n);
    if (code != ErrorCode::kNone && ErrorCodeName(code) != "UNKNOWN_ERROR_CODE") out.push_back(code);
  }
  return out;
}

TEST(StatusKindTest, EachFactoryMakesItsKindWithoutAWireCode) {
  const std::pair<Status, StatusCode> cases[] = {
      {Status::InvalidArgument("m"), StatusCode::kInvalidArgument},
      {Status::Invalid("m"), StatusCode::kInvalidArgument},
      {Status::NotFound("m"), StatusCode::kNotFound},
      {Status::AlreadyExists("m"), StatusCode::kAlreadyExists},
      {Status::Corruption("m"), StatusCode::kCorruption},
      {Status::IOError("m"), StatusCode::kIOError},
      {Status::NotSupported("m"), StatusCode::kNotSupported},
      {Status::TimedOut("m"), StatusCode::kTimedOut},
      {Status::Unavailable("m"), StatusCode::kUnavailable},
      {Status::PermissionDenied("m"), StatusCode::kPermissionDenied},
      {Status::ResourceExhausted("m"), StatusCode::kResourceExhausted},
      {Status::FailedPrecondition("m"), StatusCode::kFailedPrecondition},
      {Status::Internal("m"), StatusCode::kInternal},
  };
  for (const auto& [st, kind] : cases) {
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.kind(), kind) << StatusCodeName(kind);
    EXPECT_FALSE(st.wire_code().has_value()) << StatusCodeName(kind);
    EXPECT_EQ(st.code(), GenericErrorCode(kind)) << StatusCodeName(kind);
    EXPECT_EQ(st.message(), "m");
  }
}

TEST(StatusKindTest, TheShorthandsKeepTheCodesCallersCompare) {
  EXPECT_EQ(Status::Invalid("m").code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(Status::Corruption("m").code(), ErrorCode::kCorruptRecord);
  EXPECT_EQ(Status::IOError("m").code(), ErrorCode::kStorageException);
  EXPECT_EQ(Status::NotSupported("m").code(), ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(Status::Internal("m").code(), ErrorCode::kUnknownServerError);
  EXPECT_EQ(Status::TimedOut("m").code(), ErrorCode::kRequestTimeOut);
  EXPECT_EQ(Status::Unavailable("m").code(), ErrorCode::kNetworkException);
  EXPECT_EQ(Status::NotFound("m").code(), ErrorCode::kStorageException);
}

TEST(StatusKindTest, AWireCodeIsKeptAndNamesItsKind) {
  const std::pair<ErrorCode, StatusCode> cases[] = {
      {ErrorCode::kTableNotExist, StatusCode::kNotFound},
      {ErrorCode::kDatabaseNotExist, StatusCode::kNotFound},
      {ErrorCode::kUnknownTableOrBucket, StatusCode::kNotFound},
      {ErrorCode::kTableAlreadyExist, StatusCode::kAlreadyExists},
      {ErrorCode::kCorruptMessage, StatusCode::kCorruption},
      {ErrorCode::kCorruptRecord, StatusCode::kCorruption},
      {ErrorCode::kLogStorageException, StatusCode::kIOError},
      {ErrorCode::kKvStorageException, StatusCode::kIOError},
      {ErrorCode::kNotLeaderOrFollower, StatusCode::kUnavailable},
      {ErrorCode::kNetworkException, StatusCode::kUnavailable},
      {ErrorCode::kRequestTimeOut, StatusCode::kTimedOut},
      {ErrorCode::kFencedLeaderEpoch, StatusCode::kFailedPrecondition},
      {ErrorCode::kOutOfOrderSequence, StatusCode::kFailedPrecondition},
      {ErrorCode::kInvalidConfig, StatusCode::kInvalidArgument},
      {ErrorCode::kRecordTooLarge, StatusCode::kResourceExhausted},
      {ErrorCode::kAuthorization, StatusCode::kPermissionDenied},
      {ErrorCode::kUnsupportedVersion, StatusCode::kNotSupported},
      {ErrorCode::kUnknownServerError, StatusCode::kInternal},
  };
  for (const auto& [code, kind] : cases) {
    Status st(code, "m");
    EXPECT_EQ(st.kind(), kind) << ErrorCodeName(code);
    ASSERT_TRUE(st.wire_code().has_value()) << ErrorCodeName(code);
    EXPECT_EQ(*st.wire_code(), code);
    EXPECT_EQ(st.code(), code);
  }
}

TEST(StatusKindTest, EveryNamedErrorCodeHasAnErrorKind) {
  for (ErrorCode code : EveryErrorCode()) {
    const StatusCode kind = StatusCodeOf(code);
    EXPECT_NE(kind, StatusCode::kOk) << ErrorCodeName(code);
    EXPECT_NE(StatusCodeName(kind), "UNKNOWN_STATUS_CODE") << ErrorCodeName(code);
    EXPECT_EQ(Status(code, "m").code(), code) << ErrorCodeName(code);
  }
  EXPECT_EQ(StatusCodeOf(ErrorCode::kNone), StatusCode::kOk);
}

TEST(StatusKindTest, ACodeOfANewerServerIsKeptAsAnInternalError) {
  const auto unknown = static_cast<ErrorCode>(63);  // upstream's INVALID_PRODUCER_ID, unknown here
  ASSERT_EQ(ErrorCodeName(unknown), "UNKNOWN_ERROR_CODE");
  Status st(unknown, "from a newer server");
  EXPECT_EQ(st.kind(), StatusCode::kInternal);
  EXPECT_EQ(static_cast<int32_t>(st.code()), 63);
}

TEST(StatusKindTest, EveryKindHasANameAndAGenericErrorCode) {
  std::set<std::string_view> names;
  for (StatusCode kind : kEveryKind) {
    EXPECT_TRUE(names.insert(StatusCodeName(kind)).second) << StatusCodeName(kind);
    EXPECT_NE(GenericErrorCode(kind), ErrorCode::kNone) << StatusCodeName(kind);
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
  EXPECT_EQ(GenericErrorCode(StatusCode::kOk), ErrorCode::kNone);
}

TEST(StatusKindTest, OkInEitherFormIsOk) {
  EXPECT_TRUE(Status(ErrorCode::kNone, "ignored").ok());
  EXPECT_TRUE(Status(StatusCode::kOk, "ignored").ok());
  EXPECT_EQ(Status().kind(), StatusCode::kOk);
  EXPECT_FALSE(Status().wire_code().has_value());
}

TEST(StatusKindTest, ContextAndMessageChangesKeepKindAndWireCode) {
  Status kind_only = Status::NotFound("open 'x': No such file or directory").WithContext("segment 0");
  EXPECT_EQ(kind_only.kind(), StatusCode::kNotFound);
  EXPECT_FALSE(kind_only.wire_code().has_value());
  EXPECT_EQ(kind_only.message(), "segment 0: open 'x': No such file or directory");

  Status wire = Status(ErrorCode::kNotLeaderOrFollower, "bucket 1").WithMessage("bucket 2");
  EXPECT_EQ(wire.kind(), StatusCode::kUnavailable);
  EXPECT_EQ(wire.wire_code(), ErrorCode::kNotLeaderOrFollower);
  EXPECT_EQ(wire.message(), "bucket 2");
  EXPECT_TRUE(Status::OK().WithMessage("x").ok());
}

TEST(StatusKindTest, EqualityComparesKindWireCodeAndMessage) {
  EXPECT_EQ(Status::IOError("m"), Status::IOError("m"));
  EXPECT_NE(Status::IOError("m"), Status::IOError("n"));
  // Same code(), but one is a protocol condition and the other an internal I/O failure.
  EXPECT_EQ(Status::IOError("m").code(), Status(ErrorCode::kStorageException, "m").code());
  EXPECT_NE(Status::IOError("m"), Status(ErrorCode::kStorageException, "m"));
  EXPECT_NE(Status::NotFound("m"), Status::IOError("m"));
}

TEST(StatusKindTest, ToStringNamesTheFlussCode) {
  EXPECT_EQ(Status(ErrorCode::kTableNotExist, "table 'db.t' does not exist").ToString(),
            "TABLE_NOT_EXIST: table 'db.t' does not exist");
  EXPECT_EQ(Status::Invalid("bad").ToString(), "INVALID_CONFIG: bad");
}

}  // namespace
}  // namespace fluss
