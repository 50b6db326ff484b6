#include "weir/proxy/source_connections.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>
#include <vector>

namespace weir::proxy {
namespace {

net::Address ipv4(const std::string& ip, uint16_t port = 40000) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &sin.sin_addr);
  return net::Address(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
}

net::Address mappedIpv6(const std::string& ip) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ("::ffff:" + ip).c_str(), &sin6.sin6_addr);
  return net::Address(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
}

TEST(SourceConnections, AdmitsUpToTheLimitPerAddressAndScope) {
  SourceConnections table(1024);
  std::vector<uint32_t> slots;
  for (int i = 0; i < 3; ++i) {
    const auto a = table.acquire("web", ipv4("10.0.0.1", static_cast<uint16_t>(1000 + i)), 3);
    ASSERT_TRUE(a.admitted) << i;
    slots.push_back(a.slot);
  }
  EXPECT_FALSE(table.acquire("web", ipv4("10.0.0.1", 2000), 3).admitted) << "the port is not part of the source";
  EXPECT_FALSE(table.acquire("web", mappedIpv6("10.0.0.1"), 3).admitted) << "::ffff:10.0.0.1 is 10.0.0.1";
  EXPECT_TRUE(table.acquire("web", ipv4("10.0.0.2"), 3).admitted);
  EXPECT_TRUE(table.acquire("api", ipv4("10.0.0.1"), 3).admitted) << "each frontend counts on its own";
  EXPECT_EQ(table.current("web", ipv4("10.0.0.1")), 3u);

  table.release(slots[0]);
  EXPECT_EQ(table.current("web", ipv4("10.0.0.1")), 2u);
  EXPECT_TRUE(table.acquire("web", ipv4("10.0.0.1"), 3).admitted);
}

TEST(SourceConnections, AFreedSlotServesAnotherSourceAndCountsStayApart) {
  SourceConnections table(32);  // one probe window: every source shares it
  std::vector<uint32_t> slots;
  for (int i = 0; i < 32; ++i) {
    const auto a = table.acquire("web", ipv4("10.1.0." + std::to_string(i)), 1);
    ASSERT_TRUE(a.admitted);
    ASSERT_NE(a.slot, SourceConnections::kUntracked) << i;
    slots.push_back(a.slot);
  }
  const auto untracked = table.acquire("web", ipv4("10.2.0.1"), 1);
  EXPECT_TRUE(untracked.admitted) << "a full table fails open";
  EXPECT_EQ(untracked.slot, SourceConnections::kUntracked);

  table.release(slots[5]);  // 10.1.0.5 closes: its slot can go to a newcomer
  const auto newcomer = table.acquire("web", ipv4("10.2.0.1"), 1);
  ASSERT_NE(newcomer.slot, SourceConnections::kUntracked);
  EXPECT_FALSE(table.acquire("web", ipv4("10.2.0.1"), 1).admitted);
  EXPECT_FALSE(table.acquire("web", ipv4("10.1.0.6"), 1).admitted) << "the others keep their counts";
  EXPECT_EQ(table.current("web", ipv4("10.1.0.5")), 0u);
}

TEST(SourceConnections, HoldReleasesItsSlotWhenItGoes) {
  SourceConnections& table = SourceConnections::shared();
  const net::Address src = ipv4("10.9.9.9");
  {
    SourceHold hold(table.acquire("hold-test", src, 1).slot);
    SourceHold moved = std::move(hold);
    EXPECT_EQ(table.current("hold-test", src), 1u);
  }
  EXPECT_EQ(table.current("hold-test", src), 0u) << "released once, by the hold that owned it last";
}

}  // namespace
}  // namespace weir::proxy
