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

}  // namespace

std::string EncodeProduceLogRequest(int32_t acks, int64_t table_id, int32_t timeout_ms,
                                    const std::vector<ProduceBucketBatch>& batches) {
  size_t total = 1 + VarintSize(Int32Wire(acks)) + 1 + VarintSize(static_cast<uint64_t>(table_id)) + 1 +
                 VarintSize(Int32Wire(timeout_ms));
  std::vector<size_t> inner(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    const size_t n = batches[i].records->size();
    inner[i] = 1 + VarintSize(Int32Wire(batches[i].bucket)) + 1 + VarintSize(n) + n;
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
  for (size_t i = 0; i < batches.size(); ++i) {
    out.push_back(kBytes(4));  // buckets_req: PbProduceLogReqForBucket
    PutVarint(&out, inner[i]);
    out.push_back(kVarint(2));  // bucket_id
    PutVarint(&out, Int32Wire(batches[i].bucket));
    out.push_back(kBytes(3));  // records
    PutVarint(&out, batches[i].records->size());
    out.append(reinterpret_cast<const char*>(batches[i].records->data()), batches[i].records->size());
  }
  return out;
}

}  // namespace fluss
