// Bytes from a socket: the frame assembler (lengths, limits, frames split anywhere), request and
// response headers, and error response bodies.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "rpc/frame.h"
#include "rpc/frame_assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fluss;
  const std::span<const uint8_t> in(data, size);
  (void)rpc::DecodeRequestHeader(in);
  (void)rpc::DecodeResponseHeader(in);
  (void)rpc::DecodeErrorResponse(in);

  rpc::FrameAssembler assembler({rpc::kRequestHeaderSize, rpc::kRequestHeaderSize, 1 << 20, "request",
                                  "netty.server.max-request-size"},
                                 256);
  size_t pos = 0;
  // Deliver the input in reads of 1..64 bytes, as a socket might.
  while (pos < size) {
    auto buf = assembler.ReadBuffer();
    if (buf.empty()) break;
    const size_t chunk = std::min({buf.size(), size - pos, static_cast<size_t>(1 + data[pos] % 64)});
    std::memcpy(buf.data(), data + pos, chunk);
    pos += chunk;
    Status st = assembler.OnRead(chunk, [](std::span<const uint8_t> header, std::string body) {
      (void)rpc::DecodeRequestHeader(header);
      return Status::OK();
    });
    if (!st.ok()) break;
  }
  return 0;
}
