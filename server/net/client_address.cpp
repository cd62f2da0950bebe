// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/net/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace pakt::server::net {

namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// A single address as a full-length prefix; IPv4-mapped IPv6 folded to IPv4 so that a server
// listening on [::] sees its IPv4 clients and proxies as the configuration names them.
std::optional<IpPrefix> parse_address(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buffer[INET6_ADDRSTRLEN] = {};
    std::memcpy(buffer, text.data(), text.size());
    IpPrefix out;
    if (inet_pton(AF_INET, buffer, out.bytes.data()) == 1) {
        out.bits = 32;
        return out;
    }
    if (inet_pton(AF_INET6, buffer, out.bytes.data()) != 1) return std::nullopt;
    if (std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), out.bytes.begin())) {
        std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
        std::fill(out.bytes.begin() + 4, out.bytes.end(), std::uint8_t{0});
        out.bits = 32;
        return out;
    }
    out.v6 = true;
    out.bits = 128;
    return out;
}

std::string to_text(const IpPrefix& address) {
    char buffer[INET6_ADDRSTRLEN] = {};
    inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), buffer, sizeof buffer);
    return buffer;
}

bool contains(const IpPrefix& prefix, const IpPrefix& address) {
    if (prefix.v6 != address.v6) return false;
    const unsigned whole = prefix.bits / 8;
    if (!std::equal(prefix.bytes.begin(), prefix.bytes.begin() + whole, address.bytes.begin())) {
        return false;
    }
    const unsigned rest = prefix.bits % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (prefix.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

// An X-Forwarded-For entry: "192.0.2.7", "2001:db8::1", "[2001:db8::1]", "192.0.2.7:4711" or
// "[2001:db8::1]:4711" (some proxies add the port).
std::optional<IpPrefix> parse_forwarded_entry(std::string_view entry) {
    if (entry.starts_with('[')) {
        const auto close = entry.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        auto address = parse_address(entry.substr(1, close - 1));
        if (!address || !address->v6) return std::nullopt;
        return address;
    }
    if (auto address = parse_address(entry)) return address;
    const auto colon = entry.find(':');
    if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
        auto address = parse_address(entry.substr(0, colon));
        if (address && !address->v6) return address;
    }
    return std::nullopt;
}

}  // namespace

std::optional<IpPrefix> parse_ip_prefix(std::string_view text) {
    const auto slash = text.find('/');
    auto prefix = parse_address(text.substr(0, slash));
    if (!prefix) return std::nullopt;
    if (slash == std::string_view::npos) return prefix;
    const std::string_view length = text.substr(slash + 1);
    unsigned bits = 0;
    const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), bits);
    if (length.empty() || error != std::errc{} || end != length.data() + length.size()) {
        return std::nullopt;
    }
    // "::ffff:10.0.0.0/104" names the same network as "10.0.0.0/8".
    const bool mapped = !prefix->v6 && text.find(':') != std::string_view::npos;
    if (mapped) {
        if (bits < 96) return std::nullopt;
        bits -= 96;
    }
    if (bits > (prefix->v6 ? 128u : 32u)) return std::nullopt;
    IpPrefix network = *prefix;
    network.bits = bits;
    for (unsigned bit = bits; bit < 128; ++bit) {
        network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
    if (network.bytes != prefix->bytes) return std::nullopt;  // host bits set
    return network;
}

std::optional<std::string> canonical_address(std::string_view text) {
    auto address = parse_address(text);
    if (!address) return std::nullopt;
    return to_text(*address);
}

TrustedProxies::TrustedProxies(const std::vector<std::string>& prefixes) {
    for (const auto& text : prefixes) {
        auto prefix = parse_ip_prefix(text);
        if (!prefix) {
            throw std::invalid_argument("not an IP address or CIDR prefix: '" + text + "'");
        }
        prefixes_.push_back(*prefix);
    }
}

bool TrustedProxies::trusts(std::string_view address) const {
    if (prefixes_.empty()) return false;
    const auto parsed = parse_address(address);
    if (!parsed) return false;
    return std::any_of(prefixes_.begin(), prefixes_.end(),
                       [&](const IpPrefix& prefix) { return contains(prefix, *parsed); });
}

std::string client_address(std::string_view peer, const TrustedProxies& trusted,
                           const std::vector<std::string_view>& forwarded_for) {
    const auto peer_address = parse_address(peer);
    std::string answer = peer_address ? to_text(*peer_address) : std::string(peer);
    if (!peer_address || !trusted.trusts(peer)) return answer;

    std::vector<std::string_view> entries;
    for (std::string_view value : forwarded_for) {
        while (true) {
            const auto comma = value.find(',');
            entries.push_back(trim(value.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
    }
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        const auto address = parse_forwarded_entry(*it);
        if (!address) break;
        answer = to_text(*address);
        if (!trusted.trusts(answer)) break;
    }
    return answer;
}

std::string connection_limit_key(std::string_view canonical) {
    auto address = parse_address(canonical);
    if (!address) return std::string(canonical);
    if (!address->v6) return to_text(*address);
    std::fill(address->bytes.begin() + 8, address->bytes.end(), std::uint8_t{0});
    return to_text(*address) + "/64";
}

}  // namespace pakt::server::net
