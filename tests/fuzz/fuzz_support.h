#pragma once
// What the fuzz targets share: FUZZ_CHECK, an invariant that aborts (so libFuzzer keeps the
// input as a crash) with a message saying which; and FeedPlan, the sizes in which a stream is
// handed to a parser, as a socket would cut it.

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "weir/http/http_parser.h"

#define FUZZ_CHECK(cond, ...)                                                                  \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
      std::fprintf(stderr, "  %s\n", fmt::format(__VA_ARGS__).c_str());                       \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace weir::fuzz {

/// FNV-1a: a seed that depends on every byte of the input, so a run is reproducible.
inline uint64_t hashBytes(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

/// How much of the stream each read delivers: everything at once, or pieces of 1 to 16 bytes
/// (now and then up to 512) from a xorshift generator seeded by the input. The proxy feeds its
/// parsers one evbuffer chain at a time, so any cut is possible on the wire.
class FeedPlan {
 public:
  static FeedPlan whole() { return FeedPlan(0); }
  static FeedPlan pieces(uint64_t seed) { return FeedPlan(seed | 1); }

  /// The size of the next read when `left` bytes are still to come (0 only when left is 0).
  size_t next(size_t left) {
    if (state_ == 0 || left == 0) return left;
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const size_t size = (state_ % 8 == 0) ? 1 + state_ / 8 % 512 : 1 + state_ / 8 % 16;
    return size < left ? size : left;
  }

 private:
  explicit FeedPlan(uint64_t state) : state_(state) {}
  uint64_t state_;
};

/// A stream handed to a parser in the reads a FeedPlan makes, as a session feeds it from a
/// socket. The status of a parse error is written to `*errorStatus`.
class PlannedReader {
 public:
  PlannedReader(std::string_view input, FeedPlan plan, http::HttpParser* parser, int* errorStatus)
      : input_(input), plan_(plan), parser_(parser), errorStatus_(errorStatus) {}

  /// One read; `*readSize` is how many bytes it brought (0 once the input is used up).
  http::HttpParser::Result feed(size_t* readSize) {
    *readSize = plan_.next(input_.size() - pos_);
    const http::HttpParser::Result r = parser_->feed(input_.data() + pos_, *readSize);
    FUZZ_CHECK(r.consumed <= *readSize, "consumed {} of {}", r.consumed, *readSize);
    pos_ += r.consumed;
    if (r.status == http::HttpParser::Status::kError) *errorStatus_ = parser_->error().status;
    return r;
  }

  /// Reads until a head is ready (true), or the input ends or an error comes first (false).
  bool readHead() {
    size_t n = 0;
    http::HttpParser::Result r{};
    do r = feed(&n);
    while (r.status == http::HttpParser::Status::kNeedMore && n > 0);
    FUZZ_CHECK(r.status != http::HttpParser::Status::kComplete, "a message completes before its head");
    return r.status == http::HttpParser::Status::kHead;
  }

  /// Up to `n` bytes as they are, past the parser (a Content-Length body passed through).
  std::string_view take(uint64_t n) {
    const std::string_view bytes = input_.substr(pos_, static_cast<size_t>(std::min<uint64_t>(n, input_.size() - pos_)));
    pos_ += bytes.size();
    return bytes;
  }

 private:
  std::string_view input_;
  size_t pos_ = 0;
  FeedPlan plan_;
  http::HttpParser* parser_;
  int* errorStatus_;
};

/// What the session sends on for `len` decoded body bytes: the bytes, or one chunk of them
/// (ClientSession::forwardRequestBody and forwardResponseBody re-chunk what they decoded).
inline void appendBodyBytes(std::string& wire, const char* data, size_t len, bool chunked) {
  if (chunked) wire += fmt::format("{:x}\r\n", len);
  wire.append(data, len);
  if (chunked) wire += "\r\n";
}

/// A body sink that keeps what the parser decoded.
class BodyCollector final : public http::BodySink {
 public:
  void onBodyData(const char* data, size_t len) override { body.append(data, len); }
  std::string body;
};

}  // namespace weir::fuzz
