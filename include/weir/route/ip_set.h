#pragma once
// A set of IPv4 and IPv6 addresses and CIDR blocks (ACL `src`), kept as sorted, merged ranges
// so a lookup is a binary search whatever the size of the list. IPv4-mapped IPv6 clients
// (::ffff:10.1.2.3, from a dual-stack listener) match the IPv4 entries. Immutable after build;
// read by every worker without locks.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/net/address.h"

namespace weir::route {

class IpSet {
 public:
  /// Adds "10.0.0.0/8", "192.168.1.7", "::1" or "2001:db8::/32". Returns an error text when
  /// the value is not an address or CIDR block.
  std::optional<std::string> add(std::string_view text);
  /// Sorts and merges; call once after the last add().
  void finish();

  bool contains(const net::Address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  using V6 = std::array<uint8_t, 16>;
  struct Range4 {
    uint32_t first, last;
  };
  struct Range6 {
    V6 first, last;
  };

  std::vector<Range4> v4_;
  std::vector<Range6> v6_;
};

}  // namespace weir::route
