// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// An HTTPS server address as configured by people: the agent's server, paktd's connectors to
// vendor APIs. Only https, no credentials, query or fragment in it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pakt {

/// An HTTPS server address: "https://host[:port][/base/path]" (port 443 by default).
struct ServerUrl {
    std::string host;  ///< name, IPv4 address, or IPv6 address without brackets
    std::uint16_t port = 443;
    std::string base_path;  ///< "" or "/prefix" without a trailing slash (a reverse proxy's)

    /// `base_path` + `path` (path starts with '/').
    std::string target(std::string_view path) const;
    std::string to_string() const;
};

/// Parses a server URL; nullopt with `why` set if it is not an https URL of the form above.
std::optional<ServerUrl> parse_server_url(std::string_view url, std::string* why = nullptr);

}  // namespace pakt
