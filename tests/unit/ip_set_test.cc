#include "weir/route/ip_set.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "weir/net/address.h"

namespace weir::route {
namespace {

net::Address addr(const std::string& host, uint16_t port = 0) {
  std::string error;
  const std::optional<net::Address> a = net::resolve({host, port}, &error);
  EXPECT_TRUE(a.has_value()) << host << ": " << error;
  return a.value_or(net::Address());
}

/// A finished set of `entries`, every one of which must be accepted.
IpSet setOf(std::initializer_list<std::string_view> entries) {
  IpSet set;
  for (std::string_view e : entries) {
    const std::optional<std::string> error = set.add(e);
    EXPECT_FALSE(error.has_value()) << e << ": " << error.value_or("");
  }
  set.finish();
  return set;
}

// ---------------------------------------------------------------------------------------------
// IPv4

TEST(IpSet, NewSetIsEmptyAndMatchesNothing) {
  IpSet set;
  set.finish();

  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(addr("127.0.0.1")));
  EXPECT_FALSE(set.contains(addr("::1")));
}

TEST(IpSet, SingleIpv4AddressMatchesOnlyItself) {
  const IpSet set = setOf({"192.168.1.7"});

  EXPECT_FALSE(set.empty());
  EXPECT_TRUE(set.contains(addr("192.168.1.7")));
  EXPECT_FALSE(set.contains(addr("192.168.1.6")));
  EXPECT_FALSE(set.contains(addr("192.168.1.8")));
}

TEST(IpSet, ClientPortDoesNotMatter) {
  const IpSet set = setOf({"192.168.1.7"});

  EXPECT_TRUE(set.contains(addr("192.168.1.7", 54321)));
}

TEST(IpSet, Ipv4CidrMatchesItsWholeBlock) {
  const IpSet set = setOf({"10.0.0.0/8"});

  EXPECT_TRUE(set.contains(addr("10.0.0.0")));
  EXPECT_TRUE(set.contains(addr("10.1.2.3")));
  EXPECT_TRUE(set.contains(addr("10.255.255.255")));
  EXPECT_FALSE(set.contains(addr("9.255.255.255")));
  EXPECT_FALSE(set.contains(addr("11.0.0.0")));
}

TEST(IpSet, Ipv4CidrWithHostBitsSetCoversTheWholeBlock) {
  const IpSet set = setOf({"172.16.5.9/12"});

  EXPECT_TRUE(set.contains(addr("172.16.0.0")));
  EXPECT_TRUE(set.contains(addr("172.31.255.255")));
  EXPECT_FALSE(set.contains(addr("172.32.0.0")));
}

TEST(IpSet, Ipv4SlashZeroMatchesEveryIpv4ButNoIpv6) {
  const IpSet set = setOf({"0.0.0.0/0"});

  EXPECT_TRUE(set.contains(addr("0.0.0.0")));
  EXPECT_TRUE(set.contains(addr("255.255.255.255")));
  EXPECT_FALSE(set.contains(addr("2001:db8::1")));
}

TEST(IpSet, Ipv4Slash32AndSlash31) {
  const IpSet set = setOf({"1.2.3.4/32", "8.8.8.8/31"});

  EXPECT_TRUE(set.contains(addr("1.2.3.4")));
  EXPECT_FALSE(set.contains(addr("1.2.3.5")));
  EXPECT_TRUE(set.contains(addr("8.8.8.8")));
  EXPECT_TRUE(set.contains(addr("8.8.8.9")));
  EXPECT_FALSE(set.contains(addr("8.8.8.10")));
}

TEST(IpSet, OverlappingAndNestedBlocksAreMerged) {
  const IpSet set = setOf({"10.1.0.0/16", "10.0.0.0/8", "10.200.0.0/16", "192.168.0.0/24", "192.168.0.128/25"});

  EXPECT_TRUE(set.contains(addr("10.1.2.3")));
  EXPECT_TRUE(set.contains(addr("10.99.0.1")));
  EXPECT_TRUE(set.contains(addr("192.168.0.200")));
  EXPECT_FALSE(set.contains(addr("192.168.1.0")));
  EXPECT_FALSE(set.contains(addr("11.0.0.0")));
}

TEST(IpSet, AddressesBetweenDisjointBlocksDoNotMatch) {
  const IpSet set = setOf({"10.0.0.0/24", "10.0.2.0/24"});

  EXPECT_TRUE(set.contains(addr("10.0.0.255")));
  EXPECT_FALSE(set.contains(addr("10.0.1.0")));
  EXPECT_TRUE(set.contains(addr("10.0.2.0")));
}

TEST(IpSet, AdjacentBlocksBothMatch) {
  const IpSet set = setOf({"10.0.1.0/24", "10.0.0.0/24"});

  EXPECT_TRUE(set.contains(addr("10.0.0.255")));
  EXPECT_TRUE(set.contains(addr("10.0.1.0")));
  EXPECT_FALSE(set.contains(addr("10.0.2.0")));
}

// ---------------------------------------------------------------------------------------------
// IPv6

TEST(IpSet, SingleIpv6AddressMatchesOnlyItself) {
  const IpSet set = setOf({"::1"});

  EXPECT_TRUE(set.contains(addr("::1")));
  EXPECT_FALSE(set.contains(addr("::2")));
  EXPECT_FALSE(set.contains(addr("127.0.0.1")));
}

TEST(IpSet, Ipv6Slash32MatchesItsBlock) {
  const IpSet set = setOf({"2001:db8::/32"});

  EXPECT_TRUE(set.contains(addr("2001:db8::")));
  EXPECT_TRUE(set.contains(addr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(set.contains(addr("2001:db9::")));
  EXPECT_FALSE(set.contains(addr("2001:db7:ffff::1")));
}

TEST(IpSet, Ipv6Slash0MatchesEveryIpv6) {
  const IpSet set = setOf({"::/0"});

  EXPECT_TRUE(set.contains(addr("::")));
  EXPECT_TRUE(set.contains(addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(set.contains(addr("2001:db8::1")));
}

TEST(IpSet, Ipv6Slash128MatchesOneAddress) {
  const IpSet set = setOf({"2001:db8::5/128"});

  EXPECT_TRUE(set.contains(addr("2001:db8::5")));
  EXPECT_FALSE(set.contains(addr("2001:db8::4")));
  EXPECT_FALSE(set.contains(addr("2001:db8::6")));
}

TEST(IpSet, Ipv6PrefixThatSplitsAByte) {
  const IpSet set = setOf({"2001:db8:8000::/33"});

  EXPECT_TRUE(set.contains(addr("2001:db8:8000::")));
  EXPECT_TRUE(set.contains(addr("2001:db8:ffff:ffff::1")));
  EXPECT_FALSE(set.contains(addr("2001:db8:7fff:ffff::1")));
  EXPECT_FALSE(set.contains(addr("2001:db9::")));
}

TEST(IpSet, Ipv6Slash127MatchesAPair) {
  const IpSet set = setOf({"2001:db8::3/127"});

  EXPECT_TRUE(set.contains(addr("2001:db8::2")));
  EXPECT_TRUE(set.contains(addr("2001:db8::3")));
  EXPECT_FALSE(set.contains(addr("2001:db8::1")));
  EXPECT_FALSE(set.contains(addr("2001:db8::4")));
}

TEST(IpSet, Ipv6OddPrefixInTheMiddleOfAByte) {
  const IpSet set = setOf({"fe80::/10"});

  EXPECT_TRUE(set.contains(addr("fe80::1")));
  EXPECT_TRUE(set.contains(addr("febf:ffff::1")));
  EXPECT_FALSE(set.contains(addr("fec0::1")));
  EXPECT_FALSE(set.contains(addr("fe7f:ffff::1")));
}

TEST(IpSet, Ipv4AndIpv6EntriesLiveTogether) {
  const IpSet set = setOf({"127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"});

  EXPECT_TRUE(set.contains(addr("127.0.0.1")));
  EXPECT_TRUE(set.contains(addr("10.9.9.9")));
  EXPECT_TRUE(set.contains(addr("::1")));
  EXPECT_TRUE(set.contains(addr("2001:db8::42")));
  EXPECT_FALSE(set.contains(addr("192.168.0.1")));
  EXPECT_FALSE(set.contains(addr("2001:db9::42")));
}

// ---------------------------------------------------------------------------------------------
// IPv4-mapped IPv6 clients

TEST(IpSet, Ipv4MappedClientMatchesIpv4Entries) {
  const IpSet set = setOf({"10.0.0.0/8", "127.0.0.1"});

  EXPECT_TRUE(set.contains(addr("::ffff:10.1.2.3")));
  EXPECT_TRUE(set.contains(addr("::ffff:127.0.0.1")));
  EXPECT_FALSE(set.contains(addr("::ffff:11.1.2.3")));
}

TEST(IpSet, Ipv4MappedClientDoesNotMatchAnIpv6OnlySet) {
  const IpSet set = setOf({"2001:db8::/32"});

  EXPECT_FALSE(set.contains(addr("::ffff:10.1.2.3")));
}

TEST(IpSet, Ipv4MappedEntryMatchesTheSameClient) {
  const IpSet set = setOf({"::ffff:127.0.0.1", "::ffff:10.0.0.0/104"});

  EXPECT_TRUE(set.contains(addr("127.0.0.1")));
  EXPECT_TRUE(set.contains(addr("::ffff:127.0.0.1")));
  EXPECT_TRUE(set.contains(addr("10.1.2.3")));
  EXPECT_TRUE(set.contains(addr("::ffff:10.1.2.3")));
}

TEST(IpSet, DefaultAddressMatchesNothing) {
  const IpSet set = setOf({"0.0.0.0/0", "::/0"});

  EXPECT_FALSE(set.contains(net::Address()));
}

// ---------------------------------------------------------------------------------------------
// Invalid entries

TEST(IpSet, RejectsIpv4PrefixOutOfRange) {
  IpSet set;

  const std::optional<std::string> error = set.add("10.0.0.0/33");

  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, "'10.0.0.0/33': the prefix length must be 0 to 32");
}

TEST(IpSet, RejectsIpv6PrefixOutOfRange) {
  IpSet set;

  const std::optional<std::string> error = set.add("::/129");

  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, "'::/129': the prefix length must be 0 to 128");
}

TEST(IpSet, RejectsMalformedPrefixes) {
  for (std::string_view bad : {"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/abc", "10.0.0.0/8x", "10.0.0.0/ 8",
                               "10.0.0.0/8/8", "::1/", "::1/+3"}) {
    IpSet set;
    EXPECT_TRUE(set.add(bad).has_value()) << bad;
  }
}

TEST(IpSet, RejectsGarbage) {
  IpSet set;

  const std::optional<std::string> error = set.add("localhost");

  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, "'localhost' is not an IPv4 or IPv6 address or CIDR block");
}

TEST(IpSet, RejectsIncompleteOrOutOfRangeAddresses) {
  for (std::string_view bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "::g", "1:2:3:4:5:6:7:8:9",
                               "/8"}) {
    IpSet set;
    EXPECT_TRUE(set.add(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpSet, RejectedEntryIsNotAdded) {
  IpSet set;

  ASSERT_TRUE(set.add("10.0.0.0/40").has_value());
  set.finish();

  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(addr("10.0.0.1")));
}

// ---------------------------------------------------------------------------------------------
// Size

TEST(IpSet, TenThousandSingleAddressesAllMatch) {
  IpSet set;
  for (int i = 0; i < 10000; ++i) {
    // 10.0.x.y with even y only, so every odd neighbour is outside the set.
    const std::string ip = "10." + std::to_string(i / 128) + "." + std::to_string((i % 128) * 2) + ".1";
    ASSERT_FALSE(set.add(ip + "/32").has_value()) << ip;
  }
  set.add("2001:db8::/64");
  set.finish();

  EXPECT_TRUE(set.contains(addr("10.0.0.1")));
  EXPECT_TRUE(set.contains(addr("10.78.2.1")));     // i == 9985
  EXPECT_TRUE(set.contains(addr("10.77.254.1")));   // i == 9983
  EXPECT_FALSE(set.contains(addr("10.0.1.1")));
  EXPECT_FALSE(set.contains(addr("10.0.0.2")));
  EXPECT_FALSE(set.contains(addr("10.78.32.1")));   // i == 10000: not added
  EXPECT_FALSE(set.contains(addr("9.255.255.255")));
  EXPECT_TRUE(set.contains(addr("2001:db8::ffff")));
  int matched = 0;
  for (int i = 0; i < 10000; ++i)
    matched += set.contains(addr("10." + std::to_string(i / 128) + "." + std::to_string((i % 128) * 2) + ".1")) ? 1 : 0;
  EXPECT_EQ(matched, 10000);
}

}  // namespace
}  // namespace weir::route
