#pragma once
// What the fuzz targets share: FUZZ_CHECK, an invariant that aborts (so libFuzzer keeps the
// input as a crash) with a message saying which; and FeedPlan, the sizes in which a stream is
// handed to a parser, as a socket would cut it.

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

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

}  // namespace weir::fuzz
