#include "client/produce_request.h"

namespace fluss {

namespace {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// int32 fields are varints of the sign-extended 64-bit value (negative: 10 bytes).
uint64_t Int32Wire(int32_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }

constexpr char kVarint(int field) { return static_cast<char>(field << 3); }
constexpr char kBytes(int field) { return static_cast<char>((field << 3) | 2); }

// Both requests start acks = 1, table_id = 2, timeout_ms = 3 and carry the batches as repeated
// messages {partition_id = 1 (when set), bucket_id = 2, records = 3} in field `buckets_field`; PutKv puts its packed
// target_columns (field 4) between.
std::string EncodeBucketRequest(int32_t acks, int64_t table_id, int32_t timeout_ms,
                                const std::vector<int32_t>& target_columns, int buckets_field,
                                const std::vector<ProduceBucketBatch>& batches) {
  size_t total = 1 + VarintSize(Int32Wire(acks)) + 1 + VarintSize(static_cast<uint64_t>(table_id)) + 1 +
                 VarintSize(Int32Wire(timeout_ms));
  size_t packed = 0;
  for (int32_t c : target_columns) packed += VarintSize(Int32Wire(c));
  if (!target_columns.empty()) total += 1 + VarintSize(packed) + packed;
  std::vector<size_t> inner(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    const size_t n = batches[i].records->size();
    inner[i] = 1 + VarintSize(Int32Wire(batches[i].bucket)) + 1 + VarintSize(n) + n;
    if (batches[i].partition_id >= 0) inner[i] += 1 + VarintSize(static_cast<uint64_t>(batches[i].partition_id));
    total += 1 + VarintSize(inner[i]) + inner[i];
  }
  std::string out;
  out.reserve(total);
  out.push_back(kVarint(1));  // acks
  PutVarint(&out, Int32Wire(acks));
  out.push_back(kVarint(2));  // table_id
  PutVarint(&out, static_cast<uint64_t>(table_id));
  out.push_back(kVarint(3));  // timeout_ms
  PutVarint(&out, Int32Wire(timeout_ms));
  if (!target_columns.empty()) {
    out.push_back(kBytes(4));  // target_columns, packed
    PutVarint(&out, packed);
    for (int32_t c : target_columns) PutVarint(&out, Int32Wire(c));
  }
  for (size_t i = 0; i < batches.size(); ++i) {
    out.push_back(kBytes(buckets_field));  // buckets_req
    PutVarint(&out, inner[i]);
    if (batches[i].partition_id >= 0) {
      out.push_back(kVarint(1));  // partition_id
      PutVarint(&out, static_cast<uint64_t>(batches[i].partition_id));
    }
    out.push_back(kVarint(2));  // bucket_id
    PutVarint(&out, Int32Wire(batches[i].bucket));
    out.push_back(kBytes(3));  // records
    PutVarint(&out, batches[i].records->size());
    out.append(reinterpret_cast<const char*>(batches[i].records->data()), batches[i].records->size());
  }
  return out;
}

}  // namespace

std::string EncodeProduceLogRequest(int32_t acks, int64_t table_id, int32_t timeout_ms,
                                    const std::vector<ProduceBucketBatch>& batches) {
  return EncodeBucketRequest(acks, table_id, timeout_ms, {}, /*buckets_field=*/4, batches);
}

std::string EncodePutKvRequest(int32_t acks, int64_t table_id, int32_t timeout_ms,
                               const std::vector<int32_t>& target_columns,
                               const std::vector<ProduceBucketBatch>& batches) {
  return EncodeBucketRequest(acks, table_id, timeout_ms, target_columns, /*buckets_field=*/5, batches);
}

}  // namespace fluss
