#pragma once
// The body served for size=N: a repeating printable pattern, built once and added to output
// buffers by reference, so serving a body never copies or allocates per byte.

#include <event2/buffer.h>

#include <cstdint>
#include <string>

namespace weir::fake {

/// Byte i of every pattern body is kAlphabet[i % kPeriod].
/// Thread-safe: immutable after construction; must outlive every buffer it was added to.
class BodyPattern {
 public:
  static constexpr size_t kPeriod = 64;

  BodyPattern();

  /// Appends body bytes [offset, offset + length) to `out`; false if libevent fails.
  bool append(evbuffer* out, uint64_t offset, uint64_t length) const;

 private:
  static constexpr size_t kSliceBytes = 256 * 1024;  // a multiple of kPeriod
  std::string bytes_;                                // kSliceBytes + kPeriod bytes
};

}  // namespace weir::fake
