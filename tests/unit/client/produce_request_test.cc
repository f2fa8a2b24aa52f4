#include <gtest/gtest.h>

#include "client/produce_request.h"
#include "fluss_api.pb.h"

namespace fluss {
namespace {

TEST(ProduceRequestTest, HandEncodingEqualsProtobufs) {
  Buffer a = Buffer::Copy(std::string_view("first batch bytes"));
  Buffer b = Buffer::Copy(std::string(300, 'x'));  // a two-byte length
  Buffer empty;
  for (int32_t acks : {-1, 0, 1}) {
    std::string mine = EncodeProduceLogRequest(acks, 1234567890123, 30000, {{0, &a}, {4095, &b}, {7, &empty}});
    proto::ProduceLogRequest ref;
    ref.set_acks(acks);
    ref.set_table_id(1234567890123);
    ref.set_timeout_ms(30000);
    auto* r0 = ref.add_buckets_req();
    r0->set_bucket_id(0);
    r0->set_records(std::string(a.view()));
    auto* r1 = ref.add_buckets_req();
    r1->set_bucket_id(4095);
    r1->set_records(std::string(b.view()));
    auto* r2 = ref.add_buckets_req();
    r2->set_bucket_id(7);
    r2->set_records("");
    EXPECT_EQ(mine, ref.SerializeAsString()) << "acks " << acks;
    proto::ProduceLogRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(mine));
    EXPECT_TRUE(parsed.IsInitialized());
    EXPECT_EQ(parsed.buckets_req(1).records(), std::string(300, 'x'));
  }
}

TEST(ProduceRequestTest, PutKvHandEncodingEqualsProtobufs) {
  Buffer a = Buffer::Copy(std::string(200, 'k'));
  Buffer b = Buffer::Copy(std::string_view("second"));
  for (const std::vector<int32_t>& targets : {std::vector<int32_t>{}, std::vector<int32_t>{0, 3, 200}}) {
    std::string mine = EncodePutKvRequest(-1, 77, 30000, targets, {{2, &a}, {0, &b}});
    proto::PutKvRequest ref;
    ref.set_acks(-1);
    ref.set_table_id(77);
    ref.set_timeout_ms(30000);
    for (int32_t t : targets) ref.add_target_columns(t);
    auto* r0 = ref.add_buckets_req();
    r0->set_bucket_id(2);
    r0->set_records(std::string(a.view()));
    auto* r1 = ref.add_buckets_req();
    r1->set_bucket_id(0);
    r1->set_records(std::string(b.view()));
    EXPECT_EQ(mine, ref.SerializeAsString()) << targets.size() << " target columns";
  }
}

// Partitioned tables: partition_id (field 1) comes first in each bucket's message, as protobuf
// writes it, and only when set.
TEST(ProduceRequestTest, PartitionIdIsEncodedAsProtobufDoes) {
  Buffer a = Buffer::Copy(std::string_view("rows of a partition"));
  Buffer b = Buffer::Copy(std::string(150, 'p'));
  std::string mine = EncodeProduceLogRequest(-1, 9, 30000, {{3, &a, 0}, {1, &b, 1234567890123}, {0, &a}});
  proto::ProduceLogRequest ref;
  ref.set_acks(-1);
  ref.set_table_id(9);
  ref.set_timeout_ms(30000);
  auto* r0 = ref.add_buckets_req();
  r0->set_partition_id(0);
  r0->set_bucket_id(3);
  r0->set_records(std::string(a.view()));
  auto* r1 = ref.add_buckets_req();
  r1->set_partition_id(1234567890123);
  r1->set_bucket_id(1);
  r1->set_records(std::string(b.view()));
  auto* r2 = ref.add_buckets_req();
  r2->set_bucket_id(0);
  r2->set_records(std::string(a.view()));
  EXPECT_EQ(mine, ref.SerializeAsString());

  std::string kv = EncodePutKvRequest(-1, 9, 30000, {0, 2}, {{2, &b, 77}});
  proto::PutKvRequest kref;
  kref.set_acks(-1);
  kref.set_table_id(9);
  kref.set_timeout_ms(30000);
  kref.add_target_columns(0);
  kref.add_target_columns(2);
  auto* k0 = kref.add_buckets_req();
  k0->set_partition_id(77);
  k0->set_bucket_id(2);
  k0->set_records(std::string(b.view()));
  EXPECT_EQ(kv, kref.SerializeAsString());
}

}  // namespace
}  // namespace fluss
