#pragma once
// Consistent hashing for `balance: source`, ketama style: every server owns points on a 64-bit
// ring in proportion to its weight, and a client's hash goes to the first point at or after it.
// A point's position depends only on its server's name and ordinal, so taking a server out
// moves exactly the clients that were on it, and nobody else. Servers that are down are skipped
// at lookup rather than rebuilding the ring, which gives the same answer as a ring without them.
//
// Built once per server set; immutable afterwards, so every worker reads it without locks.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "weir/net/address.h"

namespace weir::upstream {

class HashRing {
 public:
  struct Member {
    std::string_view key;  // stable identity: the server's name
    int weight;            // 1..256
    int index;             // returned by lookup
  };
  /// Points per unit of weight (after dividing all weights by their gcd): enough for the
  /// share of each server to be within a few percent of its weight.
  static constexpr int kPointsPerWeight = 160;

  explicit HashRing(std::span<const Member> members);

  /// The index of the first member at or after `hash` on the ring for which accept(index) is
  /// true; -1 when none is.
  template <typename Accept>
  int lookup(uint64_t hash, Accept&& accept) const {
    if (points_.empty()) return -1;
    size_t at = firstAtOrAfter(hash);
    int rejected = -1;  // a server's points are often adjacent: do not ask twice in a row
    for (size_t n = 0; n < points_.size(); ++n, at = (at + 1 == points_.size() ? 0 : at + 1)) {
      const int index = points_[at].index;
      if (index == rejected) continue;
      if (accept(index)) return index;
      rejected = index;
    }
    return -1;
  }

  size_t pointCount() const { return points_.size(); }

 private:
  struct Point {
    uint64_t hash;
    int index;
  };
  size_t firstAtOrAfter(uint64_t hash) const;

  std::vector<Point> points_;  // sorted by hash
};

/// The hash of a client's IP address (not its port). An IPv4-mapped IPv6 address hashes like
/// the IPv4 address, so a dual-stack listener sends a client where an IPv4 one would.
uint64_t hashClientIp(const net::Address& address);

}  // namespace weir::upstream
