#include "weir/upstream/hash_ring.h"

#include <netinet/in.h>
#include <xxhash.h>

#include <algorithm>
#include <numeric>

namespace weir::upstream {

HashRing::HashRing(std::span<const Member> members) {
  int divisor = 0;
  for (const Member& m : members) divisor = std::gcd(divisor, m.weight);
  for (const Member& m : members) {
    const int count = kPointsPerWeight * (m.weight / std::max(divisor, 1));
    for (int k = 0; k < count; ++k)
      points_.push_back({XXH3_64bits_withSeed(m.key.data(), m.key.size(), static_cast<XXH64_hash_t>(k)), m.index});
  }
  // Ties (astronomically rare) are ordered by index so that every build gives the same ring.
  std::sort(points_.begin(), points_.end(),
            [](const Point& a, const Point& b) { return a.hash != b.hash ? a.hash < b.hash : a.index < b.index; });
}

size_t HashRing::firstAtOrAfter(uint64_t hash) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), hash, [](const Point& p, uint64_t h) { return p.hash < h; });
  return it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
}

uint64_t hashClientIp(const net::Address& address) {
  if (address.family() == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr());
    return XXH3_64bits(&sin->sin_addr, sizeof(sin->sin_addr));
  }
  if (address.family() == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr());
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) return XXH3_64bits(&sin6->sin6_addr.s6_addr[12], 4);
    return XXH3_64bits(&sin6->sin6_addr, sizeof(sin6->sin6_addr));
  }
  return 0;
}

}  // namespace weir::upstream
