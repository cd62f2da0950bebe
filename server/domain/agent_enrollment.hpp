// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The command line that enrolls a site agent: what a school's IT helper pastes into a shell on
// the school's agent box. No HTTP, no storage.
#include <optional>
#include <string>
#include <string_view>

namespace pakt::server {

/// The account pakt-agent runs as and the directory of its node key and spool, when installed
/// as config/pakt-agent.service describes.
inline constexpr std::string_view kAgentAccount = "pakt-agent";
inline constexpr std::string_view kAgentStateDir = "/var/lib/pakt-agent";
/// The CA bundle of Debian and Ubuntu (package ca-certificates): it verifies a certificate a
/// public CA signed, as a TLS-terminating proxy in front of paktd has.
inline constexpr std::string_view kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

/// `text` as one word of a POSIX shell: unchanged if every character is one no shell treats
/// specially (letters, digits and `%+,-./:=@_`), otherwise in single quotes with each single
/// quote written as '\''. Empty text is ''.
std::string shell_quote(std::string_view text);

/// `printf '%s\n' <secret> | sudo -u pakt-agent pakt-agent enroll --state-dir /var/lib/pakt-agent
/// --server=<server_url> --pin=<fingerprint> --secret-file=/dev/stdin`, each value quoted with
/// shell_quote. The secret comes through a pipe from the shell's builtin printf, so it never
/// appears in a process list. The values follow '=' so that one starting with '-' is not taken
/// for an option. Without a fingerprint (TLS ends at a proxy, not at paktd) the agent is told to
/// trust the system's CAs (`--ca-file=` the system bundle) instead of a pin.
std::string agent_enroll_command(std::string_view server_url,
                                 const std::optional<std::string>& fingerprint,
                                 std::string_view secret);

}  // namespace pakt::server
