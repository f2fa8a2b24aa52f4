// LookuperImpl and PrefixLookuperImpl: keys encoded and bucketed on the client (LookupKeyEncoder),
// one Lookup / PrefixLookup request per bucket leader for all of a call's keys, stored values
// decoded into rows of the table's schema (KvValueDecoder).
#include <set>
#include <thread>

#include "client/client_context.h"
#include "client/kv_encoding.h"
#include "fluss_api.pb.h"

namespace fluss {

namespace {

using Clock = std::chrono::steady_clock;

template <typename Resp>
using BucketRespOf = std::decay_t<decltype(std::declval<Resp>().buckets_resp(0))>;

// Sends the keys of each bucket to its leader, one request per leader (Req: LookupRequest or
// PrefixLookupRequest, version 1), and returns each bucket's answer. Buckets whose leader moved or
// is unreachable are asked again after a metadata refresh until client.request-timeout passes.
template <typename Req, typename Resp>
Result<std::map<int32_t, BucketRespOf<Resp>>> AskBucketLeaders(ClientContext& ctx, const TableInfo& info,
                                                               rpc::ApiKey api,
                                                               const std::map<int32_t, std::vector<std::string>>& keys) {
  std::map<int32_t, BucketRespOf<Resp>> out;
  std::set<int32_t> pending;
  for (const auto& [bucket, k] : keys) pending.insert(bucket);
  const auto deadline = Clock::now() + ctx.config.request_timeout;
  Status last;
  while (true) {
    std::map<int32_t, std::vector<int32_t>> by_leader;
    for (int32_t bucket : pending) {
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
      for (int32_t b : buckets) {
        auto* br = req.add_buckets_req();
        br->set_bucket_id(b);
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
      std::set<int32_t> retrying;
      for (const auto& br : resp->buckets_resp()) {
        const int32_t b = br.bucket_id();
        if (!pending.count(b)) continue;
        if (br.has_error_code() && br.error_code() != 0) {
          const auto code = static_cast<ErrorCode>(br.error_code());
          Status st(code, fmt::format("looking up in bucket {} of '{}': {}", b, info.path.ToString(), br.error_message()));
          if (!IsRetriable(code)) return st;
          last = st;
          retrying.insert(b);
          continue;
        }
        out[b] = br;
        pending.erase(b);
      }
      for (int32_t b : buckets) {
        if (pending.count(b) && !retrying.count(b)) {
          return Status(ErrorCode::kCorruptMessage,
                        fmt::format("server {} gave no answer for bucket {} of '{}'", leader, b, info.path.ToString()));
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

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class LookuperImpl final : public Lookuper {
 public:
  LookuperImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, LookupKeyEncoder encoder)
      : ctx_(std::move(ctx)), info_(std::move(info)), encoder_(std::move(encoder)), decoder_(MakeDecoder(ctx_, info_)) {}

  Result<std::optional<GenericRow>> Lookup(const GenericRow& key) override {
    FLUSS_ASSIGN_OR_RETURN(auto rows, LookupMany({key}));
    return std::move(rows[0]);
  }

  Result<std::vector<std::optional<GenericRow>>> LookupMany(const std::vector<GenericRow>& keys) override {
    std::map<int32_t, std::vector<std::string>> by_bucket;
    std::map<int32_t, std::vector<size_t>> positions;  // per bucket: the keys' places in `keys`
    for (size_t i = 0; i < keys.size(); ++i) {
      auto k = encoder_.Encode(keys[i]);
      if (!k.ok()) return keys.size() == 1 ? k.status() : k.status().WithContext(fmt::format("key #{}", i));
      by_bucket[k->bucket].push_back(AsBytes(k->key));
      positions[k->bucket].push_back(i);
    }
    std::vector<std::optional<GenericRow>> out(keys.size());
    if (keys.empty()) return out;
    FLUSS_ASSIGN_OR_RETURN(auto answers, (AskBucketLeaders<proto::LookupRequest, proto::LookupResponse>(
                                             *ctx_, info_, rpc::ApiKey::kLookup, by_bucket)));
    for (const auto& [bucket, answer] : answers) {
      const auto& pos = positions[bucket];
      if (static_cast<size_t>(answer.values_size()) != pos.size()) {
        return Status(ErrorCode::kCorruptMessage,
                      fmt::format("lookup in bucket {} of '{}': {} values for {} keys", bucket, info_.path.ToString(),
                                  answer.values_size(), pos.size()));
      }
      for (size_t j = 0; j < pos.size(); ++j) {
        const auto& v = answer.values(static_cast<int>(j));
        if (!v.has_values()) continue;  // no row for the key
        auto row = decoder_.Decode(AsSpan(v.values()));
        if (!row.ok()) return row.status().WithContext(fmt::format("row of bucket {} of '{}'", bucket, info_.path.ToString()));
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
};

class PrefixLookuperImpl final : public PrefixLookuper {
 public:
  PrefixLookuperImpl(std::shared_ptr<ClientContext> ctx, TableInfo info, LookupKeyEncoder encoder)
      : ctx_(std::move(ctx)), info_(std::move(info)), encoder_(std::move(encoder)), decoder_(MakeDecoder(ctx_, info_)) {}

  Result<std::vector<GenericRow>> Lookup(const GenericRow& prefix) override {
    FLUSS_ASSIGN_OR_RETURN(auto k, encoder_.Encode(prefix));
    std::map<int32_t, std::vector<std::string>> by_bucket{{k.bucket, {AsBytes(k.key)}}};
    FLUSS_ASSIGN_OR_RETURN(auto answers, (AskBucketLeaders<proto::PrefixLookupRequest, proto::PrefixLookupResponse>(
                                             *ctx_, info_, rpc::ApiKey::kPrefixLookup, by_bucket)));
    const auto& answer = answers.at(k.bucket);
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
};

}  // namespace

Result<std::unique_ptr<Lookuper>> Table::NewLookuper() {
  FLUSS_RETURN_NOT_OK(RefusePartitionedTable(info_, "look up"));
  FLUSS_ASSIGN_OR_RETURN(auto encoder, LookupKeyEncoder::ForPrimaryKey(info_));
  return std::unique_ptr<Lookuper>(new LookuperImpl(ctx_, info_, std::move(encoder)));
}

Result<std::unique_ptr<PrefixLookuper>> Table::NewPrefixLookuper(const std::vector<std::string>& lookup_columns) {
  FLUSS_RETURN_NOT_OK(RefusePartitionedTable(info_, "look up"));
  FLUSS_ASSIGN_OR_RETURN(auto encoder, LookupKeyEncoder::ForPrefix(info_, lookup_columns));
  return std::unique_ptr<PrefixLookuper>(new PrefixLookuperImpl(ctx_, info_, std::move(encoder)));
}

}  // namespace fluss
