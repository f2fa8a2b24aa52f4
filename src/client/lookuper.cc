// LookuperImpl and PrefixLookuperImpl: keys encoded and bucketed on the client (LookupKeyEncoder),
// one Lookup / PrefixLookup request per bucket leader for all of a call's keys, stored values
// decoded into rows of the table's schema (KvValueDecoder).
#include <algorithm>
#include <set>
#include <thread>

#include "client/client_context.h"
#include "client/kv_encoding.h"
#include "fluss_api.pb.h"
#include "types/partition_spec.h"

namespace fluss {

namespace {

using Clock = std::chrono::steady_clock;

template <typename Resp>
using BucketRespOf = std::decay_t<decltype(std::declval<Resp>().buckets_resp(0))>;

// Sends the keys of each bucket to its leader, one request per leader (Req: LookupRequest or
// PrefixLookupRequest, version 1), and returns each bucket's answer. Buckets whose leader moved or
// is unreachable are asked again after a metadata refresh until client.request-timeout passes.
template <typename Req, typename Resp>
Result<std::map<PartitionBucket, BucketRespOf<Resp>>> AskBucketLeaders(
    ClientContext& ctx, const TableInfo& info, rpc::ApiKey api,
    const std::map<PartitionBucket, std::vector<std::string>>& keys) {
  std::map<PartitionBucket, BucketRespOf<Resp>> out;
  std::set<PartitionBucket> pending;
  for (const auto& [bucket, k] : keys) pending.insert(bucket);
  const auto deadline = Clock::now() + ctx.config.request_timeout;
  Status last;
  while (true) {
    std::map<int32_t, std::vector<PartitionBucket>> by_leader;
    for (const PartitionBucket& bucket : pending) {
      auto leader = ctx.LeaderNode(info.path, bucket);
      if (!leader.ok()) {
        if (!IsRetriable(leader.status().code())) return leader.status();
        last = leader.status();
        continue;
      }
      by_leader[*leader].push_back(bucket);
    }
    for (const auto& [leader, buckets] : by_leader) {
      Req req;
      req.set_table_id(info.table_id);
      for (const PartitionBucket& b : buckets) {
        auto* br = req.add_buckets_req();
        if (b.partition_id != kNoPartition) br->set_partition_id(b.partition_id);
        br->set_bucket_id(b.bucket);
        for (const auto& key : keys.at(b)) br->add_keys(key);
      }
      auto client = ctx.NodeClient(leader);
      Result<Resp> resp = client.ok() ? ctx.Call<Resp>(*client, api, req, /*version=*/1) : Result<Resp>(client.status());
      if (!resp.ok()) {
        if (!IsRetriable(resp.status().code())) {
          return resp.status().WithContext(fmt::format("looking up in '{}'", info.path.ToString()));
        }
        last = resp.status();
        continue;
      }
      std::set<PartitionBucket> retrying;
      for (const auto& br : resp->buckets_resp()) {
        const PartitionBucket b{br.has_partition_id() ? br.partition_id() : kNoPartition, br.bucket_id()};
        if (!pending.count(b)) continue;
        if (br.has_error_code() && br.error_code() != 0) {
          const auto code = static_cast<ErrorCode>(br.error_code());
          Status st(code, fmt::format("looking up in bucket {} of '{}': {}", b.bucket, info.path.ToString(),
                                      br.error_message()));
          if (!IsRetriable(code)) return st;
          last = st;
          retrying.insert(b);
          continue;
        }
        out[b] = br;
        pending.erase(b);
      }
      for (const PartitionBucket& b : buckets) {
        if (pending.count(b) && !retrying.count(b)) {
          return Status(ErrorCode::kCorruptMessage, fmt::format("server {} gave no answer for bucket {} of '{}'",
                                                                leader, b.bucket, info.path.ToString()));
        }
      }
    }
    if (pending.empty()) return out;
    if (Clock::now() >= deadline) {
      return last.WithContext(fmt::format("looking up in '{}' (gave up after {} ms)", info.path.ToString(),
                                          ctx.config.request_timeout.count()));
    }
    ClientLog().debug("lookup in '{}' will be retried: {}", info.path.ToString(), last.ToString());
    ctx.InvalidateTable(info.path);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    last = Status::OK();
  }
}

KvValueDecoder MakeDecoder(const std::shared_ptr<ClientContext>& ctx, const TableInfo& info) {
  return KvValueDecoder(info.schema(), info.schema_id,
                        [ctx, path = info.path, table_id = info.table_id](int32_t schema_id) {
                          return ctx->GetSchema(path, table_id, schema_id);
                        });
}

std::string AsBytes(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// The partition of a lookup key of a partitioned table: the key row's partition-key columns name it
// (`key_schema` describes the key row). nullopt when the partition does not exist (nothing to find);
// kNoPartition for a table without partitions.
class LookupPartitions {
 public:
  LookupPartitions(std::shared_ptr<ClientContext> ctx, const TableInfo& info, Schema key_schema)
      : ctx_(std::move(ctx)), path_(info.path), keys_(info.descriptor.partition_keys()),
        key_schema_(std::move(key_schema)) {}

  Result<std::optional<int64_t>> PartitionOf(const GenericRow& key_row) const {
    if (keys_.empty()) return std::optional<int64_t>(kNoPartition);
    FLUSS_ASSIGN_OR_RETURN(auto spec, ResolvedPartitionSpec::FromRow(key_schema_, keys_, key_row));
    auto meta = ctx_->GetPartitionMetadata(path_, spec.Name());
    if (meta.ok()) return std::optional<int64_t>(meta->partition_id);
    if (meta.status().code() == ErrorCode::kPartitionNotExists) return std::optional<int64_t>();
    return meta.status();
  }

 private:
  const std::shared_ptr<ClientContext> ctx_;
  const TablePath path_;
  const std::vector<std::string> keys_;
  const Schema key_schema_;
};

// The schema of rows holding `columns` of the table, in that order.
Schema KeySchema(const TableInfo& info, const std::vector<std::string>& columns) {
  std::vector<size_t> indexes;
  for (const auto& c : columns) {
    if (auto idx = info.schema().IndexOf(c)) indexes.push_back(*idx);
  }
  return info.schema().Project(indexes).value();
}

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class LookuperImpl final : public Lookuper {
 public:
  LookuperImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, LookupKeyEncoder encoder)
      : ctx_(std::move(ctx)), info_(std::move(info)), encoder_(std::move(encoder)), decoder_(MakeDecoder(ctx_, info_)),
        partitions_(ctx_, info_, KeySchema(info_, info_.schema().primary_key())) {}

  Result<std::optional<GenericRow>> Lookup(const GenericRow& key) override {
    FLUSS_ASSIGN_OR_RETURN(auto rows, LookupMany({key}));
    return std::move(rows[0]);
  }

  Result<std::vector<std::optional<GenericRow>>> LookupMany(const std::vector<GenericRow>& keys) override {
    std::map<PartitionBucket, std::vector<std::string>> by_bucket;
    std::map<PartitionBucket, std::vector<size_t>> positions;  // per bucket: the keys' places in `keys`
    for (size_t i = 0; i < keys.size(); ++i) {
      auto k = encoder_.Encode(keys[i]);
      if (!k.ok()) return keys.size() == 1 ? k.status() : k.status().WithContext(fmt::format("key #{}", i));
      auto partition = partitions_.PartitionOf(keys[i]);
      if (!partition.ok()) {
        return keys.size() == 1 ? partition.status() : partition.status().WithContext(fmt::format("key #{}", i));
      }
      if (!*partition) continue;  // its partition does not exist: no row
      const PartitionBucket pb{**partition, k->bucket};
      by_bucket[pb].push_back(AsBytes(k->key));
      positions[pb].push_back(i);
    }
    std::vector<std::optional<GenericRow>> out(keys.size());
    if (by_bucket.empty()) return out;
    FLUSS_ASSIGN_OR_RETURN(auto answers, (AskBucketLeaders<proto::LookupRequest, proto::LookupResponse>(
                                             *ctx_, info_, rpc::ApiKey::kLookup, by_bucket)));
    for (const auto& [bucket, answer] : answers) {
      const auto& pos = positions[bucket];
      if (static_cast<size_t>(answer.values_size()) != pos.size()) {
        return Status(ErrorCode::kCorruptMessage,
                      fmt::format("lookup in bucket {} of '{}': {} values for {} keys", bucket.bucket,
                                  info_.path.ToString(), answer.values_size(), pos.size()));
      }
      for (size_t j = 0; j < pos.size(); ++j) {
        const auto& v = answer.values(static_cast<int>(j));
        if (!v.has_values()) continue;  // no row for the key
        auto row = decoder_.Decode(AsSpan(v.values()));
        if (!row.ok()) {
          return row.status().WithContext(fmt::format("row of bucket {} of '{}'", bucket.bucket, info_.path.ToString()));
        }
        out[pos[j]] = std::move(row).value();
      }
    }
    return out;
  }

 private:
  const std::shared_ptr<ClientContext> ctx_;
  const TableInfo info_;
  const LookupKeyEncoder encoder_;
  KvValueDecoder decoder_;
  const LookupPartitions partitions_;
};

class PrefixLookuperImpl final : public PrefixLookuper {
 public:
  // `lookup_columns`: the columns of a prefix row; `bucket_positions`: where the bucket-key columns
  // (what `encoder` takes) are in it (all of them for a table without partitions).
  PrefixLookuperImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, LookupKeyEncoder encoder,
                     const std::vector<std::string>& lookup_columns, std::vector<size_t> bucket_positions)
      : ctx_(std::move(ctx)), info_(std::move(info)), encoder_(std::move(encoder)), decoder_(MakeDecoder(ctx_, info_)),
        partitions_(ctx_, info_, KeySchema(info_, lookup_columns)), arity_(lookup_columns.size()),
        bucket_positions_(std::move(bucket_positions)) {}

  Result<std::vector<GenericRow>> Lookup(const GenericRow& prefix) override {
    if (prefix.arity() != arity_) {
      return Status::Invalid(fmt::format("prefix of '{}' has {} fields; it takes {}", info_.path.ToString(),
                                         prefix.arity(), arity_));
    }
    GenericRow bucket_key(bucket_positions_.size());
    for (size_t i = 0; i < bucket_positions_.size(); ++i) bucket_key.SetField(i, prefix.field(bucket_positions_[i]));
    FLUSS_ASSIGN_OR_RETURN(auto k, encoder_.Encode(bucket_key));
    FLUSS_ASSIGN_OR_RETURN(auto partition, partitions_.PartitionOf(prefix));
    if (!partition) return std::vector<GenericRow>{};  // its partition does not exist
    const PartitionBucket pb{*partition, k.bucket};
    std::map<PartitionBucket, std::vector<std::string>> by_bucket{{pb, {AsBytes(k.key)}}};
    FLUSS_ASSIGN_OR_RETURN(auto answers, (AskBucketLeaders<proto::PrefixLookupRequest, proto::PrefixLookupResponse>(
                                             *ctx_, info_, rpc::ApiKey::kPrefixLookup, by_bucket)));
    const auto& answer = answers.at(pb);
    if (answer.value_lists_size() != 1) {
      return Status(ErrorCode::kCorruptMessage, fmt::format("prefix lookup in bucket {} of '{}': {} value lists for 1 key",
                                                            k.bucket, info_.path.ToString(), answer.value_lists_size()));
    }
    std::vector<GenericRow> out;
    for (const auto& value : answer.value_lists(0).values()) {
      auto row = decoder_.Decode(AsSpan(value));
      if (!row.ok()) return row.status().WithContext(fmt::format("row of bucket {} of '{}'", k.bucket, info_.path.ToString()));
      out.push_back(std::move(row).value());
    }
    return out;
  }

 private:
  const std::shared_ptr<ClientContext> ctx_;
  const TableInfo info_;
  const LookupKeyEncoder encoder_;
  KvValueDecoder decoder_;
  const LookupPartitions partitions_;
  const size_t arity_;
  const std::vector<size_t> bucket_positions_;
};

}  // namespace

Result<std::unique_ptr<Lookuper>> Table::NewLookuper() {
  FLUSS_ASSIGN_OR_RETURN(auto encoder, LookupKeyEncoder::ForPrimaryKey(info_));
  return std::unique_ptr<Lookuper>(new LookuperImpl(ctx_, info_, std::move(encoder)));
}

Result<std::unique_ptr<PrefixLookuper>> Table::NewPrefixLookuper(const std::vector<std::string>& lookup_columns) {
  // A partitioned table's lookup columns are the bucket key and every partition key (upstream's
  // rule): the partition keys name the partition, the rest is the prefix within it.
  const auto& partition_keys = info_.descriptor.partition_keys();
  std::vector<std::string> bucket_columns;
  std::vector<size_t> bucket_positions;
  for (size_t i = 0; i < lookup_columns.size(); ++i) {
    if (std::find(partition_keys.begin(), partition_keys.end(), lookup_columns[i]) != partition_keys.end()) continue;
    bucket_columns.push_back(lookup_columns[i]);
    bucket_positions.push_back(i);
  }
  for (const auto& key : partition_keys) {
    if (std::find(lookup_columns.begin(), lookup_columns.end(), key) == lookup_columns.end()) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("prefix lookups on the partitioned table '{}' take its bucket key and every partition "
                                "key ({}); partition key '{}' is missing",
                                info_.path.ToString(), fmt::join(partition_keys, ", "), key));
    }
  }
  FLUSS_ASSIGN_OR_RETURN(auto encoder, LookupKeyEncoder::ForPrefix(info_, bucket_columns));
  return std::unique_ptr<PrefixLookuper>(
      new PrefixLookuperImpl(ctx_, info_, std::move(encoder), lookup_columns, std::move(bucket_positions)));
}

}  // namespace fluss
