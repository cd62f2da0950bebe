// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/agent_enrollment.hpp"

namespace pakt::server {
namespace {

bool is_plain_word_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("%+,-./:=@_").find(c) != std::string_view::npos;
}

}  // namespace

std::string shell_quote(std::string_view text) {
    bool plain = !text.empty();
    for (char c : text) plain = plain && is_plain_word_character(c);
    if (plain) return std::string(text);
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string agent_enroll_command(std::string_view server_url,
                                 const std::optional<std::string>& fingerprint,
                                 std::string_view secret) {
    // printf is a shell builtin: the secret reaches pakt-agent through a pipe and never stands in
    // a process's argument list, where every user of the box could read it (ps).
    std::string command = "printf '%s\\n' " + shell_quote(secret) + " | sudo -u " +
                          std::string(kAgentAccount) + " pakt-agent enroll";
    command += " --state-dir " + shell_quote(kAgentStateDir);
    // Options are appended, not "--x=" + value: g++ 12 at -O3 misreads that prepend as an
    // overlapping copy (-Wrestrict, GCC bug 105329).
    const auto option = [&command](std::string_view name, std::string_view value) {
        std::string word(name);
        word.append(value);
        command += ' ';
        command += shell_quote(word);
    };
    option("--server=", server_url);
    if (fingerprint)
        option("--pin=", *fingerprint);
    else
        option("--ca-file=", kSystemCaBundle);
    command += " --secret-file=/dev/stdin";
    return command;
}

}  // namespace pakt::server
