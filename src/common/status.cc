#include "common/status.h"

namespace fluss {

std::string_view StatusCodeName(StatusCode kind) {
  switch (kind) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kCorruption: return "CORRUPTION";
    case StatusCode::kIOError: return "IO_ERROR";
    case StatusCode::kNotSupported: return "NOT_SUPPORTED";
    case StatusCode::kTimedOut: return "TIMED_OUT";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN_STATUS_CODE";
}

StatusCode StatusCodeOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNone:
      return StatusCode::kOk;
    case ErrorCode::kUnknownServerError:
      return StatusCode::kInternal;
    case ErrorCode::kInvalidTable:
    case ErrorCode::kInvalidDatabase:
    case ErrorCode::kInvalidReplicationFactor:
    case ErrorCode::kInvalidRequiredAcks:
    case ErrorCode::kLogOffsetOutOfRange:
    case ErrorCode::kInvalidColumnProjection:
    case ErrorCode::kInvalidTargetColumn:
    case ErrorCode::kInvalidTimestamp:
    case ErrorCode::kInvalidConfig:
    case ErrorCode::kPartitionSpecInvalid:
    case ErrorCode::kInvalidServerRackInfo:
    case ErrorCode::kInvalidAlterTable:
    case ErrorCode::kConfigException:
    case ErrorCode::kInvalidScanRequest:
      return StatusCode::kInvalidArgument;
    case ErrorCode::kDatabaseNotExist:
    case ErrorCode::kTableNotExist:
    case ErrorCode::kSchemaNotExist:
    case ErrorCode::kUnknownTableOrBucket:
    case ErrorCode::kUnknownWriterId:
    case ErrorCode::kPartitionNotExists:
    case ErrorCode::kKvSnapshotNotExist:
    case ErrorCode::kLakeSnapshotNotExist:
    case ErrorCode::kServerNotExist:
    case ErrorCode::kScannerExpired:
    case ErrorCode::kUnknownScannerId:
      return StatusCode::kNotFound;
    case ErrorCode::kDatabaseAlreadyExist:
    case ErrorCode::kTableAlreadyExist:
    case ErrorCode::kPartitionAlreadyExists:
    case ErrorCode::kLakeTableAlreadyExist:
      return StatusCode::kAlreadyExists;
    case ErrorCode::kCorruptMessage:
    case ErrorCode::kCorruptRecord:
      return StatusCode::kCorruption;
    case ErrorCode::kLogStorageException:
    case ErrorCode::kKvStorageException:
    case ErrorCode::kStorageException:
      return StatusCode::kIOError;
    case ErrorCode::kUnsupportedVersion:
    case ErrorCode::kSecurityDisabled:
      return StatusCode::kNotSupported;
    case ErrorCode::kRequestTimeOut:
      return StatusCode::kTimedOut;
    case ErrorCode::kNetworkException:
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kInvalidCoordinator:
    case ErrorCode::kOperationNotAttempted:
    case ErrorCode::kNotEnoughReplicasAfterAppend:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kLeaderNotAvailable:
    case ErrorCode::kRetriableAuthenticate:
      return StatusCode::kUnavailable;
    case ErrorCode::kSecurityToken:
    case ErrorCode::kAuthenticate:
    case ErrorCode::kAuthorization:
      return StatusCode::kPermissionDenied;
    case ErrorCode::kRecordTooLarge:
    case ErrorCode::kPartitionMaxNum:
    case ErrorCode::kBucketMaxNum:
    case ErrorCode::kTooManyScanners:
    case ErrorCode::kDiskWriteLocked:
    case ErrorCode::kStorageBackpressure:
      return StatusCode::kResourceExhausted;
    case ErrorCode::kDatabaseNotEmpty:
    case ErrorCode::kInvalidUpdateVersion:
    case ErrorCode::kFencedLeaderEpoch:
    case ErrorCode::kOutOfOrderSequence:
    case ErrorCode::kDuplicateSequence:
    case ErrorCode::kFencedTieringEpoch:
    case ErrorCode::kIneligibleReplica:
    case ErrorCode::kDeletionDisabled:
    case ErrorCode::kNonPrimaryKeyTable:
    case ErrorCode::kTableNotPartitioned:
    case ErrorCode::kLakeStorageNotConfigured:
      return StatusCode::kFailedPrecondition;
  }
  return StatusCode::kInternal;  // a code of a newer server
}

ErrorCode GenericErrorCode(StatusCode kind) {
  switch (kind) {
    case StatusCode::kOk: return ErrorCode::kNone;
    case StatusCode::kInvalidArgument: return ErrorCode::kInvalidConfig;
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kIOError: return ErrorCode::kStorageException;
    case StatusCode::kCorruption: return ErrorCode::kCorruptRecord;
    case StatusCode::kNotSupported: return ErrorCode::kUnsupportedVersion;
    case StatusCode::kTimedOut: return ErrorCode::kRequestTimeOut;
    case StatusCode::kUnavailable: return ErrorCode::kNetworkException;
    case StatusCode::kPermissionDenied: return ErrorCode::kAuthorization;
    case StatusCode::kResourceExhausted:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kInternal: return ErrorCode::kUnknownServerError;
  }
  return ErrorCode::kUnknownServerError;
}

Status::Status(ErrorCode code, std::string message) {
  if (code != ErrorCode::kNone) {
    state_ = std::make_shared<const State>(State{StatusCodeOf(code), code, /*wire=*/true, std::move(message)});
  }
}

Status::Status(StatusCode kind, std::string message) {
  if (kind != StatusCode::kOk) {
    state_ = std::make_shared<const State>(State{kind, GenericErrorCode(kind), /*wire=*/false, std::move(message)});
  }
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(ErrorCodeName(state_->code));
  out += ": ";
  out += state_->message;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += state_->message;
  return WithMessage(std::move(msg));
}

Status Status::WithMessage(std::string message) const {
  if (ok()) return *this;
  Status out;
  out.state_ = std::make_shared<const State>(State{state_->kind, state_->code, state_->wire, std::move(message)});
  return out;
}

}  // namespace fluss
