// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Which address a request comes from: the TCP peer, or, when the peer is a reverse proxy the
// operator trusts (`[server] trusted_proxies`), the client named in its X-Forwarded-For header.
// Pure functions over text, no sockets: unit-tested in tests/unit/client_address_test.cpp.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pakt::server::net {

/// An IPv4 or IPv6 address or CIDR prefix ("192.0.2.7", "10.0.0.0/8", "2001:db8::/32").
/// IPv4-mapped IPv6 addresses (::ffff:192.0.2.7) are held as IPv4.
struct IpPrefix {
    std::array<std::uint8_t, 16> bytes{};  ///< network byte order; IPv4 uses the first 4
    bool v6 = false;
    unsigned bits = 0;  ///< prefix length: 32 or 128 for a single address
};

/// Parses an address or a prefix. Bits set beyond the prefix length are refused ("10.0.0.1/8"
/// is more likely a typo than a network), as are a missing or out-of-range length after '/'.
std::optional<IpPrefix> parse_ip_prefix(std::string_view text);

/// An address in canonical text (inet_ntop), IPv4-mapped IPv6 as plain IPv4; nullopt if `text`
/// is not an IP address.
std::optional<std::string> canonical_address(std::string_view text);

/// The set of `[server] trusted_proxies`. Immutable after construction; safe to share between
/// threads.
class TrustedProxies {
  public:
    TrustedProxies() = default;
    /// Throws std::invalid_argument naming the first entry that parse_ip_prefix refuses.
    explicit TrustedProxies(const std::vector<std::string>& prefixes);

    bool empty() const { return prefixes_.empty(); }
    /// Whether `address` (text as canonical_address accepts it) lies in one of the prefixes.
    bool trusts(std::string_view address) const;

  private:
    std::vector<IpPrefix> prefixes_;
};

/// The client address of a request. `peer` is the TCP peer (canonical text);
/// `forwarded_for` are the values of every X-Forwarded-For field in the order received. Unless
/// the peer is trusted, the answer is the peer. Otherwise the comma-separated entries are read
/// from the right (each proxy appends the address it received from): the answer is the first
/// entry that is not itself a trusted proxy; if every entry is trusted, the left-most one. An
/// entry that is not an IP address (optionally "[v6]" or with a ":port") ends the walk: what is
/// left of it cannot be believed, and the answer is the last trusted hop. Returned in canonical
/// text.
std::string client_address(std::string_view peer, const TrustedProxies& trusted,
                           const std::vector<std::string_view>& forwarded_for);

/// The key under which `[limits] max_connections_per_address` counts connections: an IPv4
/// address itself, an IPv6 address's /64 network ("2001:db8:1:2::/64"), since one IPv6 host
/// usually owns a whole /64 and could otherwise open every connection from a different address.
std::string connection_limit_key(std::string_view canonical);

}  // namespace pakt::server::net
