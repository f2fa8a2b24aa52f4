// The one error-code enum of fluss-cpp. The numbers are Fluss's wire error codes
// (org.apache.fluss.rpc.protocol.Errors), so a Status maps onto an RPC error without translation.
#pragma once

#include <cstdint>
#include <string_view>

namespace fluss {

enum class ErrorCode : int32_t {
  kUnknownServerError = -1,
  kNone = 0,
  kNetworkException = 1,
  kUnsupportedVersion = 2,
  kCorruptMessage = 3,
  kDatabaseNotExist = 4,
  kDatabaseNotEmpty = 5,
  kDatabaseAlreadyExist = 6,
  kTableNotExist = 7,
  kTableAlreadyExist = 8,
  kSchemaNotExist = 9,
  kLogStorageException = 10,
  kKvStorageException = 11,
  kNotLeaderOrFollower = 12,
  kRecordTooLarge = 13,
  kCorruptRecord = 14,
  kInvalidTable = 15,
  kInvalidDatabase = 16,
  kInvalidReplicationFactor = 17,
  kInvalidRequiredAcks = 18,
  kLogOffsetOutOfRange = 19,
  kNonPrimaryKeyTable = 20,
  kUnknownTableOrBucket = 21,
  kInvalidUpdateVersion = 22,
  kInvalidCoordinator = 23,
  kFencedLeaderEpoch = 24,
  kRequestTimeOut = 25,
  kStorageException = 26,
  kOperationNotAttempted = 27,
  kNotEnoughReplicasAfterAppend = 28,
  kNotEnoughReplicas = 29,
  kSecurityToken = 30,
  kOutOfOrderSequence = 31,
  kDuplicateSequence = 32,
  kUnknownWriterId = 33,
  kInvalidColumnProjection = 34,
  kInvalidTargetColumn = 35,
  kPartitionNotExists = 36,
  kTableNotPartitioned = 37,
  kInvalidTimestamp = 38,
  kInvalidConfig = 39,
  kLakeStorageNotConfigured = 40,
  kKvSnapshotNotExist = 41,
  kPartitionAlreadyExists = 42,
  kPartitionSpecInvalid = 43,
  kLeaderNotAvailable = 44,
  kPartitionMaxNum = 45,
  kAuthenticate = 46,
  kSecurityDisabled = 47,
  kAuthorization = 48,
  kBucketMaxNum = 49,
  kFencedTieringEpoch = 50,
  kRetriableAuthenticate = 51,
  kInvalidServerRackInfo = 52,
  kLakeSnapshotNotExist = 53,
  kLakeTableAlreadyExist = 54,
  kIneligibleReplica = 55,
  kInvalidAlterTable = 56,
  kDeletionDisabled = 57,
  kServerNotExist = 58,
  kConfigException = 64,
  kScannerExpired = 66,
  kUnknownScannerId = 67,
  kInvalidScanRequest = 68,
  kTooManyScanners = 69,
  kDiskWriteLocked = 70,
  kStorageBackpressure = 72,
};

// Fluss's upper-case name of the code, e.g. "CORRUPT_RECORD".
std::string_view ErrorCodeName(ErrorCode code);

}  // namespace fluss
