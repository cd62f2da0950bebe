// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/net/client_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pakt::server::net {
namespace {

TEST(ParseIpPrefix, AcceptsAddressesAndPrefixesOfBothFamilies) {
    const auto single = parse_ip_prefix("192.0.2.7");
    ASSERT_TRUE(single);
    EXPECT_FALSE(single->v6);
    EXPECT_EQ(single->bits, 32u);

    const auto network = parse_ip_prefix("10.0.0.0/8");
    ASSERT_TRUE(network);
    EXPECT_EQ(network->bits, 8u);

    const auto v6 = parse_ip_prefix("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_EQ(v6->bits, 32u);

    EXPECT_TRUE(parse_ip_prefix("0.0.0.0/0"));
    EXPECT_TRUE(parse_ip_prefix("::/0"));
    EXPECT_TRUE(parse_ip_prefix("::1"));
}

TEST(ParseIpPrefix, RefusesNamesHostBitsAndBadLengths) {
    for (const char* bad : {"", "localhost", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x",
                            "10.0.0.0/-1", "2001:db8::1/32", "2001:db8::/129", "10.0.0.0/8 ",
                            " 10.0.0.0/8", "300.0.0.1", "10.0.0.0/8/8"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_ip_prefix(bad));
    }
}

TEST(ParseIpPrefix, Ipv4MappedIpv6IsHeldAsIpv4) {
    const auto mapped = parse_ip_prefix("::ffff:10.0.0.0/104");
    ASSERT_TRUE(mapped);
    EXPECT_FALSE(mapped->v6);
    EXPECT_EQ(mapped->bits, 8u);
    const TrustedProxies trusted({"::ffff:10.0.0.0/104"});
    EXPECT_TRUE(trusted.trusts("10.1.2.3"));
    EXPECT_TRUE(trusted.trusts("::ffff:10.1.2.3"));
    EXPECT_FALSE(trusted.trusts("11.0.0.1"));
}

TEST(CanonicalAddress, FoldsMappedIpv4AndNormalisesIpv6) {
    EXPECT_EQ(canonical_address("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(canonical_address("2001:DB8:0:0::1"), "2001:db8::1");
    EXPECT_EQ(canonical_address("192.0.2.7"), "192.0.2.7");
    EXPECT_FALSE(canonical_address("example.org"));
}

TEST(TrustedProxies, MatchesPrefixesBitByBit) {
    const TrustedProxies trusted({"192.168.4.0/22", "2001:db8:ab00::/40", "203.0.113.9"});
    EXPECT_TRUE(trusted.trusts("192.168.4.1"));
    EXPECT_TRUE(trusted.trusts("192.168.7.255"));
    EXPECT_FALSE(trusted.trusts("192.168.8.0"));
    EXPECT_FALSE(trusted.trusts("192.168.3.255"));
    EXPECT_TRUE(trusted.trusts("2001:db8:abff::1"));
    EXPECT_FALSE(trusted.trusts("2001:db8:ac00::1"));
    EXPECT_TRUE(trusted.trusts("203.0.113.9"));
    EXPECT_FALSE(trusted.trusts("203.0.113.10"));
    EXPECT_FALSE(trusted.trusts("not an address"));
}

TEST(TrustedProxies, ConstructorNamesTheEntryItRefuses) {
    try {
        TrustedProxies({"10.0.0.0/8", "proxy.example.org"});
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("'proxy.example.org'"), std::string::npos);
    }
}

TEST(ClientAddress, ForwardedForOfAnUntrustedPeerIsIgnored) {
    const TrustedProxies trusted({"10.0.0.5"});
    EXPECT_EQ(client_address("198.51.100.20", trusted, {"203.0.113.1"}), "198.51.100.20");
    EXPECT_EQ(client_address("198.51.100.20", TrustedProxies(), {"203.0.113.1"}), "198.51.100.20");
}

TEST(ClientAddress, TrustedPeerWithoutForwardedForIsTheClient) {
    const TrustedProxies trusted({"10.0.0.5"});
    EXPECT_EQ(client_address("10.0.0.5", trusted, {}), "10.0.0.5");
}

TEST(ClientAddress, RightMostEntryThatIsNotATrustedProxyIsTheClient) {
    const TrustedProxies trusted({"10.0.0.0/24"});
    // A client may put anything in the header itself: only what trusted proxies appended counts.
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"1.1.1.1, 203.0.113.7, 10.0.0.9"}),
              "203.0.113.7");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"203.0.113.7"}), "203.0.113.7");
}

TEST(ClientAddress, SeveralHeaderFieldsFormOneList) {
    const TrustedProxies trusted({"10.0.0.0/24"});
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"198.51.100.1", "203.0.113.7,10.0.0.8"}),
              "203.0.113.7");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"198.51.100.1", "10.0.0.8"}), "198.51.100.1");
}

TEST(ClientAddress, WhenEveryEntryIsTrustedTheLeftMostIsTheClient) {
    const TrustedProxies trusted({"10.0.0.0/24"});
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"10.0.0.7, 10.0.0.8"}), "10.0.0.7");
}

TEST(ClientAddress, AnEntryThatIsNoAddressEndsTheWalkAtTheLastTrustedHop) {
    const TrustedProxies trusted({"10.0.0.0/24"});
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"203.0.113.7, unknown"}), "10.0.0.5");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"203.0.113.7, garbage, 10.0.0.8"}), "10.0.0.8");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {""}), "10.0.0.5");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"203.0.113.7,"}), "10.0.0.5");
}

TEST(ClientAddress, PortsBracketsAndIpv6AreUnderstood) {
    const TrustedProxies trusted({"10.0.0.0/24", "2001:db8:1::/48"});
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"203.0.113.7:4711"}), "203.0.113.7");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"[2001:DB8:2::1]:4711"}), "2001:db8:2::1");
    EXPECT_EQ(client_address("10.0.0.5", trusted, {"[2001:db8:2::1]"}), "2001:db8:2::1");
    EXPECT_EQ(client_address("2001:db8:1::2", trusted, {"2001:db8:2::1"}), "2001:db8:2::1");
    EXPECT_EQ(client_address("::ffff:10.0.0.5", trusted, {"::ffff:203.0.113.7"}), "203.0.113.7");
}

TEST(ConnectionLimitKey, Ipv4IsTheAddressAndIpv6ItsSlash64) {
    EXPECT_EQ(connection_limit_key("192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(connection_limit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    EXPECT_EQ(connection_limit_key("2001:db8:1:2::1"), connection_limit_key("2001:db8:1:2::ffff"));
    EXPECT_NE(connection_limit_key("2001:db8:1:2::1"), connection_limit_key("2001:db8:1:3::1"));
}

}  // namespace
}  // namespace pakt::server::net
