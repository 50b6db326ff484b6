#include "weir/proxy/source_connections.h"

#include <netinet/in.h>
#include <xxhash.h>

#include <bit>

namespace weir::proxy {

SourceConnections::SourceConnections(uint32_t capacity)
    : mask_(std::bit_ceil(std::max<uint32_t>(capacity, kProbeWindow)) - 1),
      words_(std::make_unique<std::atomic<uint64_t>[]>(static_cast<size_t>(mask_) + 1)) {}

SourceConnections& SourceConnections::shared() {
  static SourceConnections table;
  return table;
}

uint64_t SourceConnections::keyHash(std::string_view scope, const net::Address& src) {
  // The address only, not the port; an IPv4-mapped IPv6 address counts as its IPv4 one.
  const void* bytes = nullptr;
  size_t length = 0;
  if (src.family() == AF_INET) {
    bytes = &reinterpret_cast<const sockaddr_in*>(src.sockaddrPtr())->sin_addr;
    length = sizeof(in_addr);
  } else if (src.family() == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(src.sockaddrPtr())->sin6_addr;
    const bool mapped = IN6_IS_ADDR_V4MAPPED(&a);
    bytes = mapped ? &a.s6_addr[12] : &a.s6_addr[0];
    length = mapped ? 4 : sizeof(a.s6_addr);
  }
  return XXH3_64bits_withSeed(bytes, length, XXH3_64bits(scope.data(), scope.size()));
}

SourceConnections::Admission SourceConnections::acquire(std::string_view scope, const net::Address& src, uint32_t limit) {
  const uint64_t hash = keyHash(scope, src);
  const uint64_t tag = tagOf(hash);
  const uint64_t maxCount = std::min<uint64_t>(limit, kCountMask);
  // Bounded: each failed CAS means another worker changed a slot of this window meanwhile.
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint32_t reusable = kUntracked;
    uint64_t reusableWord = 0;
    bool changed = false;
    for (uint32_t i = 0; i < kProbeWindow && !changed; ++i) {
      const uint32_t slot = (static_cast<uint32_t>(hash) + i) & mask_;
      uint64_t word = words_[slot].load(std::memory_order_acquire);
      if (tagBits(word) == tag) {
        while (tagBits(word) == tag) {
          if (countOf(word) >= maxCount) return {false, kUntracked};
          if (words_[slot].compare_exchange_weak(word, word + 1, std::memory_order_acq_rel)) return {true, slot};
        }
        changed = true;  // the slot went to another source while it was at 0: look again
        break;
      }
      if (countOf(word) == 0 && reusable == kUntracked) {
        reusable = slot;
        reusableWord = word;
      }
      // Slots never go back to 0, so no entry of this key lies past a slot never used.
      if (word == 0) break;
    }
    if (changed) continue;
    if (reusable == kUntracked) return {true, kUntracked};  // the window is full: fail open
    if (words_[reusable].compare_exchange_strong(reusableWord, (tag << kCountBits) | 1, std::memory_order_acq_rel))
      return {true, reusable};
  }
  return {true, kUntracked};
}

void SourceConnections::release(uint32_t slot) {
  if (slot == kUntracked || slot > mask_) return;
  words_[slot].fetch_sub(1, std::memory_order_acq_rel);
}

uint32_t SourceConnections::current(std::string_view scope, const net::Address& src) const {
  const uint64_t hash = keyHash(scope, src);
  const uint64_t tag = tagOf(hash);
  for (uint32_t i = 0; i < kProbeWindow; ++i) {
    const uint64_t word = words_[(static_cast<uint32_t>(hash) + i) & mask_].load(std::memory_order_acquire);
    if (tagBits(word) == tag) return static_cast<uint32_t>(countOf(word));
    if (word == 0) break;
  }
  return 0;
}

}  // namespace weir::proxy
