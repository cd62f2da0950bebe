// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/https_url.hpp"

#include <charconv>
#include <system_error>

namespace pakt {

std::string ServerUrl::target(std::string_view path) const { return base_path + std::string(path); }

std::string ServerUrl::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = "https://" + (v6 ? "[" + host + "]" : host);
    if (port != 443) out += ":" + std::to_string(port);
    return out + base_path;
}

std::optional<ServerUrl> parse_server_url(std::string_view url, std::string* why) {
    const auto fail = [&](const char* reason) -> std::optional<ServerUrl> {
        if (why != nullptr) *why = reason;
        return std::nullopt;
    };
    constexpr std::string_view kScheme = "https://";
    if (!url.starts_with(kScheme)) return fail("the URL must start with https://");
    std::string_view rest = url.substr(kScheme.size());
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (path.find_first_of("?#") != std::string_view::npos) {
        return fail("the URL must not have a query or fragment");
    }
    while (path.ends_with('/')) path.remove_suffix(1);
    if (authority.find('@') != std::string_view::npos) {
        return fail("the URL must not contain credentials");
    }

    ServerUrl out;
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
        out.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (!after.starts_with(':')) return fail("unexpected text after the IPv6 address");
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) return fail("the URL has no host");
    if (!port_text.empty() || authority.ends_with(':')) {
        unsigned port = 0;
        const auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            return fail("the port must be a number from 1 to 65535");
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    out.base_path = std::string(path);
    return out;
}

}  // namespace pakt
