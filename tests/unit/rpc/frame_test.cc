#include "rpc/frame.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "rpc/frame_assembler.h"
#include "rpc/outbound_queue.h"
#include "support/status_macros.h"

namespace fluss::rpc {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Hex(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("{:02x}", c);
  return out;
}

TEST(FrameTest, RequestFrameIsBigEndianLengthThenHeaderThenBody) {
  std::string frame = EncodeRequestFrame(RequestHeader{1014, 2, 0x01020304}, "abc");
  EXPECT_EQ(Hex(frame), "0000000b" "03f6" "0002" "01020304" "616263");
}

TEST(FrameTest, ResponseFramesCarryTypeAndRequestId) {
  EXPECT_EQ(Hex(EncodeResponseFrame(ResponseType::kSuccess, 7, "xy")), "00000007" "00" "00000007" "7879");
  EXPECT_EQ(Hex(EncodeErrorFrame(7, Status(ErrorCode::kTableNotExist, "t"))),
            "0000000a" "01" "00000007" "0807" "120174");
  EXPECT_EQ(Hex(EncodeServerFailureFrame(Status(ErrorCode::kCorruptMessage, "x"))), "00000006" "02" "0803" "120178");
}

TEST(FrameTest, DecodeRequestHeaderReadsAllFields) {
  std::string frame = EncodeRequestFrame(RequestHeader{-2, 300, -5}, "");
  auto h = DecodeRequestHeader(Bytes(frame).subspan(4));
  ASSERT_OK(h);
  EXPECT_EQ(h->api_key, -2);
  EXPECT_EQ(h->api_version, 300);
  EXPECT_EQ(h->request_id, -5);
  EXPECT_FALSE(DecodeRequestHeader(Bytes(frame).subspan(5)).ok());
}

TEST(FrameTest, DecodeResponseHeaderKnowsTheThreeTypes) {
  std::string ok = EncodeResponseFrame(ResponseType::kSuccess, 42, "b");
  auto h = DecodeResponseHeader(Bytes(ok).subspan(4));
  ASSERT_OK(h);
  EXPECT_EQ(h->type, ResponseType::kSuccess);
  EXPECT_EQ(h->request_id, 42);
  EXPECT_EQ(h->size, 5u);

  std::string failure = EncodeServerFailureFrame(Status(ErrorCode::kCorruptMessage, "bad"));
  h = DecodeResponseHeader(Bytes(failure).subspan(4));
  ASSERT_OK(h);
  EXPECT_EQ(h->type, ResponseType::kServerFailure);
  EXPECT_EQ(h->size, 1u);

  std::string unknown("\x07\0\0\0\0", 5);
  EXPECT_EQ(DecodeResponseHeader(Bytes(unknown)).status().code(), ErrorCode::kCorruptMessage);
  EXPECT_FALSE(DecodeResponseHeader(Bytes(std::string("\x00\x00", 2))).ok());
}

TEST(FrameTest, NegativeErrorCodeIsATenByteVarint) {
  std::string bytes = EncodeErrorResponse(Status(ErrorCode::kUnknownServerError, "boom"));
  EXPECT_EQ(Hex(bytes), "08" "ffffffffffffffffff01" "1204" "626f6f6d");
  auto decoded = DecodeErrorResponse(Bytes(bytes));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->error_code, -1);
  EXPECT_EQ(decoded->error_message, "boom");
  EXPECT_EQ(ErrorResponseToStatus(*decoded), Status(ErrorCode::kUnknownServerError, "boom"));
}

TEST(FrameTest, ErrorResponseRoundTripsEveryCodeAndLongMessages) {
  std::string long_message(1000, 'm');
  for (int code : {-1, 1, 3, 12, 25, 73, 127, 128, 300}) {
    auto decoded = DecodeErrorResponse(Bytes(EncodeErrorResponse(Status(static_cast<ErrorCode>(code), long_message))));
    ASSERT_TRUE(decoded.ok()) << code;
    EXPECT_EQ(decoded->error_code, code);
    EXPECT_EQ(decoded->error_message, long_message);
  }
}

TEST(FrameTest, OkStatusIsSentAsUnknownServerError) {
  auto decoded = DecodeErrorResponse(Bytes(EncodeErrorResponse(Status::OK())));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->error_code, -1);
}

TEST(FrameTest, ErrorResponseWithoutMessageDecodes) {
  auto decoded = DecodeErrorResponse(Bytes(std::string("\x08\x07", 2)));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->error_code, 7);
  EXPECT_FALSE(decoded->error_message.has_value());
}

TEST(FrameTest, DecodeErrorResponseSkipsUnknownFields) {
  std::string bytes;
  bytes += std::string("\x18\x96\x01", 3);             // field 3 varint 150
  bytes += std::string("\x25\x01\x02\x03\x04", 5);     // field 4 fixed32
  bytes += std::string("\x2a\x03xyz", 5);              // field 5 bytes
  bytes += std::string("\x31\x01\x02\x03\x04\x05\x06\x07\x08", 9);  // field 6 fixed64
  bytes += std::string("\x08\x0c\x12\x02hi", 6);       // the real fields
  bytes += std::string("\xf8\xff\xff\xff\x0f\x01", 6);  // field 536870911 varint
  auto decoded = DecodeErrorResponse(Bytes(bytes));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->error_code, 12);
  EXPECT_EQ(decoded->error_message, "hi");
}

TEST(FrameTest, DecodeErrorResponseRejectsMalformedInput) {
  const std::vector<std::string> bad = {
      std::string(""),                          // required error_code missing
      std::string("\x12\x02hi", 4),             // only the message
      std::string("\x08", 1),                   // value missing
      std::string("\x08\x80", 2),               // truncated varint
      std::string("\x08\x07\x12\x05hi", 6),     // string overruns the message
      std::string("\x08\x07\x12", 3),           // length missing
      std::string("\x0a\x01x", 3),              // field 1 as bytes
      std::string("\x08\x07\x10\x01", 4),       // field 2 as varint
      std::string("\x08\x07\x1b", 3),           // start group
      std::string("\x08\x07\x1e", 3),           // wire type 6
      std::string("\x00\x01", 2),               // field number 0
      std::string("\x08\x07\x25\x01\x02", 5),   // truncated fixed32
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11),  // varint over 64 bits
  };
  for (const auto& b : bad) {
    auto decoded = DecodeErrorResponse(Bytes(b));
    EXPECT_FALSE(decoded.ok()) << Hex(b);
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruptMessage) << Hex(b);
    }
  }
}

TEST(FrameTest, ErrorCodeZeroReadsAsUnknownServerError) {
  Status st = ErrorResponseToStatus(ErrorResponse{0, std::nullopt});
  EXPECT_EQ(st.code(), ErrorCode::kUnknownServerError);
}

TEST(FrameTest, CheckFrameLengthNamesSizeAndLimit) {
  EXPECT_OK(CheckFrameLength(8, 8, 100, "request", "limit.name"));
  EXPECT_OK(CheckFrameLength(100, 8, 100, "request", "limit.name"));
  Status big = CheckFrameLength(101, 8, 100, "request", "netty.server.max-request-size");
  EXPECT_EQ(big.code(), ErrorCode::kCorruptMessage);
  EXPECT_EQ(big.message(), "request of 101 bytes exceeds the limit of 100 bytes (netty.server.max-request-size)");
  EXPECT_FALSE(CheckFrameLength(7, 8, 100, "request", "x").ok());
  EXPECT_FALSE(CheckFrameLength(0, 1, 100, "response", "x").ok());
  EXPECT_FALSE(CheckFrameLength(-1, 1, 100, "response", "x").ok());
}

// --- FrameAssembler ---

struct Frame {
  std::string header;
  std::string body;
};

// Feeds `stream` to an assembler in chunks whose sizes come from `next_chunk`.
Status Feed(FrameAssembler& a, std::string_view stream, const std::function<size_t()>& next_chunk,
            std::vector<Frame>* out) {
  size_t pos = 0;
  while (pos < stream.size()) {
    auto buf = a.ReadBuffer();
    EXPECT_FALSE(buf.empty());
    size_t n = std::min({buf.size(), next_chunk(), stream.size() - pos});
    std::memcpy(buf.data(), stream.data() + pos, n);
    pos += n;
    FLUSS_RETURN_NOT_OK(a.OnRead(n, [&](std::span<const uint8_t> header, std::string body) {
      out->push_back(Frame{std::string(reinterpret_cast<const char*>(header.data()), header.size()), std::move(body)});
      return Status::OK();
    }));
  }
  return Status::OK();
}

FrameAssembler::Limits RequestLimits(size_t max = 1 << 20) {
  return {kRequestHeaderSize, kRequestHeaderSize, max, "request", "netty.server.max-request-size"};
}

TEST(FrameAssemblerTest, SplitsFramesWhateverTheReadSizes) {
  std::mt19937 rng(7);
  std::vector<std::string> bodies;
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    size_t size = (i % 10 == 0) ? rng() % 5000 : rng() % 100;  // some larger than the staging buffer
    std::string body(size, '\0');
    for (auto& c : body) c = static_cast<char>(rng());
    stream += EncodeRequestFrame(RequestHeader{static_cast<int16_t>(1000 + i), 0, i}, body);
    bodies.push_back(std::move(body));
  }
  for (size_t max_chunk : {1, 3, 64, 1000, 100000}) {
    FrameAssembler a(RequestLimits(), 256);
    std::vector<Frame> frames;
    ASSERT_OK(Feed(a, stream, [&] { return 1 + rng() % max_chunk; }, &frames));
    ASSERT_EQ(frames.size(), bodies.size()) << max_chunk;
    for (size_t i = 0; i < bodies.size(); ++i) {
      auto h = DecodeRequestHeader(Bytes(frames[i].header));
      ASSERT_OK(h);
      EXPECT_EQ(h->request_id, static_cast<int32_t>(i));
      EXPECT_EQ(h->api_key, 1000 + static_cast<int>(i));
      EXPECT_EQ(frames[i].body, bodies[i]) << "frame " << i << " chunk " << max_chunk;
    }
    EXPECT_FALSE(a.mid_frame());
  }
}

TEST(FrameAssemblerTest, ReportsAnUnfinishedFrame) {
  FrameAssembler a(RequestLimits(), 64);
  std::string frame = EncodeRequestFrame(RequestHeader{1, 0, 1}, std::string(500, 'x'));
  std::vector<Frame> frames;
  ASSERT_OK(Feed(a, std::string_view(frame).substr(0, 100), [] { return 1000; }, &frames));
  EXPECT_TRUE(frames.empty());
  EXPECT_TRUE(a.mid_frame());
}

TEST(FrameAssemblerTest, RejectsLengthsOutsideTheLimits) {
  for (int32_t length : {0, -1, 7, 1025, INT32_MAX}) {
    FrameAssembler a(RequestLimits(1024), 256);
    std::string stream(4, '\0');
    StoreBE<int32_t>(reinterpret_cast<uint8_t*>(stream.data()), length);
    stream += std::string(16, 'x');
    std::vector<Frame> frames;
    Status st = Feed(a, stream, [] { return 1000; }, &frames);
    EXPECT_EQ(st.code(), ErrorCode::kCorruptMessage) << length;
  }
}

TEST(FrameAssemblerTest, ResponseFramesShorterThanTheHeaderKeepTheirBytes) {
  FrameAssembler a({kServerFailureHeaderSize, kResponseHeaderSize, 1 << 20, "response", "x"});
  std::string stream = EncodeServerFailureFrame(Status(ErrorCode::kCorruptMessage, ""));  // 3-byte payload
  std::vector<Frame> frames;
  ASSERT_OK(Feed(a, stream, [] { return 1000; }, &frames));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(Hex(frames[0].header), "020803");
  EXPECT_EQ(frames[0].body, "");
}

// --- OutboundQueue ---

TEST(OutboundQueueTest, BatchIsTheFramesBackToBack) {
  OutboundQueue q;
  std::string expected;
  std::string big(OutboundQueue::kCopyThreshold + 1, 'B');
  for (int i = 0; i < 5; ++i) {
    OutFrame f;
    std::string body = (i == 2) ? big : std::string(static_cast<size_t>(i) * 10, static_cast<char>('a' + i));
    f.SetPrefix(EncodeResponsePrefix(ResponseType::kSuccess, i, body.size()));
    expected += EncodeResponseFrame(ResponseType::kSuccess, i, body);
    f.body = std::move(body);
    q.Push(std::move(f));
  }
  OutFrame parts;
  std::vector<Buffer> pieces = {Buffer::Copy(std::string_view("head")), Buffer::Copy(std::string_view(big)),
                                Buffer::Copy(std::string_view("tail"))};
  parts.parts = pieces;
  parts.SetPrefix(EncodeResponsePrefix(ResponseType::kSuccess, 9, parts.body_size()));
  expected += EncodeResponseFrame(ResponseType::kSuccess, 9, "head" + big + "tail");
  q.Push(std::move(parts));

  q.MoveQueuedToBatch();
  EXPECT_FALSE(q.has_queued());
  const auto& buffers = q.BatchBuffers();
  std::string written;
  for (const auto& b : buffers) written.append(static_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(written, expected);
  // Small pieces are coalesced; the two large bodies are referenced: 5 buffers in all.
  EXPECT_EQ(buffers.size(), 5u);
  q.ReleaseBatch();
}

}  // namespace
}  // namespace fluss::rpc
