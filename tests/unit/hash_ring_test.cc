#include "weir/upstream/hash_ring.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "weir/net/address.h"

namespace weir::upstream {
namespace {

constexpr int kClients = 10000;

net::Address ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port = 12345) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  const uint32_t host = (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | uint32_t{d};
  sin.sin_addr.s_addr = htonl(host);
  return net::Address(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
}

net::Address ipv6(const uint8_t (&bytes)[16], uint16_t port = 12345) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  std::memcpy(&sin6.sin6_addr, bytes, 16);
  return net::Address(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
}

/// 10.x.y.z for client n.
net::Address v4Client(int n) {
  return ipv4(10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n));
}

/// 2001:db8::<n> for client n.
net::Address v6Client(int n) {
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  b[13] = static_cast<uint8_t>(n >> 16);
  b[14] = static_cast<uint8_t>(n >> 8);
  b[15] = static_cast<uint8_t>(n);
  return ipv6(b);
}

/// The names must outlive the rings (members hold string_views).
struct Servers {
  std::vector<std::string> names;
  explicit Servers(int n) {
    for (int i = 0; i < n; ++i) names.push_back("s" + std::to_string(i));
  }
  /// Members with `weights` (0 = left out), indices = positions.
  std::vector<HashRing::Member> members(const std::vector<int>& weights) const {
    std::vector<HashRing::Member> out;
    for (size_t i = 0; i < weights.size(); ++i)
      if (weights[i] > 0) out.push_back({names[i], weights[i], static_cast<int>(i)});
    return out;
  }
};

auto acceptAll = [](int) { return true; };

std::vector<int> mapClients(const HashRing& ring, net::Address (*client)(int)) {
  std::vector<int> out;
  out.reserve(kClients);
  for (int n = 0; n < kClients; ++n) out.push_back(ring.lookup(hashClientIp(client(n)), acceptAll));
  return out;
}

TEST(HashRing, SameHashAlwaysMapsToSameMember) {
  Servers s(10);
  HashRing ring(s.members(std::vector<int>(10, 1)));
  HashRing again(s.members(std::vector<int>(10, 1)));
  EXPECT_EQ(ring.pointCount(), 10u * HashRing::kPointsPerWeight);
  for (int n = 0; n < 200; ++n) {
    const uint64_t h = hashClientIp(v4Client(n));
    const int first = ring.lookup(h, acceptAll);
    ASSERT_GE(first, 0);
    ASSERT_LT(first, 10);
    EXPECT_EQ(ring.lookup(h, acceptAll), first);
    EXPECT_EQ(again.lookup(h, acceptAll), first);  // a rebuilt ring agrees
  }
  // Extreme hashes wrap around the ring.
  EXPECT_GE(ring.lookup(0, acceptAll), 0);
  EXPECT_GE(ring.lookup(UINT64_MAX, acceptAll), 0);
  EXPECT_EQ(ring.lookup(UINT64_MAX, acceptAll), ring.lookup(UINT64_MAX, acceptAll));
}

class HashRingRemoval : public ::testing::TestWithParam<bool> {};

TEST_P(HashRingRemoval, RemovingAMemberMovesOnlyItsClients) {
  net::Address (*client)(int) = GetParam() ? v6Client : v4Client;
  Servers s(10);
  std::vector<int> weights(10, 1);
  HashRing full(s.members(weights));
  weights[3] = 0;
  HashRing without3(s.members(weights));
  EXPECT_EQ(without3.pointCount(), 9u * HashRing::kPointsPerWeight);

  const std::vector<int> before = mapClients(full, client);
  const std::vector<int> after = mapClients(without3, client);
  int moved = 0, on3 = 0;
  for (int n = 0; n < kClients; ++n) {
    ASSERT_GE(before[static_cast<size_t>(n)], 0);
    ASSERT_GE(after[static_cast<size_t>(n)], 0);
    EXPECT_NE(after[static_cast<size_t>(n)], 3);
    on3 += before[static_cast<size_t>(n)] == 3;
    if (before[static_cast<size_t>(n)] != after[static_cast<size_t>(n)]) {
      ++moved;
      EXPECT_EQ(before[static_cast<size_t>(n)], 3) << "client " << n << " moved from another member";
    }
  }
  EXPECT_EQ(moved, on3);  // exactly the clients of member 3
  EXPECT_GT(moved, 0);
  EXPECT_LE(static_cast<double>(moved) / kClients, 0.13);

  // Skipping member 3 at lookup answers like the ring built without it.
  for (int n = 0; n < kClients; ++n) {
    const int skipped = full.lookup(hashClientIp(client(n)), [](int i) { return i != 3; });
    ASSERT_EQ(skipped, after[static_cast<size_t>(n)]) << "client " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, HashRingRemoval, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "IPv6" : "IPv4"; });

TEST(HashRing, EqualMembersShareClientsEvenly) {
  Servers s(10);
  HashRing ring(s.members(std::vector<int>(10, 1)));
  for (auto client : {v4Client, v6Client}) {
    std::vector<int> counts(10, 0);
    for (int m : mapClients(ring, client)) counts[static_cast<size_t>(m)]++;
    for (int i = 0; i < 10; ++i) {
      const double share = static_cast<double>(counts[static_cast<size_t>(i)]) / kClients;
      EXPECT_GE(share, 0.07) << "member " << i;
      EXPECT_LE(share, 0.13) << "member " << i;
    }
  }
}

TEST(HashRing, WeightedMemberGetsProportionallyMore) {
  Servers s(2);
  HashRing ring(s.members({3, 1}));
  EXPECT_EQ(ring.pointCount(), 4u * HashRing::kPointsPerWeight);
  int heavy = 0;
  for (int m : mapClients(ring, v4Client)) heavy += m == 0;
  const double share = static_cast<double>(heavy) / kClients;
  EXPECT_GE(share, 0.65);
  EXPECT_LE(share, 0.85);
}

TEST(HashRing, WeightsAreReducedByTheirGcd) {
  Servers s(2);
  HashRing scaled(s.members({6, 2}));
  HashRing reduced(s.members({3, 1}));
  EXPECT_EQ(scaled.pointCount(), reduced.pointCount());
  for (int n = 0; n < 1000; ++n) {
    const uint64_t h = hashClientIp(v4Client(n));
    ASSERT_EQ(scaled.lookup(h, acceptAll), reduced.lookup(h, acceptAll));
  }
}

TEST(HashRing, NothingAcceptedOrEmptyRingGivesMinusOne) {
  Servers s(3);
  HashRing ring(s.members({1, 1, 1}));
  int asked = 0;
  EXPECT_EQ(ring.lookup(hashClientIp(v4Client(1)), [&](int) { ++asked; return false; }), -1);
  EXPECT_GE(asked, 3);  // every member was asked
  HashRing empty(std::span<const HashRing::Member>{});
  EXPECT_EQ(empty.pointCount(), 0u);
  EXPECT_EQ(empty.lookup(hashClientIp(v4Client(1)), acceptAll), -1);
}

TEST(HashClientIp, MappedIpv6HashesLikeIpv4) {
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
  EXPECT_EQ(hashClientIp(ipv6(mapped)), hashClientIp(ipv4(10, 1, 2, 3)));
  EXPECT_NE(hashClientIp(ipv6(mapped)), hashClientIp(ipv4(10, 1, 2, 4)));
}

TEST(HashClientIp, PortDoesNotMatter) {
  EXPECT_EQ(hashClientIp(ipv4(10, 1, 2, 3, 1)), hashClientIp(ipv4(10, 1, 2, 3, 65000)));
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  EXPECT_EQ(hashClientIp(ipv6(v6, 1)), hashClientIp(ipv6(v6, 443)));
}

TEST(HashClientIp, DifferentAddressesHashDifferently) {
  EXPECT_NE(hashClientIp(ipv4(10, 1, 2, 3)), hashClientIp(ipv4(10, 1, 2, 4)));
  EXPECT_NE(hashClientIp(v6Client(1)), hashClientIp(v6Client(2)));
  // A native IPv6 address is not confused with an IPv4 one sharing its low bytes.
  const uint8_t compat[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3};
  EXPECT_NE(hashClientIp(ipv6(compat)), hashClientIp(ipv4(10, 1, 2, 3)));
}

}  // namespace
}  // namespace weir::upstream
