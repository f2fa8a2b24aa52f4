// Hand-encoded ProduceLogRequest and PutKvRequest (fluss_api.proto, proto2): the record bytes of
// each batch are copied once, straight into the request body, instead of into a message and again
// by SerializeAsString. The bytes equal what protobuf writes for the same message (tested).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/buffer.h"

namespace fluss {

struct ProduceBucketBatch {
  int32_t bucket = 0;
  const Buffer* records = nullptr;
  int64_t partition_id = -1;  // -1: a table without partitions (the field is left out)
};

std::string EncodeProduceLogRequest(int32_t acks, int64_t table_id, int32_t timeout_ms,
                                    const std::vector<ProduceBucketBatch>& batches);

// `target_columns`: schema indexes of a partial update (empty: whole rows); `batches` hold
// KvRecordBatches.
std::string EncodePutKvRequest(int32_t acks, int64_t table_id, int32_t timeout_ms,
                               const std::vector<int32_t>& target_columns,
                               const std::vector<ProduceBucketBatch>& batches);

}  // namespace fluss
