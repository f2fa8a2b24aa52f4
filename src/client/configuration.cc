#include <fmt/format.h>

#include "common/config_value.h"
#include "fluss/client.h"

namespace fluss {

Status Configuration::Set(const std::string& key, const std::string& value) {
  auto ms = [&](std::chrono::milliseconds* out) -> Status {
    FLUSS_ASSIGN_OR_RETURN(int64_t v, ParseDurationOption(key, value));
    if (v < 0) return Status::Invalid(fmt::format("option '{}' must not be negative", key));
    *out = std::chrono::milliseconds(v);
    return Status::OK();
  };
  auto size64 = [&](int64_t* out) -> Status {
    FLUSS_ASSIGN_OR_RETURN(int64_t v, ParseSizeOption(key, value));
    if (v <= 0) return Status::Invalid(fmt::format("option '{}' must be positive", key));
    *out = v;
    return Status::OK();
  };
  auto size32 = [&](int32_t* out) -> Status {
    int64_t v = 0;
    FLUSS_RETURN_NOT_OK(size64(&v));
    if (v > INT32_MAX) return Status::Invalid(fmt::format("option '{}' is above 2 GiB", key));
    *out = static_cast<int32_t>(v);
    return Status::OK();
  };
  auto int32 = [&](int32_t* out) -> Status {
    FLUSS_ASSIGN_OR_RETURN(int64_t v, ParseIntOption(key, value));
    if (v <= 0 || v > INT32_MAX) return Status::Invalid(fmt::format("option '{}' must be a positive integer", key));
    *out = static_cast<int32_t>(v);
    return Status::OK();
  };
  auto boolean = [&](bool* out) -> Status {
    FLUSS_ASSIGN_OR_RETURN(*out, ParseBoolOption(key, value));
    return Status::OK();
  };
  if (key == "bootstrap.servers") {
    bootstrap_servers = value;
    return Status::OK();
  }
  if (key == "client.connect-timeout") return ms(&connect_timeout);
  if (key == "client.request-timeout") return ms(&request_timeout);
  if (key == "client.writer.acks") {
    if (value == "all" || value == "-1") writer_acks = -1;
    else if (value == "0") writer_acks = 0;
    else if (value == "1") writer_acks = 1;
    else return Status::Invalid(fmt::format("option '{}': '{}' is not all, -1, 0 or 1", key, value));
    return Status::OK();
  }
  if (key == "client.writer.batch-size") return size64(&writer_batch_size);
  if (key == "client.writer.batch-timeout") return ms(&writer_batch_timeout);
  if (key == "client.writer.buffer.memory-size") return size64(&writer_buffer_memory);
  if (key == "client.writer.request-max-size") return size64(&writer_request_max_size);
  if (key == "client.writer.max-inflight-requests-per-bucket") return int32(&writer_max_inflight_per_bucket);
  if (key == "client.writer.retries") return int32(&writer_retries);
  if (key == "client.writer.enable-idempotence") return boolean(&writer_enable_idempotence);
  if (key == "client.writer.delivery-timeout") return ms(&writer_delivery_timeout);
  if (key == "client.writer.dynamic-create-partition.enabled") return boolean(&writer_dynamic_create_partition);
  if (key == "client.scanner.log.max-poll-records") return int32(&scanner_max_poll_records);
  if (key == "client.scanner.log.fetch.max-bytes") return size32(&scanner_fetch_max_bytes);
  if (key == "client.scanner.log.fetch.max-bytes-for-bucket") return size32(&scanner_fetch_max_bytes_for_bucket);
  if (key == "client.scanner.log.fetch.min-bytes") return size32(&scanner_fetch_min_bytes);
  if (key == "client.scanner.log.fetch.wait-max-time") return ms(&scanner_fetch_wait_max);
  if (key == "client.scanner.log.check-crc") return boolean(&scanner_check_crc);
  if (key == "client.scanner.kv.fetch.max-bytes") return size32(&scanner_kv_fetch_max_bytes);
  return Status::Invalid(fmt::format("unknown client option '{}' (see docs/client.md)", key));
}

}  // namespace fluss
