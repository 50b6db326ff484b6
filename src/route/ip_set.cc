#include "weir/route/ip_set.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace weir::route {
namespace {

std::optional<int> parsePrefix(std::string_view text, int max) {
  int bits = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bits);
  if (ec != std::errc() || end != text.data() + text.size() || bits < 0 || bits > max) return std::nullopt;
  return bits;
}

template <typename Range>
void sortAndMerge(std::vector<Range>& ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.first < b.first; });
  std::vector<Range> merged;
  for (const Range& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().last) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  ranges = std::move(merged);
}

template <typename Range, typename Key>
bool rangesContain(const std::vector<Range>& ranges, const Key& key) {
  // The last range starting at or before key is the only one that can hold it.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), key, [](const Key& k, const Range& r) { return k < r.first; });
  return it != ranges.begin() && key <= std::prev(it)->last;
}

}  // namespace

std::optional<std::string> IpSet::add(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  const std::string_view prefix = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    const std::optional<int> bits = prefix.empty() && slash == std::string_view::npos ? 32 : parsePrefix(prefix, 32);
    if (!bits) return "'" + std::string(text) + "': the prefix length must be 0 to 32";
    const uint32_t ip = ntohl(a4.s_addr);
    const uint32_t mask = *bits == 0 ? 0 : ~uint32_t{0} << (32 - *bits);
    v4_.push_back({ip & mask, (ip & mask) | ~mask});
    return std::nullopt;
  }
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    const std::optional<int> bits = prefix.empty() && slash == std::string_view::npos ? 128 : parsePrefix(prefix, 128);
    if (!bits) return "'" + std::string(text) + "': the prefix length must be 0 to 128";
    if (IN6_IS_ADDR_V4MAPPED(&a6) && *bits >= 96) {
      // Clients written ::ffff:a.b.c.d are looked up among the IPv4 ranges (see contains()).
      uint32_t ip = 0;
      std::memcpy(&ip, a6.s6_addr + 12, 4);
      ip = ntohl(ip);
      const uint32_t mask = *bits == 96 ? 0 : ~uint32_t{0} << (128 - *bits);
      v4_.push_back({ip & mask, (ip & mask) | ~mask});
      return std::nullopt;
    }
    Range6 r;
    std::memcpy(r.first.data(), &a6, 16);
    r.last = r.first;
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(*bits - 8 * i, 0, 8);  // bits of this byte inside the prefix
      const auto mask = static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
      r.first[i] &= mask;
      r.last[i] = static_cast<uint8_t>(r.first[i] | ~mask);
    }
    v6_.push_back(r);
    return std::nullopt;
  }
  return "'" + std::string(text) + "' is not an IPv4 or IPv6 address or CIDR block";
}

void IpSet::finish() {
  sortAndMerge(v4_);
  sortAndMerge(v6_);
}

bool IpSet::contains(const net::Address& address) const {
  if (address.family() == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr());
    return rangesContain(v4_, ntohl(sin->sin_addr.s_addr));
  }
  if (address.family() != AF_INET6) return false;
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr());
  if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
    uint32_t ip = 0;
    std::memcpy(&ip, sin6->sin6_addr.s6_addr + 12, 4);
    return rangesContain(v4_, ntohl(ip));
  }
  V6 key;
  std::memcpy(key.data(), &sin6->sin6_addr, 16);
  return rangesContain(v6_, key);
}

}  // namespace weir::route
