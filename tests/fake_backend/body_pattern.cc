#include "body_pattern.h"

#include <algorithm>
#include <string_view>

namespace weir::fake {
namespace {

constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
static_assert(kAlphabet.size() == BodyPattern::kPeriod);

// Below this a copy is cheaper than a reference chain.
constexpr uint64_t kCopyBelowBytes = 512;

}  // namespace

BodyPattern::BodyPattern() {
  bytes_.reserve(kSliceBytes + kPeriod);
  while (bytes_.size() < kSliceBytes + kPeriod) bytes_.append(kAlphabet);
}

bool BodyPattern::append(evbuffer* out, uint64_t offset, uint64_t length) const {
  while (length > 0) {
    size_t start = offset % kPeriod;
    auto n = static_cast<size_t>(std::min<uint64_t>(length, kSliceBytes));
    const char* data = bytes_.data() + start;
    int rc = n < kCopyBelowBytes ? evbuffer_add(out, data, n) : evbuffer_add_reference(out, data, n, nullptr, nullptr);
    if (rc != 0) return false;
    offset += n;
    length -= n;
  }
  return true;
}

}  // namespace weir::fake
